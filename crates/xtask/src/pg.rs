//! A throwaway PostgreSQL cluster for `cargo xtask test`: Debian's server binaries, `initdb` in
//! a fresh folder under the system's temporary directory (the `postgres` user must be able to
//! reach it, which a checkout under a private home may not allow), `pg_ctl start` on 127.0.0.1
//! and a free port with a password (SCRAM) for TCP, stopped and deleted when the tests end. Its URL reaches the tests as
//! `REPLYBUBBLE_TEST_PG`; each test makes a database of its own in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{exec, output};

/// The user and password of the test cluster (loopback only, deleted with the folder).
const USER: &str = "replybubble";
const PASSWORD: &str = "replybubble-test";

/// A running cluster; stopped on drop.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
    /// `postgres://…@127.0.0.1:PORT/postgres`.
    pub url: String,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, if PostgreSQL is installed.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// A command of PostgreSQL's binaries, run as the `postgres` user when we are root
/// (PostgreSQL refuses to run as root).
fn pg_command(bin: &Path, as_postgres: bool, program: &str) -> Command {
    let exe = bin.join(program);
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

/// Stops and deletes the clusters of runs that were killed before they could (their xtask
/// process is gone).
fn leftovers(bin: &Path, as_postgres: bool) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("replybubble-test-pg-"))
        else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        let _ = pg_command(bin, as_postgres, "pg_ctl")
            .arg("-D")
            .arg(entry.path().join("data"))
            .args(["stop", "-m", "immediate"])
            .output();
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        pg_command(&self.bin, self.as_postgres, program)
    }

    /// Creates and starts a cluster; an error says what is missing.
    pub fn start() -> Result<Cluster> {
        let bin = bin_dir().context(
            "PostgreSQL's server is not installed (run `cargo xtask setup`, or apt-get install postgresql)",
        )?;
        let as_postgres = is_root();
        leftovers(&bin, as_postgres);
        let dir = std::env::temp_dir().join(format!("replybubble-test-pg-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
        let cluster = Cluster {
            bin,
            dir: dir.clone(),
            as_postgres,
            url: String::new(),
        };
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD)?;
        if as_postgres {
            exec(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
        }
        let data = dir.join("data");
        exec(
            cluster
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    USER,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ])
                .arg(format!("--pwfile={}", pwfile.display()))
                .args(["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=on -c max_connections=300",
            dir.display()
        );
        exec(
            cluster
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(dir.join("log"))
                .args(["-w", "-t", "60", "start"]),
        )
        .with_context(|| {
            format!(
                "starting PostgreSQL; its log: {}",
                dir.join("log").display()
            )
        })?;
        let mut cluster = cluster;
        cluster.url = format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres");
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["stop", "-m", "fast", "-w"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the cluster for the tests, or says loudly why not; under CI a cluster that cannot
/// start is an error, never a skip.
pub fn for_tests() -> Result<Option<Cluster>> {
    match Cluster::start() {
        Ok(c) => Ok(Some(c)),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "xtask: WARNING: no PostgreSQL for the tests ({e:#}); the PostgreSQL tests will SKIP"
            );
            Ok(None)
        }
        Err(e) => bail!("CI must run the PostgreSQL tests, but no cluster started: {e:#}"),
    }
}
