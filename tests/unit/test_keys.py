"""The keyring's keys (app/settings/keys.py): built, taken apart and normalised in one place, as
``password set KEY`` and every part that stores or reads a secret use them."""

from __future__ import annotations

import pytest

from app.settings import Device, UpstreamAccount, keys
from app.system import passwords


def test_each_kind_of_key_is_built_with_its_word_and_names_in_lower_case():
    assert keys.COMMON == "common"
    assert keys.user_key("User1@Example.jp") == "user:User1@Example.jp"  # as given: normalize decides
    assert keys.local_key("user1@example.jp") == "local:user1@example.jp"
    assert keys.account_key("M365") == "account:m365" == UpstreamAccount(name="M365").key
    assert keys.device_key("MFP-2F") == "device:mfp-2f" == Device(name="MFP-2F").key
    assert keys.tokens_key("M365") == "tokens:m365"


@pytest.mark.parametrize(
    "key, kind, name",
    [
        ("common", keys.KeyKind.COMMON, ""),
        ("user:a@example.jp", keys.KeyKind.USER, "a@example.jp"),
        ("local:a@example.jp", keys.KeyKind.LOCAL, "a@example.jp"),
        ("account:m365", keys.KeyKind.ACCOUNT, "m365"),
        ("device:mfp", keys.KeyKind.DEVICE, "mfp"),
        ("tokens:m365", keys.KeyKind.TOKENS, "m365"),
    ],
)
def test_a_key_taken_apart_gives_its_kind_and_what_follows_the_colon(key, kind, name):
    assert keys.parse(key) == keys.Key(kind, name)


@pytest.mark.parametrize("key", ["", "common:x", "Common", "USER:a@example.jp", "user:", "device", "printer:x"])
def test_text_that_is_no_key_is_not_taken_apart(key):
    assert keys.parse(key) is None


@pytest.mark.parametrize(
    "key, normal",
    [
        ("common", "common"),
        ("user:User1@EXAMPLE.jp", "user:user1@example.jp"),
        ("local:u@Example.JP", "local:u@example.jp"),
        ("account:M365", "account:m365"),
        ("device:MFP-2f", "device:mfp-2f"),
        ("tokens:M365", "tokens:m365"),
    ],
)
def test_normalize_gives_the_form_the_keyring_holds(key, normal):
    assert keys.normalize(key) == normal == passwords.normalize_key(key)


@pytest.mark.parametrize("key", ["", "user:not-an-address", "account:bad name", "device:", "tokens:", "x:y", "common:"])
def test_normalize_refuses_what_is_no_key_and_says_what_keys_are(key):
    with pytest.raises(
        ValueError, match="the key must be common, user:ADDRESS, local:ADDRESS, account:NAME or device:NAME"
    ):
        keys.normalize(key)
