"""Which TLS versions and cipher suites a listener accepts: a client tries each, after STARTTLS."""

from __future__ import annotations

import smtplib
import ssl
import warnings

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
}
# RSA key exchange with SHA-1 (old devices), ECDHE with SHA-1, ECDHE with AES-GCM, and two that
# no profile may ever accept.
SUITES = ("AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256", "DES-CBC3-SHA", "RC4-SHA")


def _client(version: ssl.TLSVersion | None, suite: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if version is not None:
            context.minimum_version = context.maximum_version = version
    if suite is not None:
        try:
            context.set_ciphers(f"{suite}:@SECLEVEL=0")
        except ssl.SSLError:
            raise ValueError(suite) from None  # this OpenSSL lacks the suite itself
    return context


def accepts(port: int, version: ssl.TLSVersion | None, suite: str | None) -> str | None:
    """The (version, suite) the handshake agreed on, or None when the listener refused it."""
    try:
        context = _client(version, suite)
    except ValueError:
        return None
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        try:
            c.starttls(context=context)
        except (ssl.SSLError, OSError, smtplib.SMTPException):
            return None
        agreed = c.sock.version(), c.sock.cipher()[0]  # type: ignore[union-attr]  # TLS: an SSLSocket now
    return f"{agreed[0]} {agreed[1]}"


def matrix(port: int) -> dict[str, bool]:
    """ "TLSv1 AES128-SHA" -> accepted, for every version and suite, and "TLSv1.3" on its own."""
    found = {
        f"{name} {suite}": accepts(port, version, suite) is not None
        for name, version in VERSIONS.items()
        for suite in SUITES
    }
    found["TLSv1.3"] = accepts(port, ssl.TLSVersion.TLSv1_3, None) is not None
    return found


def table(results: dict[str, dict[str, bool]]) -> str:
    """Profiles side by side, one line per version and suite: for a closing note."""
    names = list(results)
    rows = [f"{'':38}" + "".join(f"{n:>10}" for n in names)]
    for key in next(iter(results.values())):
        rows.append(f"{key:38}" + "".join(f"{'yes' if results[n][key] else '-':>10}" for n in names))
    return "\n".join(rows)


def expect_profile(found: dict[str, bool], profile: str) -> None:
    """What each profile must and must not accept (the closing note of issue 16 lists the table)."""
    assert found["TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"] and found["TLSv1.3"], found
    assert not found["TLSv1 RC4-SHA"] and not found["TLSv1 DES-CBC3-SHA"], found
    old = [key for key, ok in found.items() if ok and key.startswith(("TLSv1 ", "TLSv1.1 "))]
    if profile == "legacy":
        assert found["TLSv1 AES128-SHA"] and found["TLSv1.2 AES128-SHA"], found
    else:
        assert old == [] and not found["TLSv1.2 AES128-SHA"] and not found["TLSv1.2 ECDHE-RSA-AES128-SHA"], found
