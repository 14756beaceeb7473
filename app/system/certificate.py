"""A self-signed certificate for Tenso's own listeners, made in one step (issue 16).

Scanners and multifunction printers that send by SMTP often insist on STARTTLS or SMTPS but
never check who signed the certificate, or let the administrator accept it once.  A private CA
is more than such an office needs: one self-signed certificate naming the gateway, whose
fingerprint the administrator can compare on the device's panel, is enough.

The key is RSA 2048 on purpose: devices that only speak TLS 1.0 need RSA key exchange, and many
do not know ECDSA at all.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.mail import addresses
from app.system import paths
from app.system.files import fsync_dir

if TYPE_CHECKING:
    from app.settings import Settings

CERT_FILE = "tenso-cert.pem"
KEY_FILE = "tenso-key.pem"
FOLDER = "tls"  # under the data folder
RSA_BITS = 2048


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path  # Path("") when only the certificate was read (describe)
    host: str
    fingerprint: str  # SHA-256 of the DER certificate as colon-separated upper-case hex pairs
    not_after: datetime  # UTC


def fingerprint_of(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint as browsers and device panels show it: ``AB:CD:...`` (32 pairs)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _subject_name(host: str) -> tuple[str, x509.GeneralName]:
    """The host as the certificate writes it, and the name a client checks: an IP literal as an
    IP address, anything else as a DNS name."""
    host = host.strip()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return str(ip), x509.IPAddress(ip)
    if not addresses.is_hostname(host):
        raise ValueError(f"{host!r} is not a host name or an IP address")
    # Clients compare the A-label (xn--...), so an internationalized name is written that way.
    name = host.rstrip(".").encode("idna").decode("ascii").lower()
    return name, x509.DNSName(name)


def self_signed(
    common_name: str, days: int, extensions: tuple[tuple[x509.ExtensionType, bool], ...] = ()
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new RSA key and a self-signed certificate for it, valid from a day ago for ``days``, not a
    CA, with ``extensions`` (each with whether it is critical) besides.  Also the account
    certificates of app/accounts/certificates.py."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        # Positive, at most 20 bytes (RFC 5280), and never the same twice: a device that cached
        # the old certificate by issuer and serial sees that this one is new.
        .serial_number(secrets.randbits(159) | 1)
        .not_valid_before(now - timedelta(days=1))  # a device whose clock is a little behind
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return key, builder.sign(key, hashes.SHA256())


def _build(host: str, name: x509.GeneralName, days: int) -> tuple[bytes, bytes, x509.Certificate]:
    """The certificate and key as PEM, and the certificate itself."""
    usage = x509.KeyUsage(
        digital_signature=True,
        key_encipherment=True,  # RSA key exchange (TLS 1.0 devices)
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    key, cert = self_signed(
        host,
        days,
        (
            (x509.SubjectAlternativeName([name]), False),
            (usage, True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ),
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, cert


def _write_temp(folder: Path, prefix: str, data: bytes, mode: int) -> Path:
    """``data`` in a new file of ``folder``, on disk before it returns.  mkstemp creates it 0o600,
    so the key is never readable by others, not even for a moment."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if os.name != "nt":
            os.chmod(name, mode)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def create(folder: Path, host: str, days: int = 3650) -> Certificate:
    """Makes a self-signed certificate for ``host`` and its key in ``folder`` (blocking: the RSA
    key takes a moment).  An existing pair is replaced, but only once both new files are
    written in full: a failure leaves the old pair as it was."""
    if days < 1:
        raise ValueError(f"days must be 1 or more, not {days}")
    host, name = _subject_name(host)
    cert_pem, key_pem, cert = _build(host, name, days)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    written: list[Path] = []
    try:
        written.append(_write_temp(folder, ".tenso-key-", key_pem, 0o600))
        written.append(_write_temp(folder, ".tenso-cert-", cert_pem, 0o644))
        os.replace(written[0], key_path)
        os.replace(written[1], cert_path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return Certificate(cert_path, key_path, host, fingerprint_of(cert), cert.not_valid_after_utc)


def _host_of(cert: x509.Certificate) -> str:
    """The common name, else the first subject alternative name; "" when it names nobody."""
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common:
        value = common[0].value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ""
    for name in names:
        if isinstance(name, (x509.DNSName, x509.IPAddress)):
            return str(name.value)
    return ""


def describe(cert_path: Path) -> Certificate:
    """What an existing certificate file says: its host, fingerprint and expiry (the first
    certificate when the file holds a chain).  OSError when it cannot be read; ValueError when
    it holds no PEM certificate."""
    cert_path = Path(cert_path)
    data = cert_path.read_bytes()
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ValueError(
            f"{cert_path} is not a PEM certificate (a text file with a -----BEGIN CERTIFICATE----- block)"
        ) from None
    cert = found[0]
    return Certificate(cert_path, Path(""), _host_of(cert), fingerprint_of(cert), cert.not_valid_after_utc)


def create_for(settings: Settings, host: str | None = None) -> Certificate:
    """Makes the pair in the data folder's ``tls`` folder for ``host`` (default: the gateway's
    host name) and points ``server.tls_cert`` / ``tls_key`` at it; the caller saves the settings."""
    made = create(paths.data_dir() / FOLDER, host or settings.server.hostname)
    settings.server.tls_cert = str(made.cert.resolve())
    settings.server.tls_key = str(made.key.resolve())
    return made
