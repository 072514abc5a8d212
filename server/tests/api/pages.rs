//! `POST /api/v1/widget/page` and the appearance the `session` answer carries (DESIGN.md
//! "Frontend SDK": Pages, Appearance).

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_rt::test]
async fn a_page_is_recorded_for_the_sessions_conversation_and_the_start_page_stays() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, conv) = app.session(&ws).await;
    let page = |url: &str, title: &str| json!({ "url": url, "title": title });
    let r = app
        .post(
            "/api/v1/widget/page",
            Some(&token),
            page("https://a.example/", "Home"),
        )
        .await;
    assert_eq!(r.status, 204);
    let row = |sql: &str| {
        let sql = format!("{sql} FROM conversations WHERE id = {conv}");
        let app = &app;
        async move { app.sql_rows(sql).await.remove(0) }
    };
    assert_eq!(
        row("SELECT page_url, page_title, start_page_url").await,
        [
            Some("https://a.example/".into()),
            Some("Home".into()),
            Some("https://a.example/".into())
        ]
    );
    // Not started yet: the start page follows; once a message started it, it stays.
    app.post(
        "/api/v1/widget/page",
        Some(&token),
        page("https://a.example/help", "Help"),
    )
    .await;
    assert_eq!(app.send(&token, "hi").await.status, 201);
    app.post(
        "/api/v1/widget/page",
        Some(&token),
        page("https://a.example/cart", ""),
    )
    .await;
    assert_eq!(
        row("SELECT page_url, page_title, start_page_url").await,
        [
            Some("https://a.example/cart".into()),
            Some("".into()),
            Some("https://a.example/help".into())
        ]
    );
    // A page is no activity: the conversation list keeps its order.
    let before = row("SELECT last_activity_at").await;
    app.post(
        "/api/v1/widget/page",
        Some(&token),
        page("https://a.example/x", "X"),
    )
    .await;
    assert_eq!(row("SELECT last_activity_at").await, before);
}

#[actix_rt::test]
async fn a_wrong_page_is_refused_naming_the_field_and_an_ended_session_is_401() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, conv) = app.session(&ws).await;
    for (body, field) in [
        (json!({ "url": "javascript:alert(1)", "title": "x" }), "url"),
        (json!({ "url": "/relative", "title": "x" }), "url"),
        (json!({ "title": "x" }), "url"),
        (json!({ "url": 5 }), "url"),
        (
            json!({ "url": format!("https://a.example/{}", "x".repeat(2048)) }),
            "url",
        ),
        (
            json!({ "url": "https://a.example/", "title": "t".repeat(301) }),
            "title",
        ),
        (
            json!({ "url": "https://a.example/", "title": "a\u{0}b" }),
            "title",
        ),
    ] {
        let r = app
            .post("/api/v1/widget/page", Some(&token), body.clone())
            .await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.code(), "invalid_field");
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    assert_eq!(
        app.sql_count(format!(
            "SELECT count(*) FROM conversations WHERE id = {conv} AND page_url IS NOT NULL"
        ))
        .await,
        0
    );
    let none = app
        .post(
            "/api/v1/widget/page",
            None,
            json!({ "url": "https://a.example/" }),
        )
        .await;
    assert_eq!(none.status, 401);
    let reset = app
        .post("/api/v1/widget/reset", Some(&token), json!({}))
        .await;
    assert_eq!(reset.status, 200);
    let ended = app
        .post(
            "/api/v1/widget/page",
            Some(&token),
            json!({ "url": "https://a.example/" }),
        )
        .await;
    assert_eq!(ended.status, 401, "the old session's token is revoked");
}

#[actix_rt::test]
async fn the_session_carries_the_appearance_in_the_visitors_language() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let session = |locale: Option<&str>| {
        let mut body = json!({ "app_id": ws.app_id });
        if let Some(l) = locale {
            body["locale"] = json!(l);
        }
        let app = &app;
        async move { app.post("/api/v1/widget/session", None, body).await }
    };
    let en = session(None).await;
    let a = &en.body["appearance"];
    assert_eq!(
        (
            &a["color"],
            &a["on_color"],
            &a["position"],
            &a["offset_x"],
            &a["offset_y"],
            &a["z_index"],
            &a["locale"]
        ),
        (
            &json!("#4f46e5"),
            &json!("#ffffff"),
            &json!("right"),
            &json!(20),
            &json!(20),
            &json!(2147483000u32),
            &json!("en")
        )
    );
    assert_eq!(a["strings"]["title"], "Chat with us");
    assert_eq!(
        a["strings"].as_object().unwrap().len(),
        22,
        "every string the widget shows"
    );
    for (tag, lang, title) in [
        ("de-AT", "de", "Chatten Sie mit uns"),
        ("fr", "fr", "Discutons"),
        ("es-419", "es", "Chatea con nosotros"),
        ("ja-JP", "en", "Chat with us"),
    ] {
        let r = session(Some(tag)).await;
        assert_eq!(r.body["appearance"]["locale"], lang, "{tag}");
        assert_eq!(r.body["appearance"]["strings"]["title"], title, "{tag}");
    }
    let bad = session(Some(&"x".repeat(36))).await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (400, Some("locale"))
    );
    let bad = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id, "locale": 7 }),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (400, Some("locale"))
    );
    // A light colour gets dark text.
    app.store()
        .set_appearance(ws.app_id.clone(), {
            let mut a = replybubble_core::appearance::Appearance::default();
            a.set("color", "#fde047").unwrap();
            a
        })
        .await
        .unwrap();
    assert_eq!(
        session(None).await.body["appearance"]["on_color"],
        "#111827"
    );
}
