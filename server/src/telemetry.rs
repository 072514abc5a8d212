//! Logging. Request lines carry the method, the path without its query string, the status and
//! the time taken: never a header, a body or a query (which could hold a ticket).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once (later calls are no-ops). `REPLYBUBBLE_LOG` or
/// `RUST_LOG` set the filter; the default is `info`.
pub fn init() {
    let filter = std::env::var("REPLYBUBBLE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Middleware: every request runs in a span carrying a random request id (also sent back as
/// `X-Request-Id`), so an error logged while handling it names the request; then one log line
/// per request.
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let id = hex::encode(crate::crypto::random_bytes::<6>());
    let span = tracing::info_span!("request", id = %id);
    let mut res = next.call(req).instrument(span.clone()).await?;
    crate::metrics::METRICS
        .requests
        .get_or_create(&crate::metrics::RequestLabels {
            method: method.to_string(),
            route: res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            status: res.status().as_u16().to_string(),
        })
        .inc();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    span.in_scope(|| {
        tracing::info!(
            %method,
            path = %path,
            status = res.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    Ok(res)
}
