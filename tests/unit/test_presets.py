"""The presets of the setup assistant and the account dialog: each fills settings that pass every
check of ``python -m app check``, says where its secret belongs, and has its words in both
languages."""

from __future__ import annotations

import re

import pytest

from app import settings as settings_mod
from app.route.router import Router
from app.settings import Destination, Flow, Provider, Rule, Settings, TlsMode, keys, preset_texts, presets
from app.settings.presets import BY_KEY, PRESETS, Answers, Need, fill

ANSWERS = Answers(
    host="mail.example.net",
    username="office@contoso.example",
    tenant="contoso.onmicrosoft.com",
    client_id="11111111-2222-3333-4444-555555555555",
)


def checked(settings: Settings) -> Settings:
    """The settings as loading them judges: SettingsError with every problem, else the copy."""
    return settings_mod.from_dict(settings_mod.to_dict(settings))


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
@pytest.mark.parametrize("match", ["*", "@example.jp"])
def test_each_preset_fills_settings_that_check_accepts(preset, match):
    settings = Settings(rules=[Rule(match="@lan.example", destination="10.0.0.5", tls=TlsMode.NONE, account="none")])
    answers = Answers(**{**vars(ANSWERS), "match": match})
    filled = fill(settings, preset, answers)
    loaded = checked(settings)
    assert loaded.problems() == []
    rule = loaded.rules[filled.rule]
    assert rule.match == match
    assert len(loaded.rules) == 2, "the rule already there is kept"
    decision = Router(loaded).route("someone@example.jp" if match != "*" else "someone@elsewhere.example")
    assert decision.rule == filled.rule + 1, "the new rule catches its mail"
    if preset.graph:
        assert rule.destination == Destination.GRAPH
    else:
        assert rule.destination == (preset.host or ANSWERS.host)
        assert rule.port == preset.port


def test_a_catch_all_goes_last_and_a_domain_rule_first_and_the_same_match_is_replaced():
    settings = Settings(rules=[Rule(match="@a.example", destination="a.example", account="none")])
    fill(settings, BY_KEY["internal"], Answers(match="*", host="exchange.lan"))
    fill(settings, BY_KEY["internal"], Answers(match="@b.example", host="b.lan"))
    assert [r.match for r in settings.rules] == ["@b.example", "@a.example", "*"]
    fill(settings, BY_KEY["isp"], Answers(match="*", host="smtp.isp.example", username="id1"))
    assert [r.destination for r in settings.rules] == ["b.lan", "a.example", "smtp.isp.example"]
    assert checked(settings).problems() == []


def test_the_isp_preset_is_port_587_required_tls_and_the_common_account():
    settings = Settings()
    filled = fill(settings, BY_KEY["isp"], Answers(host="smtp.isp.example", username="id-1234"))
    (rule,) = settings.rules
    assert (rule.match, rule.destination, rule.port, rule.tls, rule.account) == (
        "*",
        "smtp.isp.example",
        587,
        TlsMode.REQUIRED,
        "",
    )
    assert settings.auth_accounts.common.username == "id-1234"
    assert filled.key == keys.COMMON
    assert settings.accounts == []


def test_the_graph_preset_makes_a_microsoft_client_credentials_account_with_the_graph_scope():
    settings = Settings()
    filled = fill(settings, BY_KEY["m365_graph"], ANSWERS)
    (account,) = settings.accounts
    assert settings.rules[0].destination == "GRAPH" and settings.rules[0].account == account.name
    assert account.oauth2 is not None
    assert (account.oauth2.provider, account.oauth2.flow, account.oauth2.scope) == (
        Provider.MICROSOFT,
        Flow.CLIENT_CREDENTIALS,
        settings_mod.GRAPH_SCOPE,
    )
    assert (account.oauth2.tenant, account.oauth2.client_id) == (ANSWERS.tenant, ANSWERS.client_id)
    assert filled.key == keys.account_key(account.name) == "account:graph"


def test_port_465_becomes_implicit_tls_and_the_relay_without_tls_on_25_is_opportunistic():
    settings = Settings()
    fill(settings, BY_KEY["google_app_password"], Answers(username="a@example.jp", port=465))
    assert (settings.rules[0].port, settings.rules[0].tls) == (465, TlsMode.IMPLICIT)
    relay = Settings()
    filled = fill(relay, BY_KEY["google_relay"], Answers(port=25))
    assert (relay.rules[0].port, relay.rules[0].tls, relay.rules[0].account) == (25, TlsMode.OPPORTUNISTIC, "none")
    assert filled.key == "" and relay.accounts == []
    with_login = Settings()
    filled = fill(with_login, BY_KEY["google_relay"], Answers(username="a@example.jp", with_login=True))
    assert filled.key == "account:google-relay" and with_login.rules[0].account == "google-relay"
    assert checked(with_login).problems() == []


def test_an_account_of_the_same_name_is_replaced_not_listed_twice():
    settings = Settings()
    fill(settings, BY_KEY["m365_app"], ANSWERS)
    fill(settings, BY_KEY["m365_app"], Answers(**{**vars(ANSWERS), "username": "other@contoso.example"}))
    assert [a.username for a in settings.accounts] == ["other@contoso.example"]


def test_secrets_are_asked_for_exactly_where_the_sign_in_needs_one():
    needs_secret = {p.key for p in PRESETS if presets.secret_needed(p, Answers(with_login=True))}
    assert needs_secret == {
        "isp",
        "m365_app",
        "m365_graph",
        "m365_hve",
        "acs",
        "google_app_password",
        "google_oauth",
        "google_relay",
    }
    for preset in PRESETS:
        asks = Need.SECRET in preset.needs
        assert asks == (preset.key in needs_secret), preset.key


def test_the_powershell_lines_get_what_the_user_typed_and_keep_the_rest_as_placeholders():
    lines = presets.commands(BY_KEY["m365_app"], ANSWERS)
    assert f"New-ServicePrincipal -AppId {ANSWERS.client_id} -ObjectId <OBJECT_ID>" in lines
    assert (
        f"Add-MailboxPermission -Identity {ANSWERS.username} -User <SERVICE_PRINCIPAL_ID> -AccessRights FullAccess"
        in lines
    )
    assert f"Set-CASMailbox -Identity {ANSWERS.username} -SmtpClientAuthenticationDisabled $false" in lines
    assert presets.commands(BY_KEY["m365_graph"], ANSWERS) == ""


def test_every_preset_has_its_words_in_english_and_japanese():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for preset in PRESETS:
        for part in ("name", "summary", "register"):
            en = preset_texts.text(preset.key, part, "en")
            ja = preset_texts.text(preset.key, part, "ja")
            assert en and ja and en != ja, (preset.key, part)
            assert japanese.search(ja), (preset.key, part)
    for key in ("m365_app", "m365_graph"):
        assert "rewrite_from" in preset_texts.text(key, "register", "en")
        assert "rewrite_from" in preset_texts.text(key, "register", "ja")


def test_the_account_presets_are_recognised_from_an_accounts_oauth2():
    for preset in presets.ACCOUNT_PRESETS:
        account = presets.account_of(preset, ANSWERS)
        assert account is not None
        assert presets.preset_for(account.oauth2) is preset
    assert presets.preset_for(None) is None


def test_what_to_register_is_cut_into_steps_at_sentences_not_at_host_names():
    steps = preset_texts.steps("m365_app", "en")
    assert steps[0].startswith("In the Microsoft Entra admin center") and steps[0].endswith(".")
    assert any("SMTP.SendAsApp" in s for s in steps), "a dot inside a name does not end a step"
    assert "".join(steps).replace(" ", "") == preset_texts.text("m365_app", "register", "en").replace(" ", "")
    assert len(preset_texts.steps("google_oauth", "ja")) == 5
