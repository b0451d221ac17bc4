"""The provider interface: plain config in, plain data out. No models, no database.

Adapters implement `embed`, `generate`, `list_models` and `check_credentials`; the shared
concerns (retries, timeouts, fallback, cooldown, truncation, usage ledger, cost) live once in
`ai.execution`, around the adapters.
"""

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderConfig:
    """Everything an adapter needs. `api_key` is excluded from repr so it never reaches a log."""

    provider: str
    model: str
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    api_version: str = ""
    deployment: str = ""
    organization: str = ""
    dimensions: int | None = None
    max_input_tokens: int | None = None
    timeout: float = 30.0
    batch_size: int = 64
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: list[list[float]]
    usage: Usage
    model: str


@dataclass(frozen=True)
class GenerationResult:
    text: str
    usage: Usage
    model: str
    finish_reason: str = ""


@dataclass(frozen=True)
class CredentialCheck:
    ok: bool
    reason: str = ""
    latency_ms: float = 0.0


@dataclass(frozen=True)
class ModelInfo:
    name: str
    provider: str
    dimensions: int | None
    max_tokens: int | None
    input_price_per_1k: float | None  # USD; None = unknown (recorded as unpriced, never as $0)
    output_price_per_1k: float | None
    capabilities: tuple[str, ...]
    tier: str  # fast | balanced | quality


class ProviderError(Exception):
    """A provider call failed. `permanent` errors are never retried (bad key, bad request)."""

    permanent = False

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class TransientProviderError(ProviderError):
    """Timeouts, rate limits, 5xx: worth another try."""


class PermanentProviderError(ProviderError):
    """401, 403, 400 and the like: retrying cannot help."""

    permanent = True


class CapabilityError(PermanentProviderError):
    """The provider or model cannot do this at all (for example: Claude has no embeddings)."""


def error_from_status(status: int, message: str, *, retry_after: float | None = None) -> ProviderError:
    """Classify an HTTP status the way every adapter should."""
    if status == 429 or status == 408 or status >= 500:
        return TransientProviderError(message, status_code=status, retry_after=retry_after)
    return PermanentProviderError(message, status_code=status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds; HTTP dates are treated as absent)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class BaseProvider:
    """An adapter. Subclasses override what they support; the rest raise CapabilityError."""

    key: str = ""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @property
    def model_info(self) -> ModelInfo:
        """Catalog facts for the configured model (dimensions and token limit from the config win)."""
        from ai.catalog import model_info

        overrides = {"dimensions": self.config.dimensions, "max_tokens": self.config.max_input_tokens}
        return model_info(provider=self.key, model=self.config.model, overrides=overrides)

    def embed(self, texts: list[str]) -> EmbeddingResult:
        raise CapabilityError(f"{self.key} ({self.config.model}) does not produce embeddings.")

    def generate(self, messages: list[dict[str, str]], params: dict[str, Any] | None = None) -> GenerationResult:
        raise CapabilityError(f"{self.key} ({self.config.model}) does not generate text.")

    def list_models(self) -> list[str]:
        raise CapabilityError(f"{self.key} cannot list its models.")

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model; adapters with an exact tokenizer override this."""
        from ai.tokens import count_tokens

        return count_tokens(self.config.model, text)

    def truncate(self, text: str, max_tokens: int) -> str:
        from ai.tokens import truncate

        return truncate(self.config.model, text, max_tokens)

    def check_credentials(self) -> CredentialCheck:
        """A cheap authenticated call. Returns ok, or a reason a person can act on."""
        started = time.perf_counter()
        try:
            self.list_models()
        except ProviderError as exc:
            return CredentialCheck(ok=False, reason=str(exc), latency_ms=_ms(started))
        return CredentialCheck(ok=True, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
