"""tools/check_imports.py: the shape of app/ holds, and the checker finds what breaks it."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

from tests.support import REPO


def _checker():
    spec = importlib.util.spec_from_file_location("check_imports", REPO / "tools" / "check_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_the_repository_has_the_shape_it_promises():
    assert _checker().problems() == []


def test_a_circle_seen_only_by_the_type_checker_is_still_a_circle(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/store/__init__.py": "",
            "app/store/spool.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from app.deliver import attempt
            """,
            "app/deliver/__init__.py": "",
            "app/deliver/attempt.py": "from app.store.spool import x\n",
        },
    )
    assert _checker().problems(root) == ["import circle: app.deliver.attempt -> app.store.spool"]


def test_parts_that_import_what_they_may_not_are_named(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/gateway.py": "",
            "app/receive/__init__.py": "",
            "app/receive/handler.py": "from app import gateway\nfrom app.deliver import scheduler\n",
            "app/deliver/__init__.py": "",
            "app/deliver/scheduler.py": "import PySide6\n",
            "app/store/__init__.py": "",
            "app/store/spool.py": "",
            "app/gui/__init__.py": "",
            "app/gui/controller.py": "from app import gateway\n",
            "app/gui/tab.py": """
                from app.store.spool import Spool
                from app import settings
                from app.gui import controller
            """,
        },
    )
    found = _checker().problems(root)
    assert found == [
        "app.deliver.scheduler imports PySide6: the engine runs without Qt",
        "app.gui.tab imports app.store.spool: the window reaches the engine through app.gui.controller",
        "app.receive.handler imports app.deliver.scheduler: receive/ and deliver/ meet in store/ and the gateway",
        "app.receive.handler imports app.gateway: only app.cli.queue, app.gui.controller, app.headless may",
    ], found


def test_the_engine_may_not_reach_into_the_window_nor_the_window_past_the_settings_model(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/settings.py": "from app.system.paths import data_dir\n\nclass Rule:\n    pass\n",
            "app/system/__init__.py": "",
            "app/system/paths.py": "def data_dir():\n    pass\n",
            "app/deliver/__init__.py": "",
            "app/deliver/attempt.py": "from app.gui import i18n\n",
            "app/gui/__init__.py": "",
            "app/gui/i18n.py": "",
            "app/gui/tab.py": "from app.settings import Rule, data_dir\n",
        },
    )
    assert _checker().problems(root) == [
        "app.deliver.attempt imports app.gui.i18n: the engine runs without the window",
        "app.gui.tab takes data_dir from app.settings, which only imports it: "
        "the window reaches the engine through app.gui.controller",
    ]


def test_the_window_may_take_what_any_module_of_the_settings_package_defines_and_nothing_it_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/settings/__init__.py": "from app.settings.model import Rule\nfrom app.system.paths import data_dir\n",
            "app/settings/model.py": "class Rule:\n    pass\n",
            "app/settings/keys.py": "from app.system.paths import data_dir\n\nCOMMON = 'common'\n",
            "app/system/__init__.py": "",
            "app/system/paths.py": "def data_dir():\n    pass\n",
            "app/gui/__init__.py": "",
            "app/gui/tab.py": """
                from app.settings import Rule, data_dir, keys
                from app.settings.keys import COMMON, data_dir as folder
            """,
        },
    )
    assert _checker().problems(root) == [
        "app.gui.tab takes data_dir from app.settings, which only imports it: "
        "the window reaches the engine through app.gui.controller",
    ]


def test_requests_is_for_accounts_and_the_ways_out_only_and_authlib_for_accounts_only(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/accounts/__init__.py": "",
            "app/accounts/oauth.py": "import authlib\nimport requests\n",
            "app/deliver/__init__.py": "",
            "app/deliver/couriers/__init__.py": "",
            "app/deliver/couriers/graph.py": "import requests\n",
            "app/deliver/smtp/__init__.py": "",
            "app/deliver/smtp/client.py": "import requests\n",
            "app/deliver/attempt.py": "from authlib.integrations import requests_client\n",
        },
    )
    assert _checker().problems(root) == [
        "app.deliver.attempt imports authlib.integrations: the OAuth 2.0 client is used only in app/accounts",
        "app.deliver.smtp.client imports requests: "
        "the OAuth 2.0 client is used only in app/accounts and app.deliver.couriers",
    ]


def test_pywin32_is_for_the_windows_only_modules(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/control/__init__.py": "",
            "app/control/windows.py": "import pywintypes\nimport win32pipe\n",
            "app/control/server.py": "def listen():\n    import win32file\n",
            "app/service/__init__.py": "",
            "app/service/windows.py": "import win32service\nimport servicemanager\n",
            "app/service/plan.py": "import win32service\n",
            "app/status.py": "from winerror import ERROR_ACCESS_DENIED\n",
            "app/system/__init__.py": "",
            "app/system/autostart.py": "import winreg\n",
        },
    )
    only = "pywin32 is used only in app.service.windows and app.control.windows (Windows only)"
    assert _checker().problems(root) == [
        f"app.control.server imports win32file: {only}",
        f"app.service.plan imports win32service: {only}",
        f"app.status imports winerror: {only}",
    ]


def test_the_alerts_may_write_an_event_and_nothing_more_of_pywin32(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/alerts/__init__.py": "",
            "app/alerts/channels.py": "import win32evtlogutil\nimport win32service\n",
            "app/alerts/watcher.py": "import win32evtlogutil\n",
        },
    )
    assert _checker().problems(root) == [
        "app.alerts.channels imports win32service: pywin32 is used only in app.service.windows and "
        "app.control.windows (Windows only)",
        "app.alerts.watcher imports win32evtlogutil: pywin32 is used only in app.service.windows and "
        "app.control.windows (Windows only)",
    ]


def test_the_history_is_told_what_happened_and_imports_neither_side_nor_the_router(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/store/__init__.py": "",
            "app/store/spool.py": "",
            "app/route/__init__.py": "",
            "app/route/router.py": "",
            "app/deliver/__init__.py": "",
            "app/deliver/attempt.py": "from app.history import records\n",
            "app/history/__init__.py": "",
            "app/history/records.py": "from app.store import spool\n",
            "app/history/writer.py": "from app.deliver import attempt\nfrom app.route.router import Router\n",
        },
    )
    assert _checker().problems(root) == [
        "app.history.writer imports app.deliver.attempt: history/ is told what happened, it does not ask",
        "app.history.writer imports app.route.router: history/ is told what happened, it does not ask",
    ]


def test_the_console_is_a_door_to_the_channel_but_never_runs_a_gateway(tmp_path):
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/gateway.py": "",
            "app/control/__init__.py": "",
            "app/control/client.py": "",
            "app/gui/__init__.py": "",
            "app/gui/console.py": "from app.control import client\nfrom app import gateway\n",
            "app/gui/tab.py": "from app.control import client\n",
        },
    )
    found = _checker().problems(root)
    assert found == [
        "app.gui.console imports app.gateway: only app.cli.queue, app.gui.controller, app.headless may",
        "app.gui.tab imports app.control.client: the window reaches the engine through app.gui.controller",
    ], found
