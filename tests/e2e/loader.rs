use replybubble_e2e::{host_page, Browser, Server};
use serde_json::json;

#[actix_rt::test]
async fn the_loader_defines_replybubble_at_once_and_replays_queued_calls_in_order() {
    let server = Server::start().await;
    let page = host_page(format!(
        r#"<!doctype html><html><body><h1>Host shop</h1>
<script>window.__before = Object.keys(window);</script>
<script src="{base}/widget.js"></script>
<script>
  // What the loader added to window (leaving out this page's own names: __before, and the
  // functions of this script, which are hoisted).
  window.__added = Object.keys(window).filter(function (k) {{ return window.__before.indexOf(k) < 0 && ["__before", "ok", "err"].indexOf(k) < 0; }});
  window.__defined = typeof window.ReplyBubble;
  window.__unsub = typeof ReplyBubble.on("message", function () {{}});
  window.__log = [];
  function ok(n) {{ return function (v) {{ __log.push([n, "ok", v]); }}; }}
  function err(n) {{ return function (e) {{ __log.push([n, "err", {{ status: e.status, code: e.code, field: e.field || null, isError: e instanceof Error }}]); }}; }}
  // Made before the wasm can possibly be ready (import() is asynchronous).
  ReplyBubble.identify({{ id: 42 }}).then(ok("a"), err("a"));
  ReplyBubble.init({{}}).then(ok("b"), err("b"));
  ReplyBubble.identify({{ id: "u1" }}).then(ok("c"), err("c"));
</script></body></html>"#,
        base = server.base
    ));
    let browser = Browser::start().await;
    browser.client.goto(&page).await.unwrap();
    assert_eq!(
        browser.eval("return window.__defined").await,
        json!("object")
    );
    assert_eq!(
        browser.eval("return window.__unsub").await,
        json!("function")
    );
    assert_eq!(
        browser.eval("return window.__added").await,
        json!(["ReplyBubble"]),
        "the loader adds one global"
    );
    browser.wait_for("window.__log.length === 3").await;
    let log = browser.eval("return window.__log").await;
    assert_eq!(
        log,
        json!([
            ["a", "err", { "status": 400, "code": "invalid_field", "field": "id", "isError": true }],
            ["b", "err", { "status": 400, "code": "invalid_field", "field": "appId", "isError": true }],
            ["c", "err", { "status": 400, "code": "not_initialized", "field": null, "isError": true }],
        ])
    );
    browser.close().await;
}
