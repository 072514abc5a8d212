//! Hostile input over real HTTP: every widget endpoint fed malformed, truncated, deeply nested,
//! invalid-UTF-8, NUL-laden, huge-keyed, huge-numbered, mistyped, oversized bodies, garbage
//! tokens and odd headers. Each answer is a 4xx in the JSON error shape, never a 5xx; the server
//! stays up; and what is stored comes back byte for byte.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app, TestApp};

/// A raw request: (method, path, content type, body, extra headers).
struct Raw {
    method: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

async fn send(app: &TestApp, token: &str, r: &Raw) -> (u16, serde_json::Value) {
    let method = awc::http::Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut req = app
        .client
        .request(method, app.url(r.path))
        .insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(ct) = r.content_type {
        req = req.insert_header(("Content-Type", ct));
    }
    for (k, v) in &r.headers {
        req = req.insert_header((*k, v.clone()));
    }
    let mut res = req.send_body(r.body.clone()).await.unwrap();
    let body = res.body().limit(1 << 20).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

fn nested(depth: usize) -> Vec<u8> {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}

fn many_keys(n: usize) -> Vec<u8> {
    let pairs: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
    format!("{{\"id\":\"u\",{}}}", pairs.join(",")).into_bytes()
}

#[actix_rt::test]
async fn every_hostile_body_gets_a_4xx_in_the_json_error_shape_and_the_server_stays_up() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let json_ct = Some("application/json");
    let bodies: Vec<(&str, Option<&'static str>, Vec<u8>)> = vec![
        ("malformed", json_ct, b"{\"id\": ".to_vec()),
        ("truncated string", json_ct, b"{\"id\":\"abc".to_vec()),
        ("not JSON at all", json_ct, b"hello".to_vec()),
        ("empty", json_ct, Vec::new()),
        ("nested 5,000 deep", json_ct, nested(5_000)),
        ("invalid UTF-8", json_ct, b"{\"id\":\"\xff\xfe\"}".to_vec()),
        ("lone surrogate", json_ct, br#"{"id":"\ud800"}"#.to_vec()),
        ("NUL byte raw", json_ct, b"{\"id\":\"a\x00b\"}".to_vec()),
        ("10,000 keys", json_ct, many_keys(10_000)),
        ("5,800 keys", json_ct, many_keys(5_800)),
        ("huge number", json_ct, br#"{"id":1e999}"#.to_vec()),
        (
            "long integer",
            json_ct,
            br#"{"id":123456789012345678901234567890}"#.to_vec(),
        ),
        ("array body", json_ct, b"[1,2,3]".to_vec()),
        ("null body", json_ct, b"null".to_vec()),
        (
            "wrong types",
            json_ct,
            br#"{"id":["x"],"traits":"no","body":{}}"#.to_vec(),
        ),
        ("text/plain", Some("text/plain"), br#"{"id":"u"}"#.to_vec()),
        (
            "form",
            Some("application/x-www-form-urlencoded"),
            b"id=u".to_vec(),
        ),
        ("no content type", None, br#"{"id":"u"}"#.to_vec()),
        ("oversize", json_ct, {
            let mut b = br#"{"id":""#.to_vec();
            b.extend(std::iter::repeat_n(b'a', 70_000));
            b.extend(br#""}"#);
            b
        }),
    ];
    let endpoints = [
        "/api/v1/widget/session",
        "/api/v1/widget/identify",
        "/api/v1/widget/messages",
        "/api/v1/widget/visitor",
    ];
    for path in endpoints {
        for (what, content_type, body) in &bodies {
            let raw = Raw {
                method: "POST",
                path,
                content_type: *content_type,
                body: body.clone(),
                headers: Vec::new(),
            };
            let (status, err) = send(&app, &token, &raw).await;
            assert!(
                (400..500).contains(&status),
                "{path} with {what}: {status} {err}"
            );
            assert!(
                err["error"]["code"].is_string() && err["error"]["message"].is_string(),
                "{path} with {what}: not the JSON error shape: {err}"
            );
        }
    }
    // Garbage tokens and odd headers.
    let long = "x".repeat(8_000);
    let odd: Vec<(&str, Vec<(&'static str, String)>)> = vec![
        ("a garbage token", vec![]),
        (
            "Basic auth",
            vec![("Authorization", "Basic dXNlcjpwYXNz".into())],
        ),
        ("empty bearer", vec![("Authorization", "Bearer ".into())]),
        (
            "a long bearer",
            vec![("Authorization", format!("Bearer {long}"))],
        ),
        ("a bad origin", vec![("Origin", "null".into())]),
        (
            "a bad forwarded-for",
            vec![("X-Forwarded-For", "not-an-ip, ::::".into())],
        ),
        (
            "a bad last-event-id",
            vec![("Last-Event-ID", "-1; DROP".into())],
        ),
    ];
    for (what, headers) in odd {
        for (method, path) in [
            ("GET", "/api/v1/widget/messages"),
            ("POST", "/api/v1/widget/events/ticket"),
            ("GET", "/api/v1/widget/events?ticket=%00%ff"),
            ("GET", "/api/v1/widget/messages?after=99999999999999999999"),
            ("GET", "/api/v1/widget/messages?after=%2D1"),
        ] {
            let raw = Raw {
                method,
                path,
                content_type: None,
                body: Vec::new(),
                headers: headers.clone(),
            };
            let token = if what == "a garbage token" {
                "rbv_\u{1F600}garbage"
            } else {
                &token
            };
            let (status, err) = send(&app, token, &raw).await;
            assert!(status < 500, "{method} {path} with {what}: {status} {err}");
        }
    }
    assert_eq!(app.get("/healthz", None).await.status, 200, "still up");
}

#[actix_rt::test]
async fn what_is_stored_comes_back_byte_for_byte() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let texts = [
        "controls \u{1}\u{7}\u{1b}[31m inside",
        "emoji 👩🏽‍💻 and flags 🇩🇪",
        "RTL עברית with \u{202E}override",
        "combining e\u{301} vs é",
        "<script>alert(1)</script> & \"quotes\" 'single'",
        "line\nbreaks\r\nand\ttabs",
        "\u{FEFF}BOM and zero\u{200B}width",
        "𝓾𝓷𝓲𝓬𝓸𝓭𝓮 outside the BMP",
    ];
    for text in texts {
        let r = app.send(&token, text).await;
        assert_eq!(r.status, 201, "{text:?}: {:?}", r.body);
    }
    let page = app
        .get("/api/v1/widget/messages?after=0", Some(&token))
        .await;
    let back: Vec<&str> = page.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(back, texts);
    // Identify fields too: the contact holds exactly what was sent.
    let name = "Zoë \u{7f} <b>Ünïcödé</b> 名前";
    let id = "ü-𝓾\u{1}";
    let r = app
        .identify(
            &token,
            json!({ "id": id, "signature": sign(&ws, id), "name": name }),
        )
        .await;
    assert_eq!(r.body["status"], "verified", "{:?}", r.body);
    assert_eq!(r.body["contact"]["name"], name);
    assert_eq!(r.body["contact"]["id"], id);
    let stored = app.sql_rows("SELECT name FROM contacts").await[0][0]
        .clone()
        .unwrap();
    assert_eq!(stored.as_bytes(), name.as_bytes());
}

/// U+0000 is the one character no text field takes (PostgreSQL cannot store it): a 400 that
/// names the field, and nothing stored, on both engines.
#[actix_rt::test]
async fn a_nul_character_is_a_400_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let r = app.send(&token, "NUL \u{0}inside").await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.body["error"]["field"], "body", "{:?}", r.body);
    assert_eq!(app.sql_count("SELECT count(*) FROM messages").await, 0);
    for (field, user) in [
        (
            "id",
            json!({ "id": "a\u{0}", "signature": sign(&ws, "a\u{0}") }),
        ),
        (
            "name",
            json!({ "id": "a", "signature": sign(&ws, "a"), "name": "\u{0}" }),
        ),
        (
            "email",
            json!({ "id": "a", "signature": sign(&ws, "a"), "email": "a\u{0}@b.c" }),
        ),
        (
            "traits.plan",
            json!({ "id": "a", "signature": sign(&ws, "a"), "traits": { "plan": "x\u{0}" } }),
        ),
    ] {
        let r = app.identify(&token, user).await;
        assert_eq!(r.status, 400, "{field}: {:?}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{:?}", r.body);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("U+0000"),
            "{:?}",
            r.body
        );
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts").await, 0);
    // The contact form too.
    let r = app
        .post(
            "/api/v1/widget/visitor",
            Some(&token),
            json!({ "name": "Al\u{0}", "email": "al@example.com" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("name"))
    );
    assert_eq!(app.get("/healthz", None).await.status, 200);
}
