"""The History tab (docs/history.md): searches over a history file written by the real writer
(app/history/writer.Recorder) or by a real gateway fed by real SMTP peers, each field selecting
exactly, paged; a message's timeline with the replies explained; the text for Microsoft 365's
message trace; the CSV for Excel; the Queue tab's link; and no stall of the GUI thread while a
search runs over 100,000 messages."""

from __future__ import annotations

import asyncio
import csv
import smtplib
import time
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QElapsedTimer, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QGroupBox, QSpinBox

from app import settings as settings_mod
from app.gui import i18n
from app.gui.history_model import COL_ID, COL_STATE
from app.gui.history_text import message_trace_text
from app.gui.tabs import history_tab
from app.history import query
from app.history.records import Attempt, Refusal, State
from app.history.writer import Recorder
from app.mail.replies import explain
from tests.support.gateway import make_settings, rule
from tests.support.gui import until
from tests.support.history import HOUR, NOW, received
from tests.support.processes import dead_port
from tests.support.smtp import message

QUEUED_AS = "250 2.0.0 Ok: queued as 4DqXyZ1234"
RELAY = "550 5.7.1 relay"
REFUSED_708 = "550 5.7.708 Access denied, traffic not accepted from this IP"


def attempt(qid: str, recipient: str, state: State, reply: str, hours_ago: float, n: int = 1, **values) -> Attempt:
    return Attempt(qid, recipient, n, NOW - hours_ago * HOUR, state.value, reply, **values)


def recorded(settings, records: list, days: int = 90) -> None:
    """Written by the gateway's own writer thread, as the gateway writes them."""
    recorder = Recorder(settings.history_path, settings.queue_dir / "msg", days=days)
    recorder.start()
    try:
        for start in range(0, len(records), 20000):
            recorder.add(records[start : start + 20000])
        assert recorder.flush(120)
    finally:
        recorder.stop(120)


def five_kinds() -> list:
    """Messages each unlike the others in one way, and one refusal."""
    return [
        received("A", 30, subject="見積書 12月"),
        received("B", 20, sender="fax@example.jp", header_from="FAX <fax@example.jp>", subject="請求書"),
        received("C", 10, recipients=["boss@other.example", "sales@example.jp"], subject="議事録"),
        received("D", 1, message_id="<special@mfp.example.jp>", subject="週報", login="device:mfp-2f"),
        received("E", 24 * 12, subject="古い報告"),
        attempt("A", "sales@example.jp", State.SENT, QUEUED_AS, 29, upstream_id="4DqXyZ1234"),
        attempt("B", "sales@example.jp", State.BOUNCED, "550 5.1.1 no such user", 19),
        attempt("C", "boss@other.example", State.DEFERRED, "451 4.4.0 no connection", 9),
        attempt("C", "sales@example.jp", State.DELIVERED, "250 2.0.0 stored in sales", 9),
        Refusal(
            "R1", NOW - 5 * HOUR, "RCPT", "203.0.113.5", "", "spam@bad.example", ["x@example.jp"], "550 5.7.1 relay"
        ),
    ]


def opened(gui, records: list):
    settings = make_settings(gui.tmp_path)
    recorded(settings, records)
    window = gui.open(settings)
    window.tabs.setCurrentWidget(window.history_tab)
    return window, window.history_tab


async def settled(tab, timeout: float = 20.0) -> None:
    await until(lambda: not tab.busy, timeout, "the search to finish")


def shown_ids(tab) -> list:
    return [row["id"] for row in tab.model.rows]


def test_each_field_selects_exactly_newest_first(gui, english):
    window, tab = opened(gui, five_kinds())

    async def search(**fields) -> list:
        tab.clear()
        for name, value in fields.items():
            if name == "state":
                tab.state.setCurrentIndex(tab.state.findData(value))
            elif name == "period":
                tab.period.setCurrentIndex(value)
            else:
                getattr(tab, f"{name}_edit").setText(value)
        tab.search()
        await settled(tab)
        return shown_ids(tab)

    async def scenario() -> None:
        await settled(tab)  # the first search, when the tab came to the front: the last 7 days
        assert shown_ids(tab) == ["D", None, "C", "B", "A"]  # newest first; E is 12 days old
        assert await search(period=3) == ["D", None, "C", "B", "A", "E"]  # all kept
        assert await search(sender="fax@") == ["B"]
        assert await search(sender="FAX <fax") == ["B"]  # the header From too
        assert await search(sender="bad.example") == [None]  # the refusal's sender
        assert await search(recipient="boss@other") == ["C"]
        assert await search(subject="請求") == ["B"]
        assert await search(message_id="special@mfp.example.jp") == ["D"]  # without its <>
        assert await search(message_id="<special@mfp.example.jp>") == ["D"]
        assert await search(state="sent") == ["A"]
        assert await search(state="bounced") == ["B"]
        assert await search(state="deferred") == ["C"]
        assert await search(state="delivered") == ["C"]
        assert await search(state="refused") == [None]
        # Chosen dates: from 25 h to 15 h ago (B, 20 h ago, only).
        tab.clear()
        tab.period.setCurrentIndex(history_tab.CHOSEN)
        assert tab.since.isEnabled() and tab.until.isEnabled()
        tab.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 25 * HOUR)))
        tab.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(NOW - 15 * HOUR)))
        tab.search()
        await settled(tab)
        assert shown_ids(tab) == ["B"]
        assert await search(subject="誰も書かない件名") == []
        assert tab.summary.text() == "No message in the history matches."
        # The state column says it in words, the refusal has no queue id.
        await search()
        assert tab.model.index(0, COL_STATE).data() == "queued"
        assert tab.model.index(1, COL_STATE).data() == "refused" and tab.model.index(1, COL_ID).data() == "-"
        assert tab.model.index(2, COL_STATE).data() == "deferred 1, delivered 1"

    gui.run(scenario(), timeout=60)


def test_typing_searches_once_the_typing_stops_and_a_newer_search_replaces_an_older_one(gui, english):
    window, tab = opened(gui, five_kinds())
    shown: list[str] = []
    tab.model.modelReset.connect(lambda: shown.append(tab.filters["subject"]))

    async def scenario() -> None:
        await settled(tab)
        shown.clear()
        for key in "請求":
            tab.subject_edit.setText(tab.subject_edit.text() + key)
            tab.subject_edit.textEdited.emit(tab.subject_edit.text())
        assert tab.busy and not tab._running  # waiting for the typing to stop
        await settled(tab)
        assert shown == ["請求"] and shown_ids(tab) == ["B"]  # one search, not one per key
        shown.clear()
        tab.subject_edit.setText("見積")
        tab.search()
        tab.subject_edit.setText("議事録")
        tab.search()  # before the first ran: it takes its place
        await settled(tab)
        assert shown == ["議事録"] and shown_ids(tab) == ["C"]

    gui.run(scenario(), timeout=60)


def test_pages_of_200_newest_first_and_more_adds_the_next(gui, english):
    records: list = [received(f"M{n:04d}", n / 100) for n in range(450)]
    window, tab = opened(gui, records)
    expected = [f"M{n:04d}" for n in range(450)]

    async def scenario() -> None:
        await settled(tab)
        assert shown_ids(tab) == expected[:200]
        assert tab.more_button.isEnabled()
        assert tab.summary.text() == "The newest 200 shown; More shows the next 200."
        tab.more_button.click()
        await settled(tab)
        assert shown_ids(tab) == expected[:400]
        tab.more_button.click()
        await settled(tab)
        assert shown_ids(tab) == expected
        assert not tab.more_button.isEnabled()
        assert tab.summary.text() == "450 shown, newest first."

    gui.run(scenario(), timeout=60)


def test_the_csv_has_a_bom_every_message_of_the_search_and_reads_back_in_japanese(gui, english):
    records: list = [received(f"M{n:04d}", n / 100, subject=f"見積書 {n}") for n in range(250)]
    records += five_kinds()
    window, tab = opened(gui, records)
    path = gui.tmp_path / "履歴.csv"

    async def scenario() -> None:
        await settled(tab)
        tab.subject_edit.setText("見積書")
        tab.search()
        await settled(tab)
        assert len(tab.model.rows) == 200  # a page on show; the file gets the whole search
        tab.export_csv(str(path))
        await until(lambda: not tab.exporting and tab.exported, 20, "the export")

    gui.run(scenario(), timeout=60)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would read the Japanese as Shift_JIS"
    assert b"\r\n" in data
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 251  # 250 + A's 見積書 12月, one line per recipient
    assert tab.exported == f"251 message(s) exported to {path}."
    by_id = {row["Queue ID"]: row for row in rows}
    assert by_id["M0007"]["Subject"] == "見積書 7" and by_id["M0007"]["From (header)"] == "複合機 <scan@example.jp>"
    assert by_id["A"]["State"] == "sent" and by_id["A"]["Their id for the message"] == "4DqXyZ1234"
    assert by_id["A"]["Reply"] == QUEUED_AS


def test_the_csv_headers_and_states_are_japanese_in_the_japanese_window(gui, english):
    i18n.install("ja")
    window, tab = opened(gui, five_kinds())
    path = gui.tmp_path / "history-ja.csv"

    async def scenario() -> None:
        await settled(tab)
        tab.export_csv(str(path))
        await until(lambda: not tab.exporting and tab.exported, 20, "the export")

    gui.run(scenario(), timeout=60)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "受信" and "件名" in rows[0]
    states = {row[1]: row[rows[0].index("状態")] for row in rows[1:]}
    assert states["A"] == "送信済み" and states["B"] == "返送済み"


def test_from_the_queue_tab_the_message_history_shows_its_attempts_explained_and_the_message_trace(
    gui, english, upstream_factory
):
    """One message to three recipients: sent (the upstream names its id), refused for good by the
    upstream with a reply Tenso explains (bounced: a DSN to the sender), and to a rule whose server
    is down (deferred: it stays in the queue, where the Queue tab links to its history)."""
    up = upstream_factory()
    up.handler.accepted_reply = QUEUED_AS
    up.handler.rcpt_replies["nobody@ok.test"] = REFUSED_708
    window = gui.open(
        make_settings(
            gui.tmp_path,
            options={"relay_networks": ["127.0.0.0/8"]},
            rules=[rule(up.port, "@ok.test"), rule(dead_port(), "@down.test"), rule(up.port, "@lan.test")],
        )
    )
    controller, queue, tab = window.controller, window.queue_tab, window.history_tab
    content = message("月次報告")
    message_id = content.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
    state: dict = {}

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.sendmail("scan@lan.test", ["x@ok.test", "nobody@ok.test", "y@down.test"], content)

        state["sent"] = time.time()
        await asyncio.to_thread(send)
        window.tabs.setCurrentWidget(queue)
        await until(lambda: queue.table.rowCount() == 1, 20, "the deferred message in the queue")
        await until(lambda: len(up.messages) == 2, 20, "the message and its bounce at the upstream")

        async def bounced() -> bool:
            found = await controller.history("history", {"message_id": message_id})
            return bool(found) and {r["state"] for r in found[0]["recipients"]} == {"sent", "bounced", "deferred"}

        deadline = time.monotonic() + 20
        while not await bounced():
            assert time.monotonic() < deadline, "the attempts not in the history"
            await asyncio.sleep(0.1)
        qid = queue.table.item(0, 0).text()
        state["qid"] = qid
        queue.table.selectRow(0)
        queue.history_button.click()
        assert window.tabs.currentWidget() is tab
        await until(lambda: not tab.busy and tab.selected() is not None, 20, "the message chosen on the History tab")
        assert tab.message_id_edit.text() == message_id
        assert tab.selected()["id"] == qid
        await until(lambda: "4DqXyZ1234" in tab.detail.toPlainText(), 20, "the timeline in the detail pane")
        state["detail"] = tab.detail.toPlainText()
        tab.trace_button.click()
        state["trace"] = QGuiApplication.clipboard().text()
        state["found"] = tab.selected()

    gui.run(scenario(), timeout=90)
    detail = state["detail"]
    assert "Received from 127.0.0.1" in detail
    assert "attempt 1 to <x@ok.test>: sent" in detail and QUEUED_AS in detail
    assert "Their id for the message: 4DqXyZ1234" in detail
    assert "attempt 1 to <nobody@ok.test>: bounced" in detail and REFUSED_708 in detail
    advice = explain(REFUSED_708, "en")
    assert advice is not None and advice.what in detail  # what the reply means, beside it
    assert "Report sent to the sender: " in detail  # the DSN's queue id
    assert "attempt 1 to <y@down.test>: deferred" in detail
    trace = state["trace"]
    assert f"Message-ID: {message_id}" in trace and "Sender: scan@lan.test" in trace
    assert "x@ok.test" in trace and "nobody@ok.test" in trace
    line = next(x for x in trace.splitlines() if x.startswith("Get-MessageTraceV2 "))
    words = line.split()
    assert words[1:3] == ["-MessageId", f"'{message_id}'"]
    start = datetime.strptime(line.split("-StartDate '")[1][:20], "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=UTC)
    end = datetime.strptime(line.split("-EndDate '")[1][:20], "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=UTC)
    assert start.timestamp() < state["sent"] < end.timestamp(), "the UTC window does not hold the message's time"
    assert (end - start).total_seconds() <= 10 * 86400  # one message trace query spans at most 10 days
    assert f"Time (UTC): {line.split(chr(39))[3]} - {line.split(chr(39))[5]}" in trace


def test_a_search_over_100000_messages_never_stalls_the_window(gui, english):
    """The queries run in a thread: a heartbeat on the GUI thread every 5 ms is never held up
    long, while searches that read every row (a subject, a recipient) run."""
    records: list = []
    for n in range(100_000):
        qid = f"Q{n:06d}"
        records.append(received(qid, n * 0.02, subject=f"報告 {n}", recipients=[f"user{n % 500}@example.jp"]))
        records.append(attempt(qid, f"user{n % 500}@example.jp", State.SENT, QUEUED_AS, n * 0.02))
    window, tab = opened(gui, records)
    del records
    beats: list[float] = []
    clock = QElapsedTimer()
    heartbeat = gui.own(QTimer())
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: beats.append(clock.elapsed()))
    times: dict[str, float] = {}
    idle: list[float] = []

    async def timed(name: str, **fields) -> None:
        tab.clear()
        tab.period.setCurrentIndex(3)  # every day kept
        for field, value in fields.items():
            getattr(tab, f"{field}_edit").setText(value)
        await settled(tab)  # the period's own search
        started = time.perf_counter()
        tab.search()
        await settled(tab, 60)
        times[name] = time.perf_counter() - started

    async def scenario() -> None:
        await settled(tab, 60)
        clock.start()
        heartbeat.start()
        await asyncio.sleep(0.5)  # idle: what this machine's load alone does to the heartbeat
        idle.extend(beats)
        beats.clear()
        await timed("newest 200 of all")
        assert len(tab.model.rows) == 200 and tab.model.rows[0]["id"] == "Q000000"
        await timed("subject (reads every row)", subject="報告 99999")
        assert shown_ids(tab) == ["Q099999"]
        await timed("recipient (reads every row)", recipient="user49")
        assert len(tab.model.rows) == 200 and tab.more_button.isEnabled()
        started = time.perf_counter()
        tab.more()
        await settled(tab, 60)
        times["its next page"] = time.perf_counter() - started
        assert len(tab.model.rows) == 400 and tab.more_button.isEnabled()  # 2,200 match
        heartbeat.stop()

    gui.run(scenario(), timeout=120)
    longest = max(b - a for a, b in zip(beats, beats[1:], strict=False))
    print("\nHistory tab over 100,000 messages:", {k: f"{v * 1000:.0f} ms" for k, v in times.items()})
    print(f"longest GUI-thread stall: {longest} ms while searching ({len(beats)} heartbeats of 5 ms), ", end="")
    print(f"{max(b - a for a, b in zip(idle, idle[1:], strict=False))} ms idle ({len(idle)} heartbeats)")
    assert longest < 250, f"the GUI thread stood still for {longest} ms during a search"


def test_a_refusal_shows_the_client_and_the_reply_and_has_no_message_trace(gui, english):
    window, tab = opened(gui, five_kinds())

    async def scenario() -> None:
        await settled(tab)
        tab.view.selectRow(shown_ids(tab).index(None))
        await until(lambda: "Refused from" in tab.detail.toPlainText(), 10, "the refusal in the detail pane")
        assert not tab.trace_button.isEnabled()  # it never left Tenso: nothing to trace at Microsoft 365
        tab.view.selectRow(shown_ids(tab).index("D"))
        await until(lambda: "週報" in tab.detail.toPlainText(), 10, "message D in the detail pane")
        assert tab.trace_button.isEnabled()

    gui.run(scenario(), timeout=60)
    # D was read again as history.detail: its login and the line saying no attempt was made yet.
    detail = tab.detail.toPlainText()
    assert "Received from 192.0.2.10 (login device:mfp-2f)" in detail
    assert "No attempt yet for <sales@example.jp>." in detail


def test_with_the_history_off_the_tab_says_so_instead_of_no_match(gui, english):
    window = gui.open(history={"enabled": False})
    tab = window.history_tab
    window.tabs.setCurrentWidget(tab)

    async def scenario() -> None:
        await settled(tab)

    gui.run(scenario(), timeout=30)
    assert shown_ids(tab) == []
    assert tab.summary.text() == (
        'The history is off: nothing new is recorded. To switch it on, tick "Keep a history of every message" '
        "in the Server tab's History box and press Apply."
    )
    # The control it names is there, by those words, and switches it on at Apply.
    box = window.server_tab.findChild(QGroupBox, "historyBox")
    assert box.title() == "History"
    on = box.findChild(QCheckBox, "historyEnabled")
    assert on.text() == "Keep a history of every message (履歴)" and not on.isChecked()
    assert not box.findChild(QSpinBox, "historyDays").isEnabled()
    on.setChecked(True)
    gui.apply(window)
    assert gui.saved()["history"]["enabled"] is True


def test_the_server_tabs_history_box_sets_history_enabled_and_days_saved_at_apply(gui, english):
    window = gui.open()
    box = window.server_tab.findChild(QGroupBox, "historyBox")
    on = box.findChild(QCheckBox, "historyEnabled")
    days = box.findChild(QSpinBox, "historyDays")
    assert on.isChecked() and days.value() == 90 and days.text() == "90 days"
    assert (days.minimum(), days.maximum()) == (1, 3650)
    days.setValue(30)
    on.setChecked(False)
    assert not days.isEnabled()
    assert gui.saved().get("history", {}).get("days", 90) == 90  # nothing saved before Apply
    gui.apply(window)
    assert window.problems.text() == ""
    assert gui.saved()["history"] == {"enabled": False, "days": 30}
    assert window.controller.settings.history == settings_mod.History(enabled=False, days=30)  # applied
    window.close()
    again = gui.open(settings_mod.load(gui.config))  # the saved file shown again
    box = again.server_tab.findChild(QGroupBox, "historyBox")
    assert not box.findChild(QCheckBox, "historyEnabled").isChecked()
    assert box.findChild(QSpinBox, "historyDays").value() == 30


def test_the_history_box_and_the_tabs_off_line_in_japanese(gui, english):
    i18n.install("ja")
    window = gui.open(history={"enabled": False})
    box = window.server_tab.findChild(QGroupBox, "historyBox")
    assert box.title() == "履歴"
    assert box.findChild(QCheckBox, "historyEnabled").text() == "すべてのメールの履歴を記録する"
    assert box.findChild(QSpinBox, "historyDays").text() == "90 日"
    tab = window.history_tab
    window.tabs.setCurrentWidget(tab)
    gui.run(settled(tab), timeout=30)
    assert tab.summary.text() == (
        "履歴はオフです。新しいメールは記録されません。オンにするには、「サーバー」タブの「履歴」欄で"
        "「すべてのメールの履歴を記録する」にチェックを入れ、「適用」を押してください。"
    )


def test_the_quick_periods_start_at_midnight_7_and_30_days_ago_and_all_has_no_start(gui, english):
    window, tab = opened(gui, [])
    now = time.mktime((2026, 12, 8, 15, 30, 0, 0, 0, -1))  # local time
    expected = {
        "Today": time.mktime((2026, 12, 8, 0, 0, 0, 0, 0, -1)),
        "Last 7 days": now - 7 * 86400,
        "Last 30 days": now - 30 * 86400,
        "All (everything kept)": None,
    }
    for index in range(tab.period.count() - 1):
        tab.period.setCurrentIndex(index)
        chosen = tab.current_filters(now)
        assert (chosen["since"], chosen["until"]) == (expected[tab.period.itemText(index)], None)
        assert not tab.since.isEnabled()
    gui.run(settled(tab), timeout=30)


def test_the_message_trace_without_a_message_id_goes_by_the_envelope_and_says_when_it_is_too_old(gui, english):
    settings = make_settings(gui.tmp_path)
    records = [
        received("OLD", 24 * 100, message_id="", recipients=["a@example.net", "o'neil@example.net"]),
        attempt("OLD", "a@example.net", State.SENT, QUEUED_AS, 24 * 100 - 1),
    ]
    recorded(settings, records, days=365)
    found = query.search(settings.history_path, query.Filters(), limit=5)
    assert [f["id"] for f in found] == ["OLD"]
    text = message_trace_text(found[0])
    assert "Message-ID: (none)" in text
    assert "this message is older, it is no longer there" in text
    line = text.splitlines()[-1]
    assert line.startswith("Get-MessageTraceV2 -SenderAddress 'scan@example.jp' ")
    assert "-RecipientAddress 'a@example.net','o''neil@example.net'" in line  # a quote doubled, not closed
    start = datetime.strptime(line.split("-StartDate '")[1][:20], "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(start.timestamp() - (NOW - 100 * 86400 - 15 * 60)) < 2  # 15 minutes before it arrived


def test_a_message_tenso_made_itself_says_so_in_its_timeline_not_received_from(gui, english):
    """The alert mail's record (client alert, login tenso, sender <>) reads as Tenso's own message;
    a scanner's still reads as received from its address.  Every own client has its words."""
    from app.gui.history_text import OWN_MESSAGES
    from app.history.summary import OWN_CLIENTS

    assert set(OWN_MESSAGES) == OWN_CLIENTS
    alert = received("ALERT", 1, client="alert", login="tenso", sender="", header_from="Tenso <tenso@t.test>")
    window, tab = opened(gui, [alert, received("SCAN", 2)])

    async def scenario() -> None:
        await settled(tab)
        assert shown_ids(tab) == ["ALERT", "SCAN"]
        tab.view.selectRow(0)
        await until(lambda: "Made by Tenso" in tab.detail.toPlainText(), 10, "the alert's timeline")

    gui.run(scenario(), timeout=30)
    assert "Made by Tenso itself: an alert or the daily summary, to alerts.email_to" in tab.detail.toPlainText()
    assert "Received from" not in tab.detail.toPlainText()
