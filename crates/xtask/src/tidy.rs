//! Repository hygiene, enforced by `cargo test` (rust-analyzer's tidy pattern): the invariants
//! ARCHITECTURE.md states as absences.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::util::project_root;

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.is_file() {
            out.push(dir.to_owned());
            return;
        }
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Source files under `dirs` (relative to the root) whose text contains any of `needles`,
    /// leaving out the files in `allowed` (prefixes).
    fn offenders(dirs: &[&str], needles: &[&str], allowed: &[&str]) -> Vec<String> {
        let root = project_root();
        let mut files = Vec::new();
        for d in dirs {
            rust_files(&root.join(d), &mut files);
        }
        files
            .into_iter()
            .filter_map(|f| {
                let rel = f
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if allowed.iter().any(|a| rel.starts_with(a)) {
                    return None;
                }
                let text = std::fs::read_to_string(&f).unwrap();
                needles.iter().any(|n| text.contains(n)).then_some(rel)
            })
            .collect()
    }

    #[test]
    fn error_statuses_are_mapped_in_one_place() {
        let errors = [
            "StatusCode::BAD_REQUEST",
            "StatusCode::UNAUTHORIZED",
            "StatusCode::PAYMENT_REQUIRED",
            "StatusCode::FORBIDDEN",
            "StatusCode::NOT_FOUND",
            "StatusCode::CONFLICT",
            "StatusCode::PAYLOAD_TOO_LARGE",
            "StatusCode::UNSUPPORTED_MEDIA_TYPE",
            "StatusCode::TOO_MANY_REQUESTS",
            "StatusCode::INTERNAL_SERVER_ERROR",
            "StatusCode::from_u16",
            "HttpResponse::BadRequest()",
            "HttpResponse::Unauthorized()",
            "HttpResponse::Forbidden()",
            "HttpResponse::NotFound()",
            "HttpResponse::TooManyRequests()",
            "HttpResponse::InternalServerError()",
        ];
        let found = offenders(&["server/src"], &errors, &["server/src/http/error.rs"]);
        assert!(
            found.is_empty(),
            "error statuses outside server/src/http/error.rs (give the failure a Kind): {found:?}"
        );
        let outside_http = offenders(
            &["server/src"],
            &["StatusCode", "HttpResponse"],
            &["server/src/http/"],
        );
        assert!(
            outside_http.is_empty(),
            "HTTP outside the http layer: {outside_http:?}"
        );
    }

    /// The server's top-level modules by layer: a module may use only modules of a lower layer
    /// (ARCHITECTURE.md, "Layers").
    const LAYERS: &[(&str, u8)] = &[
        ("policy", 0),
        ("crypto", 0),
        ("metrics", 0),
        ("store", 1),
        ("hub", 2),
        ("ratelimit", 2),
        ("mailer", 2),
        ("service", 3),
        ("admin", 4),
        ("http", 4),
        ("telemetry", 4),
        ("startup", 5),
        ("cli", 6),
    ];

    fn layer(module: &str) -> u8 {
        LAYERS
            .iter()
            .find(|(m, _)| *m == module)
            .unwrap_or_else(|| panic!("server/src/{module} is not in LAYERS: give it a layer"))
            .1
    }

    /// The `crate::<module>` paths a file names outside comments.
    fn uses(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + 7..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
        out
    }

    fn server_modules() -> Vec<(String, String, String)> {
        let root = project_root();
        let src = root.join("server/src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files
            .into_iter()
            .filter_map(|f| {
                let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
                let top = rel.split(['/', '.']).next().unwrap().to_owned();
                (top != "lib" && top != "main")
                    .then(|| (rel, top, std::fs::read_to_string(&f).unwrap()))
            })
            .collect()
    }

    #[test]
    fn uses_reads_paths_not_comments() {
        let text = "use crate::store::{self, now_ms};\n// crate::cli in a comment\nlet x = crate::policy::A + crate::hub::B;";
        assert_eq!(uses(text), ["store", "policy", "hub"]);
    }

    #[test]
    fn server_layers_import_only_downward() {
        let mut wrong = Vec::new();
        for (rel, top, text) in server_modules() {
            for used in uses(&text) {
                if used != top && layer(&used) >= layer(&top) {
                    wrong.push(format!("{rel} uses crate::{used}"));
                }
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(
            wrong.is_empty(),
            "imports that go sideways or up the layers {LAYERS:?}: {wrong:#?}"
        );
    }

    #[test]
    fn the_http_foundations_do_not_know_the_routes() {
        let routes = [
            "http::widget",
            "http::dashboard",
            "http::demo",
            "http::health",
        ];
        let found = offenders(
            &[
                "server/src/http/error.rs",
                "server/src/http/state.rs",
                "server/src/http/sse.rs",
                "server/src/http/assets.rs",
                "server/src/http/format.rs",
            ],
            &routes,
            &[],
        );
        assert!(found.is_empty(), "{found:?} import route modules");
    }

    /// The widget reads and writes the HTTP JSON through `replybubble_core::wire::keys`, whose
    /// names a core test checks against the serde types the server writes: a field name spelled
    /// out in the widget could drift from the server unnoticed.
    #[test]
    fn the_widget_names_wire_fields_only_through_the_keys_module() {
        let wire = std::fs::read_to_string(project_root().join("crates/core/src/wire.rs")).unwrap();
        let keys: Vec<String> = wire[wire.find("pub mod keys").expect("a keys module")..]
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub const "))
            .filter_map(|l| l.split('"').nth(1))
            .filter(|k| k.contains('_'))
            .map(|k| format!("\"{k}\""))
            .collect();
        assert!(keys.len() >= 3, "{keys:?}");
        let needles: Vec<&str> = keys.iter().map(String::as_str).collect();
        let found = offenders(&["widget/src"], &needles, &[]);
        assert!(
            found.is_empty(),
            "wire field names spelled out in {found:?}: use replybubble_core::wire::keys"
        );
    }

    #[test]
    fn only_the_store_holds_sql() {
        let found = offenders(
            &["server/src"],
            &["\"SELECT ", "\"INSERT ", "\"UPDATE ", "\"DELETE "],
            // The service's unit tests read the database to check what a rule wrote.
            &[
                "server/src/store/sqlite/",
                "server/src/store/pg/",
                "server/src/service/tests.rs",
            ],
        );
        assert!(found.is_empty(), "SQL outside server/src/store: {found:?}");
    }

    #[test]
    fn only_the_widget_touches_the_dom_and_core_does_no_io() {
        let found = offenders(
            &["crates", "server/src"],
            &["web_sys::", "web-sys"],
            &["crates/xtask/src/tidy.rs"],
        );
        assert!(found.is_empty(), "DOM code outside widget/: {found:?}");
        let io = offenders(
            &["crates/core/src"],
            &[
                "std::fs",
                "std::net",
                "std::env",
                "SystemTime",
                "Instant::now",
                "getrandom",
                "actix",
                "rusqlite",
            ],
            &[],
        );
        assert!(
            io.is_empty(),
            "IO, clock, randomness or server crates in core: {io:?}"
        );
    }
}
