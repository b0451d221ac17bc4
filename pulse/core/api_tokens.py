"""API tokens: random, shown once, stored only as a SHA-256 digest."""

import hashlib
import secrets

from django.utils import timezone

from pulse.core.models import ApiToken, User

TOKEN_PREFIX = "pulse_"  # noqa: S105 - a public marker, not a secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create a token for `user`. Returns the row and the plaintext token, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, prefix=token[: len(TOKEN_PREFIX) + 6], digest=_digest(token))
    return row, token


def api_token_authenticate(*, token: str) -> User | None:
    row = ApiToken.objects.select_related("user").filter(digest=_digest(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute per token so authentication is not a write per request.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
