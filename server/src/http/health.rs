//! `GET /healthz`.

use actix_web::{web, HttpResponse};

use crate::http::error::ApiError;
use crate::http::state::AppState;

/// 200 with `{"status":"ok"}` while the database answers.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.services.store.ping().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}
