from rest_framework import permissions


class IsTenantMember(permissions.BasePermission):
    """Authenticated and attached to a tenant; writes need the tenant admin role."""

    message = "Your account belongs to no tenant."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.client_id and user.client.active):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "members_may_write", False):
            return True
        self.message = "Only tenant admins can change this."
        return user.is_tenant_admin
