"""The setup assistant on the real window: walked page by page with real widgets, it fills the
window's working settings (saved only by Apply), puts the secret into the keyring (the sandbox's
file backend), runs the test login against a real upstream on 127.0.0.1, sends the test message
through the running gateway, and speaks only Japanese in the Japanese window."""

from __future__ import annotations

import logging
import re
import secrets
import threading

import keyring
from PySide6.QtWidgets import QPushButton, QWidget

from app.gui import i18n
from app.gui.assistant import SetupAssistant
from app.gui.tabs.accounts_box import AccountDialog
from app.settings import UpstreamAccount
from app.system import passwords
from tests.gateway.test_tls_outbound import ca, server_context  # noqa: F401  (the ca fixture)
from tests.gui.test_japanese_window import english_in, texts_of
from tests.support.gui import until
from tests.support.oauth import AuthServer, browse, xoauth2_upstream

# Names of products and of the providers' own screens, written so in their Japanese editions too.
PRODUCT_NAMES = re.compile(
    r"Microsoft (?:Graph|Entra)|(?:Office 365 )?Exchange Online(?: PowerShell)?|Google Workspace|High Volume Email"
    r"|Azure Communication Services|Email Communication Services|Communication and Email Service Owner"
    r"|SMTP Usernames|Send As|Google Cloud"
)
TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def open_assistant(gui, window) -> SetupAssistant:
    window.tabs.setCurrentWidget(window.rules_tab)
    window.rules_tab.assistant_button.click()
    assistant = window.findChild(SetupAssistant)
    assert assistant is not None and assistant.isVisible()
    gui.own(assistant)
    return assistant


def choose(assistant: SetupAssistant, key: str) -> None:
    assistant.choose.findChild(QWidget, f"preset_{key}").click()
    assistant.next()
    assert assistant.currentPage() is assistant.fields


def walk_to_test(gui, assistant: SetupAssistant) -> None:
    """Fields → what to register → summary → the test page (the settings are written then)."""
    assert assistant.fields.isComplete(), assistant.fields.error.text()
    assistant.next()
    assert assistant.currentPage() is assistant.register
    assistant.next()
    assert assistant.currentPage() is assistant.summary
    assistant.next()
    assert assistant.currentPage() is assistant.test
    if assistant.saving is not None:
        gui.run(until(lambda: assistant.saving.done(), 10, "the secret to reach the keyring"))
        assert assistant.saving.exception() is None


def test_microsoft_365_graph_fills_a_graph_rule_a_client_credentials_account_and_the_keyring(gui):
    secret = "graph-" + secrets.token_hex(8)
    passwords.delete("account:graph")
    window = gui.open(rules=[{"match": "@lan.example", "destination": "10.0.0.5", "account": "none"}])
    assistant = open_assistant(gui, window)
    try:
        choose(assistant, "m365_graph")
        fields = assistant.fields
        assert not fields.host.isVisibleTo(fields) and not fields.port.isVisibleTo(fields)
        assert not fields.isComplete(), "nothing typed yet"
        fields.username.setText("office@contoso.example")
        fields.tenant.setText(TENANT)
        fields.client_id.setText(CLIENT_ID)
        assert not fields.isComplete(), "the client secret is still missing"
        fields.secret.setText(secret)
        assistant.next()
        register = assistant.register
        assert "Mail.Send" in register.steps.toPlainText() and "rewrite_from" in register.steps.toPlainText()
        assert not register.commands.isVisibleTo(register), "Graph needs no PowerShell lines"
        assistant.back()
        walk_to_test(gui, assistant)
        assert keyring.get_password("tenso", "account:graph") == secret
        rules = window.working.rules
        assert [(r.match, r.destination, r.account) for r in rules] == [
            ("@lan.example", "10.0.0.5", "none"),
            ("*", "GRAPH", "graph"),
        ]
        (account,) = window.working.accounts
        assert account.username == "office@contoso.example" and account.oauth2 is not None
        assert (account.oauth2.provider, account.oauth2.flow, account.oauth2.tenant, account.oauth2.client_id) == (
            "microsoft",
            "client_credentials",
            TENANT,
            CLIENT_ID,
        )
        assert window.rules_tab.model.rowCount() == 2, "the rules tab shows the new rule"
        assert "accounts" not in gui.saved() or not gui.saved()["accounts"], "nothing saved before Apply"
        gui.apply(window)
        saved = gui.saved()
        assert saved["rules"][1]["destination"] == "GRAPH"
        assert saved["accounts"][0]["oauth2"]["flow"] == "client_credentials"
        assert secret.encode() not in gui.config.read_bytes()
    finally:
        passwords.delete("account:graph")


def test_an_isp_fills_a_catch_all_to_port_587_with_required_tls_and_the_common_account(
    gui,
    upstream_factory,
    ca,  # noqa: F811  (the fixture)
):
    password = "isp-" + secrets.token_hex(6)
    passwords.delete("common")
    upstream = upstream_factory(accounts={"id-1234": password}, tls_context=server_context(ca.issue_cert("localhost")))
    window = gui.open()
    assistant = open_assistant(gui, window)
    try:
        choose(assistant, "isp")
        fields = assistant.fields
        assert fields.port.currentText() == "587"
        fields.host.setText("smtp.isp.example")
        fields.username.setText("id-1234")
        fields.secret.setText(password)
        walk_to_test(gui, assistant)
        (rule,) = window.working.rules
        assert (rule.match, rule.destination, rule.port, rule.tls, rule.account) == (
            "*",
            "smtp.isp.example",
            587,
            "required",
            "",
        )
        assert window.working.auth_accounts.common.username == "id-1234"
        assert keyring.get_password("tenso", "common") == password

        # The test login, against a real upstream with STARTTLS and a certificate Tenso trusts:
        # the rule pointed at it, as the user would point it at the ISP.
        rule.destination, rule.port = "localhost", upstream.port
        page = assistant.test
        page.login_button.click()
        gui.run(until(lambda: page.login_result.text() not in ("", "Testing..."), 15, "the test login"))
        assert page.login_result.text() == "Login accepted as id-1234 (encrypted).", page.login_result.text()

        keyring.set_password("tenso", "common", "wrong")
        page.login_button.click()
        gui.run(until(lambda: "Failed" in page.login_result.text(), 15, "the refused login"))
        assert "535" in page.login_result.text(), page.login_result.text()
    finally:
        passwords.delete("common")


def test_microsoft_365_user_sign_in_signs_in_in_the_browser_then_logs_in_with_xoauth2(
    gui,
    ca,  # noqa: F811  (the fixture)
    tmp_path,
    monkeypatch,
):
    """The test login of a delegated account: the sign-in (the browser's part played here against
    a real authorization server on 127.0.0.1), then XOAUTH2 after STARTTLS to a real upstream."""
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))  # the token file: this test's own
    server = AuthServer()
    upstream, _ = xoauth2_upstream(server, server_context(ca.issue_cert("localhost")), hostname="127.0.0.1")
    try:
        window = gui.open()
        assistant = open_assistant(gui, window)
        choose(assistant, "m365_user")
        fields = assistant.fields
        assert not fields.secret.isVisibleTo(fields), "a public client: no secret to type"
        fields.username.setText(server.user)
        fields.tenant.setText(TENANT)
        fields.client_id.setText(server.client_id)
        assistant.next()
        assert "Set-CASMailbox -Identity office@contoso.example" in assistant.register.commands.toPlainText()
        assistant.back()
        walk_to_test(gui, assistant)
        assert assistant.saving is None
        (account,) = window.working.accounts
        assert (account.name, account.oauth2.provider, account.oauth2.flow) == (
            "m365",
            "microsoft",
            "authorization_code",
        )
        account.oauth2.authorize_url, account.oauth2.token_url = server.url("/authorize"), server.url("/token")
        (rule,) = window.working.rules
        assert (rule.destination, rule.port, rule.tls) == ("smtp.office365.com", 587, "required")
        rule.destination, rule.port = "localhost", upstream.port
        window.auth_tab.accounts.opens_browser = False  # the test is the browser
        page = assistant.test
        pages: list[str] = []
        window.controller.sign_in_url.connect(
            lambda url: threading.Thread(target=lambda: pages.append(browse(url)), daemon=True).start()
        )
        page.login_button.click()
        gui.run(until(lambda: "Login accepted" in page.login_result.text(), 20, "the sign-in and the login"))
        assert page.login_result.text().startswith("m365 is signed in")
        assert "Login accepted as office@contoso.example (encrypted)." in page.login_result.text()
        assert pages, "the browser was sent to the authorization server"
    finally:
        upstream.stop()
        server.stop()
        passwords.delete("tokens:m365")


def test_the_test_login_reports_the_upstreams_answer_and_the_test_message_goes_through_the_gateway(
    gui, upstream_factory
):
    upstream = upstream_factory()
    window = gui.open(server={"listen": ["127.0.0.1:0"]})
    assistant = open_assistant(gui, window)
    choose(assistant, "internal")
    fields = assistant.fields
    assert fields.port.currentText() == "25"
    fields.host.setText("127.0.0.1")
    fields.port.setEditText(str(upstream.port))
    walk_to_test(gui, assistant)
    (rule,) = window.working.rules
    assert (rule.destination, rule.port, rule.tls, rule.account) == (
        "127.0.0.1",
        upstream.port,
        "opportunistic",
        "none",
    )
    page = assistant.test
    page.login_button.click()
    gui.run(until(lambda: page.login_result.text().startswith("Connected"), 15, "the test login"))
    assert "no account used" in page.login_result.text()

    page.from_edit.setText("office@example.jp")
    page.recipient.setText("someone@example.net")
    page.send_button.click()
    gui.run(until(lambda: "not running" in page.send_result.toPlainText(), 5, "the page to say Tenso is stopped"))

    page.apply_button.click()
    gui.run(until(lambda: "applied" in page.send_result.toPlainText(), 15, "Apply from the assistant"))
    gui.run(window.controller.start())
    tenso = logging.getLogger("tenso")
    level = tenso.level
    tenso.setLevel(logging.INFO)  # as the program's logging (app/system/logs.py) has it
    try:
        page.send_button.click()
        gui.run(until(lambda: upstream.messages, 20, "the test message at the upstream"))
        (message,) = upstream.messages
        assert message.rcpt_tos == ["someone@example.net"] and message.mail_from == "office@example.jp"
        assert b"Tenso test message" in message.data
        shown = page.send_result.toPlainText
        gui.run(until(lambda: "delivered to every recipient" in shown(), 10, "the delivery's log line on the page"))
    finally:
        tenso.setLevel(level)


def test_the_japanese_assistant_has_no_english_left(gui, english):
    i18n.install("ja")
    window = gui.open()
    assistant = open_assistant(gui, window)
    found: list[tuple[str, str]] = []
    assert assistant.windowTitle() == "設定アシスタント"
    found += [("choose", t) for t in texts_of(assistant)]
    for key in ("m365_app", "google_relay", "isp"):
        if assistant.currentPage() is not assistant.choose:
            assistant.restart()
        choose(assistant, key)
        fields = assistant.fields
        for edit in (fields.host, fields.username, fields.tenant, fields.client_id, fields.secret):
            edit.setText("x@example.jp" if edit is fields.username else "example.jp")
        fields.with_login.setChecked(True)
        found += [(f"{key} fields", t) for t in texts_of(assistant)]
        assistant.next()
        found += [(f"{key} register", t) for t in texts_of(assistant)]
        found.append((f"{key} steps", assistant.register.steps.toPlainText()))
        assistant.next()
        found += [(f"{key} summary", t) for t in texts_of(assistant)]
        assistant.next()
        gui.settle()  # the window shows what was filled in; the secret reaches the keyring
        found += [(f"{key} test", t) for t in texts_of(assistant)]
    english = [
        f"{where}: {text!r} ({hit!r})" for where, text in found if (hit := english_in(PRODUCT_NAMES.sub(" ", text)))
    ]
    assert not english, "English in the Japanese assistant:\n" + "\n".join(english)
    assert len(found) > 60, f"only {len(found)} texts looked at"
    passwords.delete("common")
    passwords.delete("account:m365-app")
    passwords.delete("account:google-relay")


def test_the_account_dialogs_preset_fills_provider_flow_and_scope(gui):
    dialog = gui.own(AccountDialog(UpstreamAccount(), []))
    dialog.show()
    preset = dialog.preset
    preset.setCurrentIndex(preset.findData("m365_graph"))
    assert dialog.kind.currentData() == "microsoft" and dialog.flow.currentData() == "client_credentials"
    assert dialog.name.text() == "graph" and "Mail.Send" in dialog.help.text()
    assert dialog.tenant.isVisibleTo(dialog) and not dialog.urls["token_url"].isVisibleTo(dialog)
    dialog.username.setText("office@contoso.example")
    dialog.tenant.setText(TENANT)
    dialog.client_id.setText(CLIENT_ID)
    account = dialog.account()
    assert account.oauth2 is not None
    assert (account.oauth2.provider, account.oauth2.flow, account.oauth2.scope) == (
        "microsoft",
        "client_credentials",
        "https://graph.microsoft.com/.default",
    )
    assert dialog.validate()

    preset.setCurrentIndex(preset.findData("google_oauth"))
    assert dialog.kind.currentData() == "google" and dialog.flow.currentData() == "authorization_code"
    assert dialog.account().oauth2.scope == "https://mail.google.com/"
    assert dialog.name.text() == "graph", "a name typed (or filled) before is kept"

    dialog.flow.setCurrentIndex(dialog.flow.findData("device_code"))  # changed by hand
    assert preset.currentData() == "" and dialog.account().oauth2.scope == ""

    edited = gui.own(AccountDialog(account, []))
    assert edited.preset.currentData() == "m365_graph", "an account made by a preset shows it"
    assert edited.account().oauth2.scope == account.oauth2.scope, "editing keeps the scope"


def test_the_first_start_offers_the_assistant_beside_the_welcome_hint(gui):
    window = gui.open()
    window.offer_assistant()  # as app/gui/main.py does when there is no settings file yet
    gui.settle()
    button = window.findChild(QPushButton, "offerAssistant")
    assert button is not None and button.isVisible()
    button.click()
    assistant = window.findChild(SetupAssistant)
    assert assistant is not None and assistant.isVisible()
    gui.own(assistant)
    assert not button.isVisible(), "offered once"
    assistant.reject()


def test_the_graph_test_login_signs_the_app_in_and_says_so(gui, tmp_path, monkeypatch):
    """The test login of an app-only account is its sign-in: a token for Graph's scope from the
    token endpoint (a real one on 127.0.0.1 standing in for Entra ID's)."""
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))  # the token file: this test's own
    server = AuthServer()
    passwords.delete("account:graph")
    try:
        window = gui.open()
        assistant = open_assistant(gui, window)
        choose(assistant, "m365_graph")
        fields = assistant.fields
        fields.username.setText(server.user)
        fields.tenant.setText(TENANT)
        fields.client_id.setText(server.client_id)
        fields.secret.setText("not-the-secret")
        walk_to_test(gui, assistant)
        (account,) = window.working.accounts
        account.oauth2.token_url = server.url("/token")
        page = assistant.test
        page.login_button.click()
        gui.run(until(lambda: "failed" in page.login_result.text(), 15, "the refused sign-in"))
        assert "AADSTS7000215" in page.login_result.text(), page.login_result.text()

        keyring.set_password("tenso", "account:graph", server.client_secret)
        page.login_button.click()
        gui.run(until(lambda: "signed in" in page.login_result.text(), 15, "the sign-in"))
        assert server.scopes[-1] == "https://graph.microsoft.com/.default"
    finally:
        server.stop()
        passwords.delete("account:graph")
        passwords.delete("tokens:graph")
