//! Live events across servers. On a database one server uses (SQLite), a write's server tells
//! its own hub. On one several servers share (PostgreSQL), the write's transaction notifies
//! every server and each tells its hub what it heard ([`follow_notices`]), the writing one
//! included, so every stream hears each message once.

use futures_util::StreamExt;

use super::Services;
use crate::hub::StreamOwner;
use crate::store::{MessageRow, Notice};

impl Services {
    /// A committed message reaches the open streams of its conversation.
    pub fn publish(&self, row: &MessageRow) {
        if !self.store.shared() {
            self.hub.publish(row);
        }
    }

    /// The streams a session opened end (it was reset, replaced, deleted, or logged out).
    pub fn end_streams(&self, owner: StreamOwner) {
        if !self.store.shared() {
            self.hub.close(owner);
        }
    }
}

/// Hands what the database announces to this server's hub, for as long as the server runs. A
/// message is read by its position (the notice carries ids only); after the listening
/// connection was lost, every stream ends, so its client reconnects and fills the gap with
/// `GET messages?after=` rather than miss what was announced meanwhile.
pub async fn follow_notices(s: Services) {
    let mut notices = s.store.notices();
    while let Some(notice) = notices.next().await {
        match notice {
            Notice::Message {
                conversation_id,
                seq,
            } => match s.store.messages_after(conversation_id, seq - 1, 1).await {
                Ok(rows) => {
                    for row in rows.iter().filter(|r| r.seq == seq) {
                        s.hub.publish(row);
                    }
                }
                Err(e) => tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "cannot read an announced message"
                ),
            },
            Notice::VisitorSessionEnded(id) => s.hub.close(StreamOwner::Visitor(id)),
            Notice::AgentSessionEnded(id) => s.hub.close(StreamOwner::Agent(id)),
            Notice::Reconnected => s.hub.close_all(),
        }
    }
}
