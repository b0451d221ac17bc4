"""OpenAI, Azure OpenAI and Google Gemini through the `openai` SDK.

All three speak the OpenAI wire format (Gemini through its documented OpenAI-compatible
endpoint), so one adapter serves them and only the client construction differs. The SDK's own
retries are off (`max_retries=0`): retries, backoff and fallback belong to `ai.execution`.

Docs: https://platform.openai.com/docs/api-reference/embeddings/create
      https://platform.openai.com/docs/api-reference/chat/create
      https://learn.microsoft.com/azure/ai-services/openai/reference
      https://ai.google.dev/gemini-api/docs/openai
"""

import time
from collections.abc import Callable
from typing import Any

import httpx
import openai

from ai.providers.base import BaseProvider, CredentialCheck, EmbeddingResult, GenerationResult, TextSink, Usage
from ai.providers.errors import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
    check_header_value,
    error_from_status,
    parse_retry_after,
)
from pulse.core.outbound import OutboundRefused, outbound_client

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"


def translate_openai_error(exc: Exception, provider: str) -> ProviderError:
    """One error type for every OpenAI-compatible failure, classified permanent or transient."""
    if isinstance(exc, openai.APITimeoutError):
        return TransientProviderError(f"{provider}: request timed out")
    if isinstance(exc, openai.APIConnectionError):
        if isinstance(exc.__cause__, OutboundRefused):
            return PermanentProviderError(f"{provider}: {exc.__cause__}")
        return TransientProviderError(f"{provider}: could not connect ({type(exc.__cause__).__name__ or 'network'})")
    if isinstance(exc, openai.APIStatusError):
        message = _error_message(exc)
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        hint = {401: "the API key was rejected", 403: "the key may not use this model or resource"}.get(
            exc.status_code, message
        )
        return error_from_status(
            exc.status_code, f"{provider}: HTTP {exc.status_code}: {hint}", retry_after=retry_after
        )
    return PermanentProviderError(f"{provider}: {type(exc).__name__}")


def _error_message(exc: "openai.APIStatusError") -> str:
    """The vendor's structured error message, never a raw body: a misconfigured URL can answer
    with any page, and its text must not come back to the user."""
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body)
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        return inner["message"][:300]
    return "the server refused the request"


def _http(timeout: float) -> httpx.Client:
    """Every SDK client talks through the outbound guard (no private addresses, no redirects)."""
    return outbound_client(timeout=timeout)


class OpenAIProvider(BaseProvider):
    key = "openai"

    def _client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key or "missing",
            base_url=self.config.base_url or None,
            organization=self.config.organization or None,
            timeout=self.config.timeout,
            max_retries=0,
            http_client=_http(self.config.timeout),
        )

    def _call(self, request: Callable[[openai.OpenAI], Any]) -> Any:
        """Run one SDK request on a fresh client, closed afterwards; vendor errors translated."""
        check_header_value(self.key, self.config.api_key)
        try:
            with self._client() as client:
                return request(client)
        except openai.OpenAIError as exc:
            raise translate_openai_error(exc, self.key) from None
        except (httpx.InvalidURL, UnicodeError) as exc:  # a setting no URL or header can carry
            raise PermanentProviderError(f"{self.key}: the request could not be built ({exc})") from None

    def _model_param(self) -> str:
        return self.config.model

    def embed(self, texts: list[str]) -> EmbeddingResult:
        params: dict[str, Any] = {"model": self._model_param(), "input": texts, "encoding_format": "float"}
        if self.config.dimensions and self.config.extra.get("send_dimensions"):
            params["dimensions"] = self.config.dimensions
        response = self._call(lambda client: client.embeddings.create(**params))
        ordered = sorted(response.data, key=lambda item: item.index)
        if len(ordered) != len(texts):
            raise TransientProviderError(f"{self.key}: asked for {len(texts)} embeddings, got {len(ordered)}")
        usage = response.usage
        return EmbeddingResult(
            vectors=[list(item.embedding) for item in ordered],
            usage=Usage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0),
            model=response.model or self.config.model,
        )

    def generate(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None, on_text: TextSink | None = None
    ) -> GenerationResult:
        params = dict(params or {})
        if on_text is not None:
            return self._call(lambda client: self._streamed(client, messages, params, on_text))
        response = self._call(
            lambda client: client.chat.completions.create(model=self._model_param(), messages=messages, **params)
        )
        if not response.choices:
            raise TransientProviderError(f"{self.key}: the response had no choices")
        choice = response.choices[0]
        usage = response.usage
        return GenerationResult(
            text=choice.message.content or "",
            usage=Usage(
                input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                output_tokens=getattr(usage, "completion_tokens", 0) or 0,
            ),
            model=response.model or self.config.model,
            finish_reason=choice.finish_reason or "",
        )

    def _streamed(self, client, messages, params: dict, on_text: TextSink) -> GenerationResult:
        """The same call, streamed: each piece of text goes to `on_text` as it arrives. Usage comes
        in the last chunk where the server sends it (`include_usage`), else it is counted here."""
        stream = client.chat.completions.create(
            model=self._model_param(), messages=messages, stream=True, stream_options={"include_usage": True}, **params
        )
        pieces, usage, model, finish = [], None, "", ""
        for chunk in stream:
            model = chunk.model or model
            usage = chunk.usage or usage
            for choice in chunk.choices or []:
                finish = choice.finish_reason or finish
                if text := (choice.delta.content if choice.delta else None):
                    pieces.append(text)
                    on_text(text)
        text = "".join(pieces)
        if usage is None:
            prompt = "\n".join(str(m.get("content", "")) for m in messages)
            usage = Usage(input_tokens=self.count_tokens(prompt), output_tokens=self.count_tokens(text))
        else:
            usage = Usage(input_tokens=usage.prompt_tokens or 0, output_tokens=usage.completion_tokens or 0)
        return GenerationResult(text=text, usage=usage, model=model or self.config.model, finish_reason=finish)

    def list_models(self) -> list[str]:
        return sorted(self._call(lambda client: [model.id for model in client.models.list()]))


class AzureOpenAIProvider(OpenAIProvider):
    """Azure addresses models by deployment name, with an api-version on every call."""

    key = "azure_openai"

    def _client(self) -> openai.AzureOpenAI:
        if not self.config.base_url:
            raise PermanentProviderError("azure_openai: base_url (https://<resource>.openai.azure.com) is required")
        return openai.AzureOpenAI(
            api_key=self.config.api_key or "missing",
            azure_endpoint=self.config.base_url,
            api_version=self.config.api_version or "2024-10-21",
            timeout=self.config.timeout,
            max_retries=0,
            http_client=_http(self.config.timeout),
        )

    def _model_param(self) -> str:
        return self.config.deployment or self.config.model

    def check_credentials(self) -> CredentialCheck:
        # Azure's data-plane keys cannot list deployments; a one-word call proves key and deployment.
        started = time.perf_counter()
        try:
            if "embedding" in self.config.model:
                self.embed(["ok"])
            else:
                self.generate([{"role": "user", "content": "ok"}], {"max_tokens": 1})
        except ProviderError as exc:
            return CredentialCheck(
                ok=False, reason=str(exc), latency_ms=round((time.perf_counter() - started) * 1000, 1)
            )
        return CredentialCheck(ok=True, latency_ms=round((time.perf_counter() - started) * 1000, 1))


class LocalServerProvider(OpenAIProvider):
    """An OpenAI-compatible server the tenant runs (llama.cpp's server, Ollama, vLLM): no API key,
    the server's URL required, free. A URL on the private network must be allow-listed in
    production (PULSE_OUTBOUND_ALLOWLIST); local mode reaches loopback."""

    key = "local_openai"

    def _client(self) -> openai.OpenAI:
        if not self.config.base_url:
            raise PermanentProviderError("local_openai: base_url (e.g. http://127.0.0.1:8080/v1) is required")
        return super()._client()


class GeminiProvider(OpenAIProvider):
    key = "google_gemini"

    def _client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key or "missing",
            base_url=self.config.base_url or GEMINI_BASE_URL,
            timeout=self.config.timeout,
            max_retries=0,
            http_client=_http(self.config.timeout),
        )

    def list_models(self) -> list[str]:
        # Gemini lists ids as "models/<name>"; callers configure the bare name.
        return sorted(name.removeprefix("models/") for name in super().list_models())
