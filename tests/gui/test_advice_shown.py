"""What a refusal means, in the window (issue 24): a real upstream refuses the login with
Exchange Online's 535 5.7.139, and the Japanese window says under the failing destination on the
Status tab, and beside the reply on the Queue tab, what happened and what to do, in Japanese
(the texts come from app/mail/replies in both languages, not from the .ts file)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from app.gui import i18n
from app.status import SignInNeeded, TokenRefused
from app.store.activity import DestinationStatus
from app.system import passwords
from tests.support.gui import until
from tests.support.smtp import message, send

USER = "scan@example.co.jp"
TENANT = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
    "Visit https://aka.ms/smtp_auth_disabled for more information. [OS3P286CA0001.JPNP286.PROD.OUTLOOK.COM]"
)
WHAT_JA = "状況: Exchange Online の組織(テナント)全体で SMTP AUTH が無効になっているため、"
FIX_JA = "対処: このメールボックスだけ SMTP AUTH を許可するには、Exchange Online PowerShell で Set-CASMailbox"


def test_a_refused_login_is_explained_in_japanese_on_the_status_and_queue_tabs(gui, upstream_factory, english):
    up = upstream_factory(accounts={USER: "unused"})
    up.handler.refused_login_reply = TENANT
    passwords.set("account:advice-gui", "the-password")
    i18n.install("ja")
    window = gui.open(
        rules=[{"match": "*", "destination": "127.0.0.1", "port": up.port, "tls": "none", "account": "advice-gui"}],
        accounts=[{"name": "advice-gui", "username": USER}],
    )
    status, queue = window.status_tab, window.queue_tab
    controller = window.controller

    async def scenario() -> None:
        await controller.start()
        port = controller.bound[0][1]
        await asyncio.to_thread(send, port, "alice@client.test", ["bob@example.net"], message("scan"))
        await until(lambda: status.advice.isVisible(), 10, "the explanation under the failing destination")
        lines = status.advice.text().split("\n")
        assert lines[0] == f"127.0.0.1:{up.port}:"
        assert lines[1].startswith(WHAT_JA) and lines[2].startswith(FIX_JA), lines
        assert status.destinations.item(0, 0).text() == "●"
        assert status.destinations.item(0, 4).toolTip() == "\n".join(lines[1:])

        window.tabs.setCurrentWidget(queue)
        await until(lambda: queue.table.rowCount() == 1, 10, "the deferred message in the queue")
        reply = queue.table.item(0, 5)
        first, second = reply.text().split("\n")
        assert first.startswith("451 4.4.0 AUTH ") and "535 5.7.139" in first
        assert second.startswith("→ Exchange Online の組織(テナント)全体で SMTP AUTH が無効"), second
        assert reply.toolTip().split("\n")[1].startswith(FIX_JA)

    gui.run(scenario(), timeout=45)


def test_in_english_and_only_under_a_failing_destination(gui, english):
    window = gui.open()
    tab = window.status_tab
    tab.timer.stop()
    status = gui.run(window.controller.status())
    now = time.time()
    failing = DestinationStatus("smtp.office365.com:587", None, now - 60, "451 4.4.0 refused: " + TENANT, 3)
    recovered = DestinationStatus("smtp.gmail.com:587", now, now - 600, "454 4.7.0 Too many login attempts", 0)
    unknown = DestinationStatus("MX", None, now - 60, "451 4.4.1 no mail host answered", 2)
    tab.show_status(dataclasses.replace(status, destinations=[unknown, failing, recovered]))
    assert tab.advice.isVisible()
    assert tab.advice.text().split("\n")[:2] == [
        "smtp.office365.com:587:",
        "What happened: Exchange Online has SMTP AUTH turned off for the whole organization (tenant), so it "
        "refuses the login before it looks at the password.",
    ]
    assert "smtp.gmail.com" not in tab.advice.text(), "a destination that works again needs no advice"
    assert tab.destinations.item(2, 4).toolTip().startswith("What happened: Gmail is limiting this sender")
    assert tab.destinations.item(0, 4).toolTip() == "", "an unknown reply is not guessed at"
    tab.show_status(status)
    assert not tab.advice.isVisible() and tab.advice.text() == ""


def test_a_refused_sign_in_is_explained_under_the_account(gui, english):
    window = gui.open()
    tab = window.status_tab
    tab.timer.stop()
    status = gui.run(window.controller.status())
    why = (
        "the refresh refused by login.microsoftonline.com: invalid_grant: AADSTS700082: The refresh token has "
        "expired due to inactivity."
    )
    needed = [SignInNeeded("m365", why)]
    i18n.install("ja")
    tab.show_status(dataclasses.replace(status, sign_in_needed=needed))
    lines = tab.accounts.text().split("\n")
    assert lines[0].startswith("アカウント m365 の再サインインが必要です: the refresh refused"), lines
    assert lines[1].startswith("状況: ") and lines[2].startswith("対処: "), lines
    tab.show_status(dataclasses.replace(status, sign_in_needed=[SignInNeeded("m365", "an error Tenso does not know")]))
    assert len(tab.accounts.text().split("\n")) == 1


def test_a_refused_token_request_is_explained_under_the_account(gui, english):
    window = gui.open()
    tab = window.status_tab
    tab.timer.stop()
    status = gui.run(window.controller.status())
    why = (
        "the client-credentials token refused by login.microsoftonline.com: invalid_client: AADSTS7000222: The "
        "provided client secret keys for app '00001111-aaaa-2222-bbbb-3333cccc4444' are expired."
    )
    i18n.install("ja")
    tab.show_status(dataclasses.replace(status, token_refused=[TokenRefused("app-only", why)]))
    lines = tab.accounts.text().split("\n")
    assert "app-only" in lines[0] and lines[1].startswith("状況: アプリのクライアント シークレットの有効期限が切れた")
    assert lines[2].startswith("対処: ") and "password set account:名前" in lines[2], lines
