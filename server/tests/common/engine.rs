//! The engine a test suite runs on: SQLite (a temporary file, the default) or PostgreSQL (a new
//! database in the cluster `REPLYBUBBLE_TEST_PG` names) when `REPLYBUBBLE_TEST_ENGINE=postgres`.
//! `cargo xtask test` runs the HTTP and CLI suites once with each. Needs `mod pg` beside it.

use std::path::{Path, PathBuf};

/// The database under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    /// The SQLite file.
    Sqlite(PathBuf),
    /// The PostgreSQL URL.
    Postgres(String),
}

/// The key PostgreSQL test servers and CLIs seal secrets with (SQLite keeps a file beside the
/// database).
pub const PG_MASTER_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";

/// Whether this run is on PostgreSQL. Asking for it without a cluster fails later: it is never a
/// silent SQLite run.
pub fn on_postgres() -> bool {
    match std::env::var("REPLYBUBBLE_TEST_ENGINE").as_deref() {
        Err(_) | Ok("sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("REPLYBUBBLE_TEST_ENGINE={other}: use sqlite or postgres"),
    }
}

impl Db {
    /// A new, empty database for one test: a file in `dir`, or a new PostgreSQL database.
    pub async fn new(dir: &Path) -> Db {
        if !on_postgres() {
            return Db::Sqlite(dir.join("test.db"));
        }
        let url = crate::pg::database().await.expect(
            "REPLYBUBBLE_TEST_ENGINE=postgres needs REPLYBUBBLE_TEST_PG (`cargo xtask test` starts a cluster)",
        );
        Db::Postgres(url)
    }

    /// What `--db` takes.
    pub fn arg(&self) -> PathBuf {
        match self {
            Db::Sqlite(file) => file.clone(),
            Db::Postgres(url) => PathBuf::from(url),
        }
    }

    /// The rows a query returns, each value as text (NULL: None; booleans as 1 and 0). The
    /// query must mean the same on both engines.
    pub async fn rows(&self, sql: impl AsRef<str>) -> Vec<Vec<Option<String>>> {
        let sql = sql.as_ref();
        match self {
            Db::Sqlite(file) => {
                use rusqlite::types::ValueRef;
                let conn = rusqlite::Connection::open(file).unwrap();
                let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    ValueRef::Null => None,
                                    ValueRef::Integer(v) => Some(v.to_string()),
                                    ValueRef::Real(v) => Some(v.to_string()),
                                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into()),
                                    ValueRef::Blob(b) => Some(hex::encode(b)),
                                })
                            })
                            .collect()
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            Db::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                let driver = actix_rt::spawn(connection);
                let out = client
                    .simple_query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}: {:?}", e.as_db_error()));
                drop(client);
                let _ = driver.await;
                out.into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                            (0..r.len())
                                .map(|i| {
                                    r.get(i).map(|v| match v {
                                        "t" => "1".to_owned(),
                                        "f" => "0".to_owned(),
                                        v => v.to_owned(),
                                    })
                                })
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect()
            }
        }
    }

    /// The first value of the first row, a number.
    #[allow(dead_code)] // not every suite counts
    pub async fn count(&self, sql: impl AsRef<str>) -> i64 {
        let sql = sql.as_ref();
        let rows = self.rows(sql).await;
        let value = rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_else(|| panic!("no value for {sql}"));
        value
            .parse()
            .unwrap_or_else(|_| panic!("{sql}: {value} is not a number"))
    }
}
