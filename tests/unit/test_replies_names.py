"""The fixes of the known-replies table (app/mail/replies/) name only what Tenso has: each
``python -m app …`` parses with the real argument parser, each button ("Set password...") and
each tab is a text of the window, in English and as tenso_ja.ts translates it."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import xml.etree.ElementTree as ET

from app import cli
from app.mail.replies import KNOWN
from app.system import passwords
from tests.support import REPO

# Commands being built alongside (issue 24's unattended sign-in): they land in the same merge.
PENDING = {"account certificate create NAME"}

TS = ET.parse(REPO / "resources" / "i18n" / "tenso_ja.ts").getroot()
SOURCES = {m.findtext("source") or "" for m in TS.iter("message")}
TRANSLATIONS = {m.findtext("translation") or "" for m in TS.iter("message")}
WORD = re.compile(r"(?:[A-Za-z0-9:_-]|名前)+")


def _commands(text: str) -> list[str]:
    """The arguments after each ``python -m app`` in ``text``: its words up to the first that is
    not one (punctuation, Japanese, "or"), or up to a placeholder."""
    found = []
    for tail in text.split("python -m app ")[1:]:
        words = []
        for word in tail.split(" "):
            head = WORD.match(word)
            if head is None or word == "or":
                break
            words.append(head.group(0))
            if head.end() < len(word) or re.search(r"(?:^|:)(?:[A-Z]+|名前)$", head.group(0)):
                break  # "NAME)." or "名前)", or a placeholder (NAME, account:NAME): the command ends here
        found.append(" ".join(words))
    return found


def _fixes(lang: str) -> list[str]:
    return [known.fix(lang) for known in KNOWN]


def _parses(command: str) -> bool:
    """Tenso takes it: the real parser, and for ``password`` a key the keyring accepts."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = cli.build_parser().parse_args(shlex.split(command))
        except SystemExit:
            return False
    if args.command == "password":
        try:
            passwords.normalize_key(args.key.replace("NAME", "m365"))
        except ValueError:
            return False
    return True


def test_the_commands_named_are_tensos():
    named = {c.strip().replace("名前", "NAME") for text in _fixes("en") + _fixes("ja") for c in _commands(text)}
    assert {"password set account:NAME", "account login NAME"} <= named, named
    wrong = {c for c in named if not _parses(c)}
    assert wrong <= PENDING, wrong
    assert not _parses("password set m365") and not _parses("account signin NAME"), "the check can fail"


def test_the_buttons_named_are_the_windows():
    buttons = {b for text in _fixes("en") for b in re.findall(r"\b([A-Z][a-z]+(?: [a-z]+)*\.\.\.)", text)}
    assert {"Set password...", "Sign in...", "Set client secret..."} <= buttons
    assert buttons <= SOURCES, buttons - SOURCES
    labels = {b for text in _fixes("ja") for b in re.findall(r"「([^」]+\.\.\.)」", text)}
    assert labels and labels <= TRANSLATIONS, labels - TRANSLATIONS


def test_the_tabs_named_are_the_windows():
    tabs = {t for text in _fixes("ja") for t in re.findall(r"「([^」]+)」タブ", text)}
    assert {"認証", "サーバー"} <= tabs, tabs
    assert tabs <= TRANSLATIONS, tabs - TRANSLATIONS
    english = {"Auth accounts (認証)", "Routing rules (転送設定)"}
    assert all(any(tab in text for text in _fixes("en")) for tab in english)
    assert english <= SOURCES
