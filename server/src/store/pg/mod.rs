//! The PostgreSQL engine (DESIGN.md "Scale-out: PostgreSQL"): a pool of tokio-postgres
//! connections (deadpool-postgres) and the migrations, which several `serve` processes starting
//! together apply exactly once, under an advisory lock. Its SQL lives here and in `sql/`, as
//! the SQLite engine's lives in `store/sqlite/`.
//!
//! This is the first step of the engine: connecting and migrating. The `Store` operations follow
//! in their own modules.

mod agents;
mod contacts;
mod conversations;
mod events;
mod import;
mod messages;
mod outbox;
mod privacy;
mod sessions;
mod store;
mod workspaces;

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{Notice, StoreError};

/// The migrations, in order; `schema_version` holds how many were applied.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/0001_init.sql"),
    include_str!("sql/0002_identify_hourly_shards.sql"),
    include_str!("sql/0003_pages_and_appearance.sql"),
    include_str!("sql/0004_presence_and_hours.sql"),
    include_str!("sql/0005_email_outbox.sql"),
    include_str!("sql/0006_inbox.sql"),
    include_str!("sql/0007_signed_identity.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// The advisory lock that serialises migrations across processes ("ReplyBub" in ASCII).
const MIGRATION_LOCK: i64 = 0x5265_706c_7942_7562;

/// Connections per process.
const POOL_SIZE: usize = 16;

/// The channel every server of the database listens on.
const CHANNEL: &str = "replybubble";

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Engine(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Engine(Box::new(e))
    }
}

/// Whether a `--db` value names a PostgreSQL database rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The store on one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// For the listening connection, which is not a pooled one.
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it holds the password.
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:pass@host:port/db`) and brings its schema to
    /// [`SCHEMA_VERSION`].
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Invalid(format!(
                "--db: not a PostgreSQL URL ({e}); write postgres://user:password@host:port/database"
            ))
        })?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot set up the connection pool: {e}")))?;
        let store = PgStore { pool, config };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the pending migrations, each in its own transaction, holding the advisory lock
    /// so that replicas starting together wait for each other; refuses a newer schema.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let result = async {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                )
                .await?;
            let current: i32 = client
                .query_opt("SELECT version FROM schema_version", &[])
                .await?
                .map_or(0, |row| row.get(0));
            if current > SCHEMA_VERSION {
                return Err(crate::store::shared::newer_schema(
                    current.into(),
                    SCHEMA_VERSION.into(),
                ));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                let version = i as i32 + 1;
                let tx = client.transaction().await?;
                tx.batch_execute(sql).await?;
                tx.execute("DELETE FROM schema_version", &[]).await?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&version],
                )
                .await?;
                tx.commit().await?;
                tracing::info!(version, "applied PostgreSQL migration");
            }
            Ok(())
        }
        .await;
        let unlocked = client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await;
        result?;
        unlocked?;
        Ok(())
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one("SELECT version FROM schema_version", &[])
            .await?
            .get(0))
    }
}

/// Reads a text column into an enum that parses from its database spelling.
pub(crate) fn parse_enum<T: FromStr>(
    row: &tokio_postgres::Row,
    idx: usize,
) -> Result<T, StoreError> {
    let s: String = row.try_get(idx)?;
    s.parse()
        .map_err(|_| StoreError::Invalid(format!("unexpected value {s:?} in column {idx}")))
}

tokio::task_local! {
    /// The notices of the transaction being run ([`in_transaction`]).
    static PENDING: std::cell::RefCell<Vec<Notice>>;
}

/// Tells every server of the database once the current transaction has committed (a rolled-back
/// write announces nothing). Called inside [`in_transaction`].
pub(crate) fn notify(notice: Notice) {
    if PENDING.try_with(|p| p.borrow_mut().push(notice)).is_err() {
        debug_assert!(false, "notify outside a transaction");
        tracing::error!("a notice outside a transaction was dropped");
    }
}

/// Runs `body` (one transaction's statements, which may [`notify`]) and returns what it gave
/// and the notices to send once it committed.
pub(crate) async fn in_transaction<T>(
    body: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<(T, Vec<Notice>), StoreError> {
    PENDING
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let out = body.await?;
            Ok((out, PENDING.with(|p| p.take())))
        })
        .await
}

/// Sends a committed transaction's notices, in a transaction of their own that does not wait
/// for its commit to reach the disk. PostgreSQL serialises the commits of every transaction
/// that notified (a database-wide lock, held through the commit's flush); notifying in the
/// write's own transaction made every message wait for the flushes of all the others (60 % of
/// the database's time under `cargo xtask bench --postgres`). A notice lost to a crash right
/// after the commit is what the streams' safety read is for, so a failure here is logged, not
/// returned: the write itself is committed.
pub(crate) async fn announce(client: &deadpool_postgres::Object, notices: Vec<Notice>) {
    let payloads: Vec<String> = notices.iter().map(Notice::payload).collect();
    let sent = async {
        client
            .batch_execute("BEGIN; SET LOCAL synchronous_commit = off")
            .await?;
        let stmt = client.prepare_cached("SELECT pg_notify($1, $2)").await?;
        for payload in &payloads {
            client.execute(&stmt, &[&CHANNEL, payload]).await?;
        }
        client.batch_execute("COMMIT").await
    }
    .await;
    if let Err(e) = sent {
        tracing::warn!(
            error = &e as &dyn std::error::Error,
            "could not announce a committed write; streams find it at their next safety read"
        );
        let _ = client.batch_execute("ROLLBACK").await;
    }
}

impl PgStore {
    /// The notices of every server, from one connection of its own that `LISTEN`s: when it
    /// drops, it is opened again (every second until it works) and [`Notice::Reconnected`]
    /// says that some may have been missed.
    pub(crate) fn listen(&self) -> futures_util::stream::BoxStream<'static, Notice> {
        use futures_util::StreamExt;
        let config = self.config.clone();
        let (out, rx) = tokio::sync::mpsc::channel::<Notice>(1024);
        tokio::spawn(async move {
            let mut listened_before = false;
            loop {
                match config.connect(NoTls).await {
                    Ok((client, mut connection)) => {
                        let (raw_tx, mut raw) = tokio::sync::mpsc::unbounded_channel::<String>();
                        let driver = tokio::spawn(async move {
                            let mut messages = futures_util::stream::poll_fn(move |cx| {
                                connection.poll_message(cx)
                            });
                            while let Some(Ok(message)) = messages.next().await {
                                if let tokio_postgres::AsyncMessage::Notification(n) = message {
                                    if raw_tx.send(n.payload().to_owned()).is_err() {
                                        break;
                                    }
                                }
                            }
                        });
                        match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                            Ok(()) => {
                                if listened_before && out.send(Notice::Reconnected).await.is_err() {
                                    return;
                                }
                                listened_before = true;
                                while let Some(payload) = raw.recv().await {
                                    if let Some(notice) = Notice::parse(&payload) {
                                        if out.send(notice).await.is_err() {
                                            return;
                                        }
                                    }
                                }
                                tracing::warn!(
                                    "the PostgreSQL listening connection closed; reconnecting"
                                );
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot LISTEN on PostgreSQL; retrying")
                            }
                        }
                        driver.abort();
                        drop(client);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open the PostgreSQL listening connection; retrying")
                    }
                }
                if out.is_closed() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|n| (n, rx))
        }))
    }
}
