//! The claim rule holds in the widget when calls fail: after identify(Alice), an identify(Bob)
//! answered 429, 413, 500 or with a dropped connection, and a reset() answered 429, leave
//! nothing of Alice's on screen, write nothing into her conversation and nothing under her
//! badge. The faults come from a proxy between Chromium and the real server.

use replybubble_core::signature::sign;
use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_page, Browser, Fault, FaultProxy, Server};
use serde_json::json;

fn user(id: &str, secret: &str) -> String {
    json!({ "id": id, "signature": sign(secret, id), "name": format!("{id} (signed)") }).to_string()
}

/// What an agent could see under Alice's badge that Alice did not write.
fn not_alices(server: &Server) -> i64 {
    server.sql_i64(
        "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         JOIN contacts k ON k.id = c.contact_id
         WHERE k.user_id = 'alice' AND m.body NOT LIKE 'alice%'",
    )
}

/// Nothing of Alice's on screen, no badge; then the next person writes, on a fresh session,
/// unverified, outside Alice's conversation.
async fn assert_alice_gone(b: &Browser, server: &Server, alice_conv: i64, next: &str) {
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.getElementById('who').hidden",
    )
    .await;
    let shown = b.messages().await;
    assert!(
        shown.iter().all(|m| !m.starts_with("alice")),
        "Alice's words left the screen: {shown:?}"
    );
    let sent = b
        .call(&format!("ReplyBubble.sendMessage({})", json!(next)))
        .await;
    assert_eq!(sent["ok"]["status"], "sent", "{sent}");
    let row = server.sql_i64(&format!(
        "SELECT conversation_id FROM messages WHERE body = '{next}'"
    ));
    assert_ne!(row, alice_conv, "{next} is not in Alice's conversation");
    assert_eq!(
        server.sql_i64(&format!(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.body = '{next}' AND (m.verified OR c.contact_id IS NOT NULL)"
        )),
        0,
        "{next} is stored unverified, on no contact"
    );
    assert_eq!(b.messages().await, [next.to_owned()]);
    assert_eq!(not_alices(server), 0);
}

#[actix_rt::test]
async fn a_failed_identify_for_another_user_or_a_failed_reset_leaves_nothing_of_the_first() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let proxy = FaultProxy::start(&server.base);
    let url = host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><script src="{}/widget.js" data-app-id="{app}"></script></body></html>"#,
        proxy.base
    ));
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.call("ReplyBubble.open()").await;
    let (alice, bob) = (user("alice", &secret), user("bob", &secret));

    let faults = [
        (Fault::Status(429), 429),
        (Fault::Status(413), 413),
        (Fault::Drop, 0),
        (Fault::Status(500), 500),
    ];
    for (round, (fault, status)) in faults.into_iter().enumerate() {
        let r = b.call(&format!("ReplyBubble.identify({alice})")).await;
        assert_eq!(r["ok"]["status"], "verified", "{r}");
        let alice_conv = r["ok"]["conversationId"].as_i64().unwrap();
        let said = format!("alice says {round}");
        let r = b
            .call(&format!("ReplyBubble.sendMessage({})", json!(said)))
            .await;
        assert_eq!(r["ok"]["status"], "sent", "{r}");
        assert_eq!(b.messages().await, vec![said.clone()]);

        proxy.arm("/api/v1/widget/identify", fault);
        let r = b.call(&format!("ReplyBubble.identify({bob})")).await;
        assert!(proxy.spent(), "the identify went through the proxy");
        assert_eq!(r["err"]["status"], status, "{fault:?}: {r}");
        assert_alice_gone(&b, &server, alice_conv, &format!("bob after {status}")).await;
        // Start the next round clean: Bob's anonymous words stay out of Alice's next session.
        let r = b.call("ReplyBubble.reset()").await;
        assert_eq!(r["ok"]["status"], "reset", "{r}");
    }

    // reset() refused with 429 (the address used up its sessions): the session is dropped here
    // all the same and the widget starts a new one.
    let r = b.call(&format!("ReplyBubble.identify({alice})")).await;
    assert_eq!(r["ok"]["status"], "verified", "{r}");
    let alice_conv = r["ok"]["conversationId"].as_i64().unwrap();
    let r = b
        .call("ReplyBubble.sendMessage('alice before logout')")
        .await;
    assert_eq!(r["ok"]["status"], "sent", "{r}");
    proxy.arm("/api/v1/widget/reset", Fault::Status(429));
    let r = b.call("ReplyBubble.reset()").await;
    assert!(proxy.spent());
    assert_eq!(r["err"]["status"], 429, "{r}");
    assert_alice_gone(&b, &server, alice_conv, "next person at the kiosk").await;
    // A reload does not bring Alice back either: storage forgot her.
    b.client.refresh().await.unwrap();
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.call("ReplyBubble.open()").await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m p').length > 0",
    )
    .await;
    let shown = b.messages().await;
    assert_eq!(shown, ["next person at the kiosk"]);
    b.close().await;
}
