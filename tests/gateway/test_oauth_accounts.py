"""OAuth 2.0 accounts against a real authorization server on 127.0.0.1 (tests/support/oauth.py):
sign-in by authorization code + PKCE through the loopback redirect, device code, client
credentials; tokens encrypted in the data folder with only their key in a keyring that holds
2,560 bytes at most; refresh before expiry, rotation, Google's missing refresh token, and a
refresh refused with invalid_grant."""

from __future__ import annotations

import threading
import time

import keyring
import pytest

from app.accounts import service
from app.accounts.tokens import key_name
from app.system import passwords
from tests.support.gateway import make_settings
from tests.support.keyrings import CappedKeyring
from tests.support.logs import TensoLog
from tests.support.oauth import AuthServer, browse


@pytest.fixture
def capped_keyring():
    before = keyring.get_keyring()
    keyring.set_keyring(CappedKeyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("TENSO_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def auth_server():
    made: list[AuthServer] = []

    def make(**kwargs) -> AuthServer:
        made.append(AuthServer(**kwargs))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def settings_for(tmp_path, server: AuthServer, flow: str = "authorization_code", name: str = "m365"):
    account = {"name": name, "username": server.user, "oauth2": server.oauth2(flow)}
    return make_settings(tmp_path, accounts=[account])


def sign_in(settings, name: str = "m365"):
    """service.login with a "browser" that follows the authorization URL to the loopback listener."""
    pages: list[str] = []

    def show_url(url: str) -> None:
        threading.Thread(target=lambda: pages.append(browse(url)), daemon=True).start()

    status = service.login(settings, name, show_url=show_url, open_browser=False, timeout=20)
    return status, pages


def test_sign_in_with_pkce_stores_tokens_too_long_for_the_keyring_encrypted_in_the_data_folder(
    tmp_path, auth_server, capped_keyring, data_dir
):
    server = auth_server(token_chars=3000)  # each token alone is over Credential Manager's 2,560 bytes
    settings = settings_for(tmp_path, server)
    started = time.monotonic()
    status, pages = sign_in(settings)
    took = time.monotonic() - started
    assert status.signed_in and status.kind == "oauth2" and status.error is None
    assert status.expires is not None and status.expires.timestamp() > time.time() + 3000
    assert server.grants["authorization_code"] == 1, server.refused
    assert pages and "Signed in" in pages[0]
    blob = (data_dir / "tokens" / "m365.tokens").read_bytes()
    (access,) = server.access
    assert access.encode() not in blob and b"refresh" not in blob  # encrypted
    assert len(passwords.get(key_name("m365")) or "") == 44  # only the key is in the keyring
    assert service.access_token(settings, "m365") == access
    print(f"sign-in against the local server: {took * 1000:.0f} ms")


def test_the_token_endpoint_refuses_a_code_without_the_right_pkce_verifier(auth_server):
    """The test server really checks PKCE (so the sign-in test proves Tenso sends it)."""
    import json
    import urllib.error
    import urllib.request
    from urllib.parse import parse_qs, urlencode, urlsplit

    server = auth_server()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": server.client_id,
            "redirect_uri": "http://127.0.0.1:9/",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "state": "s",
        }
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(server.url("/authorize?" + query))
    code = parse_qs(urlsplit(redirect.value.headers["Location"]).query)["code"][0]
    redirect.value.close()
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": server.client_id,
            "redirect_uri": "http://127.0.0.1:9/",
            "code_verifier": "wrong" * 10,
        }
    ).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.url("/token"), form)
    with refused.value:
        assert json.loads(refused.value.read())["error_description"] == "PKCE verification failed"


def test_a_token_close_to_expiry_is_refreshed_and_the_rotated_refresh_token_is_stored_first(
    tmp_path, auth_server, data_dir
):
    server = auth_server(access_seconds=60)  # within the 5-minute margin: every use refreshes
    settings = settings_for(tmp_path, server)
    sign_in(settings)
    (first_refresh,) = server.refresh
    token = service.access_token(settings, "m365")
    assert server.grants["refresh_token"] == 1 and server.valid(token)
    assert first_refresh not in server.refresh  # rotated: the old one is spent
    stored = service.store().load("m365")
    assert stored is not None and stored.refresh_token in server.refresh  # the new one was kept
    again = service.access_token(settings, "m365")  # works only with the new refresh token
    assert again != token and server.grants["refresh_token"] == 2 and server.refused == []
    status = service.account_status(settings, "m365")
    assert status.last_refresh is not None and status.error is None


def test_a_valid_token_is_handed_out_without_asking_the_server(tmp_path, auth_server, data_dir):
    server = auth_server(access_seconds=3600)
    settings = settings_for(tmp_path, server)
    sign_in(settings)
    started = time.perf_counter()
    for _ in range(200):
        service.access_token(settings, "m365")
    per_call = (time.perf_counter() - started) / 200
    assert server.grants["refresh_token"] == 0
    print(f"access_token() with a valid token: {per_call * 1e6:.0f} µs per message")


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(tmp_path, auth_server, data_dir):
    server = auth_server(access_seconds=60, rotate=False)  # Google: the refresh token stays
    settings = settings_for(tmp_path, server)
    sign_in(settings)
    (refresh_token,) = server.refresh
    service.access_token(settings, "m365")
    service.access_token(settings, "m365")
    assert server.grants["refresh_token"] == 2 and server.refused == []
    stored = service.store().load("m365")
    assert stored is not None and stored.refresh_token == refresh_token


def test_invalid_grant_asks_for_a_new_sign_in_logs_it_once_and_stops_asking_the_server(tmp_path, auth_server, data_dir):
    server = auth_server(access_seconds=60)
    settings = settings_for(tmp_path, server)
    sign_in(settings)
    server.revoke()
    with TensoLog() as log:
        for _ in range(3):
            with pytest.raises(service.AccountError) as exc:
                service.access_token(settings, "m365")
            assert exc.value.needs_sign_in
            assert "sign in again: Auth accounts → m365" in str(exc.value)
    assert server.refused == ["invalid_grant"]  # asked once; afterwards the account waits for a sign-in
    lines = log.matching("m365", "invalid_grant")
    assert len(lines) == 1 and "sign in again: Auth accounts → m365" in lines[0], log.lines
    status = service.account_status(settings, "m365")
    assert not status.signed_in and status.error is not None and "invalid_grant" in status.error
    server.restore()
    sign_in(settings)
    assert server.valid(service.access_token(settings, "m365", margin=0))
    assert service.account_status(settings, "m365").error is None


def test_device_code_sign_in_polls_until_the_code_is_entered(tmp_path, auth_server, data_dir):
    server = auth_server()
    settings = settings_for(tmp_path, server, flow="device_code")
    shown = []

    def show_code(url: str, code: str) -> None:
        shown.append((url, code))

        def enter() -> None:
            time.sleep(0.5)  # the user types the code on another device; Tenso polls meanwhile
            browse(f"{url}?user_code={code}")

        threading.Thread(target=enter, daemon=True).start()

    status = service.login(settings, "m365", show_code=show_code, timeout=20)
    assert status.signed_in and server.grants["device_code"] == 1
    assert shown[0][0] == server.url("/device")
    assert "authorization_pending" in server.refused


def test_client_credentials_store_the_secret_in_the_keyring_and_fetch_a_token(tmp_path, auth_server, data_dir):
    server = auth_server(access_seconds=60)
    settings = settings_for(tmp_path, server, flow="client_credentials", name="app")
    with pytest.raises(service.AccountError, match="invalid client secret"):
        service.login(settings, "app", secret="wrong")
    status = service.login(settings, "app", secret=server.client_secret)
    assert status.signed_in and passwords.get("account:app") == server.client_secret
    token = service.access_token(settings, "app")  # near expiry: a new client-credentials token
    assert server.grants["client_credentials"] == 2 and server.valid(token)


def test_sign_out_forgets_the_tokens_and_their_key(tmp_path, auth_server, data_dir):
    server = auth_server()
    settings = settings_for(tmp_path, server)
    sign_in(settings)
    assert service.logout(settings, "m365") is True
    assert not (data_dir / "tokens" / "m365.tokens").exists() and passwords.get(key_name("m365")) is None
    assert service.account_status(settings, "m365").signed_in is False
    with pytest.raises(service.AccountError, match="not signed in"):
        service.access_token(settings, "m365")


def test_the_capped_keyring_refuses_what_credential_manager_would():
    with pytest.raises(keyring.errors.PasswordSetError):
        CappedKeyring().set_password("tenso", "too-long", "x" * 1281)
