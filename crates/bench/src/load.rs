//! Throughput under load: wrk (2 threads, 64 connections) against `/healthz`, then verified and
//! unverified identify and message posts spread over 256 visitor sessions, in the same run.
//! Around each write run the server's own metrics give the group commits: how long one took and
//! how many requests' writes it carried.

use std::process::Command;

use anyhow::{bail, Context, Result};
use replybubble_core::signature;

use crate::report::{Report, Row, Stage};
use crate::server::{Running, Site};

const SESSIONS: usize = 256;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wrk {
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
}

/// `1.23ms`, `870.00us`, `1.01s` in milliseconds.
fn duration_ms(s: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * factor)
}

/// Reads wrk's `--latency` report; fails on any non-2xx answer (a bench of errors measures
/// nothing).
pub fn parse_wrk(out: &str) -> Result<Wrk> {
    if let Some(line) = out.lines().find(|l| l.contains("Non-2xx")) {
        bail!("wrk saw failed requests: {}", line.trim());
    }
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .context("no Requests/sec in wrk's output")?
        .trim()
        .parse()?;
    let percentile = |p: &str| -> Result<f64> {
        out.lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(p)).then(|| w.next().and_then(duration_ms))?
            })
            .with_context(|| format!("no {p} latency in wrk's output"))
    };
    Ok(Wrk {
        rps,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
    })
}

fn wrk(url: &str, script: Option<&std::path::Path>, seconds: u32) -> Result<Wrk> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd
        .arg(url)
        .output()
        .context("cannot run wrk (apt-get install wrk)")?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let w = parse_wrk(&String::from_utf8_lossy(&out.stdout))?;
    eprintln!(
        "    {url}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        w.rps, w.p50_ms, w.p99_ms
    );
    Ok(w)
}

/// A wrk script that sends `bodies[i]` with `tokens[i]`, round robin.
fn lua(tokens: &[String], bodies: &[String]) -> String {
    let quote = |s: &str| format!("[==[{s}]==]");
    let mut s = String::from("local reqs = {\n");
    for (t, b) in tokens.iter().zip(bodies) {
        s.push_str(&format!("  {{ {}, {} }},\n", quote(t), quote(b)));
    }
    s.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  local r = reqs[(i % #reqs) + 1]\n  \
         return wrk.format(\"POST\", nil, { [\"Content-Type\"] = \"application/json\", \
         [\"Authorization\"] = \"Bearer \" .. r[1] }, r[2])\nend\n",
    );
    s
}

/// The sum and count of one of the server's histograms.
fn histogram(metrics: &str, name: &str) -> (f64, f64) {
    let value = |suffix: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}_{suffix} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    (value("sum"), value("count"))
}

async fn scrape(running: &Running) -> Result<String> {
    // A client of its own each time: a kept-alive connection would be closed by the server
    // during the 10 s of load in between.
    let client = awc::Client::default();
    let mut res = client
        .get(format!("{}/metrics", running.metrics))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("GET /metrics: {e}"))?;
    Ok(String::from_utf8(
        res.body().limit(1 << 22).await?.to_vec(),
    )?)
}

/// The group commits between two scrapes: (mean ms per commit, mean writes per commit).
fn commits(before: &str, after: &str) -> (f64, f64) {
    let delta = |name| {
        let (s0, c0) = histogram(before, name);
        let (s1, c1) = histogram(after, name);
        if c1 > c0 {
            (s1 - s0) / (c1 - c0)
        } else {
            0.0
        }
    };
    (
        delta("replybubble_commit_seconds") * 1e3,
        delta("replybubble_commit_jobs"),
    )
}

/// Runs the load and adds its rows.
pub async fn measure(
    running: &Running,
    site: &Site,
    quick: bool,
    engine: &str,
    report: &mut Report,
) -> Result<()> {
    let seconds = if quick { 3 } else { 10 };
    let client = awc::Client::default();
    let mut tokens = Vec::new();
    for _ in 0..SESSIONS {
        let mut res = client
            .post(format!("{}/api/v1/widget/session", running.base))
            .send_json(&serde_json::json!({ "app_id": site.app_id }))
            .await
            .map_err(|e| anyhow::anyhow!("POST session: {e}"))?;
        let v: serde_json::Value = res.json().await?;
        tokens.push(
            v["visitor_token"]
                .as_str()
                .context("no visitor_token")?
                .to_owned(),
        );
    }
    let verified_bodies: Vec<String> = (0..SESSIONS)
        .map(|i| {
            let id = format!("load_user_{i}");
            let sig = signature::sign(&site.secret, &id);
            format!(r#"{{"id":"{id}","signature":"{sig}","name":"Load {i}","email":"load{i}@example.com"}}"#)
        })
        .collect();
    // Each session is bound to its user once before the runs: the verified identify that binds
    // a session answers with a new token and the old one stops working (no session fixation),
    // so wrk, which cannot take the new one, sends the bound token. The verified run then
    // measures identify() as a page load repeats it for the signed-in user.
    for (token, body) in tokens.iter_mut().zip(&verified_bodies) {
        let mut res = client
            .post(format!("{}/api/v1/widget/identify", running.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .send_body(body.clone())
            .await
            .map_err(|e| anyhow::anyhow!("POST identify: {e}"))?;
        let v: serde_json::Value = res.json().await?;
        if v["status"] != "verified" {
            bail!("identify answered {v}");
        }
        if let Some(fresh) = v["visitor_token"].as_str() {
            *token = fresh.to_owned();
        }
    }
    let dir = tempfile::tempdir()?;
    let write = |name: &str, bodies: Vec<String>| -> Result<std::path::PathBuf> {
        let path = dir.path().join(name);
        std::fs::write(&path, lua(&tokens, &bodies))?;
        Ok(path)
    };
    let verified = write("verified.lua", verified_bodies)?;
    let unverified = write(
        "unverified.lua",
        (0..SESSIONS)
            .map(|i| format!(r#"{{"id":"load_user_{i}","email":"load{i}@example.com"}}"#))
            .collect(),
    )?;
    let message = write(
        "message.lua",
        (0..SESSIONS)
            .map(|i| format!(r#"{{"body":"Hello from visitor {i}, is anyone there?"}}"#))
            .collect(),
    )?;
    let api = format!("{}/api/v1/widget", running.base);
    let health = wrk(&format!("{}/healthz", running.base), None, seconds)?;
    // The budgets are the default engine's; PostgreSQL's figures stand beside them.
    let budgeted_engine = engine == "SQLite";
    report.rows.push(Row::info(
        "throughput",
        format!("{engine}: GET /healthz (the ceiling)"),
        format!("{:.0} req/s, p99 {:.1} ms", health.rps, health.p99_ms),
    ));
    let runs = [
        (
            "verified identify",
            format!("{api}/identify"),
            verified,
            true,
        ),
        (
            "unverified identify",
            format!("{api}/identify"),
            unverified,
            false,
        ),
        ("message post", format!("{api}/messages"), message, true),
    ];
    let on_postgres = site.db.to_str().filter(|d| d.starts_with("postgres://"));
    for (name, url, script, budgeted) in runs {
        let before = scrape(running).await?;
        let sampler = on_postgres.map(crate::waits::Sampler::start);
        let w = wrk(&url, Some(&script), seconds)?;
        if let Some(sampler) = sampler {
            report.rows.push(Row::info(
                "waits",
                format!("{engine}: where the database's backends were during {name}"),
                sampler.finish()?.summary(4),
            ));
        }
        let after = scrape(running).await?;
        // Group commits are SQLite's writer's (PostgreSQL commits each request on its own).
        if on_postgres.is_none() {
            let (commit_ms, per_commit) = commits(&before, &after);
            report.stages.push(Stage {
                name: format!("{engine}: {name}"),
                rps: w.rps,
                commit_ms,
                per_commit,
            });
        }
        let ratio = w.rps / health.rps;
        let figure = format!(
            "{:.0} req/s = {ratio:.2}× healthz; p50 {:.1} ms, p99 {:.1} ms",
            w.rps, w.p50_ms, w.p99_ms
        );
        report.rows.push(if budgeted && budgeted_engine {
            Row::new(
                "throughput",
                format!("{engine}: {name} ÷ healthz, p99"),
                figure,
                "≥ 0.5×, p99 ≤ 10 ms".into(),
                ratio >= 0.5 && w.p99_ms <= 10.0,
            )
        } else {
            Row::info("throughput", format!("{engine}: {name}"), figure)
        });
    }
    let (rss, peak) = running.rss_kib()?;
    let figure = format!("{} MB ({} MB peak)", rss / 1024, peak / 1024);
    report.rows.push(if budgeted_engine {
        Row::new(
            "memory",
            format!("{engine}: server RSS after the load (peak)"),
            figure,
            "≤ 64 MB".into(),
            peak <= 64 * 1024,
        )
    } else {
        Row::info(
            "memory",
            format!("{engine}: server RSS after the load (peak)"),
            figure,
        )
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "Running 5s test @ http://127.0.0.1:8080/healthz
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.42ms  500.00us   9.10ms   80.00%
  Latency Distribution
     50%  870.00us
     75%    1.50ms
     90%    2.00ms
     99%    1.01s
  222980 requests in 5.00s, 20.00MB read
Requests/sec:  44596.12
Transfer/sec:      4.00MB
";

    #[test]
    fn wrk_reports_are_read_in_milliseconds() {
        let w = parse_wrk(OUT).unwrap();
        assert_eq!(w.rps, 44596.12);
        assert!((w.p50_ms - 0.87).abs() < 1e-9);
        assert!((w.p99_ms - 1010.0).abs() < 1e-9);
        let failed = OUT.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 12\nRequests/sec",
        );
        assert!(parse_wrk(&failed).unwrap_err().to_string().contains("12"));
    }

    #[test]
    fn commits_are_the_difference_between_two_scrapes() {
        let before = "replybubble_commit_seconds_sum 1.0\nreplybubble_commit_seconds_count 100\nreplybubble_commit_jobs_sum 400\nreplybubble_commit_jobs_count 100\n";
        let after = "replybubble_commit_seconds_sum 1.5\nreplybubble_commit_seconds_count 200\nreplybubble_commit_jobs_sum 2400\nreplybubble_commit_jobs_count 200\n";
        let (ms, per) = commits(before, after);
        assert!((ms - 5.0).abs() < 1e-9);
        assert!((per - 20.0).abs() < 1e-9);
    }

    #[test]
    fn the_lua_script_rotates_tokens_and_bodies() {
        let s = lua(
            &["t1".into(), "t2".into()],
            &["{\"a\":1}".into(), "{}".into()],
        );
        assert!(s.contains("{ [==[t1]==], [==[{\"a\":1}]==] }"));
        assert!(s.contains("reqs[(i % #reqs) + 1]"));
    }
}
