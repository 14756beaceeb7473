"""Tenso as administrators run it (``python -m app ...`` in a subprocess), processes read from
/proc (Linux), and loopback ports."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support import REPO

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


def gone(child: tuple[int, int]) -> bool:
    """The process has ended (exited, or a zombie nobody reaps yet); a reused pid counts as gone."""
    pid, started = child
    info = stat(pid)
    return info is None or info[0] in "ZX" or info[2] != started


# --- ports ------------------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_HELD: list[socket.socket] = []  # the dead ports' sockets, bound until this test process ends


def dead_port() -> int:
    """A loopback port that refuses every connection for as long as the tests run: bound but never
    listening, so no other test (another xdist worker) can open an upstream on it and receive the
    mail a gateway keeps retrying there, as a port from free_port() can once it is given back."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


def revive(port: int) -> None:
    """Gives a dead_port() back, for the test that now opens its own upstream on it."""
    for s in [s for s in _HELD if s.getsockname()[1] == port]:
        _HELD.remove(s)
        s.close()


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


# --- Tenso as administrators run it: python -m app ... -----------------------------------


def run_app(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 20
) -> subprocess.CompletedProcess:
    """``python -m app ARGS`` from the repository, as an administrator types it; its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def check(path: Path) -> subprocess.CompletedProcess:
    """``python -m app check --config PATH``, as scripts run it."""
    return run_app("check", "--config", str(path), timeout=60)


def write_config(tmp_path: Path, listen_port: int, upstream_port: int) -> Path:
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "version": 1,
                "server": {"hostname": "tenso.test", "listen": [f"127.0.0.1:{listen_port}"]},
                "rules": [{"match": "*", "destination": "127.0.0.1", "port": upstream_port, "tls": "none"}],
                "queue": {"dir": str(tmp_path / "queue")},
                "mailbox_dir": str(tmp_path / "mailboxes"),
            }
        ),
        encoding="utf-8",
    )
    return config


class TensoProcess:
    """`python -m app --headless --config FILE`, its stderr in a file so a full pipe never blocks it."""

    def __init__(self, config: Path, port: int, log_path: Path, env: dict[str, str] | None = None):
        self.port = port
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--headless", "--config", str(config)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env=env,
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
