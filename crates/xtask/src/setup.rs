//! `cargo xtask setup`: installs what the build and the tests need, skipping what is present.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, exec, output, project_root, Step};

/// Where npm installs binaryen's wasm-opt (inside target/, so it is git-ignored and cached).
pub fn tools_dir() -> PathBuf {
    project_root().join("target/tools")
}

/// The wasm-opt binary installed by setup.
pub fn wasm_opt() -> PathBuf {
    tools_dir().join("node_modules/.bin/wasm-opt")
}

/// The terser binary installed by setup.
pub fn terser() -> PathBuf {
    tools_dir().join("node_modules/.bin/terser")
}

/// chromedriver: `$CHROMEDRIVER`, else the Debian path, else whatever is on PATH.
pub fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| {
        if Path::new("/usr/bin/chromedriver").exists() {
            "/usr/bin/chromedriver".into()
        } else {
            "chromedriver".into()
        }
    })
}

/// The wasm-bindgen version Cargo.lock pins.
pub fn locked_wasm_bindgen() -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let text =
        std::fs::read_to_string(project_root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let lock: Lock = toml::from_str(&text).context("parsing Cargo.lock")?;
    match lock.package.into_iter().find(|p| p.name == "wasm-bindgen") {
        Some(p) => Ok(p.version),
        None => bail!("Cargo.lock has no wasm-bindgen entry"),
    }
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

pub fn apt_install(packages: &[&str]) -> Result<()> {
    if !(is_root() && Path::new("/etc/debian_version").exists()) {
        bail!(
            "missing {}: install them (on Debian: sudo apt-get install -y {}) and run again",
            packages.join(", "),
            packages.join(" ")
        );
    }
    exec(Command::new("apt-get").args(["update", "-qq"]))?;
    exec(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn has(cmd: &str) -> bool {
    output(Command::new("sh").args(["-c", &format!("command -v {cmd}")])).is_some()
}

/// Runs every setup step.
pub fn run_all() -> Result<()> {
    let _s = Step::new("setup");
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        exec(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    let mut apt: Vec<&str> = Vec::new();
    if !Path::new("/usr/bin/chromium").exists() && !has("chromium") {
        apt.push("chromium");
    }
    if !Path::new("/usr/bin/chromedriver").exists() && !has("chromedriver") {
        apt.push("chromium-driver");
    }
    if !has("npm") {
        apt.extend(["nodejs", "npm"]);
    }
    if !has("python3") {
        apt.push("python3");
    }
    // The reverse proxy the deployment tests put in front of the server.
    if !Path::new("/usr/sbin/nginx").exists() && !has("nginx") {
        apt.push("nginx");
    }
    // The second database engine (DESIGN.md "Scale-out: PostgreSQL"); the tests start their own
    // cluster with its binaries.
    if crate::pg::bin_dir().is_none() {
        apt.push("postgresql");
    }
    // The real SMTP server of the email-fallback tests (Debian's aiosmtpd, for /usr/bin/python3).
    let has_aiosmtpd = output(Command::new("sh").args([
        "-c",
        "/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null && echo yes",
    ]))
    .is_some_and(|s| s.trim() == "yes");
    if !has_aiosmtpd {
        apt.push("python3-aiosmtpd");
    }
    // The load generator of `cargo xtask bench`.
    if !has("wrk") {
        apt.push("wrk");
    }
    if !apt.is_empty() {
        apt_install(&apt)?;
    }

    let want = locked_wasm_bindgen()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        let mut locked = cargo();
        locked.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &want,
            "--locked",
        ]);
        if let Err(e) = exec(&mut locked) {
            // The registry may lack one of the CLI's locked dependencies: resolve afresh, and
            // say so (the CLI then builds with newer dependencies than its release pinned).
            eprintln!("xtask: `cargo install --locked` failed ({e:#}); retrying without --locked");
            exec(cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))?;
        }
    }

    if !wasm_opt().exists()
        || !terser().exists()
        || !tools_dir().join("node_modules/.bin/tsc").exists()
        || !tools_dir().join("node_modules/.bin/esbuild").exists()
        || !tools_dir().join("node_modules/react-dom").exists()
        || !tools_dir().join("node_modules/@types/react").exists()
    {
        let b = crate::build::Settings::load()?.build;
        std::fs::create_dir_all(tools_dir())?;
        exec(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(tools_dir())
                .arg(format!("binaryen@{}", b.binaryen))
                .arg(format!("terser@{}", b.terser))
                .arg(format!("typescript@{}", b.typescript))
                .arg(format!("react@{}", b.react))
                .arg(format!("react-dom@{}", b.react))
                .arg(format!("@types/react@{}", b.react))
                .arg(format!("esbuild@{}", b.esbuild)),
        )?;
    }
    Ok(())
}

/// Whether the build's tools (and with `bench` the bench's: wrk, Chromium, chromedriver) are all
/// here; else an error naming them and the fix. Installs nothing.
pub fn check(bench: bool) -> Result<()> {
    let mut missing = Vec::new();
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        missing.push("the wasm32-unknown-unknown target".to_owned());
    }
    let want = locked_wasm_bindgen()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        missing.push(format!("wasm-bindgen {want}"));
    }
    if !wasm_opt().exists() || !terser().exists() {
        missing.push("wasm-opt and terser (npm)".to_owned());
    }
    if bench {
        for tool in ["wrk", "chromium", &chromedriver()] {
            if !has(tool) {
                missing.push(tool.to_owned());
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        bail!(
            "missing {}: run `cargo xtask setup` first",
            missing.join(", ")
        )
    }
}

/// `cargo xtask setup`.
pub fn run() -> Result<()> {
    run_all()
}
