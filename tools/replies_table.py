"""The manual's list of known replies, made from the table itself (app/mail/replies/).

    python tools/replies_table.py en|ja    # print the Markdown for docs/troubleshooting.md or its Japanese twin
    python tools/replies_table.py --write  # put it into both pages, between their markers

Each entry is one row: how Tenso recognises the reply (its codes and words; the key that
``status --json`` and the log name it by), what happened and what to do.  tests/unit/
test_replies_table.py fails when a page's table is not what this prints, so the manual cannot
drift from what ``python -m app explain`` says.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.mail.replies import entra, exchange, google, graph, smtp  # noqa: E402
from app.mail.replies.entry import Known, Pattern  # noqa: E402

PAGES = {"en": ROOT / "docs" / "troubleshooting.md", "ja": ROOT / "docs" / "ja" / "troubleshooting.md"}
BEGIN = (
    "<!-- the table below is made by tools/replies_table.py from app/mail/replies/: "
    "edit those, then run it with --write -->"
)
END = "<!-- end of the table made by tools/replies_table.py -->"

PROVIDERS = (
    (exchange, "Exchange Online (smtp.office365.com)", "Exchange Online(smtp.office365.com)"),
    (entra, "Entra ID, when Tenso asks for a token", "Entra ID(Tenso がトークンを要求したとき)"),
    (google, "Google and Gmail", "Google と Gmail"),
    (
        graph,
        "Microsoft Graph (destination GRAPH), the mailbox's size limit, the HTTP proxy",
        "Microsoft Graph(転送先 GRAPH)、メールボックスのサイズ上限、HTTP プロキシ",
    ),
    (smtp, "Any SMTP server", "どの SMTP サーバーでも"),
)
HEADERS = {"en": ("reply", "what happened", "what to do"), "ja": ("応答", "状況", "対処")}
WORDS = {
    "en": {"or": " or ", "challenge": "an XOAUTH2 error challenge with status {0}"},
    "ja": {"or": " または ", "challenge": "XOAUTH2 のエラー チャレンジ(status {0})"},
}


def _phrases(text: str) -> list[str]:
    """A pattern's regular expression as the words it looks for: lookarounds and optional
    groups left out, escapes undone, one phrase per alternative."""
    text = re.sub(r"\(\?[!=<][^)]*\)", "", text)
    text = re.sub(r"\(\?:[^)]*\)\?", "", text)
    text = text.replace(r"\W+", " ").replace("\\", "")
    return [" ".join(part.split()) for part in text.split("|")]


def _pattern(pattern: Pattern, lang: str) -> str:
    parts = []
    if pattern.codes:
        parts.append("/".join(f"`{c}`" for c in pattern.codes))
    if pattern.statuses:
        parts.append("/".join(f"`{s}`" for s in pattern.statuses))
    if pattern.aadsts:
        parts.append(f"`AADSTS{pattern.aadsts}`")
    if pattern.challenge:
        parts.append(WORDS[lang]["challenge"].format(f"`{pattern.challenge}`"))
    if pattern.text:
        parts.append("/".join(f"“{phrase}”" for phrase in _phrases(pattern.text)))
    return " ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _row(known: Known, lang: str) -> str:
    recognised = WORDS[lang]["or"].join(_pattern(p, lang) for p in known.patterns)
    reply = f"{recognised}<br>`{known.key}`"
    return f"| {_cell(reply)} | {_cell(known.what(lang))} | {_cell(known.fix(lang))} |"


def table(lang: str) -> str:
    """The Markdown between the markers of the page in ``lang``."""
    out: list[str] = []
    for module, en, ja in PROVIDERS:
        out += [f"### {ja if lang == 'ja' else en}", ""]
        out += ["| " + " | ".join(HEADERS[lang]) + " |", "|---|---|---|"]
        out += [_row(known, lang) for known in module.KNOWN]
        out.append("")
    return "\n".join(out).rstrip("\n")


def section(page: str) -> str:
    """What stands between the markers of ``page`` (ValueError when they are missing)."""
    start = page.index(BEGIN) + len(BEGIN)
    return page[start : page.index(END, start)].strip("\n")


def write() -> None:
    for lang, path in PAGES.items():
        page = path.read_text(encoding="utf-8")
        start = page.index(BEGIN) + len(BEGIN)
        end = page.index(END, start)
        path.write_text(page[:start] + "\n\n" + table(lang) + "\n\n" + page[end:], encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        write()
        return 0
    if len(argv) == 1 and argv[0] in PAGES:
        print(table(argv[0]))
        return 0
    print("usage: python tools/replies_table.py en|ja|--write", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
