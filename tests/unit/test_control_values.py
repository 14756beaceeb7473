"""app/control/values.py: what the channel says of the status and the queue comes back as the values
the window's tabs show (the window as the console of another gateway)."""

from __future__ import annotations

import time

from app.control.values import messages_from_json, status_from_json
from app.status import AuthBan, SignInNeeded, State, Status, needed_passwords, queue_json
from app.store.activity import DestinationStatus, Outcome
from app.store.spool import Envelope, QueuedMessage, Recipient, RecipientState
from tests.support.gateway import make_settings


def test_a_status_comes_back_from_its_json_with_its_times_counts_and_missing_passwords(tmp_path):
    settings = make_settings(
        tmp_path,
        rules=[{"match": "*", "destination": "smtp.isp.example", "port": 587, "tls": "required"}],
        auth_accounts={"common": {"username": "isp-id"}},
    )
    now = float(int(time.time()))
    hour = now - now % 3600
    status = Status(
        state=State.PAUSED,
        listening=["127.0.0.1:2525"],
        today={Outcome.RECEIVED: 4, Outcome.RELAYED: 3},
        queue_messages=1,
        queue_recipients=2,
        oldest=now - 600,
        destinations=[DestinationStatus("smtp.isp.example:587", now - 60, now - 30, "451 4.4.0 timed out", 2)],
        missing_passwords=needed_passwords(settings),  # what the gateway says is not stored
        hours=[(int(hour), {Outcome.RELAYED: 3})],
        sign_in_needed=[SignInNeeded("m365", "")],
        auth_bans=[AuthBan("192.0.2.7", now + 600, 10)],
    )
    back = status_from_json(status.as_json(), settings)
    assert back.state == State.PAUSED and back.listening == ["127.0.0.1:2525"]
    assert back.today == {Outcome.RECEIVED: 4, Outcome.RELAYED: 3}
    assert (back.queue_messages, back.queue_recipients, back.oldest) == (1, 2, now - 600)
    (d,) = back.destinations
    assert (d.name, d.last_success, d.last_failure, d.last_reply, d.failing) == (
        "smtp.isp.example:587",
        now - 60,
        now - 30,
        "451 4.4.0 timed out",
        True,
    )
    assert back.missing_passwords == status.missing_passwords  # worded from the running settings
    assert back.missing_passwords[0].key == "common" and back.missing_passwords[0].username == "isp-id"
    assert back.hours[0][0] == int(hour) and back.hours[0][1][Outcome.RELAYED] == 3
    assert back.sign_in_needed == [SignInNeeded("m365", "")]


def test_queued_messages_come_back_from_queue_list():
    now = float(int(time.time()))
    message = QueuedMessage(
        "20261208-abc",
        Envelope("alice@client.test", ["bob@far.example"], received_at=now - 120),
        [Recipient("bob@far.example", RecipientState.DEFERRED, 2, now + 300, "451 try later")],
        1234,
    )
    (back,) = messages_from_json(queue_json([message]))
    assert (back.id, back.sender, back.size, back.envelope.received_at) == (
        "20261208-abc",
        "alice@client.test",
        1234,
        now - 120,
    )
    (r,) = back.recipients
    assert (r.address, r.state, r.attempts, r.next_try, r.reply) == (
        "bob@far.example",
        RecipientState.DEFERRED,
        2,
        now + 300,
        "451 try later",
    )
