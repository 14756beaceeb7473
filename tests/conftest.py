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
def gateway_factory(tmp_path, upstream_factory):
    # Depends on upstream_factory so gateways stop (closing pooled sessions) before upstreams do.
    made: list[RunningGateway] = []

    def make(settings: settings_mod.Settings | None = None, **sections) -> RunningGateway:
        gw = RunningGateway(settings or make_settings(tmp_path, **sections))
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.stop()
