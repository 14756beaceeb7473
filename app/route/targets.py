"""Where a decision sends a recipient: one small type per way out, each delivered by its courier
(``app/deliver/couriers``, which maps these types to couriers).

A rule's server is the only target with values of its own (host, port, TLS mode); the others are
known by their type alone.  ``RouteKind`` is the word the ``route`` command prints for each
(``delivery`` in ``route --json``), so a target's kind never changes once it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from app.settings import Destination, TlsMode


class RouteKind(StrEnum):
    """Where a decision sends a recipient (the ``route`` command prints these words)."""

    FORWARD = "forward"  # to the rule's destination server
    GRAPH = "graph"  # through Microsoft Graph sendMail, with the rule's account
    LOCAL = "local"  # MTA: a local user's mailbox
    MX = "mx"  # MTA: the recipient domain's mail exchangers
    UNKNOWN_LOCAL = "unknown-local"  # MTA: a local domain, but no such user


Word = Destination  # the rules[].destination words that name no server (MTA, GRAPH)


@dataclass(frozen=True)
class Target:
    """A way out; ``kind`` is its word in ``route``, ``destination`` what ``route`` shows as the
    destination (the rule's server, else the word of the rule's destination)."""

    kind: ClassVar[RouteKind]

    @property
    def destination(self) -> str:
        return Word.MTA


@dataclass(frozen=True)
class ServerTarget(Target):
    """The rule's own server, over SMTP."""

    kind = RouteKind.FORWARD
    host: str
    port: int
    tls: TlsMode | str  # rules[].tls

    @property
    def destination(self) -> str:
        return self.host


@dataclass(frozen=True)
class GraphTarget(Target):
    """Microsoft Graph ``sendMail``, as the rule's account's mailbox (``Decision.auth``)."""

    kind = RouteKind.GRAPH

    @property
    def destination(self) -> str:
        return Word.GRAPH


@dataclass(frozen=True)
class MxTarget(Target):
    """Normal delivery to anyone else: the recipient domain's MX hosts."""

    kind = RouteKind.MX


@dataclass(frozen=True)
class LocalTarget(Target):
    """Normal delivery to a local user: their forward.txt, then their mailbox."""

    kind = RouteKind.LOCAL


@dataclass(frozen=True)
class UnknownLocal(Target):
    """Normal delivery to a local domain that has no such user: refused."""

    kind = RouteKind.UNKNOWN_LOCAL


# The words of rules[].destination that name a way out of their own, not MTA and not a server:
# the target a rule with that word gives (its account is the rule's, its recipient unchanged).
BY_WORD: dict[str, type[Target]] = {Word.GRAPH: GraphTarget}
