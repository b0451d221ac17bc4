"""Secret encryption at rest with MultiFernet, so keys rotate without downtime.

Keys come from settings.PULSE_ENCRYPTION_KEYS, newest first: new values are encrypted with
the newest key, and values written under any listed key still decrypt.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("PULSE_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PULSE_ENCRYPTION_KEYS must be url-safe base64 Fernet keys "
            "(generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.PULSE_ENCRYPTION_KEYS))


def encrypt_json(value: dict) -> str:
    return _current().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with PULSE_ENCRYPTION_KEYS; "
            "was a key removed before `rotate_encryption_keys` ran?"
        ) from exc


def mask_secret(value: object) -> str:
    """A display form that never reveals a usable secret: at most the last 4 characters of a long one."""
    text = "" if value is None else str(value)
    if len(text) >= 16:
        return "••••" + text[-4:]
    return "••••" if text else ""


def mask_credentials(credentials: dict) -> dict:
    return {name: mask_secret(value) for name, value in sorted(credentials.items())}


def redact(text: str, secrets) -> str:
    """`text` with every secret in `secrets` replaced: a provider that echoes its key in an error
    message must not have it stored in a test result or shown to anyone."""
    for secret in sorted((str(s) for s in secrets if s and len(str(s)) >= 4), key=len, reverse=True):
        text = text.replace(secret, "••••")
    return text
