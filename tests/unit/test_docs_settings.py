"""The manual's settings page names every field that app/settings/ declares, and every default
the manual states in a table (``| `server.max_connections` | `200` | … |``) is the one the code
uses. A field added without a line in docs/settings-file.md, or a default changed in one place
only, fails here. The Japanese twin, docs/ja/settings-file.md, is held to the same, and has the
English page's rows: the same fields, the same defaults."""

from __future__ import annotations

import dataclasses
import json
import re
import typing

import pytest

from app import settings as settings_mod
from tests.support import REPO

SETTINGS_PAGE = REPO / "docs" / "settings-file.md"
JA_SETTINGS_PAGE = REPO / "docs" / "ja" / "settings-file.md"
SETTINGS_PAGES = [SETTINGS_PAGE, JA_SETTINGS_PAGE]
PAGES = sorted((REPO / "docs").rglob("*.md"))
ROW = re.compile(r"^\| *((?:`[^`|]+`(?:, )?)+) *\| *([^|]*?) *\|", re.MULTILINE)


def _default(f: dataclasses.Field) -> typing.Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def fields(cls: type = settings_mod.Settings, prefix: str = "") -> dict[str, dataclasses.Field]:
    """Every field of the file, by its name in the manual: ``server.max_connections``,
    ``rules[].match``, ``accounts[].oauth2.provider``, ``server.listen[].tls``."""
    found: dict[str, dataclasses.Field] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        name, tp = prefix + f.name, hints[f.name]
        listed = typing.get_origin(tp) is list
        inner = typing.get_args(tp)[0] if listed else tp
        choices = typing.get_args(inner) or (inner,)  # str | Listener, OAuth2 | None, or one type
        sections = [t for t in choices if dataclasses.is_dataclass(t)]
        if not sections or len(choices) > 1:  # a value of its own (server.listen, accounts[].oauth2 too)
            found[name] = f
        for t in sections:
            found.update(fields(typing.cast(type, t), f"{name}[]." if listed else f"{name}."))
    return found


def rows(text: str) -> list[tuple[list[str], str]]:
    """The table rows whose first cell names fields: (the names, the second cell)."""
    found = []
    for cell, second in ROW.findall(text):
        names = re.findall(r"`([^`]+)`", cell)
        full = [names[0]]
        for short in names[1:]:  # `server.tls_cert`, `tls_key`: the second is under the first's parent
            full.append(short if "." in short else names[0].rsplit(".", 1)[0] + "." + short)
        found.append((full, second))
    return found


def literal(cell: str) -> typing.Any:
    """The JSON value a default cell holds alone (`200`, 200, `"normalize"`, `[]`), else a marker."""
    text = cell.strip()
    if text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        text = text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return NOT_A_VALUE


NOT_A_VALUE = object()
FIELDS = fields()


def test_the_walk_finds_the_fields():
    for name in (
        "server.max_connections_per_client",
        "server.listen",
        "server.listen[].tls_profile",
        "rules[].account",
        "accounts[].oauth2",
        "accounts[].oauth2.flow",
        "devices[].senders",
        "auth_accounts.common.username",
        "auth_accounts.per_user[].account",
        "mailbox_dir",
        "version",
    ):
        assert name in FIELDS
    assert "server" not in FIELDS and "source" not in FIELDS


def _where(page) -> str:
    return page.relative_to(REPO).as_posix()


@pytest.mark.parametrize("page", SETTINGS_PAGES, ids=_where)
def test_the_settings_page_has_a_row_for_every_field(page):
    documented = {name for names, _ in rows(page.read_text(encoding="utf-8")) for name in names}
    assert sorted(set(FIELDS) - documented) == []


STATED = [
    (page, name, second)
    for page in PAGES
    for names, second in rows(page.read_text(encoding="utf-8"))
    for name in names
    if name in FIELDS and literal(second) is not NOT_A_VALUE
]


def test_the_manual_states_defaults():
    assert len(STATED) > 50


@pytest.mark.parametrize(("page", "name", "stated"), STATED, ids=[f"{_where(p)}: {n}" for p, n, _ in STATED])
def test_a_stated_default_is_the_codes(page, name, stated):
    assert literal(stated) == _default(FIELDS[name]), f"{_where(page)}: {name} says {stated}"


@pytest.mark.parametrize("page", SETTINGS_PAGES, ids=_where)
def test_a_required_field_is_marked_so(page):
    for names, second in rows(page.read_text(encoding="utf-8")):
        if second == "—":
            assert all(_default(FIELDS[n]) == "" for n in names), names


def test_a_wrong_default_is_seen():
    ((names, second),) = rows("| `server.max_connections_per_client` | `20` | connections |\n")
    assert names == ["server.max_connections_per_client"]
    assert literal(second) != _default(FIELDS[names[0]])
    assert rows('| `server.tls_cert`, `tls_key` | `""` | x |\n')[0][0] == ["server.tls_cert", "server.tls_key"]


def test_the_japanese_page_has_the_english_rows():
    """Same fields, and where the English page gives a value or "—", the same cell: a default
    changed on one page only, or a row missing from the translation, fails here."""
    english = {name: second for names, second in rows(SETTINGS_PAGE.read_text(encoding="utf-8")) for name in names}
    japanese = {name: second for names, second in rows(JA_SETTINGS_PAGE.read_text(encoding="utf-8")) for name in names}
    assert sorted(japanese) == sorted(english)
    for name, second in english.items():
        if second == "—" or literal(second) is not NOT_A_VALUE:
            assert japanese[name] == second, f"{name}: {second} in English, {japanese[name]} in Japanese"


@pytest.mark.parametrize("page", SETTINGS_PAGES, ids=_where)
def test_the_example_on_the_settings_page_loads(page):
    text = page.read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    settings = settings_mod.from_dict(json.loads(example))
    assert settings.server.max_connections_per_client == _default(FIELDS["server.max_connections_per_client"])
