"""A git source may only read absolute folders under PULSE_GIT_ROOTS, whichever face saves it."""

import pytest

from pulse.core.models import Integration

pytestmark = pytest.mark.django_db


def test_the_integrations_api_refuses_a_git_folder_outside_the_roots(admin_a, api_as, settings, tmp_path):
    settings.PULSE_GIT_ROOTS = [str(tmp_path / "allowed")]
    body = {"integration_type": "git", "integration_subtype": "data_source", "integration_name": "g"}
    api = api_as(admin_a)

    outside = api.post("/api/v1/integrations/", {**body, "configuration": {"path": "/etc"}})
    inside = api.post("/api/v1/integrations/", {**body, "configuration": {"path": str(tmp_path / "allowed" / "x")}})

    assert outside.status_code == 400 and "PULSE_GIT_ROOTS" in outside.json()["configuration"][0]
    assert inside.status_code == 201
    assert Integration.objects.filter(client=admin_a.client).count() == 1


def test_the_hub_refuses_a_relative_folder(client, admin_a):
    client.force_login(admin_a)

    response = client.post("/hub/sources/new/git/", {"name": "g", "path": "repos/x", "active": "on"})

    assert response.status_code == 400 and "An absolute folder" in response.content.decode()
    assert not Integration.objects.filter(client=admin_a.client).exists()
