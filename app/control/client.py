"""The command line's (and the window's) end of the control channel.  Blocking: call it from a
thread when there is an event loop to keep free.

    client = connect(settings.queue_dir)
    if client is None:
        ...  # no gateway serves this queue: read the files
    with client:
        found = client.call("status")
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from app.control import protocol
from app.control.address import Address, for_queue

REPLY_TIMEOUT_SECONDS = 120.0  # a reload that rebinds the ports takes seconds, not minutes


ADMINISTRATOR = (
    "an administrator (Run as administrator)" if sys.platform == "win32" else "an administrator (root, sudo)"
)


class ControlError(Exception):
    """The gateway refused the request or could not carry it out (its words), or the channel broke."""


class NotAllowed(ControlError):
    """A gateway serves the queue, but its channel does not let this user in."""


class Client:
    def __init__(self, connection: Any, address: Address):
        self._conn = connection
        self.address = address
        self._reader = protocol.LineReader(connection.recv)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def wake(self) -> None:
        """Ends a ``follow`` blocked in another thread (the window stops listening to the log)."""
        self._conn.wake()

    def _send(self, op: str, args: dict[str, Any]) -> None:
        try:
            self._conn.sendall(protocol.request(op, args))
        except OSError as exc:
            self._reply()  # a gateway that refused this user said why before it closed
            raise ControlError(f"the gateway closed the control channel ({exc})") from exc

    def _reply(self) -> Any:
        try:
            line = self._reader.next_line()
        except (protocol.ProtocolError, OSError) as exc:
            raise ControlError(f"no answer from the gateway: {exc}") from exc
        if line is None:
            raise ControlError("the gateway closed the control channel without answering")
        try:
            reply = protocol.parse_reply(line)
        except protocol.ProtocolError as exc:
            raise ControlError(str(exc)) from exc
        if not reply["ok"]:
            raise ControlError(str(reply.get("error") or "the gateway refused the request"))
        return reply.get("result")

    def call(self, op: str, **args: Any) -> Any:
        """The result of ``op``; ControlError with the gateway's words when it is refused."""
        self._send(op, args)
        return self._reply()

    def follow(self, op: str, **args: Any) -> Iterator[Any]:
        """Each result of the streaming ``op`` as it comes, until the gateway ends it or the caller
        stops iterating (which closes the connection: a stream has it to itself)."""
        self._send(op, args)
        self._conn.set_timeout(None)  # lines come when the gateway has them
        try:
            while True:
                yield self._reply()
        except ControlError as exc:
            if "closed the control channel" not in str(exc):
                raise
        finally:
            self.close()


def connect(queue_dir: Path, timeout: float = 2.0) -> Client | None:
    """A client of the gateway serving ``queue_dir``; None when none does.  NotAllowed (a
    ControlError) when one does but this user may not command it."""
    address = for_queue(Path(queue_dir))
    connection: Any
    try:
        if address.kind == "pipe":
            from app.control import windows

            connection = windows.open_connection(address.path, timeout)
        else:
            from app.control import unix

            connection = unix.open_connection(Path(address.path), timeout)
    except PermissionError as exc:
        raise NotAllowed(
            f"a gateway runs on {queue_dir}, but this user may not command it ({exc.strerror}): run the command "
            f"as the user the gateway runs as, or as {ADMINISTRATOR}"
        ) from exc
    except OSError as exc:
        raise ControlError(f"cannot open the control channel {address}: {exc}") from exc
    if connection is None:
        return None
    connection.set_timeout(REPLY_TIMEOUT_SECONDS)
    return Client(connection, address)
