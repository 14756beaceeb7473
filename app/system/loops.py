"""Which asyncio event loop the headless gateway runs on.

uvloop (libuv, in C) where it is installed: Linux and macOS.  Its transports
accept, read and write without going through Python, and a send does not let go
of the GIL, so the receiving loop is not kept waiting by the spool's threads
after every reply: less CPU per message and less loop lag under load
(bench/run.py measures it).  Windows, or ``TENSO_EVENT_LOOP=asyncio``, keeps asyncio's own
loop.  The window runs on qasync's loop either way.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    if os.environ.get("TENSO_EVENT_LOOP", "").lower() != "asyncio":
        try:
            import uvloop  # optional: not on Windows
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def new_event_loop() -> asyncio.AbstractEventLoop:
    return loop_factory()()


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)`` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
