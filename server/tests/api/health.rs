use crate::helpers::spawn_app;

#[actix_rt::test]
async fn healthz_answers_200_with_status_ok() {
    let app = spawn_app().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
}

#[actix_rt::test]
async fn the_database_is_wal_with_synchronous_full_and_migrated() {
    let app = spawn_app().await;
    let Some(file) = app.sqlite_file() else {
        assert_eq!(
            app.sql_count("SELECT version FROM schema_version").await,
            i64::from(replybubble_server::store::pg::SCHEMA_VERSION),
            "PostgreSQL: migrated"
        );
        return;
    };
    let conn = rusqlite::Connection::open(file).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, replybubble_server::store::sqlite::SCHEMA_VERSION);
}

#[actix_rt::test]
async fn the_widget_loader_is_served_to_any_origin() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers();
    assert_eq!(h.get("access-control-allow-origin").unwrap(), "*");
    assert!(h
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("javascript"));
}
