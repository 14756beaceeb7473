"""The requests a gateway answers on its control channel (see INTERFACES.md, "Service and
console"), built from its runtime (``runtime.Runtime``) and the gateway's parts.

Each op is an async function of its ``args`` run on the gateway's loop; what blocks (the queue's
files, the keyring, the settings file) goes to a thread.  ``Refused`` carries the words the client
prints.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable
from typing import Any, Protocol

from app import __version__, suggest
from app.control.logfeed import LogFeed
from app.control.runtime import Runtime, apply_dict, reload_file
from app.control.server import Handler, Refused, Streaming, Subscription
from app.deliver.scheduler import Scheduler
from app.settings import Settings, to_dict
from app.status import Status, iso_time, queue_json
from app.store.spool import Spool
from app.system import passwords

log = logging.getLogger("tenso")

EVERY = "ALL"


class GatewayParts(Protocol):
    """What the ops use of the gateway (``app.gateway.Gateway`` has it)."""

    settings: Settings
    spool: Spool
    scheduler: Scheduler | None
    started: float

    def status(self) -> Status: ...


def _text(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise Refused(f'the request needs "{name}" (a text)')
    return value


class Ops:
    def __init__(self, runtime: Runtime, gateway: GatewayParts, feed: LogFeed):
        self.runtime = runtime
        self.gateway = gateway
        self.feed = feed

    def handlers(self) -> dict[str, Handler | Streaming]:
        found: dict[str, Handler | Streaming] = {
            "engine": self.engine,
            "status": self.status,
            "settings.get": self.settings_get,
            "settings.apply": self.settings_apply,
            "reload": self.reload,
            "log.follow": Streaming(self.log_follow),
            "queue.list": self.queue_list,
            "queue.retry": self._queue_action("retry"),
            "queue.delete": self._queue_action("delete"),
            "queue.bounce": self._queue_action("bounce"),
            "queue.pause": self.queue_pause,
            "queue.resume": self.queue_resume,
            "password.set": self.password_set,
            "password.delete": self.password_delete,
            "password.is_set": self.password_is_set,
            "account.status": self.account_status,
            "account.tokens": self.account_tokens,
            "account.logout": self.account_logout,
            "history": self.history,  # what ``history --json`` prints, from the gateway's history file
            "history.detail": self.history_detail,
        }
        return found

    # --- the gateway ---

    def engine_json(self) -> dict[str, Any]:
        return {
            "mode": self.runtime.mode,
            "pid": os.getpid(),
            "started": iso_time(self.gateway.started),
            "version": __version__,
            "config": str(self.runtime.config),
            "queue": str(self.gateway.spool.root),
        }

    async def engine(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.engine_json()

    async def status(self, args: dict[str, Any]) -> dict[str, Any]:
        found = await asyncio.to_thread(self.gateway.status)
        return {**found.as_json(), "engine": self.engine_json()}

    # --- settings ---

    async def settings_get(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"config": str(self.runtime.config), "settings": to_dict(self.gateway.settings)}

    async def settings_apply(self, args: dict[str, Any]) -> dict[str, Any]:
        data = args.get("settings")
        if not isinstance(data, dict):
            raise Refused('settings.apply needs "settings": the settings file\'s content as a JSON object')
        return (await apply_dict(self.runtime, self.gateway.settings, data)).as_json()

    async def reload(self, args: dict[str, Any]) -> dict[str, Any]:
        return (await reload_file(self.runtime, self.gateway.settings)).as_json()

    # --- the log ---

    async def log_follow(self, args: dict[str, Any]) -> Subscription:
        last = args.get("last", 50)
        if not isinstance(last, int) or isinstance(last, bool) or last < 0:
            raise Refused('"last" must be a whole number, 0 or more')
        return self.feed.follow(last)

    # --- the queue ---

    async def queue_list(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        return queue_json(await asyncio.to_thread(self.gateway.spool.messages))

    def _scheduler(self) -> Scheduler:
        if self.gateway.scheduler is None:
            raise Refused("the gateway is starting or stopping; try again in a moment")
        return self.gateway.scheduler

    def _queue_action(self, action: str) -> Handler:
        async def act(args: dict[str, Any]) -> dict[str, Any]:
            qid = _text(args, "id")
            scheduler = self._scheduler()
            spool = self.gateway.spool
            if qid == EVERY:
                ids = await asyncio.to_thread(spool.ids)
            elif await asyncio.to_thread(spool.exists, qid):
                ids = [qid]
            else:
                shows = suggest.command(self.runtime.config, "queue list")
                raise Refused(f"{qid} is not in the queue ({shows} shows what is)")
            if action == "retry":
                scheduler.retry(None if qid == EVERY else qid)
            for one in ids:
                if action == "bounce":
                    scheduler.bounce(one)
                elif action == "delete":
                    await asyncio.to_thread(scheduler.delete, one)
            return {"action": action, "count": len(ids), "ids": ids, "paused": spool.paused}

        return act

    async def queue_pause(self, args: dict[str, Any]) -> dict[str, Any]:
        self.runtime.pause(True)
        return {"paused": True}

    async def queue_resume(self, args: dict[str, Any]) -> dict[str, Any]:
        self.runtime.pause(False)
        return {"paused": False}

    # --- secrets and accounts: kept by the gateway's own account ---

    async def _keyring(self, call: Callable[[], Any]) -> Any:
        try:
            return await asyncio.to_thread(call)
        except (passwords.PasswordStoreError, ValueError) as exc:
            raise Refused(f"the gateway cannot use its keyring: {exc}") from exc

    async def password_set(self, args: dict[str, Any]) -> dict[str, Any]:
        key, secret = _text(args, "key"), args.get("secret")
        if not isinstance(secret, str) or not secret:
            raise Refused('password.set needs "secret" (a text that is not empty)')
        await self._keyring(lambda: passwords.set(key, secret))
        log.info("password for %s stored in the gateway's keyring (given through the control channel)", key)
        return {"key": key, "stored": True, "keyring": passwords.backend_name()}

    async def password_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        key = _text(args, "key")
        await self._keyring(lambda: passwords.delete(key))
        log.info("password for %s removed from the gateway's keyring (through the control channel)", key)
        return {"key": key, "deleted": True}

    async def password_is_set(self, args: dict[str, Any]) -> dict[str, Any]:
        key = _text(args, "key")
        return {"key": key, "set": await self._keyring(lambda: passwords.get(key) is not None)}

    async def account_status(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        from app.accounts import service

        settings = self.gateway.settings
        name = args.get("name")
        names = [name] if isinstance(name, str) and name else [a.name for a in settings.accounts]

        def read() -> list[dict[str, Any]]:
            return [service.account_status(settings, n).as_json() for n in names]

        try:
            return await asyncio.to_thread(read)
        except service.AccountError as exc:
            raise Refused(str(exc)) from exc

    async def account_tokens(self, args: dict[str, Any]) -> dict[str, Any]:
        from app.accounts import service

        name = _text(args, "name")
        tokens = args.get("tokens")
        if not isinstance(tokens, dict):
            raise Refused('account.tokens needs "tokens": the token set as a JSON object')
        settings = self.gateway.settings
        try:
            state = await asyncio.to_thread(service.keep_tokens, settings, name, tokens)
        except service.AccountError as exc:
            raise Refused(str(exc)) from exc
        log.info("account %s: signed in (the tokens were handed over through the control channel)", name)
        return state.as_json()

    async def account_logout(self, args: dict[str, Any]) -> dict[str, Any]:
        from app.accounts import service

        name = _text(args, "name")
        try:
            removed = await asyncio.to_thread(service.logout, self.gateway.settings, name)
        except service.AccountError as exc:
            raise Refused(str(exc)) from exc
        return {"name": name, "signed_out": bool(removed)}

    # --- the history (app/history): searched in the gateway's own file ---

    async def history(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """args: the filters in the words of ``history`` (``since``, ``until``, ``from``, ``to``,
        ``subject``, ``message_id``, ``state``), ``limit``, ``offset``."""
        from app.history import query

        path = self.gateway.settings.history_path

        def search() -> list[dict[str, Any]]:
            limit = int(args.get("limit") or query.DEFAULT_LIMIT)
            return query.search(path, query.filters_from(args), limit, int(args.get("offset") or 0))

        return await _searched(search)

    async def history_detail(self, args: dict[str, Any]) -> dict[str, Any] | None:
        from app.history import query

        qid = _text(args, "id")
        path = self.gateway.settings.history_path
        return await _searched(lambda: query.detail(path, qid))


async def _searched(call: Callable[[], Any]) -> Any:
    """A history search run in a thread (SQLite), its failures in words."""
    try:
        return await asyncio.to_thread(call)
    except ValueError as exc:  # a filter not understood: the words say which
        raise Refused(str(exc)) from exc
    except sqlite3.Error as exc:
        raise Refused(f"the history file cannot be read: {exc}") from exc


def handlers(runtime: Runtime, gateway: GatewayParts, feed: LogFeed) -> dict[str, Handler | Streaming]:
    return Ops(runtime, gateway, feed).handlers()


__all__ = ["EVERY", "GatewayParts", "Ops", "handlers"]
