"""What a rule's account logs in with: its password from the keyring, or for an OAuth 2.0 account
a source of access tokens (app/accounts), asked for only when the server offers AUTH."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.deliver.smtp import DeliveryError, Secret, TokenSource

if TYPE_CHECKING:
    from app.route.router import Account
    from app.settings import Settings

log = logging.getLogger("tenso")


def secret_for(settings: Settings, account: Account | None, qid: str) -> Secret | None:
    """None without an account, and when its password cannot be read (logged for ``qid``: the
    session then says that no password is stored)."""
    if account is None:
        return None
    if account.oauth2:
        return token_source(settings, account.name)
    from app.system import passwords  # keyring only once an account is used

    try:
        return passwords.get(account.key)
    except passwords.PasswordStoreError as exc:
        log.error("%s cannot read the password for %s: %s", qid, account.key, exc)
        return None


def token_source(settings: Settings, name: str) -> TokenSource:
    """The account's access token; a refused or missing one is a DeliveryError (the mail waits)."""
    from app.accounts import service

    def token(fresh: bool) -> str:
        try:
            return service.access_token(settings, name, fresh=fresh)
        except service.AccountError as exc:
            raise DeliveryError(str(exc)) from exc

    return token
