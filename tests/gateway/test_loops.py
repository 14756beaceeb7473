"""The headless gateway's event loop: uvloop where installed, asyncio's own when asked (and on Windows)."""

from __future__ import annotations

import asyncio

import pytest

from app.system import loops
from tests.support.smtp import message, send

uvloop = pytest.importorskip("uvloop")


def test_uvloop_is_the_default_and_asyncio_can_be_asked_for(monkeypatch):
    monkeypatch.delenv("TENSO_EVENT_LOOP", raising=False)
    loop = loops.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    monkeypatch.setenv("TENSO_EVENT_LOOP", "asyncio")
    loop = loops.new_event_loop()
    try:
        assert not isinstance(loop, uvloop.Loop)
        assert isinstance(loop, asyncio.BaseEventLoop)
    finally:
        loop.close()


def test_loops_run_returns_the_coroutines_result_on_the_chosen_loop(monkeypatch):
    async def which():
        return type(asyncio.get_running_loop())

    monkeypatch.delenv("TENSO_EVENT_LOOP", raising=False)
    assert loops.run(which()) is uvloop.Loop
    monkeypatch.setenv("TENSO_EVENT_LOOP", "asyncio")
    assert loops.run(which()) is not uvloop.Loop


@pytest.mark.parametrize("choice", ["asyncio", "uvloop"])
def test_mail_is_received_and_relayed_on_either_loop(monkeypatch, gateway_factory, upstream_factory, choice):
    # The rest of the suite runs on the default (uvloop); this keeps asyncio's own loop,
    # which Windows uses, going through a whole session with pipelined commands and a relay.
    monkeypatch.setenv("TENSO_EVENT_LOOP", choice)
    up = upstream_factory()
    gw = gateway_factory(rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none"}])
    assert isinstance(gw.loop, uvloop.Loop) == (choice == "uvloop")
    for n in range(3):
        send(gw.port, "a@lan.test", [f"x{n}@example.net", "y@example.org"], message(f"m{n}"))
    got = up.handler.wait_for(3)
    assert sorted(m.rcpt_tos[0] for m in got) == ["x0@example.net", "x1@example.net", "x2@example.net"]
