//! Integration tests over real HTTP: the real app on port 0 with a temporary SQLite file.
//! One binary, one module per area.

mod helpers;

mod abuse;
mod claims;
mod dashboard;
mod delivery;
mod edge;
mod health;
mod hostile;
mod identify;
mod identity_rules;
mod messages;
mod privacy;
mod secrets;
mod sessions;
