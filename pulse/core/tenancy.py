"""The one way to reach tenant-owned rows: `Model.objects.for_client(client)`.

Every tenant-owned model inherits `TenantOwnedModel`, whose manager has no other entry point
used by views and selectors. The client always comes from the authenticated user
(`request.user.client`), never from the request body or query string.
"""

from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_client(self, client) -> "TenantQuerySet":
        if client is None:
            # A missing tenant must never widen a query to every tenant.
            return self.none()
        return self.filter(client=client)


class TenantOwnedModel(models.Model):
    client = models.ForeignKey("core.Client", on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
