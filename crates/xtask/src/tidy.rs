//! Repository hygiene, enforced by `cargo test` (rust-analyzer's tidy pattern): the invariants
//! ARCHITECTURE.md states as absences.

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::util::project_root;

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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
    fn only_the_error_module_knows_http_status_codes() {
        let found = offenders(
            &["server/src"],
            &[
                "StatusCode::",
                "HttpResponse::Ok()",
                "HttpResponse::Created()",
                "HttpResponse::NotFound()",
            ],
            &["server/src/error.rs"],
        );
        assert!(
            found.is_empty(),
            "status codes outside server/src/error.rs: {found:?}"
        );
    }

    #[test]
    fn only_the_store_holds_sql() {
        let found = offenders(
            &["server/src"],
            &["\"SELECT ", "\"INSERT ", "\"UPDATE ", "\"DELETE "],
            &["server/src/store/"],
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
