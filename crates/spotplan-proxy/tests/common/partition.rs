//! A TCP forwarder to the database that tests put between a proxy and PostgreSQL to play a network's faults: a
//! partition (nothing passes, nothing is closed), and the end of every connection through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP forwarder to the database that can swallow everything (a partition: nothing passes, nothing is closed)
/// and later end its connections to the server (what the server does once its keepalive probes go unanswered).
#[derive(Clone, Default)]
pub struct Partition {
    /// While on, nothing passes (what was read is held).
    pub swallowing: Arc<AtomicBool>,
    /// Once on, every connection through it is closed.
    pub ended: Arc<AtomicBool>,
}

impl Partition {
    /// Starts forwarding to `server`; the address to connect to instead.
    pub async fn forward(&self, server: std::net::SocketAddr) -> std::net::SocketAddr {
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
