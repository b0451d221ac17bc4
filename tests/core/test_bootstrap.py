import io

import pytest
from django.core.management import call_command

from pulse.core.models import Client, Integration, User

pytestmark = pytest.mark.django_db


def test_bootstrap_is_idempotent_and_prints_a_working_login(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first, second = io.StringIO(), io.StringIO()

    call_command("bootstrap", stdout=first)
    call_command("bootstrap", stdout=second)

    assert "created tenant 'demo'" in first.getvalue()
    assert "already bootstrapped" in second.getvalue()
    password = first.getvalue().strip().splitlines()[-1].split(" / ")[1]
    assert password in second.getvalue()  # every run prints the same working login
    user = User.objects.get(username="admin")
    assert user.check_password(password) and user.is_tenant_admin
    assert Client.objects.filter(slug="demo").count() == 1
    local = Integration.objects.get(client=user.client, integration_subtype="embedding")
    assert local.provider == "sentence_transformers"
    assert local.model_config["dimensions"] == 384
    assert local.credentials == {}
