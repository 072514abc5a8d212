//! The demo shop at `/demo` (registered only with `serve --demo`): the page, and the shop's own
//! "backend" that signs its users, switches plan and mode, and posts agent replies.

use actix_web::{web, HttpRequest, HttpResponse};

use replybubble_core::{signature, FieldError, Mode, Plan, Problem, Value};

use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::service::demo::DemoInfo;
use crate::service::workspace;

/// The demo's users, as the shop's own database would have them.
const USERS: [(&str, &str, &str, &str); 2] = [
    (
        "alice",
        "Alice Martin",
        "alice@acme-coffee.test",
        "Acme Coffee Roasters",
    ),
    (
        "bob",
        "Bob Okafor",
        "bob@northwind.test",
        "Northwind Traders",
    ),
];

fn demo_info(state: &AppState) -> Result<&DemoInfo, ApiError> {
    state.demo.as_ref().ok_or(ApiError::NotFound("demo"))
}

async fn page(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let demo = demo_info(&state)?;
    let (html, _) =
        crate::http::assets::get("demo/index.html").ok_or(ApiError::NotFound("demo page"))?;
    // App ids are `app_` + hex (crypto::new_app_id), so they need no escaping.
    let html = String::from_utf8_lossy(&html).replace("__APP_ID__", &demo.app_id);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", DEMO_CSP))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(html))
}

/// The demo page's policy: scripts only from this server (the widget's wasm needs
/// `'wasm-unsafe-eval'`), no plugins, no framing. Styles may be inline: the shop's own page has a
/// `<style>` block and the widget styles its shadow root with one.
const DEMO_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn script(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    demo_info(&state)?;
    crate::http::assets::respond(&req, "demo/demo.js")
}

fn field<'a>(raw: &'a Value, name: &'static str) -> Result<&'a str, ApiError> {
    match raw.get(name) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(FieldError::new(name, Problem::Required).into()),
    }
}

/// What the shop's server does at login: sign the user id with the secret (here read from the
/// store, as the shop would read it from its environment) and hand the user to the page.
async fn login(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let app_id = demo_info(&state)?.app_id.clone();
    let who = field(&body, "user")?.to_owned();
    let wrong = matches!(body.get("mistake"), Some(Value::String(m)) if m == "signed_email");
    let Some(&(id, name, email, company)) = USERS.iter().find(|u| u.0 == who) else {
        return Err(FieldError::new("user", Problem::Invalid("must be alice or bob")).into());
    };
    let secret = workspace::current_secret(&state.services, &app_id)
        .await?
        .unwrap_or_default();
    // The "signed the email" mistake, to show the hint the server gives.
    let signature = signature::sign(&secret, if wrong { email } else { id });
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": id, "signature": signature, "name": name, "email": email, "company": company,
        "traits": { "plan": if who == "alice" { "Pro" } else { "Starter" }, "orders": if who == "alice" { 12 } else { 3 } }
    })))
}

async fn settings(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let app_id = demo_info(&state)?.app_id.clone();
    let plan: Plan = field(&body, "plan")?.parse().map_err(|_| {
        FieldError::new("plan", Problem::Invalid("must be free, pro or enterprise"))
    })?;
    let mode: Mode = field(&body, "mode")?.parse().map_err(|_| {
        FieldError::new(
            "mode",
            Problem::Invalid("must be off, optional or required"),
        )
    })?;
    // The mode is set on Pro (the free plan refuses modes), then the chosen plan.
    let s = &state.services;
    workspace::set_plan(s, &app_id, Plan::Pro).await?;
    workspace::set_mode(s, &app_id, mode).await?;
    let ws = workspace::set_plan(s, &app_id, plan).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "plan": ws.plan, "mode": ws.mode })))
}

async fn agent_reply(
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let app_id = demo_info(&state)?.app_id.clone();
    let conversation_id = match body.get("conversation_id") {
        Some(Value::Number(n)) if n.fract() == 0.0 => *n as i64,
        _ => return Err(FieldError::new("conversation_id", Problem::Required).into()),
    };
    let text = field(&body, "body")?.to_owned();
    let ws = state
        .services
        .store
        .workspace(app_id)
        .await?
        .ok_or(ApiError::NotFound("demo workspace"))?;
    let row =
        crate::service::post_agent_reply(&state.services, ws.id, conversation_id, None, &text)
            .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": row.id })))
}

/// Registers the demo site's routes (they answer 404 unless the server runs with `--demo`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/demo", web::get().to(page))
        .route("/demo/", web::get().to(page))
        .route("/demo/demo.js", web::get().to(script))
        .service(
            web::scope("/demo/api")
                .app_data(crate::http::error::json_config())
                .route("/login", web::post().to(login))
                .route("/settings", web::post().to(settings))
                .route("/agent-reply", web::post().to(agent_reply)),
        );
}
