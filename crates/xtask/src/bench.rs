//! `cargo xtask bench`: requests per second of the widget API against `/healthz`, with wrk, on
//! a fresh database, rate limits off, both on this machine. Prints a table; asserts no speed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::util::{output, project_root, Step};

/// One HTTP/1.1 POST on a plain socket (xtask keeps its dependencies few).
fn post(addr: &str, path: &str, token: Option<&str>, body: &str) -> Result<String> {
    let mut s = TcpStream::connect(addr)?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    Ok(resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn field(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    Some(json[at..].split('"').next()?.to_owned())
}

fn cli(bin: &std::path::Path, db: &std::path::Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin).arg("--db").arg(db).args(args).output()?;
    if !out.status.success() {
        bail!(
            "replybubble {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

fn wrk(url: &str, script: Option<&std::path::Path>) -> Result<f64> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", "-d5s", "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = output(cmd.arg(url)).context("wrk failed")?;
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .context("no Requests/sec in wrk's output")?
        .trim()
        .parse()?;
    let non2xx = out
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(str::trim)
        .unwrap_or("all 2xx");
    eprintln!("    {url}: {rps:.0} req/s ({non2xx})");
    Ok(rps)
}

/// Runs the benchmark.
pub fn run() -> Result<()> {
    let _s = Step::new("bench: widget API vs /healthz (wrk -t2 -c64 -d5s)");
    if output(Command::new("sh").args(["-c", "command -v wrk"])).is_none() {
        crate::setup::apt_install(&["wrk"])?;
    }
    let root = project_root();
    let bin = root.join("target/release/replybubble");
    let dir = root.join("target/bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("bench.db");
    let app_id = cli(
        &bin,
        &db,
        &["workspace", "create", "--name", "Bench", "--plan", "pro"],
    )?;
    let secret = cli(&bin, &db, &["verification", "generate-secret", &app_id])?;
    cli(&bin, &db, &["verification", "mode", &app_id, "optional"])?;
    let mut server = Command::new(&bin)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--rate-limits",
            "off",
            "--db",
        ])
        .arg(&db)
        .env("REPLYBUBBLE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(server.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    let result = (|| -> Result<Vec<(&str, f64)>> {
        let session = post(
            &addr,
            "/api/v1/widget/session",
            None,
            &format!("{{\"app_id\":\"{app_id}\"}}"),
        )?;
        let token = field(&session, "visitor_token").context("no token")?;
        let sig = output(
            Command::new(&bin)
                .args(["sign", "--secret-env", "RB_BENCH_SECRET", "bench_user"])
                .env("RB_BENCH_SECRET", &secret),
        )
        .context("sign")?;
        let lua = |body: &str| {
            format!(
                "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
            )
        };
        let identify = dir.join("identify.lua");
        std::fs::write(
            &identify,
            lua(&format!(
                "{{\"id\":\"bench_user\",\"signature\":\"{}\",\"name\":\"Bench\"}}",
                sig.trim()
            )),
        )?;
        let unverified = dir.join("unverified.lua");
        std::fs::write(
            &unverified,
            lua("{\"id\":\"bench_user\",\"email\":\"b@example.com\"}"),
        )?;
        let message = dir.join("message.lua");
        std::fs::write(&message, lua("{\"body\":\"hello from wrk\"}"))?;
        let api = format!("{base}/api/v1/widget");
        Ok(vec![
            ("GET /healthz", wrk(&format!("{base}/healthz"), None)?),
            (
                "POST identify (verified)",
                wrk(&format!("{api}/identify"), Some(&identify))?,
            ),
            (
                "POST identify (unverified)",
                wrk(&format!("{api}/identify"), Some(&unverified))?,
            ),
            (
                "POST messages",
                wrk(&format!("{api}/messages"), Some(&message))?,
            ),
        ])
    })();
    let _ = server.kill();
    let _ = server.wait();
    let rows = result?;
    let health = rows[0].1;
    println!("| endpoint | req/s | vs /healthz |\n|---|---|---|");
    for (name, rps) in &rows {
        println!("| {name} | {rps:.0} | {:.2}x |", rps / health);
    }
    Ok(())
}
