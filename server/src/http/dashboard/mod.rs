//! `/dashboard`: the agent dashboard, server-rendered with askama (escaped by default) and a
//! little progressive JS (`www/static/dashboard.js`).
//!
//! Sessions are an HttpOnly, SameSite=Lax cookie holding a random token (stored only as a hash)
//! that expires after 12 hours. Every form carries the session's CSRF token (the login form a
//! double-submit cookie's), checked in constant time. Every query is scoped to the agent's
//! workspace, so another workspace's ids are "not found".

mod contacts;
mod inbox;
mod pages;
mod settings;
mod verification;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::crypto;
use crate::http::error::{Kind, PageError};
use crate::http::state::AppState;
use crate::ratelimit::Scope;
use crate::store::now_ms;
use crate::store::AgentCtx;
use actix_web::http::StatusCode;

const SESSION_COOKIE: &str = "rb_session";
const LOGIN_CSRF_COOKIE: &str = "rb_login_csrf";
const SESSION_HOURS: i64 = crate::policy::AGENT_SESSION_HOURS;

/// The logged-in agent; pages that take it redirect to the login page otherwise.
pub struct Agent(pub AgentCtx);

fn state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered")
}

impl FromRequest for Agent {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let state = state(req);
        Box::pin(async move {
            let token = token.ok_or(PageError::LoginRequired)?;
            let hash = crypto::token_hash(&token);
            let agent = state
                .services
                .store
                .agent_by_session(hash, now_ms())
                .await?;
            let agent = agent.ok_or(PageError::LoginRequired)?;
            // Every dashboard request is an open dashboard: it keeps an online agent online.
            if let Err(e) = crate::service::presence::seen(&state.services, agent.agent_id).await {
                tracing::warn!(error = %e, "could not note the agent as seen");
            }
            Ok(Agent(agent))
        })
    }
}

/// 403 unless `given` is the session's CSRF token.
pub fn check_csrf(agent: &AgentCtx, given: &str) -> Result<(), PageError> {
    if crypto::same_secret(&agent.csrf, given) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// 403 unless the agent is a workspace owner (Integrations and Settings).
pub fn owners_only(agent: &AgentCtx) -> Result<(), PageError> {
    if agent.is_owner() {
        Ok(())
    } else {
        Err(PageError::OwnersOnly)
    }
}

/// [`check_csrf`] for a form read as a map of its fields.
pub fn check_form_csrf(
    agent: &AgentCtx,
    form: &std::collections::HashMap<String, String>,
) -> Result<(), PageError> {
    check_csrf(agent, form.get("csrf").map_or("", String::as_str))
}

/// What the layout shows about who is logged in.
pub struct Nav {
    /// Workspace name.
    pub workspace_name: String,
    /// Agent email.
    pub email: String,
    /// owner or agent.
    pub role: String,
    /// Whether owner-only links show.
    pub is_owner: bool,
    /// The CSRF token for the forms on the page.
    pub csrf: String,
    /// The current section.
    pub active: &'static str,
    /// The agent's chosen presence: `online` or `away`.
    pub presence: &'static str,
    /// Opt-in notifications: sound, browser notification.
    pub notify: (bool, bool),
}

impl Nav {
    /// The layout for `agent` on section `active`.
    pub fn new(agent: &AgentCtx, active: &'static str) -> Nav {
        Nav {
            workspace_name: agent.workspace_name.clone(),
            email: agent.email.clone(),
            role: agent.role.as_str().to_owned(),
            is_owner: agent.is_owner(),
            csrf: agent.csrf.clone(),
            active,
            presence: agent.presence.as_str(),
            notify: (agent.notify_sound, agent.notify_browser),
        }
    }
}

/// Renders a page with the dashboard's headers.
pub fn render(t: &impl Template) -> Result<HttpResponse, PageError> {
    let html = t.render()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Renders a page with the status of `kind` (a form shown again with its error).
pub fn render_as(
    kind: crate::http::error::Kind,
    t: &impl Template,
) -> Result<HttpResponse, PageError> {
    let html = t.render()?;
    Ok(HttpResponse::build(kind.status())
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// A 303 to `to` after a form post.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The snippet for a workspace.
pub fn snippet(state: &AppState, app_id: &str) -> String {
    format!(
        "<script async src=\"{}/widget.js\" data-app-id=\"{app_id}\"></script>",
        state.public_url
    )
}

/// A day in milliseconds.
pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// `part / whole` as a percentage with one decimal, rounded half up in integers ("66.7%").
/// `whole` must not be 0.
pub fn percent(part: i64, whole: i64) -> String {
    let tenths = (part * 2000 + whole) / (2 * whole);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The text, or "—" when there is none.
pub fn or_dash(o: &Option<String>) -> String {
    o.clone().unwrap_or_else(|| "—".into())
}

pub use crate::http::format::when;

fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String, max_age_secs: i64) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/dashboard")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    error: Option<String>,
}

fn login_form(
    state: &AppState,
    email: String,
    error: Option<String>,
    code: actix_web::http::StatusCode,
) -> HttpResponse {
    let csrf = hex::encode(crypto::random_bytes::<16>());
    let html = LoginPage {
        csrf: csrf.clone(),
        email,
        error,
    }
    .render()
    .unwrap_or_default();
    HttpResponse::build(code)
        .cookie(cookie(state, LOGIN_CSRF_COOKIE, csrf, 3600))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

async fn login_page(req: HttpRequest) -> HttpResponse {
    login_form(&state(&req), String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf: String,
}

/// An argon2 hash of nothing in particular, checked when the email is unknown so that a wrong
/// email takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| crypto::hash_password("decoy password for timing"))
}

/// `POST /dashboard/login`. The per-IP limit is counted before the form is read: a stranger's
/// attempts are refused without their bodies being waited for.
async fn login(req: HttpRequest, body: web::Payload) -> Result<HttpResponse, actix_web::Error> {
    let state = state(&req);
    state
        .limits
        .check(Scope::LoginIp, &state.client_key(&req))
        .map_err(PageError::from)?;
    let form = web::Form::<LoginForm>::from_request(&req, &mut body.into_inner())
        .await?
        .into_inner();
    Ok(log_in(&req, &state, form).await?)
}

/// A login form that came in under the per-IP limit: CSRF, the per-email limit, the password.
async fn log_in(
    req: &HttpRequest,
    state: &AppState,
    form: LoginForm,
) -> Result<HttpResponse, PageError> {
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !crypto::same_secret(&expected, &form.csrf) {
        return Err(PageError::Csrf);
    }
    // Per account too, so a botnet of addresses cannot guess one agent's password: a burst,
    // then one attempt every 30 s.
    state
        .limits
        .check(Scope::LoginEmail, &form.email.trim().to_lowercase())?;
    let email = form.email.trim().to_owned();
    // No account's email holds U+0000 (and PostgreSQL text cannot): such a login is a wrong one.
    let logins = if email.contains('\0') {
        Vec::new()
    } else {
        state.services.store.logins(email.clone()).await?
    };
    let password = form.password;
    let agent_id = web::block(move || {
        if logins.is_empty() {
            crypto::verify_password(&password, decoy_hash());
            return None;
        }
        logins
            .into_iter()
            .find(|l| crypto::verify_password(&password, &l.password_hash))
            .map(|l| l.agent_id)
    })
    .await
    .map_err(PageError::internal)?;
    let Some(agent_id) = agent_id else {
        tracing::info!("dashboard login failed");
        let wrong = Some("Email or password is wrong.".to_owned());
        return Ok(login_form(state, email, wrong, Kind::Unauthorized.status()));
    };
    let token = crypto::new_token("rbs");
    let hash = crypto::token_hash(&token);
    let csrf = hex::encode(crypto::random_bytes::<32>());
    let now = now_ms();
    let expires = now + SESSION_HOURS * 3600 * 1000;
    state
        .services
        .store
        .create_agent_session(agent_id, hash, csrf, now, expires)
        .await?;
    let mut res = see_other("/dashboard");
    let _ = res.add_cookie(&cookie(state, SESSION_COOKIE, token, SESSION_HOURS * 3600));
    let _ = res.add_removal_cookie(&cookie(state, LOGIN_CSRF_COOKIE, String::new(), 0));
    Ok(res)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    req: HttpRequest,
    Agent(agent): Agent,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&agent, &form.csrf)?;
    let state = state(&req);
    if let Some(token) = req.cookie(SESSION_COOKIE) {
        let hash = crypto::token_hash(token.value());
        state.services.store.delete_agent_session(hash).await?;
    }
    // The session's live conversation streams end with it, and the agent counts as away.
    state
        .services
        .end_streams(crate::hub::StreamOwner::Agent(agent.session_id));
    state.services.store.agent_left(agent.agent_id).await?;
    let mut res = see_other("/dashboard/login");
    let _ = res.add_removal_cookie(&cookie(&state, SESSION_COOKIE, String::new(), 0));
    Ok(res)
}

/// Security headers on every dashboard answer: no framing, no sniffing, no inline script.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::CACHE_CONTROL, "no-store"))
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(crate::policy::DASHBOARD_FORM_MAX_BYTES)
        .error_handler(|e, _| match e {
            actix_web::error::UrlencodedError::Payload(p) if crate::http::deadline::is_late(&p) => {
                PageError::RequestTimeout.into()
            }
            e => PageError::BadRequest(format!("the form could not be read: {e}")).into(),
        })
}

/// Registers `/dashboard/*`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/dashboard")
            .wrap(security_headers())
            .app_data(form_config())
            .app_data(
                web::PathConfig::default().error_handler(|_, _| PageError::NotFound("page").into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| PageError::BadRequest(e.to_string()).into()),
            )
            .route("", web::get().to(pages::home))
            .route("/", web::get().to(pages::home))
            .route("/login", web::get().to(login_page))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/conversations", web::get().to(pages::conversations))
            .route("/conversations/{id}", web::get().to(pages::conversation))
            .route("/conversations/{id}/reply", web::post().to(pages::reply))
            .route(
                "/conversations/{id}/status",
                web::post().to(pages::set_status),
            )
            .route("/conversations/{id}/events", web::get().to(pages::events))
            .route("/contacts", web::get().to(contacts::contacts))
            .route("/contacts/{id}", web::get().to(contacts::contact))
            .route("/contacts/{id}/export", web::post().to(contacts::export))
            .route("/contacts/{id}/delete", web::post().to(contacts::delete))
            .route(
                "/integrations/verification",
                web::get().to(verification::page),
            )
            .route(
                "/integrations/verification/secret",
                web::post().to(verification::secret),
            )
            .route(
                "/integrations/verification/mode",
                web::post().to(verification::mode),
            )
            .route(
                "/integrations/verification/email-trust",
                web::post().to(verification::email_trust),
            )
            .route("/inbox/events", web::get().to(inbox::events))
            .route("/notifications", web::post().to(inbox::notifications))
            .route("/conversations/{id}/read", web::post().to(inbox::read))
            .route("/presence", web::post().to(settings::presence))
            .route("/heartbeat", web::post().to(settings::heartbeat))
            .route("/settings/hours", web::get().to(settings::hours))
            .route("/settings/hours", web::post().to(settings::save_hours))
            .route("/settings/widget", web::get().to(settings::show))
            .route("/settings/widget", web::post().to(settings::save))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(PageError::NotFound("page"))
            })),
    );
}
