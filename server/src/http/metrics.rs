//! The metrics listener of `serve --metrics-addr`.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

/// `GET /metrics`.
async fn metrics() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(crate::metrics::METRICS.render())
}

/// The metrics listener: `GET /metrics` and nothing else, one worker, its own port (keep it
/// off the public internet).
pub fn server(addr: &str) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on --metrics-addr {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(|| App::new().route("/metrics", web::get().to(metrics)))
        .listen(listener)?
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .run();
    Ok((port, server))
}
