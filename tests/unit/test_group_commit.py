"""Group commit (store/commit.py, Spool.store_many): many messages made durable together, each
answered on its own: one that cannot be written fails alone, and no answer comes before its file
is in msg/."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.store.commit import Committer
from app.store.spool import Envelope, Spool


def envelope(n: int) -> Envelope:
    return Envelope(sender="a@lan.test", recipients=[f"b{n}@example.net"], received_at=1.0)


def test_store_many_writes_every_message_and_fails_only_the_one_that_cannot_be_written(tmp_path):
    spool = Spool(tmp_path / "queue")
    (spool.tmp / "B").write_bytes(b"a file left in the way")  # O_EXCL: this id cannot be written
    results = spool.store_many([(qid, envelope(i), (b"Subject: ", qid.encode())) for i, qid in enumerate("ABC")])
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], FileExistsError)
    assert spool.ids() == ["A", "C"]
    assert spool.content("C") == b"Subject: C"
    assert json.loads((spool.msg / "A").read_bytes().partition(b"\n")[0])["recipients"] == ["b0@example.net"]
    assert sorted(p.name for p in spool.tmp.iterdir()) == ["B"], "a failed write left its own file behind"


def test_concurrent_stores_are_each_durable_when_answered(tmp_path):
    spool = Spool(tmp_path / "queue")
    committer = Committer(spool, threads=2)
    (spool.tmp / "M007").write_bytes(b"in the way")
    answered_with_file: dict[str, bool] = {}

    async def one(n: int) -> None:
        qid = f"M{n:03d}"
        try:
            await committer.store(qid, envelope(n), b"body ", qid.encode())
        finally:
            answered_with_file[qid] = (spool.msg / qid).exists()

    async def run() -> list:
        return await asyncio.gather(*(one(n) for n in range(60)), return_exceptions=True)

    outcomes = asyncio.run(run())
    failed = [n for n, o in enumerate(outcomes) if isinstance(o, BaseException)]
    assert failed == [7] and isinstance(outcomes[7], FileExistsError)
    assert len(spool.ids()) == 59
    assert all(answered_with_file[f"M{n:03d}"] for n in range(60) if n != 7), "an answer came before its file"
    assert committer._threads <= 2


def test_a_committer_serves_a_second_loop(tmp_path):
    """The window can restart the gateway on a new loop; a committer's threads answer each loop's own."""
    spool = Spool(tmp_path / "queue")
    committer = Committer(spool, threads=1)
    asyncio.run(committer.store("X1", envelope(1), b"one"))
    asyncio.run(committer.store("X2", envelope(2), b"two"))
    assert spool.ids() == ["X1", "X2"]


@pytest.mark.parametrize("threads", [1, 4])
def test_every_thread_waits_without_a_timer_when_idle(tmp_path, threads):
    spool = Spool(tmp_path / "queue")
    committer = Committer(spool, threads=threads)

    async def run() -> None:
        await asyncio.gather(*(committer.store(f"I{n}", envelope(n), b"x") for n in range(20)))
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0.05)
        assert not [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]

    asyncio.run(run())
    assert committer._waiting == committer._threads  # all parked on the condition


def test_load_with_content_reads_what_load_and_content_read(tmp_path):
    spool = Spool(tmp_path / "queue")
    big = b"line of a large message\r\n" * 200_000  # 5 MB
    spool.store("L1", envelope(1), b"Subject: big\r\n\r\n", big)
    message, content = spool.load_with_content("L1")
    assert content == spool.content("L1") == b"Subject: big\r\n\r\n" + big
    assert message.size == spool.load("L1").size == len(content)
    assert message.recipients[0].address == "b1@example.net" and not message.state_saved
    spool.save_state(message)
    assert message.state_saved and spool.load_with_content("L1")[0].state_saved
