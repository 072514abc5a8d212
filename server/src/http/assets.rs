//! Static files from `www/`, embedded in release builds (read from disk in debug builds).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::http::error::ApiError;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../www/"]
struct Www;

/// The bytes and content type of `path` under `www/`, if present.
pub fn get(path: &str) -> Option<(std::borrow::Cow<'static, [u8]>, String)> {
    let file = Www::get(path)?;
    let mime = file.metadata.mimetype().to_owned();
    Some((file.data, mime))
}

/// Serves a file; widget files may be loaded from any origin (the snippet runs on other sites).
/// A missing file is the JSON 404 of every unknown path.
pub fn respond(path: &str) -> Result<HttpResponse, ApiError> {
    let (data, mime) = get(path).ok_or(ApiError::NotFound("file"))?;
    let mime = if mime.starts_with("text/") || mime.contains("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(data.into_owned()))
}

/// `GET /widget.js`, `/replybubble.d.ts`, `/pkg/*`, `/static/*`. The loader is served minified
/// when the build made `pkg/widget.min.js`.
pub async fn file(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path().trim_start_matches('/');
    if path.contains("..") {
        return respond("");
    }
    if path == "widget.js" && get("pkg/widget.min.js").is_some() {
        return respond("pkg/widget.min.js");
    }
    respond(path)
}

/// Registers the asset routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/widget.js", web::get().to(file))
        .route("/replybubble.d.ts", web::get().to(file))
        .route("/pkg/{tail:.*}", web::get().to(file))
        .route("/static/{tail:.*}", web::get().to(file));
}
