"""The user's language as the system says it, without Qt: ``ja`` or ``en``.

The window asks Qt (``QLocale.system()``, app/gui/i18n.py); the command line has no Qt, so it
asks the same sources itself: on Windows the user's display language (what Settings → Time &
language → Language shows, ``GetUserDefaultUILanguage``), elsewhere the locale variables.
"""

from __future__ import annotations

import locale
import os
import sys

LANG_JAPANESE = 0x11  # the primary language id of every Japanese LANGID (ja-JP is 0x0411)


def _windows_ui_language() -> int:
    """The user's UI language id (a LANGID), or 0 when it cannot be asked."""
    try:
        import ctypes

        return int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return 0


def _is_japanese(name: str) -> bool:
    return name.lower().startswith(("ja", "japanese"))


def system_language() -> str:
    """``ja`` when the user's interface language is Japanese, else ``en``."""
    if sys.platform == "win32":
        langid = _windows_ui_language()
        if langid:
            return "ja" if langid & 0x3FF == LANG_JAPANESE else "en"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX's order: the first one set decides
        value = os.environ.get(variable, "")
        if value:
            return "ja" if _is_japanese(value) else "en"
    name = locale.getlocale()[0] or ""
    return "ja" if _is_japanese(name) else "en"
