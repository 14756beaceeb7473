"""The window's "test login" button is engine code (offline.check_login): against a real server."""

from __future__ import annotations

from app import offline
from app.system import passwords
from tests.support.gateway import make_settings, rule


def _settings(tmp_path, port: int, **sections):
    return make_settings(tmp_path, rules=[rule(port)], **sections)


def test_login_check_logs_in_with_the_common_account(tmp_path, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "isp-secret"})
    passwords.set("common", "isp-secret")
    settings = _settings(tmp_path, up.port, auth_accounts={"common": {"username": "isp-id"}})
    report = offline.check_login(settings, 0, "common")
    assert report.error is None, report
    assert report.username == "isp-id"
    assert "CRAM-MD5" in report.offered
    assert up.handler.auth_attempts[-1] == ("CRAM-MD5", "isp-id", True)
    assert up.messages == [], "a test login sends no mail"


def test_login_check_gives_the_servers_refusal_for_a_wrong_password(tmp_path, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "right"})
    passwords.set("common", "wrong")
    settings = _settings(tmp_path, up.port, auth_accounts={"common": {"username": "isp-id"}})
    report = offline.check_login(settings, 0, "common")
    assert report.error is not None and "refused: 535" in report.error, report
    assert report.username is None


def test_login_check_without_an_account_says_what_the_server_offers(tmp_path, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "pw"}, mechanisms=("LOGIN",))
    settings = _settings(tmp_path, up.port)
    report = offline.check_login(settings, 0, "")
    assert report.error is None and report.username is None
    offered = report.offered.split()
    assert "LOGIN" in offered and "CRAM-MD5" not in offered, offered
    assert report.encrypted is False


def test_a_missing_password_says_where_to_set_it_in_the_window_and_on_the_command_line(tmp_path, upstream_factory):
    up = upstream_factory(accounts={"isp-id": "pw"})
    passwords.delete("common")
    settings = _settings(tmp_path, up.port, auth_accounts={"common": {"username": "isp-id"}})
    report = offline.check_login(settings, 0, "common")
    assert report.error == (
        "no password stored for common: save it in the window (Auth accounts) or run: "
        f"python -m app password set common --config {settings.source}"
    )
