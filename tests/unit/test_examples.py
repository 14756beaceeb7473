"""The manual's copy-paste settings examples (docs/rules-and-relay.md, "Three typical setups", and its
Japanese twin docs/ja/rules-and-relay.md) are accepted by `check` and route as described; the README
and README.ja.md open with the two commands for a fresh machine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app import settings as settings_mod
from app.route.router import FORWARD, MX, Router
from tests.support import REPO as ROOT

EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.json"))
SETUPS_PAGES = [ROOT / "docs" / "rules-and-relay.md", ROOT / "docs" / "ja" / "rules-and-relay.md"]


def test_there_are_three_typical_setups():
    assert [p.name for p in EXAMPLES] == ["gateway.json", "isp-relay.json", "split-domains.json"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_check_accepts_the_example_and_the_manual_shows_it_verbatim(path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for page in SETUPS_PAGES:
        shown = page.read_text(encoding="utf-8")
        assert path.read_text(encoding="utf-8").strip() in shown, page.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("name", ["README.md", "README.ja.md"])
def test_readme_opens_with_the_two_commands_for_a_fresh_machine(name):
    readme = (ROOT / name).read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["python3 tools/bootstrap.py run", "python3 tools/bootstrap.py test"]


def test_isp_relay_sends_everything_to_the_isp_with_the_common_account():
    router = Router(settings_mod.load(ROOT / "docs/examples/isp-relay.json"))
    d = router.route("anyone@example.org", "staff@lan.example")
    assert (d.kind, d.host, d.port, d.tls, d.auth.describe()) == (
        FORWARD,
        "smtp.isp.example",
        587,
        "required",
        "common (isp-id)",
    )


def test_split_domains_rewrites_to_the_internal_servers():
    router = Router(settings_mod.load(ROOT / "docs/examples/split-domains.json"))
    d = router.route("u@mail2.example.jp")
    assert (d.host, d.port, d.rcpt) == ("192.168.1.100", 11000, "u@example.jp")
    assert router.route("x@example.org").kind == MX


def test_gateway_accepts_exactly_the_listed_domains_from_anyone():
    from app.route.policy import RelayPolicy

    policy = RelayPolicy(Router(settings_mod.load(ROOT / "docs/examples/gateway.json")))
    assert policy.check("a@mail2.akisoftware.jp", "203.0.113.9", False) is None
    assert policy.check("a@elsewhere.example", "203.0.113.9", False).startswith("550 5.7.1")
