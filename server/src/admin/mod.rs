//! The admin commands behind the CLI, with plain arguments (the CLI's clap types stay in `cli`),
//! on the same [`Services`] and rules as the server.
//! Each returns an [`Output`]: one JSON object for `--json` and the same facts as plain text
//! otherwise.

use std::io::BufRead;

use anyhow::{bail, Context};
use serde_json::{json, Value as Json};

use replybubble_core::signature;
use replybubble_core::user::Email;
use replybubble_core::{Mode, Plan};

use crate::crypto;
use crate::service::{privacy, workspace, ServiceError, Services};
use crate::store::{Role, Workspace};

/// What a command prints.
pub struct Output {
    json: Json,
    text: String,
    note: Option<String>,
}

impl Output {
    fn new(json: Json, text: impl Into<String>) -> Self {
        Output {
            json,
            text: text.into(),
            note: None,
        }
    }

    /// Nothing to print (serve).
    pub fn none() -> Self {
        Output {
            json: Json::Null,
            text: String::new(),
            note: None,
        }
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Prints the result on stdout (and the note, a human remark, on stderr).
    pub fn print(&self, json: bool) {
        if self.json.is_null() {
            return;
        }
        if json {
            println!("{}", self.json);
        } else if !self.text.is_empty() {
            println!("{}", self.text);
        }
        if let Some(note) = &self.note {
            eprintln!("{note}");
        }
    }
}

fn workspace_json(ws: &Workspace) -> Json {
    json!({
        "app_id": ws.app_id,
        "name": ws.name,
        "plan": ws.plan,
        "mode": ws.mode,
        "has_secret": ws.secret_version > 0,
        "secret_version": ws.secret_version,
        "origins": ws.origins,
        "retention_days": ws.retention_days,
        "appearance": appearance_json(&ws.appearance),
        "time_zone": ws.time_zone,
        "hours": ws.hours,
        "hide_when_offline": ws.hide_when_offline,
    })
}

fn appearance_json(a: &replybubble_core::appearance::Appearance) -> Json {
    json!({
        "color": a.color.as_str(),
        "position": a.position.as_str(),
        "offset_x": a.offset_x,
        "offset_y": a.offset_y,
        "z_index": a.z_index,
        "title": a.title,
        "subtitle": a.subtitle,
        "launcher_label": a.launcher_label,
        "locale": a.locale.as_str(),
    })
}

/// Turns a domain failure into a sentence about the workspace.
fn in_workspace(e: ServiceError, app_id: &str) -> anyhow::Error {
    match e {
        ServiceError::NotFound(_) => {
            anyhow::anyhow!("no workspace has app id {app_id:?}: see `replybubble workspace list`")
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// `workspace create`.
pub async fn workspace_create(
    s: &Services,
    name: &str,
    plan: Plan,
    origins: &[String],
) -> anyhow::Result<Output> {
    let name = replybubble_core::admin::workspace_name(name)?;
    let origins = origins
        .iter()
        .map(|o| replybubble_core::admin::origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let ws = s
        .store
        .create_workspace(crypto::new_app_id(), name, plan, origins, s.clock.now_ms())
        .await?;
    Ok(
        Output::new(workspace_json(&ws), ws.app_id.clone()).note(format!(
            "created workspace {:?} on the {} plan",
            ws.name, ws.plan
        )),
    )
}

/// `workspace list`.
pub async fn workspace_list(s: &Services) -> anyhow::Result<Output> {
    let all = s.store.workspaces().await?;
    let text = all
        .iter()
        .map(|w| {
            format!(
                "{}\t{}\t{}\t{}\tsecret v{}",
                w.app_id, w.plan, w.mode, w.name, w.secret_version
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let list: Vec<Json> = all.iter().map(workspace_json).collect();
    Ok(Output::new(json!({ "workspaces": list }), text))
}

/// `workspace set-plan`.
pub async fn workspace_set_plan(s: &Services, app_id: &str, plan: Plan) -> anyhow::Result<Output> {
    let ws = workspace::set_plan(s, app_id, plan)
        .await
        .map_err(|e| in_workspace(e, app_id))?;
    Ok(Output::new(
        workspace_json(&ws),
        format!("{} is now on {}", ws.app_id, ws.plan),
    ))
}

/// `workspace set-retention`.
pub async fn workspace_set_retention(
    s: &Services,
    app_id: &str,
    days: Option<u32>,
) -> anyhow::Result<Output> {
    let ws = privacy::set_retention(s, app_id, days)
        .await
        .map_err(|e| in_workspace(e, app_id))?;
    let text = match ws.retention_days {
        Some(d) => format!(
            "{}: conversations idle longer than {d} days are deleted (checked hourly)",
            ws.app_id
        ),
        None => format!("{}: conversations are kept", ws.app_id),
    };
    Ok(Output::new(workspace_json(&ws), text))
}

/// `workspace set-appearance`: `changes` are `(field, value)` pairs of
/// [`Appearance::FIELDS`](replybubble_core::appearance::Appearance::FIELDS).
pub async fn workspace_set_appearance(
    s: &Services,
    app_id: &str,
    changes: &[(&str, &str)],
) -> anyhow::Result<Output> {
    if changes.is_empty() {
        bail!(
            "nothing to change: give at least one of --color, --position, --offset-x, --offset-y, \
             --z-index, --title, --subtitle, --launcher-label, --locale"
        );
    }
    let ws = workspace::set_appearance(s, app_id, changes)
        .await
        .map_err(|e| match e {
            // Name the flag the operator typed, not the form field.
            ServiceError::Field(f) => anyhow::anyhow!("--{}: {f}", f.field().replace('_', "-")),
            other => in_workspace(other, app_id),
        })?;
    let a = &ws.appearance;
    let text = format!(
        "{}: {} {} (offset {} px, {} px; z-index {}), locale {}, title {:?}, subtitle {:?}, launcher label {:?}",
        ws.app_id,
        a.color.as_str(),
        a.position.as_str(),
        a.offset_x,
        a.offset_y,
        a.z_index,
        a.locale,
        a.title.as_deref().unwrap_or("(the language's)"),
        a.subtitle.as_deref().unwrap_or("(the language's)"),
        a.launcher_label.as_deref().unwrap_or("(the language's)"),
    );
    Ok(Output::new(workspace_json(&ws), text))
}

/// `workspace set-hours`: `days` as `mon=09:00-17:00` (days not given are closed).
pub async fn workspace_set_hours(
    s: &Services,
    app_id: &str,
    time_zone: Option<&str>,
    days: &[String],
    always_open: bool,
    hide_when_offline: Option<bool>,
) -> anyhow::Result<Output> {
    use crate::service::hours::DAYS;
    use crate::service::presence::{self, HoursChange};
    let mut week: [Option<&str>; 7] = [None; 7];
    for d in days {
        let Some((day, spec)) = d.split_once('=') else {
            bail!("--day {d:?}: write it as DAY=HH:MM-HH:MM, like mon=09:00-17:00");
        };
        let Some(i) = DAYS.iter().position(|x| x.eq_ignore_ascii_case(day.trim())) else {
            bail!("--day {d:?}: the day is one of mon tue wed thu fri sat sun");
        };
        if week[i].replace(spec).is_some() {
            bail!("--day {day} is given twice: give each day once");
        }
    }
    let change = match (time_zone, always_open) {
        (_, true) => HoursChange::Always,
        (Some(time_zone), false) => HoursChange::Week {
            time_zone,
            days: week,
        },
        (None, false) if !days.is_empty() => {
            bail!("--day needs --time-zone (the hours' IANA time zone, like Europe/Berlin)")
        }
        (None, false) if hide_when_offline.is_none() => bail!(
            "nothing to change: give --time-zone with --day entries, --always-open, or --hide-when-offline"
        ),
        (None, false) => HoursChange::Keep,
    };
    let ws = presence::set_hours(s, app_id, change, hide_when_offline)
        .await
        .map_err(|e| match e {
            ServiceError::Field(f) if f.field() == "time_zone" => {
                anyhow::anyhow!("--time-zone: {f}")
            }
            ServiceError::Field(f) => anyhow::anyhow!("--day: {f}"),
            other => in_workspace(other, app_id),
        })?;
    let text = match (&ws.time_zone, &ws.hours) {
        (Some(z), Some(h)) => format!("{}: open {h} ({z})", ws.app_id),
        _ => format!("{}: open whenever an agent is online", ws.app_id),
    };
    let text = format!(
        "{text}; the launcher {} while nobody can answer",
        if ws.hide_when_offline {
            "hides"
        } else {
            "stays"
        }
    );
    Ok(Output::new(workspace_json(&ws), text))
}

/// `contact export`.
pub async fn contact_export(s: &Services, app_id: &str, user_id: &str) -> anyhow::Result<Output> {
    let doc = privacy::export(s, app_id, user_id)
        .await
        .map_err(|e| no_contact(e, app_id, user_id))?;
    let text = serde_json::to_string_pretty(&doc)?;
    Ok(Output::new(doc, text))
}

/// `contact delete`.
pub async fn contact_delete(s: &Services, app_id: &str, user_id: &str) -> anyhow::Result<Output> {
    let d = privacy::delete(s, app_id, user_id)
        .await
        .map_err(|e| no_contact(e, app_id, user_id))?;
    Ok(Output::new(
        json!({
            "deleted": {
                "contacts": d.contacts,
                "conversations": d.conversations,
                "messages": d.messages,
                "sessions": d.sessions,
                "identify_events": d.events,
            }
        }),
        format!(
            "deleted {} contact, {} conversations, {} messages, {} sessions, {} identify events",
            d.contacts, d.conversations, d.messages, d.sessions, d.events
        ),
    ))
}

fn no_contact(e: ServiceError, app_id: &str, user_id: &str) -> anyhow::Error {
    match e {
        ServiceError::NotFound("contact") => anyhow::anyhow!(
            "workspace {app_id} keeps nothing about user id {user_id:?}: check the id as your site sends it to identify()"
        ),
        other => in_workspace(other, app_id),
    }
}

/// Reads the first line of stdin without its line ending.
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        bail!("no password on stdin: pipe it in, e.g. `printf '%s' \"$PW\" | replybubble agent create ... --password-stdin`");
    }
    replybubble_core::admin::password(&pw)?;
    Ok(pw)
}

/// `agent create` with the password read from stdin.
pub async fn agent_create(
    s: &Services,
    workspace: &str,
    email: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<Output> {
    let email = Email::parse(email.to_owned())?;
    let hash = crypto::hash_password(password);
    let id = s
        .store
        .create_agent(
            workspace.to_owned(),
            email.as_ref().to_owned(),
            role,
            hash,
            s.clock.now_ms(),
        )
        .await
        .map_err(|e| in_workspace(e.into(), workspace))?;
    Ok(Output::new(
        json!({ "agent_id": id, "app_id": workspace, "email": email.as_ref(), "role": role.as_str() }),
        format!(
            "created {} {} in {}",
            role.as_str(),
            email.as_ref(),
            workspace
        ),
    ))
}

/// `verification mode`.
pub async fn verification_mode(s: &Services, app_id: &str, mode: Mode) -> anyhow::Result<Output> {
    let ws = workspace::set_mode(s, app_id, mode)
        .await
        .map_err(|e| in_workspace(e, app_id))?;
    let mut out = Output::new(
        json!({ "app_id": ws.app_id, "mode": ws.mode }),
        format!("verification mode of {} is now {}", ws.app_id, ws.mode),
    );
    if ws.secret_version == 0 && mode != Mode::Off {
        out = out.note("note: no secret yet, so no signature can verify: run `replybubble verification generate-secret`");
    }
    Ok(out)
}

/// `verification trust-unsigned-email APP_ID on|off`.
pub async fn verification_email_trust(
    s: &Services,
    app_id: &str,
    trust: bool,
) -> anyhow::Result<Output> {
    let ws = workspace::set_email_trust(s, app_id, trust)
        .await
        .map_err(|e| in_workspace(e, app_id))?;
    let mut out = Output::new(
        json!({ "app_id": ws.app_id, "trust_unsigned_email": ws.trust_unsigned_email }),
        format!(
            "the email fallback of {} {} unsigned emails",
            ws.app_id,
            if trust {
                "now writes to"
            } else {
                "no longer writes to"
            }
        ),
    );
    if trust {
        out = out.note("warning: only the user id is signed; a signed-in user who changes the email their browser sends receives replies at that address");
    }
    Ok(out)
}

/// `verification generate-secret` (`regenerate` false) or `regenerate-secret` (true).
pub async fn verification_secret(
    s: &Services,
    app_id: &str,
    regenerate: bool,
) -> anyhow::Result<Output> {
    let new = workspace::new_secret(s, app_id, regenerate, None)
        .await
        .map_err(|e| in_workspace(e, app_id))?;
    let note = if regenerate {
        "the previous secret stopped working now. Copy this one to your server: it is shown once and cannot be retrieved later"
    } else {
        "copy this secret to your server now: it is shown once and cannot be retrieved later"
    };
    Ok(Output::new(
        json!({ "app_id": app_id, "secret": new.secret, "version": new.version }),
        new.secret.clone(),
    )
    .note(note))
}

/// `migrate-to URL`: the SQLite database `db` copied into the empty PostgreSQL database at
/// `url`. The secrets stay sealed with the SQLite database's master key, so PostgreSQL must be
/// given the same key (`REPLYBUBBLE_MASTER_KEY`): checked first.
pub async fn migrate_to(db: &std::path::Path, url: &str) -> anyhow::Result<Output> {
    use crate::store::pg;
    if db.to_str().is_some_and(pg::is_url) {
        bail!("--db: migrate-to copies a SQLite file; give the file as --db and the PostgreSQL URL as the argument");
    }
    if !pg::is_url(url) {
        bail!("URL: write postgres://user:password@host:port/database");
    }
    if !db.exists() {
        bail!("--db {}: no such SQLite file", db.display());
    }
    let file_key = crypto::key_in_file(db)?;
    let env_key = crypto::key_from_env()?;
    match (file_key, env_key) {
        (Some(file), Some(env)) if file == env => {}
        (Some(_), _) => bail!(
            "the secrets are sealed with the key in {}: set REPLYBUBBLE_MASTER_KEY to its 64 hex characters (every PostgreSQL instance needs it too) and run again",
            crypto::key_file(db).display()
        ),
        (None, None) => bail!(
            "no master key: set REPLYBUBBLE_MASTER_KEY to the key this SQLite database's secrets are sealed with"
        ),
        (None, Some(_)) => {}
    }
    let store = pg::PgStore::open(url).await?;
    let copied = store.import_sqlite(db).await?;
    let total: u64 = copied.tables.iter().map(|(_, n)| n).sum();
    let tables: serde_json::Map<String, Json> = copied
        .tables
        .into_iter()
        .map(|(t, n)| (t, json!(n)))
        .collect();
    let replaced = match copied.nul_replaced {
        0 => String::new(),
        n => format!(
            " ({n} NUL characters in stored text replaced by U+FFFD: PostgreSQL text cannot hold them)"
        ),
    };
    Ok(Output::new(
        json!({ "tables": tables, "nul_replaced": copied.nul_replaced }),
        format!("{total} rows"),
    )
    .note(format!(
        "copied {total} rows from {} into {}{replaced}; start serve with this --db and the same REPLYBUBBLE_MASTER_KEY",
        db.display(),
        crate::store::describe(std::path::Path::new(url))
    )))
}

/// `backup OUT`.
pub fn backup(db: &std::path::Path, out: &std::path::Path) -> anyhow::Result<Output> {
    if db.to_str().is_some_and(crate::store::pg::is_url) {
        anyhow::bail!(
            "--db: backup copies a SQLite file; back a PostgreSQL database up with pg_dump (docs/operations.md)"
        );
    }
    let bytes = crate::store::sqlite::backup(db, out)?;
    Ok(Output::new(
        json!({ "backup": out.display().to_string(), "bytes": bytes }),
        out.display().to_string(),
    )
    .note(format!(
        "copied {} to {} ({bytes} bytes): restore by stopping the server and putting the copy in place of the database",
        db.display(),
        out.display()
    )))
}

fn secret_from_env(var: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(s) if !s.is_empty() => Ok(s),
        Ok(_) => bail!("environment variable {var} is empty: export {var}=<your secret>"),
        Err(_) => bail!("environment variable {var} is not set: export {var}=<your secret>"),
    }
}

/// `sign`.
pub fn sign(secret_env: &str, user_id: &str) -> anyhow::Result<Output> {
    let secret = secret_from_env(secret_env)?;
    let sig = signature::sign(&secret, user_id);
    Ok(Output::new(json!({ "signature": sig }), sig))
}

/// `verify`: says valid or invalid (and the likely mistake); both are answers, so both exit 0.
/// Only a command that cannot judge (no secret in the environment, bad arguments) fails.
pub fn verify(
    secret_env: &str,
    sig: &str,
    user_id: &str,
    email: Option<&str>,
) -> anyhow::Result<Output> {
    let secret = secret_from_env(secret_env)?;
    Ok(match signature::verify(&secret, user_id, sig) {
        Ok(()) => Output::new(json!({ "valid": true }), "valid"),
        Err(_) => {
            let hint = signature::diagnose(&secret, user_id, sig, email);
            let advice = hint.map(|h| h.advice()).unwrap_or(
                "no known mistake matches: check that your server signs with this secret and signs only the user id",
            );
            let out = match hint {
                Some(h) => Output::new(
                    json!({ "valid": false, "hint": h.as_str() }),
                    format!("invalid ({})", h.as_str()),
                ),
                None => Output::new(json!({ "valid": false }), "invalid"),
            }
            .note(format!("replybubble: invalid signature: {advice}"));
            out
        }
    })
}
