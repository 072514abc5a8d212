//! The npm packages `@replybubble/widget` and `@replybubble/react` (DESIGN.md "Frontend SDK"),
//! as a site installs them: `npm pack` of both, unpacked into a fresh app's `node_modules`
//! beside React from the registry (installed by `cargo xtask setup`); imported under Node with
//! no `window`; their types checked by `tsc`; a React app bundled by esbuild and driven in
//! Chromium against the real server, under StrictMode.

use std::path::{Path, PathBuf};
use std::process::Command;

use replybubble_core::{Mode, Plan};
use replybubble_e2e::{host_site, Browser, Server};
use serde_json::{json, Value as Json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tools() -> PathBuf {
    let t = root().join("target/tools/node_modules");
    assert!(
        t.join(".bin/esbuild").exists() && t.join("react-dom").exists(),
        "esbuild and React are installed by `cargo xtask setup` (npm)"
    );
    t
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `npm pack` of a package into `into`: the tarball's path and the files it holds.
fn pack(package: &str, into: &Path) -> (PathBuf, Vec<String>) {
    let out = run(Command::new("npm")
        .args(["pack", "--json", "--pack-destination"])
        .arg(into)
        .current_dir(root().join("npm").join(package)));
    let v: Json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let files = v[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    (into.join(v[0]["filename"].as_str().unwrap()), files)
}

/// A fresh app directory whose `node_modules` holds both packed packages and React.
fn app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let packs = dir.path().join("packs");
    std::fs::create_dir_all(&packs).unwrap();
    let modules = dir.path().join("node_modules");
    for (package, files) in [
        (
            "widget",
            vec![
                "README.md",
                "index.d.ts",
                "index.js",
                "package.json",
                "replybubble.d.ts",
            ],
        ),
        (
            "react",
            vec!["README.md", "index.d.ts", "index.js", "package.json"],
        ),
    ] {
        let (tarball, mut packed) = pack(package, &packs);
        packed.sort();
        assert_eq!(packed, files, "what @replybubble/{package} ships");
        let to = modules.join("@replybubble").join(package);
        std::fs::create_dir_all(&to).unwrap();
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .args(["--strip-components=1", "-C"])
            .arg(&to));
    }
    for dep in ["react", "react-dom", "@types"] {
        std::os::unix::fs::symlink(tools().join(dep), modules.join(dep)).unwrap();
    }
    dir
}

#[test]
fn both_packages_import_under_node_without_a_window_and_render_on_the_server() {
    let app = app();
    std::fs::copy(root().join("tests/npm/ssr.mjs"), app.path().join("ssr.mjs")).unwrap();
    let out = run(Command::new("node").arg("ssr.mjs").current_dir(app.path()));
    let v: Json = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["windowAtImport"], "undefined");
    assert_eq!(
        v["exports"],
        json!([
            ["ReplyBubble", "default"],
            ["ReplyBubbleProvider", "useReplyBubble"]
        ])
    );
    assert_eq!(
        v["methods"],
        json!([
            "close",
            "consent",
            "identify",
            "init",
            "load",
            "on",
            "open",
            "reset",
            "sendMessage",
            "shutdown"
        ])
    );
    assert_eq!(
        v["load"], "not_supported",
        "load() outside a browser says so"
    );
    assert_eq!(v["identify"], "not_supported");
    assert_eq!(
        v["html"], "<p>server-rendered child</p>",
        "the provider renders its children"
    );
    assert_eq!(
        v["outside"],
        "ReplyBubble: useReplyBubble() must be called inside <ReplyBubbleProvider>"
    );
}

#[test]
fn the_packed_types_accept_real_usage_and_reject_misuse() {
    let app = app();
    std::fs::copy(
        root().join("tests/npm/usage.tsx"),
        app.path().join("usage.tsx"),
    )
    .unwrap();
    run(Command::new(tools().join(".bin/tsc"))
        .args([
            "--strict",
            "--noEmit",
            "--skipLibCheck",
            "false",
            "--target",
            "es2020",
            "--module",
            "esnext",
            "--moduleResolution",
            "bundler",
            "--jsx",
            "react-jsx",
            "--lib",
            "es2020,dom",
            "usage.tsx",
        ])
        .current_dir(app.path()));
}

#[actix_rt::test]
async fn a_react_app_under_strict_mode_gets_one_widget_and_one_session() {
    let server = Server::start().await;
    let (app_id, _) = server.workspace(Plan::Pro, Mode::Optional);
    let app = app();
    std::fs::copy(root().join("tests/npm/app.jsx"), app.path().join("app.jsx")).unwrap();
    // Development React: StrictMode runs every effect twice only there.
    run(Command::new(tools().join(".bin/esbuild"))
        .args([
            "app.jsx",
            "--bundle",
            "--format=esm",
            "--jsx=automatic",
            "--outfile=app.js",
        ])
        .arg("--define:process.env.NODE_ENV=\"development\"")
        .arg(format!("--define:ORIGIN=\"{}\"", server.base))
        .arg(format!("--define:APP_ID=\"{app_id}\""))
        .current_dir(app.path()));
    let bundle = std::fs::read_to_string(app.path().join("app.js")).unwrap();
    assert!(bundle.contains("StrictMode") && bundle.contains("useReplyBubble"));
    let url = host_site(
        vec![
            (
                "/",
                "text/html; charset=utf-8",
                r#"<!doctype html><html><head><meta charset="utf-8"><title>React app</title></head>
<body><div id="root"></div><script type="module" src="/app.js"></script></body></html>"#
                    .to_owned(),
            ),
            ("/app.js", "text/javascript", bundle),
        ],
        Vec::new(),
    );
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.wait_for("document.getElementById('state') && document.getElementById('state').dataset.ready === 'true'")
        .await;
    let count = |what: &str| format!("document.querySelectorAll('{what}').length");
    assert_eq!(
        b.eval(&format!("return {};", count("replybubble-root")))
            .await,
        json!(1)
    );
    assert_eq!(
        b.eval(&format!(
            "return {};",
            count(r#"script[src$="/widget.js"]"#)
        ))
        .await,
        json!(1)
    );
    let sessions = || server.sql_i64("SELECT count(*) FROM sessions");
    assert_eq!(
        sessions(),
        1,
        "StrictMode's second effect made no second session"
    );

    // The hook's API and live state: a message out, a reply in (unread while closed).
    b.eval("document.getElementById('ask').click(); return 1;")
        .await;
    let sent = "SELECT count(*) FROM messages WHERE body = 'Hello from React'";
    for _ in 0..200 {
        if server.sql_i64(sent) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(server.sql_i64(sent), 1);
    let conv = server.sql_i64("SELECT max(conversation_id) FROM messages");
    server.agent_reply(conv, "Hi! How can we help?").await;
    b.wait_for("document.getElementById('state').dataset.unread === '1'")
        .await;

    // Unmounting the provider takes the widget off the page; mounting it again brings the same
    // conversation back.
    b.eval("document.getElementById('toggle').click(); return 1;")
        .await;
    b.wait_for("!document.querySelector('replybubble-root')")
        .await;
    b.eval("document.getElementById('toggle').click(); return 1;")
        .await;
    b.wait_for("document.getElementById('state') && document.getElementById('state').dataset.ready === 'true'")
        .await;
    b.wait_for("document.querySelector('replybubble-root')")
        .await;
    b.wait_for(
        "document.querySelector('replybubble-root').shadowRoot.querySelectorAll('.m').length === 2",
    )
    .await;
    assert_eq!(
        b.eval(&format!("return {};", count("replybubble-root")))
            .await,
        json!(1)
    );
    assert_eq!(sessions(), 1, "the same session, after unmount and mount");
    // shutdown() and load() in the same tick: the load comes after the shutdown.
    let again = b
        .eval(&format!(
            "window.replybubble.shutdown(); return window.replybubble.load({{ origin: {}, appId: {} }}).then(function (r) {{ return r.status; }});",
            json!(server.base),
            json!(app_id)
        ))
        .await;
    assert_eq!(again, json!("ready"));
    b.wait_for("document.querySelector('replybubble-root') && document.querySelector('replybubble-root').isConnected")
        .await;
    assert_eq!(
        b.eval(&format!("return {};", count("replybubble-root")))
            .await,
        json!(1)
    );
    assert_eq!(
        b.eval("return document.getElementById('state').dataset.error;")
            .await,
        json!("")
    );
    b.close().await;
}
