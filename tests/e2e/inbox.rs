//! The live inbox (DESIGN.md "Agents' day") with two dashboard pages and one widget: a new
//! visitor message reaches both lists without a reload, marked as waiting, with the count in the
//! tab titles; an agent who opted in gets a sound and a browser notification (Chromium with
//! notifications allowed); the reply from one page clears the mark on the other.
//! Screenshot: `dashboard-inbox.png`.

use replybubble_core::signature::sign;
use replybubble_core::{Mode, Plan};
use replybubble_e2e::{snippet_page, Browser, Server, PASSWORD};
use replybubble_server::store::Role;
use serde_json::json;

use crate::screenshots::out;

async fn log_in(b: &Browser, server: &Server, email: &str) {
    b.client
        .goto(&format!("{}/dashboard/login", server.base))
        .await
        .unwrap();
    b.eval(&format!(
        "document.querySelector('input[name=email]').value = {}; document.querySelector('input[name=password]').value = {}; document.querySelector('form').submit(); return 1;",
        json!(email),
        json!(PASSWORD)
    ))
    .await;
    b.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete'")
        .await;
    b.client
        .goto(&format!("{}/dashboard/conversations", server.base))
        .await
        .unwrap();
    b.wait_for("document.querySelector('[data-test=notify]')")
        .await;
}

/// Records the notifications and sounds the page makes (the real ones still happen).
const RECORD: &str = "window.told = []; window.beeps = 0;
  var N = window.Notification;
  var W = function (title, options) { window.told.push([title, options.body]); return new N(title, options); };
  Object.defineProperty(W, 'permission', { get: function () { return N.permission; } });
  W.requestPermission = N.requestPermission.bind(N);
  window.Notification = W;
  var make = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.beeps++; return make.call(this); };
  return 1;";

#[actix_rt::test]
async fn two_dashboards_follow_a_visitor_message_live_with_count_sound_and_notification() {
    let server = Server::start().await;
    let (app, secret) = server.workspace(Plan::Pro, Mode::Optional);
    server
        .create_agent(&app, "owner@acme.test", Role::Owner)
        .await;
    server
        .create_agent(&app, "sam@acme.test", Role::Agent)
        .await;

    // The owner opts in to both: the browser asks permission on the click (allowed here).
    let owner = Browser::start_with_notifications().await;
    log_in(&owner, &server, "owner@acme.test").await;
    owner
        .eval("document.querySelector('input[name=sound]').click(); document.querySelector('input[data-permission]').click(); return 1;")
        .await;
    owner
        .wait_for("Notification.permission === 'granted' && document.querySelector('input[data-permission]').checked")
        .await;
    owner
        .eval("document.querySelector('form.notify').submit(); return 1;")
        .await;
    owner
        .wait_for("document.body.getAttribute('data-notify-browser') === '1' && document.body.getAttribute('data-notify-sound') === '1'")
        .await;
    owner.eval(RECORD).await;
    let sam = Browser::start().await;
    log_in(&sam, &server, "sam@acme.test").await;
    assert_eq!(
        sam.eval("return document.title;").await,
        json!("Conversations · ReplyBubble")
    );
    // Both pages' inbox streams are open: what follows can only arrive live.
    server.wait_for_streams(0, 2).await;

    let visitor = Browser::start().await;
    visitor
        .client
        .goto(&snippet_page(&server, &app, false, "", ""))
        .await
        .unwrap();
    visitor.wait_for("window.ReplyBubble").await;
    visitor
        .call("ReplyBubble.sendMessage('Hello, is anyone there? My grinder is broken.')")
        .await;
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    let row = format!("document.querySelector('[data-test=conversations] li[data-id=\"{conv}\"]')");
    for b in [&owner, &sam] {
        b.wait_for(&format!("{row} && {row}.classList.contains('waiting')"))
            .await;
        assert_eq!(
            b.eval(&format!(
                "return [document.title, {row}.querySelector('.preview').textContent, {row}.querySelector('.pill.waiting').textContent, {row}.classList.contains('unread')];"
            ))
            .await,
            json!([
                "(1) Conversations · ReplyBubble",
                "Hello, is anyone there? My grinder is broken.",
                "Waiting",
                true
            ])
        );
    }
    owner.wait_for("window.told.length === 1").await;
    let told = owner.eval("return [window.told, window.beeps];").await;
    assert_eq!(
        told[0][0][1],
        json!("Hello, is anyone there? My grinder is broken.")
    );
    assert!(
        told[0][0][0].as_str().unwrap().starts_with("Visitor #"),
        "{told}"
    );
    assert!(told[1].as_i64().unwrap() >= 1, "a sound: {told}");
    assert_eq!(
        sam.eval("return document.body.getAttribute('data-notify-browser');")
            .await,
        json!(""),
        "Sam did not opt in"
    );
    for path in out("dashboard-inbox.png") {
        owner.screenshot(&path).await;
    }

    // Sam opens it (read) and replies: the owner's list clears the mark and the count.
    sam.eval(&format!("{row}.querySelector('a').click(); return 1;"))
        .await;
    sam.wait_for("document.getElementById('reply-body')").await;
    sam.eval("document.getElementById('reply-body').value = 'Hi! Sam here, sending a new one today.'; document.querySelector('form.reply').submit(); return 1;")
        .await;
    owner
        .wait_for(&format!("{row} && !{row}.classList.contains('waiting') && document.title === 'Conversations · ReplyBubble'"))
        .await;
    assert_eq!(
        owner
            .eval(&format!(
                "return {row}.querySelector('.preview').textContent;"
            ))
            .await,
        json!("Hi! Sam here, sending a new one today.")
    );
    assert_eq!(
        owner.eval("return window.told.length;").await,
        json!(1),
        "an agent's reply is no visitor message: no notification"
    );
    // Sam's list, reloaded, shows it read and answered.
    sam.client
        .goto(&format!("{}/dashboard/conversations", server.base))
        .await
        .unwrap();
    assert_eq!(
        sam.eval(&format!("return {row}.className;")).await,
        json!(""),
        "answered and read"
    );

    // A verified visitor: the live row shows the signed user id with the badge and marks the
    // name and email as unsigned; words sent while the workspace does not verify (mode Off)
    // are marked in the row and in the notification's title, never under the name alone.
    let ada = Browser::start().await;
    ada.client
        .goto(&snippet_page(&server, &app, false, "", ""))
        .await
        .unwrap();
    let user = json!({ "id": "ada_42", "signature": sign(&secret, "ada_42"), "name": "Ada Lovelace", "email": "ada@engines.test" });
    let r = ada.call(&format!("ReplyBubble.identify({user})")).await;
    assert_eq!(r["ok"]["status"], "verified", "{r}");
    ada.call("ReplyBubble.sendMessage('Signed in and writing')")
        .await;
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    let row = format!("document.querySelector('[data-test=conversations] li[data-id=\"{conv}\"]')");
    owner
        .wait_for(&format!("{row} && {row}.querySelector('code.uid')"))
        .await;
    assert_eq!(
        owner
            .eval(&format!(
                "return [{row}.querySelector('code.uid').textContent, !!{row}.querySelector('.unsigned-tag'), !!{row}.querySelector('.preview .unverified-tag')];"
            ))
            .await,
        json!(["ada_42", true, false])
    );
    owner.wait_for("window.told.length === 2").await;
    assert_eq!(
        owner.eval("return window.told[1][0];").await,
        json!("Ada Lovelace")
    );
    server.set_mode(&app, Mode::Off);
    ada.call("ReplyBubble.sendMessage('Written while verification is off')")
        .await;
    owner
        .wait_for(&format!("{row}.querySelector('.preview .unverified-tag')"))
        .await;
    owner.wait_for("window.told.length === 3").await;
    assert_eq!(
        owner.eval("return window.told[2][0];").await,
        json!("Sent unverified · Ada Lovelace")
    );
    for path in out("dashboard-signed-identity.png") {
        owner.screenshot(&path).await;
    }
    ada.close().await;
    owner.close().await;
    sam.close().await;
    visitor.close().await;
}
