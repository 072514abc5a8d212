//! The web layer: the route table, the shared state, extractors, one error → response mapping,
//! event streams, static files, and one module of handlers per resource. Handlers parse, count
//! the rate limits, call [`crate::service`] and answer.

pub mod assets;
pub mod client;
pub mod dashboard;
pub mod deadline;
pub mod demo;
pub mod error;
pub mod format;
pub mod head;
pub mod health;
pub mod metrics;
pub mod sse;
pub mod state;
pub mod widget;

use actix_web::web;

/// Every route of the server. The demo shop's routes exist only when `demo` is on.
pub fn configure(cfg: &mut web::ServiceConfig, demo: bool) {
    cfg.route("/healthz", web::get().to(health::healthz));
    widget::configure(cfg);
    dashboard::configure(cfg);
    assets::configure(cfg);
    if demo {
        demo::configure(cfg);
    }
}
