"""Screenshots of every tab, in English and Japanese, from the real window.

    xvfb-run -a python tools/screenshots.py            # writes docs/screenshots/<lang>-<tab>.png
    xvfb-run -a python tools/screenshots.py assistant  # only the setup assistant's pages
    xvfb-run -a python tools/screenshots.py console    # the window as a headless gateway's console
    xvfb-run -a python tools/screenshots.py history    # only the History tab (at the window's minimum size)
    xvfb-run -a python tools/screenshots.py alerts     # only the Server tab and its Alerts box's test alert

Uses a demo settings file (the typical setups of docs/rules-and-relay.md) and a
throw-away data folder and keyring, so nothing of the user's is touched.  The Status tab shows a
made-up office day (``demo_activity``: counts per hour, one destination failing), written into
the throw-away queue folder as a gateway would have left it; the History tab the same day's
messages (``demo_history``), written by the history's own writer.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SANDBOX = Path(tempfile.mkdtemp(prefix="tenso-shots-"))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
os.environ["XDG_DATA_HOME"] = str(SANDBOX / "xdg")
os.environ["TENSO_DATA_DIR"] = str(SANDBOX / "data")
os.environ["XDG_CONFIG_HOME"] = str(SANDBOX / "config")  # QSettings (language) too

DEMO = {
    "server": {
        "hostname": "gateway.example.jp",
        "listen": [
            "127.0.0.1:0",
            {"address": "127.0.0.1:0", "tls": "none", "networks": ["192.168.1.0/24"]},
            {"address": "127.0.0.1:0", "tls_profile": "legacy", "require_auth": True},
        ],
    },
    "local_domains": ["example.jp"],
    "local_users": [
        {
            "address": "user1@example.jp",
            "forward": ["user1@example.net,NONE", "boss@example.net,FILTERSUBJECTONLY,client.example"],
        },
        {"address": "user2@example.jp", "forward": []},
    ],
    "rules": [
        {"match": "user1@example.jp", "destination": "192.168.11.10", "tls": "none"},
        {"match": "@example.jp", "destination": "mail1.akisoftware.jp"},
        {"match": "@example.com", "destination": "MTA"},
        {"match": "*", "destination": "smtp.isp.example", "port": 587, "tls": "required"},
        {"match": "@mail2.example.jp", "destination": "192.168.1.100", "port": 11000, "conversion_host": "example.jp"},
    ],
    "options": {"relay_networks": ["127.0.0.0/8", "192.168.1.0/24", "192.168.11.*"], "relay_for_rule_matches": True},
    "auth_accounts": {
        "common": {"username": "isp-id"},
        "per_user": [{"local_user": "user1@example.jp", "username": "id1"}],
    },
    "accounts": [
        {
            "name": "m365",
            "username": "office@contoso.example",
            "oauth2": {
                "provider": "microsoft",
                "tenant": "contoso.example",
                "client_id": "11111111-2222-3333-4444-555555555555",
            },
        },
        {"name": "isp", "username": "isp-id"},
    ],
    "devices": [
        {"name": "mfp2f", "login": "mfp2f", "senders": ["scanner@example.jp"]},
        {"name": "copier-3f", "login": "copier3f"},
    ],
    "queue": {"dir": str(SANDBOX / "queue")},
}


def demo_activity(queue: Path) -> None:
    """An office day: mail from 8:00 to 18:00, a few deferrals, the ISP failing since a while."""
    import random
    import time

    from app.store.activity import FILE_NAME, Activity, Delivered, Outcome

    queue.mkdir(parents=True, exist_ok=True)
    now = time.time()
    clock = [now]
    activity = Activity(queue / FILE_NAME, lambda: clock[0])
    rng = random.Random(7)
    for hours_ago in range(23, -1, -1):
        clock[0] = now - hours_ago * 3600 - 1800
        hour = time.localtime(clock[0]).tm_hour
        busy = 8 <= hour <= 18
        for _ in range(rng.randint(18, 40) if busy else rng.randint(0, 3)):
            activity.count(Outcome.RECEIVED)
            kind = rng.random()
            if kind < 0.72:
                activity.delivered([Delivered(Outcome.RELAYED, "smtp.isp.example:587", "250 2.0.0 OK")])
            elif kind < 0.9:
                activity.delivered([Delivered(Outcome.LOCAL, "local mailbox", "250 2.0.0 stored")])
            elif kind < 0.97:
                activity.delivered([Delivered(Outcome.RELAYED, "mail1.akisoftware.jp:25", "250 ok")])
            else:
                activity.delivered([Delivered(Outcome.BOUNCED, "MX", "550 5.1.1 <nobody@example.com>: no such user")])
        if busy:
            activity.count(Outcome.REFUSED, rng.randint(0, 2))
    clock[0] = now - 600
    reply = "451 4.4.0 cannot connect to mail1.akisoftware.jp:25: timed out"
    activity.delivered([Delivered(Outcome.DEFERRED, "mail1.akisoftware.jp:25", reply)] * 3)
    activity.save()


def demo_history(settings) -> None:
    """Scans and faxes of an office morning: sent (with the ISP's id), delivered locally, one
    refused by Exchange Online (bounced), one waiting for a server that is down, one refused at RCPT."""
    import time

    from app.history.records import Attempt, Received, Refusal, State
    from app.history.writer import Recorder

    now = time.time()
    recorder = Recorder(settings.history_path, settings.queue_dir / "msg")
    records: list = []
    subjects = ["スキャン 見積書", "FAX 受信 03-1234-5678", "スキャン 請求書", "議事録", "スキャン 納品書"]
    for n in range(40):
        t = now - 600 - n * 900
        qid = f"1A2B{3000 + n:04X}"
        sender, client, login = (
            ("mfp2f@example.jp", "192.168.1.20", "device:mfp2f") if n % 3 else ("fax@example.jp", "192.168.1.31", "")
        )
        rcpt = ["sales@example.net", "user1@example.jp", "boss@example.net"][n % 3]
        records.append(
            Received(
                qid,
                t,
                client,
                login,
                sender,
                [rcpt],
                f"複合機 <{sender}>",
                subjects[n % len(subjects)],
                f"<{qid}.{int(t)}@mfp2f.example.jp>",
                180_000 + n * 3_000,
                1,
                "mfp2f.example.jp",
            )
        )
        if n == 4:
            reply = "550 5.7.708 Access denied, traffic not accepted from this IP"
            records.append(
                Attempt(
                    qid,
                    rcpt,
                    1,
                    t + 2,
                    State.BOUNCED.value,
                    reply,
                    4,
                    "smtp.office365.com:587",
                    "m365",
                    None,
                    "1A2C0001",
                )
            )
        elif n == 1:
            reply = "451 4.4.0 cannot connect to mail1.akisoftware.jp:25: timed out"
            records.append(Attempt(qid, rcpt, 1, t + 1, State.DEFERRED.value, reply, 2, "mail1.akisoftware.jp:25"))
            records.append(Attempt(qid, rcpt, 2, t + 301, State.DEFERRED.value, reply, 2, "mail1.akisoftware.jp:25"))
        elif rcpt.endswith("example.jp"):
            records.append(
                Attempt(qid, rcpt, 1, t + 1, State.DELIVERED.value, "250 2.0.0 stored", None, "local mailbox")
            )
        else:
            reply = f"250 2.0.0 Ok: queued as 4Dq{n:04d}XyZ"
            records.append(
                Attempt(
                    qid, rcpt, 1, t + 2, State.SENT.value, reply, 4, "smtp.isp.example:587", "isp", f"4Dq{n:04d}XyZ"
                )
            )
    records.append(
        Refusal(
            "R1",
            now - 2000,
            "RCPT",
            "203.0.113.7",
            "",
            "info@spam.example",
            ["ceo@example.jp"],
            "550 5.7.1 relay not allowed",
        )
    )
    recorder.add(records)
    recorder.write_pending()


async def history_shots(window, out: Path, lang: str) -> list[Path]:
    """The History tab at the window's minimum size, the bounced scan chosen: its timeline."""
    import asyncio

    tab = window.history_tab
    window.resize(window.minimumSizeHint())
    window.tabs.setCurrentWidget(tab)
    while tab.busy:
        await asyncio.sleep(0.05)
    bounced = [n for n, found in enumerate(tab.model.rows) if found["recipients"][0]["state"] == "bounced"]
    tab.view.selectRow(bounced[0] if bounced else 0)
    await asyncio.sleep(0.6)
    bar = tab.detail.verticalScrollBar()
    bar.setValue(bar.maximum())  # the attempt, its reply and what the reply means
    await asyncio.sleep(0.2)
    path = out / f"{lang}-history.png"
    window.grab().save(str(path))
    window.resize(1000, 720)
    return [path]


async def alerts_shots(window, out: Path, lang: str) -> list[Path]:
    """The Server tab: its top (the Backup and History boxes), and the Alerts box after "Send a
    test alert" through a webhook receiver on 127.0.0.1 and a mail queued in the running gateway."""
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PySide6.QtWidgets import QScrollArea

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tab = window.server_tab
        window.tabs.setCurrentWidget(tab)
        scroll = tab.findChild(QScrollArea)
        scroll.verticalScrollBar().setValue(0)
        await asyncio.sleep(0.4)
        top = out / f"{lang}-server.png"
        window.grab().save(str(top))
        box = tab.alerts
        box.webhook.setText(f"http://127.0.0.1:{server.server_address[1]}/webhook")
        box.email_to.setText("admin@example.jp")
        box.test_button.click()
        for _ in range(200):
            await asyncio.sleep(0.05)
            if box.test_button.isEnabled() and box.answers.text().count("\n") >= 2:
                break
        scroll.ensureWidgetVisible(box.answers, 0, 40)
        await asyncio.sleep(0.4)
        shot = out / f"{lang}-alerts.png"
        window.grab().save(str(shot))
        return [top, shot]
    finally:
        server.shutdown()
        server.server_close()


async def assistant_shots(window, out: Path, lang: str) -> list[Path]:
    """The setup assistant: its first page, Microsoft 365 Graph's "what to register" page, and
    the app-only SMTP one with its PowerShell lines."""
    import asyncio

    from PySide6.QtWidgets import QWidget

    shots = []
    assistant = window.open_assistant()
    await asyncio.sleep(0.4)

    def shot(name: str) -> None:
        path = out / f"{lang}-{name}.png"
        assistant.grab().save(str(path))
        shots.append(path)

    shot("assistant")
    for key, name in (("m365_graph", "assistant-graph"), ("m365_app", "assistant-powershell")):
        assistant.restart()
        assistant.choose.findChild(QWidget, f"preset_{key}").click()
        assistant.next()
        fields = assistant.fields
        fields.username.setText("office@contoso.example")
        fields.tenant.setText("contoso.onmicrosoft.com")
        fields.client_id.setText("11111111-2222-3333-4444-555555555555")
        fields.secret.setText("demo")
        await asyncio.sleep(0.3)
        if key == "m365_graph":
            shot("assistant-fields")
        assistant.next()
        await asyncio.sleep(0.4)
        shot(name)
    assistant.reject()
    return shots


def console_shots(config: Path, out: Path) -> list[Path]:
    """The window as the console of a headless gateway (``python -m app --headless`` on the demo
    settings, in a subprocess): its Status tab in both languages, as <lang>-console.png."""
    import subprocess
    import time

    import qasync

    from app.gui import i18n
    from app.gui.console import ConsoleController, open_console
    from app.gui.window import MainWindow

    gateway = subprocess.Popen([sys.executable, "-m", "app", "--headless", "--config", str(config)], cwd=ROOT)
    shots: list[Path] = []
    try:
        deadline = time.monotonic() + 30
        found = None
        while found is None and time.monotonic() < deadline and gateway.poll() is None:
            time.sleep(0.2)
            found = open_console(Path(DEMO["queue"]["dir"]))
        if found is None:
            raise SystemExit("the headless gateway did not answer on its control channel")
        controller = ConsoleController(*found)
        controller.follow_log()

        async def run() -> None:
            import asyncio

            for lang in ("en", "ja"):
                i18n.save_language(lang)
                i18n.install(lang)
                window = MainWindow(controller, has_tray=False)
                window.resize(1000, 720)
                window.show()
                await asyncio.sleep(1.0)
                path = out / f"{lang}-console.png"
                window.grab().save(str(path))
                shots.append(path)
                window.hide()
                window.deleteLater()
            controller.close()

        qasync.run(run())
    finally:
        gateway.terminate()
        gateway.wait(30)
    return shots


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app import settings as settings_mod
    from app.gui import i18n
    from app.gui.controller import GatewayController
    from app.gui.window import MainWindow
    from app.system import passwords

    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    config = SANDBOX / "settings.json"
    config.write_text(json.dumps(DEMO), encoding="utf-8")
    passwords.set("common", "demo")
    passwords.set("device:mfp2f", "demo")
    demo_activity(Path(DEMO["queue"]["dir"]))
    app = QApplication(sys.argv)  # noqa: F841 - must exist before any widget
    if sys.argv[1:] == ["console"]:
        for path in console_shots(config, out):
            print(path.relative_to(ROOT))
        return 0
    settings = settings_mod.load(config)
    demo_history(settings)
    controller = GatewayController(config, settings)
    shots: list[Path] = []

    async def run() -> None:
        import asyncio

        await controller.start()
        for lang in ("en", "ja"):
            i18n.save_language(lang)
            i18n.install(lang)
            window = MainWindow(controller, has_tray=False)
            window.resize(1000, 720)
            window.show()
            if only in ("history", "alerts"):
                shots.extend(await (history_shots if only == "history" else alerts_shots)(window, out, lang))
                window.hide()
                window.deleteLater()
                continue
            shots.extend(await assistant_shots(window, out, lang))
            if only == "assistant":
                window.hide()
                window.deleteLater()
                continue
            window.rules_tab.probe_rcpt.setText("u@mail2.example.jp")
            window.rules_tab.view.selectRow(1)
            for index in range(window.tabs.count()):
                window.tabs.setCurrentIndex(index)
                if window.tabs.widget(index) is window.users_tab:
                    window.users_tab.users.setCurrentRow(0)
                await asyncio.sleep(0.4)
                name = ["status", "rules", "auth", "relay", "users", "server", "queue", "history", "log"][index]
                if name == "history":
                    shots.extend(await history_shots(window, out, lang))
                    continue
                path = out / f"{lang}-{name}.png"
                window.grab().save(str(path))
                shots.append(path)
            window.hide()
            window.deleteLater()
        await controller.stop()

    only = sys.argv[1] if sys.argv[1:] in (["assistant"], ["history"], ["alerts"]) else ""
    qasync.run(run())
    for path in shots:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
