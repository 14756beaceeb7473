"""What an upstream's refusal means and what to change, in English and Japanese; and the
RFC 3464 Status a bounce gives for a reply.

Upstreams answer in codes and English: ``535 5.7.3 Authentication unsuccessful`` has four
causes at Exchange Online and none of them is a wrong password.  ``explain`` recognises the
replies Tenso's users meet (Exchange Online, Entra ID's token endpoint, Gmail, Microsoft
Graph, and the few every SMTP server gives) and says in two or three sentences what happened
and which setting, tab, Entra page or PowerShell command fixes it.  It reads the reply in any
form it reaches an administrator: as the server sent it (also multi-line), as smtplib's
``(535, b'...')``, or quoted inside Tenso's own words (``451 4.4.0 AUTH LOGIN as ... refused:
535 5.7.139 ...``).  An unknown reply gives ``None``: Tenso never guesses.

The table is data: each entry is recognised by one or more patterns (all conditions of a
pattern must hold) and the pattern that says most wins, so a distinctive text beats a bare
code (weights below).  Standard library only, no Qt: the command line, ``status --json``, the
log and the window all use it.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from dataclasses import dataclass, field

__all__ = ["KNOWN", "Advice", "Known", "Pattern", "Words", "explain", "status_of"]

# How much each kind of evidence says about a reply: a text fragment, an Entra AADSTS code or
# the status in an XOAUTH2 error challenge names one cause; an enhanced status code a few;
# a basic (or HTTP) code many.
TEXT, AADSTS, CHALLENGE, STATUS, CODE = 4, 4, 4, 2, 1

# Tenso's window labels, as resources/i18n/tenso_ja.ts has them.
_AUTH = "Auth accounts (認証)"
_RULES = "Routing rules (転送設定)"


@dataclass(frozen=True)
class Words:
    """One text in both of Tenso's languages."""

    en: str
    ja: str

    def __call__(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True)
class Pattern:
    """One way to recognise a reply; every condition given must hold.

    ``codes``: any of these three-digit codes (SMTP, or Graph's HTTP status) in the reply;
    ``statuses``: any of these enhanced status codes; ``text``: a regular expression (case is
    ignored); ``aadsts``: an Entra ID error number; ``challenge``: the ``status`` of an XOAUTH2
    error challenge (``334`` + base64 JSON)."""

    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    text: str = ""
    aadsts: str = ""
    challenge: str = ""

    def score(self, facts: _Facts) -> int:
        """How much this pattern says about the reply; 0 when it does not fit."""
        total = 0
        if self.codes:
            if not facts.codes.intersection(self.codes):
                return 0
            total += CODE
        if self.statuses:
            if not facts.statuses.intersection(self.statuses):
                return 0
            total += STATUS
        if self.text:
            if not re.search(self.text, facts.text, re.IGNORECASE):
                return 0
            total += TEXT
        if self.aadsts:
            if self.aadsts not in facts.aadsts:
                return 0
            total += AADSTS
        if self.challenge:
            if self.challenge not in facts.challenges:
                return 0
            total += CHALLENGE
        return total


@dataclass(frozen=True)
class Advice:
    """What ``explain`` found: a stable ``key`` (for the log, ``status --json`` and support),
    what happened and what to change, in the language asked for."""

    key: str
    what: str
    fix: str
    lang: str = "en"

    def lines(self) -> list[str]:
        """The few lines ``python -m app explain`` prints (a fix listing causes keeps its list)."""
        what_label, fix_label = ("状況: ", "対処: ") if self.lang == "ja" else ("What happened: ", "What to do: ")
        first, *more = self.fix.split("\n")
        return [what_label + self.what, fix_label + first, *("  " + line for line in more)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Known:
    """One entry of the table: a cause Tenso can name."""

    key: str
    patterns: tuple[Pattern, ...]
    what: Words
    fix: Words

    def score(self, facts: _Facts) -> int:
        return max(p.score(facts) for p in self.patterns)

    def advice(self, lang: str) -> Advice:
        return Advice(self.key, self.what(lang), self.fix(lang), lang)


@dataclass(frozen=True)
class _Facts:
    """A reply taken apart: its text on one line and the codes found in it."""

    text: str
    codes: frozenset[str] = field(default_factory=frozenset)
    statuses: frozenset[str] = field(default_factory=frozenset)
    aadsts: frozenset[str] = field(default_factory=frozenset)
    challenges: frozenset[str] = field(default_factory=frozenset)


# smtplib's exceptions print as (535, b'5.7.8 ...') or (535, '...'): a Python literal, read as one.
_REPR = re.compile(r"""\(\s*([2-5]\d\d)\s*,\s*(b?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))\s*\)""", re.DOTALL)
# The code that repeats at the start of each line of a multi-line reply (535-5.7.8 ...\n535 5.7.8 ...).
_CONTINUATION = re.compile(r"\r?\n[ \t]*[2-5]\d\d(?:-|[ \t]|$)")
# A three-digit code standing alone: not part of a host:port, an address, a date or a status code.
_CODE = re.compile(r"""(?<![^\s(\["'])([2-5]\d\d)(?=[ \-,;:)\]]|\.(?!\d)|$)""")
_STATUS = re.compile(r"(?<!\d)(?<!\d\.)([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)")
_AADSTS = re.compile(r"\bAADSTS(\d{4,7})\b", re.IGNORECASE)
_CHALLENGE = re.compile(r"(?<![^\s(\[\"':])334[ -]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])")
# The reply's own status: the enhanced code right after the three-digit code that starts it.
_LEADING = re.compile(r"\s*([2-5])\d\d(?:[ \-]+([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)|(?=[ \-]|$))")


def _unwrap(reply: str) -> str:
    """The reply with smtplib's ``(code, b'text')`` written as ``code text``, on one line."""

    def literal(found: re.Match[str]) -> str:
        try:
            value = ast.literal_eval(found.group(2))
        except (ValueError, SyntaxError):
            return found.group(0)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return f"{found.group(1)} {text}"

    text = _REPR.sub(literal, reply)
    return " ".join(_CONTINUATION.sub(" ", text).split())


def _challenges(text: str) -> frozenset[str]:
    """The ``status`` of each XOAUTH2 error challenge in ``text`` (Google: ``{"status":"401",...}``)."""
    found = set()
    for blob in _CHALLENGE.findall(text):
        try:
            data = json.loads(base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True))
        except (binascii.Error, ValueError):
            continue
        if isinstance(data, dict) and "status" in data:
            found.add(str(data["status"]))
    return frozenset(found)


def _facts(reply: str) -> _Facts:
    text = _unwrap(reply)
    return _Facts(
        text=text,
        codes=frozenset(_CODE.findall(text)),
        statuses=frozenset(_STATUS.findall(text)),
        aadsts=frozenset(_AADSTS.findall(text)),
        challenges=_challenges(text),
    )


def explain(reply: str, lang: str = "en") -> Advice | None:
    """What ``reply`` means and what to change (``lang``: ``en`` or ``ja``), or ``None`` when
    Tenso does not know the reply.  Of the entries that fit, the one whose pattern says most
    wins; on a tie, the one listed first."""
    facts = _facts(reply)
    best: Known | None = None
    best_score = 0
    for known in KNOWN:
        score = known.score(facts)
        if score > best_score:
            best, best_score = known, score
    if best is None:
        return None
    return best.advice("ja" if lang.lower().startswith("ja") else "en")


def status_of(reply: str) -> str:
    """The RFC 3464 ``Status:`` for a reply: the enhanced status code that stands right after
    the three-digit code starting it (``550 5.7.1 ...`` and ``500-5.5.2 ...`` alike), else one
    made of the code's class (``5xx`` → ``5.0.0``, ``2xx`` → ``2.0.0``, anything else
    ``4.0.0``).  Digits further on are the server's prose, never the status:
    ``500 Line too long (see RFC5321 4.5.3.1.6)`` is ``5.0.0``."""
    text = _unwrap(reply)
    found = _LEADING.match(text)
    if found is None:
        return "5.0.0" if text.startswith("5") else "4.0.0"
    if found.group(2):
        return found.group(2)
    return {"5": "5.0.0", "2": "2.0.0"}.get(found.group(1), "4.0.0")


# Shared texts: the way from a password login to OAuth 2.0, which more than one refusal asks for.
_TO_OAUTH = Words(
    f"Move the account to OAuth 2.0: {_AUTH} → Upstream accounts → Add... → Kind Microsoft 365 (OAuth 2.0), "
    "register the app in Entra ID as the dialog says, Sign in..., then choose the account in the rule "
    f"({_RULES} → Edit... → Login account) and Apply. For sending without anyone signed in, use the sign-in "
    "“App only” (application permission SMTP.SendAsApp), or a rule with the destination GRAPH.",
    "OAuth 2.0 に切り替えてください。「認証」タブ →「送信先アカウント」→「追加...」で種類を"
    "「Microsoft 365(OAuth 2.0)」にし、画面の説明どおり Entra ID にアプリを登録して「サインイン...」を"
    "押します。続いて「転送設定」→「編集...」→「ログインアカウント」でこのアカウントを選び、「適用」を押します。"
    "だれもサインインしていなくても送るには、サインイン方法「アプリのみ」(アプリケーションのアクセス許可 "
    "SMTP.SendAsApp)か、転送先 GRAPH の転送設定を使います。",
)
_GRAPH = r"Microsoft Graph|graph\.microsoft\.com"

KNOWN: tuple[Known, ...] = (
    # ---- Exchange Online (smtp.office365.com) -----------------------------------------------
    # Confirmed: "Enable or disable authenticated client SMTP submission (SMTP AUTH) in Exchange
    # Online" (Set-TransportConfig / Set-CASMailbox -SmtpClientAuthenticationDisabled; the mailbox
    # setting overrides the organization's). The reply's wording: the issue, and real replies in
    # public code ("... disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled ...").
    Known(
        "exchange.smtp-auth-disabled.tenant",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"SmtpClientAuthentication is disabled(?! for the Mailbox)"),),
        Words(
            "Exchange Online has SMTP AUTH turned off for the whole organization (tenant), so it refuses "
            "the login before it looks at the password.",
            "Exchange Online の組織(テナント)全体で SMTP AUTH が無効になっているため、"
            "パスワードを確認する前にログインが拒否されました。",
        ),
        Words(
            "Let this mailbox use SMTP AUTH: in Exchange Online PowerShell run Set-CASMailbox -Identity MAILBOX "
            "-SmtpClientAuthenticationDisabled $false (a mailbox's setting overrides the tenant's). An account that "
            "logs in with a password must move to a Microsoft 365 (OAuth 2.0) account as well, since Microsoft "
            "ends password logins for SMTP; a rule with the destination GRAPH needs no SMTP AUTH at all.",
            "このメールボックスだけ SMTP AUTH を許可するには、Exchange Online PowerShell で "
            "Set-CASMailbox -Identity メールボックス -SmtpClientAuthenticationDisabled $false を実行します"
            "(メールボックスの設定はテナントの設定より優先されます)。パスワードでログインしている場合は、"
            "Microsoft が SMTP のパスワード ログインを終了するため、あわせて「認証」タブで Microsoft 365"
            "(OAuth 2.0)のアカウントに切り替えてください。転送先 GRAPH の転送設定なら SMTP AUTH は不要です。",
        ),
    ),
    # Confirmed: same page (Microsoft 365 admin center → Active users → Mail → Manage email apps →
    # Authenticated SMTP). Wording: the issue, and real replies ("... disabled for the Mailbox.").
    Known(
        "exchange.smtp-auth-disabled.mailbox",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"SmtpClientAuthentication is disabled for the Mailbox"),),
        Words(
            "SMTP AUTH is turned off for this mailbox (its “Authenticated SMTP” setting), so Exchange Online "
            "refuses the login whatever the password.",
            "このメールボックスの SMTP AUTH(「認証済み SMTP」)が無効になっているため、"
            "パスワードに関係なくログインが拒否されました。",
        ),
        Words(
            "Microsoft 365 admin center → Users → Active users → the mailbox → Mail → Manage email apps → tick "
            "Authenticated SMTP → Save changes; or in Exchange Online PowerShell: Set-CASMailbox -Identity MAILBOX "
            "-SmtpClientAuthenticationDisabled $false. OAuth 2.0 logins need this setting on too. An account that "
            "logs in with a password must also move to a Microsoft 365 (OAuth 2.0) account: Microsoft ends "
            "password logins for SMTP.",
            "Microsoft 365 管理センター →「ユーザー」→「アクティブなユーザー」→ 対象のメールボックス →「メール」→"
            "「メール アプリの管理」で「認証済み SMTP」をオンにして「変更の保存」を押します。または Exchange "
            "Online PowerShell で Set-CASMailbox -Identity メールボックス -SmtpClientAuthenticationDisabled $false "
            "を実行します。OAuth 2.0 のログインにもこの設定が必要です。パスワードでログインしている場合は、"
            "Microsoft が SMTP のパスワード ログインを終了するため、Microsoft 365(OAuth 2.0)の"
            "アカウントにも切り替えてください。",
        ),
    ),
    # Confirmed: Exchange Team blog "Exchange Online to retire Basic auth for Client Submission
    # (SMTP AUTH)": "550 5.7.30 Basic authentication is not supported for Client Submission."
    Known(
        "exchange.basic-auth-removed",
        (Pattern(("550", "535"), ("5.7.30",)), Pattern(text=r"Basic authentication is not supported for Client Sub")),
        Words(
            "Exchange Online no longer accepts a user name and password for SMTP (basic authentication); "
            "the login must use OAuth 2.0.",
            "Exchange Online は SMTP でのユーザー名とパスワードによるログイン(基本認証)を受け付けなくなりました。"
            "OAuth 2.0 でログインする必要があります。",
        ),
        _TO_OAUTH,
    ),
    # From public reports (real replies in public code: "535 5.7.139 Authentication unsuccessful,
    # basic authentication is disabled."); not found in Microsoft's documentation.
    Known(
        "exchange.basic-auth-disabled",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"basic authentication is disabled"),),
        Words(
            "Basic authentication (user name and password) is turned off for this mailbox — by Microsoft, or by "
            "an authentication policy of the organization — so the password is not even checked.",
            "このメールボックスでは、Microsoft または組織の認証ポリシーによって基本認証(ユーザー名とパスワード)が"
            "無効にされています。パスワードは確認されていません。",
        ),
        _TO_OAUTH,
    ),
    # Wording from public reports ("user is locked by your organization's security defaults
    # policy"). Confirmed meaning: "Enable or disable SMTP AUTH" — with security defaults on, SMTP
    # AUTH is already disabled; and "How to set up a multifunction device or application ..." —
    # SMTP AUTH with a password is not compatible with security defaults.
    Known(
        "exchange.security-defaults",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"security defaults"),),
        Words(
            "The tenant uses Entra ID security defaults, which block logins with a password over SMTP "
            "(legacy authentication) for every user.",
            "テナントで Entra ID の「セキュリティの既定値」が有効なため、SMTP でのパスワード ログイン"
            "(レガシ認証)がすべてのユーザーで拒否されます。",
        ),
        Words(
            f"Use OAuth 2.0: a Microsoft 365 (OAuth 2.0) account in {_AUTH} → Upstream accounts (browser sign-in, "
            "or “App only”), chosen in the rule. Turning security defaults off (Entra admin center → Overview → "
            "Properties → Manage security defaults) weakens the whole tenant; do it only with Conditional Access "
            "policies in their place.",
            "OAuth 2.0 を使ってください。「認証」タブ →「送信先アカウント」で Microsoft 365(OAuth 2.0)の"
            "アカウント(ブラウザーでサインイン、または「アプリのみ」)を作り、転送設定で選びます。"
            "セキュリティの既定値を無効にする(Entra 管理センター →「概要」→「プロパティ」→「セキュリティの"
            "既定値の管理」)とテナント全体の保護が弱まるため、代わりに条件付きアクセス ポリシーを用意する場合だけに"
            "してください。",
        ),
    ),
    # From public reports (real replies: "535 5.7.139 Authentication unsuccessful, the user
    # credentials were incorrect."); not found in Microsoft's documentation.
    Known(
        "exchange.wrong-credentials",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"credentials were incorrect"),),
        Words(
            "Exchange Online checked the login: the user name or the password is wrong.",
            "Exchange Online がログインを確認した結果、ユーザー名またはパスワードが正しくありません。",
        ),
        Words(
            "The user name must be the mailbox's full sign-in address. Set the password again for the account the "
            f"rule logs in with ({_AUTH} → Set password...), then press Test login. If the password is right and the "
            "user has MFA, a password cannot work: move to a Microsoft 365 (OAuth 2.0) account.",
            "ユーザー名はメールボックスのサインイン アドレス全体(例: user@example.co.jp)にします。"
            "「認証」タブで、この転送設定がログインに使うアカウントのパスワードを「パスワード設定...」で設定し直し、"
            "「認証テスト」で確認してください。パスワードが正しく、そのユーザーが多要素認証(MFA)を使っている場合は"
            "パスワードではログインできないため、Microsoft 365(OAuth 2.0)のアカウントに切り替えてください。",
        ),
    ),
    # From public reports (real replies: "... account locked. Contact your administrator." and
    # "... account has an issue. Contact your administrator."); not in Microsoft's documentation.
    Known(
        "exchange.account-locked",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"account (?:is )?locked|account has an issue"),),
        Words(
            "Microsoft 365 refuses logins for this account: it is locked or blocked (for example after many failed "
            "logins, or because a risk was detected).",
            "このアカウントはロックまたはブロックされているため、Microsoft 365 がログインを拒否しています"
            "(ログインの失敗が続いた場合や、リスクが検出された場合など)。",
        ),
        Words(
            "An administrator checks the user in the Microsoft 365 admin center (Active users: sign-in blocked?) and "
            "in Entra ID's sign-in logs, unblocks the account or resets its password, and then sets the new password "
            "in Tenso. Pause delivery until then: every retry with a wrong password can make the lockout longer.",
            "管理者が Microsoft 365 管理センター(「アクティブなユーザー」でサインインがブロックされていないか)と "
            "Entra ID の「サインイン ログ」を確認し、ブロックを解除するかパスワードをリセットしてから、新しい"
            "パスワードを Tenso に設定します。それまでは「配送を一時停止」してください。誤ったパスワードで"
            "再送するたびに、ロックが長引くことがあります。",
        ),
    ),
    # From public reports (real replies: "535 5.7.139 Authentication unsuccessful, the request did
    # not meet the criteria to be authenticated successfully. Contact your administrator.").
    Known(
        "exchange.sign-in-policy",
        (Pattern(("535",), ("5.7.139", "5.7.3"), r"did not meet the criteria to be authenticated"),),
        Words(
            "A sign-in policy of the tenant refused this password login — usually Conditional Access asking for "
            "multi-factor authentication, or a policy that blocks legacy authentication.",
            "テナントのサインイン ポリシーがこのパスワード ログインを拒否しました。多くの場合、多要素認証を求める"
            "条件付きアクセス、またはレガシ認証をブロックするポリシーです。",
        ),
        Words(
            "Entra admin center → Sign-in logs → the failed sign-in of this user → Conditional Access shows the "
            "policy. Best: move to a Microsoft 365 (OAuth 2.0) account; otherwise exclude this mailbox from the "
            "policy.",
            "Entra 管理センター →「サインイン ログ」→ このユーザーの失敗したサインイン →「条件付きアクセス」で"
            "該当するポリシーがわかります。Microsoft 365(OAuth 2.0)のアカウントに切り替えるのが最善です。"
            "難しい場合は、このメールボックスをポリシーの対象から除外してください。",
        ),
    ),
    # Tenso's own words for a refused OAuth 2.0 login (app/deliver/outbound.py _bearer: "AUTH
    # XOAUTH2 as USER refused: 535 5.7.3 Authentication unsuccessful"). The permissions: confirmed
    # in "Authenticate an IMAP, POP or SMTP connection using OAuth" (scope SMTP.Send, client
    # credentials); the Exchange service principal (New-ServicePrincipal, Add-MailboxPermission)
    # from public setup guides that quote that page.
    Known(
        "exchange.token-refused",
        (Pattern(("535",), ("5.7.3",), r"XOAUTH2|OAUTHBEARER"),),
        Words(
            "Exchange Online refused the OAuth 2.0 token of this account (the token itself was issued).",
            "Exchange Online がこのアカウントの OAuth 2.0 トークンを拒否しました(トークン自体は発行されています)。",
        ),
        Words(
            "Check, in this order:\n"
            "1. SMTP AUTH is on for the mailbox (Microsoft 365 admin center → Active users → Mail → Manage email "
            "apps → Authenticated SMTP): OAuth 2.0 logins need it too.\n"
            "2. Browser sign-in: the app has the delegated permission SMTP.Send. “App only”: the application "
            "permission SMTP.SendAsApp with admin consent, and in Exchange Online PowerShell New-ServicePrincipal "
            "-AppId CLIENT_ID -ObjectId OBJECT_ID and Add-MailboxPermission -Identity MAILBOX -User OBJECT_ID "
            "-AccessRights FullAccess (OBJECT_ID: the enterprise application's object ID).\n"
            "3. The account's user name is the mailbox the token is for.",
            "次の順に確認してください。\n"
            "1. メールボックスの SMTP AUTH がオンであること(Microsoft 365 管理センター →「アクティブなユーザー」→"
            "「メール」→「メール アプリの管理」→「認証済み SMTP」)。OAuth 2.0 のログインにも必要です。\n"
            "2. ブラウザーでサインインする場合は委任されたアクセス許可 SMTP.Send。「アプリのみ」の場合は"
            "アプリケーションのアクセス許可 SMTP.SendAsApp と管理者の同意、さらに Exchange Online PowerShell で "
            "New-ServicePrincipal -AppId クライアントID -ObjectId オブジェクトID と Add-MailboxPermission "
            "-Identity メールボックス -User オブジェクトID -AccessRights FullAccess(オブジェクト ID は"
            "エンタープライズ アプリケーションのもの)。\n"
            "3. アカウントのユーザー名が、トークンの対象のメールボックスであること。",
        ),
    ),
    # Confirmed: the 535 5.7.3 reply in Microsoft's "[MS-SMTPNTLM] 2.2.1.4 SMTP_AUTH_Fail_Response"
    # and the causes in "Fix issues with printers, scanners, and LOB applications that send email
    # using Office 365" and "Enable or disable SMTP AUTH"; the order of likelihood is ours (the
    # issue: the same reply has four causes, none a wrong password).
    Known(
        "exchange.auth-unsuccessful",
        (Pattern(("535",), ("5.7.3", "5.7.139")),),
        Words(
            "Exchange Online refused the login without saying why.",
            "Exchange Online が理由を示さずにログインを拒否しました。",
        ),
        Words(
            "Likely causes, most likely first:\n"
            "1. SMTP AUTH is off for the mailbox or the tenant: Microsoft 365 admin center → Active users → Mail → "
            "Manage email apps → Authenticated SMTP (or Set-CASMailbox -SmtpClientAuthenticationDisabled $false).\n"
            "2. Security defaults, or a Conditional Access policy asking for MFA, block password logins: see Entra "
            "ID's sign-in logs, and move to a Microsoft 365 (OAuth 2.0) account.\n"
            f"3. The user name (the full address) or the password is wrong: {_AUTH} → Set password..., Test login.\n"
            "4. The account is locked or its sign-in is blocked: Microsoft 365 admin center → Active users.",
            "考えられる原因(可能性の高い順):\n"
            "1. メールボックスまたはテナントの SMTP AUTH が無効: Microsoft 365 管理センター →「アクティブなユーザー」→"
            "「メール」→「メール アプリの管理」→「認証済み SMTP」(または Set-CASMailbox "
            "-SmtpClientAuthenticationDisabled $false)。\n"
            "2. セキュリティの既定値や、多要素認証を求める条件付きアクセスがパスワード ログインを拒否: Entra ID の"
            "「サインイン ログ」を確認し、Microsoft 365(OAuth 2.0)のアカウントに切り替えます。\n"
            "3. ユーザー名(アドレス全体)またはパスワードの誤り: 「認証」タブ →「パスワード設定...」→「認証テスト」。\n"
            "4. アカウントのロックまたはサインインのブロック: Microsoft 365 管理センター →「アクティブなユーザー」。",
        ),
    ),
    # Confirmed: "Fix email delivery issues for error code 5.7.57 in Exchange Online" and "Fix issues
    # with printers, scanners, and LOB applications ..." ("Client was not authenticated to send
    # anonymous mail during MAIL FROM": no mailbox login entered).
    Known(
        "exchange.not-logged-in",
        (Pattern(statuses=("5.7.57",)), Pattern(text=r"not authenticated to send (?:anonymous )?mail")),
        Words(
            "Tenso sent the message to smtp.office365.com without logging in (or its login did not succeed); "
            "Exchange Online accepts mail there only from a logged-in mailbox.",
            "Tenso がログインせずに(またはログインに失敗したまま)smtp.office365.com へ送信しました。"
            "Exchange Online はここではログインしたメールボックスからのメールしか受け付けません。",
        ),
        Words(
            f"Choose the account in the rule: {_RULES} → Edit... → Login account, then Apply; check it with "
            f"{_AUTH} → Test login. Sending without a login works only to your own organization, through your "
            "tenant's MX host (…mail.protection.outlook.com) instead of smtp.office365.com.",
            "「転送設定」→「編集...」→「ログインアカウント」でアカウントを選び、「適用」を押してください。"
            "「認証」タブの「認証テスト」で確認できます。ログインせずに送れるのは自社の組織あてだけで、"
            "その場合の転送先は smtp.office365.com ではなくテナントの MX ホスト(…mail.protection.outlook.com)です。",
        ),
    ),
    # Confirmed: "Fix issues with printers, scanners, and LOB applications that send email using
    # Office 365" ("5.7.60 SMTP; Client does not have permissions to send as this sender"). Tenso's
    # remedy (rules[].rewrite_from) from docs/spec INTERFACES.md.
    Known(
        "exchange.send-as-denied",
        (Pattern(statuses=("5.7.60",)), Pattern(text=r"does not have permissions to send as this sender")),
        Words(
            "The mailbox Tenso logs in with may not send as this message's sender (its From or envelope sender is "
            "another address).",
            "Tenso がログインしているメールボックスには、このメールの差出人(From またはエンベロープの送信者)として"
            "送信する権限がありません。",
        ),
        Words(
            'Either make Tenso send as the login mailbox — set the rule\'s rewrite_from to "account" in the settings '
            "file (the original sender is kept as Reply-To) — or give the login mailbox Send As permission for that "
            "address: Add-RecipientPermission -Identity SENDER -Trustee LOGIN_MAILBOX -AccessRights SendAs.",
            "Tenso がログインしたメールボックスとして送るように、設定ファイルでこの転送設定の rewrite_from を "
            '"account" にします(元の差出人は Reply-To に残ります)。または、ログインするメールボックスに'
            "その差出人の Send As(送信者として送信)権限を与えます(Add-RecipientPermission -Identity 差出人 "
            "-Trustee ログインするメールボックス -AccessRights SendAs)。",
        ),
    ),
    # Confirmed: Exchange Team blog "Introducing more control over Direct Send in Exchange Online"
    # (via a copy on petri.com): "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for
    # this organization from unauthorized sources"; Set-OrganizationConfig -RejectDirectSend.
    Known(
        "exchange.direct-send-rejected",
        (Pattern(statuses=("5.7.68",)), Pattern(text=r"Direct Send not allowed")),
        Words(
            "The tenant has Reject Direct Send on: its MX host refuses mail from its own domain that arrives without "
            "a login or a connector.",
            "テナントで Reject Direct Send(直接送信の拒否)が有効なため、ログインもコネクタもなしで届いた"
            "自社ドメインのメールを MX ホストが拒否しました。",
        ),
        Words(
            "Send through smtp.office365.com with a login (a rule with a Login account) or with a GRAPH rule; or "
            "create a partner inbound connector for Tenso's public IP address or certificate (Exchange admin center "
            "→ Mail flow → Connectors). Set-OrganizationConfig -RejectDirectSend $false turns the protection off "
            "for everyone.",
            "ログインアカウントを設定した転送設定で smtp.office365.com 経由にするか、転送先 GRAPH で送ってください。"
            "または Exchange 管理センター →「メール フロー」→「コネクタ」で、Tenso のグローバル IP アドレスか"
            "証明書を使うパートナーからの受信コネクタを作成します。Set-OrganizationConfig -RejectDirectSend $false "
            "は組織全体の保護を無効にします。",
        ),
    ),
    # Confirmed: "Message storage and concurrent connection throttling for SMTP Authenticated
    # Submission" ("432 4.3.2 Concurrent connections limit exceeded": three at once). The other
    # wording ("STOREDRV.ClientSubmit; sender thread limit exceeded") from public reports.
    Known(
        "exchange.too-many-connections",
        (Pattern(("432",), ("4.3.2",), r"concurrent connections|sender thread limit exceeded"),),
        Words(
            "More than three connections were sending from this mailbox at once; Exchange Online allows three.",
            "このメールボックスから同時に 4 つ以上の接続で送信しようとしました。Exchange Online の上限は 3 つです。",
        ),
        Words(
            "No action needed: the mail waits in the queue and Tenso sends it again shortly. If it happens often, "
            "set the account's limits.sessions to 3 or fewer in the settings file, or spread the senders over more "
            "mailboxes.",
            "対応は不要です。メールはキューで待機し、Tenso がまもなく再送します。頻繁に起きる場合は、設定ファイルで"
            "アカウントの limits.sessions を 3 以下にするか、送信元を複数のメールボックスに分けてください。",
        ),
    ),
    # Confirmed: same page ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException",
    # 10,000 recipients a day) and "Fix email delivery issues for error 'the sender's submission
    # quota was exceeded' in Exchange Online".
    Known(
        "exchange.daily-quota",
        (Pattern(text=r"SubmissionQuotaExceeded|submission quota was exceeded"),),
        Words(
            "This mailbox reached Exchange Online's limit of 10,000 recipients a day.",
            "このメールボックスは Exchange Online の 1 日あたりの上限(宛先 10,000 件)に達しました。",
        ),
        Words(
            "The mail waits in the queue until the 24-hour window frees up; Tenso does not bounce it. If the mailbox "
            "did not send that much, it may be compromised: reset its password and check its sign-ins. For more "
            "mail a day, spread it over more mailboxes (each account's limits.recipients_per_day).",
            "メールは 24 時間の枠が空くまでキューで待機し、返送はされません。このメールボックスからそれほど"
            "送っていない場合は乗っ取りの恐れがあるため、パスワードをリセットしてサインインの履歴を確認してください。"
            "さらに多く送るには、複数のメールボックスに分けます(各アカウントの limits.recipients_per_day)。",
        ),
    ),
    # Confirmed: same page ("554 5.2.2 mailbox full; STOREDRV.Submission.Exception:
    # QuotaExceededException.MapiExceptionShutoffQuotaExceeded"; sent mail is kept in Sent Items).
    Known(
        "exchange.mailbox-full",
        (Pattern(text=r"Exception:QuotaExceededException|mailbox full; STOREDRV"),),
        Words(
            "The mailbox Tenso sends from is full: mail sent through SMTP AUTH is kept in its Sent Items and counts "
            "towards its size.",
            "Tenso が送信に使うメールボックスの容量がいっぱいです。SMTP AUTH で送ったメールは「送信済みアイテム」に"
            "保存され、容量に含まれます。",
        ),
        Words(
            "Empty the mailbox's Sent Items, and give that folder a retention policy that deletes old items so that "
            "it does not fill up again.",
            "メールボックスの「送信済みアイテム」を空にし、再びいっぱいにならないよう、古いアイテムを削除する"
            "アイテム保持ポリシーをそのフォルダーに設定してください。",
        ),
    ),
    # Confirmed: "Fix email delivery issues for error codes 5.7.700 through 5.7.750 in Exchange
    # Online" ("5.7.708 Access denied, traffic not accepted from this IP").
    Known(
        "exchange.ip-not-accepted",
        (Pattern(statuses=("5.7.708",)), Pattern(text=r"traffic not accepted from this IP")),
        Words(
            "Exchange Online does not accept mail from the IP address Tenso sends from: it is a low-reputation "
            "address (often that of a new or trial tenant).",
            "Exchange Online は Tenso の送信元 IP アドレスからのメールを受け付けません。評価の低いアドレスと"
            "判断されています(新規や試用のテナントでよく起きます)。",
        ),
        Words(
            "Only Microsoft can lift this: open a service request in the Microsoft 365 admin center (Support) "
            "quoting this reply; Microsoft's page suggests doing so until licenses are bought.",
            "解除できるのは Microsoft だけです。Microsoft 365 管理センターの「サポート」からこの応答を添えて"
            "サービス要求を作成してください(ライセンス購入前の場合の対処として Microsoft が案内しています)。",
        ),
    ),
    # Confirmed: same page ("5.7.705 Access denied, tenant has exceeded threshold").
    Known(
        "exchange.tenant-blocked",
        (Pattern(statuses=("5.7.705",)), Pattern(text=r"tenant has exceeded threshold")),
        Words(
            "Microsoft has blocked outgoing mail for the whole tenant because too much spam or bulk mail was sent "
            "(often through a compromised account), or because the subscription had expired.",
            "大量の迷惑メールや一斉メールが送信されたため(多くは乗っ取られたアカウントによるもの)、またはサブスク"
            "リプションの期限切れのため、Microsoft がテナント全体の送信をブロックしました。",
        ),
        Words(
            "Find and fix the cause (compromised accounts, unknown connectors), then open a service request with "
            "Microsoft support. Tenso can do nothing until the block is lifted.",
            "原因(乗っ取られたアカウント、不明なコネクタなど)を調べて解消してから、Microsoft サポートにサービス"
            "要求を作成してください。ブロックが解除されるまで Tenso からは送信できません。",
        ),
    ),
    # Confirmed: "Email non-delivery reports in Exchange Online" (5.1.8 "Access denied, bad outbound
    # sender") and "Fix issues with printers, scanners, and LOB applications ..." (550 5.1.8).
    Known(
        "exchange.sender-blocked",
        (Pattern(statuses=("5.1.8",)), Pattern(text=r"bad outbound sender")),
        Words(
            "Microsoft has blocked this mailbox from sending because it sent spam — usually a sign that the "
            "account was compromised.",
            "このメールボックスから迷惑メールが送信されたため、Microsoft が送信をブロックしました。"
            "多くの場合、アカウントが乗っ取られています。",
        ),
        Words(
            "Secure the account first (reset its password, check its sign-ins and inbox rules), then remove it "
            "from Restricted entities in the Microsoft Defender portal.",
            "まずアカウントを保護し(パスワードのリセット、サインイン履歴と受信トレイ ルールの確認)、その後 "
            "Microsoft Defender ポータルの「制限付きエンティティ」(Restricted entities)から解除してください。",
        ),
    ),
    # ---- Entra ID token endpoint (login.microsoftonline.com) ---------------------------------
    # All AADSTS entries confirmed in "Microsoft Entra authentication and authorization error codes"
    # (docs/identity-platform/reference-error-codes.md); the "Value, not the Secret ID" wording of
    # 7000215 from the real error_description ("...the client secret value, not the client secret ID").
    Known(
        "entra.invalid-secret",
        (Pattern(aadsts="7000215"),),
        Words(
            "Entra ID does not know this client secret: usually the Secret ID was stored instead of the secret's "
            "Value, or the secret belongs to another app.",
            "Entra ID がこのクライアント シークレットを認識しません。多くの場合、シークレットの「値」ではなく"
            "「シークレット ID」を保存したか、別のアプリのシークレットです。",
        ),
        Words(
            "Entra admin center → App registrations → the app → Certificates & secrets → New client secret; copy "
            f"its Value (shown only once, not the Secret ID) and store it with {_AUTH} → Set client secret... "
            "(or python -m app password set account:NAME).",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「証明書とシークレット」→「新しいクライアント "
            "シークレット」を作成し、「値」(作成時に一度だけ表示されます。「シークレット ID」ではありません)を"
            "コピーして、「認証」タブの「クライアントシークレットを設定...」で保存します"
            "(または python -m app password set account:名前)。",
        ),
    ),
    Known(
        "entra.secret-expired",
        (Pattern(aadsts="7000222"),),
        Words(
            "The app's client secret has expired, so Entra ID issues no more tokens with it.",
            "アプリのクライアント シークレットの有効期限が切れたため、Entra ID がトークンを発行しません。",
        ),
        Words(
            "Entra admin center → App registrations → the app → Certificates & secrets → New client secret; store "
            f"its Value with {_AUTH} → Set client secret... (or python -m app password set account:NAME) and put "
            "its expiry date in the account's secret_expires, so that Tenso warns 14 days ahead next time. A "
            "certificate (python -m app account certificate create NAME) avoids secrets altogether.",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「証明書とシークレット」→「新しいクライアント "
            "シークレット」を作成し、その「値」を「認証」タブの「クライアントシークレットを設定...」で保存します"
            "(または python -m app password set account:名前)。有効期限をアカウントの secret_expires に入れて"
            "おくと、次回は 14 日前から Tenso が警告します。証明書(python -m app account certificate create 名前)"
            "を使えばシークレットは不要です。",
        ),
    ),
    Known(
        "entra.app-not-found",
        (Pattern(aadsts="700016"),),
        Words(
            "Entra ID found no app with this client ID in this tenant: the client ID or the tenant is wrong.",
            "このテナントに、このクライアント ID のアプリが見つかりません。クライアント ID かテナントが誤っています。",
        ),
        Words(
            "Copy the Application (client) ID and the Directory (tenant) ID from the app's Overview page in Entra "
            f"ID → App registrations into the account ({_AUTH} → Upstream accounts → Edit...: Client ID, Tenant).",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリの「概要」にある「アプリケーション (クライアント) ID」と"
            "「ディレクトリ (テナント) ID」を、「認証」タブ →「送信先アカウント」→「編集...」の「クライアントID」と"
            "「テナント」に入力してください。",
        ),
    ),
    Known(
        "entra.tenant-not-found",
        (Pattern(aadsts="90002"),),
        Words(
            "Entra ID knows no tenant of this name or ID.",
            "この名前または ID のテナントが Entra ID にありません。",
        ),
        Words(
            f"Set the account's Tenant ({_AUTH} → Upstream accounts → Edit...) to the Directory (tenant) ID shown "
            "on the app's Overview page, or to the tenant's domain (for example example.onmicrosoft.com).",
            "「認証」タブ →「送信先アカウント」→「編集...」の「テナント」に、アプリの「概要」にある"
            "「ディレクトリ (テナント) ID」か、テナントのドメイン(例: example.onmicrosoft.com)を入力してください。",
        ),
    ),
    Known(
        "entra.mfa-required",
        (Pattern(aadsts="50076"),),
        Words(
            "The user must complete multi-factor authentication, which needs a person at the sign-in; Tenso's "
            "stored sign-in can no longer renew the token.",
            "ユーザーが多要素認証を完了する必要があり、人がサインイン画面で操作しなければなりません。Tenso に"
            "保存されたサインインではトークンを更新できなくなりました。",
        ),
        Words(
            f"Sign in again: {_AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). For "
            "sending that needs nobody, use the sign-in “App only” (client credentials), which has no MFA.",
            "「認証」タブ →「送信先アカウント」→「サインイン...」(または python -m app account login 名前)で"
            "サインインし直してください。人の操作なしで送るには、多要素認証のないサインイン方法「アプリのみ」"
            "(クライアント資格情報)を使います。",
        ),
    ),
    Known(
        "entra.conditional-access",
        (Pattern(aadsts="53003"),),
        Words(
            "A Conditional Access policy of the tenant blocks this sign-in, so no token is issued.",
            "テナントの条件付きアクセス ポリシーがこのサインインをブロックしたため、トークンが発行されません。",
        ),
        Words(
            "Entra admin center → Sign-in logs → this failed sign-in → Conditional Access shows which policy. "
            "Exclude this account (or, for “App only”, this app) from it, or allow the place Tenso runs from.",
            "Entra 管理センター →「サインイン ログ」→ 失敗したサインイン →「条件付きアクセス」で該当するポリシーが"
            "わかります。このアカウント(「アプリのみ」の場合はこのアプリ)をポリシーの対象から除外するか、"
            "Tenso が動いている場所(IP アドレス)を許可してください。",
        ),
    ),
    Known(
        "entra.security-defaults",
        (Pattern(aadsts="530035"),),
        Words(
            "Entra ID's security defaults blocked this sign-in (legacy authentication, or one judged unsafe).",
            "Entra ID の「セキュリティの既定値」がこのサインインをブロックしました(レガシ認証、または安全でないと"
            "判断されたサインイン)。",
        ),
        Words(
            f"Sign in again with the browser ({_AUTH} → Upstream accounts → Sign in...) and complete the MFA "
            "prompt; for sending that needs nobody, use the sign-in “App only”.",
            "「認証」タブ →「送信先アカウント」→「サインイン...」でブラウザーからサインインし直し、多要素認証を"
            "完了してください。人の操作なしで送るには、サインイン方法「アプリのみ」を使います。",
        ),
    ),
    Known(
        "entra.sign-in-frequency",
        (Pattern(aadsts="70043"),),
        Words(
            "The stored sign-in has expired because a Conditional Access policy limits how long a sign-in lasts "
            "(sign-in frequency).",
            "条件付きアクセスの「サインインの頻度」でサインインの有効期間が制限されているため、保存された"
            "サインインの期限が切れました。",
        ),
        Words(
            f"Sign in again: {_AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). So "
            "that it does not recur, exclude this account from the sign-in frequency policy, or use the sign-in "
            "“App only”.",
            "「認証」タブ →「送信先アカウント」→「サインイン...」(または python -m app account login 名前)で"
            "サインインし直してください。繰り返さないようにするには、このアカウントをサインインの頻度のポリシーから"
            "除外するか、サインイン方法「アプリのみ」を使います。",
        ),
    ),
    Known(
        "entra.sign-in-expired",
        (Pattern(aadsts="700082"), Pattern(aadsts="70008")),
        Words(
            "The stored sign-in expired because it was not used for a long time.",
            "保存されたサインインが長期間使われなかったため、期限が切れました。",
        ),
        Words(
            f"Sign in again: {_AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME).",
            "「認証」タブ →「送信先アカウント」→「サインイン...」(または python -m app account login 名前)で"
            "サインインし直してください。",
        ),
    ),
    Known(
        "entra.sign-in-revoked",
        (Pattern(aadsts="50173"),),
        Words(
            "The stored sign-in was revoked (the password was changed, or an administrator revoked the user's "
            "sessions).",
            "保存されたサインインが取り消されました(パスワードの変更、または管理者によるセッションの取り消し)。",
        ),
        Words(
            f"Sign in again: {_AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME).",
            "「認証」タブ →「送信先アカウント」→「サインイン...」(または python -m app account login 名前)で"
            "サインインし直してください。",
        ),
    ),
    Known(
        "entra.certificate-refused",
        (Pattern(aadsts="700027"),),
        Words(
            "Entra ID could not verify the token request signed with the account's certificate: the app has no such "
            "certificate (not uploaded, another one, or expired).",
            "アカウントの証明書で署名したトークン要求を Entra ID が検証できませんでした。アプリにその証明書が"
            "ありません(未アップロード、別の証明書、または期限切れ)。",
        ),
        Words(
            "Upload the certificate file that python -m app account certificate create NAME printed: Entra admin "
            "center → App registrations → the app → Certificates & secrets → Certificates → Upload certificate, "
            "and check that the thumbprint shown there is the one Tenso printed.",
            "python -m app account certificate create 名前 が表示した証明書ファイルを、Entra 管理センター →"
            "「アプリの登録」→ 対象のアプリ →「証明書とシークレット」→「証明書」→「証明書のアップロード」で"
            "アップロードし、表示される拇印が Tenso の表示したものと同じか確認してください。",
        ),
    ),
    Known(
        "entra.consent-missing",
        (Pattern(aadsts="65001"),),
        Words(
            "Nobody has consented to the app's permissions in this tenant yet.",
            "このテナントでは、アプリのアクセス許可にまだ同意されていません。",
        ),
        Words(
            "Entra admin center → App registrations → the app → API permissions → Grant admin consent for the "
            "tenant (SMTP.Send for a browser sign-in, SMTP.SendAsApp or Mail.Send for “App only”), then sign in "
            "again.",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「API のアクセス許可」で「(テナント名) に管理者の"
            "同意を与えます」を押してから(ブラウザーでのサインインは SMTP.Send、「アプリのみ」は SMTP.SendAsApp "
            "または Mail.Send)、サインインし直してください。",
        ),
    ),
    # ---- Google (smtp.gmail.com, oauth2.googleapis.com) -------------------------------------
    # From public reports (real token endpoint replies "invalid_grant: Token has been expired or
    # revoked."; an app in "Testing" loses its refresh token after 7 days, as Tenso's own account
    # dialog says).
    Known(
        "google.sign-in-expired",
        (Pattern(text=r"invalid_grant\W+Token has been expired or revoked"),),
        Words(
            "Google no longer accepts the stored sign-in: it expired or was revoked (an OAuth client still in "
            "“Testing” loses it after 7 days).",
            "保存されたサインインを Google が受け付けなくなりました。期限切れか取り消しです(公開ステータスが"
            "「テスト」の OAuth クライアントでは 7 日で失効します)。",
        ),
        Words(
            f"Sign in again: {_AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). So "
            "that it does not recur every week, publish the app (Google Cloud → OAuth consent screen → "
            "Publishing status: In production).",
            "「認証」タブ →「送信先アカウント」→「サインイン...」(または python -m app account login 名前)で"
            "サインインし直してください。毎週繰り返さないよう、Google Cloud の「OAuth 同意画面」で公開ステータスを"
            "「本番環境」にします。",
        ),
    ),
    # Tenso's own words for a refused token (outbound._bearer) with Gmail's final reply; the
    # mechanism confirmed in Google's "OAuth 2.0 Mechanism" (XOAUTH2) page.
    Known(
        "gmail.token-refused",
        (Pattern(("535",), ("5.7.8",), r"XOAUTH2|OAUTHBEARER"),),
        Words(
            "Gmail refused the OAuth 2.0 token of this account even after a refresh.",
            "トークンを更新しても、Gmail がこのアカウントの OAuth 2.0 トークンを拒否しました。",
        ),
        Words(
            "The account's user name must be the Gmail address that signed in, and the OAuth client's scope "
            f"https://mail.google.com/. Sign in again with that address: {_AUTH} → Upstream accounts → Sign in....",
            "アカウントのユーザー名はサインインした Gmail アドレスと同じにし、OAuth クライアントのスコープは "
            "https://mail.google.com/ にします。そのアドレスで「認証」タブ →「送信先アカウント」→「サインイン...」"
            "からサインインし直してください。",
        ),
    ),
    # Confirmed: Google's "OAuth 2.0 Mechanism" (XOAUTH2) page: an error challenge, base64 of
    # {"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}. 400 vs 401: ours.
    Known(
        "gmail.token-invalid",
        (Pattern(challenge="401"),),
        Words(
            "Gmail refused the access token: it has expired or was revoked.",
            "Gmail がアクセス トークンを拒否しました。期限切れか、取り消されています。",
        ),
        Words(
            f"Tenso refreshes it by itself once; if the refusal stays, sign in again: {_AUTH} → Upstream accounts → "
            "Sign in....",
            "Tenso は一度だけ自動で更新します。拒否が続く場合は「認証」タブ →「送信先アカウント」→「サインイン...」で"
            "サインインし直してください。",
        ),
    ),
    Known(
        "gmail.token-not-for-mail",
        (Pattern(challenge="400"),),
        Words(
            "Gmail refused the access token for this login: it lacks the scope https://mail.google.com/, or it was "
            "issued to another Google account than the user name.",
            "Gmail がこのログインのアクセス トークンを拒否しました。スコープ https://mail.google.com/ がないか、"
            "ユーザー名とは別の Google アカウントに発行されたトークンです。",
        ),
        Words(
            "Use the scope https://mail.google.com/ for the OAuth client, make the account's user name the Gmail "
            f"address that signs in, and sign in again: {_AUTH} → Upstream accounts → Sign in....",
            "OAuth クライアントのスコープを https://mail.google.com/ にし、アカウントのユーザー名をサインインする "
            "Gmail アドレスにしてから、「認証」タブ →「送信先アカウント」→「サインイン...」で"
            "サインインし直してください。",
        ),
    ),
    # Real replies in public code ("535-5.7.8 Username and Password not accepted. Learn more at
    # ... https://support.google.com/mail/?p=BadCredentials"); Google's "Gmail SMTP errors and
    # codes" page is stored here only in part (its 535/534 rows not seen).
    Known(
        "gmail.password-refused",
        (Pattern(("535",), ("5.7.8",), r"Username and Password not accepted|BadCredentials"),),
        Words(
            "Gmail does not accept this user name and password: Google accounts no longer log in to SMTP with "
            "their normal password.",
            "Gmail がこのユーザー名とパスワードを受け付けません。Google アカウントは通常のパスワードでは SMTP に"
            "ログインできません。",
        ),
        Words(
            "Either create an app password (Google account → Security → 2-Step Verification must be on → App "
            f"passwords) and store it with {_AUTH} → Set password...; or, better, use a Google (OAuth 2.0) account "
            "in Upstream accounts.",
            "Google アカウントの「セキュリティ」で 2 段階認証プロセスをオンにして「アプリ パスワード」を作成し、"
            "「認証」タブの「パスワード設定...」で保存してください。より良い方法は、「送信先アカウント」で "
            "Google(OAuth 2.0)のアカウントを使うことです。",
        ),
    ),
    # Real replies in public code ("534-5.7.9 Application-specific password required. ...
    # https://support.google.com/mail/?p=InvalidSecondFactor").
    Known(
        "gmail.app-password-required",
        (Pattern(("534",), ("5.7.9",), r"Application-specific password|InvalidSecondFactor"),),
        Words(
            "This Google account uses 2-Step Verification, so its normal password cannot log in to SMTP.",
            "この Google アカウントは 2 段階認証プロセスを使っているため、通常のパスワードでは SMTP に"
            "ログインできません。",
        ),
        Words(
            "Create an app password (Google account → Security → 2-Step Verification → App passwords) and store it "
            f"with {_AUTH} → Set password...; or use a Google (OAuth 2.0) account in Upstream accounts.",
            "Google アカウントの「セキュリティ」→「2 段階認証プロセス」→「アプリ パスワード」で作成し、「認証」タブの"
            "「パスワード設定...」で保存してください。または「送信先アカウント」で Google(OAuth 2.0)の"
            "アカウントを使います。",
        ),
    ),
    # Real replies in public code ("534-5.7.14 <https://accounts.google.com/signin/continue?...>
    # Please log in via your web browser and then try again.").
    Known(
        "gmail.web-sign-in-required",
        (Pattern(("534",), ("5.7.14",)), Pattern(text=r"log in via your web browser")),
        Words(
            "Google blocked this login as unusual and wants the account to sign in once in a web browser.",
            "Google がこのログインを不審と判断し、一度ウェブブラウザーでサインインするよう求めています。",
        ),
        Words(
            "Sign in to Gmail in a browser on the PC where Tenso runs and confirm the prompt; then use an app "
            "password or, better, a Google (OAuth 2.0) account.",
            "Tenso が動いている PC のブラウザーで Gmail にサインインし、表示される確認を済ませてください。"
            "そのうえでアプリ パスワード、できれば Google(OAuth 2.0)のアカウントを使ってください。",
        ),
    ),
    # Confirmed: Google's "Gmail SMTP errors and codes" ("421, 4.7.0, Try again later, closing
    # connection", "... temporarily rate limited"); "454 4.7.0 Too many login attempts" from real
    # replies in public code.
    Known(
        "gmail.slow-down",
        (
            Pattern(
                ("421", "450", "454"),
                ("4.7.0", "4.7.28"),
                r"try again later, closing connection|too many login attempts|rate limited|unusual rate",
            ),
        ),
        Words(
            "Gmail is limiting this sender for a while (too many messages or logins in a short time).",
            "Gmail が一時的にこの送信元を制限しています(短時間のメールやログインが多すぎます)。",
        ),
        Words(
            "No action needed: the mail waits in the queue and Tenso tries again later. If it lasts, check that "
            "Server → Host name (EHLO) is a real name of this PC or domain: Google refuses odd ones this way.",
            "対応は不要です。メールはキューで待機し、Tenso が後で再送します。続く場合は、「サーバー」タブの"
            "「ホスト名(EHLO)」がこの PC またはドメインの正しい名前か確認してください。Google は不自然な名前を"
            "このように拒否します。",
        ),
    ),
    # Real replies in public code ("550-5.4.5 Daily user sending limit exceeded. ... sending limits
    # go to ... https://support.google.com/a/answer/166852").
    Known(
        "gmail.daily-limit",
        (Pattern(("550",), ("5.4.5",), r"sending limit exceeded|sending quota exceeded"),),
        Words(
            "This Google account has reached its daily sending limit.",
            "この Google アカウントは 1 日の送信上限に達しました。",
        ),
        Words(
            "Google refuses mail from this account until the limit resets (within 24 hours); messages refused now "
            "are returned to their senders and must be sent again later. For more mail a day, spread it over more "
            "accounts.",
            "上限がリセットされるまで(24 時間以内)Google はこのアカウントからのメールを拒否します。いま拒否された"
            "メールは差出人に返送されるため、後で送り直してください。1 日にもっと送るには、複数のアカウントに"
            "分けます。",
        ),
    ),
    # ---- Microsoft Graph (sendMail) ----------------------------------------------------------
    # The statuses confirmed in "Microsoft Graph error responses and resource types"; the error
    # codes (ErrorAccessDenied, "[RAOP] ... Blocked by tenant configured AppOnly AccessPolicy
    # settings", MailboxNotEnabledForRESTAPI) from real replies in public code. Tenso words them
    # in app/deliver/graph.py ("451 4.4.0 Microsoft Graph ...: 403 Forbidden: ErrorAccessDenied: ...").
    # That an access policy change can take an hour to apply: from public reports.
    Known(
        "graph.token-refused",
        (Pattern(("401",), text=_GRAPH), Pattern(text=r"InvalidAuthenticationToken")),
        Words(
            "Microsoft Graph did not accept the account's token (expired, for another audience, or the app's "
            "permission was removed).",
            "Microsoft Graph がアカウントのトークンを受け付けませんでした(期限切れ、別のリソース向け、またはアプリの"
            "アクセス許可の削除)。",
        ),
        Words(
            "Entra admin center → App registrations → the app → API permissions: Microsoft Graph Mail.Send "
            "(application) with admin consent granted; check that the client secret in Tenso is current "
            f"({_AUTH} → Set client secret...).",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「API のアクセス許可」で Microsoft Graph の "
            "Mail.Send(アプリケーション)に管理者の同意が与えられているか確認し、Tenso のクライアント シークレットが"
            "最新か確認してください(「認証」タブ →「クライアントシークレットを設定...」)。",
        ),
    ),
    Known(
        "graph.access-denied",
        (Pattern(text=r"ErrorAccessDenied|AppOnly AccessPolicy"), Pattern(("403",), text=_GRAPH)),
        Words(
            "Microsoft Graph does not let the app send as this mailbox: the Mail.Send application permission is "
            "missing or not consented, or an application access policy limits the app to other mailboxes.",
            "Microsoft Graph がこのメールボックスとしての送信をアプリに許可していません。アプリケーションの"
            "アクセス許可 Mail.Send がないか同意されていない、またはアプリケーション アクセス ポリシーで別の"
            "メールボックスに限定されています。",
        ),
        Words(
            "Entra admin center → App registrations → the app → API permissions: add Microsoft Graph Mail.Send "
            "(application) and grant admin consent. If the tenant limits the app, add the mailbox to the policy's "
            "group; Test-ApplicationAccessPolicy -Identity MAILBOX -AppId CLIENT_ID tells whether it is allowed "
            "(a change can take an hour to apply).",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「API のアクセス許可」で Microsoft Graph の "
            "Mail.Send(アプリケーション)を追加し、管理者の同意を与えます。テナントがアプリを制限している場合は、"
            "ポリシーのグループにメールボックスを追加します。Test-ApplicationAccessPolicy -Identity メールボックス "
            "-AppId クライアントID で許可されているか確認できます(反映に 1 時間ほどかかることがあります)。",
        ),
    ),
    Known(
        "graph.no-mailbox",
        (Pattern(text=r"MailboxNotEnabledForRESTAPI|MailboxNotSupportedForRESTAPI"), Pattern(("404",), text=_GRAPH)),
        Words(
            "Microsoft Graph finds no Exchange Online mailbox for this address: the user has no Exchange Online "
            "license, the mailbox is on-premises or inactive, or the address is not a mailbox of the tenant.",
            "このアドレスの Exchange Online メールボックスが Microsoft Graph で見つかりません。ユーザーに "
            "Exchange Online のライセンスがない、メールボックスがオンプレミスにあるか無効、またはテナントの"
            "メールボックスではないアドレスです。",
        ),
        Words(
            f"Make the account's user name ({_AUTH} → Upstream accounts → Edit...) a licensed Exchange Online "
            "mailbox (or a shared mailbox) of the tenant: Microsoft 365 admin center → Active users → Licenses "
            "and apps.",
            "「認証」タブ →「送信先アカウント」→「編集...」のユーザー名を、テナントのライセンス付き Exchange "
            "Online メールボックス(または共有メールボックス)にしてください。ライセンスは Microsoft 365 管理センター"
            " →「アクティブなユーザー」→「ライセンスとアプリ」で確認できます。",
        ),
    ),
    # Tenso's own words (couriers/graph_upload.py): a message over 3 MB goes as a draft, and
    # creating one needs Mail.ReadWrite ("attachment: createUploadSession", "Add attachment").
    Known(
        "graph.draft-permission",
        (Pattern(("403",), statuses=("4.4.0",), text=r"Mail\.ReadWrite"),),
        Words(
            "A message over 3 MB goes to Microsoft Graph as a draft with its attachments uploaded, and the app "
            "registration may not create drafts: it has Mail.Send but not Mail.ReadWrite.",
            "3 MB を超えるメールは、添付ファイルをアップロードした下書きとして Microsoft Graph に送りますが、"
            "アプリの登録に下書きを作る権限がありません(Mail.Send はありますが Mail.ReadWrite がありません)。",
        ),
        Words(
            "Entra admin center → App registrations → the app → API permissions → Add → Microsoft Graph → "
            "Application permissions → Mail.ReadWrite, then Grant admin consent; the mail waits and goes at the "
            "next try.",
            "Entra 管理センター →「アプリの登録」→ そのアプリ →「API のアクセス許可」→「アクセス許可の追加」→ "
            "Microsoft Graph →「アプリケーションの許可」→ Mail.ReadWrite を追加し、「管理者の同意を与えます」を"
            "押してください。メールは待機していて、次の試行で送られます。",
        ),
    ),
    # Tenso's own words (route/sizes.py, receive/handler.py): refused at DATA, before storing.
    Known(
        "mailbox.too-big",
        (Pattern(("552",), statuses=("5.3.4",), text=r"too big for the mailbox"),),
        Words(
            "Tenso refused the message before storing it: it is larger than the mailbox it would be sent from "
            "accepts (Exchange Online: 35 MB unless the administrator changed it, or accounts[].limits.message_mb).",
            "Tenso はメールを保存する前に拒否しました。送信に使うメールボックスが受け付ける大きさを超えています"
            "(Exchange Online では管理者が変えていなければ 35 MB、または accounts[].limits.message_mb)。",
        ),
        Words(
            "Send it smaller (a lower scan resolution, or the scanner's split by size). If the administrator "
            "raised the mailbox's MaxSendSize, set accounts[].limits.message_mb to it (at most 150).",
            "メールを小さくしてください(スキャンの解像度を下げる、スキャナーの「サイズで分割」を使うなど)。"
            "管理者がメールボックスの MaxSendSize を上げているときは、accounts[].limits.message_mb をその値"
            "(最大 150)にしてください。",
        ),
    ),
    # Tenso's own words (system/proxy.py): delivery.http_proxy or the system's proxy.
    Known(
        "proxy.login",
        (Pattern(text=r"proxy at \S+ asks for a login"),),
        Words(
            "The office's HTTP proxy asks for a login (407), and Tenso logs in to no proxy, so OAuth 2.0 and "
            "Microsoft Graph requests do not get through.",
            "事務所の HTTP プロキシがログインを求めています(407)。Tenso はプロキシにログインしないので、"
            "OAuth 2.0 と Microsoft Graph の要求が通りません。",
        ),
        Words(
            "Let the proxy allow this computer to login.microsoftonline.com, graph.microsoft.com and "
            "outlook.office.com without a login, or set delivery.http_proxy to a proxy that does; then retry.",
            "このコンピューターから login.microsoftonline.com、graph.microsoft.com、outlook.office.com へは"
            "ログインなしで通すようにプロキシを設定するか、delivery.http_proxy を通してくれるプロキシにして、"
            "再送してください。",
        ),
    ),
    Known(
        "proxy.unreachable",
        (Pattern(text=r"cannot reach the proxy at"),),
        Words(
            "The HTTP proxy Tenso was told to use for OAuth 2.0 and Microsoft Graph does not answer.",
            "OAuth 2.0 と Microsoft Graph に使うよう指定された HTTP プロキシが応答しません。",
        ),
        Words(
            'Correct delivery.http_proxy (or the system\'s proxy setting when it is empty), or set it to "none" '
            "if this computer reaches the Internet directly.",
            "delivery.http_proxy(空のときはシステムのプロキシ設定)を直すか、このコンピューターが直接インター"
            'ネットにつながるなら "none" にしてください。',
        ),
    ),
    # 413: confirmed in "Microsoft Graph error responses and resource types"; the mailbox's limits
    # (35 MB by default, 150 MB at most) from Tenso's spec (docs/spec INTERFACES.md, GRAPH rules).
    Known(
        "graph.too-large",
        (Pattern(("413",), text=_GRAPH),),
        Words(
            "The message is larger than this mailbox may send (Exchange Online: 35 MB by default, 150 MB at most).",
            "メールがこのメールボックスの送信サイズの上限を超えています(Exchange Online の既定は 35 MB、最大 150 MB)。",
        ),
        Words(
            "Raise the mailbox's limit in Exchange Online PowerShell (Set-Mailbox -Identity MAILBOX -MaxSendSize "
            "150MB), or send smaller messages (a scanner's lower resolution or splitting).",
            "Exchange Online PowerShell でメールボックスの上限を上げる(Set-Mailbox -Identity メールボックス "
            "-MaxSendSize 150MB)か、メールを小さくしてください(スキャナーの解像度を下げる、分けて送るなど)。",
        ),
    ),
    Known(
        "graph.busy",
        (Pattern(("429", "503"), text=_GRAPH),),
        Words(
            "Microsoft Graph is throttling requests for a while (too many at once, or the service is busy).",
            "Microsoft Graph が一時的に要求を制限しています(同時の要求が多すぎるか、サービスが混雑しています)。",
        ),
        Words(
            "No action needed: the mail waits in the queue for the time Graph asked for (Retry-After) and Tenso sends "
            "it again.",
            "対応は不要です。メールは Graph が指定した時間(Retry-After)キューで待機し、その後 Tenso が再送します。",
        ),
    ),
    # ---- Any SMTP server (an ISP's submission server) ----------------------------------------
    # Confirmed: RFC 3207 (STARTTLS: "530 Must issue a STARTTLS command first") and RFC 4954 (SMTP
    # AUTH: "530 5.7.0 Authentication required", "535 5.7.8 Authentication credentials invalid").
    Known(
        "smtp.starttls-required",
        (Pattern(text=r"Must issue a STARTTLS command first"),),
        Words(
            "The server accepts the login only over an encrypted connection, and Tenso did not start TLS.",
            "サーバーは暗号化された接続でしかログインを受け付けませんが、Tenso が TLS を開始しませんでした。",
        ),
        Words(
            f"Set the rule's TLS to required (STARTTLS; implicit for port 465): {_RULES} → Edit... → TLS, then Apply.",
            "「転送設定」→「編集...」→「TLS」を required(STARTTLS、ポート 465 の場合は implicit)にして、"
            "「適用」を押してください。",
        ),
    ),
    Known(
        "smtp.login-required",
        (Pattern(("530",), ("5.7.0", "5.7.1"), r"authentication required|not authenticated"),),
        Words(
            "The server accepts mail only after a login, and Tenso sent without one.",
            "サーバーはログインしてからでないとメールを受け付けませんが、Tenso はログインせずに送信しました。",
        ),
        Words(
            f"Choose the account for the rule ({_RULES} → Edit... → Login account), set its password in {_AUTH} "
            "and check it with Test login.",
            "「転送設定」→「編集...」→「ログインアカウント」でアカウントを選び、「認証」タブでパスワードを設定して"
            "「認証テスト」で確認してください。",
        ),
    ),
    Known(
        "smtp.login-refused",
        (Pattern(("535",)),),
        Words(
            "The server refused the login: the user name or password is not accepted.",
            "サーバーがログインを拒否しました。ユーザー名またはパスワードが受け付けられません。",
        ),
        Words(
            f"Check the user name (many providers want the full address) and set the password again in {_AUTH} "
            "(Set password...), then press Test login.",
            "ユーザー名を確認し(多くのプロバイダーではメールアドレス全体です)、「認証」タブの「パスワード設定...」で"
            "パスワードを設定し直してから「認証テスト」で確認してください。",
        ),
    ),
)
