"""Google: the token endpoint (oauth2.googleapis.com) and Gmail's SMTP (smtp.gmail.com)."""

from __future__ import annotations

from app.mail.replies.entry import AUTH, Known, Pattern, Words

KNOWN: tuple[Known, ...] = (
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
            f"Sign in again: {AUTH} → Upstream accounts → Sign in... (or python -m app account login NAME). So "
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
            f"https://mail.google.com/. Sign in again with that address: {AUTH} → Upstream accounts → Sign in....",
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
            f"Tenso refreshes it by itself once; if the refusal stays, sign in again: {AUTH} → Upstream accounts → "
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
            f"address that signs in, and sign in again: {AUTH} → Upstream accounts → Sign in....",
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
            f"passwords) and store it with {AUTH} → Set password...; or, better, use a Google (OAuth 2.0) account "
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
            f"with {AUTH} → Set password...; or use a Google (OAuth 2.0) account in Upstream accounts.",
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
)
