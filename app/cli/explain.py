"""``explain``: what an upstream's reply or a token endpoint's error means and what to change
(app/mail/replies), in English or Japanese; for the reply an administrator copied from the log,
the window, a bounce or a device's screen."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from app.cli.command import Command
from app.mail.replies import explain
from app.system.language import system_language

UNKNOWN = {
    "en": "Tenso does not know this reply; read it for the server's own words, and see "
    "docs/troubleshooting.md for the replies Tenso knows",
    "ja": "Tenso はこの応答を知りません。応答の文面そのものを読み、Tenso が知っている応答は "
    "docs/ja/troubleshooting.md で確認してください。",
}


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang", choices=["en", "ja"], default=None, help="the language (default: the system's, ja or en)"
    )
    parser.add_argument(
        "reply",
        nargs="+",
        metavar="REPLY",
        help="the reply as it was shown (quoted, or as several words); - reads it from standard input",
    )


def _print(text: str, stream: TextIO) -> None:
    """One line even on a console whose code page lacks a character (cp932 has no em dash)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(text.encode(encoding, "replace").decode(encoding), file=stream)


def run(args: argparse.Namespace) -> int:
    lang = args.lang or system_language()
    reply = sys.stdin.read() if args.reply == ["-"] else " ".join(args.reply)
    advice = explain(reply, lang)
    if advice is None:
        _print(UNKNOWN[lang], sys.stderr)
        return 1
    for line in advice.lines():
        _print(line, sys.stdout)
    return 0


COMMAND = Command("explain", "what an upstream's refusal means and what to change", arguments, run, takes_config=False)
