//! replybubble-server: the HTTP API, the SQLite store, the dashboard and the admin CLI of the
//! `replybubble` binary. `main.rs` only calls [`cli::main`].
//!
//! Layers, each importing only from the ones below it (`xtask tidy` checks it):
//! [`cli`] (clap) → [`startup`] (builds the server from a `Config`) and [`admin`] (the admin
//! commands, demo seeding) → [`http`] (routes, extractors, the one error → response mapping,
//! event streams, static files) → [`service`] (the domain behaviour) → [`hub`] (live events),
//! [`ratelimit`], [`mailer`] (SMTP) → [`store`] (the only place that holds SQL), [`crypto`], [`policy`], [`metrics`] →
//! `replybubble-core`. [`telemetry`] is used by the top layers.
#![deny(missing_docs)]

pub mod admin;
pub mod cli;
pub mod crypto;
pub mod http;
pub mod hub;
pub mod mailer;
pub mod metrics;
pub mod policy;
pub mod ratelimit;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
