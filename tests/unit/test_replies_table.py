"""The manual's list of known replies (docs/troubleshooting.md and its Japanese twin, section
"What an upstream's refusal means") is the table itself: every entry's key is on both pages, and
what stands between the markers is what tools/replies_table.py makes of app/mail/replies/ today,
so a changed, added or removed entry fails here until ``python tools/replies_table.py --write``."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from app.mail.replies import KNOWN
from app.mail.replies.entry import Pattern
from tests.support import REPO


def _tool():
    spec = importlib.util.spec_from_file_location("replies_table", REPO / "tools" / "replies_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("replies_table", module)
    spec.loader.exec_module(module)
    return module


tool = _tool()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_known_reply_is_on_the_page(lang):
    page = tool.PAGES[lang].read_text(encoding="utf-8")
    listed = tool.section(page)
    missing = [known.key for known in KNOWN if f"`{known.key}`" not in listed]
    assert not missing, f"{tool.PAGES[lang].name} ({lang}) lacks {missing}: run python tools/replies_table.py --write"
    for known in KNOWN:
        assert known.what(lang) in listed and known.fix(lang).split("\n")[0] in listed, known.key


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_page_is_what_the_tool_makes_of_the_table(lang):
    page = tool.PAGES[lang].read_text(encoding="utf-8")
    assert tool.section(page) == tool.table(lang), "run python tools/replies_table.py --write"


def test_the_table_has_one_row_per_entry_and_names_what_is_looked_for():
    rows = [line for line in tool.table("en").splitlines() if "<br>`" in line]
    assert len(rows) == len(KNOWN)
    tenant = next(r for r in rows if "`exchange.smtp-auth-disabled.tenant`" in r)
    assert tenant.startswith("| `535` `5.7.139`/`5.7.3` “SmtpClientAuthentication is disabled”<br>")
    assert tool._pattern(Pattern(aadsts="70043"), "ja") == "`AADSTS70043`"
    assert tool._pattern(Pattern(challenge="401"), "en") == "an XOAUTH2 error challenge with status `401`"
    assert tool._phrases(r"account (?:is )?locked|invalid_grant\W+Token") == ["account locked", "invalid_grant Token"]
    assert not any(re.search(r"\(\?|\\", r.split(" | ")[0]) for r in rows), "no regular expression syntax shown"


def test_a_list_of_causes_stays_in_its_cell():
    row = next(line for line in tool.table("ja").splitlines() if "`exchange.auth-unsuccessful`" in line)
    assert row.count(" | ") == 2 and "<br>1. " in row
