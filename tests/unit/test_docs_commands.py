"""Every command line the front page and the manual show is one Tenso takes: each
``python -m app …`` (in code blocks, inline code, and the "run python -m app …" hints of the
output shown) parses with the real argument parser, and a password key it names is one the
keyring accepts. A renamed option, a command that is gone or a key written the old way
(``password set user1@…`` for ``user:user1@…``) fails here."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from app import cli
from app.system import passwords
from tests.support import REPO

PAGES = [REPO / "README.md", REPO / "README.ja.md", *sorted((REPO / "docs").rglob("*.md"))]

START = re.compile(r"^(?:\S*python(?:3|\.exe)? -m app|\S*py(?:thon3)? tools[/\\]bootstrap\.py run)(?=\s|$)(.*)$")
HINT = re.compile(r"\brun:? (python -m app [^;)\n]*)")  # "…: run python -m app password set common"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$")  # KEY, FILE, NAME: a template, not a value


def commands(text: str) -> list[str]:
    """The argument strings after ``python -m app`` (or ``bootstrap.py run``) in ``text``."""
    found: list[str] = []
    spans = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            spans.append(line.rsplit("| ", 1)[-1] if "| python" in line else line)
            found.extend(m.group(1) for m in HINT.finditer(line))
    prose = FENCE.sub("", text)
    for span in INLINE.findall(prose):
        spans.append(span)
        found.extend(m.group(1) for m in HINT.finditer(span))
    for span in spans:
        m = START.match(span)
        if m:
            found.append(m.group(0))
    return [re.sub(r"\s+#.*$", "", START.match(c).group(1)).strip() for c in found]


def problem(command: str) -> str | None:
    """Why ``command`` (the arguments only) is not one Tenso takes, or None."""
    template = command.replace("[", " ").replace("]", " ").replace("…", " ").replace("...", " ")
    try:
        args = shlex.split(template)
    except ValueError as exc:
        return str(exc)
    if len(args) == 1 and not args[0].startswith("-"):
        args.append("--help")  # a mention in prose ("python -m app route shows …"): the command exists
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            parsed = cli.build_parser().parse_args(args)
    except SystemExit as exc:
        return None if exc.code == 0 else err.getvalue().strip().splitlines()[-1]  # 0: --help, --version
    if parsed.command == "password" and parsed.key:
        key = parsed.key.replace("ADDRESS", "user@example.jp")
        if not PLACEHOLDER.match(key):
            try:
                passwords.normalize_key(key)
            except ValueError as exc:
                return str(exc)
    return None


CASES = [(page, c) for page in PAGES for c in commands(page.read_text(encoding="utf-8"))]


def test_the_pages_show_commands():
    assert len(CASES) > 60  # the extraction still finds them


@pytest.mark.parametrize(("page", "command"), CASES, ids=[f"{p.relative_to(REPO).as_posix()}: {c}" for p, c in CASES])
def test_tenso_takes_the_command_as_shown(page, command):
    assert problem(command) is None, f"{page.name}: python -m app {command}: {problem(command)}"


@pytest.mark.parametrize(
    "wrong",
    [
        "password set user1@example.jp",
        "account login m365 --devcie",
        "queue flush",
        "flush",
        "password use-file --nosuch",
        "route --config FILE",
    ],
)
def test_a_wrong_command_is_seen(wrong):
    assert problem(wrong) is not None


def test_templates_and_hints_are_read():
    text = (
        "`python -m app route --config FILE [--from SENDER] [--json] RECIPIENT...`\n"
        "```console\n$ python -m app status\n"
        "no password stored: run python -m app password set user:a@example.jp\n```\n"
        "```sh\necho 'x' | python -m app password set device:mfp-2f   # a device\n```\n"
    )
    assert sorted(commands(text)) == [
        "password set device:mfp-2f",
        "password set user:a@example.jp",
        "route --config FILE [--from SENDER] [--json] RECIPIENT...",
        "status",
    ]
    assert all(problem(c) is None for c in commands(text))
