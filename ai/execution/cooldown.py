"""A provider that keeps failing rests for a while: routing and the execution path skip it.

Failures and cooldowns live in the shared cache, so every web and worker process sees them.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

from pulse.core.models import Integration

logger = logging.getLogger(__name__)


def _cooldown_key(integration: Integration) -> str:
    return f"ai:cooldown:{integration.pk}"


def _failures_key(integration: Integration) -> str:
    return f"ai:failures:{integration.pk}"


def cooling_down_until(integration: Integration) -> float | None:
    until = cache.get(_cooldown_key(integration))
    return until if until and until > time.time() else None


def note_failure(integration: Integration) -> None:
    key = _failures_key(integration)
    failures = (cache.get(key) or 0) + 1
    cache.set(key, failures, timeout=600)
    if failures >= int(getattr(settings, "AI_COOLDOWN_FAILURES", 3)):
        seconds = float(getattr(settings, "AI_COOLDOWN_SECONDS", 60))
        cache.set(_cooldown_key(integration), time.time() + seconds, timeout=int(seconds) + 1)
        cache.delete(key)
        logger.warning("integration %s cools down for %.0fs after %d failures", integration.pk, seconds, failures)


def note_success(integration: Integration) -> None:
    cache.delete(_failures_key(integration))
