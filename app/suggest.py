"""The commands Tenso suggests to the user (in the log, in ``status``, on Status), worded once:
``python -m app WORDS``, with ``--config "PATH"`` when the gateway runs with a settings file that is
not the per-user default, so that the command typed as shown acts on the same file.

``explain`` takes no ``--config`` (it reads nothing); ``password`` takes it since the secret goes to the
gateway running on the settings' queue (its own keyring), as ``--config`` finds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from app.system import paths

NO_CONFIG = ("explain",)


class _HasSource(Protocol):
    source: Path | None


Where = _HasSource | Path | str | None  # the settings, or the settings file, a command acts on


def command(where: Where, words: str) -> str:
    """``python -m app WORDS [--config "PATH"]`` for the settings (or settings file) ``where``."""
    text = f"python -m app {words}"
    path = where if isinstance(where, (str, Path)) or where is None else where.source
    if path is None or words.split(" ", 1)[0] in NO_CONFIG:
        return text
    if _same(Path(path), paths.default_config_path()):
        return text
    return f"{text} --config {quoted(str(path))}"


def quoted(path: str) -> str:
    """A path as typed in a command prompt: in double quotes when it has spaces."""
    return f'"{path}"' if " " in path or not path else path


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b
