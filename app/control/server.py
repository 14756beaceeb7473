"""The gateway's end of the control channel.

Accepting and reading happen in threads on blocking sockets (or pipes): while nobody is connected
the channel is one thread blocked in accept(), no timer, no polling.  Each request is run on the
gateway's event loop with ``asyncio.run_coroutine_threadsafe``, the same under qasync (the window)
and asyncio (headless, the service); the reply is written by the connection's own thread, so a
slow or silent client holds only its thread, never the loop or the other clients.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from app.control import protocol
from app.control.address import Address

log = logging.getLogger("tenso")

STOP_WAIT_SECONDS = 2.0


class Refused(Exception):
    """A request the gateway will not carry out; the message says why in plain words."""


class Subscription(Protocol):
    """What a streaming op hands its connection: items until None (the end)."""

    def get(self) -> object | None: ...  # blocks; None: the stream ended

    def close(self) -> None: ...  # the client left: end get()


Handler = Callable[[dict[str, Any]], Awaitable[object]]


@dataclass(frozen=True)
class Streaming:
    """A streaming op: ``open`` runs on the loop and returns the subscription whose items are sent."""

    open: Callable[[dict[str, Any]], Awaitable[Subscription]]


class _Connection(Protocol):
    peer: str

    def recv(self) -> bytes: ...

    def sendall(self, data: bytes) -> None: ...

    def wake(self) -> None: ...

    def close(self) -> None: ...


class _Listener(Protocol):
    def accept(self) -> _Connection | None: ...

    def close(self) -> None: ...


def _listen(address: Address, extra_sid: str | None) -> _Listener:
    if address.kind == "pipe":
        from app.control import windows

        return windows.Listener(address.path, extra_sid)
    from pathlib import Path

    from app.control import unix

    return unix.Listener(Path(address.path))


class ControlServer:
    """Serves ``handlers`` (op name → Handler or Streaming) on ``address`` from ``start()`` to ``stop()``."""

    def __init__(self, handlers: Mapping[str, Handler | Streaming], address: Address, extra_sid: str | None = None):
        self.handlers = dict(handlers)
        self.address = address
        self.extra_sid = extra_sid  # Windows: the administrator who installed the service may open it too
        self._listener: _Listener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections: dict[_Connection, threading.Thread] = {}
        self._pending: set[Future] = set()
        self._stopping = False

    async def start(self) -> None:
        """Opens the address (OSError when it cannot) and starts accepting."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._listener = await asyncio.to_thread(_listen, self.address, self.extra_sid)
        self._accepting = threading.Thread(target=self._accept, name="control-accept", daemon=True)
        self._accepting.start()
        also = f"; it also lets in {self.extra_sid}, who installed the service" if self.extra_sid else ""
        log.info("control channel: %s (python -m app status, queue and reload use it)%s", self.address, also)

    async def stop(self) -> None:
        """Closes the address and every connection; requests under way are cancelled."""
        self._stopping = True
        listener, self._listener = self._listener, None
        if listener is not None:
            await asyncio.to_thread(listener.close)
        with self._lock:
            connections = list(self._connections.items())
            pending = list(self._pending)
        for future in pending:
            future.cancel()
        for conn, _ in connections:
            conn.wake()
        threads = [t for _, t in connections] + ([self._accepting] if self._accepting else [])
        await asyncio.to_thread(_join, threads, STOP_WAIT_SECONDS)
        self._accepting = None

    def _accept(self) -> None:
        listener = self._listener
        while listener is not None and not self._stopping:
            try:
                conn = listener.accept()
            except OSError as exc:
                log.error("control channel: cannot accept connections any more (%s); restart Tenso to get it back", exc)
                return
            if conn is None:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name="control-connection", daemon=True)
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                self._connections[conn] = thread
            thread.start()

    def _serve(self, conn: _Connection) -> None:
        reader = protocol.LineReader(conn.recv)
        try:
            while not self._stopping:
                try:
                    line = reader.next_line()
                except protocol.LineTooLong as exc:
                    conn.sendall(protocol.error(str(exc)))
                    return
                if line is None:
                    return
                if not line.strip():
                    continue
                try:
                    request = protocol.parse_request(line)
                except protocol.ProtocolError as exc:
                    conn.sendall(protocol.error(str(exc)))
                    continue
                handler = self.handlers.get(request.op)
                if handler is None:
                    known = ", ".join(sorted(self.handlers))
                    conn.sendall(protocol.error(f"unknown request {request.op!r}; this gateway knows: {known}"))
                elif isinstance(handler, Streaming):
                    self._stream(conn, reader, handler, request)
                    return
                else:
                    conn.sendall(self._answer(handler, request))
        except OSError:
            pass  # the client went away
        finally:
            with self._lock:
                self._connections.pop(conn, None)
            conn.close()

    def _run(self, awaitable: Awaitable[Any]) -> Any:
        """Runs ``awaitable`` on the gateway's loop and waits for it (in this connection's thread)."""
        assert self._loop is not None

        async def call() -> Any:
            return await awaitable

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        with self._lock:
            self._pending.add(future)
        try:
            return future.result()
        finally:
            with self._lock:
                self._pending.discard(future)

    def _answer(self, handler: Handler, request: protocol.Request) -> bytes:
        try:
            return protocol.ok(self._run(handler(request.args)))
        except Refused as exc:
            return protocol.error(str(exc))
        except Exception as exc:
            log.exception("control channel: %s failed", request.op)
            return protocol.error(f"the gateway failed on {request.op}: {exc} (the log has the details)")

    def _stream(
        self, conn: _Connection, reader: protocol.LineReader, handler: Streaming, request: protocol.Request
    ) -> None:
        """Sends the stream's items from a writer thread while this thread waits for the client to
        close (what it sends meanwhile is ignored)."""
        try:
            subscription: Subscription = self._run(handler.open(request.args))
        except Refused as exc:
            conn.sendall(protocol.error(str(exc)))
            return

        def write() -> None:
            try:
                while (item := subscription.get()) is not None:
                    conn.sendall(protocol.ok(item))
            except OSError:
                pass
            finally:
                subscription.close()
                conn.wake()

        writer = threading.Thread(target=write, name="control-stream", daemon=True)
        writer.start()
        try:
            while not self._stopping and reader.next_line() is not None:
                pass
        except protocol.LineTooLong:
            pass
        finally:
            subscription.close()
            writer.join(STOP_WAIT_SECONDS)


def _join(threads: list[threading.Thread], timeout: float) -> None:
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(timeout)
