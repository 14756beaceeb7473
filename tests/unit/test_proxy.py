"""``delivery.http_proxy`` without a network: what the settings take, what a requests Session is
given, and the part of requests Tenso relies on for the system's proxy (pinned)."""

from __future__ import annotations

import urllib.request

import pytest

from app import settings as settings_mod
from app.settings import SettingsError
from app.system import proxy


def test_requests_finds_the_system_proxy_with_urllibs_getproxies_which_reads_windows_internet_settings():
    """With ``trust_env`` requests asks urllib.request.getproxies, which on Windows falls back to
    the registry's Internet settings (getproxies_registry): an upgrade that stops doing so fails here."""
    import requests.utils

    assert requests.utils.getproxies is urllib.request.getproxies
    assert requests.utils.proxy_bypass is urllib.request.proxy_bypass


@pytest.mark.parametrize(
    ("setting", "proxies", "trust_env"),
    [
        ("", {}, True),
        ("none", {}, False),
        (
            "http://proxy.example.jp:8080",
            {"http": "http://proxy.example.jp:8080", "https": "http://proxy.example.jp:8080"},
            False,
        ),
    ],
)
def test_each_setting_gives_the_session_its_proxies(setting, proxies, trust_env):
    import requests

    with proxy.configure(requests.Session(), setting) as session:
        assert (session.proxies, session.trust_env) == (proxies, trust_env)


@pytest.mark.parametrize(
    "value", ["", "none", "http://proxy.example.jp:8080", "http://[::1]:3128", "https://p.example:443"]
)
def test_the_settings_take_the_system_none_or_a_proxy_with_a_port(value):
    assert settings_mod.from_dict({"delivery": {"http_proxy": value}}).delivery.http_proxy == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("proxy.example.jp:8080", 'must be "", "none" or a proxy such as http://proxy.example.jp:8080'),
        ("http://proxy.example.jp", 'must be "", "none" or a proxy such as http://proxy.example.jp:8080'),
        ("socks5://proxy.example.jp:1080", 'must be "", "none" or a proxy such as http://proxy.example.jp:8080'),
        ("http://user:secret@proxy.example.jp:8080", "must not hold a user name or password"),
    ],
)
def test_the_settings_refuse_other_proxies_and_any_password(value, problem):
    with pytest.raises(SettingsError) as exc:
        settings_mod.from_dict({"delivery": {"http_proxy": value}})
    assert any(p.startswith("delivery.http_proxy") and problem in p for p in exc.value.problems), exc.value.problems


def test_the_proxy_a_url_goes_through_follows_the_environment_and_no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://office-proxy:8080")
    monkeypatch.setenv("NO_PROXY", "login.internal.example")
    assert proxy.proxy_for("", "https://graph.microsoft.com/v1.0") == "http://office-proxy:8080"
    assert proxy.proxy_for("", "https://login.internal.example/token") is None
    assert proxy.proxy_for("none", "https://graph.microsoft.com/v1.0") is None
    assert proxy.proxy_for("http://p:3128", "https://graph.microsoft.com/v1.0") == "http://p:3128"


def test_a_407_to_connect_for_an_https_address_is_worded_as_a_proxy_login(monkeypatch):
    """HTTPS goes through the proxy by CONNECT; a 407 to it comes back as requests' ProxyError,
    not as a response: the same words as for plain HTTP."""
    import requests

    from tests.support.proxy import Proxy

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    office = Proxy()
    office.require_login = True
    url = "https://127.0.0.1:9/v1.0/users/x/sendMail"
    try:
        with (
            proxy.configure(requests.Session(), office.url) as session,
            pytest.raises(requests.RequestException) as exc,
        ):
            session.post(url, data=b"x", timeout=10)
    finally:
        office.stop()
    assert office.seen == [("CONNECT", "127.0.0.1:9")]
    assert proxy.problem(office.url, url, exc.value) == proxy.asks_for_login(office.url)
    assert f"the proxy at 127.0.0.1:{office.port} asks for a login (407" in proxy.asks_for_login(office.url)
