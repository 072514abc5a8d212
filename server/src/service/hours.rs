//! Business hours (DESIGN.md "Agents' day"): one opening range per weekday in the workspace's
//! IANA time zone, closed days without one; whether a moment is inside them and when they next
//! open. Time-zone rules (daylight saving) come from jiff's bundled database.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use replybubble_core::{FieldError, Problem};

/// The days as the CLI, the dashboard and the stored text name them, Monday first.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One day's opening: minutes after local midnight, `opens < closes <= 24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Opens at, minutes after midnight.
    pub opens: u16,
    /// Closes at, minutes after midnight (1440 is midnight at the end of the day).
    pub closes: u16,
}

/// A workspace's week, in its time zone.
#[derive(Debug, Clone)]
pub struct WeeklyHours {
    zone_name: String,
    zone: TimeZone,
    /// Monday first; `None` is a closed day.
    days: [Option<Range>; 7],
}

fn bad(field: &str, why: &'static str) -> FieldError {
    FieldError::new(field.to_owned(), Problem::Invalid(why))
}

/// `HH:MM` as minutes after midnight (24:00 allowed, for a day that closes at midnight).
fn minutes(field: &str, s: &str) -> Result<u16, FieldError> {
    let why = "must be a time like 09:00 (24-hour clock)";
    let (h, m) = s.trim().split_once(':').ok_or_else(|| bad(field, why))?;
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| bad(field, why))?,
        m.parse().map_err(|_| bad(field, why))?,
    );
    if m >= 60 || h > 24 || (h == 24 && m > 0) || s.trim().len() != 5 {
        return Err(bad(field, why));
    }
    Ok(h * 60 + m)
}

impl Range {
    /// `09:00-17:00` for `day` (the field an error names).
    pub fn parse(day: &str, s: &str) -> Result<Range, FieldError> {
        let (a, b) = s.split_once('-').ok_or_else(|| {
            bad(
                day,
                "must be opening and closing times like 09:00-17:00, or closed",
            )
        })?;
        let (opens, closes) = (minutes(day, a)?, minutes(day, b)?);
        if opens >= closes {
            return Err(bad(
                day,
                "must close after it opens, on the same day (a night shift is two days: 22:00-24:00 and 00:00-06:00)",
            ));
        }
        Ok(Range { opens, closes })
    }

    fn text(self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.opens / 60,
            self.opens % 60,
            self.closes / 60,
            self.closes % 60
        )
    }
}

/// Checks an IANA time zone name (`Europe/Berlin`).
pub fn zone(name: &str) -> Result<TimeZone, FieldError> {
    TimeZone::get(name.trim()).map_err(|_| {
        bad(
            "time_zone",
            "must be an IANA time zone like Europe/Berlin or America/New_York",
        )
    })
}

/// Every time zone name the server knows, sorted (the dashboard's list); read from the bundled
/// database once.
pub fn zone_names() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .filter(|n| n.contains('/') || n == "UTC")
            .collect();
        names.sort();
        names
    });
    &NAMES
}

impl WeeklyHours {
    /// A week from the time zone and one entry per day (`None` or `"closed"`: closed).
    pub fn new(zone_name: &str, days: [Option<&str>; 7]) -> Result<WeeklyHours, FieldError> {
        let tz = zone(zone_name)?;
        let mut out = [None; 7];
        for (i, d) in days.iter().enumerate() {
            out[i] = match d.map(str::trim) {
                None | Some("") | Some("closed") => None,
                Some(spec) => Some(Range::parse(DAYS[i], spec)?),
            };
        }
        Ok(WeeklyHours {
            zone_name: zone_name.trim().to_owned(),
            zone: tz,
            days: out,
        })
    }

    /// The stored form: `mon=09:00-17:00,tue=closed,…`.
    pub fn to_text(&self) -> String {
        DAYS.iter()
            .zip(self.days)
            .map(|(d, r)| format!("{d}={}", r.map_or("closed".to_owned(), Range::text)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored form back.
    pub fn from_text(zone_name: &str, text: &str) -> Result<WeeklyHours, FieldError> {
        let mut days: [Option<&str>; 7] = [None; 7];
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (day, spec) = part
                .split_once('=')
                .ok_or_else(|| bad("hours", "must be day=HH:MM-HH:MM entries"))?;
            let i = DAYS
                .iter()
                .position(|d| *d == day)
                .ok_or_else(|| bad("hours", "names an unknown day"))?;
            days[i] = Some(spec);
        }
        WeeklyHours::new(zone_name, days)
    }

    /// The time zone's name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// Each day's range, Monday first.
    pub fn days(&self) -> [Option<Range>; 7] {
        self.days
    }

    /// `at` as the owner reads it: "Thursday 09:00 (Europe/Berlin)".
    pub fn local_label(&self, at: Timestamp) -> String {
        let local = at.to_zoned(self.zone.clone());
        format!("{} ({})", local.strftime("%A %H:%M"), self.zone_name)
    }

    /// Whether `at` (ms since the epoch) is inside the hours.
    pub fn is_open(&self, at_ms: i64) -> bool {
        let Ok(ts) = Timestamp::from_millisecond(at_ms) else {
            return false;
        };
        let local = ts.to_zoned(self.zone.clone());
        let day = local.weekday().to_monday_zero_offset() as usize;
        let m = local.hour() as u16 * 60 + local.minute() as u16;
        self.days[day].is_some_and(|r| r.opens <= m && m < r.closes)
    }

    /// The next opening after `at` (ms), within the coming week; `None` when every day is
    /// closed.
    pub fn next_open(&self, at_ms: i64) -> Option<Timestamp> {
        let ts = Timestamp::from_millisecond(at_ms).ok()?;
        let today = ts.to_zoned(self.zone.clone()).date();
        for ahead in 0..=7 {
            let date = today.checked_add(ahead.days()).ok()?;
            let day = date.weekday().to_monday_zero_offset() as usize;
            let Some(r) = self.days[day] else { continue };
            let opens = date
                .at((r.opens / 60) as i8, (r.opens % 60) as i8, 0, 0)
                .to_zoned(self.zone.clone())
                .ok()?
                .timestamp();
            if opens > ts {
                return Some(opens);
            }
        }
        None
    }
}

/// `Weekday` of a day index (Monday 0), for tests and labels.
pub fn weekday(i: usize) -> Weekday {
    Weekday::from_monday_zero_offset(i as i8).unwrap_or(Weekday::Monday)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn berlin_office() -> WeeklyHours {
        let nine_to_five = Some("09:00-17:00");
        WeeklyHours::new(
            "Europe/Berlin",
            [
                nine_to_five,
                nine_to_five,
                nine_to_five,
                nine_to_five,
                Some("09:00-13:00"),
                Some("closed"),
                None,
            ],
        )
        .unwrap()
    }

    #[test]
    fn open_inside_the_local_range_only() {
        let h = berlin_office();
        // Wednesday 2026-11-25: Berlin is UTC+1 in winter.
        assert!(!h.is_open(ms("2026-11-25T07:59:00Z")), "08:59 local");
        assert!(h.is_open(ms("2026-11-25T08:00:00Z")), "09:00 local");
        assert!(h.is_open(ms("2026-11-25T15:59:00Z")), "16:59 local");
        assert!(!h.is_open(ms("2026-11-25T16:00:00Z")), "17:00 local");
        assert!(!h.is_open(ms("2026-11-28T10:00:00Z")), "Saturday is closed");
    }

    #[test]
    fn next_open_skips_closed_days_and_follows_daylight_saving() {
        let h = berlin_office();
        // Friday 14:00 local → Monday 09:00 local.
        assert_eq!(
            h.next_open(ms("2026-11-27T13:00:00Z")),
            Some("2026-11-30T08:00:00Z".parse().unwrap())
        );
        // Before opening on a weekday: the same day.
        assert_eq!(
            h.next_open(ms("2026-11-25T05:00:00Z")),
            Some("2026-11-25T08:00:00Z".parse().unwrap())
        );
        // Saturday 2026-03-28 → Monday 2026-03-30 09:00, now summer time (UTC+2).
        assert_eq!(
            h.next_open(ms("2026-03-28T12:00:00Z")),
            Some("2026-03-30T07:00:00Z".parse().unwrap())
        );
        let never = WeeklyHours::new("UTC", [None; 7]).unwrap();
        assert_eq!(never.next_open(ms("2026-11-25T12:00:00Z")), None);
        assert!(!never.is_open(ms("2026-11-25T12:00:00Z")));
    }

    #[test]
    fn the_stored_text_round_trips() {
        let h = berlin_office();
        let text = h.to_text();
        assert_eq!(
            text,
            "mon=09:00-17:00,tue=09:00-17:00,wed=09:00-17:00,thu=09:00-17:00,fri=09:00-13:00,sat=closed,sun=closed"
        );
        assert_eq!(
            h.local_label("2026-11-30T08:00:00Z".parse().unwrap()),
            "Monday 09:00 (Europe/Berlin)"
        );
        let back = WeeklyHours::from_text("Europe/Berlin", &text).unwrap();
        assert_eq!(back.days(), h.days());
        let all_day = WeeklyHours::new("UTC", [Some("00:00-24:00"); 7]).unwrap();
        assert!(all_day.is_open(ms("2026-11-25T23:59:00Z")));
    }

    #[test]
    fn wrong_input_names_its_field_and_the_fix() {
        let e = WeeklyHours::new("Mars/Olympus", [None; 7]).unwrap_err();
        assert_eq!(e.field(), "time_zone");
        let mut days = [None; 7];
        days[2] = Some("9-17");
        let e = WeeklyHours::new("UTC", days).unwrap_err();
        assert_eq!(
            e.to_string(),
            "wed must be a time like 09:00 (24-hour clock)"
        );
        days[2] = Some("17:00-09:00");
        assert!(WeeklyHours::new("UTC", days)
            .unwrap_err()
            .to_string()
            .starts_with("wed must close after it opens"));
        days[2] = Some("09:00-24:30");
        assert_eq!(WeeklyHours::new("UTC", days).unwrap_err().field(), "wed");
        assert!(zone_names().iter().any(|n| n == "America/New_York"));
    }
}
