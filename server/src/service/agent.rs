//! What agents do that reaches visitors: replies, stored through the writer and sent live.

use replybubble_core::MessageBody;

use super::{ServiceError, Services};
use crate::store::messages::{self, MessageRow};
use crate::store::{conversations, StoreError};

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
    let now = s.clock.now_ms();
    let row = s
        .store
        .write(move |c| {
            if !conversations::in_workspace(c, workspace_id, conversation_id)? {
                return Err(StoreError::NotFound("conversation"));
            }
            messages::insert_agent(c, conversation_id, agent_id, body.as_ref(), now)
        })
        .await?;
    s.hub.publish(&row);
    Ok(row)
}
