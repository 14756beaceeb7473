"""Passwords in the OS keyring, service ``tenso``; never in the settings file or a log.

Keys (INTERFACES.md): ``common`` (the 共通アカウント towards destinations),
``user:ADDRESS`` (a local user's own account towards destinations) and
``local:ADDRESS`` (the password a local user logs in to Tenso with).  keyring
is called plainly so its own configuration (``PYTHON_KEYRING_BACKEND``, its
config file) picks the backend.  Every call may block: call from a thread.
"""

from __future__ import annotations

import keyring
import keyring.errors

from app import addresses

SERVICE = "tenso"


class PasswordStoreError(Exception):
    """The keyring cannot be used; the message says what to do."""


def normalize_key(key: str) -> str:
    kind, sep, address = key.partition(":")
    if key == "common":
        return key
    if sep and kind in ("user", "local") and addresses.is_address(address):
        return f"{kind}:{addresses.normalize(address)}"
    raise ValueError(f"{key!r}: the key must be common, user:ADDRESS or local:ADDRESS")


def _call(fn, *args):
    try:
        return fn(*args)
    except keyring.errors.NoKeyringError as exc:
        raise PasswordStoreError(
            "no OS keyring is available on this machine; install one (Windows Credential Manager, "
            "Secret Service) or choose a keyring backend explicitly with PYTHON_KEYRING_BACKEND"
        ) from exc
    except keyring.errors.KeyringError as exc:
        raise PasswordStoreError(f"the keyring refused the request: {exc}") from exc


def get(key: str) -> str | None:
    return _call(keyring.get_password, SERVICE, normalize_key(key))


def set(key: str, password: str) -> None:  # noqa: A001 - mirrors `password set`
    _call(keyring.set_password, SERVICE, normalize_key(key), password)


def delete(key: str) -> None:
    try:
        _call(keyring.delete_password, SERVICE, normalize_key(key))
    except PasswordStoreError as exc:
        if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
            raise
