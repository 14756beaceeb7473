"""``certificate create|show``: a self-signed certificate for the listeners, made in the data folder
and named in the settings (``create`` also repairs a file whose only problem is a missing one)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app import settings as settings_mod
from app.cli.command import Command, load, print_problems
from app.settings import Settings, SettingsError
from app.suggest import command
from app.system import paths

if TYPE_CHECKING:
    from app.problems import Problem
    from app.system.certificate import Certificate

CERTIFICATE_FIELDS = ("server.tls_cert", "server.tls_key")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["create", "show"])
    parser.add_argument("--host", default=None, help="the name devices use for Tenso (default: server.hostname)")


def _needs_certificate(problem: Problem) -> bool:
    """A problem a new certificate repairs: the files named are gone, or only one is named, or an
    implicit-TLS listener has none (its message says to run certificate create)."""
    return problem.field in CERTIFICATE_FIELDS or problem.template.startswith("implicit TLS needs a certificate")


def _expiry(not_after: datetime) -> str:
    when = not_after.strftime("%Y-%m-%d %H:%M UTC")
    return f"{when} (EXPIRED)" if not_after <= datetime.now(UTC) else when


def _certificate_create(config: Path, host: str | None) -> int:
    from app.system import certificate  # cryptography only when asked for

    try:
        settings = settings_mod.load(config)
    except SettingsError as exc:
        if all(_needs_certificate(p) for p in exc.problems):
            return _certificate_repair(config, host, exc.problems)
        print_problems(config, exc.problems)
        print("no certificate was made: fix the settings file first", file=sys.stderr)
        return 1
    made = _made(lambda: certificate.create_for(settings, host))
    return 1 if made is None else _certificate_saved(settings, config, made)


def _certificate_repair(config: Path, host: str | None, problems: Sequence[str]) -> int:
    """The file's only problems are that it lacks a usable certificate: a new pair is what
    repairs it, so it is made first and the file checked with it in place."""
    from app.system import certificate

    data = json.loads(config.read_text(encoding="utf-8-sig"))  # it loaded as far as the certificate
    server = data["server"]
    host = host or server.get("hostname") or settings_mod.Server().hostname
    made = _made(lambda: certificate.create(paths.data_dir() / certificate.FOLDER, host))
    if made is None:
        return 1
    for problem in problems:
        print(f"{config}: fixed by the new certificate: {problem}", file=sys.stderr)
    server.update(tls_cert=str(made.cert.resolve()), tls_key=str(made.key.resolve()))
    try:
        settings = settings_mod.from_dict(data, source=config)
    except SettingsError as exc:
        print_problems(config, exc.problems)
        return 1
    return _certificate_saved(settings, config, made)


def _made(make: Callable[[], Certificate]) -> Certificate | None:
    """The new pair, or None after one line on what failed and what to do."""
    from app.system import certificate

    try:
        return make()
    except ValueError as exc:
        print(f"no certificate was made: {exc}; give the name devices use for Tenso with --host", file=sys.stderr)
    except OSError as exc:
        print(
            f"no certificate was made: cannot write to {paths.data_dir() / certificate.FOLDER}: {exc}; make the "
            "folder writable for this account, or set TENSO_DATA_DIR to one that is",
            file=sys.stderr,
        )
    return None


def _print_certificate(cert: Path, key: Path, found: Certificate) -> None:
    print(f"certificate  {cert}")
    print(f"private key  {key}")
    print(f"host name    {found.host or '(none)'}")
    print(f"SHA-256      {found.fingerprint}")
    print(f"valid until  {_expiry(found.not_after)}")


def _certificate_saved(settings: Settings, config: Path, made: Certificate) -> int:
    try:
        settings_mod.save(settings, config)
    except OSError as exc:
        print(
            f"the certificate was made, but {config} cannot be saved: {exc}; set server.tls_cert to {made.cert} "
            f"and server.tls_key to {made.key} yourself",
            file=sys.stderr,
        )
        return 1
    _print_certificate(made.cert, made.key, made)
    print(f"settings     {config}: server.tls_cert and server.tls_key now name these files")
    print(
        "next: restart Tenso so the listeners use it (a window open now still holds the old settings: "
        "quit it without saving and start it again); on a device that asks, accept this certificate "
        "or compare its SHA-256 fingerprint with the one above"
    )
    return 0


def _certificate_show(config: Path) -> int:
    from app.system import certificate

    settings = load(config)
    if settings is None:
        return 1
    if not settings.server.tls_cert:
        print(
            f"{config}: no certificate is set (server.tls_cert); make one with: {command(config, 'certificate create')}"
        )
        return 0
    path = settings.resolve(settings.server.tls_cert)
    try:
        found = certificate.describe(path)
    except (OSError, ValueError) as exc:
        print(
            f"the certificate cannot be read: {exc}; make a new one with: {command(config, 'certificate create')}",
            file=sys.stderr,
        )
        return 1
    _print_certificate(path, settings.resolve(settings.server.tls_key), found)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "create":
        return _certificate_create(Path(args.config), args.host)
    return _certificate_show(Path(args.config))


COMMAND = Command(
    "certificate",
    "make a self-signed certificate for the listeners, or show it",
    arguments,
    run,
    config_must_exist=lambda args: args.action == "show",  # create makes the file when it is missing
)
