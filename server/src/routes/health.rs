//! `GET /healthz`.

use actix_web::{web, HttpResponse};

use crate::error::{status, ApiError};
use crate::startup::AppState;

/// 200 with `{"status":"ok"}` while the database answers.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.read(crate::store::ping).await?;
    Ok(HttpResponse::build(status::OK).json(serde_json::json!({ "status": "ok" })))
}
