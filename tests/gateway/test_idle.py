"""A gateway with nothing to do costs nothing: no timer on its loop sooner than a second, and
no thread hop to read the control folder while nobody writes there (issue 27).  The wake-ups
themselves are measured by bench/run.py's idle part; here the mechanism is checked."""

from __future__ import annotations

import asyncio
import threading
import time

from app.deliver import scheduler
from app.gateway import Gateway
from app.store.spool import Request
from tests.support.gateway import make_settings, rule
from tests.support.processes import dead_port
from tests.support.waiting import wait_until


class TimerLog(asyncio.SelectorEventLoop):
    """asyncio's loop, noting the delay of every timer asked of it (call_later goes through call_at)."""

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[tuple[float, object]] = []
        self.hops = 0  # run_in_executor calls: asyncio.to_thread's thread hops

    def call_at(self, when, callback, *args, context=None):
        self.timers.append((when - self.time(), callback))
        return super().call_at(when, callback, *args, context=context)

    def run_in_executor(self, executor, func, *args):
        self.hops += 1
        return super().run_in_executor(executor, func, *args)


def test_an_idle_gateway_sets_no_timer_under_a_second_and_reads_the_control_folder_only_when_it_moved(tmp_path):
    loop = TimerLog()
    thread = threading.Thread(target=loop.run_forever, name="idle-gateway-loop", daemon=True)
    thread.start()
    gateway = Gateway(make_settings(tmp_path, rules=[rule(dead_port())]))

    def call(coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    try:
        call(gateway.start())
        time.sleep(scheduler.CONTROL_POLL_SECONDS + 1.0)  # start-up's work ends; the second look lists once more
        loop.call_soon_threadsafe(lambda: (loop.timers.clear(), setattr(loop, "hops", 0)))
        time.sleep(3.2)
        timers, hops = list(loop.timers), loop.hops
        soon = [(round(delay, 3), callback) for delay, callback in timers if delay < 0.9]
        assert not soon, f"timers under a second on an idle gateway: {soon}"
        assert len(timers) <= 2 * 3.2, f"{len(timers)} timers in 3.2 s: {timers}"
        assert hops == 0, f"{hops} thread hop(s) while idle (the control folder listed at every look?)"

        # A request still reaches it: the folder's time moves, and the next look lists it.
        qid = "NOSUCHMESSAGE"
        path = gateway.spool.request(Request.RETRY, qid)
        wait_until(
            lambda: not path.exists(), 2 * scheduler.CONTROL_POLL_SECONDS + 2, "the gateway to take the retry request"
        )
    finally:
        call(gateway.stop(grace=5))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
