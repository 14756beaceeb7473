"""Fixtures for the window tests.

Everything is real: the window and its tabs on a qasync loop (Qt's offscreen platform), the
gateway listening on loopback, smtplib clients, an aiosmtpd upstream, the file keyring of the
sandbox, the settings file on disk and ``python -m app route`` in a subprocess.  What needs a
real X display (a mouse drag, the tray) is in test_gui_x11.py.
"""

from __future__ import annotations

import contextlib
import gc

import pytest
import shiboken6

from app import settings as settings_mod
from app.gui import i18n
from app.gui.rules_model import RulesModel
from tests.support.gateway import make_settings
from tests.support.gui import Gui


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item):
    """The windows' gateways stop as soon as the test's body is done, on the loop: pytest-qt then
    processes Qt's events itself, outside the qasync loop, after the body and at teardown (see
    Gui.stop_gateways).  The gui fixture closes the rest at teardown."""
    gui = getattr(item, "funcargs", {}).get("gui")
    try:
        result = yield
    except BaseException:
        if isinstance(gui, Gui) and gui.loop is not None:
            with contextlib.suppress(Exception):  # the test's own failure is the one to report
                gui.stop_gateways()
        raise
    if isinstance(gui, Gui) and gui.loop is not None:
        gui.stop_gateways()
    return result


@pytest.fixture
def gui(qapp, tmp_path, upstream_factory):
    # Depends on upstream_factory so the gateways stop (closing pooled sessions) before upstreams do.
    g = Gui(qapp, tmp_path)
    yield g
    g.close()


@pytest.fixture
def model_of(tmp_path):
    """A RulesModel on settings with these rules, deleted (on this thread) after the test."""
    made = []

    def make(rules: list[dict]) -> tuple[RulesModel, settings_mod.Settings]:
        settings = make_settings(tmp_path, rules=rules)
        made.append(RulesModel(settings))
        return made[-1], settings

    yield make
    for model in made:
        shiboken6.delete(model)
    made.clear()
    gc.collect()


@pytest.fixture
def english():
    i18n.install("en")
    yield
    i18n.install("en")
    i18n.save_language("en")
