//! What a workspace's owner and a site's frontend choose about the widget (DESIGN.md "Frontend
//! SDK"): its colour, corner, offsets and language from the workspace, texts the page
//! overrides, the phone's full-screen panel, and the pages agents see. Screenshots are saved
//! to `target/screenshots/` (and `docs/screenshots/` with `UPDATE_SCREENSHOTS=1`).

use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_page, Browser, Server};
use serde_json::json;

use crate::screenshots::out;

fn page(server: &Server, app_id: &str, attrs: &str, title: &str, script: &str) -> String {
    host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px system-ui;margin:40px;color:#334}} h1{{font-size:28px}}</style></head>
<body><h1>Acme Coffee</h1><p>Fresh beans, roasted to order.</p>
<script src="{}/widget.js" data-app-id="{app_id}" {attrs}></script>
<script>{script}</script></body></html>"#,
        server.base
    ))
}

async fn ready(b: &Browser) {
    b.wait_for("window.ReplyBubble").await;
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.wait_for("document.querySelector('replybubble-root').hasAttribute('data-pos')")
        .await;
}

async fn shot(b: &Browser, name: &str) {
    for path in out(name) {
        b.screenshot(&path).await;
    }
}

#[actix_rt::test]
async fn the_workspaces_colour_corner_and_offsets_place_and_paint_the_widget() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    server
        .set_appearance(
            &app,
            &[
                ("color", "#0f766e"),
                ("position", "left"),
                ("offset_x", "32"),
                ("offset_y", "24"),
                ("z_index", "5000"),
                ("title", "Acme support"),
            ],
        )
        .await;
    let b = Browser::start().await;
    b.client
        .goto(&page(&server, &app, "", "Acme", ""))
        .await
        .unwrap();
    ready(&b).await;
    let placed = b
        .eval(
            "var h = document.querySelector('replybubble-root'), s = getComputedStyle(h), r = h.getBoundingClientRect();
             var l = h.shadowRoot.getElementById('launcher').getBoundingClientRect();
             return [s.left, h.style.getPropertyValue('right'), s.bottom, s.zIndex, Math.round(l.left), Math.round(innerHeight - l.bottom),
                     getComputedStyle(h.shadowRoot.getElementById('launcher')).backgroundColor];",
        )
        .await;
    assert_eq!(
        placed,
        json!(["32px", "auto", "24px", "5000", 32, 24, "rgb(15, 118, 110)"]),
        "bottom-left, 32 px from the side and 24 px up, in the workspace's colour"
    );
    b.call("ReplyBubble.open()").await;
    b.call("ReplyBubble.sendMessage('Do you ship to Canada?')")
        .await;
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    server
        .agent_reply(conv, "We do! Orders over $40 ship free.")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    assert_eq!(
        b.shadow("r.getElementById('rb-title').textContent").await,
        json!("Acme support")
    );
    let header = b
        .shadow("getComputedStyle(r.querySelector('.head')).color")
        .await;
    assert_eq!(
        header,
        json!("rgb(255, 255, 255)"),
        "white reads best on teal"
    );
    shot(&b, "widget-left-custom-colour.png").await;
    b.close().await;

    // A light colour gets dark text, on the right.
    server
        .set_appearance(
            &app,
            &[
                ("color", "#fde047"),
                ("position", "right"),
                ("offset_x", "20"),
                ("offset_y", "20"),
            ],
        )
        .await;
    let b = Browser::start().await;
    b.client
        .goto(&page(&server, &app, "", "Acme", ""))
        .await
        .unwrap();
    ready(&b).await;
    let right = b
        .eval(
            "var h = document.querySelector('replybubble-root'), s = getComputedStyle(h);
             var l = h.shadowRoot.getElementById('launcher');
             return [s.right, h.style.getPropertyValue('left'), Math.round(innerWidth - l.getBoundingClientRect().right), getComputedStyle(l).color];",
        )
        .await;
    assert_eq!(right, json!(["20px", "auto", 20, "rgb(17, 24, 39)"]));
    b.call("ReplyBubble.open()").await;
    shot(&b, "widget-right-light-colour.png").await;
    b.close().await;
}

#[actix_rt::test]
async fn the_widget_speaks_the_visitors_language_and_the_page_overrides_any_string() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Required);
    server.set_appearance(&app, &[("locale", "de")]).await;
    let b = Browser::start().await;
    b.client
        .goto(&page(&server, &app, "", "Acme", ""))
        .await
        .unwrap();
    ready(&b).await;
    b.call("ReplyBubble.open()").await;
    let texts = b
        .shadow(
            "[r.getElementById('rb-title').textContent, r.getElementById('input').placeholder,
              r.getElementById('launcher').getAttribute('aria-label'), r.getElementById('notice').textContent,
              r.getElementById('x').getAttribute('aria-label')]",
        )
        .await;
    assert_eq!(
        texts,
        json!([
            "Chatten Sie mit uns",
            "Nachricht schreiben …",
            "Chat schließen",
            "Dieser Chat ist für angemeldete Kunden. Bitte melden Sie sich an, um uns zu schreiben.",
            "Chat schließen"
        ])
    );
    shot(&b, "widget-german.png").await;
    b.close().await;

    // `auto` follows the browser (Chromium here says en-US); the page's strings win over both.
    server.set_appearance(&app, &[("locale", "auto")]).await;
    server.set_mode(&app, Mode::Optional);
    // Someone can answer, so the subtitle is the workspace's (not the away line).
    server.agent_online(&app, "sam@acme.test").await;
    let b = Browser::start().await;
    b.client
        .goto(&host_page(format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body>
<script src="{}/widget.js"></script></body></html>"#,
            server.base
        )))
        .await
        .unwrap();
    b.wait_for("window.ReplyBubble").await;
    let bad = b
        .call(&format!(
            "ReplyBubble.init({{ appId: '{app}', strings: {{ titel: 'Hilfe' }} }})"
        ))
        .await;
    assert_eq!(bad["err"]["code"], "invalid_field");
    assert_eq!(bad["err"]["field"], "strings.titel");
    let bad = b
        .call(&format!(
            "ReplyBubble.init({{ appId: '{app}', strings: {{ title: 5 }} }})"
        ))
        .await;
    assert_eq!(bad["err"]["field"], "strings.title");
    let ok = b
        .call(&format!(
            "ReplyBubble.init({{ appId: '{app}', strings: {{ title: 'Need a hand?', placeholder: 'Ask Sam…' }} }})"
        ))
        .await;
    assert_eq!(ok["ok"]["status"], "ready", "{ok}");
    let texts = b
        .shadow("[r.getElementById('rb-title').textContent, r.getElementById('input').placeholder, r.getElementById('sub').textContent]")
        .await;
    assert_eq!(
        texts,
        json!([
            "Need a hand?",
            "Ask Sam…",
            "We usually reply in a few minutes"
        ])
    );
    b.close().await;
}

#[actix_rt::test]
async fn on_a_phone_the_open_panel_fills_the_screen_with_the_composer_in_view() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = Browser::start().await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client
        .goto(&page(&server, &app, "", "Acme", ""))
        .await
        .unwrap();
    ready(&b).await;
    let width = b.eval("return innerWidth;").await;
    assert!(
        width.as_i64().unwrap() <= 480,
        "a phone-sized viewport: {width}"
    );
    b.call("ReplyBubble.open()").await;
    b.call("ReplyBubble.sendMessage('Is the Ethiopia roast in stock?')")
        .await;
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    server
        .agent_reply(conv, "Yes — 14 bags left, ships today.")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    let fit = b
        .shadow(
            "(function () { var p = r.getElementById('panel').getBoundingClientRect(), c = r.getElementById('composer').getBoundingClientRect();
               var vv = visualViewport; return [Math.round(p.left), Math.round(p.top), Math.round(p.width) === innerWidth,
               Math.round(p.height) === Math.round(vv.height), c.bottom <= vv.offsetTop + vv.height + 0.5,
               getComputedStyle(r.getElementById('launcher')).display]; })()",
        )
        .await;
    assert_eq!(
        fit,
        json!([0, 0, true, true, true, "none"]),
        "the panel fills the visual viewport, the composer is inside it, the launcher is out of the way"
    );
    shot(&b, "widget-phone.png").await;
    // Closing brings the launcher back.
    b.call("ReplyBubble.close()").await;
    assert_eq!(
        b.shadow("getComputedStyle(r.getElementById('launcher')).display")
            .await,
        json!("grid")
    );
    b.close().await;
}

/// `SELECT ... FROM conversations` of the latest conversation.
fn latest(server: &Server, column: &str) -> Option<String> {
    server.sql_text(&format!(
        "SELECT {column} FROM conversations ORDER BY id DESC LIMIT 1"
    ))
}

async fn wait_for_page(server: &Server, url: &str, title: &str) {
    for _ in 0..200 {
        if latest(server, "page_url").as_deref() == Some(url)
            && latest(server, "page_title").as_deref() == Some(title)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the page never became {url} {title:?}: {:?} {:?}",
        latest(server, "page_url"),
        latest(server, "page_title")
    );
}

#[actix_rt::test]
async fn pages_are_reported_on_load_and_on_client_side_navigation_without_query_or_fragment() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = Browser::start().await;
    let url = page(&server, &app, "", "Home · Acme", "");
    b.client.goto(&format!("{url}?ref=mail#top")).await.unwrap();
    ready(&b).await;
    wait_for_page(&server, &url, "Home · Acme").await;
    // A single-page app navigates, then sets its title.
    b.eval("history.pushState({}, '', '/reset-password?token=s3cret#x'); document.title = 'Reset password'; return 1;")
        .await;
    let reset = format!("{url}reset-password");
    wait_for_page(&server, &reset, "Reset password").await;
    b.eval("history.replaceState({}, '', '/pricing'); document.title = 'Pricing'; return 1;")
        .await;
    wait_for_page(&server, &format!("{url}pricing"), "Pricing").await;
    b.eval("history.back(); return 1;").await;
    wait_for_page(&server, &url, "Pricing").await;
    assert_eq!(
        server.sql_i64("SELECT count(*) FROM conversations WHERE page_url LIKE '%s3cret%' OR start_page_url LIKE '%token%'"),
        0,
        "no query string reaches the server"
    );
    // The page's own history calls still work as before.
    assert_eq!(b.eval("return location.pathname;").await, json!("/"));
    // A new conversation (logout) learns the page at once, without a navigation.
    let before = server.sql_i64("SELECT max(id) FROM conversations");
    b.call("ReplyBubble.reset()").await;
    wait_for_page(&server, &url, "Pricing").await;
    assert!(server.sql_i64("SELECT max(id) FROM conversations") > before);
    b.close().await;
}

#[actix_rt::test]
async fn data_track_pages_off_reports_nothing() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = Browser::start().await;
    b.client
        .goto(&page(
            &server,
            &app,
            r#"data-track-pages="off""#,
            "Home",
            "",
        ))
        .await
        .unwrap();
    ready(&b).await;
    b.call("ReplyBubble.sendMessage('hello')").await;
    // What a tracking widget would have sent by now: it waits 400 ms after a navigation.
    let requests = b
        .eval(
            "history.pushState({}, '', '/next'); return new Promise(function (ok) { setTimeout(function () {
               ok(performance.getEntriesByType('resource').map(function (e) { return e.name.split('/api/v1/widget/')[1]; })
                 .filter(function (n) { return n === 'page' || n === 'messages'; })); }, 1500); });",
        )
        .await;
    assert_eq!(
        requests,
        json!(["messages"]),
        "the message went out, no page did"
    );
    assert_eq!(latest(&server, "page_url"), None);
    b.close().await;
}
