//! HTTP handlers, one module per resource. [`configure`] is the route table.

pub mod health;

use actix_web::web;

/// Every route of the server.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz));
    crate::assets::configure(cfg);
    crate::demo::configure(cfg);
}
