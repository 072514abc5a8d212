//! Drives the demo site as a newcomer would and saves screenshots to `target/screenshots/`
//! (and to `docs/screenshots/` with `UPDATE_SCREENSHOTS=1`), so people can look at them.

use std::path::PathBuf;

use replybubble_e2e::{Browser, Server};
use serde_json::json;

pub fn out(name: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = vec![root.join("target/screenshots")];
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        paths.push(root.join("docs/screenshots"));
    }
    paths
        .into_iter()
        .map(|dir| {
            std::fs::create_dir_all(&dir).unwrap();
            dir.join(name)
        })
        .collect()
}

#[actix_rt::test]
async fn the_demo_site_with_a_verified_customer_and_a_live_reply() {
    let server = Server::start_with(true).await;
    // Sam, an agent, has the dashboard open: the widget says someone can answer.
    let demo = server
        .sql_text("SELECT app_id FROM workspaces LIMIT 1")
        .unwrap();
    server.agent_online(&demo, "sam@acme-coffee.test").await;
    let b = Browser::start().await;
    b.client
        .goto(&format!("{}/demo", server.base))
        .await
        .unwrap();
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.wait_for("document.querySelectorAll('#log li').length >= 1")
        .await;
    b.eval("document.getElementById('alice').click(); return true;")
        .await;
    b.wait_for("document.querySelector('replybubble-root').shadowRoot.getElementById('who').hidden === false").await;
    assert_eq!(
        b.shadow("r.getElementById('who').textContent").await,
        json!("✓ Verified · Alice Martin")
    );
    b.call("ReplyBubble.open()").await;
    b.call("ReplyBubble.sendMessage('Hi! My order #1042 has not arrived yet — can you check?')")
        .await;
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    server.agent_reply(conv, "Hi Alice, Sam here. Order #1042 left our roastery this morning — tracking is on its way to alice@acme-coffee.test.").await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    b.wait_for("document.querySelector('replybubble-root').shadowRoot.getElementById('sub').getAttribute('data-away') === ''")
        .await;
    for path in out("widget-open.png") {
        b.screenshot(&path).await;
    }
    b.close().await;
}
