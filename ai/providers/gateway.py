"""An OpenAI-compatible gateway in the LiteLLM style.

Embeddings and chat go through the `openai` SDK like any OpenAI-compatible server; the gateway's
own endpoints go through one httpx client:
- `GET /key/info`: the key's total spend and budget (https://docs.litellm.ai/docs/proxy/virtual_keys)
- `POST /spend/calculate`: the cost of a request (https://docs.litellm.ai/docs/proxy/cost_tracking)
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ai.providers.errors import PermanentProviderError, check_header_value, error_from_status, parse_retry_after
from ai.providers.openai_compatible import OpenAIProvider
from pulse.core.outbound import OutboundRefused, outbound_client


@dataclass(frozen=True)
class KeyInfo:
    spend: Decimal | None
    max_budget: Decimal | None
    key_alias: str
    models: list[str]


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class CustomGatewayProvider(OpenAIProvider):
    key = "custom_gateway"

    def _root(self) -> str:
        if not self.config.base_url:
            raise PermanentProviderError("custom_gateway: base_url is required")
        return self.config.base_url.rstrip("/").removesuffix("/v1")

    def _request(self, method: str, path: str, **kwargs) -> dict:
        check_header_value(self.key, self.config.api_key)
        headers = {"Authorization": f"Bearer {self.config.api_key}"}
        try:
            with outbound_client(timeout=self.config.timeout) as http:
                response = http.request(method, self._root() + path, headers=headers, **kwargs)
        except OutboundRefused as exc:
            raise PermanentProviderError(f"custom_gateway: {exc}") from None
        except httpx.TimeoutException:
            raise error_from_status(408, f"custom_gateway: {path} timed out") from None
        except httpx.HTTPError as exc:
            raise error_from_status(503, f"custom_gateway: {path}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise error_from_status(
                response.status_code, f"custom_gateway: {path}: HTTP {response.status_code}", retry_after=retry_after
            )
        try:
            body = response.json()
        except ValueError:
            raise PermanentProviderError(f"custom_gateway: {path} did not return JSON") from None
        if not isinstance(body, dict):
            raise PermanentProviderError(f"custom_gateway: {path} did not return a JSON object")
        return body

    def key_info(self) -> KeyInfo:
        body = self._request("GET", "/key/info")
        info = body.get("info", body)
        return KeyInfo(
            spend=_decimal(info.get("spend")),
            max_budget=_decimal(info.get("max_budget")),
            key_alias=str(info.get("key_alias") or info.get("key_name") or ""),
            models=list(info.get("models") or []),
        )

    def spend_calculate(self, *, model: str, input_tokens: int, output_tokens: int) -> Decimal | None:
        """The gateway's price for a call with this usage, or None if it does not know one."""
        payload = {
            "completion_response": {
                "model": model,
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                },
            }
        }
        return _decimal(self._request("POST", "/spend/calculate", json=payload).get("cost"))
