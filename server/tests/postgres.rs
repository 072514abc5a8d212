//! The PostgreSQL engine's foundation (DESIGN.md "Scale-out: PostgreSQL"): connecting,
//! migrations applied once by replicas that start together, a newer schema refused, and the
//! schema's triggers keeping the home page's counts.

#[path = "common/pg.rs"]
mod pg;

use replybubble_server::store::pg::{PgStore, SCHEMA_VERSION};

async fn sql(url: &str, statements: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_rt::spawn(connection);
    client.simple_query(statements).await.unwrap()
}

/// The first column of the first row a query returns, as text.
async fn one(url: &str, query: &str) -> String {
    sql(url, query)
        .await
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row for {query}"))
}

#[actix_rt::test]
async fn replicas_starting_together_migrate_the_database_once() {
    let Some(url) = pg::database().await else {
        return;
    };
    let opened = futures_util::future::join_all((0..4).map(|_| PgStore::open(&url))).await;
    for store in &opened {
        let store = store.as_ref().expect("every replica starts");
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    }
    assert_eq!(one(&url, "SELECT count(*) FROM schema_version").await, "1");
    assert_eq!(
        one(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'messages'"
        )
        .await,
        "1"
    );
    // Opening again changes nothing.
    PgStore::open(&url).await.unwrap();
    assert_eq!(
        one(&url, "SELECT version FROM schema_version").await,
        SCHEMA_VERSION.to_string()
    );
}

#[actix_rt::test]
async fn a_database_from_a_newer_release_is_refused() {
    let Some(url) = pg::database().await else {
        return;
    };
    PgStore::open(&url).await.unwrap();
    sql(
        &url,
        &format!("UPDATE schema_version SET version = {}", SCHEMA_VERSION + 1),
    )
    .await;
    let err = PgStore::open(&url).await.unwrap_err().to_string();
    assert!(err.contains("downgrades are not supported"), "{err}");
}

#[actix_rt::test]
async fn a_url_that_is_not_postgres_names_the_flag_and_the_form() {
    let err = PgStore::open("postgres://[broken")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--db") && err.contains("postgres://user:password@host:port/database"),
        "{err}"
    );
}

#[actix_rt::test]
async fn the_home_counts_are_kept_by_triggers_on_postgres_too() {
    let Some(url) = pg::database().await else {
        return;
    };
    PgStore::open(&url).await.unwrap();
    sql(
        &url,
        "INSERT INTO workspaces (app_id, name, created_at) VALUES ('a', 'A', 0);
         INSERT INTO contacts (workspace_id, user_id, created_at, updated_at) VALUES (1, 'ada', 0, 0), (1, 'bob', 0, 0);
         INSERT INTO conversations (workspace_id, visitor_label, created_at, last_activity_at, started_at)
           VALUES (1, 'x', 0, 0, 0), (1, 'y', 0, 0, NULL), (1, 'z', 0, 0, 0);
         UPDATE conversations SET started_at = 5 WHERE visitor_label = 'y';
         UPDATE conversations SET status = 'closed' WHERE visitor_label = 'x';
         UPDATE conversations SET status = 'closed' WHERE visitor_label = 'x';
         DELETE FROM conversations WHERE visitor_label = 'z';
         DELETE FROM contacts WHERE user_id = 'bob';",
    )
    .await;
    assert_eq!(
        one(
            &url,
            "SELECT open_conversations || ' ' || contacts FROM workspace_counts"
        )
        .await,
        "1 1"
    );
}
