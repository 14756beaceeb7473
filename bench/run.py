#!/usr/bin/env python3
"""Tenso against Postfix on loopback: throughput, memory, CPU, routing and start-up.

    python3 bench/run.py            # the full run (3 rounds of 2,000 messages per relay and size)
    python3 bench/run.py --quick    # a small run that checks the set-up in about two minutes

One run installs Postfix from Debian's packages if it is missing, starts a
private Postfix instance (its own config, queue and data folders in a temp
folder, never /etc/postfix) and Tenso headless, each relaying everything to its
own smtp-sink, and drives them in turn with smtp-source.  Then it times
Tenso's routing table in-process and Tenso's start-up with a full spool.  It
prints one table and writes it to bench/results/<UTC time>.md.  bench/README.md
says what each figure means.

Standard library only; Tenso runs under the project's .venv python when there
is one.  Loopback only.  Every process started here is stopped by its PID (the
private Postfix with ``postfix -c DIR stop``), on errors and Ctrl+C too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import latency

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTFIX_CONF = ROOT / "bench" / "postfix"  # the reference set-up: Postfix as a plain relay, fsync as shipped
HOST = "127.0.0.1"  # loopback only, by design
SENDER = "bench@source.example"
RECIPIENT = "someone@destination.example"
CLIENT_NAME = "bench-client.localdomain"
CLK_TCK = os.sysconf("SC_CLK_TCK")
MESG = re.compile(rb"mesg=(\d+)")
LOOP_LAG = re.compile(r"loop lag p50=([\d.]+)\s*ms p99=([\d.]+)\s*ms")
LAG_REPORT_SECONDS = 2  # asks Tenso (TENSO_LOOP_LAG_SECONDS) for a loop-lag line every 2 s under load
WAITING = re.compile(r"(\d+) message\(s\) waiting")
POSTFIX_QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


class BenchError(Exception):
    """A step that cannot go on; the message says which and why."""


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- processes: started here, stopped here, by PID --------------------------------------


class Stoppers:
    """What to undo, newest first; each step runs even when an earlier one fails."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], None]]] = []

    def add(self, what: str, step: Callable[[], None]) -> None:
        self._steps.append((what, step))

    def run(self) -> None:
        while self._steps:
            what, step = self._steps.pop()
            try:
                step()
            except Exception as exc:  # keep stopping the others
                progress(f"cleanup: {what}: {exc}")


STOPPERS = Stoppers()


def start(cmd: list[str], **kw) -> subprocess.Popen:
    """A child in its own session: a Ctrl+C in the terminal reaches only this script, which stops it."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True, **kw)
    STOPPERS.add(f"{Path(cmd[0]).name} pid {proc.pid}", lambda: stop_process(proc))
    return proc


def stop_process(proc: subprocess.Popen, grace: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pid_alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != b"Z"


def _stat(pid: int | str) -> list[bytes] | None:
    """/proc/PID/stat after the command name: [state, ppid, ...]; utime is [11]."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (empty when ``root`` is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(entry.name)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    if _stat(root) is None:
        return []
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int], user_only: bool = False) -> float:
    """utime+stime of each process plus cutime+cstime of the children it reaped.

    Postfix's master reaps its smtpd/cleanup/smtp processes, so CPU of children that
    exit during a run stays counted; a difference of two readings is the tree's use.
    """
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[13]) if user_only else sum(int(x) for x in fields[11:15])
    return ticks / CLK_TCK


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """(user, system) seconds of ``pids``, each with the children it reaped (as ``cpu_seconds``)."""
    user = system = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            user += int(fields[11]) + int(fields[13])
            system += int(fields[12]) + int(fields[14])
    return user / CLK_TCK, system / CLK_TCK


def context_switches(pids: list[int]) -> int:
    """Voluntary + involuntary context switches of every thread of ``pids``: each is a time a
    thread left the CPU, so over a window with nothing to do they count its wake-ups."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except (OSError, ValueError):
                continue
    return total


def thread_switches(pids: list[int]) -> dict[str, int]:
    """Context switches per ``pid/thread name``, to say who woke up in the idle figure."""
    found: dict[str, int] = {}
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                text = Path(f"/proc/{pid}/task/{tid}/status").read_text()
            except OSError:
                continue
            name = re.search(r"Name:\s*(.*)", text)
            counts = re.findall(r"(?:non)?voluntary_ctxt_switches:\s*(\d+)", text)
            key = f"{pid}/{tid} {name.group(1) if name else '?'}"
            found[key] = sum(int(c) for c in counts)
    return found


def others_user_seconds(ours: list[int]) -> float:
    """User-mode CPU of the whole machine less that of this script, the children it reaped
    (smtp-source runs) and the processes ``ours``: what other work on the machine used.

    User time only: the kernel's share of loopback TCP and fsync (softirq, jbd2) is
    charged to nobody, and would pass for someone else's load."""
    with open("/proc/stat") as f:
        user, nice = (int(x) for x in f.readline().split()[1:3])
    t = os.times()
    return (user + nice) / CLK_TCK - t.user - t.children_user - cpu_seconds(ours, user_only=True)


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """Summed (RSS, PSS) in KiB from /proc/PID/smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return rss, pss


class PeakMemory(threading.Thread):
    """Samples a process tree's summed PSS (and RSS) every ``interval`` s; keeps the peak."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.2):
        super().__init__(daemon=True, name="peak-memory")
        self.pids = pids
        self.interval = interval
        self.peak_pss = self.peak_rss = self.peak_procs = 0
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            pids = self.pids()
            rss, pss = memory_kb(pids)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_procs = max(self.peak_procs, len(pids))
            if self._done.wait(self.interval):
                return

    def finish(self) -> None:
        self._done.set()
        self.join()


_PORTS_GIVEN: set[int] = set()


def free_port() -> int:
    """A loopback port free now, and not handed out before in this run."""
    while True:
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port


def wait_listening(port: int, deadline: float, alive: Callable[[], bool]) -> float:
    """Polls until a TCP connect to ``port`` succeeds; returns that moment (monotonic)."""
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return time.monotonic()
        except OSError:
            pass
        if not alive():
            raise BenchError(f"the process meant to listen on port {port} has exited")
        if time.monotonic() > deadline:
            raise BenchError(f"nothing listens on {HOST}:{port} after the time allowed")
        time.sleep(0.005)


# --- Postfix and its test tools ----------------------------------------------------------


def find_tool(name: str) -> str | None:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/lib/postfix/sbin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure_postfix() -> dict[str, str]:
    """postfix, postconf, smtp-source, smtp-sink; installs Debian's postfix package when missing."""
    names = ("postfix", "postconf", "smtp-source", "smtp-sink")
    tools = {name: find_tool(name) for name in names}
    if not all(tools.values()):
        if os.geteuid() != 0:
            raise BenchError("Postfix is missing and installing it needs root: apt-get install postfix")
        progress("installing Postfix from Debian's packages (apt-get install postfix)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["debconf-set-selections"], check=True, input=b"postfix postfix/main_mailer_type select No configuration\n"
        )
        subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], check=True, env=env, stdout=subprocess.DEVNULL)
        tools = {name: find_tool(name) for name in names}
    missing = [name for name, path in tools.items() if not path]
    if missing:
        raise BenchError(f"not found after installing postfix: {', '.join(missing)}")
    return tools  # type: ignore[return-value]


def unprivileged_user() -> str:
    for name in ("nobody", "postfix"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise BenchError("smtp-sink must drop root privileges, but there is no 'nobody' or 'postfix' user")


class Sink:
    """smtp-sink on loopback; counts messages from its -c counters ("sess=.. quit=.. mesg=N" + CR)."""

    def __init__(self, tool: str, port: int, work: Path):
        self.port = port
        cmd = [tool, "-c", "-4"]
        if os.geteuid() == 0:
            cmd += ["-u", unprivileged_user()]
        self.errors = work / f"smtp-sink-{port}.stderr"
        with open(self.errors, "wb") as err:
            self.proc = start([*cmd, f"{HOST}:{port}", "1024"], stdout=subprocess.PIPE, stderr=err)
        self.count = 0
        self._target: int | None = None
        self.reached_at: float | None = None
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True, name=f"sink-{port}").start()
        wait_listening(port, time.monotonic() + 10, lambda: self.proc.poll() is None)

    def _read(self) -> None:
        fd = self.proc.stdout.fileno()
        pending = b""
        while chunk := os.read(fd, 65536):
            now = time.monotonic()
            *records, pending = (pending + chunk).split(b"\r")
            counts = [int(m.group(1)) for m in map(MESG.search, records) if m]
            if counts:
                with self._cond:
                    self.count = max(self.count, *counts)
                    if self._target is not None and self.reached_at is None and self.count >= self._target:
                        self.reached_at = now
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def expect(self, target: int) -> None:
        """From now on, note the moment the count reaches ``target``."""
        with self._cond:
            self._target = target
            self.reached_at = time.monotonic() if self.count >= target else None

    def wait(self, deadline: float, give_up: Callable[[], bool] = lambda: False) -> float | None:
        """The moment the expected count was reached, or None (deadline, sink gone, or ``give_up``)."""
        with self._cond:
            while self.reached_at is None:
                if time.monotonic() > deadline or self.proc.poll() is not None or give_up():
                    return None
                self._cond.wait(0.05)
            return self.reached_at


class PostfixRelay:
    """A private Postfix instance: config, queue and data under ``work``; the system's is never touched."""

    name = "Postfix"

    def __init__(
        self, tools: dict[str, str], work: Path, port: int, sink_port: int, shipped: Path, probe_port: int = 0
    ):
        self.probe_port = probe_port
        self.tools = tools
        self.port = port
        self.sink_port = sink_port
        self.shipped = shipped
        self.conf = work / "conf"
        self.queue = work / "queue"
        self.data = work / "data"
        self.maillog = work / "maillog"
        self.work = work
        self.master: int | None = None
        self.running = False  # from "postfix start" on, until stopped

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.tools["postfix"], "-c", str(self.conf), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def configure(self) -> None:
        """/etc/postfix's files as Debian installed them, plus bench/postfix's main.cf and
        master.cf with our ports and folders; everything else as shipped (fsync included)."""
        shutil.copytree("/etc/postfix", self.conf, ignore_dangling_symlinks=True)
        main = (self.shipped / "main.cf").read_text()
        main, n = re.subn(r"(?m)^relayhost\s*=.*$", f"relayhost = [{HOST}]:{self.sink_port}", main)
        if n != 1:
            raise BenchError(f"{self.shipped / 'main.cf'}: expected one relayhost line")
        main = re.sub(r"(?m)^maillog_file\s*=.*$", "", main)
        main += (
            "\n# private instance of bench/run.py\n"
            f"queue_directory = {self.queue}\n"
            f"data_directory = {self.data}\n"
            f"maillog_file = {self.maillog}\n"
            f"maillog_file_prefixes = {self.work}\n"
        )
        if self.probe_port:  # the latency probes' own destination
            main += f"transport_maps = inline:{{{latency.PROBE_DOMAIN}=smtp:[{HOST}]:{self.probe_port}}}\n"
        (self.conf / "main.cf").write_text(main)
        master = (self.shipped / "master.cf").read_text()
        master, n = re.subn(r"(?m)^[\d.]*:?2525(?=\s+inet\s)", f"{HOST}:{self.port}", master)
        if n != 1:
            raise BenchError(f"{self.shipped / 'master.cf'}: expected one smtpd line on port 2525")
        (self.conf / "master.cf").write_text(master)
        self.queue.mkdir()
        self.data.mkdir()
        owner = subprocess.run(
            [self.tools["postconf"], "-c", str(self.conf), "-h", "mail_owner"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        shutil.chown(self.data, user=owner)
        self._postfix("check")

    def start(self) -> None:
        STOPPERS.add("postfix -c stop", self.stop)
        self.running = True
        result = self._postfix("start", check=False)
        if result.returncode != 0:
            raise BenchError(f"postfix start failed: {result.stderr.strip()} {self._log_tail()}")
        self.master = int((self.queue / "pid" / "master.pid").read_text().split()[0])
        wait_listening(self.port, time.monotonic() + 20, lambda: pid_alive(self.master))

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.maillog.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return ""

    def stop(self) -> None:
        """``postfix -c DIR stop``, then the master's PID is watched until it is gone (killed after 15 s)."""
        if not self.running:
            return
        self.running = False
        master = self.master
        if master is None:  # a start that failed half-way may still have left a master running
            try:
                master = int((self.queue / "pid" / "master.pid").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                master = 0
        self._postfix("stop", check=False)
        deadline = time.monotonic() + 15
        while master and pid_alive(master) and time.monotonic() < deadline:
            time.sleep(0.1)
        if master and pid_alive(master):
            for pid in reversed(process_tree(master)):
                os.kill(pid, signal.SIGKILL)
        self.master = None

    def pids(self) -> list[int]:
        return process_tree(self.master) if self.master else []

    def queued(self) -> int:
        return sum(len(files) for name in POSTFIX_QUEUES for _, _, files in os.walk(self.queue / name))

    def version(self) -> str:
        return subprocess.run(
            [self.tools["postconf"], "-c", str(self.conf), "-h", "mail_version"], capture_output=True, text=True
        ).stdout.strip()

    def loop_lag(self, since: int) -> Lag | None:
        return None

    def log_size(self) -> int:
        return 0


# --- Tenso -------------------------------------------------------------------------------


@dataclass
class Lag:
    """Tenso's own loop-lag reports (one per TENSO_LOOP_LAG_SECONDS window): the median window's
    p50 and p99, and the worst window's p99."""

    p50: float
    p99: float
    worst_p99: float
    windows: int

    @classmethod
    def of(cls, windows: list[tuple[float, float]]) -> Lag:
        return cls(
            statistics.median(p50 for p50, _ in windows),
            statistics.median(p99 for _, p99 in windows),
            max(p99 for _, p99 in windows),
            len(windows),
        )

    def __str__(self) -> str:
        return f"{self.p50:.1f} / {self.p99:.1f} (worst p99 {self.worst_p99:.1f})"


def tenso_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class TensoRelay:
    """``python -m app --headless`` with a rule ``*`` → the sink (TLS none) and its queue under ``work``."""

    name = "Tenso"

    def __init__(
        self,
        python: str,
        work: Path,
        port: int,
        sink_port: int,
        queue: Path | None = None,
        lag_seconds: int | None = None,
        processes: int | None = None,
        probe_port: int = 0,
        history: bool | None = None,
        name: str = "Tenso",
    ):
        self.name = name
        self.probe_port = probe_port
        self.history = history  # None: the settings file says nothing of it (a Tenso without history.enabled)
        self.python = python
        self.processes = processes
        self.lag_seconds = lag_seconds
        self.work = work
        self.port = port
        self.sink_port = sink_port
        self.queue = queue or work / "queue"
        self.config = work / "settings.json"
        self.stderr = work / "tenso.stderr"
        self.proc: subprocess.Popen | None = None

    def configure(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        settings = {
            "version": 1,
            "server": {"hostname": "tenso-bench.localdomain", "listen": [f"{HOST}:{self.port}"]},
            "rules": [{"match": "*", "destination": HOST, "port": self.sink_port, "tls": "none"}],
            "queue": {"dir": str(self.queue)},
        }
        if self.probe_port:  # the latency probes' own destination, before *
            settings["rules"].insert(
                0, {"match": f"@{latency.PROBE_DOMAIN}", "destination": HOST, "port": self.probe_port, "tls": "none"}
            )
        if self.history is not None:
            settings["history"] = {"enabled": self.history}
        if self.processes:
            settings["server"]["processes"] = self.processes
        self.config.write_text(json.dumps(settings, indent=2))

    def start(self, timeout: float = 120.0) -> tuple[float, float]:
        """Starts Tenso; returns (seconds to an accepted TCP connect, seconds to the 220 greeting)."""
        env = dict(os.environ, TENSO_DATA_DIR=str(self.work / "data"), PYTHONPATH=str(ROOT))
        if self.lag_seconds:
            env["TENSO_LOOP_LAG_SECONDS"] = str(self.lag_seconds)
        with open(self.stderr, "ab") as err:
            t0 = time.monotonic()
            self.proc = start(
                [self.python, "-m", "app", "--headless", "--config", str(self.config)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        STOPPERS.add(f"Tenso pid {self.proc.pid}", self.stop)
        proc = self.proc
        listening = wait_listening(self.port, t0 + timeout, lambda: proc.poll() is None)
        with socket.create_connection((HOST, self.port), timeout=timeout) as s:
            greeting = s.recv(512)
            greeted = time.monotonic()
        if not greeting.startswith(b"220"):
            raise BenchError(f"Tenso greeted with {greeting[:80]!r}")
        return listening - t0, greeted - t0

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid) if self.proc else []

    def queued(self) -> int:
        try:
            return len(os.listdir(self.queue / "msg"))
        except FileNotFoundError:
            return 0

    def log_size(self) -> int:
        return self.stderr.stat().st_size if self.stderr.exists() else 0

    def loop_lag(self, since: int) -> Lag | None:
        """From the ``loop lag p50=..ms p99=..ms`` lines logged after byte ``since`` (none: None)."""
        with open(self.stderr, "rb") as f:
            f.seek(since)
            found = [(float(p50), float(p99)) for p50, p99 in LOOP_LAG.findall(f.read().decode("utf-8", "replace"))]
        return Lag.of(found) if found else None

    def log_text(self) -> str:
        return self.stderr.read_text(errors="replace") if self.stderr.exists() else ""


Relay = PostfixRelay | TensoRelay


# --- throughput ------------------------------------------------------------------------


@dataclass
class Run:
    relay: str
    size: int
    round: int
    msgs_per_s: float = 0.0
    e2e_s: float = 0.0
    inject_s: float = 0.0
    cpu_ms_per_msg: float = 0.0
    cpu_user_ms: float = 0.0  # per message
    cpu_sys_ms: float = 0.0
    beside: latency.Latencies | None = None  # probes one at a time while the load ran
    peak_pss_kb: int = 0
    peak_rss_kb: int = 0
    peak_procs: int = 0
    lag: Lag | None = None
    background_cpu_s: float = 0.0  # CPU used meanwhile by processes not in the test (a busy machine)
    window_s: float = 0.0
    extra: int = 0  # messages the sink saw beyond n (duplicates)
    error: str = ""


@dataclass
class Load:
    tool: str
    n: int
    sessions: int
    warmup: int
    timeout: float
    quiet_wait: float
    ours: Callable[[], list[int]]  # every process of the test: relays, sinks (not this script)
    notes: list[str] = field(default_factory=list)
    probes: latency.ProbeSink | None = None  # latency probes beside the load, when asked
    probe_size: int = 2048


def source(load: Load, port: int, count: int, size: int, work: Path) -> tuple[subprocess.Popen, Path]:
    """smtp-source: ``count`` messages of ``size`` bytes over ``load.sessions`` parallel sessions,
    one connection per message (no -d)."""
    errors = work / f"smtp-source-{port}.stderr"
    cmd = [
        load.tool,
        "-4",
        "-s",
        str(load.sessions),
        "-m",
        str(count),
        "-l",
        str(size),
        "-M",
        CLIENT_NAME,
        "-f",
        SENDER,
        "-t",
        RECIPIENT,
        f"{HOST}:{port}",
    ]
    with open(errors, "wb") as err:
        return start(cmd, stdout=subprocess.DEVNULL, stderr=err), errors


def wait_drained(relay: Relay, deadline: float) -> bool:
    while relay.queued():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_quiet(limit: float, ours: Callable[[], list[int]], threshold: float = 0.1) -> float:
    """Waits (up to ``limit`` s) for a 1 s window in which other processes use under ``threshold`` of a
    core: on a shared machine a build next door halves a relay's figure.  Returns the last load seen."""
    deadline = time.monotonic() + limit
    while True:
        before = others_user_seconds(ours())
        time.sleep(1.0)
        busy = others_user_seconds(ours()) - before
        if busy < threshold or time.monotonic() > deadline:
            return busy


def measure(relay: Relay, sink: Sink, load: Load, size: int, rnd: int, work: Path) -> Run:
    run = Run(relay.name, size, rnd)
    ours = load.ours
    if load.quiet_wait:
        busy = wait_quiet(load.quiet_wait, ours)
        if busy >= 0.1:
            progress(f"the machine is still busy ({busy:.2f} core(s) used by other processes); measuring anyway")
    deadline = time.monotonic() + load.timeout
    if load.warmup:
        sink.expect(sink.count + load.warmup)
        warm, errors = source(load, relay.port, load.warmup, size, work)
        if sink.wait(deadline, give_up=lambda: warm.poll() not in (None, 0)) is None:
            stop_process(warm, grace=5)
            raise BenchError(
                f"warm-up: the sink saw {sink.count} of its messages; smtp-source exit "
                f"{warm.poll()}: {errors.read_text(errors='replace').strip()[:300]}"
            )
        try:
            warm.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stop_process(warm, grace=5)
        wait_drained(relay, deadline)
        time.sleep(0.5)
    base = sink.count
    sink.expect(base + load.n)
    lag_from = relay.log_size()
    sampler = PeakMemory(relay.pids)
    sampler.start()
    user0, sys0 = cpu_split(relay.pids())
    others0 = others_user_seconds(ours())
    t0 = time.monotonic()
    src, errors = source(load, relay.port, load.n, size, work)
    beside = None
    if load.probes is not None:
        beside = latency.Beside(HOST, relay.port, load.probes, load.probe_size)
        beside.start()
    src_done: list[float] = []
    threading.Thread(target=lambda: (src.wait(), src_done.append(time.monotonic())), daemon=True).start()
    reached = sink.wait(deadline, give_up=lambda: src.poll() not in (None, 0))
    drained = wait_drained(relay, min(deadline, time.monotonic() + 30))
    try:
        src.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stop_process(src)
    if beside is not None:
        run.beside = beside.finish()
    user1, sys1 = cpu_split(relay.pids())
    others1 = others_user_seconds(ours())
    run.window_s = time.monotonic() - t0
    sampler.finish()
    run.background_cpu_s = max(0.0, others1 - others0)
    time.sleep(0.5)  # anything more reaching the sink now is a duplicate
    run.extra = max(0, sink.count - base - load.n)
    run.peak_pss_kb, run.peak_rss_kb, run.peak_procs = sampler.peak_pss, sampler.peak_rss, sampler.peak_procs
    if reached is None or src.returncode != 0:
        why = errors.read_text(errors="replace").strip()[:300]
        raise BenchError(f"the sink saw {sink.count - base} of {load.n}; smtp-source exit {src.returncode} {why}")
    if not drained:
        load.notes.append(
            f"{relay.name} {size_label(size)} round {rnd}: {relay.queued()} message(s) still queued 30 s after the run"
        )
    run.e2e_s = reached - t0
    run.msgs_per_s = load.n / run.e2e_s
    run.inject_s = (src_done[0] - t0) if src_done else 0.0
    # The probes' messages are counted with the load's: a few per second beside hundreds.
    total = load.n + (len(run.beside.reply) if run.beside else 0)
    run.cpu_user_ms = (user1 - user0) * 1000 / total
    run.cpu_sys_ms = (sys1 - sys0) * 1000 / total
    run.cpu_ms_per_msg = run.cpu_user_ms + run.cpu_sys_ms
    run.lag = relay.loop_lag(lag_from)
    if run.extra:
        load.notes.append(f"{relay.name} {size_label(size)} round {rnd}: {run.extra} message(s) delivered twice")
    busy = run.background_cpu_s / run.window_s  # in cores
    if busy > 0.1:
        load.notes.append(
            f"{relay.name} {size_label(size)} round {rnd}: other processes on the machine used "
            f"{busy:.2f} core(s) (user time) on average during the run; its figures are disturbed"
        )
    return run


@dataclass
class Alone:
    """Latency probes one at a time with nothing else running, per relay."""

    relay: str
    found: latency.Latencies


def history_variants(args: argparse.Namespace, notes: list[str]) -> list[tuple[str, bool | None]]:
    """The Tenso relays to run: (name, history.enabled or None when this Tenso has no such setting)."""
    if not history_supported(args.python):
        notes.append(
            "history: this Tenso has no history.enabled setting yet (issue 26); Tenso ran as it is, "
            "with no history switch"
        )
        return [("Tenso", None)]
    if len(args.history) == 1:
        return [("Tenso", args.history[0] == "on")]
    return [(f"Tenso, history {word}", word == "on") for word in args.history]


def history_supported(python: str) -> bool:
    """Whether the Tenso under ``python`` takes ``history.enabled`` in its settings file."""
    probe = (
        "import sys; from app.settings import from_dict\n"
        "try:\n    s = from_dict({'version': 1, 'history': {'enabled': True}})\n"
        "except Exception:\n    sys.exit(1)\n"
        "sys.exit(0 if getattr(getattr(s, 'history', None), 'enabled', None) is True else 1)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([python, "-c", probe], cwd=ROOT, env=env, capture_output=True).returncode == 0


def throughput(
    args: argparse.Namespace, tools: dict[str, str], work: Path, notes: list[str]
) -> tuple[list[Run], list[Alone], list[str], str]:
    """The relays side by side: the load (``throughput``) and the probes one at a time (``latency``).
    Returns the runs, the lone probes, the Tenso relays' names and Postfix's version."""
    relays: list[Relay] = []
    sinks: dict[str, Sink] = {}
    probes = latency.ProbeSink(HOST) if "latency" in args.parts else None
    probe_port = probes.port if probes else 0

    def ours() -> list[int]:
        return [pid for relay in relays for pid in relay.pids()] + [sink.proc.pid for sink in sinks.values()]

    load = Load(
        tools["smtp-source"], args.messages, args.sessions, args.warmup, args.timeout, args.quiet_wait, ours, notes
    )
    load.probes, load.probe_size = probes, args.probe_size
    postfix_version = ""
    if "postfix" in args.relays:
        sink = Sink(tools["smtp-sink"], free_port(), work)
        postfix = PostfixRelay(tools, work / "postfix", free_port(), sink.port, args.postfix_conf, probe_port)
        postfix.work.mkdir(mode=0o755)
        postfix.configure()
        postfix.start()
        postfix_version = postfix.version()
        progress(
            f"Postfix {postfix_version} (private instance, master pid {postfix.master}) "
            f"on {HOST}:{postfix.port} -> smtp-sink {HOST}:{sink.port}"
        )
        relays.append(postfix)
        sinks[postfix.name] = sink
    tenso_names = []
    if "tenso" in args.relays:
        for i, (name, history) in enumerate(history_variants(args, notes)):
            sink = Sink(tools["smtp-sink"], free_port(), work)
            tenso = TensoRelay(
                args.python,
                work / f"tenso-{i}",
                free_port(),
                sink.port,
                lag_seconds=LAG_REPORT_SECONDS,
                processes=args.processes,
                probe_port=probe_port,
                history=history,
                name=name,
            )
            tenso.configure()
            tenso.start()
            progress(f"{name} (pid {tenso.proc.pid}) on {HOST}:{tenso.port} -> smtp-sink {HOST}:{sink.port}")
            relays.append(tenso)
            sinks[tenso.name] = sink
            tenso_names.append(name)
    alone = []
    if probes is not None:
        for relay in relays:
            if load.quiet_wait:
                wait_quiet(load.quiet_wait, ours)
            latency.one_at_a_time(HOST, relay.port, probes, 5, args.probe_size)  # warm: sessions, caches
            found = latency.one_at_a_time(HOST, relay.port, probes, args.probes, args.probe_size)
            alone.append(Alone(relay.name, found))
            progress(
                f"latency, one {size_label(args.probe_size)} message at a time, {relay.name}: final dot -> 250 "
                f"{found.text('reply')} ms, -> at the destination {found.text('arrival')} ms (median / p95)"
                + (f"; {found.errors} probe(s) failed" if found.errors else "")
            )
            if found.errors:
                notes.append(
                    f"latency alone, {relay.name}: {found.errors} of {args.probes} probe(s) failed, the first: "
                    f"{found.first_error}"
                )
    runs = []
    for rnd in range(1, args.rounds + 1 if "throughput" in args.parts else 1):
        order = relays if rnd % 2 else relays[::-1]  # alternate who goes first
        for size in args.sizes:
            for relay in order:
                try:
                    run = measure(relay, sinks[relay.name], load, size, rnd, work)
                except BenchError as exc:
                    run = Run(relay.name, size, rnd, error=str(exc))
                    notes.append(f"{relay.name} {size_label(size)} round {rnd} failed: {exc}")
                    wait_drained(relay, time.monotonic() + 30)
                runs.append(run)
                lag = f", loop lag p50 / p99 {run.lag} ms over {run.lag.windows} report(s)" if run.lag else ""
                beside = (
                    f"; beside it, final dot -> 250 {run.beside.text('reply')} ms, -> at the destination "
                    f"{run.beside.text('arrival')} ms over {len(run.beside.reply)} probe(s)"
                    if run.beside
                    else ""
                )
                progress(
                    f"round {rnd} {size:>6} B {relay.name:<7} "
                    + (
                        f"FAILED: {run.error}"
                        if run.error
                        else f"{run.msgs_per_s:7.1f} msg/s (smtp-source done after {run.inject_s:.2f} s, sink after "
                        f"{run.e2e_s:.2f} s), peak PSS {run.peak_pss_kb / 1024:.1f} MiB in {run.peak_procs} "
                        f"process(es), CPU {run.cpu_ms_per_msg:.2f} ms/msg (user {run.cpu_user_ms:.2f}, system "
                        f"{run.cpu_sys_ms:.2f}){lag}{beside}; other processes "
                        f"{run.background_cpu_s / run.window_s:.2f} core(s) (user)"
                    )
                )
    for relay in relays:
        relay.stop()
    for sink in sinks.values():
        stop_process(sink.proc)
    if probes is not None:
        probes.close()
    return runs, alone, tenso_names, postfix_version


# --- idle ---------------------------------------------------------------------------------


@dataclass
class Idle:
    """The headless gateway with nothing to do: share of one core and wake-ups per second."""

    name: str
    seconds: float
    core_pct: float
    wakeups_per_s: float
    busiest: list[tuple[str, float]]  # thread, wake-ups per second


def idle(args: argparse.Namespace, work: Path, name: str, history: bool | None) -> Idle:
    """A fresh Tenso, its one rule to a port nobody listens on, left alone for ``--idle-seconds``
    after it settled: CPU (user+system of all its processes) and context switches of all their threads."""
    dead_port = free_port()
    tenso = TensoRelay(args.python, work / f"idle-{len(name)}-{history}", free_port(), dead_port, history=history)
    tenso.configure()
    try:
        tenso.start()
        wait_idle(tenso.proc.pid, time.monotonic() + 60)
        time.sleep(2.0)
        pids = tenso.pids()
        user0, sys0 = cpu_split(pids)
        threads0 = thread_switches(pids)
        t0 = time.monotonic()
        time.sleep(args.idle_seconds)
        user1, sys1 = cpu_split(pids)
        threads1 = thread_switches(pids)
        window = time.monotonic() - t0
    finally:
        tenso.stop()
    woke = {key: (threads1[key] - threads0.get(key, 0)) / window for key in threads1}
    busiest = sorted(((k, v) for k, v in woke.items() if v > 0), key=lambda kv: -kv[1])[:6]
    result = Idle(name, window, (user1 - user0 + sys1 - sys0) * 100 / window, sum(woke.values()), busiest)
    progress(
        f"idle, {name}: {result.core_pct:.3f} % of a core, {result.wakeups_per_s:.2f} wake-ups/s over "
        f"{window:.0f} s in {len(pids)} process(es); most: "
        + (", ".join(f"{k} {v:.2f}/s" for k, v in busiest) or "none")
    )
    return result


# --- start-up with a full spool ------------------------------------------------------------


def write_spool(queue: Path, count: int, size: int) -> None:
    """``count`` committed messages in Tenso's on-disk format (app/spool.py): msg/<id> holds one
    JSON envelope line, then the message as it will be sent."""
    for name in ("tmp", "msg", "state", "control"):
        (queue / name).mkdir(parents=True, exist_ok=True)
    now = time.time()
    envelope = (
        json.dumps(
            {
                "sender": SENDER,
                "recipients": [RECIPIENT],
                "mail_options": [],
                "client": HOST,
                "helo": CLIENT_NAME,
                "auth_user": "",
                "received_at": now,
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
    )
    date = formatdate(now, localtime=True)
    head = (
        f"Received: from {CLIENT_NAME} ([{HOST}])\r\n\tby tenso-bench.localdomain (Tenso) with ESMTP;\r\n"
        f"\t{date}\r\nDate: {date}\r\nFrom: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\n"
        "Subject: queued for the start-up benchmark\r\n\r\n"
    ).encode()
    line = b"La de da de da, this message waits in the queue.\r\n"
    content = envelope + head + line * max(1, (size - len(head)) // len(line))
    first = int(now * 1e6) - count  # ids as spool.new_id() makes them: microseconds in hex, then a pid part
    suffix = f"{os.getpid() % 4096:03X}"
    msg = queue / "msg"
    for i in range(count):
        with open(msg / f"{first + i:013X}{suffix}", "wb") as f:
            f.write(content)


def wait_idle(pid: int, deadline: float) -> None:
    """Until the process used no CPU for two 0.5 s windows in a row."""
    quiet = 0
    last = cpu_seconds([pid])
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds([pid])
        quiet = quiet + 1 if now - last <= 1.0 / CLK_TCK else 0
        last = now


@dataclass
class Startup:
    messages: int
    listen_s: list[float] = field(default_factory=list)
    greeting_s: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    pss_kb: list[int] = field(default_factory=list)
    hwm_kb: list[int] = field(default_factory=list)
    first_delivery_s: float | None = None


def first_delivery(args: argparse.Namespace, work: Path, queue: Path) -> float | None:
    """Tenso started once more on the full spool, now with delivery on and the rule pointing at a
    live smtp-sink: seconds from starting the process to the sink receiving the first message."""
    tools = ensure_postfix()  # smtp-sink
    (queue / "paused").unlink(missing_ok=True)
    sink = Sink(tools["smtp-sink"], free_port(), work)
    tenso = None
    try:
        tenso = TensoRelay(args.python, work / "first-delivery", free_port(), sink.port, queue)
        tenso.configure()
        sink.expect(1)
        t0 = time.monotonic()
        tenso.start()
        reached = sink.wait(t0 + 60)
    finally:
        if tenso is not None:
            tenso.stop()
        stop_process(sink.proc)
    return None if reached is None else reached - t0


def startup(args: argparse.Namespace, work: Path, messages: int, notes: list[str]) -> Startup:
    """Tenso started on a spool of ``messages`` waiting messages, delivery paused and the rule's
    destination a port nobody listens on, so they stay queued."""
    result = Startup(messages)
    queue = work / f"spool-{messages}"
    if messages:
        t0 = time.monotonic()
        write_spool(queue, messages, 1024)
        (queue / "paused").touch()
        progress(f"wrote {messages:,} spool entries in {time.monotonic() - t0:.1f} s")
    dead_port = free_port()  # bound by nobody
    for i in range(args.startup_repeats):
        tenso = TensoRelay(args.python, work / f"startup-{messages}-{i}", free_port(), dead_port, queue)
        tenso.configure()
        listen_s, greeting_s = tenso.start()
        wait_idle(tenso.proc.pid, time.monotonic() + 60)
        rss, pss = memory_kb(tenso.pids())
        status = Path(f"/proc/{tenso.proc.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+)", status)
        hwm = int(found.group(1)) if found else 0
        tenso.stop()
        waiting = WAITING.findall(tenso.log_text())
        if not waiting or int(waiting[0]) != messages:
            notes.append(f"start-up with {messages:,} queued: Tenso reported {waiting or 'nothing'} waiting")
        result.listen_s.append(listen_s)
        result.greeting_s.append(greeting_s)
        result.rss_kb.append(rss)
        result.pss_kb.append(pss)
        result.hwm_kb.append(hwm)
        progress(
            f"start-up with {messages:,} queued: listening after {listen_s:.3f} s, 220 after "
            f"{greeting_s:.3f} s; idle RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB, "
            f"peak RSS {hwm / 1024:.1f} MiB"
        )
    if messages:
        result.first_delivery_s = first_delivery(args, work, queue)
        if result.first_delivery_s is None:
            notes.append(f"restart with {messages:,} queued: nothing reached the sink within 60 s")
        else:
            progress(
                f"restart with {messages:,} queued and delivery on: the sink had the first message "
                f"{result.first_delivery_s:.3f} s after the start"
            )
    shutil.rmtree(queue, ignore_errors=True)
    return result


# --- routing ------------------------------------------------------------------------------


def route_timing(args: argparse.Namespace) -> list[dict]:
    cmd = [
        args.python,
        str(ROOT / "bench" / "route_timing.py"),
        "--rules",
        "10",
        "10000",
        "--decisions",
        str(args.route_decisions),
    ]
    proc = start(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise BenchError(f"route timing failed: {err.decode(errors='replace').strip()[-500:]}")
    return json.loads(out)


# --- the table ------------------------------------------------------------------------------


def size_label(size: int) -> str:
    return f"{size / 1024:g} KB" if size % 1024 == 0 else f"{size} B"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _per_round(by_round: dict[int, Run]) -> str:
    return " / ".join("fail" if run.error else f"{run.msgs_per_s:.0f}" for _, run in sorted(by_round.items())) or "—"


def table_rows(
    args: argparse.Namespace,
    runs: list[Run],
    routes: list[dict],
    starts: dict[int, Startup],
    alone: list[Alone] | None = None,
    idles: list[Idle] | None = None,
    tensos: list[str] | None = None,
) -> list[list[str]]:
    """One column per relay: Postfix, then each Tenso (history on and off when both ran); the ratio
    is the first Tenso's to Postfix's."""
    tensos = tensos or ["Tenso"]
    first = tensos[0]
    columns = ["Postfix", *tensos]
    rows = [["figure", *columns, f"{first}/Postfix" if len(tensos) > 1 else "Tenso/Postfix"]]

    def row(label: str, values: dict[str, str], ratio: str = "") -> None:
        rows.append([label, *(values.get(c, "—") for c in columns), ratio])

    for size in args.sizes:
        label = size_label(size)
        by = {relay: {run.round: run for run in runs if run.size == size and run.relay == relay} for relay in columns}
        ok = {relay: [run for run in by_round.values() if not run.error] for relay, by_round in by.items()}
        ratios = [
            by[first][r].msgs_per_s / by["Postfix"][r].msgs_per_s
            for r in sorted(by[first])
            if r in by["Postfix"] and not by[first][r].error and not by["Postfix"][r].error
        ]
        row(
            f"{label}: msg/s per round",
            {c: _per_round(by[c]) for c in columns},
            " / ".join(f"{r:.2f}" for r in ratios) or "—",
        )
        medians = {relay: _median([run.msgs_per_s for run in done]) for relay, done in ok.items()}
        row(
            f"{label}: msg/s, median of {args.rounds}",
            {c: _num(medians[c], ".0f") for c in columns},
            _num(_median(ratios), ".2f"),
        )
        peaks = {relay: max((run.peak_pss_kb / 1024 for run in done), default=None) for relay, done in ok.items()}
        row(
            f"{label}: peak PSS, MiB (process tree)",
            {c: _num(peaks[c], ".1f") for c in columns},
            _ratio(peaks[first], peaks["Postfix"]),
        )
        cpu = {relay: _median([run.cpu_ms_per_msg for run in done]) for relay, done in ok.items()}
        row(
            f"{label}: CPU ms per message",
            {c: _num(cpu[c], ".2f") for c in columns},
            _ratio(cpu[first], cpu["Postfix"]),
        )
        user = {relay: _median([run.cpu_user_ms for run in done]) for relay, done in ok.items()}
        system = {relay: _median([run.cpu_sys_ms for run in done]) for relay, done in ok.items()}
        row(
            f"{label}: CPU ms per message, user / system",
            {c: f"{_num(user[c], '.2f')} / {_num(system[c], '.2f')}" for c in columns},
            f"{_ratio(user[first], user['Postfix']) or '—'} / {_ratio(system[first], system['Postfix']) or '—'}",
        )
        if len(tensos) > 1 and cpu[tensos[0]] is not None and cpu[tensos[1]] is not None:
            row(
                f"{label}: CPU ms per message, {tensos[0]} less {tensos[1]}",
                {first: f"{cpu[tensos[0]] - cpu[tensos[1]]:+.2f}"},
            )
        for which, what in (("reply", "final dot → 250"), ("arrival", "final dot → at the destination")):
            found = {}
            for c in columns:
                merged = latency.Latencies()
                for run in ok[c]:
                    if run.beside:
                        merged.add(run.beside)
                found[c] = merged
            if any(found[c].reply for c in columns):
                row(
                    f"{label} load: {what}, ms, median / p95",
                    {c: found[c].text(which) for c in columns},
                    _latency_ratio(found[first], found["Postfix"], which),
                )
        values = {}
        for c in tensos:
            lags = [run.lag for run in ok[c] if run.lag]
            values[c] = (
                (
                    f"{statistics.median(x.p50 for x in lags):.1f} / {statistics.median(x.p99 for x in lags):.1f}, "
                    f"worst {max(x.worst_p99 for x in lags):.1f}"
                )
                if lags
                else ("n/a" if ok[c] else "—")
            )
        row(f"{label}: event-loop lag p50 / p99, ms", values)
    if alone:
        by_relay = {a.relay: a.found for a in alone}
        size = size_label(args.probe_size)
        for which, what in (("reply", "final dot → 250"), ("arrival", "final dot → at the destination")):
            row(
                f"{size} one at a time: {what}, ms, median / p95",
                {c: by_relay[c].text(which) for c in columns if c in by_relay},
                _latency_ratio(by_relay.get(first), by_relay.get("Postfix"), which),
            )
    for result in idles or []:
        column = result.name if result.name in columns else first
        row(f"idle {result.seconds:.0f} s: % of one core", {column: f"{result.core_pct:.3f}"})
        row(f"idle {result.seconds:.0f} s: wake-ups per second", {column: f"{result.wakeups_per_s:.2f}"})
    for route in routes:
        row(f"route decision, {route['rules']:,} rules, µs", {first: f"{route['decision_us']:.2f}"})
    for route in routes:
        row(f"load {route['rules']:,} rules (from_dict + Router), ms", {first: f"{route['build_ms']:.1f}"})
    for messages, result in sorted(starts.items()):
        what = f"{messages:,} queued" if messages else "empty spool"
        row(f"start-up to listening, {what}, s", {first: _num(_median(result.listen_s), ".3f")})
    for messages, result in sorted(starts.items()):
        if messages:
            row(f"restart to first delivery, {messages:,} queued, s", {first: _num(result.first_delivery_s, ".3f")})
    for messages, result in sorted(starts.items()):
        what = f"{messages:,} queued" if messages else "empty spool"
        rss, pss = _median(result.rss_kb), _median(result.pss_kb)
        row(f"idle RSS / PSS, {what}, MiB", {first: f"{rss / 1024:.1f} / {pss / 1024:.1f}"})
    return rows


def _latency_ratio(a: latency.Latencies | None, b: latency.Latencies | None, which: str) -> str:
    """Tenso's median over Postfix's."""
    if not a or not b:
        return ""
    va, vb = (a.reply, b.reply) if which == "reply" else (a.arrival, b.arrival)
    return _ratio(_median(va), _median(vb)) if va and vb else ""


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else ""


def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("-" * (widths[0] + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), rule, *map(line, rows[1:])])


def report(args: argparse.Namespace, table: str, notes: list[str], versions: dict[str, str], started: datetime) -> str:
    sizes = ", ".join(size_label(s) for s in args.sizes)
    lines = [
        f"# Tenso vs Postfix: relay benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: {os.cpu_count()} cores (os.cpu_count()), {platform.system()} {platform.release()}",
        f"- Python {versions['tenso_python']} (Tenso, {args.python}); runner Python {platform.python_version()}",
        f"- command: python3 bench/run.py {' '.join(sys.argv[1:])}".rstrip(),
    ]
    if "throughput" in args.parts:
        lines += [
            f"- Postfix {versions.get('postfix') or 'not run'} (private instance, bench/postfix config, "
            "fsync as shipped)",
            f"- load: smtp-source, {args.sessions} sessions, one connection per message, {args.messages:,} messages "
            f"per run after {args.warmup:,} untimed warm-up, {args.rounds} round(s) alternating the relays, "
            f"sizes {sizes}; each relay forwards to its own smtp-sink; loopback only",
            "- msg/s: messages / (smtp-source start → the sink has counted all of them); memory: summed PSS of the "
            "process tree every 0.2 s; CPU: utime+stime of the tree incl. reaped children, until the relay's queue "
            "is empty; user / system: the same split into utime and stime",
        ]
    if "latency" in args.parts:
        lines.append(
            f"- latency: one {size_label(args.probe_size)} message per connection from a client in the runner "
            f"(TCP_NODELAY) to a recipient at {latency.PROBE_DOMAIN}, which each relay sends to a probe sink in "
            "the runner; timed from writing the final dot to the relay's 250, and to the probe sink reading that "
            f"message's final dot; {args.probes} one at a time after 5 untimed, and one after another (50 ms "
            f"apart) beside each load run"
        )
    if "idle" in args.parts:
        lines.append(
            f"- idle: a fresh headless Tenso, its rule to a port nobody listens on, watched for "
            f"{args.idle_seconds:.0f} s once settled: utime+stime of its processes, and wake-ups as the "
            "voluntary + involuntary context switches of all their threads (/proc/PID/task/*/status)"
        )
    if "route" in args.parts:
        lines.append(
            f"- route: Router.route over {args.route_decisions:,} recipients (a mix hitting address, "
            "domain and subdomain rows and `*`), median of 5 repeats"
        )
    if "startup" in args.parts:
        lines.append(
            f"- start-up: {args.spool_messages:,} messages written in Tenso's spool format, delivery "
            f"paused, {args.startup_repeats} start(s), medians; time from process start to a TCP "
            "connect accepted; memory once the process is idle; then one more start on that spool with "
            "delivery on and the rule pointing at an smtp-sink: time to the first message at the sink"
        )
    lines += ["", table]
    if notes:
        lines += ["", "Notes:", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


# --- the run --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 bench/run.py",
        description="Tenso vs Postfix on loopback: msg/s, memory, CPU; Tenso's routing and start-up.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run: -n 300, 1 round, warm-up 50, 1 start-up each, fewer route calls",
    )
    parser.add_argument("--rounds", type=int, help="rounds, each relay once per size per round (default 3)")
    parser.add_argument("-n", "--messages", type=int, help="timed messages per relay and round (default 2000)")
    parser.add_argument("-s", "--sessions", type=int, default=20, help="parallel smtp-source sessions (default 20)")
    parser.add_argument("--sizes", default="1024,102400", help="message sizes in bytes (default 1024,102400)")
    parser.add_argument("--warmup", type=int, help="untimed messages before each timed run (default 200)")
    parser.add_argument("--relays", default="postfix,tenso", help="which relays to drive (default postfix,tenso)")
    parser.add_argument(
        "--parts",
        default="throughput,latency,idle,route,startup",
        help="what to measure (default throughput,latency,idle,route,startup)",
    )
    parser.add_argument(
        "--history",
        default="on",
        help="Tenso's history.enabled: on, off, or on,off for both side by side (its cost); skipped with a "
        "note when this Tenso has no such setting (default on)",
    )
    parser.add_argument("--probes", type=int, help="latency probes one at a time, per relay (default 200)")
    parser.add_argument("--probe-size", type=int, default=2048, help="latency probe size in bytes (default 2048)")
    parser.add_argument("--idle-seconds", type=float, help="how long the idle gateway is watched (default 60)")
    parser.add_argument(
        "--spool-messages",
        type=int,
        default=100_000,
        help="messages waiting in the spool for the start-up figure (default 100000)",
    )
    parser.add_argument("--startup-repeats", type=int, help="starts per spool (default 3)")
    parser.add_argument("--route-decisions", type=int, help="Router.route calls per timing (default 100000)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per timed run (default 600)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        help="before each timed run, wait up to this many seconds for other processes to leave "
        "the CPUs alone (default 20; 0: do not wait)",
    )
    parser.add_argument(
        "--postfix-conf",
        type=Path,
        default=POSTFIX_CONF,
        help=f"folder with the main.cf and master.cf to adapt (default {POSTFIX_CONF})",
    )
    parser.add_argument(
        "--processes", type=int, help="Tenso's server.processes for the throughput runs (default: Tenso's own default)"
    )
    parser.add_argument("--python", default=tenso_python(), help="python that runs Tenso (default: .venv's)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (configs, logs) for a look")
    args = parser.parse_args(argv)
    quick = {
        "rounds": 1,
        "messages": 300,
        "warmup": 50,
        "startup_repeats": 1,
        "route_decisions": 20_000,
        "probes": 50,
        "idle_seconds": 20.0,
    }
    full = {
        "rounds": 3,
        "messages": 2000,
        "warmup": 200,
        "startup_repeats": 3,
        "route_decisions": 100_000,
        "probes": 200,
        "idle_seconds": 60.0,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.relays = {r.strip().lower() for r in args.relays.split(",") if r.strip()}
    args.parts = {p.strip().lower() for p in args.parts.split(",") if p.strip()}
    args.history = list(dict.fromkeys(h.strip().lower() for h in args.history.split(",") if h.strip()))
    if not args.relays <= {"postfix", "tenso"} or not args.parts <= {
        "throughput",
        "latency",
        "idle",
        "route",
        "startup",
    }:
        parser.error("--relays takes postfix,tenso; --parts takes throughput,latency,idle,route,startup")
    if not args.history or not set(args.history) <= {"on", "off"}:
        parser.error("--history takes on, off or on,off")
    if args.rounds < 1 or args.messages < 1 or args.sessions < 1:
        parser.error("--rounds, -n and --sessions must be at least 1")
    return args


def _interrupted(signum: int, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    started = datetime.now(UTC)
    notes: list[str] = []
    runs: list[Run] = []
    alone: list[Alone] = []
    idles: list[Idle] = []
    tensos = ["Tenso"]
    routes: list[dict] = []
    starts: dict[int, Startup] = {}
    versions = {
        "tenso_python": subprocess.run(
            [args.python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    }
    work = Path(tempfile.mkdtemp(prefix="tenso-bench-"))
    work.chmod(0o755)  # Postfix's own user walks down to its queue and data folders
    try:
        if args.parts & {"throughput", "latency"}:
            tools = ensure_postfix()  # smtp-source and smtp-sink come with it
            if "postfix" in args.relays and os.geteuid() != 0:
                raise BenchError("the private Postfix instance needs root (postfix -c DIR start)")
            runs, alone, tensos, versions["postfix"] = throughput(args, tools, work, notes)
        if "idle" in args.parts:
            variants = history_variants(args, [] if args.parts & {"throughput", "latency"} else notes)
            tensos = [name for name, _ in variants]
            for name, history in variants:
                idles.append(idle(args, work, name, history))
        if "route" in args.parts:
            progress("timing Router.route with 10 and 10,000 rules")
            routes = route_timing(args)
            for route in routes:
                progress(
                    f"{route['rules']:,} rules: {route['decision_us']:.2f} µs per decision "
                    f"(best {route['decision_us_min']:.2f}), table built in {route['build_ms']:.1f} ms"
                )
        if "startup" in args.parts:
            for messages in (0, args.spool_messages):
                starts[messages] = startup(args, work, messages, notes)
    except KeyboardInterrupt:
        progress("interrupted: stopping everything started")
        STOPPERS.run()
        return 130
    except BenchError as exc:
        progress(f"error: {exc}")
        STOPPERS.run()
        return 1
    finally:
        STOPPERS.run()
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    table = format_table(table_rows(args, runs, routes, starts, alone, idles, tensos))
    print(table)
    if notes:
        print("\n".join(f"note: {note}" for note in notes))
    sys.stdout.flush()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.md"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(report(args, table, notes, versions, started), encoding="utf-8")
    os.replace(tmp, path)
    progress(f"written {path.relative_to(ROOT)}")
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
