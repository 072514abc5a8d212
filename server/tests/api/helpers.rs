//! `spawn_app()`: the real application on 127.0.0.1:0 with a fresh database, and request
//! helpers. Set `TEST_LOG=1` to see the server's logs.

use std::path::PathBuf;

use actix_web::web;
use replybubble_server::startup::{AppState, Application, Config};
use serde_json::Value as Json;

pub struct TestApp {
    pub base: String,
    pub db: PathBuf,
    #[allow(dead_code)]
    pub state: web::Data<AppState>,
    pub client: awc::Client,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        replybubble_server::telemetry::init();
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("test.db");
    let app = Application::build(Config {
        addr: "127.0.0.1:0".into(),
        db: db.clone(),
        public_url: None,
        demo: false,
        rate_limits: false,
        workers: 1,
    })
    .expect("the app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    actix_rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        db,
        state,
        client: awc::Client::default(),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET, returning status and JSON body (Null when empty or not JSON).
    pub async fn get(&self, path: &str) -> (u16, Json) {
        let mut res = self.client.get(self.url(path)).send().await.unwrap();
        let body = res.body().await.unwrap();
        (
            res.status().as_u16(),
            serde_json::from_slice(&body).unwrap_or(Json::Null),
        )
    }
}
