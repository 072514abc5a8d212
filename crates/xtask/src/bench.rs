//! `cargo xtask bench`: after `build` (the widget and the release server), criterion's
//! micro-benchmarks of core, then `crates/bench` (release) against `target/release/replybubble`:
//! it seeds a site's scale, loads the server with wrk, times the dashboard, measures the widget
//! in Chromium and writes `BENCHMARKS.md`. Asserts no speed: it reports each budget, met or not.

use anyhow::Result;

use crate::setup;
use crate::util::{cargo, exec, project_root, Step};

/// Runs the benchmark; `--quick` runs it on a tenth of the data; `--postgres` also runs the
/// throughput on a throwaway PostgreSQL cluster (the one `cargo xtask test` uses).
pub fn run(extra: &[String]) -> Result<()> {
    let root = project_root();
    let postgres = extra.iter().any(|a| a == "--postgres");
    let mut pass: Vec<String> = extra
        .iter()
        .filter(|a| *a != "--postgres")
        .cloned()
        .collect();
    let cluster = if postgres {
        let c = crate::pg::Cluster::start()?;
        pass.extend(["--postgres".to_owned(), c.url.clone()]);
        Some(c)
    } else {
        None
    };
    {
        let _s = Step::new("bench: criterion, one identify's CPU in core");
        exec(
            cargo()
                .args([
                    "bench",
                    "-p",
                    "replybubble-core",
                    "--bench",
                    "identify",
                    "--",
                ])
                .args(["--warm-up-time", "1", "--measurement-time", "3"])
                .current_dir(&root),
        )?;
    }
    let _s = Step::new("bench: the release server, the dashboard at scale, wrk, Chromium");
    exec(
        cargo()
            .args(["run", "--release", "-p", "replybubble-bench", "--"])
            .arg("--server")
            .arg(root.join("target/release/replybubble"))
            .arg("--out")
            .arg(root.join("BENCHMARKS.md"))
            .args(&pass)
            .env("CHROMEDRIVER", setup::chromedriver())
            .current_dir(&root),
    )?;
    drop(cluster);
    Ok(())
}
