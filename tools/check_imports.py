"""Checks the shape of app/: no import circle, and each part imports only what it may.

    python tools/check_imports.py [ROOT]   # exit 0 when the shape holds, 1 with each problem listed

Every import counts, also those under ``if TYPE_CHECKING:`` and inside functions: a
circle that only the type checker sees is still a circle in the design.  The rules:

- no circle between modules of app/;
- no engine module imports ``app.gateway``: only the doors do: the two runtimes (``app.headless``,
  ``app.gui.controller``) and ``app.cli.queue`` (a bounce with no gateway running);
- ``receive/`` and ``deliver/`` do not import each other (they meet in ``store/`` and the gateway);
- the engine imports no Qt (PySide6, qasync) and nothing of ``app/gui`` (only ``app.cli.run``
  starts the window);
- ``accounts/`` (OAuth 2.0 sign-in and tokens) stands beside ``system/``: it imports nothing of
  ``receive/``, ``route/``, ``store/`` or ``deliver/`` (delivery asks it for a token, not the other
  way round), and the OAuth client (``authlib``, ``requests``) is imported only there, but for
  ``requests`` in the ways out of ``deliver/couriers/`` (Microsoft Graph's sendMail is HTTP);
- pywin32 (``win32*``, ``servicemanager``, ``pywintypes``, ``winerror`` …) is imported only by
  ``app.service.windows`` (the Windows service) and ``app.control.windows`` (the control channel's
  named pipe), which are imported on Windows only: the rest of their logic is plain Python, run and
  tested everywhere; and for the one call that writes an event (``win32evtlogutil``), by
  ``app.alerts.channels`` on Windows (an alert in the Event Log: importing app.service.windows there
  would close a circle through app.headless and the gateway);
- ``history/`` (the message history) is told by ``receive/`` and ``deliver/`` what happened: it
  imports nothing of ``receive/``, ``route/`` or ``deliver/``;
- a module of ``app/gui`` other than its two doors imports from the engine only the settings
  model (``app.settings``, and of it only what it defines itself, not what it imports: a name
  defined in any module of the ``app/settings/`` package counts, whichever of them it is taken
  from) and the values of ``app.mail`` and ``app.problems``.  The window's doors are its controller
  (its own gateway) and ``app.gui.console`` (the console of a gateway that runs elsewhere, reached
  through the control channel); the console does not import ``app.gateway``: it never runs one.

Dynamic imports (``importlib.import_module``) are not seen; Tenso has none.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOORS = {"app.headless", "app.gui.controller", "app.cli.queue"}
GUI_DOORS = {"app.gui.controller", "app.gui.console"}  # the window's ways into the engine
STARTS_WINDOW = "app.cli.run"
GUI_MAY_IMPORT = ("app.gui", "app.settings", "app.mail", "app.problems")
QT = ("PySide6", "qasync")
ACCOUNTS_MAY_NOT = ("app.receive", "app.route", "app.store", "app.deliver")
HISTORY_MAY_NOT = ("app.receive", "app.route", "app.deliver")
OAUTH_CLIENT = ("authlib", "requests")
HTTP_CLIENT = {"requests": "app.deliver.couriers"}  # the one HTTP client outside accounts/: for the ways out
PYWIN32 = ("pywintypes", "winerror", "servicemanager", "pythoncom")  # and every win32* module
PYWIN32_USERS = ("app.service.windows", "app.control.windows")  # the Windows-only modules
PYWIN32_ALSO = {"app.alerts.channels": ("win32evtlogutil",)}  # an alert's event, written on Windows only


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def defined_names(path: Path) -> set[str]:
    """What a module defines itself at its top level (classes, functions, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def model_names(root: Path) -> set[str]:
    """What the settings model defines itself: the top-level names of app/settings.py, or of every
    module of the app/settings/ package (and the names of those modules)."""
    package = root / "app" / "settings"
    files = [root / "app" / "settings.py", *sorted(package.rglob("*.py"))]
    names = {p.stem for p in files[1:] if p.stem != "__init__"}
    for path in files:
        if path.exists():
            names |= defined_names(path)
    return names


def names_from(path: Path, module: str) -> set[str]:
    """The names ``path`` takes with ``from <module> import ...`` or from a module inside it."""
    return {
        alias.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if isinstance(node, ast.ImportFrom) and node.module and in_part(node.module, module)
        for alias in node.names
    }


def imports(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The app modules (and top-level third-party packages) ``path`` imports."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per dot after the first
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in modules else base)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def in_part(module: str, part: str) -> bool:
    return module == part or module.startswith(part + ".")


def problems(root: Path = ROOT) -> list[str]:
    """What breaks the rules in ``root``/app (the repository's own by default)."""
    paths = sorted((root / "app").rglob("*.py"))
    modules = {module_name(p, root) for p in paths}
    raw = {module_name(p, root): imports(p, root, modules) for p in paths}
    # A package's __init__ is imported with each of its modules; it is not an edge of the design.
    graph = {m: {i for i in found if i in modules and i != m and not m.startswith(i + ".")} for m, found in raw.items()}
    found = [f"import circle: {' -> '.join(c)}" for c in cycles(graph)]
    model = model_names(root)
    for module, targets in sorted(raw.items()):
        gui = in_part(module, "app.gui")
        path = next(p for p in paths if module_name(p, root) == module)
        if gui and module not in GUI_DOORS:
            for name in sorted(names_from(path, "app.settings") - model):
                found.append(
                    f"{module} takes {name} from app.settings, which only imports it: "
                    "the window reaches the engine through app.gui.controller"
                )
        for target in sorted(targets):
            if target == "app.gateway" and module not in DOORS and (not gui or module in GUI_DOORS - DOORS):
                found.append(f"{module} imports app.gateway: only {', '.join(sorted(DOORS))} may")
            if target.split(".")[0] in QT and not gui:
                found.append(f"{module} imports {target}: the engine runs without Qt")
            if in_part(target, "app.gui") and not gui and module != STARTS_WINDOW:
                found.append(f"{module} imports {target}: the engine runs without the window")
            if in_part(module, "app.accounts") and any(in_part(target, part) for part in ACCOUNTS_MAY_NOT):
                found.append(f"{module} imports {target}: accounts/ serves delivery, it does not use it")
            if in_part(module, "app.history") and any(in_part(target, part) for part in HISTORY_MAY_NOT):
                found.append(f"{module} imports {target}: history/ is told what happened, it does not ask")
            top = target.split(".")[0]
            http = HTTP_CLIENT.get(top)
            if top in OAUTH_CLIENT and not in_part(module, "app.accounts") and not (http and in_part(module, http)):
                also = f" and {HTTP_CLIENT[top]}" if top in HTTP_CLIENT else ""
                found.append(f"{module} imports {target}: the OAuth 2.0 client is used only in app/accounts{also}")
            if (
                (top.startswith("win32") or top in PYWIN32)
                and module not in PYWIN32_USERS
                and top not in PYWIN32_ALSO.get(module, ())
            ):
                users = " and ".join(PYWIN32_USERS)
                found.append(f"{module} imports {target}: pywin32 is used only in {users} (Windows only)")
            for a, b in (("app.receive", "app.deliver"), ("app.deliver", "app.receive")):
                if in_part(module, a) and in_part(target, b):
                    found.append(f"{module} imports {target}: {a[4:]}/ and {b[4:]}/ meet in store/ and the gateway")
            if (
                gui
                and module not in GUI_DOORS
                and target.startswith("app")
                and target in modules
                and not any(in_part(target, allowed) for allowed in GUI_MAY_IMPORT)
                and target != "app"
            ):
                found.append(f"{module} imports {target}: the window reaches the engine through app.gui.controller")
    return found


def main() -> int:
    found = problems(Path(sys.argv[1]) if sys.argv[1:] else ROOT)
    for line in found:
        print(line)
    print(f"tools/check_imports.py: {len(found)} problem(s) in the shape of app/", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
