"""Real parts for the tests: a Tenso gateway on a loopback port, upstream SMTP servers
that check AUTH themselves, and a file keyring chosen the way users choose one.

Nothing here replaces a part that can run for real: the gateway is the real
engine on a real asyncio loop (in a thread, so tests can use blocking smtplib
clients), upstreams are aiosmtpd servers, passwords go through keyring to
keyrings.alt's file backend selected by PYTHON_KEYRING_BACKEND.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import os
import re
import secrets
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Before anything imports keyring or computes a data folder: never the user's own.
_SANDBOX = Path(tempfile.mkdtemp(prefix="tenso-tests-"))
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
os.environ["XDG_DATA_HOME"] = str(_SANDBOX / "xdg-data")
os.environ["TENSO_DATA_DIR"] = str(_SANDBOX / "tenso-data")

import pytest  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword  # noqa: E402

from app import settings as settings_mod  # noqa: E402
from app.gateway import Gateway  # noqa: E402
from app.system import loops  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mail"  # copied from shared/fixtures


# --- the upstream: a destination server that really checks credentials ----------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    auth_user: str | None
    auth_mechanism: str | None
    tls: bool


@dataclass
class UpstreamHandler:
    accounts: dict[str, str] = field(default_factory=dict)  # username -> password
    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # recipient -> reply instead of 250
    data_replies: list[str] = field(default_factory=list)  # replies to DATA, used up one by one
    auth_attempts: list[tuple[str, str, bool]] = field(default_factory=list)  # mechanism, user, ok
    arrived: threading.Condition = field(default_factory=threading.Condition)
    require_auth: bool = False
    mail_replies: dict[str, str] = field(default_factory=dict)  # sender -> reply instead of 250
    pipelining: bool = False  # advertise RFC 2920 PIPELINING in the EHLO reply
    ehlos: int = 0  # EHLO commands seen: one per session unless STARTTLS

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        self.ehlos += 1
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")  # before the closing "250 HELP"
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        reply = self.mail_replies.get(address.lower())
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        with self.arrived:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    list(envelope.mail_options),
                    getattr(session, "tenso_user", None),
                    getattr(session, "tenso_mechanism", None),
                    session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                )
            )
            self.arrived.notify_all()
        return "250 2.0.0 OK upstream"

    async def auth_CRAM__MD5(self, server: SMTP, args) -> AuthResult:
        challenge = f"<{secrets.token_hex(8)}@upstream.test>".encode()
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=False)
        user, _, digest = answer.decode().rpartition(" ")
        password = self.accounts.get(user)
        expected = hmac.new(password.encode(), challenge, "md5").hexdigest() if password is not None else ""
        ok = password is not None and hmac.compare_digest(expected, digest)
        return self._result(server, "CRAM-MD5", user, ok)

    def _result(self, server: SMTP, mechanism: str, user: str, ok: bool) -> AuthResult:
        self.auth_attempts.append((mechanism, user, ok))
        if not ok:
            return AuthResult(success=False, handled=False)
        server.session.tenso_user = user
        server.session.tenso_mechanism = mechanism
        return AuthResult(success=True, auth_data=user)

    def authenticator(self, server, session, envelope, mechanism, data) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        ok = self.accounts.get(user) == password
        self.auth_attempts.append((mechanism, user, ok))
        if ok:
            session.tenso_user = user
            session.tenso_mechanism = mechanism
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"upstream got {len(self.messages)} message(s), expected {count}")
                self.arrived.wait(left)
            return list(self.messages)


class _LongLineSMTP(SMTP):
    line_length_limit = 1 << 20


class UpstreamController(Controller):
    def factory(self):
        return _LongLineSMTP(self.handler, **self.SMTP_kwargs)


class Upstream:
    """An SMTP server on 127.0.0.1; with ``accounts`` it refuses mail until AUTH succeeds."""

    def __init__(self, accounts: dict[str, str] | None = None, mechanisms=("CRAM-MD5", "LOGIN", "PLAIN"),
                 tls_context=None, implicit_tls_context=None, port: int = 0, pipelining: bool = False):
        self.handler = UpstreamHandler(accounts=dict(accounts or {}), pipelining=pipelining)
        kwargs = {}
        if accounts:
            self.handler.require_auth = True
            kwargs.update(auth_require_tls=False, authenticator=self.handler.authenticator,
                          auth_exclude_mechanism=[m for m in ("CRAM-MD5", "LOGIN", "PLAIN") if m not in mechanisms])
        if tls_context is not None:
            kwargs["tls_context"] = tls_context
        self.controller = UpstreamController(self.handler, hostname="127.0.0.1", port=port or _free_port(),
                                             server_hostname="upstream.test", ssl_context=implicit_tls_context,
                                             **kwargs)
        self.controller.start()
        self.port = self.controller.port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()


# --- processes, from /proc (Linux) ------------------------------------------------------------------


def stat(pid: int) -> tuple[str, int, int] | None:
    """State, parent pid and start time of ``pid`` from /proc, or None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ", which may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def children_running(parent: int, command: str) -> list[tuple[int, int]]:
    """The live children of ``parent`` whose argv holds ``command``, as (pid, start time)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        info = stat(int(entry.name))
        if info is None or info[1] != parent or info[0] in "ZX":
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command.encode() in argv:
            found.append((int(entry.name), info[2]))
    return found


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_free_port = free_port  # the name older test modules import


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> float:
    """Seconds until ``proc`` accepts a connection on ``port``; fails if it exits or never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        assert proc.poll() is None, f"the program exited early with {proc.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return time.monotonic() - start
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port} after {timeout} s")


def write_tls_files(cert, folder: Path) -> dict:
    """A trustme certificate as the PEM files server.tls_cert / tls_key name."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    for i, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(cert_path), append=i > 0)
    cert.private_key_pem.write_to_path(str(key_path))
    return {"tls_cert": str(cert_path), "tls_key": str(key_path)}


@pytest.fixture
def upstream_factory():
    made: list[Upstream] = []

    def make(**kwargs) -> Upstream:
        up = Upstream(**kwargs)
        made.append(up)
        return up

    yield make
    for up in made:
        up.stop()


# --- the gateway: the real engine on its own loop thread ---------------------------------


class RunningGateway:
    def __init__(self, settings: settings_mod.Settings):
        self.loop = loops.new_event_loop()  # the headless gateway's loop: uvloop where installed
        self.thread = threading.Thread(target=self.loop.run_forever, name="gateway-loop", daemon=True)
        self.thread.start()
        self.gateway = Gateway(settings)
        self.call(self.gateway.start())

    def call(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def on_loop(self, fn, *args):
        """``fn(*args)`` run on the gateway's loop thread (the gateway is not thread-safe)."""
        async def run():
            return fn(*args)

        return self.call(run())

    @property
    def port(self) -> int:
        return self.gateway.bound[0][1]

    @property
    def spool(self):
        return self.gateway.spool

    def stop(self) -> None:
        if self.loop.is_running():
            self.call(self.gateway.stop(grace=5))
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


def make_settings(tmp_path: Path, **sections) -> settings_mod.Settings:
    """A settings object as the file would give it: listening on a free loopback port."""
    data = {"server": {"listen": ["127.0.0.1:0"], "hostname": "tenso.test"}, "queue": {"dir": str(tmp_path / "queue")},
            "mailbox_dir": str(tmp_path / "mailboxes")}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return settings_mod.from_dict(data, source=tmp_path / "settings.json")


@pytest.fixture
def gateway_factory(tmp_path, upstream_factory):
    # Depends on upstream_factory so gateways stop (closing pooled sessions) before upstreams do.
    made: list[RunningGateway] = []

    def make(settings: settings_mod.Settings | None = None, **sections) -> RunningGateway:
        gw = RunningGateway(settings or make_settings(tmp_path, **sections))
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.stop()


# --- clients -----------------------------------------------------------------------------


def message(subject: str = "test", body: str = "hello\r\n", extra: str = "") -> bytes:
    return (f"From: a@client.test\r\nTo: b@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{secrets.token_hex(8)}@client.test>\r\n{extra}\r\n{body}").encode()


def send(port: int, sender: str, recipients: list[str], data: bytes, **login) -> dict:
    """Sends one message with smtplib; returns smtplib's refused-recipients dict."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        if login:
            client.login(login["user"], login["password"])
        return client.sendmail(sender, recipients, data)


def strip_received(data: bytes) -> bytes:
    """The message as the client sent it: without the one Received header Tenso adds on top."""
    assert data.startswith(b"Received: "), data[:200]
    end = data.index(b"\r\n", 0)
    while data[end + 2 : end + 3] in (b"\t", b" "):
        end = data.index(b"\r\n", end + 2)
    return data[end + 2 :]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- Tenso as administrators run it: python -m app --headless -----------------------------


def write_config(tmp_path: Path, listen_port: int, upstream_port: int) -> Path:
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({
        "version": 1,
        "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{listen_port}"]},
        "rules": [{"match": "*", "destination": "127.0.0.1", "port": upstream_port, "tls": "none"}],
        "queue": {"dir": str(tmp_path / "queue")},
        "mailbox_dir": str(tmp_path / "mailboxes"),
    }), encoding="utf-8")
    return config


class TensoProcess:
    """`python -m app --headless --config FILE`, its stderr in a file so a full pipe never blocks it."""

    def __init__(self, config: Path, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--headless", "--config", str(config)],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"tenso exited with {self.proc.returncode} before listening:\n{self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"tenso not listening on 127.0.0.1:{self.port} after {timeout} s:\n{self.log}")

    def wait_log(self, pattern: str, count: int = 1, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, self.log)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} log line(s) matching {pattern!r} not seen:\n{self.log}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._log.close()


@pytest.fixture
def tenso(tmp_path, upstream_factory):
    """Starts gateway processes; every one is killed at teardown, before the upstreams stop."""
    started: list[TensoProcess] = []

    def start(config: Path, port: int) -> TensoProcess:
        proc = TensoProcess(config, port, tmp_path / f"tenso-{len(started) + 1}.log")
        started.append(proc)
        proc.wait_listening()
        return proc

    yield start
    for proc in started:
        proc.close()
