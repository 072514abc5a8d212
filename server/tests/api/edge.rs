//! The web edge: CORS, body limits, malformed input, unknown paths, rate limits.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[actix_rt::test]
async fn preflights_are_answered_and_any_origin_is_allowed_when_none_are_configured() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let res = app
        .client
        .request(
            awc::http::Method::OPTIONS,
            app.url("/api/v1/widget/identify"),
        )
        .insert_header(("Origin", "https://shop.example.com"))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization, content-type",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://shop.example.com"
    );
    let allow = res
        .headers()
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allow.contains("authorization") && allow.contains("content-type"),
        "{allow}"
    );
    let res = app
        .client
        .post(app.url("/api/v1/widget/session"))
        .insert_header(("Origin", "https://anything.example"))
        .send_json(&json!({ "app_id": ws.app_id }))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://anything.example"
    );
}

#[actix_rt::test]
async fn a_workspace_with_allowed_origins_refuses_the_others() {
    let app = spawn_app().await;
    let ws = app
        .workspace(Plan::Free, Mode::Off, &["https://shop.example.com"])
        .await;
    let post = |origin: &'static str| {
        app.client
            .post(app.url("/api/v1/widget/session"))
            .insert_header(("Origin", origin))
            .send_json(&json!({ "app_id": ws.app_id }))
    };
    assert_eq!(
        post("https://shop.example.com")
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let mut res = post("https://evil.example").await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    // A token taken elsewhere does not work from a foreign origin either.
    let (token, _) = app.session(&ws).await;
    let res = app
        .client
        .get(app.url("/api/v1/widget/messages"))
        .insert_header(("Origin", "https://evil.example"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[actix_rt::test]
async fn oversize_malformed_and_mistyped_bodies_get_json_errors_never_500() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let url = app.url("/api/v1/widget/identify");
    let auth = ("Authorization", format!("Bearer {token}"));
    // identify reads every body the field limits allow (IDENTIFY_BODY_MAX_BYTES); the other
    // widget calls stop at WIDGET_JSON_MAX_BYTES.
    let big = json!({ "id": "u", "traits": { "x": "y".repeat(replybubble_core::limits::IDENTIFY_BODY_MAX_BYTES) } });
    let over_widget = "y".repeat(replybubble_server::policy::WIDGET_JSON_MAX_BYTES);
    let read_but_invalid = json!({ "id": "u", "traits": { "x": over_widget } });
    let cases: Vec<(awc::ClientRequest, String, u16, &str)> = vec![
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("application/json"),
            big.to_string(),
            413,
            "payload_too_large",
        ),
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("application/json"),
            read_but_invalid.to_string(),
            400,
            "invalid_field",
        ),
        (
            app.client
                .post(app.url("/api/v1/widget/messages"))
                .insert_header(auth.clone())
                .content_type("application/json"),
            json!({ "body": over_widget }).to_string(),
            413,
            "payload_too_large",
        ),
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("application/json"),
            "{\"id\": ".into(),
            400,
            "malformed_json",
        ),
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("application/json"),
            "not json".into(),
            400,
            "malformed_json",
        ),
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("text/plain"),
            "{\"id\":\"u\"}".into(),
            415,
            "unsupported_media_type",
        ),
        (
            app.client.post(&url).insert_header(auth.clone()),
            "{\"id\":\"u\"}".into(),
            415,
            "unsupported_media_type",
        ),
        (
            app.client
                .post(&url)
                .insert_header(auth.clone())
                .content_type("application/json"),
            "{\"id\": true}".into(),
            400,
            "invalid_field",
        ),
        (
            app.client
                .post(app.url("/api/v1/widget/session"))
                .content_type("application/json"),
            "[1,2]".into(),
            400,
            "invalid_field",
        ),
    ];
    for (req, body, status, code) in cases {
        let mut res = req.send_body(body.clone()).await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            status,
            "{}",
            &body[..body.len().min(40)]
        );
        let json: serde_json::Value = res.json().limit(1 << 20).await.unwrap();
        assert_eq!(json["error"]["code"], code);
        assert!(json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[actix_rt::test]
async fn unknown_paths_are_json_404s() {
    let app = spawn_app().await;
    for path in ["/api/v1/widget/nope", "/nope", "/api/v2/widget/session"] {
        let r = app.get(path, None).await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{path}");
    }
}

#[actix_rt::test]
async fn rate_limits_answer_429_with_retry_after_and_can_be_switched_off() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let mut limited = None;
    for _ in 0..(replybubble_server::policy::RATE_IDENTIFY_PER_TOKEN.burst + 5) {
        let r = app.identify(&token, json!({ "id": "u" })).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("identify is rate limited per token");
    assert_eq!(r.code(), "rate_limited");
    let retry: u64 = r
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Another session is not affected.
    let (other, _) = app.session(&ws).await;
    assert_eq!(app.identify(&other, json!({ "id": "u" })).await.status, 200);
    // Off: the same burst passes.
    let off = spawn_app().await;
    let ws = off.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = off.session(&ws).await;
    for _ in 0..(replybubble_server::policy::RATE_IDENTIFY_PER_TOKEN.burst + 5) {
        assert_eq!(off.identify(&token, json!({ "id": "u" })).await.status, 200);
    }
}

#[actix_rt::test]
async fn session_creation_is_rate_limited_per_ip() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let burst = replybubble_server::policy::RATE_SESSION_PER_IP.burst;
    for _ in 0..burst {
        let r = app
            .post(
                "/api/v1/widget/session",
                None,
                json!({ "app_id": ws.app_id }),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let r = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!((r.status, r.code()), (429, "rate_limited"));
    assert!(r.headers.get("retry-after").is_some());
}
