"""What Tenso borrows from aiosmtpd's insides is pinned (app/receive/aiosmtpd_private.py).

These fail at once when an upgrade moves anything the adaptations in app/receive/smtp.py lean
on: the installed aiosmtpd is not the one requirements.txt pins, a listed name is gone, a listed
method takes other parameters, or the source of a method Tenso replaces or reproduces changed
(``smtp_DATA`` first: the version that fixed SMTP smuggling rewrote it).  The second half shows
each check failing on a record or an aiosmtpd altered on purpose, and that the list is complete:
every name of aiosmtpd's (or asyncio's) that the receiving code touches is in it.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import importlib.metadata
import logging
import re

import aiosmtpd
import pytest
from aiosmtpd import smtp as aiosmtpd_smtp
from aiosmtpd.smtp import SMTP

from app.receive import aiosmtpd_private as private
from app.receive import smtp as receive_smtp
from app.receive.aiosmtpd_private import BORROWED, DOCUMENTED, PINNED, Where
from tests.support import REPO

RECEIVING = ["app/receive/smtp.py", "app/receive/handler.py", "app/receive/aiosmtpd_private.py"]


def pinned_in(requirements: str) -> str | None:
    """The version ``aiosmtpd==X`` pins in a requirements file's text."""
    found = re.search(r"^aiosmtpd==([^\s;#]+)", requirements, re.MULTILINE)
    return found.group(1) if found else None


def version_mismatches(installed: str, requirements: str) -> list[str]:
    pin = pinned_in(requirements)
    found = []
    if pin != PINNED:
        found.append(f"requirements.txt pins aiosmtpd {pin}, aiosmtpd_private.PINNED is {PINNED}")
    if installed != pin:
        found.append(f"aiosmtpd {installed} is installed, requirements.txt pins {pin}")
    return found


class _NoHooks:
    """A handler with no hooks: aiosmtpd's own answers."""


def on_a_live_session(check):
    """``check(session)`` while an aiosmtpd session (not Tenso's) is connected, on asyncio's
    selector loop (on Windows too), whose transports are the ones TensoSMTP meets headless."""

    async def run():
        loop = asyncio.get_running_loop()
        made: list[SMTP] = []

        def factory() -> SMTP:
            made.append(SMTP(_NoHooks(), hostname="pinned.test", loop=loop))
            return made[-1]

        server = await loop.create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert (await reader.readline()).startswith(b"220 ")
            return check(made[0])
        finally:
            writer.close()
            await writer.wait_closed()
            if made and made[0].transport is not None:
                made[0].transport.close()
            server.close()
            await server.wait_closed()

    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        return runner.run(run())


# --- the pin holds ----------------------------------------------------------------------------------


def test_the_installed_aiosmtpd_is_the_version_requirements_txt_pins_and_the_records_were_read_from():
    requirements = (REPO / "requirements.txt").read_text(encoding="utf-8")
    assert version_mismatches(aiosmtpd.__version__, requirements) == []
    assert importlib.metadata.version("aiosmtpd") == PINNED


def test_every_borrowed_name_is_there_with_the_recorded_signature_and_source():
    assert on_a_live_session(lambda session: private.problems(session=session)) == []


def test_the_check_at_start_finds_nothing_with_the_pinned_aiosmtpd():
    assert private.problems(sources=False) == []


def test_every_replaced_method_has_its_source_pinned():
    hashed = {r.name for r in BORROWED if r.source_sha256}
    assert {"smtp_DATA", "_reset_timeout", "_getaddr", "__init__"} <= hashed
    assert all(r.signature for r in BORROWED if r.where is Where.SMTP_CLASS)


# --- and fails when anything moved ------------------------------------------------------------------


def _altered(borrowed: str, **change) -> tuple[private.Borrowed, ...]:
    (record,) = [r for r in BORROWED if r.name == borrowed]
    return (dataclasses.replace(record, **change),)


ALTERED = {
    "a method that is gone": (_altered("_set_post_data_state", name="_set_post_data_state_gone"), "missing"),
    "another signature": (_altered("_reset_timeout", signature="(self)"), "signature is now"),
    "another source of smtp_DATA": (_altered("smtp_DATA", source_sha256="0" * 64), "source changed"),
    "a global no longer read": (_altered("dir", read_by="smtp_QUIT"), "no longer read by SMTP.smtp_QUIT"),
    "a module global that is gone": (_altered("log", name="log_gone"), "missing"),
    "a session attribute that is gone": (_altered("_reader", name="_reader_gone"), "missing on SMTP"),
    "an asyncio attribute that is gone": (_altered("_buffer", name="_buffer_gone"), "missing on StreamReader"),
}


@pytest.mark.parametrize("case", ALTERED, ids=list(ALTERED))
def test_the_check_fails_for_a_record_that_no_longer_matches(case):
    records, expected = ALTERED[case]
    found = on_a_live_session(lambda session: private.problems(records, session=session))
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize(
    "installed, requirements",
    [("1.4.7", "aiosmtpd==1.4.6\n"), (PINNED, "aiosmtpd==1.4.7\n"), (PINNED, "# no pin\n")],
    ids=["another installed", "another pinned", "no pin"],
)
def test_the_version_check_fails_when_installed_pinned_and_recorded_differ(installed, requirements):
    assert version_mismatches(installed, requirements) != []


def test_an_upgraded_aiosmtpd_fails_the_check(monkeypatch):
    """As an upgrade would: another version, a private method gone, smtp_DATA rewritten."""

    async def smtp_DATA(self, arg):  # the same parameters, another body
        await self.push("250 OK")

    monkeypatch.setattr(aiosmtpd, "__version__", "1.5.0")
    monkeypatch.delattr(SMTP, "_set_post_data_state")
    monkeypatch.setattr(SMTP, "smtp_DATA", smtp_DATA)
    found = private.problems()
    assert found[0].startswith("aiosmtpd 1.5.0 is installed")
    assert "SMTP._set_post_data_state: missing" in found
    assert any(p.startswith("SMTP.smtp_DATA: source changed") for p in found), found
    assert len(found) == 3, found


def test_the_check_at_start_warns_in_tensos_log(monkeypatch):
    """The gateway keeps running (the check may be wrong), but the log says what moved."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    monkeypatch.setattr(aiosmtpd, "__version__", "1.5.0")
    monkeypatch.setattr(receive_smtp, "_installed", False)
    monkeypatch.setattr(private, "patch_module", lambda: None)
    monkeypatch.setattr(private, "logger", lambda: logging.getLogger("tests.aiosmtpd-pinned"))
    handler = Keep(logging.WARNING)
    logging.getLogger("tenso").addHandler(handler)
    try:
        receive_smtp.install_aiosmtpd_patches()
    finally:
        logging.getLogger("tenso").removeHandler(handler)
        logging.getLogger("tests.aiosmtpd-pinned").handlers.clear()
    assert seen == [
        "aiosmtpd 1.5.0 is installed; the names Tenso borrows were read from 1.4.6: "
        "Tenso's adaptations of aiosmtpd were written for 1.4.6"
    ]


# --- the list is complete ---------------------------------------------------------------------------


def _theirs(session: SMTP) -> set[str]:
    """Every name aiosmtpd's session and the asyncio objects under it have."""
    names = set(dir(SMTP)) | set(vars(session)) | set(vars(session._reader))
    assert session.transport is not None
    return names | set(vars(session.transport))


def _touched() -> dict[str, str]:
    """The names of aiosmtpd's the receiving code could be leaning on, and where: every private
    attribute it reads or writes, every attribute it takes from ``SMTP``, ``super()`` or the
    ``aiosmtpd.smtp`` module (but its public ``__all__``), and every name TensoSMTP defines (an
    override).  Tenso's own private names are among them; those aiosmtpd does not have are
    dropped by the caller."""
    touched: dict[str, str] = {}
    for path in RECEIVING:
        for node in ast.walk(ast.parse((REPO / path).read_text(encoding="utf-8"))):
            where = f"{path}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute):
                value = node.value
                if isinstance(value, ast.Name) and value.id == "aiosmtpd_smtp":
                    if node.attr not in aiosmtpd_smtp.__all__:
                        touched.setdefault(f"aiosmtpd.smtp.{node.attr}", where)
                elif (
                    (node.attr.startswith("_") and not node.attr.endswith("__"))
                    or (isinstance(value, ast.Name) and value.id == "SMTP")
                    or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super")
                ):
                    touched.setdefault(node.attr, where)
            elif isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "SMTP" for b in node.bases):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        touched.setdefault(item.name, f"{path}:{item.lineno} (override)")
                    targets = item.targets if isinstance(item, ast.Assign) else []
                    if isinstance(item, ast.AnnAssign):
                        targets = [item.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            touched.setdefault(target.id, f"{path}:{item.lineno} (class attribute)")
    return touched


def test_every_name_of_aiosmtpds_that_the_receiving_code_touches_is_listed_or_documented():
    listed = {r.name for r in BORROWED if r.where is not Where.MODULE}
    listed_globals = {f"aiosmtpd.smtp.{r.name}" for r in BORROWED if r.where is Where.MODULE}
    theirs = on_a_live_session(_theirs)
    touched = _touched()
    unlisted = {
        name: where
        for name, where in touched.items()
        if (name in theirs and name not in listed | DOCUMENTED)
        or (name.startswith("aiosmtpd.smtp.") and name not in listed_globals)
    }
    assert unlisted == {}, "borrowed from aiosmtpd but not in aiosmtpd_private.BORROWED"
    assert {"_reader", "smtp_DATA", "_getaddr", "aiosmtpd.smtp.inspect"} <= set(touched)  # the scan sees them


def test_the_documented_overrides_are_names_of_aiosmtpds_and_not_borrowed_ones():
    assert DOCUMENTED <= on_a_live_session(_theirs)
    assert not DOCUMENTED & {r.name for r in BORROWED}
