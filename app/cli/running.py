"""The gateway running on a settings file's queue, as the commands find it: through its control
channel (app/control), which answers with what the gateway really runs, or not at all (no gateway
serves the queue, or an older Tenso that has no channel: the commands then read the files).

The queue is found even in a settings file with problems (a typo the gateway has not taken): the
gateway runs fine on its previous settings, and ``status`` should say so rather than only the typo.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from app import settings as settings_mod
from app.control.client import Client, NotAllowed, connect
from app.settings import Settings, SettingsError


@dataclass
class Target:
    """A settings file as a command sees it: its settings, or its problems and the queue it names."""

    path: Path
    settings: Settings | None
    queue_dir: Path
    problems: list[str] = field(default_factory=list)


# "queue": {... "dir": "..."}: found in a file whose JSON does not parse (a comma too many
# elsewhere), so that the gateway on that queue is still found.
QUEUE_DIR = re.compile(r'"queue"\s*:\s*\{[^{}]*?"dir"\s*:\s*("(?:[^"\\]|\\.)*")')


def _queue_named(path: Path) -> Path:
    """The queue of a file that does not load: its ``queue.dir`` when the JSON can be read at all,
    or when its text still shows one (a syntax error elsewhere), else the default queue."""
    raw: object = None
    text = ""
    try:
        text = path.read_text(encoding="utf-8-sig")
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        found = QUEUE_DIR.search(text)
        if found:
            try:
                raw = {"queue": {"dir": json.loads(found.group(1))}}
            except json.JSONDecodeError:
                pass
    queue = raw.get("queue") if isinstance(raw, dict) else None
    folder = queue.get("dir") if isinstance(queue, dict) else None
    data = {"queue": {"dir": folder}} if isinstance(folder, str) else {}
    try:
        return settings_mod.from_dict(data, source=path).queue_dir
    except SettingsError:
        return settings_mod.from_dict({}, source=path).queue_dir


def target(path: Path) -> Target:
    try:
        settings = settings_mod.load(path)
    except SettingsError as exc:
        return Target(path, None, _queue_named(path), [str(p) for p in exc.problems])
    return Target(path, settings, settings.queue_dir)


def gateway(queue_dir: Path, reading: bool = False) -> Client | None:
    """A client of the gateway serving ``queue_dir``, or None.  When one runs but this user may not
    command it: NotAllowed (a ControlError, which the command line's main prints), or, for a
    command that only reads (``reading``: status, queue list), a note and None: the files say
    what they can."""
    try:
        return connect(queue_dir)
    except NotAllowed as exc:
        if not reading:
            raise
        print(f"note: {exc}; showing what the files say", file=sys.stderr)
        return None


def print_problems(t: Target, running: bool) -> None:
    """The file's problems, after which the command went on with the running gateway (``running``)."""
    print(f"{t.path}: the settings have problems:", file=sys.stderr)
    for problem in t.problems:
        print(f"  {problem}", file=sys.stderr)
    if running:
        print("the running gateway goes on with the settings it has; fix the file, then reload it", file=sys.stderr)


def other_file(t: Target, engine: dict) -> str | None:
    """A note when the gateway runs with another settings file than the one given."""
    config = Path(engine.get("config") or "")
    try:
        same = config.resolve() == t.path.resolve()
    except OSError:
        same = config == t.path
    if same:
        return None
    return f"note: the gateway on this queue runs with {config}, not {t.path}; it shows what it runs"
