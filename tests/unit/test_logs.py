"""The log: the rotating file rolls over at its size limit without asking the file every line,
and every line reaches every handler, whatever a client put in it."""

from __future__ import annotations

import logging
import subprocess
import sys

from app.system.logs import RotatingFile
from tests.support import REPO


def test_rotating_file_rolls_over_near_its_limit_and_keeps_every_line(tmp_path):
    path = tmp_path / "tenso.log"
    handler = RotatingFile(path, maxBytes=2000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("rotating-test")
    logger.addHandler(handler)
    lines = [f"line {i:03d} 転送 " + "x" * 40 for i in range(150)]  # 57 bytes each in UTF-8: ~8,500
    for line in lines:
        logger.info(line)
    handler.close()
    files = [path, *(tmp_path / f"tenso.log.{n}" for n in (1, 2, 3))]
    assert all(f.exists() for f in files)
    # Each file stays within the limit plus at most one line (the one that crossed it).
    assert all(f.stat().st_size <= 2000 + 70 for f in files)
    kept = "".join(f.read_text(encoding="utf-8") for f in reversed(files)).splitlines()
    assert kept == lines[-len(kept) :] and len(kept) >= 3 * 2000 // 70


def test_rotating_file_counts_what_an_earlier_run_left_in_the_file(tmp_path):
    path = tmp_path / "tenso.log"
    path.write_text("y" * 1990 + "\n", encoding="utf-8")
    handler = RotatingFile(path, maxBytes=2000, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("rotating-test-2")
    logger.addHandler(handler)
    logger.info("first line of this run")
    logger.info("second line of this run")
    handler.close()
    assert (tmp_path / "tenso.log.1").read_text(encoding="utf-8").startswith("y" * 1990)
    assert "second line of this run" in path.read_text(encoding="utf-8")


# --- lines that no handler could write -------------------------------------------------------

LOG_ONE_LINE = """
import logging, sys
from pathlib import Path
from app.system import logs
logs.setup(file=Path(sys.argv[1]))
logging.getLogger("tenso").info(sys.argv[2].encode().decode("unicode_escape"))
logs.stop()
"""


def log_in_a_process(tmp_path, text: str) -> tuple[str, str]:
    """Logs ``text`` (given with backslash escapes) through logs.setup in a real process: its
    stderr and the log file, as text."""
    path = tmp_path / "tenso.log"
    result = subprocess.run(
        [sys.executable, "-c", LOG_ONE_LINE, str(path), text],
        cwd=REPO,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.decode("utf-8", "replace"), path.read_text(encoding="utf-8")


def test_a_line_with_bytes_that_are_not_utf8_reaches_the_file_and_stderr_escaped(tmp_path):
    """Before: the file handler failed ("--- Logging error ---", surrogates not allowed) and the
    line, about a message that got its 250, was missing from the file."""
    # aiosmtpd hands the bytes E2 82 over as the surrogate escapes U+DCE2 U+DC82.
    stderr, file = log_in_a_process(tmp_path, r"Q1 accepted from=<\udce2\udc82@src.test> to=<a\x1bb@dest.test>")
    line = r"INFO Q1 accepted from=<\xe2\x82@src.test> to=<a\x1bb@dest.test>"
    assert line in file and line in stderr, (file, stderr)
    assert "Logging error" not in stderr


def test_a_record_is_formatted_once_for_both_handlers_and_afresh_by_another_formatter(tmp_path):
    from app.system.logs import LOG_FORMAT, Formatter

    class Counting(Formatter):
        made = 0

        def formatMessage(self, record: logging.LogRecord) -> str:
            Counting.made += 1
            return super().formatMessage(record)

    shared = Counting(LOG_FORMAT)
    stream = RotatingFile(tmp_path / "a.log", maxBytes=0, encoding="utf-8")
    stream.setFormatter(shared)
    file = RotatingFile(tmp_path / "b.log", maxBytes=1 << 20, encoding="utf-8")
    file.setFormatter(shared)
    other = logging.FileHandler(tmp_path / "c.log", "w", encoding="utf-8")
    other.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.Logger("format-once-test")
    for handler in (stream, file, other):
        logger.addHandler(handler)
    logger.info("QID1 accepted from=<%s>", "a@lan.test")
    logger.info("QID2 accepted from=<%s>", "b@lan.test")
    for handler in (stream, file, other):
        handler.close()
    assert Counting.made == 2, "each record was formatted more than once"
    a, b = ((tmp_path / n).read_text(encoding="utf-8").splitlines() for n in ("a.log", "b.log"))
    assert a == b and a[1].endswith(" INFO QID2 accepted from=<b@lan.test>")
    assert (tmp_path / "c.log").read_text(encoding="utf-8").splitlines()[0] == "INFO QID1 accepted from=<a@lan.test>"
