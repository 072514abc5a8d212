//! Messages and live events.

use std::time::Duration;

use futures_util::StreamExt;
use replybubble_core::{Mode, Plan};
use serde_json::{json, Value as Json};

use crate::helpers::{spawn_app, TestApp};

#[actix_rt::test]
async fn messages_are_created_with_an_id_and_time_and_listed_oldest_first_in_pages() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, _) = app.session(&ws).await;
    let r = app.send(&token, "Hello <b>there</b>").await;
    assert_eq!(r.status, 201);
    let first = r.body["id"].as_i64().unwrap();
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));
    for i in 0..120 {
        assert_eq!(app.send(&token, &format!("m{i}")).await.status, 201);
    }
    let page = app
        .get("/api/v1/widget/messages?after=0", Some(&token))
        .await;
    let msgs = page.body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), replybubble_core::limits::MESSAGES_PAGE);
    assert_eq!(
        msgs[0],
        json!({ "id": first, "seq": 1, "author": "visitor", "body": "Hello <b>there</b>", "created_at": r.body["created_at"] })
    );
    assert!(
        msgs.windows(2)
            .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()),
        "oldest first"
    );
    let last = msgs.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(last, 100);
    let next = app
        .get(
            &format!("/api/v1/widget/messages?after={last}"),
            Some(&token),
        )
        .await;
    assert_eq!(next.body["messages"].as_array().unwrap().len(), 121 - 100);
    assert_eq!(
        app.get("/api/v1/widget/messages", Some(&token)).await.body["messages"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

#[actix_rt::test]
async fn bodies_break_limits_with_named_errors() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, _) = app.session(&ws).await;
    for (body, text) in [
        (json!({ "body": "" }), "must not be empty"),
        (json!({ "body": "   " }), "must not be empty"),
        (
            json!({ "body": "x".repeat(5001) }),
            "at most 5000 characters (got 5001)",
        ),
        (json!({ "body": 5 }), "must be a string"),
        (json!({}), "body is required"),
    ] {
        let r = app
            .post("/api/v1/widget/messages", Some(&token), body)
            .await;
        assert_eq!((r.status, r.code()), (400, "invalid_field"));
        assert_eq!(r.body["error"]["field"], "body");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(text),
            "{}",
            r.body
        );
    }
    assert_eq!(app.send(&token, &"ü".repeat(5000)).await.status, 201);
    let r = app
        .get("/api/v1/widget/messages?after=abc", Some(&token))
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (400, Some("after"))
    );
}

async fn ticket(app: &TestApp, token: &str) -> String {
    let t = app
        .post("/api/v1/widget/events/ticket", Some(token), json!({}))
        .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.body["expires_in"], 60);
    t.body["ticket"].as_str().unwrap().to_owned()
}

async fn open(
    app: &TestApp,
    ticket: &str,
) -> Result<
    awc::ClientResponse<
        impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
    >,
    u16,
> {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/widget/events?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    if res.status().as_u16() != 200 {
        return Err(res.status().as_u16());
    }
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    Ok(res)
}

/// Reads the stream until the next `message` event: (id, data).
async fn next_event<S>(res: &mut S, buf: &mut String) -> (i64, Json)
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|s| s.parse::<i64>().unwrap());
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data) {
                return (id, serde_json::from_str(data).unwrap());
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.next())
            .await
            .expect("an event within 10 s");
        buf.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
    }
}

#[actix_rt::test]
async fn the_event_stream_delivers_visitor_and_agent_messages_with_the_message_id() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, conv) = app.session(&ws).await;
    let t = ticket(&app, &token).await;
    let mut stream = open(&app, &t).await.unwrap();
    let mut buf = String::new();
    let sent = app.send(&token, "from the visitor").await;
    let (id, data) = next_event(&mut stream, &mut buf).await;
    assert_eq!(id, sent.body["seq"].as_i64().unwrap());
    assert_eq!(
        (data["author"].as_str(), data["body"].as_str()),
        (Some("visitor"), Some("from the visitor"))
    );
    // An agent reply, through the same store, fans out to the visitor's stream.
    let ws_id = app
        .sql_count(&format!(
            "SELECT workspace_id FROM conversations WHERE id = {conv}"
        ))
        .await;
    let reply = replybubble_server::service::post_agent_reply(
        &app.state.services,
        ws_id,
        conv,
        None,
        "from an agent",
    )
    .await
    .unwrap();
    let (id, data) = next_event(&mut stream, &mut buf).await;
    assert_eq!(id, reply.seq);
    assert_eq!(
        (data["author"].as_str(), data["body"].as_str()),
        (Some("agent"), Some("from an agent"))
    );
    let page = app
        .get(
            &format!("/api/v1/widget/messages?after={}", sent.body["seq"]),
            Some(&token),
        )
        .await;
    assert_eq!(page.body["messages"][0]["author"], "agent");
}

#[actix_rt::test]
async fn tickets_open_one_stream_once_and_streams_end_on_reset() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (token, _) = app.session(&ws).await;
    let t = ticket(&app, &token).await;
    let _stream = open(&app, &t).await.unwrap();
    assert_eq!(open(&app, &t).await.err(), Some(401), "single use");
    assert_eq!(open(&app, "rbt_forged").await.err(), Some(401));
    let r = app.get("/api/v1/widget/events", None).await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
    // A ticket of a session that was reset opens nothing.
    let t2 = ticket(&app, &token).await;
    app.post("/api/v1/widget/reset", Some(&token), json!({}))
        .await;
    assert_eq!(open(&app, &t2).await.err(), Some(401));
}

#[actix_rt::test]
async fn agent_replies_to_another_workspaces_conversation_are_not_found() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let other = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (_, conv) = app.session(&ws).await;
    let other_id = app
        .sql_count(&format!(
            "SELECT id FROM workspaces WHERE app_id = '{}'",
            other.app_id
        ))
        .await;
    let err = replybubble_server::service::post_agent_reply(
        &app.state.services,
        other_id,
        conv,
        None,
        "hi",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            replybubble_server::service::ServiceError::NotFound("conversation")
        ),
        "{err:?}"
    );
    let err = replybubble_server::service::post_agent_reply(
        &app.state.services,
        other_id,
        conv,
        None,
        "",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, replybubble_server::service::ServiceError::Field(_)),
        "{err:?}"
    );
}

#[actix_rt::test]
async fn messages_count_their_position_in_their_conversation_and_after_reads_by_it() {
    let app = spawn_app().await;
    let ws = app.workspace(Plan::Free, Mode::Off, &[]).await;
    let (a, _) = app.session(&ws).await;
    let (b, _) = app.session(&ws).await;
    // Interleaved: the ids of one conversation skip, its positions do not.
    let mut sent = Vec::new();
    for (token, text) in [(&a, "a1"), (&b, "b1"), (&b, "b2"), (&a, "a2"), (&a, "a3")] {
        let r = app.send(token, text).await;
        assert_eq!(r.status, 201);
        sent.push((
            text,
            r.body["id"].as_i64().unwrap(),
            r.body["seq"].as_i64().unwrap(),
        ));
    }
    let seqs: Vec<(&str, i64)> = sent.iter().map(|(t, _, s)| (*t, *s)).collect();
    assert_eq!(
        seqs,
        [("a1", 1), ("b1", 1), ("b2", 2), ("a2", 2), ("a3", 3)]
    );
    assert!(
        sent.windows(2).all(|w| w[0].1 < w[1].1),
        "ids stay unique and increasing"
    );
    let page = app.get("/api/v1/widget/messages?after=1", Some(&a)).await;
    let bodies: Vec<(&str, i64)> = page.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["body"].as_str().unwrap(), m["seq"].as_i64().unwrap()))
        .collect();
    assert_eq!(bodies, [("a2", 2), ("a3", 3)]);
}
