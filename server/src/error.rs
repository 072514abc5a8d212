//! The one place that knows HTTP status codes: every API failure becomes an [`ApiError`], and
//! its `ResponseError` impl writes the documented `{ "error": { code, message, field?, hint? } }`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use replybubble_core::decision::{Hint, PlanUpgradeRequired, Reason, SendRefusal};
use replybubble_core::wire::{ErrorBody, ErrorDetail};
use replybubble_core::FieldError;

use crate::store::StoreError;

/// Every way an API call can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field breaks a limit (400 `invalid_field`).
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The body is not JSON (400 `malformed_json`).
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is not `application/json` (415).
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    /// The body is larger than the endpoint takes (413).
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Missing, unknown, expired or revoked visitor token (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The request's `Origin` is not among the workspace's allowed origins (403).
    #[error("this site's origin is not allowed to use this workspace's widget: add it with --origin or in the dashboard")]
    OriginNotAllowed,
    /// No workspace has this app id (404 `unknown_app`).
    #[error("no workspace has this app id: copy the snippet from the dashboard")]
    UnknownApp,
    /// A thing that does not exist, or not in this workspace (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Verification on the free plan (402).
    #[error(transparent)]
    PlanUpgradeRequired(#[from] PlanUpgradeRequired),
    /// Required mode refused an identify (403 `signature_missing` / `signature_invalid`).
    #[error("{message}")]
    SignatureRejected {
        /// Missing or invalid.
        reason: Reason,
        /// The likely mistake.
        hint: Option<Hint>,
        /// What to fix.
        message: String,
    },
    /// Required mode refused a message (403).
    #[error(transparent)]
    SendRefused(#[from] SendRefusal),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests (429 with `Retry-After`).
    #[error("too many requests: retry in {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Anything else (500, with a generic message; the cause is logged).
    #[error("internal error")]
    Internal(String),
    /// `error`, answered on a fresh anonymous session that the call started (the claim rule):
    /// the body also carries the new `visitor_token` and `conversation_id`.
    #[error("{error}")]
    InNewSession {
        /// What went wrong.
        error: Box<ApiError>,
        /// The new session's token.
        visitor_token: String,
        /// The new session's conversation.
        conversation_id: i64,
    },
}

impl ApiError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Field(_) => FieldError::CODE,
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::UnknownApp => "unknown_app",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::NotFound(_) => "not_found",
            ApiError::PlanUpgradeRequired(_) => PlanUpgradeRequired::CODE,
            ApiError::SignatureRejected { reason, .. } => reason.as_str(),
            ApiError::SendRefused(r) => r.code(),
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Internal(_) => "internal",
            ApiError::InNewSession { error, .. } => error.code(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::PlanUpgradeRequired(p) => ApiError::PlanUpgradeRequired(p),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Field(_) | ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::UnknownApp | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::PlanUpgradeRequired(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::SignatureRejected { .. }
            | ApiError::SendRefused(_)
            | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::InNewSession { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (inner, switched) = match self {
            ApiError::InNewSession {
                error,
                visitor_token,
                conversation_id,
            } => (
                error.as_ref(),
                Some((visitor_token.clone(), *conversation_id)),
            ),
            other => (other, None),
        };
        if let ApiError::Internal(cause) = inner {
            tracing::error!(%cause, "internal error");
        }
        let (field, hint) = match inner {
            ApiError::Field(f) => (Some(f.field().to_owned()), None),
            ApiError::SignatureRejected { hint, .. } => (None, *hint),
            _ => (None, None),
        };
        let (visitor_token, conversation_id) = switched.unzip();
        let body = ErrorBody {
            error: ErrorDetail {
                code: inner.code().to_owned(),
                message: inner.to_string(),
                field,
                hint,
            },
            visitor_token,
            conversation_id,
        };
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited { retry_after } = inner {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body)
    }
}

/// The 401 message for a token that is unknown or revoked.
pub const TOKEN_REVOKED: &str =
    "the visitor token is unknown or was revoked: start a new session with POST /api/v1/widget/session";
/// The 401 message for a missing token.
pub const TOKEN_MISSING: &str =
    "send the visitor token as Authorization: Bearer <token> (from POST /api/v1/widget/session)";

/// The success statuses handlers answer with, kept here with the rest.
pub mod status {
    use actix_web::http::StatusCode;
    /// 200.
    pub const OK: StatusCode = StatusCode::OK;
    /// 201.
    pub const CREATED: StatusCode = StatusCode::CREATED;
    /// 303 (after a dashboard form post).
    pub const SEE_OTHER: StatusCode = StatusCode::SEE_OTHER;
    /// 401 (a failed dashboard login, shown again with its message).
    pub const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;
    /// 404.
    pub const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
}

/// Maps actix's JSON extractor failures to the documented errors (instead of plain text).
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::{JsonPayloadError as J, PayloadError};
    let limit = replybubble_core::limits::WIDGET_JSON_MAX_BYTES;
    let api = match err {
        J::Overflow { limit } | J::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        J::ContentType => ApiError::UnsupportedMediaType,
        J::Deserialize(e) => ApiError::MalformedJson(e.to_string()),
        J::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
        other => ApiError::MalformedJson(other.to_string()),
    };
    api.into()
}

/// The JSON settings of the widget API: a few KiB, `application/json` required.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(replybubble_core::limits::WIDGET_JSON_MAX_BYTES)
        .content_type_required(true)
        .error_handler(json_error)
}

/// Any path that does not exist: 404 in the JSON error shape.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("page"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use replybubble_core::Problem;

    #[test]
    fn every_error_has_the_documented_status_and_code() {
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
            (ApiError::Unauthorized("x"), 401, "unauthorized"),
            (ApiError::UnknownApp, 404, "unknown_app"),
            (ApiError::OriginNotAllowed, 403, "origin_not_allowed"),
            (PlanUpgradeRequired.into(), 402, "plan_upgrade_required"),
            (
                ApiError::SignatureRejected {
                    reason: Reason::SignatureMissing,
                    hint: None,
                    message: "m".into(),
                },
                403,
                "signature_missing",
            ),
            (
                SendRefusal::SignatureExpired.into(),
                403,
                "signature_expired",
            ),
            (
                ApiError::RateLimited { retry_after: 3 },
                429,
                "rate_limited",
            ),
            (ApiError::Internal("secret detail".into()), 500, "internal"),
        ];
        for (err, status, code) in rows {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code);
        }
        assert_eq!(
            ApiError::Internal("secret detail".into()).to_string(),
            "internal error"
        );
    }
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
    #[error("too many attempts: wait {retry_after} s and try again")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Anything else (500; the cause is logged, not shown).
    #[error("something went wrong on our side")]
    Internal(String),
}

impl PageError {
    /// The status of the page.
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::LoginRequired => StatusCode::SEE_OTHER,
            PageError::Csrf | PageError::OwnersOnly => StatusCode::FORBIDDEN,
            PageError::PlanUpgradeRequired(_) => StatusCode::PAYMENT_REQUIRED,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => PageError::NotFound(what),
            StoreError::PlanUpgradeRequired(p) => PageError::PlanUpgradeRequired(p),
            StoreError::Conflict(m) => PageError::BadRequest(m),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Field(f) => PageError::BadRequest(f.to_string()),
            ApiError::NotFound(what) => PageError::NotFound(what),
            ApiError::PlanUpgradeRequired(p) => PageError::PlanUpgradeRequired(p),
            ApiError::RateLimited { retry_after } => PageError::RateLimited { retry_after },
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::LoginRequired => {
                return HttpResponse::build(StatusCode::SEE_OTHER)
                    .insert_header((header::LOCATION, "/dashboard/login"))
                    .finish()
            }
            PageError::Internal(cause) => tracing::error!(%cause, "dashboard error"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status());
        if let PageError::RateLimited { retry_after } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        let page = crate::routes::dashboard::error_page(self.status().as_u16(), &self.to_string());
        res.content_type("text/html; charset=utf-8").body(page)
    }
}
