//! The widget on strict pages (DESIGN.md "Frontend SDK", docs/js-api.md
//! "Content-Security-Policy"): exactly the documented policy, Trusted Types enforced, no
//! `'unsafe-inline'`; and a page that forbids what the widget needs gets a rejection that says
//! so, never a call that waits for ever.

use replybubble_core::signature::sign;
use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_site, Browser, Server};
use serde_json::json;

/// Records every CSP violation the page reports, and lets a test break `Date` as a page script
/// could; served from the page's own origin ('self').
const VIOLATIONS: &str = "window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
});
window.breakDate = function () {
  window.Date = function () { throw new Error('Date is broken on this page'); };
};";

/// The policy of DESIGN.md for a chat server at `chat`, with its `trusted-types` directive.
fn policy(chat: &str, trusted_types: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' {chat} 'wasm-unsafe-eval'; connect-src {chat}; \
         style-src 'self'; img-src 'self' data:; require-trusted-types-for 'script'; trusted-types {trusted_types}"
    )
}

/// A page under `policy` that records violations and carries the snippet (with `data-app-id`
/// when given).
async fn strict_page(server: &Server, policy: String, app_id: Option<&str>) -> Browser {
    let data = app_id.map_or(String::new(), |a| format!(" data-app-id=\"{a}\""));
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Strict</title>
<script src="/violations.js"></script></head>
<body><h1>A strict page</h1><script async src="{}/widget.js"{data}></script></body></html>"#,
        server.base
    );
    let url = host_site(
        vec![
            ("/", "text/html; charset=utf-8", html),
            ("/violations.js", "text/javascript", VIOLATIONS.into()),
        ],
        vec![("Content-Security-Policy".into(), policy)],
    );
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.wait_for("window.__violations && window.ReplyBubble")
        .await;
    b
}

#[actix_rt::test]
async fn on_a_strict_page_with_trusted_types_the_widget_is_styled_and_works_without_a_violation() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    let b = strict_page(&server, policy(&server.base, "replybubble"), Some(&app)).await;
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.wait_for("document.querySelector('replybubble-root').shadowRoot.getElementById('launcher')")
        .await;
    // Styled: the host box is fixed in its corner, the launcher is the round coloured button.
    let host = b
        .eval(
            "var s = getComputedStyle(document.querySelector('replybubble-root'));
             return [s.position, s.right, s.bottom, s.zIndex];",
        )
        .await;
    assert_eq!(host, json!(["fixed", "20px", "20px", "2147483000"]));
    let launcher = b
        .shadow(
            "(function (s) { return [s.backgroundColor, s.width, s.height, s.borderRadius]; })(getComputedStyle(r.getElementById('launcher')))",
        )
        .await;
    assert_eq!(launcher, json!(["rgb(79, 70, 229)", "60px", "60px", "50%"]));
    // Open, identify, send.
    assert_eq!(b.call("ReplyBubble.open()").await["ok"]["status"], "open");
    assert_eq!(
        b.shadow("getComputedStyle(r.getElementById('panel')).display")
            .await,
        json!("flex")
    );
    let user =
        json!({ "id": "strict_user", "name": "Strict", "signature": sign(&secret, "strict_user") });
    let r = b.call(&format!("ReplyBubble.identify({user})")).await;
    assert_eq!(r["ok"]["status"], "verified", "{r}");
    let r = b
        .call("ReplyBubble.sendMessage('sent from a strict page')")
        .await;
    assert_eq!(r["ok"]["status"], "sent", "{r}");
    b.wait_for("document.querySelector('replybubble-root').shadowRoot.querySelector('.m p')")
        .await;
    assert_eq!(b.messages().await, ["sent from a strict page"]);
    let violations = b.eval("return window.__violations;").await;
    assert_eq!(violations, json!([]), "no CSP violation reported");
    b.close().await;
}

#[actix_rt::test]
async fn a_page_whose_trusted_types_forbid_the_widget_gets_a_rejection_that_names_the_cause() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    // Trusted Types enforced, but only a policy of the page's own is allowed.
    let b = strict_page(&server, policy(&server.base, "site-policy"), None).await;
    let r = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    assert_eq!(r["err"]["code"], "csp_blocked", "{r}");
    let message = r["err"]["message"].as_str().unwrap();
    assert!(
        message.contains("Trusted Types") && message.contains("Content-Security-Policy"),
        "{message}"
    );
    // Nothing half-drawn, and later calls answer too.
    assert_eq!(
        b.eval("return document.querySelector('replybubble-root');")
            .await,
        json!(null)
    );
    let r = b.call("ReplyBubble.sendMessage('hello?')").await;
    assert_eq!(r["err"]["code"], "not_initialized", "{r}");
    b.close().await;
}

#[actix_rt::test]
async fn an_exception_inside_the_widget_rejects_every_later_call_and_is_reported() {
    let server = Server::start().await;
    let (app, _) = server.workspace(Plan::Pro, Mode::Optional);
    let b = strict_page(&server, policy(&server.base, "replybubble"), None).await;
    b.eval("window.__errors = []; ReplyBubble.on('error', function (e) { window.__errors.push(e); }); return null;")
        .await;
    let ready = b
        .call(&format!("ReplyBubble.init({{ appId: '{app}' }})"))
        .await;
    let conversation = ready["ok"]["conversationId"].as_i64().unwrap();
    server.wait_for_streams(conversation, 1).await;
    // The widget formats a message's time with Date: a page script that broke Date breaks the
    // widget when the next message arrives.
    b.eval("window.breakDate(); return null;").await;
    server
        .agent_reply(conversation, "hello from an agent")
        .await;
    b.wait_for("window.__errors.length > 0").await;
    let reported = b.eval("return window.__errors[0];").await;
    assert_eq!(reported["code"], "widget_crashed", "{reported}");
    assert!(
        reported["message"]
            .as_str()
            .unwrap()
            .contains("Date is broken on this page"),
        "{reported}"
    );
    for call in [
        "ReplyBubble.open()",
        "ReplyBubble.sendMessage('are you there?')",
    ] {
        let r = b.call(call).await;
        assert_eq!(r["err"]["code"], "widget_crashed", "{call}: {r}");
    }
    b.close().await;
}
