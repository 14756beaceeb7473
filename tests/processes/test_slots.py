"""Slots (store/spool.py) in the real process: `python -m app --headless` killed with SIGKILL while
20 sessions store into slots, then restarted with the upstream up.  Every message that got its 250
arrives once, exactly as sent; what the crash left in slots/ is sorted out at start (a torn slot
removed with a log line, never delivered); a message file in the earlier format is delivered too."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

from tests.processes.test_durability import MESSAGE_ID, QUEUED_AS, kill_mid_stream, spool_files, wait_spool_empty
from tests.support import REPO
from tests.support.processes import free_port, write_config
from tests.support.smtp import strip_received

SESSIONS = 20
TOTAL = 300
KILL_AFTER = 120


def content(mid: str) -> bytes:
    """What the client sends: a Message-ID and a body of its own, some 2 KB."""
    return (
        f"From: a@lan.test\r\nTo: b@example.net\r\nSubject: slot {mid}\r\nMessage-ID: <{mid}>\r\n\r\n"
        + f"line of {mid}\r\n" * 80
    ).encode()


def submit(port: int, mid: str) -> str | None:
    import smtplib

    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
    except OSError:
        return None
    try:
        client.ehlo("client.test")
        if client.mail("a@lan.test")[0] != 250 or client.rcpt("b@example.net")[0] != 250:
            return None
        code, reply = client.data(content(mid))
        match = QUEUED_AS.search(reply.decode())
        return match.group(1) if code == 250 and match else None
    except (OSError, smtplib.SMTPException):
        return None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def test_sigkill_while_20_sessions_store_into_slots_every_250_arrives_once_as_sent(tmp_path, tenso, upstream_factory):
    listen_port, upstream_port = free_port(), free_port()
    config = write_config(tmp_path, listen_port, upstream_port)
    first = tenso(config, listen_port)  # the upstream port is closed: everything stays queued
    queue = tmp_path / "queue"

    acked, unacked = kill_mid_stream(
        first, lambda mid: submit(listen_port, mid), TOTAL, SESSIONS, KILL_AFTER, "slot", 90
    )
    assert unacked, "the kill came after every message was accepted: nothing was tested mid-stream"
    left = spool_files(tmp_path, "slots")
    assert left, "no slot in slots/ at the kill: the messages did not go by slots"
    assert set(acked.values()) <= spool_files(tmp_path) | left
    assert len(set(acked.values()) - left) > len(acked) // 2  # most ids were slots' made ahead, now in msg/

    # What else a crash can leave: a slot cut short in the middle of its write by a real process
    # killed there, and a message file an earlier Tenso wrote (no length or crc32 in its envelope line).
    torn = "0005F0000000A001"
    torn_body = content("torn@client.test")
    line = json.dumps(
        {
            "sender": "a@lan.test",
            "recipients": ["b@example.net"],
            "length": len(torn_body),
            "crc32": zlib.crc32(torn_body),
        }
    ).encode()
    first_700 = (line + b"\n" + torn_body)[:700]
    child = (
        f"import os, signal\nfd = os.open({str(queue / 'slots' / torn)!r}, os.O_WRONLY | os.O_CREAT)\n"
        f"os.write(fd, {first_700!r})\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    assert subprocess.run([sys.executable, "-c", child], cwd=REPO).returncode == -9
    old = "0005F0000000B001"
    (queue / "msg" / old).write_bytes(
        b'{"sender":"a@lan.test","recipients":["b@example.net"],"mail_options":[],"client":"192.0.2.7",'
        b'"helo":"pc","auth_user":"","received_at":1.5}\nReceived: from pc by an earlier Tenso\r\n'
        + content("old@client.test")
    )

    upstream = upstream_factory(port=upstream_port)
    second = tenso(config, listen_port)
    wait_spool_empty(tmp_path, 30, second)

    got: dict[str, list[bytes]] = {}
    for message in upstream.messages:
        mid = MESSAGE_ID.search(message.data)
        assert mid, message.data[:300]
        got.setdefault(mid.group(1).decode(), []).append(strip_received(message.data))
    missing = sorted(set(acked) - set(got))
    assert not missing, f"{len(missing)} acknowledged message(s) never arrived: {missing[:10]}"
    for mid, copies in got.items():
        assert len(copies) == 1, f"{mid} arrived {len(copies)} times"
        assert copies[0] == content(mid), f"{mid} is not as sent"
    assert set(got) - set(acked) <= set(unacked) | {"old@client.test"}
    assert "old@client.test" in got, "the file in the earlier format was not delivered"
    assert "torn@client.test" not in got
    assert f"{torn} removed: a stop cut it short while it was being stored (700 bytes)" in second.log
    assert spool_files(tmp_path, "slots") == set(), "the killed run's slots were not removed at start"
    assert "Traceback" not in first.log + second.log
