//! Workspaces, their verification settings, their agents and the demo workspace.

use rusqlite::{params, Connection, OptionalExtension, Row};

use replybubble_core::{Mode, Plan};

use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::DemoSeed;

const WORKSPACE_COLUMNS: &str = "id, app_id, name, plan, mode, secret_version, retention_days,
     widget_color, widget_position, widget_offset_x, widget_offset_y, widget_z_index, widget_title,
     widget_subtitle, widget_launcher_label, widget_locale, time_zone, hours, hide_when_offline,
     trust_unsigned_email";

fn workspace_from_row(row: &Row) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: row.get(0)?,
        app_id: row.get(1)?,
        name: row.get(2)?,
        plan: parse_enum(row, 3)?,
        mode: parse_enum(row, 4)?,
        secret_version: row.get(5)?,
        origins: Vec::new(),
        retention_days: row.get(6)?,
        appearance: crate::store::shared::appearance(
            row.get(7)?,
            row.get(8)?,
            row.get(9)?,
            row.get(10)?,
            row.get(11)?,
            [row.get(12)?, row.get(13)?, row.get(14)?],
            row.get(15)?,
        )
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, e.into())
        })?,
        time_zone: row.get(16)?,
        hours: row.get(17)?,
        hide_when_offline: row.get(18)?,
        trust_unsigned_email: row.get(19)?,
    })
}

/// Whether the email fallback may use a verified contact's unsigned email.
pub fn set_email_trust(
    conn: &Connection,
    app_id: &str,
    trust: bool,
) -> Result<Workspace, StoreError> {
    let n = conn
        .prepare_cached("UPDATE workspaces SET trust_unsigned_email = ?1 WHERE app_id = ?2")?
        .execute(params![trust, app_id])?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// The allowed origins of a workspace, sorted.
pub fn origins(conn: &Connection, workspace_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT origin FROM workspace_origins WHERE workspace_id = ?1 ORDER BY origin",
    )?;
    let origins = stmt
        .query_map([workspace_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(origins)
}

fn load_origins(conn: &Connection, ws: &mut Workspace) -> Result<(), StoreError> {
    ws.origins = origins(conn, ws.id)?;
    Ok(())
}

/// Creates a workspace (`app_id` is made by the caller from randomness).
pub fn create(
    conn: &Connection,
    app_id: &str,
    name: &str,
    plan: Plan,
    origins: &[String],
    now: i64,
) -> Result<Workspace, StoreError> {
    conn.execute(
        "INSERT INTO workspaces (app_id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![app_id, name, plan.as_str(), now],
    )?;
    let id = conn.last_insert_rowid();
    for origin in origins {
        conn.execute(
            "INSERT OR IGNORE INTO workspace_origins (workspace_id, origin) VALUES (?1, ?2)",
            params![id, origin],
        )?;
    }
    by_app_id(conn, app_id)
}

/// All workspaces, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Workspace>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY id"
    ))?;
    let mut all: Vec<Workspace> = stmt
        .query_map([], workspace_from_row)?
        .collect::<Result<_, _>>()?;
    for ws in &mut all {
        load_origins(conn, ws)?;
    }
    Ok(all)
}

/// One workspace by its public app id.
pub fn by_app_id(conn: &Connection, app_id: &str) -> Result<Workspace, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE app_id = ?1"
    ))?;
    let mut ws = stmt
        .query_row([app_id], workspace_from_row)
        .optional()?
        .ok_or(StoreError::NotFound("workspace"))?;
    load_origins(conn, &mut ws)?;
    Ok(ws)
}

/// The verification settings of a workspace, by internal id.
pub fn verification(
    conn: &Connection,
    workspace_id: i64,
) -> Result<VerificationSettings, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT plan, mode, secret, secret_version FROM workspaces WHERE id = ?1",
    )?;
    stmt.query_row([workspace_id], |r| {
        Ok(VerificationSettings {
            workspace_id,
            plan: parse_enum(r, 0)?,
            mode: parse_enum(r, 1)?,
            secret: r.get(2)?,
            secret_version: r.get(3)?,
        })
    })
    .optional()?
    .ok_or(StoreError::NotFound("workspace"))
}

/// Changes the plan.
pub fn set_plan(conn: &Connection, app_id: &str, plan: Plan) -> Result<Workspace, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET plan = ?1 WHERE app_id = ?2",
        params![plan.as_str(), app_id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// Sets (or, with None, removes) the retention of idle conversations.
pub fn set_retention(
    conn: &Connection,
    app_id: &str,
    days: Option<u32>,
) -> Result<Workspace, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET retention_days = ?1 WHERE app_id = ?2",
        params![days, app_id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// Sets the business hours (None: none) and whether the launcher hides while nobody is available.
pub fn set_hours(
    conn: &Connection,
    app_id: &str,
    hours: Option<(&str, &str)>,
    hide_when_offline: bool,
) -> Result<Workspace, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET time_zone = ?1, hours = ?2, hide_when_offline = ?3 WHERE app_id = ?4",
        params![hours.map(|h| h.0), hours.map(|h| h.1), hide_when_offline, app_id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// Sets the widget's appearance.
pub fn set_appearance(
    conn: &Connection,
    app_id: &str,
    a: &replybubble_core::appearance::Appearance,
) -> Result<Workspace, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET widget_color = ?1, widget_position = ?2, widget_offset_x = ?3,
                widget_offset_y = ?4, widget_z_index = ?5, widget_title = ?6, widget_subtitle = ?7,
                widget_launcher_label = ?8, widget_locale = ?9
         WHERE app_id = ?10",
        params![
            a.color.as_str(),
            a.position.as_str(),
            a.offset_x,
            a.offset_y,
            a.z_index,
            a.title,
            a.subtitle,
            a.launcher_label,
            a.locale.as_str(),
            app_id
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// Changes the verification mode.
pub fn set_mode(conn: &Connection, app_id: &str, mode: Mode) -> Result<Workspace, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET mode = ?1 WHERE app_id = ?2",
        params![mode.as_str(), app_id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(conn, app_id)
}

/// Replaces the secret (sealed by the caller) when its version is still `expected_version`
/// (`Conflict` when another change came first). Returns the new version.
pub fn replace_secret(
    conn: &Connection,
    app_id: &str,
    secret: &str,
    expected_version: u32,
) -> Result<u32, StoreError> {
    let version = expected_version + 1;
    let n = conn.execute(
        "UPDATE workspaces SET secret = ?1, secret_version = ?2 WHERE app_id = ?3 AND secret_version = ?4",
        params![secret, version, app_id, expected_version],
    )?;
    if n == 0 {
        by_app_id(conn, app_id)?;
        return Err(StoreError::Conflict(
            "the secret changed meanwhile: reload the page to see its current state".into(),
        ));
    }
    Ok(version)
}

/// Sets a new secret whatever the current one (setting up tests and tools).
pub fn store_secret(conn: &Connection, app_id: &str, secret: &str) -> Result<u32, StoreError> {
    let ws = by_app_id(conn, app_id)?;
    replace_secret(conn, app_id, secret, ws.secret_version)
}

/// Creates an agent login.
pub fn create_agent(
    conn: &Connection,
    app_id: &str,
    email: &str,
    role: Role,
    password_hash: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let ws = by_app_id(conn, app_id)?;
    let taken: bool = conn
        .query_row(
            "SELECT 1 FROM agents WHERE workspace_id = ?1 AND email = ?2",
            params![ws.id, email],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if taken {
        return Err(StoreError::Conflict(format!(
            "an agent with email {email} already exists in this workspace"
        )));
    }
    conn.execute(
        "INSERT INTO agents (workspace_id, email, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ws.id, email, role.as_str(), password_hash, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The demo workspace: its app id, the owner's email and agent id, when `serve --demo` made one.
pub fn demo(conn: &Connection) -> Result<Option<(String, String, i64)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT w.app_id, d.owner_email, a.id FROM demo d
             JOIN workspaces w ON w.id = d.workspace_id
             JOIN agents a ON a.workspace_id = d.workspace_id AND a.email = d.owner_email",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Remembers the demo workspace and its owner's email (never a password).
pub fn save_demo(conn: &Connection, workspace_id: i64, email: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO demo (id, workspace_id, owner_email) VALUES (1, ?1, ?2)",
        params![workspace_id, email],
    )?;
    Ok(())
}

/// Replaces an agent's password hash and ends every dashboard session of that agent.
pub fn set_agent_password(
    conn: &Connection,
    agent_id: i64,
    password_hash: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE agents SET password_hash = ?2 WHERE id = ?1",
        params![agent_id, password_hash],
    )?;
    conn.execute("DELETE FROM agent_sessions WHERE agent_id = ?1", [agent_id])?;
    Ok(())
}

/// Every stored secret as stored: (app id, sealed value or an older release's clear text).
pub fn stored_secrets(conn: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT app_id, secret FROM workspaces WHERE secret IS NOT NULL")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Replaces a clear-text secret by its sealed form and drops clear-text flashes. With
/// `secure_delete` on, SQLite overwrites the freed clear text.
pub fn seal_secret(
    conn: &Connection,
    app_id: &str,
    plain: &str,
    sealed: &str,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "UPDATE workspaces SET secret = ?3 WHERE app_id = ?1 AND secret = ?2",
        params![app_id, plain, sealed],
    )?;
    conn.execute(
        "UPDATE agent_sessions SET flash_secret = NULL WHERE flash_secret NOT LIKE 'v1:%'",
        [],
    )?;
    Ok(n == 1)
}

/// Creates the demo workspace (Pro, Optional, with a secret) and its owner when there is none;
/// then, either way, gives the owner the new password hash and ends its dashboard sessions.
pub fn seed_demo(conn: &Connection, seed: &DemoSeed) -> Result<(String, String), StoreError> {
    let (app_id, email, agent_id) = match demo(conn)? {
        Some(found) => found,
        None => {
            let ws = create(conn, &seed.app_id, "Demo Shop", Plan::Pro, &[], seed.now)?;
            store_secret(conn, &seed.app_id, &seed.secret)?;
            set_mode(conn, &seed.app_id, Mode::Optional)?;
            let agent_id = create_agent(
                conn,
                &seed.app_id,
                &seed.owner_email,
                Role::Owner,
                &seed.password_hash,
                seed.now,
            )?;
            save_demo(conn, ws.id, &seed.owner_email)?;
            (seed.app_id.clone(), seed.owner_email.clone(), agent_id)
        }
    };
    set_agent_password(conn, agent_id, &seed.password_hash)?;
    Ok((app_id, email))
}

/// Locks the demo owner out, if there is a demo.
pub fn lock_demo(conn: &Connection, locked_hash: &str) -> Result<(), StoreError> {
    if let Some((_, _, agent_id)) = demo(conn)? {
        set_agent_password(conn, agent_id, locked_hash)?;
    }
    Ok(())
}
