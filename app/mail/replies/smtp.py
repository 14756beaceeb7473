"""What any SMTP server says (an ISP's submission server): RFC 3207 and RFC 4954."""

from __future__ import annotations

from app.mail.replies.entry import AUTH, RULES, Known, Pattern, Words

KNOWN: tuple[Known, ...] = (
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
            f"Set the rule's TLS to required (STARTTLS; implicit for port 465): {RULES} → Edit... → TLS, then Apply.",
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
            f"Choose the account for the rule ({RULES} → Edit... → Login account), set its password in {AUTH} "
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
            f"Check the user name (many providers want the full address) and set the password again in {AUTH} "
            "(Set password...), then press Test login.",
            "ユーザー名を確認し(多くのプロバイダーではメールアドレス全体です)、「認証」タブの「パスワード設定...」で"
            "パスワードを設定し直してから「認証テスト」で確認してください。",
        ),
    ),
)
