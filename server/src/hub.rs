//! Live events: fan-out of new messages to the event streams open on this server. (The
//! single-use tickets that open a widget's stream live in the database, so any server redeems
//! them.)
//!
//! Messages are published after their transaction committed. A subscriber that cannot keep up
//! is dropped; its widget reconnects and fills the gap with `GET messages?after=`.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::mpsc;

use crate::policy::{STREAMS_PER_IP, STREAMS_PER_SESSION};
use crate::store::MessageRow;

/// The key under which the dashboards' inbox streams wait: they hear every conversation of
/// this server's hub (conversation ids start at 1), and filter by workspace themselves.
const INBOX: i64 = 0;

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

/// The hub. One per server.
#[derive(Default)]
pub struct Hub {
    subscribers: Mutex<HashMap<i64, Vec<Subscriber>>>,
    /// The widget streams of each client IP key (weak: they never keep a stream open).
    by_ip: Mutex<HashMap<String, Vec<mpsc::WeakSender<MessageRow>>>>,
}

/// One client address already holds [`STREAMS_PER_IP`] open widget streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this address already holds {STREAMS_PER_IP} open event streams: close a tab and retry")]
pub struct TooManyStreams;

fn live(w: &mpsc::WeakSender<MessageRow>) -> bool {
    w.upgrade().is_some_and(|s| !s.is_closed())
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

    /// Subscribes a dashboard's inbox stream to every new message (the live conversation list:
    /// the reader keeps only its own workspace's).
    pub fn subscribe_inbox(&self, owner: StreamOwner) -> mpsc::Receiver<MessageRow> {
        self.subscribe(INBOX, owner)
    }

    /// How many streams of a conversation are open (what tests wait on before a live event).
    pub fn open_streams(&self, conversation_id: i64) -> usize {
        let subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.get(&conversation_id)
            .map_or(0, |l| l.iter().filter(|s| !s.tx.is_closed()).count())
    }

    /// Subscribes a widget's stream: at most [`STREAMS_PER_SESSION`] per visitor session (a new
    /// one closes the session's oldest) and [`STREAMS_PER_IP`] per client IP key (more are
    /// refused), so no stranger can make the server hold sockets without bound.
    pub fn subscribe_visitor(
        &self,
        conversation_id: i64,
        session_id: i64,
        ip: &str,
    ) -> Result<mpsc::Receiver<MessageRow>, TooManyStreams> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        {
            let mut by_ip = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
            let list = by_ip.entry(ip.to_owned()).or_default();
            list.retain(live);
            if list.len() >= STREAMS_PER_IP {
                return Err(TooManyStreams);
            }
            list.push(tx.downgrade());
        }
        let owner = StreamOwner::Visitor(session_id);
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        let list = subs.entry(conversation_id).or_default();
        list.retain(|s| !s.tx.is_closed());
        let mine = list.iter().filter(|s| s.owner == owner).count();
        if mine >= STREAMS_PER_SESSION {
            if let Some(oldest) = list.iter().position(|s| s.owner == owner) {
                // Dropping its only sender ends that stream.
                list.remove(oldest);
            }
        }
        list.push(Subscriber { owner, tx });
        Ok(rx)
    }

    /// Forgets closed streams (run on a timer, so memory stays flat under a stream of new
    /// visitors).
    pub fn prune(&self) {
        {
            let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
            for list in subs.values_mut() {
                list.retain(|s| !s.tx.is_closed());
            }
            subs.retain(|_, l| !l.is_empty());
        }
        {
            let mut by_ip = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
            for list in by_ip.values_mut() {
                list.retain(live);
            }
            by_ip.retain(|_, l| !l.is_empty());
        }
    }

    /// How many entries the hub holds: conversations with streams, client IP keys.
    pub fn sizes(&self) -> (usize, usize) {
        (
            self.subscribers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len(),
            self.by_ip.lock().unwrap_or_else(|p| p.into_inner()).len(),
        )
    }

    /// Sends a committed message to every stream of its conversation.
    pub fn publish(&self, message: &MessageRow) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        for key in [message.conversation_id, INBOX] {
            if let Some(list) = subs.get_mut(&key) {
                list.retain(|s| s.tx.try_send(message.clone()).is_ok());
                if list.is_empty() {
                    subs.remove(&key);
                }
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

    /// Ends every stream (the server is shutting down: clients reconnect to another instance or
    /// after the restart, and fill their gap).
    pub fn close_all(&self) {
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replybubble_core::wire::Author;

    fn msg(id: i64, conversation_id: i64) -> MessageRow {
        MessageRow {
            id,
            seq: id,
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
    fn a_session_holds_two_streams_and_an_address_twenty() {
        let hub = Hub::default();
        let mut first = hub.subscribe_visitor(1, 10, "1.2.3.4").unwrap();
        let mut second = hub.subscribe_visitor(1, 10, "1.2.3.4").unwrap();
        let mut third = hub.subscribe_visitor(1, 10, "1.2.3.4").unwrap();
        hub.publish(&msg(5, 1));
        assert!(first.try_recv().is_err(), "the oldest was closed");
        assert_eq!(second.try_recv().unwrap().id, 5);
        assert_eq!(third.try_recv().unwrap().id, 5);
        let mut held = Vec::new();
        for session in 0..(STREAMS_PER_IP as i64 - 2) {
            held.push(
                hub.subscribe_visitor(100 + session, 100 + session, "1.2.3.4")
                    .unwrap(),
            );
        }
        assert_eq!(
            hub.subscribe_visitor(500, 500, "1.2.3.4").err(),
            Some(TooManyStreams)
        );
        assert!(
            hub.subscribe_visitor(500, 500, "5.6.7.8").is_ok(),
            "another address"
        );
        drop(held.pop());
        assert!(
            hub.subscribe_visitor(501, 501, "1.2.3.4").is_ok(),
            "a closed stream frees its place"
        );
    }

    #[test]
    fn prune_leaves_nothing_of_ten_thousand_gone_visitors() {
        let hub = Hub::default();
        for i in 0..10_000i64 {
            let ip = format!("10.0.{}.{}", i / 256, i % 256);
            let rx = hub.subscribe_visitor(i, i, &ip).unwrap();
            drop(rx);
        }
        assert_eq!(hub.sizes().0, 10_000);
        hub.prune();
        assert_eq!(hub.sizes(), (0, 0));
    }
}
