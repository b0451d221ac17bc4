"""A provider that keeps failing rests for a while: routing and the execution path skip it.

Failures and cooldowns live in the shared cache, so every web and worker process sees them. A
cooldown is counted in the metrics and opens a "provider failing" alert, which the provider's
next success resolves.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

from pulse.core.alerts import alert_raise, alert_resolve_key
from pulse.core.metrics import AI_COOLDOWNS, tenant_label
from pulse.core.models import Alert, Integration

logger = logging.getLogger(__name__)


def _cooldown_key(integration: Integration) -> str:
    return f"ai:cooldown:{integration.pk}"


def _failures_key(integration: Integration) -> str:
    return f"ai:failures:{integration.pk}"


def _alerted_key(integration: Integration) -> str:
    return f"ai:alerted:{integration.pk}"


def _alert_key(integration: Integration) -> str:
    return f"provider:{integration.pk}"


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
        AI_COOLDOWNS.labels(integration.provider, tenant_label(integration.client)).inc()
        alert_raise(
            client=integration.client,
            kind=Alert.Kind.PROVIDER_FAILING,
            key=_alert_key(integration),
            title=f"{integration.integration_name} keeps failing",
            detail=f"{failures} calls in a row failed; Pulse skips it for {seconds:.0f} s and uses its fallback.",
        )
        cache.set(_alerted_key(integration), True, timeout=None)


def note_success(integration: Integration) -> None:
    cache.delete(_failures_key(integration))
    if cache.get(_alerted_key(integration)):  # only a provider that raised an alert costs a query here
        alert_resolve_key(client=integration.client, key=_alert_key(integration))
        cache.delete(_alerted_key(integration))
