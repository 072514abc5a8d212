//! The identity rules of the second wave (DESIGN.md "Conversations and contacts"), one test per
//! problem of the identity issue: the claim rule for every identify outcome, regenerate ending
//! verified status, expiring sessions and the sweep, and the per-IP limits of reset and the
//! contact form.

use replybubble_core::{Mode, Plan};
use serde_json::{json, Value as Json};

use crate::helpers::{sign, spawn_app, spawn_app_with, verified_chat, Res, TestApp};

/// The new session an answer (success or error) carries: (token, conversation).
fn new_session(r: &Res) -> (String, i64) {
    (
        r.body["visitor_token"]
            .as_str()
            .unwrap_or_else(|| panic!("a new visitor_token in {:?}", r.body))
            .to_owned(),
        r.body["conversation_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("a new conversation_id in {:?}", r.body)),
    )
}

/// What the claim rule promises once another user identified on A's session: A's token is
/// dead, the new session sees none of A's messages, and what it sends never reaches A.
async fn assert_switched(app: &TestApp, old: &str, conv_a: i64, r: &Res) {
    let (token, conv) = new_session(r);
    assert_ne!(token, old);
    assert_ne!(conv, conv_a);
    for res in [
        app.get("/api/v1/widget/messages?after=0", Some(old)).await,
        app.send(old, "still A?").await,
    ] {
        assert_eq!(res.status, 401, "A's session ended: {:?}", res.body);
    }
    let page = app
        .get("/api/v1/widget/messages?after=0", Some(&token))
        .await;
    assert_eq!(page.body, json!({ "messages": [] }), "none of A's messages");
    let sent = app.send(&token, "bob's words").await;
    if sent.status == 201 {
        assert_eq!(
            app.sql_count(&format!(
                "SELECT count(*) FROM messages WHERE conversation_id = {conv_a} AND body = 'bob''s words'"
            )).await,
            0
        );
    }
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {conv_a}"
        ))
        .await,
        1,
        "A's conversation holds only A's message"
    );
}

#[actix_rt::test]
async fn an_unsigned_identify_for_another_user_ends_the_verified_session() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "Alice's private order #123").await;
    let r = app
        .identify(&a, json!({ "id": "bob", "name": "Bob" }))
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("unverified"))
    );
    assert_eq!(r.body["prefill"]["name"], "Bob");
    assert_switched(&app, &a, conv_a, &r).await;
}

#[actix_rt::test]
async fn an_identify_with_the_same_id_keeps_the_session() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "hi").await;
    let r = app
        .identify(&a, json!({ "id": "alice", "name": "Alice" }))
        .await;
    assert_eq!(r.body["status"], "unverified");
    assert!(r.body.get("visitor_token").is_none(), "{:?}", r.body);
    let page = app.get("/api/v1/widget/messages?after=0", Some(&a)).await;
    assert_eq!(page.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(app.send(&a, "again").await.status, 201);
    let r = app
        .identify(&a, json!({ "id": "alice", "name": "x".repeat(201) }))
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_field"));
    assert!(r.body.get("visitor_token").is_none());
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM sessions WHERE conversation_id = {conv_a} AND revoked_at IS NULL"
        ))
        .await,
        1
    );
}

#[actix_rt::test]
async fn in_required_mode_a_rejected_identify_ends_the_session_and_the_next_send_is_refused() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let (a, conv_a) = verified_chat(&app, &ws, "erin", "erin's secret").await;
    let r = app.identify(&a, json!({ "id": "mallory" })).await;
    assert_eq!((r.status, r.code()), (403, "signature_missing"));
    let (token, _) = new_session(&r);
    let sent = app.send(&token, "as erin?").await;
    assert_eq!(
        (sent.status, sent.code()),
        (403, "verification_required"),
        "the new anonymous session may not write in Required mode"
    );
    assert_switched(&app, &a, conv_a, &r).await;
}

#[actix_rt::test]
async fn disabled_field_error_and_402_answers_also_switch() {
    let app = spawn_app().await;
    let mut ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    // A 400 field error for another id: the error body carries the new session.
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "a1").await;
    let r = app
        .identify(&a, json!({ "id": "bob", "name": "x".repeat(201) }))
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_field"));
    assert_eq!(r.body["error"]["field"], "name");
    assert_switched(&app, &a, conv_a, &r).await;
    // A body without any id on a bound session: not A, so it switches too.
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "a2").await;
    let r = app.identify(&a, json!({ "name": "Nobody" })).await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("id"))
    );
    assert_switched(&app, &a, conv_a, &r).await;
    // Mode Off: disabled, on a new session.
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "a3").await;
    app.set_mode(&ws, Mode::Off).await;
    let r = app
        .identify(&a, json!({ "id": "bob", "signature": sign(&ws, "bob") }))
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("disabled"))
    );
    assert_switched(&app, &a, conv_a, &r).await;
    // The workspace went back to free: 402, on a new session.
    app.set_mode(&ws, Mode::Optional).await;
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "a4").await;
    app.set_plan(&ws, Plan::Free).await;
    let r = app.identify(&a, json!({ "id": "bob" })).await;
    assert_eq!((r.status, r.code()), (402, "plan_upgrade_required"));
    assert_switched(&app, &a, conv_a, &r).await;
    // A verified switch still works as before (and links only the new conversation).
    app.set_plan(&ws, Plan::Pro).await;
    let _ = app.regenerate(&mut ws).await;
    let (a, conv_a) = verified_chat(&app, &ws, "alice", "a5").await;
    let r = app
        .identify(&a, json!({ "id": "bob", "signature": sign(&ws, "bob") }))
        .await;
    assert_eq!(r.body["status"], "verified");
    assert_switched(&app, &a, conv_a, &r).await;
}

#[actix_rt::test]
async fn two_users_identifying_at_once_on_a_bound_session_never_both_get_it() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    for round in 0..15 {
        let (a, conv_a) = verified_chat(&app, &ws, "alice", "alice only").await;
        let bob = json!({ "id": "bob" });
        let carol = json!({ "id": "carol", "signature": sign(&ws, "carol") });
        let (rb, rc) =
            futures_util::future::join(app.identify(&a, bob), app.identify(&a, carol)).await;
        let mut tokens = Vec::new();
        for r in [&rb, &rc] {
            match r.status {
                200 => tokens.push(new_session(r).0),
                401 => {}
                other => panic!("round {round}: unexpected {other} {:?}", r.body),
            }
        }
        assert_eq!(tokens.len(), 1, "round {round}: exactly one new session");
        for t in &tokens {
            let page = app.get("/api/v1/widget/messages?after=0", Some(t)).await;
            assert_eq!(page.body, json!({ "messages": [] }), "round {round}");
        }
        assert_eq!(
            app.sql_count(&format!(
                "SELECT count(*) FROM sessions WHERE conversation_id = {conv_a} AND revoked_at IS NULL"
            )).await,
            0,
            "round {round}: nobody holds A's conversation any more"
        );
    }
}

#[actix_rt::test]
async fn regenerating_the_secret_ends_verified_status_in_optional_mode() {
    let app = spawn_app().await;
    let mut ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv) = verified_chat(&app, &ws, "frank", "sent verified").await;
    app.regenerate(&mut ws).await;
    let resumed = app
        .post(
            "/api/v1/widget/session",
            Some(&token),
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!(resumed.body["verified"], false, "{:?}", resumed.body);
    assert_eq!(app.send(&token, "sent after regenerate").await.status, 201);
    let flags = |body: &str| {
        app.sql_count(format!(
            "SELECT verified FROM messages WHERE conversation_id = {conv} AND body = '{body}'"
        ))
    };
    assert_eq!(flags("sent verified").await, 1);
    assert_eq!(
        flags("sent after regenerate").await,
        0,
        "not shown as verified"
    );
    // Identify again with the new secret: verified again, same session.
    let r = app
        .identify(
            &token,
            json!({ "id": "frank", "signature": sign(&ws, "frank") }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
    assert!(r.body.get("visitor_token").is_none());
    assert_eq!(app.send(&token, "verified again").await.status, 201);
    assert_eq!(flags("verified again").await, 1);
    // An unsigned identify for the same user is answered truthfully after a regenerate.
    app.regenerate(&mut ws).await;
    let r = app.identify(&token, json!({ "id": "frank" })).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["verified"].as_bool()),
        (Some("unverified"), Some(false))
    );
}

#[actix_rt::test]
async fn in_required_mode_the_contact_form_is_refused_like_a_message() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let (token, conv) = app.session(&ws).await;
    let r = app
        .post(
            "/api/v1/widget/visitor",
            Some(&token),
            json!({ "name": "Mallory", "email": "ceo@victim.test" }),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "verification_required"));
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM conversations WHERE id = {conv} AND visitor_name IS NOT NULL"
        ))
        .await,
        0
    );
}

async fn age_session(app: &TestApp, token_conv: i64, days: i64) {
    app.sql_exec(&format!(
        "UPDATE sessions SET last_seen_at = last_seen_at - {} WHERE conversation_id = {token_conv}",
        days * 86_400_000
    ))
    .await;
}

#[actix_rt::test]
async fn sessions_unused_for_30_days_expire_and_the_sweep_deletes_their_empty_conversations() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (idle, idle_conv) = app.session(&ws).await;
    let (writer, writer_conv) = app.session(&ws).await;
    assert_eq!(app.send(&writer, "keep me").await.status, 201);
    let (recent, recent_conv) = app.session(&ws).await;
    age_session(&app, idle_conv, 31).await;
    age_session(&app, writer_conv, 31).await;
    age_session(&app, recent_conv, 29).await;
    for t in [&idle, &writer] {
        let r = app.get("/api/v1/widget/messages", Some(t)).await;
        assert_eq!(r.status, 401, "expired after 30 days unused");
    }
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&recent))
            .await
            .status,
        200
    );
    // Resuming with an expired token starts a new session (the widget does this by itself).
    let resumed = app
        .post(
            "/api/v1/widget/session",
            Some(&idle),
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!(resumed.status, 200);
    assert_ne!(resumed.body["visitor_token"].as_str(), Some(idle.as_str()));
    // A reset session's empty conversation goes too.
    let (reset_me, reset_conv) = app.session(&ws).await;
    assert_eq!(
        app.post("/api/v1/widget/reset", Some(&reset_me), json!({}))
            .await
            .status,
        200
    );
    let swept = replybubble_server::service::sweep(&app.state.services)
        .await
        .unwrap();
    assert_eq!((swept.sessions, swept.conversations), (3, 2), "{swept:?}");
    let exists = |id: i64| {
        app.sql_count(format!(
            "SELECT count(*) FROM conversations WHERE id = {id}"
        ))
    };
    assert_eq!(
        exists(idle_conv).await,
        0,
        "the never-started conversation is gone"
    );
    assert_eq!(exists(reset_conv).await, 0);
    assert_eq!(
        exists(writer_conv).await,
        1,
        "a started conversation is never swept"
    );
    assert_eq!(
        exists(recent_conv).await,
        1,
        "a live session keeps its conversation"
    );
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {writer_conv}"
        ))
        .await,
        1
    );
}

#[actix_rt::test]
async fn a_session_in_use_is_touched_so_it_does_not_expire() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv) = app.session(&ws).await;
    age_session(&app, conv, 29).await;
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&token))
            .await
            .status,
        200
    );
    age_session(&app, conv, 2).await;
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&token))
            .await
            .status,
        200,
        "the use 2 days ago was written down"
    );
}

async fn post_ip_limited(app: &TestApp, path: &str, token: &str, body: Json) -> u16 {
    app.post(path, Some(token), body).await.status
}

#[actix_rt::test]
async fn reset_counts_against_the_per_ip_session_limit() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (mut token, _) = app.session(&ws).await;
    let mut made = 1;
    let limited = loop {
        let r = app
            .post("/api/v1/widget/reset", Some(&token), json!({}))
            .await;
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 200, "{:?}", r.body);
        token = r.body["visitor_token"].as_str().unwrap().to_owned();
        made += 1;
        assert!(made <= 40, "chained resets are not limited");
    };
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(
        made as u32,
        replybubble_server::policy::RATE_SESSION_PER_IP.burst,
        "session + resets share the burst"
    );
    let r = app
        .post(
            "/api/v1/widget/session",
            None,
            json!({ "app_id": ws.app_id }),
        )
        .await;
    assert_eq!(r.status, 429, "and POST session is limited by the resets");
    assert_eq!(
        app.sql_count("SELECT count(*) FROM sessions").await as u32,
        replybubble_server::policy::RATE_SESSION_PER_IP.burst
    );
}

#[actix_rt::test]
async fn the_contact_form_has_a_per_ip_limit() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let burst = replybubble_server::policy::RATE_DETAILS_PER_IP.burst;
    let mut statuses = Vec::new();
    for i in 0..=burst {
        // A new session each time: the per-session limit never fires.
        let (token, _) = app.session(&ws).await;
        statuses.push(
            post_ip_limited(
                &app,
                "/api/v1/widget/visitor",
                &token,
                json!({ "name": format!("n{i}") }),
            )
            .await,
        );
    }
    assert!(
        statuses[..burst as usize].iter().all(|s| *s == 200),
        "{statuses:?}"
    );
    assert_eq!(statuses[burst as usize], 429);
}
