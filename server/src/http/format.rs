//! How times look in the dashboard, written once: the pages and the live updates (whose events
//! carry the label, so the dashboard's JavaScript never formats a time itself).

/// "2026-11-24 22:50 UTC" and the RFC 3339 form for `<time datetime>`.
pub fn when(ms: i64) -> (String, String) {
    let iso = crate::service::rfc3339(ms);
    let short = format!("{} {} UTC", &iso[..10], &iso[11..16]);
    (short, iso)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_reads_as_utc_minutes() {
        let (label, iso) = super::when(1_764_024_601_123);
        assert_eq!(iso, "2025-11-24T22:50:01.123Z");
        assert_eq!(label, "2025-11-24 22:50 UTC");
    }
}
