"""Secrets that local mode generates once into var/ and reuses on every start.

Production never comes here: its settings require the values from the environment.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def read_or_create(path: Path, make) -> str:
    """Return the secret stored at `path`, creating it with `make()` on first use.

    O_EXCL makes creation race-free when the web server and the worker start together.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        value = make()
        handle.write(value + "\n")
    return value


def django_secret_key(var_dir: Path) -> str:
    return read_or_create(var_dir / "secret_key", lambda: secrets.token_urlsafe(50))


def encryption_keys(var_dir: Path) -> list[str]:
    value = read_or_create(var_dir / "encryption_keys", lambda: Fernet.generate_key().decode())
    return [key.strip() for key in value.split(",") if key.strip()]
