//! The dashboard in real Chromium: an owner sets up verification, a visitor on another origin is
//! identified through the widget, the agent sees who it is and replies live.

use replybubble_core::signature::sign;
use replybubble_core::Plan;
use replybubble_e2e::{snippet_page, Browser, Server};
use serde_json::{json, Value as Json};

use crate::screenshots::out;

const PASSWORD: &str = "correct horse battery staple";

/// Runs `js` on the page and waits for the page it navigates to to show `ready`.
async fn submit(b: &Browser, js: &str, ready: &str) {
    b.eval(&format!("{js}; return true;")).await;
    b.wait_for(ready).await;
}

/// Fills in and submits the login form shown in `b`, and waits for the home page.
async fn log_in(b: &Browser, email: &str) {
    submit(
        b,
        &format!("document.querySelector('input[name=email]').value = {}; document.querySelector('input[name=password]').value = {}; document.querySelector('form').submit()", json!(email), json!(PASSWORD)),
        "location.pathname === '/dashboard' && document.querySelector('[data-test=identified-rate]')",
    )
    .await;
}

#[actix_rt::test]
async fn an_owner_sets_up_verification_and_an_agent_sees_and_answers_a_verified_visitor() {
    let server = Server::start().await;
    let conn = replybubble_server::store::sqlite::open_and_migrate(&server.db).unwrap();
    let app_id = replybubble_server::crypto::new_app_id();
    replybubble_server::store::sqlite::workspaces::create(
        &conn,
        &app_id,
        "Acme Coffee",
        Plan::Pro,
        &[],
        0,
    )
    .unwrap();
    let hash = replybubble_server::crypto::hash_password(PASSWORD);
    replybubble_server::store::sqlite::workspaces::create_agent(
        &conn,
        &app_id,
        "owner@acme.test",
        replybubble_server::store::Role::Owner,
        &hash,
        0,
    )
    .unwrap();

    // An anonymous visitor wrote earlier, before verification was set up.
    let http = awc::Client::default();
    let mut res = http
        .post(format!("{}/api/v1/widget/session", server.base))
        .send_json(&json!({ "app_id": app_id }))
        .await
        .unwrap();
    let anon: Json = res.json().await.unwrap();
    let token = anon["visitor_token"].as_str().unwrap();
    http.post(format!("{}/api/v1/widget/messages", server.base))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&json!({ "body": "Do you ship to Canada?" }))
        .await
        .unwrap();

    // The owner logs in, generates the secret and sets Required.
    let owner = Browser::start().await;
    owner
        .client
        .goto(&format!("{}/dashboard", server.base))
        .await
        .unwrap();
    owner
        .wait_for("location.pathname === '/dashboard/login'")
        .await;
    log_in(&owner, "owner@acme.test").await;
    owner
        .client
        .goto(&format!(
            "{}/dashboard/integrations/verification",
            server.base
        ))
        .await
        .unwrap();
    submit(
        &owner,
        "Array.from(document.querySelectorAll('button')).find(function (b) { return b.textContent === 'Generate Secret'; }).click()",
        "document.querySelector('[data-test=secret]')",
    )
    .await;
    let secret = owner
        .eval("return document.querySelector('[data-test=secret]').textContent;")
        .await;
    let secret = secret.as_str().unwrap().to_owned();
    assert!(secret.starts_with("rbsec_"));
    for path in out("dashboard-secret.png") {
        owner.screenshot(&path).await;
    }
    submit(
        &owner,
        "document.querySelector('input[name=mode][value=required]').click(); document.querySelector('form.modes').submit()",
        "document.querySelector('input[name=mode][value=required]') && document.querySelector('input[name=mode][value=required]').checked && !document.querySelector('[data-test=secret]')",
    )
    .await;
    assert_eq!(
        server.sql_i64(
            "SELECT count(*) FROM workspaces WHERE mode = 'required' AND secret_version = 1"
        ),
        1
    );

    // A visitor on the shop (another origin) is identified with a signature the shop's server made.
    let user = json!({ "id": "ada_42", "signature": sign(&secret, "ada_42"), "name": "Ada Lovelace", "email": "ada@engines.test", "company": "Analytical Engines", "traits": { "plan": "Pro" } });
    let page = snippet_page(&server, &app_id, false, "", "");
    let visitor = Browser::start().await;
    visitor.client.goto(&page).await.unwrap();
    let r = visitor.call(&format!("ReplyBubble.identify({user})")).await;
    assert_eq!(r["ok"]["status"], "verified", "{r}");
    let conv = r["ok"]["conversationId"].as_i64().unwrap();
    visitor.call("ReplyBubble.open()").await;
    assert_eq!(
        visitor
            .call("ReplyBubble.sendMessage('Hi, my grinder arrived broken')")
            .await["ok"]["status"],
        "sent"
    );

    // The agent sees who it is, with the Verified badge; the filter hides the anonymous one.
    owner
        .client
        .goto(&format!("{}/dashboard/conversations", server.base))
        .await
        .unwrap();
    let list = owner
        .eval("return document.querySelector('[data-test=conversations]').innerText;")
        .await;
    let list = list.as_str().unwrap();
    assert!(
        list.contains("Ada Lovelace")
            && list.contains("Analytical Engines")
            && list.contains("Visitor #"),
        "{list}"
    );
    assert_eq!(
        owner
            .eval("return document.querySelectorAll('.row .verified').length;")
            .await,
        json!(1)
    );
    for path in out("dashboard-conversations.png") {
        owner.screenshot(&path).await;
    }
    submit(
        &owner,
        "document.querySelector('a.toggle').click()",
        "location.search === '?identified=1'",
    )
    .await;
    let filtered = owner
        .eval("return document.querySelector('[data-test=conversations]').innerText;")
        .await;
    assert!(
        filtered.as_str().unwrap().contains("Ada Lovelace")
            && !filtered.as_str().unwrap().contains("Visitor #")
    );

    // The home metric matches: one of two conversations is identified.
    owner
        .client
        .goto(&format!("{}/dashboard", server.base))
        .await
        .unwrap();
    assert_eq!(
        owner
            .eval("return document.querySelector('[data-test=identified-rate]').textContent;")
            .await,
        json!("50.0%")
    );
    for path in out("dashboard-home.png") {
        owner.screenshot(&path).await;
    }

    // The agent replies from the conversation view; the widget shows it live, and a visitor
    // message shows live in the dashboard.
    submit(
        &owner,
        "location.href = '/dashboard/conversations?identified=1'",
        "document.querySelector('a.row')",
    )
    .await;
    submit(
        &owner,
        "document.querySelector('a.row').click()",
        "document.getElementById('thread')",
    )
    .await;
    assert!(owner
        .eval("return document.querySelector('.contact').innerText;")
        .await
        .as_str()
        .unwrap()
        .contains("Analytical Engines"));
    submit(
        &owner,
        "document.getElementById('reply-body').value = 'Sorry about that, Ada! A replacement ships today.'; document.querySelector('form.reply').submit()",
        "document.querySelectorAll('#thread .msg.agent').length === 1",
    )
    .await;
    visitor.wait_for("document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m.agent').length === 1").await;
    assert_eq!(
        visitor.messages().await[1],
        "Sorry about that, Ada! A replacement ships today."
    );
    // The widget's stream and the conversation view's are open: the visitor's next message can
    // reach the dashboard only live.
    server.wait_for_streams(conv, 2).await;
    visitor.call("ReplyBubble.sendMessage('Thank you!')").await;
    owner
        .wait_for("document.querySelectorAll('#thread .msg.visitor').length === 2")
        .await;
    // The page the visitor is on, reported by the widget.
    owner.client.refresh().await.unwrap();
    owner
        .wait_for("document.querySelector('[data-test=page]')")
        .await;
    let seen = owner
        .eval("return document.querySelector('[data-test=page] a').href;")
        .await;
    assert!(
        seen.as_str().unwrap().starts_with("http://127.0.0.1:"),
        "the host page: {seen}"
    );
    for path in out("dashboard-conversation.png") {
        owner.screenshot(&path).await;
    }

    // The verification panel shows the activity.
    owner
        .client
        .goto(&format!(
            "{}/dashboard/integrations/verification",
            server.base
        ))
        .await
        .unwrap();
    let panel = owner
        .eval("return document.querySelector('main').innerText;")
        .await;
    assert!(panel.as_str().unwrap().contains("Verified"));
    assert!(
        !panel.as_str().unwrap().contains(&secret),
        "the secret is never shown again"
    );
    for path in out("dashboard-verification.png") {
        owner.screenshot(&path).await;
    }
    owner
        .eval("document.getElementById('ready-t').scrollIntoView(); return true;")
        .await;
    for path in out("dashboard-verification-activity.png") {
        owner.screenshot(&path).await;
    }

    // Settings > Widget: a wrong colour is named and what was typed stays; then saved.
    owner
        .client
        .goto(&format!("{}/dashboard/settings/widget", server.base))
        .await
        .unwrap();
    submit(
        &owner,
        "document.getElementById('color').value = '#0f766'; document.querySelector('input[name=title]').value = 'Acme support'; document.querySelector('form.settings').submit()",
        "document.querySelector('[data-test=error]')",
    )
    .await;
    assert_eq!(
        owner
            .eval("return [document.querySelector('[data-test=error]').textContent, document.querySelector('input[name=title]').value];")
            .await,
        json!(["color must be a hex colour like #4f46e5 (or #44e)", "Acme support"])
    );
    submit(
        &owner,
        "document.getElementById('color').value = '#0f766e'; document.querySelector('input[name=position][value=left]').checked = true; document.querySelector('form.settings').submit()",
        "document.querySelector('[data-test=saved]')",
    )
    .await;
    for path in out("dashboard-settings-widget.png") {
        owner.screenshot(&path).await;
    }

    // Settings > Hours: a working week in Berlin.
    owner
        .client
        .goto(&format!("{}/dashboard/settings/hours", server.base))
        .await
        .unwrap();
    submit(
        &owner,
        "document.querySelector('input[name=mode][value=week]').checked = true; document.querySelector('select[name=time_zone]').value = 'Europe/Berlin'; document.querySelector('input[name=fri_to]').value = '13:00'; document.querySelector('form.settings').submit()",
        "document.querySelector('[data-test=saved]')",
    )
    .await;
    assert_eq!(
        owner
            .eval("return [document.querySelector('select[name=time_zone]').value, document.querySelector('input[name=fri_to]').value, document.querySelector('input[name=sat_open]').checked];")
            .await,
        json!(["Europe/Berlin", "13:00", false])
    );
    for path in out("dashboard-settings-hours.png") {
        owner.screenshot(&path).await;
    }

    // The contact's page offers the owner the data-request buttons; seen on a phone too.
    owner
        .client
        .goto(&format!("{}/dashboard/contacts", server.base))
        .await
        .unwrap();
    submit(
        &owner,
        "document.querySelector('[data-test=contacts] a, main a[href^=\"/dashboard/contacts/\"]').click()",
        "document.querySelector('form[action$=\"/export\"]')",
    )
    .await;
    for path in out("dashboard-contact.png") {
        owner.screenshot(&path).await;
    }
    owner.client.set_window_size(390, 844).await.unwrap();
    for path in out("dashboard-contact-phone.png") {
        owner.screenshot(&path).await;
    }

    // A long conversation shows its latest 50 messages and pages back to older ones.
    for i in 1..=55 {
        server.agent_reply(conv, &format!("Reply number {i}")).await;
    }
    owner.client.set_window_size(1280, 900).await.unwrap();
    owner
        .client
        .goto(&format!("{}/dashboard/conversations/{conv}", server.base))
        .await
        .unwrap();
    let shown = owner
        .eval("return Array.from(document.querySelectorAll('#thread .msg p')).map(function (p) { return p.textContent; });")
        .await;
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert_eq!(shown.len(), 50);
    assert_eq!(shown.last().map(String::as_str), Some("Reply number 55"));
    assert_eq!(shown.first().map(String::as_str), Some("Reply number 6"));
    owner
        .eval("document.querySelector('.older a').scrollIntoView(); return true;")
        .await;
    for path in out("dashboard-conversation-long.png") {
        owner.screenshot(&path).await;
    }
    submit(
        &owner,
        "document.querySelector('.older a').click()",
        "location.search.indexOf('before=') > 0 && document.querySelector('#thread')",
    )
    .await;
    let older = owner
        .eval("return Array.from(document.querySelectorAll('#thread .msg p')).map(function (p) { return p.textContent; });")
        .await;
    let older: Vec<String> = serde_json::from_value(older).unwrap();
    assert_eq!(
        older,
        [
            "Hi, my grinder arrived broken",
            "Sorry about that, Ada! A replacement ships today.",
            "Thank you!",
            "Reply number 1",
            "Reply number 2",
            "Reply number 3",
            "Reply number 4",
            "Reply number 5"
        ]
    );
    assert!(owner
        .eval("return document.body.innerText.indexOf('Latest messages') >= 0;")
        .await
        .as_bool()
        .unwrap());
    owner.client.set_window_size(390, 844).await.unwrap();
    assert_eq!(
        owner
            .eval("return document.documentElement.scrollWidth <= document.documentElement.clientWidth;")
            .await,
        json!(true),
        "the conversation view fits a phone's width"
    );
    owner
        .eval("document.querySelectorAll('.older a')[0].scrollIntoView(); return true;")
        .await;
    for path in out("dashboard-conversation-older-phone.png") {
        owner.screenshot(&path).await;
    }
    owner.close().await;
    visitor.close().await;
}

/// The claim rule seen end to end: verified Alice chats, the page forgets `reset()` and calls
/// `identify()` for Bob without a signature. The widget switches to an empty conversation, and
/// Bob's message never reaches Alice's Verified conversation in the dashboard.
#[actix_rt::test]
async fn an_unsigned_identify_for_bob_after_alice_never_reaches_alices_conversation() {
    let server = Server::start().await;
    let (app_id, secret) = server.workspace(Plan::Pro, replybubble_core::Mode::Optional);
    let conn = replybubble_server::store::sqlite::open_and_migrate(&server.db).unwrap();
    let hash = replybubble_server::crypto::hash_password(PASSWORD);
    replybubble_server::store::sqlite::workspaces::create_agent(
        &conn,
        &app_id,
        "agent@acme.test",
        replybubble_server::store::Role::Agent,
        &hash,
        0,
    )
    .unwrap();

    let visitor = Browser::start().await;
    visitor
        .client
        .goto(&snippet_page(&server, &app_id, false, "", ""))
        .await
        .unwrap();
    let alice =
        json!({ "id": "alice", "signature": sign(&secret, "alice"), "name": "Alice Martin" });
    let r = visitor
        .call(&format!("ReplyBubble.identify({alice})"))
        .await;
    assert_eq!(r["ok"]["status"], "verified", "{r}");
    let conv_a = r["ok"]["conversationId"].as_i64().unwrap();
    visitor.call("ReplyBubble.open()").await;
    visitor
        .call("ReplyBubble.sendMessage('Alice: my card ends in 4242')")
        .await;
    assert_eq!(
        visitor.messages().await,
        vec!["Alice: my card ends in 4242"]
    );

    // The site forgot reset() and identifies Bob without a signature.
    let r = visitor
        .call("ReplyBubble.identify({ id: 'bob', name: 'Bob Okafor' })")
        .await;
    assert_eq!(r["ok"]["status"], "unverified", "{r}");
    assert!(r["ok"]["conversationId"].as_i64().unwrap() != conv_a);
    assert!(
        visitor.messages().await.is_empty(),
        "the widget cleared Alice's messages"
    );
    assert_eq!(
        visitor.shadow("r.getElementById('who').hidden").await,
        json!(true),
        "no longer shown as verified Alice"
    );
    let sent = visitor
        .call("ReplyBubble.sendMessage('Bob: where is my order?')")
        .await;
    assert_eq!(sent["ok"]["status"], "sent", "{sent}");
    assert_eq!(visitor.messages().await, vec!["Bob: where is my order?"]);
    for path in out("widget-after-user-switch.png") {
        visitor.screenshot(&path).await;
    }

    // The agent opens Alice's conversation: only Alice's words, under her Verified badge.
    let agent = Browser::start().await;
    agent
        .client
        .goto(&format!("{}/dashboard/login", server.base))
        .await
        .unwrap();
    log_in(&agent, "agent@acme.test").await;
    agent
        .client
        .goto(&format!("{}/dashboard/conversations/{conv_a}", server.base))
        .await
        .unwrap();
    agent.wait_for("document.getElementById('thread')").await;
    let thread = agent
        .eval("return document.querySelector('.thread').innerText;")
        .await;
    let thread = thread.as_str().unwrap();
    assert!(thread.contains("Alice: my card ends in 4242"), "{thread}");
    assert!(!thread.contains("Bob"), "{thread}");
    assert!(thread.contains("Verified"), "{thread}");
    // Bob's message is in its own, anonymous conversation.
    agent
        .client
        .goto(&format!("{}/dashboard/conversations", server.base))
        .await
        .unwrap();
    let bob_row = agent
        .eval("var li = Array.from(document.querySelectorAll('[data-test=conversations] li')).find(function (l) { return l.innerText.indexOf('Bob: where is my order?') >= 0; }); return li ? li.innerText : null;")
        .await;
    let bob_row = bob_row.as_str().expect("Bob's conversation is listed");
    assert!(
        bob_row.contains("Visitor #")
            && !bob_row.contains("Alice")
            && !bob_row.contains("Verified"),
        "{bob_row}"
    );
    assert_eq!(
        agent
            .eval("return document.querySelectorAll('.row .verified').length;")
            .await,
        json!(1),
        "only Alice's conversation carries the badge"
    );
    visitor.close().await;
    agent.close().await;
}
