//! HTTP handlers, one module per resource. [`configure`] is the route table.

pub mod dashboard;
pub mod health;
pub mod widget;

use actix_web::web;

/// Every route of the server.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz));
    widget::configure(cfg);
    dashboard::configure(cfg);
    crate::assets::configure(cfg);
    crate::demo::configure(cfg);
}
