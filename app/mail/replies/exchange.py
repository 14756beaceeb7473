"""Exchange Online's refusals (smtp.office365.com): SMTP AUTH off, basic authentication gone, the
sign-in policies, send-as, limits and the protection's blocks."""

from __future__ import annotations

from app.mail.replies.entry import AUTH, RULES, Known, Pattern, Words

# Shared texts: the way from a password login to OAuth 2.0, which more than one refusal asks for.
TO_OAUTH = Words(
    f"Move the account to OAuth 2.0: {AUTH} → Upstream accounts → Add... → Kind Microsoft 365 (OAuth 2.0), "
    "register the app in Entra ID as the dialog says, Sign in..., then choose the account in the rule "
    f"({RULES} → Edit... → Login account) and Apply. For sending without anyone signed in, use the sign-in "
    "“App only” (application permission SMTP.SendAsApp), or a rule with the destination GRAPH.",
    "OAuth 2.0 に切り替えてください。「認証」タブ →「送信先アカウント」→「追加...」で種類を"
    "「Microsoft 365(OAuth 2.0)」にし、画面の説明どおり Entra ID にアプリを登録して「サインイン...」を"
    "押します。続いて「転送設定」→「編集...」→「ログインアカウント」でこのアカウントを選び、「適用」を押します。"
    "だれもサインインしていなくても送るには、サインイン方法「アプリのみ」(アプリケーションのアクセス許可 "
    "SMTP.SendAsApp)か、転送先 GRAPH の転送設定を使います。",
)

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
        TO_OAUTH,
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
        TO_OAUTH,
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
            f"Use OAuth 2.0: a Microsoft 365 (OAuth 2.0) account in {AUTH} → Upstream accounts (browser sign-in, "
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
            f"rule logs in with ({AUTH} → Set password...), then press Test login. If the password is right and the "
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
    # Confirmed: the 535 5.7.3 reply in Microsoft's "[MS-SMTPNTLM] 2.2.1.4 SMTPAUTH_Fail_Response"
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
            f"3. The user name (the full address) or the password is wrong: {AUTH} → Set password..., Test login.\n"
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
            f"Choose the account in the rule: {RULES} → Edit... → Login account, then Apply; check it with "
            f"{AUTH} → Test login. Sending without a login works only to your own organization, through your "
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
)
