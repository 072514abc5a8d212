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

/// DESIGN.md "Delivering the widget" in a real browser: a first view gets the loader, the glue
/// and the wasm compressed; the next page of the site takes the hashed files from the cache
/// without asking the server.
#[actix_rt::test]
async fn a_second_page_view_takes_the_widget_from_the_browser_cache() {
    let server = Server::start().await;
    let (app_id, _) = server.workspace(
        replybubble_core::Plan::Pro,
        replybubble_core::Mode::Optional,
    );
    let page = replybubble_e2e::snippet_page(&server, &app_id, true, "", "");
    let browser = Browser::start().await;
    // The widget's resources of this view: [name, bytes on the wire, encoded body, decoded body].
    let resources = format!(
        "return performance.getEntriesByType('resource')
           .filter(function (e) {{ return e.name.indexOf('{base}/widget.js') === 0 || e.name.indexOf('{base}/pkg/') === 0; }})
           .map(function (e) {{ return [e.name.slice({len}), e.transferSize, e.encodedBodySize, e.decodedBodySize]; }});",
        base = server.base,
        len = server.base.len(),
    );
    let launcher = "document.querySelector('replybubble-root') && document.querySelector('replybubble-root').shadowRoot.getElementById('launcher')";
    browser.client.goto(&format!("{page}?first")).await.unwrap();
    browser.wait_for(launcher).await;
    let first = browser.eval(&resources).await;
    let first = first.as_array().unwrap();
    assert_eq!(first.len(), 3, "loader, glue, wasm: {first:?}");
    for r in first {
        let name = r[0].as_str().unwrap();
        let (wire, encoded, decoded) = (
            r[1].as_f64().unwrap(),
            r[2].as_f64().unwrap(),
            r[3].as_f64().unwrap(),
        );
        assert!(wire > encoded, "{name} came over the network");
        assert!(
            encoded < decoded * 0.6,
            "{name} came compressed: {encoded} of {decoded}"
        );
    }
    browser
        .client
        .goto(&format!("{page}?second"))
        .await
        .unwrap();
    browser.wait_for(launcher).await;
    let second = browser.eval(&resources).await;
    for r in second.as_array().unwrap() {
        assert_eq!(
            r[1].as_f64(),
            Some(0.0),
            "{} was fetched again: {r:?}",
            r[0]
        );
    }
    browser.close().await;
}
