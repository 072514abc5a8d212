//! The email fallback against a real SMTP server (aiosmtpd on loopback): a reply reaches a
//! verified contact's inbox, never an address a visitor typed, and arrives after an SMTP outage;
//! one email per conversation per 10 minutes (DESIGN.md "Agents' day").

use replybubble_core::{Mode, Plan};
use serde_json::json;

use crate::helpers::{sign, spawn_app_with_smtp, TestApp, Ws};
use crate::smtp::{free_port, Smtp};

/// An email's text with quoted-printable soft line breaks and `=3D` undone.
fn unfold(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// A verified visitor (Ada, ada@example.com) who wrote from /pricing: (token, conversation).
async fn verified_visitor(app: &TestApp, ws: &Ws) -> (String, i64) {
    let (mut token, _) = app.session(ws).await;
    let r = app
        .post(
            "/api/v1/widget/page",
            Some(&token),
            json!({ "url": "https://shop.example/pricing", "title": "Pricing" }),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .verify(
            &mut token,
            json!({ "id": "ada_1", "signature": sign(ws, "ada_1"), "email": "ada@example.com", "name": "Ada" }),
        )
        .await;
    assert_eq!(r.body["status"], "verified", "{}", r.body);
    let conv = r.body["conversation_id"].as_i64().unwrap();
    assert_eq!(
        app.send(&token, "Does the Pro plan include SSO?")
            .await
            .status,
        201
    );
    (token, conv)
}

/// A Pro workspace whose site is https://shop.example and whose owner trusts the emails its
/// frontend sends beside the signed id (the email fallback writes to nothing else).
async fn emailing_workspace(app: &TestApp) -> Ws {
    let ws = app
        .workspace(Plan::Pro, Mode::Optional, &["https://shop.example"])
        .await;
    app.store()
        .set_email_trust(ws.app_id.clone(), true)
        .await
        .unwrap();
    ws
}

async fn reply(app: &TestApp, conv: i64, body: &str) {
    let ws = app
        .sql_count(format!(
            "SELECT workspace_id FROM conversations WHERE id = {conv}"
        ))
        .await;
    replybubble_server::service::post_agent_reply(&app.state.services, ws, conv, None, body)
        .await
        .unwrap();
}

async fn outbox_empty(app: &TestApp) {
    for _ in 0..200 {
        if app.sql_count("SELECT count(*) FROM email_outbox").await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the outbox never emptied: {:?}",
        app.sql_rows("SELECT * FROM email_outbox").await
    );
}

/// Waits up to 10 s until `sql` (a count) is `n`; asserts it.
async fn count_becomes(app: &TestApp, sql: &str, n: i64, why: &str) {
    for _ in 0..200 {
        if app.sql_count(sql).await == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.sql_count(sql).await, n, "{why}");
}

#[actix_rt::test]
async fn a_reply_to_a_verified_contact_who_left_is_emailed_with_a_link_back() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let ws = emailing_workspace(&app).await;
    let (_, conv) = verified_visitor(&app, &ws).await;
    reply(&app, conv, "Yes: SSO with SAML and OIDC is in Pro.").await;
    let mail = unfold(&smtp.wait_for(1).await[0]);
    assert!(mail.contains("To: ada@example.com"), "{mail}");
    assert!(mail.contains("From: Test <chat@acme.test>"), "{mail}");
    assert!(mail.contains("Subject: New reply from Test"), "{mail}");
    assert!(mail.contains("Hi Ada,"), "{mail}");
    assert!(
        mail.contains("Yes: SSO with SAML and OIDC is in Pro."),
        "{mail}"
    );
    assert!(
        mail.contains("Continue the conversation: https://shop.example/pricing"),
        "{mail}"
    );
    assert!(
        mail.contains("text/html"),
        "a plain-text and an HTML part: {mail}"
    );
    outbox_empty(&app).await;
    assert_eq!(
        app.sql_count(format!(
            "SELECT emailed_seq FROM conversations WHERE id = {conv}"
        ))
        .await,
        2,
        "the email covered the reply at position 2"
    );

    // A second reply within 10 minutes waits for the 10 minutes to pass.
    reply(&app, conv, "And SCIM provisioning too.").await;
    count_becomes(
        &app,
        &format!(
            "SELECT count(*) FROM email_outbox o JOIN conversations c ON c.id = o.conversation_id
             WHERE o.due_at = c.emailed_at + 600000 AND o.attempts = 0 AND c.id = {conv}"
        ),
        1,
        "due 10 minutes after the last email",
    )
    .await;
    assert_eq!(smtp.received().len(), 1);
    // Ten minutes later (moved back in time): the second email has only the new reply.
    app.sql_exec(format!(
        "UPDATE conversations SET emailed_at = emailed_at - 600000 WHERE id = {conv}"
    ))
    .await;
    app.sql_exec("UPDATE email_outbox SET due_at = 0").await;
    let second = unfold(&smtp.wait_for(2).await[1]);
    assert!(second.contains("And SCIM provisioning too."), "{second}");
    assert!(
        !second.contains("SAML"),
        "each reply is emailed once: {second}"
    );
}

#[actix_rt::test]
async fn an_anonymous_visitor_who_typed_an_address_is_never_emailed() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let ws = emailing_workspace(&app).await;
    let (token, conv) = app.session(&ws).await;
    assert_eq!(app.send(&token, "Hi, please email me").await.status, 201);
    let r = app
        .post(
            "/api/v1/widget/visitor",
            Some(&token),
            json!({ "name": "Mallory", "email": "victim@example.com" }),
        )
        .await;
    assert_eq!(r.status, 200);
    // An unverified identify that names an email does not count either.
    app.identify(&token, json!({ "id": "ada_1", "email": "ada@example.com" }))
        .await;
    reply(&app, conv, "Sure, what is your order number?").await;
    outbox_empty(&app).await;
    assert_eq!(
        smtp.received(),
        Vec::<String>::new(),
        "no verified contact: no email"
    );
}

#[actix_rt::test]
async fn a_visitor_still_on_the_page_gets_the_reply_live_not_by_email() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let ws = emailing_workspace(&app).await;
    let (_, conv) = verified_visitor(&app, &ws).await;
    // A stream of the session was open a moment ago.
    let now = replybubble_server::store::now_ms();
    app.sql_exec(format!(
        "UPDATE sessions SET stream_seen_at = {now} WHERE conversation_id = {conv}"
    ))
    .await;
    reply(&app, conv, "Here you go.").await;
    count_becomes(
        &app,
        &format!(
            "SELECT count(*) FROM email_outbox WHERE due_at = {}",
            now + 120_000
        ),
        1,
        "looked at again 2 minutes after the stream was last seen",
    )
    .await;
    assert_eq!(smtp.received().len(), 0);
    // Ten minutes later (moved back in time): the reply had come while their stream was still
    // open, so when they left nothing was left to email.
    app.sql_exec(format!(
        "UPDATE messages SET created_at = {} WHERE conversation_id = {conv}",
        now - 600_000
    ))
    .await;
    app.sql_exec(format!(
        "UPDATE sessions SET stream_seen_at = {} WHERE conversation_id = {conv}",
        now - 600_000 + 1
    ))
    .await;
    app.sql_exec("UPDATE email_outbox SET due_at = 0").await;
    outbox_empty(&app).await;
    assert_eq!(smtp.received().len(), 0, "seen live: not emailed");
}

#[actix_rt::test]
async fn a_reply_survives_an_smtp_outage_and_arrives_when_the_server_is_back() {
    // The SMTP server is down: its port hangs up on every connection. Held, not freed, so no
    // other socket of a test running beside this one takes it before the server is back.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = down.local_addr().unwrap().port();
    down.set_nonblocking(true).unwrap();
    let down = tokio::net::TcpListener::from_std(down).unwrap();
    let hanging_up = actix_rt::spawn(async move {
        while let Ok((conn, _)) = down.accept().await {
            drop(conn);
        }
    });
    let app = spawn_app_with_smtp(&format!("smtp://127.0.0.1:{port}")).await;
    let ws = emailing_workspace(&app).await;
    let (_, conv) = verified_visitor(&app, &ws).await;
    reply(&app, conv, "Your refund was issued today.").await;
    count_becomes(
        &app,
        "SELECT count(*) FROM email_outbox WHERE attempts >= 1 AND last_error IS NOT NULL",
        1,
        "the failed attempt is counted and kept",
    )
    .await;
    let failed = app
        .sql_rows("SELECT attempts, last_error FROM email_outbox")
        .await;
    assert_eq!(failed.len(), 1, "still queued: {failed:?}");
    assert!(
        failed[0][1]
            .as_deref()
            .unwrap()
            .contains("the SMTP server did not take the email"),
        "{failed:?}"
    );
    // The server comes back; the next attempt (made due now) delivers.
    hanging_up.abort();
    let _ = hanging_up.await;
    let smtp = Smtp::start(port).await;
    app.sql_exec("UPDATE email_outbox SET due_at = 0").await;
    let mail = unfold(&smtp.wait_for(1).await[0]);
    assert!(mail.contains("Your refund was issued today."), "{mail}");
    outbox_empty(&app).await;
}

#[actix_rt::test]
async fn an_open_visitor_stream_is_written_down_when_it_opens_and_when_it_closes() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    let ws = emailing_workspace(&app).await;
    let (token, conv) = verified_visitor(&app, &ws).await;
    let seen = || {
        app.sql_rows(format!(
            "SELECT stream_seen_at FROM sessions WHERE conversation_id = {conv} ORDER BY id LIMIT 1"
        ))
    };
    assert_eq!(seen().await, [[None]]);
    let t = app
        .post("/api/v1/widget/events/ticket", Some(&token), json!({}))
        .await;
    let ticket = t.body["ticket"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/widget/events?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut opened = None;
    for _ in 0..100 {
        if let Some(at) = seen().await[0][0].clone() {
            opened = Some(at.parse::<i64>().unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let opened = opened.expect("the open stream is written down");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // The stream ends (here: the visitor logs out, which ends the session's streams at once; a
    // closed tab is noticed at the next keep-alive, within 15 s): its last moment is written.
    let r = app
        .post("/api/v1/widget/reset", Some(&token), json!({}))
        .await;
    assert_eq!(r.status, 200);
    drop(res);
    for _ in 0..100 {
        let at: i64 = seen().await[0][0].clone().unwrap().parse().unwrap();
        if at > opened {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the closed stream's last moment was never written down");
}

#[actix_rt::test]
async fn an_unsigned_email_is_written_to_only_when_trusted_and_links_only_to_allowed_origins() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    // The owner has not trusted unsigned emails (the default): a verified contact's email is
    // what its browser sent, so nothing is written to it.
    let ws = app
        .workspace(Plan::Pro, Mode::Optional, &["https://shop.example"])
        .await;
    let (_, conv) = verified_visitor(&app, &ws).await;
    reply(&app, conv, "Only in the chat.").await;
    outbox_empty(&app).await;
    assert_eq!(
        smtp.received(),
        Vec::<String>::new(),
        "not trusted: no email"
    );

    // Trusted, but the visitor reported a page of another site: the email carries no link.
    app.store()
        .set_email_trust(ws.app_id.clone(), true)
        .await
        .unwrap();
    let (mut token, _) = app.session(&ws).await;
    let r = app
        .verify(
            &mut token,
            json!({ "id": "eve", "signature": sign(&ws, "eve"), "email": "eve@example.com" }),
        )
        .await;
    assert_eq!(r.body["status"], "verified");
    let conv = r.body["conversation_id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v1/widget/page",
            Some(&token),
            json!({ "url": "https://evil.example/login", "title": "Sign in" }),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.send(&token, "hello").await.status, 201);
    reply(&app, conv, "Here is your answer.").await;
    let mail = unfold(&smtp.wait_for(1).await[0]);
    assert!(mail.contains("To: eve@example.com"), "{mail}");
    assert!(mail.contains("Here is your answer."), "{mail}");
    assert!(
        !mail.contains("evil.example"),
        "no link to a page the visitor chose: {mail}"
    );
    assert!(!mail.contains("Continue the conversation"), "{mail}");
}

#[actix_rt::test]
async fn a_workspace_name_stored_with_a_line_break_is_emailed_on_one_line() {
    let smtp = Smtp::start(free_port()).await;
    let app = spawn_app_with_smtp(&smtp.url()).await;
    // An older release accepted the name (the store takes it as given; the CLI now refuses
    // it): the worker must neither panic nor split a header.
    let mut ws = Ws {
        app_id: replybubble_server::crypto::new_app_id(),
        secret: None,
    };
    app.store()
        .create_workspace(
            ws.app_id.clone(),
            "Acme\r\nBcc: all@evil.example".into(),
            Plan::Pro,
            vec!["https://shop.example".into()],
            0,
        )
        .await
        .unwrap();
    app.regenerate(&mut ws).await;
    app.set_mode(&ws, Mode::Optional).await;
    app.store()
        .set_email_trust(ws.app_id.clone(), true)
        .await
        .unwrap();
    let (_, conv) = verified_visitor(&app, &ws).await;
    reply(&app, conv, "Thanks for waiting.").await;
    let mail = unfold(&smtp.wait_for(1).await[0]);
    let headers: Vec<&str> = mail.lines().take_while(|l| !l.is_empty()).collect();
    assert!(!headers.iter().any(|l| l.starts_with("Bcc:")), "{mail}");
    assert!(
        headers.contains(&"Subject: New reply from Acme  Bcc: all@evil.example"),
        "{mail}"
    );
    assert!(mail.contains("Thanks for waiting."), "{mail}");
    outbox_empty(&app).await;
}
