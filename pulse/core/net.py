"""Who is calling: the client's address as the trusted proxies saw it, and the answer to a locked-out
sign-in."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

LOCKED_OUT = "Too many failed sign-in attempts. Try again later."


def client_ip(request) -> str:
    """With N trusted proxies that each append to X-Forwarded-For, the N-th entry from the right;
    with none, REMOTE_ADDR. What a client wrote into the header sits left of that and is never
    read (the same rule as DRF's NUM_PROXIES)."""
    count = settings.PULSE_TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count <= 0 or not forwarded:
        return remote
    return forwarded[-min(count, len(forwarded))]


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: JSON under /api/, a plain page elsewhere."""
    headers = {"Retry-After": str(lockout_seconds())}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED_OUT, "error": "LockedOut"}, status=429, headers=headers)
    return HttpResponse(LOCKED_OUT, status=429, headers=headers, content_type="text/plain; charset=utf-8")
