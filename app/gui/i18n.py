"""English and Japanese: every visible string goes through ``tr`` (one context, "Tenso").

The Japanese texts live in ``resources/i18n/tenso_ja.ts`` (source) and are
compiled to ``tenso_ja.qm`` with ``pyside6-lrelease``; ``tools/update_ts.py``
collects the ``tr("...")`` strings from this package into the .ts file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

CONTEXT = "Tenso"
LANGUAGES = {"en": "English", "ja": "日本語"}


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def tr_later(text: str) -> str:
    """Marks a text for translation where it is declared (a table of labels), for
    ``tools/update_ts.py`` to collect; ``tr`` translates it where it is shown."""
    return text


def resources_dir() -> Path:
    """``resources/`` beside the source tree, or inside the PyInstaller bundle when frozen."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "resources"


def chosen_language() -> str:
    saved = QSettings("Tenso", "Tenso").value("language", "")
    if saved in LANGUAGES:
        return saved
    return "ja" if QLocale.system().language() == QLocale.Language.Japanese else "en"


def save_language(code: str) -> None:
    QSettings("Tenso", "Tenso").setValue("language", code)


_installed: list[QTranslator] = []
_current = ["en"]


def current() -> str:
    """The language installed last ("en" until one is): for texts kept outside the .ts file
    (the presets' words, app/settings/preset_texts.py; what a refusal means, app/mail/replies)."""
    return _current[0]


def qt_translations_dir() -> str:
    """Qt's own translations (qtbase_ja.qm: the standard buttons OK, Cancel, Yes ..., the
    file dialogs), shipped with PySide6 and collected into the exe by PyInstaller's hook."""
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def install(code: str) -> bool:
    """Loads the translation for ``code`` into the running application; English needs none."""
    app = QCoreApplication.instance()
    for translator in _installed:
        assert app is not None  # a translator was installed into it
        app.removeTranslator(translator)
    _installed.clear()
    _current[0] = "en"
    if code == "en":
        return True
    translator = QTranslator(app)
    if not translator.load(str(resources_dir() / "i18n" / f"tenso_{code}.qm")):
        return False
    assert app is not None  # the window's QApplication exists before any language is chosen
    app.installTranslator(translator)
    _installed.append(translator)
    _current[0] = code
    qt = QTranslator(app)
    bundled = str(Path(getattr(sys, "_MEIPASS", "")) / "PySide6" / "Qt" / "translations")  # the exe's copy
    if any(qt.load(f"qtbase_{code}", folder) for folder in (qt_translations_dir(), bundled)):
        app.installTranslator(qt)  # without it the standard buttons stay English
        _installed.append(qt)
    return True
