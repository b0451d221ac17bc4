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
from typing import Any

import openai

from ai.providers.base import BaseProvider, CredentialCheck, EmbeddingResult, GenerationResult, Usage
from ai.providers.errors import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
    error_from_status,
    parse_retry_after,
)

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"


def translate_openai_error(exc: Exception, provider: str) -> ProviderError:
    """One error type for every OpenAI-compatible failure, classified permanent or transient."""
    if isinstance(exc, openai.APITimeoutError):
        return TransientProviderError(f"{provider}: request timed out")
    if isinstance(exc, openai.APIConnectionError):
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
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body)
    if isinstance(inner, dict) and inner.get("message"):
        return str(inner["message"])[:300]
    return exc.message[:300]


class OpenAIProvider(BaseProvider):
    key = "openai"

    def _client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key or "missing",
            base_url=self.config.base_url or None,
            organization=self.config.organization or None,
            timeout=self.config.timeout,
            max_retries=0,
        )

    def _model_param(self) -> str:
        return self.config.model

    def embed(self, texts: list[str]) -> EmbeddingResult:
        params: dict[str, Any] = {"model": self._model_param(), "input": texts, "encoding_format": "float"}
        if self.config.dimensions and self.config.extra.get("send_dimensions"):
            params["dimensions"] = self.config.dimensions
        try:
            response = self._client().embeddings.create(**params)
        except openai.OpenAIError as exc:
            raise translate_openai_error(exc, self.key) from None
        ordered = sorted(response.data, key=lambda item: item.index)
        if len(ordered) != len(texts):
            raise TransientProviderError(f"{self.key}: asked for {len(texts)} embeddings, got {len(ordered)}")
        usage = response.usage
        return EmbeddingResult(
            vectors=[list(item.embedding) for item in ordered],
            usage=Usage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0),
            model=response.model or self.config.model,
        )

    def generate(self, messages: list[dict[str, str]], params: dict[str, Any] | None = None) -> GenerationResult:
        params = dict(params or {})
        try:
            response = self._client().chat.completions.create(model=self._model_param(), messages=messages, **params)
        except openai.OpenAIError as exc:
            raise translate_openai_error(exc, self.key) from None
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

    def list_models(self) -> list[str]:
        try:
            return sorted(model.id for model in self._client().models.list())
        except openai.OpenAIError as exc:
            raise translate_openai_error(exc, self.key) from None


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


class GeminiProvider(OpenAIProvider):
    key = "google_gemini"

    def _client(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self.config.api_key or "missing",
            base_url=self.config.base_url or GEMINI_BASE_URL,
            timeout=self.config.timeout,
            max_retries=0,
        )

    def list_models(self) -> list[str]:
        # Gemini lists ids as "models/<name>"; callers configure the bare name.
        return sorted(name.removeprefix("models/") for name in super().list_models())
