"""The message history at size: a file of 100,000 realistic messages, written through the real
writer (app.history.writer.Recorder), then the searches an administrator makes, timed::

    .venv/bin/python bench/history_search.py                 # 100,000 messages, in a temp folder
    .venv/bin/python bench/history_search.py --messages 20000 --keep DIR

It prints the time to write them (rows a second), the file's size per 1,000 messages, the median
time of each typical search (``query.search``, first page of 50, as ``python -m app history``
and the window's History tab ask), of a deep page and of ``query.detail``, and the cost of
reading one message's header fields (``summary.received``) for a scan with a 300 KB PDF.

The messages: 90 days of office mail, newest last; 40 senders (multifunction printers with
device logins, people); one to three recipients; Japanese subjects; 90 % sent at the first
attempt with the upstream's ``queued as`` id, 4 % deferred then sent, 3 % bounced with a DSN,
2 % still deferred, and one refusal for every hundred messages.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.history import query, summary
from app.history.query import Filters
from app.history.records import Attempt, Received, Record, Refusal, State
from app.history.writer import Recorder
from app.store.spool import Envelope

SUBJECTS = ["スキャン", "見積書の送付", "請求書(12月分)", "議事録", "Re: 打ち合わせの件", "FAX受信", "週報", "注文書"]
DOMAINS = ["example.co.jp", "customer.example.jp", "partner.example.com", "branch.example.jp"]
REPEATS = 7


def realistic(n: int, rng: random.Random) -> tuple[list[Record], str]:
    """``n`` messages over the last 90 days (with their attempts and some refusals), and the
    Message-ID of one in the middle (what a search by Message-ID looks for)."""
    now = time.time()
    start = now - 90 * 86400
    senders = [f"mfp-{i}@office.example.jp" for i in range(10)] + [f"user{i}@office.example.jp" for i in range(30)]
    records: list[Record] = []
    wanted = ""
    for i in range(n):
        when = start + (now - start) * i / n
        qid = f"{int(when * 1_000_000):013X}{i % 4096:03X}"
        sender = rng.choice(senders)
        recipients = [f"u{rng.randrange(5000)}@{rng.choice(DOMAINS)}" for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        message_id = f"<{qid.lower()}.{i}@mfp.office.example.jp>"
        if i == n // 2:
            wanted = message_id
        records.append(
            Received(
                qid=qid,
                received=when,
                client=f"192.168.1.{rng.randrange(2, 250)}",
                login=f"device:{sender.split('@')[0]}" if sender.startswith("mfp") else "",
                sender=sender,
                recipients=recipients,
                header_from=f"複合機 {sender.split('@')[0]} <{sender}>",
                subject=f"{rng.choice(SUBJECTS)} {i}",
                message_id=message_id,
                size=rng.randrange(2_000, 3_000_000),
                attachments=rng.choice((0, 1, 1, 2)),
                helo="mfp.office.example.jp",
            )
        )
        for rcpt in recipients:
            roll = rng.random()
            destination, rule = "smtp.isp.example.net:587", 1
            queued = f"250 2.0.0 Ok: queued as {rng.getrandbits(40):010X}"
            if roll < 0.90:
                steps = [(State.SENT, queued)]
            elif roll < 0.94:
                steps = [(State.DEFERRED, "451 4.4.0 connection timed out"), (State.SENT, queued)]
            elif roll < 0.97:
                steps = [(State.BOUNCED, f"550 5.1.1 <{rcpt}>: Recipient address rejected")]
            else:
                steps = [(State.DEFERRED, "421 4.7.0 try again later")]
            for attempt, (state, reply) in enumerate(steps, 1):
                records.append(
                    Attempt(
                        qid,
                        rcpt,
                        attempt,
                        when + attempt * 60,
                        state.value,
                        reply,
                        rule,
                        destination,
                        "isp",
                        reply.rsplit(" ", 1)[1] if state == State.SENT else None,
                        f"{qid[:-3]}FFF" if state == State.BOUNCED else "",
                    )
                )
        if i % 100 == 0:
            records.append(
                Refusal(
                    f"R{i}",
                    when,
                    "RCPT",
                    "203.0.113.7",
                    "",
                    "spam@bad.example",
                    ["x@office.example.jp"],
                    "550 5.7.1 Relaying denied",
                )  # fmt: skip
            )
    return records, wanted


def timed(fn) -> float:
    """The median of REPEATS runs, in milliseconds."""
    runs = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs)


def scan_message() -> bytes:
    pdf = base64.encodebytes(random.Random(1).randbytes(300_000)).replace(b"\n", b"\r\n")
    subject = "=?ISO-2022-JP?B?" + base64.b64encode("スキャンしました".encode("iso2022_jp")).decode() + "?="
    return (
        (
            f"From: mfp-1@office.example.jp\r\nTo: sales@example.co.jp\r\nSubject: {subject}\r\n"
            "Message-ID: <scan.1@mfp.office.example.jp>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nscan\r\n'
            '--b1\r\nContent-Type: application/pdf; name="scan.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + pdf
        + b"\r\n--b1--\r\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the file in this folder and leave it there")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="tenso-history-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "history.sqlite3"
    path.unlink(missing_ok=True)

    records, wanted = realistic(args.messages, random.Random(26))
    recorder = Recorder(path, folder / "msg", days=3650)
    began = time.perf_counter()
    for start in range(0, len(records), 5000):  # the writer's batches are at most 5,000 records
        recorder.add(records[start : start + 5000])
        recorder.write_pending()
    wrote = time.perf_counter() - began
    recorder._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    recorder.write_pending()
    size = path.stat().st_size
    print(
        f"{args.messages:,} messages, {len(records):,} records written in {wrote:.1f} s ({len(records) / wrote:,.0f}/s)"
    )
    print(f"file: {size / 1e6:.1f} MB, {size / args.messages * 1000 / 1e3:.0f} KB per 1,000 messages")

    day = time.time() - 86400
    searches = {
        "newest 50, no filter": Filters(),
        "--since 1d": Filters(since=day),
        "--from mfp-3@": Filters(sender="mfp-3@"),
        "--to u1234@": Filters(recipient="u1234@"),
        "--subject 請求書": Filters(subject="請求書"),
        "--message-id (one message)": Filters(message_id=wanted),
        "--state bounced": Filters(state=State.BOUNCED),
        "--state deferred --from user7@": Filters(state=State.DEFERRED, sender="user7@"),
        "--state refused": Filters(state=State.REFUSED),
        "--to nobody@ (no match: every row read)": Filters(recipient="nobody@nowhere"),
    }
    print(f"\nsearch (first page of {query.DEFAULT_LIMIT}; median of {REPEATS})")
    for name, filters in searches.items():
        found = query.search(path, filters)
        print(f"  {name:42} {timed(lambda f=filters: query.search(path, f)):8.1f} ms   {len(found):3} found")
    print(
        f"  {'page 100 (offset 4,950), no filter':42} {timed(lambda: query.search(path, Filters(), 50, 4950)):8.1f} ms"
    )
    some = query.search(path, Filters(message_id=wanted))[0]["id"]
    print(f"  {'detail of one message':42} {timed(lambda: query.detail(path, some)):8.1f} ms")

    content = scan_message()
    envelope = Envelope(
        "mfp-1@office.example.jp", ["sales@example.co.jp"], client="192.168.1.5", received_at=time.time()
    )
    runs = 2000
    began = time.perf_counter()
    for _ in range(runs):
        summary.received("Q", envelope, (b"Received: x\r\n", content))
    print(f"\nreading one scan's header fields ({len(content) // 1000} KB, 1 PDF): "
          f"{(time.perf_counter() - began) / runs * 1e6:.0f} µs")  # fmt: skip
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
