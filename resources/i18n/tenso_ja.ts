<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP">
  <context>
    <name>Tenso</name>
    <message>
      <source>event {number} in the Application log</source>
      <translation>アプリケーション ログにイベント {number} を書き込みました</translation>
    </message>
    <message>
      <source>the webhook answered HTTP {status}</source>
      <translation>Webhook の応答: HTTP {status}</translation>
    </message>
    <message>
      <source>there is no Windows Event Log on this system; the log line is the record</source>
      <translation>このシステムには Windows イベント ログがありません。ログの行が記録になります</translation>
    </message>
    <message>
      <source>the webhook answered HTTP {code}; check alerts.webhook_url (a Teams or Slack incoming webhook's address, copied whole)</source>
      <translation>Webhook が HTTP {code} を返しました。alerts.webhook_url（Teams または Slack の受信 Webhook のアドレスを省略せずにコピーしたもの）を確認してください</translation>
    </message>
    <message>
      <source>cannot reach the webhook ({why}); check alerts.webhook_url and the network</source>
      <translation>Webhook に接続できません（{why}）。alerts.webhook_url とネットワークを確認してください</translation>
    </message>
    <message>
      <source>the Windows Event Log did not take it: {error}</source>
      <translation>Windows イベント ログに書き込めませんでした: {error}</translation>
    </message>
    <message>
      <source>shown</source>
      <translation>表示しました</translation>
    </message>
    <message>
      <source>queued as {qid} to &lt;{to}&gt; via {way}</source>
      <translation>キュー ID {qid} で &lt;{to}&gt; 宛てにキューに入れました（経路: {way}）</translation>
    </message>
    <message>
      <source>not sent: it would go through {way}, the destination the alert is about</source>
      <translation>送信していません: 通知の対象である送信先 {way} を経由してしまうためです</translation>
    </message>
    <message>
      <source>written</source>
      <translation>書き込みました</translation>
    </message>
    <message>
      <source>cannot be queued: {error}</source>
      <translation>キューに入れられません: {error}</translation>
    </message>
    <message>
      <source>the server offers no AUTH mechanism Tenso speaks ({offered})</source>
      <translation>サーバーが Tenso の使える認証方式を提供していません({offered})</translation>
    </message>
    <message>
      <source>AUTH {mechanism} as {user} refused: {reply}</source>
      <translation>{user} としての AUTH {mechanism} が拒否されました: {reply}</translation>
    </message>
    <message>
      <source>not logged in as {name}: {why}, which {host} does not offer ({offered}); the mail waits</source>
      <translation>{name} としてログインしていません: {why}。{host} はそれを提供していません({offered})。メールは待機します</translation>
    </message>
    <message>
      <source>cannot connect to {host}:{port}: {why}</source>
      <translation>{host}:{port} に接続できません: {why}</translation>
    </message>
    <message>
      <source>TLS certificate of {host} not trusted: {why}</source>
      <translation>{host} のTLS証明書が信頼できません: {why}</translation>
    </message>
    <message>
      <source>TLS with {host}:{port} failed ({why}); Tenso speaks TLS 1.2 or newer to destinations, so a server that offers only TLS 1.0 or 1.1 cannot be used with TLS</source>
      <translation>{host}:{port} との TLS 接続に失敗しました({why})。Tenso は転送先には TLS 1.2 以上で接続するため、TLS 1.0 や 1.1 しか使えないサーバーとは TLS で通信できません</translation>
    </message>
    <message>
      <source>{host}:{port} is too slow: {what} took longer than {seconds} s; the mail waits for its next try</source>
      <translation>{host}:{port} の応答が遅すぎます: {what} に {seconds} 秒以上かかりました。メールは次の再送を待ちます</translation>
    </message>
    <message>
      <source>connection refused (nothing listens on that port, or a firewall refuses)</source>
      <translation>接続を拒否されました(そのポートで待ち受けているものがないか、ファイアウォールが拒否しています)</translation>
    </message>
    <message>
      <source>no answer (timed out): a firewall, or the wrong address or port</source>
      <translation>応答がありません(タイムアウト): ファイアウォール、またはアドレスかポートの誤りです</translation>
    </message>
    <message>
      <source>the host name is not known (DNS)</source>
      <translation>ホスト名が見つかりません(DNS)</translation>
    </message>
    <message>
      <source>cannot listen on {entry}: {why}; choose another address:port in server.listen</source>
      <translation>{entry} で待ち受けできません: {why}。「サーバー」タブで別のアドレス:ポートを選んでください</translation>
    </message>
    <message>
      <source>the port is already in use by {owner}</source>
      <translation>このポートは {owner} が使用中です</translation>
    </message>
    <message>
      <source>the port is already in use (is another mail server running?)</source>
      <translation>このポートは使用中です(別のメールサーバーが動いていませんか?)</translation>
    </message>
    <message>
      <source>permission denied (ports below 1024 need administrator rights on this system)</source>
      <translation>許可がありません(このシステムでは1024未満のポートに管理者権限が必要です)</translation>
    </message>
    <message>
      <source>this machine has no such address</source>
      <translation>このマシンにそのアドレスはありません</translation>
    </message>
    <message>
      <source>{why}; stop it first, or give this one its own queue.dir</source>
      <translation>{why}。先にそちらを停止するか、こちらに別のキューフォルダを設定してください</translation>
    </message>
    <message>
      <source>cannot load the certificate: {why}</source>
      <translation>証明書を読み込めません: {why}</translation>
    </message>
    <message>
      <source>ID (user name)</source>
      <translation>ID（ユーザー名）</translation>
    </message>
    <message>
      <source>Mailbox (the address that sends)</source>
      <translation>メールボックス（送信に使うアドレス）</translation>
    </message>
    <message>
      <source>HVE account (its address)</source>
      <translation>HVE アカウント（そのアドレス）</translation>
    </message>
    <message>
      <source>SMTP user name</source>
      <translation>SMTP ユーザー名</translation>
    </message>
    <message>
      <source>Google address</source>
      <translation>Google のアドレス</translation>
    </message>
    <message>
      <source>App password</source>
      <translation>アプリ パスワード</translation>
    </message>
    <message>
      <source>Client secret</source>
      <translation>クライアント シークレット</translation>
    </message>
    <message>
      <source>Client secret of the Entra app</source>
      <translation>Entra アプリのクライアント シークレット</translation>
    </message>
    <message>
      <source>Where does your mail go?</source>
      <translation>メールはどこへ送りますか？</translation>
    </message>
    <message>
      <source>Choose how mail leaves this office; the next pages ask only what that way needs.</source>
      <translation>この事務所からメールを送り出す方法を選んでください。次のページでは、その方法に必要なことだけを尋ねます。</translation>
    </message>
    <message>
      <source>What Tenso needs to know</source>
      <translation>Tenso に必要な情報</translation>
    </message>
    <message>
      <source>Log in with a Workspace address and password (needs TLS, port 587)</source>
      <translation>Workspace のアドレスとパスワードでログインする（TLS とポート587が必要）</translation>
    </message>
    <message>
      <source>Which recipients (* for all, or @example.jp)</source>
      <translation>対象の宛先（すべては *、または @example.jp）</translation>
    </message>
    <message>
      <source>Server name or IP address</source>
      <translation>サーバー名または IP アドレス</translation>
    </message>
    <message>
      <source>Port</source>
      <translation>ポート</translation>
    </message>
    <message>
      <source>User name</source>
      <translation>ユーザー名</translation>
    </message>
    <message>
      <source>Tenant</source>
      <translation>テナント</translation>
    </message>
    <message>
      <source>Application (client) ID</source>
      <translation>アプリケーション（クライアント）ID</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>パスワード</translation>
    </message>
    <message>
      <source>What to register at the provider</source>
      <translation>サービス側で登録すること</translation>
    </message>
    <message>
      <source>Copy</source>
      <translation>コピー</translation>
    </message>
    <message>
      <source>Run these lines in Exchange Online PowerShell (replace what is in &lt;...&gt;):</source>
      <translation>次の行を Exchange Online PowerShell で実行してください（&lt;...&gt; の部分は置き換えます）：</translation>
    </message>
    <message>
      <source>Summary</source>
      <translation>確認</translation>
    </message>
    <message>
      <source>Next puts this into the settings of the window; press Apply there to save it.</source>
      <translation>「次へ」でこの内容を画面の設定に入れます。保存するには画面の「適用」を押してください。</translation>
    </message>
    <message>
      <source>Setup assistant</source>
      <translation>設定アシスタント</translation>
    </message>
    <message>
      <source>The password or secret is kept in the keyring of this PC, never in the settings file.</source>
      <translation>パスワードやシークレットはこの PC のキーリングに保存され、設定ファイルには書かれません。</translation>
    </message>
    <message>
      <source>Microsoft Graph (HTTPS), sent as {0}</source>
      <translation>Microsoft Graph（HTTPS）、{0} として送信</translation>
    </message>
    <message>
      <source>Rule: {0} → {1}</source>
      <translation>ルール：{0} → {1}</translation>
    </message>
    <message>
      <source>Account {0}: {1}, {2}, sign-in {3}</source>
      <translation>アカウント {0}：{1}、{2}、サインイン方式 {3}</translation>
    </message>
    <message>
      <source>No login.</source>
      <translation>ログインしません。</translation>
    </message>
    <message>
      <source>The secret goes into the keyring as {0}.</source>
      <translation>シークレットはキーリングに {0} として保存されます。</translation>
    </message>
    <message>
      <source>Account {0}: {1}, with a password</source>
      <translation>アカウント {0}：{1}、パスワードでログイン</translation>
    </message>
    <message>
      <source>The common account: {0}</source>
      <translation>共通アカウント：{0}</translation>
    </message>
    <message>
      <source>Test</source>
      <translation>テスト</translation>
    </message>
    <message>
      <source>The settings are in the window now, not yet saved. Test them, then press Apply.</source>
      <translation>設定は画面に入りましたが、まだ保存されていません。テストしてから「適用」を押してください。</translation>
    </message>
    <message>
      <source>Test login</source>
      <translation>認証テスト</translation>
    </message>
    <message>
      <source>Apply</source>
      <translation>適用</translation>
    </message>
    <message>
      <source>Send test message</source>
      <translation>テストメールを送信</translation>
    </message>
    <message>
      <source>Test message (through the running Tenso, by the applied settings)</source>
      <translation>テストメール（動作中の Tenso から、適用済みの設定で送信）</translation>
    </message>
    <message>
      <source>From</source>
      <translation>差出人</translation>
    </message>
    <message>
      <source>To</source>
      <translation>宛先</translation>
    </message>
    <message>
      <source>The settings are filled in.</source>
      <translation>設定を入力しました。</translation>
    </message>
    <message>
      <source>Testing...</source>
      <translation>テスト中...</translation>
    </message>
    <message>
      <source>Saved and applied.</source>
      <translation>保存して適用しました。</translation>
    </message>
    <message>
      <source>Not saved: see the problems in the window.</source>
      <translation>保存されていません：画面に表示された問題を確認してください。</translation>
    </message>
    <message>
      <source>Enter the sender's and the recipient's address.</source>
      <translation>差出人と宛先のアドレスを入力してください。</translation>
    </message>
    <message>
      <source>Saved in the keyring as {0}.</source>
      <translation>キーリングに {0} として保存しました。</translation>
    </message>
    <message>
      <source>{0} is signed in; the token is valid until {1}.</source>
      <translation>{0} はサインインしました。トークンの有効期限は {1} です。</translation>
    </message>
    <message>
      <source>Queued as {0}; what becomes of it follows here (and in the Log tab).</source>
      <translation>{0} としてキューに入れました。その後の経過はここ（とログタブ）に表示されます。</translation>
    </message>
    <message>
      <source>Sign in in the browser that opened. If none opened, open this address: {0}</source>
      <translation>開いたブラウザーでサインインしてください。開かない場合はこのアドレスを開いてください: {0}</translation>
    </message>
    <message>
      <source>On any device, open {0} and enter the code {1}.</source>
      <translation>任意の端末で {0} を開き、コード {1} を入力してください。</translation>
    </message>
    <message>
      <source>The secret was not stored: {0}</source>
      <translation>シークレットを保存できませんでした：{0}</translation>
    </message>
    <message>
      <source>Sign-in failed: {0}</source>
      <translation>サインインに失敗しました: {0}</translation>
    </message>
    <message>
      <source>The test message was not queued: {0}</source>
      <translation>テストメールをキューに入れられませんでした：{0}</translation>
    </message>
    <message>
      <source>Relayed</source>
      <translation>中継済み</translation>
    </message>
    <message>
      <source>Delivered locally</source>
      <translation>ローカル配送</translation>
    </message>
    <message>
      <source>Deferred</source>
      <translation>再送待ち</translation>
    </message>
    <message>
      <source>Bounced</source>
      <translation>返送</translation>
    </message>
    <message>
      <source>Refused at RCPT</source>
      <translation>RCPTで拒否</translation>
    </message>
    <message>
      <source>This window is the console of another gateway: send the test from a mail client through it.</source>
      <translation>このウィンドウは別のゲートウェイのコンソールです。テストメールはメールソフトからそのゲートウェイ経由で送ってください。</translation>
    </message>
    <message>
      <source>The service was not started: Windows did not allow it (an administrator must confirm).</source>
      <translation>サービスを開始できませんでした: Windows が許可しませんでした(管理者の確認が必要です)。</translation>
    </message>
    <message>
      <source>The service was not stopped: Windows did not allow it (an administrator must confirm).</source>
      <translation>サービスを停止できませんでした: Windows が許可しませんでした(管理者の確認が必要です)。</translation>
    </message>
    <message>
      <source>The service did not start: {0}</source>
      <translation>サービスが開始しませんでした: {0}</translation>
    </message>
    <message>
      <source>The service did not stop: {0}</source>
      <translation>サービスが停止しませんでした: {0}</translation>
    </message>
    <message>
      <source>the headless gateway</source>
      <translation>画面なし(--headless)のゲートウェイ</translation>
    </message>
    <message>
      <source>the Tenso service</source>
      <translation>Tenso のサービス</translation>
    </message>
    <message>
      <source>the gateway of another Tenso window</source>
      <translation>別の Tenso ウィンドウのゲートウェイ</translation>
    </message>
    <message>
      <source>Tenso — console of {0} (pid {1})</source>
      <translation>Tenso — {0}のコンソール (PID {1})</translation>
    </message>
    <message>
      <source>Console of {0}: pid {1}, running since {2}, settings file {3}.</source>
      <translation>{0}のコンソール: PID {1}、{2} から動作中、設定ファイル {3}</translation>
    </message>
    <message>
      <source>Tenso: alert</source>
      <translation>Tenso: 警告</translation>
    </message>
    <message>
      <source>Tenso: alert, still</source>
      <translation>Tenso: 警告（継続中）</translation>
    </message>
    <message>
      <source>the gateway</source>
      <translation>ゲートウェイ</translation>
    </message>
    <message>
      <source>{0} (pid {1}) has stopped. This window attaches to it again when it is back, or press Start to run the gateway in this window.</source>
      <translation>{0} (PID {1}) が停止しました。再び起動すればこのウィンドウは自動でつながります。このウィンドウでゲートウェイを動かすには「開始」を押してください。</translation>
    </message>
    <message>
      <source>This window is the console of the headless gateway (pid {0}); it does not stop it. Stop it where it was started: Ctrl+C in its terminal, kill -TERM {0}, or systemctl stop when systemd runs it. The window then offers to start its own.</source>
      <translation>このウィンドウは画面なし(--headless)のゲートウェイ (PID {0}) のコンソールなので、停止はできません。起動した場所で停止してください: その端末で Ctrl+C、kill -TERM {0}、または systemd で動かしている場合は systemctl stop。停止後、このウィンドウで起動できるようになります。</translation>
    </message>
    <message>
      <source>The gateway runs in another Tenso window (pid {0}): stop it there, or quit that window.</source>
      <translation>ゲートウェイは別の Tenso ウィンドウ (PID {0}) で動いています。そのウィンドウで停止するか、そのウィンドウを終了してください。</translation>
    </message>
    <message>
      <source>The gateway did not do it: {0}</source>
      <translation>ゲートウェイが実行しませんでした: {0}</translation>
    </message>
    <message>
      <source>{0} has stopped</source>
      <translation>{0}が停止しました</translation>
    </message>
    <message>
      <source>Tenso: alert over</source>
      <translation>Tenso: 復旧しました</translation>
    </message>
    <message>
      <source>Tenso is not running: press Start to send the test mail.</source>
      <translation>Tenso が動作していません。テストのメールを送るには「開始」を押してください。</translation>
    </message>
    <message>
      <source>Tenso is not running: press Start (and Apply the new settings) first.</source>
      <translation>Tenso が動作していません：先に「開始」を押してください（新しい設定は「適用」してから）。</translation>
    </message>
    <message>
      <source>The history file {0} cannot be read: {1}. Check that the disk is there and the file may be read.</source>
      <translation>履歴ファイル {0} を読めません: {1}。ディスクがつながっているか、ファイルを読む権限があるかを確認してください。</translation>
    </message>
    <message>
      <source>Not exported: {0}</source>
      <translation>書き出せませんでした: {0}</translation>
    </message>
    <message>
      <source>Received</source>
      <translation>受信</translation>
    </message>
    <message>
      <source>Sender</source>
      <translation>送信者</translation>
    </message>
    <message>
      <source>Recipients</source>
      <translation>宛先</translation>
    </message>
    <message>
      <source>Subject</source>
      <translation>件名</translation>
    </message>
    <message>
      <source>State</source>
      <translation>状態</translation>
    </message>
    <message>
      <source>Queue ID</source>
      <translation>キューID</translation>
    </message>
    <message>
      <source>queued</source>
      <translation>待機中</translation>
    </message>
    <message>
      <source>sent</source>
      <translation>送信済み</translation>
    </message>
    <message>
      <source>delivered</source>
      <translation>配達済み</translation>
    </message>
    <message>
      <source>deferred</source>
      <translation>再送待ち</translation>
    </message>
    <message>
      <source>bounced</source>
      <translation>返送済み</translation>
    </message>
    <message>
      <source>refused</source>
      <translation>拒否</translation>
    </message>
    <message>
      <source>(+{0} more)</source>
      <translation>(ほか {0} 件)</translation>
    </message>
    <message>
      <source>an alert or the daily summary, to alerts.email_to</source>
      <translation>通知または日次レポート（alerts.email_to 宛て）</translation>
    </message>
    <message>
      <source>a bounce or delay warning to the sender of a message</source>
      <translation>メールの送信者への返送（エラー）通知または遅延の通知</translation>
    </message>
    <message>
      <source>a copy by a local user's forward.txt</source>
      <translation>ローカル ユーザーの forward.txt による転送のコピー</translation>
    </message>
    <message>
      <source>a test message from the window</source>
      <translation>ウィンドウから送ったテスト メール</translation>
    </message>
    <message>
      <source>Microsoft 365 message trace (Exchange admin center &gt; Mail flow &gt; Message trace)</source>
      <translation>Microsoft 365 のメッセージ追跡（Exchange 管理センター &gt; メール フロー &gt; メッセージの追跡）</translation>
    </message>
    <message>
      <source>Exchange Online PowerShell (Connect-ExchangeOnline first):</source>
      <translation>Exchange Online PowerShell（先に Connect-ExchangeOnline を実行）:</translation>
    </message>
    <message>
      <source>Client</source>
      <translation>接続元</translation>
    </message>
    <message>
      <source>Login</source>
      <translation>ログイン</translation>
    </message>
    <message>
      <source>From (header)</source>
      <translation>差出人（ヘッダー）</translation>
    </message>
    <message>
      <source>Size</source>
      <translation>サイズ</translation>
    </message>
    <message>
      <source>Recipient</source>
      <translation>宛先</translation>
    </message>
    <message>
      <source>Rule</source>
      <translation>ルール</translation>
    </message>
    <message>
      <source>Destination</source>
      <translation>転送先</translation>
    </message>
    <message>
      <source>Account</source>
      <translation>アカウント</translation>
    </message>
    <message>
      <source>Attempts</source>
      <translation>試行回数</translation>
    </message>
    <message>
      <source>Last attempt</source>
      <translation>最後の試行</translation>
    </message>
    <message>
      <source>Reply</source>
      <translation>応答</translation>
    </message>
    <message>
      <source>Their id for the message</source>
      <translation>転送先でのメッセージID</translation>
    </message>
    <message>
      <source>attempt {0} to {1}: {2}</source>
      <translation>{1} への {0} 回目の試行: {2}</translation>
    </message>
    <message>
      <source>Microsoft 365 keeps its message trace for 90 days: this message is older, it is no longer there.</source>
      <translation>Microsoft 365 のメッセージ追跡は 90 日分です。このメールはそれより古いため、もう残っていません。</translation>
    </message>
    <message>
      <source>Their id for the message: {0}</source>
      <translation>転送先でのメッセージID: {0}</translation>
    </message>
    <message>
      <source>Refused from {0}</source>
      <translation>{0} からの送信を拒否</translation>
    </message>
    <message>
      <source>Attachments</source>
      <translation>添付ファイル</translation>
    </message>
    <message>
      <source>Time (UTC)</source>
      <translation>時間帯（UTC）</translation>
    </message>
    <message>
      <source>rule {0}</source>
      <translation>ルール {0}</translation>
    </message>
    <message>
      <source>login {0}</source>
      <translation>ログイン {0}</translation>
    </message>
    <message>
      <source>Received from {0}</source>
      <translation>{0} から受信</translation>
    </message>
    <message>
      <source>(none)</source>
      <translation>（なし）</translation>
    </message>
    <message>
      <source>{0} bytes</source>
      <translation>{0} バイト</translation>
    </message>
    <message>
      <source>Made by Tenso itself: {0}</source>
      <translation>Tenso 自身が作成: {0}</translation>
    </message>
    <message>
      <source>Report sent to the sender: {0}</source>
      <translation>送信者に送った通知: {0}</translation>
    </message>
    <message>
      <source>No attempt yet for {0}.</source>
      <translation>{0} への配送はまだ試みていません。</translation>
    </message>
    <message>
      <source>No OS keyring is available, so passwords cannot be stored safely. You can choose to keep them in a file in Tenso's data folder: anyone who can read your user account's files can read them. Until you choose, forwarding with SMTP AUTH and local user logins cannot work.</source>
      <translation>OS のキーリング(資格情報の保管場所)が見つからないため、パスワードを安全に保存できません。Tenso のデータフォルダー内のファイルに保存することもできますが、このユーザーアカウントのファイルを読める人は誰でもパスワードを読めます。選択するまで、SMTP認証を使う転送とローカルユーザーのログインは動作しません。</translation>
    </message>
    <message>
      <source>Open the folder</source>
      <translation>フォルダーを開く</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>終了</translation>
    </message>
    <message>
      <source>Start with the last good settings</source>
      <translation>前回正常だった設定で起動</translation>
    </message>
    <message>
      <source>Started with the last good settings ({0}): {1} still has problems. Apply saves these settings over it.</source>
      <translation>前回正常だった設定({0})で起動しました。{1} には問題が残っています。[適用] を押すと、この設定で上書き保存します。</translation>
    </message>
    <message>
      <source>Welcome to Tenso. First: add a routing rule (for example * → your ISP's server, port 587), put its ID in Auth accounts and its password, list your LAN under Relay, then press Apply.</source>
      <translation>Tenso へようこそ。まず転送設定を追加し(例: * → プロバイダーの送信サーバー、ポート 587)、認証タブに ID とパスワードを入れ、中継タブで LAN を許可してから「適用」を押してください。</translation>
    </message>
    <message>
      <source>Use a file keyring in the data folder</source>
      <translation>データフォルダー内のファイルにパスワードを保存する</translation>
    </message>
    <message>
      <source>The settings file {0} has problems:</source>
      <translation>設定ファイル {0} に問題があります:</translation>
    </message>
    <message>
      <source>Passwords are now kept in {0}.</source>
      <translation>パスワードは {0} に保存されます。</translation>
    </message>
    <message>
      <source>Tenso: mail returned to sender</source>
      <translation>Tenso: メールを送信者に返送しました</translation>
    </message>
    <message>
      <source>Tenso: a destination keeps failing</source>
      <translation>Tenso: 転送先への配送が失敗し続けています</translation>
    </message>
    <message>
      <source>Tenso: an account must sign in again</source>
      <translation>Tenso: アカウントの再サインインが必要です</translation>
    </message>
    <message>
      <source>Tenso: a token request was refused; the mail waits</source>
      <translation>Tenso: トークンの要求が拒否されました。メールは待機しています</translation>
    </message>
    <message>
      <source>A Tenso gateway already runs on this queue as another user, and this user may not command it. Start Tenso as that user or as an administrator to use its window.</source>
      <translation>このキューでは別のユーザーの Tenso ゲートウェイがすでに動いていて、このユーザーからは操作できません。そのゲートウェイのウィンドウを使うには、そのユーザーか管理者として Tenso を起動してください。</translation>
    </message>
    <message>
      <source>This rule never matches: rule No. {0} ({1}) above it catches all its mail.</source>
      <translation>この設定は使われません: 上の No.{0} ({1}) が該当するメールをすべて処理します。</translation>
    </message>
    <message>
      <source>Port must be a number from 1 to 65535</source>
      <translation>ポートは 1〜65535 の数字で指定してください</translation>
    </message>
    <message>
      <source>type a new password</source>
      <translation>新しいパスワードを入力</translation>
    </message>
    <message>
      <source>Save password</source>
      <translation>パスワードを保存</translation>
    </message>
    <message>
      <source>Remove</source>
      <translation>削除</translation>
    </message>
    <message>
      <source>saved</source>
      <translation>保存済み</translation>
    </message>
    <message>
      <source>not set</source>
      <translation>未設定</translation>
    </message>
    <message>
      <source>Password not saved</source>
      <translation>パスワードを保存できませんでした</translation>
    </message>
    <message>
      <source>Password not removed</source>
      <translation>パスワードを削除できませんでした</translation>
    </message>
    <message>
      <source>keyring unavailable</source>
      <translation>キーリングを使用できません</translation>
    </message>
    <message>
      <source>The password is kept in the keyring: select the account, then Set password...</source>
      <translation>パスワードはキーリングに保存します。アカウントを選んで「パスワード設定...」を押してください。</translation>
    </message>
    <message>
      <source>In Entra ID → App registrations, register an app (Mobile and desktop applications, redirect http://localhost) with the delegated permission SMTP.Send; for app-only sending, the application permission SMTP.SendAsApp (or Mail.Send for Graph) with admin consent. Enter its Application (client) ID and your tenant, then Sign in...</source>
      <translation>Entra ID →「アプリの登録」でアプリを登録します(プラットフォーム「モバイル アプリケーションとデスクトップ アプリケーション」、リダイレクト URI http://localhost)。委任されたアクセス許可 SMTP.Send を追加します。ユーザーなしで送る場合は、アプリケーションのアクセス許可 SMTP.SendAsApp(Graph の場合は Mail.Send)に管理者の同意を与えます。アプリケーション (クライアント) ID とテナントを入力し、「サインイン...」を押してください。</translation>
    </message>
    <message>
      <source>In Google Cloud → APIs &amp; Services → Credentials, create an OAuth client of type Desktop app; the scope is https://mail.google.com/. Enter its client ID, store its client secret with Set client secret..., then Sign in... (an app still in Testing must sign in again every 7 days).</source>
      <translation>Google Cloud →「API とサービス」→「認証情報」で、種類「デスクトップ アプリ」の OAuth クライアントを作成します。スコープは https://mail.google.com/ です。クライアント ID を入力し、クライアントシークレットを「クライアントシークレットを設定...」で保存してから「サインイン...」を押してください(「テスト」中のアプリは7日ごとに再サインインが必要です)。</translation>
    </message>
    <message>
      <source>Enter the authorization server's addresses (https), its client ID, then Sign in...</source>
      <translation>認可サーバーのアドレス(https)とクライアント ID を入力し、「サインイン...」を押してください。</translation>
    </message>
    <message>
      <source>Microsoft 365 (OAuth 2.0)</source>
      <translation>Microsoft 365(OAuth 2.0)</translation>
    </message>
    <message>
      <source>Google (OAuth 2.0)</source>
      <translation>Google(OAuth 2.0)</translation>
    </message>
    <message>
      <source>Other OAuth 2.0 server</source>
      <translation>その他の OAuth 2.0 サーバー</translation>
    </message>
    <message>
      <source>Browser sign-in (recommended)</source>
      <translation>ブラウザーでサインイン(推奨)</translation>
    </message>
    <message>
      <source>Code on another device (server without a browser)</source>
      <translation>別の端末でコードを入力(ブラウザーのないサーバー向け)</translation>
    </message>
    <message>
      <source>App only, with a client secret (SMTP.SendAsApp / Graph)</source>
      <translation>アプリのみ・クライアントシークレット使用(SMTP.SendAsApp / Graph)</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>名前</translation>
    </message>
    <message>
      <source>Kind</source>
      <translation>種類</translation>
    </message>
    <message>
      <source>Upstream account</source>
      <translation>送信先アカウント</translation>
    </message>
    <message>
      <source>(choose to fill in)</source>
      <translation>（選ぶと入力されます）</translation>
    </message>
    <message>
      <source>Certificate (python -m app account certificate create NAME)</source>
      <translation>証明書(python -m app account certificate create NAME)</translation>
    </message>
    <message>
      <source>YYYY-MM-DD (Tenso warns 14 days before)</source>
      <translation>YYYY-MM-DD(14 日前から警告します)</translation>
    </message>
    <message>
      <source>Preset</source>
      <translation>プリセット</translation>
    </message>
    <message>
      <source>Name (chosen in a rule)</source>
      <translation>名前(転送設定で選びます)</translation>
    </message>
    <message>
      <source>User name or mailbox</source>
      <translation>ユーザー名またはメールボックス</translation>
    </message>
    <message>
      <source>Client ID</source>
      <translation>クライアントID</translation>
    </message>
    <message>
      <source>Sign-in</source>
      <translation>サインイン方法</translation>
    </message>
    <message>
      <source>Proof of the app</source>
      <translation>アプリの証明</translation>
    </message>
    <message>
      <source>Secret expires</source>
      <translation>シークレットの有効期限</translation>
    </message>
    <message>
      <source>Upstream accounts (chosen per rule)</source>
      <translation>送信先アカウント(転送設定ごとに選択)</translation>
    </message>
    <message>
      <source>Add...</source>
      <translation>追加...</translation>
    </message>
    <message>
      <source>Edit...</source>
      <translation>編集...</translation>
    </message>
    <message>
      <source>Set password...</source>
      <translation>パスワード設定...</translation>
    </message>
    <message>
      <source>Sign in...</source>
      <translation>サインイン...</translation>
    </message>
    <message>
      <source>Sign out</source>
      <translation>サインアウト</translation>
    </message>
    <message>
      <source>not signed in</source>
      <translation>未サインイン</translation>
    </message>
    <message>
      <source>password saved</source>
      <translation>パスワード保存済み</translation>
    </message>
    <message>
      <source>no password stored</source>
      <translation>パスワード未設定</translation>
    </message>
    <message>
      <source>signed in; token valid until {0}</source>
      <translation>サインイン済み。トークンの有効期限 {0}</translation>
    </message>
    <message>
      <source>Choose it in a rule (Routing rules → Edit → Login account), then Apply.</source>
      <translation>転送設定で選んでから(転送設定 → 編集 → ログインアカウント)、「適用」を押してください。</translation>
    </message>
    <message>
      <source>Set client secret...</source>
      <translation>クライアントシークレットを設定...</translation>
    </message>
    <message>
      <source>app sign-in: a token is asked when mail needs one</source>
      <translation>アプリのサインイン: メールに必要なときにトークンを求めます</translation>
    </message>
    <message>
      <source>Sign in again: {0}</source>
      <translation>再サインインが必要です: {0}</translation>
    </message>
    <message>
      <source>; last refresh {0}</source>
      <translation>、最終更新 {0}</translation>
    </message>
    <message>
      <source>Signing in {0}...</source>
      <translation>{0} をサインイン中...</translation>
    </message>
    <message>
      <source>{0} is signed out.</source>
      <translation>{0} をサインアウトしました。</translation>
    </message>
    <message>
      <source>{name} is listed twice</source>
      <translation>{name} が二重に登録されています</translation>
    </message>
    <message>
      <source>token request refused (asked again at the next attempt): {0}</source>
      <translation>トークンの要求が拒否されました(次の試行でもう一度求めます): {0}</translation>
    </message>
    <message>
      <source>; expires on {0}</source>
      <translation>。有効期限 {0}</translation>
    </message>
    <message>
      <source>app sign-in; token valid until {0}</source>
      <translation>アプリのサインイン。トークンの有効期限 {0}</translation>
    </message>
    <message>
      <source>Alerts (通知)</source>
      <translation>通知</translation>
    </message>
    <message>
      <source> min</source>
      <translation> 分</translation>
    </message>
    <message>
      <source>A destination that has failed this long is told; a message waiting 4 times as long too</source>
      <translation>送信先への送信がこの時間失敗し続けたら通知します。メールがこの 4 倍の時間待っている場合も通知します</translation>
    </message>
    <message>
      <source> hours</source>
      <translation> 時間</translation>
    </message>
    <message>
      <source>Only when it starts</source>
      <translation>発生時のみ</translation>
    </message>
    <message>
      <source>The address of a Teams or Slack incoming webhook (see the manual: Alerts)</source>
      <translation>Teams または Slack の受信 Webhook のアドレス（マニュアルの「通知」を参照）</translation>
    </message>
    <message>
      <source>rule No. </source>
      <translation>ルール No. </translation>
    </message>
    <message>
      <source>Normal routing</source>
      <translation>通常のルーティング</translation>
    </message>
    <message>
      <source>The rule the alert mail leaves by. Choose one with another way out than your usual one: never is an alert about a destination sent through it</source>
      <translation>通知メールを送るルールです。普段とは別の経路のルールを選んでください。ある送信先についての通知が、その送信先経由で送られることはありません</translation>
    </message>
    <message>
      <source>Also write alerts to the Windows Event Log (source Tenso)</source>
      <translation>Windows のイベント ログにも記録する（ソース: Tenso）</translation>
    </message>
    <message>
      <source>:00</source>
      <translation> 時</translation>
    </message>
    <message>
      <source>Off</source>
      <translation>オフ</translation>
    </message>
    <message>
      <source>Yesterday's counts, what bounced and what still waits, mailed every day at this hour</source>
      <translation>前日の件数、返送されたメール、待機中のメールを毎日この時刻にメールで送ります</translation>
    </message>
    <message>
      <source>Send a test alert</source>
      <translation>テスト通知を送信</translation>
    </message>
    <message>
      <source>Tell when failing for</source>
      <translation>通知する失敗時間</translation>
    </message>
    <message>
      <source>Tell again every</source>
      <translation>再通知の間隔</translation>
    </message>
    <message>
      <source>Webhook (Teams, Slack)</source>
      <translation>Webhook（Teams、Slack）</translation>
    </message>
    <message>
      <source>Mail to</source>
      <translation>通知メールの宛先</translation>
    </message>
    <message>
      <source>Mail through</source>
      <translation>通知メールの経路</translation>
    </message>
    <message>
      <source>Daily summary at</source>
      <translation>日次レポートの送信時刻</translation>
    </message>
    <message>
      <source>Sending a test alert...</source>
      <translation>テスト通知を送信しています...</translation>
    </message>
    <message>
      <source>Log</source>
      <translation>ログ</translation>
    </message>
    <message>
      <source>Tray</source>
      <translation>トレイ</translation>
    </message>
    <message>
      <source>Windows Event Log</source>
      <translation>Windows イベント ログ</translation>
    </message>
    <message>
      <source>Webhook</source>
      <translation>Webhook</translation>
    </message>
    <message>
      <source>Mail</source>
      <translation>メール</translation>
    </message>
    <message>
      <source>OK</source>
      <translation>OK</translation>
    </message>
    <message>
      <source>failed</source>
      <translation>失敗</translation>
    </message>
    <message>
      <source>No webhook or mail is set up: only the log and the tray were told.</source>
      <translation>Webhook もメールも設定されていません。ログとトレイにだけ通知しました。</translation>
    </message>
    <message>
      <source>Connected, but the server offers no SMTP AUTH: mail is sent without logging in.</source>
      <translation>接続しましたが、サーバーは SMTP認証に対応していません。認証なしで送信します。</translation>
    </message>
    <message>
      <source>Login accepted as {0} ({1}).</source>
      <translation>{0} として認証に成功しました({1})。</translation>
    </message>
    <message>
      <source>encrypted</source>
      <translation>暗号化あり</translation>
    </message>
    <message>
      <source>not encrypted</source>
      <translation>暗号化なし</translation>
    </message>
    <message>
      <source>Common account (共通アカウント)</source>
      <translation>共通アカウント</translation>
    </message>
    <message>
      <source>ID</source>
      <translation>ID</translation>
    </message>
    <message>
      <source>Per local user accounts</source>
      <translation>ローカルユーザー別アカウント</translation>
    </message>
    <message>
      <source>common account</source>
      <translation>共通アカウント</translation>
    </message>
    <message>
      <source>no account</source>
      <translation>アカウントなし</translation>
    </message>
    <message>
      <source>(ID and password)</source>
      <translation>(ID とパスワード)</translation>
    </message>
    <message>
      <source>Per user account</source>
      <translation>ユーザー別アカウント</translation>
    </message>
    <message>
      <source>Local user</source>
      <translation>ローカルユーザー</translation>
    </message>
    <message>
      <source>Failed: {0}</source>
      <translation>失敗: {0}</translation>
    </message>
    <message>
      <source>Connected (no account used). AUTH offered: {0}</source>
      <translation>接続しました(アカウント未使用)。対応している認証方式: {0}</translation>
    </message>
    <message>
      <source>none</source>
      <translation>なし</translation>
    </message>
    <message>
      <source>Used for every destination that asks for SMTP AUTH, unless the sender has an account of its own below.</source>
      <translation>SMTP認証が必要なすべての転送先で使います。送信者に下の個別アカウントがある場合はそちらを使います。</translation>
    </message>
    <message>
      <source>Or an upstream account</source>
      <translation>または送信先アカウント</translation>
    </message>
    <message>
      <source>Add local users first (Local users tab).</source>
      <translation>先にローカルユーザーを追加してください(ローカルユーザータブ)。</translation>
    </message>
    <message>
      <source>No forwarding rule to test.</source>
      <translation>テストできる転送設定がありません。</translation>
    </message>
    <message>
      <source>Connecting to {0}:{1}...</source>
      <translation>{0}:{1} に接続しています...</translation>
    </message>
    <message>
      <source>see Upstream accounts</source>
      <translation>送信先アカウントを参照</translation>
    </message>
    <message>
      <source>Login (user name)</source>
      <translation>ログイン(ユーザー名)</translation>
    </message>
    <message>
      <source>Senders (empty: any)</source>
      <translation>送信者(空欄: すべて)</translation>
    </message>
    <message>
      <source>Devices (scanners, printers)</source>
      <translation>機器(スキャナー、プリンター)</translation>
    </message>
    <message>
      <source>Add device</source>
      <translation>機器を追加</translation>
    </message>
    <message>
      <source>Remove device</source>
      <translation>機器を削除</translation>
    </message>
    <message>
      <source>Name the device, give it a login, then Set password... and Apply.</source>
      <translation>機器の名前とログインを入力し、「パスワード設定...」のあと「適用」を押してください。</translation>
    </message>
    <message>
      <source>Device password</source>
      <translation>機器のパスワード</translation>
    </message>
    <message>
      <source>Machines that log in only to send, such as a scanner that mails its scans.</source>
      <translation>送信のためだけにログインする機器です(スキャン画像をメールで送る複合機など)。</translation>
    </message>
    <message>
      <source>Empty: any sender address</source>
      <translation>空欄: どの送信者アドレスでも可</translation>
    </message>
    <message>
      <source>Password for {0} (login {1}):</source>
      <translation>{0} のパスワード(ログイン {1}):</translation>
    </message>
    <message>
      <source>The sender addresses this device may use, separated by commas; empty: any sender</source>
      <translation>この機器が使える送信者アドレス(カンマ区切り)。空欄ならどの送信者でも可</translation>
    </message>
    <message>
      <source>Device {0}: {1}: {2}</source>
      <translation>機器 {0}: {1}: {2}</translation>
    </message>
    <message>
      <source>A new name is a new keyring entry ({0}): set its password.</source>
      <translation>名前を変えるとキーリングの別の項目({0})になります。パスワードを設定してください。</translation>
    </message>
    <message>
      <source>Password not saved: {0}</source>
      <translation>パスワードを保存できませんでした: {0}</translation>
    </message>
    <message>
      <source>Today</source>
      <translation>今日</translation>
    </message>
    <message>
      <source>Last 7 days</source>
      <translation>過去 7 日</translation>
    </message>
    <message>
      <source>Last 30 days</source>
      <translation>過去 30 日</translation>
    </message>
    <message>
      <source>All (everything kept)</source>
      <translation>すべて（保存分）</translation>
    </message>
    <message>
      <source>Chosen dates</source>
      <translation>日時を指定</translation>
    </message>
    <message>
      <source>Any state</source>
      <translation>すべての状態</translation>
    </message>
    <message>
      <source>part of an address</source>
      <translation>アドレスの一部</translation>
    </message>
    <message>
      <source>part of the subject</source>
      <translation>件名の一部</translation>
    </message>
    <message>
      <source>Search</source>
      <translation>検索</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>クリア</translation>
    </message>
    <message>
      <source>Choose a message above to see where it went.</source>
      <translation>上の一覧でメールを選ぶと、どこへ届いたかが表示されます。</translation>
    </message>
    <message>
      <source>More</source>
      <translation>さらに表示</translation>
    </message>
    <message>
      <source>Copy for Microsoft 365 message trace</source>
      <translation>Microsoft 365 メッセージ追跡用にコピー</translation>
    </message>
    <message>
      <source>Export CSV...</source>
      <translation>CSV に書き出す...</translation>
    </message>
    <message>
      <source>Searching...</source>
      <translation>検索中...</translation>
    </message>
    <message>
      <source>The history is off: nothing new is recorded. To switch it on, tick "Keep a history of every message" in the Server tab's History box and press Apply.</source>
      <translation>履歴はオフです。新しいメールは記録されません。オンにするには、「サーバー」タブの「履歴」欄で「すべてのメールの履歴を記録する」にチェックを入れ、「適用」を押してください。</translation>
    </message>
    <message>
      <source>Copied. Paste it into the message trace of the Exchange admin center, or run the line in PowerShell.</source>
      <translation>コピーしました。Exchange 管理センターのメッセージの追跡に貼り付けるか、最後の行を PowerShell で実行してください。</translation>
    </message>
    <message>
      <source>Export CSV</source>
      <translation>CSV に書き出す</translation>
    </message>
    <message>
      <source>Exporting...</source>
      <translation>書き出し中...</translation>
    </message>
    <message>
      <source>Period</source>
      <translation>期間</translation>
    </message>
    <message>
      <source>No message in the history matches.</source>
      <translation>条件に合うメールは履歴にありません。</translation>
    </message>
    <message>
      <source>{0} message(s) exported to {1}.</source>
      <translation>{0} 件のメールを {1} に書き出しました。</translation>
    </message>
    <message>
      <source>Message {0} is not in the history yet: it is written a moment after it arrives.</source>
      <translation>メール {0} はまだ履歴にありません。履歴は受信の少しあとに書き込まれます。</translation>
    </message>
    <message>
      <source>{0} recorded before shown.</source>
      <translation>以前に記録された {0} 件を表示しています。</translation>
    </message>
    <message>
      <source>The newest {0} shown; More shows the next {1}.</source>
      <translation>新しい順に {0} 件を表示中です。「さらに表示」で次の {1} 件を表示します。</translation>
    </message>
    <message>
      <source>{0} shown, newest first.</source>
      <translation>{0} 件（新しい順）</translation>
    </message>
    <message>
      <source>Address</source>
      <translation>アドレス</translation>
    </message>
    <message>
      <source>TLS</source>
      <translation>TLS</translation>
    </message>
    <message>
      <source>Profile</source>
      <translation>プロファイル</translation>
    </message>
    <message>
      <source>Login required</source>
      <translation>ログイン必須</translation>
    </message>
    <message>
      <source>Networks</source>
      <translation>接続元</translation>
    </message>
    <message>
      <source>Warning</source>
      <translation>注意</translation>
    </message>
    <message>
      <source>no TLS: passwords and scans readable on the LAN</source>
      <translation>TLSなし：パスワードとスキャン画像がLAN上で読めます</translation>
    </message>
    <message>
      <source>legacy TLS: weak ciphers, no forward secrecy</source>
      <translation>旧式TLS：弱い暗号、前方秘匿性なし</translation>
    </message>
    <message>
      <source>no certificate: STARTTLS not offered</source>
      <translation>証明書なし：STARTTLSは提供されません</translation>
    </message>
    <message>
      <source>{0} is not an IP address</source>
      <translation>{0} はIPアドレスではありません</translation>
    </message>
    <message>
      <source>{0} is not a network such as 192.168.0.0/16</source>
      <translation>{0} は 192.168.0.0/16 のようなネットワークではありません</translation>
    </message>
    <message>
      <source>STARTTLS</source>
      <translation>STARTTLS</translation>
    </message>
    <message>
      <source>Implicit TLS (SMTPS)</source>
      <translation>最初からTLS(SMTPS)</translation>
    </message>
    <message>
      <source>None</source>
      <translation>なし</translation>
    </message>
    <message>
      <source>Modern (TLS 1.2+)</source>
      <translation>標準(TLS 1.2以上)</translation>
    </message>
    <message>
      <source>Legacy (TLS 1.0+, old devices)</source>
      <translation>旧式(TLS 1.0以上、古い機器向け)</translation>
    </message>
    <message>
      <source>Listen on</source>
      <translation>待ち受けアドレス</translation>
    </message>
    <message>
      <source>Clients must log in (SMTP AUTH) before they may send: for a submission port such as 587</source>
      <translation>送信の前にログイン(SMTP認証)が必要です。587 などのサブミッションポート向け</translation>
    </message>
    <message>
      <source>Who may connect: networks or addresses separated by commas, such as 192.168.1.0/24, 10.0.0.5; empty: anyone</source>
      <translation>接続できる相手: ネットワークまたはアドレスをカンマ区切りで(例: 192.168.1.0/24, 10.0.0.5)。空欄ならだれでも</translation>
    </message>
    <message>
      <source>Add listener</source>
      <translation>待ち受けを追加</translation>
    </message>
    <message>
      <source>Remove listener</source>
      <translation>待ち受けを削除</translation>
    </message>
    <message>
      <source>Empty: any client may connect</source>
      <translation>空欄: どのクライアントも接続できます</translation>
    </message>
    <message>
      <source>Listener {0}: {1}: {2}</source>
      <translation>待ち受け {0}: {1}: {2}</translation>
    </message>
    <message>
      <source>queue id or any text</source>
      <translation>キューID または任意の文字列</translation>
    </message>
    <message>
      <source>Filter</source>
      <translation>絞り込み</translation>
    </message>
    <message>
      <source>Retry now</source>
      <translation>今すぐ再送</translation>
    </message>
    <message>
      <source>Retry all</source>
      <translation>すべて再送</translation>
    </message>
    <message>
      <source>Delete</source>
      <translation>削除</translation>
    </message>
    <message>
      <source>Bounce now</source>
      <translation>今すぐ返送</translation>
    </message>
    <message>
      <source>History</source>
      <translation>履歴</translation>
    </message>
    <message>
      <source>Where this message went so far: its history, on the History tab</source>
      <translation>このメールがこれまでどう扱われたかを「履歴」タブに表示します</translation>
    </message>
    <message>
      <source>Return {0} message(s) to the sender now? The {1} recipient(s) still waiting are given up and the sender gets a bounce.</source>
      <translation>{0} 通のメールを今すぐ差出人に返送しますか？ 配送待ちの {1} 件の宛先への配送をやめ、差出人にエラーメールを送ります。</translation>
    </message>
    <message>
      <source>Delivery is paused: the bounce is made and sent when delivery resumes.</source>
      <translation>配送は一時停止中です。返送は配送を再開したときに行われます。</translation>
    </message>
    <message>
      <source>Delete from the queue</source>
      <translation>キューから削除</translation>
    </message>
    <message>
      <source>{0} message(s) in the queue</source>
      <translation>キュー内のメール: {0} 通</translation>
    </message>
    <message>
      <source>Delete {0} message(s) with {1} recipient(s) from the queue? Nothing is sent to the sender, and the mail cannot be recovered.</source>
      <translation>宛先 {1} 件の {0} 通のメールをキューから削除しますか？ 差出人には何も通知されず、メールは元に戻せません。</translation>
    </message>
    <message>
      <source>Do not forward mail for local users (ローカル宛のメールを転送の処理対象としない)</source>
      <translation>ローカル宛のメールを転送の処理対象としない</translation>
    </message>
    <message>
      <source>Accept mail from anyone when the recipient matches a rule (宛先に識別ドメインが含まれる場合は中継扱いとする)</source>
      <translation>宛先に識別ドメインが含まれる場合は中継扱いとする</translation>
    </message>
    <message>
      <source>Forward only registered local users (ローカルユーザーのチェックをする)</source>
      <translation>ローカルユーザーのチェックをする</translation>
    </message>
    <message>
      <source>Clients that log in with SMTP AUTH may relay</source>
      <translation>SMTP認証に成功したクライアントの中継を許可する</translation>
    </message>
    <message>
      <source>Careful: with both "accept when the recipient matches a rule" and "forward only registered local users", mail for unknown users goes to normal delivery; if DNS points back at this gateway, Tenso bounces it instead of looping.</source>
      <translation>注意:「宛先に識別ドメインが含まれる場合は中継扱いとする」と「ローカルユーザーのチェックをする」を両方オンにすると、未登録ユーザー宛のメールは通常配信になります。DNS がこのゲートウェイを指している場合、Tenso はループさせずに送信者へ返送します。</translation>
    </message>
    <message>
      <source>Options (欄外の設定)</source>
      <translation>欄外の設定</translation>
    </message>
    <message>
      <source>Max forward count (転送最大回数)</source>
      <translation>転送最大回数</translation>
    </message>
    <message>
      <source>Clients allowed to relay (中継を許可する設定)</source>
      <translation>中継を許可する設定</translation>
    </message>
    <message>
      <source>Single addresses, networks (CIDR), wildcards and ranges; IPv6 too. Anyone else may only send to local users.</source>
      <translation>IPアドレス、ネットワーク(CIDR)、ワイルドカード(192.168.*.*)、範囲指定、IPv6 が使えます。それ以外のクライアントはローカルユーザー宛にのみ送信できます。</translation>
    </message>
    <message>
      <source>No encryption: the mail and the password cross the network readable. Only for a server on this LAN.</source>
      <translation>暗号化しません。メールとパスワードは読める状態でネットワークを流れます。同じLAN内のサーバー専用です。</translation>
    </message>
    <message>
      <source>Encrypted when the server offers STARTTLS, without checking its certificate; plain otherwise.</source>
      <translation>サーバーがSTARTTLSに対応していれば暗号化します(証明書は検証しません)。対応していなければ暗号化せずに送ります。</translation>
    </message>
    <message>
      <source>STARTTLS with a verified certificate, or the mail waits in the queue. For an ISP or Microsoft 365 on port 587.</source>
      <translation>STARTTLSと証明書の検証が必須です。できなければメールはキューで待ちます。プロバイダーやMicrosoft 365のポート587向けです。</translation>
    </message>
    <message>
      <source>TLS from the first byte (SMTPS, usually port 465), with a verified certificate.</source>
      <translation>接続の最初からTLSを使います(SMTPS、通常はポート465)。証明書を検証します。</translation>
    </message>
    <message>
      <source>Warnings (allowed, but probably not meant):</source>
      <translation>警告（使えますが、意図どおりではないかもしれません）:</translation>
    </message>
    <message>
      <source>Routing rule</source>
      <translation>転送設定</translation>
    </message>
    <message>
      <source>As the original: the sender's own account, else the common account</source>
      <translation>従来どおり: 送信者の個別アカウント、なければ共通アカウント</translation>
    </message>
    <message>
      <source>None: never log in</source>
      <translation>なし: ログインしない</translation>
    </message>
    <message>
      <source>host name, IP address or MTA</source>
      <translation>ホスト名、IPアドレス、または MTA</translation>
    </message>
    <message>
      <source>optional, e.g. example.jp</source>
      <translation>省略可(例: example.jp)</translation>
    </message>
    <message>
      <source>empty: the device's own; account: the login's mailbox; or an address</source>
      <translation>空欄: 機器の送信者のまま / account: ログインするメールボックス / またはアドレス</translation>
    </message>
    <message>
      <source>Match (識別ドメイン)</source>
      <translation>識別ドメイン</translation>
    </message>
    <message>
      <source>Destination (転送先)</source>
      <translation>転送先</translation>
    </message>
    <message>
      <source>Port (ポート)</source>
      <translation>ポート</translation>
    </message>
    <message>
      <source>Conversion host (変換ホスト名)</source>
      <translation>変換ホスト名</translation>
    </message>
    <message>
      <source>Login account</source>
      <translation>ログインアカウント</translation>
    </message>
    <message>
      <source>Send as</source>
      <translation>送信者</translation>
    </message>
    <message>
      <source>Move up</source>
      <translation>上へ</translation>
    </message>
    <message>
      <source>Move down</source>
      <translation>下へ</translation>
    </message>
    <message>
      <source>Setup assistant...</source>
      <translation>設定アシスタント...</translation>
    </message>
    <message>
      <source>Rules are tried from the top; the first match decides. A recipient that matches no rule gets normal delivery (MTA). Drag a row to reorder. Greyed rows can never match.</source>
      <translation>転送設定は上から順に判断され、最初に該当した設定で転送されます。どれにも該当しない宛先は通常配信(MTA)になります。行はドラッグで並べ替えられます。灰色の行は使われません。</translation>
    </message>
    <message>
      <source>optional: the sender (chooses the auth account)</source>
      <translation>省略可: 送信者(認証アカウントの選択に使用)</translation>
    </message>
    <message>
      <source>Which rule catches this address?</source>
      <translation>この宛先はどの設定で転送される?</translation>
    </message>
    <message>
      <source>no rule</source>
      <translation>該当する設定なし</translation>
    </message>
    <message>
      <source>rule No. {0}</source>
      <translation>No.{0}</translation>
    </message>
    <message>
      <source>Rule No. {0}: {1}</source>
      <translation>No.{0}: {1}</translation>
    </message>
    <message>
      <source>GRAPH: Microsoft Graph, sent as {0}</source>
      <translation>GRAPH: Microsoft Graph ({0} として送信)</translation>
    </message>
    <message>
      <source>MTA: local mailbox</source>
      <translation>MTA: ローカルのメールボックス</translation>
    </message>
    <message>
      <source>MTA: normal delivery by MX</source>
      <translation>MTA: MX による通常配信</translation>
    </message>
    <message>
      <source>refused: no such local user</source>
      <translation>受信拒否: そのローカルユーザーは存在しません</translation>
    </message>
    <message>
      <source>{0} → {1}
sent as RCPT TO:&lt;{2}&gt;, auth account: {3}</source>
      <translation>{0} → {1}
RCPT TO:&lt;{2}&gt; として送信、認証アカウント: {3}</translation>
    </message>
    <message>
      <source>Browse...</source>
      <translation>参照...</translation>
    </message>
    <message>
      <source>SHA-256 fingerprint: {0}
for {1}, valid until {2}</source>
      <translation>SHA-256 フィンガープリント: {0}
{1} 用、有効期限 {2}</translation>
    </message>
    <message>
      <source>2 or more: worker processes accept on the same ports, so a busy gateway uses more than one CPU core</source>
      <translation>2 以上: ワーカープロセスが同じポートで受信し、混雑時に複数の CPU コアを使います</translation>
    </message>
    <message>
      <source>Create a self-signed certificate</source>
      <translation>自己署名証明書を作成</translation>
    </message>
    <message>
      <source>Makes a certificate and its private key for this gateway's host name in Tenso's data folder and fills in both fields. Devices that check certificates must be told to trust it: compare the fingerprint.</source>
      <translation>このゲートウェイのホスト名用の証明書と秘密鍵を Tenso のデータフォルダーに作成し、両方の欄に入力します。証明書を確認する機器には、この証明書を信頼するよう設定してください(フィンガープリントで照合)。</translation>
    </message>
    <message>
      <source>Logins (local users and devices) only over TLS: after STARTTLS, or on an SMTPS listener</source>
      <translation>ログイン(ローカルユーザーと機器)は TLS 上でのみ許可する(STARTTLS の後、または SMTPS の待ち受け)</translation>
    </message>
    <message>
      <source>Receiving</source>
      <translation>受信</translation>
    </message>
    <message>
      <source>Host name (EHLO)</source>
      <translation>ホスト名(EHLO)</translation>
    </message>
    <message>
      <source>Receiving processes</source>
      <translation>受信プロセス数</translation>
    </message>
    <message>
      <source>TLS certificate (PEM)</source>
      <translation>TLS 証明書(PEM)</translation>
    </message>
    <message>
      <source>TLS private key (PEM)</source>
      <translation>TLS 秘密鍵(PEM)</translation>
    </message>
    <message>
      <source>Pause delivery (mail is still accepted and kept in the queue)</source>
      <translation>配送を一時停止する(受信は続け、メールはキューに保管)</translation>
    </message>
    <message>
      <source>Delivery</source>
      <translation>配送</translation>
    </message>
    <message>
      <source>Retry after (minutes)</source>
      <translation>再送間隔(分)</translation>
    </message>
    <message>
      <source>Give up after</source>
      <translation>配送をあきらめるまで</translation>
    </message>
    <message>
      <source>Keep a copy of every message (送信メールのバックアップ)</source>
      <translation>送信メールのバックアップ</translation>
    </message>
    <message>
      <source> days</source>
      <translation> 日</translation>
    </message>
    <message>
      <source>Backup</source>
      <translation>バックアップ</translation>
    </message>
    <message>
      <source>Folder</source>
      <translation>フォルダー</translation>
    </message>
    <message>
      <source>Keep</source>
      <translation>保存期間</translation>
    </message>
    <message>
      <source>Start Tenso when I log in to Windows</source>
      <translation>Windows へのログイン時に Tenso を起動する</translation>
    </message>
    <message>
      <source>Keep a history of every message (履歴)</source>
      <translation>すべてのメールの履歴を記録する</translation>
    </message>
    <message>
      <source>Who sent what to whom, and what each destination answered, searchable in the History tab; never the content</source>
      <translation>だれがだれに何を送り、送信先がどう応答したかを記録し、「履歴」タブで検索できます。メールの本文は記録しません</translation>
    </message>
    <message>
      <source>Clients connected at the same time, per receiving process</source>
      <translation>同時に接続できるクライアント数(受信プロセスごと)</translation>
    </message>
    <message>
      <source>Connections at the same time from one IP address, per receiving process</source>
      <translation>1つのIPアドレスからの同時接続数(受信プロセスごと)</translation>
    </message>
    <message>
      <source>Off (no ban)</source>
      <translation>オフ(禁止しない)</translation>
    </message>
    <message>
      <source>Failed logins from one IP address within 10 minutes before it may not log in for a while. 0 = off: no address is ever barred.</source>
      <translation>1つのIPアドレスから10分以内にこの回数ログインに失敗すると、しばらくログインできなくなります。0 = オフ: どのアドレスも禁止しません。</translation>
    </message>
    <message>
      <source>How long an address that failed too often may not log in</source>
      <translation>失敗が多すぎたアドレスがログインできない時間</translation>
    </message>
    <message>
      <source>Limits</source>
      <translation>制限</translation>
    </message>
    <message>
      <source>Largest message</source>
      <translation>最大メールサイズ</translation>
    </message>
    <message>
      <source>Recipients per message</source>
      <translation>1通あたりの最大宛先数</translation>
    </message>
    <message>
      <source>Connections at once</source>
      <translation>同時接続数</translation>
    </message>
    <message>
      <source>Connections per client</source>
      <translation>クライアントごとの同時接続数</translation>
    </message>
    <message>
      <source>Failed logins before a ban</source>
      <translation>ログイン禁止までの失敗回数</translation>
    </message>
    <message>
      <source>Ban lasts</source>
      <translation>ログイン禁止の時間</translation>
    </message>
    <message>
      <source>Creating a certificate...</source>
      <translation>証明書を作成しています...</translation>
    </message>
    <message>
      <source>TLS certificate</source>
      <translation>TLS 証明書</translation>
    </message>
    <message>
      <source>TLS private key</source>
      <translation>TLS 秘密鍵</translation>
    </message>
    <message>
      <source>Backup folder</source>
      <translation>バックアップフォルダー</translation>
    </message>
    <message>
      <source>Retry after: whole minutes separated by commas, e.g. 5, 10, 20</source>
      <translation>再送間隔: 分単位の整数をカンマ区切りで(例: 5, 10, 20)</translation>
    </message>
    <message>
      <source>Retry after: {0}</source>
      <translation>再送間隔: {0}</translation>
    </message>
    <message>
      <source>Not a PEM certificate (a -----BEGIN CERTIFICATE----- block)</source>
      <translation>PEM 形式の証明書ではありません(-----BEGIN CERTIFICATE----- のブロックがありません)</translation>
    </message>
    <message>
      <source>Certificate not created: {0}</source>
      <translation>証明書を作成できませんでした: {0}</translation>
    </message>
    <message>
      <source>The certificate file cannot be read: {0}</source>
      <translation>証明書ファイルを読めません: {0}</translation>
    </message>
    <message>
      <source>Last success</source>
      <translation>最後の成功</translation>
    </message>
    <message>
      <source>Last failure</source>
      <translation>最後の失敗</translation>
    </message>
    <message>
      <source>Last failure's reply</source>
      <translation>最後の失敗の応答</translation>
    </message>
    <message>
      <source>Running</source>
      <translation>稼働中</translation>
    </message>
    <message>
      <source>Running, delivery paused</source>
      <translation>稼働中(配送一時停止)</translation>
    </message>
    <message>
      <source>Stopped</source>
      <translation>停止中</translation>
    </message>
    <message>
      <source>never</source>
      <translation>なし</translation>
    </message>
    <message>
      <source>No client secret stored for the account {0}: its mail waits in the queue. Set it in Auth accounts.</source>
      <translation>アカウント {0} のクライアントシークレットが保存されていません。そのメールはキューで待機します。「認証」タブで設定してください。</translation>
    </message>
    <message>
      <source>The certificate of the account {0}</source>
      <translation>アカウント {0} の証明書は</translation>
    </message>
    <message>
      <source>add a new secret in Entra ID and store it with Set client secret...</source>
      <translation>Entra ID で新しいシークレットを作り、「クライアントシークレットを設定...」で保存してください</translation>
    </message>
    <message>
      <source>The client secret of the account {0}</source>
      <translation>アカウント {0} のクライアントシークレットは</translation>
    </message>
    <message>
      <source>expired on {0}</source>
      <translation>{0} に期限が切れました</translation>
    </message>
    <message>
      <source>expires on {0} (in {1} day(s))</source>
      <translation>{0} に期限が切れます(あと {1} 日)</translation>
    </message>
    <message>
      <source>{0} ({1} h ago)</source>
      <translation>{0}({1} 時間前)</translation>
    </message>
    <message>
      <source>No password stored for {0}: mail that needs it waits in the queue. Set it in Auth accounts.</source>
      <translation>{0} のパスワードが保存されていません。それが必要なメールはキューで待ちます。「認証」タブで設定してください。</translation>
    </message>
    <message>
      <source>No mail has been sent yet.</source>
      <translation>まだメールは送られていません。</translation>
    </message>
    <message>
      <source>Last 24 hours (recipients per hour)</source>
      <translation>過去24時間(1時間ごとの宛先数)</translation>
    </message>
    <message>
      <source>Destinations</source>
      <translation>転送先</translation>
    </message>
    <message>
      <source>Queue: empty</source>
      <translation>キュー: 空</translation>
    </message>
    <message>
      <source>The token request of the account {0} was refused: {1}. The mail waits; the next attempt asks again.</source>
      <translation>アカウント {0} のトークンの要求が拒否されました: {1}。メールは待機し、次の試行でもう一度求めます。</translation>
    </message>
    <message>
      <source>{0} may not log in until {1} ({2} failed logins)</source>
      <translation>{0} は {1} までログインできません(ログイン失敗 {2} 回)</translation>
    </message>
    <message>
      <source>{0} (just now)</source>
      <translation>{0}(たった今)</translation>
    </message>
    <message>
      <source>{0} ({1} min ago)</source>
      <translation>{0}({1} 分前)</translation>
    </message>
    <message>
      <source>the common account {0}</source>
      <translation>共通アカウント {0}</translation>
    </message>
    <message>
      <source>make a new one with: python -m app account certificate create {0}, and upload it</source>
      <translation>python -m app account certificate create {0} で作り直し、アップロードしてください</translation>
    </message>
    <message>
      <source>The account {0} must sign in again: {1}. Auth accounts → Sign in...</source>
      <translation>アカウント {0} の再サインインが必要です: {1}。「認証」→「サインイン...」</translation>
    </message>
    <message>
      <source>The account {0} is not signed in: mail that needs it waits. Auth accounts → Sign in...</source>
      <translation>アカウント {0} はサインインしていません。それが必要なメールは待機します。「認証」→「サインイン...」</translation>
    </message>
    <message>
      <source>The routing rules have {0} warning(s): see under the grid in Routing rules.</source>
      <translation>転送設定に警告が {0} 件あります。転送設定タブの表の下をご覧ください。</translation>
    </message>
    <message>
      <source>the account {0} ({1})</source>
      <translation>アカウント {0}({1})</translation>
    </message>
    <message>
      <source>the account {0} of {1}</source>
      <translation>{1} のアカウント {0}</translation>
    </message>
    <message>
      <source>Queue: {0} message(s), {1} recipient(s) waiting</source>
      <translation>キュー: {0} 通、配送待ちの宛先 {1} 件</translation>
    </message>
    <message>
      <source>Failing: the last attempt there failed</source>
      <translation>失敗中: 最後の配送が失敗しました</translation>
    </message>
    <message>
      <source>listening on {0}</source>
      <translation>{0} で待ち受け中</translation>
    </message>
    <message>
      <source>; the oldest received {0}</source>
      <translation>、最も古いメールの受信 {0}</translation>
    </message>
    <message>
      <source>The passwords cannot be checked: {0}</source>
      <translation>パスワードを確認できません: {0}</translation>
    </message>
    <message>
      <source>The account {0} reached its daily limit of recipients: its mail waits until {1}</source>
      <translation>アカウント {0} は 1 日の宛先数の上限に達しました。このアカウントのメールは {1} までキューで待機します</translation>
    </message>
    <message>
      <source>MX (normal delivery)</source>
      <translation>MX(通常配送)</translation>
    </message>
    <message>
      <source>Local mailboxes</source>
      <translation>ローカルメールボックス</translation>
    </message>
    <message>
      <source>Add line</source>
      <translation>行を追加</translation>
    </message>
    <message>
      <source>Remove line</source>
      <translation>行を削除</translation>
    </message>
    <message>
      <source>Import forward.txt...</source>
      <translation>forward.txt を取り込む...</translation>
    </message>
    <message>
      <source>Import forward.txt</source>
      <translation>forward.txt を取り込む</translation>
    </message>
    <message>
      <source>Local domains</source>
      <translation>ローカルドメイン</translation>
    </message>
    <message>
      <source>Local users</source>
      <translation>ローカルユーザー</translation>
    </message>
    <message>
      <source>Selected user</source>
      <translation>選択中のユーザー</translation>
    </message>
    <message>
      <source>Login password (for SMTP AUTH to Tenso)</source>
      <translation>ログインパスワード(Tenso への SMTP認証用)</translation>
    </message>
    <message>
      <source>Forward to (comma separated)</source>
      <translation>転送先(カンマ区切り)</translation>
    </message>
    <message>
      <source>Action</source>
      <translation>動作</translation>
    </message>
    <message>
      <source>Filter (sender contains)</source>
      <translation>フィルタ(送信者に含む文字列)</translation>
    </message>
    <message>
      <source>Disabled</source>
      <translation>無効</translation>
    </message>
    <message>
      <source>Add</source>
      <translation>追加</translation>
    </message>
    <message>
      <source>Forwarding (forward.txt): the first line that applies decides.</source>
      <translation>フォワード(forward.txt): 上から順に判断し、最初に該当した行で処理します。</translation>
    </message>
    <message>
      <source>Nothing imported: </source>
      <translation>取り込みませんでした: </translation>
    </message>
    <message>
      <source>Imported {0} line(s).</source>
      <translation>{0} 行を取り込みました。</translation>
    </message>
    <message>
      <source>line {0}: {1}</source>
      <translation>{0} 行目: {1}</translation>
    </message>
    <message>
      <source>Open</source>
      <translation>開く</translation>
    </message>
    <message>
      <source>Start</source>
      <translation>開始</translation>
    </message>
    <message>
      <source>Stop</source>
      <translation>停止</translation>
    </message>
    <message>
      <source>Pause delivery</source>
      <translation>配送を一時停止</translation>
    </message>
    <message>
      <source>Tenso: running</source>
      <translation>Tenso: 稼働中</translation>
    </message>
    <message>
      <source>Tenso: running, delivery paused</source>
      <translation>Tenso: 稼働中(配送一時停止)</translation>
    </message>
    <message>
      <source>Tenso: stopped</source>
      <translation>Tenso: 停止中</translation>
    </message>
    <message>
      <source>Tenso: error</source>
      <translation>Tenso: エラー</translation>
    </message>
    <message>
      <source>Error</source>
      <translation>エラー</translation>
    </message>
    <message>
      <source>Status</source>
      <translation>状態</translation>
    </message>
    <message>
      <source>Routing rules (転送設定)</source>
      <translation>転送設定</translation>
    </message>
    <message>
      <source>Auth accounts (認証)</source>
      <translation>認証</translation>
    </message>
    <message>
      <source>Relay (中継)</source>
      <translation>中継</translation>
    </message>
    <message>
      <source>Server</source>
      <translation>サーバー</translation>
    </message>
    <message>
      <source>Queue</source>
      <translation>キュー</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>キャンセル</translation>
    </message>
    <message>
      <source>File</source>
      <translation>ファイル</translation>
    </message>
    <message>
      <source>Import settings...</source>
      <translation>設定の読み込み...</translation>
    </message>
    <message>
      <source>Export settings...</source>
      <translation>設定の書き出し...</translation>
    </message>
    <message>
      <source>Settings exported to {0}. Passwords are not in the file: enter them again on the new machine (Auth accounts, Local users).</source>
      <translation>設定を {0} に書き出しました。パスワードはファイルに含まれません。新しいマシンで再入力してください(認証、ローカルユーザー)。</translation>
    </message>
    <message>
      <source>Settings imported from {0}. Check them, enter the passwords, then press Apply.</source>
      <translation>{0} から設定を読み込みました。内容を確認し、パスワードを入力してから「適用」を押してください。</translation>
    </message>
    <message>
      <source>Allow my LAN to send through Tenso (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)</source>
      <translation>LAN からの送信(中継)を許可する(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)</translation>
    </message>
    <message>
      <source>The setup assistant filled in the rule and the account. Press Apply to save them.</source>
      <translation>設定アシスタントがルールとアカウントを入力しました。保存するには「適用」を押してください。</translation>
    </message>
    <message>
      <source>Setup assistant: where does your mail go?</source>
      <translation>設定アシスタント：メールはどこへ送りますか？</translation>
    </message>
    <message>
      <source>Some changes are not applied yet. Apply them before quitting?</source>
      <translation>まだ適用していない変更があります。終了する前に適用しますか？</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>言語</translation>
    </message>
    <message>
      <source>Export settings</source>
      <translation>設定の書き出し</translation>
    </message>
    <message>
      <source>Import settings</source>
      <translation>設定の読み込み</translation>
    </message>
    <message>
      <source>Settings applied: the gateway saved and reloaded them</source>
      <translation>設定を適用しました: ゲートウェイが保存して読み込み直しました</translation>
    </message>
    <message>
      <source>Save the changes before closing?</source>
      <translation>閉じる前に変更を保存しますか?</translation>
    </message>
    <message>
      <source>Tenso cannot receive mail on that address and port. Choose another one under Server → Listen on (for example 0.0.0.0:2525), press Apply, and point your mail clients at it.</source>
      <translation>このアドレスとポートではメールを受信できません。サーバータブの「待ち受けアドレス」で別のポート(例: 0.0.0.0:2525)を指定して「適用」を押し、メールソフトの送信先もそのポートに変更してください。</translation>
    </message>
    <message>
      <source>Settings applied</source>
      <translation>設定を適用しました</translation>
    </message>
    <message>
      <source>Settings saved; Tenso starts with them</source>
      <translation>設定を保存しました。Tenso は次の開始からこの設定で動きます</translation>
    </message>
    <message>
      <source>Not saved. Fix these first:</source>
      <translation>保存していません。先に次の問題を直してください:</translation>
    </message>
    <message>
      <source>Not applied: the gateway refused the settings and runs on as before: {0}</source>
      <translation>適用されませんでした: ゲートウェイは設定を受け付けず、これまでの設定で動作を続けています: {0}</translation>
    </message>
    <message>
      <source>Saved, but not applied: {0}</source>
      <translation>保存しましたが、適用できませんでした: {0}</translation>
    </message>
    <message>
      <source>Not imported: {0}</source>
      <translation>読み込みませんでした: {0}</translation>
    </message>
    <message>
      <source>the rule for *</source>
      <translation>* の設定</translation>
    </message>
    <message>
      <source>the first rule that sends to a server</source>
      <translation>サーバーへ転送する最初の設定</translation>
    </message>
    <message>
      <source>rule No. {number} ({match}) sends the common account's password ({common}) to {destination} whenever it offers AUTH, but the common account looks meant for {meant} ({why}); set this rule's account to "none" if {destination} takes mail without a login, or name the account it needs</source>
      <translation>設定 No. {number} ({match}) は、{destination} が AUTH を提供するたびに共通アカウントのパスワード ({common}) を送りますが、共通アカウントは {meant} 用と思われます ({why})。{destination} がログインなしでメールを受け付けるなら、この設定のアカウントを「none」にしてください。そうでなければ必要なアカウントを指定してください</translation>
    </message>
    <message>
      <source>the account {account}</source>
      <translation>アカウント {account}</translation>
    </message>
    <message>
      <source>the senders' per-user accounts</source>
      <translation>送信者の個別アカウント</translation>
    </message>
    <message>
      <source>rule No. {number} logs in to {destination} with {who} without TLS: when the server offers no CRAM-MD5 the password crosses the network readable (LOGIN/PLAIN); use opportunistic or required if the server offers STARTTLS</source>
      <translation>設定 No. {number} は {who} で {destination} に TLS なしでログインします。サーバーが CRAM-MD5 を提供しないと、パスワードが読める形でネットワークを流れます (LOGIN/PLAIN)。サーバーが STARTTLS を提供するなら opportunistic か required にしてください</translation>
    </message>
    <message>
      <source>rule No. {number} ({match}) can never match: rule No. {above_number} ({above}) above it catches all its mail</source>
      <translation>設定 No. {number} ({match}) は使われません: 上の設定 No. {above_number} ({above}) が該当するメールをすべて処理します</translation>
    </message>
    <message>
      <source>no account named {name} in accounts (rule No. {number})</source>
      <translation>アカウント {name} がありません(設定 No. {number})</translation>
    </message>
    <message>
      <source>GRAPH sends with the rule's own account: name a microsoft account with the client_credentials flow (rule No. {number})</source>
      <translation>GRAPH はその設定自身のアカウントで送信します: client_credentials フローの microsoft アカウントを指定してください(設定 No. {number})</translation>
    </message>
    <message>
      <source>GRAPH needs a microsoft OAuth 2.0 account with the client_credentials flow; {name} is not one (rule No. {number})</source>
      <translation>GRAPH には client_credentials フローの microsoft OAuth 2.0 アカウントが必要です。{name} はそうではありません(設定 No. {number})</translation>
    </message>
    <message>
      <source>must be {scope} or left out: rule No. {number} sends by GRAPH with this account</source>
      <translation>{scope} にするか、空欄にしてください: 設定 No. {number} がこのアカウントで GRAPH 送信します</translation>
    </message>
    <message>
      <source>is missing (the application (client) id of the app registration)</source>
      <translation>未設定です(アプリ登録のアプリケーション (クライアント) ID)</translation>
    </message>
    <message>
      <source>is missing (the tenant's domain such as contoso.onmicrosoft.com, or its id)</source>
      <translation>未設定です(contoso.onmicrosoft.com のようなテナントのドメイン、またはテナントID)</translation>
    </message>
    <message>
      <source>certificate is only for the client_credentials flow; {flow} signs in a person</source>
      <translation>certificate は client_credentials フロー専用です。{flow} は人がサインインするフローです</translation>
    </message>
    <message>
      <source>Google offers only authorization_code for mail (https://mail.google.com/), not {flow}</source>
      <translation>Google のメール (https://mail.google.com/) は authorization_code だけです({flow} は使えません)</translation>
    </message>
    <message>
      <source>is missing (the user name or mailbox the destination knows)</source>
      <translation>未設定です(転送先サーバーが知っているユーザー名またはメールボックス)</translation>
    </message>
    <message>
      <source>is missing (a generic provider needs its token endpoint)</source>
      <translation>未設定です(generic プロバイダーにはトークンエンドポイントが必要です)</translation>
    </message>
    <message>
      <source>is missing (needed for the authorization_code flow)</source>
      <translation>未設定です(authorization_code フローに必要です)</translation>
    </message>
    <message>
      <source>is missing (needed for the device_code flow)</source>
      <translation>未設定です(device_code フローに必要です)</translation>
    </message>
    <message>
      <source>give either username or account, not both</source>
      <translation>username と account はどちらか一方だけにしてください</translation>
    </message>
    <message>
      <source>no account named {name} in accounts</source>
      <translation>アカウント {name} がありません</translation>
    </message>
    <message>
      <source>the OAuth 2.0 account {name} is only used over TLS; choose required or implicit (rule No. {number})</source>
      <translation>OAuth 2.0 アカウント {name} は TLS でだけ使います。required か implicit を選んでください(設定 No. {number})</translation>
    </message>
    <message>
      <source>the account {name} gets tokens for Microsoft Graph (a rule with destination GRAPH uses it); a rule that sends by SMTP needs an account of its own (rule No. {number})</source>
      <translation>アカウント {name} は Microsoft Graph 用のトークンを受け取ります(転送先 GRAPH の設定が使用)。SMTP で送る設定には別のアカウントを指定してください(設定 No. {number})</translation>
    </message>
    <message>
      <source>must be {kind}</source>
      <translation>{kind}にしてください</translation>
    </message>
    <message>
      <source>unknown setting</source>
      <translation>不明な設定です</translation>
    </message>
    <message>
      <source>must be a JSON object</source>
      <translation>JSON オブジェクトにしてください</translation>
    </message>
    <message>
      <source>{check}</source>
      <translation>{check}</translation>
    </message>
    <message>
      <source>must be a host name</source>
      <translation>ホスト名で指定してください</translation>
    </message>
    <message>
      <source>must be a domain name such as example.jp</source>
      <translation>example.jp のようなドメイン名で指定してください</translation>
    </message>
    <message>
      <source>must be an address such as user@example.jp</source>
      <translation>user@example.jp のようなメールアドレスで指定してください</translation>
    </message>
    <message>
      <source>must be empty, account, or an address such as scanner@example.jp</source>
      <translation>空欄、account、または scanner@example.jp のようなアドレスにしてください</translation>
    </message>
    <message>
      <source>must be a webhook address such as https://example.webhook.office.com/...</source>
      <translation>https://example.webhook.office.com/... のような Webhook のアドレスにしてください</translation>
    </message>
    <message>
      <source>must be a date such as 2027-03-31 (YYYY-MM-DD)</source>
      <translation>2027-03-31 のような日付(YYYY-MM-DD)にしてください</translation>
    </message>
    <message>
      <source>must be greater than 0</source>
      <translation>0 より大きい値で指定してください</translation>
    </message>
    <message>
      <source>must be a user name without spaces, such as mfp2f</source>
      <translation>mfp2f のような空白を含まないユーザー名にしてください</translation>
    </message>
    <message>
      <source>must be a name such as m365</source>
      <translation>m365 のような名前にしてください</translation>
    </message>
    <message>
      <source>must be letters, digits, '.', '_' or '-', and not none or common</source>
      <translation>英数字と '.'、'_'、'-' だけにしてください(none と common は使えません)</translation>
    </message>
    <message>
      <source>must be a URL such as https://login.example.com/token</source>
      <translation>https://login.example.com/token のような URL にしてください</translation>
    </message>
    <message>
      <source>must be https (plain http only to 127.0.0.1, ::1 or localhost)</source>
      <translation>https にしてください(http は 127.0.0.1、::1、localhost だけ)</translation>
    </message>
    <message>
      <source>must be "", "none" or a proxy such as http://proxy.example.jp:8080</source>
      <translation>""、"none"、または http://proxy.example.jp:8080 のようなプロキシで指定してください</translation>
    </message>
    <message>
      <source>must not hold a user name or password (the settings file holds no secrets)</source>
      <translation>ユーザー名やパスワードは書けません(設定ファイルには秘密の情報を書きません)</translation>
    </message>
    <message>
      <source>must be an IP address, optionally with :port</source>
      <translation>IPアドレス(:ポートも可)にしてください</translation>
    </message>
    <message>
      <source>must be a host name, an IP address, MTA or GRAPH</source>
      <translation>ホスト名、IPアドレス、MTA または GRAPH で指定してください</translation>
    </message>
    <message>
      <source>must list at least one address:port</source>
      <translation>アドレス:ポートを1つ以上指定してください</translation>
    </message>
    <message>
      <source>tls_cert and tls_key must be set together</source>
      <translation>tls_cert と tls_key は両方とも設定してください</translation>
    </message>
    <message>
      <source>no rule {number} (there are {count}); 0 sends the alert mail by the normal routing</source>
      <translation>ルール {number} はありません（ルールは {count} 件）。0 にすると通知メールは通常のルーティングで送られます</translation>
    </message>
    <message>
      <source>the daily summary is mailed: set alerts.email_to too</source>
      <translation>日次レポートはメールで送られます。alerts.email_to も設定してください</translation>
    </message>
    <message>
      <source>file not found: {path}</source>
      <translation>ファイルが見つかりません: {path}</translation>
    </message>
    <message>
      <source>{address} is listed twice</source>
      <translation>{address} が二重に登録されています</translation>
    </message>
    <message>
      <source>{address} is not a local user</source>
      <translation>{address} はローカルユーザーではありません</translation>
    </message>
    <message>
      <source>implicit TLS needs a certificate: set server.tls_cert and tls_key (python -m app certificate create makes one)</source>
      <translation>最初からTLS(implicit)には証明書が必要です: server.tls_cert と tls_key を設定してください(「自己署名証明書を作成」ボタンか python -m app certificate create で作れます)</translation>
    </message>
    <message>
      <source>this listener has no TLS and server.auth_requires_tls allows AUTH only over TLS, so nobody could send here; give it TLS or turn auth_requires_tls off</source>
      <translation>この待ち受けには TLS がなく、server.auth_requires_tls により認証は TLS 上でしか許可されないため、ここからは誰も送信できません。TLS を設定するか auth_requires_tls をオフにしてください</translation>
    </message>
    <message>
      <source>{login} is listed twice</source>
      <translation>{login} が二重に登録されています</translation>
    </message>
    <message>
      <source>{host}:{port} is Tenso itself (server.listen); mail would loop (rule No. {number})</source>
      <translation>{host}:{port} は Tenso 自身です(待ち受けアドレス)。メールがループします(設定 No. {number})</translation>
    </message>
    <message>
      <source>only a forwarding rule can rewrite (rule No. {number})</source>
      <translation>変換ホスト名は転送先サーバーのある設定だけで使えます(設定 No. {number})</translation>
    </message>
    <message>
      <source>GRAPH takes the recipients from the message's headers, so it cannot rewrite them (rule No. {number})</source>
      <translation>GRAPH は宛先をメールのヘッダーから取るため、変換ホスト名で書き換えられません(設定 No. {number})</translation>
    </message>
    <message>
      <source>only a rule that sends to a server or to GRAPH can change the sender (rule No. {number})</source>
      <translation>送信者を変えられるのは、サーバーか GRAPH に送る転送設定だけです(設定 No. {number})</translation>
    </message>
    <message>
      <source>account means the user name the rule logs in with, and this rule logs in with none (rules[].account); give the address to send as instead (rule No. {number})</source>
      <translation>account はその設定がログインに使うユーザー名のことですが、この設定はログインしません(rules[].account が none)。代わりに送信者のアドレスを指定してください(設定 No. {number})</translation>
    </message>
    <message>
      <source>account means the user name the rule logs in with, and this rule has no account to log in with (no common account, no per-user ones); give the address to send as instead (rule No. {number})</source>
      <translation>account はその設定がログインに使うユーザー名のことですが、この設定にはログインに使うアカウントがありません(共通アカウントもユーザー別アカウントもありません)。代わりに送信者のアドレスを指定してください(設定 No. {number})</translation>
    </message>
    <message>
      <source>{login} is a local user's address; a device needs a login of its own</source>
      <translation>{login} はローカルユーザーのアドレスです。機器には専用のログインが必要です</translation>
    </message>
    <message>
      <source>account means the user name the rule logs in with, and {whose} logs in as “{username}”, which is not an address; give the address to send as instead (rule No. {number})</source>
      <translation>account はその設定がログインに使うユーザー名のことですが、{whose} は「{username}」でログインし、これはアドレスではありません。代わりに送信者のアドレスを指定してください(設定 No. {number})</translation>
    </message>
    <message>
      <source>cannot read {path}: {why}</source>
      <translation>{path} を読めません: {why}</translation>
    </message>
    <message>
      <source>must be {version}</source>
      <translation>{version} にしてください</translation>
    </message>
    <message>
      <source>{path} is not UTF-8 text: perhaps it was saved as ANSI (Shift_JIS); save it again as UTF-8</source>
      <translation>{path} は UTF-8 のテキストではありません。ANSI(Shift_JIS)で保存された可能性があります。UTF-8 で保存し直してください</translation>
    </message>
    <message>
      <source>line {line}, column {column}: a value is expected here (a number, "text", true, false, null, {{ or [){shown}</source>
      <translation>{line} 行 {column} 文字目: ここには値(数値、"文字列"、true、false、null、{{ または [)が必要です{shown}</translation>
    </message>
    <message>
      <source>{path} is not JSON text: it was saved as UTF-16 (Notepad's “Unicode”); save it again as UTF-8</source>
      <translation>{path} は JSON のテキストではありません。UTF-16(メモ帳の「Unicode」)で保存されています。UTF-8 で保存し直してください</translation>
    </message>
    <message>
      <source>line {line}, column {column}: a quote is missing: this text has no closing "{shown}</source>
      <translation>{line} 行 {column} 文字目: 引用符が足りません。この文字列を閉じる " がありません{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: the file ends too early (a closing }} or ] or a quote is missing){shown}</source>
      <translation>{line} 行 {column} 文字目: ファイルが途中で終わっています(閉じる }} 、] または引用符が足りません){shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: there is a comma before ]: remove it{shown}</source>
      <translation>{line} 行 {column} 文字目: ] の前にカンマがあります。削除してください{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: JSON needs double quotes ("), not single quotes ('){shown}</source>
      <translation>{line} 行 {column} 文字目: JSON では一重引用符(')ではなく二重引用符(")を使います{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: a comma is missing before this{shown}</source>
      <translation>{line} 行 {column} 文字目: この前にカンマがありません{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: a colon (:) is missing after the name{shown}</source>
      <translation>{line} 行 {column} 文字目: 名前の後にコロン(:)がありません{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: write a backslash twice in JSON (C:\\Tenso, not C:\Tenso){shown}</source>
      <translation>{line} 行 {column} 文字目: JSON ではバックスラッシュ(円記号)を 2 つ重ねて書きます(C:\Tenso ではなく C:\\Tenso){shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: a name in double quotes ("name") is expected here{shown}</source>
      <translation>{line} 行 {column} 文字目: ここには二重引用符で囲んだ名前("name")が必要です{shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: more text after the end of the settings (the last }} closes them){shown}</source>
      <translation>{line} 行 {column} 文字目: 設定の終わりの後にまだ文字があります(最後の }} で設定は閉じます){shown}</translation>
    </message>
    <message>
      <source>line {line}, column {column}: there is a comma before }}: remove it{shown}</source>
      <translation>{line} 行 {column} 文字目: }} の前にカンマがあります。削除してください{shown}</translation>
    </message>
    <message>
      <source>another Tenso is running on the queue {path}</source>
      <translation>キュー {path} では別の Tenso が動いています</translation>
    </message>
    <message>
      <source>the proxy at {proxy} asks for a login (407 Proxy Authentication Required); Tenso does not log in to proxies: let the proxy allow this computer without a login, or set delivery.http_proxy to one that does</source>
      <translation>プロキシ {proxy} がログインを求めています（407 Proxy Authentication Required）。Tenso はプロキシにログインしません。このコンピューターをログインなしで許可するようプロキシを設定するか、delivery.http_proxy にログイン不要のプロキシを指定してください</translation>
    </message>
    <message>
      <source>cannot reach the proxy at {proxy} (from the system's proxy setting): {error}</source>
      <translation>プロキシ {proxy}（システムのプロキシ設定）に接続できません: {error}</translation>
    </message>
    <message>
      <source>cannot reach the proxy at {proxy} (from delivery.http_proxy): {error}</source>
      <translation>プロキシ {proxy}（delivery.http_proxy の設定）に接続できません: {error}</translation>
    </message>
    <message>
      <source>the greeting</source>
      <translation>接続時の最初の応答(220 あいさつ)</translation>
    </message>
    <message>
      <source>EHLO and STARTTLS</source>
      <translation>EHLO と STARTTLS</translation>
    </message>
    <message>
      <source>the common account</source>
      <translation>共通アカウント</translation>
    </message>
    <message>
      <source>AUTH</source>
      <translation>AUTH</translation>
    </message>
    <message>
      <source>the transaction (MAIL to the reply after the final dot)</source>
      <translation>送信処理(MAIL から最後のドットへの応答まで)</translation>
    </message>
    <message>
      <source>is missing ({check})</source>
      <translation>未設定です({check})</translation>
    </message>
    <message>
      <source>{check} (rule No. {number})</source>
      <translation>{check}(設定 No. {number})</translation>
    </message>
    <message>
      <source>is missing ({check}) (rule No. {number})</source>
      <translation>未設定です({check})(設定 No. {number})</translation>
    </message>
    <message>
      <source>a list</source>
      <translation>リスト</translation>
    </message>
    <message>
      <source>an object</source>
      <translation>オブジェクト</translation>
    </message>
    <message>
      <source>a string</source>
      <translation>文字列</translation>
    </message>
    <message>
      <source>a whole number</source>
      <translation>整数</translation>
    </message>
    <message>
      <source>true or false</source>
      <translation>true または false</translation>
    </message>
    <message>
      <source>must be 1-65535</source>
      <translation>1〜65535 で指定してください</translation>
    </message>
    <message>
      <source>must be 1-16</source>
      <translation>1〜16 にしてください</translation>
    </message>
    <message>
      <source>must be -1 to 23</source>
      <translation>-1〜23 にしてください</translation>
    </message>
    <message>
      <source>must be *, @domain, @*.domain or an address</source>
      <translation>*、@ドメイン、@*.ドメイン、またはメールアドレスで指定してください</translation>
    </message>
    <message>
      <source>must be one of none, opportunistic, required, implicit</source>
      <translation>none、opportunistic、required、implicit のいずれかで指定してください</translation>
    </message>
    <message>
      <source>must be address:port, such as 0.0.0.0:25 or [::]:25</source>
      <translation>0.0.0.0:25 や [::]:25 のような アドレス:ポート にしてください</translation>
    </message>
    <message>
      <source>port must be 1-65535</source>
      <translation>ポートは 1〜65535 にしてください</translation>
    </message>
    <message>
      <source>is empty</source>
      <translation>空です</translation>
    </message>
    <message>
      <source>wildcards are written like 192.168.*.*</source>
      <translation>ワイルドカードは 192.168.*.* のように書きます</translation>
    </message>
    <message>
      <source>a * may only be followed by more *, as in 192.168.*.*</source>
      <translation>* の後には * しか続けられません(例: 192.168.*.*)</translation>
    </message>
    <message>
      <source>both ends of a range must be IPv4 or both IPv6</source>
      <translation>範囲の両端は、両方 IPv4 か両方 IPv6 にしてください</translation>
    </message>
    <message>
      <source>the first address of a range must not be above the last</source>
      <translation>範囲の最初のアドレスは最後のアドレス以下にしてください</translation>
    </message>
    <message>
      <source>must list at least one step</source>
      <translation>1つ以上指定してください</translation>
    </message>
    <message>
      <source>is listed twice</source>
      <translation>は重複しています</translation>
    </message>
    <message>
      <source>Recipients and states</source>
      <translation>宛先と状態</translation>
    </message>
    <message>
      <source>Next try</source>
      <translation>次回再送</translation>
    </message>
    <message>
      <source>Last reply</source>
      <translation>最後の応答</translation>
    </message>
    <message>
      <source>No.</source>
      <translation>No.</translation>
    </message>
  </context>
</TS>
