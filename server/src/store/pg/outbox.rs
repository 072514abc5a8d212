//! The PostgreSQL port of `sqlite/outbox.rs`: the email outbox. Claims skip rows another server
//! has locked, so several servers share the queue and each email goes out once.

use deadpool_postgres::Transaction;

use super::StoreError;
use crate::store::model::{EmailJob, EmailReply};

/// Queues a conversation for the reply at `seq`, due now (a queued one keeps its due time and
/// learns the newer reply).
pub async fn queue(
    tx: &Transaction<'_>,
    conversation_id: i64,
    seq: i64,
    now: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO email_outbox (conversation_id, due_at, queued_seq, created_at)
             VALUES ($1, $3, $2, $3)
             ON CONFLICT (conversation_id)
             DO UPDATE SET queued_seq = greatest(email_outbox.queued_seq, excluded.queued_seq)",
        )
        .await?;
    tx.execute(&stmt, &[&conversation_id, &seq, &now]).await?;
    Ok(())
}

/// Claims the due conversations (their due time moves to `lease_until`) with what an email
/// needs.
pub async fn claim(
    tx: &Transaction<'_>,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<EmailJob>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE email_outbox SET due_at = $2
             WHERE conversation_id IN (SELECT conversation_id FROM email_outbox WHERE due_at <= $1
                                       ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING conversation_id, queued_seq, attempts",
        )
        .await?;
    let claimed = tx
        .query(&stmt, &[&now, &lease_until, &(limit as i64)])
        .await?;
    let details = tx
        .prepare_cached(
            "SELECT w.name, k.email, k.name, coalesce(c.start_page_url, c.page_url), c.emailed_at,
                    c.emailed_seq, (SELECT max(stream_seen_at) FROM sessions WHERE conversation_id = c.id),
                    w.trust_unsigned_email, w.id
             FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
             LEFT JOIN contacts k ON k.id = c.contact_id
             WHERE c.id = $1",
        )
        .await?;
    let mut jobs = Vec::with_capacity(claimed.len());
    for row in claimed {
        let conversation_id: i64 = row.try_get(0)?;
        let queued_seq: i64 = row.try_get(1)?;
        let attempts: i32 = row.try_get(2)?;
        if let Some(r) = tx.query_opt(&details, &[&conversation_id]).await? {
            jobs.push(EmailJob {
                conversation_id,
                queued_seq,
                attempts: attempts as u32,
                workspace_name: r.try_get(0)?,
                to: r.try_get(1)?,
                contact_name: r.try_get(2)?,
                page_url: r.try_get(3)?,
                emailed_at: r.try_get(4)?,
                emailed_seq: r.try_get(5)?,
                stream_seen_at: r.try_get(6)?,
                trust_unsigned_email: r.try_get(7)?,
                origins: super::workspaces::origins(tx, r.try_get(8)?).await?,
            });
        }
    }
    Ok(jobs)
}

/// Agent replies after position `after` sent after `since` (ms), oldest first.
pub async fn replies(
    tx: &Transaction<'_>,
    conversation_id: i64,
    after: i64,
    since: i64,
    limit: usize,
) -> Result<Vec<EmailReply>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT m.seq, m.body, a.email, m.created_at
             FROM messages m LEFT JOIN agents a ON a.id = m.agent_id
             WHERE m.conversation_id = $1 AND m.seq > $2 AND m.author = 'agent' AND m.created_at > $3
             ORDER BY m.seq LIMIT $4",
        )
        .await?;
    tx.query(&stmt, &[&conversation_id, &after, &since, &(limit as i64)])
        .await?
        .iter()
        .map(|r| {
            Ok(EmailReply {
                seq: r.try_get(0)?,
                body: r.try_get(1)?,
                agent_email: r.try_get(2)?,
                created_at: r.try_get(3)?,
            })
        })
        .collect()
}

/// Puts a claimed conversation back; an error counts as a failed attempt.
pub async fn reschedule(
    tx: &Transaction<'_>,
    conversation_id: i64,
    due_at: i64,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE email_outbox SET due_at = $2,
                    attempts = attempts + (CASE WHEN $3::TEXT IS NULL THEN 0 ELSE 1 END),
                    last_error = coalesce($3::TEXT, last_error)
             WHERE conversation_id = $1",
        )
        .await?;
    tx.execute(&stmt, &[&conversation_id, &due_at, &error])
        .await?;
    Ok(())
}

/// Takes a conversation off the queue unless a newer reply was queued meanwhile (then it is due
/// again now), and records what this round covered and whether an email went out.
pub async fn finish(
    tx: &Transaction<'_>,
    conversation_id: i64,
    queued_seq: i64,
    covered: i64,
    emailed_at: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("DELETE FROM email_outbox WHERE conversation_id = $1 AND queued_seq <= $2")
        .await?;
    if tx.execute(&stmt, &[&conversation_id, &queued_seq]).await? == 0 {
        let stmt = tx
            .prepare_cached("UPDATE email_outbox SET due_at = $2 WHERE conversation_id = $1")
            .await?;
        tx.execute(&stmt, &[&conversation_id, &now]).await?;
    }
    let stmt = tx
        .prepare_cached(
            "UPDATE conversations SET emailed_at = coalesce($2, emailed_at),
                    emailed_seq = greatest(emailed_seq, $3)
             WHERE id = $1",
        )
        .await?;
    tx.execute(&stmt, &[&conversation_id, &emailed_at, &covered])
        .await?;
    Ok(())
}

/// A visitor stream of the session is open (or just closed) at `now`.
pub async fn stream_seen(
    tx: &Transaction<'_>,
    session_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE sessions SET stream_seen_at = $2 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&session_id, &now]).await?;
    Ok(())
}
