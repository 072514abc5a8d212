//! `spawn_app()`: the real application on 127.0.0.1:0 with a fresh database, and request
//! helpers. Set `TEST_LOG=1` to see the server's logs.
//!
//! The engine is SQLite or PostgreSQL (`common/engine.rs`). Helpers that set up or read the
//! database go through the store's own interface, or run SQL both engines understand.

use actix_web::web;
use replybubble_core::{Mode, Plan};
use replybubble_server::http::state::AppState;
use replybubble_server::startup::{Application, Config};
use replybubble_server::store::Store;
use serde_json::{json, Value as Json};

use crate::engine::{Db, PG_MASTER_KEY};

pub struct TestApp {
    pub base: String,
    pub db: Db,
    #[allow(dead_code)]
    pub state: web::Data<AppState>,
    pub client: awc::Client,
    _dir: tempfile::TempDir,
}

/// A workspace made for a test, with its secret (when one was generated).
#[derive(Debug, Clone)]
pub struct Ws {
    pub app_id: String,
    pub secret: Option<String>,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub body: Json,
    pub headers: awc::http::header::HeaderMap,
}

impl Res {
    #[allow(dead_code)]
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(false).await
}

pub async fn spawn_app_with(rate_limits: bool) -> TestApp {
    spawn_app_config(|c| Config { rate_limits, ..c }).await
}

/// The app with `--smtp-url` pointing at `smtp_url`, its outbox worked every 100 ms.
#[allow(dead_code)]
pub async fn spawn_app_with_smtp(smtp_url: &str) -> TestApp {
    let url = smtp_url.to_owned();
    spawn_app_config(move |c| Config {
        smtp: Some(replybubble_server::startup::Smtp {
            url,
            from: "chat@acme.test".into(),
        }),
        email_poll: std::time::Duration::from_millis(100),
        ..c
    })
    .await
}

pub async fn spawn_app_config(config: impl FnOnce(Config) -> Config) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        replybubble_server::telemetry::init();
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Db::new(dir.path()).await;
    if matches!(db, Db::Postgres(_)) && std::env::var_os("REPLYBUBBLE_MASTER_KEY").is_none() {
        std::env::set_var("REPLYBUBBLE_MASTER_KEY", PG_MASTER_KEY);
    }
    let running = Application::start(config(Config::loopback(db.arg())))
        .await
        .expect("the app starts");
    let (base, state) = (running.base, running.state);
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .disable_redirects()
        .finish();
    TestApp {
        base,
        db,
        state,
        client,
        _dir: dir,
    }
}

#[allow(dead_code)]
impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The store the server runs on.
    pub fn store(&self) -> &dyn Store {
        self.state.services.store.as_ref()
    }

    /// The SQLite file, or None on PostgreSQL (for the few checks only a file has).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        match &self.db {
            Db::Sqlite(file) => Some(file),
            Db::Postgres(_) => None,
        }
    }

    /// Creates a workspace through the store (as the CLI does).
    pub async fn workspace(&self, plan: Plan, mode: Mode, origins: &[&str]) -> Ws {
        let app_id = replybubble_server::crypto::new_app_id();
        let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
        self.store()
            .create_workspace(app_id.clone(), "Test".into(), plan, origins, 0)
            .await
            .unwrap();
        let mut ws = Ws {
            app_id,
            secret: None,
        };
        if plan != Plan::Free {
            self.regenerate(&mut ws).await;
            self.set_mode(&ws, mode).await;
        }
        ws
    }

    /// A secret as the server stores it: sealed with its master key.
    pub fn seal(&self, app_id: &str, secret: &str) -> String {
        self.state
            .services
            .secrets
            .seal(secret, &replybubble_server::service::secret_context(app_id))
    }

    pub async fn set_mode(&self, ws: &Ws, mode: Mode) {
        self.store()
            .set_mode(ws.app_id.clone(), mode)
            .await
            .unwrap();
    }

    pub async fn set_plan(&self, ws: &Ws, plan: Plan) {
        self.store()
            .set_plan(ws.app_id.clone(), plan)
            .await
            .unwrap();
    }

    /// Regenerates the secret and returns the new one.
    pub async fn regenerate(&self, ws: &mut Ws) -> String {
        let s = replybubble_server::crypto::new_secret();
        let version = self
            .store()
            .workspace(ws.app_id.clone())
            .await
            .unwrap()
            .expect("the workspace exists")
            .secret_version;
        self.store()
            .replace_secret(ws.app_id.clone(), self.seal(&ws.app_id, &s), version, None)
            .await
            .unwrap();
        ws.secret = Some(s.clone());
        s
    }

    /// An agent login on `ws` with `password`.
    pub async fn agent(&self, ws: &Ws, email: &str, role: &str, password: &str) {
        self.store()
            .create_agent(
                ws.app_id.clone(),
                email.into(),
                role.parse().unwrap(),
                replybubble_server::crypto::hash_password(password),
                0,
            )
            .await
            .unwrap();
    }

    /// The rows a query both engines understand returns, as text.
    pub async fn sql_rows(&self, sql: impl AsRef<str>) -> Vec<Vec<Option<String>>> {
        self.db.rows(sql).await
    }

    /// The first value of the first row, a number.
    pub async fn sql_count(&self, sql: impl AsRef<str>) -> i64 {
        self.db.count(sql).await
    }

    /// Runs a statement both engines understand (a test moving time in the data).
    pub async fn sql_exec(&self, sql: impl AsRef<str>) {
        self.sql_rows(sql).await;
    }

    async fn finish(
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
                + Unpin,
        >,
    ) -> Res {
        let body = res.body().limit(10 << 20).await.unwrap();
        Res {
            status: res.status().as_u16(),
            body: serde_json::from_slice(&body).unwrap_or(Json::Null),
            headers: res.headers().clone(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        Self::finish(req.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Json) -> Res {
        let mut req = self.client.post(self.url(path));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        Self::finish(req.send_json(&body).await.unwrap()).await
    }

    /// A POST with a body sent as given, under `content_type` (malformed or oversized bodies).
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<actix_web::web::Bytes>,
    ) -> Res {
        let mut req = self
            .client
            .post(self.url(path))
            .insert_header(("Content-Type", content_type.to_owned()));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        Self::finish(req.send_body(body.into()).await.unwrap()).await
    }

    /// A new anonymous session: (token, conversation id).
    pub async fn session(&self, ws: &Ws) -> (String, i64) {
        let r = self
            .post(
                "/api/v1/widget/session",
                None,
                json!({ "app_id": ws.app_id }),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        (
            r.body["visitor_token"].as_str().unwrap().to_owned(),
            r.body["conversation_id"].as_i64().unwrap(),
        )
    }

    pub async fn identify(&self, token: &str, user: Json) -> Res {
        self.post("/api/v1/widget/identify", Some(token), user)
            .await
    }

    /// An identify that keeps the session going: a verified identify that binds the session
    /// answers with a new `visitor_token` (the old one stops working), so `token` becomes it.
    /// A claim-rule switch also carries one (a new session); the caller reads its
    /// `conversation_id` from the answer.
    pub async fn verify(&self, token: &mut String, user: Json) -> Res {
        let r = self.identify(token, user).await;
        if let Some(new) = r.body["visitor_token"].as_str() {
            *token = new.to_owned();
        }
        r
    }

    pub async fn send(&self, token: &str, body: &str) -> Res {
        self.post(
            "/api/v1/widget/messages",
            Some(token),
            json!({ "body": body }),
        )
        .await
    }
}

/// A session verified as `id` that wrote `text`: (the token it got when it signed in, its
/// conversation). Signing in rotated the token and kept the conversation.
#[allow(dead_code)]
pub async fn verified_chat(app: &TestApp, ws: &Ws, id: &str, text: &str) -> (String, i64) {
    let (anonymous, conv) = app.session(ws).await;
    let mut token = anonymous.clone();
    let r = app
        .verify(&mut token, json!({ "id": id, "signature": sign(ws, id) }))
        .await;
    assert_eq!(r.body["status"], "verified", "{:?}", r.body);
    assert_eq!(r.body["conversation_id"], conv, "the same conversation");
    assert_ne!(
        token, anonymous,
        "a verified identify answers with a new token"
    );
    assert_eq!(app.send(&token, text).await.status, 201);
    (token, conv)
}

/// The signature of `id` under `secret`, computed by python3's hmac module.
pub fn python_sign(secret: &str, id: &str) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())", secret, id])
        .output()
        .expect("python3");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The signature of `id` under `secret`, computed by node's crypto module.
pub fn node_sign(secret: &str, id: &str) -> String {
    let out = std::process::Command::new("node")
        .args(["-e", "process.stdout.write(require('crypto').createHmac('sha256', process.argv[1]).update(process.argv[2]).digest('hex'))", secret, id])
        .output()
        .expect("node");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A signature made by the core signer.
pub fn sign(ws: &Ws, id: &str) -> String {
    replybubble_core::signature::sign(ws.secret.as_deref().unwrap(), id)
}
