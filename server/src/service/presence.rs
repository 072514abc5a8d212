//! Who can answer now (DESIGN.md "Agents' day"): agents choose online or away, an open
//! dashboard keeps an online agent online (away after 10 minutes without one), and a workspace's
//! business hours bound it all. The widget asks `GET status`; agents set their presence in the
//! dashboard; owners set hours in the dashboard or the CLI.

use replybubble_core::wire::WidgetStatus;

use super::hours::WeeklyHours;
use super::{rfc3339, ServiceError, Services};
use crate::policy::PRESENCE_AWAY_MINUTES;
use crate::store::{Presence, StoreError, Workspace};

/// A workspace's stored hours, read back (None: no hours).
pub fn hours_of(ws: &Workspace) -> Result<Option<WeeklyHours>, ServiceError> {
    match (&ws.time_zone, &ws.hours) {
        (Some(zone), Some(week)) => WeeklyHours::from_text(zone, week)
            .map(Some)
            .map_err(|e| StoreError::Invalid(format!("stored business hours: {e}")).into()),
        _ => Ok(None),
    }
}

/// Whether someone can answer in `ws` now, and when the hours next open.
pub async fn availability(s: &Services, ws: &Workspace) -> Result<WidgetStatus, ServiceError> {
    let now = s.clock.now_ms();
    let hours = hours_of(ws)?;
    let open = hours.as_ref().is_none_or(|h| h.is_open(now));
    let online = open
        && s.store
            .agents_online(ws.id, now - PRESENCE_AWAY_MINUTES * 60_000)
            .await?
            > 0;
    let next_open = match (&hours, open) {
        (Some(h), false) => h.next_open(now).map(|t| rfc3339(t.as_millisecond())),
        _ => None,
    };
    Ok(WidgetStatus {
        online,
        next_open,
        hide: !online && ws.hide_when_offline,
    })
}

/// `GET status?app_id=`: the availability of a workspace, for its widget.
pub async fn widget_status(
    s: &Services,
    app_id: &str,
    origin: Option<&str>,
) -> Result<WidgetStatus, ServiceError> {
    if app_id.is_empty() {
        return Err(replybubble_core::FieldError::new(
            "app_id",
            replybubble_core::Problem::Required,
        )
        .into());
    }
    let ws = s
        .store
        .workspace(app_id.to_owned())
        .await?
        .ok_or(ServiceError::UnknownApp)?;
    super::check_origin(&ws.origins, origin)?;
    availability(s, &ws).await
}

/// An agent chooses online or away.
pub async fn set_presence(
    s: &Services,
    agent_id: i64,
    presence: Presence,
) -> Result<(), ServiceError> {
    s.store.set_presence(agent_id, presence).await?;
    // Choosing is being here: an online agent counts at once.
    s.store.agent_seen(agent_id, s.clock.now_ms()).await?;
    Ok(())
}

/// An open dashboard of the agent was heard from (a page, a live stream, a heartbeat).
pub async fn seen(s: &Services, agent_id: i64) -> Result<(), ServiceError> {
    Ok(s.store.agent_seen(agent_id, s.clock.now_ms()).await?)
}

/// What to change about a workspace's hours.
#[derive(Debug, Clone, Copy)]
pub enum HoursChange<'a> {
    /// Leave them.
    Keep,
    /// No hours: open whenever an agent is online.
    Always,
    /// These hours: a time zone and one entry per day, Monday first (`None` or `"closed"`).
    Week {
        /// IANA name.
        time_zone: &'a str,
        /// `"09:00-17:00"`, `"closed"` or `None`.
        days: [Option<&'a str>; 7],
    },
}

/// Sets business hours and hide-when-offline (None: unchanged); a wrong entry is named and
/// nothing changes.
pub async fn set_hours(
    s: &Services,
    app_id: &str,
    change: HoursChange<'_>,
    hide_when_offline: Option<bool>,
) -> Result<Workspace, ServiceError> {
    let ws = s
        .store
        .workspace(app_id.to_owned())
        .await?
        .ok_or(ServiceError::NotFound("workspace"))?;
    let hours = match change {
        HoursChange::Keep => ws.time_zone.clone().zip(ws.hours.clone()),
        HoursChange::Always => None,
        HoursChange::Week { time_zone, days } => {
            let week = WeeklyHours::new(time_zone, days)?;
            Some((week.zone_name().to_owned(), week.to_text()))
        }
    };
    Ok(s.store
        .set_hours(
            app_id.to_owned(),
            hours,
            hide_when_offline.unwrap_or(ws.hide_when_offline),
        )
        .await?)
}
