"""OAuth 2.0 tokens kept safely: encrypted in a file of the data folder, its key in the keyring.

Windows Credential Manager caps a secret at 2,560 bytes and a Microsoft access token alone can be
longer, so the keyring holds only a 44-byte key (``tokens:NAME``, a Fernet key) and the tokens
live in ``<data folder>/tokens/NAME.tokens``, encrypted and authenticated with it (Fernet: AES
in CBC mode with an HMAC).  The file is replaced atomically (temp file, fsync, rename), so a
rotated refresh token is either stored whole or not at all.  Nothing here logs a token.

Every call may block (keyring, disk): call from a thread.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from app.settings import keys
from app.system import passwords
from app.system.files import fsync_dir


class TokenStoreError(Exception):
    """The token file cannot be read or written; the text says what to do."""


@dataclass
class TokenSet:
    """What a sign-in left, and how the last refresh went (``error``: its reply, kept until a
    refresh works or the account signs in again)."""

    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0  # seconds since the epoch; 0: unknown
    scope: str = ""
    signed_in_at: float = 0.0
    last_refresh: float | None = None
    error: str | None = None
    needs_sign_in: bool = False  # the refresh token was refused (invalid_grant): only a sign-in helps
    credential: str = ""  # client credentials: the fingerprint of the secret or certificate it was asked with


def key_name(account: str) -> str:
    """The keyring entry holding the key of ``account``'s token file."""
    return keys.tokens_key(account)


class TokenStore:
    """The token files of one data folder.  Reads are cached by the file's modification time, so
    a delivery asking for the same account's token again costs one ``stat`` and no keyring call."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._cache: dict[str, tuple[tuple[int, int], TokenSet]] = {}
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def path(self, account: str) -> Path:
        return self.folder / f"{account.lower()}.tokens"

    def _key(self, account: str, create: bool) -> bytes | None:
        with self._lock:
            cached = self._keys.get(account.lower())
        if cached is not None:
            return cached
        try:
            stored = passwords.get(key_name(account))
            if stored is None and create:
                from cryptography.fernet import Fernet

                stored = Fernet.generate_key().decode()
                passwords.set(key_name(account), stored)
        except passwords.PasswordStoreError as exc:
            raise TokenStoreError(f"the key of {account}'s tokens cannot be kept in the keyring: {exc}") from exc
        if stored is None:
            return None
        with self._lock:
            self._keys[account.lower()] = stored.encode()
        return stored.encode()

    def load(self, account: str) -> TokenSet | None:
        """The account's tokens, or None when it never signed in (or signed out)."""
        path = self.path(account)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._cache.get(account.lower())
        if cached and cached[0] == stamp:
            return dataclasses.replace(cached[1])
        from cryptography.fernet import Fernet, InvalidToken

        key = self._key(account, create=False)
        if key is None:
            raise TokenStoreError(f"the key of {account}'s tokens is not in the keyring any more: sign in again")
        try:
            data = json.loads(Fernet(key).decrypt(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (InvalidToken, ValueError) as exc:
            raise TokenStoreError(f"{path} cannot be decrypted with the key in the keyring: sign in again") from exc
        known = {f.name for f in dataclasses.fields(TokenSet)}
        tokens = TokenSet(**{k: v for k, v in data.items() if k in known})
        with self._lock:
            self._cache[account.lower()] = (stamp, tokens)
        return dataclasses.replace(tokens)

    def save(self, account: str, tokens: TokenSet) -> None:
        """Atomically: a reader (another process too) sees the old tokens or the new, never half."""
        from cryptography.fernet import Fernet

        key = self._key(account, create=True)
        assert key is not None
        blob = Fernet(key).encrypt(json.dumps(dataclasses.asdict(tokens)).encode())
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{account.lower()}-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path(account))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(self.folder)
        with self._lock:
            self._cache.pop(account.lower(), None)

    def delete(self, account: str) -> bool:
        """Forgets the tokens and their key; True when there was something to forget."""
        existed = self.path(account).exists()
        self.path(account).unlink(missing_ok=True)
        with self._lock:
            self._cache.pop(account.lower(), None)
            self._keys.pop(account.lower(), None)
        try:
            passwords.delete(key_name(account))
        except passwords.PasswordStoreError as exc:
            raise TokenStoreError(
                f"the key of {account}'s tokens could not be removed from the keyring: {exc}"
            ) from exc
        return existed
