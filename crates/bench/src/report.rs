//! The table: each figure beside its budget (and the peers' published figures where there are
//! some), the group commits under load, the machine, and the commands that rerun it.

use std::process::Command;
use std::time::Duration;

use crate::seed::Scale;
use crate::Args;

/// One line of the table.
pub struct Row {
    area: &'static str,
    measure: String,
    figure: String,
    budget: String,
    /// None: no budget, shown for context.
    met: Option<bool>,
}

impl Row {
    /// A measure with a budget.
    pub fn new(
        area: &'static str,
        measure: impl Into<String>,
        figure: String,
        budget: String,
        met: bool,
    ) -> Row {
        Row {
            area,
            measure: measure.into(),
            figure,
            budget,
            met: Some(met),
        }
    }

    /// A measure shown for context.
    pub fn info(area: &'static str, measure: impl Into<String>, figure: String) -> Row {
        Row {
            area,
            measure: measure.into(),
            figure,
            budget: "—".into(),
            met: None,
        }
    }
}

/// The group commits of one write run.
pub struct Stage {
    /// The run.
    pub name: String,
    /// Its requests per second.
    pub rps: f64,
    /// Mean time of one commit (the fsync), ms.
    pub commit_ms: f64,
    /// Mean writes carried by one commit.
    pub per_commit: f64,
}

/// Everything measured.
pub struct Report {
    scale: Scale,
    /// The table's lines.
    pub rows: Vec<Row>,
    /// Group commits per write run.
    pub stages: Vec<Stage>,
    /// criterion's medians for core: (name, ns).
    pub core_cpu: Vec<(String, f64)>,
    /// How long the bench took.
    pub elapsed: Duration,
}

/// The median of some numbers (0 when there are none).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The medians criterion wrote for `cargo bench -p replybubble-core` (run by `cargo xtask
/// bench` just before), from `target/criterion/*/new/estimates.json`.
pub fn criterion_estimates() -> Vec<(String, f64)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let mut out = Vec::new();
    for name in ["identify_validate", "identify_validate+verify"] {
        let path = root.join(name).join("new/estimates.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(ns) = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["median"]["point_estimate"].as_f64())
        {
            out.push((name.replacen('_', "/", 1), ns));
        }
    }
    out
}

fn first_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| "?".into())
}

fn machine() -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("?".into(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    vec![
        ("CPU".into(), format!("{model}, {cores} cores available")),
        ("memory".into(), mem_gib),
        (
            "OS".into(),
            first_line(Command::new("uname").args(["-srm"])),
        ),
        ("rustc".into(), first_line(Command::new("rustc").arg("-V"))),
        (
            "Chromium".into(),
            first_line(Command::new("chromium").arg("--version")),
        ),
        ("wrk".into(), first_line(Command::new("wrk").arg("-v"))),
    ]
}

impl Report {
    /// An empty report for data of `scale`.
    pub fn new(scale: &Scale) -> Report {
        Report {
            scale: *scale,
            rows: Vec::new(),
            stages: Vec::new(),
            core_cpu: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// BENCHMARKS.md.
    pub fn render(&self, args: &Args) -> String {
        let mut s = String::from("# Benchmarks\n\n");
        s.push_str(
            "Written by `cargo xtask bench` (release build, this machine, loopback). Every figure \
             is what a visitor or an agent gets: bytes on the wire and times in Chromium, requests \
             per second under wrk, page times at a real site's scale. Budgets are the performance \
             issue's; no test in the suite asserts a time.\n\n",
        );
        if args.quick {
            s.push_str("**Quick run (`--quick`): a tenth of the data and short runs; not a measurement to quote.**\n\n");
        }
        s.push_str(&format!("Data: {}.\n\n", self.scale));
        s.push_str("| area | measure | figure | budget | met |\n|---|---|---|---|---|\n");
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {met} |\n",
                r.area, r.measure, r.figure, r.budget
            ));
        }
        for (name, ns) in &self.core_cpu {
            s.push_str(&format!(
                "| core CPU | {name}, one identify (criterion median) | {:.2} µs | — | |\n",
                ns / 1e3
            ));
        }
        if !self.stages.is_empty() {
            s.push_str(
                "\n## Where a write's time goes\n\nThe server's own metrics around each run \
                 (`replybubble_commit_seconds`, `replybubble_commit_jobs`): one writer thread \
                 commits the writes of many requests together, each commit one fsync \
                 (WAL, `synchronous=FULL`; an answer is sent only after its commit).\n\n\
                 | run | req/s | mean commit (fsync) | writes per commit |\n|---|---|---|---|\n",
            );
            for st in &self.stages {
                s.push_str(&format!(
                    "| {} | {:.0} | {:.2} ms | {:.1} |\n",
                    st.name, st.rps, st.commit_ms, st.per_commit
                ));
            }
        }
        s.push_str("\n## Machine\n\n");
        for (k, v) in machine() {
            s.push_str(&format!("- {k}: {v}\n"));
        }
        s.push_str(&format!(
            "- the bench took {:.0} s\n\n## Rerun\n\n```sh\ncargo xtask bench --postgres # everything above, writes BENCHMARKS.md (without --postgres: SQLite only)\ncargo bench -p replybubble-core  # the criterion micro-benchmarks alone\n```\n\n\
             How each figure is taken: `crates/bench/src/` (`seed.rs` the data, `pages.rs` the \
             dashboard, `load.rs` wrk, `browser.rs` Chromium).\n",
            self.elapsed.as_secs_f64()
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(vec![5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(vec![]), 0.0);
    }

    #[test]
    fn a_missed_budget_is_marked() {
        let mut r = Report::new(&Scale::QUICK);
        r.rows
            .push(Row::new("a", "x", "3 ms".into(), "≤ 2 ms".into(), false));
        r.rows.push(Row::info("a", "y", "1".into()));
        let text = r.render(&Args {
            server: "s".into(),
            out: "o".into(),
            quick: true,
            keep: None,
            postgres: None,
        });
        assert!(
            text.contains("| a | x | 3 ms | ≤ 2 ms | **no** |"),
            "{text}"
        );
        assert!(text.contains("| a | y | 1 | — |  |"), "{text}");
    }
}
