//! The admin CLI, black-box: the real binary, a temporary database, DESIGN.md "Operations" row
//! by row. `--json` prints exactly one JSON object; failures exit non-zero with one line on stderr.
//! The database is a SQLite file, or a new PostgreSQL database with
//! `REPLYBUBBLE_TEST_ENGINE=postgres` (`cargo xtask test` runs this suite once with each).

#[path = "common/engine.rs"]
mod engine;
#[path = "common/pg.rs"]
mod pg;

use engine::{on_postgres, Db as Engine, PG_MASTER_KEY};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

const BIN: &str = env!("CARGO_BIN_EXE_replybubble");

struct Db {
    _dir: tempfile::TempDir,
    /// The `--db` value: a file, or a `postgres://` URL.
    path: PathBuf,
    engine: Engine,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let engine = actix_rt::System::new().block_on(Engine::new(dir.path()));
    Db {
        _dir: dir,
        path: engine.arg(),
        engine,
    }
}

impl Db {
    /// The rows of a query both engines understand, as text.
    fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        actix_rt::System::new().block_on(self.engine.rows(sql))
    }
}

fn rb(db: &Path, args: &[&str]) -> Output {
    rb_env(db, args, &[], None)
}

fn rb_env(db: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .env_remove("REPLYBUBBLE_DB");
    if on_postgres() {
        cmd.env("REPLYBUBBLE_MASTER_KEY", PG_MASTER_KEY);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// Parses stdout as exactly one JSON object (and nothing else).
fn json(out: &Output) -> Json {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    one_object(out)
}

fn one_object(out: &Output) -> Json {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let v: Json = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON value ({e}): {text}"));
    assert!(v.is_object(), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    v
}

/// A failure: non-zero exit, nothing on stdout, exactly one line on stderr.
fn fails(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "one line on stderr: {err:?}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

fn create(db: &Path, plan: &str) -> String {
    let v = json(&rb(
        db,
        &[
            "--json",
            "workspace",
            "create",
            "--name",
            "Acme",
            "--plan",
            plan,
        ],
    ));
    v["app_id"].as_str().unwrap().to_owned()
}

#[test]
fn workspace_create_prints_the_app_id_and_defaults_to_free_and_off() {
    let d = db();
    let plain = rb(&d.path, &["workspace", "create", "--name", "Shop"]);
    assert!(plain.status.success());
    let app_id = String::from_utf8(plain.stdout).unwrap().trim().to_owned();
    assert!(app_id.starts_with("app_"), "{app_id}");
    let v = json(&rb(
        &d.path,
        &[
            "workspace",
            "create",
            "--name",
            "Acme",
            "--origin",
            "https://shop.example.com",
            "--origin",
            "http://localhost:3000",
            "--json",
        ],
    ));
    assert_eq!(v["plan"], "free");
    assert_eq!(v["mode"], "off");
    assert_eq!(v["has_secret"], false);
    assert_eq!(
        v["origins"],
        serde_json::json!(["http://localhost:3000", "https://shop.example.com"])
    );
    let list = json(&rb(&d.path, &["--json", "workspace", "list"]));
    let all = list["workspaces"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["app_id"], app_id.as_str());
}

#[test]
fn workspace_create_rejects_bad_input_with_one_line() {
    let d = db();
    let e = fails(&rb(
        &d.path,
        &["workspace", "create", "--name", "X", "--plan", "gold"],
    ));
    assert!(e.contains("free, pro, enterprise"), "{e}");
    let e = fails(&rb(
        &d.path,
        &[
            "workspace",
            "create",
            "--name",
            "X",
            "--origin",
            "shop.example.com",
        ],
    ));
    assert!(e.contains("origin"), "{e}");
    let e = fails(&rb(&d.path, &["workspace", "create", "--name", "  "]));
    assert!(e.contains("name is required"), "{e}");
    // A name is the email fallback's sender and subject: one line (a CR/LF would start a header).
    for bad in ["Acme\r\nBcc: all@evil.example", "Acme\tShop"] {
        let e = fails(&rb(&d.path, &["workspace", "create", "--name", bad]));
        assert!(e.contains("name") && e.contains("one line"), "{e}");
    }
    assert_eq!(
        d.rows("SELECT count(*) FROM workspaces"),
        [[Some("0".to_owned())]],
        "nothing was created"
    );
}

#[test]
fn set_plan_changes_the_plan_and_names_unknown_workspaces() {
    let d = db();
    let app = create(&d.path, "free");
    let v = json(&rb(
        &d.path,
        &["--json", "workspace", "set-plan", &app, "enterprise"],
    ));
    assert_eq!(v["plan"], "enterprise");
    let e = fails(&rb(&d.path, &["workspace", "set-plan", "app_nope", "pro"]));
    assert!(e.contains("app_nope"), "{e}");
}

#[test]
fn verification_commands_follow_the_402_rule_on_free() {
    let d = db();
    let app = create(&d.path, "free");
    for args in [
        vec!["verification", "mode", app.as_str(), "optional"],
        vec!["verification", "generate-secret", app.as_str()],
        vec!["verification", "regenerate-secret", app.as_str()],
    ] {
        let e = fails(&rb(&d.path, &args));
        assert!(e.contains("Pro and Enterprise"), "{e}");
    }
}

#[test]
fn secrets_are_printed_once_versioned_and_never_listed() {
    let d = db();
    let app = create(&d.path, "pro");
    let first = json(&rb(
        &d.path,
        &["--json", "verification", "generate-secret", &app],
    ));
    let secret = first["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 64, "{secret}");
    assert_eq!(first["version"], 1);
    let e = fails(&rb(&d.path, &["verification", "generate-secret", &app]));
    assert!(e.contains("regenerate-secret"), "{e}");
    let again = json(&rb(
        &d.path,
        &["--json", "verification", "regenerate-secret", &app],
    ));
    assert_eq!(again["version"], 2);
    assert_ne!(again["secret"], first["secret"]);
    for out in [
        rb(&d.path, &["workspace", "list"]),
        rb(&d.path, &["--json", "workspace", "list"]),
    ] {
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        assert!(!text.contains(&secret) && !text.contains(again["secret"].as_str().unwrap()));
    }
    // Plain output is the secret alone, for scripts.
    let d2 = db();
    let app2 = create(&d2.path, "pro");
    let plain = rb(&d2.path, &["verification", "generate-secret", &app2]);
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(
        text.trim().starts_with("rbsec_") && text.trim().lines().count() == 1,
        "{text}"
    );
}

#[test]
fn trust_unsigned_email_is_off_by_default_and_set_with_a_warning() {
    let d = db();
    let free = create(&d.path, "free");
    let e = fails(&rb(
        &d.path,
        &["verification", "trust-unsigned-email", &free, "on"],
    ));
    assert!(e.contains("Pro and Enterprise"), "{e}");
    let app = create(&d.path, "pro");
    let on = rb(
        &d.path,
        &["--json", "verification", "trust-unsigned-email", &app, "on"],
    );
    assert!(
        String::from_utf8_lossy(&on.stderr).contains("warning"),
        "{on:?}"
    );
    assert_eq!(json(&on)["trust_unsigned_email"], true);
    let off = json(&rb(
        &d.path,
        &[
            "--json",
            "verification",
            "trust-unsigned-email",
            &app,
            "off",
        ],
    ));
    assert_eq!(off["trust_unsigned_email"], false);
    let e = fails(&rb(
        &d.path,
        &["verification", "trust-unsigned-email", &app, "yes"],
    ));
    assert!(e.contains("'yes'") && e.contains("on, off"), "{e}");
}

#[test]
fn verification_mode_sets_each_mode() {
    let d = db();
    let app = create(&d.path, "pro");
    for mode in ["optional", "required", "off"] {
        let v = json(&rb(
            &d.path,
            &["--json", "verification", "mode", &app, mode],
        ));
        assert_eq!(v["mode"], mode);
    }
    let e = fails(&rb(&d.path, &["verification", "mode", &app, "strict"]));
    assert!(e.contains("off, optional, required"), "{e}");
}

#[test]
fn agent_create_reads_the_password_from_stdin() {
    let d = db();
    let app = create(&d.path, "pro");
    let out = rb_env(
        &d.path,
        &[
            "--json",
            "agent",
            "create",
            "--workspace",
            &app,
            "--email",
            "owner@acme.test",
            "--role",
            "owner",
            "--password-stdin",
        ],
        &[],
        Some("a good long password\n"),
    );
    let v = json(&out);
    assert_eq!(v["role"], "owner");
    assert_eq!(v["email"], "owner@acme.test");
    let hash = d.rows("SELECT password_hash FROM agents")[0][0]
        .clone()
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let args = [
        "agent",
        "create",
        "--workspace",
        app.as_str(),
        "--email",
        "owner@acme.test",
        "--password-stdin",
    ];
    let e = fails(&rb_env(&d.path, &args, &[], Some("a good long password\n")));
    assert!(e.contains("already exists"), "{e}");
    let agent = |email: &str, password: &str| {
        let args = [
            "agent",
            "create",
            "--workspace",
            app.as_str(),
            "--email",
            email,
            "--password-stdin",
        ];
        fails(&rb_env(&d.path, &args, &[], Some(password)))
    };
    let e = agent("b@acme.test", "short\n");
    assert!(e.contains("password"), "{e}");
    let e = agent("not-an-email", "a good long password\n");
    assert!(e.contains("email"), "{e}");
    let e = fails(&rb(
        &d.path,
        &[
            "agent",
            "create",
            "--workspace",
            &app,
            "--email",
            "c@acme.test",
        ],
    ));
    assert!(e.contains("password-stdin"), "{e}");
}

#[test]
fn sign_matches_the_shared_vectors() {
    let d = db();
    let vectors: Json = serde_json::from_str(include_str!(
        "../../crates/core/tests/vectors/identify-hmac.json"
    ))
    .unwrap();
    for v in vectors["vectors"].as_array().unwrap() {
        let out = rb_env(
            &d.path,
            &[
                "--json",
                "sign",
                "--secret-env",
                "RB_TEST_SECRET",
                v["id"].as_str().unwrap(),
            ],
            &[("RB_TEST_SECRET", v["secret"].as_str().unwrap())],
            None,
        );
        assert_eq!(json(&out)["signature"], v["signature"]);
    }
    let e = fails(&rb_env(
        &d.path,
        &["sign", "--secret-env", "RB_UNSET_VAR", "u1"],
        &[],
        None,
    ));
    assert!(e.contains("RB_UNSET_VAR"), "{e}");
}

#[test]
fn verify_says_valid_or_invalid_with_the_hint() {
    let d = db();
    let env = [("S", "s3cr3t")];
    let sign = |id: &str| {
        let out = rb_env(&d.path, &["sign", "--secret-env", "S", id], &env, None);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let good = sign("user_42");
    let v = json(&rb_env(
        &d.path,
        &[
            "--json",
            "verify",
            "--secret-env",
            "S",
            "--signature",
            &good,
            "user_42",
        ],
        &env,
        None,
    ));
    assert_eq!(v, serde_json::json!({ "valid": true }));
    let cases = [
        (
            sign("ada@example.com"),
            "user_42",
            Some("ada@example.com"),
            Some("signed_email"),
        ),
        (good.clone(), " user_42 ", None, Some("id_whitespace")),
        (
            "abc".to_owned(),
            "user_42",
            None,
            Some("malformed_signature"),
        ),
        (sign("someone_else"), "user_42", None, None),
    ];
    for (sig, id, email, hint) in cases {
        let mut args = vec![
            "--json",
            "verify",
            "--secret-env",
            "S",
            "--signature",
            &sig,
            id,
        ];
        if let Some(e) = email {
            args.extend(["--email", e]);
        }
        let out = rb_env(&d.path, &args, &env, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "an invalid signature is an answer, not a failure"
        );
        let v = one_object(&out);
        assert_eq!(v["valid"], false);
        assert_eq!(v.get("hint").and_then(Json::as_str), hint, "{id} {email:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn a_usage_error_is_one_line() {
    let d = db();
    let e = fails(&rb(&d.path, &["workspace", "frobnicate"]));
    assert!(e.starts_with("replybubble:"), "{e}");
}

#[test]
fn contact_export_delete_and_retention_from_the_command_line() {
    let d = db();
    let app_id = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "create",
            "--name",
            "Privacy",
            "--plan",
            "pro",
        ],
    ))["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A contact as a verified identify makes it (written straight to the store).
    d.rows(
        "INSERT INTO contacts (workspace_id, user_id, email, created_at, updated_at)
         SELECT id, 'u-42', 'ada@x.test', 0, 0 FROM workspaces",
    );
    let doc = json(&rb(
        &d.path,
        &["--json", "contact", "export", &app_id, "--user-id", "u-42"],
    ));
    assert_eq!(doc["contact"]["email"], "ada@x.test");
    assert_eq!(doc["conversations"], serde_json::json!([]));
    let deleted = json(&rb(
        &d.path,
        &["--json", "contact", "delete", &app_id, "--user-id", "u-42"],
    ));
    assert_eq!(deleted["deleted"]["contacts"], 1);
    let again = rb(
        &d.path,
        &["contact", "delete", &app_id, "--user-id", "u-42"],
    );
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("keeps nothing about user id \"u-42\""),
        "{err}"
    );
    let ws = json(&rb(
        &d.path,
        &["--json", "workspace", "set-retention", &app_id, "90"],
    ));
    assert_eq!(ws["retention_days"], 90);
    let ws = json(&rb(
        &d.path,
        &["--json", "workspace", "set-retention", &app_id, "off"],
    ));
    assert!(ws["retention_days"].is_null());
    let bad = rb(&d.path, &["workspace", "set-retention", &app_id, "0"]);
    assert!(!bad.status.success());
}

#[test]
fn set_appearance_changes_only_the_options_given_and_names_a_wrong_flag() {
    let d = db();
    let app = create(&d.path, "free");
    let v = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "set-appearance",
            &app,
            "--color",
            "#0F766E",
            "--position",
            "left",
            "--offset-x",
            "32",
            "--title",
            "Support",
            "--locale",
            "fr",
        ],
    ));
    let a = &v["appearance"];
    assert_eq!(a["color"], "#0f766e");
    assert_eq!(a["position"], "left");
    assert_eq!(a["offset_x"], 32);
    assert_eq!(a["offset_y"], 20, "not given: unchanged");
    assert_eq!(a["title"], "Support");
    assert_eq!(a["locale"], "fr");
    // A second call changes one thing; an empty title goes back to the language's.
    let v = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "set-appearance",
            &app,
            "--title",
            "",
            "--z-index",
            "10",
        ],
    ));
    assert_eq!(v["appearance"]["title"], Json::Null);
    assert_eq!(v["appearance"]["z_index"], 10);
    assert_eq!(v["appearance"]["color"], "#0f766e");
    let text = String::from_utf8(
        rb(
            &d.path,
            &["workspace", "set-appearance", &app, "--subtitle", "Hi"],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("#0f766e left") && text.contains("\"Hi\""),
        "{text}"
    );

    for (args, says) in [
        (
            vec!["--offset-y", "-3"],
            "--offset-y: offset_y must be a whole number of pixels from 0 to 400",
        ),
        (
            vec!["--color", "teal"],
            "--color: color must be a hex colour",
        ),
        (vec!["--locale", "it"], "--locale: locale must be"),
        (vec!["--position", "top"], "--position: position must be"),
        (vec![], "nothing to change"),
    ] {
        let mut all = vec!["workspace", "set-appearance", app.as_str()];
        all.extend(args);
        let e = fails(&rb(&d.path, &all));
        assert!(e.contains(says), "{e}");
    }
    let e = fails(&rb(
        &d.path,
        &["workspace", "set-appearance", "app_nope", "--color", "#000"],
    ));
    assert!(e.contains("app_nope"), "{e}");
    assert_eq!(
        d.rows("SELECT widget_color, widget_offset_y, widget_locale FROM workspaces"),
        [[Some("#0f766e".into()), Some("20".into()), Some("fr".into())]],
        "failed calls changed nothing"
    );
}

#[test]
fn set_hours_takes_a_time_zone_and_days_and_names_a_wrong_one() {
    let d = db();
    let app = create(&d.path, "free");
    let v = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "set-hours",
            &app,
            "--time-zone",
            "Europe/Berlin",
            "--day",
            "mon=09:00-17:00",
            "--day",
            "fri=09:00-13:00",
            "--hide-when-offline",
            "on",
        ],
    ));
    assert_eq!(v["time_zone"], "Europe/Berlin");
    assert_eq!(
        v["hours"],
        "mon=09:00-17:00,tue=closed,wed=closed,thu=closed,fri=09:00-13:00,sat=closed,sun=closed"
    );
    assert_eq!(v["hide_when_offline"], true);
    // Only the hide flag: the hours stay.
    let v = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "set-hours",
            &app,
            "--hide-when-offline",
            "off",
        ],
    ));
    assert_eq!(
        (v["hide_when_offline"].as_bool(), v["time_zone"].as_str()),
        (Some(false), Some("Europe/Berlin"))
    );
    for (args, says) in [
        (
            vec!["--time-zone", "Mars/Olympus"],
            "--time-zone: time_zone must be an IANA time zone",
        ),
        (
            vec!["--time-zone", "UTC", "--day", "mon=9-5"],
            "--day: mon must be a time like 09:00",
        ),
        (
            vec!["--time-zone", "UTC", "--day", "funday=09:00-10:00"],
            "the day is one of mon tue",
        ),
        (
            vec![
                "--time-zone",
                "UTC",
                "--day",
                "mon=09:00-10:00",
                "--day",
                "mon=11:00-12:00",
            ],
            "--day mon is given twice",
        ),
        (vec!["--day", "mon=09:00-10:00"], "--day needs --time-zone"),
        (vec![], "nothing to change"),
    ] {
        let mut all = vec!["workspace", "set-hours", app.as_str()];
        all.extend(args);
        let e = fails(&rb(&d.path, &all));
        assert!(e.contains(says), "{e}");
    }
    let v = json(&rb(
        &d.path,
        &[
            "--json",
            "workspace",
            "set-hours",
            &app,
            "--hide-when-offline",
        ],
    ));
    assert_eq!(v["hide_when_offline"], true, "the flag alone means on");
    let v = json(&rb(
        &d.path,
        &["--json", "workspace", "set-hours", &app, "--always-open"],
    ));
    assert_eq!(
        (v["time_zone"].clone(), v["hours"].clone()),
        (Json::Null, Json::Null)
    );
}
