//! `cargo xtask bench`: requests per second of the widget API against `/healthz`, with wrk,
//! on a fresh database, rate limits off. Numbers go to stdout; nothing here asserts a speed.

use anyhow::{bail, Result};

/// Runs the benchmark (filled in with the server's widget API).
pub fn run() -> Result<()> {
    bail!("bench: not available yet")
}
