"""``Settings``: the whole file, its sections (sections.py), the checks across them, and the
folders it names resolved against the file's own folder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.problems import Problem
from app.settings import account_checks, checks, cross_checks
from app.settings.checks import checked, each
from app.settings.sections import (
    Alerts,
    AuthAccounts,
    Backup,
    Delivery,
    Device,
    History,
    LocalUser,
    Options,
    Queue,
    Rule,
    Server,
    UpstreamAccount,
    find_account,
    graph_accounts,
)
from app.system.paths import data_dir

VERSION = 1


@dataclass
class Settings:
    version: int = VERSION
    server: Server = field(default_factory=Server)
    local_domains: list[str] = checked([], each(checks.domain))
    local_users: list[LocalUser] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    accounts: list[UpstreamAccount] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    auth_accounts: AuthAccounts = field(default_factory=AuthAccounts)
    queue: Queue = field(default_factory=Queue)
    mailbox_dir: str = ""
    backup: Backup = field(default_factory=Backup)
    delivery: Delivery = field(default_factory=Delivery)
    alerts: Alerts = field(default_factory=Alerts)
    history: History = field(default_factory=History)

    # Where the file was read from: relative folders are taken from there.
    source: Path | None = field(default=None, compare=False, repr=False, metadata={"internal": True})

    def problems(self, broken: Iterable[str] = ()) -> list[Problem]:
        """Checks that involve more than one field.  ``broken``: the fields that have a problem of
        their own (loading passes them), whose values these checks do not judge by."""
        skip = cross_checks.Broken(broken)
        found: list[Problem] = []
        if self.version != VERSION and not skip("version"):
            found.append(Problem("version", "must be {version}", version=VERSION))
        per_user = self.auth_accounts.per_user
        found.extend(cross_checks.server_problems(self.server, self.resolve, skip))
        found.extend(cross_checks.user_problems(self.local_users, per_user, skip))
        found.extend(account_checks.account_problems(self.accounts, per_user, self.rules, skip))
        found.extend(cross_checks.listener_problems(self.server, skip))
        found.extend(cross_checks.device_problems(self.devices, self.local_users, skip))
        found.extend(cross_checks.rule_problems(self.rules, self.server, skip))
        common = self.auth_accounts.common.username
        found.extend(cross_checks.rewrite_problems(self.rules, self.accounts, common, per_user, skip))
        found.extend(cross_checks.alert_problems(self.alerts, self.rules, skip))
        return found

    def device(self, login: str) -> Device | None:
        """The device that logs in as ``login`` (user names compare without case)."""
        return next((d for d in self.devices if d.login.lower() == login.lower()), None)

    def graph_accounts(self) -> set[str]:
        """The accounts (lower-case names) that rules with destination GRAPH send with."""
        return graph_accounts(self.rules)

    def account(self, name: str) -> UpstreamAccount | None:
        return find_account(self.accounts, name)

    # --- derived paths ---

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        if not p.is_absolute() and self.source is not None:
            p = self.source.parent / p
        return p

    def _dir(self, value: str, name: str) -> Path:
        return self.resolve(value) if value else data_dir() / name

    @property
    def queue_dir(self) -> Path:
        return self._dir(self.queue.dir, "queue")

    @property
    def mailbox_path(self) -> Path:
        return self._dir(self.mailbox_dir, "mailboxes")

    @property
    def backup_path(self) -> Path:
        return self._dir(self.backup.dir, "backup")

    @property
    def history_path(self) -> Path:
        """The message history's file: beside the queue, whose gateway is its one writer."""
        return self.queue_dir / "history.sqlite3"
