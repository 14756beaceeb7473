"""The ways out an office's mail usually takes, as data: what each fills in the settings (the rule's
destination, port, TLS and account; the account's provider, flow and scope) and what the user
must register at the provider (preset_texts.py, in English and Japanese).

The window's setup assistant and the account dialog's "Preset" choice read these; nothing here
touches the keyring or the network.  ``fill`` writes a preset into settings (the window's working
copy) and says under which keyring key the password or client secret belongs; a preset never
produces settings that ``python -m app check`` refuses (tests/unit/test_presets.py).

Each host name, port and scope was checked against the provider's documentation on 2026-12-08;
the comment above each preset names the page that confirmed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.settings import keys
from app.settings.account_checks import GRAPH_SCOPE
from app.settings.enums import Destination, Flow, Provider, RuleAccount, TlsMode
from app.settings.model import Settings
from app.settings.sections import OAuth2, Rule, UpstreamAccount, find_account

EXCHANGE_APP_SCOPE = "https://outlook.office365.com/.default"  # app-only SMTP (SMTP.SendAsApp)
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"


class Login(StrEnum):
    """How the rule logs in to its destination."""

    COMMON = "common"  # the common account (共通アカウント): the ISP's ID, its password under "common"
    PASSWORD = "password"  # an entry of accounts[] with a password under account:NAME
    OAUTH = "oauth"  # an entry of accounts[] with oauth2 (a client secret, if any, under account:NAME)
    NONE = "none"  # no login (rule account "none")


class Need(StrEnum):
    """What the user types for a preset (the assistant shows these fields only)."""

    HOST = "host"
    USERNAME = "username"
    SECRET = "secret"  # the password, app password or client secret: into the keyring, never the file
    TENANT = "tenant"
    CLIENT_ID = "client_id"
    OPTIONAL_LOGIN = "optional_login"  # the relay: with or without a login


@dataclass(frozen=True)
class Preset:
    key: str
    host: str  # "": the user's own server
    port: int
    tls: TlsMode
    login: Login
    needs: tuple[Need, ...]
    account: str = ""  # the name of the accounts[] entry it makes (Login PASSWORD / OAUTH)
    provider: Provider | None = None
    flow: Flow = Flow.AUTHORIZATION_CODE
    scope: str = ""  # "": the provider's preset (app/accounts/oauth.py)
    graph: bool = False  # destination GRAPH (Microsoft Graph sendMail), port and TLS unused
    ports: tuple[int, ...] = ()  # other ports the provider also takes (the assistant offers them)
    powershell: str = ""  # lines for Exchange Online PowerShell, <placeholders> filled by ``commands``

    @property
    def oauth2(self) -> bool:
        return self.provider is not None


_M365_APP_ONLY_POWERSHELL = """\
Install-Module -Name ExchangeOnlineManagement
Connect-ExchangeOnline -Organization <TENANT>
New-ServicePrincipal -AppId <CLIENT_ID> -ObjectId <OBJECT_ID>
Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId,Identity
Add-MailboxPermission -Identity <MAILBOX> -User <SERVICE_PRINCIPAL_ID> -AccessRights FullAccess"""

_M365_SMTP_AUTH_POWERSHELL = """\
Connect-ExchangeOnline
Set-CASMailbox -Identity <MAILBOX> -SmtpClientAuthenticationDisabled $false"""

PRESETS: tuple[Preset, ...] = (
    # An ISP's submission port: RFC 6409 port 587 with STARTTLS, the ISP's ID and password (the
    # original product's set-up).  No one provider's page: each ISP's own manual names its host.
    Preset("isp", "", 587, TlsMode.REQUIRED, Login.COMMON, (Need.HOST, Need.USERNAME, Need.SECRET), ports=(465,)),
    # Microsoft Learn, "Authenticate an IMAP, POP or SMTP connection using OAuth" (ja-jp and zh-cn
    # pages, 2026): SMTP AUTH scope https://outlook.office.com/SMTP.Send (Tenso asks the same
    # permission under outlook.office365.com with offline_access), authorization code or device
    # code flow, SASL XOAUTH2; smtp.office365.com:587 STARTTLS ("Set up a multifunction device
    # or application to send email using Microsoft 365", option 1).  SMTP AUTH must be on for
    # the mailbox: Set-CASMailbox -SmtpClientAuthenticationDisabled $false (Learn, "Enable or
    # disable authenticated client SMTP submission"; the line as a GitHub gist quotes it).
    Preset(
        "m365_user",
        "smtp.office365.com",
        587,
        TlsMode.REQUIRED,
        Login.OAUTH,
        (Need.USERNAME, Need.TENANT, Need.CLIENT_ID),
        account="m365",
        provider=Provider.MICROSOFT,
        flow=Flow.AUTHORIZATION_CODE,
        powershell=_M365_SMTP_AUTH_POWERSHELL,
    ),
    # The same Learn page, "client credentials grant flow": scope
    # https://outlook.office365.com/.default, the application permission SMTP.SendAsApp of
    # "Office 365 Exchange Online" with admin consent, then in Exchange Online PowerShell
    # New-ServicePrincipal -AppId -ObjectId (the enterprise application's object id) and
    # Add-MailboxPermission ... -AccessRights FullAccess.  Learn's New-ServicePrincipal page
    # (2026) confirms -AppId and -ObjectId; third-party guides (cknotes.com, maartendekeizer.nl,
    # docs.docorigin.com) give the same steps.
    Preset(
        "m365_app",
        "smtp.office365.com",
        587,
        TlsMode.REQUIRED,
        Login.OAUTH,
        (Need.USERNAME, Need.TENANT, Need.CLIENT_ID, Need.SECRET),
        account="m365-app",
        provider=Provider.MICROSOFT,
        flow=Flow.CLIENT_CREDENTIALS,
        scope=EXCHANGE_APP_SCOPE,
        powershell=_M365_APP_ONLY_POWERSHELL + "\n" + _M365_SMTP_AUTH_POWERSHELL.splitlines()[-1],
    ),
    # Microsoft Graph sendMail with the application permission Mail.Send (admin consent) and the
    # client credentials flow, token scope https://graph.microsoft.com/.default (Learn, "user:
    # sendMail" and "client credentials flow"; app/settings/account_checks.py holds the scope).
    Preset(
        "m365_graph",
        "",
        0,
        TlsMode.REQUIRED,
        Login.OAUTH,
        (Need.USERNAME, Need.TENANT, Need.CLIENT_ID, Need.SECRET),
        account="graph",
        provider=Provider.MICROSOFT,
        flow=Flow.CLIENT_CREDENTIALS,
        scope=GRAPH_SCOPE,
        graph=True,
    ),
    # High Volume Email: Microsoft Learn, "What is High Volume Email?" (mail-flow-best-practices/
    # high-volume-mails-m365, 2026): service endpoint smtp.hve.mx.microsoft (recommended; the
    # older smtp-hve.office365.com "will be deprecated in the future"), port 587, TLS required,
    # recipients in your own domains only, HVE accounts instead of mailboxes.  It takes the HVE
    # account's password (SMTP AUTH) or OAuth (Learn, "OAuth authentication for high volume
    # emails"; Add-HVEAppAccess).
    Preset(
        "m365_hve",
        "smtp.hve.mx.microsoft",
        587,
        TlsMode.REQUIRED,
        Login.PASSWORD,
        (Need.USERNAME, Need.SECRET),
        account="hve",
    ),
    # Azure Communication Services SMTP: an SMTP Username resource linked to a Microsoft Entra
    # application; the password is that application's client secret (Learn, "Create credentials
    # for SMTP authentication", 2026).  The user name: the SMTP Username (an address of a linked
    # domain, or free form), formerly <resource name>.<Entra app id>.<tenant id>
    # (wiki.rilheva.com).  Host smtp.azurecomm.net, port 587, STARTTLS: Learn's "Send email with
    # SMTP" quickstart was found without the lines naming them; several public configurations
    # for ACS give this host and port (GitHub code search), not Microsoft's own text.
    Preset(
        "acs",
        "smtp.azurecomm.net",
        587,
        TlsMode.REQUIRED,
        Login.PASSWORD,
        (Need.USERNAME, Need.SECRET),
        account="acs",
    ),
    # Google, "Send email from a printer, scanner, or app" (knowledge.workspace.google.com, as
    # developer.nylas.com quotes it) and Gmail's SMTP settings: smtp.gmail.com, 587 STARTTLS or
    # 465 SSL, the full address and an app password (2-Step Verification on).
    Preset(
        "google_app_password",
        "smtp.gmail.com",
        587,
        TlsMode.REQUIRED,
        Login.PASSWORD,
        (Need.USERNAME, Need.SECRET),
        account="google",
        ports=(465,),
    ),
    # Gmail with OAuth 2.0: XOAUTH2 on smtp.gmail.com:587, scope https://mail.google.com/
    # (Google's "OAuth 2.0 Mechanism" for IMAP/SMTP; a Desktop app OAuth client).
    Preset(
        "google_oauth",
        "smtp.gmail.com",
        587,
        TlsMode.REQUIRED,
        Login.OAUTH,
        (Need.USERNAME, Need.CLIENT_ID, Need.SECRET),
        account="google",
        provider=Provider.GOOGLE,
        flow=Flow.AUTHORIZATION_CODE,
        scope=GOOGLE_MAIL_SCOPE,
    ),
    # Google Workspace help 2956491, "Route outgoing SMTP relay messages through Google": with TLS
    # smtp-relay.gmail.com port 587; without TLS port 25, 465 or 587, and then no SMTP
    # authentication, only the IP address.  Admin console: Apps → Google Workspace → Gmail →
    # Routing → SMTP relay service.
    Preset(
        "google_relay",
        "smtp-relay.gmail.com",
        587,
        TlsMode.REQUIRED,
        Login.NONE,
        (Need.OPTIONAL_LOGIN, Need.USERNAME, Need.SECRET),
        account="google-relay",
        ports=(465, 25),
    ),
    # A server of the office's own (Exchange, a relay on the LAN): port 25, STARTTLS when offered,
    # no login.  No provider's page.
    Preset("internal", "", 25, TlsMode.OPPORTUNISTIC, Login.NONE, (Need.HOST,)),
)

BY_KEY = {p.key: p for p in PRESETS}
ACCOUNT_PRESETS = tuple(p for p in PRESETS if p.oauth2)  # the account dialog's "Preset" choices


@dataclass
class Answers:
    """What the user typed in the assistant."""

    match: str = "*"  # "*" or "@example.jp"
    host: str = ""
    port: int = 0  # 0: the preset's
    username: str = ""
    tenant: str = ""
    client_id: str = ""
    with_login: bool = False  # the relay: log in with a Workspace address and password


@dataclass(frozen=True)
class Filled:
    """What ``fill`` did: the rule's index, and the keyring key the secret belongs under ("": none)."""

    rule: int
    key: str
    account: str = ""  # the accounts[] entry made or replaced ("": none)


def login_of(preset: Preset, answers: Answers) -> Login:
    if preset.key == "google_relay":
        return Login.PASSWORD if answers.with_login else Login.NONE
    return preset.login


def secret_needed(preset: Preset, answers: Answers) -> bool:
    """Whether the user must type a password or client secret for this preset and these answers."""
    login = login_of(preset, answers)
    if login in (Login.COMMON, Login.PASSWORD):
        return True
    return login == Login.OAUTH and (preset.flow == Flow.CLIENT_CREDENTIALS or preset.provider == Provider.GOOGLE)


def account_of(preset: Preset, answers: Answers) -> UpstreamAccount | None:
    """The accounts[] entry the preset makes (None: it uses the common account or none)."""
    login = login_of(preset, answers)
    if login not in (Login.PASSWORD, Login.OAUTH):
        return None
    oauth2 = None
    if login == Login.OAUTH and preset.provider is not None:
        oauth2 = OAuth2(
            provider=preset.provider,
            tenant=answers.tenant.strip() if preset.provider == Provider.MICROSOFT else "",
            client_id=answers.client_id.strip(),
            flow=preset.flow,
            scope=preset.scope,
        )
    return UpstreamAccount(name=preset.account, username=answers.username.strip(), oauth2=oauth2)


def rule_of(preset: Preset, answers: Answers, account: str) -> Rule:
    match = answers.match.strip() or "*"
    if preset.graph:
        return Rule(match=match, destination=Destination.GRAPH.value, port=25, tls=TlsMode.REQUIRED, account=account)
    port = answers.port or preset.port
    tls = preset.tls
    if port == 465 and tls == TlsMode.REQUIRED:
        tls = TlsMode.IMPLICIT  # SMTPS: TLS from the first byte
    elif preset.key == "google_relay" and port == 25:
        tls = TlsMode.OPPORTUNISTIC
    return Rule(
        match=match,
        destination=answers.host.strip() if Need.HOST in preset.needs else preset.host,
        port=port,
        tls=tls,
        account=account,
    )


def fill(settings: Settings, preset: Preset, answers: Answers) -> Filled:
    """Writes ``preset`` with ``answers`` into ``settings`` (in place): the account (an entry of
    the same name is replaced), and the rule: one with the same match is replaced, a new ``*``
    goes last, a new domain rule first (the first match wins)."""
    login = login_of(preset, answers)
    account = account_of(preset, answers)
    key = ""
    if account is not None:
        existing = find_account(settings.accounts, account.name)
        if existing is not None:
            settings.accounts[settings.accounts.index(existing)] = account
        else:
            settings.accounts.append(account)
        rule_account = account.name
        key = account.key if secret_needed(preset, answers) else ""
    elif login == Login.COMMON:
        settings.auth_accounts.common.username = answers.username.strip()
        rule_account = RuleAccount.SENDERS.value
        key = keys.COMMON
    else:
        rule_account = RuleAccount.NONE.value
    rule = rule_of(preset, answers, rule_account)
    same = next((i for i, r in enumerate(settings.rules) if r.match.strip().lower() == rule.match.lower()), None)
    if same is not None:
        settings.rules[same] = rule
        index = same
    elif rule.match == "*":
        settings.rules.append(rule)
        index = len(settings.rules) - 1
    else:
        settings.rules.insert(0, rule)
        index = 0
    return Filled(index, key, account.name if account else "")


def commands(preset: Preset, answers: Answers) -> str:
    """The preset's PowerShell lines with what the user typed put in (the rest stays <...>)."""
    text = preset.powershell
    for placeholder, value in (
        ("<TENANT>", answers.tenant.strip()),
        ("<CLIENT_ID>", answers.client_id.strip()),
        ("<MAILBOX>", answers.username.strip()),
    ):
        if value:
            text = text.replace(placeholder, value)
    return text


def preset_for(oauth2: OAuth2 | None) -> Preset | None:
    """The account preset an account's oauth2 matches (for the account dialog), or None."""
    if oauth2 is None:
        return None
    return next(
        (
            p
            for p in ACCOUNT_PRESETS
            if p.provider == oauth2.provider and p.flow == oauth2.flow and p.scope == oauth2.scope
        ),
        None,
    )
