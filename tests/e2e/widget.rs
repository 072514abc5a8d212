//! The widget in real Chromium, on a host page of another origin, against the real server.

use replybubble_core::signature::sign;
use replybubble_core::{Mode, Plan};
use replybubble_e2e::{snippet_page, Browser, Server};
use serde_json::{json, Value as Json};

async fn page(server: &Server, app_id: &str, script: &str) -> Browser {
    let url = snippet_page(server, app_id, false, "", script);
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b
}

fn user(id: &str, secret: Option<&str>, name: &str) -> String {
    let mut u =
        json!({ "id": id, "name": name, "email": format!("{id}@example.com"), "company": "ACME" });
    if let Some(s) = secret {
        u["signature"] = json!(sign(s, id));
    }
    u.to_string()
}

#[actix_rt::test]
async fn the_bubble_appears_and_calls_made_before_load_resolve_with_real_results() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let early = user("early_bird", Some(&secret), "Early Bird");
    let b = page(
        &server,
        &app,
        &format!(
            "window.__early = ReplyBubble.identify({early}).then(function (r) {{ return r; }}, function (e) {{ return {{ error: e.code }}; }});"
        ),
    )
    .await;
    let r = b.eval("return window.__early;").await;
    assert_eq!(r["status"], "verified", "{r}");
    assert_eq!(r["contact"]["name"], "Early Bird");
    assert!(r["conversationId"].as_i64().unwrap() > 0);
    assert!(
        r.get("visitorToken").is_none(),
        "the token is not handed to the page"
    );
    assert_eq!(
        b.shadow("!!r.getElementById('launcher')").await,
        json!(true)
    );
    assert_eq!(
        b.shadow("r.getElementById('launcher').getAttribute('aria-label')")
            .await,
        json!("Open chat")
    );
    let ready = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    assert_eq!(ready["ok"]["status"], "ready", "init is idempotent");
    let other = b.call("ReplyBubble.init({ appId: 'app_other' })").await;
    assert_eq!(other["err"]["code"], "already_initialized");
    b.close().await;
}

#[actix_rt::test]
async fn every_row_of_the_decision_table_through_the_js_api() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let (free, _) = server.workspace(Plan::Free, Mode::Off);
    let b = page(&server, &free, "").await;
    let r = b
        .call(&format!("ReplyBubble.identify({})", user("u1", None, "U")))
        .await;
    assert_eq!(
        (r["err"]["status"].clone(), r["err"]["code"].clone()),
        (json!(402), json!("plan_upgrade_required")),
        "{r}"
    );
    b.close().await;

    let b = page(&server, &app, "").await;
    let signed = format!(
        "ReplyBubble.identify({})",
        user("u1", Some(&secret), "Ursula")
    );
    let unsigned = format!("ReplyBubble.identify({})", user("u1", None, "Ursula"));
    let wrong = format!(
        "ReplyBubble.identify({})",
        json!({ "id": "u1", "email": "u1@example.com", "signature": sign(&secret, "u1@example.com") })
    );
    server.set_mode(&app, Mode::Off);
    assert_eq!(b.call(&signed).await["ok"], json!({ "status": "disabled" }));
    server.set_mode(&app, Mode::Optional);
    let r = b.call(&unsigned).await;
    assert_eq!(r["ok"]["status"], "unverified");
    assert_eq!(r["ok"]["verified"], false);
    assert_eq!(r["ok"]["reason"], "signature_missing");
    assert_eq!(
        r["ok"]["prefill"],
        json!({ "email": "u1@example.com", "name": "Ursula", "company": "ACME", "phone": null })
    );
    let r = b.call(&wrong).await;
    assert_eq!(
        (r["ok"]["reason"].clone(), r["ok"]["hint"].clone()),
        (json!("signature_invalid"), json!("signed_email"))
    );
    let r = b.call(&signed).await;
    assert_eq!(r["ok"]["status"], "verified");
    assert_eq!(r["ok"]["verified"], true);
    assert_eq!(r["ok"]["contact"]["id"], "u1");
    assert!(r["ok"]["conversationId"].is_number());
    server.set_mode(&app, Mode::Required);
    assert_eq!(b.call(&signed).await["ok"]["status"], "verified");
    let r = b.call(&unsigned).await;
    assert_eq!(
        (r["err"]["status"].clone(), r["err"]["code"].clone()),
        (json!(403), json!("signature_missing"))
    );
    let r = b.call(&wrong).await;
    assert_eq!(r["err"]["status"], 403);
    assert_eq!(r["err"]["hint"], "signed_email");
    assert_eq!(r["err"]["isError"], true);
    // A field error is rejected in the browser, before any request.
    let before = server.sql_i64("SELECT count(*) FROM identify_events");
    let r = b
        .call("ReplyBubble.identify({ id: 'u1', name: 'x'.repeat(201) })")
        .await;
    assert_eq!(
        r["err"],
        json!({ "status": 400, "code": "invalid_field", "field": "name", "hint": null, "isError": true,
        "message": "ReplyBubble: name must be at most 200 characters (got 201)" })
    );
    assert_eq!(
        server.sql_i64("SELECT count(*) FROM identify_events"),
        before,
        "never reached the server"
    );
    b.close().await;
}

#[actix_rt::test]
async fn anonymous_visitors_get_the_prefilled_form_and_verified_users_never_see_it() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let b = page(&server, &app, "").await;
    b.call("ReplyBubble.open()").await;
    assert_eq!(
        b.shadow("r.getElementById('card').hidden").await,
        json!(false),
        "the form greets anonymous visitors"
    );
    b.call(&format!(
        "ReplyBubble.identify({})",
        user("dana", None, "Dana Scully")
    ))
    .await;
    assert_eq!(
        b.shadow("r.getElementById('cname').value").await,
        json!("Dana Scully")
    );
    assert_eq!(
        b.shadow("r.getElementById('cemail').value").await,
        json!("dana@example.com")
    );
    // Saving it keeps the details on the conversation (unverified) and hides the form.
    b.shadow("(r.getElementById('card').requestSubmit(), true)")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.getElementById('card').hidden",
    )
    .await;
    assert_eq!(
        server
            .sql_i64("SELECT count(*) FROM conversations WHERE visitor_email = 'dana@example.com'"),
        1
    );
    assert_eq!(
        server.sql_i64("SELECT count(*) FROM contacts"),
        0,
        "no contact from a form"
    );
    // A verified user never sees the form, and the header says who they are.
    let r = b.call("ReplyBubble.reset()").await;
    assert_eq!(r["ok"]["status"], "reset");
    assert_eq!(
        b.shadow("r.getElementById('card').hidden").await,
        json!(false)
    );
    b.call(&format!(
        "ReplyBubble.identify({})",
        user("fox", Some(&secret), "Fox Mulder")
    ))
    .await;
    assert_eq!(
        b.shadow("r.getElementById('card').hidden").await,
        json!(true)
    );
    assert_eq!(
        b.shadow("r.getElementById('who').textContent").await,
        json!("✓ Verified · Fox Mulder")
    );
    b.close().await;
}

#[actix_rt::test]
async fn reset_and_switching_accounts_never_show_the_previous_users_messages() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let b = page(&server, &app, "").await;
    b.call(&format!(
        "ReplyBubble.identify({})",
        user("alice", Some(&secret), "Alice")
    ))
    .await;
    let sent = b
        .call("ReplyBubble.sendMessage('Alice private order #123')")
        .await;
    assert_eq!(sent["ok"]["status"], "sent");
    assert!(sent["ok"]["messageId"].is_number());
    let conv_a = server.sql_i64("SELECT conversation_id FROM messages");
    server
        .agent_reply(conv_a, "Hi Alice, your order ships today")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    // Bob logs in on the same page without reset: a new session, an empty screen.
    let r = b
        .call(&format!(
            "ReplyBubble.identify({})",
            user("bob", Some(&secret), "Bob")
        ))
        .await;
    assert_eq!(r["ok"]["contact"]["id"], "bob");
    assert_ne!(r["ok"]["conversationId"], json!(conv_a));
    assert!(
        b.messages().await.is_empty(),
        "Bob sees none of Alice's messages"
    );
    b.call("ReplyBubble.sendMessage('Bob here')").await;
    assert_eq!(b.messages().await, vec!["Bob here"]);
    // A reload continues Bob's conversation.
    b.client.refresh().await.unwrap();
    b.wait_for("document.querySelector('replybubble-root') && document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 1").await;
    assert_eq!(b.messages().await, vec!["Bob here"]);
    // reset(): a fresh anonymous conversation; the old token no longer works on the server.
    let old_token: Json = b.eval("return Object.keys(localStorage).filter(function (k) { return k.endsWith(':token'); }).map(function (k) { return localStorage[k]; })[0];").await;
    let r = b.call("ReplyBubble.reset()").await;
    assert_eq!(r["ok"]["status"], "reset");
    assert!(b.messages().await.is_empty());
    let status = awc::Client::default()
        .get(format!("{}/api/v1/widget/messages", server.base))
        .insert_header((
            "Authorization",
            format!("Bearer {}", old_token.as_str().unwrap()),
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status.as_u16(),
        401,
        "reset revoked the old token on the server"
    );
    b.close().await;
}

#[actix_rt::test]
async fn required_mode_blocks_unverified_visitors_and_says_why() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Required);
    let b = page(&server, &app, "").await;
    b.call("ReplyBubble.open()").await;
    assert_eq!(
        b.shadow("r.getElementById('input').disabled").await,
        json!(true)
    );
    let notice = b.shadow("r.getElementById('notice').textContent").await;
    assert!(
        notice.as_str().unwrap().contains("signed-in customers"),
        "{notice}"
    );
    assert_eq!(
        b.shadow("r.getElementById('card').hidden").await,
        json!(true),
        "no form when they cannot write"
    );
    let r = b.call("ReplyBubble.sendMessage('let me in')").await;
    assert_eq!(
        (r["err"]["status"].clone(), r["err"]["code"].clone()),
        (json!(403), json!("verification_required"))
    );
    b.call(&format!(
        "ReplyBubble.identify({})",
        user("vera", Some(&secret), "Vera")
    ))
    .await;
    assert_eq!(
        b.shadow("r.getElementById('input').disabled").await,
        json!(false)
    );
    assert_eq!(
        b.call("ReplyBubble.sendMessage('now I can')").await["ok"]["status"],
        "sent"
    );
    b.close().await;
}

#[actix_rt::test]
async fn agent_replies_arrive_live_with_an_unread_badge_and_a_dropped_stream_loses_nothing() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Free, Mode::Off);
    let b = page(
        &server,
        &app,
        "window.__events = []; ReplyBubble.on('message', function (m) { __events.push(m); });",
    )
    .await;
    let conv = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await["ok"]["conversationId"]
        .as_i64()
        .unwrap();
    b.wait_for("window.__events !== undefined").await;
    // The stream is open: the reply can only arrive through it.
    server.wait_for_streams(conv, 1).await;
    server.agent_reply(conv, "Hello from an agent").await;
    b.wait_for("document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m.agent').length === 1").await;
    assert_eq!(
        b.shadow("r.getElementById('badge').textContent").await,
        json!("1"),
        "unread while closed"
    );
    assert_eq!(b.eval("return window.__events[0].author + ':' + window.__events[0].body + ':' + typeof window.__events[0].createdAt").await, json!("agent:Hello from an agent:string"));
    b.call("ReplyBubble.open()").await;
    assert_eq!(
        b.shadow("r.getElementById('badge').hidden").await,
        json!(true)
    );
    // The stream drops; replies sent meanwhile arrive after the reconnect, in order, once. Another
    // conversation's messages come in between, so ids and positions (`seq`) differ: the gap is
    // filled by position.
    let other: replybubble_core::Value =
        serde_json::from_str(&format!(r#"{{"app_id":"{app}"}}"#)).unwrap();
    let other =
        replybubble_server::service::open_session(&server.state.services, &other, None, None)
            .await
            .unwrap()
            .conversation_id;
    server.drop_streams(conv);
    for i in 1..=3 {
        server.agent_reply(other, "elsewhere").await;
        server
            .agent_reply(conv, &format!("while you were away {i}"))
            .await;
    }
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 4",
    )
    .await;
    assert_eq!(
        b.messages().await,
        vec![
            "Hello from an agent",
            "while you were away 1",
            "while you were away 2",
            "while you were away 3"
        ]
    );
    server.agent_reply(conv, "and live again").await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 5",
    )
    .await;
    assert_eq!(
        b.eval("return window.__events.map(function (m) { return m.seq; })")
            .await,
        json!([1, 2, 3, 4, 5])
    );
    b.close().await;
}

#[actix_rt::test]
async fn markup_in_names_and_messages_stays_inert_text() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let b = page(&server, &app, "").await;
    let evil = "<img src=x onerror=\"window.__pwned=1\">";
    let r = b
        .call(&format!(
            "ReplyBubble.identify({})",
            json!({ "id": "x1", "name": evil, "signature": sign(&secret, "x1") })
        ))
        .await;
    assert_eq!(r["ok"]["status"], "verified");
    let conv = r["ok"]["conversationId"].as_i64().unwrap();
    b.call(&format!("ReplyBubble.sendMessage({})", json!(evil)))
        .await;
    server
        .agent_reply(conv, "<script>window.__pwned=2</script><b>bold?</b>")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    assert_eq!(
        b.messages().await,
        vec![
            evil.to_owned(),
            "<script>window.__pwned=2</script><b>bold?</b>".to_owned()
        ]
    );
    assert_eq!(
        b.shadow("r.querySelectorAll('img, b, script:not(style)').length")
            .await,
        json!(0)
    );
    assert!(b
        .shadow("r.getElementById('who').textContent")
        .await
        .as_str()
        .unwrap()
        .contains(evil));
    assert_eq!(
        b.eval("return window.__pwned === undefined").await,
        json!(true)
    );
    b.close().await;
}

#[actix_rt::test]
async fn the_page_css_cannot_break_the_widget_and_the_widget_css_cannot_touch_the_page() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Free, Mode::Off);
    let hostile = "<style>* { color: red !important; font-family: monospace !important; } div, button, p, ol, li, form { display: none !important; } .launcher { background: rgb(1, 2, 3); }</style>";
    let url = snippet_page(&server, &app, true, hostile, "");
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    let style = b.shadow("(function () { var l = r.getElementById('launcher'); var s = getComputedStyle(l); return [s.display, s.color, l.getBoundingClientRect().width > 40]; })()").await;
    assert_eq!(style, json!(["grid", "rgb(255, 255, 255)", true]));
    assert_eq!(
        b.eval("return getComputedStyle(document.querySelector('replybubble-root')).position")
            .await,
        json!("fixed")
    );
    // The page's own `.launcher` element keeps the page's style.
    assert_eq!(
        b.eval("return getComputedStyle(document.querySelector('p.launcher')).backgroundColor")
            .await,
        json!("rgb(1, 2, 3)")
    );
    // Keyboard: Escape closes and gives focus back to the launcher.
    b.call("ReplyBubble.open()").await;
    assert_eq!(
        b.shadow("r.getElementById('panel').hidden").await,
        json!(false)
    );
    assert_eq!(
        b.shadow("r.activeElement && r.activeElement.id").await,
        json!("input")
    );
    b.shadow("(r.getElementById('input').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true })), true)").await;
    assert_eq!(
        b.shadow("r.getElementById('panel').hidden").await,
        json!(true)
    );
    assert_eq!(
        b.shadow("r.activeElement && r.activeElement.id").await,
        json!("launcher")
    );
    b.close().await;
}
