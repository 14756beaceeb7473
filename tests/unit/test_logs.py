"""The rotating log file: rolls over at its size limit without asking the file every line."""

from __future__ import annotations

import logging

from app.system.logs import RotatingFile


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
