"""Plain Django views of the core: health probes and the signed-in home page."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pulse.core.health import readiness


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
    return render(request, "core/home.html", {"client": request.user.client})
