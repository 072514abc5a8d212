//! `cargo xtask`: the project's only build script.
//!
//! - `setup`: the wasm target, the wasm-bindgen CLI that Cargo.lock pins, wasm-opt (npm
//!   binaryen), Chromium and chromedriver (apt, when root on Debian). Skips what is present.
//! - `build`: widget (release wasm → wasm-bindgen → wasm-opt → `www/pkg`, sizes against the
//!   budget in `wasm-pack.toml`), then `target/release/replybubble` with `www/` embedded.
//! - `run`: setup + build + `replybubble serve --demo` on 127.0.0.1:8080 with `./replybubble.db`.
//! - `test`: setup + build + every test (unit, server integration, wasm in Chromium, browser e2e),
//!   with a throwaway PostgreSQL cluster on loopback for the PostgreSQL tests.
//! - `bench`: the performance budgets measured as users get them (crates/bench): bytes on the
//!   wire and times in Chromium, wrk against the release server, the dashboard at a site's
//!   scale, criterion for core; writes `BENCHMARKS.md`.
//!
//! Only `setup`, `run` and `test` install anything; `build` and `bench` check the tools and name
//! the fix.

mod bench;
mod build;
mod pg;
mod setup;
mod tidy;
mod util;

use anyhow::{bail, Result};

use crate::util::{cargo, exec, project_root, Step};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    let rest = if args.len() > 1 { &args[1..] } else { &[] };
    match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        // `build` and `bench` install nothing: they check and name the fix. `run` and `test`
        // set a fresh machine up first (the README's two commands).
        Some("build") => {
            setup::check(false)?;
            build::run()
        }
        Some("run") => {
            setup::run()?;
            build::run()?;
            serve(rest)
        }
        Some("test") => {
            setup::run()?;
            build::run()?;
            test(rest)
        }
        Some("bench") => {
            setup::check(true)?;
            build::run()?;
            bench::run(rest)
        }
        _ => bail!(
            "usage: cargo xtask <setup|build|run|test|bench>\n  \
             setup  install the wasm target, wasm-bindgen, wasm-opt, Chromium\n  \
             build  build the widget and the replybubble binary\n  \
             run    build and start the server with the demo on http://127.0.0.1:8080\n  \
             test   build and run every test\n  \
             bench  measure what users get against the budgets, write BENCHMARKS.md\n         \
                    (--quick: a tenth of the data, to check the bench itself;\n         \
                    --postgres: the throughput on PostgreSQL too)"
        ),
    }
}

fn serve(extra: &[String]) -> Result<()> {
    let root = project_root();
    let bin = root.join("target/release/replybubble");
    let mut args: Vec<String> = [
        "serve",
        "--demo",
        "--addr",
        "127.0.0.1:8080",
        "--db",
        "replybubble.db",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().cloned());
    exec(
        std::process::Command::new(bin)
            .args(&args)
            .current_dir(&root),
    )
}

fn test(extra: &[String]) -> Result<()> {
    let root = project_root();
    {
        // One PostgreSQL cluster for the whole run; each test makes its own database in it.
        let cluster = {
            let _s = Step::new("PostgreSQL for the tests (initdb, pg_ctl start on loopback)");
            pg::for_tests()?
        };
        let _s = Step::new(
            "native tests: core, server, xtask, browser end-to-end (cargo test --workspace)",
        );
        let mut c = cargo();
        c.args(["test", "--workspace", "--exclude", "replybubble-widget"])
            .args(extra)
            .current_dir(&root);
        if let Some(cluster) = &cluster {
            c.env("REPLYBUBBLE_TEST_PG", &cluster.url);
        }
        exec(&mut c)?;
        // The HTTP and CLI suites again, every test on a PostgreSQL database of its own (a run
        // narrowed by arguments does only what was asked).
        if let (Some(cluster), true) = (&cluster, extra.is_empty()) {
            let _s = Step::new(
                "the HTTP and CLI suites again on PostgreSQL (REPLYBUBBLE_TEST_ENGINE=postgres)",
            );
            let mut c = cargo();
            c.args([
                "test",
                "-p",
                "replybubble-server",
                "--test",
                "api",
                "--test",
                "cli",
            ])
            .env("REPLYBUBBLE_TEST_PG", &cluster.url)
            .env("REPLYBUBBLE_TEST_ENGINE", "postgres")
            .current_dir(&root);
            exec(&mut c)?;
        }
    }
    {
        let _s = Step::new("widget tests in headless Chromium (wasm-bindgen-test)");
        let mut c = cargo();
        c.args([
            "test",
            "-p",
            "replybubble-widget",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env("CHROMEDRIVER", setup::chromedriver())
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            root.join("widget/webdriver.json"),
        )
        .current_dir(&root);
        exec(&mut c)?;
    }
    Ok(())
}
