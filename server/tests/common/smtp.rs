//! A real SMTP server for the email tests: Python's aiosmtpd (Debian's python3-aiosmtpd,
//! installed by `cargo xtask setup`) on a loopback port, delivering into a Maildir the test reads.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running aiosmtpd; killed on drop.
pub struct Smtp {
    /// The port it listens on.
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: Option<tempfile::TempDir>,
}

/// A free loopback port (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Python that has aiosmtpd: Debian's (`/usr/bin/python3`), else the one on PATH.
fn python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Whether an SMTP server greets (`220 …`) on the port.
async fn greets(port: u16) -> bool {
    use tokio::io::AsyncReadExt;
    let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut greeting = [0u8; 4];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), conn.read_exact(&mut greeting)).await,
        Ok(Ok(_)) if &greeting[..3] == b"220"
    )
}

impl Smtp {
    /// Starts aiosmtpd on `port` and waits until it accepts connections. Panics (never skips)
    /// when it cannot start: run `cargo xtask setup`.
    pub async fn start(port: u16) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd (run `cargo xtask setup`): {e}"));
        let mut smtp = Smtp {
            port,
            maildir,
            child,
            _dir: Some(dir),
        };
        for _ in 0..200 {
            // Its own greeting, not just an open port: another socket may have taken the port.
            if greets(port).await {
                return smtp;
            }
            if let Ok(Some(status)) = smtp.child.try_wait() {
                panic!("aiosmtpd exited ({status}): is python3-aiosmtpd installed? run `cargo xtask setup`");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on 127.0.0.1:{port}");
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The emails received so far, as raw RFC 5322 text, oldest first.
    pub fn received(&self) -> Vec<String> {
        let mut files: Vec<(std::time::SystemTime, String)> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.maildir.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let at = e.metadata().ok()?.modified().ok()?;
                Some((at, std::fs::read_to_string(e.path()).ok()?))
            })
            .collect();
        files.sort_by_key(|f| f.0);
        files.into_iter().map(|f| f.1).collect()
    }

    /// Waits up to 15 s until `n` emails arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} emails never arrived: {:?}", self.received());
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
