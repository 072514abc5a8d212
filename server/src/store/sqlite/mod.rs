//! The SQLite engine: the embedded default, one file.
//!
//! One writer thread owns the only write connection and commits in groups: it takes every job
//! that is pending, runs each inside its own savepoint of one `BEGIN IMMEDIATE` transaction,
//! commits once, and only then answers each job (so "acknowledged" means "committed" under
//! WAL + `synchronous=FULL`). Reads go to a small pool of read-only connections. The CLI and a
//! running server may share the file; SQLite's lock arbitrates. `store.rs` implements the
//! [`crate::store::Store`] interface on top of the query modules, one per table.

pub mod agents;
pub mod contacts;
pub mod conversations;
pub mod events;
pub mod messages;
mod migrations;
pub mod outbox;
pub mod privacy;
pub mod sessions;
mod store;
pub mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

pub use migrations::LATEST as SCHEMA_VERSION;

use super::StoreError;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Engine(Box::new(e))
    }
}

/// Opens a connection with the settings every connection needs, and checks that the ones that
/// make writes durable really took effect.
pub fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    owner_only(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "{}: SQLite could not switch to WAL mode (got {mode}); put the database on a local filesystem",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    if sync != 2 {
        return Err(StoreError::Invalid(format!(
            "PRAGMA synchronous is {sync}, expected 2 (FULL)"
        )));
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted and overwritten content is zeroed, so a value replaced (a secret sealed in place)
    // does not linger in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// Creates the database file readable and writable by its owner only (0600) when it does not
/// exist, and narrows an existing one, its `-wal` and its `-shm` to 0600: the file holds every
/// workspace's data. SQLite creates `-wal` and `-shm` with the database file's permissions.
fn owner_only(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let denied = |e: std::io::Error| {
            StoreError::Invalid(format!(
                "{}: cannot create or secure the database file: {e}",
                path.display()
            ))
        };
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(denied)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            if let Ok(meta) = std::fs::metadata(file) {
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                        .map_err(denied)?;
                }
            }
        }
    }
    Ok(())
}

/// Opens a connection and brings the schema up to date (what every CLI command does first).
pub fn open_and_migrate(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = open_connection(path)?;
    migrations::migrate(&mut conn)?;
    Ok(conn)
}

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// How many pending jobs one transaction takes at most.
const MAX_BATCH: usize = 256;

/// The writer connection's page cache, KiB (SQLite's default is 2,000).
const WRITER_CACHE_KIB: i64 = 16 * 1024;
/// How many idle read connections are kept.
const READERS: usize = 4;

/// The server's handle on a SQLite database. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReadPool>,
}

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating and migrating as needed) the database at `path` and starts the writer.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = open_and_migrate(path)?;
        // The writer touches index pages all over a large database (an identify updates the
        // calls, their user index, the hourly counts): SQLite's default 2 MB page cache made it
        // re-read them from the OS at every commit.
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("replybubble-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| StoreError::Invalid(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            writer: tx,
            readers: Arc::new(ReadPool {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.readers.path
    }

    /// Runs `f` in the writer's next group transaction and returns its result once committed.
    /// When `f` fails, its own changes are rolled back and the rest of the group still commits.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |committed| {
                let _ = tx.send(committed.and(result));
            });
            (ok, completion)
        });
        crate::metrics::METRICS.write_queue.inc();
        if self.writer.send(job).is_err() {
            crate::metrics::METRICS.write_queue.dec();
            return Err(StoreError::WriterGone);
        }
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Runs `f` on a read connection on this thread: for point reads only (see
    /// `store.rs`), which cost less than a trip to a blocking thread.
    pub fn read_here<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        let conn = self.readers.take()?;
        let result = f(&conn);
        self.readers.give_back(conn);
        result
    }

    /// Runs `f` on a read connection, off the async workers.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.readers.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let result = f(&conn);
            pool.give_back(conn);
            result
        })
        .await;
        joined.map_err(|e| StoreError::Invalid(format!("read task failed: {e}")))?
    }
}

impl ReadPool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS {
            idle.push(conn);
        }
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::METRICS
            .write_queue
            .dec_by(batch.len() as i64);
        run_batch(&conn, batch);
    }
}

fn run_batch(conn: &Connection, batch: Vec<Job>) {
    crate::metrics::METRICS
        .commit_jobs
        .observe(batch.len() as f64);
    let mut completions = Vec::with_capacity(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = e.to_string();
        for job in batch {
            // The job never ran: answer it with the error without running it.
            drop(job);
            tracing::error!(error = %msg, "cannot begin a write transaction");
        }
        return;
    }
    // Cached statements: a savepoint per job costs no parsing.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    for job in batch {
        let began = run("SAVEPOINT job");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn)));
        let (ok, completion) = match outcome {
            Ok(pair) => pair,
            Err(_) => {
                tracing::error!("a database job panicked; its changes were rolled back");
                let c: Completion = Box::new(|_| {});
                (false, c)
            }
        };
        if began.is_ok() {
            let end = if ok {
                run("RELEASE job")
            } else {
                run("ROLLBACK TO job").and_then(|_| run("RELEASE job"))
            };
            if let Err(e) = end {
                tracing::error!(error = %e, "savepoint failed");
            }
        }
        completions.push(completion);
    }
    let started = std::time::Instant::now();
    let committed = conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    });
    crate::metrics::METRICS
        .commit_seconds
        .observe(started.elapsed().as_secs_f64());
    for completion in completions {
        completion(committed.clone().map_err(StoreError::Commit));
    }
}

/// Reads a text column into an enum that parses from its database spelling.
pub(crate) fn parse_enum<T: std::str::FromStr>(
    row: &rusqlite::Row,
    idx: usize,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    s.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, s.into())
    })
}

/// Copies the database at `db` to a new file `out` with SQLite's online backup API: consistent
/// (one snapshot) while a server writes to it, every write committed before the copy began
/// included. Refuses to overwrite `out`. Returns the copy's size in bytes.
pub fn backup(db: &Path, out: &Path) -> Result<u64, StoreError> {
    if out.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists: backup never overwrites a file; choose a new name",
            out.display()
        )));
    }
    if !db.exists() {
        return Err(StoreError::NotFound("database file"));
    }
    let src = open_connection(db)?;
    owner_only(out)?;
    let mut dst = Connection::open(out)?;
    rusqlite::backup::Backup::new(&src, &mut dst)?.run_to_completion(
        1024,
        std::time::Duration::ZERO,
        None,
    )?;
    drop(dst);
    std::fs::metadata(out)
        .map(|m| m.len())
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", out.display())))
}

/// Copies the write-ahead log into the database file and empties the log.
pub fn checkpoint(db: &Path) -> Result<(), StoreError> {
    let conn = open_connection(db)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Asks the database for an answer (the health check).
pub fn ping(conn: &Connection) -> Result<(), StoreError> {
    conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn a_failed_job_rolls_back_alone_and_the_group_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let mut handles = Vec::new();
        for i in 0..50i64 {
            let s = store.clone();
            handles.push(actix_rt::spawn(async move {
                s.write(move |c| {
                    c.execute(
                        "INSERT INTO workspaces (app_id, name, created_at) VALUES (?1, 'w', 0)",
                        [format!("app{i}")],
                    )?;
                    if i % 10 == 0 {
                        return Err(StoreError::Conflict("boom".into()));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        let mut ok = 0;
        for h in handles {
            if h.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 45);
        let n: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(n, 45, "the five failed jobs left nothing behind");
    }

    #[test]
    fn connections_are_wal_and_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_and_migrate(&dir.path().join("t.db")).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2));
    }
}
