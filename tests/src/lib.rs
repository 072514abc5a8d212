//! Support for the end-to-end tests: the real ReplyBubble server on port 0 with a temporary
//! database, a host page served from another origin, and headless Chromium driven through
//! chromedriver (fantoccini).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use fantoccini::{Client, ClientBuilder};
use replybubble_core::{Mode, Plan};
use replybubble_server::http::state::AppState;
use replybubble_server::startup::{Application, Config};
use replybubble_server::store::sqlite::workspaces;
use serde_json::{json, Value as Json};

/// The password of the dashboard logins the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// The real server on 127.0.0.1:0 with a fresh database.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The SQLite file.
    pub db: PathBuf,
    /// Shared state (the store, for agent replies).
    pub state: web::Data<AppState>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server on the current actix runtime.
    pub async fn start() -> Server {
        Server::start_with(false).await
    }

    /// Starts the server, with the demo workspace and site when `demo` is set.
    pub async fn start_with(demo: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("e2e.db");
        let running = Application::start(Config {
            demo,
            ..Config::loopback(db.clone())
        })
        .await
        .expect("the server starts");
        Server {
            base: running.base,
            db,
            state: running.state,
            _dir: dir,
        }
    }
}

impl Server {
    fn conn(&self) -> rusqlite::Connection {
        replybubble_server::store::sqlite::open_and_migrate(&self.db).unwrap()
    }

    /// Creates a workspace (as the CLI does) and returns (app id, secret).
    pub fn workspace(&self, plan: Plan, mode: Mode) -> (String, String) {
        let conn = self.conn();
        let app_id = replybubble_server::crypto::new_app_id();
        workspaces::create(&conn, &app_id, "E2E", Plan::Pro, &[], 0).unwrap();
        let secret = replybubble_server::crypto::new_secret();
        let sealed = self.state.services.secrets.seal(
            &secret,
            &replybubble_server::service::secret_context(&app_id),
        );
        workspaces::store_secret(&conn, &app_id, &sealed).unwrap();
        workspaces::set_mode(&conn, &app_id, mode).unwrap();
        workspaces::set_plan(&conn, &app_id, plan).unwrap();
        (app_id, secret)
    }

    /// Changes a workspace's mode.
    pub fn set_mode(&self, app_id: &str, mode: Mode) {
        workspaces::set_mode(&self.conn(), app_id, mode).unwrap();
    }

    /// A number from the database.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A text (or NULL) from the database.
    pub fn sql_text(&self, sql: &str) -> Option<String> {
        self.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A dashboard login of the workspace with the password [`PASSWORD`]: its agent id.
    pub async fn create_agent(
        &self,
        app_id: &str,
        email: &str,
        role: replybubble_server::store::Role,
    ) -> i64 {
        self.state
            .services
            .store
            .create_agent(
                app_id.to_owned(),
                email.to_owned(),
                role,
                replybubble_server::crypto::hash_password(PASSWORD),
                0,
            )
            .await
            .unwrap()
    }

    /// An agent of the workspace who chose online and has a dashboard open now.
    pub async fn agent_online(&self, app_id: &str, email: &str) {
        let id = self
            .create_agent(app_id, email, replybubble_server::store::Role::Agent)
            .await;
        replybubble_server::service::presence::set_presence(
            &self.state.services,
            id,
            replybubble_server::store::Presence::Online,
        )
        .await
        .unwrap();
    }

    /// Sets business hours as the CLI does: a time zone and one entry per day, Monday first.
    pub async fn set_hours(&self, app_id: &str, zone: &str, days: [Option<&str>; 7], hide: bool) {
        replybubble_server::service::presence::set_hours(
            &self.state.services,
            app_id,
            replybubble_server::service::presence::HoursChange::Week {
                time_zone: zone,
                days,
            },
            Some(hide),
        )
        .await
        .unwrap();
    }

    /// Changes a workspace's appearance as the dashboard and the CLI do: `(field, value)` pairs.
    pub async fn set_appearance(&self, app_id: &str, changes: &[(&str, &str)]) {
        replybubble_server::service::workspace::set_appearance(
            &self.state.services,
            app_id,
            changes,
        )
        .await
        .unwrap();
    }

    /// An agent reply through the store, as the dashboard sends it.
    pub async fn agent_reply(&self, conversation_id: i64, body: &str) -> i64 {
        let ws = self.sql_i64(&format!(
            "SELECT workspace_id FROM conversations WHERE id = {conversation_id}"
        ));
        replybubble_server::service::post_agent_reply(
            &self.state.services,
            ws,
            conversation_id,
            None,
            body,
        )
        .await
        .unwrap()
        .id
    }

    /// Waits up to 10 s until `n` event streams of a conversation are open (a widget's and a
    /// dashboard's), so that what a test sends next can only arrive live.
    pub async fn wait_for_streams(&self, conversation_id: i64, n: usize) {
        for _ in 0..200 {
            if self.state.services.hub.open_streams(conversation_id) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} event streams of conversation {conversation_id} never opened");
    }

    /// Ends every event stream of the sessions of a conversation (as a network drop would).
    pub fn drop_streams(&self, conversation_id: i64) {
        let session = self.sql_i64(&format!(
            "SELECT id FROM sessions WHERE conversation_id = {conversation_id} AND revoked_at IS NULL"
        ));
        self.state
            .services
            .hub
            .close(replybubble_server::hub::StreamOwner::Visitor(session));
    }
}

/// A host page on another origin that pastes the snippet for `app_id`, then runs `script`.
/// `async_snippet` chooses between the documented async tag and a blocking one (with which
/// the page's next script is guaranteed to run before the wasm is loaded).
pub fn snippet_page(
    server: &Server,
    app_id: &str,
    async_snippet: bool,
    head: &str,
    script: &str,
) -> String {
    host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Host</title>{head}</head>
<body><h1>Host page</h1><p class="launcher panel">host content</p>
<script {asyncness} src="{base}/widget.js" data-app-id="{app_id}"></script>
<script>{script}</script></body></html>"#,
        base = server.base,
        asyncness = if async_snippet { "async" } else { "" },
    ))
}

/// Serves `html` at `/` on another port of 127.0.0.1: another origin than the server's.
pub fn host_page(html: String) -> String {
    host_site(vec![("/", "text/html; charset=utf-8", html)], Vec::new())
}

/// Serves each `(path, content type, body)` on another port of 127.0.0.1, every answer with
/// `headers` (a `Content-Security-Policy`, say): the URL of `/`.
pub fn host_site(files: Vec<(&str, &str, String)>, headers: Vec<(String, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let files: Vec<(String, String, String)> = files
        .into_iter()
        .map(|(p, t, b)| (p.to_owned(), t.to_owned(), b))
        .collect();
    let server = HttpServer::new(move || {
        let mut app = App::new();
        for (path, content_type, body) in files.clone() {
            let headers = headers.clone();
            app = app.route(
                &path,
                web::get().to(move || {
                    let (content_type, body, headers) =
                        (content_type.clone(), body.clone(), headers.clone());
                    async move {
                        let mut res = HttpResponse::Ok();
                        res.content_type(content_type);
                        for h in headers {
                            res.insert_header(h);
                        }
                        res.body(body)
                    }
                }),
            );
        }
        app
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_rt::spawn(server);
    url
}

/// A chromedriver process and one headless Chromium session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (1280x900).
    pub async fn start() -> Browser {
        Browser::start_with(json!({})).await
    }

    /// A session whose profile has allowed notifications from every site, as an agent who
    /// clicked "Allow" once.
    pub async fn start_with_notifications() -> Browser {
        Browser::start_with(json!({ "profile.default_content_setting_values.notifications": 1 }))
            .await
    }

    async fn start_with(prefs: Json) -> Browser {
        let port = free_port();
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin} (run `cargo xtask setup`): {e}"));
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "prefs": prefs,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900"]
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser { client, driver }
    }

    /// Runs `script` (a function body; `return` a value or a Promise) and returns its result.
    pub async fn eval(&self, script: &str) -> Json {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Awaits `expr` (a JS expression giving a Promise) and returns
    /// `{ "ok": value }` or `{ "err": { status, code, field, hint, message, isError } }`.
    pub async fn call(&self, expr: &str) -> Json {
        self.eval(&format!(
            "return ({expr}).then(function (v) {{ return {{ ok: v }}; }}, function (e) {{ return {{ err: {{ status: e.status, code: e.code, field: e.field || null, hint: e.hint || null, message: String(e.message), isError: e instanceof Error }} }}; }});"
        ))
        .await
    }

    /// Evaluates `expr` inside the widget's shadow root (`r` in the expression).
    pub async fn shadow(&self, expr: &str) -> Json {
        self.eval(&format!(
            "var h = document.querySelector('replybubble-root'); if (!h) return null; var r = h.shadowRoot; return ({expr});"
        ))
        .await
    }

    /// The texts of the messages on screen, in order.
    pub async fn messages(&self) -> Vec<String> {
        let v = self.shadow("Array.from(r.querySelectorAll('.m p')).map(function (p) { return p.textContent; })").await;
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Waits up to 10 s for `condition` (a JS expression) to be truthy.
    pub async fn wait_for(&self, condition: &str) {
        let script = format!("return !!({condition});");
        for _ in 0..200 {
            if self.eval(&script).await == Json::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {condition}");
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// What [`FaultProxy`] answers instead of the server, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An error status with a JSON error body (and CORS headers, as the server would).
    Status(u16),
    /// The connection is closed without an answer.
    Drop,
}

/// A reverse proxy on another port of 127.0.0.1 in front of the server, which answers chosen
/// requests with a [`Fault`] instead: what a browser sees when a call fails (a 413 from a proxy,
/// a 500, a dropped connection) without any test switch in the server. One request a
/// connection (`Connection: close` both ways), streams included.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: load `widget.js` from here and every call goes through it.
    pub base: String,
    armed: std::sync::Arc<std::sync::Mutex<Vec<(String, Fault)>>>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream: std::net::SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("an http://IP:PORT upstream");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let armed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let faults = armed.clone();
        actix_rt::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                actix_rt::spawn(proxy_one(client, upstream, faults.clone()));
            }
        });
        FaultProxy { base, armed }
    }

    /// The next `POST` to `path` (e.g. `/api/v1/widget/identify`) gets `fault`.
    pub fn arm(&self, path: &str, fault: Fault) {
        self.armed.lock().unwrap().push((path.to_owned(), fault));
    }

    /// Whether every armed fault was used.
    pub fn spent(&self) -> bool {
        self.armed.lock().unwrap().is_empty()
    }
}

async fn proxy_one(
    mut client: tokio::net::TcpStream,
    upstream: std::net::SocketAddr,
    faults: std::sync::Arc<std::sync::Mutex<Vec<(String, Fault)>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let fault = (method == "POST")
        .then(|| {
            let mut armed = faults.lock().unwrap();
            let i = armed.iter().position(|(p, _)| *p == path)?;
            Some(armed.remove(i).1)
        })
        .flatten();
    match fault {
        Some(Fault::Drop) => {}
        Some(Fault::Status(status)) => {
            let body = format!(
                r#"{{"error":{{"code":"injected_{status}","message":"a fault the test proxy answered"}}}}"#
            );
            let origin = header("origin").unwrap_or_else(|| "*".into());
            let answer = format!(
                "HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: {origin}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        None => {
            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            // One request per connection: the server closes after answering.
            let mut request = String::from(&request_line);
            request.push_str("\r\n");
            for line in head.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
                let name = line.split(':').next().unwrap_or_default().trim();
                if !name.eq_ignore_ascii_case("connection")
                    && !name.eq_ignore_ascii_case("keep-alive")
                {
                    request.push_str(line);
                    request.push_str("\r\n");
                }
            }
            request.push_str("Connection: close\r\n\r\n");
            if server.write_all(request.as_bytes()).await.is_err()
                || server.write_all(&buf[head_end..]).await.is_err()
            {
                return;
            }
            let _ = tokio::io::copy(&mut server, &mut client).await;
            let _ = client.shutdown().await;
        }
    }
}
