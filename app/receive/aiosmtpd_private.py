"""What Tenso borrows from aiosmtpd's insides (and asyncio's), in one place.

``receive.smtp`` adapts aiosmtpd's SMTP session where aiosmtpd documents it may be adapted
(handler hooks, ``smtp_<COMMAND>`` methods, ``push``, the constructor's arguments and class
attributes: ``DOCUMENTED``).  Where that does not reach, it leans on the names in ``BORROWED``:
private attributes and methods of ``aiosmtpd.smtp.SMTP``, globals of the ``aiosmtpd.smtp``
module, and the few of asyncio's streams that aiosmtpd itself works with.  Each record says what
the name is used for; a method's record keeps its parameters as ``PINNED`` has them, and, for a
method Tenso replaces or whose code it reproduces, the hash of its source.

``tests/unit/test_aiosmtpd_pinned.py`` fails at once when the installed aiosmtpd is not
``PINNED`` (requirements.txt), or a name is gone, or a signature or a hashed source changed:
then read the new aiosmtpd against each record before moving the pin.  At start,
``receive.smtp.install_aiosmtpd_patches`` logs what ``problems`` finds without the sources
(the one-file program carries none) and without a live session.

The accessors below are how ``receive.smtp`` reads and writes those attributes; the methods it
overrides by name (``_getaddr``, ``_reset_timeout``, ...) cannot go through anything, so they
are only listed.  ``patch_module`` installs the two module patches.
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import hashlib
import inspect
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiosmtpd
from aiosmtpd import smtp as aiosmtpd_smtp

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP

PINNED = "1.4.6"  # requirements.txt pins the same; the records below were read from this version


class Where(enum.Enum):
    """Where a borrowed name lives, so the check knows where to look for it."""

    SMTP_CLASS = "aiosmtpd.smtp.SMTP"  # a method (or class attribute) of aiosmtpd's session class
    SMTP_SESSION = "an aiosmtpd.smtp.SMTP session"  # an attribute aiosmtpd sets on each session
    MODULE = "aiosmtpd.smtp"  # a global of aiosmtpd's module
    STREAM_READER = "asyncio.StreamReader"  # an attribute of the session's reader (Python's own)
    PROTOCOL = "asyncio.StreamReaderProtocol"  # an attribute of the session as asyncio's protocol
    TRANSPORT = "asyncio's selector socket transport"  # an attribute of the session's transport


@dataclass(frozen=True)
class Borrowed:
    where: Where
    name: str
    use: str  # what Tenso does with it, and where
    signature: str = ""  # a method's parameters in PINNED (annotations left out: see shape())
    source_sha256: str = ""  # a method Tenso replaces or reproduces: sha256 of its source in PINNED
    read_by: str = ""  # a MODULE global a patch stands in for: the SMTP method that reads it

    @property
    def label(self) -> str:
        """How problems name it: ``SMTP.smtp_DATA``, ``SMTP()._reader``, ``aiosmtpd.smtp.log``..."""
        return _PREFIX[self.where] + self.name


_PREFIX = {
    Where.SMTP_CLASS: "SMTP.",
    Where.SMTP_SESSION: "SMTP().",
    Where.MODULE: "aiosmtpd.smtp.",
    Where.STREAM_READER: "StreamReader().",
    Where.PROTOCOL: "StreamReaderProtocol().",
    Where.TRANSPORT: "transport.",
}

M, S, G = Where.SMTP_CLASS, Where.SMTP_SESSION, Where.MODULE

BORROWED: tuple[Borrowed, ...] = (
    # --- methods of aiosmtpd.smtp.SMTP that TensoSMTP overrides, calls or reproduces ---
    Borrowed(
        M,
        "__init__",
        "the per-class tables (patch_module) stand in for its dir() and inspect.getmembers/"
        "signature scans: they assume it looks only for smtp_*, handle_* and auth_* names",
        "(self, handler, *, data_size_limit=33554432, enable_SMTPUTF8=False, decode_data=False, hostname=None, "
        "ident=None, tls_context=None, require_starttls=False, timeout=300, auth_required=False, "
        "auth_require_tls=True, auth_exclude_mechanism=None, auth_callback=None, command_call_limit=None, "
        "authenticator=None, proxy_protocol_timeout=None, loop=None)",
        "8a9ca80f23ad9bf273e58e284170e9f919dc6269b280ca0624ac0603a8ad3604",
    ),
    Borrowed(
        M,
        "smtp_DATA",
        "replaced whole by TensoSMTP.smtp_DATA (large reads, the same replies); the version that "
        "fixed SMTP smuggling (CVE-2023-51764) changed it, so any change is read before moving the pin",
        "(self, arg)",
        "3a33f30d3fd6d02f39c7d78a08288bffea9170525b62e2161568041ae7e018df",
    ),
    Borrowed(
        M,
        "_handle_client",
        "the command loop TensoSMTP plugs into: reads each line from _reader (DATA's leftover is put "
        "back there), restarts the idle timer per command, sends handle_exception's reply",
        "(self)",
        "0e4d096403af6c74c87b2fe722c213884e2140a9388e95feb05aec2f39e05556",
    ),
    Borrowed(
        M,
        "smtp_AUTH",
        "TensoSMTP.smtp_AUTH calls it with session.extended_smtp set for a HELO client: it relies "
        "on that being its only EHLO check",
        "(self, arg)",
        "79078b308377ac485368dfe255ad6d84581da9696acfe55d973a18e2d41f9c5c",
    ),
    Borrowed(
        M,
        "_getaddr",
        "overridden: TensoSMTP parses <dot-atom@domain> itself and must return what this returns",
        "(self, arg)",
        "0aeb21c56ac1260e784e430a340459c83c23640a85965e7b8de3e1ada74d85f5",
    ),
    Borrowed(
        M,
        "_reset_timeout",
        "overridden: TensoSMTP's idle timer moves one deadline instead of a new timer per command",
        "(self, duration=None)",
        "fef19b94d28dff319ca0ca9ecc1884e8f419d9f016d1d25380b01d5e85ff3c78",
    ),
    Borrowed(M, "_timeout_cb", "extended: TensoSMTP says 421 before aiosmtpd hangs up", "(self)"),
    Borrowed(M, "_call_handler_hook", "called by TensoSMTP.smtp_DATA for handle_DATA", "(self, command, *args)"),
    Borrowed(M, "_set_post_data_state", "called by TensoSMTP.smtp_DATA: a fresh envelope", "(self)"),
    Borrowed(M, "check_helo_needed", "called by TensoSMTP.smtp_DATA (undocumented)", "(self, helo='HELO')"),
    Borrowed(M, "check_auth_needed", "called by TensoSMTP.smtp_DATA (undocumented)", "(self, caller_method)"),
    Borrowed(
        M,
        "handle_exception",
        "overridden: documented as a handler hook, not as this method of the session",
        "(self, error)",
    ),
    Borrowed(
        M,
        "connection_made",
        "extended by TensoSMTP: relies on it making the session and the handler task",
        "(self, transport)",
    ),
    Borrowed(
        M,
        "connection_lost",
        "extended by TensoSMTP: relies on it cancelling the timer and the handler task",
        "(self, error)",
    ),
    Borrowed(
        M,
        "auth_PLAIN",
        "called unbound by InboundHandler.auth_PLAIN with None for its unused second argument",
        "(self, _, args)",
    ),
    Borrowed(
        M,
        "auth_LOGIN",
        "called unbound by InboundHandler.auth_LOGIN with None for its unused second argument",
        "(self, _, args)",
    ),
    # --- attributes aiosmtpd sets on each session ---
    Borrowed(S, "_reader", "the session's StreamReader: DATA is read from it (reader())"),
    Borrowed(S, "_writer", "the session's StreamWriter: closed when DATA is cut short (writer())"),
    Borrowed(S, "_original_transport", "not None once STARTTLS began: connection_made's TLS call (after_starttls())"),
    Borrowed(S, "_handler_coroutine", "the session's task: the session is released when it ends (session_task())"),
    Borrowed(S, "_timeout_handle", "the idle timer's handle, which TensoSMTP's timer keeps (idle_timer())"),
    Borrowed(S, "_timeout_duration", "the constructor's timeout, server.timeout_seconds (idle_timeout())"),
    Borrowed(S, "_auth_required", "set after the constructor, to skip its warning (set_auth_required())"),
    Borrowed(S, "_smtp_methods", "the per-session table of smtp_* methods, dropped on release (release())"),
    Borrowed(S, "_auth_methods", "the per-session table of auth_* methods, dropped on release (release())"),
    # --- globals of aiosmtpd.smtp ---
    Borrowed(G, "dir", "the builtin, read as a global by SMTP.__init__: patch_module shadows it", read_by="__init__"),
    Borrowed(G, "inspect", "the module, read by SMTP.__init__: patch_module puts the tables there", read_by="__init__"),
    Borrowed(G, "log", "aiosmtpd's logger (\"mail.log\"), whose warnings go to Tenso's log (logger())"),
    # --- asyncio's, as aiosmtpd's session uses them (not pinned: they come with Python) ---
    Borrowed(Where.STREAM_READER, "_buffer", "bytes read and not yet consumed (input_waiting(), unread())"),
    Borrowed(Where.PROTOCOL, "_client_connected_cb", "a bound method of the session, dropped on release"),
    Borrowed(Where.TRANSPORT, "_read_ready_cb", "a bound method of the transport, dropped (drop_read_callback())"),
)

# What receive.smtp overrides or sets where aiosmtpd documents it may (docs/smtp.rst, handlers.rst,
# auth.rst) or asyncio documents a protocol's methods: not borrowed, so not pinned.
DOCUMENTED = frozenset(
    {
        "smtp_STARTTLS",  # smtp_<COMMAND>(arg)
        "event_handler",
        "push",
        "data_received",  # asyncio.Protocol's
        "line_length_limit",
        "AuthLoginUsernameChallenge",
        "AuthLoginPasswordChallenge",
    }
)


# --- the check ------------------------------------------------------------------------------------


def shape(function: Any) -> str:
    """A function's parameters (names, kinds, defaults) as text: what a caller or an override
    depends on.  Annotations are left out: their text differs between Python versions."""
    signature = inspect.signature(function)
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=bare, return_annotation=inspect.Signature.empty))


def source_hash(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()


def problems(
    records: tuple[Borrowed, ...] = BORROWED,
    *,
    version: str | None = None,
    session: SMTP | None = None,
    sources: bool = True,
) -> list[str]:
    """What no longer holds, one line each; [] when the installed aiosmtpd is the one the records
    were read from.  ``session``: a connected aiosmtpd session (on asyncio's selector loop),
    without which the attributes set per session are not checked; ``sources``: also compare the
    hashed sources (False where there are none, as in the one-file program)."""
    found: list[str] = []
    installed = aiosmtpd.__version__ if version is None else version
    if installed != PINNED:
        found.append(f"aiosmtpd {installed} is installed; the names Tenso borrows were read from {PINNED}")
    for record in records:
        problem = _problem(record, session, sources)
        if problem:
            found.append(f"{record.label}: {problem}")
    return found


def _problem(record: Borrowed, session: SMTP | None, sources: bool) -> str:
    smtp_class = aiosmtpd_smtp.SMTP
    if record.where is Where.SMTP_CLASS:
        function = getattr(smtp_class, record.name, None)
        if function is None:
            return "missing"
        if record.signature and shape(function) != record.signature:
            return f"signature is now {shape(function)}, was {record.signature}"
        if sources and record.source_sha256:
            try:
                digest = source_hash(function)
            except (OSError, TypeError):
                return "source not readable"
            if digest != record.source_sha256:
                return f"source changed (sha256 {digest}, was {record.source_sha256})"
        return ""
    if record.where is Where.MODULE:
        if not hasattr(aiosmtpd_smtp, record.name) and not hasattr(builtins, record.name):
            return "missing"
        if record.read_by:
            reader_function = getattr(smtp_class, record.read_by, None)
            code = getattr(reader_function, "__code__", None)
            if code is None or record.name not in code.co_names:
                return f"no longer read by SMTP.{record.read_by}"
        return ""
    if session is None:
        return ""  # attributes of a live session: checked where one is given (the test)
    holder: object = {
        Where.SMTP_SESSION: session,
        Where.PROTOCOL: session,
        Where.STREAM_READER: getattr(session, "_reader", None),
        Where.TRANSPORT: session.transport,
    }[record.where]
    if record.name not in getattr(holder, "__dict__", {}):
        return f"missing on {type(holder).__name__}"
    return ""


# --- reaching them: what receive.smtp calls instead of naming them itself ---------------------------


def reader(session: SMTP) -> asyncio.StreamReader:
    return session._reader


def writer(session: SMTP) -> asyncio.StreamWriter:
    return session._writer


def after_starttls(session: SMTP) -> bool:
    """True in connection_made's second call, for the TLS layer STARTTLS put in between."""
    return session._original_transport is not None


def session_task(session: SMTP) -> asyncio.Task:
    task = session._handler_coroutine
    assert task is not None  # set in connection_made (aiosmtpd asserts it too)
    return task


def idle_timeout(session: SMTP) -> float:
    return session._timeout_duration


def idle_timer(session: SMTP) -> asyncio.TimerHandle | None:
    return session._timeout_handle


def set_idle_timer(session: SMTP, handle: asyncio.TimerHandle | None) -> None:
    session._timeout_handle = handle


def set_auth_required(session: SMTP, required: bool) -> None:
    session._auth_required = required


async def call_handler_hook(session: SMTP, command: str, *args: Any) -> Any:
    return await session._call_handler_hook(command, *args)


def new_envelope(session: SMTP) -> None:
    """What aiosmtpd does after DATA, whatever the reply: the next transaction starts empty."""
    session._set_post_data_state()


def input_waiting(stream: asyncio.StreamReader) -> bool:
    """Bytes arrived that nothing has read yet."""
    return bool(stream._buffer)  # type: ignore[attr-defined]


def unread(stream: asyncio.StreamReader, data: bytes | bytearray) -> None:
    """Puts ``data`` back in front of what the stream will read next."""
    stream._buffer[0:0] = data  # type: ignore[attr-defined]


def release(session: SMTP) -> None:
    """Drops what ties a finished session to itself: its tables of bound methods, the stream
    reader and writer that point back, the finished task."""
    session._handler_coroutine = None
    session._client_connected_cb = None  # type: ignore[attr-defined]  # asyncio.StreamReaderProtocol's
    session._reader = session._writer = None  # type: ignore[assignment]  # typed as always set; freed on purpose
    session._smtp_methods = {}
    session._auth_methods = {}
    session._timeout_handle = None


def drop_read_callback(transport: asyncio.BaseTransport | None) -> None:
    """asyncio (3.11) keeps a selector transport's read callback as a bound method: a cycle of one
    closed transport.  Call only once its reading is over (uvloop's transports have none)."""
    if transport is not None and hasattr(transport, "_read_ready_cb"):
        transport._read_ready_cb = None


def logger() -> logging.Logger:
    return aiosmtpd_smtp.log


# --- the two module patches -----------------------------------------------------------------------

_SCANNED = ("smtp_", "handle_", "auth_")


class _PerClassTables:
    """aiosmtpd 1.4 rebuilds, for every connection, method tables that depend only on the
    classes (``dir``, ``inspect.getmembers``, ``inspect.signature``): a large share of the
    event loop's time per connection under load.  These stand-ins, installed in
    aiosmtpd.smtp's module namespace, compute the names once per class and bind them per
    instance, so every table still holds the new connection's own bound methods.
    """

    def __init__(self) -> None:
        self._names: dict[type, list[str]] = {}
        self._signatures: dict[object, inspect.Signature] = {}

    def dir(self, obj: object) -> list[str]:
        names = self._names.get(type(obj))
        if names is None:
            # aiosmtpd only looks for smtp_*, handle_* and auth_* names, all defined on classes:
            # the other ~200 names of a class are left out of its per-connection scans.
            names = self._names[type(obj)] = [n for n in dir(type(obj)) if n.startswith(_SCANNED)]
        return names

    def getmembers(self, obj: object, predicate=None) -> list[tuple[str, object]]:
        return [(name, getattr(obj, name)) for name in self.dir(obj) if name.startswith("auth_")]

    def signature(self, fn) -> inspect.Signature:
        key = getattr(fn, "__func__", fn)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = inspect.signature(fn)
        return found

    def __getattr__(self, name: str):
        return getattr(inspect, name)


_tables = _PerClassTables()


def patch_module() -> None:
    """Puts the per-class tables into aiosmtpd.smtp's namespace: its ``dir`` is the builtin (no
    module attribute to type), its ``inspect`` the module (which the tables stand in for)."""
    aiosmtpd_smtp.dir = _tables.dir  # type: ignore[attr-defined]
    aiosmtpd_smtp.inspect = _tables  # type: ignore[assignment]
