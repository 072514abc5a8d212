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
    include_str!("sql/0007_message_seq.sql"),
    include_str!("sql/0008_stream_tickets.sql"),
    include_str!("sql/0009_pages_and_appearance.sql"),
    include_str!("sql/0010_presence_and_hours.sql"),
    include_str!("sql/0011_email_outbox.sql"),
    include_str!("sql/0012_inbox.sql"),
    include_str!("sql/0013_signed_identity.sql"),
];

/// The schema version this binary writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// Brings the database to [`LATEST`].
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(crate::store::shared::newer_schema(
            current.into(),
            LATEST.into(),
        ));
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

    /// Applies the migrations up to `version` only.
    fn migrate_to(conn: &mut Connection, version: usize) {
        for sql in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version as u32)
            .unwrap();
    }

    #[test]
    fn existing_messages_get_their_positions_and_existing_calls_their_rollups() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 5);
        conn.execute_batch(
            "INSERT INTO workspaces (id, app_id, name, created_at) VALUES (1, 'a', 'A', 0);
             INSERT INTO conversations (id, workspace_id, visitor_label, created_at, last_activity_at, started_at, status)
               VALUES (10, 1, 'x', 0, 0, 0, 'open'), (20, 1, 'y', 0, 0, 0, 'closed');
             INSERT INTO messages (id, conversation_id, author, body, created_at) VALUES
               (1, 10, 'visitor', 'a1', 0), (2, 20, 'visitor', 'b1', 0), (3, 10, 'agent', 'a2', 0),
               (4, 20, 'visitor', 'b2', 0), (5, 10, 'visitor', 'a3', 0);
             INSERT INTO identify_events (workspace_id, at, user_id, result, code, hint) VALUES
               (1, 3600000, 'u', 'verified', NULL, NULL), (1, 3600001, 'u', 'unverified', 'signature_missing', NULL),
               (1, 7200000, 'v', 'invalid', 'invalid_field', 'email');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let seqs: Vec<(i64, i64)> = conn
            .prepare("SELECT id, seq FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(seqs, [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]);
        let last: Vec<i64> = conn
            .prepare("SELECT last_seq FROM conversations ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(last, [3, 2]);
        let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(one("SELECT sum(calls) FROM identify_hourly"), 3);
        assert_eq!(one("SELECT count(*) FROM identify_users"), 2);
        assert_eq!(
            one("SELECT last_unready_hour FROM identify_users WHERE user_id = 'u'"),
            3600000
        );
        assert_eq!(one("SELECT sum(calls) FROM identify_failures_hourly"), 2);
        assert_eq!(one("SELECT open_conversations FROM workspace_counts"), 1);
    }
}
