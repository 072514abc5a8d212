//! `GET /healthz`.

use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::startup::AppState;

/// 200 with `{"status":"ok"}` while the database answers.
pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .store
        .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}
