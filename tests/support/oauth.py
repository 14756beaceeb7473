"""A real OAuth 2.0 authorization server on 127.0.0.1 (plain HTTP, loopback only), for the
sign-in, refresh and XOAUTH2 tests.

- ``GET /authorize``: checks the client and the PKCE parameters, then redirects (302) to the
  ``redirect_uri`` with a one-time code and the state, as a provider does after the user agrees;
- ``POST /token``: ``authorization_code`` (the code_verifier must hash to the challenge, S256),
  ``refresh_token`` (rotating: each refresh token works once, unless ``rotate`` is off, then no new
  one is returned, as Google does), ``client_credentials`` (checks the client secret, or the
  client assertion: its RS256 signature against the certificates ``upload()``-ed, its ``x5t``,
  ``aud``, ``iss``/``sub``, ``nbf``/``exp`` and a ``jti`` never seen before, answering Entra ID's
  AADSTS700027 when it does not hold) and the device grant; ``invalid_grant`` is the answer to
  every refresh once ``revoke()`` was called; ``refuse_next()`` makes the next token requests
  fail with a given error or HTTP status (a provider's outage);
- ``POST /devicecode`` and ``GET /device?user_code=...`` (the user entering the code);
- access tokens live ``access_seconds`` and can be made long (``token_chars``) to exceed what a
  keyring entry may hold.  ``valid(token)`` is what an SMTP server asks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


class AuthServer:
    def __init__(
        self,
        access_seconds: float = 3600,
        rotate: bool = True,
        token_chars: int = 0,
        client_id: str = "tenso-test",
        client_secret: str = "app-secret",
        user: str = "office@contoso.example",
    ):
        self.access_seconds = access_seconds
        self.rotate = rotate
        self.token_chars = token_chars
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = user
        self.codes: dict[str, dict] = {}
        self.access: dict[str, float] = {}  # access token -> expiry
        self.refresh: set[str] = set()  # refresh tokens that still work
        self.devices: dict[str, dict] = {}  # device_code -> user_code, approved
        self.revoked = False
        self.grants: Counter[str] = Counter()  # grant_type -> tokens issued
        self.refused: list[str] = []  # the error of each refused token request
        self.scopes: list[str] = []  # the scope of each token request that asked for one
        self.certificates: list[bytes] = []  # PEM certificates uploaded for the application
        self.assertions: list[tuple[dict, dict]] = []  # header and claims of each assertion accepted
        self.jtis: set[str] = set()
        self.refusals: list[tuple[int, str, str]] = []  # the next token requests refused: status, error, text
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/authorize":
                    server._authorize(self, query)
                elif parts.path == "/device":
                    server._approve(self, query)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                path = urlsplit(self.path).path
                if path == "/token":
                    server._token(self, form)
                elif path == "/devicecode":
                    server._device(self, form)
                else:
                    self.send_error(404)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def oauth2(self, flow: str = "authorization_code", provider: str = "generic") -> dict:
        """The ``oauth2`` object of an account using this server."""
        return {
            "provider": provider,
            "tenant": "contoso.example",
            "client_id": self.client_id,
            "flow": flow,
            "scope": "mail.send offline_access",
            "authorize_url": self.url("/authorize"),
            "token_url": self.url("/token"),
            "device_url": self.url("/devicecode"),
        }

    # --- what the tests ask ---

    def valid(self, token: str) -> bool:
        with self.lock:
            return self.access.get(token, 0) > time.time()

    def revoke(self) -> None:
        """Consent withdrawn: every token stops working, refreshes get invalid_grant."""
        with self.lock:
            self.revoked = True
            self.access.clear()
            self.refresh.clear()

    def restore(self) -> None:
        with self.lock:
            self.revoked = False

    def expire_all(self) -> None:
        with self.lock:
            self.access = dict.fromkeys(self.access, 0.0)

    def upload(self, cert_pem: bytes) -> None:
        """The administrator uploads a certificate in the app registration."""
        with self.lock:
            self.certificates.append(cert_pem)

    def refuse_next(self, count: int = 1, error: str = "invalid_client", text: str = "", status: int = 400) -> None:
        """The next ``count`` token requests are refused (``status`` 5xx: an outage, no JSON)."""
        with self.lock:
            self.refusals.extend([(status, error, text or f"{error} (test)")] * count)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    # --- the endpoints ---

    def _json(self, handler: BaseHTTPRequestHandler, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _error(self, handler: BaseHTTPRequestHandler, error: str, description: str) -> None:
        with self.lock:
            self.refused.append(error)
        self._json(handler, 400, {"error": error, "error_description": description})

    def _authorize(self, handler: BaseHTTPRequestHandler, q: dict) -> None:
        redirect = q.get("redirect_uri", "")
        ok = (
            q.get("response_type") == "code"
            and q.get("client_id") == self.client_id
            and q.get("code_challenge_method") == "S256"
            and q.get("code_challenge")
            and redirect.startswith("http://127.0.0.1:")
        )
        if not ok:
            handler.send_error(400, "bad authorization request")
            return
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": redirect, "hint": q.get("login_hint")}
        handler.send_response(302)
        handler.send_header("Location", f"{redirect}?{urlencode({'code': code, 'state': q.get('state', '')})}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _device(self, handler: BaseHTTPRequestHandler, form: dict) -> None:
        device_code, user_code = secrets.token_urlsafe(16), secrets.token_hex(4).upper()
        with self.lock:
            self.devices[device_code] = {"user_code": user_code, "approved": False}
        self._json(
            handler,
            200,
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": self.url("/device"),
                "interval": 0.2,
                "expires_in": 60,
            },
        )

    def _approve(self, handler: BaseHTTPRequestHandler, q: dict) -> None:
        with self.lock:
            found = [d for d in self.devices.values() if d["user_code"] == q.get("user_code")]
            for d in found:
                d["approved"] = True
        handler.send_response(200 if found else 404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _issue(self, handler: BaseHTTPRequestHandler, grant: str, refresh: bool) -> None:
        access = secrets.token_urlsafe(max(self.token_chars, 32))
        reply = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_seconds,
            "scope": "mail.send",
        }
        with self.lock:
            self.access[access] = time.time() + self.access_seconds
            self.grants[grant] += 1
            if refresh:
                token = secrets.token_urlsafe(max(self.token_chars, 32))
                self.refresh.add(token)
                reply["refresh_token"] = token
        self._json(handler, 200, reply)

    def _assertion_problem(self, form: dict) -> str | None:
        """Why the client assertion does not prove the client (RFC 7523, as Entra ID checks it)."""
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        def part(text: str) -> bytes:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return "AADSTS7000216: client_assertion_type is missing or wrong"
        try:
            head, body, sig = form["client_assertion"].split(".")
            header, claims = json.loads(part(head)), json.loads(part(body))
        except (KeyError, ValueError):
            return "AADSTS50027: the client assertion is not a JWT"
        with self.lock:
            uploaded = [x509.load_pem_x509_certificate(pem) for pem in self.certificates]
        by_x5t = {base64.urlsafe_b64encode(c.fingerprint(hashes.SHA1())).rstrip(b"=").decode(): c for c in uploaded}
        cert = by_x5t.get(header.get("x5t", ""))
        if cert is None:
            return (
                "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found., "
                f"Thumbprint of key used by client: '{header.get('x5t')}']"
            )
        s256 = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
        if header.get("alg") != "RS256" or header.get("x5t#S256", s256) != s256:
            return "AADSTS700027: the header's alg or x5t#S256 does not match the certificate"
        try:
            key = cert.public_key()
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(part(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "AADSTS700027: Client assertion contains an invalid signature."
        now = time.time()
        if claims.get("aud") != self.url("/token"):
            return f"AADSTS700212: the audience {claims.get('aud')} is not the token endpoint"
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return "AADSTS700023: iss and sub must be the client id"
        if not (claims.get("nbf", 0) <= now + 60 and now < claims.get("exp", 0) <= now + 600 + 60):
            return "AADSTS700024: the client assertion is not within its valid time range"
        with self.lock:
            if claims.get("jti") in self.jtis or not claims.get("jti"):
                return "AADSTS700025: the jti was used before"
            self.jtis.add(claims["jti"])
            self.assertions.append((header, claims))
        return None

    def _token(self, handler: BaseHTTPRequestHandler, form: dict) -> None:
        grant = form.get("grant_type", "")
        if "scope" in form:
            with self.lock:
                self.scopes.append(form["scope"])
        with self.lock:
            refusal = self.refusals.pop(0) if self.refusals else None
        if refusal is not None:
            status, error, text = refusal
            if status >= 500:
                with self.lock:
                    self.refused.append(f"HTTP {status}")
                handler.send_error(status, "Service Unavailable")
            else:
                self._error(handler, error, text)
            return
        if form.get("client_id") != self.client_id:
            self._error(handler, "invalid_client", "unknown client")
            return
        if grant == "authorization_code":
            with self.lock:
                code = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                self._error(handler, "invalid_grant", "unknown or used code")
            elif digest != code["challenge"]:
                self._error(handler, "invalid_grant", "PKCE verification failed")
            else:
                self._issue(handler, grant, refresh=True)
        elif grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self.lock:
                known = token in self.refresh and not self.revoked
                if known and self.rotate:
                    self.refresh.discard(token)  # each refresh token works once
            if not known:
                self._error(handler, "invalid_grant", "AADSTS70000: the refresh token was revoked or used")
            else:
                self._issue(handler, grant, refresh=self.rotate)
        elif grant == "client_credentials" and "client_assertion" in form:
            problem = self._assertion_problem(form)
            if problem:
                self._error(handler, "invalid_client", problem)
            else:
                self._issue(handler, grant, refresh=False)
        elif grant == "client_credentials":
            if form.get("client_secret") != self.client_secret:
                self._error(handler, "invalid_client", "AADSTS7000215: invalid client secret")
            else:
                self._issue(handler, grant, refresh=False)
        elif grant == "urn:ietf:params:oauth:grant-type:device_code":
            with self.lock:
                device = self.devices.get(form.get("device_code", ""))
            if device is None:
                self._error(handler, "expired_token", "unknown device code")
            elif not device["approved"]:
                self._error(handler, "authorization_pending", "the user has not entered the code yet")
            else:
                with self.lock:
                    self.devices.pop(form["device_code"], None)
                self._issue(handler, "device_code", refresh=True)
        else:
            self._error(handler, "unsupported_grant_type", grant)


def browse(url: str) -> str:
    """What a browser does with the authorization URL: GET it, follow the redirect to Tenso's
    loopback listener, return the page it shows."""
    with urllib.request.urlopen(url, timeout=10) as reply:  # follows the 302
        return reply.read().decode()


# --- an SMTP server that takes OAuth 2.0 tokens ----------------------------------------------------


def xoauth2_upstream(server: AuthServer, tls_context, hostname: str = "127.0.0.1"):
    """An aiosmtpd upstream that offers ``AUTH XOAUTH2`` only after STARTTLS and checks each token
    with ``server``; a refused token gets the 334 error challenge, then 535.  ``handler.reject``:
    a reply refusing even valid tokens (SMTP AUTH turned off for the tenant)."""
    import base64 as b64

    from aiosmtpd.smtp import AuthResult

    from tests.support.processes import free_port
    from tests.support.smtp import UpstreamController, UpstreamHandler

    class Handler(UpstreamHandler):
        reject: str = ""
        tokens: list[tuple[str, str, bool]]  # user, token, valid

        async def auth_XOAUTH2(self, smtp, args) -> AuthResult:
            if len(args) < 2:
                return AuthResult(success=False, handled=False)
            fields = dict(
                part.split("=", 1) if "=" in part else (part, "")
                for part in b64.b64decode(args[1]).decode().split("\x01")
                if part
            )
            user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
            ok = server.valid(token) and not self.reject
            self.tokens.append((user, token, server.valid(token)))
            self.auth_attempts.append(("XOAUTH2", user, ok))
            if ok:
                smtp.session.tenso_user = user
                smtp.session.tenso_mechanism = "XOAUTH2"
                return AuthResult(success=True, auth_data=user)
            challenge = b'{"status":"401","schemes":"bearer","scope":"https://mail.example/"}'
            answer = await smtp.challenge_auth(challenge)
            if answer != b"":  # the client must answer the error challenge with an empty line
                await smtp.push("501 5.5.2 expected an empty line after the error challenge")
                return AuthResult(success=False, handled=True)
            await smtp.push(self.reject or "535 5.7.3 Authentication unsuccessful")
            return AuthResult(success=False, handled=True)

    handler = Handler(require_auth=True)
    handler.tokens = []
    controller = UpstreamController(
        handler,
        hostname=hostname,
        port=free_port(),
        server_hostname="upstream.test",
        tls_context=tls_context,
        require_starttls=False,
        auth_require_tls=True,  # AUTH is advertised only after STARTTLS
        auth_exclude_mechanism=["LOGIN", "PLAIN", "CRAM-MD5"],
        authenticator=lambda *args: AuthResult(success=False, handled=False),
    )
    controller.start()
    return controller, handler
