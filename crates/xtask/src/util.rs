//! Helpers: the project root, running commands loudly, timing steps.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The workspace root (two levels above this crate).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("project root")
}

/// `cargo`, as the one that runs xtask.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command, echoing it, and fails when it fails.
pub fn exec(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", show(cmd)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", show(cmd));
    }
    Ok(())
}

/// Runs a command and returns its stdout, or None when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Prints a step's name, and its duration when dropped.
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    /// Starts a step.
    pub fn new(name: &str) -> Step {
        eprintln!("==> {name}");
        Step {
            name: name.to_owned(),
            started: Instant::now(),
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        eprintln!(
            "<== {} ({:.1} s)",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}
