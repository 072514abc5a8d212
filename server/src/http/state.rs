//! What every handler shares.

use actix_web::{web, HttpRequest};

use crate::ratelimit::Limits;
use crate::service::demo::DemoInfo;
use crate::service::Services;

/// Shared by every handler.
pub struct AppState {
    /// The domain operations' handle (store, hub, clock).
    pub services: Services,
    /// The public base URL, without a trailing slash.
    pub public_url: String,
    /// The demo workspace, when serving the demo.
    pub demo: Option<DemoInfo>,
    /// Rate limits (off with `--rate-limits off`).
    pub limits: Limits,
}

/// The state of a request's app (registered by `startup`).
pub fn of(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered")
}
