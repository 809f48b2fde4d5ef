//! RTR server load test (issue 3). Not a timed test: it starts a cache server in-process on
//! loopback, connects many routers at once, checks that every one receives the full set, then
//! updates the set and checks that every one gets the Serial Notify and the one-VRP delta,
//! closes everything, and prints the figures. Exits 1 if any router did not get exactly what
//! was served.
//!
//! Run: `cargo bench -p routenorms-rpki --bench rtr_load [-- SESSIONS [VRP_FILE]]`
//! (defaults: 1,000 sessions, the DN42 export of 2021-05-31 from the shared data, else 3,000
//! synthetic VRPs). The server runs on 2 worker threads, the routers on 2 others; routers are
//! async tasks that decode every PDU and keep only counters and a checksum, so the process's
//! peak memory (`VmHWM` from /proc/self/status) is essentially the server's: the figure is
//! printed together with the resident size before any router connected.

use routenorms_rpki::rtr::{
    Cache, CacheConfig, FileSource, Pdu, RtrPayload, ServerConfig, ServerHandle, Version,
};
use routenorms_rpki::Vrp;
use routenorms_testsupport::data_dir;
use routenorms_types::Asn;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// What one router saw.
#[derive(Default)]
struct Seen {
    prefixes: usize,
    checksum: u64,
    delta: usize,
}

/// A hash of the payload PDUs' bytes, independent of their order.
fn pdu_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

struct Conn {
    s: TcpStream,
    /// Bytes received; `buf[pos..]` not yet decoded.
    buf: Vec<u8>,
    pos: usize,
}

impl Conn {
    /// The next PDU and a hash of its bytes.
    async fn next(&mut self) -> std::io::Result<(Pdu, u64)> {
        loop {
            let rest = &self.buf[self.pos..];
            if let Some((pdu, n)) = Pdu::decode(rest).map_err(std::io::Error::other)? {
                let h = pdu_hash(&rest[..n]);
                self.pos += n;
                return Ok((pdu, h));
            }
            self.buf.drain(..self.pos);
            self.pos = 0;
            let mut chunk = [0u8; 16384];
            let n = self.s.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads one response up to End of Data: (prefix PDUs, checksum, serial).
    async fn response(&mut self) -> std::io::Result<(usize, u64, u32)> {
        let (first, _) = self.next().await?;
        if !matches!(first, Pdu::CacheResponse { .. }) {
            return Err(std::io::Error::other(format!(
                "expected Cache Response: {first:?}"
            )));
        }
        let (mut n, mut sum) = (0, 0u64);
        loop {
            let (pdu, h) = self.next().await?;
            match pdu {
                Pdu::Ipv4Prefix { .. } | Pdu::Ipv6Prefix { .. } => {
                    n += 1;
                    sum = sum.wrapping_add(h);
                }
                Pdu::EndOfData { serial, .. } => return Ok((n, sum, serial)),
                other => return Err(std::io::Error::other(format!("unexpected {other:?}"))),
            }
        }
    }
}

/// One router: full set, then (after all routers have theirs) the notify and the delta.
async fn router(addr: SocketAddr, all_synced: Arc<Barrier>) -> std::io::Result<Seen> {
    let s = TcpStream::connect(addr).await?;
    let mut c = Conn {
        s,
        buf: Vec::new(),
        pos: 0,
    };
    let v = Version::V1;
    c.s.write_all(&Pdu::ResetQuery { version: v }.to_bytes())
        .await?;
    let (prefixes, checksum, serial) = c.response().await?;
    all_synced.wait().await;
    let (pdu, _) = c.next().await?;
    let Pdu::SerialNotify { session_id, .. } = pdu else {
        return Err(std::io::Error::other(format!(
            "expected Serial Notify: {pdu:?}"
        )));
    };
    c.s.write_all(
        &Pdu::SerialQuery {
            version: v,
            session_id,
            serial,
        }
        .to_bytes(),
    )
    .await?;
    let (delta, _, _) = c.response().await?;
    Ok(Seen {
        prefixes,
        checksum,
        delta,
    })
}

fn payload(file: Option<PathBuf>) -> (RtrPayload, String) {
    let file = file.or_else(|| data_dir().map(|d| d.join("rpki/dn42-export-20210531.json")));
    if let Some(f) = file {
        let loaded = FileSource {
            vrps: f.clone(),
            aspa: None,
            slurm: None,
        }
        .load()
        .expect("load the VRP file");
        return (loaded.payload, f.display().to_string());
    }
    let vrps: Vec<Vrp> = (0..3000u32)
        .map(|i| {
            Vrp::new(
                format!("10.{}.{}.0/24", i / 256, i % 256).parse().unwrap(),
                24,
                Asn(64512 + i),
            )
            .unwrap()
        })
        .collect();
    (RtrPayload::new(vrps, []), "3,000 synthetic VRPs".into())
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let sessions: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let file = args.next().map(PathBuf::from);
    if let Some(limit) = open_files_limit() {
        if limit < 2 * sessions as u64 + 64 {
            println!("SKIP: open files limit {limit} is below 2 x {sessions} sessions (ulimit -n)");
            return;
        }
    }
    let (payload, what) = payload(file);
    let expected_prefixes = payload.vrps().len();
    let full = payload.encode(Version::V1);
    let expected_sum = {
        let mut rest = &full[..];
        let mut sum = 0u64;
        while let Some((_, n)) = Pdu::decode(rest).unwrap() {
            sum = sum.wrapping_add(pdu_hash(&rest[..n]));
            rest = &rest[n..];
        }
        sum
    };
    let cache = Arc::new(Cache::new(payload.clone(), CacheConfig::default()));
    let server = ServerHandle::start(
        "127.0.0.1:0".parse().unwrap(),
        cache.clone(),
        ServerConfig::default(),
        2,
    )
    .expect("start the server");
    let addr = server.local_addr();
    let rss_before = status_kib("VmRSS:");

    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let all_synced = Arc::new(Barrier::new(sessions + 1));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..sessions)
        .map(|_| clients.spawn(router(addr, all_synced.clone())))
        .collect();
    clients.block_on(all_synced.wait());
    let t_full = t0.elapsed();
    let active = server.stats().active.load(Ordering::Relaxed);
    // One VRP more: every router gets a notify and a one-PDU delta.
    let mut vrps = payload.vrps().to_vec();
    vrps.push(Vrp::new("198.18.0.0/15".parse().unwrap(), 15, Asn(64496)).unwrap());
    let t1 = Instant::now();
    cache.update(RtrPayload::new(vrps, payload.aspas().to_vec()));
    let results: Vec<_> = clients.block_on(async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await);
        }
        out
    });
    let t_delta = t1.elapsed();
    let peak = status_kib("VmHWM:");

    let mut ok = 0;
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(Ok(s))
                if s.prefixes == expected_prefixes
                    && s.checksum == expected_sum
                    && s.delta == 1 =>
            {
                ok += 1
            }
            Ok(Ok(s)) => failures.push(format!(
                "got {} prefixes (checksum ok: {}), delta {}",
                s.prefixes,
                s.checksum == expected_sum,
                s.delta
            )),
            Ok(Err(e)) => failures.push(e.to_string()),
            Err(e) => failures.push(e.to_string()),
        }
    }
    drop(clients);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.stats().active.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("rtr_load: {sessions} concurrent sessions on {addr}, payload {what}");
    println!(
        "  set: {expected_prefixes} VRPs, {} bytes of prefix PDUs (version 1) per router",
        full.len()
    );
    println!(
        "  all {sessions} routers connected and holding the full set: {:.3} s ({} sessions open at once)",
        t_full.as_secs_f64(),
        active
    );
    println!(
        "  update -> every router notified and its Serial Query answered: {:.3} s",
        t_delta.as_secs_f64()
    );
    println!(
        "  memory: {:.1} MiB resident before the routers connected, peak {:.1} MiB (VmHWM, server and client tasks together)",
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!(
        "  sessions still open after the routers left: {}",
        server.stats().active.load(Ordering::Relaxed)
    );
    println!("  routers with exactly the served set and delta: {ok}/{sessions}");
    for f in failures.iter().take(5) {
        println!("  failure: {f}");
    }
    if ok != sessions {
        std::process::exit(1);
    }
}
