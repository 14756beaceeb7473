"""The Status tab: the window opens on it, and real mail through the running gateway shows up
in its counts, its destinations (a red mark for the one that is down) and its chart, pushed by
the engine (the tab's own five-second timer is stopped here), in English and in Japanese; and the
clients barred from logging in."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from app.gui import i18n
from app.status import AuthBan
from app.store.activity import Outcome
from tests.support.gui import until
from tests.support.processes import free_port
from tests.support.smtp import message, send


def test_mail_shows_in_the_counts_destinations_and_chart_without_polling(gui, upstream_factory, english):
    up = upstream_factory()
    down = free_port()
    window = gui.open(
        rules=[
            {"match": "@up.example", "destination": "127.0.0.1", "port": up.port, "tls": "none"},
            {"match": "@down.example", "destination": "127.0.0.1", "port": down, "tls": "none"},
        ]
    )
    tab = window.status_tab
    assert window.tabs.currentWidget() is tab, "the window opens on Status"
    tab.timer.stop()  # only the engine's activity_changed may update it now
    controller = window.controller

    def count(name: str) -> str:
        return tab.counts[Outcome(name)].text()

    async def scenario() -> None:
        await controller.start()
        await until(lambda: tab.state.text() == "Running", 5, "the state to read Running")
        port = controller.bound[0][1]
        assert tab.listening.text() == f"listening on 127.0.0.1:{port}"
        await asyncio.to_thread(send, port, "alice@client.test", ["bob@up.example"], message("one"))
        await asyncio.to_thread(send, port, "alice@client.test", ["carol@down.example"], message("two"))
        await until(
            lambda: (count("received"), count("relayed"), count("deferred")) == ("2", "1", "1"),
            5,
            "the counts to show 2 received, 1 relayed, 1 deferred",
        )
        await until(lambda: tab.destinations.rowCount() == 2, 5, "both destinations")
        rows = {tab.destinations.item(r, 1).text(): r for r in range(2)}
        failing = rows[f"127.0.0.1:{down}"]
        working = rows[f"127.0.0.1:{up.port}"]
        assert tab.destinations.item(failing, 0).text() == "●"
        assert tab.destinations.item(failing, 4).text().startswith("451 4.4.0")
        assert tab.destinations.item(working, 0).text() == ""
        assert tab.destinations.item(working, 3).text() == "", "no failure there"
        assert "Queue: 1 message(s), 1 recipient(s) waiting" in tab.queue.text()
        hour = tab.chart.hours[-1][1]
        assert hour.get("relayed") == 1 and hour.get("deferred") == 1
        assert tab.chart.peak() == 2

    gui.run(scenario())


def test_in_japanese(gui, english):
    i18n.install("ja")
    window = gui.open()
    tab = window.status_tab

    async def scenario() -> None:
        await until(lambda: tab.state.text() == "停止中", 5, "the state in Japanese")
        assert tab.queue.text() == "キュー: 空"
        assert window.tabs.tabText(0) == "状態"

    gui.run(scenario())


def test_clients_barred_from_logging_in_are_listed_until_when(gui, english):
    """status.auth_bans (the gateway's AUTH bans): one line per client, soonest first, in the
    window's language; nothing at all when nobody is barred."""
    window = gui.open()
    tab = window.status_tab
    tab.timer.stop()
    status = gui.run(window.controller.status())
    now = time.time()
    soon, later = now + 300, now + 2 * 86400
    bans = [AuthBan("2001:db8::9", later, 40), AuthBan("192.0.2.7", soon, 11)]
    tab.show_status(dataclasses.replace(status, auth_bans=bans))
    same_day = time.localtime(soon)[:3] == time.localtime(now)[:3]
    soon_text = time.strftime("%H:%M" if same_day else "%m-%d %H:%M", time.localtime(soon))
    later_text = time.strftime("%m-%d %H:%M", time.localtime(later))
    assert tab.bans.isVisible()
    assert tab.bans.text().split("\n") == [
        f"192.0.2.7 may not log in until {soon_text} (11 failed logins)",
        f"2001:db8::9 may not log in until {later_text} (40 failed logins)",
    ]
    i18n.install("ja")
    tab.show_status(dataclasses.replace(status, auth_bans=bans[1:]))
    assert tab.bans.text() == f"192.0.2.7 は {soon_text} までログインできません(ログイン失敗 11 回)"
    tab.show_status(status)
    assert not tab.bans.isVisible() and tab.bans.text() == ""


def test_a_refused_app_token_and_an_expiring_secret_are_shown_and_go_to_the_tray(gui, english):
    """status.token_refused and status.expiring (client credentials, issue 24): a line each in the
    window's language, no "sign in" words, and the expiry lines handed on for the tray's tooltip."""
    from app.gui.tray import Tray
    from app.status import Expiring, TokenRefused

    window = gui.open()
    tab = window.status_tab
    tab.timer.stop()
    tray = Tray()
    tab.notes_changed.connect(tray.set_notes)
    status = gui.run(window.controller.status())
    why = "account app: the client-credentials token refused by login.example.com: invalid_client: AADSTS7000215"
    expiring = Expiring("app", "client secret", "2026-12-20", 10, "")
    tab.show_status(dataclasses.replace(status, token_refused=[TokenRefused("app", why)], expiring=[expiring]))
    lines = tab.accounts.text().split("\n")
    assert lines[0].startswith("The token request of the account app was refused: " + why)
    assert "sign in" not in lines[0].lower()
    assert lines[1].startswith("What happened: Entra ID does not know this client secret")  # app/mail/replies
    assert lines[2].startswith("What to do: ")
    assert lines[3].startswith("The client secret of the account app expires on 2026-12-20 (in 10 day(s))")
    assert tray.toolTip().split("\n")[-1] == lines[3]
    i18n.install("ja")
    tab.show_status(dataclasses.replace(status, expiring=[expiring]))
    assert tab.accounts.text().startswith("アカウント app のクライアントシークレットは 2026-12-20 に期限が切れます")
    tab.show_status(status)
    assert not tab.accounts.isVisible() and tray.toolTip().split("\n")[-1] != lines[3]
