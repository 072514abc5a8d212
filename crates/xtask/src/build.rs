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
    /// The npm react (and react-dom, @types/react) version of the npm packages' tests.
    pub react: String,
    /// The npm esbuild version that bundles the npm packages' test app.
    pub esbuild: String,
}

/// Size limits in bytes as brotli (quality 11), what a browser downloads, and the loader's as
/// gzip -9 too (the issue that made it draw a launcher set it in gzip bytes).
#[derive(Debug, Deserialize)]
pub struct Budget {
    loader_brotli: u64,
    loader_gzip: u64,
    total_brotli: u64,
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

/// Builds the widget and checks its size; returns the sizes of the three shipped files (the
/// minified loader, the JS glue and the wasm).
pub fn widget() -> Result<Vec<FileSize>> {
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
                .args([
                    "--ecma",
                    "2020",
                    "--compress",
                    "unsafe_arrows=true,passes=2",
                    "--mangle",
                    "--comments",
                    "/^!/",
                    "-o",
                ])
                .arg(out_dir.join("widget.min.js")),
        )?;
    }
    let names = publish(&out_dir, &b.out_name)?;
    let mut sizes = Vec::new();
    eprintln!(
        "{:<48} {:>8} {:>10} {:>10}",
        "widget file", "raw B", "gzip -9 B", "brotli B"
    );
    for name in &names {
        let f = out_dir.join(name);
        let size = FileSize {
            name: f.strip_prefix(&root).unwrap_or(&f).display().to_string(),
            raw: len(&f)?,
            gzip: len(&f.with_file_name(format!("{name}.gz")))?,
            brotli: len(&f.with_file_name(format!("{name}.br")))?,
        };
        eprintln!(
            "{:<48} {:>8} {:>10} {:>10}",
            size.name, size.raw, size.gzip, size.brotli
        );
        sizes.push(size);
    }
    let sum = |f: fn(&FileSize) -> u64| sizes.iter().map(f).sum::<u64>();
    let total = sum(|s| s.brotli);
    eprintln!(
        "{:<48} {:>8} {:>10} {total:>10}  (budget {} B brotli)",
        "total",
        sum(|s| s.raw),
        sum(|s| s.gzip),
        s.budget.total_brotli
    );
    if sizes[0].brotli > s.budget.loader_brotli || sizes[0].gzip > s.budget.loader_gzip {
        bail!(
            "the loader is {} B with brotli and {} B with gzip, over its budget of {} and {} B (wasm-pack.toml)",
            sizes[0].brotli,
            sizes[0].gzip,
            s.budget.loader_brotli,
            s.budget.loader_gzip
        );
    }
    if total > s.budget.total_brotli {
        bail!(
            "the widget is {total} B with brotli, over its budget of {} B (wasm-pack.toml)",
            s.budget.total_brotli
        );
    }
    Ok(sizes)
}

/// One shipped widget file and its sizes in bytes.
#[derive(Debug, Clone)]
pub struct FileSize {
    /// Its path from the project root.
    pub name: String,
    /// Uncompressed.
    pub raw: u64,
    /// The build's gzip -9 copy.
    pub gzip: u64,
    /// The build's brotli (quality 11) copy.
    pub brotli: u64,
}

fn len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len())
}

/// The first 16 hex digits of the SHA-256 of `data`: a file name that changes with its content.
fn content_hash(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(data)[..8])
}

/// Gives the glue and the wasm content-hashed names, points the loader at both (DESIGN.md: the
/// loader knows the hashed names) and the glue at the wasm (so the glue's name changes with the
/// wasm it loads by default), and writes a gzip and a brotli copy of each of the three
/// (DESIGN.md "Delivering the widget"). Returns the names, loader first.
fn publish(out_dir: &Path, out_name: &str) -> Result<Vec<String>> {
    let read = |name: &str| {
        std::fs::read(out_dir.join(name))
            .with_context(|| format!("reading {}", out_dir.join(name).display()))
    };
    let rename = |from: &str, data: &[u8], ext: &str| -> Result<String> {
        let hashed = format!("{out_name}.{}.{ext}", content_hash(data));
        std::fs::rename(out_dir.join(from), out_dir.join(&hashed))?;
        Ok(hashed)
    };
    let point = |text: String, reference: String, to: &str, file: &str| -> Result<String> {
        if !text.contains(&reference) {
            bail!("{file} does not name {reference}");
        }
        Ok(text.replace(&reference, &format!("\"{to}\"")))
    };
    let wasm_built = format!("{out_name}_bg.wasm");
    let wasm = rename(&wasm_built, &read(&wasm_built)?, "wasm")?;
    let glue_built = format!("{out_name}.js");
    let glue_text = point(
        String::from_utf8(read(&glue_built)?)?,
        format!("\"{wasm_built}\""),
        &wasm,
        "the JS glue",
    )?;
    std::fs::write(out_dir.join(&glue_built), &glue_text)?;
    let glue = rename(&glue_built, glue_text.as_bytes(), "js")?;
    let mut loader = String::from_utf8(read("widget.min.js")?)?;
    for (built, hashed) in [(&glue_built, &glue), (&wasm_built, &wasm)] {
        loader = point(
            loader,
            format!("\"pkg/{built}\""),
            &format!("pkg/{hashed}"),
            "the minified loader (www/widget.js must load it)",
        )?;
    }
    let names = vec!["widget.min.js".to_owned(), glue, wasm];
    std::fs::write(out_dir.join("widget.min.js"), &loader)?;
    for name in &names {
        let data = read(name)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data)?;
        std::fs::write(out_dir.join(format!("{name}.gz")), gz.finish()?)?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut br, &params)?;
        std::fs::write(out_dir.join(format!("{name}.br")), br)?;
    }
    Ok(names)
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
