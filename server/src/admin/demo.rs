//! `serve --demo`'s data: a demo workspace with an owner login, seeded once, with a fresh owner
//! password at each start, and locked when the server runs without `--demo`. The demo shop's
//! routes are in `http::demo`.

use replybubble_core::{Mode, Plan};

use crate::crypto;
use crate::store::{self, now_ms, workspaces, StoreError};

/// What a newcomer needs to try the product.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    /// The demo workspace's app id.
    pub app_id: String,
    /// The owner's login email.
    pub email: String,
    /// The owner's password for this start: made fresh at each `--demo` start, printed once,
    /// stored only as an argon2 hash.
    pub password: String,
}

/// A password hash no password matches: the demo owner's while the server runs without `--demo`.
const LOCKED: &str = "!locked: serve --demo sets a fresh password";

/// Returns the demo workspace, creating it (Pro, Optional, with a secret) on first start, and
/// gives its owner a fresh password (dashboard sessions made with the previous one end).
pub fn seed(conn: &rusqlite::Connection) -> Result<DemoInfo, StoreError> {
    let password = hex::encode(crypto::random_bytes::<8>());
    let hash = crypto::hash_password(&password);
    if let Some((app_id, email, agent_id)) = workspaces::demo(conn)? {
        workspaces::set_agent_password(conn, agent_id, &hash)?;
        return Ok(DemoInfo {
            app_id,
            email,
            password,
        });
    }
    let app_id = crypto::new_app_id();
    let ws = workspaces::create(conn, &app_id, "Demo Shop", Plan::Pro, &[], now_ms())?;
    workspaces::store_secret(conn, &app_id, &crypto::new_secret(), false)?;
    workspaces::set_mode(conn, &app_id, Mode::Optional)?;
    let email = "owner@demo.replybubble.test".to_owned();
    workspaces::create_agent(
        conn,
        &app_id,
        &email,
        workspaces::Role::Owner,
        &hash,
        now_ms(),
    )?;
    workspaces::save_demo(conn, ws.id, &email)?;
    Ok(DemoInfo {
        app_id,
        email,
        password,
    })
}

/// Without `--demo`, the demo owner cannot log in: its password is locked and its dashboard
/// sessions end. Nothing happens on a database that never ran the demo.
pub fn lock(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    if let Some((_, _, agent_id)) = workspaces::demo(conn)? {
        workspaces::set_agent_password(conn, agent_id, LOCKED)?;
    }
    Ok(())
}

/// Seeds (with `--demo`) or locks (without) the demo owner, in one transaction.
pub fn prepare_file(db: &std::path::Path, demo: bool) -> Result<Option<DemoInfo>, StoreError> {
    let mut conn = store::open_and_migrate(db)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let info = if demo {
        Some(seed(&tx)?)
    } else {
        lock(&tx)?;
        None
    };
    tx.commit()?;
    Ok(info)
}
