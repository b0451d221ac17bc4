import pytest

from tests.analytics.sql_data import MARK, records


@pytest.fixture
def two_tenants(tenant_a, tenant_b):
    """Tenant A with 4 commits in acme/a; tenant B with 6 marked ones (MARK) in acme/b."""
    records(tenant_a, mark="A", commits=4, repository="acme/a")
    records(tenant_b, mark=MARK, commits=6, repository="acme/b")
    return tenant_a, tenant_b
