"""What can go wrong with AI in Pulse, as one family: every AI failure derives from `AIError`.

Callers catch `AIError` alone (a backfill batch, a sync's vectorize step, the hub's test pages).
Each subclass says how the API answers it (`http_status`) and whether trying again can help
(`permanent`). The family is defined here, in the bottom wing, because adapters raise it and
adapters import nothing from the rest of `ai`.
"""


class AIError(Exception):
    """Any AI failure: a provider call, a budget refusal, no provider, a refused batch."""

    http_status = 502
    permanent = False


class ProviderError(AIError):
    """A provider call failed. `permanent` errors are never retried (bad key, bad request)."""

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


class DimensionMismatchError(PermanentProviderError):
    """The provider returned vectors of another size than its model is configured for."""


class UnknownProviderError(AIError, ValueError):
    """No adapter is registered under this provider key."""

    http_status = 400
    permanent = True


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


def check_header_value(provider: str, secret: str) -> None:
    """A key travels in an HTTP header, which carries printable ASCII only: a stored key with other
    characters is a permanent error naming the provider, never a crash inside the HTTP client."""
    if secret and not (secret.isascii() and secret.isprintable()):
        raise PermanentProviderError(f"{provider}: the API key has characters an HTTP header cannot carry")
