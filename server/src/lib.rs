//! replybubble-server: the HTTP API, the SQLite store, the dashboard and the admin CLI of the
//! `replybubble` binary. `main.rs` only calls [`cli::main`].
//!
//! Modules by concern: [`cli`] and [`admin`] (commands), [`startup`] (building the server),
//! [`routes`] (handlers), [`error`] (the only place that knows HTTP status codes), [`store`]
//! (the only place that holds SQL), [`service`] (the widget API's behaviour), [`hub`] (live events), [`ratelimit`],
//! [`crypto`] (randomness and hashes), [`assets`] (embedded
//! `www/`), [`demo`], [`telemetry`].
#![deny(missing_docs)]

pub mod admin;
pub mod assets;
pub mod cli;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod hub;
pub mod ratelimit;
pub mod routes;
pub mod service;
pub mod sse;
pub mod startup;
pub mod store;
pub mod telemetry;
