//! The release server as an operator runs it: a workspace, an owner and a secret made with the
//! CLI, then `replybubble serve` on a loopback port with rate limits off (the bench is one
//! client).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// The owner's password (the bench's own throwaway database).
pub const PASSWORD: &str = "bench-password-1";
/// The owner's email.
pub const OWNER: &str = "owner@bench.test";

/// A fresh database with one Pro workspace in Optional mode.
pub struct Site {
    /// The SQLite file.
    pub db: PathBuf,
    /// The workspace's app id.
    pub app_id: String,
    /// Its verification secret.
    pub secret: String,
}

fn cli(bin: &Path, db: &Path, args: &[&str], stdin: Option<&str>) -> Result<serde_json::Value> {
    let mut child = Command::new(bin)
        .arg("--db")
        .arg(db)
        .arg("--json")
        .args(args)
        .envs(key_env(db))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(input.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "replybubble {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("replybubble {args:?} output"))
}

fn text(v: &serde_json::Value, key: &str) -> Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {key} in {v}"))
}

/// The master key the bench gives the server and the CLI on PostgreSQL (a throwaway database).
const PG_MASTER_KEY: &str =
    "6265_6e63_685f_6b65_795f_6e6f_745f_7573_6564_5f61_6e79_7768_6572_6521_2121_2121";

/// The environment a `replybubble` process of the bench needs for `db`.
fn key_env(db: &Path) -> Vec<(&'static str, String)> {
    if db.to_str().is_some_and(|s| s.starts_with("postgres")) {
        vec![("REPLYBUBBLE_MASTER_KEY", PG_MASTER_KEY.replace('_', ""))]
    } else {
        Vec::new()
    }
}

impl Site {
    /// `bench.db` in `dir`, emptied: a kept folder holds the previous run's database.
    pub fn sqlite_file(dir: &Path) -> PathBuf {
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(dir.join(format!("bench.db{suffix}")));
        }
        dir.join("bench.db")
    }

    /// A new database `replybubble_bench_<pid>` on the PostgreSQL server of `admin`; its URL.
    pub async fn postgres_database(admin: &str) -> Result<String> {
        let name = format!("replybubble_bench_{}", std::process::id());
        let (client, connection) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
            .await
            .context("connecting to --postgres")?;
        actix_rt::spawn(connection);
        // One statement each: several in one query would run as one transaction, which
        // CREATE DATABASE refuses.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let (base, _) = admin
            .rsplit_once('/')
            .context("--postgres: a URL ending in /database")?;
        Ok(format!("{base}/{name}"))
    }

    /// Sets the site up on `db` (a SQLite file or a PostgreSQL URL) with the CLI.
    pub fn create(bin: &Path, db: &Path) -> Result<Site> {
        let db = db.to_owned();
        let ws = cli(
            bin,
            &db,
            &["workspace", "create", "--name", "Bench", "--plan", "pro"],
            None,
        )?;
        let app_id = text(&ws, "app_id")?;
        let secret = text(
            &cli(
                bin,
                &db,
                &["verification", "generate-secret", &app_id],
                None,
            )?,
            "secret",
        )?;
        cli(
            bin,
            &db,
            &["verification", "mode", &app_id, "optional"],
            None,
        )?;
        cli(
            bin,
            &db,
            &[
                "agent",
                "create",
                "--workspace",
                &app_id,
                "--email",
                OWNER,
                "--role",
                "owner",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )?;
        Ok(Site { db, app_id, secret })
    }
}

/// `replybubble serve` running on the database.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `http://127.0.0.1:PORT` of `--metrics-addr`.
    pub metrics: String,
    child: Child,
}

impl Running {
    /// Starts the server and waits for its banner.
    pub fn start(bin: &Path, db: &Path) -> Result<Running> {
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--rate-limits", "off"])
            .arg("--metrics-addr")
            .arg(format!("127.0.0.1:{metrics_port}"))
            .arg("--db")
            .arg(db)
            .envs(key_env(db))
            .env("REPLYBUBBLE_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} serve", bin.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().context("stdout")?).read_line(&mut line)?;
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no URL in the banner {line:?}"))?
            .trim_end_matches('/')
            .to_owned();
        Ok(Running {
            base,
            metrics: format!("http://127.0.0.1:{metrics_port}"),
            child,
        })
    }

    /// The server's resident memory now and at its peak, in KiB (`/proc/PID/status`).
    pub fn rss_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("no {name} in /proc status"))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
