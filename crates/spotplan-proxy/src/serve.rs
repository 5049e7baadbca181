//! The serving loop, the same for HTTP and HTTPS: accepts connections (an accept error such as running out of
//! file descriptors is logged and waited out, never fatal), bounds the TLS handshake and the wait for a request's
//! headers (slow or silent clients cannot hold connections), serves HTTP/1.1 with hyper, and on shutdown stops
//! accepting, lets requests in flight finish and closes idle connections. `axum::serve` cannot set hyper's header
//! read timeout, hence this loop.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The default wait for a request's headers (and for a TLS handshake).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight (an order being placed) before giving up on them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The pause after an accept error that is not about one connection (e.g. no file descriptor left).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Accept errors are logged at most this often.
const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client may take to send a request's headers, from the connection's start or from the end of
    /// its previous answer (idle keep-alive connections close after it too). Also bounds the TLS handshake.
    pub header_read_timeout: Duration,
    /// HTTPS when set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            tls: None,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains as described in the module docs.
pub async fn serve(listener: TcpListener, app: Router, options: ServeOptions, shutdown: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let tls = options.tls.clone().map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let mut accept_errors = AcceptErrorLog::default();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    accept_errors.record(&error);
                    if !is_per_connection(&error) {
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            http: http.clone(),
            service: TowerToHyperService::new(app.clone()),
            watcher: graceful.watcher(),
        };
        let tls = tls.clone();
        let handshake_timeout = options.header_read_timeout;
        tokio::spawn(async move {
            match tls {
                None => connection.serve(stream).await,
                Some(acceptor) => match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => connection.serve(stream).await,
                    Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                },
            }
        });
    }
    drop(listener);
    let open = graceful.count();
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = open,
            "stopped waiting for requests in flight after {} s",
            options.shutdown_grace.as_secs()
        );
    }
}

/// Raises the soft limit on open files to the hard limit, so thousands of connections do not run out of file
/// descriptors; answers the new soft limit.
pub fn raise_open_file_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// One accepted connection, ready to be served.
struct Connection {
    http: http1::Builder,
    service: TowerToHyperService<Router>,
    watcher: Watcher,
}

impl Connection {
    async fn serve<I>(self, stream: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let connection = self.http.serve_connection(TokioIo::new(stream), self.service);
        if let Err(error) = self.watcher.watch(connection).await {
            // Timeouts, resets and malformed requests end here; they concern one client only.
            tracing::debug!(%error, "connection ended with an error");
        }
    }
}

/// Errors about one connection that went away before it was accepted: nothing to wait for.
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// Logs accept errors without flooding the log while they last.
#[derive(Debug, Default)]
struct AcceptErrorLog {
    last_logged: Option<Instant>,
    since_logged: u64,
}

impl AcceptErrorLog {
    fn record(&mut self, error: &io::Error) {
        self.since_logged += 1;
        let due = self
            .last_logged
            .is_none_or(|last| last.elapsed() >= ACCEPT_ERROR_LOG_INTERVAL);
        if due {
            tracing::warn!(%error, count = self.since_logged, "cannot accept connections (still serving the open ones)");
            self.last_logged = Some(Instant::now());
            self.since_logged = 0;
        }
    }
}
