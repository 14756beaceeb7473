"""Start with Windows: a per-user Run registry entry (no administrator rights needed).

Other systems have their own ways (systemd user units, login items); the window
hides the option there and docs/install.md explains them.
"""

from __future__ import annotations

import sys
from pathlib import Path

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE = "Tenso"


def supported() -> bool:
    return sys.platform == "win32"


def command() -> str:
    """What Windows runs at logon: the exe itself, or the source tree's ``app`` with pythonw.

    A Run entry has no working folder, so ``pythonw -m app`` would not find ``app``: the command
    puts the source tree on the path itself."""
    if getattr(sys, "frozen", False):
        return f'"{sys.executable}"'
    pythonw = sys.executable.replace("python.exe", "pythonw.exe")
    source = Path(__file__).resolve().parents[2]
    start = f"import runpy, sys; sys.path.insert(0, r'{source}'); runpy.run_module('app', run_name='__main__')"
    return f'"{pythonw}" -c "{start}"'


def enabled() -> bool:
    if not supported() or sys.platform != "win32":  # the same test twice: mypy reads only the second
        return False
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.QueryValueEx(key, VALUE)
    except OSError:
        return False
    return True


def set_enabled(on: bool) -> None:
    if not supported() or sys.platform != "win32":  # the same test twice: mypy reads only the second
        raise OSError("starting with the system is set up differently here (see the README)")
    import winreg

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
        if on:
            winreg.SetValueEx(key, VALUE, 0, winreg.REG_SZ, command())
        else:
            try:
                winreg.DeleteValue(key, VALUE)
            except FileNotFoundError:
                pass
