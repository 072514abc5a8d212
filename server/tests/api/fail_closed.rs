//! Identity holds when calls fail (the red team's issue), over real HTTP on both engines: the
//! claim rule before rate limits and body limits, no session fixation, no verified message on a
//! workspace that does not verify, and the events stream's per-IP limit.

use futures_util::StreamExt;
use replybubble_core::limits::IDENTIFY_BODY_MAX_BYTES;
use replybubble_core::{Mode, Plan};
use serde_json::{json, Value as Json};

use crate::helpers::{sign, spawn_app, spawn_app_with, verified_chat, Res, TestApp, Ws};

/// A's session is over: its token gets 401 everywhere, and nothing more landed in A's
/// conversation than A wrote.
async fn assert_ended(app: &TestApp, token: &str, conv_a: i64, a_wrote: i64) {
    for res in [
        app.get("/api/v1/widget/messages?after=0", Some(token))
            .await,
        app.send(token, "B writing on A's session").await,
        app.post("/api/v1/widget/events/ticket", Some(token), json!({}))
            .await,
    ] {
        assert_eq!(res.status, 401, "A's session ended: {:?}", res.body);
    }
    assert_eq!(
        app.sql_count(format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {conv_a}"
        ))
        .await,
        a_wrote
    );
}

/// Sends identify calls as `user` on `token` until one is refused with 429: the answers before.
async fn until_limited(app: &TestApp, token: &str, user: &Json) -> Res {
    for _ in 0..200 {
        let r = app.identify(token, user.clone()).await;
        if r.status == 429 {
            return r;
        }
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    panic!("identify was never limited");
}

#[actix_rt::test]
async fn an_identify_for_another_user_over_the_rate_limit_still_ends_the_bound_session() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv_a) = verified_chat(&app, &ws, "alice", "hello from alice").await;
    let alice = json!({ "id": "alice", "signature": sign(&ws, "alice") });
    // Alice's own identify calls on each route change use up the session's budget...
    let limited = until_limited(&app, &token, &alice).await;
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // ...which keeps her session: it is hers.
    let still = app
        .get("/api/v1/widget/messages?after=0", Some(&token))
        .await;
    assert_eq!(
        still.status, 200,
        "a limited identify of the same user keeps it"
    );
    // Bob's identify is refused too, but the session bound to Alice ends with it.
    let bob = app
        .identify(
            &token,
            json!({ "id": "bob", "signature": sign(&ws, "bob") }),
        )
        .await;
    assert_eq!(
        (bob.status, bob.code()),
        (429, "rate_limited"),
        "{:?}",
        bob.body
    );
    assert!(
        bob.body.get("visitor_token").is_none(),
        "no session is made over the limit"
    );
    assert_ended(&app, &token, conv_a, 1).await;

    // Over its limits, a bound session has only as much read as an `id` needs: a larger body,
    // even one naming the bound user, is taken as another's.
    let (token, conv_a) = verified_chat(&app, &ws, "alice", "hello again").await;
    until_limited(&app, &token, &alice).await;
    let big = padded(
        "alice",
        replybubble_server::policy::LIMITED_IDENTIFY_READ_BYTES + 1,
    );
    let r = raw_identify(&app, &token, big, "application/json").await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert_ended(&app, &token, conv_a, 1).await;
}

#[actix_rt::test]
async fn identify_and_reset_with_a_bad_token_count_against_the_address() {
    let app = spawn_app_with(true).await;
    for path in ["/api/v1/widget/identify", "/api/v1/widget/reset"] {
        let mut statuses = Vec::new();
        for _ in 0..150 {
            let r = app
                .post(path, Some("rbv_guessed"), json!({ "id": "x" }))
                .await;
            statuses.push(r.status);
            if r.status == 429 {
                break;
            }
        }
        assert_eq!(statuses[0], 401, "{path}");
        assert_eq!(statuses.last(), Some(&429), "{path}: {statuses:?}");
    }
}

#[actix_rt::test]
async fn an_identify_over_the_per_ip_limit_ends_a_bound_session_and_leaves_an_anonymous_one() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv_a) = verified_chat(&app, &ws, "alice", "hi").await;
    // Anonymous sessions of the same address (one NAT) use up the address's identify budget.
    let mut limited = None;
    'outer: for _ in 0..40 {
        let (anonymous, _) = app.session(&ws).await;
        for _ in 0..8 {
            let r = app.identify(&anonymous, json!({ "id": "someone" })).await;
            if r.status == 429 {
                limited = Some(anonymous);
                break 'outer;
            }
        }
    }
    let anonymous = limited.expect("the per-IP identify limit was reached");
    // An anonymous session over the limit is refused and lives on.
    assert_eq!(
        app.get("/api/v1/widget/messages?after=0", Some(&anonymous))
            .await
            .status,
        200
    );
    let bob = app
        .identify(
            &token,
            json!({ "id": "bob", "signature": sign(&ws, "bob") }),
        )
        .await;
    assert_eq!(bob.status, 429, "{:?}", bob.body);
    assert_ended(&app, &token, conv_a, 1).await;
}

/// An identify body of `len` bytes whose `id` is `id`.
fn padded(id: &str, len: usize) -> String {
    let head = format!(r#"{{"id":"{id}","traits":{{"note":""#);
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()))
}

async fn raw_identify(app: &TestApp, token: &str, body: String, content_type: &str) -> Res {
    app.post_raw("/api/v1/widget/identify", Some(token), content_type, body)
        .await
}

#[actix_rt::test]
async fn the_widest_valid_identify_is_read_and_an_unreadable_one_ends_the_bound_session() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    // 20 traits of 1,000 emoji: 80 KB of UTF-8, 240 KB as \u escapes; both are valid.
    let emoji = "\u{1F600}".repeat(1000);
    let traits: serde_json::Map<String, Json> =
        (0..20).map(|i| (format!("t{i}"), json!(emoji))).collect();
    let (anonymous, _) = app.session(&ws).await;
    let wide = app
        .identify(&anonymous, json!({ "id": "bob", "traits": traits }))
        .await;
    assert_eq!(wide.status, 200, "{:?}", wide.body["error"]);
    assert_eq!(wide.body["status"], "unverified");
    let escaped: String = serde_json::to_string(&json!({ "id": "bob", "traits": traits }))
        .unwrap()
        .replace('\u{1F600}', "\\ud83d\\ude00");
    assert!(escaped.len() > 200_000);
    let r = raw_identify(&app, &anonymous, escaped, "application/json").await;
    assert_eq!(r.status, 200, "{:?}", r.body["error"]);

    // On Alice's session, a body valid under the field limits is read: Bob's ends it (the
    // claim rule answers with a new session as for every identify it decides).
    let (token, conv_a) = verified_chat(&app, &ws, "alice", "hi").await;
    let bob = app
        .identify(&token, json!({ "id": "bob", "traits": traits }))
        .await;
    assert_eq!(bob.status, 200);
    assert!(bob.body["visitor_token"].is_string());
    assert_ended(&app, &token, conv_a, 1).await;

    // Bodies the server cannot read (too large for any valid user, not JSON, not
    // application/json) end a bound session too: nobody can tell whose they are.
    let cases: [(String, &str, u16); 3] = [
        (
            padded("alice", IDENTIFY_BODY_MAX_BYTES + 1),
            "application/json",
            413,
        ),
        ("{\"id\": \"bob\"".to_owned(), "application/json", 400),
        (r#"{"id":"bob"}"#.to_owned(), "text/plain", 415),
    ];
    for (body, content_type, status) in cases {
        let (token, conv_a) = verified_chat(&app, &ws, "alice", "hi").await;
        let r = raw_identify(&app, &token, body, content_type).await;
        assert_eq!(r.status, status, "{:?}", r.body);
        assert_ended(&app, &token, conv_a, 1).await;
    }
    // The same refusals on an anonymous session end nothing.
    let (anonymous, _) = app.session(&ws).await;
    let r = raw_identify(
        &app,
        &anonymous,
        padded("x", IDENTIFY_BODY_MAX_BYTES + 1),
        "application/json",
    )
    .await;
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));
    assert_eq!(app.send(&anonymous, "still here").await.status, 201);
    // A body just under the limit whose id is the bound user's own keeps the session.
    let (token, _) = verified_chat(&app, &ws, "alice", "hi").await;
    let r = raw_identify(
        &app,
        &token,
        padded("alice", IDENTIFY_BODY_MAX_BYTES),
        "application/json",
    )
    .await;
    assert_eq!(r.status, 400, "the note trait is too long: {:?}", r.body);
    assert_eq!(r.body["error"]["field"], "traits.note");
    assert!(r.body.get("visitor_token").is_none());
    assert_eq!(app.send(&token, "alice again").await.status, 201);
}

#[actix_rt::test]
async fn a_reset_over_the_rate_limit_still_ends_the_session() {
    let app = spawn_app_with(true).await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv_a) = verified_chat(&app, &ws, "alice", "hi").await;
    // Sessions and resets share one per-IP budget: use it up.
    let mut limited = false;
    for _ in 0..100 {
        let r = app
            .post(
                "/api/v1/widget/session",
                None,
                json!({ "app_id": ws.app_id }),
            )
            .await;
        if r.status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "session creation was limited");
    let r = app
        .post("/api/v1/widget/reset", Some(&token), json!({}))
        .await;
    assert_eq!((r.status, r.code()), (429, "rate_limited"), "{:?}", r.body);
    assert!(r.body.get("visitor_token").is_none());
    assert_ended(&app, &token, conv_a, 1).await;
}

#[actix_rt::test]
async fn a_verified_identify_answers_with_a_new_token_and_ends_the_old_one() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (anonymous, conv) = app.session(&ws).await;
    assert_eq!(app.send(&anonymous, "before signing in").await.status, 201);
    // Whoever knows the anonymous token (a kiosk's next user, a script on the page) holds a
    // ticket and an open stream.
    let ticket = app
        .post("/api/v1/widget/events/ticket", Some(&anonymous), json!({}))
        .await;
    let ticket = ticket.body["ticket"].as_str().unwrap().to_owned();
    let stream_ticket = app
        .post("/api/v1/widget/events/ticket", Some(&anonymous), json!({}))
        .await;
    let mut stream = app
        .client
        .get(app.url(&format!(
            "/api/v1/widget/events?ticket={}",
            stream_ticket.body["ticket"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    let r = app
        .identify(
            &anonymous,
            json!({ "id": "alice", "signature": sign(&ws, "alice") }),
        )
        .await;
    assert_eq!(r.body["status"], "verified", "{:?}", r.body);
    let token = r.body["visitor_token"]
        .as_str()
        .expect("a new token")
        .to_owned();
    assert_ne!(token, anonymous);
    assert_eq!(
        r.body["conversation_id"], conv,
        "the same conversation goes on"
    );
    // The old token, its ticket and its stream are over.
    for res in [
        app.get("/api/v1/widget/messages?after=0", Some(&anonymous))
            .await,
        app.send(&anonymous, "fixated").await,
    ] {
        assert_eq!(res.status, 401, "{:?}", res.body);
    }
    let redeemed = app
        .client
        .get(app.url(&format!("/api/v1/widget/events?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(redeemed.status(), 401, "the old token's ticket is gone");
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the old token's stream was closed");
    // The new token carries on with the conversation.
    let page = app
        .get("/api/v1/widget/messages?after=0", Some(&token))
        .await;
    assert_eq!(page.body["messages"][0]["body"], "before signing in");
    assert_eq!(app.send(&token, "signed in").await.status, 201);
    // Identifying the same user again keeps the token (an SPA calls it on every route).
    let again = app
        .identify(
            &token,
            json!({ "id": "alice", "signature": sign(&ws, "alice") }),
        )
        .await;
    assert_eq!(again.body["status"], "verified");
    assert!(
        again.body.get("visitor_token").is_none(),
        "{:?}",
        again.body
    );
    assert_eq!(app.send(&token, "still me").await.status, 201);
    // Unverified, disabled and refused identifies upgrade nothing, so they rotate nothing.
    let (other, _) = app.session(&ws).await;
    let r = app.identify(&other, json!({ "id": "carol" })).await;
    assert_eq!(r.body["status"], "unverified");
    assert!(r.body.get("visitor_token").is_none());
    assert_eq!(app.send(&other, "unverified").await.status, 201);
}

/// What `session` says of a resumed token: whether it counts as verified now.
async fn verified_now(app: &TestApp, ws: &Ws, token: &str) -> Json {
    app.post(
        "/api/v1/widget/session",
        Some(token),
        json!({ "app_id": ws.app_id }),
    )
    .await
    .body["verified"]
        .clone()
}

#[actix_rt::test]
async fn with_mode_off_or_the_free_plan_a_session_verified_earlier_writes_unverified() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, conv) = verified_chat(&app, &ws, "alice", "verified 1").await;
    assert_eq!(verified_now(&app, &ws, &token).await, json!(true));
    app.set_mode(&ws, Mode::Off).await;
    assert_eq!(app.send(&token, "mode off").await.status, 201);
    assert_eq!(
        verified_now(&app, &ws, &token).await,
        json!(false),
        "not verified while mode is Off"
    );
    app.set_mode(&ws, Mode::Optional).await;
    app.set_plan(&ws, Plan::Free).await;
    assert_eq!(app.send(&token, "free plan").await.status, 201);
    assert_eq!(
        verified_now(&app, &ws, &token).await,
        json!(false),
        "not verified on Free"
    );
    app.set_plan(&ws, Plan::Pro).await;
    assert_eq!(app.send(&token, "verified 2").await.status, 201);
    let rows = app
        .sql_rows(format!(
            "SELECT body, CASE WHEN verified THEN 'yes' ELSE 'no' END FROM messages
             WHERE conversation_id = {conv} ORDER BY seq"
        ))
        .await;
    let got: Vec<(String, String)> = rows
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
    let want = [
        ("verified 1", "yes"),
        ("mode off", "no"),
        ("free plan", "no"),
        ("verified 2", "yes"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
    );
}

#[actix_rt::test]
async fn the_event_stream_is_limited_per_address_and_a_bogus_ticket_is_refused() {
    let app = spawn_app_with(true).await;
    let mut statuses = Vec::new();
    for i in 0..260 {
        let res = app
            .client
            .get(app.url(&format!("/api/v1/widget/events?ticket=rbt_bogus{i}")))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            break;
        }
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "a flood of guesses is cut off");
}

/// Sends a request's head and `sent` bytes of a body that never completes; the status line the
/// server answers within `wait` (None: no answer).
async fn trickle(
    app: &TestApp,
    head: &str,
    sent: &[u8],
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(sent).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    // Read to the end: the server also closed the connection.
    read.ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().map(str::to_owned)
}

#[actix_rt::test]
async fn a_body_that_trickles_gets_408_and_its_connection_closed() {
    let app = crate::helpers::spawn_app_config(|c| replybubble_server::startup::Config {
        body_timeout: std::time::Duration::from_millis(500),
        ..c
    })
    .await;
    let ws = app.workspace(Plan::Pro, Mode::Optional, &[]).await;
    let (token, _) = app.session(&ws).await;
    let wait = std::time::Duration::from_secs(10);
    let widget = format!(
        "POST /api/v1/widget/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    let status = trickle(&app, &widget, b"{\"body\":", wait).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 408 Request Timeout"));
    let login = "POST /dashboard/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    let status = trickle(&app, login, b"email=a", wait).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 408 Request Timeout"));
    // A body that arrives in time is served as ever.
    assert_eq!(app.send(&token, "on time").await.status, 201);
}

#[actix_rt::test]
async fn the_login_limit_answers_before_the_form_is_read() {
    // Bodies may take 30 s here: an answer within 10 s cannot have waited for one.
    let app = crate::helpers::spawn_app_config(|c| replybubble_server::startup::Config {
        rate_limits: true,
        body_timeout: std::time::Duration::from_secs(30),
        ..c
    })
    .await;
    let login = "POST /dashboard/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let r = app
            .client
            .post(app.url("/dashboard/login"))
            .send_form(&[
                ("email", "a@b.test"),
                ("password", "wrong password"),
                ("csrf", "x"),
            ])
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let status = trickle(&app, login, b"", std::time::Duration::from_secs(10)).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 429 Too Many Requests"));
}
