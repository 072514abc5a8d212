//! `/api/v1/widget/*`: the HTTP API the widget calls (DESIGN.md "HTTP API"). Handlers parse the
//! request, count it against the rate limits and hand over to [`crate::service`].

use std::future::Future;
use std::pin::Pin;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Next};
use actix_web::web::{self, Json};
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use replybubble_core::{FieldError, Problem, Value};

use actix_web::http::StatusCode;

use crate::http::error::{ApiError, TOKEN_MISSING};
use crate::http::state::AppState;
use crate::ratelimit::Scope;
use crate::service;
use crate::store::SessionCtx;

/// The caller's live visitor session, from `Authorization: Bearer <token>`; 401 otherwise.
/// The request's `Origin` must be allowed by the session's workspace.
pub struct Visitor(pub SessionCtx);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    (!token.is_empty()).then(|| token.to_owned())
}

fn origin(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
}

fn client_ip(req: &HttpRequest) -> String {
    state(req).client_key(req)
}

fn state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered")
}

impl FromRequest for Visitor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let origin = origin(req).map(str::to_owned);
        let state = state(req);
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthenticated(TOKEN_MISSING))?;
            let ctx = service::authenticate(&state.services, &token).await?;
            service::check_origin(&ctx.origins, origin.as_deref())?;
            Ok(Visitor(ctx))
        })
    }
}

/// The per-IP limit of `scope` counted first, then the caller's session: for the handlers that
/// apply the claim rule before a limit may answer (the other routes count per IP in [`per_ip`]).
/// A caller without a live session is refused (429 when over the limit, else 401) either way.
async fn counted_visitor(
    req: &HttpRequest,
    scope: Scope,
) -> Result<(SessionCtx, Result<(), crate::ratelimit::RateLimited>), ApiError> {
    let over = state(req).limits.check(scope, &client_ip(req));
    match Visitor::extract(req).await {
        Ok(Visitor(ctx)) => Ok((ctx, over)),
        Err(no_session) => Err(over.err().map_or(no_session, ApiError::from)),
    }
}

/// Counts a request against `scope`'s limit for the calling session.
fn per_session(state: &AppState, scope: Scope, ctx: &SessionCtx) -> Result<(), ApiError> {
    Ok(state.limits.check(scope, &ctx.session_id.to_string())?)
}

fn json<T: serde::Serialize>(code: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(code)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn session(req: HttpRequest, body: Json<Value>) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    let answer = service::open_session(&state.services, &body, bearer(&req), origin(&req)).await?;
    Ok(json(StatusCode::OK, &answer))
}

/// Reads a widget API body as JSON: `application/json` (415), at most `limit` bytes (413),
/// parsed in linear time with at most 256 keys an object (400).
async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Value, ApiError> {
    use actix_web::HttpMessage;
    use futures_util::StreamExt;
    let json = matches!(req.mime_type(), Ok(Some(m))
        if m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let too_large = ApiError::PayloadTooLarge { limit };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match crate::http::deadline::is_late(&e) {
            true => ApiError::RequestTimeout,
            false => ApiError::MalformedJson(e.to_string()),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| crate::http::error::json_problem(&e))
}

/// `POST identify`. The claim rule comes before every limit: a session bound to a user is
/// only ever answered for that user. So an identify on a bound session that the limits or the
/// body refuse (429, 413, 400, 415) still ends the session unless its `id` is the bound user's
/// own, and the body limit admits every body the field limits allow. An unbound session over
/// its limits is refused before its body is read; a bound one over its limits has only as much
/// read as an `id` needs ([`crate::policy::LIMITED_IDENTIFY_READ_BYTES`]).
async fn identify(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    let (ctx, over_ip) = counted_visitor(&req, Scope::IdentifyIp).await?;
    let limited = over_ip.and_then(|()| {
        state
            .limits
            .check(Scope::IdentifyToken, &ctx.session_id.to_string())
    });
    if ctx.bound_user_id.is_none() {
        limited?;
    }
    let read_at_most = match limited {
        Ok(()) => replybubble_core::limits::IDENTIFY_BODY_MAX_BYTES,
        Err(_) => crate::policy::LIMITED_IDENTIFY_READ_BYTES,
    };
    let body = read_json(&req, payload, read_at_most).await;
    let (refusal, body) = match (limited, body) {
        (Ok(()), Ok(body)) => {
            return Ok(json(
                StatusCode::OK,
                &service::identify(&state.services, &ctx, &body).await?,
            ))
        }
        (Err(limited), body) => (ApiError::from(limited), body.ok()),
        (Ok(()), Err(unreadable)) => (unreadable, None),
    };
    let sent_id = match body.as_ref().and_then(|b| b.get("id")) {
        Some(Value::String(id)) => Some(id.as_str()),
        _ => None,
    };
    service::end_unless_owner(&state.services, &ctx, sent_id).await?;
    Err(refusal)
}

/// `POST reset`. Counted with session creation per client IP; a reset over its limits still
/// ends the calling session (429 without a new one: the widget starts one when it may), so the
/// next person at this browser never writes into the previous one's conversation.
async fn reset(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    let (ctx, over_ip) = counted_visitor(&req, Scope::SessionIp).await?;
    let limited = over_ip.and_then(|()| {
        state
            .limits
            .check(Scope::ReadToken, &ctx.session_id.to_string())
    });
    if let Err(limited) = limited {
        service::end_session(&state.services, &ctx).await?;
        return Err(limited.into());
    }
    Ok(json(
        StatusCode::OK,
        &service::reset(&state.services, &ctx).await?,
    ))
}

async fn post_message(
    req: HttpRequest,
    Visitor(ctx): Visitor,
    body: Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    per_session(&state, Scope::MessageToken, &ctx)?;
    Ok(json(
        StatusCode::CREATED,
        &service::post_visitor_message(&state.services, &ctx, &body).await?,
    ))
}

async fn visitor(
    req: HttpRequest,
    Visitor(ctx): Visitor,
    body: Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    per_session(&state, Scope::MessageToken, &ctx)?;
    service::visitor_details(&state.services, &ctx, &body).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "status": "saved" }),
    ))
}

async fn page(
    req: HttpRequest,
    Visitor(ctx): Visitor,
    body: Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    per_session(&state, Scope::ReadToken, &ctx)?;
    service::record_page(&state.services, &ctx, &body).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Reads `after` from the query: a non-negative integer, 0 when absent.
fn after_param(req: &HttpRequest) -> Result<i64, ApiError> {
    #[derive(serde::Deserialize)]
    struct After {
        after: Option<i64>,
    }
    let bad = || {
        FieldError::new(
            "after",
            Problem::Invalid("must be a message id (a whole number, 0 or more)"),
        )
    };
    let q = web::Query::<After>::from_query(req.query_string()).map_err(|_| bad())?;
    match q.after {
        Some(n) if n < 0 => Err(bad().into()),
        Some(n) => Ok(n),
        None => Ok(0),
    }
}

/// `GET status?app_id=`: whether someone can answer now. No token: the widget asks before and
/// besides its session; the workspace's allowed origins apply as for `session`.
async fn status(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    #[derive(serde::Deserialize)]
    struct Q {
        app_id: Option<String>,
    }
    let q = web::Query::<Q>::from_query(req.query_string())
        .map_err(|_| FieldError::new("app_id", Problem::Required))?;
    let state = state(&req);
    let app_id = q.app_id.clone().unwrap_or_default();
    Ok(json(
        StatusCode::OK,
        &service::presence::widget_status(&state.services, &app_id, origin(&req)).await?,
    ))
}

async fn list_messages(req: HttpRequest, Visitor(ctx): Visitor) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    per_session(&state, Scope::ReadToken, &ctx)?;
    let after = after_param(&req)?;
    Ok(json(
        StatusCode::OK,
        &service::messages_after(&state.services, &ctx, after).await?,
    ))
}

async fn ticket(req: HttpRequest, Visitor(ctx): Visitor) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    per_session(&state, Scope::ReadToken, &ctx)?;
    Ok(json(
        StatusCode::OK,
        &service::events_ticket(&state.services, &ctx).await?,
    ))
}

async fn events(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let state = state(&req);
    #[derive(serde::Deserialize)]
    struct Ticket {
        ticket: Option<String>,
    }
    let ticket = web::Query::<Ticket>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().ticket)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "open the stream with ?ticket= from POST /api/v1/widget/events/ticket",
        ))?;
    let target = service::redeem_ticket(&state.services, &ticket).await?;
    // The widget fills its own gaps with GET messages?after= (tickets are single use); from
    // here on the stream sends everything.
    let floor = service::stream_floor(&state.services, target.conversation_id, None).await?;
    let rx = state
        .services
        .hub
        .subscribe_visitor(target.conversation_id, target.session_id, &client_ip(&req))
        .map_err(|_| {
            ApiError::RateLimited(crate::ratelimit::RateLimited {
                retry_after: crate::policy::STREAM_RETRY_SECS,
            })
        })?;
    let owner = crate::hub::StreamOwner::Visitor(target.session_id);
    Ok(crate::http::sse::respond(
        service::note_visitor_presence(
            &state.services,
            target.session_id,
            service::follow(&state.services, target.conversation_id, owner, floor, rx),
        ),
        Vec::new(),
        crate::http::sse::Audience::Visitor,
        None,
    ))
}

/// The per-IP limit of a widget call, by route: checked by [`per_ip`] before the body is read,
/// so a stranger's oversized or costly body is refused before it is parsed. `POST reset` makes a
/// session, so it counts with `POST session` (in [`reset`]).
fn ip_scope(method: &Method, path: &str) -> Option<Scope> {
    match (method.as_str(), path.strip_prefix("/api/v1/widget")?) {
        // `identify` and `reset` count theirs in the handler, after the claim rule.
        ("POST", "/session") => Some(Scope::SessionIp),
        ("POST", "/messages") => Some(Scope::MessageIp),
        ("POST", "/visitor") => Some(Scope::DetailsIp),
        ("GET", "/messages" | "/status" | "/events") | ("POST", "/events/ticket" | "/page") => {
            Some(Scope::ReadIp)
        }
        _ => None,
    }
}

/// Middleware: the per-IP limits of [`ip_scope`].
async fn per_ip(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(scope) = ip_scope(req.method(), req.path()) {
        let state = state(req.request());
        state
            .limits
            .check(scope, &client_ip(req.request()))
            .map_err(ApiError::from)?;
    }
    next.call(req).await
}

/// CORS for the widget API: preflights are answered for any origin (they carry no token and
/// reveal nothing); each request is then checked against its workspace's allowed origins by
/// [`Visitor`] and `session` (403 `origin_not_allowed`).
fn cors() -> Cors {
    Cors::default()
        .allowed_origin_fn(|_, _| true)
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600)
}

/// Registers `/api/v1/widget/*`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1/widget")
            .wrap(from_fn(per_ip))
            .wrap(cors())
            .app_data(crate::http::error::json_config())
            .route("/session", web::post().to(session))
            .route("/identify", web::post().to(identify))
            .route("/reset", web::post().to(reset))
            .route("/messages", web::post().to(post_message))
            .route("/messages", web::get().to(list_messages))
            .route("/visitor", web::post().to(visitor))
            .route("/page", web::post().to(page))
            .route("/status", web::get().to(status))
            .route("/events/ticket", web::post().to(ticket))
            .route("/events", web::get().to(events))
            .default_service(web::to(crate::http::error::not_found)),
    );
}
