"""The control channel on Unix: a stream socket file that only the gateway's user and root may
open.

The socket is bound inside a fresh 0700 folder, made 0600 there and only then renamed into place,
so there is no moment at which another user could connect (and no process-wide umask, which would
also change what the gateway's other threads create meanwhile).  Every accepted connection is
checked once more with SO_PEERCRED: the gateway's own uid and root are served, anyone else gets a
refusal line and is closed.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import struct
import tempfile
from pathlib import Path

from app.control import protocol

log = logging.getLogger("tenso")

BACKLOG = 16
CHUNK = 64 << 10


class Connection:
    """One accepted (or, for the client, opened) connection: blocking reads and writes."""

    def __init__(self, sock: socket.socket, peer: str = ""):
        self.sock = sock
        self.peer = peer

    def recv(self) -> bytes:
        """The next bytes; b"" at the end (or when the connection broke: TimeoutError is raised)."""
        try:
            return self.sock.recv(CHUNK)
        except TimeoutError:
            raise
        except OSError:
            return b""

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def set_timeout(self, seconds: float | None) -> None:
        self.sock.settimeout(seconds)

    def wake(self) -> None:
        """Ends a recv() blocked in another thread (the server is stopping)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()


def _user(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def peer_credentials(sock: socket.socket) -> tuple[int, int] | None:
    """(pid, uid) of the other end, or None where the system cannot tell (no SO_PEERCRED)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return pid, uid


def may_command(uid: int, own_uid: int) -> bool:
    return uid in (own_uid, 0)


def _private_folder(folder: Path) -> None:
    """The short-path folder: made 0700; one that another user could write into is not used."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (os.getuid(), 0) or info.st_mode & 0o077:
        raise OSError(f"{folder} must be a folder of this user with no access for others (chmod 700)")


class Listener:
    """The listening socket file at ``path``; a stale file left by a gateway that died is
    replaced (the caller holds the queue's lock, so no other gateway serves this queue)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._closing = False
        self._own_uid = os.getuid()
        folder = self.path.parent
        if folder.name.startswith("tenso-") and folder.parent == Path(tempfile.gettempdir()):
            _private_folder(folder)
        staging = Path(tempfile.mkdtemp(prefix=".control-", dir=folder))  # 0700
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            staged = staging / "s"
            sock.bind(str(staged))
            os.chmod(staged, 0o600)
            if self.path.is_socket():
                self.path.unlink()
            os.replace(staged, self.path)
            sock.listen(BACKLOG)
        except BaseException:
            sock.close()
            raise
        finally:
            for left in staging.iterdir():  # only when binding failed half way
                left.unlink()
            staging.rmdir()
        self.sock = sock

    def accept(self) -> Connection | None:
        """Blocks until a permitted client connects; None once closed."""
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                if self._closing:
                    return None
                raise
            if self._closing:
                conn.close()
                return None
            creds = peer_credentials(conn)
            if creds is None or may_command(creds[1], self._own_uid):
                peer = f"pid {creds[0]}" if creds else ""
                return Connection(conn, peer)
            pid, uid = creds
            allowed = "only root" if self._own_uid == 0 else f"only {_user(self._own_uid)} and root"
            log.warning("control channel: refused %s (pid %d): %s may command this gateway", _user(uid), pid, allowed)
            try:
                conn.sendall(protocol.error(f"refused: {allowed} may command this gateway"))
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        """Wakes accept() and removes the socket file."""
        self._closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # Linux: accept() returns at once
        except OSError:
            pass
        try:  # elsewhere a connection wakes it
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as poke:
                poke.settimeout(0.5)
                poke.connect(str(self.path))
        except OSError:
            pass
        self.sock.close()
        try:
            if self.path.is_socket():
                self.path.unlink()
        except OSError:
            pass


def open_connection(path: Path, timeout: float) -> Connection | None:
    """A connection to the gateway's socket at ``path``; None when nothing serves it there.
    PermissionError when this user may not open it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
        sock.close()
        return None
    except BaseException:
        sock.close()
        raise
    return Connection(sock)
