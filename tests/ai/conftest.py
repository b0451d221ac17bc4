import pytest


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    # Keep real backoff arithmetic but at millisecond scale; Retry-After is still honoured as sent.
    settings.AI_RETRY_BASE_SECONDS = 0.001
    settings.AI_RETRY_MAX_SECONDS = 0.01
