"""Entra ID's token endpoint (login.microsoftonline.com): the AADSTS errors a sign-in or a token
request meets."""

from __future__ import annotations

from app.mail.replies.entry import AUTH, Known, Pattern, Words

KNOWN: tuple[Known, ...] = (
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
            f"its Value (shown only once, not the Secret ID) and store it with {AUTH} → Set client secret... "
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
            f"its Value with {AUTH} → Set client secret... (or python -m app password set account:NAME) and put "
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
            f"ID → App registrations into the account ({AUTH} → Upstream accounts → Edit...: Client ID, Tenant).",
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
            f"Set the account's Tenant ({AUTH} → Upstream accounts → Edit...) to the Directory (tenant) ID shown "
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
            f"Sign in again: {AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). For "
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
            f"Sign in again with the browser ({AUTH} → Upstream accounts → Sign in...) and complete the MFA "
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
            f"Sign in again: {AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). So "
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
            f"Sign in again: {AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME).",
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
            f"Sign in again: {AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME).",
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
)
