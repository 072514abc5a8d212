//! The PostgreSQL of the tests: `cargo xtask test` starts a throwaway cluster on loopback and
//! passes its URL as `REPLYBUBBLE_TEST_PG`; each test gets a database of its own in it. Without
//! it a test skips, loudly, except under CI, where it fails.

use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The URL of a new, empty database, or None (said on stderr) when no cluster was given.
pub async fn database() -> Option<String> {
    let Ok(admin) = std::env::var("REPLYBUBBLE_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests, but REPLYBUBBLE_TEST_PG is not set: run them with `cargo xtask test`"
        );
        eprintln!(
            "SKIPPED: no PostgreSQL for this test (REPLYBUBBLE_TEST_PG is not set; `cargo xtask test` starts one)"
        );
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "rb_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"));
    let driver = actix_rt::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{name}"))
}
