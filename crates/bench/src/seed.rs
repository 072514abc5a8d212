//! A mid-size site's data, written with the store's own functions (the same SQL the server
//! runs, the rollups included) in one transaction: conversations over 60 days, most with ten
//! messages, half of them from verified contacts, one long conversation, and a week of
//! identify() calls.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use replybubble_core::identify::IdentifyResult;
use replybubble_core::{IdentifyUser, Value};
use replybubble_server::store::model::IdentifyEvent;
use replybubble_server::store::sqlite::{
    conversations, events, messages, open_and_migrate, sessions, workspaces,
};
use sha2::Digest;

const DAY: i64 = 86_400_000;

/// How much data.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Conversations (each with a session).
    pub conversations: usize,
    /// Messages, spread evenly over the conversations.
    pub messages: usize,
    /// Verified contacts (one conversation each is linked; the others are anonymous).
    pub contacts: usize,
    /// identify() calls in the last 7 days.
    pub identify_events: usize,
    /// Messages in the one long conversation the conversation view is timed on.
    pub long_conversation: usize,
}

impl Scale {
    /// The issue's scale: 100k conversations, 1M messages, 50k contacts, 1M identify calls in
    /// 7 days.
    pub const SITE: Scale = Scale {
        conversations: 100_000,
        messages: 1_000_000,
        contacts: 50_000,
        identify_events: 1_000_000,
        long_conversation: 600,
    };
    /// A tenth, to check the bench itself.
    pub const QUICK: Scale = Scale {
        conversations: 10_000,
        messages: 100_000,
        contacts: 5_000,
        identify_events: 100_000,
        long_conversation: 600,
    };
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} conversations, {} messages, {} contacts, {} identify calls in 7 days",
            self.conversations, self.messages, self.contacts, self.identify_events
        )
    }
}

/// Ids the pages are timed on.
pub struct Seeded {
    /// The long conversation.
    pub long_conversation: i64,
    /// A contact with conversations.
    pub contact: i64,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn user(i: usize) -> Result<IdentifyUser> {
    let raw: Value = serde_json::from_str(&format!(
        r#"{{"id":"user_{i}","name":"Customer {i}","email":"customer{i}@example.com","company":"Company {}","traits":{{"plan":"pro","seats":{}}}}}"#,
        i % 997,
        i % 50
    ))?;
    Ok(IdentifyUser::parse(&raw)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .user)
}

fn token_hash(i: usize) -> Vec<u8> {
    sha2::Sha256::digest(format!("bench-session-{i}").as_bytes()).to_vec()
}

const LINES: [&str; 5] = [
    "Hi, I can't find the invoice for last month, where is it?",
    "Thanks! Could you also change the billing email on our account?",
    "The export button does nothing when I click it on Firefox.",
    "Sure, here is the order number: 48213. It was shipped twice.",
    "Great, that fixed it. Have a nice day!",
];

/// Writes `scale` into the workspace `app_id` of `db`.
pub fn seed(db: &Path, app_id: &str, scale: &Scale) -> Result<Seeded> {
    let mut conn = open_and_migrate(db)?;
    let tx = conn.transaction()?;
    let ws = workspaces::by_app_id(&tx, app_id)?;
    let version = ws.secret_version;
    let now = now_ms();
    let per = scale.messages / scale.conversations;
    let span = 60 * DAY;
    let mut contact_conversation = None;
    for i in 0..scale.conversations {
        // Oldest first, so the latest ids are the latest activity, as on a real site.
        let t = now - span + (i as i64) * span / scale.conversations as i64;
        let s = sessions::create(&tx, ws.id, &token_hash(i), &format!("Visitor {i}"), t)
            .context("a session")?;
        if i % 2 == 0 && i / 2 < scale.contacts {
            sessions::claim(&tx, s.session_id, &user(i / 2)?, version, t)?;
            contact_conversation.get_or_insert(s.conversation_id);
        }
        for k in 0..per {
            let at = t + k as i64 * 45_000;
            let line = LINES[(i + k) % LINES.len()];
            if k % 2 == 0 {
                messages::insert_visitor(&tx, s.session_id, line, at)?;
            } else {
                messages::insert_agent(&tx, s.conversation_id, None, line, at)?;
            }
        }
    }
    let long = sessions::create(
        &tx,
        ws.id,
        &token_hash(usize::MAX),
        "Visitor long",
        now - DAY,
    )?;
    sessions::claim(&tx, long.session_id, &user(0)?, version, now - DAY)?;
    for k in 0..scale.long_conversation {
        let at = now - DAY + k as i64 * 60_000;
        messages::insert_visitor(&tx, long.session_id, LINES[k % LINES.len()], at)?;
    }
    // A week of identify() calls from the contacts: mostly verified, some failures of each kind.
    for i in 0..scale.identify_events {
        let at = now - 7 * DAY + (i as i64) * 7 * DAY / scale.identify_events as i64;
        let (result, code, hint) = match i % 100 {
            0..=89 => (IdentifyResult::Verified, None, None),
            90..=94 => (
                IdentifyResult::Unverified,
                Some("signature_invalid"),
                Some("hex_uppercase"),
            ),
            95..=96 => (IdentifyResult::Unverified, Some("signature_missing"), None),
            97..=98 => (IdentifyResult::Disabled, None, None),
            _ => (
                IdentifyResult::Invalid,
                Some("invalid_field"),
                Some("email"),
            ),
        };
        events::record(
            &tx,
            &IdentifyEvent {
                workspace_id: ws.id,
                at,
                user_id: Some(format!("user_{}", (i * 7919) % scale.contacts)),
                result,
                code,
                hint: hint.map(str::to_owned),
            },
        )?;
    }
    let contact = conversations::one(
        &tx,
        ws.id,
        contact_conversation.context("no contact seeded")?,
    )?
    .and_then(|c| c.contact)
    .context("the first verified conversation has no contact")?
    .id;
    tx.commit()?;
    Ok(Seeded {
        long_conversation: long.conversation_id,
        contact,
    })
}
