"""Tenants and their people: create a tenant with its first admin, add users with a role,
deactivate (or reactivate) a tenant. The `tenant` command and the admin call these; `bootstrap`
stays the demo's own shortcut.

A password is either given (and checked by Django's validators) or generated, returned once for
the caller to hand over, and never stored in plain text. A deactivated tenant keeps its data, but
its users' pages and API tokens reach nothing and its scheduled syncs do not run.
"""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from pulse.core.models import Client, User

ROLES = tuple(User.Role.values)


def _password(password: str | None, user: User) -> str:
    if not password:
        return secrets.token_urlsafe(12)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    return password


def user_problems(*, username: str, role: str, email: str) -> dict[str, str]:
    """What is wrong with a new user's username, role and e-mail (an empty dict: nothing)."""
    errors = {}
    if not username:
        errors["username"] = "A username is required."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The username '{username}' is taken."
    if role not in ROLES:
        errors["role"] = f"One of: {', '.join(ROLES)}."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter a valid e-mail address."
    return errors


@transaction.atomic
def user_add(
    *, client: Client, username: str, role: str = User.Role.MEMBER, email: str = "", password: str | None = None
) -> tuple[User, str]:
    """A new user of `client`. Returns the user and its password (the one given, or a generated one)."""
    username = (username or "").strip()
    if errors := user_problems(username=username, role=role, email=email):
        raise ValidationError(errors)
    user = User(username=username, email=email, client=client, role=role)
    password = _password(password, user)
    user.set_password(password)
    user.save()
    return user, password


@transaction.atomic
def tenant_create(
    *, name: str, slug: str = "", admin_username: str, admin_email: str = "", password: str | None = None
) -> tuple[Client, User, str]:
    """A tenant and its first admin. Returns both and the admin's password."""
    name, slug = (name or "").strip(), slugify(slug or name)
    if errors := tenant_problems(name=name, slug=slug):
        raise ValidationError(errors)
    client = Client.objects.create(name=name, slug=slug)
    user, password = user_add(
        client=client, username=admin_username, role=User.Role.ADMIN, email=admin_email, password=password
    )
    return client, user, password


def tenant_problems(*, name: str, slug: str) -> dict[str, str]:
    if not name:
        return {"name": "A name is required."}
    if not slug:
        return {"slug": "Letters, digits and hyphens, e.g. acme."}
    if Client.objects.filter(slug=slug).exists():
        return {"slug": f"A tenant with the slug '{slug}' exists."}
    return {}


def password_problem(*, password: str, username: str) -> str | None:
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def tenant_set_active(*, client: Client, active: bool) -> Client:
    Client.objects.filter(pk=client.pk).update(active=active)
    client.active = active
    return client
