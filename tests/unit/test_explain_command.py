"""``python -m app explain`` (app/cli/explain.py): the few lines of what a reply means, in the
language asked for or the system's; exit 1 with one line for a reply Tenso does not know; the
reply also from standard input."""

from __future__ import annotations

import io
import sys

import pytest

from app import cli
from app.system import language

TENANT = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
    "Visit https://aka.ms/smtp_auth_disabled for more information. [OS3P286CA0001.JPNP286.PROD.OUTLOOK.COM]"
)
EN = (
    "What happened: Exchange Online has SMTP AUTH turned off for the whole organization (tenant), so it refuses "
    "the login before it looks at the password.\n"
    "What to do: Let this mailbox use SMTP AUTH: in Exchange Online PowerShell run Set-CASMailbox -Identity MAILBOX "
    "-SmtpClientAuthenticationDisabled $false (a mailbox's setting overrides the tenant's). An account that logs in "
    "with a password must move to a Microsoft 365 (OAuth 2.0) account as well, since Microsoft ends password logins "
    "for SMTP; a rule with the destination GRAPH needs no SMTP AUTH at all.\n"
)
JA = (
    "状況: Exchange Online の組織(テナント)全体で SMTP AUTH が無効になっているため、"
    "パスワードを確認する前にログインが拒否されました。\n"
    "対処: このメールボックスだけ SMTP AUTH を許可するには、Exchange Online PowerShell で "
    "Set-CASMailbox -Identity メールボックス -SmtpClientAuthenticationDisabled $false を実行します"
    "(メールボックスの設定はテナントの設定より優先されます)。パスワードでログインしている場合は、"
    "Microsoft が SMTP のパスワード ログインを終了するため、あわせて「認証」タブで Microsoft 365"
    "(OAuth 2.0)のアカウントに切り替えてください。転送先 GRAPH の転送設定なら SMTP AUTH は不要です。\n"
)


@pytest.fixture
def english_system(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")


def test_a_5_7_139_reply_explained_in_english_and_japanese(capsys, english_system):
    assert cli.main(["explain", "--lang", "en", TENANT]) == 0
    assert capsys.readouterr() == (EN, "")
    assert cli.main(["explain", "--lang", "ja", TENANT]) == 0
    assert capsys.readouterr() == (JA, "")


def test_the_reply_as_several_words_or_from_standard_input(capsys, monkeypatch, english_system):
    assert cli.main(["explain", "--lang", "en", *TENANT.split()]) == 0
    assert capsys.readouterr().out == EN
    monkeypatch.setattr(sys, "stdin", io.StringIO("535-5.7.139 Authentication unsuccessful,\r\n" + TENANT + "\r\n"))
    assert cli.main(["explain", "--lang", "ja", "-"]) == 0
    assert capsys.readouterr().out == JA


def test_an_unknown_reply_is_exit_1_with_one_line(capsys, english_system):
    assert cli.main(["explain", "250 2.0.0 OK queued as 4Xyz"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Tenso does not know this reply; ") and err.count("\n") == 1, err
    assert cli.main(["explain", "--lang", "ja", "hello"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("Tenso はこの応答を知りません。") and err.count("\n") == 1, err


def test_without_lang_the_system_language_decides(capsys, monkeypatch, english_system):
    assert cli.main(["explain", TENANT]) == 0
    assert capsys.readouterr().out == EN
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    assert cli.main(["explain", TENANT]) == 0
    assert capsys.readouterr().out == JA


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"LC_ALL": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "", "LC_MESSAGES": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL wins, as in POSIX
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "de_DE.UTF-8"}, "en"),
    ],
)
def test_the_system_language_from_the_locale_variables(monkeypatch, environment, expected):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert language.system_language() == expected


@pytest.mark.parametrize(("langid", "expected"), [(0x0411, "ja"), (0x0409, "en"), (0x0804, "en")])
def test_on_windows_the_display_language_decides(monkeypatch, langid, expected):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(language, "_windows_ui_language", lambda: langid)
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8" if expected == "en" else "en_US.UTF-8")  # not asked on Windows
    assert language.system_language() == expected


def test_a_console_code_page_without_a_character_still_gets_the_line():
    from app.cli.explain import _print

    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="cp932")
    _print("状況: — 対処", console)
    console.flush()
    assert raw.getvalue().decode("cp932") == "状況: ? 対処\n"
