"""Who may send to whom: the relay decision taken at RCPT TO (docs/rules-and-relay.md, "Relay").

Tenso is never an open relay.  A recipient is accepted when the client may
relay (relay networks, or logged in while "relay when authenticated" is on),
or when the recipient is a local user, or when "relay for rule matches" is on
and an address or domain row (never ``*``) matches it.  Everything else is
refused here, before any data is accepted, so nothing is stored.
"""

from __future__ import annotations

from app.mail import addresses
from app.mail.relaynets import RelayNetworks
from app.route import router as routing
from app.route.router import Router

RELAY_DENIED = "550 5.7.1 Relaying denied: <{}> is not a local recipient and this client may not relay"
UNKNOWN_USER = "550 5.1.1 <{}>: no such user here"
BAD_ADDRESS = "553 5.1.3 <{}>: a recipient needs a domain (user@example.jp)"
TRICK_DENIED = "550 5.7.1 <{}>: % ! and @ in the local part are not accepted for relay"


class RelayPolicy:
    def __init__(self, router: Router):
        self.router = router
        self.options = router.options
        self.networks = RelayNetworks(self.options.relay_networks)

    def may_relay(self, client_ip: str | None, authenticated: bool) -> bool:
        if authenticated and self.options.relay_when_authenticated:
            return True
        return client_ip in self.networks

    def check(self, recipient: str, client_ip: str | None, authenticated: bool) -> str | None:
        """None to accept the recipient, else the SMTP reply that refuses it."""
        if not addresses.domain_of(recipient):
            return BAD_ADDRESS.format(recipient)
        trusted = self.may_relay(client_ip, authenticated)
        if not trusted and addresses.has_routing_tricks(recipient):
            return TRICK_DENIED.format(recipient)
        decision = self.router.route(recipient)
        if decision.kind == routing.UNKNOWN_LOCAL:
            return UNKNOWN_USER.format(recipient)
        if trusted or self.router.is_local_user(recipient):
            return None
        if self.options.relay_for_rule_matches and self.router.first_match(recipient, include_any=False) is not None:
            return None
        return RELAY_DENIED.format(recipient)
