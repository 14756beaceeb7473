"""Which HTTP proxy OAuth 2.0 and Microsoft Graph requests go through (``delivery.http_proxy``).

``""``: the system's proxy, as requests finds it with ``trust_env``: the environment variables
HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and on Windows, when none is set, the Internet settings of
the user Tenso runs as (``urllib.request.getproxies`` reads them from the registry; requests calls
it, pinned by tests/unit/test_proxy.py).  A Windows service runs as another user and has no such
settings: there ``delivery.http_proxy`` must name the proxy.  ``"none"``: never a proxy, whatever
the environment says.  ``"http://HOST:PORT"``: that proxy for every such request.

No requests here (accounts/ and deliver/couriers/ make the sessions): only the values they set
and the words for a proxy that failed.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

from app.problems import Problem

NONE = "none"


class ProxyLogin(Exception):
    """The proxy answered 407: it wants a login Tenso does not have."""


def configure(session, setting: str):  # a requests.Session; not imported here
    """Makes ``session`` use the proxy of ``setting``, and a 407 from a proxy raise ProxyLogin
    (plain-http requests get the 407 as a response; https ones as requests' ProxyError)."""
    session.proxies, session.trust_env = session_options(setting)
    session.hooks["response"].append(_refuse_407)
    return session


def _refuse_407(response, *args, **kwargs):
    if response.status_code == 407:
        response.close()  # its connection goes back, not left to the garbage collector
        raise ProxyLogin(response.url)
    return response


def problem(setting: str, url: str, exc: BaseException) -> str | None:
    """The words for ``exc`` when a proxy caused it (a 407, or a proxy that cannot be reached);
    None when it is not about a proxy."""
    used = proxy_for(setting, url)
    if isinstance(exc, ProxyLogin) or (used and "407" in str(exc)):
        return asks_for_login(used or "the proxy")
    if used and type(exc).__name__ == "ProxyError":  # requests.exceptions.ProxyError
        return unreachable(used, setting, exc)
    return None


def session_options(setting: str) -> tuple[dict[str, str], bool]:
    """``(proxies, trust_env)`` for a requests Session made under ``setting``."""
    if setting == NONE:
        return {}, False
    if setting:
        return {"http": setting, "https": setting}, False
    return {}, True


def proxy_for(setting: str, url: str) -> str | None:
    """The proxy a request to ``url`` goes through under ``setting`` (None: straight)."""
    if setting == NONE:
        return None
    if setting:
        return setting
    parts = urlsplit(url)
    found = urllib.request.getproxies()
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # public, not in typeshed
    if found.get("no") and bypass(parts.hostname or "", {"no": found["no"]}):
        return None
    return found.get(parts.scheme) or found.get("all") or None


def where(proxy: str) -> str:
    """The proxy as the replies name it: HOST:PORT."""
    parts = urlsplit(proxy)
    return parts.netloc.rsplit("@", 1)[-1] or proxy


def asks_for_login(proxy: str) -> Problem:
    return Problem(
        "",
        "the proxy at {proxy} asks for a login (407 Proxy Authentication Required); Tenso does not "
        "log in to proxies: let the proxy allow this computer without a login, or set delivery.http_proxy to "
        "one that does",
        proxy=where(proxy),
    )


def unreachable(proxy: str, setting: str, error: object) -> Problem:
    if setting:
        return Problem(
            "", "cannot reach the proxy at {proxy} (from delivery.http_proxy): {error}", proxy=where(proxy), error=error
        )
    return Problem(
        "",
        "cannot reach the proxy at {proxy} (from the system's proxy setting): {error}",
        proxy=where(proxy),
        error=error,
    )
