"""A local user's forwarding list, the original's forward.txt (docs/rules-and-relay.md, "Local users and forward.txt").

One rule a line: ``<address>[,<address>...],<action>,[<filter>],[<disabled flag>]``.
Lines are read top to bottom and the first one that applies ends the
processing.  Actions:

    NONE               forward, keep the original in the mailbox
    DELETE             forward, do not keep the original
    FILTERNONE         NONE, only when the sender contains the filter text
    FILTERDELETE       DELETE, only when the sender contains the filter text
    SUBJECTONLY        send a short notice carrying the subject; keep the original
    FILTERSUBJECTONLY  SUBJECTONLY, only when the sender contains the filter text

A line whose disabled flag is set (``1``, ``true``, ``yes``, ``on``, ``x``,
``disabled``) is kept but skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.mail import addresses

ACTIONS = ("NONE", "DELETE", "FILTERNONE", "FILTERDELETE", "SUBJECTONLY", "FILTERSUBJECTONLY")
_DISABLED = {"1", "true", "yes", "on", "x", "disabled"}
_ENABLED = {"", "0", "false", "no", "off", "enabled"}


@dataclass(frozen=True)
class ForwardRule:
    targets: tuple[str, ...]
    action: str
    filter: str = ""
    disabled: bool = False

    @property
    def needs_filter(self) -> bool:
        return self.action.startswith("FILTER")

    @property
    def keeps_original(self) -> bool:
        return not self.action.endswith("DELETE")

    @property
    def subject_only(self) -> bool:
        return self.action.endswith("SUBJECTONLY")

    def applies_to(self, sender: str) -> bool:
        if self.disabled:
            return False
        return not self.needs_filter or self.filter.lower() in sender.lower()


def parse_line(line: str) -> ForwardRule:
    """One forward.txt line → its rule; ValueError says what is wrong."""
    fields = [f.strip() for f in line.strip().split(",")]
    position = next((i for i, f in enumerate(fields) if f.upper() in ACTIONS), None)
    if position is None:
        raise ValueError("no action (one of " + ", ".join(ACTIONS) + ")")
    targets = tuple(f for f in fields[:position] if f)
    if not targets:
        raise ValueError("no address to forward to before the action")
    for target in targets:
        if not addresses.is_address(target):
            raise ValueError(f"{target!r} is not an address")
    rest = fields[position + 1 :]
    if len(rest) > 2:
        raise ValueError("too many fields after the action (filter, disabled flag)")
    action = fields[position].upper()
    text = rest[0] if rest else ""
    flag = rest[1].lower() if len(rest) > 1 else ""
    if flag not in _DISABLED | _ENABLED:
        raise ValueError(f"disabled flag {rest[1]!r} must be 1 or empty")
    if action.startswith("FILTER") and not text:
        raise ValueError(f"{action} needs a filter text")
    return ForwardRule(targets, action, text, flag in _DISABLED)


def read_file(path: Path) -> str:
    """A forward.txt from disk: UTF-8, or Shift_JIS (cp932) as the original wrote on Windows."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeError(f"{path} is neither UTF-8 nor Shift_JIS text")


def parse_file(text: str) -> tuple[list[str], list[str]]:
    """A whole forward.txt → (good lines, problems as ``line N: ...``).  Blank and # lines are skipped."""
    good, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            parse_line(line)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}: {line.strip()}")
        else:
            good.append(line.strip())
    return good, problems


@dataclass(frozen=True)
class Outcome:
    keep: bool  # store the original in the user's mailbox
    forward_to: tuple[str, ...] = ()
    subject_only: bool = False
    line: int | None = None  # 1-based line of the rule that applied


def evaluate(lines: list[str], sender: str) -> Outcome:
    """What to do with a message from ``sender``: the first applicable line decides."""
    for number, line in enumerate(lines, start=1):
        try:
            rule = parse_line(line)
        except ValueError:
            continue  # the settings check reports it; delivery must not stop on it
        if rule.applies_to(sender):
            return Outcome(rule.keeps_original, rule.targets, rule.subject_only, number)
    return Outcome(keep=True)
