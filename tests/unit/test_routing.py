"""The rule table (転送設定): the specification's worked examples, matching details, the
options that change a decision, hidden rows, and the keyed lookup's first-match order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time

import pytest

from app import settings as settings_mod
from app.route.router import FORWARD, LOCAL, MX, UNKNOWN_LOCAL, Account, Router
from tests.support import REPO


def router(rules: list[tuple] | list[dict], **sections) -> Router:
    """A Router over rules given as (match, destination[, port[, conversion_host]]) or dicts."""
    rows = []
    for rule in rules:
        if isinstance(rule, dict):
            rows.append(rule)
            continue
        match, destination, *rest = rule
        row = {"match": match, "destination": destination}
        if rest:
            row["port"] = rest[0]
        if len(rest) > 1:
            row["conversion_host"] = rest[1]
        rows.append(row)
    return Router(settings_mod.from_dict({"rules": rows, **sections}))


def where(decision) -> str:
    """A decision in one word: the destination host, or the MTA delivery kind."""
    return decision.host if decision.kind == FORWARD else f"MTA:{decision.kind}"


# --- the specification's worked examples ------------------------------------------------

SETTING_B = [("@example.jp", "mail1.akisoftware.jp"), ("*", "mail2.akisoftware.jp")]
SETTING_C = [("user1@example.jp", "mail1"), ("user2@example.jp", "mail2"), ("@example.jp", "mail3"), ("*", "mail4")]
SETTING_D = [("user1@example.jp", "192.168.11.10"), ("@example.jp", "mail1"), ("@example.com", "MTA"), ("*", "mail2")]


@pytest.mark.parametrize(
    "rules, recipient, expected, rule_no",
    [
        (SETTING_B, "a@example.jp", "mail1.akisoftware.jp", 1),
        (SETTING_B, "b@example.com", "mail2.akisoftware.jp", 2),
        (SETTING_B[::-1], "a@example.jp", "mail2.akisoftware.jp", 1),
        (SETTING_B[::-1], "b@example.com", "mail2.akisoftware.jp", 1),
        (SETTING_C, "user1@example.jp", "mail1", 1),
        (SETTING_C, "user2@example.jp", "mail2", 2),
        (SETTING_C, "user3@example.jp", "mail3", 3),
        (SETTING_C, "x@example.net", "mail4", 4),
        (SETTING_D, "user1@example.jp", "192.168.11.10", 1),
        (SETTING_D, "user9@example.jp", "mail1", 2),
        (SETTING_D, "a@example.com", "MTA:mx", 3),
        (SETTING_D, "a@example.org", "mail2", 4),
    ],
    ids=[
        "B-a",
        "B-b",
        "B-swapped-a",
        "B-swapped-b",
        "C-user1",
        "C-user2",
        "C-user3",
        "C-other",
        "D-user1",
        "D-user9",
        "D-example.com-MTA",
        "D-other",
    ],
)
def test_worked_settings_route_each_recipient_to_the_documented_destination(rules, recipient, expected, rule_no):
    decision = router(rules).route(recipient)
    assert where(decision) == expected
    assert decision.rule == rule_no
    assert decision.rcpt == recipient


def test_swapped_setting_b_sends_everything_to_mail2():
    r = router(SETTING_B[::-1])
    for recipient in ("a@example.jp", "b@example.com", "user1@example.jp", "x@sub.example.jp"):
        assert where(r.route(recipient)) == "mail2.akisoftware.jp"


EXAMPLE_1 = [
    ("@mail2.example.jp", "192.168.1.100", 11000, "example.jp"),
    ("@mail3.example.jp", "192.168.1.200", 11001, "example.jp"),
]


@pytest.mark.parametrize(
    "recipient, host, port, rcpt",
    [
        ("u@mail2.example.jp", "192.168.1.100", 11000, "u@example.jp"),
        ("v@mail3.example.jp", "192.168.1.200", 11001, "v@example.jp"),
        ("Mixed.Case@MAIL2.Example.JP", "192.168.1.100", 11000, "Mixed.Case@example.jp"),
    ],
)
def test_conversion_host_rewrites_the_recipient_domain_but_connects_to_the_destination(recipient, host, port, rcpt):
    r = router(EXAMPLE_1, local_domains=["mail.example.jp"], local_users=[{"address": "boss@mail.example.jp"}])
    decision = r.route(recipient)
    assert (decision.kind, decision.host, decision.port, decision.rcpt) == (FORWARD, host, port, rcpt)
    assert decision.recipient == recipient


def test_example_1_local_domain_mail_is_delivered_locally_not_forwarded():
    r = router(EXAMPLE_1, local_domains=["mail.example.jp"], local_users=[{"address": "boss@mail.example.jp"}])
    assert r.route("boss@mail.example.jp").kind == LOCAL
    assert r.route("nobody@mail.example.jp").kind == UNKNOWN_LOCAL


def test_example_2_everything_goes_to_the_isp_on_587_with_the_common_account():
    r = router(
        [("*", "smtp.isp.example", 587)],
        auth_accounts={"common": {"username": "isp-id"}},
        options={"relay_networks": ["192.168.0.0/16", "127.0.0.1"]},
    )
    for recipient in ("friend@example.net", "a@example.jp"):
        decision = r.route(recipient, sender="me@lan.example")
        assert (decision.kind, decision.host, decision.port, decision.rule) == (FORWARD, "smtp.isp.example", 587, 1)
        assert decision.auth == Account("common", "isp-id")


EXAMPLE_3 = [
    ("@mail1.akisoftware.jp", "192.168.1.100"),
    ("@mail2.akisoftware.jp", "192.168.1.101"),
    ("@mail3.akisoftware.jp", "192.168.1.102"),
]


@pytest.mark.parametrize(
    "recipient, expected",
    [
        ("a@mail1.akisoftware.jp", "192.168.1.100"),
        ("b@mail2.akisoftware.jp", "192.168.1.101"),
        ("c@mail3.akisoftware.jp", "192.168.1.102"),
        ("d@akisoftware.jp", "MTA:mx"),
        ("e@mail4.akisoftware.jp", "MTA:mx"),
    ],
)
def test_example_3_internal_servers_each_get_their_own_domain(recipient, expected):
    decision = router(EXAMPLE_3, options={"relay_for_rule_matches": True}).route(recipient)
    assert where(decision) == expected
    if expected.startswith("192."):
        assert decision.port == 25


def test_no_rule_matching_means_normal_delivery_with_no_rule_number():
    decision = router([("@example.jp", "mail1")]).route("x@example.net")
    assert (decision.kind, decision.rule, decision.destination, decision.port) == (MX, None, "MTA", None)


# --- how rows match ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "match, recipient",
    [
        ("@example.jp", "USER@EXAMPLE.JP"),
        ("@Example.JP", "user@example.jp"),
        ("User1@Example.jp", "uSER1@eXAMPLE.JP"),
        ("@*.Example.JP", "x@Sub.EXAMPLE.jp"),
    ],
)
def test_matching_ignores_case_on_the_whole_address(match, recipient):
    assert router([(match, "hit")]).route(recipient).host == "hit"


@pytest.mark.parametrize(
    "match, recipient",
    [
        ("@example.jp", "user@sub.example.jp"),
        ("@example.jp", "user@example.jpn"),
        ("@example.jp", "user@myexample.jp"),
        ("@example.jp", "example.jp@other.jp"),
        ("user@example.jp", "user@sub.example.jp"),
        ("user@example.jp", "xuser@example.jp"),
        ("@*.example.jp", "user@example.jp"),
        ("@*.example.jp", "user@badexample.jp"),
        ("@*.example.jp", "user@sub.example.jpn"),
    ],
)
def test_rows_match_whole_domains_and_whole_addresses_only(match, recipient):
    decision = router([(match, "hit")]).route(recipient)
    assert decision.kind == MX and decision.rule is None


@pytest.mark.parametrize("recipient", ["u@sub.example.jp", "u@a.b.example.jp", "u@SUB.example.JP"])
def test_subdomain_row_matches_every_subdomain_at_any_depth(recipient):
    r = router([("@*.example.jp", "subs"), ("@example.jp", "apex")])
    assert r.route(recipient).host == "subs"
    assert r.route("u@example.jp").host == "apex"


def test_earlier_row_wins_between_subdomain_domain_and_address_rows():
    r = router([("@sub.example.jp", "exact-domain"), ("@*.example.jp", "subs"), ("boss@x.example.jp", "boss")])
    assert r.route("a@sub.example.jp").host == "exact-domain"
    assert r.route("a@x.example.jp").host == "subs"
    assert r.route("boss@x.example.jp").host == "subs"  # row 3 is below the row that already matches


@pytest.mark.parametrize(
    "match, recipient",
    [
        ("@例え.jp", "u@xn--r8jz45g.jp"),  # the row in Japanese, the RCPT TO in its ASCII (A-label) form
        ("@例え.jp", "u@XN--R8JZ45G.JP"),
        ("@xn--r8jz45g.jp", "u@例え.jp"),  # and the other way round (an SMTPUTF8 client)
        ("u@例え.jp", "u@xn--r8jz45g.jp"),
    ],
)
def test_internationalized_domain_row_matches_both_spellings_of_the_domain(match, recipient):
    # `check` accepts 例え.jp as a domain, and xn--r8jz45g.jp is the same domain: most clients
    # send that form, so a row written in Japanese must catch it.
    assert router([(match, "hit")]).route(recipient).host == "hit"


# --- options that change the decision ------------------------------------------------------

LOCALS = {
    "local_domains": ["local.test"],
    "local_users": [{"address": "user1@local.test"}, {"address": "user2@example.jp"}],
}


def test_without_skip_local_a_star_row_forwards_local_users_too():
    r = router([("*", "isp")], **LOCALS)
    assert where(r.route("user1@local.test")) == "isp"


def test_skip_local_delivers_local_users_locally_even_under_star():
    r = router([("user1@local.test", "exact"), ("*", "isp")], options={"skip_local": True}, **LOCALS)
    for recipient in ("user1@local.test", "USER1@Local.Test", "user2@example.jp"):
        decision = r.route(recipient)
        assert decision.kind == LOCAL and decision.host is None
    assert where(r.route("stranger@example.net")) == "isp"
    assert where(r.route("nobody@local.test")) == "isp"  # not a user: skip local does not apply


def test_check_local_users_forwards_only_registered_users_and_sends_the_rest_to_mta():
    r = router([("@example.jp", "mail1"), ("*", "isp")], options={"check_local_users": True}, **LOCALS)
    assert where(r.route("user2@example.jp")) == "mail1"
    stranger = r.route("stranger@example.jp")
    assert stranger.kind == MX and stranger.host is None and stranger.rcpt == "stranger@example.jp"
    assert r.route("other@example.net").kind == MX


def test_check_local_users_off_forwards_non_local_recipients():
    r = router([("@example.jp", "mail1")], **LOCALS)
    assert where(r.route("stranger@example.jp")) == "mail1"


def test_unknown_user_at_local_domain_without_a_rule_is_unknown_local():
    r = router([("@example.jp", "mail1")], **LOCALS)
    assert r.route("nobody@local.test").kind == UNKNOWN_LOCAL
    assert r.route("user1@local.test").kind == LOCAL


ACCOUNTS = {
    "common": {"username": "isp-id"},
    "per_user": [
        {"local_user": "user1@local.test", "username": "id1"},
        {"local_user": "user2@example.jp", "username": ""},
    ],
}


@pytest.mark.parametrize(
    "sender, account",
    [
        ("user1@local.test", Account("user:user1@local.test", "id1")),
        ("USER1@LOCAL.test", Account("user:user1@local.test", "id1")),
        ("user2@example.jp", Account("common", "isp-id")),  # a row without a user name
        ("stranger@example.net", Account("common", "isp-id")),
        ("", Account("common", "isp-id")),  # MAIL FROM:<>
    ],
)
def test_auth_account_is_chosen_by_sender_per_user_row_before_common(sender, account):
    r = router([("*", "isp")], auth_accounts=ACCOUNTS, **LOCALS)
    assert r.route("someone@example.net", sender=sender).auth == account


def test_without_common_account_only_per_user_senders_authenticate():
    r = router([("*", "isp")], auth_accounts={"per_user": ACCOUNTS["per_user"]}, **LOCALS)
    assert r.route("x@example.net", sender="user1@local.test").auth == Account("user:user1@local.test", "id1")
    assert r.route("x@example.net", sender="stranger@example.net").auth is None


def test_normal_delivery_carries_no_auth_account():
    r = router([("@example.com", "MTA")], auth_accounts=ACCOUNTS, **LOCALS)
    assert r.route("a@example.com", sender="user1@local.test").auth is None


# --- hidden rows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules, hidden",
    [
        (
            [("*", "a"), ("@example.jp", "b"), ("user@example.jp", "c"), ("@*.example.jp", "d"), ("*", "e")],
            {1: 0, 2: 0, 3: 0, 4: 0},
        ),
        ([("@example.jp", "a"), ("user@example.jp", "b")], {1: 0}),
        ([("user@example.jp", "a"), ("@example.jp", "b")], {}),
        (
            [("@*.example.jp", "a"), ("@sub.example.jp", "b"), ("u@x.sub.example.jp", "c"), ("@example.jp", "d")],
            {1: 0, 2: 0},
        ),
        ([("@*.jp", "a"), ("@*.example.jp", "b")], {1: 0}),
        ([("@*.example.jp", "a"), ("@*.jp", "b")], {}),
        ([("@example.jp", "a"), ("@EXAMPLE.JP", "b"), ("USER@Example.JP", "c")], {1: 0, 2: 0}),
        ([("user@example.jp", "a"), ("User@Example.jp", "b")], {1: 0}),
        ([("@example.jp", "a"), ("@sub.example.jp", "b"), ("@example.jpn", "c"), ("*", "d")], {}),
    ],
    ids=[
        "star-hides-all",
        "domain-hides-address",
        "address-above-domain",
        "subdomains-hide",
        "wider-subdomains-hide",
        "narrower-subdomains-above",
        "case-insensitive-duplicates",
        "duplicate-address",
        "nothing-hidden",
    ],
)
def test_hidden_by_names_the_row_above_that_catches_all_of_a_rows_mail(rules, hidden):
    r = router(rules)
    assert {i: r.hidden_by(i) for i in range(len(rules)) if r.hidden_by(i) is not None} == hidden


# --- the keyed lookup keeps first-match order ------------------------------------------------


def naive_key(match: str) -> tuple[str, str]:
    """The row's kind and key, computed without app.mail.addresses."""
    m = match.strip()
    if m == "*":
        return ("any", "")
    if m.startswith("@*."):
        return ("subdomains", m[3:].lower().rstrip("."))
    if m.startswith("@"):
        return ("domain", m[1:].lower().rstrip("."))
    local, _, domain = m.rpartition("@")
    return ("address", f"{local.lower()}@{domain.lower().rstrip('.')}")


def naive_matches(row: tuple[str, str], recipient: str) -> bool:
    kind, key = row
    domain = recipient.rpartition("@")[2].lower()
    if kind == "any":
        return True
    if kind == "address":
        return recipient.lower() == key
    if kind == "domain":
        return domain == key
    return domain.endswith("." + key)


def naive_first_match(rows: list[tuple[str, str]], recipient: str) -> tuple[int | None, int | None]:
    """Rows tried top to bottom: (first match counting ``*`` rows, first match ignoring them)."""
    address = recipient.lower()
    domain = address.rpartition("@")[2]
    first_any = None
    for i, (kind, key) in enumerate(rows):
        if kind == "any":
            if first_any is None:
                first_any = i
            continue
        if (
            (address == key)
            if kind == "address"
            else (domain == key)
            if kind == "domain"
            else domain.endswith("." + key)
        ):
            return (i if first_any is None else first_any), i
    return first_any, None


def random_case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in text)


def random_domain(rng: random.Random, bases: tuple[int, int] = (0, 40)) -> str:
    base = f"d{rng.randrange(*bases)}.{rng.choice(['jp', 'test', 'example'])}"
    depth = rng.choice([0, 0, 0, 1, 1, 2])
    return ".".join([f"s{rng.randrange(6)}" for _ in range(depth)] + [base])


def random_match(rng: random.Random, bases: tuple[int, int] = (0, 40)) -> str:
    roll = rng.random()
    domain = random_case(rng, random_domain(rng, bases))
    if rng.random() < 0.1:
        domain += "."  # a trailing dot is the same domain
    if roll < 0.45:
        return f"{random_case(rng, f'u{rng.randrange(15)}')}@{domain}"
    if roll < 0.8:
        return f"@{domain}"
    return f"@*.{domain}"


def random_recipient(rng: random.Random) -> str:
    # a wider pool than the rules use, so some recipients match no row at all
    return random_case(rng, f"u{rng.randrange(17)}@{random_domain(rng, bases=(0, 60))}")


@pytest.fixture(scope="module")
def big_table() -> tuple[list[str], Router]:
    """Rows 1-9000 over domains d0-d39, two ``*`` rows, rows below them over d40-d49.

    Built from the dataclasses directly: validating 10,000 rows is not what is tested here.
    """
    rng = random.Random(20240611)
    matches = [random_match(rng) for _ in range(9_000)] + [random_match(rng, (40, 50)) for _ in range(1_000)]
    matches[9_000] = "*"
    matches[9_500] = "*"
    rules = [settings_mod.Rule(match=m, destination=f"h{i}") for i, m in enumerate(matches)]
    return matches, Router(settings_mod.Settings(rules=rules))


def test_keyed_first_match_equals_a_top_to_bottom_scan_over_10000_random_rules(big_table):
    matches, r = big_table
    rows = [naive_key(m) for m in matches]
    rng = random.Random(11)
    outcomes = {"before-star": 0, "after-star": 0, "no-row": 0}
    for _ in range(3_000):
        recipient = random_recipient(rng)
        with_any, without_any = naive_first_match(rows, recipient)
        assert r.first_match(recipient, include_any=False) == without_any, recipient
        assert r.first_match(recipient) == with_any, recipient
        assert r.route(recipient).host == f"h{with_any}"
        outcomes["no-row" if without_any is None else "before-star" if without_any < 9_000 else "after-star"] += 1
    # the table must exercise every outcome, or the comparison proves little
    assert all(count > 20 for count in outcomes.values()), outcomes


def test_hidden_by_agrees_with_a_pairwise_check_on_random_rules():
    rng = random.Random(7)

    def covers(upper: tuple[str, str], lower: tuple[str, str]) -> bool:
        """Every address ``lower`` matches, ``upper`` matches too."""
        (ukind, ukey), (lkind, lkey) = upper, lower
        if ukind == "any":
            return True
        if lkind == "any":
            return False
        if lkind == "address":
            return naive_matches(upper, lkey)
        if ukind == "address":
            return False
        if ukind == "domain":
            return lkind == "domain" and lkey == ukey
        return lkey.endswith("." + ukey) or (lkind == "subdomains" and lkey == ukey)

    for _ in range(5):
        matches = [random_match(rng) for _ in range(400)]
        if rng.random() < 0.5:
            matches[rng.randrange(100, 400)] = "*"
        r = router([(m, "h") for m in matches])
        rows = [naive_key(m) for m in matches]
        for i, row in enumerate(rows):
            hider = r.hidden_by(i)
            coverers = [j for j in range(i) if covers(rows[j], row)]
            if not coverers:
                assert hider is None, (i, matches[i], hider)
            else:
                assert hider is not None and hider < i and covers(rows[hider], row), (i, matches[i], hider)


def test_lookup_time_does_not_grow_with_the_number_of_rules(big_table):
    _, r = big_table
    recipients = [f"nobody{i}@nowhere{i}.example" for i in range(20_000)]  # misses: a scan would read every row
    started = time.perf_counter()
    for recipient in recipients:
        r.first_match(recipient)
    # a linear scan takes ~1 ms per miss here (20 s); keyed lookups take a few microseconds
    assert time.perf_counter() - started < 2.0


# --- python -m app route --json ----------------------------------------------------------------


def test_route_command_prints_each_decision_as_json(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "local_domains": ["mail.example.jp"],
                "local_users": [{"address": "boss@mail.example.jp"}],
                "rules": [
                    {
                        "match": "@mail2.example.jp",
                        "destination": "192.168.1.100",
                        "port": 11000,
                        "conversion_host": "example.jp",
                    },
                    {"match": "@example.com", "destination": "MTA"},
                    {"match": "*", "destination": "smtp.isp.example", "port": 587},
                ],
                "auth_accounts": {
                    "common": {"username": "isp-id"},
                    "per_user": [{"local_user": "boss@mail.example.jp", "username": "boss-id"}],
                },
            }
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "route",
            "--config",
            str(config),
            "--json",
            "--from",
            "boss@mail.example.jp",
            "u@mail2.example.jp",
            "a@example.com",
            "x@example.net",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    decisions = json.loads(result.stdout)
    keys = {"recipient", "rule", "destination", "port", "rcpt", "auth"}
    assert all(keys <= set(d) for d in decisions)
    assert [{k: d[k] for k in sorted(keys)} for d in decisions] == [
        {
            "recipient": "u@mail2.example.jp",
            "rule": 1,
            "destination": "192.168.1.100",
            "port": 11000,
            "rcpt": "u@example.jp",
            "auth": "user:boss@mail.example.jp",
        },
        {
            "recipient": "a@example.com",
            "rule": 2,
            "destination": "MTA",
            "port": None,
            "rcpt": "a@example.com",
            "auth": None,
        },
        {
            "recipient": "x@example.net",
            "rule": 3,
            "destination": "smtp.isp.example",
            "port": 587,
            "rcpt": "x@example.net",
            "auth": "user:boss@mail.example.jp",
        },
    ]


def test_route_command_uses_the_common_account_for_other_senders_and_no_rule_is_null(tmp_path):
    config = tmp_path / "settings.json"
    config.write_text(
        json.dumps(
            {
                "rules": [{"match": "@example.jp", "destination": "mail1"}],
                "auth_accounts": {"common": {"username": "isp-id"}},
            }
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "route",
            "--config",
            str(config),
            "--json",
            "--from",
            "me@lan.example",
            "a@EXAMPLE.jp",
            "b@example.net",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    assert (first["rule"], first["destination"], first["port"], first["auth"]) == (1, "mail1", 25, "common")
    assert (second["rule"], second["destination"], second["auth"]) == (None, "MTA", None)


def test_rewrite_from_gives_the_address_a_rule_sends_as():
    r = router(
        [
            {"match": "@a.example", "destination": "smtp.a", "account": "box", "rewrite_from": "account"},
            {"match": "@b.example", "destination": "smtp.b", "rewrite_from": "scanners@corp.example"},
            {"match": "@c.example", "destination": "smtp.c", "rewrite_from": "account"},  # per-user: id1
            {"match": "*", "destination": "smtp.d"},
        ],
        accounts=[{"name": "box", "username": "box@corp.example"}],
        local_users=[{"address": "u1@lan.example"}],
        local_domains=["lan.example"],
        auth_accounts={
            "common": {"username": "c@corp.example"},
            "per_user": [{"local_user": "u1@lan.example", "username": "id1"}],
        },
    )
    assert r.route("x@a.example", "dev@lan.test").send_from == "box@corp.example"
    assert r.route("x@b.example", "dev@lan.test").send_from == "scanners@corp.example"
    assert r.route("x@c.example", "dev@lan.test").send_from == "c@corp.example"  # the common account
    assert r.route("x@c.example", "u1@lan.example").send_from == "", "a plain user name is no address to send as"
    assert r.route("x@d.example", "dev@lan.test").send_from == ""
    assert r.route("x@a.example", "dev@lan.test").as_json()["send_from"] == "box@corp.example"


def test_the_route_command_says_which_sender_a_rule_sends_as(tmp_path):
    config = tmp_path / "settings.json"
    rules = [{"match": "*", "destination": "smtp.example", "rewrite_from": "scanners@corp.example"}]
    config.write_text(json.dumps({"version": 1, "rules": rules}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "app", "route", "--config", str(config), "a@example.org"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert ", sent as <scanners@corp.example>" in result.stdout, result.stdout
