//! A fresh PostgreSQL database per test, in the cluster the test command starts (`SPOTPLAN_TEST_DATABASE_URL`).
//! Under the test command (`SPOTPLAN_REQUIRE_POSTGRES=1`) a missing cluster fails the test; a plain `cargo test`
//! without one skips the PostgreSQL half and says so.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The URL of the cluster's own database (to create, drop and inspect the tests' databases).
pub fn admin_url() -> Option<String> {
    std::env::var("SPOTPLAN_TEST_DATABASE_URL").ok()
}

/// The URL of a new empty database, or `None` (skip) when no cluster is given and none is required.
pub async fn fresh_database() -> Option<String> {
    let Ok(url) = std::env::var("SPOTPLAN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("SPOTPLAN_REQUIRE_POSTGRES").is_none(),
            "SPOTPLAN_TEST_DATABASE_URL is not set: the test command starts a PostgreSQL cluster for these tests"
        );
        eprintln!(
            "no SPOTPLAN_TEST_DATABASE_URL: the PostgreSQL half of this test is skipped (run `cargo xtask test`)"
        );
        return None;
    };
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let base = url.rsplit_once('/').unwrap().0;
    Some(format!("{base}/{name}"))
}

/// The log a suite's test runs on: the embedded log in `dir`, and — when the test command runs the suite again
/// with `SPOTPLAN_TEST_BACKEND=postgresql` — the shared database too, one per `dir` (opening the same `dir` again,
/// as a restart does, opens the same database).
pub async fn store_in(dir: &std::path::Path) -> spotplan_proxy::Store {
    let store = spotplan_proxy::Store::open(&dir.join("orders.sqlite3"), &|_| String::new()).unwrap();
    if std::env::var("SPOTPLAN_TEST_BACKEND").as_deref() != Ok("postgresql") {
        return store;
    }
    let url = admin_url().expect("SPOTPLAN_TEST_BACKEND=postgresql needs SPOTPLAN_TEST_DATABASE_URL");
    use sha2::Digest;
    let digest = sha2::Sha256::digest(dir.to_string_lossy().as_bytes());
    let name = format!("d_{}", hex::encode(&digest[..8]));
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    if let Err(error) = client.batch_execute(&format!("CREATE DATABASE {name}")).await {
        // Made by an earlier open of the same folder.
        assert_eq!(
            error.code(),
            Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE),
            "{error}"
        );
    }
    let shared = spotplan_proxy::shared_log::SharedLog::connect(&format!("{}/{name}", url.rsplit_once('/').unwrap().0))
        .await
        .unwrap();
    store.with_shared(shared)
}

/// A fresh embedded log.
pub fn sqlite() -> spotplan_proxy::Store {
    spotplan_proxy::Store::open(&super::tempdir().join("orders.sqlite3"), &|_| String::new()).unwrap()
}

/// Both backends, each fresh: the PostgreSQL one only when a cluster is there (see [`fresh_database`]).
pub async fn backends() -> Vec<(&'static str, spotplan_proxy::Store)> {
    let mut stores = vec![("sqlite", sqlite())];
    if let Some(url) = fresh_database().await {
        let shared =
            spotplan_proxy::shared_log::SharedLog::connect_waiting(&url, std::time::Duration::from_millis(300))
                .await
                .unwrap();
        stores.push(("postgresql", sqlite().with_shared(shared)));
    }
    stores
}
