//! Server policy: rate quotas, paging, session lengths, body limits. What the server decides
//! for itself and the widget never needs. Field limits shared with the widget stay in
//! `replybubble_core::limits`: a limit is written once.

/// The largest JSON body a widget endpoint accepts, in bytes. A maximal identify payload
/// (every field at its limit, 4-byte characters) stays far below it in practice; the server
/// answers 413 past it.
pub const WIDGET_JSON_MAX_BYTES: usize = 64 * 1024;

/// A request's body must arrive within this many seconds of the request (408 after): a client
/// trickling a body cannot hold a connection, or a login attempt, open for long.
pub const BODY_READ_SECS: u64 = 10;

/// How much of an identify body is read when its bound session is over its rate limits: enough
/// for the `id` the claim rule compares (512 characters, escaped) beside the usual fields. A
/// larger body is taken as another user's: the session ends.
pub const LIMITED_IDENTIFY_READ_BYTES: usize = 16 * 1024;

/// Open widget event streams per visitor session: a new one closes the oldest.
pub const STREAMS_PER_SESSION: usize = 2;

/// Open widget event streams per client IP key: more are refused (429).
pub const STREAMS_PER_IP: usize = 20;

/// What a refused stream is told to wait, in seconds.
pub const STREAM_RETRY_SECS: u64 = 30;

/// How often closed streams, expired tickets and full rate-limit buckets are forgotten, in
/// seconds.
pub const PRUNE_SECS: u64 = 60;

/// Lifetime of an event-stream ticket, in seconds.
pub const EVENTS_TICKET_TTL_SECS: u64 = 60;

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

/// Dashboard login attempts, per email tried: 5, then one every 30 s.
pub const RATE_LOGIN_PER_EMAIL: RateQuota = RateQuota {
    per_minute: 2,
    burst: 5,
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

/// Raw identify calls are kept this many days (DESIGN.md "Operations, continued").
pub const RAW_EVENTS_DAYS: i64 = 30;

/// Hourly identify counts are kept this many days.
pub const HOURLY_COUNTS_DAYS: i64 = 400;

/// The hourly sweep deletes raw identify calls in transactions of at most this many rows, so
/// other writes interleave.
pub const PRUNE_BATCH: usize = 20_000;

/// Required readiness looks at the identify calls of this many days.
pub const READINESS_DAYS: i64 = 7;

/// How many recent verification failures the panel lists.
pub const FAILURES_SHOWN: usize = 50;

/// How many missed messages a reconnecting dashboard stream is sent at most.
pub const STREAM_BACKLOG: usize = 1000;

/// On a database several servers share, how often an open stream reads what it may have missed
/// (a notice lost with its connection, an announced message that could not be read) and whether
/// its visitor session still lives.
pub const STREAM_SAFETY_POLL_SECS: u64 = 30;

/// An agent who chose online counts as online while a dashboard of theirs was heard from within
/// this many minutes (DESIGN.md "Agents' day": away after 10 minutes without an open dashboard).
pub const PRESENCE_AWAY_MINUTES: i64 = 10;

/// How often an open dashboard page tells the server it is open (dashboard.js), in seconds.
pub const DASHBOARD_HEARTBEAT_SECS: u64 = 120;

/// The email fallback (DESIGN.md "Agents' day"): a reply is emailed once the visitor has had no
/// open event stream for this long.
pub const EMAIL_AFTER_ABSENCE_SECS: i64 = 120;

/// At most one email per conversation in this many minutes.
pub const EMAIL_EVERY_MINUTES: i64 = 10;

/// How often the outbox worker looks for due emails, in seconds.
pub const EMAIL_POLL_SECS: u64 = 5;

/// A claimed email not finished within this long (a crash mid-send) is taken up again.
pub const EMAIL_LEASE_SECS: i64 = 120;

/// A failed send waits this long times 2^attempts, at most [`EMAIL_RETRY_MAX_SECS`].
pub const EMAIL_RETRY_SECS: i64 = 15;

/// The longest wait between two attempts of one email.
pub const EMAIL_RETRY_MAX_SECS: i64 = 900;

/// How often an open visitor stream writes down that it is open, in seconds.
pub const STREAM_SEEN_SECS: u64 = 60;
