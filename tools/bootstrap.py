"""Run Tenso, or its tests, from a source checkout on a machine with nothing but Python 3.11+.

    python3 tools/bootstrap.py run [ARGS...]          # Windows: py tools\\bootstrap.py run [ARGS...]
    python3 tools/bootstrap.py test [PYTEST_ARGS...]  # Windows: py tools\\bootstrap.py test [PYTEST_ARGS...]

Creates the virtual environment ``.venv`` next to ``app/`` when it is missing (the standard
``venv`` module, with pip), installs ``requirements.txt`` (``run``) or ``requirements-dev.txt``
(``test``) into it when that file -- or a file it includes with ``-r`` -- changed since the last
install, then runs ``python -m app ARGS...`` or ``python -m pytest ARGS...`` with the
environment's own Python and passes its exit status on.  The hashes of the installed files are
kept in ``.venv/tenso-bootstrap.json``; deleting ``.venv`` starts afresh.

``run`` keeps the folder you are in (a relative ``--config`` is yours); ``test`` runs in the
repository's folder, so pytest finds its settings in pyproject.toml and paths such as
``tests/unit`` are the repository's.  ``test`` runs the tests side by side in worker processes
(pytest-xdist, ``-n`` two per CPU core, at most 8; the tests that may not share a worker's
neighbours are grouped with ``xdist_group``); ``test -n 0`` runs them one after another in one
process, ``test -n 2`` in two.

Standard library only: this file runs before anything is installed.  Progress and advice go to
stderr; the program's own output is untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = "tenso-bootstrap.json"
MINIMUM = (3, 11)
INCLUDES = ("-r", "--requirement", "-c", "--constraint")

COMMANDS = {
    # command: (requirements file, what runs: python -m MODULE, runs in the repository's folder)
    "run": ("requirements.txt", "app", False),
    "test": ("requirements-dev.txt", "pytest", True),
}

# Most of the tests' time is spent waiting (on sockets, child processes, timers), so two workers per
# core keep the cores busy; each worker is a whole Python with Qt loaded, hence the cap.
# --dist loadgroup: the tests marked with one xdist_group run in one worker, one after another.
MAX_TEST_WORKERS = 8


def pytest_options(cpus: int | None) -> list[str]:
    """What ``test`` puts before the arguments given to it (a later ``-n`` overrides)."""
    workers = min(MAX_TEST_WORKERS, 2 * (cpus or 1))
    return ["-n", str(workers), "--dist", "loadgroup"]


USAGE = """\
usage: python3 tools/bootstrap.py run [ARGS...]          Tenso itself (python -m app ARGS...)
       python3 tools/bootstrap.py test [PYTEST_ARGS...]  the tests (python -m pytest -n N PYTEST_ARGS...;
                                                         -n 0: one by one)
On Windows: py tools\\bootstrap.py run  (or test).
The first time creates .venv and installs the requirements into it (a few minutes)."""


class BootstrapError(Exception):
    """Something went wrong; the message says what to do next."""


def say(text: str) -> None:
    print(f"bootstrap: {text}", file=sys.stderr, flush=True)


# --- where things are ---------------------------------------------------------------------------


def venv_python(venv: Path, platform: str = sys.platform) -> Path:
    """The environment's interpreter: Scripts\\python.exe on Windows, bin/python elsewhere."""
    if platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _included(line: str) -> str | None:
    """The file a requirements line pulls in (-r/-c, in each of pip's spellings), else None."""
    words = re.sub(r"(^|\s)#.*", "", line).split()  # pip's comments: a # at the start or after a space
    if not words:
        return None
    first, rest = words[0], words[1:]
    if first in INCLUDES:
        return rest[0] if rest else None
    for flag in INCLUDES:
        if flag.startswith("--") and first.startswith(flag + "="):
            return first[len(flag) + 1 :]
        if not flag.startswith("--") and first.startswith(flag):
            return first[len(flag) :]  # -rother.txt
    return None


def included_files(requirements: Path) -> list[Path]:
    """The file and, depth first, every file it pulls in (relative to the including file, as pip reads them)."""
    found: list[Path] = []

    def visit(path: Path) -> None:
        if path in found:
            return
        found.append(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return  # hashed as missing; pip will name the problem
        for line in lines:
            name = _included(line)
            if name:
                visit(path.parent / name)

    visit(requirements)
    return found


def requirements_hash(requirements: Path) -> str:
    """One hash over the file and everything it includes: a change in any of them is a change."""
    digest = hashlib.sha256()
    for path in included_files(requirements):
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()


# --- the stamp: what was installed last -----------------------------------------------------------


def read_stamp(venv: Path) -> dict[str, str]:
    try:
        data = json.loads((venv / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def needs_install(venv: Path, requirements: Path) -> bool:
    """True unless this very content of the file (and its includes) was installed into venv."""
    return read_stamp(venv).get(requirements.name) != requirements_hash(requirements)


def write_stamp(venv: Path, requirements: Path) -> None:
    """After a successful install: the file and each file it includes count as installed."""
    stamp = read_stamp(venv)
    for path in included_files(requirements):
        if path.exists():
            stamp[path.name] = requirements_hash(path)
    tmp = venv / (STAMP + ".tmp")
    tmp.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, venv / STAMP)


# --- advice ---------------------------------------------------------------------------------------


def venv_advice(output: str, platform: str = sys.platform, version: tuple[int, int] = MINIMUM) -> str:
    """What to do when `python -m venv` failed, from what it printed."""
    if platform.startswith("linux") and ("ensurepip" in output or "No module named venv" in output):
        return (
            "this Python has no venv module with pip. On Debian or Ubuntu install it with:\n"
            f"    sudo apt install python3-venv      (for this Python: python{version[0]}.{version[1]}-venv)\n"
            "then run this command again."
        )
    if platform == "win32":
        return (
            "could not create .venv (see the message above). Use Python 3.11 or newer from python.org "
            "(its installer includes venv and pip), then run this command again."
        )
    return (
        "could not create .venv (see the message above). This Python needs its venv module with pip "
        "(python.org's installers and Homebrew include both); then run this command again."
    )


def pip_advice(requirements: str) -> str:
    return (
        f"pip could not install {requirements} (see its message above). Check the internet connection "
        "(behind a proxy: set HTTPS_PROXY=http://proxy:port), then run this command again. "
        "To start afresh, delete the .venv folder."
    )


def version_advice(version: tuple[int, ...], platform: str = sys.platform) -> str | None:
    if tuple(version[:2]) >= MINIMUM:
        return None
    found = ".".join(str(v) for v in version[:3])
    again = "py -3.11 tools\\bootstrap.py ..." if platform == "win32" else "python3.11 tools/bootstrap.py ..."
    return f"Tenso needs Python 3.11 or newer; this is {found}. Install a newer one and run: {again}"


# --- doing it -------------------------------------------------------------------------------------


def create_venv(venv: Path, runner=subprocess.run) -> None:
    say(f"creating {venv.name} ...")
    result = runner(
        [sys.executable, "-m", "venv", str(venv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0 or not venv_python(venv).exists():
        output = result.stdout or ""
        if output:
            print(output.rstrip(), file=sys.stderr)
        _remove_half_made(venv)
        raise BootstrapError(venv_advice(output, version=sys.version_info[:2]))


def _remove_half_made(venv: Path) -> None:
    """A venv that failed half-way (Debian without python3-venv leaves one with no pip) would
    stop the next attempt; it is ours, made a moment ago, so it goes."""
    import shutil

    shutil.rmtree(venv, ignore_errors=True)


def install(venv: Path, requirements: Path, runner=subprocess.run) -> None:
    first = requirements.name not in read_stamp(venv)
    why = "first time: a few minutes" if first else "it changed since the last install"
    say(f"installing {requirements.name} ({why}) ...")
    start = time.monotonic()
    python = venv_python(venv)
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", str(requirements)]
    if runner(command).returncode != 0:
        raise BootstrapError(pip_advice(requirements.name))
    write_stamp(venv, requirements)
    say(f"installed {requirements.name} in {time.monotonic() - start:.0f} s")


def prepare(venv: Path, requirements: Path, runner=subprocess.run) -> Path:
    """The environment's Python, with the requirements installed: made or brought up to date."""
    python = venv_python(venv)
    if not venv.exists():
        create_venv(venv, runner)
    elif not python.exists():
        raise BootstrapError(
            f"{venv} exists but holds no {python.relative_to(venv)} (made by another system, or broken): "
            "delete the .venv folder, then run this command again."
        )
    if needs_install(venv, requirements):
        install(venv, requirements, runner)
    return python


def child_environment(environ: dict[str, str], root: Path = ROOT) -> dict[str, str]:
    """`python -m app` from any folder: the repository first on PYTHONPATH (its worker
    processes inherit it)."""
    env = dict(environ)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(root) not in paths:
        env["PYTHONPATH"] = os.pathsep.join([str(root), *paths])
    return env


def execute(command: list[str], cwd: Path | None, env: dict[str, str]) -> int:
    """Becomes the command where the system can (signals then reach it directly), else waits for it."""
    if cwd is not None:
        os.chdir(cwd)
    if sys.platform != "win32":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(command[0], command, env)  # does not return
    # Windows has no real exec: run it as a child; Ctrl+C reaches both, and the child decides.
    proc = subprocess.Popen(command, env=env)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    problem = version_advice(sys.version_info)
    if problem:
        say(problem)
        return 1
    requirements_name, module, in_repository = COMMANDS[args[0]]
    try:
        python = prepare(VENV, ROOT / requirements_name)
    except BootstrapError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        say("interrupted; run the same command again to finish")
        return 130
    options = pytest_options(os.cpu_count()) if module == "pytest" else []
    command = [str(python), "-m", module, *options, *args[1:]]
    if in_repository:
        return execute(command, ROOT, dict(os.environ))
    return execute(command, None, child_environment(dict(os.environ)))


if __name__ == "__main__":
    sys.exit(main())
