"""Microsoft Graph's sendMail and drafts, as Tenso words its answers (app/deliver/couriers); and the
other ways an HTTP way out fails: the mailbox's size limit at DATA, the HTTP proxy."""

from __future__ import annotations

from app.mail.replies.entry import AUTH, Known, Pattern, Words

GRAPH = r"Microsoft Graph|graph\.microsoft\.com"

KNOWN: tuple[Known, ...] = (
    # ---- Microsoft Graph (sendMail) ----------------------------------------------------------
    # The statuses confirmed in "Microsoft Graph error responses and resource types"; the error
    # codes (ErrorAccessDenied, "[RAOP] ... Blocked by tenant configured AppOnly AccessPolicy
    # settings", MailboxNotEnabledForRESTAPI) from real replies in public code. Tenso words them
    # in app/deliver/graph.py ("451 4.4.0 Microsoft Graph ...: 403 Forbidden: ErrorAccessDenied: ...").
    # That an access policy change can take an hour to apply: from public reports.
    Known(
        "graph.token-refused",
        (Pattern(("401",), text=GRAPH), Pattern(text=r"InvalidAuthenticationToken")),
        Words(
            "Microsoft Graph did not accept the account's token (expired, for another audience, or the app's "
            "permission was removed).",
            "Microsoft Graph がアカウントのトークンを受け付けませんでした(期限切れ、別のリソース向け、またはアプリの"
            "アクセス許可の削除)。",
        ),
        Words(
            "Entra admin center → App registrations → the app → API permissions: Microsoft Graph Mail.Send "
            "(application) with admin consent granted; check that the client secret in Tenso is current "
            f"({AUTH} → Set client secret...).",
            "Entra 管理センター →「アプリの登録」→ 対象のアプリ →「API のアクセス許可」で Microsoft Graph の "
            "Mail.Send(アプリケーション)に管理者の同意が与えられているか確認し、Tenso のクライアント シークレットが"
            "最新か確認してください(「認証」タブ →「クライアントシークレットを設定...」)。",
        ),
    ),
    Known(
        "graph.access-denied",
        (Pattern(text=r"ErrorAccessDenied|AppOnly AccessPolicy"), Pattern(("403",), text=GRAPH)),
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
        (Pattern(text=r"MailboxNotEnabledForRESTAPI|MailboxNotSupportedForRESTAPI"), Pattern(("404",), text=GRAPH)),
        Words(
            "Microsoft Graph finds no Exchange Online mailbox for this address: the user has no Exchange Online "
            "license, the mailbox is on-premises or inactive, or the address is not a mailbox of the tenant.",
            "このアドレスの Exchange Online メールボックスが Microsoft Graph で見つかりません。ユーザーに "
            "Exchange Online のライセンスがない、メールボックスがオンプレミスにあるか無効、またはテナントの"
            "メールボックスではないアドレスです。",
        ),
        Words(
            f"Make the account's user name ({AUTH} → Upstream accounts → Edit...) a licensed Exchange Online "
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
        (Pattern(("413",), text=GRAPH),),
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
        (Pattern(("429", "503"), text=GRAPH),),
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
)
