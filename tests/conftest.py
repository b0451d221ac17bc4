from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import make_client, make_user

pytest_plugins = ["tests.secret_guard", "tests.llama"]
GROOVY_30 = Path(__file__).resolve().parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


@pytest.fixture
def tenant_a(db):
    return make_client("Tenant A")


@pytest.fixture
def tenant_b(db):
    return make_client("Tenant B")


@pytest.fixture
def admin_a(tenant_a):
    return make_user(tenant_a, "alice", role="admin")


@pytest.fixture
def member_a(tenant_a):
    return make_user(tenant_a, "mallory", role="member")


@pytest.fixture
def admin_b(tenant_b):
    return make_user(tenant_b, "bob", role="admin")


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticated as that user through a real API token."""
    from itertools import count

    from pulse.core.api_tokens import api_token_create

    names = count(1)

    def _client(user):
        # A name per client: a second token of one name replaces (revokes) the first.
        _, token = api_token_create(user=user, name=f"test-{next(names)}")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return api

    return _client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's deliberate slowness protects stored passwords, not test runs.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cooldowns and throttles live in the shared cache; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def groovy_rows(tenant_a):
    """Tenant A holding 30 real apache/groovy commits as rows (not embedded), with the local model as
    its embedding provider: what the SQL agent needs (it embeds questions to match its pairs)."""
    from etl.services.imports import commits_import_file
    from tests.ai.factories import local_embedding

    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=GROOVY_30, vectorize=False)
    return tenant_a
