//! Per-token and per-IP rate limits (governor), switchable off for load tests.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::policy::{self as limits, RateQuota};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Over a limit: how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests: retry in {retry_after} s")]
pub struct RateLimited {
    /// Seconds to wait.
    pub retry_after: u64,
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `POST session` and `POST reset` (both make a session), keyed by IP.
    SessionIp,
    /// `POST identify`, keyed by session.
    IdentifyToken,
    /// `POST identify`, keyed by IP.
    IdentifyIp,
    /// `POST messages`, keyed by session.
    MessageToken,
    /// `POST messages`, keyed by IP.
    MessageIp,
    /// Reads, tickets and reset, keyed by session.
    ReadToken,
    /// Reads and tickets, keyed by IP.
    ReadIp,
    /// The contact form, keyed by IP.
    DetailsIp,
    /// Dashboard login, keyed by IP.
    LoginIp,
    /// Dashboard login, keyed by the email tried.
    LoginEmail,
}

/// Every limiter of the server.
pub struct Limits {
    enabled: bool,
    limiters: Vec<(Scope, DefaultKeyedRateLimiter<String>)>,
}

fn limiter(q: RateQuota) -> DefaultKeyedRateLimiter<String> {
    let per_minute = NonZeroU32::new(q.per_minute).expect("a positive rate");
    let burst = NonZeroU32::new(q.burst).expect("a positive burst");
    RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
}

impl Limits {
    /// All limits, on or off.
    pub fn new(enabled: bool) -> Limits {
        let limiters = [
            (Scope::SessionIp, limits::RATE_SESSION_PER_IP),
            (Scope::IdentifyToken, limits::RATE_IDENTIFY_PER_TOKEN),
            (Scope::IdentifyIp, limits::RATE_IDENTIFY_PER_IP),
            (Scope::MessageToken, limits::RATE_MESSAGE_PER_TOKEN),
            (Scope::MessageIp, limits::RATE_MESSAGE_PER_IP),
            (Scope::ReadToken, limits::RATE_READ_PER_TOKEN),
            (Scope::ReadIp, limits::RATE_READ_PER_IP),
            (Scope::DetailsIp, limits::RATE_DETAILS_PER_IP),
            (Scope::LoginIp, limits::RATE_LOGIN_PER_IP),
            (Scope::LoginEmail, limits::RATE_LOGIN_PER_EMAIL),
        ]
        .into_iter()
        .map(|(s, q)| (s, limiter(q)))
        .collect();
        Limits { enabled, limiters }
    }

    /// Counts one request of `key` in `scope`; 429 with the wait when over the limit.
    pub fn check(&self, scope: Scope, key: &str) -> Result<(), RateLimited> {
        if !self.enabled {
            return Ok(());
        }
        let Some((_, l)) = self.limiters.iter().find(|(s, _)| *s == scope) else {
            return Ok(());
        };
        match l.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
                Err(RateLimited {
                    retry_after: wait.as_secs().max(1) + u64::from(wait.subsec_nanos() > 0),
                })
            }
        }
    }

    /// Forgets keys that are back to a full bucket (called now and then to bound memory).
    pub fn shrink(&self) {
        for (_, l) in &self.limiters {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_then_429_with_a_retry_after() {
        let limits = Limits::new(true);
        for _ in 0..limits::RATE_LOGIN_PER_IP.burst {
            limits.check(Scope::LoginIp, "1.2.3.4").unwrap();
        }
        match limits.check(Scope::LoginIp, "1.2.3.4") {
            Err(RateLimited { retry_after }) => assert!((1..=7).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        limits.check(Scope::LoginIp, "5.6.7.8").unwrap();
        let off = Limits::new(false);
        for _ in 0..100 {
            off.check(Scope::LoginIp, "1.2.3.4").unwrap();
        }
    }
}
