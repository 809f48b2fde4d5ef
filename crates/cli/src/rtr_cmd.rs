//! `routenorms rtr serve` (an RTR cache serving payload files to routers) and
//! `routenorms rtr dump` (fetch a cache's set as a router does, and print it).

use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use routenorms_rpki::rtr::{
    Cache, CacheConfig, Client, FileSource, Intervals, ServerConfig, ServerHandle, Version,
    WatchEvent, DEFAULT_WINDOW,
};
use routenorms_rpki::{Aspa, Vrp};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum RtrCommand {
    /// Serve a VRP (and ASPA) set to routers over RTR, versions 0, 1 and 2, until killed.
    ///
    /// The files are polled for changes (size, modification time, then a hash of the
    /// contents); a changed set gets the next serial, connected routers a Serial Notify, and
    /// Serial Queries from the last --window serials an incremental update (older ones a Cache
    /// Reset). A file that stops loading leaves the served set as it was. Replace files
    /// atomically (write elsewhere, then rename). The listening address is printed on stderr,
    /// so `--listen 127.0.0.1:0` picks a free port.
    Serve(ServeArgs),
    /// Connect to an RTR cache as a router, fetch the whole set (Reset Query), print it.
    ///
    /// csv prints `asn,prefix,max_length` rows (the plain CSV every routenorms command loads;
    /// ASPAs are not in it: use json or jsonl); json one document with the session, serial,
    /// VRPs and ASPAs; jsonl one object per VRP and ASPA; table aligned text.
    Dump(DumpArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// VRP file: any format `rov` reads (gzip ok); ASPAs in it (rpki-client JSON) are served
    /// too.
    #[arg(long, value_name = "FILE")]
    vrps: PathBuf,
    /// A payload file whose ASPAs are served to version 2 routers (e.g. rpki-client JSON).
    #[arg(long, value_name = "FILE")]
    aspa: Option<PathBuf>,
    /// SLURM file (RFC 8416) applied to the VRPs.
    #[arg(long, value_name = "FILE")]
    slurm: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:3323 or [::]:3323.
    #[arg(long, value_name = "ADDR")]
    listen: SocketAddr,
    /// Seconds between checks of the files for changes.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    refresh: f64,
    /// How many older serials get incremental updates.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WINDOW)]
    window: usize,
    /// The highest protocol version spoken (0, 1 or 2); routers proposing a higher one get
    /// "Unsupported Protocol Version" and retry lower.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    max_version: u8,
    /// Refresh interval sent to version 1/2 routers in End of Data (seconds).
    #[arg(long, value_name = "SECS", default_value_t = Intervals::default().refresh)]
    router_refresh: u32,
    /// Retry interval sent to version 1/2 routers (seconds).
    #[arg(long, value_name = "SECS", default_value_t = Intervals::default().retry)]
    router_retry: u32,
    /// Expire interval sent to version 1/2 routers (seconds).
    #[arg(long, value_name = "SECS", default_value_t = Intervals::default().expire)]
    router_expire: u32,
    /// A router that takes no data for this many seconds while being sent some is dropped.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    write_timeout: u64,
    /// The most routers served at once; further connections are closed at once.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_connections: usize,
    /// A connection that sends no query for this many seconds is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    first_query_timeout: u64,
    /// The least time between two Serial Notifies to one router, in seconds (RFC 8210
    /// section 8.2 requires at least 60; changes within it are notified once, afterwards).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    notify_interval: f64,
    /// Worker threads for the sockets (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The cache's address, e.g. 127.0.0.1:3323 or rtr.example.net:323.
    addr: String,
    /// The protocol version to propose (the cache may downgrade it).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    version: u8,
    /// Seconds to wait for the cache before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

fn version(n: u8) -> Version {
    Version::from_u8(n).unwrap_or(Version::LATEST)
}

pub fn run(cmd: RtrCommand) -> Result<Outcome> {
    match cmd {
        RtrCommand::Serve(a) => serve(a),
        RtrCommand::Dump(a) => dump(a),
    }
}

fn report_rejected(loaded: &routenorms_rpki::rtr::Loaded) {
    for (path, r) in loaded.rejected.iter().take(20) {
        eprintln!(
            "routenorms: {}: {}: rejected, {} ({})",
            path.display(),
            r.position,
            r.reason.as_str(),
            r.text
        );
    }
    if loaded.rejected.len() > 20 {
        eprintln!(
            "routenorms: {} rejected entries in all",
            loaded.rejected.len()
        );
    }
}

fn serve(a: ServeArgs) -> Result<Outcome> {
    if !(a.refresh.is_finite() && a.refresh > 0.0) {
        bail!("--refresh must be a positive number of seconds");
    }
    if !(a.notify_interval.is_finite() && a.notify_interval >= 0.0) {
        bail!("--notify-interval must be a number of seconds");
    }
    // RFC 8210 section 6: the ranges, and Expire above both Refresh and Retry.
    if !(1..=86_400).contains(&a.router_refresh)
        || !(1..=7_200).contains(&a.router_retry)
        || !(600..=172_800).contains(&a.router_expire)
        || a.router_expire <= a.router_refresh.max(a.router_retry)
    {
        bail!(
            "RFC 8210 section 6 needs --router-refresh 1..=86400, --router-retry 1..=7200, \
             --router-expire 600..=172800 and above both"
        );
    }
    let source = FileSource {
        vrps: a.vrps.clone(),
        aspa: a.aspa.clone(),
        slurm: a.slurm.clone(),
    };
    let (loaded, fingerprint) = source
        .load_initial()
        .with_context(|| format!("cannot load {}", a.vrps.display()))?;
    report_rejected(&loaded);
    let (nv, na) = (loaded.payload.vrps().len(), loaded.payload.aspas().len());
    let cache = Arc::new(Cache::new(
        loaded.payload,
        CacheConfig {
            window: a.window,
            ..CacheConfig::default()
        },
    ));
    let config = ServerConfig {
        max_version: version(a.max_version),
        intervals: Intervals {
            refresh: a.router_refresh,
            retry: a.router_retry,
            expire: a.router_expire,
        },
        write_timeout: Duration::from_secs(a.write_timeout.max(1)),
        max_connections: a.max_connections,
        first_query_timeout: Duration::from_secs(a.first_query_timeout.max(1)),
        notify_interval: Duration::from_secs_f64(a.notify_interval),
        ..ServerConfig::default()
    };
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let server = ServerHandle::start(a.listen, cache.clone(), config, threads)
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let st = cache.current();
    eprintln!(
        "routenorms: serving {nv} VRPs and {na} ASPAs, session {}, serial {}, RTR versions 0..={}",
        st.session_id(),
        st.serial(),
        a.max_version
    );
    eprintln!("routenorms: listening on {}", server.local_addr());
    let _watcher = source
        .watch(
            cache,
            Duration::from_secs_f64(a.refresh),
            fingerprint,
            |ev| match ev {
                WatchEvent::Updated(s, loaded) => {
                    report_rejected(&loaded);
                    eprintln!(
                        "routenorms: serial {}: {} VRPs announced, {} withdrawn, {} ASPAs changed ({} VRPs, {} ASPAs)",
                        s.serial, s.vrps_announced, s.vrps_withdrawn, s.aspa_changes, s.vrps, s.aspas
                    );
                }
                WatchEvent::Unchanged => {
                    eprintln!("routenorms: files changed, payload the same: no new serial")
                }
                WatchEvent::Failed(e) => {
                    eprintln!("routenorms: reload failed, still serving the previous set: {e}")
                }
            },
        )
        .context("cannot start the file watcher")?;
    server.wait().context("RTR server failed")?;
    Ok(Outcome::Clean)
}

#[derive(serde::Serialize)]
struct DumpDoc<'a> {
    version: u8,
    session_id: Option<u16>,
    serial: Option<u32>,
    vrps: Vec<&'a Vrp>,
    aspas: Vec<Aspa>,
}

fn dump(a: DumpArgs) -> Result<Outcome> {
    let client = Client::fetch(
        a.addr.as_str(),
        version(a.version),
        Duration::from_secs(a.timeout.max(1)),
    )
    .with_context(|| format!("RTR fetch from {}", a.addr))?;
    let vrps: Vec<&Vrp> = client.vrps().collect();
    let aspas = client.aspas();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match a.format {
        OutputFormat::Csv => {
            writeln!(out, "asn,prefix,max_length")?;
            for v in &vrps {
                writeln!(out, "AS{},{},{}", v.asn, v.prefix, v.max_len)?;
            }
        }
        OutputFormat::Json => {
            let doc = DumpDoc {
                version: client.version().get(),
                session_id: client.session_id(),
                serial: client.serial(),
                vrps: vrps.clone(),
                aspas: aspas.clone(),
            };
            // As an io::Error, so a closed pipe (`| head`) is recognised as one.
            serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for v in &vrps {
                serde_json::to_writer(&mut out, v).map_err(io::Error::from)?;
                writeln!(out)?;
            }
            for x in &aspas {
                serde_json::to_writer(&mut out, x).map_err(io::Error::from)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Table => {
            writeln!(out, "{:<44} {:>7} {:>10}", "prefix", "max_len", "asn")?;
            for v in &vrps {
                writeln!(
                    out,
                    "{:<44} {:>7} {:>10}",
                    v.prefix.to_string(),
                    v.max_len,
                    v.asn
                )?;
            }
            for x in &aspas {
                let p: Vec<String> = x.providers.iter().map(|p| p.to_string()).collect();
                writeln!(
                    out,
                    "aspa customer {} providers {}",
                    x.customer,
                    p.join(" ")
                )?;
            }
        }
    }
    out.flush()?;
    eprintln!(
        "routenorms: {} VRPs and {} ASPAs from {} (RTR version {}, session {}, serial {})",
        vrps.len(),
        aspas.len(),
        a.addr,
        client.version(),
        client.session_id().map_or("-".into(), |s| s.to_string()),
        client.serial().map_or("-".into(), |s| s.to_string())
    );
    if a.format == OutputFormat::Csv && !aspas.is_empty() {
        eprintln!("routenorms: the ASPAs are not in CSV output; use --format json or jsonl");
    }
    Ok(Outcome::Clean)
}
