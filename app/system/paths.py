"""Where Tenso keeps its files by default: the per-user settings and data folders of the platform."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Tenso"


def config_dir() -> Path:
    import platformdirs  # not loaded by the worker processes, which are given their paths

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True))


def data_dir() -> Path:
    override = os.environ.get("TENSO_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=True))


def default_config_path() -> Path:
    override = os.environ.get("TENSO_CONFIG")
    return Path(override) if override else config_dir() / "settings.json"
