"""What delivery needs from the rest of Tenso (``DeliveryContext``): the gateway is one in the main
process, ``deliver/worker_main.py``'s ``_Context`` is one in the delivery worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.history.records import Sink
    from app.route.router import Router
    from app.settings import Settings
    from app.store.spool import Spool


class DeliveryContext(Protocol):
    """What an attempt needs: the current settings and router, the store, the addresses Tenso
    listens on (so that it never delivers to itself), and where the history's records go (None:
    nowhere)."""

    settings: Settings
    router: Router
    spool: Spool

    @property
    def history(self) -> Sink | None: ...

    @property
    def bound(self) -> list[tuple[str, int]]: ...
