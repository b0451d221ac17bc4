"""The provider interface: plain config in, plain data out. No models, no database.

Adapters implement `embed`, `generate`, `list_models` and `check_credentials`; the shared
concerns (retries, timeouts, fallback, cooldown, truncation, usage ledger, cost) live once in
`ai.execution`, around the adapters.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ai.providers import tokenizer
from ai.providers.catalog import ModelInfo, model_info
from ai.providers.errors import CapabilityError, ProviderError

TextSink = Callable[[str], None]


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


class BaseProvider:
    """An adapter. Subclasses override what they support; the rest raise CapabilityError."""

    key: str = ""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @property
    def model_info(self) -> ModelInfo:
        """Catalog facts for the configured model (dimensions and token limit from the config win)."""
        overrides = {"dimensions": self.config.dimensions, "max_tokens": self.config.max_input_tokens}
        return model_info(provider=self.key, model=self.config.model, overrides=overrides)

    def embed(self, texts: list[str]) -> EmbeddingResult:
        raise CapabilityError(f"{self.key} ({self.config.model}) does not produce embeddings.")

    def generate(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None, on_text: TextSink | None = None
    ) -> GenerationResult:
        """The model's reply. With `on_text`, an adapter that can stream hands it each piece of text
        as it arrives (the whole result is still returned at the end)."""
        raise CapabilityError(f"{self.key} ({self.config.model}) does not generate text.")

    def list_models(self) -> list[str]:
        raise CapabilityError(f"{self.key} cannot list its models.")

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model; adapters with an exact tokenizer override this."""
        return tokenizer.count_tokens(self.config.model, text)

    def truncate(self, text: str, max_tokens: int) -> str:
        return tokenizer.truncate(self.config.model, text, max_tokens)

    def warm_up(self) -> bool:
        """Load what the first call needs (a local model) before that call is timed; True when this
        call did the loading (a cold start). Remote adapters have nothing to load."""
        return False

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
