"""Alerts: raise, resolve, list, and notify a tenant's webhook.

Apps raise alerts where they see trouble (the execution path when a provider starts cooling down,
a sync's second failure in a row, beat's backfill watch, a priced call that takes a budget past
80 %); core knows none of them by name. A newly opened alert is POSTed to the tenant's webhook,
when one is set, by a Celery task after commit, through the outbound guard like every call to a
URL a tenant typed.
"""

import logging

import httpx
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone

from pulse.core.models import Alert, Client
from pulse.core.outbound import outbound_client, url_refusal
from pulse.core.queue import BrokerUnavailable, enqueue_on_commit

logger = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5.0


def alert_raise(*, client: Client, kind: str, key: str, title: str, detail: str = "") -> Alert:
    """Open the alert `key` (or count another occurrence of the open one). A newly opened alert is
    sent to the tenant's webhook after commit."""
    now = timezone.now()
    with transaction.atomic():
        alert = Alert.objects.for_client(client).select_for_update().filter(key=key).first()
        if alert is not None and alert.state == Alert.State.OPEN:
            Alert.objects.filter(pk=alert.pk).update(
                occurrences=F("occurrences") + 1, last_seen_at=now, title=title[:300], detail=detail
            )
            alert.refresh_from_db()
            return alert
        if alert is None:
            alert = _create(client=client, kind=kind, key=key, title=title, detail=detail, now=now)
        else:
            _reopen(alert, title=title, detail=detail, now=now)
        logger.warning("alert opened: %s", alert.title)
        if client.alert_webhook_url:
            _notify_later(alert)
    return alert


def _create(*, client: Client, kind: str, key: str, title: str, detail: str, now) -> Alert:
    try:
        with transaction.atomic():
            return Alert.objects.create(
                client=client, kind=kind, key=key, title=title[:300], detail=detail, opened_at=now, last_seen_at=now
            )
    except IntegrityError:  # raised at the same moment elsewhere: that row is the alert
        return Alert.objects.for_client(client).get(key=key)


def _reopen(alert: Alert, *, title: str, detail: str, now) -> None:
    alert.state, alert.occurrences, alert.title, alert.detail = Alert.State.OPEN, 1, title[:300], detail
    alert.opened_at = alert.last_seen_at = now
    alert.resolved_at = alert.notified_at = None
    alert.notify_error = ""
    alert.save()


def _notify_later(alert: Alert) -> None:
    try:
        enqueue_on_commit("pulse.core.alert_webhook_task", alert.pk)
    except BrokerUnavailable:
        # Outside a transaction the send is immediate; the alert itself stays shown in the hub.
        logger.warning("alert %s: the task queue is unreachable, its webhook is not sent", alert.pk)


def alert_resolve(*, alert: Alert) -> Alert:
    if alert.state == Alert.State.OPEN:
        Alert.objects.filter(pk=alert.pk).update(state=Alert.State.RESOLVED, resolved_at=timezone.now())
        alert.refresh_from_db()
    return alert


def alert_resolve_key(*, client: Client, key: str) -> int:
    """Resolve the open alert `key`, if any (the trouble is over: a sync succeeded, a provider answered)."""
    return (
        Alert.objects.for_client(client)
        .filter(key=key, state=Alert.State.OPEN)
        .update(state=Alert.State.RESOLVED, resolved_at=timezone.now())
    )


def alert_list(*, client: Client, state: str | None = Alert.State.OPEN, limit: int = 50) -> QuerySet[Alert]:
    alerts = Alert.objects.for_client(client)
    if state:
        alerts = alerts.filter(state=state)
    return alerts.order_by("-last_seen_at", "-id")[:limit]


def alert_open_count(*, client: Client) -> int:
    return Alert.objects.for_client(client).filter(state=Alert.State.OPEN).count()


def alert_get(*, client: Client, alert_id) -> Alert:
    try:
        return Alert.objects.for_client(client).get(pk=alert_id)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise Http404("No such alert.") from None


def alert_webhook_set(*, client: Client, url: str) -> Client:
    """Set (or clear, with '') where the tenant's alerts are POSTed; the URL is checked like every
    outbound URL, and again when it is called."""
    url = (url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"alert_webhook_url": "Enter an http(s) URL."}) from None
        if refusal := url_refusal(url):
            raise ValidationError(
                {"alert_webhook_url": f"Pulse may not call this address: {refusal}. An operator can allow a host "
                 "with PULSE_OUTBOUND_ALLOWLIST=host:port."}
            )  # fmt: skip
    Client.objects.filter(pk=client.pk).update(alert_webhook_url=url)
    client.alert_webhook_url = url
    return client


def alert_payload(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "title": alert.title,
        "detail": alert.detail,
        "state": alert.state,
        "opened_at": alert.opened_at.isoformat(),
        "occurrences": alert.occurrences,
        "tenant": alert.client.slug,
    }


def alert_webhook_send(*, alert_id: int) -> bool:
    """POST the alert to its tenant's webhook. Returns whether it was delivered; the outcome is kept
    on the alert (a refused or failing URL is shown in the hub, never retried forever)."""
    alert = Alert.objects.select_related("client").filter(pk=alert_id).first()
    if alert is None or not alert.client.alert_webhook_url:
        return False
    error = ""
    try:
        with outbound_client(timeout=WEBHOOK_TIMEOUT_SECONDS) as http:
            response = http.post(alert.client.alert_webhook_url, json=alert_payload(alert))
        if response.status_code >= 300:
            error = f"the webhook answered HTTP {response.status_code}"
    except httpx.HTTPError as exc:  # OutboundRefused included: its message says why, without the address
        error = (
            str(exc) if getattr(exc, "permanent", False) else f"the webhook could not be reached: {type(exc).__name__}"
        )
    Alert.objects.filter(pk=alert.pk).update(notified_at=None if error else timezone.now(), notify_error=error[:1000])
    return not error
