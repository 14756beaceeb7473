"""app/system/certificate.py: the self-signed certificate for Tenso's own listeners, checked with
cryptography, with the ssl module's own loading and with real handshakes over 127.0.0.1."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app import settings as settings_mod
from app.system import certificate
from tests.support.tls import handshake

FINGERPRINT = re.compile(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")


def der_sha256(cert_path: Path) -> str:
    """The fingerprint computed without cryptography: the DER bytes' SHA-256, as panels show it."""
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text(encoding="ascii"))
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def server_context(made: certificate.Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(made.cert, made.key)
    return context


def pinning_client(made: certificate.Certificate) -> ssl.SSLContext:
    """A client that trusts this certificate alone, and checks the host name on it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=made.cert)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    return context


# --- create ---------------------------------------------------------------------------------


def test_create_writes_an_rsa_2048_self_signed_server_certificate_for_the_host(tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    made = certificate.create(tmp_path, "gw.example.jp")

    assert made.cert == tmp_path / "tenso-cert.pem" and made.key == tmp_path / "tenso-key.pem"
    assert made.host == "gw.example.jp"
    cert = load(made.cert)
    assert cert.subject == cert.issuer == x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gw.example.jp")])
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    cert.verify_directly_issued_by(cert)  # self-signed: its own key signed it
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"

    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("gw.example.jp")]
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment
    assert not (usage.key_cert_sign or usage.crl_sign or usage.content_commitment or usage.key_agreement)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]

    yesterday = before - timedelta(days=1)
    assert yesterday <= cert.not_valid_before_utc <= yesterday + timedelta(seconds=5)
    assert made.not_after == cert.not_valid_after_utc
    assert timedelta(days=3650) <= made.not_after - before <= timedelta(days=3650, seconds=5)


def test_the_key_is_unencrypted_pkcs8_readable_by_this_account_only(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp")
    text = made.key.read_text(encoding="ascii")
    assert text.startswith("-----BEGIN PRIVATE KEY-----\n")  # PKCS8, not "BEGIN RSA PRIVATE KEY"
    key = serialization.load_pem_private_key(text.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.public_key().public_numbers() == load(made.cert).public_key().public_numbers()  # type: ignore[union-attr]
    if os.name != "nt":
        assert made.key.stat().st_mode & 0o777 == 0o600
        assert made.cert.stat().st_mode & 0o777 == 0o644


def test_the_fingerprint_is_the_sha256_of_the_der_certificate_in_colon_separated_upper_case_pairs(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp")
    assert FINGERPRINT.fullmatch(made.fingerprint), made.fingerprint
    assert made.fingerprint == der_sha256(made.cert)


def test_days_sets_the_expiry_and_each_certificate_gets_its_own_serial_and_key(tmp_path):
    first = certificate.create(tmp_path / "a", "gw.example.jp", days=30)
    second = certificate.create(tmp_path / "b", "gw.example.jp", days=30)
    assert timedelta(days=29) < first.not_after - datetime.now(UTC) <= timedelta(days=30)
    a, b = load(first.cert), load(second.cert)
    assert a.serial_number != b.serial_number and 0 < a.serial_number < 2**159
    assert first.fingerprint != second.fingerprint
    assert first.key.read_bytes() != second.key.read_bytes()


def test_an_ip_address_is_written_as_an_ip_subject_alternative_name(tmp_path):
    made = certificate.create(tmp_path, "192.0.2.10")
    cert = load(made.cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.IPAddress(ipaddress.ip_address("192.0.2.10"))]
    assert san.get_values_for_type(x509.DNSName) == []
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "192.0.2.10"

    v6 = certificate.create(tmp_path / "v6", "2001:DB8:0::1")
    assert v6.host == "2001:db8::1"  # the address as clients compare it
    names = load(v6.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(names) == [x509.IPAddress(ipaddress.ip_address("2001:db8::1"))]


def test_an_internationalized_name_is_written_as_its_a_label(tmp_path):
    made = certificate.create(tmp_path, "例え.JP")
    assert made.host == "xn--r8jz45g.jp"
    names = load(made.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(names) == [x509.DNSName("xn--r8jz45g.jp")]


@pytest.mark.parametrize("host", ["", "two words", "a..b", "under_score!.jp", "-x.jp"])
def test_a_host_that_is_neither_a_name_nor_an_address_is_refused_before_anything_is_written(tmp_path, host):
    with pytest.raises(ValueError, match="not a host name or an IP address"):
        certificate.create(tmp_path / "tls", host)
    assert not (tmp_path / "tls").exists()


def test_a_new_pair_replaces_the_old_one_and_leaves_no_temporary_files(tmp_path):
    old = certificate.create(tmp_path, "old.example.jp")
    old_key = old.key.read_bytes()
    (tmp_path / "other.txt").write_text("kept")
    new = certificate.create(tmp_path, "new.example.jp")
    assert new.cert == old.cert and new.key == old.key
    assert certificate.describe(new.cert).host == "new.example.jp" and new.key.read_bytes() != old_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt", "tenso-cert.pem", "tenso-key.pem"]
    server_context(new)  # the key on disk belongs to the certificate on disk


def test_a_refused_host_leaves_the_old_pair_as_it_was(tmp_path):
    old = certificate.create(tmp_path, "old.example.jp")
    before = (old.cert.read_bytes(), old.key.read_bytes())
    with pytest.raises(ValueError):
        certificate.create(tmp_path, "not a host")
    assert (old.cert.read_bytes(), old.key.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tenso-cert.pem", "tenso-key.pem"]


def test_a_folder_that_cannot_be_made_raises_oserror(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError):
        certificate.create(tmp_path / "file" / "tls", "gw.example.jp")


# --- the pair in real TLS ----------------------------------------------------------------------


def test_a_client_pinning_the_certificate_completes_a_handshake_for_the_host_name(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp")
    version, _ = handshake(server_context(made), pinning_client(made), "gw.example.jp")
    assert version in ("TLSv1.2", "TLSv1.3")


def test_the_same_client_refuses_it_for_another_name_and_without_the_pin(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(server_context(made), pinning_client(made), "other.example.jp")
    with pytest.raises(ssl.SSLCertVerificationError, match="self-signed certificate"):
        handshake(server_context(made), ssl.create_default_context(), "gw.example.jp")


def test_a_certificate_for_an_ip_address_verifies_for_that_address(tmp_path):
    made = certificate.create(tmp_path, "127.0.0.1")
    handshake(server_context(made), pinning_client(made), "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        handshake(server_context(made), pinning_client(made), "127.0.0.2")


@pytest.mark.skipif(not ssl.HAS_TLSv1, reason="this OpenSSL has no TLS 1.0")
@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated:DeprecationWarning")
def test_an_old_device_with_tls_1_0_and_rsa_key_exchange_only_can_use_it(tmp_path):
    """Why the key is RSA with keyEncipherment: AES128-SHA encrypts the session key to it."""
    made = certificate.create(tmp_path, "gw.example.jp")
    server, client = server_context(made), pinning_client(made)
    for context in (server, client):
        context.set_ciphers("AES128-SHA:@SECLEVEL=0")  # RSA key exchange, nothing else
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    assert handshake(server, client, "gw.example.jp") == ("TLSv1", "AES128-SHA")


# --- describe -------------------------------------------------------------------------------


def test_describe_reads_back_what_create_made(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp", days=400)
    found = certificate.describe(made.cert)
    assert (found.cert, found.host, found.fingerprint, found.not_after) == (
        made.cert,
        "gw.example.jp",
        made.fingerprint,
        made.not_after,
    )
    assert found.key == Path("")


def test_describe_takes_the_first_certificate_of_a_chain_file(tmp_path):
    leaf = certificate.create(tmp_path / "leaf", "leaf.example.jp")
    other = certificate.create(tmp_path / "other", "ca.example.jp")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(leaf.cert.read_bytes() + other.cert.read_bytes())
    assert certificate.describe(chain).fingerprint == der_sha256(leaf.cert) != other.fingerprint


def test_describe_of_a_certificate_without_a_common_name_gives_its_first_alternative_name(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Someone")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("san-only.example.jp"), x509.DNSName("second.example.jp")]),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "san.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert certificate.describe(path).host == "san-only.example.jp"


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage\n", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", b"\xff" * 99],
)
def test_describe_of_something_that_is_not_a_pem_certificate_raises_valueerror(tmp_path, content):
    path = tmp_path / "not-a-cert.pem"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"not-a-cert\.pem is not a PEM certificate"):
        certificate.describe(path)


def test_describe_of_the_key_file_raises_valueerror(tmp_path):
    made = certificate.create(tmp_path, "gw.example.jp")
    with pytest.raises(ValueError, match="is not a PEM certificate"):
        certificate.describe(made.key)


def test_describe_of_a_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        certificate.describe(tmp_path / "gone.pem")


# --- create_for -----------------------------------------------------------------------------


def test_create_for_puts_the_pair_in_the_data_folder_and_points_the_settings_at_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSO_DATA_DIR", str(tmp_path / "data"))
    settings = settings_mod.from_dict({"server": {"hostname": "tenso.example.jp"}})
    made = certificate.create_for(settings)
    assert made.host == "tenso.example.jp"
    assert made.cert == tmp_path / "data" / "tls" / "tenso-cert.pem"
    assert settings.server.tls_cert == str(made.cert) and Path(settings.server.tls_cert).is_absolute()
    assert settings.server.tls_key == str(made.key) and Path(settings.server.tls_key).is_absolute()
    settings_mod.from_dict(settings_mod.to_dict(settings))  # the settings with it are valid


def test_create_for_takes_a_host_other_than_the_settings_and_makes_a_relative_data_folder_absolute(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENSO_DATA_DIR", "relative-data")
    settings = settings_mod.from_dict({"server": {"hostname": "tenso.example.jp"}})
    made = certificate.create_for(settings, "10.0.0.5")
    assert made.host == "10.0.0.5" and settings.server.hostname == "tenso.example.jp"
    assert settings.server.tls_cert == str(tmp_path / "relative-data" / "tls" / "tenso-cert.pem")
    assert settings.server.tls_key == str(tmp_path / "relative-data" / "tls" / "tenso-key.pem")
