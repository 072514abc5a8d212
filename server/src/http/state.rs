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
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a request's body may take to arrive ([`crate::http::deadline`]).
    pub body_timeout: std::time::Duration,
}

impl AppState {
    /// The rate-limit key of a request's client (see [`crate::http::client`]).
    pub fn client_key(&self, req: &HttpRequest) -> String {
        crate::http::client::client_key(req, &self.trusted_proxies)
    }
}

/// The state of a request's app (registered by `startup`).
pub fn of(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered")
}
