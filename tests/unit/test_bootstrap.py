"""tools/bootstrap.py: when it creates and installs, what it runs, what it advises.

No network and no real venv: a venv here is a folder with an empty interpreter file, and the
commands bootstrap.py would run go to a recording stand-in.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO


def _bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", REPO / "tools" / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _bootstrap()


class Runner:
    """Records each command; `python -m venv` makes the interpreter file, as the real one would."""

    def __init__(self, returncode: int = 0, venv_output: str = ""):
        self.commands: list[list[str]] = []
        self.returncode = returncode
        self.venv_output = venv_output

    def __call__(self, command, **kwargs):
        self.commands.append([str(c) for c in command])
        if command[1:3] == ["-m", "venv"] and self.returncode == 0:
            python = bootstrap.venv_python(Path(command[3]))
            python.parent.mkdir(parents=True)
            python.touch()
        return subprocess.CompletedProcess(command, self.returncode, stdout=self.venv_output)

    def pip_installs(self) -> list[str]:
        return [Path(c[-1]).name for c in self.commands if c[1:4] == ["-m", "pip", "install"]]


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / "requirements.txt").write_text("aiosmtpd==1.4.6\n", encoding="utf-8")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.2.0\n", encoding="utf-8")
    return tmp_path


def test_the_interpreter_is_where_each_system_puts_it():
    venv = Path("repo") / ".venv"
    assert bootstrap.venv_python(venv, "win32") == venv / "Scripts" / "python.exe"
    assert bootstrap.venv_python(venv, "linux") == venv / "bin" / "python"
    assert bootstrap.venv_python(venv, "darwin") == venv / "bin" / "python"


def test_a_missing_venv_is_created_then_filled_and_stamped(checkout):
    venv, runner = checkout / ".venv", Runner()
    python = bootstrap.prepare(venv, checkout / "requirements.txt", runner)
    assert python == bootstrap.venv_python(venv)
    assert runner.commands[0] == [sys.executable, "-m", "venv", str(venv)]
    assert runner.commands[1][:3] == [str(python), "-m", "pip"]
    assert runner.pip_installs() == ["requirements.txt"]
    assert not bootstrap.needs_install(venv, checkout / "requirements.txt")


def test_nothing_is_installed_again_until_the_file_changes(checkout):
    venv = checkout / ".venv"
    bootstrap.prepare(venv, checkout / "requirements.txt", Runner())
    again = Runner()
    bootstrap.prepare(venv, checkout / "requirements.txt", again)
    assert again.commands == []

    (checkout / "requirements.txt").write_text("aiosmtpd==1.4.7\n", encoding="utf-8")
    assert bootstrap.needs_install(venv, checkout / "requirements.txt")
    bootstrap.prepare(venv, checkout / "requirements.txt", again)
    assert again.pip_installs() == ["requirements.txt"]


def test_the_dev_file_counts_what_it_includes(checkout):
    venv = checkout / ".venv"
    bootstrap.prepare(venv, checkout / "requirements-dev.txt", Runner())
    # requirements-dev.txt pulls in requirements.txt, so `run` after `test` installs nothing...
    assert not bootstrap.needs_install(venv, checkout / "requirements.txt")
    # ...and a change to requirements.txt alone makes `test` install again.
    (checkout / "requirements.txt").write_text("aiosmtpd==1.4.7\n", encoding="utf-8")
    assert bootstrap.needs_install(venv, checkout / "requirements-dev.txt")


def test_a_failed_install_is_not_stamped_and_says_what_to_do(checkout):
    venv = checkout / ".venv"
    bootstrap.venv_python(venv).parent.mkdir(parents=True)
    bootstrap.venv_python(venv).touch()
    with pytest.raises(bootstrap.BootstrapError, match="internet connection.*delete the .venv folder"):
        bootstrap.prepare(venv, checkout / "requirements-dev.txt", Runner(returncode=1))
    assert bootstrap.needs_install(venv, checkout / "requirements-dev.txt")


def test_a_venv_that_cannot_be_made_is_removed_and_debian_is_told_the_package(checkout):
    venv = checkout / ".venv"
    output = "The virtual environment was not created successfully because ensurepip is not available."
    with pytest.raises(bootstrap.BootstrapError) as failure:
        bootstrap.prepare(venv, checkout / "requirements.txt", Runner(returncode=1, venv_output=output))
    assert not venv.exists()
    if sys.platform.startswith("linux"):
        assert "sudo apt install python3-venv" in str(failure.value)
    assert "sudo apt install python3-venv" in bootstrap.venv_advice(output, "linux", (3, 11))
    assert "python3.11-venv" in bootstrap.venv_advice(output, "linux", (3, 11))
    assert "python.org" in bootstrap.venv_advice("", "win32")


def test_a_venv_without_its_interpreter_is_named_not_deleted(checkout):
    venv = checkout / ".venv"
    (venv / "Scripts").mkdir(parents=True)  # e.g. copied from Windows to Linux
    with pytest.raises(bootstrap.BootstrapError, match="delete the .venv folder"):
        bootstrap.prepare(venv, checkout / "requirements.txt", Runner())
    assert (venv / "Scripts").is_dir()


def test_includes_in_each_of_pips_spellings_are_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("x==1\n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("-r ../a.txt\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("y==2  # -r not-a-file.txt\n", encoding="utf-8")
    top = tmp_path / "top.txt"
    top.write_text("--requirement=sub/b.txt\n-cc.txt\n# -r commented.txt\n-r top.txt\n", encoding="utf-8")
    found = bootstrap.included_files(top)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["top.txt", "sub/b.txt", "sub/../a.txt", "c.txt"]


def test_a_missing_file_still_hashes_and_differs_from_an_empty_one(tmp_path):
    missing = bootstrap.requirements_hash(tmp_path / "requirements.txt")
    (tmp_path / "requirements.txt").write_text("", encoding="utf-8")
    assert bootstrap.requirements_hash(tmp_path / "requirements.txt") != missing


def test_the_repositorys_dev_requirements_include_the_runtime_ones():
    names = [p.name for p in bootstrap.included_files(REPO / "requirements-dev.txt")]
    assert names == ["requirements-dev.txt", "requirements.txt"]


def test_run_finds_the_app_package_from_any_folder():
    env = bootstrap.child_environment({"PYTHONPATH": "/elsewhere"}, root=Path("/repo"))
    assert env["PYTHONPATH"].split(bootstrap.os.pathsep) == [str(Path("/repo")), "/elsewhere"]
    assert bootstrap.child_environment(env, root=Path("/repo")) == env


def test_too_old_a_python_is_told_which_to_use():
    assert bootstrap.version_advice((3, 11, 2)) is None
    assert "py -3.11" in bootstrap.version_advice((3, 10, 12), "win32")
    assert "python3.11" in bootstrap.version_advice((3, 9, 0), "linux")


def test_no_command_prints_the_usage(capsys):
    assert bootstrap.main([]) == 2
    assert bootstrap.main(["--help"]) == 0
    assert "tools/bootstrap.py test" in capsys.readouterr().err


def test_test_runs_pytest_in_two_workers_per_core_and_the_arguments_given_come_after(monkeypatch):
    ran = []
    monkeypatch.setattr(bootstrap, "prepare", lambda venv, requirements: Path("/venv/bin/python"))
    monkeypatch.setattr(bootstrap, "execute", lambda command, cwd, env: ran.append((command, cwd)) or 0)
    monkeypatch.setattr(bootstrap.os, "cpu_count", lambda: 2)
    assert bootstrap.main(["test", "-n", "0", "tests/unit"]) == 0
    assert bootstrap.main(["run", "--headless"]) == 0
    python = str(Path("/venv/bin/python"))
    assert ran == [
        ([python, "-m", "pytest", "-n", "4", "--dist", "loadgroup", "-n", "0", "tests/unit"], bootstrap.ROOT),
        ([python, "-m", "app", "--headless"], None),
    ]
    assert bootstrap.pytest_options(None) == ["-n", "2", "--dist", "loadgroup"]
    assert bootstrap.pytest_options(64)[:2] == ["-n", str(bootstrap.MAX_TEST_WORKERS)]


def test_a_later_n_given_to_pytest_overrides_the_workers_bootstrap_chose(tmp_path):
    (tmp_path / "test_where.py").write_text(
        "import os\n\ndef test_where():\n    assert 'PYTEST_XDIST_WORKER' not in os.environ\n", encoding="utf-8"
    )
    options = bootstrap.pytest_options(2)
    command = [sys.executable, "-m", "pytest", *options, "-n", "0", "-p", "no:cacheprovider", "-q", "test_where.py"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}  # when this runs in a worker
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stdout + result.stderr  # run in this one process, no worker
