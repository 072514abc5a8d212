use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_rt::test]
async fn a_session_is_anonymous_with_a_visitor_label_and_a_long_random_token() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let r = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!(r.status, 200);
    let token = r.body["visitor_token"].as_str().unwrap();
    assert!(token.len() >= 32 + 4, "at least 128 random bits: {token}");
    let label = r.body["visitor_label"].as_str().unwrap();
    assert!(
        label.starts_with("Visitor #")
            && label.len() == 14
            && label[9..].chars().all(|c| c.is_ascii_hexdigit()),
        "{label}"
    );
    assert_eq!(r.body["mode"], "optional");
    assert_eq!(r.body["plan"], "pro");
    assert!(r.body["conversation_id"].as_i64().unwrap() > 0);
    // Stored only as a hash.
    let rows = format!("{:?}", app.sql_rows("SELECT * FROM sessions").await);
    assert!(!rows.contains(token), "{rows}");
    if let Some(file) = app.sqlite_file() {
        let raw = std::fs::read(file).unwrap();
        let wal = std::fs::read(file.with_extension("db-wal")).unwrap_or_default();
        let needle = token.as_bytes();
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle)
                && !wal.windows(needle.len()).any(|w| w == needle)
        );
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM sessions WHERE length(token_hash) = 32")
            .await,
        1
    );
}

#[actix_rt::test]
async fn a_reload_resumes_the_same_session_and_label() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let first = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id }),
        )
        .await;
    let token = first.body["visitor_token"].as_str().unwrap();
    let again = app
        .post(
            "/api/v1/widget/session",
            Some(token),
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!(again.body["conversation_id"], first.body["conversation_id"]);
    assert_eq!(again.body["visitor_label"], first.body["visitor_label"]);
    // A token of another workspace does not resume: a new session starts.
    let other = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let fresh = app
        .post(
            "/api/v1/widget/session",
            Some(token),
            json!({ "app_id": other.app_id }),
        )
        .await;
    assert_ne!(fresh.body["conversation_id"], first.body["conversation_id"]);
}

#[actix_rt::test]
async fn unknown_apps_and_bad_app_ids_are_named() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": "app_nope" }),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "unknown_app"));
    let r = app.post("/api/v1/widget/session", None, json!({})).await;
    assert_eq!((r.status, r.code()), (400, "invalid_field"));
    assert_eq!(r.body["error"]["field"], "app_id");
    let r = app
        .post("/api/v1/widget/session", None, json!({ "app_id": 7 }))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("must be a string"));
}

#[actix_rt::test]
async fn missing_garbage_and_unknown_tokens_get_401_on_every_endpoint() {
    let app = spawn_app().await;
    for token in [
        None,
        Some("garbage"),
        Some("rbv_0000000000000000000000000000000000000000000000000000000000000000"),
    ] {
        for (method, path) in [
            ("POST", "/api/v1/widget/identify"),
            ("POST", "/api/v1/widget/reset"),
            ("POST", "/api/v1/widget/messages"),
            ("GET", "/api/v1/widget/messages"),
            ("POST", "/api/v1/widget/events/ticket"),
        ] {
            let r = if method == "GET" {
                app.get(path, token).await
            } else {
                app.post(path, token, json!({ "id": "u", "body": "x" }))
                    .await
            };
            assert_eq!(
                (r.status, r.code()),
                (401, "unauthorized"),
                "{method} {path} {token:?}"
            );
            assert!(r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("session"));
        }
    }
}
