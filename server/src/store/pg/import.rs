//! `replybubble migrate-to`: a SQLite database copied into an empty PostgreSQL one, row by row
//! in one PostgreSQL transaction, ids kept (so tokens, links and positions stay valid), the
//! identity sequences moved past them. The columns come from PostgreSQL's catalog and each value
//! is converted to its PostgreSQL type; the home page's counts are rebuilt by the schema's
//! triggers as the rows arrive.

use std::path::Path;

use rusqlite::types::ValueRef;
use tokio_postgres::types::ToSql;

use super::{PgStore, StoreError};

/// The tables, parents first (foreign keys), as they are after the latest migration of each
/// engine; `workspace_counts` is not copied but rebuilt by triggers.
const TABLES: &[&str] = &[
    "workspaces",
    "workspace_origins",
    "agents",
    "agent_sessions",
    "contacts",
    "conversations",
    "sessions",
    "messages",
    "email_outbox",
    "agent_reads",
    "stream_tickets",
    "demo",
    "identify_events",
    "identify_hourly",
    "identify_users",
    "identify_failures_hourly",
];

/// What `migrate-to` copied.
#[derive(Debug, Default)]
pub struct Imported {
    /// Rows copied per table, in copy order.
    pub tables: Vec<(String, u64)>,
    /// NUL characters (U+0000) replaced by U+FFFD: PostgreSQL text cannot hold them, and only
    /// a release from before the rule that refuses them can have stored one.
    pub nul_replaced: u64,
}

/// One SQLite value as the PostgreSQL column type wants it (a NUL in text becomes U+FFFD,
/// counted in `nul_replaced`).
fn convert(
    value: ValueRef<'_>,
    pg_type: &str,
    table: &str,
    column: &str,
    nul_replaced: &mut u64,
) -> Result<Box<dyn ToSql + Sync + Send>, StoreError> {
    let bad = || {
        StoreError::Invalid(format!(
            "{table}.{column}: a SQLite value that does not fit PostgreSQL's {pg_type}"
        ))
    };
    Ok(match (value, pg_type) {
        (ValueRef::Null, "bigint") => Box::new(None::<i64>),
        (ValueRef::Null, "integer") => Box::new(None::<i32>),
        (ValueRef::Null, "boolean") => Box::new(None::<bool>),
        (ValueRef::Null, "bytea") => Box::new(None::<Vec<u8>>),
        (ValueRef::Null, "text") => Box::new(None::<String>),
        (ValueRef::Integer(n), "bigint") => Box::new(n),
        (ValueRef::Integer(n), "integer") => Box::new(i32::try_from(n).map_err(|_| bad())?),
        (ValueRef::Integer(n), "boolean") => Box::new(n != 0),
        (ValueRef::Text(t), "text") => {
            let text = String::from_utf8(t.to_vec()).map_err(|_| bad())?;
            let nuls = text.matches('\0').count() as u64;
            if nuls == 0 {
                Box::new(text)
            } else {
                *nul_replaced += nuls;
                Box::new(text.replace('\0', "\u{FFFD}"))
            }
        }
        (ValueRef::Blob(b), "bytea") => Box::new(b.to_vec()),
        _ => return Err(bad()),
    })
}

impl PgStore {
    /// Copies every row of the SQLite database `sqlite` into this (empty) database; returns the
    /// rows copied per table. Refuses a database that already holds workspaces.
    pub async fn import_sqlite(&self, sqlite: &Path) -> Result<Imported, StoreError> {
        let source = crate::store::sqlite::open_and_migrate(sqlite)?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let existing: i64 = tx
            .query_one("SELECT count(*) FROM workspaces", &[])
            .await?
            .try_get(0)?;
        if existing > 0 {
            return Err(StoreError::Conflict(
                "the PostgreSQL database already holds workspaces: migrate into an empty database"
                    .into(),
            ));
        }
        let mut copied = Imported::default();
        for &table in TABLES {
            let columns: Vec<(String, String, bool)> = tx
                .query(
                    "SELECT column_name::TEXT, data_type::TEXT, is_identity = 'YES'
                     FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1
                     ORDER BY ordinal_position",
                    &[&table],
                )
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<_, tokio_postgres::Error>>()?;
            // Columns only PostgreSQL has (the identify counts' `shard`) keep their default.
            let in_sqlite: Vec<String> = source
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let columns: Vec<(String, String, bool)> = columns
                .into_iter()
                .filter(|c| in_sqlite.contains(&c.0))
                .collect();
            let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
            let identity = columns.iter().any(|c| c.2);
            let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
            let insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} ({}) {} VALUES ({})",
                    names.join(", "),
                    if identity {
                        "OVERRIDING SYSTEM VALUE"
                    } else {
                        ""
                    },
                    placeholders.join(", ")
                ))
                .await?;
            // Rows read here, written below: the SQLite statement is not Send across awaits.
            let rows: Vec<Vec<Box<dyn ToSql + Sync + Send>>> = {
                let mut stmt =
                    source.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
                let mut out = Vec::new();
                let mut q = stmt.query([])?;
                while let Some(row) = q.next()? {
                    let mut values = Vec::with_capacity(columns.len());
                    for (i, (name, pg_type, _)) in columns.iter().enumerate() {
                        values.push(convert(
                            row.get_ref(i)?,
                            pg_type,
                            table,
                            name,
                            &mut copied.nul_replaced,
                        )?);
                    }
                    out.push(values);
                }
                out
            };
            for values in &rows {
                let params: Vec<&(dyn ToSql + Sync)> = values
                    .iter()
                    .map(|v| v.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                tx.execute(&insert, &params).await?;
            }
            if identity {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
                    ),
                    &[],
                )
                .await?;
            }
            copied.tables.push((table.to_owned(), rows.len() as u64));
        }
        tx.commit().await?;
        Ok(copied)
    }
}
