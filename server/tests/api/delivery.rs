//! DESIGN.md "Delivering the widget", row by row: hashed file names, brotli and gzip, `immutable`
//! for hashed files, a strong `ETag` and 304 for the loader, HEAD. Needs the widget built
//! (`cargo xtask build`, which `cargo xtask test` runs first).

use std::io::Read;

use sha2::Digest;

use crate::helpers::{spawn_app, TestApp};

struct Got {
    status: u16,
    headers: awc::http::header::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn fetch(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = app.client.request(method.parse().unwrap(), app.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send().await.unwrap();
    let body = res.body().limit(1 << 22).await.unwrap().to_vec();
    Got {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body,
    }
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The hashed file names the loader imports, `pkg/…`.
fn hashed_names(loader: &str) -> Vec<String> {
    loader
        .split('"')
        .filter(|s| s.starts_with("pkg/replybubble_widget."))
        .map(str::to_owned)
        .collect()
}

#[actix_rt::test]
async fn the_loader_names_content_hashed_files_that_are_cached_for_a_year() {
    let app = spawn_app().await;
    let loader = fetch(&app, "GET", "/widget.js", &[]).await;
    assert_eq!(loader.status, 200);
    let names = hashed_names(std::str::from_utf8(&loader.body).unwrap());
    assert_eq!(names.len(), 2, "the glue and the wasm: {names:?}");
    for name in names {
        let raw = fetch(&app, "GET", &format!("/{name}"), &[]).await;
        assert_eq!(raw.status, 200, "{name}");
        assert_eq!(raw.header("content-encoding"), None);
        assert_eq!(
            raw.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(raw.header("access-control-allow-origin"), Some("*"));
        // The name carries the first 16 hex digits of the content's SHA-256.
        let digest = hex::encode(sha2::Sha256::digest(&raw.body));
        let hash = name.rsplit('.').nth(1).unwrap();
        assert_eq!(hash.len(), 16);
        assert!(digest.starts_with(hash), "{name} is not its content's hash");
        let br = fetch(
            &app,
            "GET",
            &format!("/{name}"),
            &[("accept-encoding", "gzip, br")],
        )
        .await;
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert_eq!(br.header("vary"), Some("Accept-Encoding"));
        assert!(br.body.len() < raw.body.len() / 2, "{name} brotli");
        assert_eq!(unbrotli(&br.body), raw.body);
        let gz = fetch(
            &app,
            "GET",
            &format!("/{name}"),
            &[("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        assert_eq!(gunzip(&gz.body), raw.body);
        // The build's compressed copies are not files of their own.
        let copy = fetch(&app, "GET", &format!("/{name}.br"), &[]).await;
        assert_eq!(copy.status, 404);
    }
    if cfg!(debug_assertions) {
        // The unhashed names are gone: a stale page cannot mix two builds.
        let old = fetch(&app, "GET", "/pkg/replybubble_widget_bg.wasm", &[]).await;
        assert_eq!(old.status, 404);
    }
}

#[actix_rt::test]
async fn the_loader_has_a_strong_etag_and_answers_if_none_match_with_304() {
    let app = spawn_app().await;
    let first = fetch(&app, "GET", "/widget.js", &[("accept-encoding", "br")]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(first.header("content-encoding"), Some("br"));
    let etag = first.header("etag").unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    let text = String::from_utf8(unbrotli(&first.body)).unwrap();
    assert!(
        text.contains("ReplyBubble") && text.contains("pkg/replybubble_widget."),
        "the loader: {text}"
    );

    let again = fetch(
        &app,
        "GET",
        "/widget.js",
        &[("accept-encoding", "br"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.header("cache-control"), Some("public, max-age=300"));

    // Another representation has another tag: a gzip cache does not revalidate a brotli copy.
    let gz = fetch(
        &app,
        "GET",
        "/widget.js",
        &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_ne!(gz.header("etag"), Some(etag.as_str()));
    assert_eq!(gunzip(&gz.body), unbrotli(&first.body));

    let stale = fetch(
        &app,
        "GET",
        "/widget.js",
        &[
            ("accept-encoding", "br"),
            ("if-none-match", "\"0000\", W/\"1111\""),
        ],
    )
    .await;
    assert_eq!(stale.status, 200);
    let listed = format!("\"0000\", W/{etag}");
    let weak = fetch(
        &app,
        "GET",
        "/widget.js",
        &[("accept-encoding", "br"), ("if-none-match", &listed)],
    )
    .await;
    assert_eq!(weak.status, 304, "If-None-Match compares weakly");
}

#[actix_rt::test]
async fn head_answers_the_headers_of_get_without_the_body() {
    let app = spawn_app().await;
    for path in ["/widget.js", "/static/dashboard.css", "/replybubble.d.ts"] {
        let get = fetch(&app, "GET", path, &[("accept-encoding", "br")]).await;
        let head = fetch(&app, "HEAD", path, &[("accept-encoding", "br")]).await;
        assert_eq!(head.status, 200, "{path}");
        assert!(head.body.is_empty(), "{path}");
        for h in ["etag", "content-encoding", "content-type", "cache-control"] {
            assert_eq!(head.header(h), get.header(h), "{path} {h}");
        }
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn every_static_file_is_compressed_when_accepted_and_revalidated_by_etag() {
    let app = spawn_app().await;
    for path in [
        "/static/dashboard.css",
        "/static/dashboard.js",
        "/replybubble.d.ts",
    ] {
        let raw = fetch(&app, "GET", path, &[("accept-encoding", "identity")]).await;
        assert_eq!(raw.status, 200, "{path}");
        assert_eq!(raw.header("content-encoding"), None, "{path}");
        assert_eq!(raw.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(raw.header("vary"), Some("Accept-Encoding"), "{path}");
        let br = fetch(
            &app,
            "GET",
            path,
            &[("accept-encoding", "br;q=1, gzip;q=0.5")],
        )
        .await;
        assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
        assert_eq!(unbrotli(&br.body), raw.body, "{path}");
        let etag = br.header("etag").unwrap().to_owned();
        let again = fetch(
            &app,
            "GET",
            path,
            &[("accept-encoding", "br"), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(again.status, 304, "{path}");
    }
}
