"""Plain Django views of the core: health probes, metrics and the signed-in home page."""

import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pulse.core.health import readiness
from pulse.core.metrics import exposition
from pulse.core.models import Integration
from pulse.core.net import client_ip

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_GET
@never_cache
def healthz(request):
    """Alive: the process answers. Touches no dependency."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Ready: every dependency answers; 503 names the ones that do not. The public sees each check's
    status and latency; signed-in staff also see details and errors (hosts, paths, messages)."""
    ok, checks = readiness()
    if not (request.user.is_authenticated and request.user.is_staff):
        checks = {name: {"status": c["status"], "latency_ms": c["latency_ms"]} for name, c in checks.items()}
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


def _metrics_allowed(request) -> bool:
    """A bearer token equal to PULSE_METRICS_TOKEN, or a client address in PULSE_METRICS_ALLOWED_NETWORKS."""
    token = settings.PULSE_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.PULSE_METRICS_ALLOWED_NETWORKS)


@require_GET
@never_cache
def metrics(request):
    """Prometheus metrics of every Pulse process (pulse/core/metrics.py), for the operator only."""
    if not _metrics_allowed(request):
        return HttpResponse(
            "Metrics need PULSE_METRICS_TOKEN (Authorization: Bearer) or an address in "
            "PULSE_METRICS_ALLOWED_NETWORKS.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(), content_type=PROMETHEUS_CONTENT_TYPE)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page's <link rel="icon"> says. The static URL is
    read per request: in production it is the hashed name from collectstatic's manifest."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def bad_request(request, exception):
    """Django's 400 handler: JSON under /api/ (413 for a body over the limit), the page elsewhere."""
    too_big = isinstance(exception, RequestDataTooBig)
    status = 413 if too_big else 400
    if request.path.startswith("/api/"):
        detail = "The request body is larger than this server accepts." if too_big else "Bad request."
        return JsonResponse({"detail": detail}, status=status)
    response = defaults.bad_request(request, exception)
    response.status_code = status
    return response


def not_found(request, exception):
    """Django's 404 handler: JSON under /api/ (a path that matches no route, e.g. a non-integer id)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


@login_required
def home(request):
    client = request.user.client
    steps = {}
    if client is not None:
        # The getting-started checklist ticks what is done, not what exists: a provider whose last
        # test passed, a sync that completed. Core owns integrations; runs come through the reverse
        # relation, not an etl import.
        integrations = Integration.objects.for_client(client)
        providers = integrations.filter(integration_type=Integration.Type.AI_MODEL)
        sources = integrations.exclude(integration_type=Integration.Type.AI_MODEL)
        steps = {
            "providers": providers.count(),
            "tested": providers.filter(performance_config__last_test__ok=True).count(),
            "sources": sources.count(),
            "synced": sources.filter(etl_runs__status__in=("succeeded", "partial")).values("etl_runs").count(),
        }
    return render(request, "core/home.html", {"client": client, "steps": steps})
