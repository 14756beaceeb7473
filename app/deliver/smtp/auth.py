"""SMTP AUTH with the rule's account: a password (CRAM-MD5, LOGIN, PLAIN, as far as the session's
protection allows), or an OAuth 2.0 access token (XOAUTH2, OAUTHBEARER)."""

from __future__ import annotations

import base64
import hmac
import smtplib
from collections.abc import Callable
from enum import StrEnum

from app import suggest
from app.deliver.smtp import errors, session
from app.deliver.smtp.errors import DeliveryError
from app.deliver.smtp.session import Destination, Protection, TlsMode
from app.problems import Problem

# A password, or for an OAuth 2.0 account a source of access tokens: ``source(fresh)`` gives the
# current token, or (``fresh``) a newly refreshed one; it raises DeliveryError when there is none.
TokenSource = Callable[[bool], str]
Secret = str | TokenSource


class Mechanism(StrEnum):
    """The SASL mechanisms Tenso speaks, as EHLO's AUTH line names them."""

    PLAIN = "PLAIN"
    LOGIN = "LOGIN"
    CRAM_MD5 = "CRAM-MD5"  # the password never crosses
    XOAUTH2 = "XOAUTH2"  # an OAuth 2.0 token (Microsoft, Google)
    OAUTHBEARER = "OAUTHBEARER"  # the same, as RFC 7628 writes it


def log_in(
    smtp: smtplib.SMTP, destination: Destination, secret: Secret | None, protection: Protection, problem: str
) -> None:
    """AUTH with the rule's account, when the server offers it (``problem``: why the certificate
    did not verify, which limits the mechanisms)."""
    if not (destination.account and smtp.has_extn("auth")):
        return
    if secret is None:
        key = destination.account.key
        run = suggest.command(destination.config, f"password set {key}")
        raise DeliveryError(f"no password stored for {key}: save it in the window (Auth accounts) or run: {run}")
    if protection == Protection.ENCRYPTED:
        names = session.certificate_names(smtp)
        problem += f"; it is for {', '.join(names)}" if names else ""
    if callable(secret):
        bearer(smtp, destination, secret, protection, problem)
    else:
        password(smtp, destination, secret, protection, problem)


def password_mechanisms(destination: Destination, protection: Protection, problem: str) -> tuple[list[Mechanism], str]:
    """The mechanisms this session may send a password with, and why the others are not allowed.

    LOGIN and PLAIN show the password to whoever reads the session, so they go only over TLS whose
    certificate verified against the destination's name; over TLS that did not verify, or without
    TLS, only CRAM-MD5 (the password never crosses); plain LOGIN without TLS only where the rule
    says ``tls: none`` on purpose."""
    if protection == Protection.VERIFIED:
        return [Mechanism.PLAIN, Mechanism.LOGIN, Mechanism.CRAM_MD5], ""
    if destination.tls == TlsMode.NONE:
        return [Mechanism.CRAM_MD5, Mechanism.LOGIN, Mechanism.PLAIN], ""
    host = destination.host
    if protection == Protection.ENCRYPTED:
        why = (
            f"the TLS certificate of {host} did not verify ({problem}), so the password goes only by CRAM-MD5; "
            f"make the certificate verify (a certificate for {host} from a trusted CA, or its CA in SSL_CERT_FILE, "
            f"or {errors.setting(destination.rule, 'destination')} set to the name its certificate is for)"
        )
    else:
        why = (
            f"{host} offers no STARTTLS, so the password goes only by CRAM-MD5; to send it unencrypted on purpose "
            f"(old ISP servers), set {errors.setting(destination.rule, 'tls')} to none"
        )
    return [Mechanism.CRAM_MD5], why


def bearer(
    smtp: smtplib.SMTP, destination: Destination, token: TokenSource, protection: Protection, problem: str
) -> None:
    """SMTP AUTH with an OAuth 2.0 access token: XOAUTH2 (Microsoft, Google), else OAUTHBEARER
    (RFC 7628), only over TLS that verified.  A refusal of a token Tenso believes valid gets one
    refresh and one retry; then the mail waits with the server's reply (its 5.7.x text names the
    tenant setting to change)."""
    account = destination.account
    assert account is not None
    host = destination.host
    if protection != Protection.VERIFIED:
        why = (
            f"the TLS certificate of {host} did not verify ({problem})"
            if protection == Protection.ENCRYPTED
            else "no TLS"
        )
        raise DeliveryError(
            f"not logged in as {account.name}: an OAuth 2.0 token goes only over TLS with a verified certificate, "
            f"and this session has {why}; set {errors.setting(destination.rule, 'tls')} to required (or implicit)"
        )
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    mechanism = next((m for m in (Mechanism.XOAUTH2, Mechanism.OAUTHBEARER) if m in offered), None)
    if mechanism is None:
        raise DeliveryError(
            f"{host} offers no XOAUTH2 or OAUTHBEARER for the OAuth 2.0 account {account.name} ({' '.join(offered)})"
        )
    user = account.username
    for retry in (False, True):
        current = token(retry)
        if mechanism == Mechanism.XOAUTH2:
            blob = f"user={user}\x01auth=Bearer {current}\x01\x01"
        else:
            blob = f"n,a={user},\x01auth=Bearer {current}\x01\x01"
        code, resp = smtp.docmd("AUTH", f"{mechanism} {base64.b64encode(blob.encode()).decode()}")
        if code == 334:  # the error challenge (base64 JSON): an empty line, then the final reply
            code, resp = smtp.docmd("")
        if code in (235, 503):
            return
        if code != 535 or retry:
            break
    raise DeliveryError(f"AUTH {mechanism} as {user} refused: {errors.reply(code, resp)}")


def password(
    smtp: smtplib.SMTP, destination: Destination, secret: str, protection: Protection, problem: str = ""
) -> None:
    account = destination.account
    assert account is not None
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    order, why = password_mechanisms(destination, protection, problem)
    mechanisms = [m for m in order if m in offered]
    if not mechanisms:
        if why:
            raise DeliveryError(
                Problem(
                    "",
                    "not logged in as {name}: {why}, which {host} does not offer ({offered}); the mail waits",
                    name=account.name,
                    why=why,
                    host=destination.host,
                    offered=" ".join(offered),
                )
            )
        raise DeliveryError(
            Problem("", "the server offers no AUTH mechanism Tenso speaks ({offered})", offered=" ".join(offered))
        )
    mechanism = mechanisms[0]
    user = account.username
    if mechanism == Mechanism.CRAM_MD5:
        code, resp = smtp.docmd("AUTH", Mechanism.CRAM_MD5)
        if code == 334:
            digest = hmac.new(secret.encode(), base64.b64decode(resp), "md5").hexdigest()
            code, resp = smtp.docmd(base64.b64encode(f"{user} {digest}".encode()).decode())
    elif mechanism == Mechanism.LOGIN:
        code, resp = smtp.docmd("AUTH", "LOGIN " + base64.b64encode(user.encode()).decode())
        if code == 334:
            code, resp = smtp.docmd(base64.b64encode(secret.encode()).decode())
    else:
        token = base64.b64encode(f"\0{user}\0{secret}".encode()).decode()
        code, resp = smtp.docmd("AUTH", "PLAIN " + token)
    if code not in (235, 503):
        # Postfix defers on a refused login too: a wrong password is fixed by the admin, then retried.
        raise DeliveryError(
            Problem(
                "",
                "AUTH {mechanism} as {user} refused: {reply}",
                mechanism=mechanism,
                user=user,
                reply=errors.reply(code, resp),
            )
        )
