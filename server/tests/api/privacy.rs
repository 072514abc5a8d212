//! Data-subject tooling and retention: export and delete a contact (CLI-level service calls and
//! the dashboard's owner-only buttons), and the retention sweep.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app, TestApp, Ws};

/// Alice, verified, with two conversations and a failed identify; plus Bob, untouched.
async fn alice_and_bob(app: &TestApp, ws: &Ws) -> (i64, i64) {
    let mut convs = Vec::new();
    for text in ["first visit", "second visit"] {
        let (mut t, conv) = app.session(ws).await;
        app.verify(
            &mut t,
            json!({ "id": "alice", "signature": sign(ws, "alice"), "email": "alice@x.test" }),
        )
        .await;
        assert_eq!(app.send(&t, text).await.status, 201);
        convs.push(conv);
    }
    let (t, _) = app.session(ws).await;
    app.identify(&t, json!({ "id": "alice" })).await;
    let (mut b, _) = app.session(ws).await;
    app.verify(&mut b, json!({ "id": "bob", "signature": sign(ws, "bob") }))
        .await;
    assert_eq!(app.send(&b, "bob's words").await.status, 201);
    (convs[0], convs[1])
}

#[actix_rt::test]
async fn export_holds_everything_kept_about_a_contact_and_delete_removes_it_all() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    alice_and_bob(&app, &ws).await;
    let s = &app.state.services;
    let doc = replybubble_server::service::privacy::export(s, &ws.app_id, "alice")
        .await
        .unwrap();
    assert_eq!(doc["contact"]["user_id"], "alice");
    assert_eq!(doc["contact"]["email"], "alice@x.test");
    let convs = doc["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    let bodies: Vec<&str> = convs
        .iter()
        .flat_map(|c| c["messages"].as_array().unwrap())
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["first visit", "second visit"]);
    assert_eq!(doc["identify_events"].as_array().unwrap().len(), 3);
    assert!(
        !doc.to_string().contains("bob"),
        "nothing of another contact"
    );

    let deleted = replybubble_server::service::privacy::delete(s, &ws.app_id, "alice")
        .await
        .unwrap();
    assert_eq!(
        (
            deleted.contacts,
            deleted.conversations,
            deleted.messages,
            deleted.events
        ),
        (1, 2, 2, 3)
    );
    assert!(deleted.sessions >= 2);
    for sql in [
        "SELECT count(*) FROM contacts WHERE user_id = 'alice'",
        "SELECT count(*) FROM messages WHERE body LIKE '%visit'",
        "SELECT count(*) FROM identify_events WHERE user_id = 'alice'",
    ] {
        assert_eq!(app.sql_count(sql).await, 0, "{sql}");
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM messages WHERE body = 'bob''s words'")
            .await,
        1,
        "Bob is untouched"
    );
    assert!(
        replybubble_server::service::privacy::delete(s, &ws.app_id, "alice")
            .await
            .is_err()
    );
}

#[actix_rt::test]
async fn conversations_idle_past_the_retention_are_swept_with_their_messages() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (old, recent) = alice_and_bob(&app, &ws).await;
    let s = &app.state.services;
    replybubble_server::service::privacy::set_retention(s, &ws.app_id, Some(30))
        .await
        .unwrap();
    app.sql_exec(&format!(
        "UPDATE conversations SET last_activity_at = last_activity_at - {} WHERE id = {old}",
        31 * 86_400_000_i64
    ))
    .await;
    let swept = replybubble_server::service::sweep(s).await.unwrap();
    assert_eq!(swept.retained_out, 1);
    let count = |id: i64| {
        app.sql_count(format!(
            "SELECT count(*) FROM conversations WHERE id = {id}"
        ))
    };
    assert_eq!((count(old).await, count(recent).await), (0, 1));
    assert_eq!(
        app.sql_count("SELECT count(*) FROM messages WHERE body = 'first visit'")
            .await,
        0
    );
    replybubble_server::service::privacy::set_retention(s, &ws.app_id, None)
        .await
        .unwrap();
}
