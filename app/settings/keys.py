"""The keyring's keys: what each secret the settings name is stored under (docs/accounts.md,
"Passwords"), built, parsed and normalised here and nowhere else.

- ``common``: the common account (共通アカウント) towards destinations;
- ``user:ADDRESS``: a local user's own account towards destinations (``auth_accounts.per_user``);
- ``local:ADDRESS``: the password a local user logs in to Tenso with;
- ``account:NAME``: an entry of ``accounts``: its password, or an OAuth 2.0 client secret;
- ``device:NAME``: an entry of ``devices``: the password a scanner logs in to Tenso with;
- ``tokens:NAME``: the key that encrypts an OAuth 2.0 account's token file (app/accounts/tokens.py);
- ``certificate:NAME``: the passphrase of an account's certificate key (app/accounts/certificates.py).

Names are written in lower case; addresses as the caller has them (``normalize`` gives the form
the keyring holds, which app/system/passwords.py applies to every key it is handed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.mail import addresses


class KeyKind(StrEnum):
    COMMON = "common"  # the whole key: it names nothing more
    USER = "user"
    LOCAL = "local"
    ACCOUNT = "account"
    DEVICE = "device"
    TOKENS = "tokens"
    CERTIFICATE = "certificate"


COMMON: str = KeyKind.COMMON.value  # the key of the common account
WHAT_KEYS_ARE = "common, user:ADDRESS, local:ADDRESS, account:NAME or device:NAME"


def is_name(text: str) -> bool:
    """Letters, digits, '.', '_' or '-': what an account's or a device's name may hold."""
    return bool(text) and all(c.isalnum() or c in "._-" for c in text)


def user_key(address: str) -> str:
    return f"{KeyKind.USER}:{address}"


def local_key(address: str) -> str:
    return f"{KeyKind.LOCAL}:{address}"


def account_key(name: str) -> str:
    return f"{KeyKind.ACCOUNT}:{name.lower()}"


def device_key(name: str) -> str:
    return f"{KeyKind.DEVICE}:{name.lower()}"


def tokens_key(name: str) -> str:
    return f"{KeyKind.TOKENS}:{name.lower()}"


def certificate_key(name: str) -> str:
    return f"{KeyKind.CERTIFICATE}:{name.lower()}"


@dataclass(frozen=True)
class Key:
    """A key taken apart: its kind, and the address or name after the colon ("" for common)."""

    kind: KeyKind
    name: str = ""


def parse(key: str) -> Key | None:
    """``key`` taken apart, or None when it is none of the keys above (not checked further:
    ``normalize`` says whether the address or name is one)."""
    if key == COMMON:
        return Key(KeyKind.COMMON)
    kind, sep, name = key.partition(":")
    if not sep or not name or kind == KeyKind.COMMON or kind not in tuple(KeyKind):
        return None
    return Key(KeyKind(kind), name)


def normalize(key: str) -> str:
    """The form the keyring holds ``key`` under (an address normalised, a name in lower case);
    ValueError, saying what a key is, when it is none."""
    found = parse(key)
    if found is not None:
        if found.kind == KeyKind.COMMON:
            return COMMON
        if found.kind in (KeyKind.USER, KeyKind.LOCAL) and addresses.is_address(found.name):
            return f"{found.kind}:{addresses.normalize(found.name)}"
        if found.kind in (KeyKind.ACCOUNT, KeyKind.DEVICE) and is_name(found.name):
            return f"{found.kind}:{found.name.lower()}"
        if found.kind == KeyKind.TOKENS:
            return tokens_key(found.name)
        if found.kind == KeyKind.CERTIFICATE:
            return certificate_key(found.name)
    raise ValueError(f"{key!r}: the key must be {WHAT_KEYS_ARE}")
