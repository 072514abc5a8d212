//! Versioned schema migrations, embedded in the binary and run at start.
//!
//! The version lives in `PRAGMA user_version`. Each step runs in its own transaction together
//! with the version bump; a database newer than this binary is refused.

use rusqlite::Connection;

use super::StoreError;

/// Migration `n` (1-based) brings the schema from version `n - 1` to `n`. Append only.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/0001_init.sql"),
    include_str!("sql/0002_visitor_details.sql"),
    include_str!("sql/0003_agent_sessions.sql"),
    include_str!("sql/0004_identity_rules.sql"),
    include_str!("sql/0005_privacy.sql"),
    include_str!("sql/0006_identify_rollups.sql"),
];

/// The schema version this binary writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// Brings the database to [`LATEST`].
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::Invalid(format!(
            "the database is at schema version {current} but this replybubble knows only up to {LATEST}: \
             run a newer replybubble (downgrades are not supported)"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as u32 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_database_once_and_refuses_a_newer_one() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("downgrades are not supported"), "{err}");
    }
}
