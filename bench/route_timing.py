"""Route decision time, in-process: app.route.router.Router built by app.settings.from_dict.

bench/run.py runs this with the project's python (it imports ``app``)::

    .venv/bin/python bench/route_timing.py --rules 10 10000 --decisions 200000

and reads the JSON list it prints: per rule count, the time to build the table
(``from_dict`` + ``Router``) and the time of one ``Router.route`` call in µs.

The table mixes the three kinds of rows a real one has (an address, an
``@domain``, every subdomain ``@*.domain``) and ends with ``*``.  A quarter of
the recipients match each kind and a quarter fall through to ``*``, so every
lookup path is timed, and each answer is checked once before any timing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.route.router import Router
from app.settings import from_dict

KINDS = ("address", "domain", "subdomains")
DISTINCT_RECIPIENTS = 4096


def make_rules(count: int) -> list[dict]:
    rules = []
    for i in range(count - 1):
        match = {
            "address": f"user{i}@corp{i}.example.jp",
            "domain": f"@branch{i}.example.jp",
            "subdomains": f"@*.region{i}.example.jp",
        }[KINDS[i % 3]]
        rules.append({"match": match, "destination": f"relay{i % 7}.isp.example.net", "port": 587, "tls": "none"})
    rules.append({"match": "*", "destination": "smtp.isp.example.net", "port": 25, "tls": "none"})
    return rules


def make_recipients(count: int, rng: random.Random) -> list[tuple[str, int]]:
    """(recipient, expected 1-based rule) pairs."""
    found = []
    for j in range(DISTINCT_RECIPIENTS):
        pick = rng.randrange(4)
        if pick == 3 or count == 1:
            found.append((f"someone{j}@elsewhere{j % 97}.example.com", count))  # falls through to *
            continue
        candidates = range(pick, count - 1, 3)
        if not candidates:
            found.append((f"someone{j}@elsewhere{j % 97}.example.com", count))
            continue
        i = rng.choice(candidates)
        recipient = {
            "address": f"User{i}@Corp{i}.example.jp",  # case differs: normalisation is part of the work
            "domain": f"staff{j}@branch{i}.example.jp",
            "subdomains": f"staff{j}@tokyo.region{i}.example.jp",
        }[KINDS[i % 3]]
        found.append((recipient, i + 1))
    return found


def measure(count: int, decisions: int, repeats: int) -> dict:
    data = {"version": 1, "rules": make_rules(count)}
    builds = []
    router = None
    for _ in range(3):
        t0 = time.perf_counter()
        router = Router(from_dict(json.loads(json.dumps(data))))
        builds.append(time.perf_counter() - t0)
    pairs = make_recipients(count, random.Random(count))
    for recipient, rule in pairs:
        got = router.route(recipient).rule
        if got != rule:
            raise SystemExit(f"{count} rules: {recipient} went to rule {got}, expected {rule}")
    recipients = [r for r, _ in pairs]
    batch = (recipients * (decisions // len(recipients) + 1))[:decisions]
    route = router.route
    per_decision = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for recipient in batch:
            route(recipient)
        per_decision.append((time.perf_counter() - t0) / len(batch) * 1e6)
    return {
        "rules": count,
        "build_ms": statistics.median(builds) * 1000,
        "decision_us": statistics.median(per_decision),
        "decision_us_min": min(per_decision),
        "decisions": len(batch),
        "repeats": repeats,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, nargs="+", default=[10, 10000])
    parser.add_argument("--decisions", type=int, default=200_000, help="route() calls per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps([measure(count, args.decisions, args.repeats) for count in args.rules]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
