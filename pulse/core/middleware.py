"""Request context for logs and metrics: an id per request (echoed in `X-Request-ID`), the caller's
tenant, and the request's latency by view."""

import time

from pulse.core import logs
from pulse.core.metrics import REQUEST_SECONDS, seconds_since


class RequestContextMiddleware:
    """First in the chain: everything after it, logs included, runs inside the request's context."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        logs.clear()
        request.request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        logs.bind(request_id=request.request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[logs.REQUEST_ID_HEADER] = request.request_id
            match = getattr(request, "resolver_match", None)
            view = (match.view_name if match else "") or "unmatched"
            REQUEST_SECONDS.labels(view, request.method, str(response.status_code)).observe(seconds_since(started))
            return response
        finally:
            logs.clear()


class TenantContextMiddleware:
    """After authentication: a signed-in user's tenant joins the log context. (API tokens are
    read later, by DRF; their authentication binds the tenant itself.)"""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.client_id:
            logs.bind(tenant_id=user.client_id)
        return self.get_response(request)
