"""Slots (store/spool.py): a message stored into a slot made ahead is durable after one file sync,
a crash's leftovers in slots/ are sorted out at start, and readers of msg/ never see a slot."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

from app.store import spool as spool_module
from app.store.spool import SLOTS, Envelope, Spool, new_id
from tests.support import REPO
from tests.support.waiting import wait_until


def envelope(n: int = 0) -> Envelope:
    return Envelope(sender="a@lan.test", recipients=[f"b{n}@example.net"], client="192.0.2.7", received_at=1.0)


def ready(spool: Spool) -> str:
    """A slot's id: the first reserve() starts the thread that makes them."""
    first = spool.reserve()
    assert not (spool.slots / first).exists(), "a slot was ready before any was asked for"
    wait_until(lambda: len(spool._slots.ready) == SLOTS, 10, f"{SLOTS} slots made durable")
    qid = spool.reserve()
    assert (spool.slots / qid).exists() and (spool.slots / qid).stat().st_size == 0
    return qid


def test_a_message_stored_into_its_slot_is_in_msg_whole_with_its_length_and_crc(tmp_path):
    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    body = b"Subject: slot\r\n\r\n" + b"x" * 5000 + b"\r\n"
    assert spool.store_many([(qid, envelope(), (b"Received: by test\r\n", body))]) == [None]
    assert not (spool.slots / qid).exists() and (spool.msg / qid).exists()
    line, _, content = (spool.msg / qid).read_bytes().partition(b"\n")
    assert content == b"Received: by test\r\n" + body
    fields = json.loads(line)
    assert fields["recipients"] == ["b0@example.net"] and fields["length"] == len(content)
    message, read = spool.load_with_content(qid)
    assert read == content and message.envelope == envelope() and message.size == len(content)
    assert spool.load(qid).size == len(content) and spool.content(qid) == content
    assert list(spool.tmp.iterdir()) == []


def test_a_new_id_without_a_slot_goes_by_tmp_and_both_ways_mix_in_one_batch(tmp_path):
    spool = Spool(tmp_path / "queue")
    slot = ready(spool)
    plain = new_id()
    assert spool.store_many([(slot, envelope(1), (b"one",)), (plain, envelope(2), (b"two",))]) == [None, None]
    assert spool.content(slot) == b"one" and spool.content(plain) == b"two"
    assert "length" not in json.loads((spool.msg / plain).read_bytes().partition(b"\n")[0])


def test_a_slot_removed_before_its_message_came_falls_back_to_tmp(tmp_path):
    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    (spool.slots / qid).unlink()  # as a start-up's recover() of the gateway would
    spool.store(qid, envelope(), b"still stored")
    assert spool.content(qid) == b"still stored"


def test_a_failed_write_into_a_slot_leaves_nothing_under_the_message_id(tmp_path):
    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    (spool.slots / qid).unlink()
    (spool.slots / qid).mkdir()  # opening it for writing fails with IsADirectoryError
    assert isinstance(spool.store_many([(qid, envelope(), (b"x",))])[0], OSError)
    assert not (spool.msg / qid).exists()


def test_slots_are_never_listed_as_messages(tmp_path):
    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    spool.store(qid, envelope(), b"the only message")
    assert len(list(spool.slots.iterdir())) >= SLOTS // 2
    assert spool.ids() == [qid]
    assert [m.id for m in spool.messages()] == [qid]
    assert spool.recover() == [qid]


def test_release_removes_the_unused_slots(tmp_path):
    spool = Spool(tmp_path / "queue")
    ready(spool)
    spool.release_slots()
    assert list(spool.slots.iterdir()) == []


def crash_leftovers(tmp_path) -> tuple[Spool, str, str, str, bytes]:
    """A queue as a kill -9 leaves it: empty slots, a slot whose message was synced but whose
    rename was lost, and one cut short in the middle of its write, by a real process killed there."""
    spool = Spool(tmp_path / "queue")
    whole = ready(spool)
    spool._write(whole, envelope(1), (b"Subject: whole\r\n\r\nall of it\r\n",))
    (spool.msg / whole).rename(spool.slots / whole)  # the rename a crash lost
    empty = spool.reserve()
    # A real partial write: a child process writes the first 3000 of the 9000 bytes, then dies
    # (SIGKILL by itself) before the rest and before its sync, as a crash mid-write leaves it.
    torn = spool.reserve()
    framed = b"Subject: torn\r\n\r\n" + b"y" * 9000
    spool._slots.used(torn)
    child = textwrap.dedent(
        f"""
        import json, os, signal, zlib
        body = {framed!r}
        line = json.dumps({{"sender": "a@lan.test", "recipients": ["b2@example.net"], "length": len(body),
                           "crc32": zlib.crc32(body)}}).encode() + b"\\n"
        fd = os.open({str(spool.slots / torn)!r}, os.O_WRONLY)
        os.write(fd, (line + body)[:3000])
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert subprocess.run([sys.executable, "-c", child], cwd=REPO).returncode == -9
    return spool, whole, empty, torn, framed


def test_recover_queues_a_synced_slot_drops_an_empty_one_and_a_torn_one_with_a_log_line(tmp_path, caplog):
    spool, whole, empty, torn, _ = crash_leftovers(tmp_path)
    assert (spool.slots / torn).stat().st_size == 3000
    restarted = Spool(tmp_path / "queue")
    with caplog.at_level(logging.INFO, logger="tenso"):
        assert restarted.recover() == [whole]
    assert list(restarted.slots.iterdir()) == []
    assert restarted.content(whole) == b"Subject: whole\r\n\r\nall of it\r\n"
    assert f"{whole} was stored whole before a stop" in caplog.text
    assert f"{torn} removed: a stop cut it short while it was being stored (3000 bytes)" in caplog.text
    assert empty not in caplog.text


def test_a_slot_of_the_right_size_but_other_bytes_is_not_whole(tmp_path):
    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    spool._write(qid, envelope(), (b"Subject: x\r\n\r\nreal bytes\r\n",))
    raw = (spool.msg / qid).read_bytes()
    (spool.slots / qid).write_bytes(raw[:-12] + b"\0" * 12)  # the size on disk, the last block not
    (spool.msg / qid).unlink()
    assert Spool(tmp_path / "queue").recover() == []


def test_a_file_in_the_earlier_format_is_read_as_before(tmp_path):
    spool = Spool(tmp_path / "queue")
    old = b'{"sender":"a@lan.test","recipients":["b@example.net"],"mail_options":[],"client":"192.0.2.7",'
    old += b'"helo":"pc","auth_user":"","received_at":1.5}\nSubject: old\r\n\r\nbody\r\n'
    (spool.msg / "0005F0A1B2C3D001").write_bytes(old)
    assert spool.recover() == ["0005F0A1B2C3D001"]
    message, content = spool.load_with_content("0005F0A1B2C3D001")
    assert content == b"Subject: old\r\n\r\nbody\r\n" and message.envelope.helo == "pc"
    assert spool.load("0005F0A1B2C3D001").size == len(content)


def test_the_history_reads_a_slot_message_back_from_its_file(tmp_path):
    from app.history import summary

    spool = Spool(tmp_path / "queue")
    qid = ready(spool)
    spool.store(qid, envelope(), b"Subject: read back\r\n\r\nx\r\n")
    record = summary.from_file(spool.msg / qid, qid)
    assert record is not None and record.subject == "read back"
    assert spool_module.envelope_of((spool.msg / qid).read_bytes().partition(b"\n")[0]) == envelope()
