"""A rule's own server, over SMTP (smtp/): one transaction per destination (host, port, TLS mode,
account), with the recipients as the rule sends them (after its conversion host)."""

from __future__ import annotations

from collections import defaultdict

from app.deliver import credentials, smtp, throttle
from app.deliver.couriers.base import Batch, Reply, Shared, failing, for_smtp, rewritten, unsendable
from app.route.router import Decision
from app.route.targets import ServerTarget
from app.store.spool import QueuedMessage, Recipient


class ServerCourier:
    def __init__(self, shared: Shared):
        self.shared = shared

    def slot(self, decision: Decision) -> str:
        return _via(_target(decision))

    def deliver(self, batch: Batch) -> list[Reply]:
        # One transaction per destination and sender to send as (rules[].rewrite_from).
        by_destination: dict[tuple[smtp.Destination, str], list[tuple[Recipient, str]]] = defaultdict(list)
        for rcpt, decision in batch.recipients:
            target = _target(decision)
            destination = smtp.Destination(
                target.host, target.port, target.tls, decision.auth, decision.rule, self.shared.settings.source
            )
            by_destination[destination, decision.send_from].append((rcpt, decision.rcpt))
        replies: list[Reply] = []
        content = for_smtp(batch.message.id, batch.content)
        for (destination, send_from), items in by_destination.items():
            if self.shared.loopback.loops(destination.host, destination.port):
                loop = (
                    f"554 5.4.6 rule {destination.rule} sends to {destination.host}:{destination.port}, "
                    "which loops back to myself"
                )
                replies += [Reply(rcpt, loop) for rcpt, _ in items]
                continue
            try:
                replies += self._transaction(batch.message, destination, items, content, send_from)
            except UnicodeError as exc:
                replies += unsendable(batch.message.id, [rcpt for rcpt, _ in items], exc, _via(destination))
        return replies

    def _transaction(
        self,
        message: QueuedMessage,
        destination: smtp.Destination,
        items: list[tuple[Recipient, str]],
        content: bytes,
        send_from: str,
    ) -> list[Reply]:
        by_rcpt: dict[str, list[Recipient]] = defaultdict(list)  # two recipients may be sent as one
        for rcpt, rcpt_as in items:
            by_rcpt[rcpt_as].append(rcpt)
        settings = self.shared.settings
        secret = credentials.secret_for(settings, destination.account, message.id)
        sender, content = rewritten(message, content, send_from)
        mail = smtp.Outgoing(settings.server.hostname, sender, list(by_rcpt), content, message.envelope.mail_options)
        answers = smtp.deliver(self.shared.pool, destination, secret, mail)
        via = _via(destination)
        auth = f" auth={destination.account.name}" if destination.account else ""
        replies = []
        for sent_as, answer in answers.items():
            # "Too many sessions", "too many today": the mail waits as long as that implies, even for a 5xx.
            reply, wait = throttle.deferral(answer) or (answer, None)
            for rcpt in by_rcpt[sent_as]:
                shown = f"<{rcpt.address}>" + (f" as <{sent_as}>" if sent_as != rcpt.address else "")
                replies.append(Reply(rcpt, reply, via, f"to={shown} relay={via}{auth}", failing(reply), wait))
        return replies


def _target(decision: Decision) -> ServerTarget:
    assert isinstance(decision.target, ServerTarget)  # the registry gives this courier no other
    return decision.target


def _via(server: ServerTarget | smtp.Destination) -> str:
    """The destination's name: what the scheduler counts, the status counts and the log show."""
    return f"{server.host}:{server.port}"
