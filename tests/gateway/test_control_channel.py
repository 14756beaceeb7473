"""The control channel's server and client over the real transport (app/control/server.py,
client.py; unix.py here, windows.py's named pipe on the Windows workflow): several requests on one
connection, what is not a request, a line over the bound, clients that say nothing, read nothing or
leave in the middle of a stream, the stop, and (Unix) the socket file's mode, one left by a gateway
that died, and another user, who may not command the gateway."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from app.control import address, protocol
from app.control.client import ControlError, connect
from app.control.logfeed import LogFeed
from app.control.server import ControlServer, Refused, Streaming
from tests.support import REPO
from tests.support.waiting import wait_until

log = logging.getLogger("tenso")


class Served:
    """A ControlServer on a real loop in a thread, serving a few ops, on the queue folder ``queue``."""

    def __init__(self, queue: Path):
        self.queue = queue
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.feed = LogFeed()
        self.feed.install()

        async def echo(args):
            return args

        async def slow(args):
            await asyncio.sleep(args["seconds"])
            return "slept"

        async def refuse(args):
            raise Refused("not today")

        async def boom(args):
            raise RuntimeError("a bug")

        async def follow(args):
            return self.feed.follow(args.get("last", 0))

        handlers = {"echo": echo, "slow": slow, "refuse": refuse, "boom": boom, "log.follow": Streaming(follow)}
        self.server = ControlServer(handlers, address.for_queue(queue))
        self.call(self.server.start())

    def call(self, coro, timeout: float = 20.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def path(self) -> Path:
        return Path(self.server.address.path)

    def raw(self):
        """A bare connection of the transport (bytes in, bytes out), to send what no client would."""
        if sys.platform == "win32":
            from app.control import windows

            conn = windows.open_connection(self.server.address.path, 10)
        else:
            from app.control import unix

            conn = unix.open_connection(self.path, 10)
        assert conn is not None
        return conn

    def stop(self) -> None:
        self.call(self.server.stop())
        self.feed.remove()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(autouse=True)
def info_lines(caplog):
    caplog.set_level(logging.INFO, logger="tenso")  # as the program logs (app/system/logs.py)


@pytest.fixture
def served(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    s = Served(queue)
    yield s
    s.stop()


def reply(conn) -> dict:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv()
        assert chunk, f"closed after {data!r}"
        data += chunk
    return json.loads(data)


unix_only = pytest.mark.skipif(sys.platform == "win32", reason="the Unix socket file (Windows: a named pipe)")


def test_one_connection_carries_several_requests_in_turn(served):
    with connect(served.queue) as client:
        assert client.call("echo", a=1) == {"a": 1}
        assert client.call("echo", text="日本語") == {"text": "日本語"}
        with pytest.raises(ControlError, match="not today"):
            client.call("refuse")
        with pytest.raises(ControlError, match=r"the gateway failed on boom: a bug \(the log has the details\)"):
            client.call("boom")
        assert client.call("echo") == {}  # still served after the refusals


def test_an_unknown_op_and_garbage_are_answered_and_the_connection_goes_on(served):
    sock = served.raw()
    try:
        sock.sendall(b"this is not json\n")
        assert reply(sock)["error"].startswith("the request is not a line of JSON")
        sock.sendall(b'{"op": "nope"}\n')
        answer = reply(sock)
        assert answer["ok"] is False
        assert answer["error"] == "unknown request 'nope'; this gateway knows: boom, echo, log.follow, refuse, slow"
        sock.sendall(b"\n" + protocol.request("echo", {"x": 2}))  # an empty line is skipped
        assert reply(sock) == {"ok": True, "result": {"x": 2}}
    finally:
        sock.close()


def test_a_line_over_the_bound_is_refused_and_the_connection_closed(served):
    sock = served.raw()
    try:
        try:
            sock.sendall(b"x" * (protocol.MAX_LINE + 1))
        except OSError:
            pass  # the server may close before the last bytes are taken
        answer = reply(sock)
        assert answer == {
            "ok": False,
            "error": f"a line of the control channel may have at most {protocol.MAX_LINE} bytes",
        }
        assert sock.recv() == b""
    finally:
        sock.close()
    with connect(served.queue) as client:
        assert client.call("echo", ok=True) == {"ok": True}


@unix_only
def test_a_silent_client_and_one_that_never_reads_hold_only_their_own_thread(served):
    silent = served.raw()
    greedy = served.raw().sock
    greedy.setblocking(False)
    big = protocol.request("echo", {"pad": "x" * 100_000})
    sent = 0
    try:  # requests until the socket buffers are full: the server's thread for it is stuck writing
        while sent < 50_000_000:
            sent += greedy.send(big)
    except BlockingIOError:
        pass
    try:
        started = time.monotonic()
        with connect(served.queue) as client:
            assert client.call("echo", n=1) == {"n": 1}
            assert client.call("slow", seconds=0.2) == "slept"
        assert time.monotonic() - started < 5
        assert served.call(asyncio.sleep(0, "loop free")) == "loop free"
    finally:
        silent.close()
        greedy.close()


def test_a_slow_request_does_not_delay_another_clients(served):
    done = []
    first = connect(served.queue)
    thread = threading.Thread(target=lambda: done.append(first.call("slow", seconds=2)))
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    with connect(served.queue) as second:
        assert second.call("echo") == {}
    assert time.monotonic() - started < 1
    thread.join(10)
    first.close()
    assert done == ["slept"]


def test_log_follow_sends_the_last_lines_then_each_new_one(served):
    log.info("line one")
    log.info("line two")
    with connect(served.queue) as client:
        lines = client.follow("log.follow", last=2)
        assert next(lines).endswith("INFO line one")
        assert next(lines).endswith("INFO line two")
        log.warning("line three, after the client came")
        assert next(lines).endswith("WARNING line three, after the client came")
        lines.close()


def test_a_client_that_leaves_mid_stream_is_forgotten_and_others_are_served(served):
    sock = served.raw()
    sock.sendall(protocol.request("log.follow", {"last": 0}))
    wait_until(lambda: served.feed._followers, what="a follower")
    log.info("to the follower")
    assert reply(sock)["result"].endswith("to the follower")
    sock.close()  # in the middle of the stream
    wait_until(lambda: not served.feed._followers, what="the follower forgotten after its client left")
    for n in range(20):  # lines logged after it left go nowhere and break nothing
        log.info("after %d", n)
    with connect(served.queue) as client:
        assert client.call("echo", still=True) == {"still": True}


def test_stop_closes_every_connection_and_removes_the_socket(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    s = Served(queue)
    silent = s.raw()
    followed: list = []
    follower = threading.Thread(target=lambda: followed.extend(connect(queue).follow("log.follow", last=0)))
    follower.start()
    wait_until(lambda: s.feed._followers, what="a follower")
    started = time.monotonic()
    s.stop()
    assert time.monotonic() - started < 5
    assert not s.path.exists() or sys.platform == "win32"
    assert silent.recv() == b""
    follower.join(5)
    assert not follower.is_alive() and followed == []  # the stream ended
    assert connect(queue) is None  # nothing serves the queue now
    silent.close()


@unix_only
def test_a_socket_file_left_by_a_gateway_that_died_is_replaced(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    path = Path(address.for_queue(queue).path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays, nothing listens
    assert path.is_socket()
    assert connect(queue) is None  # refused: no gateway
    s = Served(queue)
    try:
        with connect(queue) as client:
            assert client.call("echo") == {}
    finally:
        s.stop()


@unix_only
def test_the_socket_is_the_users_alone(served):
    mode = served.path.stat().st_mode & 0o777
    assert mode == 0o600
    assert [p.name for p in served.queue.iterdir()] == ["control.sock"]  # no staging folder left


@unix_only
def test_a_queue_path_too_long_for_a_socket_is_served_at_the_short_path(tmp_path):
    queue = tmp_path / ("a-very-long-folder-name-" * 6)
    queue.mkdir()
    s = Served(queue)
    try:
        assert s.path.parent == address.short_folder(os.getuid())
        assert s.path.parent.stat().st_mode & 0o777 == 0o700
        with connect(queue) as client:
            assert client.call("echo", long=True) == {"long": True}
    finally:
        s.stop()
    assert not s.path.exists()


# --- another user -------------------------------------------------------------------------------

needs_root = pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="only root can run a client as another user (Unix)"
)


def _python_for_nobody() -> str:
    """A Python that the user nobody may run (this one may sit in root's home)."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        try:
            done = subprocess.run([candidate, "-c", "pass"], user="nobody", group="nogroup", timeout=20)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return candidate
    pytest.skip("no Python the user nobody may run")


CLIENT = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from app.control.client import ControlError, connect
try:
    client = connect(Path(sys.argv[2]))
    print("no gateway" if client is None else client.call("echo", who="nobody"))
except ControlError as exc:
    print("REFUSED", exc)
"""


def _as_nobody(queue: Path) -> str:
    done = subprocess.run(
        [_python_for_nobody(), "-c", CLIENT, str(REPO), str(queue)],
        user="nobody",
        group="nogroup",
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def open_queue():
    """A queue folder that every user may enter (as /var/spool is), short enough for its socket."""
    top = Path(tempfile.mkdtemp(prefix="tenso-ctl-", dir="/tmp"))
    os.chmod(top, 0o755)
    queue = top / "queue"
    queue.mkdir(mode=0o755)
    yield queue
    for p in sorted(top.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    top.rmdir()


@needs_root
def test_another_user_cannot_open_the_socket(open_queue, caplog):
    s = Served(open_queue)
    try:
        answer = _as_nobody(open_queue)
        assert answer.startswith("REFUSED a gateway runs on"), answer
        assert "this user may not command it (Permission denied)" in answer
        with connect(open_queue) as client:  # the gateway's own user is served
            assert client.call("echo", who="root") == {"who": "root"}
    finally:
        s.stop()


@needs_root
def test_another_user_who_reaches_the_socket_is_refused_by_its_credentials(open_queue, caplog):
    """Even where the file's mode would let them in (a careless chmod), SO_PEERCRED keeps them out."""
    s = Served(open_queue)
    try:
        os.chmod(s.path, 0o666)
        with caplog.at_level(logging.WARNING, logger="tenso"):
            answer = _as_nobody(open_queue)
        assert answer == "REFUSED refused: only root may command this gateway", answer
        refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert len(refused) == 1
        assert refused[0].startswith("control channel: refused nobody (uid 65534) (pid ")
        with connect(open_queue) as client:
            assert client.call("echo", who="root") == {"who": "root"}
    finally:
        s.stop()


# --- a gateway without the channel (an older Tenso): the command line falls back to the files ---


def test_a_gateway_that_serves_no_channel_still_gets_the_request_files(tmp_path, capsys):
    from app import cli
    from app import settings as settings_mod
    from tests.support.gateway import RunningGateway, make_settings

    settings = make_settings(tmp_path)
    config = tmp_path / "settings.json"
    settings_mod.save(settings, config)
    gw = RunningGateway(settings_mod.load(config))  # no runtime: no channel, as before issue 25
    try:
        assert connect(gw.spool.root) is None
        assert cli.main(["reload", "--config", str(config)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"reload requested: the gateway running on {gw.spool.root} does not answer")
        assert [p.name.split("-", 1)[1] for p in gw.spool.control.iterdir()] in ([], ["reload-ALL"])
        assert cli.main(["status", "--json", "--config", str(config)]) == 0
        found = json.loads(capsys.readouterr().out)
        assert found["engine"] is None and found["state"] == "running"  # from the queue's lock
    finally:
        gw.stop()
