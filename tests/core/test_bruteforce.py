"""Sign-in is locked by account and by client address on every face (token endpoint, login page,
admin login), and a client rotating X-Forwarded-For behind one trusted proxy gains nothing."""

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"  # REMOTE_ADDR is always the proxy in front of Pulse
PASSWORD = "right-password-42"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.PULSE_TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


@pytest.fixture
def alice(tenant_a):
    user = make_user(tenant_a, "alice", role="admin", password=PASSWORD)
    user.is_staff = True
    user.save()
    return user


def _token(client, username, password, forwarded_for):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_rotating_forwarded_for_does_not_bypass_the_account_lock(client, alice):
    codes = [_token(client, "alice", "guess", f"198.51.100.{i}, 203.0.113.7").status_code for i in range(5)]
    locked = _token(client, "alice", PASSWORD, "198.51.100.200, 203.0.113.7")

    assert codes == [400, 400, 400, 400, 429]
    assert locked.status_code == 429 and locked.json()["error"] == "LockedOut" and locked["Retry-After"] == "900"


def test_an_account_is_locked_from_every_address(client, alice):
    for i in range(5):
        _token(client, "alice", "guess", f"203.0.113.{i}")

    assert _token(client, "alice", PASSWORD, "192.0.2.99").status_code == 429


def test_an_address_is_locked_for_every_account(client, alice):
    for i in range(5):
        _token(client, f"user{i}", "guess", "203.0.113.7")

    assert _token(client, "alice", PASSWORD, "203.0.113.7").status_code == 429
    assert _token(client, "alice", PASSWORD, "203.0.113.8").status_code == 201


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_browser_logins_lock_too(client, alice, url):
    def attempt(password, forwarded_for):
        data = {"username": "alice", "password": password}
        return client.post(url, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    codes = [attempt("guess", f"198.51.100.{i}, 203.0.113.7") for i in range(5)]

    assert codes == [200, 200, 200, 200, 429]
    assert attempt(PASSWORD, "203.0.113.7") == 429


def test_the_token_throttle_counts_the_proxys_address_not_the_header(client, alice, settings):
    settings.AXES_ENABLED = False

    codes = [_token(client, "alice", "guess", f"198.51.100.{i % 250}, 203.0.113.7").status_code for i in range(61)]

    assert codes[:60] == [400] * 60 and codes[60] == 429
