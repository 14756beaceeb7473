"""The window's Japanese: every tr() string has a finished translation, the compiled .qm file is
current, and a window built in (or switched to) Japanese shows no English source text.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import Qt, QTranslator
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QPushButton, QTabWidget, QWidget

from app.gui import i18n
from app.gui.rules_model import COL_MATCH
from app.gui.window import MainWindow
from tests.support import REPO
from tests.support.gui import THREE_RULES

TS = REPO / "resources" / "i18n" / "tenso_ja.ts"
QM = TS.with_suffix(".qm")
sys.path.insert(0, str(REPO / "tools"))
import update_ts  # noqa: E402


def ts_translations() -> dict[str, ET.Element]:
    return {m.findtext("source"): m.find("translation") for m in ET.parse(TS).getroot().iter("message")}


def test_every_tr_string_has_a_finished_japanese_translation():
    translations = ts_translations()
    problems = []
    for source in update_ts.collect():
        translation = translations.get(source)
        if translation is None:
            problems.append(f"not in {TS.name}: {source!r}")
        elif translation.get("type") in ("unfinished", "obsolete", "vanished") or not (translation.text or "").strip():
            problems.append(f"unfinished: {source!r}")
        elif sorted(re.findall(r"\{\w*\}", source)) != sorted(re.findall(r"\{\w*\}", translation.text)):
            problems.append(f"placeholders differ: {source!r} -> {translation.text!r}")
    assert not problems, "\n".join(problems)


def last_changed(path: Path) -> float:
    """When ``path`` last changed: its commit time when unmodified in git (a checkout sets
    every mtime to the clone's time, in no useful order), else its mtime."""
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(path)], cwd=REPO, capture_output=True, text=True, timeout=10
        )
        committed = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", str(path)], cwd=REPO, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return path.stat().st_mtime
    if dirty.returncode == 0 and not dirty.stdout.strip() and committed.stdout.strip():
        return float(committed.stdout.strip())
    return path.stat().st_mtime


def test_compiled_qm_is_current_with_the_ts_source(qapp):
    assert QM.is_file(), f"{QM} is missing: run python tools/update_ts.py --release"
    assert last_changed(QM) >= last_changed(TS), f"{QM.name} is older than {TS.name}: run tools/update_ts.py --release"
    translator = QTranslator()
    assert translator.load(str(QM))
    stale = [
        source
        for source, translation in ts_translations().items()
        if translator.translate("Tenso", source) != (translation.text or "")
    ]
    assert not stale, f"{QM.name} does not carry these translations of {TS.name}: {stale}"


def untranslated_texts(window: MainWindow, sources: set[str]) -> tuple[list[str], int]:
    """English source strings on show in ``window`` (each tab made current in turn, and the menus),
    and how many texts were looked at."""
    found, looked = [], 0

    def look(where: str, text: str) -> None:
        nonlocal looked
        if text:
            looked += 1
            if text in sources:
                found.append(f"{where}: {text!r}")

    for action in window.menuBar().actions():
        look("menu", action.text())
        for item in action.menu().actions() if action.menu() else []:
            look("menu item", item.text())
    current = window.tabs.currentIndex()
    seen: set[int] = set()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        for widget in window.findChildren(QWidget):
            if not widget.isVisible() or id(widget) in seen:
                continue
            seen.add(id(widget))
            where = f"{type(widget).__name__} {widget.objectName()}".strip()
            if isinstance(widget, (QLabel, QPushButton, QCheckBox)):
                look(where, widget.text())
            if isinstance(widget, QGroupBox):
                look(where, widget.title())
            if isinstance(widget, QTabWidget):
                for i in range(widget.count()):
                    look(f"{where} tab", widget.tabText(i))
    window.tabs.setCurrentIndex(current)
    return found, looked


def translated_sources() -> set[str]:
    """The tr() strings whose Japanese differs from the English (ID stays ID)."""
    translations = ts_translations()
    return {s for s in update_ts.collect() if s in translations and translations[s].text != s}


def test_window_built_in_japanese_shows_no_english_source_text(gui, english):
    sources = translated_sources()
    assert i18n.install("ja")
    window = gui.open(rules=THREE_RULES)
    left, looked = untranslated_texts(window, sources)
    assert not left, "shown in English:\n" + "\n".join(left)
    assert looked > 60
    ja = {s: t.text for s, t in ts_translations().items()}
    assert window.apply_button.text() == ja["Apply"]
    assert window.tabs.tabText(window.tabs.indexOf(window.rules_tab)) == ja["Routing rules (転送設定)"]
    assert window.rules_tab.model.headerData(COL_MATCH, Qt.Orientation.Horizontal) == ja["Match (識別ドメイン)"]


def test_choosing_japanese_in_the_window_retranslates_every_tab(gui, english):
    sources = translated_sources()
    window = gui.open(rules=THREE_RULES)
    left, _ = untranslated_texts(window, sources)
    assert left  # English to begin with
    window.language.setCurrentIndex(window.language.findData("ja"))
    gui.settle()
    assert i18n.chosen_language() == "ja"
    left, looked = untranslated_texts(window, sources)
    assert not left, "still in English after choosing 日本語:\n" + "\n".join(left)
    assert looked > 60


def test_the_standard_buttons_speak_japanese_too(qapp):
    """Dialogs read OK/Cancel in the Japanese window: Qt's own translation was not loaded."""
    from PySide6.QtWidgets import QDialogButtonBox

    try:
        assert i18n.install("ja")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "キャンセル"
        buttons.deleteLater()
    finally:
        i18n.install("en")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"
    buttons.deleteLater()
