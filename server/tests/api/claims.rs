//! The claim rules: one owner per conversation, new sessions for other users, reset.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app};

#[actix_rt::test]
async fn identifying_the_same_user_twice_is_idempotent() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (mut token, conv) = app.session(&ws).await;
    let anonymous = token.clone();
    let user = json!({ "id": "alice", "signature": sign(&ws, "alice") });
    let mut first = app.verify(&mut token, user.clone()).await;
    assert_ne!(token, anonymous, "binding the session gives it a new token");
    let second = app.identify(&token, user).await;
    assert_eq!(second.status, 200, "{:?}", second.body);
    assert!(
        second.body.get("visitor_token").is_none(),
        "the same user again keeps the token: {:?}",
        second.body
    );
    first.body.as_object_mut().unwrap().remove("visitor_token");
    assert_eq!(first.body, second.body);
    assert_eq!(second.body["conversation_id"], conv);
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts").await, 1);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM sessions WHERE revoked_at IS NULL")
            .await,
        1
    );
}

#[actix_rt::test]
async fn another_user_on_a_claimed_session_gets_a_new_session_and_never_sees_the_old_messages() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (mut token_a, conv_a) = app.session(&ws).await;
    app.verify(
        &mut token_a,
        json!({ "id": "alice", "signature": sign(&ws, "alice") }),
    )
    .await;
    assert_eq!(
        app.send(&token_a, "Alice's private order #123")
            .await
            .status,
        201
    );
    let r = app
        .identify(
            &token_a,
            json!({ "id": "bob", "signature": sign(&ws, "bob") }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
    let token_b = r.body["visitor_token"]
        .as_str()
        .expect("a new session for Bob")
        .to_owned();
    let conv_b = r.body["conversation_id"].as_i64().unwrap();
    assert_ne!(conv_b, conv_a);
    assert_eq!(r.body["contact"]["id"], "bob");
    let page = app
        .get("/api/v1/widget/messages?after=0", Some(&token_b))
        .await;
    assert_eq!(
        page.body,
        json!({ "messages": [] }),
        "Bob reads none of Alice's messages"
    );
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&token_a))
            .await
            .status,
        401,
        "Alice's session in this browser ended"
    );
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = {conv_a} AND k.user_id = 'alice'"
        )).await,
        1,
        "the claimed conversation is never relinked"
    );
}

#[actix_rt::test]
async fn concurrent_identifies_for_two_users_on_one_conversation_give_exactly_one_owner() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (sig_a, sig_b) = (sign(&ws, "alice"), sign(&ws, "bob"));
    for round in 0..40 {
        let (token, conv) = app.session(&ws).await;
        let (ra, rb) = tokio::join!(
            app.identify(&token, json!({ "id": "alice", "signature": sig_a })),
            app.identify(&token, json!({ "id": "bob", "signature": sig_b })),
        );
        let kept: Vec<_> = [&ra, &rb]
            .into_iter()
            .filter(|r| r.body["conversation_id"] == conv)
            .collect();
        assert_eq!(
            kept.len(),
            1,
            "round {round}: exactly one keeps the conversation: {:?} {:?}",
            ra.body,
            rb.body
        );
        let moved = if ra.body["conversation_id"] == conv {
            &rb
        } else {
            &ra
        };
        if moved.status == 200 {
            assert!(
                moved.body["visitor_token"].is_string(),
                "the other user got a new session"
            );
        } else {
            assert_eq!(moved.status, 401, "or found the session already replaced");
        }
        let owners = app
            .sql_count(&format!(
                "SELECT count(contact_id) FROM conversations WHERE id = {conv}"
            ))
            .await;
        assert_eq!(owners, 1);
    }
}

#[actix_rt::test]
async fn reset_revokes_the_old_token_at_once_and_starts_a_fresh_anonymous_conversation() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (mut token, conv) = app.session(&ws).await;
    app.verify(
        &mut token,
        json!({ "id": "alice", "signature": sign(&ws, "alice") }),
    )
    .await;
    assert_eq!(app.send(&token, "hello").await.status, 201);
    let r = app
        .post("/api/v1/widget/reset", Some(&token), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let fresh = r.body["visitor_token"].as_str().unwrap();
    assert_ne!(fresh, token);
    assert_ne!(r.body["conversation_id"], conv);
    assert_eq!(r.body["verified"], false);
    assert!(r.body["visitor_label"]
        .as_str()
        .unwrap()
        .starts_with("Visitor #"));
    for path in ["/api/v1/widget/messages", "/api/v1/widget/reset"] {
        let old = if path.ends_with("reset") {
            app.post(path, Some(&token), json!({})).await
        } else {
            app.get(path, Some(&token)).await
        };
        assert_eq!(old.status, 401, "{path}");
    }
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(fresh)).await.body,
        json!({ "messages": [] })
    );
}
