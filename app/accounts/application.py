"""Client credentials: the application signs itself in, with nobody there.

A client-credentials account needs no ``account login``: whenever delivery finds no valid token,
it asks the token endpoint for one, proved by the client secret (keyring ``account:NAME``) or by
a JWT signed with the account's certificate (certificates.py).  A refused request (a wrong or
expired secret, an unknown certificate, a 5xx, no connection) is the mail's deferral reason,
kept in the token file so that Status shows it, logged once per distinct error, and asked again
at the next attempt; nothing ever waits for a person here.  The credential's fingerprint (a hash
of the secret, or of the certificate) is kept beside the token, so a new secret stored with
``password set`` drops the old token and the old refusal at the very next attempt.

Blocking (keyring, disk, HTTP): call from a thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app import suggest
from app.accounts import certificates, oauth
from app.accounts.tokens import TokenSet, TokenStore, TokenStoreError
from app.settings import Credential, Flow, UpstreamAccount
from app.system import passwords

Where = suggest.Where  # the settings (file) the suggested commands act on

log = logging.getLogger("tenso")

WARN_DAYS = 14  # an expiring secret or certificate is shown from this many days before
STILL_GOOD_SECONDS = 30.0  # a refused renewal leaves a token this fresh in use


class AppTokenError(Exception):
    """No token for the application now; the text is the provider's reply or what is missing."""


@dataclass(frozen=True)
class Proof:
    """What proves the application: a secret, or the account's certificate (``assertion`` made
    per request); ``fingerprint`` names it without revealing it."""

    fingerprint: str
    secret: str = ""
    certificate: bool = False


def proof(account: UpstreamAccount, secret: str | None = None, where: Where = None) -> Proof:
    """The account's credential as it is now (``secret``: one given, not yet stored)."""
    o = account.oauth2
    assert o is not None
    if o.credential == Credential.CERTIFICATE:
        made = certificates.load(account.name, where)  # CertificateError: no certificate made yet
        return Proof("certificate:" + made.sha256, certificate=True)
    if secret is None:
        try:
            secret = passwords.get(account.key)
        except passwords.PasswordStoreError as exc:
            raise AppTokenError(f"the client secret of {account.name} cannot be read: {exc}") from exc
    if not secret:
        raise AppTokenError(
            f"no client secret stored for {account.name}: run: {suggest.command(where, f'password set {account.key}')}"
        )
    digest = hashlib.sha256(b"tenso client secret\0" + secret.encode()).hexdigest()[:32]
    return Proof("secret:" + digest, secret=secret)


_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()
_reported: dict[str, tuple[str, str]] = {}  # account -> (fingerprint, the error last logged)


def _lock_for(name: str) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(name.lower(), threading.Lock())


def _stored(store: TokenStore, name: str) -> TokenSet | None:
    try:
        return store.load(name)
    except TokenStoreError:
        return None  # a token file that cannot be read is replaced by the next token


def _usable(tokens: TokenSet | None, p: Proof, margin: float) -> bool:
    if tokens is None or not tokens.access_token or tokens.credential != p.fingerprint:
        return False  # none, or asked with another secret or certificate
    return tokens.expires_at - time.time() > margin


def access_token(
    store: TokenStore,
    account: UpstreamAccount,
    graph: bool,
    fresh: bool = False,
    margin: float = 300.0,
    secret: str | None = None,
    logged: bool = True,
    http_proxy: str = "",
    where: Where = None,
) -> str:
    """A valid token of the application, asked for when there is none (or ``fresh``: the server
    refused the one it had).  AppTokenError (the mail is deferred with its text) otherwise;
    ``logged`` False: a refusal is not logged (``account login`` prints it itself); ``where``: the
    settings (file) whose ``--config`` the suggested commands carry."""
    name = account.name
    try:
        p = proof(account, secret, where)
    except certificates.CertificateError as exc:
        raise AppTokenError(str(exc)) from exc
    tokens = _stored(store, name)
    if not fresh and _usable(tokens, p, margin):
        return tokens.access_token  # type: ignore[union-attr]
    waited_from = time.time()
    with _lock_for(name):
        again = _stored(store, name)
        if _usable(again, p, margin) and not (fresh and tokens and again.access_token == tokens.access_token):  # type: ignore[union-attr]
            return again.access_token  # type: ignore[union-attr]
        if again and again.error and again.credential == p.fingerprint and (again.last_refresh or 0) >= waited_from:
            raise AppTokenError(again.error)  # asked by another thread while this one waited
        return _fetch(store, account, graph, p, again, fresh, logged, http_proxy, where)


def _fetch(
    store: TokenStore,
    account: UpstreamAccount,
    graph: bool,
    p: Proof,
    old: TokenSet | None,
    fresh: bool,
    logged: bool = True,
    http_proxy: str = "",
    where: Where = None,
) -> str:
    name = account.name
    ep = oauth.endpoints(account, graph, http_proxy)  # delivery.http_proxy
    now = time.time()
    same = old is not None and old.credential == p.fingerprint
    try:
        assertion = certificates.assertion(name, ep.client_id, ep.token_url, where) if p.certificate else ""
        reply = oauth.client_credentials(ep, p.secret, assertion)
    except (oauth.OAuthFailure, certificates.CertificateError) as exc:
        text = f"account {name}: {exc}; the mail waits and is tried again"
        kept = old if same and old is not None else TokenSet()
        kept.error, kept.needs_sign_in, kept.last_refresh, kept.credential = text, False, now, p.fingerprint
        try:
            store.save(name, kept)
        except TokenStoreError:
            pass  # the refusal is the deferral's reason all the same
        if logged and _reported.get(name.lower()) != (p.fingerprint, str(exc)):
            _reported[name.lower()] = (p.fingerprint, str(exc))
            log.error("%s", text, extra={"event": "app_token"})
        if not fresh and kept.access_token and kept.expires_at - now > STILL_GOOD_SECONDS:
            return kept.access_token  # renewal ahead of time refused: the token still works meanwhile
        raise AppTokenError(text) from exc
    expires_at = float(reply.get("expires_at") or 0) or (now + float(reply.get("expires_in") or 3600))
    new = TokenSet(
        access_token=str(reply["access_token"]),
        expires_at=expires_at,
        scope=str(reply.get("scope") or ""),
        signed_in_at=old.signed_in_at if same and old is not None and old.signed_in_at else now,
        last_refresh=now,
        credential=p.fingerprint,
    )
    try:
        store.save(name, new)
    except TokenStoreError as exc:
        log.warning("account %s: the new token cannot be kept (%s); it is used all the same", name, exc)
    if _reported.pop(name.lower(), None) is not None:
        log.info("account %s: the token request works again", name)
    log.info("account %s: application token valid until %s", name, datetime.fromtimestamp(expires_at, UTC))
    return new.access_token


def refresh_due(store: TokenStore, account: UpstreamAccount, graph: bool, margin: float, http_proxy: str = "") -> None:
    """Renews a working token ahead of time; a refused or never-asked one is left to the next
    delivery attempt (the retry schedule), so a refusing server is not asked in a loop."""
    tokens = _stored(store, account.name)
    if tokens is None or tokens.error or not tokens.access_token:
        return
    try:
        access_token(store, account, graph, margin=margin, http_proxy=http_proxy)
    except AppTokenError:
        pass  # logged once by _fetch


# --- expiry of the secret or the certificate --------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    account: str
    what: str  # "client secret" or "certificate"
    day: date
    days_left: int  # negative: expired

    @property
    def warn(self) -> bool:
        return self.days_left <= WARN_DAYS

    def text(self, where: Where = None) -> str:
        """In words, with the command that fixes it (carrying the ``--config`` of ``where``)."""
        if self.what == "certificate":
            create = suggest.command(where, f"account certificate create {self.account}")
            fix = f"make a new one: {create}, and upload it in Entra ID"
        else:
            key = f"account:{self.account.lower()}"
            fix = f"add a new secret in Entra ID and store it: {suggest.command(where, f'password set {key}')}"
        when = (
            f"expired on {self.day.isoformat()}"
            if self.days_left < 0
            else f"expires on {self.day.isoformat()} (in {self.days_left} day(s))"
        )
        return f"the {self.what} of account {self.account} {when}: {fix}"

    def as_json(self) -> dict:
        return {"account": self.account, "what": self.what, "date": self.day.isoformat(), "days_left": self.days_left}


def expiry(account: UpstreamAccount, today: date | None = None) -> Expiry | None:
    """``secret_expires`` when given, else a certificate account's own not-after; None when
    neither is known (or the certificate is not made yet: delivery says so)."""
    today = today or datetime.now().date()
    o = account.oauth2
    certificate = o is not None and o.flow == Flow.CLIENT_CREDENTIALS and o.credential == Credential.CERTIFICATE
    if account.secret_expires:
        try:
            day = date.fromisoformat(account.secret_expires)
        except ValueError:
            return None  # the settings check names the field
        return Expiry(account.name, "certificate" if certificate else "client secret", day, (day - today).days)
    if not certificate:
        return None
    try:
        made = certificates.load(account.name)
    except certificates.CertificateError:
        return None
    day = made.not_after.date()
    return Expiry(account.name, "certificate", day, (day - today).days)


def expiring(accounts: list[UpstreamAccount], today: date | None = None) -> list[Expiry]:
    """The accounts whose secret or certificate expires within WARN_DAYS (or has)."""
    found = (expiry(a, today) for a in accounts)
    return [e for e in found if e is not None and e.warn]
