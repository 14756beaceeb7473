"""The control channel on Windows: a named pipe (pywin32), ``\\\\.\\pipe\\tenso-<hash>``.

Its DACL (``address.pipe_sddl``) lets in only SYSTEM, the administrators, the gateway's own user
and, for a service, the administrator who installed it; PIPE_REJECT_REMOTE_CLIENTS keeps other
machines out, and FILE_FLAG_FIRST_PIPE_INSTANCE makes the gateway refuse a name someone else
created first (a squatter would otherwise receive the command line's secrets).  The client opens
the pipe for identification only, so a server cannot act as the client's user.

All I/O is overlapped so that each blocking wait can be ended by the stop (an event), and the
client's reads have a timeout; in between, a thread blocked on ConnectNamedPipe costs nothing.
This module is imported only on Windows; what is logic (the name, the SDDL) is in ``address``.
"""

from __future__ import annotations

import pywintypes
import win32api
import win32event
import win32file
import win32pipe
import win32security
import winerror

from app.control.address import pipe_sddl

BUFFER = 64 << 10
PIPE_REJECT_REMOTE_CLIENTS = getattr(win32pipe, "PIPE_REJECT_REMOTE_CLIENTS", 0x00000008)
FILE_FLAG_FIRST_PIPE_INSTANCE = getattr(win32file, "FILE_FLAG_FIRST_PIPE_INSTANCE", 0x00080000)
SECURITY_SQOS_PRESENT = getattr(win32file, "SECURITY_SQOS_PRESENT", 0x00100000)
SECURITY_IDENTIFICATION = getattr(win32file, "SECURITY_IDENTIFICATION", 0x00010000)


def _os_error(exc: pywintypes.error) -> OSError:
    code = exc.winerror
    if code == winerror.ERROR_ACCESS_DENIED:
        return PermissionError(13, exc.strerror)
    return OSError(code, exc.strerror)


def own_sid() -> str:
    """The string SID of the user this process runs as."""
    token = win32security.OpenProcessToken(win32api.GetCurrentProcess(), win32security.TOKEN_QUERY)
    try:
        sid = win32security.GetTokenInformation(token, win32security.TokenUser)[0]
    finally:
        win32api.CloseHandle(token)
    return win32security.ConvertSidToStringSid(sid)


def _cancel(handle, overlapped) -> None:
    """Cancels this thread's pending I/O on ``handle`` and waits until the system let go of the
    OVERLAPPED and its buffer (freed when the caller returns)."""
    try:
        win32file.CancelIo(handle)
        win32file.GetOverlappedResult(handle, overlapped, True)
    except pywintypes.error:
        pass  # ERROR_OPERATION_ABORTED: cancelled, as asked


class Connection:
    """One end of a connected pipe instance, with overlapped reads and writes that ``wake`` (or a
    timeout) can end."""

    def __init__(self, handle, peer: str = ""):
        self.handle = handle
        self.peer = peer
        self._woken = win32event.CreateEvent(None, True, False, None)
        self._timeout_ms = win32event.INFINITE

    def set_timeout(self, seconds: float | None) -> None:
        self._timeout_ms = win32event.INFINITE if seconds is None else max(1, int(seconds * 1000))

    def _wait(self, overlapped) -> int:
        """Bytes transferred by the pending ``overlapped`` operation; 0 when woken."""
        found = win32event.WaitForMultipleObjects([overlapped.hEvent, self._woken], False, self._timeout_ms)
        if found == win32event.WAIT_OBJECT_0:
            return win32file.GetOverlappedResult(self.handle, overlapped, False)
        _cancel(self.handle, overlapped)
        if found == win32event.WAIT_TIMEOUT:
            raise TimeoutError("the gateway did not answer in time")
        return 0

    def recv(self) -> bytes:
        overlapped = pywintypes.OVERLAPPED()
        overlapped.hEvent = win32event.CreateEvent(None, True, False, None)
        buffer = win32file.AllocateReadBuffer(BUFFER)
        try:
            win32file.ReadFile(self.handle, buffer, overlapped)
            n = self._wait(overlapped)
        except pywintypes.error as exc:
            if exc.winerror in (winerror.ERROR_BROKEN_PIPE, winerror.ERROR_PIPE_NOT_CONNECTED):
                return b""
            if exc.winerror == winerror.ERROR_OPERATION_ABORTED:
                return b""
            raise _os_error(exc) from exc
        finally:
            win32api.CloseHandle(overlapped.hEvent)
        return bytes(buffer[:n])

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            overlapped = pywintypes.OVERLAPPED()
            overlapped.hEvent = win32event.CreateEvent(None, True, False, None)
            try:
                win32file.WriteFile(self.handle, view[:BUFFER].tobytes(), overlapped)
                n = self._wait(overlapped)
            except pywintypes.error as exc:
                raise _os_error(exc) from exc
            finally:
                win32api.CloseHandle(overlapped.hEvent)
            if n == 0:
                raise BrokenPipeError("the control channel was closed")
            view = view[n:]

    def wake(self) -> None:
        win32event.SetEvent(self._woken)

    def close(self) -> None:
        # CloseHandle, not DisconnectNamedPipe: that would throw away what the client has not read
        # yet (the refusal of a line too long); each client has its own instance, never reused.
        win32file.CloseHandle(self.handle)
        win32api.CloseHandle(self._woken)


class Listener:
    """Pipe instances of ``name``, one waiting for a client at a time."""

    def __init__(self, name: str, extra_sid: str | None = None):
        self.name = name
        attributes = win32security.SECURITY_ATTRIBUTES()
        attributes.SECURITY_DESCRIPTOR = win32security.ConvertStringSecurityDescriptorToSecurityDescriptor(
            pipe_sddl(own_sid(), extra_sid), win32security.SDDL_REVISION_1
        )
        self._attributes = attributes
        self._closing = win32event.CreateEvent(None, True, False, None)
        self._closed = False
        self._pending = self._instance(first=True)

    def _instance(self, first: bool = False):
        flags = win32pipe.PIPE_ACCESS_DUPLEX | win32file.FILE_FLAG_OVERLAPPED
        if first:
            flags |= FILE_FLAG_FIRST_PIPE_INSTANCE
        try:
            return win32pipe.CreateNamedPipe(
                self.name,
                flags,
                win32pipe.PIPE_TYPE_BYTE
                | win32pipe.PIPE_READMODE_BYTE
                | win32pipe.PIPE_WAIT
                | PIPE_REJECT_REMOTE_CLIENTS,
                win32pipe.PIPE_UNLIMITED_INSTANCES,
                BUFFER,
                BUFFER,
                0,
                self._attributes,
            )
        except pywintypes.error as exc:
            if first and exc.winerror == winerror.ERROR_ACCESS_DENIED:
                raise OSError(
                    exc.winerror, f"another program already holds the pipe {self.name}; Tenso does not share it"
                ) from exc
            raise _os_error(exc) from exc

    def accept(self) -> Connection | None:
        """Blocks until a client connects (the DACL has let it in); None once closed."""
        try:
            return self._accept()
        except pywintypes.error as exc:
            raise _os_error(exc) from exc

    def _accept(self) -> Connection | None:
        while not self._closed:
            handle = self._pending
            overlapped = pywintypes.OVERLAPPED()
            overlapped.hEvent = win32event.CreateEvent(None, True, False, None)
            try:
                code = win32pipe.ConnectNamedPipe(handle, overlapped)
                if code == winerror.ERROR_IO_PENDING:
                    found = win32event.WaitForMultipleObjects(
                        [overlapped.hEvent, self._closing], False, win32event.INFINITE
                    )
                    if found != win32event.WAIT_OBJECT_0:
                        _cancel(handle, overlapped)
                        break
                    try:
                        win32file.GetOverlappedResult(handle, overlapped, False)
                    except pywintypes.error as exc:
                        if exc.winerror != winerror.ERROR_PIPE_CONNECTED:
                            win32pipe.DisconnectNamedPipe(handle)
                            continue  # the client left before it was taken
            finally:
                win32api.CloseHandle(overlapped.hEvent)
            self._pending = self._instance()
            try:
                peer = f"pid {win32pipe.GetNamedPipeClientProcessId(handle)}"
            except (pywintypes.error, AttributeError):
                peer = ""
            return Connection(handle, peer)
        win32file.CloseHandle(self._pending)  # closed: the waiting instance goes with it
        return None

    def close(self) -> None:
        """Ends accept() (which closes the waiting pipe instance itself, in its own thread)."""
        self._closed = True
        win32event.SetEvent(self._closing)


def open_connection(name: str, timeout: float) -> Connection | None:
    """A connection to the gateway's pipe; None when no gateway serves it.  PermissionError when
    its DACL does not let this user in."""
    deadline_ms = max(1, int(timeout * 1000))
    while True:
        try:
            handle = win32file.CreateFile(
                name,
                win32file.GENERIC_READ | win32file.GENERIC_WRITE,
                0,
                None,
                win32file.OPEN_EXISTING,
                win32file.FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                None,
            )
        except pywintypes.error as exc:
            if exc.winerror == winerror.ERROR_FILE_NOT_FOUND:
                return None
            if exc.winerror == winerror.ERROR_PIPE_BUSY:
                try:
                    win32pipe.WaitNamedPipe(name, deadline_ms)
                except pywintypes.error:
                    return None
                continue
            raise _os_error(exc) from exc
        connection = Connection(handle)
        connection.set_timeout(timeout)
        return connection
