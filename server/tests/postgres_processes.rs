//! Two `replybubble serve` processes on one PostgreSQL database (DESIGN.md "Scale-out:
//! PostgreSQL"), no sticky sessions: a ticket issued by one opens a stream on the other, a
//! message posted through one reaches that stream within a second, an agent's reply from one's
//! dashboard reaches the widget connected to the other, a reset through one ends the other's
//! streams, and kill -9 of one instance while clients write through it loses no acknowledged
//! message.

#[path = "common/login.rs"]
mod login;
#[path = "common/pg.rs"]
mod pg;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value as Json};

const BIN: &str = env!("CARGO_BIN_EXE_replybubble");
const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `replybubble serve --db URL` on a free port, with the shared master key.
fn serve(url: &str) -> Served {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--rate-limits",
            "off",
            "--db",
            url,
        ])
        .env("REPLYBUBBLE_MASTER_KEY", KEY)
        .env("REPLYBUBBLE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    Served { child, base }
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Json) -> Option<(u16, Json)> {
    let mut req = awc::Client::default().post(format!("{base}/api/v1/widget/{path}"));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.ok()?;
    let status = res.status().as_u16();
    Some((status, res.json().await.unwrap_or(Json::Null)))
}

async fn setup(url: &str) -> String {
    let out = Command::new(BIN)
        .args([
            "--json",
            "--db",
            url,
            "workspace",
            "create",
            "--name",
            "Two",
        ])
        .env("REPLYBUBBLE_MASTER_KEY", KEY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ws: Json = serde_json::from_slice(&out.stdout).unwrap();
    ws["app_id"].as_str().unwrap().to_owned()
}

async fn session(base: &str, app_id: &str) -> String {
    started(base, app_id).await.0
}

/// A new visitor session: its token and conversation.
async fn started(base: &str, app_id: &str) -> (String, i64) {
    let (status, body) = post(base, "session", None, json!({ "app_id": app_id }))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    (
        body["visitor_token"].as_str().unwrap().to_owned(),
        body["conversation_id"].as_i64().unwrap(),
    )
}

/// An owner of the workspace, made with the CLI.
fn owner(url: &str, app_id: &str, email: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["--db", url, "agent", "create", "--workspace", app_id])
        .args(["--email", email, "--role", "owner", "--password-stdin"])
        .env("REPLYBUBBLE_MASTER_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A widget event stream opened on `base` with a ticket issued by `issuer`, once it said hello.
async fn widget_stream(
    issuer: &str,
    base: &str,
    token: &str,
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
> {
    let (status, body) = post(issuer, "events/ticket", Some(token), Json::Null)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let mut stream = awc::Client::default()
        .get(format!("{base}/api/v1/widget/events?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream.status().as_u16(),
        200,
        "a ticket from {issuer} opens a stream on {base}"
    );
    let hello = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(std::str::from_utf8(&hello).unwrap().contains("connected"));
    stream
}

/// Reads `stream` until `needle` arrives, within `within`: the text read.
async fn until(
    stream: &mut (impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
              + Unpin),
    needle: &str,
    within: Duration,
) -> String {
    let deadline = tokio::time::Instant::now() + within;
    let mut text = String::new();
    while !text.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("{needle:?} within {within:?}; got {text:?}"))
            .expect("the stream is open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text
}

#[actix_rt::test]
async fn two_serve_processes_share_tickets_live_messages_and_agent_replies() {
    let Some(url) = pg::database().await else {
        return;
    };
    let app_id = setup(&url).await;
    owner(&url, &app_id, "owner@two.test", "a good long password");
    let (a, b) = (serve(&url), serve(&url));
    let (token, conversation) = started(&a.base, &app_id).await;
    // A ticket from A opens a stream on B; one from B opens a stream on A.
    let mut on_b = widget_stream(&a.base, &b.base, &token).await;
    let mut on_a = widget_stream(&b.base, &a.base, &token).await;
    let sent_at = std::time::Instant::now();
    let (status, _) = post(
        &a.base,
        "messages",
        Some(&token),
        json!({ "body": "posted through A" }),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    until(&mut on_b, "posted through A", Duration::from_secs(1)).await;
    assert!(sent_at.elapsed() < Duration::from_secs(1));
    // An agent answers from B's dashboard; the widget connected to A hears it.
    let web = awc::Client::builder().disable_redirects().finish();
    let (cookie, csrf) =
        login::dashboard_session(&web, &b.base, "owner@two.test", "a good long password").await;
    let sent_at = std::time::Instant::now();
    let replied = web
        .post(format!(
            "{}/dashboard/conversations/{conversation}/reply",
            b.base
        ))
        .insert_header(("Cookie", cookie))
        .send_form(&[("csrf", csrf.as_str()), ("body", "answered from B")])
        .await
        .unwrap();
    assert_eq!(replied.status().as_u16(), 303, "the reply is stored");
    let text = until(&mut on_a, "answered from B", Duration::from_secs(1)).await;
    assert!(sent_at.elapsed() < Duration::from_secs(1));
    assert!(text.contains("\"author\":\"agent\""), "{text}");
    assert!(
        text.contains("posted through A"),
        "A's stream had the visitor's message too"
    );
    // A reset through B ends the streams of that session on both servers.
    assert_eq!(
        post(&b.base, "reset", Some(&token), Json::Null)
            .await
            .unwrap()
            .0,
        200
    );
    for stream in [&mut on_a, &mut on_b] {
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
        assert!(ended.is_ok(), "the stream ended with the session");
    }
}

#[actix_rt::test]
async fn kill_9_of_one_instance_loses_no_acknowledged_message_and_the_other_serves_on() {
    let Some(url) = pg::database().await else {
        return;
    };
    let app_id = setup(&url).await;
    let (mut a, b) = (serve(&url), serve(&url));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let mut tokens = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..4 {
        let token = session(&a.base, &app_id).await;
        tokens.push(token.clone());
        let (base, acked) = (a.base.clone(), acked.clone());
        writers.push(actix_rt::spawn(async move {
            for i in 0.. {
                match post(
                    &base,
                    "messages",
                    Some(&token),
                    json!({ "body": format!("m{i}") }),
                )
                .await
                {
                    Some((201, body)) => acked.lock().unwrap().push(body["id"].as_i64().unwrap()),
                    _ => return,
                }
            }
        }));
    }
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // SIGKILL while the four clients are still writing through A.
    Command::new("kill")
        .args(["-9", &a.child.id().to_string()])
        .status()
        .unwrap();
    a.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100, "{} acknowledged", acked.len());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_rt::spawn(connection);
    let stored: Vec<i64> = client
        .query("SELECT id FROM messages WHERE id = ANY($1)", &[&acked])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        stored.len(),
        acked.len(),
        "every acknowledged message is stored"
    );
    // B serves the sessions made through A, with every message in order.
    let page = awc::Client::default()
        .get(format!("{}/api/v1/widget/messages", b.base))
        .insert_header(("Authorization", format!("Bearer {}", tokens[0])))
        .send()
        .await
        .unwrap()
        .json::<Json>()
        .await
        .unwrap();
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert!(!seqs.is_empty());
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gap");
}

#[actix_rt::test]
async fn a_password_in_the_urls_query_string_is_never_logged() {
    let Some(url) = pg::database().await else {
        return;
    };
    // The same URL with its password moved into libpq's `?password=` form.
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host_and_db) = rest.split_once('@').expect("a user and password");
    let (user, password) = userinfo.split_once(':').expect("a password");
    let with_password = format!("{scheme}://{user}@{host_and_db}?password={password}");
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--db", &with_password])
        .env("REPLYBUBBLE_MASTER_KEY", KEY)
        .env("REPLYBUBBLE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("replybubble is listening") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(log.contains("replybubble is listening"), "{log}");
    assert!(log.contains("password=…"), "the parameter is named: {log}");
    assert!(!log.contains(password), "{log}");
}
