"""Tenso's test suite: unit/ (in-process, fast), gateway/ (the in-process gateway and real SMTP
peers on loopback), processes/ (Tenso and its workers as subprocesses), gui/ (the Qt window).
Shared helpers are in support/, the fixtures in the conftest.py files."""
