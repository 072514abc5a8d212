//! Server-sent event streams of new messages, for the widget and the dashboard alike.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use tokio::sync::mpsc;

use crate::error::status;
use crate::store::messages::MessageRow;

/// How often an idle stream gets a comment line, so proxies keep it open.
const KEEPALIVE: Duration = Duration::from_secs(15);

fn event(m: &MessageRow) -> Bytes {
    let data = serde_json::to_string(&crate::service::wire_message(m)).unwrap_or_default();
    Bytes::from(format!("id: {}\nevent: message\ndata: {data}\n\n", m.id))
}

/// A `text/event-stream` response that first sends `backlog` (messages the client missed), then
/// each message of `rx`, every one as an event whose id is the message id, with keep-alive
/// comments in between.
pub fn respond(rx: mpsc::Receiver<MessageRow>, backlog: Vec<MessageRow>) -> HttpResponse {
    let tick = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    let mut hello = String::from("retry: 2000\n: connected\n\n");
    for m in &backlog {
        hello.push_str(std::str::from_utf8(&event(m)).unwrap_or_default());
    }
    let stream = futures_util::stream::unfold(
        (rx, tick, Some(hello)),
        |(mut rx, mut tick, first)| async move {
            if let Some(hello) = first {
                return Some((
                    Ok::<_, actix_web::Error>(Bytes::from(hello)),
                    (rx, tick, None),
                ));
            }
            tokio::select! {
                m = rx.recv() => m.map(|m| (Ok(event(&m)), (rx, tick, None))),
                _ = tick.tick() => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), (rx, tick, None))),
            }
        },
    );
    HttpResponse::build(status::OK)
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream)
}
