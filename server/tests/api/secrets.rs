//! Secrets, versions and modes through the API.

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app};

#[actix_rt::test]
async fn after_regenerate_the_old_secret_fails_at_once() {
    let app = spawn_app().await;
    let mut ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let old_sig = sign(&ws, "alice");
    let (token, _) = app.session(&ws).await;
    assert_eq!(
        app.identify(&token, json!({ "id": "alice", "signature": old_sig }))
            .await
            .status,
        200
    );
    app.regenerate(&mut ws).await;
    let (token2, _) = app.session(&ws).await;
    let r = app
        .identify(&token2, json!({ "id": "alice", "signature": old_sig }))
        .await;
    assert_eq!((r.status, r.code()), (403, "signature_invalid"));
    let r = app
        .identify(
            &token2,
            json!({ "id": "alice", "signature": sign(&ws, "alice") }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
}

#[actix_rt::test]
async fn a_session_verified_under_an_old_secret_must_identify_again_to_send_in_required_mode() {
    let app = spawn_app().await;
    let mut ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let (mut token, _) = app.session(&ws).await;
    app.verify(
        &mut token,
        json!({ "id": "alice", "signature": sign(&ws, "alice") }),
    )
    .await;
    assert_eq!(app.send(&token, "before").await.status, 201);
    app.regenerate(&mut ws).await;
    let r = app.send(&token, "after").await;
    assert_eq!((r.status, r.code()), (403, "signature_expired"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("identify()"));
    let r = app
        .verify(
            &mut token,
            json!({ "id": "alice", "signature": sign(&ws, "alice") }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
    assert_eq!(app.send(&token, "after again").await.status, 201);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM identify_events WHERE code = 'signature_expired'")
            .await,
        1
    );
}

#[actix_rt::test]
async fn in_required_mode_an_unverified_session_cannot_send_but_optional_can() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Required, &[]).await;
    let (token, _) = app.session(&ws).await;
    let r = app.send(&token, "hi").await;
    assert_eq!((r.status, r.code()), (403, "verification_required"));
    app.set_mode(&ws, Mode::Optional).await;
    assert_eq!(app.send(&token, "hi").await.status, 201);
    app.set_mode(&ws, Mode::Off).await;
    assert_eq!(app.send(&token, "hi").await.status, 201);
}

#[actix_rt::test]
async fn a_free_workspace_cannot_change_mode_or_secret() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    use replybubble_server::service::{workspace, ServiceError};
    let s = &app.state.services;
    assert!(matches!(
        workspace::set_mode(s, &ws.app_id, Mode::Required).await,
        Err(ServiceError::PlanUpgradeRequired(_))
    ));
    assert!(matches!(
        workspace::new_secret(s, &ws.app_id, false, None).await,
        Err(ServiceError::PlanUpgradeRequired(_))
    ));
    // Chat itself works on free.
    let (token, _) = app.session(&ws).await;
    assert_eq!(app.send(&token, "hello").await.status, 201);
}
