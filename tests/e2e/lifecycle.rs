//! The widget's lifecycle as a frontend developer drives it (DESIGN.md "Frontend SDK"):
//! consent first (nothing stored, nothing asked of the server before consent), `shutdown()` and
//! `init()` again, the `ready` and `unread` events, and the loader's `data-load` modes.

use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_page, Browser, Server};
use serde_json::json;

/// A host page whose snippet carries `attrs` (after `data-app-id`), followed by `script`.
fn page(server: &Server, app_id: &str, attrs: &str, script: &str) -> String {
    host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>Host page</h1>
<script src="{}/widget.js" data-app-id="{app_id}" {attrs}></script>
<script>{script}</script></body></html>"#,
        server.base
    ))
}

async fn open(url: &str) -> Browser {
    let b = Browser::start().await;
    b.client.goto(url).await.unwrap();
    b.wait_for("window.ReplyBubble").await;
    b
}

/// The paths the page fetched from the chat server (the loader itself included).
async fn fetched(b: &Browser, server: &Server) -> Vec<String> {
    let v = b
        .eval(&format!(
            "return performance.getEntriesByType('resource').map(function (e) {{ return e.name; }})
               .filter(function (n) {{ return n.indexOf('{0}') === 0; }})
               .map(function (n) {{ return n.slice({1}).split('?')[0]; }});",
            server.base,
            server.base.len()
        ))
        .await;
    serde_json::from_value(v).unwrap()
}

async fn storage_keys(b: &Browser) -> Vec<String> {
    serde_json::from_value(b.eval("return Object.keys(localStorage).sort();").await).unwrap()
}

const LAUNCHER: &str = "document.querySelector('replybubble-launcher')";

#[actix_rt::test]
async fn consent_first_stores_and_asks_nothing_until_the_visitor_opens_the_chat() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = open(&page(&server, &app, r#"data-consent="required""#, "")).await;
    b.wait_for(LAUNCHER).await;
    assert_eq!(
        b.eval(&format!(
            "return {LAUNCHER}.shadowRoot.querySelector('button').getAttribute('aria-label');"
        ))
        .await,
        json!("Open chat"),
        "the loader draws the launcher"
    );
    // Where the widget's own launcher will be: the bottom-right corner, 20 px in.
    let corner = b
        .eval(&format!(
            "var r = {LAUNCHER}.getBoundingClientRect(); return [innerWidth - r.right, innerHeight - r.bottom, r.width, r.height];"
        ))
        .await;
    assert_eq!(corner, json!([20, 20, 60, 60]), "{corner}");
    let r = b.call("ReplyBubble.identify({ id: 'ada' })").await;
    assert_eq!(r["err"]["code"], "consent_required", "{r}");
    let r = b.call("ReplyBubble.consent(false)").await;
    assert_eq!(r["ok"]["granted"], false, "{r}");
    assert_eq!(
        storage_keys(&b).await,
        Vec::<String>::new(),
        "nothing stored"
    );
    assert_eq!(
        fetched(&b, &server).await,
        ["/widget.js"],
        "nothing but the loader"
    );
    assert_eq!(server.sql_i64("SELECT count(*) FROM sessions"), 0);

    // The visitor opens the chat: that is their consent.
    b.eval(&format!(
        "{LAUNCHER}.shadowRoot.querySelector('button').click(); return null;"
    ))
    .await;
    b.wait_for("document.querySelector('replybubble-root') && !document.querySelector('replybubble-root').shadowRoot.getElementById('panel').hidden")
        .await;
    b.wait_for(&format!("!{LAUNCHER}")).await;
    assert_eq!(
        storage_keys(&b).await,
        [format!("replybubble:{app}:token")],
        "the session is kept once consent is given"
    );
    assert!(fetched(&b, &server)
        .await
        .contains(&"/api/v1/widget/session".to_owned()));
    assert_eq!(server.sql_i64("SELECT count(*) FROM sessions"), 1);
    let r = b
        .call("ReplyBubble.sendMessage('hello after consent')")
        .await;
    assert_eq!(r["ok"]["status"], "sent", "{r}");

    // Withdrawn: this browser forgets, and the widget waits again.
    let r = b.call("ReplyBubble.consent(false)").await;
    assert_eq!(r["ok"]["granted"], false, "{r}");
    assert_eq!(storage_keys(&b).await, Vec::<String>::new());
    assert_eq!(b.messages().await, Vec::<String>::new());
    let r = b.call("ReplyBubble.sendMessage('again?')").await;
    assert_eq!(r["err"]["code"], "consent_required", "{r}");
    b.close().await;
}

#[actix_rt::test]
async fn consent_from_the_page_starts_the_session_and_ready_fires_once() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = open(&page(
        &server,
        &app,
        r#"data-consent="required""#,
        "window.__ready = []; ReplyBubble.on('ready', function (r) { window.__ready.push(r); });",
    ))
    .await;
    b.wait_for(LAUNCHER).await;
    assert_eq!(b.eval("return window.__ready;").await, json!([]));
    let r = b.call("ReplyBubble.consent(true)").await;
    assert_eq!(
        r["ok"],
        json!({ "status": "consent", "granted": true }),
        "{r}"
    );
    b.wait_for("window.__ready.length === 1").await;
    let ready = b.eval("return window.__ready[0];").await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["conversationId"].as_i64().unwrap() > 0, "{ready}");
    assert_eq!(storage_keys(&b).await, [format!("replybubble:{app}:token")]);
    // The panel stays closed: consent from the page is not the visitor opening the chat.
    assert_eq!(
        b.shadow("r.getElementById('panel').hidden").await,
        json!(true)
    );
    b.close().await;
}

#[actix_rt::test]
async fn shutdown_takes_the_widget_off_and_init_brings_the_same_conversation_back() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    // The page keeps every EventSource the widget opens, to see it closed.
    let b = open(&page(
        &server,
        &app,
        "",
        "window.__streams = []; var Native = EventSource;
         window.EventSource = function (url, init) { var e = new Native(url, init); window.__streams.push(e); return e; };",
    ))
    .await;
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    let first = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    let conversation = first["ok"]["conversationId"].as_i64().unwrap();
    assert_eq!(
        b.call("ReplyBubble.sendMessage('before shutdown')").await["ok"]["status"],
        "sent"
    );
    server.wait_for_streams(conversation, 1).await;
    let r = b.call("ReplyBubble.shutdown()").await;
    assert_eq!(r["ok"], json!({ "status": "shutdown" }));
    assert_eq!(
        b.eval("return document.querySelector('replybubble-root');")
            .await,
        json!(null),
        "the widget's DOM is gone"
    );
    // Its stream is closed (the page counts the EventSources the widget made).
    assert_eq!(
        b.eval("return window.__streams.map(function (e) { return e.readyState; });")
            .await,
        json!([2]),
        "one stream, closed"
    );
    server
        .agent_reply(conversation, "while the widget was off")
        .await;
    let r = b.call("ReplyBubble.sendMessage('after shutdown')").await;
    assert_eq!(r["err"]["code"], "not_initialized", "{r}");
    let again = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    assert_eq!(
        again["ok"]["conversationId"].as_i64(),
        Some(conversation),
        "the stored session comes back: {again}"
    );
    b.wait_for("document.querySelectorAll('replybubble-root').length === 1 && document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m p').length === 2")
        .await;
    assert_eq!(
        b.messages().await,
        ["before shutdown", "while the widget was off"]
    );
    b.close().await;
}

#[actix_rt::test]
async fn unread_counts_agent_replies_while_the_panel_is_closed() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = open(&page(
        &server,
        &app,
        "",
        "window.__unread = []; ReplyBubble.on('unread', function (u) { window.__unread.push(u.count); });",
    ))
    .await;
    let ready = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    let conversation = ready["ok"]["conversationId"].as_i64().unwrap();
    server.wait_for_streams(conversation, 1).await;
    server.agent_reply(conversation, "first answer").await;
    b.wait_for("window.__unread.length === 1").await;
    server.agent_reply(conversation, "second answer").await;
    b.wait_for("window.__unread.length === 2").await;
    assert_eq!(
        b.shadow("r.getElementById('badge').textContent").await,
        json!("2")
    );
    b.call("ReplyBubble.open()").await;
    b.wait_for("window.__unread.length === 3").await;
    assert_eq!(b.eval("return window.__unread;").await, json!([1, 2, 0]));
    b.close().await;
}

#[actix_rt::test]
async fn data_load_interaction_loads_the_widget_on_hover_focus_or_click() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = open(&page(&server, &app, r#"data-load="interaction""#, "")).await;
    b.wait_for(LAUNCHER).await;
    assert_eq!(
        fetched(&b, &server).await,
        ["/widget.js"],
        "no wasm before an interaction"
    );
    b.eval(&format!(
        "{LAUNCHER}.shadowRoot.querySelector('button').click(); return null;"
    ))
    .await;
    b.wait_for("document.querySelector('replybubble-root') && !document.querySelector('replybubble-root').shadowRoot.getElementById('panel').hidden")
        .await;
    b.wait_for(&format!("!{LAUNCHER}")).await;
    let paths = fetched(&b, &server).await;
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/pkg/") && p.ends_with(".wasm")),
        "{paths:?}"
    );
    b.close().await;
}

#[actix_rt::test]
async fn data_load_idle_draws_the_launcher_then_loads_the_widget_by_itself() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = open(&page(&server, &app, r#"data-load="idle""#, "")).await;
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.wait_for(&format!("!{LAUNCHER}")).await;
    assert_eq!(
        b.shadow("r.getElementById('panel').hidden").await,
        json!(true),
        "loaded, not opened"
    );
    b.close().await;
}
