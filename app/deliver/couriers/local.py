"""Normal delivery to a local domain: a local user's forward.txt decides (keep in the Maildir,
forward copies, a subject-only notice), and a recipient that is no local user is refused.

A forward.txt copy is queued as a new message, which goes through the rules like any mail.
Neither holds a delivery slot for long (a file write), so neither is counted (slot None).
"""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from typing import TYPE_CHECKING

from app.deliver import mailbox, reports
from app.deliver.couriers.base import Batch, Reply, Shared, unsendable
from app.mail import addresses, forwarding
from app.store.activity import LOCAL_DESTINATION
from app.store.spool import Envelope, OwnClient, new_id

if TYPE_CHECKING:
    from app.route.router import Decision
    from app.store.spool import QueuedMessage, Recipient

log = logging.getLogger("tenso")


class LocalCourier:
    def __init__(self, shared: Shared):
        self.shared = shared

    def slot(self, decision: Decision) -> None:
        return None

    def deliver(self, batch: Batch) -> list[Reply]:
        replies: list[Reply] = []
        for rcpt, _ in batch.recipients:
            created: list[str] = []  # kept also when a later step fails: these copies are queued
            try:
                reply = self._deliver(batch.message, rcpt, batch.content, created)
            except UnicodeError as exc:
                (reply,) = unsendable(batch.message.id, [rcpt], exc, LOCAL_DESTINATION)
            reply.created = tuple(created)
            replies.append(reply)
        return replies

    def _deliver(self, message: QueuedMessage, rcpt: Recipient, content: bytes, created: list[str]) -> Reply:
        settings = self.shared.settings
        user = addresses.normalize(rcpt.address)
        lines = next((u.forward for u in settings.local_users if addresses.normalize(u.address) == user), [])
        outcome = forwarding.evaluate(lines, message.sender)
        done = []
        try:
            if outcome.keep:
                path = mailbox.deliver(settings.mailbox_path, user, message.sender, content)
                done.append(f"stored in {path.parent.parent.name}")
            for target in outcome.forward_to:
                qid = self._forward_copy(message, user, target, content, outcome.subject_only)
                created.append(qid)
                done.append(f"{'notice' if outcome.subject_only else 'forwarded'} to <{target}> as {qid}")
        except OSError as exc:
            log.error("%s to=<%s> local delivery failed: %s", message.id, user, exc)
            failed = f"451 4.3.0 local delivery to {user} failed: {exc}"
            return Reply(rcpt, failed, LOCAL_DESTINATION)
        rule = f" (forward.txt line {outcome.line})" if outcome.line else ""
        reply = "250 2.0.0 " + ("; ".join(done) or "discarded") + rule
        log.info("%s to=<%s> local: %s", message.id, user, reply[10:])
        return Reply(rcpt, reply, LOCAL_DESTINATION)

    def _forward_copy(self, message: QueuedMessage, user: str, target: str, content: bytes, subject_only: bool) -> str:
        """Queues the forward.txt copy as a new message; it goes through the rules like any mail."""
        qid = new_id()
        hostname = self.shared.settings.server.hostname
        if subject_only:
            sender, body = user, reports.subject_notice(hostname, user, target, message.sender, content)
            options: list[str] = []
        else:
            # A Received header per forward hop, so a forward loop meets the hop limit.
            received = (
                f"Received: by {hostname} (Tenso) with forward.txt id {qid}\r\n"
                f"\tfor <{target}> (forwarded for <{user}>); {formatdate(localtime=True)}\r\n"
            )
            sender, body = message.sender, received.encode("utf-8", "surrogateescape") + content
            options = list(message.envelope.mail_options)
        envelope = Envelope(
            sender=sender,
            recipients=[target],
            mail_options=options,
            client=OwnClient.FORWARD,
            helo=hostname,
            received_at=time.time(),
        )
        self.shared.context.spool.store(qid, envelope, body)
        log.info(
            "%s created from %s: forward.txt of <%s> to <%s>%s",
            qid,
            message.id,
            user,
            target,
            " (subject only)" if subject_only else "",
        )
        return qid


class NoSuchUser:
    """A local domain's recipient that is no local user: refused.  RCPT refuses them already, so
    this is mail queued otherwise (a forward.txt copy), or before the user was removed."""

    def __init__(self, shared: Shared):
        self.shared = shared

    def slot(self, decision: Decision) -> None:
        return None

    def deliver(self, batch: Batch) -> list[Reply]:
        return [Reply(rcpt, f"550 5.1.1 <{rcpt.address}>: no such user here") for rcpt, _ in batch.recipients]
