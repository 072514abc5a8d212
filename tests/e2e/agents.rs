//! The agents' day as the visitor meets it (DESIGN.md "Agents' day"): the widget's away line and
//! `status` event while nobody can answer or outside business hours, and the launcher hidden with
//! hide-when-offline. Screenshot: `widget-away.png`.

use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_page, Browser, Server};
use serde_json::json;

use crate::screenshots::out;

/// A host page whose script records every `status` event in `window.statuses`.
fn page(server: &Server, app_id: &str) -> String {
    host_page(format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head>
<body><h1>Acme Coffee</h1>
<script>window.statuses = [];</script>
<script src="{}/widget.js" data-app-id="{app_id}"></script>
<script>ReplyBubble.on("status", function (s) {{ window.statuses.push(s.online); }});</script>
</body></html>"#,
        server.base
    ))
}

const SUB: &str = "document.querySelector('replybubble-root').shadowRoot.getElementById('sub')";

#[actix_rt::test]
async fn with_nobody_online_the_widget_says_so_and_emits_status() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = Browser::start().await;
    b.client.goto(&page(&server, &app)).await.unwrap();
    b.wait_for("window.statuses && window.statuses.length === 1")
        .await;
    assert_eq!(b.eval("return window.statuses;").await, json!([false]));
    assert_eq!(
        b.eval(&format!("return {SUB}.textContent;")).await,
        json!("We're away right now. Leave a message and we'll get back to you.")
    );
    b.call("ReplyBubble.open()").await;
    for path in out("widget-away.png") {
        b.screenshot(&path).await;
    }
    // An agent comes online: the next page view says so.
    server.agent_online(&app, "sam@acme.test").await;
    b.client.refresh().await.unwrap();
    b.wait_for("window.statuses && window.statuses.length === 1")
        .await;
    assert_eq!(b.eval("return window.statuses;").await, json!([true]));
    assert_eq!(
        b.eval(&format!(
            "return [{SUB}.textContent, {SUB}.getAttribute('data-away')];"
        ))
        .await,
        json!(["We usually reply in a few minutes", ""])
    );
    b.close().await;
}

#[actix_rt::test]
async fn outside_business_hours_the_widget_says_when_it_is_back_and_can_hide() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    server.agent_online(&app, "sam@acme.test").await;
    // Every day but today (UTC) is open all day: closed now, back at midnight UTC.
    let now = replybubble_server::store::now_ms();
    let today = ((now / 86_400_000 + 3) % 7) as usize;
    let days: [Option<&str>; 7] = std::array::from_fn(|i| (i != today).then_some("00:00-24:00"));
    server.set_hours(&app, "UTC", days, false).await;
    let b = Browser::start().await;
    b.client.goto(&page(&server, &app)).await.unwrap();
    b.wait_for("window.statuses && window.statuses.length === 1")
        .await;
    assert_eq!(b.eval("return window.statuses;").await, json!([false]));
    // "Back Thursday 01:00" in the browser's time zone and the widget's language.
    let expected = b
        .eval(&format!(
            "var d = new Date(({now} - {now} % 86400000) + 86400000);
             return 'We\\'re away, back ' + d.toLocaleString('en', {{ weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }});"
        ))
        .await;
    assert_eq!(
        b.eval(&format!("return {SUB}.textContent;")).await,
        expected
    );

    // Hide when offline: no launcher.
    server.set_hours(&app, "UTC", days, true).await;
    b.client.refresh().await.unwrap();
    b.wait_for("window.statuses && window.statuses.length === 1")
        .await;
    b.wait_for("getComputedStyle(document.querySelector('replybubble-root')).display === 'none'")
        .await;
    b.close().await;
}
