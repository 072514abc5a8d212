//! Support for the end-to-end tests: the real ReplyBubble server on port 0 with a temporary
//! database, a host page served from another origin, and headless Chromium driven through
//! chromedriver (fantoccini).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use fantoccini::{Client, ClientBuilder};
use replybubble_server::startup::{AppState, Application, Config};
use serde_json::{json, Value as Json};

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
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("e2e.db");
        let app = Application::build(Config {
            addr: "127.0.0.1:0".into(),
            db: db.clone(),
            public_url: None,
            demo: false,
            rate_limits: false,
            workers: 2,
        })
        .expect("the server builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        actix_rt::spawn(app.run_until_stopped());
        Server {
            base,
            db,
            state,
            _dir: dir,
        }
    }
}

/// Serves `html` at `/` on another port of 127.0.0.1: another origin than the server's.
pub fn host_page(html: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let html = html.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(html)
                }
            }),
        )
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
