"""The desktop window and tray icon: a thin PySide6 shell over the engine in ``app``.

Everything Qt lives in this package; the engine never imports it.
"""
