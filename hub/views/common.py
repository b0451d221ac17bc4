"""What every hub page shares: the signed-in tenant, admin-only writes, the layout's context."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from pulse.core.alerts import alert_open_count
from pulse.core.services import integration_delete


def tenant_page(view):
    """Signed in and attached to an active tenant; `request.client` is that tenant. Every read of a
    hub view goes through it, so a page can only ever show the caller's tenant."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.client_id and user.client.active):
            return render(request, "hub/no_tenant.html", status=403)
        request.client = user.client
        request.can_edit = user.is_tenant_admin
        request.open_alerts = alert_open_count(client=user.client)  # the layout's Alerts tab
        return view(request, *args, **kwargs)

    return wrapper


def require_admin(request) -> None:
    """Members see every page read-only; any change needs the tenant admin role."""
    if not request.can_edit:
        raise PermissionDenied("Only tenant admins can change AI settings.")


def flash_service_error(request, error) -> None:
    """A service's ValidationError as one readable message (never a stack trace)."""
    if hasattr(error, "message_dict"):
        text = "; ".join(f"{field.replace('_', ' ')}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    else:
        text = " ".join(getattr(error, "messages", [str(error)]))
    messages.error(request, text)


def confirm_delete(request, integration, *, kind: str, back: str, done: str = "", blockers=(), delete=None):
    """GET: a page that asks first (naming what blocks the delete); POST (admins): delete (with
    `delete`, when the area has its own service), then back."""
    if request.method != "POST":
        context = {
            "object_label": integration.integration_name,
            "kind": kind,
            "blockers": list(blockers),
            "section": back.split(":")[1],
            "cancel_url": back,
        }
        return render(request, "hub/confirm_delete.html", context)
    require_admin(request)
    name = integration.integration_name
    try:
        if delete is not None:
            delete()
        else:
            integration_delete(integration=integration)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, f"Deleted {name}.{done}")
    return redirect(back)
