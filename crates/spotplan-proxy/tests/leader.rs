//! Leadership across a partition: a leader whose database stops answering (a network that swallows its packets,
//! here a forwarder that stops passing bytes) steps down on its own within its check's timeout, and another replica
//! leads only once the old leader's session has ended — never both at once.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::partition::Partition;
use spotplan_proxy::leader::{Leadership, campaign};
use spotplan_proxy::shared_log::SharedLog;

async fn wait_for(what: &str, within: Duration, condition: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < within, "{what} not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_cut_off_from_the_database_steps_down_before_another_leads() {
    let Some(url) = common::postgres::fresh_database().await else {
        return; // A proxy alone always leads.
    };
    let (rest, database) = url.rsplit_once('/').unwrap();
    let (credentials, host_port) = rest.rsplit_once('@').unwrap();
    let server = tokio::net::lookup_host(host_port).await.unwrap().next().unwrap();
    let partition = Partition::default();
    let forwarded = partition.forward(server).await;
    let cut_off = SharedLog::connect(&format!("{credentials}@{forwarded}/{database}"))
        .await
        .unwrap();
    let direct = SharedLog::connect(&url).await.unwrap();
    let (old, new) = (Leadership::replica(), Leadership::replica());
    campaign(cut_off, old.clone());
    wait_for("the first replica leads", Duration::from_secs(10), || old.is_leader()).await;
    campaign(direct, new.clone());
    // Both campaign; one leads.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(old.is_leader() && !new.is_leader());

    // The partition: the leader's checks go unanswered. It steps down within its check's period and timeout
    // (2 s + 5 s; allowed 12 s on a loaded machine), while its session — and so the lock — still lives on the
    // server: nobody leads.
    partition.swallowing.store(true, Ordering::SeqCst);
    let overlap = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn({
        let (old, new, overlap) = (old.clone(), new.clone(), overlap.clone());
        async move {
            loop {
                if old.is_leader() && new.is_leader() {
                    overlap.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let stepped_down = wait_for("the cut-off leader steps down", Duration::from_secs(12), || {
        !old.is_leader()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!new.is_leader(), "the old session still holds the lock");

    // The server ends the cut-off sessions (its keepalive probes unanswered): the other replica takes over within
    // its campaign period.
    partition.ended.store(true, Ordering::SeqCst);
    let took_over = wait_for("the other replica leads", Duration::from_secs(10), || new.is_leader()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    watcher.abort();
    assert!(!overlap.load(Ordering::SeqCst), "two replicas led at once");
    assert!(!old.is_leader());
    eprintln!("stepped down after {stepped_down:?}; taken over {took_over:?} after the session ended");
}
