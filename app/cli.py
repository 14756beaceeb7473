"""The command line (docs/command-line.md): run, route, check, password, certificate, version."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app import settings as settings_mod
from app import status as status_mod
from app.mail import addresses, forwarding
from app.offline import broken_file_warnings, password_warnings, warnings_for
from app.route.router import FORWARD, GRAPH, Router
from app.settings import Settings, SettingsError
from app.store.spool import WAITING, QueueLocked, Spool
from app.system import logs, loops, passwords, paths

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from app.problems import Problem
    from app.system.certificate import Certificate

log = logging.getLogger("tenso")

STOP_GRACE_SECONDS = 10.0


def _load(path: Path) -> Settings | None:
    try:
        return settings_mod.load(path)
    except SettingsError as exc:
        _print_problems(path, exc.problems)
        return None


def _print_problems(path: Path, problems: Sequence[str]) -> None:
    print(f"{path}: the settings have problems:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


# --- check ----------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return 1
    settings = _load(path)
    if settings is None:
        for warning in broken_file_warnings(path):
            print(f"warning: {warning}", file=sys.stderr)
        return 1
    for warning in warnings_for(settings) + password_warnings(settings):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: OK ({len(settings.rules)} rules, {len(settings.local_users)} local users)")
    return 0


# --- route ----------------------------------------------------------------------


def cmd_route(args: argparse.Namespace) -> int:
    settings = _load(Path(args.config))
    if settings is None:
        return 1
    not_addresses = [r for r in args.recipients if not addresses.is_address(r)]
    if args.sender and not addresses.is_address(args.sender):
        not_addresses.append(f"--from {args.sender}")
    if not_addresses:
        for text in not_addresses:
            print(f"{text}: not an address (write it as user@example.jp)", file=sys.stderr)
        return 1
    router = Router(settings)
    decisions = [router.route(r, args.sender or "") for r in args.recipients]
    if args.json:
        print(json.dumps([d.as_json() for d in decisions], ensure_ascii=False, indent=2))
        return 0
    for d in decisions:
        rule = f"rule {d.rule}" if d.rule else "no rule"
        if d.kind == FORWARD:
            where = f"{d.host}:{d.port} (TLS {d.tls})"
        elif d.kind == GRAPH:
            where = f"GRAPH (Microsoft Graph sendMail as {d.auth.username if d.auth else '?'})"
        else:
            where = f"MTA ({d.kind})"
        auth = d.auth.describe() if d.auth and d.kind in (FORWARD, GRAPH) else "none"
        note = f"  [{d.note}]" if d.note else ""
        print(f"{d.recipient}: {rule} -> {where}, RCPT TO:<{d.rcpt}>, auth {auth}{note}")
    return 0


# --- password -------------------------------------------------------------------


def cmd_password(args: argparse.Namespace) -> int:
    if args.action == "use-file":
        problem = passwords.keyring_problem()
        if not problem:
            print(f"passwords are already kept by {passwords.backend_name()}; nothing changed")
            return 0
        path = passwords.choose_file_keyring(paths.data_dir())
        print(f"passwords are now kept in {path}: anyone who can read this account's files can read them")
        return 0
    if not args.key:
        keys = "common, user:ADDRESS, local:ADDRESS or account:NAME"
        print(f"password {args.action} needs a KEY: {keys}", file=sys.stderr)
        return 2
    try:
        key = passwords.normalize_key(args.key)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.action == "delete":
            passwords.delete(key)
            print(f"password for {key} removed")
            return 0
        if sys.stdin.isatty():
            password = getpass.getpass(f"password for {key}: ")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            print("no password given on standard input; nothing stored", file=sys.stderr)
            return 1
        passwords.set(key, password)
    except passwords.PasswordStoreError as exc:
        print(f"cannot store the password: {exc}", file=sys.stderr)
        return 1
    print(f"password for {key} stored in {passwords.backend_name()}")
    return 0


# --- certificate ------------------------------------------------------------------

CERTIFICATE_FIELDS = ("server.tls_cert", "server.tls_key")


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
        _print_problems(config, exc.problems)
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
        _print_problems(config, exc.problems)
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

    settings = _load(config)
    if settings is None:
        return 1
    if not settings.server.tls_cert:
        print(f"{config}: no certificate is set (server.tls_cert); make one with: python -m app certificate create")
        return 0
    path = settings.resolve(settings.server.tls_cert)
    try:
        found = certificate.describe(path)
    except (OSError, ValueError) as exc:
        print(
            f"the certificate cannot be read: {exc}; make a new one with: python -m app certificate create",
            file=sys.stderr,
        )
        return 1
    _print_certificate(path, settings.resolve(settings.server.tls_key), found)
    return 0


def cmd_certificate(args: argparse.Namespace) -> int:
    if args.action == "create":
        return _certificate_create(Path(args.config), args.host)
    return _certificate_show(Path(args.config))


# --- account ----------------------------------------------------------------------


def _local(when) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if when else "-"


def cmd_account(args: argparse.Namespace) -> int:
    from app.accounts import service

    settings = _load(Path(args.config))
    if settings is None:
        return 1
    if args.action == "status":
        names = [args.name] if args.name else [a.name for a in settings.accounts]
        try:
            found = [service.account_status(settings, n) for n in names]
        except service.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
            return 0
        if not found:
            print("no accounts in the settings file (accounts)")
        for s in found:
            state = "signed in" if s.signed_in else ("password stored" if s.kind == "password" else "not signed in")
            if s.kind == "password" and not s.signed_in:
                state = "no password stored"
            line = f"{s.name}  {s.kind}  {state}"
            if s.kind == "oauth2" and (s.expires or s.last_refresh):
                line += f"  expires {_local(s.expires)}  last refresh {_local(s.last_refresh)}"
            if s.error and s.kind == "oauth2":
                line += f"  error: {s.error}"
            print(line)
        return 0
    if not args.name:
        print(f"account {args.action} needs the account's NAME", file=sys.stderr)
        return 2
    account = settings.account(args.name)
    if account is None:
        print(f"no account named {args.name} in accounts of {args.config}", file=sys.stderr)
        return 1
    try:
        if args.action == "logout":
            had = service.logout(settings, account.name)
            print(f"{account.name}: signed out" if had else f"{account.name}: was not signed in")
            return 0
        return _account_login(settings, account, args)
    except service.AccountError as exc:
        print(f"{account.name}: {exc}", file=sys.stderr)
        return 1


def _account_login(settings: Settings, account, args: argparse.Namespace) -> int:
    from app.accounts import service

    if account.oauth2 is None:
        print(f"{account.name} is a password account: run python -m app password set {account.key}", file=sys.stderr)
        return 1
    secret = None
    if account.oauth2.flow == "client_credentials" and not args.device:
        try:
            stored = passwords.get(account.key)
        except passwords.PasswordStoreError as exc:
            print(f"{account.name}: the client secret cannot be read: {exc}", file=sys.stderr)
            return 1
        if stored is None:
            prompt = f"client secret of {account.name}: "
            secret = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
            if not secret:
                print(f"{account.name}: no client secret given on standard input", file=sys.stderr)
                return 1

    def show_url(url: str) -> None:
        print("open this address in a browser to sign in (Tenso waits up to 5 minutes):", flush=True)
        print(url, flush=True)

    def show_code(url: str, code: str) -> None:
        print(f"on any device, open {url} and enter the code {code} (Tenso waits up to 5 minutes)", flush=True)

    started = time.monotonic()
    status = service.login(
        settings,
        account.name,
        show_url=show_url,
        open_browser=not args.no_browser,
        device=args.device,
        show_code=show_code,
        secret=secret,
    )
    print(
        f"{account.name}: signed in as {account.username}; access token valid until {_local(status.expires)} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


# --- import-forward -------------------------------------------------------------


def cmd_import_forward(args: argparse.Namespace) -> int:
    config = Path(args.config)
    settings = _load(config)
    if settings is None:
        return 1
    user = next(
        (u for u in settings.local_users if addresses.normalize(u.address) == addresses.normalize(args.user)), None
    )
    if user is None:
        print(f"{args.user} is not a local user; add it to local_users first", file=sys.stderr)
        return 1
    try:
        good, problems = forwarding.parse_file(forwarding.read_file(Path(args.file)))
    except (OSError, UnicodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"{args.file}: nothing imported, fix these lines first:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    user.forward = good
    settings_mod.save(settings, config)
    print(f"imported {len(good)} forwarding line(s) for {user.address} into {config}")
    return 0


# --- queue ----------------------------------------------------------------------


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def cmd_queue(args: argparse.Namespace) -> int:
    settings = _load(Path(args.config))
    if settings is None:
        return 1
    spool = Spool(settings.queue_dir)
    if args.action == "list":
        return _queue_list(spool, args.json)
    if args.action in ("pause", "resume"):
        spool.set_paused(args.action == "pause")
        print(f"delivery {'paused (mail is still accepted)' if args.action == 'pause' else 'resumed'}")
        return 0
    ids = args.ids or []
    if args.action == "retry" and not ids:
        ids = ["ALL"]
    if not ids:
        print(f"queue {args.action} needs at least one queue id", file=sys.stderr)
        return 2
    missing = [q for q in ids if q != "ALL" and not spool.exists(q)]
    if missing:
        print("not in the queue: " + " ".join(missing), file=sys.stderr)
        return 1
    try:
        lock = spool.lock()
    except QueueLocked:
        for qid in ids:
            spool.request(args.action, qid)
        print(f"{args.action} requested for {' '.join(ids)}; the running gateway acts within a second")
        if args.action in ("bounce", "retry") and spool.paused:
            print(
                f"note: delivery is paused: the {args.action} is carried out when delivery resumes "
                "(python -m app queue resume)"
            )
        return 0
    try:
        return _queue_offline(settings, spool, args.action, ids)
    finally:
        lock.release()


def _queue_offline(settings: Settings, spool: Spool, action: str, ids: list[str]) -> int:
    """No gateway runs on this queue: act on the spool directly."""
    from app.gateway import Gateway

    if action == "delete":
        for qid in ids:
            spool.remove(qid)
        print(f"deleted {' '.join(ids)}")
    elif action == "bounce":
        gateway = Gateway(settings)
        for qid in ids:
            result = gateway.bounce_offline(qid)
            print(
                f"{qid}: returned to the sender"
                + (f" (bounce {', '.join(result.created)})" if result.created else " (sender is <>: no bounce)")
            )
        if spool.paused:
            print(
                "note: delivery is paused: the bounce messages wait in the queue until delivery resumes "
                "(python -m app queue resume)"
            )
    else:
        print("no gateway is running on this queue; everything in it is tried as soon as Tenso starts")
    return 0


def _queue_list(spool: Spool, as_json: bool) -> int:
    rows = spool.messages()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "sender": m.sender,
                        "size": m.size,
                        "received": m.envelope.received_at,
                        "recipients": [
                            {
                                "address": r.address,
                                "state": r.state,
                                "attempts": r.attempts,
                                "next_try": r.next_try,
                                "reply": r.reply,
                            }
                            for r in m.recipients
                        ],
                    }
                    for m in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if spool.paused:
        print("delivery is PAUSED (python -m app queue resume)")
    if not rows:
        print("the queue is empty")
        return 0
    for m in rows:
        print(f"{m.id}  {_when(m.envelope.received_at)}  {m.size} bytes  from <{m.sender}>")
        for r in m.recipients:
            nxt = f"  next {_when(r.next_try)}" if r.state in WAITING and r.next_try else ""
            print(f"    <{r.address}>  {r.state}  attempts {r.attempts}{nxt}")
            if r.reply:
                print(f"        {r.reply}")
    print(f"{len(rows)} message(s)")
    return 0


# --- run ------------------------------------------------------------------------


def run_headless(config: Path) -> int:
    from app.gateway import Gateway, GatewayError

    log_file = logs.setup_for_program()
    settings = _load(config)
    if settings is None:
        return 1
    for warning in warnings_for(settings):
        log.warning("%s", warning)
    passwords.apply_saved_choice(paths.data_dir())
    problem = passwords.keyring_problem()
    if problem:
        log.warning("passwords: %s; until then no SMTP AUTH login can be made or checked", problem)

    async def main() -> int:
        gateway = Gateway(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except NotImplementedError:  # Windows: no loop signal handlers
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        reloading: set[asyncio.Task] = set()
        turn = asyncio.Lock()  # a reload and the stop, one at a time: a reload must not rebind after it

        async def reload_in_turn() -> None:
            async with turn:
                if not stop.is_set():
                    await _reload(gateway, config)

        def reload() -> None:
            task = loop.create_task(reload_in_turn())
            reloading.add(task)
            task.add_done_callback(reloading.discard)

        gateway.on_reload = reload  # python -m app reload (every system), through the queue folder
        if hasattr(signal, "SIGHUP"):
            loop.add_signal_handler(signal.SIGHUP, reload)
        try:
            await gateway.start()
        except GatewayError as exc:
            log.error("%s", exc)
            return 2
        log.info(
            "Tenso %s running (headless); stop with Ctrl+C or SIGTERM, reload the settings with "
            "python -m app reload%s; log file %s",
            __version__,
            " or SIGHUP" if hasattr(signal, "SIGHUP") else "",
            log_file,
        )
        await stop.wait()
        log.info("stopping: no new mail is accepted")
        gateway.on_reload = None
        if hasattr(signal, "SIGHUP"):
            loop.remove_signal_handler(signal.SIGHUP)
        async with turn:  # a reload under way finishes first
            left = await gateway.stop(STOP_GRACE_SECONDS)
        log.info("stopped")
        return 100 if left else 0

    code = loops.run(main())
    logs.stop()
    if code == 100:
        # Deliveries still blocked in smtplib: their messages are safe in the spool,
        # so leave without waiting for the sockets to time out.
        logging.shutdown()
        os._exit(0)
    return code


async def _reload(gateway, config: Path) -> None:
    """Reads the settings file again and applies it; a file with problems changes nothing."""
    from app.gateway import GatewayError

    if not config.exists():
        log.error("settings not reloaded: %s is gone; the running settings stay", config)
        return
    try:
        new = await asyncio.to_thread(settings_mod.load, config)
    except SettingsError as exc:
        log.error(
            "settings not reloaded: %s has problems (%s); the running settings stay", config, "; ".join(exc.problems)
        )
        return
    old = gateway.settings
    try:
        await gateway.reconfigure(new)
    except GatewayError as exc:
        log.error("settings not reloaded: %s; the running settings stay", exc)
        return
    log.info("settings reloaded from %s: %d rule(s)", config, len(new.rules))
    if new.queue.dir != old.queue.dir or new.queue.workers != old.queue.workers:
        log.warning("queue.dir and queue.workers take effect at the next start of Tenso")
    for warning in warnings_for(new):
        log.warning("%s", warning)


def cmd_reload(args: argparse.Namespace) -> int:
    """Asks the gateway running on this settings file's queue to read its settings file again."""
    settings = _load(Path(args.config))
    if settings is None:
        print("nothing was reloaded: fix these first", file=sys.stderr)
        return 1
    spool = Spool(settings.queue_dir)
    try:
        lock = spool.lock()
    except QueueLocked:
        spool.request("reload", "ALL")
        print(
            f"reload requested: a headless gateway running on {spool.root} reads its settings file again within "
            "a second (the log says how it went); a gateway in the window takes new settings with Apply instead"
        )
        return 0
    lock.release()
    print(f"no gateway is running on {spool.root}; the settings are read when Tenso starts", file=sys.stderr)
    return 1


# --- status ---------------------------------------------------------------------

OUTCOME_WORDS = {
    "received": "received",
    "relayed": "relayed",
    "local": "delivered locally",
    "deferred": "deferred",
    "bounced": "bounced",
    "refused": "refused at RCPT",
}


def _ago(t: float | None, now: float) -> str:
    if t is None:
        return "never"
    shown = time.strftime("%H:%M" if now - t < 20 * 3600 else "%Y-%m-%d %H:%M", time.localtime(t))
    minutes = int((now - t) // 60)
    ago = f"{minutes} min ago" if minutes < 120 else f"{minutes // 60} h ago"
    return f"{shown} ({ago})"


def cmd_status(args: argparse.Namespace) -> int:
    """What the gateway on this settings file's queue is doing: the Status tab, in text."""
    settings = _load(Path(args.config))
    if settings is None:
        return 1
    found = status_mod.from_outside(settings)
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return 0
    now = time.time()
    if found.state == status_mod.State.STOPPED:
        print(f"Tenso is not running on the queue {settings.queue_dir}")
    else:
        print(f"Tenso is running, listening on {', '.join(found.listening) or '(nothing)'}")
        if found.state == status_mod.State.PAUSED:
            print("delivery is PAUSED: mail is accepted and kept (python -m app queue resume)")
    print("today: " + ", ".join(f"{OUTCOME_WORDS[o]} {n}" for o, n in found.today.items()))
    if found.queue_messages:
        print(
            f"queue: {found.queue_messages} message(s), {found.queue_recipients} recipient(s) waiting"
            + (f"; the oldest received {_ago(found.oldest, now)}" if found.oldest else "")
        )
    else:
        print("queue: empty")
    if found.destinations:
        print("destinations:")
    for d in found.destinations:
        mark = "FAILING " if d.failing else ""
        line = f"  {mark}{d.name}: last success {_ago(d.last_success, now)}"
        if d.last_failure:
            line += f"; last failure {_ago(d.last_failure, now)}: {d.last_reply}"
        print(line)
    for m in found.missing_passwords:
        print(f"no password stored for {m.words}: run python -m app password set {m.key}")
    for needed in found.sign_in_needed:
        why = f" ({needed.why})" if needed.why else ""
        print(f"account {needed.account} must sign in{why}: run python -m app account login {needed.account}")
    if found.password_problem:
        print(f"the passwords cannot be checked: {found.password_problem}")
    for ban in found.auth_bans:
        until = time.strftime("%H:%M", time.localtime(ban.until))
        print(f"{ban.client} may not log in until {until} ({ban.failures} failed logins; server.auth_failures_limit)")
    return 0


def run_desktop(config: Path) -> int:
    no_screen = (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    )
    if no_screen:
        print("No screen here (DISPLAY is not set); running headless. Use --headless to say so.", file=sys.stderr)
        return run_headless(config)
    try:
        from app.gui import main as gui_main  # Qt only when asked for
    except ImportError:
        print("The window is not available here (PySide6 or app.gui missing); running headless.", file=sys.stderr)
        return run_headless(config)
    return gui_main.run(config)


# --- entry ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Tenso: an SMTP forwarding gateway.")
    parser.add_argument("--version", action="version", version=f"Tenso {__version__}")
    parser.add_argument("--headless", action="store_true", help="run the gateway without a window")
    config_help = f"settings file (default: {paths.default_config_path()})"
    parser.add_argument("--config", default=None, help=config_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    route = sub.add_parser("route", help="show where each recipient would go")
    route.add_argument("--config", default=None, help=config_help)
    route.add_argument("--from", dest="sender", default="", help="envelope sender (picks the auth account)")
    route.add_argument("--json", action="store_true", help="print JSON")
    route.add_argument("recipients", nargs="+", metavar="RECIPIENT")
    route.set_defaults(func=cmd_route)

    check = sub.add_parser("check", help="validate a settings file")
    check.add_argument("--config", default=None, help=config_help)
    check.set_defaults(func=cmd_check)

    password = sub.add_parser("password", help="store a password in the OS keyring")
    password.add_argument("action", choices=["set", "delete", "use-file"])
    password.add_argument(
        "key", metavar="KEY", nargs="?", help="common, user:ADDRESS, local:ADDRESS or account:NAME (not for use-file)"
    )
    password.set_defaults(func=cmd_password)

    queue = sub.add_parser("queue", help="list the queue, retry, delete or bounce messages, pause delivery")
    queue.add_argument("action", choices=["list", "retry", "delete", "bounce", "pause", "resume"])
    queue.add_argument("ids", nargs="*", metavar="ID", help="queue ids (retry without ids: everything)")
    queue.add_argument("--config", default=None, help=config_help)
    queue.add_argument("--json", action="store_true", help="list as JSON")
    queue.set_defaults(func=cmd_queue)

    reload = sub.add_parser("reload", help="make the running gateway read its settings file again")
    reload.add_argument("--config", default=None, help=config_help)
    reload.set_defaults(func=cmd_reload)

    status = sub.add_parser("status", help="what the gateway is doing: counts, queue, destinations")
    status.add_argument("--config", default=None, help=config_help)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=cmd_status)

    account = sub.add_parser("account", help="sign OAuth 2.0 accounts in and out, show every account's state")
    account.add_argument("action", choices=["login", "status", "logout"])
    account.add_argument("name", metavar="NAME", nargs="?", help="the account's name (status: all when left out)")
    account.add_argument("--config", default=None, help=config_help)
    account.add_argument("--no-browser", action="store_true", help="only print the address to open")
    account.add_argument("--device", action="store_true", help="sign in with a code on another device")
    account.add_argument("--json", action="store_true", help="status as JSON")
    account.set_defaults(func=cmd_account)

    cert = sub.add_parser("certificate", help="make a self-signed certificate for the listeners, or show it")
    cert.add_argument("action", choices=["create", "show"])
    cert.add_argument("--config", default=None, help=config_help)
    cert.add_argument("--host", default=None, help="the name devices use for Tenso (default: server.hostname)")
    cert.set_defaults(func=cmd_certificate)

    importer = sub.add_parser("import-forward", help="import a local user's forward.txt from the original")
    importer.add_argument("--config", default=None, help=config_help)
    importer.add_argument("user", metavar="USER", help="the local user's address")
    importer.add_argument("file", metavar="FORWARD_TXT")
    importer.set_defaults(func=cmd_import_forward)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    named = args.config is not None
    default = paths.default_config_path()
    args.config = args.config or str(default)
    commands = (None, "route", "queue", "reload", "status", "account")
    reads_only = args.command in commands or (args.command == "certificate" and args.action == "show")
    if named and reads_only and not Path(args.config).exists():
        # Only the per-user default may be missing (a first start); a named file that is not
        # there is a typo, and starting with defaults on port 25 would hide it.
        print(
            f"{args.config}: no such settings file; check the --config path (without --config, Tenso uses {default})",
            file=sys.stderr,
        )
        return 2
    if getattr(args, "func", None):
        return args.func(args)
    if args.headless:
        return run_headless(Path(args.config))
    return run_desktop(Path(args.config))
