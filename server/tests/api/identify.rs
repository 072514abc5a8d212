//! Every row of DESIGN.md's decision table, over HTTP.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{node_sign, python_sign, sign, spawn_app};

#[actix_rt::test]
async fn row_1_free_plan_is_402_before_anything_else() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, _) = app.session(&ws).await;
    for user in [
        json!({ "id": "u1" }),
        json!({ "id": "u1", "signature": "a".repeat(64) }),
    ] {
        let r = app.identify(&token, user).await;
        assert_eq!((r.status, r.code()), (402, "plan_upgrade_required"));
    }
    // Even in a stored Required mode from a former Pro plan.
    let pro = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    app.set_plan(&pro, Plan::Free).await;
    let (token, _) = app.session(&pro).await;
    let r = app.identify(&token, json!({ "id": "u1" })).await;
    assert_eq!(r.status, 402);
}

#[actix_rt::test]
async fn row_2_mode_off_is_disabled_whatever_the_signature() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Off, &[]).await;
    let (token, _) = app.session(&ws).await;
    for user in [
        json!({ "id": "u1" }),
        json!({ "id": "u1", "signature": sign(&ws, "u1") }),
    ] {
        let r = app.identify(&token, user).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({ "status": "disabled" }));
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts").await, 0);
}

#[actix_rt::test]
async fn rows_3_and_5_a_valid_signature_verifies_and_links_the_conversation() {
    let app = spawn_app().await;
    for (plan, mode) in [
        (Plan::Pro, Mode::Optional),
        (Plan::Enterprise, Mode::Required),
    ] {
        let ws = app.workspace(plan, mode, &[]).await;
        let (token, conversation) = app.session(&ws).await;
        let r = app
            .identify(&token, json!({
                "id": "user_42", "signature": sign(&ws, "user_42"), "email": "ada@example.com",
                "name": "Ada", "company": "ACME", "phone": "+1 555", "traits": { "plan": "gold", "seats": 3, "vip": true }
            }))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["status"], "verified");
        assert_eq!(r.body["verified"], true);
        assert_eq!(r.body["conversation_id"], conversation);
        assert_eq!(
            r.body["contact"],
            json!({ "id": "user_42", "email": "ada@example.com", "name": "Ada", "company": "ACME", "phone": "+1 555" })
        );
        // The same conversation under a new token (no session fixation): the anonymous token
        // stops working, the new one reads the same conversation.
        let fresh = r.body["visitor_token"]
            .as_str()
            .expect("a new token for the bound session");
        assert_ne!(fresh, token);
        assert_eq!(
            app.get("/api/v1/widget/messages", Some(&token))
                .await
                .status,
            401,
            "the anonymous token no longer works"
        );
        let page = app.get("/api/v1/widget/messages", Some(fresh)).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        assert_eq!(page.body, json!({ "messages": [] }));
        let sent = app.send(fresh, "hello").await;
        assert_eq!(sent.status, 201, "{:?}", sent.body);
        assert_eq!(
            app.sql_count(&format!(
                "SELECT count(*) FROM messages WHERE conversation_id = {conversation} AND verified"
            ))
            .await,
            1,
            "the new token writes verified into the same conversation"
        );
    }
    assert_eq!(
        app.sql_count("SELECT count(*) FROM conversations WHERE contact_id IS NOT NULL")
            .await,
        2
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM contacts WHERE traits LIKE '%\"seats\":3%'")
            .await,
        2
    );
}

#[actix_rt::test]
async fn row_4_optional_missing_or_invalid_is_unverified_with_prefill_and_no_contact() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let r = app
        .identify(
            &token,
            json!({ "id": "u1", "email": "a@b.co", "name": "Al", "company": "Co", "phone": "1" }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({ "status": "unverified", "verified": false, "reason": "signature_missing",
                "prefill": { "email": "a@b.co", "name": "Al", "company": "Co", "phone": "1" } })
    );
    let r = app
        .identify(
            &token,
            json!({ "id": "u1", "email": "a@b.co", "signature": sign(&ws, "a@b.co") }),
        )
        .await;
    assert_eq!(r.body["reason"], "signature_invalid");
    assert_eq!(r.body["hint"], "signed_email");
    let r = app
        .identify(
            &token,
            json!({ "id": " u1 ", "signature": sign(&ws, "u1") }),
        )
        .await;
    assert_eq!(r.body["hint"], "id_whitespace");
    let r = app
        .identify(&token, json!({ "id": "u1", "signature": "not-hex" }))
        .await;
    assert_eq!(r.body["hint"], "malformed_signature");
    let r = app
        .identify(
            &token,
            json!({ "id": "u1", "signature": replybubble_core::signature::sign("wrong", "u1") }),
        )
        .await;
    assert_eq!(r.body["reason"], "signature_invalid");
    assert!(r.body.get("hint").is_none());
    assert_eq!(
        app.sql_count("SELECT count(*) FROM contacts").await,
        0,
        "unverified creates no contact"
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM conversations WHERE contact_id IS NOT NULL")
            .await,
        0
    );
}

#[actix_rt::test]
async fn row_6_required_missing_or_invalid_is_403_with_the_hint() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let (token, _) = app.session(&ws).await;
    let r = app.identify(&token, json!({ "id": "u1" })).await;
    assert_eq!((r.status, r.code()), (403, "signature_missing"));
    let r = app
        .identify(
            &token,
            json!({ "id": "u1", "email": "a@b.co", "signature": sign(&ws, "a@b.co") }),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "signature_invalid"));
    assert_eq!(r.body["error"]["hint"], "signed_email");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sign the user id"));
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts").await, 0);
}

#[actix_rt::test]
async fn a_field_error_is_a_400_that_names_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let cases = [
        (json!({ "id": 42 }), "id", "pass String(id)"),
        (
            json!({ "id": "é".repeat(513) }),
            "id",
            "at most 512 characters (got 513)",
        ),
        (
            json!({ "id": "u", "name": "x".repeat(201) }),
            "name",
            "name must be at most 200 characters (got 201)",
        ),
        (json!({ "id": "u", "email": "nope" }), "email", "@"),
        (
            json!({ "id": "u", "traits": { "a": { "nested": 1 } } }),
            "traits.a",
            "string, number or boolean",
        ),
        (json!(["u"]), "user", "object"),
    ];
    for (user, field, text) in cases {
        let r = app.identify(&token, user).await;
        assert_eq!((r.status, r.code()), (400, "invalid_field"));
        assert_eq!(r.body["error"]["field"], field);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(text),
            "{}",
            r.body
        );
    }
    assert!(
        app.identify(&token, json!({ "id": "é".repeat(512) }))
            .await
            .status
            == 200,
        "512 é is a valid id"
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts").await, 0);
}

#[actix_rt::test]
async fn signatures_from_python_hmac_and_node_crypto_are_accepted() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let secret = ws.secret.clone().unwrap();
    for (who, id) in [
        ("python", "Ünïcødé-用户-🙂"),
        ("node", "user 42 with spaces"),
        ("python", "42"),
    ] {
        let sig = if who == "python" {
            python_sign(&secret, id)
        } else {
            node_sign(&secret, id)
        };
        assert_eq!(sig.len(), 64, "{who} signed");
        let (mut token, _) = app.session(&ws).await;
        let r = app
            .verify(&mut token, json!({ "id": id, "signature": sig }))
            .await;
        assert_eq!(r.body["status"], "verified", "{who} {id}: {}", r.body);
        let r = app
            .identify(&token, json!({ "id": id, "signature": sig.to_uppercase() }))
            .await;
        assert_eq!(r.body["status"], "verified", "upper-case hex");
    }
}

#[actix_rt::test]
async fn contacts_are_keyed_by_user_id_only_and_an_email_never_links() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (mut a, _) = app.session(&ws).await;
    app.verify(&mut a, json!({ "id": "alice", "signature": sign(&ws, "alice"), "email": "shared@example.com", "name": "Alice" })).await;
    // Someone claims Alice's email without a signature: nothing links, nothing changes.
    let (m, conv_m) = app.session(&ws).await;
    let r = app
        .identify(
            &m,
            json!({ "id": "alice", "email": "shared@example.com", "name": "Mallory" }),
        )
        .await;
    assert_eq!(r.body["status"], "unverified");
    assert_eq!(
        app.sql_count(&format!(
            "SELECT count(*) FROM conversations WHERE id = {conv_m} AND contact_id IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.sql_count("SELECT count(*) FROM contacts WHERE name = 'Alice'")
            .await,
        1
    );
    // Another verified user with the same email is another contact.
    let (b, _) = app.session(&ws).await;
    app.identify(
        &b,
        json!({ "id": "bob", "signature": sign(&ws, "bob"), "email": "shared@example.com" }),
    )
    .await;
    assert_eq!(
        app.sql_count("SELECT count(*) FROM contacts WHERE email = 'shared@example.com'")
            .await,
        2
    );
    // The latest values win for the fields that were sent; the others are kept.
    let r = app
        .identify(
            &a,
            json!({ "id": "alice", "signature": sign(&ws, "alice"), "company": "ACME" }),
        )
        .await;
    assert_eq!(r.body["status"], "verified", "{:?}", r.body);
    assert_eq!(app.sql_count("SELECT count(*) FROM contacts WHERE user_id = 'alice' AND name = 'Alice' AND company = 'ACME'").await, 1);
}

#[actix_rt::test]
async fn every_identify_outcome_is_recorded_without_the_signature() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let good = sign(&ws, "u1");
    let bad = sign(&ws, "mail@x.io");
    // One visitor each (a session bound to u1 would be replaced by the next user's identify).
    for user in [
        json!({ "id": "u1", "signature": good }),
        json!({ "id": "u2" }),
        json!({ "id": "u3", "email": "mail@x.io", "signature": bad }),
        json!({ "id": "u4", "name": "x".repeat(300) }),
    ] {
        let (token, _) = app.session(&ws).await;
        app.identify(&token, user).await;
    }
    let rows = app
        .sql_rows("SELECT user_id, result, code, hint FROM identify_events ORDER BY id")
        .await;
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        rows,
        vec![
            vec![s("u1"), s("verified"), None, None],
            vec![s("u2"), s("unverified"), s("signature_missing"), None],
            vec![
                s("u3"),
                s("unverified"),
                s("signature_invalid"),
                s("signed_email")
            ],
            vec![s("u4"), s("invalid"), s("invalid_field"), s("name")],
        ]
    );
    let dump = format!("{:?}", app.sql_rows("SELECT * FROM identify_events").await);
    assert!(!dump.contains(&good) && !dump.contains(&bad), "{dump}");
}
