"""The presets' words (presets.py), in English and Japanese: the name, one line on when to choose
it, and what to register at the provider.  Kept here rather than in the window's .ts file: they
are long, and the documentation's preset table (docs/accounts.md) says the same.

``text(key, part, language)``: ``part`` is "name", "summary" or "register"; a language other than
"ja" gets English.
"""

from __future__ import annotations

import re

_SEND_AS = {
    "en": (
        "Devices that send as other addresses (a scanner's From: scanner@…) need Send As on the "
        "mailbox for those addresses, or a rule with rewrite_from that replaces the sender with "
        "the mailbox."
    ),
    "ja": (
        "他のアドレスで送る機器（スキャナーの From: scanner@… など）には、そのアドレスの"
        "「Send As（代理送信）」権限をメールボックスに付けるか、送信者をメールボックスに"
        "置き換える rewrite_from をルールに設定してください。"
    ),
}

TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "isp": {
        "name": {
            "en": "My ISP or hosting provider (ID and password)",
            "ja": "プロバイダー（ISP）・レンタルサーバー（IDとパスワード）",
        },
        "summary": {
            "en": "The provider's submission server, port 587 with STARTTLS, and the ID and password it gave you.",
            "ja": "プロバイダーの送信サーバー（ポート587、STARTTLS）に、契約時のIDとパスワードでログインします。",
        },
        "register": {
            "en": (
                "Nothing to register. Look up in the provider's manual: the outgoing (SMTP) server's "
                "name, the submission port (587; some use 465 with SSL), and your mail ID and password."
            ),
            "ja": (
                "登録は不要です。プロバイダーの案内で、送信（SMTP）サーバー名、サブミッション"
                "ポート（587。465とSSLの所もあります）、メールのIDとパスワードを確認してください。"
            ),
        },
    },
    "m365_user": {
        "name": {
            "en": "Microsoft 365: a mailbox signs in (OAuth 2.0)",
            "ja": "Microsoft 365：メールボックスでサインイン（OAuth 2.0）",
        },
        "summary": {
            "en": "smtp.office365.com:587 with STARTTLS and XOAUTH2; a user signs in once in the browser.",
            "ja": "smtp.office365.com:587（STARTTLS、XOAUTH2）。利用者が一度ブラウザーでサインインします。",
        },
        "register": {
            "en": (
                "In the Microsoft Entra admin center → App registrations → New registration: "
                'accounts in this organizational directory only; platform "Mobile and desktop '
                'applications" with the redirect URI http://localhost. Under API permissions add '
                "the delegated permission SMTP.Send (Office 365 Exchange Online; Microsoft Graph "
                "lists it too) and offline_access, then Grant admin consent. Enter the Application "
                "(client) ID and your tenant here. SMTP AUTH must be on for the mailbox (the "
                "PowerShell line below). After Apply, sign in under Auth accounts → Sign in...."
            ),
            "ja": (
                "Microsoft Entra 管理センター → アプリの登録 → 新規登録：「この組織ディレクトリのみ」"
                "のアカウント、プラットフォーム「モバイル アプリケーションとデスクトップ アプリケーション」"
                "にリダイレクト URI http://localhost。API のアクセス許可に委任されたアクセス許可 "
                "SMTP.Send（Office 365 Exchange Online。Microsoft Graph にもあります）と offline_access を"
                "追加し、「管理者の同意を与えます」を押します。アプリケーション（クライアント）ID と"
                "テナントをここに入力します。メールボックスの SMTP AUTH を有効にしてください"
                "（下の PowerShell）。適用の後、認証タブの「サインイン...」でサインインします。"
            ),
        },
    },
    "m365_app": {
        "name": {
            "en": "Microsoft 365: app only over SMTP (no sign-in)",
            "ja": "Microsoft 365：アプリのみでSMTP（サインインなし）",
        },
        "summary": {
            "en": "smtp.office365.com:587, the app's own permission SMTP.SendAsApp and a client secret; no sign-in.",
            "ja": "smtp.office365.com:587。アプリ自身の許可 SMTP.SendAsApp とクライアント シークレットで送ります。",
        },
        "register": {
            "en": (
                "In the Microsoft Entra admin center → App registrations → New registration "
                "(this organizational directory only). Under Certificates & secrets make a client "
                "secret (or upload a certificate) and copy its value. Under API permissions → APIs "
                "my organization uses → Office 365 Exchange Online → Application permissions add "
                "SMTP.SendAsApp, then Grant admin consent. In Enterprise applications note the "
                "app's Object ID (not the one under App registrations). Then run the PowerShell "
                "lines below in Exchange Online PowerShell: they register the app in Exchange and "
                "give it the mailbox. "
            ),
            "ja": (
                "Microsoft Entra 管理センター → アプリの登録 → 新規登録（この組織ディレクトリのみ）。"
                "「証明書とシークレット」でクライアント シークレットを作り（または証明書をアップロード）、"
                "その値をコピーします。「API のアクセス許可」→「所属する組織で使用している API」→"
                "「Office 365 Exchange Online」→「アプリケーションの許可」で SMTP.SendAsApp を追加し、"
                "「管理者の同意を与えます」を押します。「エンタープライズ アプリケーション」でこのアプリの"
                "オブジェクト ID を控えます（アプリの登録の方の ID ではありません）。続けて下の"
                " PowerShell を Exchange Online PowerShell で実行します：アプリを Exchange に登録し、"
                "メールボックスへの権限を与えます。"
            ),
        },
    },
    "m365_graph": {
        "name": {
            "en": "Microsoft 365 through Microsoft Graph (HTTPS, no SMTP)",
            "ja": "Microsoft 365：Microsoft Graph 経由（HTTPS、SMTPなし）",
        },
        "summary": {
            "en": "Sends with Graph sendMail over HTTPS: the application permission Mail.Send and a client secret.",
            "ja": "Graph の sendMail で HTTPS 送信します：アプリケーションの許可 Mail.Send とシークレット。",
        },
        "register": {
            "en": (
                "In the Microsoft Entra admin center → App registrations → New registration "
                "(this organizational directory only). Under Certificates & secrets make a client "
                "secret (or upload a certificate) and copy its value. Under API permissions → "
                "Microsoft Graph → Application permissions add Mail.Send, and Mail.ReadWrite for "
                "messages over 3 MB (scans usually are: they go as a draft with upload sessions), "
                "then Grant admin consent. Enter the Application (client) ID, your tenant and the mailbox that "
                "sends. Mail.Send lets the app send as any mailbox: limit it to this one with "
                "Exchange Online's RBAC for Applications or an application access policy. "
                "No SMTP AUTH is needed. "
            ),
            "ja": (
                "Microsoft Entra 管理センター → アプリの登録 → 新規登録（この組織ディレクトリのみ）。"
                "「証明書とシークレット」でクライアント シークレットを作り（または証明書をアップロード）、"
                "値をコピーします。「API のアクセス許可」→「Microsoft Graph」→「アプリケーションの許可」"
                "で Mail.Send を追加し、3 MB を超えるメール（スキャンはたいていこの大きさで、下書きと"
                "アップロード セッションで送ります）のために Mail.ReadWrite も追加して、"
                "「管理者の同意を与えます」を押します。アプリケーション"
                "（クライアント）ID、テナント、送信するメールボックスを入力します。Mail.Send は"
                "どのメールボックスとしても送れるので、Exchange Online の「アプリケーションの RBAC」"
                "またはアプリケーション アクセス ポリシーでこのメールボックスに限ってください。"
                "SMTP AUTH は不要です。"
            ),
        },
    },
    "m365_hve": {
        "name": {
            "en": "Microsoft 365 High Volume Email (internal recipients only)",
            "ja": "Microsoft 365 High Volume Email（社内宛てのみ）",
        },
        "summary": {
            "en": "smtp.hve.mx.microsoft:587 with TLS and an HVE account; delivers only to your own organization.",
            "ja": "smtp.hve.mx.microsoft:587（TLS）と HVE アカウント。自組織の宛先にのみ届きます。",
        },
        "register": {
            "en": (
                "In the Exchange admin center → Mail flow → High volume email, create an HVE "
                "account (it needs no license) and give it a password. HVE delivers to recipients "
                "of your own organization only: give Tenso another rule for outside addresses. "
                "HVE also takes OAuth (Add-HVEAppAccess); Tenso logs in here with the password. "
                "Microsoft's older name smtp-hve.office365.com is to be retired: use smtp.hve.mx.microsoft."
            ),
            "ja": (
                "Exchange 管理センター → メール フロー → 「大量メール（High volume email）」で HVE "
                "アカウントを作り（ライセンス不要）、パスワードを設定します。HVE は自組織の宛先に"
                "しか届けません：社外宛てには別のルールを作ってください。HVE は OAuth"
                "（Add-HVEAppAccess）にも対応しますが、ここではパスワードでログインします。"
                "以前の名前 smtp-hve.office365.com は廃止予定のため、smtp.hve.mx.microsoft を使います。"
            ),
        },
    },
    "acs": {
        "name": {"en": "Azure Communication Services (SMTP)", "ja": "Azure Communication Services（SMTP 送信）"},
        "summary": {
            "en": "smtp.azurecomm.net:587 with STARTTLS; the SMTP user name and the Entra app's client secret.",
            "ja": "smtp.azurecomm.net:587（STARTTLS）。SMTP ユーザー名と Entra アプリのクライアント シークレット。",
        },
        "register": {
            "en": (
                "In the Azure portal: an Email Communication Services resource with a verified "
                "domain, connected to a Communication Services resource. Register a Microsoft "
                "Entra application and make a client secret; on the Communication Services "
                'resource → Access control (IAM) give the app the role "Communication and Email '
                'Service Owner" (or a custom role with the email permissions). Under SMTP '
                "Usernames create one for the app: an address of a linked domain or a free name "
                "(older set-ups: <resource name>.<app id>.<tenant id>). Enter that user name here, "
                "and the client secret as the password."
            ),
            "ja": (
                "Azure portal で：ドメインを検証した Email Communication Services リソースを "
                "Communication Services リソースに接続します。Microsoft Entra アプリを登録して"
                "クライアント シークレットを作り、Communication Services リソースの「アクセス制御"
                "（IAM）」でアプリに「Communication and Email Service Owner」ロール（またはメール権限の"
                "カスタム ロール）を割り当てます。「SMTP Usernames」でアプリ用のユーザー名を作ります："
                "接続したドメインのアドレスか任意の名前（以前の形式：<リソース名>.<アプリID>.<テナントID>）。"
                "そのユーザー名をここに、クライアント シークレットをパスワードに入力します。"
            ),
        },
    },
    "google_app_password": {
        "name": {
            "en": "Google Workspace / Gmail with an app password",
            "ja": "Google Workspace / Gmail：アプリ パスワード",
        },
        "summary": {
            "en": "smtp.gmail.com:587 with STARTTLS (or 465 with SSL), the full address and an app password.",
            "ja": "smtp.gmail.com:587（STARTTLS。465とSSLも可）、完全なアドレスとアプリ パスワード。",
        },
        "register": {
            "en": (
                "Turn on 2-Step Verification for the account, then in the Google Account → "
                "Security → App passwords create one (16 letters) and enter it here. In Google "
                "Workspace the administrator may have to allow it: Admin console → Security → "
                "Authentication → 2-Step Verification must be allowed for the user's "
                "organizational unit."
            ),
            "ja": (
                "アカウントの2段階認証プロセスを有効にし、Google アカウント → セキュリティ → "
                "アプリ パスワードで作成（16文字）して、ここに入力します。Google Workspace では"
                "管理者の許可が要ることがあります：管理コンソール → セキュリティ → 認証 → "
                "2段階認証プロセスが、利用者の組織部門で許可されている必要があります。"
            ),
        },
    },
    "google_oauth": {
        "name": {
            "en": "Google Workspace / Gmail with OAuth 2.0 sign-in",
            "ja": "Google Workspace / Gmail：OAuth 2.0 でサインイン",
        },
        "summary": {
            "en": "smtp.gmail.com:587 with STARTTLS and XOAUTH2, scope https://mail.google.com/.",
            "ja": "smtp.gmail.com:587（STARTTLS、XOAUTH2）、スコープ https://mail.google.com/。",
        },
        "register": {
            "en": (
                "In the Google Cloud console → APIs & Services: set up the OAuth consent screen "
                "(Internal for a Workspace organization) with the scope https://mail.google.com/, "
                "then Credentials → Create credentials → OAuth client ID of type Desktop app. "
                "Enter its client ID here and its client secret as the secret. After Apply, sign "
                "in under Auth accounts → Sign in.... An app still in Testing must sign in again "
                "every 7 days."
            ),
            "ja": (
                "Google Cloud コンソール → API とサービス：OAuth 同意画面を設定し（Workspace の組織なら"
                "「内部」）、スコープ https://mail.google.com/ を追加します。続けて 認証情報 → 認証情報を"
                "作成 → OAuth クライアント ID、種類「デスクトップ アプリ」。そのクライアント ID を"
                "ここに、クライアント シークレットをシークレットに入力します。適用の後、認証タブの"
                "「サインイン...」でサインインします。「テスト」状態のアプリは7日ごとにサインインし"
                "直す必要があります。"
            ),
        },
    },
    "google_relay": {
        "name": {
            "en": "Google Workspace SMTP relay service (smtp-relay.gmail.com)",
            "ja": "Google Workspace SMTP リレーサービス（smtp-relay.gmail.com）",
        },
        "summary": {
            "en": "smtp-relay.gmail.com:587 with TLS; Google recognises Tenso by its IP address, a login is optional.",
            "ja": "smtp-relay.gmail.com:587（TLS）。Google は Tenso を IP アドレスで識別します。ログインは任意です。",
        },
        "register": {
            "en": (
                "Admin console → Apps → Google Workspace → Gmail → Routing → SMTP relay service → "
                'Configure: allowed senders "Only addresses in my domains", authentication '
                '"Only accept mail from the specified IP addresses" with the office\'s public IP '
                'address, and/or "Require SMTP Authentication"; tick "Require TLS encryption". '
                "With TLS use port 587; without TLS (port 25) Google allows no SMTP "
                "authentication, only the IP address. Changes can take up to an hour."
            ),
            "ja": (
                "管理コンソール → アプリ → Google Workspace → Gmail → ルーティング → SMTP リレーサービス"
                " → 設定：許可する送信者「自分のドメインのアドレスのみ」、認証「指定した IP アドレスからの"
                "メールのみ受け付ける」に事務所のグローバル IP アドレス、または「SMTP 認証を必須にする」。"
                "「TLS 暗号化を必須にする」をオンにします。TLS ではポート587。TLS なし（ポート25）では"
                "SMTP 認証は使えず、IP アドレスだけで識別されます。反映まで最大1時間かかります。"
            ),
        },
    },
    "internal": {
        "name": {
            "en": "A server of our own (Exchange, a relay on the LAN)",
            "ja": "社内のサーバー（Exchange、LAN 内の中継）",
        },
        "summary": {
            "en": "The server's name, port 25, STARTTLS when it offers it, no login.",
            "ja": "サーバー名、ポート25、提供されれば STARTTLS、ログインなし。",
        },
        "register": {
            "en": (
                "On the server, allow this PC's IP address to relay (Exchange: a receive "
                "connector for it). Tenso does not log in."
            ),
            "ja": (
                "サーバー側で、この PC の IP アドレスからの中継を許可してください（Exchange："
                "その IP 用の受信コネクタ）。Tenso はログインしません。"
            ),
        },
    },
}

for _key in ("m365_app", "m365_graph"):
    for _language, _words in _SEND_AS.items():
        TEXTS[_key]["register"][_language] += _words


def text(key: str, part: str, language: str) -> str:
    words = TEXTS[key][part]
    return words.get(language, words["en"])


_STEP_END = re.compile(r"(?<=。)|(?<=\.) (?=[A-Z<(\"])")


def steps(key: str, language: str) -> list[str]:
    """What to register, one step a line: the text cut after each sentence (a dot inside a
    host name or an address does not end one)."""
    return [s.strip() for s in _STEP_END.split(text(key, "register", language)) if s.strip()]
