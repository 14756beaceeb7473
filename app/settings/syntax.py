"""A settings file that is not JSON, worded for someone who edits it in Notepad: the line and the
column, what is wrong there in plain words (not Python's ``json`` message), and the line itself
with a caret under the place.  Each wording is a Problem (app/problems.py), so the window shows it
in Japanese too."""

from __future__ import annotations

import json
from typing import Any

from app.problems import Problem

FILE = "(file)"


def not_text(raw: bytes, path: str) -> Problem:
    """The file is not UTF-8 text: say what it most likely was saved as."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:200]:
        return Problem(
            FILE,
            "{path} is not JSON text: it was saved as UTF-16 (Notepad's “Unicode”); save it again as UTF-8",
            path=path,
        )
    return Problem(
        FILE,
        "{path} is not UTF-8 text: perhaps it was saved as ANSI (Shift_JIS); save it again as UTF-8",
        path=path,
    )


def problem(text: str, exc: json.JSONDecodeError) -> Problem:
    """``exc`` (Python's json error on ``text``) in words, with the line and a caret."""
    pos, msg = exc.pos, exc.msg
    before = text[:pos].rstrip()
    here = text[pos : pos + 1]
    if msg.startswith(("Unterminated string", "Invalid control character")):
        opening = pos if msg.startswith("Unterminated") else text.rfind('"', 0, pos)
        return Problem(
            FILE,
            'line {line}, column {column}: a quote is missing: this text has no closing "{shown}',
            **_where(text, opening),
        )
    if pos >= len(text.rstrip()):
        at = len(text.rstrip())
        return Problem(
            FILE,
            "line {line}, column {column}: the file ends too early (a closing }} or ] or a quote is missing){shown}",
            **_where(text, at),
        )
    if here in "}]" and before.endswith(","):
        at = len(before) - 1
        if here == "}":
            return Problem(
                FILE, "line {line}, column {column}: there is a comma before }}: remove it{shown}", **_where(text, at)
            )
        return Problem(
            FILE, "line {line}, column {column}: there is a comma before ]: remove it{shown}", **_where(text, at)
        )
    if here == "'":
        return Problem(
            FILE,
            "line {line}, column {column}: JSON needs double quotes (\"), not single quotes ('){shown}",
            **_where(text, pos),
        )
    if msg.startswith("Expecting ',' delimiter"):
        return Problem(FILE, "line {line}, column {column}: a comma is missing before this{shown}", **_where(text, pos))
    if msg.startswith("Expecting ':' delimiter"):
        return Problem(
            FILE, "line {line}, column {column}: a colon (:) is missing after the name{shown}", **_where(text, pos)
        )
    if msg.startswith("Invalid \\escape"):
        return Problem(
            FILE,
            "line {line}, column {column}: write a backslash twice in JSON (C:\\\\Tenso, not C:\\Tenso){shown}",
            **_where(text, pos),
        )
    if msg.startswith("Expecting property name"):
        return Problem(
            FILE,
            'line {line}, column {column}: a name in double quotes ("name") is expected here{shown}',
            **_where(text, pos),
        )
    if msg.startswith("Extra data"):
        return Problem(
            FILE,
            "line {line}, column {column}: more text after the end of the settings (the last }} closes them){shown}",
            **_where(text, pos),
        )
    return Problem(
        FILE,
        'line {line}, column {column}: a value is expected here (a number, "text", true, false, null, {{ or [){shown}',
        **_where(text, pos),
    )


def _where(text: str, pos: int) -> dict[str, Any]:
    """The line and column of ``pos`` (from 1), and that line with a caret under it."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end >= 0 else len(text)].rstrip("\r")
    column = pos - start + 1
    caret = "".join("\t" if c == "\t" else " " for c in line[: column - 1]) + "^"
    return {"line": text.count("\n", 0, pos) + 1, "column": column, "shown": f"\n    {line}\n    {caret}"}
