//! The one place that maps failures to HTTP: every failure has a [`Kind`], one table gives each
//! kind its status, and the widget API ([`ApiError`], a JSON body) and the dashboard
//! ([`PageError`], an HTML page) differ only in the body. Internal failures keep their cause,
//! which is logged whole, once, inside the request's span (so with its request id); the answer
//! says only "internal error".

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use replybubble_core::decision::PlanUpgradeRequired;
use replybubble_core::wire::{ErrorBody, ErrorDetail};
use replybubble_core::FieldError;

use crate::ratelimit::RateLimited;
use crate::service::ServiceError;
use crate::store::StoreError;

/// What kind of failure: decides the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 402.
    PaymentRequired,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 408.
    RequestTimeout,
    /// 409.
    Conflict,
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 429.
    TooManyRequests,
    /// 500.
    Internal,
}

impl Kind {
    /// The one table from kind to status.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title of an error page of this kind.
    fn title(self) -> &'static str {
        match self {
            Kind::PaymentRequired => "Upgrade required",
            Kind::Forbidden | Kind::Unauthorized => "Not allowed",
            Kind::NotFound => "Not found",
            Kind::TooManyRequests => "Slow down",
            Kind::BadRequest
            | Kind::PayloadTooLarge
            | Kind::UnsupportedMediaType
            | Kind::RequestTimeout => "Please check the form",
            Kind::Conflict | Kind::Internal => "Something went wrong",
        }
    }
}

/// The kind and stable code of a domain failure.
fn service_kind(e: &ServiceError) -> (Kind, &'static str) {
    match e {
        ServiceError::Field(_) => (Kind::BadRequest, FieldError::CODE),
        ServiceError::UnknownApp => (Kind::NotFound, "unknown_app"),
        ServiceError::OriginNotAllowed => (Kind::Forbidden, "origin_not_allowed"),
        ServiceError::SessionEnded | ServiceError::TicketInvalid => {
            (Kind::Unauthorized, "unauthorized")
        }
        ServiceError::PlanUpgradeRequired(_) => (Kind::PaymentRequired, PlanUpgradeRequired::CODE),
        ServiceError::SignatureRejected { reason, .. } => (Kind::Forbidden, reason.as_str()),
        ServiceError::SendRefused(r) => (Kind::Forbidden, r.code()),
        ServiceError::NotFound(_) => (Kind::NotFound, "not_found"),
        ServiceError::Conflict(_) => (Kind::Conflict, "conflict"),
        ServiceError::Store(_) | ServiceError::Key(_) => (Kind::Internal, "internal"),
        ServiceError::InNewSession { error, .. } => service_kind(error),
    }
}

/// An error and all its causes, for the one log line of an internal failure.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Every way a widget API call can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The domain refused or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The body is not JSON (400 `malformed_json`).
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is not `application/json` (415).
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    /// The body did not arrive in time (408; [`crate::http::deadline`]).
    #[error("{}: send it at once", crate::http::deadline::LATE)]
    RequestTimeout,
    /// The body is larger than the endpoint takes (413).
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No visitor token or ticket came with the request (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many requests (429 with `Retry-After`).
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    /// No such path (404).
    #[error("{0} not found")]
    NotFound(&'static str),
}

/// The 401 message for a missing token.
pub const TOKEN_MISSING: &str =
    "send the visitor token as Authorization: Bearer <token> (from POST /api/v1/widget/session)";

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Service(e.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Service(e.into())
    }
}

impl ApiError {
    /// The kind and the stable error code.
    pub fn kind(&self) -> (Kind, &'static str) {
        match self {
            ApiError::Service(e) => service_kind(e),
            ApiError::MalformedJson(_) => (Kind::BadRequest, "malformed_json"),
            ApiError::UnsupportedMediaType => {
                (Kind::UnsupportedMediaType, "unsupported_media_type")
            }
            ApiError::PayloadTooLarge { .. } => (Kind::PayloadTooLarge, "payload_too_large"),
            ApiError::RequestTimeout => (Kind::RequestTimeout, "request_timeout"),
            ApiError::Unauthenticated(_) => (Kind::Unauthorized, "unauthorized"),
            ApiError::RateLimited(_) => (Kind::TooManyRequests, "rate_limited"),
            ApiError::NotFound(_) => (Kind::NotFound, "not_found"),
        }
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        self.kind().1
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let (kind, code) = self.kind();
        let (service, switched) = match self {
            ApiError::Service(ServiceError::InNewSession {
                error,
                visitor_token,
                conversation_id,
            }) => (
                Some(error.as_ref()),
                Some((visitor_token.clone(), *conversation_id)),
            ),
            ApiError::Service(e) => (Some(e), None),
            _ => (None, None),
        };
        let message = if kind == Kind::Internal {
            tracing::error!(error = %chain(self), "internal error");
            "internal error".to_owned()
        } else {
            service.map_or_else(|| self.to_string(), ToString::to_string)
        };
        let (field, hint) = match service {
            Some(ServiceError::Field(f)) => (Some(f.field().to_owned()), None),
            Some(ServiceError::SignatureRejected { hint, .. }) => (None, *hint),
            _ => (None, None),
        };
        let (visitor_token, conversation_id) = switched.unzip();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                field,
                hint,
            },
            visitor_token,
            conversation_id,
        };
        let mut res = HttpResponse::build(kind.status());
        if let ApiError::RateLimited(r) = self {
            res.insert_header((header::RETRY_AFTER, r.retry_after.to_string()));
        }
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body)
    }
}

/// A body that did not parse as the widget API's JSON: too many keys in an object (400
/// `invalid_field` naming `body`), or not JSON at all (400 `malformed_json`).
pub fn json_problem(e: &serde_json::Error) -> ApiError {
    let text = e.to_string();
    if text.starts_with(replybubble_core::value::TOO_MANY_KEYS) {
        FieldError::new(
            "body",
            replybubble_core::Problem::Invalid(replybubble_core::value::TOO_MANY_KEYS_FIX),
        )
        .into()
    } else {
        ApiError::MalformedJson(text)
    }
}

/// Maps actix's JSON extractor failures to the documented errors (instead of plain text).
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::{JsonPayloadError as J, PayloadError};
    let limit = crate::policy::WIDGET_JSON_MAX_BYTES;
    let api = match err {
        J::Overflow { limit } | J::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        J::ContentType => ApiError::UnsupportedMediaType,
        J::Deserialize(e) => json_problem(&e),
        J::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
        J::Payload(e) if crate::http::deadline::is_late(&e) => ApiError::RequestTimeout,
        other => ApiError::MalformedJson(other.to_string()),
    };
    api.into()
}

/// The JSON settings of the widget API: a few KiB, `application/json` required.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(crate::policy::WIDGET_JSON_MAX_BYTES)
        .content_type_required(true)
        .error_handler(json_error)
}

/// Any path that does not exist: 404 in the JSON error shape.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("page"))
}

/// How a dashboard page fails: an HTML answer, or a redirect to the login page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not logged in, or the session expired: 303 to `/dashboard/login`.
    #[error("log in to continue")]
    LoginRequired,
    /// The form's CSRF token is missing or wrong (403).
    #[error(
        "this form expired or did not come from this dashboard: reload the page and try again"
    )]
    Csrf,
    /// An agent opened an owner-only page (403).
    #[error("only workspace owners can open this page")]
    OwnersOnly,
    /// Verification on the free plan (402).
    #[error(transparent)]
    PlanUpgradeRequired(#[from] PlanUpgradeRequired),
    /// Not found, or not in this workspace (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A form field is wrong (400); the text says which and how.
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts (429).
    #[error("too many attempts: wait {} s and try again", .0.retry_after)]
    RateLimited(#[from] RateLimited),
    /// The form did not arrive in time (408).
    #[error("{}: send the form again", crate::http::deadline::LATE)]
    RequestTimeout,
    /// Anything else (500; the cause is kept and logged, not shown).
    #[error("something went wrong on our side")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PageError {
    /// The kind of this failure (a login redirect is answered before it matters).
    pub fn kind(&self) -> Kind {
        match self {
            PageError::LoginRequired => Kind::Unauthorized,
            PageError::Csrf | PageError::OwnersOnly => Kind::Forbidden,
            PageError::PlanUpgradeRequired(_) => Kind::PaymentRequired,
            PageError::NotFound(_) => Kind::NotFound,
            PageError::BadRequest(_) => Kind::BadRequest,
            PageError::RateLimited(_) => Kind::TooManyRequests,
            PageError::RequestTimeout => Kind::RequestTimeout,
            PageError::Internal(_) => Kind::Internal,
        }
    }

    /// A failure whose cause is kept.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> PageError {
        PageError::Internal(Box::new(e))
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::internal(e)
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Field(f) => PageError::BadRequest(f.to_string()),
            ServiceError::NotFound(what) => PageError::NotFound(what),
            ServiceError::PlanUpgradeRequired(p) => PageError::PlanUpgradeRequired(p),
            ServiceError::Conflict(m) => PageError::BadRequest(m),
            other => PageError::internal(other),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::LoginRequired => StatusCode::SEE_OTHER,
            other => other.kind().status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::LoginRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/dashboard/login"))
                .finish();
        }
        let kind = self.kind();
        if kind == Kind::Internal {
            tracing::error!(error = %chain(self), "dashboard error");
        }
        let mut res = HttpResponse::build(kind.status());
        if let PageError::RateLimited(r) = self {
            res.insert_header((header::RETRY_AFTER, r.retry_after.to_string()));
        }
        let message = self.to_string();
        let page = ErrorPage {
            status: kind.status().as_u16(),
            title: kind.title(),
            message: &message,
        }
        .render();
        match page {
            Ok(html) => res.content_type("text/html; charset=utf-8").body(html),
            Err(e) => {
                tracing::error!(error = %chain(&e), "the error page did not render");
                res.content_type("text/plain; charset=utf-8").body(message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use replybubble_core::decision::{Reason, SendRefusal};
    use replybubble_core::Problem;

    #[test]
    fn every_api_error_has_the_documented_status_and_code() {
        let rows: Vec<(ApiError, u16, &str)> = vec![
            (
                FieldError::new("name", Problem::Required).into(),
                400,
                "invalid_field",
            ),
            (ApiError::MalformedJson("x".into()), 400, "malformed_json"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (
                ApiError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
            (ApiError::Unauthenticated("x"), 401, "unauthorized"),
            (ApiError::RequestTimeout, 408, "request_timeout"),
            (ServiceError::SessionEnded.into(), 401, "unauthorized"),
            (ServiceError::UnknownApp.into(), 404, "unknown_app"),
            (
                ServiceError::OriginNotAllowed.into(),
                403,
                "origin_not_allowed",
            ),
            (
                ServiceError::from(PlanUpgradeRequired).into(),
                402,
                "plan_upgrade_required",
            ),
            (
                ServiceError::SignatureRejected {
                    reason: Reason::SignatureMissing,
                    hint: None,
                }
                .into(),
                403,
                "signature_missing",
            ),
            (
                ServiceError::from(SendRefusal::SignatureExpired).into(),
                403,
                "signature_expired",
            ),
            (
                ApiError::RateLimited(RateLimited { retry_after: 3 }),
                429,
                "rate_limited",
            ),
            (
                ServiceError::Store(StoreError::WriterGone).into(),
                500,
                "internal",
            ),
            (
                ServiceError::InNewSession {
                    error: Box::new(SendRefusal::VerificationRequired.into()),
                    visitor_token: "t".into(),
                    conversation_id: 1,
                }
                .into(),
                403,
                "verification_required",
            ),
        ];
        for (err, status, code) in rows {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
        }
    }

    #[test]
    fn an_internal_error_keeps_its_cause_and_answers_without_it() {
        let cause = StoreError::Commit("disk I/O error".into());
        let err = ApiError::from(cause);
        assert!(chain(&err).contains("disk I/O error"), "{}", chain(&err));
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), 500);
        let page = PageError::from(StoreError::Commit("disk I/O error".into()));
        assert!(chain(&page).contains("disk I/O error"), "{}", chain(&page));
        assert_eq!(page.status_code().as_u16(), 500);
        assert!(
            !page.to_string().contains("disk"),
            "the page does not show the cause"
        );
    }
}
