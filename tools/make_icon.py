"""Draws Tenso's icon (転 on a green badge, as the tray shows "running") into resources/.

QT_QPA_PLATFORM=offscreen python tools/make_icon.py   # writes resources/tenso.png and tenso.ico
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from app.gui.tray import state_icon
    from app.status import State

    app = QApplication(sys.argv)  # noqa: F841 - painting needs one
    icon = state_icon(State.RUNNING, 256)
    out = ROOT / "resources"
    icon.pixmap(256, 256).save(str(out / "tenso.png"))
    icon.pixmap(256, 256).scaled(128, 128).save(str(out / "tenso.ico"))
    print("written", out / "tenso.png", out / "tenso.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
