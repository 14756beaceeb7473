"""The settings file: `python -m app check` as scripts use it, and save/load as the window uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import offline
from app import settings as settings_mod
from tests.support import REPO
from tests.support.processes import check


def write(tmp_path: Path, data, name: str = "settings.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


def problem_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The per-problem lines `check` prints (after its one heading line)."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return [
        line for line in lines if not line.endswith("the settings have problems:") and not line.startswith("warning: ")
    ]


def assert_problems(result: subprocess.CompletedProcess, expected: list[tuple[str, str]]) -> None:
    """Exit 1 and exactly one line per expected problem, each naming its field first."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = problem_lines(result)
    assert len(lines) == len(expected), lines
    for field, text in expected:
        hits = [line for line in lines if line.startswith(f"{field}: ") and text in line]
        assert len(hits) == 1, (field, text, lines)


VALID = {
    "version": 1,
    "server": {"hostname": "gateway.example.jp", "listen": ["0.0.0.0:25", "[::]:587"], "max_recipients": 50},
    "local_domains": ["example.jp"],
    "local_users": [{"address": "user1@example.jp", "forward": ["someone@example.net,NONE"]}],
    "rules": [
        {"match": "user1@example.jp", "destination": "192.168.11.10", "account": "none"},
        {
            "match": "@example.jp",
            "destination": "mail1.akisoftware.jp",
            "port": 25,
            "conversion_host": "",
            "tls": "opportunistic",
            "account": "none",
        },
        {"match": "@*.example.jp", "destination": "2001:db8::25", "port": 2525, "tls": "required", "account": "none"},
        {"match": "@example.com", "destination": "MTA"},
        {"match": "*", "destination": "smtp.isp.example", "port": 465, "tls": "implicit"},
    ],
    "options": {
        "skip_local": True,
        "relay_for_rule_matches": True,
        "check_local_users": False,
        "max_forward_count": 20,
        "relay_networks": [
            "192.168.1.10",
            "192.168.0.0/16",
            "192.168.*.*",
            "192.168.1.10-192.168.1.50",
            "::1",
            "2001:db8::/32",
        ],
        "relay_when_authenticated": False,
    },
    "auth_accounts": {
        "common": {"username": "isp-id"},
        "per_user": [{"local_user": "user1@example.jp", "username": "id1"}],
    },
    "queue": {"dir": "queue", "retry_minutes": [1, 5], "max_age_hours": 48},
    "mailbox_dir": "mail",
    "backup": {"enabled": True, "dir": "backup", "keep_days": 7},
}


# --- python -m app check -------------------------------------------------------------------------


def test_check_accepts_a_valid_file_with_exit_0(tmp_path):
    from app.system import passwords

    passwords.set("common", "isp-pw")  # stored, so check has nothing to warn about
    passwords.set("user:user1@example.jp", "user1-pw")
    result = check(write(tmp_path, VALID))
    assert result.returncode == 0, result.stderr
    assert "OK (5 rules, 1 local users)" in result.stdout
    assert result.stderr == ""


def test_an_empty_object_is_valid_because_every_key_has_a_default(tmp_path):
    settings = settings_mod.load(write(tmp_path, {}))
    assert settings == settings_mod.Settings(server=settings.server)  # hostname defaults to this machine
    assert settings.server.listen == ["0.0.0.0:25"] and settings.server.max_recipients == 100


def test_a_file_saved_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(VALID, ensure_ascii=False).encode())
    assert settings_mod.load(path) == settings_mod.from_dict(VALID)


def test_check_names_each_bad_field_on_its_own_line(tmp_path):
    data = {
        "rules": [
            {"match": "@example.jp", "destination": "mail1"},
            {"match": "example.jp", "destination": "mail2"},
            {"match": "*", "destination": "mail3", "port": 70000, "tls": "always"},
            {"match": "@example.com", "destination": "bad host!"},
            {"match": "@example.org", "destination": "mail4", "conversion_host": "not a domain"},
        ],
        "server": {"listen": ["0.0.0.0:25", "nowhere"], "max_recipients": 0, "max_message_bytes": 10},
        "options": {"relay_networks": ["10.0.0.0/8", "192.168.*.1"], "max_forward_count": 0},
        "local_domains": ["example.jp", "-bad-.jp"],
        "local_users": [{"address": "not-an-address"}],
        "queue": {"retry_minutes": [5, 0]},
    }
    assert_problems(
        check(write(tmp_path, data)),
        [
            ("rules[1].match", "must be *, @domain, @*.domain or an address"),
            ("rules[2].port", "must be 1-65535"),
            ("rules[2].tls", "must be one of none, opportunistic, required, implicit"),
            ("rules[3].destination", "must be a host name, an IP address, MTA or GRAPH"),
            ("rules[4].conversion_host", "must be a domain name"),
            ("server.listen[1]", "must be address:port"),
            ("server.max_recipients", "must be greater than 0"),
            ("server.max_message_bytes", "must be at least 1024"),
            ("options.relay_networks[1]", "a * may only be followed by more *"),
            ("options.max_forward_count", "must be greater than 0"),
            ("local_domains[1]", "must be a domain name"),
            ("local_users[0].address", "must be an address"),
            ("queue.retry_minutes[1]", "must be greater than 0"),
        ],
    )


def problems_of(data) -> list[str]:
    with pytest.raises(settings_mod.SettingsError) as caught:
        settings_mod.from_dict(data)
    return caught.value.problems


def test_rule_problems_also_give_the_grid_row_number():
    data = {
        "rules": [
            {"match": "*", "destination": "a"},
            {"match": "*", "destination": "b"},
            {"match": "*", "destination": "c", "port": 0},
        ]
    }
    assert problems_of(data) == ["rules[2].port: must be 1-65535 (rule No. 3)"]


@pytest.mark.parametrize(
    "section, name, low, high",
    [
        (settings_mod.Rule, "port", 1, 65535),
        (settings_mod.Delivery, "mx_port", 1, 65535),
        (settings_mod.Server, "processes", 1, 16),
        (settings_mod.Server, "max_message_bytes", 1024, None),
        (settings_mod.Server, "timeout_seconds", 1, None),
        (settings_mod.Server, "auth_failures_limit", 0, None),
        (settings_mod.Queue, "max_age_hours", 1, None),
        (settings_mod.Queue, "retry_minutes", 1, None),
        (settings_mod.Delivery, "delay_warning_hours", 0, None),
    ],
)
def test_a_fields_declared_range_is_both_its_check_and_what_the_window_offers(section, name, low, high):
    listed = name == "retry_minutes"

    def check(value: int) -> str | None:
        return settings_mod.check_field(section, name, [value] if listed else value)

    assert settings_mod.range_of(section, name) == (low, settings_mod.INT_MAX if high is None else high)
    assert check(low) is None and check(low - 1)
    if high is not None:
        assert check(high) is None and check(high + 1) == f"must be {low}-{high}"
    else:
        assert check(10**12) is None  # no upper limit of its own: only the window's box stops


def test_bare_newlines_is_normalize_by_default_and_takes_only_normalize_or_refuse():
    assert settings_mod.from_dict({}).server.bare_newlines == "normalize"
    assert settings_mod.from_dict({"server": {"bare_newlines": "refuse"}}).server.bare_newlines == "refuse"
    assert problems_of({"server": {"bare_newlines": "strip"}}) == [
        "server.bare_newlines: must be one of normalize, refuse"
    ]


def test_a_rule_or_user_missing_its_required_fields_is_reported():
    problems = problems_of({"rules": [{"port": 25}], "local_users": [{"forward": []}]})
    assert [p.split(":")[0] for p in problems] == ["rules[0].match", "rules[0].destination", "local_users[0].address"]
    assert all("is missing" in p for p in problems)


def test_check_reports_unknown_keys_at_top_level_and_nested(tmp_path):
    data = {
        "rulez": [],
        "server": {"hostname": "gw.example.jp", "lisen": ["0.0.0.0:25"]},
        "rules": [{"match": "*", "destination": "mail", "prot": 25}],
        "auth_accounts": {"common": {"username": "id", "password": "secret"}},
        "options": {"skip_locals": True},
    }
    assert_problems(
        check(write(tmp_path, data)),
        [
            ("rulez", "unknown setting"),
            ("server.lisen", "unknown setting"),
            ("rules[0].prot", "unknown setting"),
            ("auth_accounts.common.password", "unknown setting"),
            ("options.skip_locals", "unknown setting"),
        ],
    )


WRONG_TYPES = [
    ({"server": {"max_recipients": "100"}}, "server.max_recipients", "must be a whole number"),
    ({"server": {"max_recipients": True}}, "server.max_recipients", "must be a whole number"),
    ({"server": {"max_recipients": 10.5}}, "server.max_recipients", "must be a whole number"),
    ({"server": {"listen": "0.0.0.0:25"}}, "server.listen", "must be a list"),
    ({"server": ["0.0.0.0:25"]}, "server", "must be an object"),
    ({"options": {"skip_local": "yes"}}, "options.skip_local", "must be true or false"),
    ({"options": {"skip_local": 1}}, "options.skip_local", "must be true or false"),
    ({"options": {"relay_networks": ["127.0.0.1", 10]}}, "options.relay_networks[1]", "must be a string"),
    ({"rules": {"match": "*"}}, "rules", "must be a list"),
    ({"rules": ["* mail1"]}, "rules[0]", "must be an object"),
    ({"rules": [{"match": "*", "destination": "mail", "port": "25"}]}, "rules[0].port", "must be a whole number"),
    ({"rules": [{"match": None, "destination": "mail"}]}, "rules[0].match", "must be a string"),
    ({"queue": {"retry_minutes": [5, "10"]}}, "queue.retry_minutes[1]", "must be a whole number"),
    ({"mailbox_dir": 3}, "mailbox_dir", "must be a string"),
    ({"auth_accounts": {"common": "isp-id"}}, "auth_accounts.common", "must be an object"),
]


@pytest.mark.parametrize("data, field, text", WRONG_TYPES)
def test_load_reports_a_wrong_type_by_field(tmp_path, data, field, text):
    with pytest.raises(settings_mod.SettingsError) as caught:
        settings_mod.load(write(tmp_path, data))
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(f"{field}: ") and text in caught.value.problems[0]


def test_check_reports_wrong_types_by_field_one_line_each(tmp_path):
    data = {
        "server": {"max_recipients": "100", "auth_requires_tls": "no"},
        "options": {"skip_local": 1, "relay_networks": ["127.0.0.1", 10]},
        "rules": [{"match": "*", "destination": "mail", "port": "25"}, "* mail1"],
        "queue": ["dir"],
        "mailbox_dir": 3,
        "local_domains": "example.jp",
    }
    assert_problems(
        check(write(tmp_path, data)),
        [
            ("server.max_recipients", "must be a whole number"),
            ("server.auth_requires_tls", "must be true or false"),
            ("options.skip_local", "must be true or false"),
            ("options.relay_networks[1]", "must be a string"),
            ("rules[0].port", "must be a whole number"),
            ("rules[1]", "must be an object"),
            ("queue", "must be an object"),
            ("mailbox_dir", "must be a string"),
            ("local_domains", "must be a list"),
        ],
    )


def test_check_reports_cross_field_problems(tmp_path):
    data = {
        "version": 2,
        "server": {"listen": [], "tls_cert": "cert.pem"},
        "local_users": [{"address": "a@example.jp"}, {"address": "A@Example.jp"}],
        "auth_accounts": {"per_user": [{"local_user": "b@example.jp", "username": "idb"}]},
        "rules": [{"match": "@x.jp", "destination": "MTA", "conversion_host": "example.jp"}],
    }
    assert_problems(
        check(write(tmp_path, data)),
        [
            ("version", "must be 1"),
            ("server.listen", "at least one"),
            ("server.tls_key", "set together"),
            ("server.tls_cert", "file not found"),
            ("local_users[1].address", "listed twice"),
            ("auth_accounts.per_user[0].local_user", "is not a local user"),
            ("rules[0].conversion_host", "only a forwarding rule"),
        ],
    )


def test_check_reports_broken_json_with_line_and_column(tmp_path):
    path = write(tmp_path, '{\n  "version": 1,\n  "rules": [,]\n}\n')
    result = check(path)
    assert result.returncode == 1
    assert problem_lines(result) == [
        '(file): line 3, column 13: a value is expected here (a number, "text", true, false, null, { or [)',
        '"rules": [,]',
        "^",
    ]


def test_a_json_value_that_is_not_an_object_is_reported(tmp_path):
    with pytest.raises(settings_mod.SettingsError) as caught:
        settings_mod.load(write(tmp_path, "[1, 2]"))
    assert caught.value.problems == ["(file): must be a JSON object"]


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes('{"server": {"hostname": "転送"}}'.encode("shift_jis"))
    with pytest.raises(settings_mod.SettingsError) as caught:
        settings_mod.load(path)
    (line,) = caught.value.problems
    assert line.startswith("(file): ") and "not UTF-8" in line


def test_check_of_a_missing_file_fails_and_names_it(tmp_path):
    path = tmp_path / "nowhere" / "settings.json"
    result = check(path)
    assert result.returncode == 1
    assert str(path) in result.stderr and "no such file" in result.stderr
    assert not path.parent.exists()  # checking never creates anything


def test_check_warns_about_rules_hidden_by_a_row_above_but_still_exits_0(tmp_path):
    data = {
        "rules": [
            {"match": m, "destination": "x"}
            for m in ("@example.jp", "user@example.jp", "*", "@example.com", "user@example.net")
        ]
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 0, result.stderr
    assert "OK (5 rules" in result.stdout and "warning" not in result.stdout
    assert result.stderr.splitlines() == [
        "warning: rules[1].match: rule No. 2 (user@example.jp) can never match: "
        "rule No. 1 (@example.jp) above it catches all its mail",
        "warning: rules[3].match: rule No. 4 (@example.com) can never match: "
        "rule No. 3 (*) above it catches all its mail",
        "warning: rules[4].match: rule No. 5 (user@example.net) can never match: "
        "rule No. 3 (*) above it catches all its mail",
    ]


@pytest.mark.parametrize(
    "rules, warned",
    [
        ([("*", "mail2"), ("@example.jp", "mail1")], [(1, 0)]),
        ([("@example.jp", "mail1"), ("user@example.jp", "mail9")], [(1, 0)]),
        ([("*", "a"), ("@example.jp", "b"), ("*", "c")], [(1, 0), (2, 0)]),
        ([("@*.example.jp", "a"), ("@sub.example.jp", "b")], [(1, 0)]),
        ([("user@example.jp", "a"), ("@example.jp", "b")], []),
    ],
)
def test_warnings_name_the_hidden_row_and_the_row_that_hides_it(rules, warned):
    settings = settings_mod.from_dict({"rules": [{"match": m, "destination": d} for m, d in rules]})
    warnings = offline.warnings_for(settings)
    assert len(warnings) == len(warned), warnings
    for line, (hidden, hider) in zip(warnings, warned, strict=True):
        assert line.startswith(f"rules[{hidden}].match: rule No. {hidden + 1} ({rules[hidden][0]}) ")
        assert f"rule No. {hider + 1} ({rules[hider][0]})" in line


def test_check_does_not_warn_when_narrow_rows_come_first(tmp_path):
    data = {
        "rules": [
            {"match": m, "destination": "x"}
            for m in ("user@example.jp", "@sub.example.jp", "@example.jp", "@*.example.jp", "*")
        ]
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 0 and result.stderr == ""


# --- save and load ---------------------------------------------------------------------------


def test_save_then_load_gives_back_the_same_settings(tmp_path):
    original = settings_mod.from_dict(VALID)
    path = tmp_path / "conf" / "settings.json"
    settings_mod.save(original, path)
    loaded = settings_mod.load(path)
    assert loaded == original
    assert loaded.source == path
    assert settings_mod.to_dict(loaded) == settings_mod.to_dict(original)


def test_saved_file_is_readable_json_that_holds_no_password(tmp_path):
    path = tmp_path / "settings.json"
    settings_mod.save(settings_mod.from_dict(VALID), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["rules"][0]["match"] == "user1@example.jp"
    assert data["version"] == 1 and "source" not in data
    assert "password" not in path.read_text(encoding="utf-8")


def test_save_keeps_japanese_text_readable_in_the_file(tmp_path):
    user = {"address": "user1@example.jp", "forward": ["転送@例え.jp,NONE"]}
    settings = settings_mod.from_dict({"local_users": [user]})
    path = tmp_path / "settings.json"
    settings_mod.save(settings, path)
    assert "転送@例え.jp,NONE" in path.read_text(encoding="utf-8")
    assert settings_mod.load(path).local_users[0].forward == ["転送@例え.jp,NONE"]


def test_save_replaces_the_file_by_rename_leaving_no_temp_file(tmp_path):
    path = tmp_path / "settings.json"
    settings_mod.save(settings_mod.from_dict({"rules": [{"match": "*", "destination": "old"}]}), path)
    with open(path, encoding="utf-8") as reader:  # a reader that opened the old file ...
        settings_mod.save(settings_mod.from_dict({"rules": [{"match": "*", "destination": "new"}]}), path)
        old = json.loads(reader.read())
    assert old["rules"][0]["destination"] == "old"  # ... still sees the whole old file, not a half-written one
    assert settings_mod.load(path).rules[0].destination == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_save_that_cannot_replace_the_file_leaves_no_temp_file(tmp_path):
    path = tmp_path / "settings.json"
    path.mkdir()  # something that cannot be replaced by a file
    (path / "keep").write_text("x")
    with pytest.raises(OSError):
        settings_mod.save(settings_mod.from_dict({}), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
    assert (path / "keep").read_text() == "x"


def test_relative_folders_resolve_against_the_settings_files_folder(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    conf.mkdir()
    path = write(conf, {"queue": {"dir": "spool"}, "mailbox_dir": "boxes/mail", "backup": {"dir": "../bak"}})
    monkeypatch.chdir(tmp_path)  # not the settings folder: the working directory must not matter
    settings = settings_mod.load(path)
    assert settings.queue_dir == conf / "spool"
    assert settings.mailbox_path == conf / "boxes" / "mail"
    assert settings.backup_path.resolve() == (tmp_path / "bak").resolve()


def test_absolute_and_empty_folders_do_not_depend_on_the_settings_file(tmp_path):
    path = write(tmp_path, {"queue": {"dir": str(tmp_path / "abs-queue")}})
    settings = settings_mod.load(path)
    assert settings.queue_dir == tmp_path / "abs-queue"
    assert settings.mailbox_path == settings_mod.data_dir() / "mailboxes"


def test_load_of_a_missing_file_gives_the_defaults(tmp_path):
    settings = settings_mod.load(tmp_path / "none.json")
    assert settings.rules == [] and settings.options.max_forward_count == 30
    assert settings.options.relay_networks == ["127.0.0.0/8", "::1"]


@pytest.mark.parametrize("match", ["*@example.jp", "user*@example.jp", "*@*.example.jp", "@*example.jp"])
def test_a_match_with_a_star_in_any_other_place_is_refused(tmp_path, match):
    """``*@example.jp`` is a valid address (a * may stand in a local part), so it passed ``check``
    and then matched nothing: a * stands alone or as ``@*.domain``."""
    result = check(write(tmp_path, {"rules": [{"match": match, "destination": "mail.example.jp"}]}))
    assert result.returncode == 1, result.stdout
    assert "rules[0].match: must be *, @domain, @*.domain or an address" in result.stderr, result.stderr


def test_check_warns_about_an_account_whose_password_is_not_stored_and_names_the_command(tmp_path):
    from app.system import passwords

    user = "pw-check@example.jp"
    passwords.delete(f"user:{user}")
    passwords.set("common", "stored")
    data = {
        "rules": [{"match": "*", "destination": "smtp.isp.example", "port": 587}],
        "local_users": [{"address": user}],
        "auth_accounts": {"common": {"username": "isp-id"}, "per_user": [{"local_user": user, "username": "id1"}]},
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 0, "a warning does not change the exit code"
    assert (
        f"warning: the account id1 of {user} has no password stored: mail that needs it waits in the queue; "
        f"run: python -m app password set user:{user}"
    ) in result.stderr, result.stderr
    assert "common account" not in result.stderr, "the common password is stored"
    passwords.delete("common")
    result = check(write(tmp_path, data))
    assert "warning: the common account isp-id (rules[0] to smtp.isp.example) has no password stored" in result.stderr


def test_check_shows_hidden_rows_beside_the_problems_of_a_broken_file(tmp_path):
    data = {
        "rules": [
            {"match": "@example.jp", "destination": "mail1"},
            {"match": "user@example.jp", "destination": "mail2"},
            {"match": "@example.com", "destination": "bad host!"},
        ]
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 1
    assert "rules[2].destination:" in result.stderr
    assert "warning: rules[1].match: rule No. 2 (user@example.jp) can never match: rule No. 1" in result.stderr


def test_check_of_a_broken_file_gives_every_warning_its_sound_parts_still_show_in_the_same_run(tmp_path):
    """A file with a problem used to get only the hidden-row warnings: the login without TLS, the
    common password sent to the wrong server and the missing password waited for the next run."""
    from app.system import passwords

    passwords.delete("common")
    data = {
        "rules": [
            {"match": "@a.example", "destination": "a.host.example", "tls": "none"},
            {"match": "@b.example", "destination": "b.host.example"},
        ],
        "auth_accounts": {"common": {"username": "isp-id"}},
        "server": {"prot": 25},
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 1, "the problem still decides the exit code"
    lines = result.stderr.splitlines()
    problem = lines.index("  server.prot: unknown setting")
    warned = [line.split(": ")[1] for line in lines if line.startswith("warning: ")]
    assert warned == [
        "rules[1].account",
        "rules[0].tls",
        "the common account isp-id (rules[0] to a.host.example and 1 more rule(s) to a server) has no password stored",
    ], lines
    assert all(lines.index(line) > problem for line in lines if line.startswith("warning: ")), "problems first"


def test_check_of_a_file_with_a_broken_rule_warns_of_the_other_rules_under_their_own_numbers(tmp_path):
    data = {
        "rules": [
            {"match": "@a.example", "destination": "a.host.example"},
            {"match": "@b.example", "destination": "bad host!", "tls": "none"},
            {"match": "x@a.example", "destination": "c.host.example", "tls": "none"},
        ],
        "auth_accounts": {"common": {"username": "isp-id"}},
    }
    result = check(write(tmp_path, data))
    assert result.returncode == 1
    assert "rules[1].destination: must be a host name" in result.stderr
    assert "warning: rules[2].match: rule No. 3 (x@a.example) can never match: rule No. 1" in result.stderr
    assert "warning: rules[2].tls: rule No. 3 logs in to c.host.example with the account common" in result.stderr
    assert "warning: rules[1]." not in result.stderr, "the broken rule's own warnings wait for its fix"
    assert ".account:" not in result.stderr, "which server the common account is meant for needs every rule"


def test_route_refuses_text_that_is_no_address(tmp_path):
    path = write(tmp_path, {"rules": [{"match": "*", "destination": "mail1"}]})
    result = subprocess.run(
        [sys.executable, "-m", "app", "route", "--config", str(path), "ok@example.com", "no-at-sign", "a b@c"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1, result.stdout
    assert "no-at-sign: not an address" in result.stderr and "a b@c: not an address" in result.stderr
    assert result.stdout == ""


def test_check_of_a_file_whose_rules_are_not_a_list_says_so_without_a_traceback(tmp_path):
    for rules in (5, None, "x", {"match": "*"}):
        result = check(write(tmp_path, {"rules": rules}))
        assert result.returncode == 1, rules
        assert "Traceback" not in result.stderr and "rules" in result.stderr, result.stderr


# --- the words of the file ---------------------------------------------------------------------

EXAMPLES = sorted((REPO / "docs" / "examples").glob("*.json"))


def within(given, saved) -> bool:
    """Every value ``given`` states is in ``saved`` as written (``saved`` also has the defaults)."""
    if isinstance(given, dict):
        return isinstance(saved, dict) and all(k in saved and within(v, saved[k]) for k, v in given.items())
    if isinstance(given, list):
        return isinstance(saved, list) and len(given) == len(saved) and all(map(within, given, saved))
    return type(given) is type(saved) and given == saved


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_an_example_saved_back_keeps_every_word_and_saves_again_byte_for_byte(tmp_path, path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    settings_mod.save(settings_mod.load(path), first)
    assert within(json.loads(path.read_text(encoding="utf-8")), json.loads(first.read_text(encoding="utf-8")))
    settings_mod.save(settings_mod.load(first), second)
    assert second.read_bytes() == first.read_bytes()


EVERY_WORD = {
    "server": {
        "hostname": "gw.example.jp",
        "bare_newlines": "refuse",
        "tls_cert": "cert.pem",
        "tls_key": "key.pem",
        "listen": [
            "0.0.0.0:25",
            {"address": "0.0.0.0:465", "tls": "implicit", "tls_profile": "modern"},
            {"address": "0.0.0.0:2525", "tls": "starttls", "tls_profile": "legacy"},
            {"address": "0.0.0.0:2526", "tls": "none", "require_auth": False},
        ],
    },
    "rules": [
        {"match": "@a.example", "destination": "mta"},
        {"match": "@b.example", "destination": "h.example", "tls": "none", "account": "none"},
        {"match": "@c.example", "destination": "h.example", "tls": "required", "account": "isp"},
        {"match": "@d.example", "destination": "h.example", "port": 465, "tls": "implicit", "account": "g"},
        {"match": "@e.example", "destination": "h.example", "tls": "opportunistic", "account": "x"},
        {"match": "*", "destination": "Graph", "account": "graph"},
    ],
    "accounts": [
        {"name": "isp", "username": "u"},
        {
            "name": "graph",
            "username": "office@contoso.example",
            "oauth2": {"provider": "microsoft", "tenant": "t", "client_id": "c", "flow": "client_credentials"},
        },
        {"name": "g", "username": "office@example.jp", "oauth2": {"provider": "google", "client_id": "c"}},
        {
            "name": "x",
            "username": "u",
            "oauth2": {
                "provider": "generic",
                "client_id": "c",
                "flow": "device_code",
                "token_url": "https://t.example/token",
                "device_url": "https://t.example/device",
            },
        },
    ],
}


def test_every_word_of_the_file_loads_as_its_enum_member_and_saves_as_the_same_word(tmp_path):
    from app.settings import BareNewlines, Flow, ListenerTls, Provider, TlsMode, TlsProfile, Weakness

    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    path = write(tmp_path, EVERY_WORD)
    settings = settings_mod.load(path)
    assert settings.server.bare_newlines is BareNewlines.REFUSE
    assert [(e.tls, e.tls_profile, e.weak) for e in settings.server.listeners] == [
        (ListenerTls.STARTTLS, TlsProfile.MODERN, Weakness.NONE),
        (ListenerTls.IMPLICIT, TlsProfile.MODERN, Weakness.NONE),
        (ListenerTls.STARTTLS, TlsProfile.LEGACY, Weakness.LEGACY),
        (ListenerTls.NONE, TlsProfile.MODERN, Weakness.PLAIN),
    ]
    assert all(type(e.tls) is ListenerTls and type(e.tls_profile) is TlsProfile for e in settings.server.listeners)
    assert [r.tls for r in settings.rules][1:5] == [
        TlsMode.NONE,
        TlsMode.REQUIRED,
        TlsMode.IMPLICIT,
        TlsMode.OPPORTUNISTIC,
    ]
    assert all(type(r.tls) is TlsMode for r in settings.rules)
    assert [(r.by_mta, r.by_graph, r.to_server) for r in settings.rules[::5]] == [
        (True, False, False),
        (False, True, False),
    ]
    assert [(a.oauth2.provider, a.oauth2.flow) for a in settings.accounts if a.oauth2] == [
        (Provider.MICROSOFT, Flow.CLIENT_CREDENTIALS),
        (Provider.GOOGLE, Flow.AUTHORIZATION_CODE),
        (Provider.GENERIC, Flow.DEVICE_CODE),
    ]
    saved = tmp_path / "saved.json"
    settings_mod.save(settings, saved)
    text = saved.read_text(encoding="utf-8")
    assert within(EVERY_WORD, json.loads(text)) and "<" not in text  # words, never an enum's repr
    settings_mod.save(settings_mod.load(saved), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == text
    assert settings_mod.to_dict(settings)["rules"][1]["tls"].__class__ is str  # plain JSON values


# --- one run finds every problem ---------------------------------------------------------------


def test_check_reports_a_bad_port_and_an_unknown_account_in_one_run(tmp_path):
    """Field problems and the checks across fields come in the same run, not one after the other."""
    data = {"rules": [{"match": "*", "destination": "smtp.example", "port": 70000, "account": "nobody"}]}
    assert_problems(
        check(write(tmp_path, data)),
        [("rules[0].port", "must be 1-65535"), ("rules[0].account", "no account named nobody in accounts")],
    )


def test_one_run_names_field_problems_and_cross_field_problems_of_every_section():
    data = {
        "version": 2,
        "server": {"listen": ["0.0.0.0:25", "nowhere"], "max_recipients": 0, "tls_cert": "cert.pem"},
        "local_users": [{"address": "a@example.jp"}, {"address": "A@example.jp"}, {"address": "bad"}],
        "auth_accounts": {"per_user": [{"local_user": "b@example.jp", "username": "idb"}]},
        "accounts": [{"name": "isp", "username": "u"}, {"name": "m365", "oauth2": {"provider": "aol"}}],
        "devices": [{"name": "mfp", "login": "a@example.jp", "senders": ["not an address"]}],
        "rules": [
            {"match": "@x.jp", "destination": "MTA", "conversion_host": "example.jp", "tls": "always"},
            {"match": "*", "destination": "127.0.0.1", "port": 25, "account": "isp"},
            {"match": "example.jp", "destination": "h.example", "account": "m366"},
        ],
    }
    assert sorted(problems_of(data)) == sorted(
        [
            "server.listen[1]: must be address:port, such as 0.0.0.0:25 or [::]:25",
            "server.max_recipients: must be greater than 0",
            "local_users[2].address: must be an address such as user@example.jp",
            "accounts[1].oauth2.provider: must be one of microsoft, google, generic",
            "devices[0].senders[0]: must be an address such as user@example.jp",
            "rules[0].tls: must be one of none, opportunistic, required, implicit (rule No. 1)",
            "rules[2].match: must be *, @domain, @*.domain or an address (rule No. 3)",
            "version: must be 1",
            "server.tls_key: tls_cert and tls_key must be set together",
            f"server.tls_cert: file not found: {Path('cert.pem')}",
            "local_users[1].address: A@example.jp is listed twice",
            "auth_accounts.per_user[0].local_user: b@example.jp is not a local user",
            "accounts[1].username: is missing (the user name or mailbox the destination knows)",
            "accounts[1].oauth2.client_id: is missing (the application (client) id of the app registration)",
            "devices[0].login: a@example.jp is a local user's address; a device needs a login of its own",
            "rules[0].conversion_host: only a forwarding rule can rewrite (rule No. 1)",
            "rules[1].destination: 127.0.0.1:25 is Tenso itself (server.listen); mail would loop (rule No. 2)",
            "rules[2].account: no account named m366 in accounts (rule No. 3)",
        ]
    )


@pytest.mark.parametrize(
    "data",
    [
        {"server": {"listen": [25]}, "rules": [{"match": "*", "destination": "127.0.0.1"}]},
        {"server": {"listen": "0.0.0.0:25"}},
        {"server": {"tls_cert": 5}},
        {"rules": [{"match": "*", "destination": "127.0.0.1", "port": "25"}]},
        {"local_users": [5, 5], "auth_accounts": {"per_user": [{"local_user": "a@example.jp", "username": "u"}]}},
        {"local_users": "a@example.jp", "auth_accounts": {"per_user": [{"local_user": "a@example.jp"}]}},
        {"accounts": {"name": "isp"}, "rules": [{"match": "*", "destination": "h.example", "account": "isp"}]},
        {
            "accounts": [
                {
                    "name": "a",
                    "username": "u",
                    "oauth2": {
                        "provider": "generic",
                        "client_id": "c",
                        "token_url": "https://t.example/token",
                        "flow": 1,
                    },
                }
            ]
        },
        {
            "accounts": [
                {"name": "a", "username": "u", "oauth2": {"provider": "microsoft", "client_id": "c", "tenant": 1}}
            ]
        },
        {"rules": [{"match": "*", "destination": "GRAPH", "account": 1}]},
        {"devices": [{"name": 1, "login": 2}, {"name": 1, "login": 2}]},
    ],
)
def test_a_value_of_the_wrong_type_gives_its_own_problem_not_a_cross_field_one_built_on_its_stand_in(data):
    found = problems_of(data)
    assert found and all(" must be a" in p for p in found), found  # "must be a whole number", "an object"...


def mutations(value, path=()):
    """``value`` with each of its parts replaced, one at a time, by values of other JSON types."""
    for wrong in (None, 7, "x", [], {}):
        yield path, wrong
    if isinstance(value, dict):
        for key, item in value.items():
            yield from mutations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from mutations(item, (*path, index))


def replaced(value, path, wrong):
    if not path:
        return wrong
    copied = json.loads(json.dumps(value))
    copied[path[0]] = replaced(copied[path[0]], path[1:], wrong)
    return copied


def test_no_broken_part_of_a_full_file_makes_the_checks_across_fields_fail_instead_of_naming_it(tmp_path):
    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    for path, wrong in mutations(EVERY_WORD):
        data = replaced(EVERY_WORD, path, wrong)
        try:
            settings_mod.from_dict(data, source=tmp_path / "settings.json")
        except settings_mod.SettingsError as exc:
            assert all(isinstance(p, str) and ": " in p for p in exc.problems), (path, wrong)


def test_rewrite_from_is_empty_account_or_an_address_and_account_needs_an_address_to_log_in_as(tmp_path):
    data = {
        "version": 1,
        "auth_accounts": {"common": {"username": "isp-id"}},
        "accounts": [{"name": "box", "username": "box@corp.example"}, {"name": "plain", "username": "id-123"}],
        "rules": [
            {"match": "@a.jp", "destination": "smtp.a.example", "rewrite_from": "not an address"},
            {"match": "@b.jp", "destination": "smtp.b.example", "account": "none", "rewrite_from": "account"},
            {"match": "@c.jp", "destination": "smtp.c.example", "rewrite_from": "account"},  # common: isp-id
            {"match": "@d.jp", "destination": "MTA", "rewrite_from": "x@d.jp"},
            {"match": "@e.jp", "destination": "smtp.e.example", "account": "plain", "rewrite_from": "account"},
            {"match": "@f.jp", "destination": "smtp.f.example", "account": "box", "rewrite_from": "account"},
            {"match": "@g.jp", "destination": "smtp.g.example", "rewrite_from": "scanner@corp.example"},
            {"match": "*", "destination": "smtp.h.example", "rewrite_from": ""},
        ],
    }
    assert_problems(
        check(write(tmp_path, data)),
        [
            ("rules[0].rewrite_from", "must be empty, account, or an address"),
            ("rules[1].rewrite_from", "logs in with none"),
            ("rules[2].rewrite_from", "the common account logs in as “isp-id”, which is not an address"),
            ("rules[3].rewrite_from", "only a rule that sends to a server or to GRAPH"),
            ("rules[4].rewrite_from", "plain logs in as “id-123”"),
        ],
    )


# --- alerts (issue 26) ---


def _problems(data: dict) -> list[str]:
    try:
        settings_mod.from_dict(data)
    except settings_mod.SettingsError as exc:
        return list(exc.problems)
    return []


def test_alerts_default_to_off_and_are_left_out_of_a_saved_file():
    alerts = settings_mod.Settings().alerts
    assert (alerts.after_minutes, alerts.webhook_url, alerts.email_to, alerts.email_rule) == (30, "", "", 0)
    assert (alerts.event_log, alerts.repeat_hours, alerts.summary_hour) == (True, 24, -1)
    assert "alerts" not in settings_mod.to_dict(settings_mod.Settings())
    changed = settings_mod.from_dict({"alerts": {"webhook_url": "https://example.webhook.office.com/x"}})
    assert settings_mod.to_dict(changed)["alerts"]["webhook_url"] == "https://example.webhook.office.com/x"


def test_alerts_checks_name_the_field_in_plain_words():
    assert _problems({"alerts": {"email_rule": 7}}) == [
        "alerts.email_rule: no rule 7 (there are 0); 0 sends the alert mail by the normal routing"
    ]
    assert _problems({"alerts": {"webhook_url": "http://hooks.example.com/x"}}) == [
        "alerts.webhook_url: must be https (plain http only to 127.0.0.1, ::1 or localhost)"
    ]
    assert _problems({"alerts": {"webhook_url": "hooks.example.com"}}) == [
        "alerts.webhook_url: must be a webhook address such as https://example.webhook.office.com/..."
    ]
    assert _problems({"alerts": {"email_to": "admin"}}) == [
        "alerts.email_to: must be an address such as user@example.jp"
    ]
    assert _problems({"alerts": {"summary_hour": 24, "email_to": "a@b.jp"}}) == [
        "alerts.summary_hour: must be -1 to 23"
    ]
    assert _problems({"alerts": {"summary_hour": 8}}) == [
        "alerts.summary_hour: the daily summary is mailed: set alerts.email_to too"
    ]
    assert _problems({"alerts": {"after_minutes": 0}}) == ["alerts.after_minutes: must be greater than 0"]
    assert (
        _problems(
            {
                "alerts": {"webhook_url": "http://127.0.0.1:8080/hook", "email_rule": 1},
                "rules": [{"match": "*", "destination": "mail.example.jp"}],
            }
        )
        == []
    )
