//! Live events across servers. On a database one server uses (SQLite), a write's server tells
//! its own hub. On one several servers share (PostgreSQL), the write's transaction notifies
//! every server and each tells its hub what it heard ([`follow_notices`]), the writing one
//! included, so every stream hears each message once.

use std::collections::BTreeSet;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{ServiceError, Services};
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

/// Where a new stream of a conversation starts, read before it subscribes: on a shared database
/// the position after which it must see every message (`after` when the client said, else the
/// latest message's); None on a database one server uses, where the hub misses nothing.
pub async fn stream_floor(
    s: &Services,
    conversation_id: i64,
    after: Option<i64>,
) -> Result<Option<i64>, ServiceError> {
    if !s.store.shared() {
        return Ok(None);
    }
    if let Some(after) = after {
        return Ok(Some(after));
    }
    let latest = s
        .store
        .messages_before(conversation_id, i64::MAX, 1)
        .await?;
    Ok(Some(latest.last().map_or(0, |m| m.seq)))
}

/// The messages a stream sends: what the hub hands it and, from `floor` on (a shared
/// database), what a read every [`Services::safety_poll`] finds it missed, each message once and
/// in the order found. The first read comes at once (it covers the time between reading the
/// floor and subscribing). A visitor's stream also ends when a read finds its session ended
/// (the notice of it may have been lost).
pub fn follow(
    s: &Services,
    conversation_id: i64,
    owner: StreamOwner,
    floor: Option<i64>,
    rx: mpsc::Receiver<MessageRow>,
) -> BoxStream<'static, MessageRow> {
    let Some(floor) = floor else {
        return futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|m| (m, rx))
        })
        .boxed();
    };
    let mut tick = tokio::time::interval(s.safety_poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = Follow {
        s: s.clone(),
        conversation_id,
        owner,
        rx,
        seen: Seen::from(floor),
        found: std::collections::VecDeque::new(),
        tick,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(m) = st.found.pop_front() {
                return Some((m, st));
            }
            tokio::select! {
                m = st.rx.recv() => {
                    let m = m?;
                    if st.seen.first_time(m.seq) {
                        return Some((m, st));
                    }
                }
                _ = st.tick.tick() => match st.check().await {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => tracing::warn!(
                        error = &e as &dyn std::error::Error,
                        "a stream's safety read failed; the next one retries"
                    ),
                },
            }
        }
    })
    .boxed()
}

struct Follow {
    s: Services,
    conversation_id: i64,
    owner: StreamOwner,
    rx: mpsc::Receiver<MessageRow>,
    seen: Seen,
    found: std::collections::VecDeque<MessageRow>,
    tick: tokio::time::Interval,
}

impl Follow {
    /// Reads what came after the stream's contiguous position; false when the visitor session
    /// ended.
    async fn check(&mut self) -> Result<bool, ServiceError> {
        if let StreamOwner::Visitor(session_id) = self.owner {
            if !self
                .s
                .store
                .is_live(session_id, self.s.clock.now_ms())
                .await?
            {
                return Ok(false);
            }
        }
        let rows = self
            .s
            .store
            .messages_after(
                self.conversation_id,
                self.seen.floor,
                crate::policy::STREAM_BACKLOG,
            )
            .await?;
        for m in rows {
            if self.seen.first_time(m.seq) {
                self.found.push_back(m);
            }
        }
        Ok(true)
    }
}

/// The positions a stream has sent: every one up to `floor` (or the client had it already), and
/// those above it that arrived early. Positions in a conversation have no gaps, so `ahead` stays
/// as small as the messages in flight.
#[derive(Debug)]
struct Seen {
    floor: i64,
    ahead: BTreeSet<i64>,
}

impl From<i64> for Seen {
    fn from(floor: i64) -> Seen {
        Seen {
            floor,
            ahead: BTreeSet::new(),
        }
    }
}

impl Seen {
    /// Records `seq`; false when it was sent before.
    fn first_time(&mut self, seq: i64) -> bool {
        if seq <= self.floor || !self.ahead.insert(seq) {
            return false;
        }
        while self.ahead.remove(&(self.floor + 1)) {
            self.floor += 1;
        }
        true
    }
}

/// Writes down, for the email fallback, that a visitor stream of the session is open.
struct StreamSeen {
    s: Services,
    session_id: i64,
}

impl StreamSeen {
    async fn now(&self) {
        if let Err(e) = self
            .s
            .store
            .visitor_stream_seen(self.session_id, self.s.clock.now_ms())
            .await
        {
            tracing::warn!(error = ?e, "cannot note an open visitor stream");
        }
    }
}

impl Drop for StreamSeen {
    /// The stream ended: its last moment is when the visitor left.
    fn drop(&mut self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, id, now) = (self.s.store.clone(), self.session_id, self.s.clock.now_ms());
            rt.spawn(async move {
                if let Err(e) = store.visitor_stream_seen(id, now).await {
                    tracing::warn!(error = ?e, "cannot note a closed visitor stream");
                }
            });
        }
    }
}

/// With the email fallback on (`--smtp-url`), a visitor's stream writes down that it is open:
/// when it starts, every minute, and when it ends. A reply is emailed only once no stream of the
/// conversation was open for 2 minutes ([`super::email`]). Without it, the stream is unchanged.
pub fn note_visitor_presence(
    s: &Services,
    session_id: i64,
    messages: BoxStream<'static, MessageRow>,
) -> BoxStream<'static, MessageRow> {
    if s.mailer.is_none() {
        return messages;
    }
    let seen = StreamSeen {
        s: s.clone(),
        session_id,
    };
    let tick = tokio::time::interval(std::time::Duration::from_secs(
        crate::policy::STREAM_SEEN_SECS,
    ));
    futures_util::stream::unfold(
        (messages, tick, seen),
        |(mut m, mut tick, seen)| async move {
            loop {
                tokio::select! {
                    item = m.next() => return item.map(|x| (x, (m, tick, seen))),
                    _ = tick.tick() => seen.now().await,
                }
            }
        },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn each_position_is_sent_once_and_the_floor_moves_over_what_has_no_gap() {
        let mut seen = Seen::from(3);
        assert!(!seen.first_time(2), "the client had it");
        assert!(seen.first_time(5), "early: sent");
        assert_eq!(seen.floor, 3, "4 is still missing");
        assert!(!seen.first_time(5), "once");
        assert!(seen.first_time(4));
        assert_eq!(seen.floor, 5);
        assert!(seen.ahead.is_empty());
        assert!(!seen.first_time(4));
        assert!(seen.first_time(6));
        assert_eq!(seen.floor, 6);
    }
}
