//! Settings (owners only): Widget, how the workspace's widget looks and speaks (DESIGN.md
//! "Frontend SDK", Appearance), and Hours, when agents answer (DESIGN.md "Agents' day"); and
//! every agent's presence (online or away) with the heartbeat of an open dashboard. A wrong
//! field shows the form again with what was typed and the error naming the field; nothing is
//! saved until every field is right.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use replybubble_core::appearance::{Appearance, Lang, Text};

use super::{check_form_csrf, owners_only, render, render_as, see_other, state, Agent, Nav};
use crate::http::error::{Kind, PageError};
use crate::service::hours::{zone_names, DAYS};
use crate::service::presence::{self, HoursChange};
use crate::service::{workspace, ServiceError};
use crate::store::AgentCtx;
use crate::store::Presence;

/// What a settings form shows besides its page: the values by field (what is stored, or what
/// was typed when it was wrong), the error naming a field, and whether it was just saved.
struct Form {
    values: HashMap<String, String>,
    error: Option<String>,
    /// The field the error is about.
    error_field: String,
    saved: bool,
}

impl Form {
    fn new(values: HashMap<String, String>, saved: bool) -> Form {
        Form {
            values,
            error: None,
            error_field: String::new(),
            saved,
        }
    }

    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// The form again with `e` on the field it names.
    fn failed(&mut self, e: &replybubble_core::FieldError) {
        self.error_field = e.field().to_owned();
        self.error = Some(e.to_string());
    }
}

#[derive(Template)]
#[template(path = "dashboard/settings_widget.html")]
struct WidgetPage {
    nav: Nav,
    form: Form,
    /// The language's title, subtitle and launcher label, shown as placeholders (English).
    defaults: HashMap<&'static str, &'static str>,
    /// (value, label) of the locale select.
    locales: Vec<(&'static str, &'static str)>,
}

fn values(a: &Appearance) -> HashMap<String, String> {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    [
        ("color", a.color.as_str().to_owned()),
        ("position", a.position.as_str().to_owned()),
        ("offset_x", a.offset_x.to_string()),
        ("offset_y", a.offset_y.to_string()),
        ("z_index", a.z_index.to_string()),
        ("title", text(&a.title)),
        ("subtitle", text(&a.subtitle)),
        ("launcher_label", text(&a.launcher_label)),
        ("locale", a.locale.as_str().to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn page(agent: &AgentCtx, form: Form) -> WidgetPage {
    let lang_name = |l: Lang| match l {
        Lang::En => "English",
        Lang::De => "German (Deutsch)",
        Lang::Fr => "French (Français)",
        Lang::Es => "Spanish (Español)",
    };
    let mut locales = vec![("auto", "Automatic: the visitor's browser language")];
    locales.extend(Lang::ALL.map(|l| (l.as_str(), lang_name(l))));
    WidgetPage {
        nav: Nav::new(agent, "widget"),
        form,
        defaults: HashMap::from([
            ("title", Text::Title.in_lang(Lang::En)),
            ("subtitle", Text::Subtitle.in_lang(Lang::En)),
            ("launcher_label", Text::LauncherLabel.in_lang(Lang::En)),
        ]),
        locales,
    }
}

/// The form, with the stored appearance.
pub async fn show(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    owners_only(&agent)?;
    let ws = state(&req)
        .services
        .store
        .workspace(agent.app_id.clone())
        .await?
        .ok_or(PageError::NotFound("workspace"))?;
    let saved = req.query_string() == "saved=1";
    render(&page(&agent, Form::new(values(&ws.appearance), saved)))
}

/// Saves every field at once; a wrong one shows the form again with what was typed.
pub async fn save(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    owners_only(&agent)?;
    check_form_csrf(&agent, &form)?;
    let mut typed = HashMap::new();
    for field in Appearance::FIELDS {
        let v = form.get(field).ok_or_else(|| {
            PageError::BadRequest(format!("the form lacks the field {field}: reload the page"))
        })?;
        typed.insert(field.to_owned(), v.clone());
    }
    let changes: Vec<(&str, &str)> = Appearance::FIELDS
        .iter()
        .map(|f| (*f, typed[*f].as_str()))
        .collect();
    match workspace::set_appearance(&state(&req).services, &agent.app_id, &changes).await {
        Ok(_) => Ok(see_other("/dashboard/settings/widget?saved=1")),
        Err(ServiceError::Field(e)) => {
            let mut form = Form::new(typed, false);
            form.failed(&e);
            render_as(Kind::BadRequest, &page(&agent, form))
        }
        Err(e) => Err(e.into()),
    }
}

/// The sidebar's Online / Away button.
pub async fn presence(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    check_form_csrf(&agent, &form)?;
    let chosen: Presence = form
        .get("presence")
        .map_or("", String::as_str)
        .parse()
        .map_err(PageError::BadRequest)?;
    presence::set_presence(&state(&req).services, agent.agent_id, chosen).await?;
    // Back to the page the button was on (only within the dashboard).
    let back = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/dashboard").map(|i| r[i..].to_owned()))
        .filter(|p| !p.starts_with("/dashboard/presence") && !p.contains("//"))
        .unwrap_or_else(|| "/dashboard".to_owned());
    Ok(see_other(&back))
}

/// An open dashboard page says it is still open (dashboard.js, every two minutes): the
/// extractor has noted the agent as seen.
pub async fn heartbeat(
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    check_form_csrf(&agent, &form)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Template)]
#[template(path = "dashboard/settings_hours.html")]
struct HoursPage {
    nav: Nav,
    form: Form,
    /// (day key, label).
    days: Vec<(&'static str, &'static str)>,
    zones: &'static [String],
    /// What the widget would say now: (online, next open).
    status: (bool, Option<String>),
}

const DAY_LABELS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn hours_values(ws: &crate::store::Workspace) -> Result<HashMap<String, String>, PageError> {
    let mut v = HashMap::new();
    let week = presence::hours_of(ws)?;
    v.insert(
        "mode".into(),
        if week.is_some() { "week" } else { "always" }.into(),
    );
    v.insert(
        "time_zone".into(),
        week.as_ref()
            .map_or("UTC".into(), |w| w.zone_name().to_owned()),
    );
    let days = week.as_ref().map(|w| w.days());
    for (i, d) in DAYS.iter().enumerate() {
        // With no hours yet, suggest a working week.
        let range = match days {
            Some(days) => days[i],
            None if i < 5 => Some(crate::service::hours::Range {
                opens: 9 * 60,
                closes: 17 * 60,
            }),
            None => None,
        };
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        v.insert(
            format!("{d}_open"),
            if range.is_some() { "on" } else { "" }.into(),
        );
        v.insert(
            format!("{d}_from"),
            range.map_or("09:00".into(), |r| hm(r.opens)),
        );
        v.insert(
            format!("{d}_to"),
            range.map_or("17:00".into(), |r| hm(r.closes)),
        );
    }
    v.insert(
        "hide_when_offline".into(),
        if ws.hide_when_offline { "on" } else { "" }.into(),
    );
    Ok(v)
}

async fn hours_page(
    req: &HttpRequest,
    agent: &AgentCtx,
    form: Form,
) -> Result<HoursPage, PageError> {
    let services = &state(req).services;
    let ws = services
        .store
        .workspace(agent.app_id.clone())
        .await?
        .ok_or(PageError::NotFound("workspace"))?;
    let now = presence::availability(services, &ws).await?;
    // The next opening in the workspace's own time zone.
    let next = match (presence::hours_of(&ws)?, &now.next_open) {
        (Some(week), Some(at)) => at
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| week.local_label(t)),
        _ => None,
    };
    Ok(HoursPage {
        nav: Nav::new(agent, "hours"),
        form,
        days: DAYS.iter().copied().zip(DAY_LABELS).collect(),
        zones: zone_names(),
        status: (now.online, next),
    })
}

/// Settings > Hours.
pub async fn hours(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    owners_only(&agent)?;
    let ws = state(&req)
        .services
        .store
        .workspace(agent.app_id.clone())
        .await?
        .ok_or(PageError::NotFound("workspace"))?;
    let saved = req.query_string() == "saved=1";
    render(&hours_page(&req, &agent, Form::new(hours_values(&ws)?, saved)).await?)
}

/// Saves the hours; a wrong entry shows the form again with what was typed.
pub async fn save_hours(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    owners_only(&agent)?;
    check_form_csrf(&agent, &form)?;
    let get = |k: &str| form.get(k).map_or("", |v| v.as_str());
    let specs: Vec<String> = DAYS
        .iter()
        .map(|d| {
            if get(&format!("{d}_open")) == "on" {
                format!("{}-{}", get(&format!("{d}_from")), get(&format!("{d}_to")))
            } else {
                "closed".to_owned()
            }
        })
        .collect();
    let change = match get("mode") {
        "always" => HoursChange::Always,
        "week" => HoursChange::Week {
            time_zone: get("time_zone"),
            days: std::array::from_fn(|i| Some(specs[i].as_str())),
        },
        _ => {
            return Err(PageError::BadRequest(
                "mode must be always or week: reload the page".into(),
            ))
        }
    };
    let hide = get("hide_when_offline") == "on";
    match presence::set_hours(&state(&req).services, &agent.app_id, change, Some(hide)).await {
        Ok(_) => Ok(see_other("/dashboard/settings/hours?saved=1")),
        Err(ServiceError::Field(e)) => {
            let mut typed = Form::new(form.into_inner(), false);
            typed.failed(&e);
            render_as(Kind::BadRequest, &hours_page(&req, &agent, typed).await?)
        }
        Err(e) => Err(e.into()),
    }
}
