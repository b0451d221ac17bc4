"""API tokens: random, shown once, stored only as a SHA-256 digest; named, one per name and user
(creating a token with a name the user already has replaces it), listed and revoked."""

import hashlib
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from pulse.core.models import ApiToken, User

TOKEN_PREFIX = "pulse_"  # noqa: S105 - a public marker, not a secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create `user`'s token called `name`, revoking the one it replaces. Returns the row and the
    plaintext token, which is never stored."""
    name = (name or "default").strip()[:100] or "default"
    ApiToken.objects.filter(user=user, name=name).delete()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[: len(TOKEN_PREFIX) + 6], digest=_digest(token))
    return row, token


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The tokens `user` may see: their own; a tenant admin's also those of their tenant's users."""
    tokens = ApiToken.objects.select_related("user")
    if user.is_tenant_admin:
        return tokens.filter(user__client=user.client_id).order_by("user__username", "name")
    return tokens.filter(user=user).order_by("name")


def api_token_get(*, user: User, token_id) -> ApiToken:
    try:
        return api_token_list(user=user).get(pk=token_id)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such token.") from None


def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()


def api_token_authenticate(*, token: str) -> User | None:
    row = ApiToken.objects.select_related("user").filter(digest=_digest(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute per token so authentication is not a write per request.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
