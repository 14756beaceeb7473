"""The control channel's wire format and addresses (app/control/protocol.py, address.py): lines
of JSON with a bound, and the addresses both ends derive from the queue folder alone (the
Windows pipe's name and SDDL too, which are plain text and tested here on every system)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.control import address, protocol


def reader_of(*chunks: bytes, limit: int = protocol.MAX_LINE) -> protocol.LineReader:
    pending = list(chunks)
    return protocol.LineReader(lambda: pending.pop(0) if pending else b"", limit)


def test_lines_are_taken_whole_across_chunks_and_several_in_one_chunk():
    reader = reader_of(b'{"op": "a"}\n{"op"', b': "b", "args": {"x": 1}}\n')
    assert protocol.parse_request(reader.next_line()) == protocol.Request("a", {})
    assert protocol.parse_request(reader.next_line()) == protocol.Request("b", {"x": 1})
    assert reader.next_line() is None


def test_a_line_over_the_bound_is_refused_even_before_its_newline_arrives():
    with pytest.raises(protocol.LineTooLong, match="at most 10 bytes"):
        reader_of(b"x" * 11, limit=10).next_line()
    with pytest.raises(protocol.LineTooLong):
        reader_of(b"x" * 11 + b"\n", limit=10).next_line()
    assert reader_of(b"x" * 10 + b"\n", limit=10).next_line() == b"x" * 10


@pytest.mark.parametrize(
    "line, words",
    [
        (b"not json", "not a line of JSON"),
        (b"\xff\xfe", "not a line of JSON in UTF-8"),
        (b"[1, 2]", 'must be a JSON object with "op"'),
        (b'{"op": 3}', 'must be a JSON object with "op"'),
        (b'{"op": "x", "args": [1]}', '"args" must be a JSON object'),
    ],
)
def test_what_is_not_a_request_is_named(line, words):
    with pytest.raises(protocol.ProtocolError, match=words):
        protocol.parse_request(line)


def test_replies_round_trip_in_utf8():
    assert protocol.parse_reply(protocol.ok({"text": "送信済み"}).rstrip(b"\n")) == {
        "ok": True,
        "result": {"text": "送信済み"},
    }
    assert protocol.parse_reply(protocol.error("no").rstrip(b"\n")) == {"ok": False, "error": "no"}
    assert "送信済み".encode() in protocol.ok("送信済み")  # not \\u escapes: readable in a capture


unix_only = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket paths (Windows: a named pipe)")


@unix_only
def test_the_socket_lives_in_the_queue_folder_when_its_path_fits(tmp_path):
    queue = tmp_path / "q"
    queue.mkdir()
    assert address.socket_path(queue) == queue / "control.sock"


@unix_only
def test_a_queue_path_too_long_for_a_unix_socket_gets_a_short_one_named_by_its_hash(tmp_path):
    queue = tmp_path / ("long-folder-name-" * 8)
    queue.mkdir()
    path = address.socket_path(queue)
    assert len(os.fsencode(path)) <= address.MAX_SOCKET_PATH
    assert path.parent == address.short_folder(os.getuid())
    assert path == address.socket_path(queue)  # both ends derive the same
    other = tmp_path / ("long-folder-name-" * 8 + "2")
    other.mkdir()
    assert address.socket_path(other) != path


def test_for_queue_resolves_the_folder_so_both_ends_agree(tmp_path, monkeypatch):
    queue = tmp_path / "q"
    queue.mkdir()
    monkeypatch.chdir(tmp_path)
    assert address.for_queue(Path("q")) == address.for_queue(queue)
    assert address.for_queue(tmp_path / "x" / ".." / "q") == address.for_queue(queue)


def test_the_pipe_name_is_the_same_for_the_same_folder_in_any_case():
    a = address.pipe_name(r"C:\ProgramData\Tenso\queue")
    assert a == address.pipe_name(r"c:\programdata\tenso\QUEUE")
    assert a.startswith("\\\\.\\pipe\\tenso-") and len(a) == len("\\\\.\\pipe\\tenso-") + 16
    assert a != address.pipe_name(r"C:\Users\sato\AppData\Local\Tenso\queue")


def test_the_pipe_sddl_allows_system_administrators_the_user_and_the_installer_only():
    own, installer = "S-1-5-80-1234-5678", "S-1-5-21-1-2-3-1001"
    assert address.pipe_sddl(own) == "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;S-1-5-80-1234-5678)"
    assert address.pipe_sddl(own, installer) == (
        "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;S-1-5-80-1234-5678)(A;;GA;;;S-1-5-21-1-2-3-1001)"
    )
    assert address.pipe_sddl(own, own).count(own) == 1
    assert "WD" not in address.pipe_sddl(own)  # never Everyone


@pytest.mark.parametrize("bad", ["WD", "S-1-5-21-1)(A;;GA;;;WD", "", "S-1"])
def test_what_is_not_a_sid_never_reaches_the_sddl(bad):
    with pytest.raises(ValueError, match="not a Windows security identifier"):
        address.pipe_sddl("S-1-5-18", bad)
