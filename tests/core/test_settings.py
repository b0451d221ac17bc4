"""Production has no defaults for its secrets or broker; local mode generates what it needs."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

CHECK = "import django; django.setup(); from django.conf import settings; print(settings.CELERY_BROKER_URL)"


def _run(env_overrides: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PULSE_ENCRYPTION_KEYS", "CELERY_BROKER_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "pulse.settings", "PULSE_VAR_DIR": str(tmp_path), **env_overrides})
    return subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=60)


PRODUCTION = {
    "PULSE_ENV": "production",
    "SECRET_KEY": "s" * 50,
    "ALLOWED_HOSTS": "pulse.example.com",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("PULSE_ENCRYPTION_KEYS", "PULSE_ENCRYPTION_KEYS is required in production"),
        ("CELERY_BROKER_URL", "CELERY_BROKER_URL is required in production"),
        ("SECRET_KEY", "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_a_secret(tmp_path, missing, message):
    env = {**PRODUCTION, "PULSE_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    env.pop(missing)

    result = _run(env, tmp_path)

    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "encryption_keys").exists()


def test_production_starts_with_its_settings(tmp_path):
    result = _run({**PRODUCTION, "PULSE_ENCRYPTION_KEYS": Fernet.generate_key().decode()}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "redis://127.0.0.1:6379/0"


def test_local_mode_generates_its_keys_once_and_uses_the_filesystem_broker(tmp_path):
    first = _run({"PULSE_ENV": "local"}, tmp_path)
    key = (tmp_path / "encryption_keys").read_text()
    second = _run({"PULSE_ENV": "local"}, tmp_path)

    assert first.returncode == 0 and second.returncode == 0, first.stderr
    assert first.stdout.strip() == "filesystem://"
    assert (tmp_path / "encryption_keys").read_text() == key
    Fernet(key.strip().encode())  # a valid key
    assert oct((tmp_path / "encryption_keys").stat().st_mode & 0o777) == "0o600"


HTTPS_CHECK = (
    "import django; django.setup(); from django.test import Client; c = Client(); "
    "r = c.get('/healthz'); print(r.status_code); "
    "r = c.get('/accounts/login/'); print(r.status_code, r.headers.get('Location')); "
    "r = c.get('/healthz', HTTP_X_FORWARDED_PROTO='https', secure=True); "
    "print(r.status_code, r.headers.get('Strict-Transport-Security'))"
)


def test_production_redirects_to_https_and_sends_hsts_but_probes_stay_plain(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PULSE_ENCRYPTION_KEYS")}
    env.update(
        {
            **PRODUCTION,
            "DJANGO_SETTINGS_MODULE": "pulse.settings",
            "PULSE_VAR_DIR": str(tmp_path),
            "PULSE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "testserver",
        }
    )
    result = subprocess.run([sys.executable, "-c", HTTPS_CHECK], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    probe, redirect, secure = result.stdout.strip().splitlines()
    assert probe == "200"
    assert redirect == "301 https://testserver/accounts/login/"
    assert secure == "200 max-age=3600; includeSubDomains"
