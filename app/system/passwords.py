"""Passwords in the OS keyring, service ``tenso``; never in the settings file or a log.

Keys (the README's "Passwords"): ``common`` (the 共通アカウント towards destinations),
``user:ADDRESS`` (a local user's own account towards destinations) and
``local:ADDRESS`` (the password a local user logs in to Tenso with).  keyring
is called plainly so its own configuration (``PYTHON_KEYRING_BACKEND``, its
config file) picks the backend.  Every call may block: call from a thread.
keyring (and all it imports) is loaded at the first call, not with
this module: most of Tenso's processes never read a password.
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.mail import addresses

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


def keyring_problem() -> str:
    """Empty when a usable keyring is configured, else why not (for the window and the log)."""
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or (isinstance(backend, chainer.ChainerBackend) and not backend.backends):
        return "no OS keyring is available on this machine"
    return ""


def file_keyring_choice(data_dir: Path) -> Path:
    """Where the administrator's explicit "use a file keyring" choice is recorded."""
    return data_dir / "use-file-keyring"


def use_file_keyring(data_dir: Path) -> Path:
    """Stores passwords in a file in the data folder (keyrings.alt's plain-text file backend).

    Only ever on the administrator's explicit choice: the file is protected by the
    account's file permissions alone.  Returns the file's path.
    """
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    path = data_dir / "keyring.cfg"
    backend.file_path = str(path)
    keyring.set_keyring(backend)
    return path


def apply_saved_choice(data_dir: Path) -> Path | None:
    """At start: honour an earlier explicit choice of the file keyring when no OS keyring exists."""
    if keyring_problem() and file_keyring_choice(data_dir).exists():
        return use_file_keyring(data_dir)
    return None


def _call(name: str, *args):
    import keyring
    import keyring.errors

    try:
        return getattr(keyring, name)(*args)
    except keyring.errors.NoKeyringError as exc:
        raise PasswordStoreError(
            "no OS keyring is available on this machine; install one (Windows Credential Manager, "
            "Secret Service) or choose a keyring backend explicitly with PYTHON_KEYRING_BACKEND"
        ) from exc
    except keyring.errors.KeyringError as exc:
        raise PasswordStoreError(f"the keyring refused the request: {exc}") from exc


_choice_lock = threading.Lock()
_choice_checked = False


def _saved_choice_once() -> None:
    """A process that reads passwords without having started the window (the delivery
    process) still honours the administrator's file-keyring choice."""
    global _choice_checked
    with _choice_lock:
        if not _choice_checked:
            from app.system.paths import data_dir

            apply_saved_choice(data_dir())
            _choice_checked = True


def get(key: str) -> str | None:
    _saved_choice_once()
    return _call("get_password", SERVICE, normalize_key(key))


def set(key: str, password: str) -> None:  # mirrors `password set`
    _call("set_password", SERVICE, normalize_key(key), password)


def delete(key: str) -> None:
    try:
        _call("delete_password", SERVICE, normalize_key(key))
    except PasswordStoreError as exc:
        import keyring.errors

        if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
            raise
