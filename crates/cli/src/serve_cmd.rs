//! `routenorms serve`: the read-only HTTP API (`routenorms_server`) over a store, on a
//! tokio runtime, until Ctrl-C or SIGTERM.

use crate::rpki_cmd::load_payload;
use crate::Outcome;
use anyhow::{Context, Result};
use clap::Args;
use routenorms_rpki::VrpSet;
use routenorms_server::AppState;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The store `routenorms observe` wrote: a SQLite file or clickhouse://HOST:PORT/DATABASE.
    #[arg(long, value_name = "PATH", required = true)]
    pub(crate) store: String,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// VRPs for /api/v1/validity (without them that endpoint answers 503 `no_vrps`).
    #[arg(long, value_name = "FILE")]
    pub(crate) vrps: Option<PathBuf>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
}

pub fn run(a: ServeArgs) -> Result<Outcome> {
    let vrps = a
        .vrps
        .as_deref()
        .map(|p| load_payload(p, None).map(|p| VrpSet::new(p.vrps)))
        .transpose()?;
    let state = AppState::new(&a.store, vrps)?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("--listen {}: cannot bind", a.listen))?;
        let addr = listener.local_addr()?;
        eprintln!("routenorms: serving {} on http://{addr}/api/v1/", a.store);
        routenorms_server::serve(listener, state, shutdown_signal()).await?;
        eprintln!("routenorms: stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Clean)
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
