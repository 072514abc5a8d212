//! The PostgreSQL engine's foundation (DESIGN.md "Scale-out: PostgreSQL"): connecting,
//! migrations applied once by replicas that start together, a newer schema refused, and the
//! schema's triggers keeping the home page's counts.

#[path = "common/pg.rs"]
mod pg;

use replybubble_server::store::pg::{PgStore, SCHEMA_VERSION};

async fn sql(url: &str, statements: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_rt::spawn(connection);
    client.simple_query(statements).await.unwrap()
}

/// The first column of the first row a query returns, as text.
async fn one(url: &str, query: &str) -> String {
    sql(url, query)
        .await
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row for {query}"))
}

#[actix_rt::test]
async fn replicas_starting_together_migrate_the_database_once() {
    let Some(url) = pg::database().await else {
        return;
    };
    let opened = futures_util::future::join_all((0..4).map(|_| PgStore::open(&url))).await;
    for store in &opened {
        let store = store.as_ref().expect("every replica starts");
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    assert_eq!(one(&url, "SELECT count(*) FROM schema_version").await, "1");
    assert_eq!(
        one(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'messages'"
        )
        .await,
        "1"
    );
    // Opening again changes nothing.
    PgStore::open(&url).await.unwrap();
    assert_eq!(
        one(&url, "SELECT version FROM schema_version").await,
        SCHEMA_VERSION.to_string()
    );
}

#[actix_rt::test]
async fn a_database_from_a_newer_release_is_refused() {
    let Some(url) = pg::database().await else {
        return;
    };
    PgStore::open(&url).await.unwrap();
    sql(
        &url,
        &format!("UPDATE schema_version SET version = {}", SCHEMA_VERSION + 1),
    )
    .await;
    let err = PgStore::open(&url).await.unwrap_err().to_string();
    assert!(err.contains("downgrades are not supported"), "{err}");
}

#[actix_rt::test]
async fn a_url_that_is_not_postgres_names_the_flag_and_the_form() {
    let err = PgStore::open("postgres://[broken")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--db") && err.contains("postgres://user:password@host:port/database"),
        "{err}"
    );
}

#[actix_rt::test]
async fn the_home_counts_are_kept_by_triggers_on_postgres_too() {
    let Some(url) = pg::database().await else {
        return;
    };
    PgStore::open(&url).await.unwrap();
    sql(
        &url,
        "INSERT INTO workspaces (app_id, name, created_at) VALUES ('a', 'A', 0);
         INSERT INTO contacts (workspace_id, user_id, created_at, updated_at) VALUES (1, 'ada', 0, 0), (1, 'bob', 0, 0);
         INSERT INTO conversations (workspace_id, visitor_label, created_at, last_activity_at, started_at)
           VALUES (1, 'x', 0, 0, 0), (1, 'y', 0, 0, NULL), (1, 'z', 0, 0, 0);
         UPDATE conversations SET started_at = 5 WHERE visitor_label = 'y';
         UPDATE conversations SET status = 'closed' WHERE visitor_label = 'x';
         UPDATE conversations SET status = 'closed' WHERE visitor_label = 'x';
         DELETE FROM conversations WHERE visitor_label = 'z';
         DELETE FROM contacts WHERE user_id = 'bob';",
    )
    .await;
    assert_eq!(
        one(
            &url,
            "SELECT open_conversations || ' ' || contacts FROM workspace_counts"
        )
        .await,
        "1 1"
    );
}

// ---- The application on PostgreSQL, over HTTP ----

use replybubble_core::{signature, Mode, Plan};
use replybubble_server::service;
use replybubble_server::startup::{Application, Config};
use serde_json::{json, Value as Json};

/// Every instance on one PostgreSQL database shares the master key: given here as an operator
/// would (this test binary alone sets it).
fn master_key() {
    std::env::set_var(
        "REPLYBUBBLE_MASTER_KEY",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
    );
}

struct PgApp {
    base: String,
    state: actix_web::web::Data<replybubble_server::http::state::AppState>,
    client: awc::Client,
    app_id: String,
    secret: String,
}

/// The real application on 127.0.0.1:0 with `--db postgres://…`, and a Pro workspace in
/// Optional mode with a secret.
async fn pg_app(url: &str) -> PgApp {
    pg_app_with(Config::loopback(std::path::PathBuf::from(url))).await
}

async fn pg_app_with(config: Config) -> PgApp {
    master_key();
    let running = Application::start(config)
        .await
        .expect("the app starts on PostgreSQL");
    PgApp::with_workspace(running).await
}

impl PgApp {
    /// A Pro workspace in Optional mode with a secret, on a running server.
    async fn with_workspace(running: replybubble_server::startup::Running) -> PgApp {
        let services = &running.state.services;
        let app_id = replybubble_server::crypto::new_app_id();
        services
            .store
            .create_workspace(app_id.clone(), "Shop".into(), Plan::Pro, vec![], 0)
            .await
            .unwrap();
        let secret = service::workspace::new_secret(services, &app_id, false, None)
            .await
            .unwrap()
            .secret;
        service::workspace::set_mode(services, &app_id, Mode::Optional)
            .await
            .unwrap();
        PgApp {
            base: running.base,
            state: running.state,
            client: awc::Client::default(),
            app_id,
            secret,
        }
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Json) -> (u16, Json) {
        let mut req = self.client.request(
            method.parse().unwrap(),
            format!("{}/api/v1/widget/{path}", self.base),
        );
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = if method == "GET" {
            req.send().await.unwrap()
        } else {
            req.send_json(&body).await.unwrap()
        };
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Json::Null))
    }

    async fn session(&self) -> String {
        let (status, body) = self
            .call("POST", "session", None, json!({ "app_id": self.app_id }))
            .await;
        assert_eq!(status, 200, "{body}");
        body["visitor_token"].as_str().unwrap().to_owned()
    }

    /// A signed identify as `id` that keeps the session going: the verified identify that
    /// binds a session answers with a new `visitor_token` (the old one stops working), which
    /// replaces `token`.
    async fn verify(&self, token: &mut String, id: &str) -> (u16, Json) {
        let (status, body) = self
            .call("POST", "identify", Some(token), self.signed(id))
            .await;
        if let Some(fresh) = body["visitor_token"].as_str() {
            *token = fresh.to_owned();
        }
        (status, body)
    }

    fn signed(&self, id: &str) -> Json {
        json!({ "id": id, "signature": signature::sign(&self.secret, id), "name": id.to_uppercase() })
    }
}

#[actix_rt::test]
async fn the_widget_api_and_the_dashboard_data_work_on_postgres() {
    let Some(url) = pg::database().await else {
        return;
    };
    let app = pg_app(&url).await;
    let mut a = app.session().await;
    let anonymous = a.clone();
    let (status, body) = app.verify(&mut a, "ada").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("verified")),
        "{body}"
    );
    assert_ne!(a, anonymous, "the bound session has a new token");
    assert_eq!(
        app.call("GET", "messages", Some(&anonymous), Json::Null)
            .await
            .0,
        401,
        "the anonymous token no longer works"
    );
    assert_eq!(body["contact"]["name"], "ADA");
    let mut seqs = Vec::new();
    for text in ["one", "two", "three"] {
        let (status, body) = app
            .call("POST", "messages", Some(&a), json!({ "body": text }))
            .await;
        assert_eq!(status, 201, "{body}");
        seqs.push(body["seq"].as_i64().unwrap());
    }
    assert_eq!(seqs, [1, 2, 3]);
    let (_, page) = app
        .call("GET", "messages?after=1", Some(&a), Json::Null)
        .await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["two", "three"]);

    // The claim rule: bob on ada's session gets a new session; ada's token is over.
    let (status, body) = app
        .call("POST", "identify", Some(&a), app.signed("bob"))
        .await;
    assert_eq!(status, 200, "{body}");
    let b = body["visitor_token"]
        .as_str()
        .expect("a new session")
        .to_owned();
    assert_eq!(
        app.call("GET", "messages", Some(&a), Json::Null).await.0,
        401
    );
    let (_, first) = app
        .call("POST", "messages", Some(&b), json!({ "body": "hi" }))
        .await;
    assert_eq!(first["seq"], 1, "a new conversation counts from 1");
    let (status, reset) = app.call("POST", "reset", Some(&b), Json::Null).await;
    assert_eq!(status, 200);
    assert_ne!(reset["visitor_token"].as_str(), Some(b.as_str()));
    assert_eq!(
        app.call("GET", "messages", Some(&b), Json::Null).await.0,
        401
    );

    // What the dashboard reads.
    let store = &app.state.services.store;
    let ws = store.workspace(app.app_id.clone()).await.unwrap().unwrap();
    let home = store.home(ws.id, 0).await.unwrap();
    assert_eq!((home.open, home.contacts, home.identified_30d), (2, 2, 2));
    let (rows, more) = store.conversations(ws.id, true, None).await.unwrap();
    assert_eq!((rows.len(), more), (2, false));
    let ready = store.readiness(ws.id, 0).await.unwrap();
    assert_eq!((ready.users, ready.failing_users, ready.calls), (2, 0, 2));
    let counts = store.outcome_counts(ws.id, 0).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<i64>(), 2);

    // A data-subject request.
    let deleted = service::privacy::delete(&app.state.services, &app.app_id, "ada")
        .await
        .unwrap();
    assert_eq!(
        (deleted.contacts, deleted.conversations, deleted.messages),
        (1, 1, 3)
    );
    assert_eq!(store.home(ws.id, 0).await.unwrap().contacts, 1);
}

#[actix_rt::test]
async fn concurrent_identifies_on_one_bound_session_give_exactly_one_new_session_on_postgres() {
    let Some(url) = pg::database().await else {
        return;
    };
    let app = pg_app(&url).await;
    let mut a = app.session().await;
    assert_eq!(app.verify(&mut a, "ada").await.0, 200);
    let answers = futures_util::future::join_all((0..8).map(|i| {
        app.call(
            "POST",
            "identify",
            Some(&a),
            json!({ "id": format!("other{i}") }),
        )
    }))
    .await;
    let switched = answers
        .iter()
        .filter(|(_, b)| b["visitor_token"].is_string())
        .count();
    assert_eq!(switched, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, b)| b["visitor_token"].is_string() || *s == 401),
        "the others find the session ended: {answers:?}"
    );
}

#[actix_rt::test]
async fn concurrent_messages_in_one_conversation_get_consecutive_positions() {
    let Some(url) = pg::database().await else {
        return;
    };
    let app = pg_app(&url).await;
    let a = app.session().await;
    let answers = futures_util::future::join_all((0..20).map(|i| {
        app.call(
            "POST",
            "messages",
            Some(&a),
            json!({ "body": format!("m{i}") }),
        )
    }))
    .await;
    let mut seqs: Vec<i64> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 201, "{b}");
            b["seq"].as_i64().unwrap()
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
}

#[actix_rt::test]
async fn the_cli_administers_a_postgres_database_and_names_what_it_cannot_do() {
    let Some(url) = pg::database().await else {
        return;
    };
    let cli = |args: &[&str], key: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_replybubble"));
        c.args(["--json", "--db", &url]).args(args);
        c.env_remove("REPLYBUBBLE_MASTER_KEY")
            .env_remove("REPLYBUBBLE_MASTER_KEY_FILE");
        if key {
            c.env(
                "REPLYBUBBLE_MASTER_KEY",
                "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
            );
        }
        c.output().unwrap()
    };
    let out = cli(
        &["workspace", "create", "--name", "Shop", "--plan", "pro"],
        true,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ws: Json = serde_json::from_slice(&out.stdout).unwrap();
    let app_id = ws["app_id"].as_str().unwrap();
    let out = cli(&["verification", "generate-secret", app_id], true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Json = serde_json::from_slice(&cli(&["workspace", "list"], true).stdout).unwrap();
    assert_eq!(listed["workspaces"][0]["secret_version"], 1);
    // Without the key, a PostgreSQL database says where the key must come from.
    let out = cli(&["workspace", "list"], false);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("REPLYBUBBLE_MASTER_KEY"), "{err}");
    // Nothing in the output shows the password of the URL.
    assert!(!err.contains("replybubble-test"), "{err}");
    let out = cli(&["backup", "/tmp/never-written.db"], true);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

#[actix_rt::test]
async fn a_ticket_from_one_server_opens_a_stream_on_another_that_hears_every_server() {
    use futures_util::StreamExt;
    let Some(url) = pg::database().await else {
        return;
    };
    let a = pg_app(&url).await;
    // A second server on the same database.
    let b = Application::start(Config::loopback(std::path::PathBuf::from(&url)))
        .await
        .expect("a second instance starts");
    let token = a.session().await;
    let (status, body) = a
        .call("POST", "events/ticket", Some(&token), Json::Null)
        .await;
    assert_eq!(status, 200, "{body}");
    let ticket = body["ticket"].as_str().unwrap().to_owned();
    let client = awc::Client::default();
    let open = |base: &str| {
        client
            .get(format!("{base}/api/v1/widget/events?ticket={ticket}"))
            .send()
    };
    let mut stream = open(&b.base).await.unwrap();
    assert_eq!(
        stream.status().as_u16(),
        200,
        "redeemed on the other server"
    );
    assert_eq!(open(&a.base).await.unwrap().status().as_u16(), 401, "once");
    // Wait until B's stream is registered before writing through A.
    for _ in 0..100 {
        if b.state.services.hub.sizes().0 > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (status, _) = a
        .call(
            "POST",
            "messages",
            Some(&token),
            json!({ "body": "through A" }),
        )
        .await;
    assert_eq!(status, 201);
    let mut text = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while !text.contains("through A") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let chunk = tokio::time::timeout(left, stream.next())
            .await
            .expect("the message reaches the other server's stream within 1 s")
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(text.contains("id: 1\n"), "{text}");
    // A reset through A ends the stream B holds.
    assert_eq!(
        a.call("POST", "reset", Some(&token), Json::Null).await.0,
        200
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream on B ended with the session");
}

#[actix_rt::test]
async fn migrate_to_moves_a_sqlite_site_to_postgres_and_its_visitors_go_on() {
    let Some(url) = pg::database().await else {
        return;
    };
    master_key();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.db");
    // A site on SQLite: a verified visitor who wrote twice.
    let on_sqlite = PgApp::with_workspace(
        Application::start(Config::loopback(file.clone()))
            .await
            .unwrap(),
    )
    .await;
    let (app_id, secret) = (on_sqlite.app_id.clone(), on_sqlite.secret.clone());
    let mut token = on_sqlite.session().await;
    assert_eq!(on_sqlite.verify(&mut token, "ada").await.0, 200);
    for text in ["first", "second"] {
        assert_eq!(
            on_sqlite
                .call("POST", "messages", Some(&token), json!({ "body": text }))
                .await
                .0,
            201
        );
    }

    // A release from before the NUL rule could store one; PostgreSQL text cannot hold it.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute(
            "UPDATE contacts SET name = 'Ada' || char(0) || 'L' WHERE user_id = 'ada'",
            [],
        )
        .unwrap();
    let migrate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_replybubble"))
            .args(["--json", "--db"])
            .arg(&file)
            .args(["migrate-to", &url])
            .output()
            .unwrap()
    };
    let out = migrate();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tables"]["messages"], 2);
    assert_eq!(report["tables"]["contacts"], 1);
    assert_eq!(report["nul_replaced"], 1);
    assert_eq!(one(&url, "SELECT name FROM contacts").await, "Ada\u{FFFD}L");
    let again = migrate();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty database"));

    // The same site on PostgreSQL: the visitor's token, conversation, positions and verified
    // identity carry on; the secret opens with the same key.
    let b = Application::start(Config::loopback(std::path::PathBuf::from(&url)))
        .await
        .unwrap();
    let on_pg = PgApp {
        base: b.base,
        state: b.state,
        client: awc::Client::default(),
        app_id,
        secret,
    };
    let (status, page) = on_pg
        .call("GET", "messages", Some(&token), Json::Null)
        .await;
    assert_eq!(status, 200, "{page}");
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2]);
    let (_, next) = on_pg
        .call("POST", "messages", Some(&token), json!({ "body": "third" }))
        .await;
    assert_eq!(next["seq"], 3);
    let (status, body) = on_pg
        .call("POST", "identify", Some(&token), on_pg.signed("ada"))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("verified")),
        "{body}"
    );
    let home = on_pg
        .state
        .services
        .store
        .home(
            on_pg
                .state
                .services
                .store
                .workspace(on_pg.app_id.clone())
                .await
                .unwrap()
                .unwrap()
                .id,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        (home.open, home.contacts),
        (1, 1),
        "counts rebuilt by the triggers"
    );
    // A new workspace gets an id past the copied ones.
    let fresh = on_pg
        .state
        .services
        .store
        .create_workspace("app_fresh".into(), "New".into(), Plan::Free, vec![], 0)
        .await
        .unwrap();
    assert!(fresh.id > 1);
}

/// An agent message written straight into the (only) conversation, without the notice the store
/// sends.
async fn silent_message(url: &str, body: &str) {
    sql(
        url,
        &format!(
            "WITH c AS (UPDATE conversations SET last_seq = last_seq + 1 RETURNING id, last_seq)
             INSERT INTO messages (conversation_id, seq, author, body, created_at)
             SELECT id, last_seq, 'agent', '{body}', 0 FROM c"
        ),
    )
    .await;
}

/// What the notices should have said but did not (a notice lost with its connection): an open
/// stream's safety read finds the message it missed, sends it once, and ends the stream of a
/// session that ended.
#[actix_rt::test]
async fn a_streams_safety_read_finds_what_no_notice_announced() {
    use futures_util::StreamExt;
    let Some(url) = pg::database().await else {
        return;
    };
    let a = pg_app_with(Config {
        stream_safety_poll: std::time::Duration::from_millis(200),
        ..Config::loopback(std::path::PathBuf::from(&url))
    })
    .await;
    let token = a.session().await;
    let (_, ticket) = a
        .call("POST", "events/ticket", Some(&token), Json::Null)
        .await;
    let mut stream = a
        .client
        .get(format!(
            "{}/api/v1/widget/events?ticket={}",
            a.base,
            ticket["ticket"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let mut text = String::new();
    let mut read_until = async |needle: &str, text: &mut String| {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
        while !text.contains(needle) {
            let chunk = tokio::time::timeout_at(deadline, stream.next())
                .await
                .unwrap_or_else(|_| panic!("{needle:?} on the stream; got {text:?}"))
                .expect("the stream is open")
                .unwrap();
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    read_until("connected", &mut text).await;
    // A message written without a notice.
    silent_message(&url, "no notice said so").await;
    read_until("no notice said so", &mut text).await;
    assert!(text.contains("id: 1\n"), "{text}");
    // Announced as usual afterwards: the silent one is not sent again.
    assert_eq!(
        a.call(
            "POST",
            "messages",
            Some(&token),
            json!({ "body": "announced" })
        )
        .await
        .0,
        201
    );
    read_until("announced", &mut text).await;
    // Another silent one: a later safety read finds it, and sends nothing twice.
    silent_message(&url, "silent again").await;
    read_until("silent again", &mut text).await;
    assert!(text.contains("id: 3\n"), "{text}");
    assert_eq!(text.matches("no notice said so").count(), 1, "{text}");
    assert_eq!(text.matches("\"announced\"").count(), 1, "{text}");
    // The session ends without a notice: the next safety read ends the stream.
    sql(&url, "UPDATE sessions SET revoked_at = 1").await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended with the session");
}
