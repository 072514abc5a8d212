//! Static files from `www/`, embedded in release builds (read from disk in debug builds), sent
//! as DESIGN.md "Delivering the widget" says: brotli or gzip when the request accepts it, a
//! strong `ETag` answered with 304, content-hashed widget files cached for a year.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::http::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../www/"]
struct Www;

/// The bytes and content type of `path` under `www/`, if present.
pub fn get(path: &str) -> Option<(std::borrow::Cow<'static, [u8]>, String)> {
    let file = Www::get(path)?;
    let mime = file.metadata.mimetype().to_owned();
    Some((file.data, mime))
}

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` token.
    fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The suffix of the build's pre-compressed copy.
    fn suffix(self) -> &'static str {
        match self {
            Coding::Brotli => ".br",
            Coding::Gzip => ".gz",
        }
    }

    fn compress(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Coding::Brotli => {
                let mut out = Vec::new();
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
                Ok(out)
            }
            Coding::Gzip => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(data)?;
                gz.finish()
            }
        }
    }
}

/// The coding to send for an `Accept-Encoding` value: brotli, then gzip, when listed with a
/// non-zero quality (`*` accepts both); None means the raw bytes.
fn negotiate(accept: Option<&str>) -> Option<Coding> {
    let accept = accept?;
    let quality = |name: &str| -> Option<bool> {
        accept.split(',').find_map(|item| {
            let mut parts = item.split(';');
            let token = parts.next()?.trim();
            if !token.eq_ignore_ascii_case(name) {
                return None;
            }
            let zero = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            Some(!zero)
        })
    };
    let star = quality("*").unwrap_or(false);
    [Coding::Brotli, Coding::Gzip]
        .into_iter()
        .find(|c| quality(c.token()).unwrap_or(star))
}

/// Whether compressing a file of this type pays (text, scripts, JSON, SVG, wasm).
fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.contains("svg")
        || mime == "application/wasm"
}

/// Compressed copies the build did not make, computed once per (content, coding): the set of
/// embedded files is fixed, so this holds at most two copies of each.
fn compressed(hash: [u8; 32], coding: Coding, data: &[u8]) -> Option<Arc<[u8]>> {
    type Cache = Mutex<HashMap<([u8; 32], Coding), Arc<[u8]>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok()?.get(&(hash, coding)) {
        return Some(hit.clone());
    }
    let out: Arc<[u8]> = coding.compress(data).ok()?.into();
    cache.lock().ok()?.insert((hash, coding), out.clone());
    Some(out)
}

/// How long a browser may keep a file without asking again.
fn cache_control(path: &str) -> &'static str {
    if path == "pkg/widget.min.js" {
        // `/widget.js` names the hashed files: a new release reaches pages within 5 minutes.
        "public, max-age=300"
    } else if content_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// `pkg/<name>.<16 hex digits>.<ext>`: the build puts the content's hash in the name.
fn content_hashed(path: &str) -> bool {
    let Some(name) = path.strip_prefix("pkg/") else {
        return false;
    };
    let mut parts = name.rsplit('.');
    let _ext = parts.next();
    parts
        .next()
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, RFC 9110 13.1.2).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// Serves `path` under `www/` for `req`. Widget files may be loaded from any origin (the snippet
/// runs on other sites). A missing file is the JSON 404 of every unknown path.
pub fn respond(req: &HttpRequest, path: &str) -> Result<HttpResponse, ApiError> {
    let file = Www::get(path).ok_or(ApiError::NotFound("file"))?;
    // mime_guess takes `.ts` for an MPEG stream; ours are TypeScript declarations.
    let mime = if path.ends_with(".d.ts") {
        "text/plain"
    } else {
        file.metadata.mimetype()
    };
    let hash = file.metadata.sha256_hash();
    let coding = negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    )
    .filter(|_| compressible(mime));
    // The build's copy when it made one, else one computed here once.
    let body: Option<(Coding, Arc<[u8]>)> = coding.and_then(|c| {
        let built = Www::get(&format!("{path}{}", c.suffix())).map(|f| f.data.into());
        built
            .or_else(|| compressed(hash, c, &file.data))
            .map(|b| (c, b))
    });
    let tag = hex::encode(&hash[..12]);
    let etag = match &body {
        Some((c, _)) => format!("\"{tag}-{}\"", c.token()),
        None => format!("\"{tag}\""),
    };
    let fresh = matches(req.headers(), &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    let content_type = if mime.starts_with("text/") || mime.contains("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control(path)))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        // Host pages may read the widget's Resource Timing (its size on the wire).
        .insert_header(("timing-allow-origin", "*"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some((c, _)) = &body {
        res.insert_header((header::CONTENT_ENCODING, c.token()));
    }
    if fresh {
        return Ok(res.finish());
    }
    Ok(match body {
        Some((_, bytes)) => res.body(bytes.to_vec()),
        None => res.body(file.data.into_owned()),
    })
}

/// `GET /widget.js`, `/replybubble.d.ts`, `/pkg/*`, `/static/*`. The loader is served minified
/// when the build made `pkg/widget.min.js`. The build's compressed copies are not files of
/// their own.
pub async fn file(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path().trim_start_matches('/');
    if path.contains("..") || path.ends_with(".br") || path.ends_with(".gz") {
        return respond(&req, "");
    }
    if path == "widget.js" && get("pkg/widget.min.js").is_some() {
        return respond(&req, "pkg/widget.min.js");
    }
    respond(&req, path)
}

/// Registers the asset routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/widget.js", web::get().to(file))
        .route("/replybubble.d.ts", web::get().to(file))
        .route("/pkg/{tail:.*}", web::get().to(file))
        .route("/static/{tail:.*}", web::get().to(file));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brotli_is_preferred_then_gzip_and_a_zero_quality_refuses() {
        assert_eq!(negotiate(Some("gzip, deflate, br")), Some(Coding::Brotli));
        assert_eq!(negotiate(Some("gzip")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0.5")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some("BR")), Some(Coding::Brotli));
        assert_eq!(negotiate(Some("*")), Some(Coding::Brotli));
        assert_eq!(negotiate(Some("*, br;q=0")), Some(Coding::Gzip));
        assert_eq!(negotiate(Some("identity")), None);
        assert_eq!(negotiate(Some("gzip;q=0")), None);
        assert_eq!(negotiate(None), None);
    }

    #[test]
    fn only_content_hashed_widget_files_are_immutable() {
        assert_eq!(
            cache_control("pkg/replybubble_widget.0123456789abcdef.wasm"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("pkg/widget.min.js"), "public, max-age=300");
        assert_eq!(cache_control("pkg/replybubble_widget.js"), "no-cache");
        assert_eq!(cache_control("static/0123456789abcdef.css"), "no-cache");
        assert_eq!(cache_control("static/dashboard.css"), "no-cache");
    }

    #[test]
    fn compressed_copies_round_trip() {
        let text = b"ReplyBubble ".repeat(100);
        for c in [Coding::Brotli, Coding::Gzip] {
            let out = compressed([7; 32], c, &text).unwrap();
            assert!(out.len() < text.len() / 4, "{c:?}");
        }
        let mut back = Vec::new();
        let gz = Coding::Gzip.compress(&text).unwrap();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert_eq!(back, text);
    }
}
