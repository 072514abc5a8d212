//! Abuse limits (DESIGN.md "Abuse limits and deployment"): per-IP limits before the body is
//! read, bounded JSON objects, and bounded event streams.

use futures_util::StreamExt;
use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, TestApp, Ws};

#[actix_rt::test]
async fn the_per_ip_limit_answers_before_the_body_is_read() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let burst = replybubble_server::policy::RATE_SESSION_PER_IP.burst;
    for _ in 0..burst {
        app.session(&ws).await;
    }
    let garbage = app
        .client
        .post(app.url("/api/v1/widget/session"))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{ this is not JSON")
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(
        garbage, 429,
        "limited before the body was parsed (else 400)"
    );
}

#[actix_rt::test]
async fn an_object_of_thousands_of_keys_is_a_field_error() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    for keys in [257usize, 5_800] {
        let pairs: Vec<String> = (0..keys).map(|i| format!("\"k{i}\":1")).collect();
        let body = format!("{{\"id\":\"u\",\"traits\":{{{}}}}}", pairs.join(","));
        let mut res = app
            .client
            .post(app.url("/api/v1/widget/identify"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .send_body(body)
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let err: serde_json::Value = res.json().limit(1 << 20).await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_field", "{err}");
        assert_eq!(err["error"]["field"], "body");
    }
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

async fn open_stream(
    app: &TestApp,
    token: &str,
) -> Result<
    awc::ClientResponse<
        impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
    >,
    u16,
> {
    let t = app
        .post("/api/v1/widget/events/ticket", Some(token), json!({}))
        .await;
    let mut res = app
        .client
        .get(app.url(&format!(
            "/api/v1/widget/events?ticket={}",
            t.body["ticket"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    if res.status().as_u16() != 200 {
        return Err(res.status().as_u16());
    }
    let hello = res.next().await.unwrap().unwrap();
    assert!(std::str::from_utf8(&hello).unwrap().contains("connected"));
    Ok(res)
}

async fn session(app: &TestApp, ws: &Ws) -> String {
    app.session(ws).await.0
}

#[actix_rt::test]
async fn a_session_holds_two_streams_and_an_address_twenty() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let token = session(&app, &ws).await;
    let mut first = open_stream(&app, &token).await.ok().unwrap();
    let _second = open_stream(&app, &token).await.ok().unwrap();
    let _third = open_stream(&app, &token).await.ok().unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(_)) = first.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the third stream closed the first");
    // 2 are open for this address; 18 more sessions with one each reach 20.
    let mut held = Vec::new();
    for _ in 0..18 {
        let t = session(&app, &ws).await;
        held.push((open_stream(&app, &t).await.ok().unwrap(), t));
    }
    let t = session(&app, &ws).await;
    assert_eq!(open_stream(&app, &t).await.err(), Some(429));
    // A stream that ends (here its session was reset) frees its place.
    let (_, ended) = held.pop().unwrap();
    let r = app
        .post("/api/v1/widget/reset", Some(&ended), json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert!(open_stream(&app, &t).await.is_ok());
}

#[cfg(unix)]
#[actix_rt::test]
async fn the_database_and_its_wal_and_shm_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    assert_eq!(app.send(&token, "hello").await.status, 201);
    let Some(file) = app.sqlite_file() else {
        return; // PostgreSQL keeps its files in its own data directory.
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let mode = std::fs::metadata(&name).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name:?} is {mode:o}");
    }
}

#[actix_rt::test]
async fn every_get_route_answers_head_with_the_headers_and_no_body() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/widget.js",
        "/static/dashboard.css",
        "/dashboard/login",
    ] {
        let get = app.client.get(app.url(path)).send().await.unwrap();
        let mut head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert!(head.body().await.unwrap().is_empty(), "{path}");
    }
}
