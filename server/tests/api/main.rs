//! Integration tests over real HTTP: the real app on port 0 with a temporary SQLite file, or a
//! new PostgreSQL database with `REPLYBUBBLE_TEST_ENGINE=postgres` (`cargo xtask test` runs both).
//! One binary, one module per area.

#[path = "../common/engine.rs"]
mod engine;
mod helpers;
#[path = "../common/pg.rs"]
mod pg;
#[path = "../common/smtp.rs"]
mod smtp;

mod abuse;
mod claims;
mod dashboard;
mod delivery;
mod edge;
mod email;
mod fail_closed;
mod health;
mod hostile;
mod identify;
mod identity_rules;
mod messages;
mod pages;
mod privacy;
mod secrets;
mod sessions;
