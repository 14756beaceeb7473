"""Fixtures for every test: upstream SMTP servers that check AUTH themselves, and a Tenso
gateway on a loopback port.

Nothing here replaces a part that can run for real: the gateway is the real engine on a real
asyncio loop (in a thread, so tests can use blocking smtplib clients), upstreams are aiosmtpd
servers, passwords go through keyring to keyrings.alt's file backend selected by
PYTHON_KEYRING_BACKEND.  The parts themselves are in ``tests.support``; importing it first
sets up the session's sandbox (tests/support/sandbox.py), before anything imports keyring or
computes a data folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support import sandbox  # noqa: F401  (first: never the user's own keyring or data folder)
from tests.support.gateway import RunningGateway, make_settings
from tests.support.smtp import Upstream

if TYPE_CHECKING:
    from app import settings as settings_mod


def _encodable(data):
    """``data`` with every string UTF-8 encodable: surrogate escapes (bytes that were not UTF-8,
    as aiosmtpd hands them over and as the gateway logs them) become backslash escapes."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return data.encode("utf-8", "backslashreplace").decode("utf-8")
        return data
    if isinstance(data, dict):
        return {key: _encodable(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_encodable(item) for item in data)
    return data


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(config, report):
    """A test's report as pytest-xdist sends it from a worker: its captured log may hold the
    surrogate escapes of a hostile client's bytes, which execnet refuses to send ("strings must
    be utf-8 encodable"), ending the whole run with an INTERNALERROR."""
    data = yield
    return _encodable(data)


@pytest.fixture
def upstream_factory():
    made: list[Upstream] = []

    def make(**kwargs) -> Upstream:
        up = Upstream(**kwargs)
        made.append(up)
        return up

    yield make
    for up in made:
        up.stop()


@pytest.fixture
def short_gateway_waits(monkeypatch):
    """Two waits of the engine, shortened for the gateways the tests start in this process by the hundred:

    - a refused login is answered after AUTH_FAILED_DELAY (1 s, against guessing): 0.05 s here;
      test_inbound shows the delay itself;
    - the queue runner reads the control folder (pause, retry...) every CONTROL_POLL_SECONDS (5 s),
      and a stop that comes while it reads waits out the rest of that wait (Scheduler._run
      clears the stop's wake-up): 0.1 s here.  Not for the window tests (tests/gui): Qt's events
      are also processed outside their qasync loop (pytest-qt does), and a queue runner woken
      there fails ("no running event loop"); the fewer wake-ups there, the better.
    """
    from app.deliver import scheduler
    from app.receive import handler  # after the sandbox (tests.support): it imports keyring

    monkeypatch.setattr(handler, "AUTH_FAILED_DELAY", 0.05)
    monkeypatch.setattr(scheduler, "CONTROL_POLL_SECONDS", 0.1)


@pytest.fixture
def gateway_factory(tmp_path, upstream_factory, short_gateway_waits):
    # Depends on upstream_factory so gateways stop (closing pooled sessions) before upstreams do.
    made: list[RunningGateway] = []

    def make(settings: settings_mod.Settings | None = None, **sections) -> RunningGateway:
        gw = RunningGateway(settings or make_settings(tmp_path, **sections))
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.stop()
