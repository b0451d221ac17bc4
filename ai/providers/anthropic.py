"""Anthropic Claude through its native Messages API, with one httpx client.

Anthropic's OpenAI-compatible endpoint is documented as a testing aid, not for production, and
its error and usage fields are native in the Messages API, so this adapter speaks that API
directly rather than adding the vendor SDK. Claude has no embeddings: asking it to embed is a
CapabilityError (the base class), never a crash.

Docs: https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/api/models-list,
      https://docs.anthropic.com/en/api/errors
"""

from typing import Any

import httpx

from ai.providers.base import BaseProvider, GenerationResult, TextSink, Usage
from ai.providers.errors import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
    check_header_value,
    error_from_status,
    parse_retry_after,
)
from pulse.core.outbound import OutboundRefused, outbound_client

API_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024


class AnthropicProvider(BaseProvider):
    key = "anthropic_claude"

    def _request(self, method: str, path: str, **kwargs) -> dict:
        check_header_value(self.key, self.config.api_key)
        headers = {"x-api-key": self.config.api_key, "anthropic-version": self.config.api_version or API_VERSION}
        url = (self.config.base_url or API_URL).rstrip("/") + path
        try:
            with outbound_client(timeout=self.config.timeout) as http:
                response = http.request(method, url, headers=headers, **kwargs)
        except OutboundRefused as exc:
            raise PermanentProviderError(f"anthropic_claude: {exc}") from None
        except httpx.TimeoutException:
            raise TransientProviderError("anthropic_claude: request timed out") from None
        except httpx.HTTPError as exc:
            raise TransientProviderError(f"anthropic_claude: could not connect ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise self._error(response)
        try:
            return response.json()
        except ValueError:
            raise TransientProviderError("anthropic_claude: the response was not JSON") from None

    @staticmethod
    def _error(response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
        kind = error.get("type", "")
        message = {401: "the API key was rejected", 403: "the key may not use this model"}.get(
            response.status_code, str(error.get("message", ""))[:300]
        )
        # 529 overloaded_error is Anthropic's "try again later".
        return error_from_status(
            response.status_code,
            f"anthropic_claude: HTTP {response.status_code} {kind}: {message}".rstrip(": "),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def generate(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None, on_text: TextSink | None = None
    ) -> GenerationResult:
        """Not streamed: with `on_text`, the whole reply is handed over once, when it is complete."""
        params = dict(params or {})
        system = "\n\n".join(m["content"] for m in messages if m.get("role") == "system")
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": params.pop("max_tokens", DEFAULT_MAX_TOKENS),
            "messages": [m for m in messages if m.get("role") != "system"],
            **{k: v for k, v in params.items() if k in ("temperature", "top_p", "stop_sequences")},
        }
        if system:
            body["system"] = system
        data = self._request("POST", "/v1/messages", json=body)
        text = "".join(block.get("text", "") for block in data.get("content", []) if block.get("type") == "text")
        if on_text is not None and text:
            on_text(text)
        usage = data.get("usage") or {}
        return GenerationResult(
            text=text,
            usage=Usage(
                input_tokens=int(usage.get("input_tokens", 0)), output_tokens=int(usage.get("output_tokens", 0))
            ),
            model=data.get("model", self.config.model),
            finish_reason=data.get("stop_reason") or "",
        )

    def list_models(self) -> list[str]:
        return sorted(item["id"] for item in self._request("GET", "/v1/models").get("data", []))
