"""The ways out behind one seam: every target the router can decide has a courier, and each
courier names the destination the scheduler counts (its slot) for a decision."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app import settings as settings_mod
from app.deliver.attempt import Deliverer
from app.deliver.couriers import COURIERS
from app.route import targets
from app.route.router import Router

MICROSOFT_APP = {"provider": "microsoft", "tenant": "contoso.example", "client_id": "x", "flow": "client_credentials"}
SETTINGS = {
    "local_domains": ["example.jp"],
    "local_users": [{"address": "user1@example.jp"}],
    "accounts": [
        {
            "name": "graph",
            "username": "office@contoso.example",
            "oauth2": MICROSOFT_APP,
        }
    ],
    "rules": [
        {"match": "@graph.example", "destination": "GRAPH", "account": "graph"},
        {"match": "@example.jp", "destination": "MTA"},
        {"match": "@far.example", "destination": "MTA"},
        {"match": "*", "destination": "smtp.isp.example", "port": 587, "tls": "required"},
    ],
}


@dataclass
class Context:
    settings: settings_mod.Settings
    router: Router
    spool: object = None
    bound: list[tuple[str, int]] = field(default_factory=list)
    history: object = None  # no history kept here


@pytest.fixture
def deliverer():
    settings = settings_mod.from_dict(SETTINGS)
    deliverer = Deliverer(Context(settings, Router(settings)))
    yield deliverer
    deliverer.close()


def test_every_kind_of_target_has_a_courier():
    kinds = {t for t in vars(targets).values() if isinstance(t, type) and issubclass(t, targets.Target)}
    assert kinds - {targets.Target} == set(COURIERS)
    assert {t.kind for t in COURIERS} == set(targets.RouteKind)


@pytest.mark.parametrize(
    ("recipient", "slot"),
    [
        ("a@graph.example", "GRAPH office@contoso.example"),  # Graph's limits are the mailbox's
        ("b@Far.Example", "mx:far.example"),
        ("c@other.example", "smtp.isp.example:587"),
        ("user1@example.jp", None),  # a local mailbox holds a slot only for a moment
        ("nobody@example.jp", None),
    ],
)
def test_each_courier_names_the_slot_the_scheduler_counts(deliverer, recipient, slot):
    decision = deliverer.context.router.route(recipient)
    assert deliverer.slot(decision) == slot
