//! Leadership across a partition: a leader whose database stops answering (a network that swallows its packets,
//! here a forwarder that stops passing bytes) steps down on its own within its check's timeout, and another replica
//! leads only once the old leader's session has ended — never both at once.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use spotplan_proxy::leader::{Leadership, campaign};
use spotplan_proxy::shared_log::SharedLog;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP forwarder to the database that can swallow everything (a partition: nothing passes, nothing is closed)
/// and later end its connections to the server (what the server does once its keepalive probes go unanswered).
#[derive(Clone, Default)]
struct Partition {
    swallowing: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
}

impl Partition {
    async fn forward(&self, server: std::net::SocketAddr) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let partition = self.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(upstream) = TcpStream::connect(server).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = upstream.into_split();
                tokio::spawn(partition.clone().pass(client_read, server_write));
                tokio::spawn(partition.clone().pass(server_read, client_write));
            }
        });
        address
    }

    /// Copies one direction until either side closes; while swallowing, holds what it read; once ended, drops
    /// both halves (closing the connection).
    async fn pass(self, mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf) {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let read = tokio::select! {
                read = from.read(&mut buffer) => read,
                () = tokio::time::sleep(Duration::from_millis(50)) => {
                    if self.ended.load(Ordering::SeqCst) {
                        return;
                    }
                    continue;
                }
            };
            let Ok(read) = read else { return };
            if read == 0 {
                if self.swallowing.load(Ordering::SeqCst) {
                    // The close does not pass the partition either.
                    while !self.ended.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                return;
            }
            while self.swallowing.load(Ordering::SeqCst) {
                if self.ended.load(Ordering::SeqCst) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if to.write_all(&buffer[..read]).await.is_err() {
                return;
            }
        }
    }
}

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
