"""The control channel on Windows: a named pipe (pywin32).  Step 3 of issue 25 writes it; until
then a gateway on Windows serves no channel (its log says so) and the command line reads files."""

from __future__ import annotations

from typing import Any


class Listener:
    def __init__(self, name: str, extra_sid: str | None = None):
        raise OSError("the control channel's named pipe is not written yet")

    def accept(self) -> Any:
        return None

    def close(self) -> None:
        pass


def open_connection(name: str, timeout: float) -> Any:
    """None: nothing serves the pipe (nothing can, yet)."""
    return None
