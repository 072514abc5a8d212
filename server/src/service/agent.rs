//! What agents do that reaches visitors: replies, stored through the writer and sent live.

use replybubble_core::MessageBody;

use super::{ServiceError, Services};
use crate::store::MessageRow;

/// An agent's reply: stored through the same writer and sent live to the visitor's stream.
/// Another workspace's conversation is "not found".
pub async fn post_agent_reply(
    s: &Services,
    workspace_id: i64,
    conversation_id: i64,
    agent_id: Option<i64>,
    body: &str,
) -> Result<MessageRow, ServiceError> {
    let body = MessageBody::parse(body.to_owned())?;
    let row = s
        .store
        .insert_agent_reply(
            workspace_id,
            conversation_id,
            agent_id,
            body.as_ref().to_owned(),
            s.clock.now_ms(),
            // With an SMTP server, the reply and its email check are one transaction.
            s.mailer.is_some(),
        )
        .await?;
    s.publish(&row);
    Ok(row)
}
