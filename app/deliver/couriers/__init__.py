"""The ways out, one module each behind one small interface (base.py: ``Courier``): a rule's
server over SMTP (server.py), Microsoft Graph (graph.py), the domain's MX hosts (mx.py), a local
mailbox and forward.txt (local.py).  ``COURIERS`` maps the router's target types to them; a new
kind of destination is a target type (app/route/targets.py), a module here, and its line below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.deliver import smtp
from app.deliver.couriers.base import Courier, Shared
from app.deliver.couriers.graph import GraphCourier
from app.deliver.couriers.local import LocalCourier, NoSuchUser
from app.deliver.couriers.mx import MxCourier
from app.deliver.couriers.server import ServerCourier
from app.deliver.loopback import Loopback
from app.route.targets import GraphTarget, LocalTarget, MxTarget, ServerTarget, Target, UnknownLocal

if TYPE_CHECKING:
    from app.deliver.context import DeliveryContext
    from app.route.router import Decision

COURIERS: dict[type[Target], Callable[[Shared], Courier]] = {
    ServerTarget: ServerCourier,
    GraphTarget: GraphCourier,
    MxTarget: MxCourier,
    LocalTarget: LocalCourier,
    UnknownLocal: NoSuchUser,
}


class Couriers:
    """One courier per kind of target, for one Deliverer (their threads share them)."""

    def __init__(self, context: DeliveryContext):
        self.shared = Shared(context, smtp.Pool(), Loopback(context))
        self._by_target = {target: make(self.shared) for target, make in COURIERS.items()}

    def of(self, decision: Decision) -> Courier:
        return self._by_target[type(decision.target)]

    def close(self) -> None:
        """Ends the sessions kept for reuse."""
        self.shared.pool.close_all()
