"""Passwords in the OS keyring, service ``tenso``; never in the settings file or a log.

Keys: ``common``, ``user:ADDRESS``, ``local:ADDRESS``, ``account:NAME``, ``device:NAME`` and
``tokens:NAME``, built and normalised by app/settings/keys.py (docs/accounts.md, "Passwords");
every key handed to ``get``, ``set`` and ``delete`` is normalised there first.  keyring
is called plainly so its own configuration (``PYTHON_KEYRING_BACKEND``, its
config file) picks the backend.  Every call may block: call from a thread.
keyring (and all it imports) is loaded at the first call, not with
this module: most of Tenso's processes never read a password.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.settings import keys

SERVICE = "tenso"


class PasswordStoreError(Exception):
    """The keyring cannot be used; the message says what to do."""


def normalize_key(key: str) -> str:
    """The key as the keyring holds it; ValueError when it is none (``password set KEY``)."""
    return keys.normalize(key)


NO_OS_KEYRING = (
    "no OS keyring is available on this machine (Windows Credential Manager, macOS Keychain, "
    "Secret Service), so passwords cannot be stored safely; to keep them in a file in Tenso's data "
    "folder instead, readable by anyone who can read this account's files, run "
    "python -m app password use-file (or press the button in the window)"
)
PROMPTS = (
    "the keyring backend {0} asks for its own password on a terminal, which a gateway running in "
    "the background can never answer; choose another one with PYTHON_KEYRING_BACKEND, or run "
    "python -m app password use-file"
)

_file_choice: Path | None = None  # the file keyring the administrator chose, once applied


def _is_os_keyring(backend) -> bool:
    """A keyring of the operating system (or a chain holding one), not a file or a stand-in."""
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_os_keyring(b) for b in backend.backends)
    module = type(backend).__module__
    return module.startswith("keyring.backends.") and module.rsplit(".", 1)[-1] not in ("fail", "null", "chainer")


def _chosen_explicitly() -> bool:
    """PYTHON_KEYRING_BACKEND, or keyring's own configuration file, names the backend."""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    from keyring import core

    try:
        return core.load_config() is not None
    except Exception:  # a broken keyringrc: keyring falls back to choosing by itself
        return False


_verdict: tuple[tuple, str] | None = None  # (backend id, file choice, env) -> the problem text


def keyring_problem() -> str:
    """``_keyring_problem``, worked out once per backend and choice: it is asked on every
    password read (each SMTP AUTH), and asking a chain of backends may open D-Bus sessions."""
    global _verdict
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a backend named by PYTHON_KEYRING_BACKEND that cannot load
        return (
            f"the keyring backend {os.environ.get('PYTHON_KEYRING_BACKEND', '')} cannot be used ({exc}); "
            "choose another one with PYTHON_KEYRING_BACKEND, or remove it to use the OS keyring"
        )
    key = (id(backend), _file_choice, os.environ.get("PYTHON_KEYRING_BACKEND"))
    if _verdict is None or _verdict[0] != key:
        _verdict = (key, _keyring_problem(backend))
    return _verdict[1]


def _keyring_problem(backend) -> str:
    """Empty when passwords can be kept safely and unattended, else why not and what to do.

    keyring on its own falls back to keyrings.alt's plain-text file when there is no OS keyring,
    without a word: that counts as no keyring, unless the administrator chose a backend
    (``PYTHON_KEYRING_BACKEND``, keyring's configuration file, or ``password use-file``).  A
    backend that prompts on a terminal (keyrings.alt's EncryptedKeyring) is never usable."""
    from keyring.backends import chainer

    module, cls = type(backend).__module__, type(backend).__name__
    if module in ("keyring.backends.fail", "keyring.backends.null") or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    ):
        return NO_OS_KEYRING  # nothing to keep a password in, whoever chose it
    if ("Encrypted" in cls and module.startswith("keyrings.alt")) or cls == "CryptFileKeyring":
        return PROMPTS.format(f"{module}.{cls}")
    if _is_os_keyring(backend) or _file_choice is not None or _chosen_explicitly():
        return ""
    return NO_OS_KEYRING


def backend_name() -> str:
    """The backend in use, in words, for the log and the command line."""
    import keyring

    if _file_choice is not None:
        return f"the file {_file_choice} (chosen with password use-file or in the window)"
    backend = keyring.get_keyring()
    path = getattr(backend, "file_path", None)
    kind = f"{type(backend).__module__}.{type(backend).__name__}"
    if path:
        return f"the keyring file {path} ({kind})"
    return f"the keyring ({kind})"


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

    global _file_choice
    backend = PlaintextKeyring()
    path = data_dir / "keyring.cfg"
    backend.file_path = str(path)
    keyring.set_keyring(backend)
    _file_choice = path
    return path


def choose_file_keyring(data_dir: Path) -> Path:
    """The administrator's choice (``password use-file``, the window's button): recorded, then used."""
    data_dir.mkdir(parents=True, exist_ok=True)
    file_keyring_choice(data_dir).write_text("chosen by the administrator\n", encoding="utf-8")
    return use_file_keyring(data_dir)


# Set by the Windows service for itself and its workers (app/service/layout.py): the file keyring
# of the data folder, even where Credential Manager exists (docs/service.md says why).
FILE_KEYRING_ENV = "TENSO_FILE_KEYRING"


def file_keyring_required() -> bool:
    return os.environ.get(FILE_KEYRING_ENV) == "1"


def apply_saved_choice(data_dir: Path) -> Path | None:
    """At start: honour an earlier explicit choice of the file keyring when no OS keyring exists
    (or always, in the service: ``FILE_KEYRING_ENV``)."""
    if _file_choice is None and file_keyring_required():
        return use_file_keyring(data_dir)
    if _file_choice is None and keyring_problem() and file_keyring_choice(data_dir).exists():
        return use_file_keyring(data_dir)
    return None


def _call(name: str, *args):
    import keyring
    import keyring.errors

    problem = keyring_problem()
    if problem:
        raise PasswordStoreError(problem)
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


def _saved_choice_once() -> None:
    """A process that reads passwords without having started the window (the delivery and
    receiving workers) honours the administrator's file-keyring choice, also one made after it
    started (``password use-file`` or the window's button): looked for until it is applied."""
    with _choice_lock:
        if _file_choice is None and (file_keyring_required() or keyring_problem()):
            from app.system.paths import data_dir

            apply_saved_choice(data_dir())


def get(key: str) -> str | None:
    _saved_choice_once()
    return _call("get_password", SERVICE, normalize_key(key))


def set(key: str, password: str) -> None:  # mirrors `password set`
    _saved_choice_once()
    _call("set_password", SERVICE, normalize_key(key), password)


def delete(key: str) -> None:
    _saved_choice_once()
    try:
        _call("delete_password", SERVICE, normalize_key(key))
    except PasswordStoreError as exc:
        import keyring.errors

        if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
            raise
