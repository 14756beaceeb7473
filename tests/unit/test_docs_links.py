"""Every relative link in the front pages and the manual leads somewhere: the file exists, and on
the English pages an anchor (``page.md#section``) names a heading of that page, as GitHub makes
them. A section that moves to another page without its links following fails here."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.support import REPO

JA = REPO / "docs" / "ja"
ENGLISH_ONLY = {"architecture.md"}  # for developers: how the code is built

ENGLISH = [
    REPO / "README.md",
    REPO / "CONTRIBUTING.md",
    REPO / "CHANGELOG.md",
    REPO / "bench" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
PAGES = sorted({*ENGLISH, *REPO.glob("README*.md"), *(REPO / "docs").rglob("*.md")})

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")


def _links(page: Path) -> list[str]:
    text = CODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]  # not https:, mailto:


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (letters of any script, digits,
    '_' and '-' kept), spaces turned into '-'."""
    text = heading.strip().lower()
    kept = "".join(c for c in text if c.isalnum() or c in "_- " or unicodedata.category(c).startswith("M"))
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        base = slug(heading)
        name, n = base, 0
        while name in found:  # a repeated heading gets -1, -2 ...
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def _where(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=_where)
def test_every_relative_link_resolves(page):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and file in PAGES:
            if anchor not in anchors(file):
                broken.append(f"{target}: {_where(file)} has no heading #{anchor}")
    assert not broken, f"{_where(page)}: " + "; ".join(broken)


def test_the_slugs_are_githubs():
    assert slug("Routing rules (転送設定)") == "routing-rules-転送設定"
    assert slug("Local users and forward.txt") == "local-users-and-forwardtxt"
    assert slug("Relay: who may send through Tenso") == "relay-who-may-send-through-tenso"
    assert slug("OAuth 2.0 accounts (Microsoft 365, Gmail, any authorization server)") == (
        "oauth-20-accounts-microsoft-365-gmail-any-authorization-server"
    )


def test_a_broken_link_is_seen(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [gone](missing.md) `[code](x.md)`\n", encoding="utf-8")
    assert _links(page) == ["#title", "missing.md"]
    assert anchors(page) == {"title"}


def test_every_page_of_the_manual_has_its_japanese_twin_and_back():
    english = {p.name for p in (REPO / "docs").glob("*.md")} - ENGLISH_ONLY
    japanese = {p.name for p in JA.glob("*.md")}
    assert english == japanese, f"English only: {sorted(english - japanese)}; Japanese: {sorted(japanese - english)}"
    for name in sorted(english):
        english_page, japanese_page = (REPO / "docs" / name).read_text("utf-8"), (JA / name).read_text("utf-8")
        assert f"(ja/{name})" in english_page, f"docs/{name} does not link ja/{name}"
        assert f"(../{name})" in japanese_page, f"docs/ja/{name} does not link ../{name}"
