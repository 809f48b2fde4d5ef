//! The simulator: a deterministic Internet — AS topology, Gao–Rexford routing seen by route
//! collectors, registries (RPKI, IRR, RIR statistics, PeeringDB, Spoofer) and planted
//! incidents — written in the real formats, with a ground-truth file saying what each
//! incident is, who caused it and where it shows.
//!
//! It owns generation only: it reads nothing, and scoring the output is the observatory's
//! job. Everything derives from [`Config`] through a seeded generator ([`rng`]), and every
//! output is ordered (no hash-map iteration), so the same configuration gives byte-identical
//! files. The MRT records are built with `routenorms_mrt::write`.
//!
//! * [`topology`]: the AS graph, holders, address plan.
//! * [`routing`]: per-destination Gao–Rexford propagation.
//! * [`incidents`]: planting hijacks, leaks, bogons, invalids and outages.
//! * [`mrtout`]: collectors, RIB and update files.
//! * [`registry`]: RPKI, IRR, as-rel/ppdc, RIR statistics, PeeringDB, Spoofer.
//! * [`generate`]: all of it into a directory with `manifest.json` and `ground-truth.json`.

pub mod config;
pub mod incidents;
pub mod mrtout;
pub mod registry;
pub mod rng;
pub mod routing;
pub mod topology;

pub use config::{Config, IncidentKind, IncidentSpec, Scale, DEFAULT_INCIDENTS};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a simulation could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SimError {
    fn io(path: &Path, source: std::io::Error) -> SimError {
        SimError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Progress of a long stage, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYYMMDD` of a Unix time.
pub fn date_compact(ts: u32) -> String {
    let (y, m, d) = civil(ts as i64 / 86_400);
    format!("{y:04}{m:02}{d:02}")
}

/// `HHMM` of a Unix time.
pub fn hhmm(ts: u32) -> String {
    let s = ts % 86_400;
    format!("{:02}{:02}", s / 3600, s % 3600 / 60)
}

/// RFC 3339 UTC of a Unix time.
pub fn iso_time(ts: u32) -> String {
    let (y, m, d) = civil(ts as i64 / 86_400);
    let s = ts % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// One file of the output directory.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ManifestFile {
    pub path: String,
    pub kind: String,
    pub format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u32>,
    /// MRT entries (bgpdump lines), RPSL objects, VRPs, lines or records, by kind.
    pub count: u64,
    pub bytes: u64,
}

/// What `generate` wrote: the manifest (also written as `manifest.json`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Manifest {
    pub generator: &'static str,
    pub version: &'static str,
    pub seed: u64,
    pub config: serde_json::Value,
    pub counts: BTreeMap<&'static str, u64>,
    pub collectors: Vec<serde_json::Value>,
    pub files: Vec<ManifestFile>,
    pub ground_truth: &'static str,
    pub incidents: usize,
}

fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<u64, SimError> {
    let path = out.join(rel);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| SimError::io(d, e))?;
    }
    std::fs::write(&path, bytes).map_err(|e| SimError::io(&path, e))?;
    Ok(bytes.len() as u64)
}

/// Generates the whole simulated Internet into `out` (created if missing).
pub fn generate(
    cfg: &Config,
    out: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Manifest, SimError> {
    cfg.check()?;
    std::fs::create_dir_all(out).map_err(|e| SimError::io(out, e))?;
    let stage = |s: &'static str| {
        progress(Progress {
            stage: s,
            done: 0,
            total: 0,
        })
    };
    stage("topology");
    let topo = topology::build(cfg)?;
    let mut rpki = registry::rpki_plan(cfg, &topo);
    let feeds = mrtout::feeds(cfg, &topo);
    stage("incidents");
    let mut watchers: Vec<(u32, bool)> = feeds
        .sessions
        .iter()
        .map(|s| (feeds.targets[s.target], s.full))
        .collect();
    watchers.sort_unstable();
    watchers.dedup();
    let mut plan = incidents::plant(cfg, &topo, &mut rpki, &watchers)?;
    let mut files: Vec<ManifestFile> = Vec::new();
    for f in mrtout::write_all(cfg, &topo, &mut plan, &feeds, out, progress)? {
        let bytes = std::fs::metadata(out.join(&f.path))
            .map_err(|e| SimError::io(out, e))?
            .len();
        files.push(ManifestFile {
            path: f.path,
            kind: f.kind.into(),
            format: "mrt",
            compression: Some(f.compression),
            collector: Some(f.collector),
            timestamp: Some(f.timestamp),
            count: f.entries,
            bytes,
        });
    }
    stage("registries");
    let mut plain = |rel: String,
                     kind: &str,
                     format: &'static str,
                     bytes: &[u8],
                     count: u64|
     -> Result<(), SimError> {
        let b = write_file(out, &rel, bytes)?;
        files.push(ManifestFile {
            path: rel,
            kind: kind.into(),
            format,
            compression: None,
            collector: None,
            timestamp: None,
            count,
            bytes: b,
        });
        Ok(())
    };
    let mut vrps = Vec::new();
    let (nroas, naspas) =
        registry::write_vrps(&mut vrps, cfg, &rpki).map_err(|e| SimError::io(out, e))?;
    plain(
        "rpki/vrps.json".into(),
        "vrps",
        "rpki-client-json",
        &vrps,
        nroas + naspas,
    )?;
    drop(vrps);
    let (irr, irr_counts) = registry::irr(cfg, &topo);
    for (src, text) in &irr {
        let n = irr_counts
            .objects
            .get(&src.to_ascii_uppercase())
            .copied()
            .unwrap_or(0);
        plain(format!("irr/{src}.db"), "irr", "rpsl", text.as_bytes(), n)?;
    }
    let (asrel, n) = registry::as_rel(cfg, &topo);
    plain(
        format!("topology/{}.as-rel.txt", date_compact(cfg.start)),
        "as-rel",
        "caida-as-rel",
        asrel.as_bytes(),
        n,
    )?;
    let (ppdc, n) = registry::ppdc(&topo);
    plain(
        format!("topology/{}.ppdc-ases.txt", date_compact(cfg.start)),
        "ppdc-ases",
        "caida-ppdc",
        ppdc.as_bytes(),
        n,
    )?;
    for (reg, text, n) in registry::delegated(cfg, &topo) {
        plain(
            format!("rir/delegated-{reg}-extended-latest"),
            "rir-stats",
            "rir-delegated-extended",
            text.as_bytes(),
            n,
        )?;
    }
    for (name, v, n) in registry::peeringdb(cfg, &topo) {
        let text = serde_json::to_vec(&v).expect("JSON of plain values");
        plain(
            format!("peeringdb/{name}.json"),
            &format!("peeringdb-{name}"),
            "peeringdb-json",
            &text,
            n,
        )?;
    }
    let (sp, n, sav) = registry::spoofer(cfg, &topo);
    plain(
        "spoofer/sessions.json".into(),
        "spoofer",
        "spoofer-json",
        &serde_json::to_vec_pretty(&sp).expect("JSON"),
        n,
    )?;

    let stale: Vec<serde_json::Value> = rpki
        .roas
        .iter()
        .filter(|r| r.stale)
        .map(|r| serde_json::json!({"prefix": r.prefix, "asn": r.asn}))
        .collect();
    let truth = serde_json::json!({
        "seed": cfg.seed,
        "rib_before": cfg.start,
        "rib_after": cfg.start + 3600,
        "incidents": plan.incidents,
        "background": {
            "stale_roas": stale,
            "incomplete_aspas": rpki.incomplete_aspas,
            "irr": irr_counts,
            "sav_of_spoofer_tested_ases": sav.iter().map(|(a, s)| (a.to_string(), *s)).collect::<BTreeMap<String, bool>>(),
            "roles_configured_ases": topo.ases.iter().filter(|x| x.roles).count(),
        }
    });
    let truth_bytes = serde_json::to_vec_pretty(&truth).expect("JSON");
    plain(
        "ground-truth.json".into(),
        "ground-truth",
        "json",
        &truth_bytes,
        plan.incidents.len() as u64,
    )?;

    let mut counts = BTreeMap::new();
    counts.insert("ases", topo.ases.len() as u64);
    counts.insert("ixps", topo.ixps.len() as u64);
    counts.insert(
        "prefixes_v4",
        topo.ases.iter().map(|x| x.v4.len() as u64).sum(),
    );
    counts.insert(
        "prefixes_v6",
        topo.ases.iter().map(|x| x.v6.len() as u64).sum(),
    );
    counts.insert(
        "links_p2c",
        topo.ases.iter().map(|x| x.customers.len() as u64).sum(),
    );
    counts.insert(
        "links_p2p",
        topo.ases.iter().map(|x| x.peers.len() as u64).sum::<u64>() / 2,
    );
    counts.insert("collector_peers", feeds.targets.len() as u64);
    counts.insert("collector_sessions", feeds.sessions.len() as u64);
    counts.insert("roas", rpki.roas.len() as u64);
    counts.insert("aspas", rpki.aspas.len() as u64);
    let collectors = feeds
        .collectors
        .iter()
        .map(|c| {
            let peers: Vec<serde_json::Value> = c
                .sessions
                .iter()
                .map(|&i| {
                    let s = &feeds.sessions[i];
                    let addr = match s.addr {
                        routenorms_mrt::Addr::V4(a) => std::net::IpAddr::from(a).to_string(),
                        routenorms_mrt::Addr::V6(a) => std::net::IpAddr::from(a).to_string(),
                    };
                    serde_json::json!({"peer_index": s.peer_index, "asn": s.asn, "address": addr, "full_feed": s.full})
                })
                .collect();
            serde_json::json!({"name": c.name, "local_asn": c.local_asn, "sessions": peers})
        })
        .collect();
    let manifest = Manifest {
        generator: "routenorms-sim",
        version: env!("CARGO_PKG_VERSION"),
        seed: cfg.seed,
        config: serde_json::json!({
            "ases": cfg.ases, "prefixes_v4": cfg.prefixes_v4, "prefixes_v6": cfg.prefixes_v6,
            "collectors": cfg.collectors, "peers": cfg.peers, "full_feed_share": cfg.full_feed_share,
            "incidents": cfg.incidents.counts.iter().map(|(k, v)| (k.name(), *v)).collect::<BTreeMap<String, usize>>(),
            "start": cfg.start, "bzip2": cfg.bzip2,
        }),
        counts,
        collectors,
        files,
        ground_truth: "ground-truth.json",
        incidents: plan.incidents.len(),
    };
    let m = serde_json::to_vec_pretty(&manifest).expect("JSON");
    write_file(out, "manifest.json", &m)?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_in_utc() {
        assert_eq!(date_compact(1_704_067_200), "20240101");
        assert_eq!(iso_time(1_704_067_200 + 3661), "2024-01-01T01:01:01Z");
        assert_eq!(hhmm(1_704_067_200 + 3600), "0100");
        assert_eq!(date_compact(951_782_400), "20000229");
    }
}
