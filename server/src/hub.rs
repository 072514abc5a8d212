//! Live events: fan-out of new messages to open event streams, and the short-lived,
//! single-use tickets that open a widget's stream (browsers cannot send headers with
//! EventSource, and the visitor token never goes in a URL).
//!
//! Messages are published after their transaction committed. A subscriber that cannot keep up
//! is dropped; its widget reconnects and fills the gap with `GET messages?after=`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::store::MessageRow;

/// How many undelivered events one stream may hold before it is dropped.
const STREAM_BUFFER: usize = 256;

/// Who holds a stream: it ends when that session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOwner {
    /// A widget's stream, by visitor session id.
    Visitor(i64),
    /// A dashboard conversation view, by dashboard session id.
    Agent(i64),
}

struct Subscriber {
    owner: StreamOwner,
    tx: mpsc::Sender<MessageRow>,
}

struct Ticket {
    session_id: i64,
    conversation_id: i64,
    expires: Instant,
}

/// The hub. One per server.
#[derive(Default)]
pub struct Hub {
    subscribers: Mutex<HashMap<i64, Vec<Subscriber>>>,
    tickets: Mutex<HashMap<Vec<u8>, Ticket>>,
}

/// What a redeemed ticket opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTarget {
    /// The session.
    pub session_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
}

impl Hub {
    /// Subscribes to new messages of a conversation.
    pub fn subscribe(
        &self,
        conversation_id: i64,
        owner: StreamOwner,
    ) -> mpsc::Receiver<MessageRow> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        let list = subs.entry(conversation_id).or_default();
        list.retain(|s| !s.tx.is_closed());
        list.push(Subscriber { owner, tx });
        rx
    }

    /// How many streams of a conversation are open (what tests wait on before a live event).
    pub fn open_streams(&self, conversation_id: i64) -> usize {
        let subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.get(&conversation_id)
            .map_or(0, |l| l.iter().filter(|s| !s.tx.is_closed()).count())
    }

    /// Sends a committed message to every stream of its conversation.
    pub fn publish(&self, message: &MessageRow) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = subs.get_mut(&message.conversation_id) {
            list.retain(|s| s.tx.try_send(message.clone()).is_ok());
            if list.is_empty() {
                subs.remove(&message.conversation_id);
            }
        }
    }

    /// Ends every stream a session opened (a visitor session was reset or replaced, a dashboard
    /// session logged out).
    pub fn close(&self, owner: StreamOwner) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        for list in subs.values_mut() {
            list.retain(|s| s.owner != owner);
        }
        subs.retain(|_, l| !l.is_empty());
    }

    /// Stores a ticket (by its hash) for `ttl`.
    pub fn issue_ticket(&self, ticket_hash: Vec<u8>, target: StreamTarget, ttl: Duration) {
        let now = Instant::now();
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.retain(|_, t| t.expires > now);
        tickets.insert(
            ticket_hash,
            Ticket {
                session_id: target.session_id,
                conversation_id: target.conversation_id,
                expires: now + ttl,
            },
        );
    }

    /// Redeems a ticket once: it is gone afterwards, valid or not.
    pub fn redeem_ticket(&self, ticket_hash: &[u8]) -> Option<StreamTarget> {
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        let t = tickets.remove(ticket_hash)?;
        (t.expires > Instant::now()).then_some(StreamTarget {
            session_id: t.session_id,
            conversation_id: t.conversation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replybubble_core::wire::Author;

    fn msg(id: i64, conversation_id: i64) -> MessageRow {
        MessageRow {
            id,
            conversation_id,
            author: Author::Agent,
            body: "hi".into(),
            created_at: 0,
            verified: false,
        }
    }

    #[test]
    fn publishes_to_the_conversation_only_and_closes_by_session() {
        let hub = Hub::default();
        let mut a = hub.subscribe(1, StreamOwner::Visitor(10));
        let mut b = hub.subscribe(2, StreamOwner::Visitor(20));
        let mut agent = hub.subscribe(1, StreamOwner::Agent(10));
        hub.publish(&msg(5, 1));
        assert_eq!(a.try_recv().unwrap().id, 5);
        assert_eq!(agent.try_recv().unwrap().id, 5);
        assert!(b.try_recv().is_err());
        hub.close(StreamOwner::Visitor(10));
        hub.publish(&msg(6, 1));
        assert!(a.try_recv().is_err(), "closed streams get nothing more");
        assert_eq!(
            agent.try_recv().unwrap().id,
            6,
            "same number, other kind of session"
        );
        hub.close(StreamOwner::Agent(10));
        hub.publish(&msg(7, 1));
        assert!(
            agent.try_recv().is_err(),
            "a logged-out agent's stream ends"
        );
    }

    #[test]
    fn tickets_are_single_use_and_expire() {
        let hub = Hub::default();
        let target = StreamTarget {
            session_id: 1,
            conversation_id: 2,
        };
        hub.issue_ticket(vec![1], target, Duration::from_secs(60));
        assert_eq!(hub.redeem_ticket(&[1]), Some(target));
        assert_eq!(hub.redeem_ticket(&[1]), None);
        hub.issue_ticket(vec![2], target, Duration::from_secs(0));
        assert_eq!(hub.redeem_ticket(&[2]), None);
    }
}
