"""What Tenso's worker processes share: how they are started, how the parent talks to them,
and that they end with Tenso.

Tenso starts copies of itself (``tenso delivery-worker``, ``tenso receive-worker``;
the exe itself when frozen) with pipes on their stdin and stdout.  Each talks to
the parent in JSON lines; its log records come back as ``{"log": [level, text,
event]}`` lines and go through the parent's one log (file, stderr, window, tray).
A child must never outlive the parent: on Linux it asks the kernel to kill it
when the parent dies (PR_SET_PDEATHSIG), on Windows the parent puts it in a job
object that the system closes, killing it, when the parent ends in any way.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import asyncio
    import io

log = logging.getLogger("tenso")


def command(name: str) -> list[str]:
    """How to start this program again as the worker ``name`` (the exe itself when frozen)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, name]
    return [sys.executable, "-m", "app", name]


def spawn(name: str, pass_fds: tuple[int, ...] = ()) -> tuple[subprocess.Popen, object]:
    """Starts the worker with pipes on stdin and stdout; returns it and its job (keep both)."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing on Windows
    proc = subprocess.Popen(
        command(name),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        creationflags=flags,
        env=dict(os.environ, TENSO_PARENT_PID=str(os.getpid())),
        pass_fds=pass_fds,
    )
    return proc, _kill_with_us(proc)


def log_line(msg: dict, source: str | None = None) -> None:
    """A child's ``{"log": ...}`` line, logged here as if this process had said it; its record
    carries ``source`` as its thread name (which worker said it), whichever thread reads it."""
    level, text, event = msg["log"]
    if not log.isEnabledFor(level):
        return
    record = log.makeRecord(
        log.name, level, "(worker)", 0, "%s", (text,), None, extra={"event": event} if event else None
    )
    if source is not None:
        record.threadName = record.worker_reader = source
    log.handle(record)


def encode(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class Worker:
    """The parent side of one worker process: started at once, read on the loop (POSIX) or by a
    thread of its own (Windows, where a pipe cannot be watched by the loop).

    Its ``{"log": ...}`` lines go to this process's log; every other line (a JSON object) is
    handed to ``on_messages`` on ``loop``, all that arrived in one read together.  Read on the
    loop, an answer costs no thread woken and no hand-over back to the loop: with a reader
    thread, every message's answer and log line made that thread and the loop take turns
    at the interpreter lock.  When the
    worker ends, its pipes are closed and ``on_ended(self)`` is called on the loop.
    ``label`` names it in the log ("delivery process", "receiving process 2"), ``thread_name`` its
    reader thread (the name log records from its lines carry).
    """

    def __init__(
        self,
        command: str,
        label: str,
        loop: asyncio.AbstractEventLoop,
        on_messages: Callable[[list[dict]], None],
        on_ended: Callable[[Worker], None],
        thread_name: str,
        pass_fds: tuple[int, ...] = (),
    ):
        self.label = label
        self.loop = loop
        self._on_messages = on_messages
        self._on_ended = on_ended
        self.proc, self._job = spawn(command, pass_fds=pass_fds)
        self.started = time.monotonic()
        self._write_lock = threading.Lock()
        self._partial = b""
        self.thread_name = thread_name
        if not self._read_on_loop():
            threading.Thread(target=self._read, name=thread_name, daemon=True).start()

    def _read_on_loop(self) -> bool:
        """Watches the worker's stdout on the loop, where the OS and the loop allow it."""
        if os.name != "posix":
            return False
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            os.set_blocking(stdout.fileno(), False)
            self.loop.add_reader(stdout.fileno(), self._readable)
        except (NotImplementedError, OSError, RuntimeError):
            os.set_blocking(stdout.fileno(), True)
            return False
        return True

    def _readable(self) -> None:
        """On the loop: what the worker wrote; at its end, the exit is awaited in a thread."""
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            chunk = os.read(stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            messages = self._take(chunk)
            if messages:
                self._on_messages(messages)
            return
        self.loop.remove_reader(stdout.fileno())
        threading.Thread(target=self._ended, name=self.thread_name, daemon=True).start()

    def write(self, data: bytes) -> None:
        """Whole lines to the worker, from any thread.  OSError or ValueError once it has ended."""
        stdin = self.proc.stdin
        assert stdin is not None
        with self._write_lock:
            stdin.write(data)
            stdin.flush()

    def send(self, obj: dict) -> None:
        """One line; nothing happens if the worker has ended (its reader thread says so)."""
        try:
            self.write(encode(obj))
        except (OSError, ValueError):
            pass

    def close_input(self) -> None:
        """No more lines: a worker that reads its input to the end then stops."""
        try:
            with self._write_lock:
                if self.proc.stdin and not self.proc.stdin.closed:
                    self.proc.stdin.close()
        except OSError:
            pass  # BrokenPipe flushing into a dead pipe: it is closed all the same

    async def wait(self, timeout: float) -> bool:
        """Waits up to ``timeout`` s for the worker to exit; kills it after that.  True if it exited."""
        import asyncio  # not in the delivery worker, which never waits for one

        try:
            await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout)
            return True
        except TimeoutError:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait)
            return False

    def call(self, fn: Callable, *args: Any) -> None:
        """``fn(*args)`` on the loop, from the reader thread."""
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: Tenso has stopped, nobody waits for this
            pass

    def _take(self, chunk: bytes) -> list[dict]:
        """The whole lines of ``chunk`` (with what was left of the last one): log lines logged,
        the other messages returned."""
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        messages = []
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                log.warning("%s: %s", self.label, line.decode("utf-8", "replace").rstrip())
                continue
            if "log" in msg:
                log_line(msg, self.thread_name)
            else:
                messages.append(msg)
        return messages

    def _read(self) -> None:
        """The reader thread, where the loop cannot watch the pipe."""
        stdout = cast("io.BufferedReader | None", self.proc.stdout)  # a PIPE opened buffered: it has read1
        assert stdout is not None
        while chunk := stdout.read1(1 << 16):
            messages = self._take(chunk)
            if messages:
                self.call(self._on_messages, messages)
        self._ended()

    def _ended(self) -> None:
        """In a thread: the worker's output has ended; its exit is awaited, then the loop told."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc.wait()
        self.close_input()
        self.call(self._on_ended, self)


# --- the child's side ---


def parent_gone() -> bool:
    parent = int(os.environ.get("TENSO_PARENT_PID", "0"))
    return bool(parent) and os.name == "posix" and os.getppid() != parent


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_gone():  # died before we asked
        os._exit(1)


def leave_ctrl_c_to_parent() -> None:
    """Ctrl+C in a console reaches every process attached to it, and SIGHUP (reload, or a closed
    terminal) every process of the group.  A worker ignores both: the parent stops it in order
    (421 to its clients, commits finished), which a worker stopping on its own, in the middle,
    would not; and a reload is the parent's to do."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)


class Writer:
    """Lines to the parent, whole lines only, from any thread."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.lock = threading.Lock()

    def send(self, obj: dict) -> None:
        line = encode(obj)
        with self.lock:
            self.out.write(line)
            self.out.flush()


class ToParent(logging.Handler):
    """The child's log handler: every record goes to the parent as a line."""

    def __init__(self, writer: Writer):
        super().__init__()
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.send({"log": [record.levelno, record.getMessage(), getattr(record, "event", "")]})
        except (OSError, ValueError):
            pass  # the parent is gone; nobody to tell

    @classmethod
    def install(cls, writer: Writer) -> None:
        logging._srcfile = None  # no caller lookup per record: the parent formats the line
        log.handlers[:] = [cls(writer)]
        log.propagate = False


def _kill_with_us(proc: subprocess.Popen) -> object:
    """Windows: puts the child in a job that the system closes, killing the child, when this
    process ends in any way.  (Linux: the child asks for that itself, with PR_SET_PDEATHSIG.)"""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    class Basic(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class Extended(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", Basic),
            ("IoInfo", ctypes.c_uint64 * 6),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
    kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD]
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    job = kernel32.CreateJobObjectW(None, None)
    info = Extended()
    info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    # Popen._handle is CPython's private Windows handle, not in typeshed; unused-ignore: other
    # platforms' mypy never reaches this line.
    ok = (
        job
        and kernel32.SetInformationJobObject(job, 9, ctypes.byref(info), ctypes.sizeof(info))
        and kernel32.AssignProcessToJobObject(job, int(proc._handle))
    )  # type: ignore[attr-defined, unused-ignore]
    if not ok:
        log.warning(
            "a worker process will not end with Tenso if Tenso is killed (job object: error %d)",
            ctypes.get_last_error(),
        )
    return job  # kept open as long as this process lives
