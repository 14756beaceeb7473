"""The OAuth 2.0 flows, with authlib (its requests client): authorization code with PKCE and a
loopback redirect, device code, client credentials, refresh.

authlib does the protocol (the authorization URL, PKCE's S256 challenge, the token requests and
their error replies, keeping the old refresh token when a refresh returns none); this module
adds what a gateway needs around it: the providers' endpoints, the one-shot listener on
127.0.0.1 that receives the browser's redirect, and the device flow's polling.  Everything
blocks: call it from a thread (the command line is one; the window runs it in one).
"""

from __future__ import annotations

import html
import http.server
import secrets
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.settings import GRAPH_SCOPE, Flow, Provider, UpstreamAccount
from app.system import proxy

HTTP_TIMEOUT = 30.0
SIGN_IN_SECONDS = 300.0  # how long a sign-in waits for the browser or the device code


@dataclass(frozen=True)
class Preset:
    authorize_url: str
    token_url: str
    device_url: str
    scope: str  # delegated: the user signs in
    app_scope: str  # client credentials: the application's own permission
    extra: tuple[tuple[str, str], ...] = ()  # more parameters of the authorization URL


MICROSOFT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
PRESETS = {
    Provider.MICROSOFT: Preset(
        f"{MICROSOFT}/authorize",
        f"{MICROSOFT}/token",
        f"{MICROSOFT}/devicecode",
        "https://outlook.office365.com/SMTP.Send offline_access",
        "https://outlook.office365.com/.default",
    ),
    # access_type=offline and prompt=consent: without them Google returns no refresh token.
    Provider.GOOGLE: Preset(
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://oauth2.googleapis.com/device/code",
        "https://mail.google.com/",
        "https://mail.google.com/",
        (("access_type", "offline"), ("prompt", "consent")),
    ),
    Provider.GENERIC: Preset("", "", "", "", ""),
}


class OAuthFailure(Exception):
    """The authorization server said no, or could not be reached; ``error`` is its error code
    (``invalid_grant``, ``access_denied``...) or ``""``."""

    def __init__(self, text: str, error: str = ""):
        super().__init__(text)
        self.error = error


@dataclass(frozen=True)
class Endpoints:
    """One account's provider, resolved: the presets, with the settings' overrides."""

    name: str
    provider: Provider
    flow: Flow
    client_id: str
    username: str
    authorize_url: str
    token_url: str
    device_url: str
    scope: str
    extra: tuple[tuple[str, str], ...]
    proxy: str = ""  # delivery.http_proxy (app/system/proxy.py)


def endpoints(account: UpstreamAccount, graph: bool = False, http_proxy: str = "") -> Endpoints:
    """``graph``: the account sends through Microsoft Graph (a rule with destination GRAPH), so its
    client-credentials token is asked for Graph's scope, not Exchange Online's."""
    o = account.oauth2
    assert o is not None, "a password account has no endpoints"
    preset = PRESETS[o.provider]
    tenant = o.tenant or "organizations"

    def url(override: str, default: str) -> str:
        return override or default.format(tenant=tenant)

    default_scope = preset.app_scope if o.flow == Flow.CLIENT_CREDENTIALS else preset.scope
    if graph and o.flow == Flow.CLIENT_CREDENTIALS:
        default_scope = GRAPH_SCOPE
    return Endpoints(
        name=account.name,
        provider=o.provider,
        flow=o.flow,
        client_id=o.client_id,
        username=account.username,
        authorize_url=url(o.authorize_url, preset.authorize_url),
        token_url=url(o.token_url, preset.token_url),
        device_url=url(o.device_url, preset.device_url),
        scope=o.scope or default_scope,
        extra=preset.extra,
        proxy=http_proxy,
    )


def _session(ep: Endpoints, secret: str | None, **kwargs: Any):
    from authlib.integrations.requests_client import OAuth2Session

    client = OAuth2Session(
        ep.client_id,
        secret,
        scope=ep.scope,
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        timeout=HTTP_TIMEOUT,
        **kwargs,
    )
    return proxy.configure(client, ep.proxy)  # an OAuth2Session is a requests Session


def _call(ep: Endpoints, what: str, fn: Callable[[], Any]) -> dict:
    """authlib's and requests' errors as one OAuthFailure naming the server's reply."""
    import requests
    from authlib.integrations.base_client.errors import OAuthError

    try:
        return dict(fn())
    except OAuthError as exc:
        said = f"{exc.error}: {exc.description}" if exc.description else str(exc.error)
        raise OAuthFailure(f"{what} refused by {urlsplit(ep.token_url).netloc}: {said}", exc.error or "") from exc
    except (requests.RequestException, proxy.ProxyLogin) as exc:
        if by_proxy := proxy.problem(ep.proxy, ep.token_url, exc):
            raise OAuthFailure(f"{what}: {by_proxy}") from exc
        if isinstance(exc, requests.HTTPError):  # a 5xx, or an error page that is not JSON
            code = exc.response.status_code if exc.response is not None else "?"
            raise OAuthFailure(f"{what}: {urlsplit(ep.token_url).netloc} answered HTTP {code}; {exc}") from exc
        raise OAuthFailure(f"{what}: cannot reach {urlsplit(ep.token_url).netloc}: {exc}") from exc
    except ValueError as exc:  # a reply that is not a token (an HTML error page)
        raise OAuthFailure(f"{what}: {urlsplit(ep.token_url).netloc} answered no token: {exc}") from exc


# --- authorization code with PKCE, redirect to 127.0.0.1 ------------------------------------------


class _Redirect(http.server.BaseHTTPRequestHandler):
    """Receives the browser's redirect once, answers it with a short page, and keeps the query."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != "/" or not ({"code", "error"} & query.keys()):
            self.send_error(404)
            return
        self.server.result = query  # type: ignore[attr-defined]
        ok = "code" in query
        text = (
            "Signed in. You can close this window and go back to Tenso."
            if ok
            else f"The sign-in did not finish: {html.escape(query.get('error_description') or query['error'])}"
        )
        body = f"<!doctype html><meta charset=utf-8><title>Tenso</title><p>{text}</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never logged
        pass


def sign_in_browser(
    ep: Endpoints,
    secret: str | None,
    show_url: Callable[[str], None],
    open_browser: bool = True,
    timeout: float = SIGN_IN_SECONDS,
) -> dict:
    """Authorization code with PKCE (S256): listens on 127.0.0.1 (a free port), hands the address
    to ``show_url`` (and the browser), waits for the redirect, then trades the code for tokens."""
    from authlib.common.security import generate_token

    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirect)
    server.result = None  # type: ignore[attr-defined]
    server.timeout = 0.25
    try:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
        client = _session(ep, secret, redirect_uri=redirect_uri, code_challenge_method="S256")
        verifier = generate_token(64)
        extra = dict(ep.extra)
        if ep.username:
            extra["login_hint"] = ep.username
        url, state = client.create_authorization_url(
            ep.authorize_url, state=secrets.token_urlsafe(24), code_verifier=verifier, **extra
        )
        show_url(url)
        if open_browser:
            webbrowser.open(url)
        deadline = time.monotonic() + timeout
        while server.result is None:  # type: ignore[attr-defined]
            if time.monotonic() > deadline:
                raise OAuthFailure(f"no answer from the browser within {timeout / 60:.0f} minutes")
            server.handle_request()
        result: dict[str, str] = server.result  # type: ignore[attr-defined]
    finally:
        server.server_close()
    if "error" in result:
        said = result.get("error_description") or result["error"]
        raise OAuthFailure(f"the sign-in was not completed: {said}", result["error"])
    if not secrets.compare_digest(result.get("state", ""), state):
        raise OAuthFailure("the browser's answer does not belong to this sign-in (state differs); try again")
    with client:
        return _call(
            ep,
            "the sign-in",
            lambda: client.fetch_token(ep.token_url, code=result["code"], code_verifier=verifier),
        )


# --- device code ----------------------------------------------------------------------------------


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def sign_in_device(
    ep: Endpoints, secret: str | None, show: Callable[[str, str], None], timeout: float = SIGN_IN_SECONDS
) -> dict:
    """RFC 8628: asks for a code, hands the address and the code to ``show``, polls until done."""
    import requests

    try:
        with proxy.configure(requests.Session(), ep.proxy) as http:
            reply = http.post(ep.device_url, data={"client_id": ep.client_id, "scope": ep.scope}, timeout=HTTP_TIMEOUT)
        grant = reply.json()
    except (requests.RequestException, proxy.ProxyLogin, ValueError) as exc:
        if by_proxy := proxy.problem(ep.proxy, ep.device_url, exc):
            raise OAuthFailure(f"the device sign-in: {by_proxy}") from exc
        raise OAuthFailure(f"the device sign-in: cannot reach {urlsplit(ep.device_url).netloc}: {exc}") from exc
    if "device_code" not in grant:
        said = grant.get("error_description") or grant.get("error") or f"HTTP {reply.status_code}"
        raise OAuthFailure(f"the device sign-in refused by {urlsplit(ep.device_url).netloc}: {said}")
    show(grant.get("verification_uri") or grant.get("verification_url", ""), grant["user_code"])
    interval = float(grant.get("interval", 5))
    deadline = time.monotonic() + min(timeout, float(grant.get("expires_in", timeout)))
    while True:
        time.sleep(interval)
        try:
            with _session(ep, secret) as client:
                return _call(
                    ep,
                    "the device sign-in",
                    lambda: client.fetch_token(ep.token_url, grant_type=DEVICE_GRANT, device_code=grant["device_code"]),
                )
        except OAuthFailure as exc:
            if exc.error == "slow_down":
                interval += 5
            elif exc.error != "authorization_pending":
                raise
        if time.monotonic() > deadline:
            raise OAuthFailure("the code was not entered in time; start again")


# --- client credentials, refresh -------------------------------------------------------------------


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def client_credentials(ep: Endpoints, secret: str, assertion: str = "") -> dict:
    """The application's own token (Microsoft: application permission SMTP.SendAsApp or Mail.Send),
    proved by the client secret, or by ``assertion``: a JWT signed with the application's
    certificate (RFC 7523; app/accounts/certificates.py), sent instead of a secret."""
    extra = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion} if assertion else {}
    with _session(ep, None if assertion else secret) as client:
        return _call(
            ep,
            "the client-credentials token",
            lambda: client.fetch_token(ep.token_url, grant_type="client_credentials", **extra),
        )


def refresh(ep: Endpoints, secret: str | None, refresh_token: str) -> dict:
    """New tokens from the refresh token; the reply's refresh token replaces the old one
    (Microsoft rotates them), and without one in the reply the old one is kept (Google)."""
    with _session(ep, secret, token={"refresh_token": refresh_token, "token_type": "Bearer"}) as client:
        return _call(ep, "the refresh", lambda: client.refresh_token(ep.token_url, refresh_token=refresh_token))
