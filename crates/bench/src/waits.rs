//! Where PostgreSQL's backends wait during a load run: `pg_stat_activity` sampled every 5 ms on
//! a connection of its own (a thread of its own, since wrk blocks the bench's runtime). The
//! commit-time NOTIFY lock shows as `Lock: object` (the database's notify queue); a commit's
//! flush as `IO: WalSync`; running on the CPU as no wait at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

/// A running sampler; [`Sampler::finish`] stops it and tallies.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<Tally>>,
}

/// What the samples saw: per wait (`type: event`, or `CPU` for none), how many active
/// backends were in it, over all samples.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    counts: HashMap<String, u64>,
    total: u64,
}

impl Tally {
    /// One backend seen; a row-lock wait (`Lock: transactionid`, `Lock: tuple`) is told apart by
    /// the statement that waits.
    fn add(&mut self, kind: Option<&str>, event: Option<&str>, query: Option<&str>) {
        let key = match (kind, event) {
            (Some("Lock"), Some(event @ ("transactionid" | "tuple"))) => {
                let statement: String = query
                    .unwrap_or("")
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("Lock: {event} in {statement}")
            }
            (Some(kind), Some(event)) => format!("{kind}: {event}"),
            _ => "CPU".to_owned(),
        };
        *self.counts.entry(key).or_default() += 1;
        self.total += 1;
    }

    /// The `n` most seen, as "share wait" items, the NOTIFY lock always named (0 % included).
    pub fn summary(&self, n: usize) -> String {
        if self.total == 0 {
            return "no active backend sampled".into();
        }
        let mut top: Vec<(&String, &u64)> = self.counts.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let pct = |c: u64| 100.0 * c as f64 / self.total as f64;
        let mut parts: Vec<String> = top
            .iter()
            .take(n)
            .map(|(k, c)| format!("{k} {:.0} %", pct(**c)))
            .collect();
        let notify = "Lock: object";
        if !top.iter().take(n).any(|(k, _)| k.as_str() == notify) {
            let c = self.counts.get(notify).copied().unwrap_or(0);
            parts.push(format!("{notify} {:.1} %", pct(c)));
        }
        format!("{} ({} samples)", parts.join(", "), self.total)
    }
}

impl Sampler {
    /// Starts sampling the backends of the database at `url` (not its own).
    pub fn start(url: &str) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, flag) = (url.to_owned(), stop.clone());
        let thread = std::thread::spawn(move || {
            actix_rt::System::new().block_on(async move {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                actix_rt::spawn(connection);
                let query = client
                    .prepare(
                        "SELECT wait_event_type, wait_event, query FROM pg_stat_activity
                         WHERE state = 'active' AND backend_type = 'client backend'
                           AND datname = current_database() AND pid <> pg_backend_pid()",
                    )
                    .await?;
                let mut tally = Tally::default();
                while !flag.load(Ordering::Relaxed) {
                    for row in client.query(&query, &[]).await? {
                        tally.add(row.get(0), row.get(1), row.get(2));
                    }
                    actix_rt::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(tally)
            })
        });
        Sampler { stop, thread }
    }

    /// Stops and returns what was seen.
    pub fn finish(self) -> Result<Tally> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the wait sampler panicked"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_gives_shares_and_always_names_the_notify_lock() {
        let mut t = Tally::default();
        for _ in 0..6 {
            t.add(Some("IO"), Some("WalSync"), Some("COMMIT"));
        }
        for _ in 0..3 {
            t.add(None, None, None);
        }
        t.add(Some("Lock"), Some("object"), Some("COMMIT"));
        assert_eq!(
            t.summary(2),
            "IO: WalSync 60 %, CPU 30 %, Lock: object 10.0 % (10 samples)"
        );
        assert_eq!(
            t.summary(3),
            "IO: WalSync 60 %, CPU 30 %, Lock: object 10 % (10 samples)"
        );
        let mut rows = Tally::default();
        rows.add(
            Some("Lock"),
            Some("transactionid"),
            Some("INSERT INTO identify_hourly (workspace_id) VALUES ($1)"),
        );
        assert_eq!(
            rows.summary(1),
            "Lock: transactionid in INSERT INTO identify_hourly 100 %, Lock: object 0.0 % (1 samples)"
        );
        assert_eq!(Tally::default().summary(3), "no active backend sampled");
    }
}
