"""``service move``: an existing per-user installation moves into the service's folder.

Nothing is stopped and nothing is deleted: it refuses while a gateway runs on the old queue
(and says how to stop it), copies the queue (every message and state file, checked by count
and size), renames the old queue only then (``queue.moved-to-service-…``, kept), copies the
settings with ``queue.dir`` rewritten, the token files and certificates of the data folder,
and finally the secrets: read from the user's keyring for every key the settings need
(app/settings/keys.py names them) and handed to the started service over its control channel
(``password.set``), so the service's own process stores them.  Where no channel answers, they
are written into the service's file keyring directly (the administrator may write it); so too
when the channel does not let this user in (a prompt that is not elevated): nothing is left
half-moved, and the report says to run the service's commands from an elevated prompt.  Every
step is reported: what moved, and what could not.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import settings as settings_mod
from app import status as status_mod
from app.accounts.certificates import FOLDER as ACCOUNT_CERTIFICATES
from app.control.client import NotAllowed
from app.service.layout import Layout
from app.settings import Settings, SettingsError, keys
from app.store.spool import QueueLocked, Spool
from app.system import passwords
from app.system.certificate import FOLDER as LISTENER_CERTIFICATES
from app.system.files import fsync_dir

TOKENS = "tokens"
DATA_FOLDERS = (TOKENS, LISTENER_CERTIFICATES, ACCOUNT_CERTIFICATES)  # what the data folder holds besides the queue
NOT_COPIED = ("lock", "tmp", "control")  # the gateway's lock, mail never acknowledged, requests to a gateway
COUNTED = ("msg", "state")  # checked by count and size
CHANNEL_WAIT_S = 30.0
ELEVATED = "an elevated prompt (Command Prompt → Run as administrator)"


class MoveRefused(Exception):
    """Nothing was changed; the message says why and what to do."""


@dataclass
class MoveReport:
    moved: list[str] = field(default_factory=list)
    not_moved: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # nothing lost, but something to do next


@dataclass(frozen=True)
class Counted:
    files: int
    size: int


def _files(root: Path) -> list[Path]:
    """The queue's files to carry over, relative to ``root``."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] not in NOT_COPIED:
            found.append(relative)
    return found


def count(root: Path, relatives: list[Path]) -> dict[str, Counted]:
    """Files and bytes of the message and state files among ``relatives`` under ``root``."""
    found = {}
    for part in COUNTED:
        chosen = [r for r in relatives if r.parts[0] == part and not r.name.startswith(".")]
        found[part] = Counted(len(chosen), sum((root / r).stat().st_size for r in chosen))
    return found


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise MoveRefused(f"{target} exists already: the service's folder holds another queue; nothing was renamed")
    shutil.copy2(source, target)
    with open(target, "rb") as f:
        os.fsync(f.fileno())


def needed_keys(settings: Settings, data: Path) -> list[str]:
    """Every keyring entry this installation's settings use: the accounts towards destinations,
    local users' and devices' logins, and the keys of the token files and certificates kept in
    the data folder ``data``."""
    found = [m.key for m in status_mod.needed_passwords(settings)]
    found += [keys.local_key(u.address) for u in settings.local_users]
    found += [keys.device_key(d.name) for d in settings.devices]
    for account in settings.accounts:
        if (data / TOKENS / f"{account.name.lower()}.tokens").exists():
            found.append(keys.tokens_key(account.name))
        if account.oauth2 is not None and (data / ACCOUNT_CERTIFICATES).exists():
            found.append(keys.certificate_key(account.name))
    unique: list[str] = []
    for key in found:
        normal = keys.normalize(key)
        if normal not in unique:
            unique.append(normal)
    return unique


def _refuse_if_running(queue: Path, who: str, how: str) -> None:
    try:
        Spool(queue).lock().release()
    except QueueLocked as exc:
        raise MoveRefused(f"a gateway is running on {who} {queue}; {how}, then type the command again") from exc


def move(
    old_config: Path,
    old_data: Path,
    layout: Layout,
    *,
    start_service: Callable[[], None],
    connect: Callable[[Path], object | None] | None = None,
    read_secret: Callable[[str], str | None] = passwords.get,
    channel_wait: float = CHANNEL_WAIT_S,
) -> MoveReport:
    """Moves the installation of ``old_config`` (its data folder ``old_data``) into ``layout``;
    MoveRefused, before anything changed, when it cannot."""
    report = MoveReport()
    try:
        settings = settings_mod.load(old_config)
    except SettingsError as exc:
        raise MoveRefused(f"{old_config} has problems, fix them first: {'; '.join(map(str, exc.problems))}") from exc
    root = Path(layout.root)
    new_queue = Path(layout.queue)
    old_queue = settings.queue_dir
    if old_queue.resolve() == new_queue.resolve():
        raise MoveRefused(f"{old_config} already uses the service's queue {new_queue}: nothing to move")
    stop_old = "quit Tenso (tray icon → Quit), or stop the task that runs it (schtasks /End /TN Tenso)"
    if old_queue.exists():
        _refuse_if_running(old_queue, "the old queue", stop_old)
    if new_queue.exists():
        _refuse_if_running(new_queue, "the service's queue", "stop the service first: Tenso.exe service stop")
    root.mkdir(parents=True, exist_ok=True)

    # The queue: copied, checked, and only then the old one renamed (never deleted).
    if old_queue.exists():
        lock = Spool(old_queue).lock()  # no gateway starts on it while it is copied
        try:
            relatives = _files(old_queue)
            for relative in relatives:
                _copy(old_queue / relative, new_queue / relative)
            for folder in {(new_queue / r).parent for r in relatives}:
                fsync_dir(folder)
            before, after = count(old_queue, relatives), count(new_queue, relatives)
        finally:
            lock.release()
        if before != after:
            raise MoveRefused(
                f"the copy of the queue differs from {old_queue} ({before} against {after}); the old queue is left "
                f"as it was, the copy is in {new_queue}"
            )
        kept = old_queue.with_name(f"{old_queue.name}.moved-to-service-{time.strftime('%Y%m%d-%H%M%S')}")
        old_queue.rename(kept)
        report.moved.append(
            f"queue: {before['msg'].files} message(s) ({before['msg'].size} bytes) and {before['state'].files} "
            f"state file(s) copied to {new_queue} and checked; the old queue is kept as {kept}"
        )
    else:
        report.moved.append(f"queue: {old_queue} does not exist, nothing to copy")

    # The data folder's token files and certificates.
    for name in DATA_FOLDERS:
        source = old_data / name
        if source.is_dir() and any(source.iterdir()):
            if (root / name).exists():
                report.not_moved.append(f"{source}: {root / name} exists already; copy what is missing yourself")
                continue
            shutil.copytree(source, root / name)
            report.moved.append(f"{source} copied to {root / name}")

    # The settings, with the service's queue (and certificates) in them.
    data: dict[str, Any] = (
        json.loads(old_config.read_text(encoding="utf-8-sig")) if old_config.exists() else {"version": 1}
    )
    data.setdefault("queue", {})["dir"] = str(new_queue)
    server = data.get("server", {})
    for name in ("tls_cert", "tls_key"):
        value = server.get(name, "")
        if value and Path(value).is_relative_to(old_data):
            server[name] = str(root / Path(value).relative_to(old_data))
    for what, value, default in (
        ("local mailboxes", data.get("mailbox_dir", ""), "mailboxes"),
        ("backup copies", data.get("backup", {}).get("dir", ""), "backup"),
    ):
        folder = settings.resolve(value) if value else old_data / default
        if folder.is_dir() and any(folder.iterdir()):
            report.not_moved.append(
                f"{what} in {folder} were not copied: the service's account cannot read your folders; copy them "
                f"to {root / default} (or a folder the service may write) and set it in the settings"
            )
    settings_file = Path(layout.settings)
    if settings_file.exists():
        earlier = settings_file.with_name(f"settings.before-move-{time.strftime('%Y%m%d-%H%M%S')}.json")
        settings_file.rename(earlier)
        report.moved.append(f"the service's earlier settings are kept as {earlier}")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    settings_file.write_text(text, encoding="utf-8")
    settings_mod.load(settings_file)  # what the service will read: a problem shows here, not at its start
    report.moved.append(f"settings: {old_config} copied to {settings_file} with queue.dir {new_queue}")

    # The secrets, last: handed to the started service.
    secrets: dict[str, str] = {}
    for key in needed_keys(settings, old_data):
        try:
            secret = read_secret(key)
        except passwords.PasswordStoreError as exc:
            report.not_moved.append(f"{key}: your keyring cannot be read ({exc})")
            continue
        if secret is None:
            report.not_moved.append(f"{key}: not in your keyring, so not moved (set it with password set {key})")
        else:
            secrets[key] = secret
    try:
        start_service()
    except Exception as exc:  # the service manager's refusal, worded by the caller's exception
        report.not_moved.append(f"the service did not start ({exc}); start it with Tenso.exe service start")
        channel = None
    else:
        report.moved.append("the service started")
        try:
            channel = _wait_for_channel(connect, new_queue, channel_wait) if secrets else None
        except NotAllowed as exc:  # this prompt may not command the service: its keyring file instead
            channel = None
            report.notes.append(
                f"the service's control channel does not let this user in ({exc}); the secrets were written "
                f"to its keyring file instead, which it reads. Run the service's commands (status, queue, "
                f"password set) from {ELEVATED}"
            )
    for key, secret in secrets.items():
        if channel is not None:
            try:
                channel.call("password.set", key=key, secret=secret)
                report.moved.append(f"{key}: handed to the service, which stored it")
                continue
            except Exception as exc:  # the channel's own error, worded by it
                report.not_moved.append(f"{key}: the service did not take it ({exc}); written to its keyring file")
        _write_secret(Path(layout.keyring), key, secret)
        if channel is None:
            report.moved.append(f"{key}: written to the service's keyring file {layout.keyring}")
    if channel is not None:
        channel.close()
    return report


def _wait_for_channel(connect, queue: Path, wait: float):
    if connect is None:
        connect = _control_connect()
        if connect is None:
            return None
    deadline = time.monotonic() + wait
    while True:
        channel = connect(queue)
        if channel is not None or time.monotonic() > deadline:
            return channel
        time.sleep(0.2)


def _control_connect():
    from app.control import client

    return client.connect


def _write_secret(path: Path, key: str, secret: str) -> None:
    """Into the service's file keyring, as the service's own keyring backend reads it."""
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(path)
    backend.set_password(passwords.SERVICE, key, secret)
