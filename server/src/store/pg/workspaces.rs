//! The PostgreSQL port of `sqlite/workspaces.rs`: workspaces, their verification settings, their
//! agents and the demo workspace.

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use replybubble_core::{Mode, Plan};

use super::{parse_enum, StoreError};
use crate::store::model::*;
use crate::store::DemoSeed;

const WORKSPACE_COLUMNS: &str = "id, app_id, name, plan, mode, secret_version, retention_days,
     widget_color, widget_position, widget_offset_x, widget_offset_y, widget_z_index, widget_title,
     widget_subtitle, widget_launcher_label, widget_locale, time_zone, hours, hide_when_offline,
     trust_unsigned_email";

/// The transaction-level advisory lock that serialises demo seeding across processes
/// ("ReplyDem" in ASCII).
const DEMO_LOCK: i64 = 0x5265_706c_7944_656d;

fn workspace_from_row(row: &Row) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: row.try_get(0)?,
        app_id: row.try_get(1)?,
        name: row.try_get(2)?,
        plan: parse_enum(row, 3)?,
        mode: parse_enum(row, 4)?,
        secret_version: row.try_get::<_, i32>(5)? as u32,
        origins: Vec::new(),
        retention_days: row.try_get::<_, Option<i32>>(6)?.map(|d| d as u32),
        appearance: crate::store::shared::appearance(
            row.try_get(7)?,
            row.try_get(8)?,
            row.try_get::<_, i32>(9)?.into(),
            row.try_get::<_, i32>(10)?.into(),
            row.try_get::<_, i32>(11)?.into(),
            [row.try_get(12)?, row.try_get(13)?, row.try_get(14)?],
            row.try_get(15)?,
        )
        .map_err(StoreError::Invalid)?,
        time_zone: row.try_get(16)?,
        hours: row.try_get(17)?,
        hide_when_offline: row.try_get(18)?,
        trust_unsigned_email: row.try_get(19)?,
    })
}

/// A secret version as the INTEGER column holds it.
fn version_column(version: u32) -> Result<i32, StoreError> {
    i32::try_from(version)
        .map_err(|_| StoreError::Invalid(format!("secret version {version} is out of range")))
}

/// The allowed origins of a workspace, sorted (byte order, as SQLite's BINARY collation).
pub async fn origins(tx: &Transaction<'_>, workspace_id: i64) -> Result<Vec<String>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT origin FROM workspace_origins WHERE workspace_id = $1 ORDER BY origin COLLATE \"C\"",
        )
        .await?;
    let rows = tx.query(&stmt, &[&workspace_id]).await?;
    let origins = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(origins)
}

async fn load_origins(tx: &Transaction<'_>, ws: &mut Workspace) -> Result<(), StoreError> {
    ws.origins = origins(tx, ws.id).await?;
    Ok(())
}

/// Creates a workspace (`app_id` is made by the caller from randomness).
pub async fn create(
    tx: &Transaction<'_>,
    app_id: &str,
    name: &str,
    plan: Plan,
    origins: &[String],
    now: i64,
) -> Result<Workspace, StoreError> {
    let plan = plan.as_str();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO workspaces (app_id, name, plan, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .await?;
    let id: i64 = tx
        .query_one(&stmt, &[&app_id, &name, &plan, &now])
        .await?
        .try_get(0)?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO workspace_origins (workspace_id, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .await?;
    for origin in origins {
        tx.execute(&stmt, &[&id, origin]).await?;
    }
    by_app_id(tx, app_id).await
}

/// All workspaces, oldest first.
pub async fn list(tx: &Transaction<'_>) -> Result<Vec<Workspace>, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY id"
        ))
        .await?;
    let rows = tx.query(&stmt, &[]).await?;
    let mut all: Vec<Workspace> = rows
        .iter()
        .map(workspace_from_row)
        .collect::<Result<_, _>>()?;
    for ws in &mut all {
        load_origins(tx, ws).await?;
    }
    Ok(all)
}

/// One workspace by its public app id.
pub async fn by_app_id(tx: &Transaction<'_>, app_id: &str) -> Result<Workspace, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE app_id = $1"
        ))
        .await?;
    let row = tx
        .query_opt(&stmt, &[&app_id])
        .await?
        .ok_or(StoreError::NotFound("workspace"))?;
    let mut ws = workspace_from_row(&row)?;
    load_origins(tx, &mut ws).await?;
    Ok(ws)
}

/// The verification settings of a workspace, by internal id.
pub async fn verification(
    tx: &Transaction<'_>,
    workspace_id: i64,
) -> Result<VerificationSettings, StoreError> {
    let stmt = tx
        .prepare_cached("SELECT plan, mode, secret, secret_version FROM workspaces WHERE id = $1")
        .await?;
    let r = tx
        .query_opt(&stmt, &[&workspace_id])
        .await?
        .ok_or(StoreError::NotFound("workspace"))?;
    Ok(VerificationSettings {
        workspace_id,
        plan: parse_enum(&r, 0)?,
        mode: parse_enum(&r, 1)?,
        secret: r.try_get(2)?,
        secret_version: r.try_get::<_, i32>(3)? as u32,
    })
}

/// Changes the plan.
pub async fn set_plan(
    tx: &Transaction<'_>,
    app_id: &str,
    plan: Plan,
) -> Result<Workspace, StoreError> {
    let plan = plan.as_str();
    let stmt = tx
        .prepare_cached("UPDATE workspaces SET plan = $1 WHERE app_id = $2")
        .await?;
    let n = tx.execute(&stmt, &[&plan, &app_id]).await?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Sets (or, with None, removes) the retention of idle conversations.
pub async fn set_retention(
    tx: &Transaction<'_>,
    app_id: &str,
    days: Option<u32>,
) -> Result<Workspace, StoreError> {
    // The column is an INTEGER: a retention past i32::MAX days (millions of years) cannot be kept.
    let days: Option<i32> = days
        .map(|d| {
            i32::try_from(d).map_err(|_| {
                StoreError::Invalid(format!("a retention of {d} days is too long to store"))
            })
        })
        .transpose()?;
    let stmt = tx
        .prepare_cached("UPDATE workspaces SET retention_days = $1 WHERE app_id = $2")
        .await?;
    let n = tx.execute(&stmt, &[&days, &app_id]).await?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Sets the business hours (None: none) and whether the launcher hides while nobody is available.
pub async fn set_hours(
    tx: &Transaction<'_>,
    app_id: &str,
    hours: Option<(&str, &str)>,
    hide_when_offline: bool,
) -> Result<Workspace, StoreError> {
    let stmt = tx
        .prepare_cached(
            "UPDATE workspaces SET time_zone = $1, hours = $2, hide_when_offline = $3 WHERE app_id = $4",
        )
        .await?;
    let n = tx
        .execute(
            &stmt,
            &[
                &hours.map(|h| h.0),
                &hours.map(|h| h.1),
                &hide_when_offline,
                &app_id,
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Whether the email fallback may use a verified contact's unsigned email.
pub async fn set_email_trust(
    tx: &Transaction<'_>,
    app_id: &str,
    trust: bool,
) -> Result<Workspace, StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE workspaces SET trust_unsigned_email = $1 WHERE app_id = $2")
        .await?;
    if tx.execute(&stmt, &[&trust, &app_id]).await? == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Sets the widget's appearance.
pub async fn set_appearance(
    tx: &Transaction<'_>,
    app_id: &str,
    a: &replybubble_core::appearance::Appearance,
) -> Result<Workspace, StoreError> {
    // INTEGER columns: the core's limits keep every value below i32::MAX.
    let int = |n: u32| n as i32;
    let stmt = tx
        .prepare_cached(
            "UPDATE workspaces SET widget_color = $1, widget_position = $2, widget_offset_x = $3,
                    widget_offset_y = $4, widget_z_index = $5, widget_title = $6, widget_subtitle = $7,
                    widget_launcher_label = $8, widget_locale = $9
             WHERE app_id = $10",
        )
        .await?;
    let n = tx
        .execute(
            &stmt,
            &[
                &a.color.as_str(),
                &a.position.as_str(),
                &int(a.offset_x),
                &int(a.offset_y),
                &int(a.z_index),
                &a.title,
                &a.subtitle,
                &a.launcher_label,
                &a.locale.as_str(),
                &app_id,
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Changes the verification mode.
pub async fn set_mode(
    tx: &Transaction<'_>,
    app_id: &str,
    mode: Mode,
) -> Result<Workspace, StoreError> {
    let mode = mode.as_str();
    let stmt = tx
        .prepare_cached("UPDATE workspaces SET mode = $1 WHERE app_id = $2")
        .await?;
    let n = tx.execute(&stmt, &[&mode, &app_id]).await?;
    if n == 0 {
        return Err(StoreError::NotFound("workspace"));
    }
    by_app_id(tx, app_id).await
}

/// Replaces the secret (sealed by the caller) when its version is still `expected_version`
/// (`Conflict` when another change came first). Returns the new version.
/// (One compare-and-set UPDATE: a concurrent replacement that committed first makes the
/// re-checked `secret_version = $4` false, so this one changes nothing.)
pub async fn replace_secret(
    tx: &Transaction<'_>,
    app_id: &str,
    secret: &str,
    expected_version: u32,
) -> Result<u32, StoreError> {
    let version = expected_version + 1;
    let (new, expected) = (version_column(version)?, version_column(expected_version)?);
    let stmt = tx
        .prepare_cached(
            "UPDATE workspaces SET secret = $1, secret_version = $2 WHERE app_id = $3 AND secret_version = $4",
        )
        .await?;
    let n = tx
        .execute(&stmt, &[&secret, &new, &app_id, &expected])
        .await?;
    if n == 0 {
        by_app_id(tx, app_id).await?;
        return Err(StoreError::Conflict(
            "the secret changed meanwhile: reload the page to see its current state".into(),
        ));
    }
    Ok(version)
}

/// Sets a new secret whatever the current one (setting up tests and tools).
/// (The workspace's row is locked while its current version is read, so a concurrent
/// replacement cannot turn this into a `Conflict`.)
pub async fn store_secret(
    tx: &Transaction<'_>,
    app_id: &str,
    secret: &str,
) -> Result<u32, StoreError> {
    let stmt = tx
        .prepare_cached("SELECT secret_version FROM workspaces WHERE app_id = $1 FOR UPDATE")
        .await?;
    let current = tx
        .query_opt(&stmt, &[&app_id])
        .await?
        .ok_or(StoreError::NotFound("workspace"))?
        .try_get::<_, i32>(0)? as u32;
    replace_secret(tx, app_id, secret, current).await
}

/// Creates an agent login. Emails compare without case (`lower(email)`, the unique index).
/// (Check and insert are one statement: `ON CONFLICT DO NOTHING` also covers a concurrent
/// insert of the same email, which SQLite's single writer excluded.)
pub async fn create_agent(
    tx: &Transaction<'_>,
    app_id: &str,
    email: &str,
    role: Role,
    password_hash: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let ws = by_app_id(tx, app_id).await?;
    let role = role.as_str();
    // The only unique key an insert can hit is (workspace_id, lower(email)): ids are generated.
    let stmt = tx
        .prepare_cached(
            "INSERT INTO agents (workspace_id, email, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .await?;
    match tx
        .query_opt(&stmt, &[&ws.id, &email, &role, &password_hash, &now])
        .await?
    {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StoreError::Conflict(format!(
            "an agent with email {email} already exists in this workspace"
        ))),
    }
}

/// The demo workspace: its app id, the owner's email and agent id, when `serve --demo` made one.
pub async fn demo(tx: &Transaction<'_>) -> Result<Option<(String, String, i64)>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT w.app_id, d.owner_email, a.id FROM demo d
             JOIN workspaces w ON w.id = d.workspace_id
             JOIN agents a ON a.workspace_id = d.workspace_id AND lower(a.email) = lower(d.owner_email)",
        )
        .await?;
    match tx.query_opt(&stmt, &[]).await? {
        Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))),
        None => Ok(None),
    }
}

/// Remembers the demo workspace and its owner's email (never a password).
pub async fn save_demo(
    tx: &Transaction<'_>,
    workspace_id: i64,
    email: &str,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("INSERT INTO demo (id, workspace_id, owner_email) VALUES (1, $1, $2)")
        .await?;
    tx.execute(&stmt, &[&workspace_id, &email]).await?;
    Ok(())
}

/// Replaces an agent's password hash and ends every dashboard session of that agent.
pub async fn set_agent_password(
    tx: &Transaction<'_>,
    agent_id: i64,
    password_hash: &str,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE agents SET password_hash = $2 WHERE id = $1")
        .await?;
    tx.execute(&stmt, &[&agent_id, &password_hash]).await?;
    let stmt = tx
        .prepare_cached("DELETE FROM agent_sessions WHERE agent_id = $1")
        .await?;
    tx.execute(&stmt, &[&agent_id]).await?;
    Ok(())
}

/// Every stored secret as stored: (app id, sealed value or an older release's clear text).
pub async fn stored_secrets(tx: &Transaction<'_>) -> Result<Vec<(String, String)>, StoreError> {
    let stmt = tx
        .prepare_cached("SELECT app_id, secret FROM workspaces WHERE secret IS NOT NULL")
        .await?;
    let rows = tx.query(&stmt, &[]).await?;
    let out = rows
        .iter()
        .map(|r| -> Result<(String, String), StoreError> { Ok((r.try_get(0)?, r.try_get(1)?)) })
        .collect::<Result<_, _>>()?;
    Ok(out)
}

/// Replaces a clear-text secret by its sealed form and drops clear-text flashes. (On
/// PostgreSQL the replaced row versions stay in the table's pages until VACUUM reclaims them.)
pub async fn seal_secret(
    tx: &Transaction<'_>,
    app_id: &str,
    plain: &str,
    sealed: &str,
) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached("UPDATE workspaces SET secret = $3 WHERE app_id = $1 AND secret = $2")
        .await?;
    let n = tx.execute(&stmt, &[&app_id, &plain, &sealed]).await?;
    let stmt = tx
        .prepare_cached(
            "UPDATE agent_sessions SET flash_secret = NULL WHERE flash_secret NOT ILIKE 'v1:%'",
        )
        .await?;
    tx.execute(&stmt, &[]).await?;
    Ok(n == 1)
}

/// Creates the demo workspace (Pro, Optional, with a secret) and its owner when there is none;
/// then, either way, gives the owner the new password hash and ends its dashboard sessions.
/// (A transaction-level advisory lock makes replicas that start together seed one after the
/// other, as SQLite's single writer did: the later one finds the demo the first one made.)
pub async fn seed_demo(
    tx: &Transaction<'_>,
    seed: &DemoSeed,
) -> Result<(String, String), StoreError> {
    let stmt = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&stmt, &[&DEMO_LOCK]).await?;
    let (app_id, email, agent_id) = match demo(tx).await? {
        Some(found) => found,
        None => {
            let ws = create(tx, &seed.app_id, "Demo Shop", Plan::Pro, &[], seed.now).await?;
            store_secret(tx, &seed.app_id, &seed.secret).await?;
            set_mode(tx, &seed.app_id, Mode::Optional).await?;
            let agent_id = create_agent(
                tx,
                &seed.app_id,
                &seed.owner_email,
                Role::Owner,
                &seed.password_hash,
                seed.now,
            )
            .await?;
            save_demo(tx, ws.id, &seed.owner_email).await?;
            (seed.app_id.clone(), seed.owner_email.clone(), agent_id)
        }
    };
    set_agent_password(tx, agent_id, &seed.password_hash).await?;
    Ok((app_id, email))
}

/// Locks the demo owner out, if there is a demo.
pub async fn lock_demo(tx: &Transaction<'_>, locked_hash: &str) -> Result<(), StoreError> {
    if let Some((_, _, agent_id)) = demo(tx).await? {
        set_agent_password(tx, agent_id, locked_hash).await?;
    }
    Ok(())
}
