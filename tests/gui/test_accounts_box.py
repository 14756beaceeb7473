"""The Auth tab's upstream accounts: signing in from the window against a real OAuth 2.0
authorization server on 127.0.0.1 (tests/support/oauth.py; the "browser" follows the address
the window was given), the window answering while it waits, the state shown, the red state and
the tray's signal after a refresh is refused, and a rule keeping the account it names."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox

from app.accounts import service
from app.gui.tabs.accounts_box import AccountDialog
from app.gui.tabs.rules_tab import RuleDialog
from app.settings import AccountLimits, Rule, UpstreamAccount
from tests.support.gui import until
from tests.support.oauth import AuthServer, browse


@pytest.fixture
def auth_server():
    server = AuthServer()
    yield server
    server.stop()


def open_with_account(gui, server: AuthServer, name: str):
    account = {"name": name, "username": server.user, "oauth2": server.oauth2()}
    window = gui.open(accounts=[account])
    box = window.auth_tab.accounts
    box.opens_browser = False  # the test is the browser
    window.tabs.setCurrentWidget(window.auth_tab)
    box.table.selectRow(0)
    return window, box


def test_sign_in_from_the_window_while_it_keeps_answering(gui, auth_server):
    window, box = open_with_account(gui, auth_server, "gui-signin")
    pages: list[str] = []

    def person(url: str) -> None:
        time.sleep(1.0)  # a person takes a while in the browser: the window must answer meanwhile
        pages.append(browse(url))

    box.controller.sign_in_url.connect(lambda url: threading.Thread(target=person, args=(url,), daemon=True).start())
    ticks = []
    timer = gui.own(QTimer())
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    assert box.sign_in_button.isEnabled()

    async def scenario() -> None:
        box.sign_in_button.click()
        await until(lambda: "signed in" in box.message.text(), 20, "the sign-in to finish")
        await until(lambda: "token valid until" in box.table.item(0, 3).text(), 5, "the state cell")

    gui.run(scenario())
    timer.stop()
    assert pages, "the browser was given the authorization address"
    assert len(ticks) > 10, f"the window's loop ran {len(ticks)} times while the sign-in waited 1 s"
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert max(gaps) < 0.45, f"the window froze for {max(gaps):.2f} s"
    assert box.table.item(0, 3).foreground().color().name() != "#c62828"
    assert service.account_status(window.working, "gui-signin").signed_in


def test_a_refused_refresh_turns_the_account_red_and_tells_the_tray(gui, auth_server):
    window, box = open_with_account(gui, auth_server, "gui-revoked")
    box.controller.sign_in_url.connect(lambda url: threading.Thread(target=browse, args=(url,), daemon=True).start())
    told: list[str] = []
    box.controller.account_failed.connect(told.append)

    async def scenario() -> None:
        box.sign_in_button.click()
        await until(lambda: "signed in" in box.message.text(), 20, "the sign-in")
        auth_server.revoke()
        with pytest.raises(service.AccountError):
            await asyncio.to_thread(service.access_token, window.working, "gui-revoked", True)
        await until(lambda: told, 5, "the tray's notice")
        box.refresh_statuses()
        await until(lambda: box.table.item(0, 3).text().startswith("Sign in again"), 5, "the red state")

    gui.run(scenario())
    assert box.table.item(0, 3).foreground().color().name() == "#c62828"
    assert "gui-revoked" in told[0] and "sign in again" in told[0]


def test_the_rule_dialog_keeps_and_changes_the_account(gui):
    gui.open()
    dialog = gui.own(RuleDialog(Rule(match="*", destination="smtp.example.jp", account="m365"), None, ["m365", "isp"]))
    assert dialog.rule().account == "m365", "editing a rule must not drop its account"
    dialog.account.setCurrentIndex(dialog.account.findData("none"))
    assert dialog.rule().account == "none"
    dialog.account.setCurrentIndex(dialog.account.findData(""))
    assert dialog.rule().account == ""


def test_a_microsoft_account_needs_its_tenant_and_client_id(gui):
    gui.open()
    dialog = gui.own(AccountDialog(UpstreamAccount(), ["isp"]))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.name.setText("m365")
    dialog.username.setText("office@contoso.example")
    assert ok.isEnabled(), "a password account needs only its name and user name"
    dialog.kind.setCurrentIndex(dialog.kind.findData("microsoft"))
    assert not ok.isEnabled()
    dialog.client_id.setText("00000000-0000-0000-0000-000000000001")
    assert not ok.isEnabled(), "no tenant yet"
    dialog.tenant.setText("contoso.example")
    assert ok.isEnabled()
    account = dialog.account()
    assert account.oauth2 is not None and account.oauth2.provider == "microsoft"
    assert account.oauth2.flow == "authorization_code"
    dialog.name.setText("ISP")
    assert not ok.isEnabled() and "listed twice" in dialog.error.text()


def test_a_local_user_can_use_a_named_account_instead_of_an_id(gui):
    window = gui.open(
        local_domains=["example.jp"],
        local_users=[{"address": "user2@example.jp"}],
        auth_accounts={"per_user": [{"local_user": "user2@example.jp", "username": "id2"}]},
        accounts=[{"name": "m365-user2", "username": "user2@contoso.example"}],
    )
    auth = window.auth_tab
    choice = auth.table.cellWidget(0, 3)
    choice.setCurrentIndex(choice.findData("m365-user2"))
    gui.settle()
    (per_user,) = window.working.auth_accounts.per_user
    assert (per_user.account, per_user.username) == ("m365-user2", "")
    assert window.validate() == []
    assert auth.table.item(0, 1).text() == ""
    gui.apply(window)
    assert gui.saved()["auth_accounts"]["per_user"] == [
        {"local_user": "user2@example.jp", "username": "", "account": "m365-user2"}
    ]


def test_an_app_account_chooses_a_certificate_and_its_secret_expiry_and_keeps_what_is_not_shown(gui):
    """Issue 24: credential and secret_expires in the dialog (app only), a malformed date named,
    and editing keeps the scope the dialog does not show (it used to be dropped)."""
    from app.settings import OAuth2

    gui.open()
    original = UpstreamAccount(
        name="app",
        username="scanner@contoso.example",
        oauth2=OAuth2(
            provider="microsoft", tenant="contoso.example", client_id="c", scope="https://x.example/.default"
        ),
    )
    dialog = gui.own(AccountDialog(original, []))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not dialog.credential.isVisibleTo(dialog), "a person signs in: no credential to choose"
    dialog.flow.setCurrentIndex(dialog.flow.findData("client_credentials"))
    assert dialog.credential.isVisibleTo(dialog) and dialog.expires.isVisibleTo(dialog)
    dialog.credential.setCurrentIndex(dialog.credential.findData("certificate"))
    dialog.expires.setText("31.03.2027")
    assert not ok.isEnabled() and "Secret expires: must be a date" in dialog.error.text()
    dialog.expires.setText("2027-03-31")
    assert ok.isEnabled()
    account = dialog.account()
    assert account.oauth2 is not None and account.oauth2.credential == "certificate"
    assert account.secret_expires == "2027-03-31" and account.oauth2.scope == "https://x.example/.default"


def test_editing_an_account_keeps_its_limits(gui):
    gui.open()
    account = UpstreamAccount(name="graph", username="office@contoso.example", limits=AccountLimits(message_mb=150))
    dialog = gui.own(AccountDialog(account, []))
    dialog.username.setText("scanner@contoso.example")
    assert dialog.account().limits == AccountLimits(message_mb=150)
