"""What the alerts keep on disk, in the queue folder beside activity.json (one gateway per queue,
so one of each per gateway):

- ``alerts.json``: the conditions told and not ended, the day of the last daily summary and the
  bounces the summary lists, so that a restart neither tells "started" again nor mails a second
  summary.  Written atomically (temp file + rename), only when it changed.
- ``running.json``: the marker of a running gateway, written at start, its ``alive`` time renewed
  each minute, removed by a clean stop.  Found at the next start, it says the gateway ended
  without a stop (a kill, a crash, the power): ``engine_stopped``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.alerts.decide import Told
from app.alerts.events import Condition, Event

log = logging.getLogger("tenso")

FILE_NAME = "alerts.json"
MARKER_NAME = "running.json"
VERSION = 1
BOUNCES_KEPT = 500  # the summary lists yesterday's; more in a day is said as a number


@dataclass
class Bounce:
    time: float
    line: str  # the log line that said so (queue id, sender, recipients)


@dataclass
class Saved:
    told: dict[str, Told] = field(default_factory=dict)
    summary_day: str = ""  # YYYY-MM-DD of the last daily summary sent
    bounces: list[Bounce] = field(default_factory=list)
    bounces_dropped: int = 0  # bounces beyond BOUNCES_KEPT, still counted


def _write(path: Path, data: dict) -> None:
    # ASCII with escapes: a bounce line may hold a hostile client's bytes (surrogate escapes),
    # which UTF-8 cannot write, and the file must still be written.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="ascii")
    os.replace(tmp, path)


def load(path: Path) -> Saved:
    """What an earlier run left; missing or unreadable: nothing told yet (one log line)."""
    if not path.exists():
        return Saved()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        told = {
            key: Told(
                Condition(
                    key,
                    Event(item["event"]),
                    item["text"],
                    item["text_ja"],
                    float(item["since"]),
                    dict(item.get("details", {})),
                ),
                float(item["told"]),
            )
            for key, item in data.get("told", {}).items()
        }
        bounces = [Bounce(float(b["time"]), str(b["line"])) for b in data.get("bounces", [])]
        return Saved(told, str(data.get("summary_day", "")), bounces, int(data.get("bounces_dropped", 0)))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("%s cannot be read (%s); alerts start afresh (a condition may be told again)", path, exc)
        return Saved()


def save(path: Path, saved: Saved) -> None:
    """Blocking (a file write): off the event loop."""
    told = {
        key: {
            "event": t.condition.event.value,
            "text": t.condition.text,
            "text_ja": t.condition.text_ja,
            "since": t.condition.since,
            "details": t.condition.details,
            "told": t.told,
        }
        for key, t in saved.told.items()
    }
    _write(
        path,
        {
            "version": VERSION,
            "told": told,
            "summary_day": saved.summary_day,
            "bounces": [asdict(b) for b in saved.bounces[-BOUNCES_KEPT:]],
            "bounces_dropped": saved.bounces_dropped,
        },
    )


@dataclass(frozen=True)
class Marker:
    pid: int
    started: float
    alive: float  # the last time the running gateway renewed it


def read_marker(path: Path) -> Marker | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Marker(int(data["pid"]), float(data["started"]), float(data["alive"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("%s cannot be read (%s); taken as a gateway that ended without a stop", path, exc)
        return Marker(0, 0.0, 0.0)


def write_marker(path: Path, marker: Marker) -> None:
    _write(path, asdict(marker))


def remove_marker(path: Path) -> None:
    path.unlink(missing_ok=True)
