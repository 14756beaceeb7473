"""What the rest of Tenso asks of an OAuth 2.0 account: sign in, status, sign out, and a valid
access token for delivery (refreshed before it expires).

Plain blocking functions on the settings model, usable from any thread (delivery threads, the
command line, the window's worker thread); no event loop, no Qt.  A refresh is serialized per
account in this process, and the rotated refresh token is stored (atomically) before the new
access token is handed out, so a crash in between never leaves only a dead refresh token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app import suggest
from app.accounts import application, oauth
from app.accounts.tokens import TokenSet, TokenStore, TokenStoreError
from app.settings import Flow, Settings, UpstreamAccount
from app.system import passwords, paths

log = logging.getLogger("tenso")

REFRESH_MARGIN_SECONDS = 300.0  # refresh this long before the access token expires


class AccountError(Exception):
    """The account cannot give a token now; the text says what to do.  ``needs_sign_in``: only a
    new sign-in helps (the mail waits for it)."""

    def __init__(self, text: str, needs_sign_in: bool = False):
        super().__init__(text)
        self.needs_sign_in = needs_sign_in


@dataclass
class AccountStatus:
    name: str
    kind: str  # "password" or "oauth2"
    signed_in: bool
    expires: datetime | None = None
    last_refresh: datetime | None = None
    error: str | None = None
    flow: str = ""  # an OAuth 2.0 account's flow
    expiry: application.Expiry | None = None  # when the client secret or certificate expires, if known
    warning: str | None = None  # it expires within 14 days (or has): what to do

    def as_json(self) -> dict:
        def iso(when: datetime | None) -> str | None:
            return when.isoformat(timespec="seconds") if when else None

        return {
            "name": self.name,
            "kind": self.kind,
            "signed_in": self.signed_in,
            "expires": iso(self.expires),
            "last_refresh": iso(self.last_refresh),
            "error": self.error,
            "flow": self.flow or None,
            "credential_expires": self.expiry.day.isoformat() if self.expiry else None,
            "expiry_warning": self.warning,
        }


def status_from_json(data: dict) -> AccountStatus:
    """An AccountStatus back from ``as_json`` (what another process, the running gateway, said)."""

    def when(iso: str | None) -> datetime | None:
        return datetime.fromisoformat(iso) if iso else None

    return AccountStatus(
        data["name"],
        data["kind"],
        bool(data["signed_in"]),
        expires=when(data.get("expires")),
        last_refresh=when(data.get("last_refresh")),
        error=data.get("error"),
        flow=data.get("flow") or "",
        warning=data.get("expiry_warning"),
    )


def _when(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts else None


_stores: dict[str, TokenStore] = {}
_stores_lock = threading.Lock()


def store() -> TokenStore:
    """The token files of this data folder (one store, so its cache is shared by every thread)."""
    folder = paths.data_dir() / "tokens"
    with _stores_lock:
        return _stores.setdefault(str(folder), TokenStore(folder))


def _account(settings: Settings, name: str) -> UpstreamAccount:
    account = settings.account(name)
    if account is None:
        raise AccountError(f"no account named {name} in accounts")
    return account


def sign_in_hint(name: str, where: Settings | None = None) -> str:
    """How to sign in again; the command with the ``--config`` of ``where`` (app/suggest.py)."""
    return f"sign in again: Auth accounts → {name}, or run: {suggest.command(where, f'account login {name}')}"


def _secret(account: UpstreamAccount) -> str | None:
    """A delegated flow's client secret, if the app registration has one."""
    try:
        return passwords.get(account.key)
    except passwords.PasswordStoreError as exc:
        raise AccountError(f"the client secret of {account.name} cannot be read: {exc}") from exc


def _tokens_from(reply: dict, old: TokenSet | None = None) -> TokenSet:
    now = time.time()
    expires_at = float(reply.get("expires_at") or 0) or (now + float(reply.get("expires_in") or 3600))
    return TokenSet(
        access_token=str(reply["access_token"]),
        refresh_token=str(reply.get("refresh_token") or (old.refresh_token if old else "")),
        expires_at=expires_at,
        scope=str(reply.get("scope") or (old.scope if old else "")),
        signed_in_at=old.signed_in_at if old else now,
        last_refresh=now if old else None,
    )


# --- sign in, status, sign out ------------------------------------------------------------------------


def login(
    settings: Settings,
    name: str,
    show_url: Callable[[str], None] = lambda url: None,
    open_browser: bool = True,
    device: bool = False,
    show_code: Callable[[str, str], None] = lambda url, code: None,
    secret: str | None = None,
    timeout: float = oauth.SIGN_IN_SECONDS,
    keep: Callable[[dict], AccountStatus] | None = None,
) -> AccountStatus:
    """Signs the account in by its flow (``device``: the device flow instead of the browser) and
    stores the tokens.  ``secret``: a client secret to use, stored under ``account:NAME`` once it
    worked.  ``keep``: who keeps the provider's reply instead of this process (the running gateway,
    through its control channel; a secret then goes with it).  Blocking, for a thread; raises
    AccountError saying what failed."""
    account = _account(settings, name)
    if account.oauth2 is None:
        raise AccountError(
            f"{name} is a password account: run {suggest.command(settings, f'password set {account.key}')}"
        )
    graph = name.lower() in settings.graph_accounts()
    ep = oauth.endpoints(account, graph, settings.delivery.http_proxy)
    flow = Flow.DEVICE_CODE if device else ep.flow
    if flow == Flow.CLIENT_CREDENTIALS:
        return _app_login(settings, account, graph, secret)
    client_secret = secret or _secret(account)
    try:
        if flow == Flow.DEVICE_CODE:
            reply = oauth.sign_in_device(ep, client_secret, show_code, timeout)
        else:
            reply = oauth.sign_in_browser(ep, client_secret, show_url, open_browser, timeout)
    except oauth.OAuthFailure as exc:
        raise AccountError(str(exc)) from exc
    if keep is not None:
        status = keep({**reply, **({"client_secret": secret} if secret else {})})
        log.info("account %s signed in (%s); the running gateway keeps the tokens", name, flow)
        return status
    try:
        if secret:
            passwords.set(account.key, secret)
        store().save(name, _tokens_from(reply))
    except passwords.PasswordStoreError as exc:
        raise AccountError(f"the client secret cannot be stored: {exc}") from exc
    except TokenStoreError as exc:
        raise AccountError(str(exc)) from exc
    status = account_status(settings, name)
    log.info("account %s signed in (%s), access token valid until %s", name, flow, status.expires)
    return status


def keep_tokens(settings: Settings, name: str, reply: dict) -> AccountStatus:
    """Stores the tokens of a sign-in made by another process (the command line or the window ran
    the browser part and handed the provider's reply over the control channel), so they are kept
    in this process's token store and keyring.  Blocking; AccountError saying what is wrong."""
    account = _account(settings, name)
    if account.oauth2 is None:
        raise AccountError(f"{name} is a password account: it takes a password, not tokens")
    if not isinstance(reply.get("access_token"), str) or not reply["access_token"]:
        raise AccountError(f"the tokens handed over for {name} have no access token; sign in again")
    secret = reply.get("client_secret")  # a secret the sign-in was made with: kept with the tokens
    try:
        if isinstance(secret, str) and secret:
            passwords.set(account.key, secret)
        store().save(name, _tokens_from(reply))
    except passwords.PasswordStoreError as exc:
        raise AccountError(f"the client secret cannot be stored: {exc}") from exc
    except TokenStoreError as exc:
        raise AccountError(str(exc)) from exc
    return account_status(settings, name)


def _app_login(settings: Settings, account: UpstreamAccount, graph: bool, secret: str | None) -> AccountStatus:
    """Client credentials need no sign-in; ``account login`` asks for a token now all the same (a
    check that the secret or certificate works) and stores a given secret once it worked."""
    try:
        application.access_token(
            store(),
            account,
            graph,
            fresh=True,
            secret=secret or None,
            logged=False,
            http_proxy=settings.delivery.http_proxy,
            where=settings,
        )
        if secret:
            passwords.set(account.key, secret)
    except application.AppTokenError as exc:
        raise AccountError(str(exc)) from exc
    except passwords.PasswordStoreError as exc:
        raise AccountError(f"the client secret cannot be stored: {exc}") from exc
    status = account_status(settings, account.name)
    log.info("account %s: client credentials work, access token valid until %s", account.name, status.expires)
    return status


def account_status(settings: Settings, name: str) -> AccountStatus:
    """Signed in or not, until when, the last refresh and its error; reads no network."""
    account = _account(settings, name)
    if account.oauth2 is None:
        try:
            stored = passwords.get(account.key) is not None
        except passwords.PasswordStoreError as exc:
            return AccountStatus(account.name, "password", False, error=str(exc))
        return AccountStatus(account.name, "password", stored, error=None if stored else "no password stored")
    flow = str(account.oauth2.flow)
    expiring = application.expiry(account)
    warning = expiring.text(settings) if expiring and expiring.warn else None
    try:
        tokens = store().load(name)
    except TokenStoreError as exc:
        return AccountStatus(account.name, "oauth2", False, error=str(exc), flow=flow, expiry=expiring, warning=warning)
    if tokens is None:
        return AccountStatus(account.name, "oauth2", False, flow=flow, expiry=expiring, warning=warning)
    app = account.oauth2.flow == Flow.CLIENT_CREDENTIALS  # never "signed out": a token is asked when needed
    return AccountStatus(
        account.name,
        "oauth2",
        signed_in=bool(tokens.access_token) and tokens.expires_at > time.time() if app else not tokens.needs_sign_in,
        expires=_when(tokens.expires_at),
        last_refresh=_when(tokens.last_refresh),
        error=tokens.error,
        flow=flow,
        expiry=expiring,
        warning=warning,
    )


def logout(settings: Settings, name: str) -> bool:
    """Forgets the account's tokens (not its client secret); True when it was signed in."""
    _account(settings, name)
    try:
        return store().delete(name)
    except TokenStoreError as exc:
        raise AccountError(str(exc)) from exc


# --- tokens for delivery -----------------------------------------------------------------------------

_refreshing: dict[str, threading.Lock] = {}
_refreshing_lock = threading.Lock()
_reported: dict[str, str] = {}  # account -> the failure last logged, so it is logged once


def _lock_for(name: str) -> threading.Lock:
    with _refreshing_lock:
        return _refreshing.setdefault(name.lower(), threading.Lock())


def access_token(settings: Settings, name: str, fresh: bool = False, margin: float = REFRESH_MARGIN_SECONDS) -> str:
    """A valid access token of the account, refreshed first when it expires within ``margin``
    seconds (or ``fresh``: the server refused the one it had).  Blocking; AccountError when
    there is none (the mail waits; the text says what to do)."""
    account = _account(settings, name)
    if account.oauth2 is not None and account.oauth2.flow == Flow.CLIENT_CREDENTIALS:
        graph = name.lower() in settings.graph_accounts()
        try:
            return application.access_token(
                store(),
                account,
                graph,
                fresh=fresh,
                margin=margin,
                http_proxy=settings.delivery.http_proxy,
                where=settings,
            )
        except application.AppTokenError as exc:
            raise AccountError(str(exc)) from exc  # the mail is deferred; never a sign-in mark
    tokens = _load(name, settings)
    if not fresh and tokens.expires_at - time.time() > margin:
        return tokens.access_token
    with _lock_for(name):
        again = _load(name, settings)  # another thread (or process) may have refreshed meanwhile
        if again.access_token != tokens.access_token and again.expires_at - time.time() > margin:
            return again.access_token
        return _refresh(
            account, again, name.lower() in settings.graph_accounts(), settings.delivery.http_proxy, settings
        )


def _load(name: str, where: Settings | None = None) -> TokenSet:
    try:
        tokens = store().load(name)
    except TokenStoreError as exc:
        raise AccountError(f"account {name}: {exc}", needs_sign_in=True) from exc
    if tokens is None:
        raise AccountError(
            f"account {name} is not signed in: {sign_in_hint(name, where)[len('sign in again: ') :]}", True
        )
    if tokens.needs_sign_in:
        raise AccountError(f"account {name}: {tokens.error}; {sign_in_hint(name, where)}", needs_sign_in=True)
    return tokens


def _refresh(
    account: UpstreamAccount, tokens: TokenSet, graph: bool = False, http_proxy: str = "", where: Settings | None = None
) -> str:
    name = account.name
    ep = oauth.endpoints(account, graph, http_proxy)
    try:
        if tokens.refresh_token:
            reply = oauth.refresh(ep, _secret(account), tokens.refresh_token)
        else:
            raise oauth.OAuthFailure("no refresh token was given at the sign-in", "invalid_grant")
    except oauth.OAuthFailure as exc:
        dead = exc.error in ("invalid_grant", "invalid_client", "unauthorized_client")
        current = _stored_quietly(name)
        if dead and current and current.refresh_token != tokens.refresh_token and not current.needs_sign_in:
            # Another process (the gateway's refresher, the delivery worker) rotated it first.
            return current.access_token
        tokens.error, tokens.needs_sign_in = str(exc), dead
        tokens.last_refresh = time.time()
        try:
            store().save(name, tokens)
        except TokenStoreError:
            pass  # the failure is reported below all the same
        text = f"account {name}: {exc}" + (
            f"; {sign_in_hint(name, where)}" if dead else "; the mail waits and is tried again"
        )
        if _reported.get(name.lower()) != str(exc):
            _reported[name.lower()] = str(exc)
            log.error("%s", text, extra={"event": "account"})
        raise AccountError(text, needs_sign_in=dead) from exc
    new = _tokens_from(reply, tokens)
    try:
        store().save(name, new)  # before the token is used: a rotated refresh token is never lost
    except TokenStoreError as exc:
        raise AccountError(f"account {name}: the new tokens cannot be stored: {exc}") from exc
    _reported.pop(name.lower(), None)
    log.info("account %s: access token refreshed, valid until %s", name, _when(new.expires_at))
    return new.access_token


def _stored_quietly(name: str) -> TokenSet | None:
    try:
        return store().load(name)
    except TokenStoreError:
        return None


def refresh_due(settings: Settings, margin: float = 2 * REFRESH_MARGIN_SECONDS) -> None:
    """Refreshes every signed-in OAuth 2.0 account whose token expires within ``margin``: run now
    and then by the gateway (in a thread), so that delivery itself seldom waits for a refresh."""
    for account in settings.accounts:
        if account.oauth2 is None:
            continue
        if account.oauth2.flow == Flow.CLIENT_CREDENTIALS:
            graph = account.name.lower() in settings.graph_accounts()
            application.refresh_due(store(), account, graph, margin, settings.delivery.http_proxy)
            continue
        try:
            access_token(settings, account.name, margin=margin)
        except AccountError:
            pass  # logged once by _refresh; a never signed-in account is not an error here
