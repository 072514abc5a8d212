//! Every field limit of ReplyBubble, in one place. Lengths count Unicode scalar values.

/// `id`: required, 1..=512 characters, never trimmed (the signature covers the exact string).
pub const ID_MAX: usize = 512;
/// `signature`: lowercase or uppercase hex of a 32-byte HMAC-SHA256, so 64 characters.
pub const SIGNATURE_HEX_LEN: usize = 64;
/// `email`: at most 254 characters (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;
/// `name`: at most 200 characters.
pub const NAME_MAX: usize = 200;
/// `company`: at most 200 characters.
pub const COMPANY_MAX: usize = 200;
/// `phone`: at most 50 characters.
pub const PHONE_MAX: usize = 50;
/// `traits`: at most 20 keys.
pub const TRAITS_MAX_KEYS: usize = 20;
/// A trait key: 1..=100 characters.
pub const TRAIT_KEY_MAX: usize = 100;
/// A trait's string value: at most 1000 characters.
pub const TRAIT_VALUE_MAX: usize = 1000;
/// A chat message body: 1..=5000 characters.
pub const MESSAGE_MAX: usize = 5000;
/// The largest JSON body a widget endpoint accepts, in bytes. A maximal identify payload
/// (every field at its limit, 4-byte characters) stays far below it in practice; the server
/// answers 413 past it.
pub const WIDGET_JSON_MAX_BYTES: usize = 64 * 1024;
/// How many messages one `GET messages` page returns at most.
pub const MESSAGES_PAGE: usize = 100;
/// Lifetime of an event-stream ticket, in seconds.
pub const EVENTS_TICKET_TTL_SECS: u64 = 60;
/// A workspace name: 1..=100 characters.
pub const WORKSPACE_NAME_MAX: usize = 100;
/// An agent's password: at least 10 characters.
pub const PASSWORD_MIN: usize = 10;
/// An agent's password: at most 1000 characters (argon2 hashes any length; this bounds the work).
pub const PASSWORD_MAX: usize = 1000;

/// A rate limit: sustained requests per minute and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Sustained rate.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

/// Session creation, per client IP.
pub const RATE_SESSION_PER_IP: RateQuota = RateQuota {
    per_minute: 60,
    burst: 30,
};
/// identify, per visitor token.
pub const RATE_IDENTIFY_PER_TOKEN: RateQuota = RateQuota {
    per_minute: 30,
    burst: 10,
};
/// identify, per client IP.
pub const RATE_IDENTIFY_PER_IP: RateQuota = RateQuota {
    per_minute: 300,
    burst: 100,
};
/// Sending messages, per visitor token.
pub const RATE_MESSAGE_PER_TOKEN: RateQuota = RateQuota {
    per_minute: 60,
    burst: 20,
};
/// Sending messages, per client IP.
pub const RATE_MESSAGE_PER_IP: RateQuota = RateQuota {
    per_minute: 600,
    burst: 200,
};
/// Reading (messages, tickets), per client IP: a page view takes a few.
pub const RATE_READ_PER_IP: RateQuota = RateQuota {
    per_minute: 600,
    burst: 200,
};
/// The contact form, per client IP.
pub const RATE_DETAILS_PER_IP: RateQuota = RateQuota {
    per_minute: 30,
    burst: 10,
};
/// Reading (messages, tickets, reset), per visitor token.
pub const RATE_READ_PER_TOKEN: RateQuota = RateQuota {
    per_minute: 300,
    burst: 100,
};
/// Dashboard login attempts, per client IP.
pub const RATE_LOGIN_PER_IP: RateQuota = RateQuota {
    per_minute: 10,
    burst: 5,
};

/// How much of the last message the dashboard's conversation list shows, in characters.
pub const PREVIEW_CHARS: usize = 140;
/// Rows per page of the dashboard's conversation and contact lists.
pub const DASHBOARD_PAGE: usize = 50;
/// The largest dashboard form body, in bytes (a reply is at most 5000 characters).
pub const DASHBOARD_FORM_MAX_BYTES: usize = 64 * 1024;
/// A visitor session unused for this many days expires (401; the widget starts a new one).
pub const VISITOR_SESSION_IDLE_DAYS: i64 = 30;
/// How often a session's last use is written down at most, in minutes.
pub const VISITOR_SESSION_TOUCH_MINUTES: i64 = 60;
/// How often ended sessions and their empty conversations are swept away, in minutes.
pub const SWEEP_MINUTES: u64 = 60;
/// How long a dashboard login lasts, in hours.
pub const AGENT_SESSION_HOURS: i64 = 12;
/// The identified-rate metric looks at the conversations of this many days.
pub const IDENTIFIED_RATE_DAYS: i64 = 30;
/// Required readiness looks at the identify calls of this many days.
pub const READINESS_DAYS: i64 = 7;
/// How many recent verification failures the panel lists.
pub const FAILURES_SHOWN: usize = 50;
/// How many missed messages a reconnecting dashboard stream is sent at most.
pub const STREAM_BACKLOG: usize = 1000;
