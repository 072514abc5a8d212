//! Server-sent event streams of new messages, for the widget and the dashboard alike.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::store::MessageRow;

/// How often an idle stream gets a comment line, so proxies keep it open.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Who reads the stream: agents also learn whether a visitor message was sent verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The widget: exactly the wire `Message`.
    Visitor,
    /// The dashboard: the wire `Message` plus `verified` and `when` (the time as the page shows
    /// it).
    Agent,
}

fn event(m: &MessageRow, audience: Audience) -> Bytes {
    let wire = crate::service::wire_message(m);
    let data = match audience {
        Audience::Visitor => serde_json::to_string(&wire),
        Audience::Agent => serde_json::to_value(&wire).and_then(|mut v| {
            v["verified"] = serde_json::Value::Bool(m.verified);
            v["when"] = serde_json::Value::String(crate::http::format::when(m.created_at).0);
            serde_json::to_string(&v)
        }),
    }
    .unwrap_or_default();
    Bytes::from(format!("id: {}\nevent: message\ndata: {data}\n\n", m.seq))
}

/// A `text/event-stream` response of named JSON events (`(event, data)`), with keep-alive
/// comments in between, until `events` ends (the dashboard's inbox).
pub fn respond_json(events: BoxStream<'static, (&'static str, String)>) -> HttpResponse {
    let tick = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    let gauge = crate::metrics::StreamGauge::open();
    let hello = Some(Bytes::from_static(b"retry: 2000\n: connected\n\n"));
    let stream = futures_util::stream::unfold(
        (events, tick, hello, gauge),
        |(mut events, mut tick, first, gauge)| async move {
            if let Some(hello) = first {
                return Some((
                    Ok::<_, actix_web::Error>(hello),
                    (events, tick, None, gauge),
                ));
            }
            tokio::select! {
                e = events.next() => e.map(|(name, data)| {
                    let frame = Bytes::from(format!("event: {name}\ndata: {data}\n\n"));
                    (Ok(frame), (events, tick, None, gauge))
                }),
                _ = tick.tick() => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), (events, tick, None, gauge))),
            }
        },
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}

/// A `text/event-stream` response that first sends `backlog` (messages the client missed), then
/// each of `messages` ([`crate::service::follow`]), every one as an event whose id is the
/// message's `seq`, with keep-alive comments in between. The stream ends when `messages` does
/// (the session ended) or at `until` (the session expires).
pub fn respond(
    rx: BoxStream<'static, MessageRow>,
    backlog: Vec<MessageRow>,
    audience: Audience,
    until: Option<std::time::SystemTime>,
) -> HttpResponse {
    let tick = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    let left = until.map(|t| {
        t.duration_since(std::time::SystemTime::now())
            .unwrap_or_default()
    });
    let deadline =
        tokio::time::Instant::now() + left.unwrap_or(Duration::from_secs(100 * 365 * 86400));
    let mut hello = String::from("retry: 2000\n: connected\n\n");
    for m in &backlog {
        hello.push_str(std::str::from_utf8(&event(m, audience)).unwrap_or_default());
    }
    let gauge = crate::metrics::StreamGauge::open();
    let stream = futures_util::stream::unfold(
        (rx, tick, Some(hello), gauge),
        move |(mut rx, mut tick, first, gauge)| async move {
            if let Some(hello) = first {
                return Some((
                    Ok::<_, actix_web::Error>(Bytes::from(hello)),
                    (rx, tick, None, gauge),
                ));
            }
            tokio::select! {
                m = rx.next() => m.map(|m| (Ok(event(&m, audience)), (rx, tick, None, gauge))),
                _ = tokio::time::sleep_until(deadline) => None,
                _ = tick.tick() => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), (rx, tick, None, gauge))),
            }
        },
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}
