"""The gateway at a glance: the Status tab and ``python -m app status`` show this.

``gather`` puts together what is running (from the gateway, or from the queue's lock when asked
from the command line), today's counts and the last 24 hours (``store.activity``), the queue
(read from the spool: blocking, so never on the event loop) and the accounts that cannot log
in because their password is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from app.mail.replies import explain
from app.settings import Credential, Flow, Settings, keys
from app.store import activity as activity_mod
from app.store.activity import Activity, DestinationStatus, Outcome
from app.store.spool import WAITING, QueuedMessage, QueueLocked, Spool
from app.system import passwords


class State(StrEnum):
    """What a gateway is doing; the window and the tray show the same states."""

    RUNNING = "running"
    PAUSED = "paused"  # running, receiving, not delivering
    STOPPED = "stopped"
    ERROR = "error"  # the window's gateway failed to start or to take new settings (never in ``status``)


def iso_time(t: float | None) -> str | None:
    """A time in the JSON of ``status`` and ``queue list``: ISO 8601 as RFC 3339 has it: local, to the second,
    the offset with its colon (2026-12-08T09:31:00+09:00)."""
    return None if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class MissingPassword:
    key: str  # the keyring entry (``common``, ``user:ADDRESS``)
    words: str  # the account, in English words (the command line; the window words its own)
    username: str
    local_user: str = ""  # for ``user:ADDRESS``
    name: str = ""  # for ``account:NAME``
    secret: bool = False  # a client-credentials account's client secret, not a password


@dataclass(frozen=True)
class SignInNeeded:
    account: str  # the name in accounts[]
    why: str  # "" when never signed in; else the last refresh's error


@dataclass(frozen=True)
class TokenRefused:
    account: str  # a client-credentials account whose last token request was refused
    why: str  # the provider's reply; the mail waits and the next attempt asks again


@dataclass(frozen=True)
class Expiring:
    account: str
    what: str  # "client secret" or "certificate"
    day: str  # YYYY-MM-DD
    days_left: int  # negative: expired
    text: str  # what to do, in English words (the window words its own)


@dataclass(frozen=True)
class AuthBan:
    client: str  # the client's IP address
    until: float  # time.time() when AUTH is allowed again
    failures: int  # failed logins that led to it


@dataclass
class Status:
    state: State
    listening: list[str]
    today: dict[Outcome, int]
    queue_messages: int
    queue_recipients: int  # recipients still waiting (queued or deferred)
    oldest: float | None  # when the oldest waiting message was received
    destinations: list[DestinationStatus]
    missing_passwords: list[MissingPassword] = field(default_factory=list)
    hours: list[tuple[int, dict[Outcome, int]]] = field(default_factory=list)
    password_problem: str = ""  # the keyring could not be asked
    sign_in_needed: list[SignInNeeded] = field(default_factory=list)
    auth_bans: list[AuthBan] = field(default_factory=list)  # client addresses barred from AUTH now
    token_refused: list[TokenRefused] = field(default_factory=list)
    expiring: list[Expiring] = field(default_factory=list)  # secrets and certificates within 14 days
    day_limits: list[tuple[str, float]] = field(default_factory=list)  # accounts at their daily limit, until

    def as_json(self) -> dict:
        iso = iso_time

        return {
            "state": self.state,
            "listening": self.listening,
            "today": {o.value: n for o, n in self.today.items()},
            "queue": {"messages": self.queue_messages, "recipients": self.queue_recipients, "oldest": iso(self.oldest)},
            "destinations": [
                {
                    "name": d.name,
                    "last_success": iso(d.last_success),
                    "last_failure": iso(d.last_failure),
                    "last_reply": d.last_reply or None,
                    "failing": d.failing,
                    **advice_fields(d.last_reply if d.last_failure else ""),
                }
                for d in self.destinations
            ],
            "missing_passwords": [
                {"key": m.key, "account": m.words, "secret": m.secret} for m in self.missing_passwords
            ],
            "password_problem": self.password_problem or None,
            "sign_in_needed": [
                {"account": n.account, "why": n.why or None, **advice_fields(n.why)} for n in self.sign_in_needed
            ],
            "token_refused": [{"account": t.account, "why": t.why, **advice_fields(t.why)} for t in self.token_refused],
            "expiring": [
                {"account": e.account, "what": e.what, "date": e.day, "days_left": e.days_left, "text": e.text}
                for e in self.expiring
            ],
            "auth_bans": [{"client": b.client, "until": iso(b.until), "failures": b.failures} for b in self.auth_bans],
            "day_limits": [{"account": name, "until": iso(until)} for name, until in self.day_limits],
            "hours": [
                {"start": iso(start), **{o.value: counts.get(o, 0) for o in Outcome}} for start, counts in self.hours
            ],
        }


def advice_fields(reply: str) -> dict[str, dict[str, str] | None]:
    """What ``status --json`` says beside a refusal (app/mail/replies): ``advice`` in English and
    ``advice_ja`` in Japanese, each ``{"key", "what", "fix"}``; both null when there is no reply
    or Tenso does not know it."""
    fields: dict[str, dict[str, str] | None] = {}
    for name, lang in (("advice", "en"), ("advice_ja", "ja")):
        found = explain(reply, lang) if reply else None
        fields[name] = None if found is None else {"key": found.key, "what": found.what, "fix": found.fix}
    return fields


def queue_json(messages: list[QueuedMessage]) -> list[dict]:
    """The queue as ``queue list --json`` prints it (and the control channel's ``queue.list``)."""
    return [
        {
            "id": m.id,
            "sender": m.sender,
            "size": m.size,
            "received": iso_time(m.envelope.received_at),
            "recipients": [
                {
                    "address": r.address,
                    "state": r.state,
                    "attempts": r.attempts,
                    "next_try": iso_time(r.next_try or None),
                    "reply": r.reply,
                    **advice_fields(r.reply),
                }
                for r in m.recipients
            ],
        }
        for m in messages
    ]


def needed_passwords(settings: Settings) -> list[MissingPassword]:
    """The accounts a rule would log in with, whose password must be in the keyring."""
    servers = [(i, r) for i, r in enumerate(settings.rules) if r.to_server]
    if not servers:
        return []
    i, first = servers[0]
    accounts = settings.auth_accounts
    needed: list[MissingPassword] = []
    if accounts.common.username:
        rules = f"rules[{i}] to {first.destination}" + (
            f" and {len(servers) - 1} more rule(s) to a server" if len(servers) > 1 else ""
        )
        words = f"the common account {accounts.common.username} ({rules})"
        needed.append(MissingPassword(keys.COMMON, words, accounts.common.username))
    for a in accounts.per_user:
        if a.username:
            words = f"the account {a.username} of {a.local_user}"
            needed.append(MissingPassword(keys.user_key(a.local_user), words, a.username, a.local_user))
    named = {r.account.lower() for r in settings.rules} | {a.account.lower() for a in accounts.per_user}
    for upstream in settings.accounts:
        if upstream.name.lower() not in named:
            continue
        if upstream.oauth2 is None:
            words = f"the account {upstream.name} ({upstream.username})"
            needed.append(MissingPassword(upstream.key, words, upstream.username, name=upstream.name))
        elif upstream.oauth2.flow == Flow.CLIENT_CREDENTIALS and upstream.oauth2.credential == Credential.SECRET:
            words = f"the account {upstream.name} (client credentials)"  # the app's only proof: its mail waits
            needed.append(MissingPassword(upstream.key, words, upstream.username, name=upstream.name, secret=True))
    return needed


def missing_passwords(settings: Settings) -> list[MissingPassword]:
    """Blocking (the keyring).  PasswordStoreError or ValueError when it cannot be asked."""
    return [m for m in needed_passwords(settings) if passwords.get(m.key) is None]


def _oauth_used(settings: Settings, app: bool) -> list:
    """The OAuth 2.0 accounts a rule logs in with: those with client credentials (``app``) or not."""
    used = {r.account.lower() for r in settings.rules} | {a.account.lower() for a in settings.auth_accounts.per_user}
    return [
        a
        for a in settings.accounts
        if a.oauth2 is not None and a.name.lower() in used and (a.oauth2.flow == Flow.CLIENT_CREDENTIALS) == app
    ]


def sign_ins_needed(settings: Settings) -> list[SignInNeeded]:
    """OAuth 2.0 accounts a rule logs in with that are not signed in, or whose refresh failed
    (never client credentials: they need nobody, see ``tokens_refused``)."""
    oauth = _oauth_used(settings, app=False)
    if not oauth:
        return []
    from app.accounts import service  # authlib loads only where OAuth 2.0 is used

    found = []
    for account in oauth:
        state = service.account_status(settings, account.name)
        if not state.signed_in or state.error:
            found.append(SignInNeeded(account.name, state.error or ""))
    return found


def tokens_refused(settings: Settings) -> list[TokenRefused]:
    """Client-credentials accounts whose last token request was refused (the mail waits)."""
    oauth = _oauth_used(settings, app=True)
    if not oauth:
        return []
    from app.accounts import service

    found = []
    for account in oauth:
        state = service.account_status(settings, account.name)
        if state.error:
            found.append(TokenRefused(account.name, state.error))
    return found


def expiring(settings: Settings) -> list[Expiring]:
    """Client secrets and certificates that expire within 14 days (or have)."""
    if not any(a.secret_expires or a.oauth2 is not None for a in settings.accounts):
        return []
    from app.accounts import application

    return [
        Expiring(e.account, e.what, e.day.isoformat(), e.days_left, e.text(settings))
        for e in application.expiring(settings.accounts)
    ]


def activity_path(settings: Settings) -> Path:
    return settings.queue_dir / activity_mod.FILE_NAME


def gather(
    settings: Settings,
    activity: Activity,
    state: State,
    listening: list[str],
    spool: Spool | None = None,
    auth_bans: list[AuthBan] | None = None,
    day_limits: list[tuple[str, float]] | None = None,
) -> Status:
    """Blocking: reads the queue and asks the keyring.  Call it in a thread."""
    spool = spool or Spool(settings.queue_dir)
    messages = spool.messages()
    waiting = [m for m in messages if any(r.state in WAITING for r in m.recipients)]
    problem = ""
    try:
        missing = missing_passwords(settings)
    except (passwords.PasswordStoreError, ValueError) as exc:
        missing, problem = [], str(exc)
    return Status(
        state=state,
        listening=listening,
        today=activity.today(),
        queue_messages=len(messages),
        queue_recipients=sum(1 for m in messages for r in m.recipients if r.state in WAITING),
        oldest=min((m.envelope.received_at for m in waiting), default=None),
        destinations=sorted(activity.destinations(), key=lambda d: d.name),
        missing_passwords=missing,
        hours=activity.last_hours(24),
        password_problem=problem,
        sign_in_needed=sign_ins_needed(settings),
        token_refused=tokens_refused(settings),
        expiring=expiring(settings),
        auth_bans=list(auth_bans or []),
        day_limits=list(day_limits or []),
    )


def stopped(settings: Settings) -> Status:
    """The window's gateway is stopped: what the files say, without touching the queue's lock
    (taking it even for a moment could make a Start pressed at that instant fail)."""
    return gather(settings, activity_mod.read(activity_path(settings)), State.STOPPED, [])


def from_outside(settings: Settings) -> Status:
    """``python -m app status``: what the files say, with or without a gateway running.

    Running or not comes from the queue's lock (held by the gateway), the counts from what the
    gateway last wrote (every few seconds), the listening addresses from the settings."""
    spool = Spool(settings.queue_dir)
    try:
        spool.lock().release()
        state = State.STOPPED
    except QueueLocked:
        state = State.PAUSED if spool.paused else State.RUNNING
    listening = [entry.address for entry in settings.server.listeners] if state != State.STOPPED else []
    activity = activity_mod.read(activity_path(settings))
    bans = [AuthBan(*ban) for ban in activity.bans()] if state != State.STOPPED else []
    limited = activity.day_limits() if state != State.STOPPED else []
    return gather(settings, activity, state, listening, spool, bans, limited)
