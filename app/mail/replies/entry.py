"""The table's parts: a text in both languages (``Words``), a way to recognise a reply
(``Pattern``), one entry (``Known``) and what ``explain`` gives (``Advice``); and the window's
labels the fixes name.  Standard library only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# How much each kind of evidence says about a reply: a text fragment, an Entra AADSTS code or
# the status in an XOAUTH2 error challenge names one cause; an enhanced status code a few;
# a basic (or HTTP) code many.
TEXT, AADSTS, CHALLENGE, STATUS, CODE = 4, 4, 4, 2, 1

# Tenso's window labels, as resources/i18n/tenso_ja.ts has them.
AUTH = "Auth accounts (認証)"
RULES = "Routing rules (転送設定)"


@dataclass(frozen=True)
class Words:
    """One text in both of Tenso's languages."""

    en: str
    ja: str

    def __call__(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True)
class Pattern:
    """One way to recognise a reply; every condition given must hold.

    ``codes``: any of these three-digit codes (SMTP, or Graph's HTTP status) in the reply;
    ``statuses``: any of these enhanced status codes; ``text``: a regular expression (case is
    ignored); ``aadsts``: an Entra ID error number; ``challenge``: the ``status`` of an XOAUTH2
    error challenge (``334`` + base64 JSON)."""

    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    text: str = ""
    aadsts: str = ""
    challenge: str = ""

    def score(self, facts: Facts) -> int:
        """How much this pattern says about the reply; 0 when it does not fit."""
        total = 0
        if self.codes:
            if not facts.codes.intersection(self.codes):
                return 0
            total += CODE
        if self.statuses:
            if not facts.statuses.intersection(self.statuses):
                return 0
            total += STATUS
        if self.text:
            if not re.search(self.text, facts.text, re.IGNORECASE):
                return 0
            total += TEXT
        if self.aadsts:
            if self.aadsts not in facts.aadsts:
                return 0
            total += AADSTS
        if self.challenge:
            if self.challenge not in facts.challenges:
                return 0
            total += CHALLENGE
        return total


@dataclass(frozen=True)
class Advice:
    """What ``explain`` found: a stable ``key`` (for the log, ``status --json`` and support),
    what happened and what to change, in the language asked for."""

    key: str
    what: str
    fix: str
    lang: str = "en"

    def lines(self) -> list[str]:
        """The few lines ``python -m app explain`` prints (a fix listing causes keeps its list)."""
        what_label, fix_label = ("状況: ", "対処: ") if self.lang == "ja" else ("What happened: ", "What to do: ")
        first, *more = self.fix.split("\n")
        return [what_label + self.what, fix_label + first, *("  " + line for line in more)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Known:
    """One entry of the table: a cause Tenso can name."""

    key: str
    patterns: tuple[Pattern, ...]
    what: Words
    fix: Words

    def score(self, facts: Facts) -> int:
        return max(p.score(facts) for p in self.patterns)

    def advice(self, lang: str) -> Advice:
        return Advice(self.key, self.what(lang), self.fix(lang), lang)


@dataclass(frozen=True)
class Facts:
    """A reply taken apart: its text on one line and the codes found in it."""

    text: str
    codes: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    aadsts: frozenset[str] = field(default_factory=frozenset)
    challenges: frozenset[str] = field(default_factory=frozenset)
