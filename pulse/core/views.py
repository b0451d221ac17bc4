"""Plain Django views of the core: health probes and the signed-in home page."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pulse.core.health import readiness
from pulse.core.models import Integration


@require_GET
@never_cache
def healthz(request):
    """Alive: the process answers. Touches no dependency."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Ready: every dependency answers. 503 names the ones that do not."""
    ok, checks = readiness()
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


@login_required
def home(request):
    client = request.user.client
    steps = {}
    if client is not None:
        # Counts of what the tenant has set up, for the getting-started checklist. Core owns
        # integrations; the run count comes through the reverse relation, not an etl import.
        integrations = Integration.objects.for_client(client)
        steps = {
            "providers": integrations.filter(integration_type=Integration.Type.AI_MODEL).count(),
            "sources": integrations.exclude(integration_type=Integration.Type.AI_MODEL).count(),
            "runs": integrations.filter(etl_runs__isnull=False).values("etl_runs").count(),
        }
    return render(request, "core/home.html", {"client": client, "steps": steps})
