"""An application's certificate for client credentials without a secret (``oauth2.credential``:
``certificate``): the key pair made here, the certificate uploaded in Entra ID, and the signed
JWT (RFC 7523, "private_key_jwt") that each token request then carries instead of a secret.

The private key is kept as the token file is (tokens.py): in ``<data folder>/accounts/NAME.key``,
readable by Tenso's user alone (0600 where the system has modes), and encrypted (PKCS #8,
the best encryption ``cryptography`` offers) with a passphrase that lives in the keyring as
``certificate:NAME``.  A copy of the key file alone is worth nothing.  The certificate,
``NAME.cer`` (PEM), is public: it is what the administrator uploads.

Microsoft's assertion (learn.microsoft.com/entra/identity-platform/certificate-credentials):
header ``alg`` RS256, ``typ`` JWT, ``x5t`` the base64url SHA-1 thumbprint; newer versions of
the page name ``x5t#S256`` (SHA-256 thumbprint), which is sent as well.  Claims: ``aud`` the
token endpoint, ``iss`` = ``sub`` = the client id, ``jti``, ``nbf``, ``exp`` (10 minutes).

Blocking (RSA, the keyring, the disk): call from a thread.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from app import suggest
from app.settings import keys
from app.system import passwords, paths
from app.system.certificate import self_signed
from app.system.files import fsync_dir

FOLDER = "accounts"  # under the data folder
DAYS = 730  # two years: what Entra ID's portal suggests for a certificate
ASSERTION_SECONDS = 600  # Microsoft accepts at most 10 minutes


class CertificateError(Exception):
    """The account's certificate or key cannot be made or read; the text says what to do."""


@dataclass(frozen=True)
class AppCertificate:
    cert: Path  # the file to upload (PEM)
    key: Path
    thumbprint: str  # SHA-1 of the DER certificate, upper-case hex, as Entra ID shows it
    sha256: str  # SHA-256 of the DER certificate, hex
    not_after: datetime  # UTC


def files(name: str) -> tuple[Path, Path]:
    """The certificate's and the key's file of the account ``name``."""
    folder = paths.data_dir() / FOLDER
    return folder / f"{name.lower()}.cer", folder / f"{name.lower()}.key"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _describe(cert: x509.Certificate, cert_path: Path, key_path: Path) -> AppCertificate:
    return AppCertificate(
        cert_path,
        key_path,
        cert.fingerprint(hashes.SHA1()).hex().upper(),  # the thumbprint Entra ID shows
        cert.fingerprint(hashes.SHA256()).hex(),
        cert.not_valid_after_utc,
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically, created with ``mode`` from the start (the key never readable by others)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create(name: str, days: int = DAYS) -> AppCertificate:
    """A new RSA 2048 key and a self-signed certificate for the account ``name``, replacing any
    earlier pair (the old certificate stops working once Tenso uses the new one: upload it)."""
    key, cert = self_signed(f"Tenso {name}", days)
    passphrase = secrets.token_urlsafe(32)
    try:
        passwords.set(keys.certificate_key(name), passphrase)
    except passwords.PasswordStoreError as exc:
        raise CertificateError(f"the key's passphrase cannot be kept in the keyring: {exc}") from exc
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    cert_path, key_path = files(name)
    try:
        cert_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(key_path, key_pem, 0o600)
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        fsync_dir(cert_path.parent)
    except OSError as exc:
        raise CertificateError(f"the certificate of {name} cannot be written in {cert_path.parent}: {exc}") from exc
    return _describe(cert, cert_path, key_path)


def _help(name: str, where: suggest.Where = None) -> str:
    create = suggest.command(where, f"account certificate create {name}")
    return f"run: {create}, and upload the new certificate in Entra ID"


def load(name: str, where: suggest.Where = None) -> AppCertificate:
    """What the account's certificate says (no keyring); CertificateError when it is not there
    (saying how to make one, with the ``--config`` of ``where``)."""
    cert_path, key_path = files(name)
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except FileNotFoundError:
        raise CertificateError(f"account {name} has no certificate ({cert_path}): {_help(name, where)}") from None
    except (OSError, ValueError) as exc:
        raise CertificateError(f"{cert_path} cannot be read: {exc}; {_help(name, where)}") from exc
    return _describe(cert, cert_path, key_path)


def assertion(name: str, client_id: str, token_url: str, where: suggest.Where = None) -> str:
    """The signed JWT for one token request (RFC 7523 section 2.2), valid 10 minutes."""
    from authlib.oauth2.rfc7523 import private_key_jwt_sign
    from joserfc.jwk import RSAKey  # authlib's own JOSE library (a dependency of authlib 1.6+)

    made = load(name, where)
    try:
        passphrase = passwords.get(keys.certificate_key(name))
        if passphrase is None:
            raise CertificateError(f"the passphrase of {made.key} is not in the keyring any more: {_help(name, where)}")
        key = serialization.load_pem_private_key(made.key.read_bytes(), passphrase.encode())
    except passwords.PasswordStoreError as exc:
        raise CertificateError(f"the passphrase of {made.key} cannot be read from the keyring: {exc}") from exc
    except (OSError, ValueError, TypeError) as exc:
        raise CertificateError(f"{made.key} cannot be read: {exc}; {_help(name, where)}") from exc
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    now = int(time.time())
    header = {
        "alg": "RS256",
        "typ": "JWT",
        "x5t": _b64url(bytes.fromhex(made.thumbprint)),
        "x5t#S256": _b64url(bytes.fromhex(made.sha256)),
    }
    return str(
        private_key_jwt_sign(
            RSAKey.import_key(pem),
            client_id=client_id,
            token_endpoint=token_url,
            claims={"jti": str(uuid.uuid4()), "nbf": now},
            header=header,
            issued_at=now,
            expires_at=now + ASSERTION_SECONDS,
        )
    )
