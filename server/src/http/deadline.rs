//! A deadline on reading a request's body: a client that sends its headers and then trickles
//! the body (to hold connections open, or to make the server count a login limit late) gets
//! 408 once [`crate::policy::BODY_READ_SECS`] have passed since the request arrived, and its
//! connection is closed. Headers have actix's own timeout (`client_request_timeout`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;

/// The message of the error a late body ends with (its kind is `TimedOut`).
pub const LATE: &str = "the request body did not arrive in time";

/// Whether a payload error is this deadline's.
pub fn is_late(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// The body, failing with a `TimedOut` error once the deadline passed.
struct Deadline {
    body: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
    late: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.late {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.body).poll_next(cx) {
            Poll::Pending => {}
            ready => return ready,
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.late = true;
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    LATE,
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Middleware: every request's body must arrive within the app's body timeout.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Most requests (GET, HEAD, the streams) have no body: nothing to wait for.
    let headers = req.headers();
    let has_body = headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_some_and(|n| n.as_bytes() != b"0");
    if !has_body {
        return next.call(req).await;
    }
    let within = crate::http::state::of(req.request()).body_timeout;
    let body = req.take_payload();
    let timed = Deadline {
        body,
        timer: Box::pin(tokio::time::sleep(within)),
        late: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed),
    });
    next.call(req).await
}
