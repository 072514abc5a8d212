//! Settings > Widget (owners only): how the workspace's widget looks and speaks (DESIGN.md
//! "Frontend SDK", Appearance). A wrong field shows the form again with what was typed and the
//! error naming the field; nothing is saved until every field is right.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use replybubble_core::appearance::{Appearance, Lang, Text};

use super::{check_csrf, render, render_as, see_other, state, Agent, Nav};
use crate::http::error::{Kind, PageError};
use crate::service::{workspace, ServiceError};
use crate::store::AgentCtx;

fn owner(agent: &AgentCtx) -> Result<(), PageError> {
    if agent.is_owner() {
        Ok(())
    } else {
        Err(PageError::OwnersOnly)
    }
}

#[derive(Template)]
#[template(path = "dashboard/settings_widget.html")]
struct WidgetPage {
    nav: Nav,
    /// The form's values, by field (what is stored, or what was typed when it was wrong).
    values: HashMap<&'static str, String>,
    /// The language's title, subtitle and launcher label, shown as placeholders (English).
    defaults: HashMap<&'static str, &'static str>,
    /// (value, label) of the locale select.
    locales: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    /// The field the error is about.
    error_field: String,
    saved: bool,
}

impl WidgetPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }
}

fn values(a: &Appearance) -> HashMap<&'static str, String> {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    HashMap::from([
        ("color", a.color.as_str().to_owned()),
        ("position", a.position.as_str().to_owned()),
        ("offset_x", a.offset_x.to_string()),
        ("offset_y", a.offset_y.to_string()),
        ("z_index", a.z_index.to_string()),
        ("title", text(&a.title)),
        ("subtitle", text(&a.subtitle)),
        ("launcher_label", text(&a.launcher_label)),
        ("locale", a.locale.as_str().to_owned()),
    ])
}

fn page(agent: &AgentCtx, values: HashMap<&'static str, String>, saved: bool) -> WidgetPage {
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
        values,
        defaults: HashMap::from([
            ("title", Text::Title.in_lang(Lang::En)),
            ("subtitle", Text::Subtitle.in_lang(Lang::En)),
            ("launcher_label", Text::LauncherLabel.in_lang(Lang::En)),
        ]),
        locales,
        error: None,
        error_field: String::new(),
        saved,
    }
}

/// The form, with the stored appearance.
pub async fn show(req: HttpRequest, Agent(agent): Agent) -> Result<HttpResponse, PageError> {
    owner(&agent)?;
    let ws = state(&req)
        .services
        .store
        .workspace(agent.app_id.clone())
        .await?
        .ok_or(PageError::NotFound("workspace"))?;
    let saved = req.query_string() == "saved=1";
    render(&page(&agent, values(&ws.appearance), saved))
}

/// Saves every field at once; a wrong one shows the form again with what was typed.
pub async fn save(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    owner(&agent)?;
    check_csrf(&agent, form.get("csrf").map_or("", String::as_str))?;
    let mut typed = HashMap::new();
    for field in Appearance::FIELDS {
        let v = form.get(field).ok_or_else(|| {
            PageError::BadRequest(format!("the form lacks the field {field}: reload the page"))
        })?;
        typed.insert(field, v.clone());
    }
    let changes: Vec<(&str, &str)> = Appearance::FIELDS
        .iter()
        .map(|f| (*f, typed[f].as_str()))
        .collect();
    match workspace::set_appearance(&state(&req).services, &agent.app_id, &changes).await {
        Ok(_) => Ok(see_other("/dashboard/settings/widget?saved=1")),
        Err(ServiceError::Field(e)) => {
            let mut p = page(&agent, typed, false);
            p.error_field = e.field().to_owned();
            p.error = Some(e.to_string());
            render_as(Kind::BadRequest, &p)
        }
        Err(e) => Err(e.into()),
    }
}
