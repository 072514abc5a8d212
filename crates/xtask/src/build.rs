//! `cargo xtask build`: the widget (wasm → wasm-bindgen → wasm-opt → `www/pkg`), its size
//! against the budget, then the server binary with `www/` embedded.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::setup;
use crate::util::{cargo, exec, project_root, Step};

/// `wasm-pack.toml`.
#[derive(Debug, Deserialize)]
pub struct Settings {
    /// `[build]`.
    pub build: BuildSettings,
    /// `[budget]`.
    pub budget: Budget,
}

/// How the widget is built.
#[derive(Debug, Deserialize)]
pub struct BuildSettings {
    #[serde(rename = "crate")]
    krate: String,
    profile: String,
    out_dir: String,
    out_name: String,
    wasm_opt: Vec<String>,
    /// The npm binaryen version that provides wasm-opt.
    pub binaryen: String,
    /// The npm terser version that minifies the JS.
    pub terser: String,
    /// The npm typescript version that checks `www/replybubble.d.ts` in the tests.
    pub typescript: String,
}

/// Size limits in gzip -9 bytes.
#[derive(Debug, Deserialize)]
pub struct Budget {
    loader_gzip: u64,
    total_gzip: u64,
}

impl Settings {
    /// Reads `wasm-pack.toml` at the project root.
    pub fn load() -> Result<Settings> {
        let text = std::fs::read_to_string(project_root().join("wasm-pack.toml"))
            .context("reading wasm-pack.toml")?;
        let s: Settings = toml::from_str(&text).context("parsing wasm-pack.toml")?;
        Ok(s)
    }
}

fn gzip_len(path: &Path) -> Result<(u64, u64)> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&data)?;
    Ok((data.len() as u64, enc.finish()?.len() as u64))
}

/// Builds the widget and checks its size; returns (raw, gzip) of the three shipped files
/// (the minified loader, the JS glue and the wasm).
pub fn widget() -> Result<Vec<(String, u64, u64)>> {
    let root = project_root();
    let s = Settings::load()?;
    let b = &s.build;
    {
        let _s = Step::new("widget: cargo build (wasm32)");
        // Panic locations name source files: keep those paths short, and free of this
        // machine's directories, in the shipped module.
        let cargo_home = std::env::var("CARGO_HOME")
            .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
        // Added to the flags the caller already set (CARGO_ENCODED_RUSTFLAGS, else RUSTFLAGS),
        // never replacing them.
        let mut flags: Vec<String> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
            Ok(f) if !f.is_empty() => f.split('\x1f').map(str::to_owned).collect(),
            _ => std::env::var("RUSTFLAGS")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        };
        flags.push(format!("--remap-path-prefix={cargo_home}/registry/src/="));
        flags.push(format!("--remap-path-prefix={}/=", root.display()));
        let remap = flags.join("\x1f");
        let target = "wasm32-unknown-unknown";
        exec(
            cargo()
                .args([
                    "build",
                    "-p",
                    &b.krate,
                    "--profile",
                    &b.profile,
                    "--target",
                    target,
                ])
                .env("CARGO_ENCODED_RUSTFLAGS", remap)
                .current_dir(&root),
        )?;
    }
    let lib = b.krate.replace('-', "_");
    let wasm_in = root.join(format!(
        "target/wasm32-unknown-unknown/{}/{lib}.wasm",
        b.profile
    ));
    let out_dir = root.join(&b.out_dir);
    {
        let _s = Step::new("widget: wasm-bindgen, wasm-opt, terser");
        let _ = std::fs::remove_dir_all(&out_dir);
        exec(
            Command::new("wasm-bindgen")
                .args([
                    "--target",
                    "web",
                    "--no-typescript",
                    "--remove-name-section",
                    "--remove-producers-section",
                ])
                .arg("--out-dir")
                .arg(&out_dir)
                .args(["--out-name", &b.out_name])
                .arg(&wasm_in),
        )?;
        let bg = out_dir.join(format!("{}_bg.wasm", b.out_name));
        exec(
            Command::new(setup::wasm_opt())
                .args(&b.wasm_opt)
                .arg(&bg)
                .arg("-o")
                .arg(&bg),
        )?;
        let glue = out_dir.join(format!("{}.js", b.out_name));
        exec(
            Command::new(setup::terser())
                .arg(&glue)
                .args(["--module", "--compress", "--mangle", "-o"])
                .arg(&glue),
        )?;
        exec(
            Command::new(setup::terser())
                .arg(root.join("www/widget.js"))
                .args(["--compress", "--mangle", "--comments", "/^!/", "-o"])
                .arg(out_dir.join("widget.min.js")),
        )?;
    }
    let files = [
        out_dir.join("widget.min.js"),
        out_dir.join(format!("{}.js", b.out_name)),
        out_dir.join(format!("{}_bg.wasm", b.out_name)),
    ];
    let mut sizes = Vec::new();
    eprintln!("{:<40} {:>10} {:>10}", "widget file", "raw B", "gzip -9 B");
    for f in &files {
        let (raw, gz) = gzip_len(f)?;
        let name = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        eprintln!("{name:<40} {raw:>10} {gz:>10}");
        sizes.push((name, raw, gz));
    }
    let total_raw: u64 = sizes.iter().map(|s| s.1).sum();
    let total: u64 = sizes.iter().map(|s| s.2).sum();
    eprintln!(
        "{:<40} {total_raw:>10} {total:>10}  (budget {} B gzip)",
        "total", s.budget.total_gzip
    );
    if sizes[0].2 > s.budget.loader_gzip {
        bail!(
            "the loader is {} B gzipped, over its budget of {} B (wasm-pack.toml)",
            sizes[0].2,
            s.budget.loader_gzip
        );
    }
    if total > s.budget.total_gzip {
        bail!(
            "the widget is {total} B gzipped, over its budget of {} B (wasm-pack.toml)",
            s.budget.total_gzip
        );
    }
    Ok(sizes)
}

/// `cargo xtask build`.
pub fn run() -> Result<()> {
    widget()?;
    let _s = Step::new("server: cargo build --release (www/ embedded)");
    exec(
        cargo()
            .args(["build", "--release", "-p", "replybubble-server"])
            .current_dir(project_root()),
    )
}
