"""The commands Tenso suggests carry the ``--config`` the gateway runs with (app/suggest.py), so
that typed as shown they act on the same settings file."""

from __future__ import annotations

from app import cli, suggest
from app import settings as settings_mod
from app.accounts import service
from app.store.spool import Spool
from app.system import paths


def test_a_command_for_a_file_that_is_not_the_default_names_it_quoted_when_it_has_spaces(tmp_path):
    office = tmp_path / "Tenso Office" / "settings.json"
    assert suggest.command(office, "queue resume") == f'python -m app queue resume --config "{office}"'
    plain = tmp_path / "settings.json"
    assert suggest.command(str(plain), "reload") == f"python -m app reload --config {plain}"
    settings = settings_mod.from_dict({}, source=office)
    assert suggest.command(settings, "account login m365").endswith(f'login m365 --config "{office}"')


def test_the_default_file_and_the_commands_without_config_are_left_as_they_are(tmp_path):
    assert suggest.command(paths.default_config_path(), "queue resume") == "python -m app queue resume"
    assert suggest.command(None, "reload") == "python -m app reload"
    assert suggest.command(tmp_path / "s.json", "explain 535") == "python -m app explain 535"


def test_password_set_carries_the_config_it_finds_the_running_gateway_by(tmp_path):
    """The secret goes to the gateway on the settings' queue (its own keyring): the same file."""
    assert suggest.command(tmp_path / "s.json", "password set account:m365") == (
        f"python -m app password set account:m365 --config {tmp_path / 's.json'}"
    )


def test_queue_list_suggests_queue_resume_with_the_config(tmp_path, capsys):
    config = tmp_path / "my settings.json"
    settings_mod.save(settings_mod.from_dict({"queue": {"dir": str(tmp_path / "queue")}}, source=config), config)
    Spool(tmp_path / "queue").set_paused(True)
    assert cli.main(["queue", "list", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith(f'delivery is PAUSED (python -m app queue resume --config "{config}")')


def test_the_sign_in_hint_of_the_engine_names_the_settings_file(tmp_path):
    settings = settings_mod.from_dict({}, source=tmp_path / "office.json")
    hint = service.sign_in_hint("m365", settings)
    assert hint.endswith(f"run: python -m app account login m365 --config {tmp_path / 'office.json'}")
