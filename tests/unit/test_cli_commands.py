"""The command line's registrations (app/cli/): each command says itself whether a ``--config``
file that is not there stops it, and every command but ``password``, ``service`` and ``explain``
takes the one ``--config`` (``service`` has its own: the service's settings, or those to move)."""

from __future__ import annotations

import contextlib
import io

import pytest

from app import cli


def run(*argv: str) -> tuple[int, str]:
    """``python -m app ARGV`` in this process: the exit code and what went to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["route", "someone@example.com"],
        ["queue", "list"],
        ["reload"],
        ["status"],
        ["history"],
        ["account", "status"],
        ["certificate", "show"],
    ],
)
def test_a_command_that_only_reads_the_named_file_stops_with_exit_2_when_it_is_not_there(tmp_path, argv):
    typo = tmp_path / "settngs.json"
    code, err = run(*argv, "--config", str(typo))
    assert code == 2, err
    assert err.startswith(f"{typo}: no such settings file; check the --config path"), err


def test_the_commands_that_make_the_file_or_say_so_themselves_go_on(tmp_path):
    typo = tmp_path / "settngs.json"
    assert run("check", "--config", str(typo)) == (1, f"{typo}: no such file\n")
    code, err = run("import-forward", "--config", str(typo), "u1@example.jp", str(tmp_path / "forward.txt"))
    assert (code, err) == (1, "u1@example.jp is not a local user; add it to local_users first\n")
    code, err = run("--config", str(typo), "password", "delete", "common")  # not password's --config
    assert (code, err) == (0, "")
    assert not typo.exists()


def test_every_command_but_service_and_explain_takes_config_and_says_whether_its_file_must_exist():
    """password takes it too: the secret goes to the gateway running on the settings' queue."""
    names = [c.name for c in cli.COMMANDS]
    assert names == [
        "route",
        "check",
        "password",
        "queue",
        "reload",
        "status",
        "service",
        "history",
        "account",
        "certificate",
        "import-forward",
        "explain",
    ]
    assert [c.name for c in cli.COMMANDS if not c.takes_config] == ["service", "explain"]
    parser = cli.build_parser()
    for command in cli.COMMANDS:
        args = ["--config", "x.json"] if command.takes_config else []
        help_text = io.StringIO()
        with contextlib.redirect_stdout(help_text), pytest.raises(SystemExit):
            parser.parse_args([command.name, *args, "--help"])
        assert ("--config CONFIG" in help_text.getvalue()) == command.takes_config, command.name
        if command.name == "service":  # its own --config: the service's settings, or those to move
            assert "--config FILE" in help_text.getvalue()
    show, create = (parser.parse_args(["certificate", action]) for action in ("show", "create"))
    certificate = next(c for c in cli.COMMANDS if c.name == "certificate")
    assert certificate.must_exist(show) and not certificate.must_exist(create)
