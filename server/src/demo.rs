//! `serve --demo`: a demo workspace with an owner login, seeded once, and the demo shop site.

use actix_web::{web, HttpResponse};

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
    /// The owner's password (demo only: stored so each start can print it).
    pub password: String,
}

/// Returns the demo workspace, creating it (Pro, Optional, with a secret) on first start.
pub fn seed(conn: &rusqlite::Connection) -> Result<DemoInfo, StoreError> {
    if let Some((app_id, email, password)) = workspaces::demo(conn)? {
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
    let password = hex::encode(crypto::random_bytes::<8>());
    workspaces::create_agent(
        conn,
        &app_id,
        &email,
        "owner",
        &crypto::hash_password(&password),
        now_ms(),
    )?;
    workspaces::save_demo(conn, ws.id, &email, &password)?;
    Ok(DemoInfo {
        app_id,
        email,
        password,
    })
}

/// Seeds (in one transaction) and returns the demo info.
pub fn seed_file(db: &std::path::Path) -> Result<DemoInfo, StoreError> {
    let mut conn = store::open_and_migrate(db)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let info = seed(&tx)?;
    tx.commit()?;
    Ok(info)
}

async fn page() -> HttpResponse {
    crate::assets::respond("demo/index.html")
}

/// Registers the demo site's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/demo", web::get().to(page))
        .route("/demo/", web::get().to(page));
}
