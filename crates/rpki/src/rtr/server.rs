//! The RTR cache server: accepts routers on a TCP socket and runs one session task per router
//! (see `session.rs`), all served from one shared [`Cache`].
//!
//! Bounded per router: the read buffer by the maximum PDU length, writes by a timeout on each
//! 64 KiB piece (a router that stops reading is dropped, never buffered for), payload bytes
//! not at all (every session writes the same `Arc<[u8]>` the cache encoded once). The number
//! of routers is capped by [`ServerConfig::max_connections`]; beyond it a new connection is
//! closed at once, and a connection that sends no query within
//! [`ServerConfig::first_query_timeout`] is closed.

use super::pdu::{Intervals, Version, DEFAULT_MAX_PDU_LEN};
use super::session::{self, SessionEnd};
use super::state::Cache;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Settings of the server.
#[derive(Clone, Copy, Debug)]
pub struct ServerConfig {
    /// The highest protocol version spoken (routers proposing a higher one are told to
    /// downgrade). [`Version::V2`] by default.
    pub max_version: Version,
    /// The timing sent in version 1/2 End of Data PDUs (RFC 8210 defaults).
    pub intervals: Intervals,
    /// A write (of at most 64 KiB) that makes no progress for this long drops the router
    /// (30 s).
    pub write_timeout: Duration,
    /// The most routers served at once (10,000).
    pub max_connections: usize,
    /// A connection that sends no query for this long is closed (60 s): routers query as
    /// soon as they connect, and a silent connection would hold a slot for ever.
    pub first_query_timeout: Duration,
    /// The longest PDU accepted from a router ([`DEFAULT_MAX_PDU_LEN`]).
    pub max_pdu_len: u32,
    /// The least time between two Serial Notifies to one router: 60 s, as RFC 8210 section
    /// 8.2 requires ("no more frequently than one per minute"); shorter only for tests.
    pub notify_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_version: Version::V2,
            intervals: Intervals::default(),
            write_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            first_query_timeout: Duration::from_secs(60),
            max_pdu_len: DEFAULT_MAX_PDU_LEN,
            notify_interval: Duration::from_secs(60),
        }
    }
}

/// Counters of a running server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted and served.
    pub accepted: AtomicU64,
    /// Connections closed at once because `max_connections` were being served.
    pub refused: AtomicU64,
    /// Sessions open now.
    pub active: AtomicU64,
    /// Sessions ended by a fatal Error Report (sent or received).
    pub errors: AtomicU64,
    /// Sessions dropped because a write failed or stalled (a router that stopped reading).
    pub stalled: AtomicU64,
    /// Connections closed because no query came within the first-query timeout.
    pub idle: AtomicU64,
}

/// Serves routers on `listener` from `cache` until the returned future is dropped (which
/// closes every session) or accepting fails for good.
pub async fn serve(
    listener: TcpListener,
    cache: Arc<Cache>,
    config: ServerConfig,
    stats: Arc<ServerStats>,
) -> io::Result<()> {
    let config = Arc::new(config);
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((s, _)) => s,
                    // Out of file descriptors and the like: wait instead of spinning.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if sessions.len() >= config.max_connections {
                    stats.refused.fetch_add(1, Ordering::Relaxed);
                    drop(stream);
                    continue;
                }
                stats.accepted.fetch_add(1, Ordering::Relaxed);
                stats.active.fetch_add(1, Ordering::Relaxed);
                let (rx, cfg, stats) = (cache.subscribe(), config.clone(), stats.clone());
                sessions.spawn(async move {
                    let end = session::run(stream, rx, cfg).await;
                    stats.active.fetch_sub(1, Ordering::Relaxed);
                    match end {
                        SessionEnd::Error => stats.errors.fetch_add(1, Ordering::Relaxed),
                        SessionEnd::Io => stats.stalled.fetch_add(1, Ordering::Relaxed),
                        SessionEnd::Idle => stats.idle.fetch_add(1, Ordering::Relaxed),
                        SessionEnd::Closed | SessionEnd::Shutdown => 0,
                    };
                });
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// A server running on its own tokio runtime, for callers that are not async (the CLI,
/// tests). Dropping it stops the server and closes every session.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    cache: Arc<Cache>,
    stats: Arc<ServerStats>,
    runtime: Option<tokio::runtime::Runtime>,
    task: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// Binds `addr` (port 0: an ephemeral port) and starts serving `cache` on a runtime of
    /// `threads` worker threads.
    pub fn start(
        addr: SocketAddr,
        cache: Arc<Cache>,
        config: ServerConfig,
        threads: usize,
    ) -> io::Result<ServerHandle> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("rtr-server")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind(addr))?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(ServerStats::default());
        let task = runtime.spawn(serve(listener, cache.clone(), config, stats.clone()));
        Ok(ServerHandle {
            addr,
            cache,
            stats,
            runtime: Some(runtime),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The cache it serves; [`Cache::update`] on it notifies every router.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Blocks until the server fails (it does not end otherwise).
    pub fn wait(mut self) -> io::Result<()> {
        let (Some(rt), Some(task)) = (self.runtime.take(), self.task.take()) else {
            return Ok(());
        };
        match rt.block_on(task) {
            Ok(r) => r,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
