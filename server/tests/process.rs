//! The real `replybubble serve` process: what it logs, and what survives a kill -9.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value as Json};

#[path = "common/login.rs"]
mod login;
use login::dashboard_login;

const BIN: &str = env!("CARGO_BIN_EXE_replybubble");

struct Served {
    child: Child,
    base: String,
}

/// Starts `replybubble serve` on a free port and reads the URL it prints.
fn serve(db: &std::path::Path) -> Served {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--rate-limits",
            "off",
            "--db",
        ])
        .arg(db)
        .env("REPLYBUBBLE_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    Served { child, base }
}

fn cli(db: &std::path::Path, args: &[&str]) -> Json {
    cli_env(db, args, &[])
}

/// [`cli`] with environment variables set.
fn cli_env(db: &std::path::Path, args: &[&str], env: &[(&str, &std::path::Path)]) -> Json {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn post(client: &awc::Client, url: String, token: Option<&str>, body: Json) -> (u16, Json) {
    let mut req = client.post(url);
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.unwrap();
    let json = res.json().await.unwrap_or(Json::Null);
    (res.status().as_u16(), json)
}

#[actix_rt::test]
async fn a_full_flow_logs_no_secret_signature_token_or_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logs.db");
    let app_id = cli(
        &db,
        &["workspace", "create", "--name", "Logs", "--plan", "pro"],
    )["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = cli(&db, &["verification", "generate-secret", &app_id])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    cli(&db, &["verification", "mode", &app_id, "required"]);
    let mut s = serve(&db);
    let c = awc::Client::default();
    let u = |p: &str| format!("{}/api/v1/widget/{p}", s.base);
    let mut secrets = vec![secret.clone()];
    let (_, session) = post(&c, u("session"), None, json!({ "app_id": app_id })).await;
    let token = session["visitor_token"].as_str().unwrap().to_owned();
    secrets.push(token.clone());
    let sig = replybubble_core::signature::sign(&secret, "alice");
    secrets.push(sig.clone());
    let (status, verified) = post(
        &c,
        u("identify"),
        Some(&token),
        json!({ "id": "alice", "signature": sig }),
    )
    .await;
    assert_eq!(status, 200);
    // Binding the session gave it a new token (the anonymous one no longer works).
    let token = verified["visitor_token"]
        .as_str()
        .expect("a new token for the bound session")
        .to_owned();
    secrets.push(token.clone());
    let bad_sig = replybubble_core::signature::sign(&secret, "alice@example.com");
    secrets.push(bad_sig.clone());
    post(
        &c,
        u("identify"),
        Some(&token),
        json!({ "id": "alice", "email": "alice@example.com", "signature": bad_sig }),
    )
    .await;
    post(&c, u("messages"), Some(&token), json!({ "body": "hello" })).await;
    let (_, t) = post(&c, u("events/ticket"), Some(&token), json!({})).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    secrets.push(ticket.clone());
    let res = c
        .get(format!("{}?ticket={ticket}", u("events")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    drop(res);
    let (_, reset) = post(&c, u("reset"), Some(&token), json!({})).await;
    secrets.push(reset["visitor_token"].as_str().unwrap().to_owned());
    post(
        &c,
        u("messages"),
        Some("rbv_not_a_real_token_but_still_secret"),
        json!({ "body": "x" }),
    )
    .await;
    secrets.push("rbv_not_a_real_token_but_still_secret".into());
    // Read the log until the last request's line (a 401 on messages) is in it, then stop.
    let stderr = s.child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut log = String::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("the last request was never logged:\n{log}"));
        log.push_str(&line);
        log.push('\n');
        if line.contains("/api/v1/widget/messages") && line.contains("401") {
            break;
        }
    }
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(
        log.contains("/api/v1/widget/identify"),
        "requests are logged: {log}"
    );
    assert!(log.contains("/api/v1/widget/events"), "{log}");
    for needle in &secrets {
        assert!(
            !log.contains(needle.as_str()),
            "the log holds {needle}:\n{log}"
        );
        assert!(
            !log.contains(&needle[..needle.len().min(24)]),
            "the log holds a prefix of {needle}"
        );
    }
}

/// Sends messages on one session until the server stops answering; every 201 is recorded as
/// acknowledged. Never panics on a dead server: that is the point.
async fn keep_writing(
    client: awc::Client,
    url: String,
    token: String,
    acked: std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
    enough: std::sync::Arc<tokio::sync::Notify>,
    target: usize,
) {
    for i in 0.. {
        let sent = client
            .post(&url)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send_json(&json!({ "body": format!("m{i}") }))
            .await;
        let Ok(mut res) = sent else { return };
        let Ok(body) = res.json::<Json>().await else {
            return;
        };
        if res.status().as_u16() != 201 {
            return;
        }
        let n = {
            let mut a = acked.lock().unwrap();
            a.push(body["id"].as_i64().unwrap());
            a.len()
        };
        if n >= target {
            enough.notify_one();
        }
    }
}

/// Clients writing without pause, each on its own session and connection, until the server
/// stops answering. Returns once `target` writes were acknowledged: the acknowledged ids (still
/// growing) and the clients.
async fn writing_clients(
    base: &str,
    app_id: &str,
    clients: usize,
    target: usize,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
    Vec<actix_rt::task::JoinHandle<()>>,
) {
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let enough = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut writers = Vec::new();
    for _ in 0..clients {
        let c = awc::Client::default();
        let (_, session) = post(
            &c,
            format!("{base}/api/v1/widget/session"),
            None,
            json!({ "app_id": app_id }),
        )
        .await;
        let token = session["visitor_token"].as_str().unwrap().to_owned();
        writers.push(actix_rt::spawn(keep_writing(
            c,
            format!("{base}/api/v1/widget/messages"),
            token,
            acked.clone(),
            enough.clone(),
            target,
        )));
    }
    tokio::time::timeout(Duration::from_secs(60), enough.notified())
        .await
        .unwrap_or_else(|_| panic!("{target} acknowledged writes"));
    (acked, writers)
}

#[actix_rt::test]
async fn acknowledged_writes_survive_kill_9_while_writes_are_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let app_id = cli(&db, &["workspace", "create", "--name", "Durable"])["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut s = serve(&db);
    let (acked, writers) = writing_clients(&s.base, &app_id, 4, 150).await;
    // SIGKILL while the four clients are still writing: no shutdown, no flush, no checkpoint.
    Command::new("kill")
        .args(["-9", &s.child.id().to_string()])
        .status()
        .unwrap();
    s.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    for id in &acked {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1, "acknowledged message {id} was lost");
    }
    // Writes committed but not yet acknowledged when the process died may exist too; nothing
    // acknowledged is missing.
    assert!(stored >= acked.len() as i64, "{stored} < {}", acked.len());
}

/// Starts `serve --demo`, returns the printed lines (until the app id line) and the process.
fn serve_demo(db: &std::path::Path) -> (Vec<String>, Child) {
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    while lines.len() < 5 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        lines.push(line.trim().to_owned());
    }
    (lines, child)
}

fn printed_login(lines: &[String]) -> (String, String) {
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix("login:"))
        .expect("a login line");
    let (email, password) = line.trim().split_once(" / ").unwrap();
    (email.to_owned(), password.to_owned())
}

#[actix_rt::test]
async fn serve_demo_seeds_once_prints_a_fresh_login_each_start_and_locks_it_without_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let (first, mut child) = serve_demo(&db);
    let text = first.join("\n");
    let base = first[0].rsplit(' ').next().unwrap().to_owned();
    assert!(
        text.contains(&format!("dashboard: {base}/dashboard")),
        "{text}"
    );
    assert!(text.contains(&format!("demo site: {base}/demo")), "{text}");
    let (email, first_password) = printed_login(&first);
    let c = awc::Client::builder().disable_redirects().finish();
    assert_eq!(
        c.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let mut demo = c.get(format!("{base}/demo")).send().await.unwrap();
    let csp = demo
        .headers()
        .get("content-security-policy")
        .expect("the demo page has a CSP")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    let page = String::from_utf8(demo.body().await.unwrap().to_vec()).unwrap();
    assert!(!page.contains("<script>"), "no inline script under the CSP");
    let app_id = first
        .iter()
        .find_map(|l| l.strip_prefix("app id:"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        page.contains(&format!("data-app-id=\"{app_id}\"")),
        "the demo page carries the snippet"
    );
    assert_eq!(
        dashboard_login(&c, &base, &email, &first_password, None).await,
        303
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // A second start: same workspace, a fresh password; the old one no longer works.
    let (second, mut child) = serve_demo(&db);
    let base = second[0].rsplit(' ').next().unwrap().to_owned();
    let (_, second_password) = printed_login(&second);
    assert_ne!(second_password, first_password);
    assert!(second.iter().any(|l| l.ends_with(&app_id)));
    assert_eq!(
        dashboard_login(&c, &base, &email, &first_password, None).await,
        401
    );
    assert_eq!(
        dashboard_login(&c, &base, &email, &second_password, None).await,
        303
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "seeded once");
    let dump: String = conn
        .query_row(
            "SELECT group_concat(password_hash, '|') FROM agents",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        dump.starts_with("$argon2id$") && !dump.contains(&second_password),
        "only a hash is stored"
    );
    let demo_columns: String = conn
        .query_row(
            "SELECT group_concat(name) FROM pragma_table_info('demo')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!demo_columns.contains("password"), "{demo_columns}");
    drop(conn);

    // Without --demo the demo owner cannot log in, and the demo is gone.
    let mut plain = serve(&db);
    assert_eq!(
        dashboard_login(&c, &plain.base, &email, &second_password, None).await,
        401
    );
    assert_eq!(
        c.get(format!("{}/demo", plain.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    plain.child.kill().unwrap();
    plain.child.wait().unwrap();
}

#[actix_rt::test]
async fn sigterm_with_event_streams_open_ends_them_and_exits_within_5_seconds() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shutdown.db");
    let app_id = cli(&db, &["workspace", "create", "--name", "Shutdown"])["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut s = serve(&db);
    let c = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let (_, session) = post(
            &c,
            format!("{}/api/v1/widget/session", s.base),
            None,
            json!({ "app_id": app_id }),
        )
        .await;
        let token = session["visitor_token"].as_str().unwrap().to_owned();
        let (_, t) = post(
            &c,
            format!("{}/api/v1/widget/events/ticket", s.base),
            Some(&token),
            json!({}),
        )
        .await;
        let mut res = c
            .get(format!(
                "{}/api/v1/widget/events?ticket={}",
                s.base,
                t["ticket"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        let hello = res.next().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&hello).unwrap().contains("connected"));
        streams.push(res);
    }
    let started = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    let status = s.child.wait().unwrap();
    let took = started.elapsed();
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM with 3 streams open took {took:?}"
    );
    for mut res in streams {
        let rest = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = res.next().await {}
        })
        .await;
        assert!(rest.is_ok(), "every stream ended");
    }
}

#[actix_rt::test]
async fn backup_while_writes_are_in_flight_holds_every_write_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let out = dir.path().join("copy.db");
    let app_id = cli(&db, &["workspace", "create", "--name", "Backup"])["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut s = serve(&db);
    let (acked, writers) = writing_clients(&s.base, &app_id, 2, 100).await;
    let before: Vec<i64> = acked.lock().unwrap().clone();
    // The copy is made while the two clients keep writing.
    let copied = cli(&db, &["backup", out.to_str().unwrap()]);
    assert_eq!(copied["backup"], out.to_str().unwrap());
    assert!(copied["bytes"].as_u64().unwrap() > 0);
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let conn = rusqlite::Connection::open(&out).unwrap();
    for id in &before {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            n, 1,
            "message {id}, acknowledged before the backup, is missing"
        );
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Never over an existing file.
    let again = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["backup", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("never overwrites"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// Whether `needle` occurs in the database file or its `-wal`/`-shm` companions.
fn in_database_files(db: &std::path::Path, needle: &str) -> bool {
    ["", "-wal", "-shm"].iter().any(|suffix| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        std::fs::read(&name)
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}

async fn verified_through_a_server(db: &std::path::Path, app_id: &str, secret: &str) -> bool {
    let mut s = serve(db);
    let c = awc::Client::default();
    let (_, session) = post(
        &c,
        format!("{}/api/v1/widget/session", s.base),
        None,
        json!({ "app_id": app_id }),
    )
    .await;
    let token = session["visitor_token"].as_str().unwrap().to_owned();
    let (_, r) = post(
        &c,
        format!("{}/api/v1/widget/identify", s.base),
        Some(&token),
        json!({ "id": "ada", "signature": replybubble_core::signature::sign(secret, "ada") }),
    )
    .await;
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    r["status"] == "verified"
}

#[actix_rt::test]
async fn secrets_are_sealed_at_rest_and_a_clear_text_database_is_sealed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sealed.db");
    let app_id = cli(
        &db,
        &["workspace", "create", "--name", "S", "--plan", "pro"],
    )["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    cli(&db, &["verification", "mode", &app_id, "optional"]);
    let secret = cli(&db, &["verification", "generate-secret", &app_id])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !in_database_files(&db, &secret),
        "the secret is in the file in clear"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.path().join("sealed.db.key");
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(verified_through_a_server(&db, &app_id, &secret).await);

    // A database written by an older release holds its secret in clear: sealed at the next start.
    let old = "rbsec_written_in_clear_by_an_older_release_0123456789abcdef";
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE workspaces SET secret = ?1 WHERE app_id = ?2",
            [old, app_id.as_str()],
        )
        .unwrap();
    assert!(in_database_files(&db, old));
    cli(&db, &["workspace", "list"]);
    assert!(
        !in_database_files(&db, old),
        "sealed on start, clear text gone"
    );
    assert!(verified_through_a_server(&db, &app_id, old).await);

    // Without its key the database does not start, and says what to do.
    std::fs::rename(
        dir.path().join("sealed.db.key"),
        dir.path().join("moved.key"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["workspace", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sealed.db.key is missing")
            && err.contains("restore")
            && err.contains("verification regenerate-secret APP_ID"),
        "{err}"
    );
    assert!(
        !dir.path().join("sealed.db.key").exists(),
        "no stray key file is left for the next start to trip on"
    );
    // The key given through the environment instead of the file works.
    let key = std::fs::read_to_string(dir.path().join("moved.key")).unwrap();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["--json", "workspace", "list"])
        .env("REPLYBUBBLE_MASTER_KEY", key.trim())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And from a file named by REPLYBUBBLE_MASTER_KEY_FILE (a systemd credential).
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["--json", "workspace", "list"])
        .env("REPLYBUBBLE_MASTER_KEY_FILE", dir.path().join("moved.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The key is lost for good, with a second workspace's secret sealed by it: the command the
    // error names is the fix, one workspace at a time, and the server starts again after both.
    let old_key = dir.path().join("moved.key");
    let with_old_key = |args: &[&str]| {
        cli_env(
            &db,
            args,
            &[("REPLYBUBBLE_MASTER_KEY_FILE", old_key.as_path())],
        )
    };
    let other = with_old_key(&["workspace", "create", "--name", "T", "--plan", "pro"])["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    with_old_key(&["verification", "generate-secret", &other]);
    std::fs::remove_file(dir.path().join("moved.key")).unwrap();
    let new = cli(&db, &["verification", "regenerate-secret", &app_id])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(dir.path().join("sealed.db.key").exists(), "a new key file");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["workspace", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&other) && !err.contains(&app_id) && err.contains("regenerate-secret"),
        "names the workspace still to fix: {err}"
    );
    cli(&db, &["verification", "regenerate-secret", &other]);
    cli(&db, &["workspace", "list"]);
    assert!(verified_through_a_server(&db, &app_id, &new).await);
}

#[actix_rt::test]
async fn metrics_are_served_on_their_own_listener_in_prometheus_text() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("metrics.db");
    let app_id = cli(
        &db,
        &["workspace", "create", "--name", "M", "--plan", "pro"],
    )["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    cli(&db, &["verification", "mode", &app_id, "optional"]);
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    while lines.len() < 3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_owned());
    }
    let base = lines[0].rsplit(' ').next().unwrap().to_owned();
    let metrics_url = lines
        .iter()
        .find_map(|l| l.strip_prefix("metrics:"))
        .expect("the metrics URL is printed")
        .trim()
        .to_owned();
    let c = awc::Client::default();
    let (_, session) = post(
        &c,
        format!("{base}/api/v1/widget/session"),
        None,
        json!({ "app_id": app_id }),
    )
    .await;
    let token = session["visitor_token"].as_str().unwrap().to_owned();
    post(
        &c,
        format!("{base}/api/v1/widget/identify"),
        Some(&token),
        json!({ "id": "u1" }),
    )
    .await;
    post(
        &c,
        format!("{base}/api/v1/widget/messages"),
        Some(&token),
        json!({ "body": "hi" }),
    )
    .await;
    let (_, t) = post(
        &c,
        format!("{base}/api/v1/widget/events/ticket"),
        Some(&token),
        json!({}),
    )
    .await;
    let mut stream = c
        .get(format!(
            "{base}/api/v1/widget/events?ticket={}",
            t["ticket"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    stream.next().await.unwrap().unwrap();
    let mut res = c.get(&metrics_url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    for needle in [
        r#"replybubble_http_requests_total{method="POST",route="/api/v1/widget/session",status="200"} 1"#,
        r#"replybubble_identify_total{result="unverified"} 1"#,
        "replybubble_open_streams 1",
        "replybubble_write_queue_depth 0",
        "replybubble_commit_seconds_count",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
    // Not on the public listener.
    let public = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(public.status().as_u16(), 404);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_an_smtp_url_or_sender_it_cannot_use_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("smtp.db");
    for (args, says) in [
        (
            vec!["--smtp-url", "http://user:s3cret@mail.example:25"],
            "--smtp-url \"http://…@mail.example:25\" is not an SMTP URL",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://127.0.0.1:2525",
                "--smtp-from",
                "not an address",
            ],
            "--smtp-from \"not an address\" is not an email address",
        ),
    ] {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(&args)
            .env_remove("REPLYBUBBLE_SMTP_URL")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} must not start");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
        assert!(
            !err.contains("s3cret"),
            "the password is never printed: {err}"
        );
    }
}
