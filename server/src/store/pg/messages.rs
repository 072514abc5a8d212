//! The PostgreSQL port of `sqlite/messages.rs`: messages of a conversation.

use deadpool_postgres::Transaction;

use crate::policy::PREVIEW_CHARS;
use replybubble_core::wire::Author;
use replybubble_core::{Mode, Plan};

use super::{parse_enum, StoreError};
use crate::store::model::*;

async fn insert(
    tx: &Transaction<'_>,
    conversation_id: i64,
    author: Author,
    agent_id: Option<i64>,
    verified: bool,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    // The conversation hands out the message's position in the same transaction; the UPDATE's
    // row lock serialises the writers of one conversation until this transaction ends.
    let preview: String = body.chars().take(PREVIEW_CHARS).collect();
    let stmt = tx
        .prepare_cached(
            "UPDATE conversations SET last_activity_at = $2, last_message = $3, status = 'open',
                    started_at = coalesce(started_at, $2), last_seq = last_seq + 1, waiting = $4
             WHERE id = $1 RETURNING last_seq",
        )
        .await?;
    let seq: i64 = tx
        .query_opt(
            &stmt,
            &[
                &conversation_id,
                &now,
                &preview,
                &(author == Author::Visitor),
            ],
        )
        .await?
        .ok_or(StoreError::NotFound("conversation"))?
        .try_get(0)?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO messages (conversation_id, seq, author, agent_id, verified, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .await?;
    let id: i64 = tx
        .query_one(
            &stmt,
            &[
                &conversation_id,
                &seq,
                &author.as_str(),
                &agent_id,
                &verified,
                &body,
                &now,
            ],
        )
        .await?
        .try_get(0)?;
    // Every server's streams of the conversation hear of it once this commits.
    super::notify(Notice::Message {
        conversation_id,
        seq,
    });
    Ok(MessageRow {
        id,
        seq,
        conversation_id,
        author,
        body: body.to_owned(),
        created_at: now,
        verified,
    })
}

/// Stores a visitor's message in its session's conversation, in one transaction: the session
/// must still be live (`NotFound("session")` otherwise), and its row stays locked until the
/// transaction ends, so a message racing a reset or a user switch never lands in the old
/// conversation; the message records whether the session is verified under the workspace's
/// current secret at this moment.
pub async fn insert_visitor(
    tx: &Transaction<'_>,
    session_id: i64,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT s.conversation_id,
                    s.contact_id IS NOT NULL AND s.verified_secret_version = w.secret_version,
                    w.plan, w.mode
             FROM sessions s JOIN workspaces w ON w.id = s.workspace_id
             WHERE s.id = $1 AND s.revoked_at IS NULL
             FOR UPDATE OF s",
        )
        .await?;
    let row = tx
        .query_opt(&stmt, &[&session_id])
        .await?
        .ok_or(StoreError::NotFound("session"))?;
    let conversation_id: i64 = row.try_get(0)?;
    let verified: bool = row.try_get(1)?;
    let (plan, mode): (Plan, Mode) = (parse_enum(&row, 2)?, parse_enum(&row, 3)?);
    insert(
        tx,
        conversation_id,
        Author::Visitor,
        None,
        verified && replybubble_core::decision::verifies(plan, mode),
        body,
        now,
    )
    .await
}

/// Stores an agent's reply.
pub async fn insert_agent(
    tx: &Transaction<'_>,
    conversation_id: i64,
    agent_id: Option<i64>,
    body: &str,
    now: i64,
) -> Result<MessageRow, StoreError> {
    insert(
        tx,
        conversation_id,
        Author::Agent,
        agent_id,
        false,
        body,
        now,
    )
    .await
}

/// Messages of a conversation after position `after` (a `seq`), oldest first, at most `limit`.
pub async fn after(
    tx: &Transaction<'_>,
    conversation_id: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    page(
        tx,
        "SELECT id, seq, author, body, created_at, verified FROM messages
         WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        conversation_id,
        after,
        limit,
    )
    .await
}

/// The latest `limit` messages before position `before` (a `seq`), oldest first.
pub async fn before(
    tx: &Transaction<'_>,
    conversation_id: i64,
    before: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut rows = page(
        tx,
        "SELECT id, seq, author, body, created_at, verified FROM messages
         WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        conversation_id,
        before,
        limit,
    )
    .await?;
    rows.reverse();
    Ok(rows)
}

async fn page(
    tx: &Transaction<'_>,
    sql: &str,
    conversation_id: i64,
    bound: i64,
    limit: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    // PostgreSQL refuses a negative LIMIT (SQLite reads it as "no limit"): clamp instead.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let stmt = tx.prepare_cached(sql).await?;
    let rows = tx.query(&stmt, &[&conversation_id, &bound, &limit]).await?;
    rows.iter()
        .map(|r| -> Result<MessageRow, StoreError> {
            Ok(MessageRow {
                id: r.try_get(0)?,
                seq: r.try_get(1)?,
                conversation_id,
                author: parse_enum(r, 2)?,
                body: r.try_get(3)?,
                created_at: r.try_get(4)?,
                verified: r.try_get(5)?,
            })
        })
        .collect()
}
