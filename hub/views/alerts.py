"""Alerts: what Pulse raised (a provider failing, a sync failing twice, a stuck backfill, a budget
nearly used), resolving them, and the tenant's webhook for new ones."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from hub.forms import WebhookForm
from hub.views.common import flash_service_error, require_admin, tenant_page
from pulse.core.alerts import alert_get, alert_list, alert_resolve, alert_webhook_set
from pulse.core.models import Alert


@tenant_page
@require_GET
def alerts_page(request):
    return render(
        request,
        "hub/alerts.html",
        {
            "section": "alerts",
            "open_alerts": alert_list(client=request.client),
            "resolved_alerts": alert_list(client=request.client, state=Alert.State.RESOLVED, limit=20),
            "budget_percent": settings.PULSE_ALERT_BUDGET_PERCENT,
            "webhook_form": WebhookForm(initial={"alert_webhook_url": request.client.alert_webhook_url}),
        },
    )


@tenant_page
@require_POST
def alert_resolve_view(request, alert_id: int):
    """Any member may resolve an alert: it changes no setting. It reopens if the trouble comes back."""
    alert = alert_resolve(alert=alert_get(client=request.client, alert_id=alert_id))
    messages.success(request, f"Resolved “{alert.title}”.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/hub/") else "hub:alerts")


@tenant_page
@require_POST
def alert_webhook_view(request):
    require_admin(request)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Webhook URL: " + " ".join(form.errors.get("alert_webhook_url", ["invalid."])))
        return redirect("hub:alerts")
    try:
        alert_webhook_set(client=request.client, url=form.cleaned_data["alert_webhook_url"])
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        url = form.cleaned_data["alert_webhook_url"]
        messages.success(request, f"New alerts are POSTed to {url}." if url else "Alerts are no longer sent anywhere.")
    return redirect("hub:alerts")
