//! `routenorms observe`: load every input (in parallel), run the observation
//! (`routenorms_observe::observation`) and write it to the store, one period in one
//! transaction. `routenorms demo` does the same on a simulated Internet.

use crate::rpki_cmd::load_payload;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use routenorms_irr::check::{check, load_rir_stats};
use routenorms_irr::index::{IrrDb, View, RIR_SOURCES};
use routenorms_irr::load::LoadOptions;
use routenorms_observe::bogons::{BogonList, Bogons, Delegations};
use routenorms_observe::checks::Oracles;
use routenorms_observe::contacts::Contacts;
use routenorms_observe::incidents::{first_record_time, FilesAhead, Incident};
use routenorms_observe::irr::{IrrOracle, IrrState};
use routenorms_observe::metrics::{incident_evidence, AsnCard, MetricsConfig, DEFAULT_MIN_PEERS};
use routenorms_observe::observation::{
    observe, utc_time, InputInfo, Observation, RunInputs, Stage,
};
use routenorms_observe::spoofer::SpooferResults;
use routenorms_rpki::{AspaSet, VrpSet};
use routenorms_store::{CardRow, IncidentRow, PeriodData, RollupRow, RouteRow, Store};
use routenorms_topology::{AsRelationships, CustomerCones};
use routenorms_types::{Asn, Prefix};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// How many events of one incident the store keeps in its document.
const STORED_EVENTS: usize = 100;

#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// MRT RIB dumps (TABLE_DUMP_V2 or TABLE_DUMP; gzip/bzip2 read directly). Several
    /// collectors' RIBs of the same time form one snapshot; a later one lets incidents be
    /// found between snapshots.
    #[arg(long = "mrt", value_name = "FILE", num_args = 1.., required = true)]
    pub mrt: Vec<PathBuf>,
    /// MRT update files (BGP4MP) for incident detection.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub updates: Vec<PathBuf>,
    /// Validated ROA payloads (rpki-client/Routinator/StayRTR JSON or CSV).
    #[arg(long, value_name = "FILE", required = true)]
    pub vrps: PathBuf,
    /// ASPA objects (a payload file with ASPAs). Without it, the ASPAs of the --vrps file
    /// are used when it has any.
    #[arg(long, value_name = "FILE")]
    pub aspa: Option<PathBuf>,
    /// IRR data: RPSL dumps (gzip read directly).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub irr: Vec<PathBuf>,
    /// CAIDA AS relationships (serial-1 or serial-2 as-rel): route leaks and hijack
    /// down-ranking need them ("no data" without).
    #[arg(long, value_name = "FILE")]
    pub asrel: Option<PathBuf>,
    /// CAIDA customer cones (ppdc-ases): each report card then gives its cone size.
    #[arg(long, value_name = "FILE")]
    pub cones: Option<PathBuf>,
    /// RIR delegated(-extended) statistics files: unallocated space and ASNs become bogons,
    /// and every ASN gets its country and RIR region.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub rir: Vec<PathBuf>,
    /// Full-bogon lists (Team Cymru fullbogons-ipv4/ipv6): prefixes added to the bogons.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub bogons: Vec<PathBuf>,
    /// PeeringDB API pages (net, poc, org; others are read and ignored) for M6.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub peeringdb: Vec<PathBuf>,
    /// CAIDA Spoofer session results (CSV or the Spoofer API's JSON) for M5.
    #[arg(long, value_name = "FILE")]
    pub spoofer: Option<PathBuf>,
    /// The period the data stands for, YYYY-MM (default: the month of the first MRT record).
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<String>,
    /// Score only ASNs whose routes this many distinct peer ASNs saw.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_PEERS)]
    pub min_peers: u32,
    /// Where to store the results: a SQLite file (created when missing) or
    /// clickhouse://HOST:PORT/DATABASE.
    #[arg(long, value_name = "PATH", required = true)]
    pub store: String,
    /// Store this run as one shard of the period (ClickHouse only): several `observe
    /// --shard` runs over different slices of the routing data, then `routenorms merge`.
    #[arg(long, value_name = "NAME")]
    pub shard: Option<String>,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Never draw progress bars (they are drawn only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// The IRR index seen through the observatory's IRR seam.
struct IrrAdapter<'a> {
    view: View<'a>,
}

impl IrrOracle for IrrAdapter<'_> {
    fn status(&self, prefix: Prefix, origin: Option<Asn>) -> Option<IrrState> {
        origin?;
        let c = check(&self.view, None, prefix, origin);
        Some(IrrState {
            status: c.status.as_str(),
            registered: c.status.is_registered(),
        })
    }
}

/// Everything loaded before the run.
struct Loaded {
    vrps: VrpSet,
    aspa: Option<AspaSet>,
    irr: IrrDb,
    rels: Option<AsRelationships>,
    cones: Option<CustomerCones>,
    delegations: Option<Delegations>,
    bogon_list: Option<BogonList>,
    contacts: Contacts,
    spoofer: Option<SpooferResults>,
    inputs: Vec<InputInfo>,
    damaged: bool,
}

fn info(kind: &str, path: &Path, date: Option<String>, records: u64, damaged: u64) -> InputInfo {
    let (date, note) = match date {
        Some(d) => (Some(d), None),
        None => match date_from_name(path) {
            Some(d) => (Some(d), Some("date from the file name".to_string())),
            None => (
                file_mtime(path),
                Some("the file states no date: file modification time".to_string()),
            ),
        },
    };
    InputInfo {
        kind: kind.to_string(),
        path: path.display().to_string(),
        date,
        records,
        damaged,
        note,
    }
}

/// A `YYYYMMDD` date in a file name (CAIDA, RIR and RIS names carry one).
fn date_from_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.as_bytes();
    name.windows(8).find_map(|w| {
        if !w.iter().all(u8::is_ascii_digit) || !(w.starts_with(b"19") || w.starts_with(b"20")) {
            return None;
        }
        let s = std::str::from_utf8(w).ok()?;
        let (m, d): (u32, u32) = (s[4..6].parse().ok()?, s[6..8].parse().ok()?);
        ((1..=12).contains(&m) && (1..=31).contains(&d))
            .then(|| format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..8]))
    })
}

fn file_mtime(path: &Path) -> Option<String> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(utc_time(u32::try_from(secs).ok()?)[..10].to_string())
}

fn yyyymmdd(s: &str) -> String {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..8])
    } else {
        s.to_string()
    }
}

/// Team Cymru's `# last updated 1710089701 (Sun Mar 10 …)` line: the Unix time as UTC.
fn list_date(updated: &str) -> String {
    let digits: String = updated
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.parse::<u32>() {
        Ok(t) if digits.len() >= 9 => utc_time(t),
        _ => updated.trim().to_string(),
    }
}

/// Every input must exist and be a readable file before hours of work start.
fn check_files(a: &ObserveArgs) -> Result<()> {
    let all = a
        .mrt
        .iter()
        .map(|p| ("--mrt", p))
        .chain(a.updates.iter().map(|p| ("--updates", p)))
        .chain(std::iter::once(("--vrps", &a.vrps)))
        .chain(a.aspa.iter().map(|p| ("--aspa", p)))
        .chain(a.irr.iter().map(|p| ("--irr", p)))
        .chain(a.asrel.iter().map(|p| ("--asrel", p)))
        .chain(a.cones.iter().map(|p| ("--cones", p)))
        .chain(a.rir.iter().map(|p| ("--rir", p)))
        .chain(a.bogons.iter().map(|p| ("--bogons", p)))
        .chain(a.peeringdb.iter().map(|p| ("--peeringdb", p)))
        .chain(a.spoofer.iter().map(|p| ("--spoofer", p)));
    for (flag, p) in all {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {}
            Ok(_) => bail!("{flag} {}: not a file", p.display()),
            Err(e) => bail!("{flag} {}: {e}", p.display()),
        }
    }
    if let Some(p) = &a.period {
        let b = p.as_bytes();
        let ok = b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
            && (1..=12).contains(&p[5..].parse::<u32>().unwrap_or(0));
        if !ok {
            bail!("--period {p}: expected YYYY-MM, e.g. 2026-11");
        }
    }
    Ok(())
}

fn load_all(a: &ObserveArgs, threads: usize) -> Result<Loaded> {
    type R<T> = Result<T>;
    std::thread::scope(|s| -> Result<Loaded> {
        let vrps = s.spawn(|| -> R<_> {
            let p = load_payload(&a.vrps, None)?;
            let i = info(
                "vrps",
                &a.vrps,
                p.metadata
                    .generated
                    .and_then(|g| u32::try_from(g).ok())
                    .map(utc_time),
                p.vrps.len() as u64,
                p.rejected.len() as u64,
            );
            // The index is built here, beside the other loaders.
            let set = VrpSet::new(p.vrps);
            Ok((set, p.aspas, i))
        });
        let aspa = s.spawn(|| -> R<_> {
            a.aspa
                .as_ref()
                .map(|path| {
                    let p = load_payload(path, None)?;
                    if p.aspas.is_empty() {
                        bail!("--aspa {}: the file holds no ASPA objects", path.display());
                    }
                    let i = info(
                        "aspa",
                        path,
                        p.metadata
                            .generated
                            .and_then(|g| u32::try_from(g).ok())
                            .map(utc_time),
                        p.aspas.len() as u64,
                        p.rejected.len() as u64,
                    );
                    Ok((AspaSet::new(&p.aspas), i))
                })
                .transpose()
        });
        let irr = s.spawn(|| -> R<_> {
            let mut db = IrrDb::new();
            let opts = LoadOptions {
                threads,
                ..LoadOptions::default()
            };
            let mut infos = Vec::new();
            for f in &a.irr {
                let r = db
                    .load_path(f, &opts)
                    .with_context(|| format!("--irr {}: cannot read", f.display()))?;
                if r.objects == 0 {
                    bail!("--irr {}: no RPSL objects in the file", f.display());
                }
                for i in r.issues.iter().take(5) {
                    eprintln!(
                        "routenorms: {}:{}: {}; skipped",
                        f.display(),
                        i.line,
                        i.reason
                    );
                }
                infos.push(info("irr", f, None, r.objects, r.damaged));
            }
            for f in &a.rir {
                let r = routenorms_irr::input::open(f)
                    .with_context(|| format!("--rir {}: cannot open", f.display()))?;
                for h in load_rir_stats(r).with_context(|| format!("--rir {}", f.display()))? {
                    db.add_holder(h);
                }
            }
            db.finish_with_authoritative(&RIR_SOURCES);
            Ok((db, infos))
        });
        let rels = s.spawn(|| -> R<_> {
            a.asrel
                .as_ref()
                .map(|p| {
                    let l = AsRelationships::read_file(p)
                        .with_context(|| format!("--asrel {}: cannot read", p.display()))?;
                    if l.relationships.link_count() == 0 {
                        bail!(
                            "--asrel {}: no AS relationship lines (a|b|-1 or a|b|0)",
                            p.display()
                        );
                    }
                    let n = l.relationships.link_count() as u64;
                    Ok((
                        l.relationships,
                        info("asrel", p, None, n, l.errors.len() as u64),
                    ))
                })
                .transpose()
        });
        let cones = s.spawn(|| -> R<_> {
            a.cones
                .as_ref()
                .map(|p| {
                    let l = CustomerCones::read_file(p)
                        .with_context(|| format!("--cones {}: cannot read", p.display()))?;
                    if l.cones.is_empty() {
                        bail!("--cones {}: no customer cone lines", p.display());
                    }
                    let n = l.cones.len() as u64;
                    Ok((l.cones, info("cones", p, None, n, l.errors.len() as u64)))
                })
                .transpose()
        });
        let delegations = s.spawn(|| -> R<_> {
            if a.rir.is_empty() {
                return Ok(None);
            }
            let refs: Vec<&Path> = a.rir.iter().map(PathBuf::as_path).collect();
            let (d, files) = Delegations::read_files(&refs).context("--rir: cannot read")?;
            let mut infos = Vec::new();
            for (p, (f, stats)) in a.rir.iter().zip(files.iter().zip(d.inputs())) {
                for e in f.errors.iter().take(5) {
                    eprintln!("routenorms: {}: {e}; skipped", p.display());
                }
                if stats.records == 0 {
                    bail!(
                        "--rir {}: no delegation records (registry|cc|type|start|value|date|status)",
                        p.display()
                    );
                }
                infos.push(info(
                    "rir",
                    p,
                    f.date.as_deref().map(yyyymmdd),
                    stats.records as u64,
                    f.errors.len() as u64,
                ));
            }
            Ok(Some((d, infos)))
        });
        let bogons = s.spawn(|| -> R<_> {
            if a.bogons.is_empty() {
                return Ok(None);
            }
            let mut all = BogonList {
                prefixes: Vec::new(),
                errors: Vec::new(),
                updated: None,
            };
            let mut infos = Vec::new();
            for p in &a.bogons {
                let l = BogonList::read_file(p)
                    .with_context(|| format!("--bogons {}: cannot read", p.display()))?;
                if l.prefixes.is_empty() {
                    bail!("--bogons {}: no prefixes in the list", p.display());
                }
                infos.push(info(
                    "bogons",
                    p,
                    l.updated.as_deref().map(list_date),
                    l.prefixes.len() as u64,
                    l.errors.len() as u64,
                ));
                all.prefixes.extend(l.prefixes);
                all.errors.extend(l.errors);
            }
            Ok(Some((all, infos)))
        });
        let contacts = s.spawn(|| -> R<_> {
            let mut c = Contacts::new();
            let mut infos = Vec::new();
            for p in &a.peeringdb {
                let before = c.latest_update.take();
                let n = c.add_peeringdb_file(p).with_context(|| {
                    format!("--peeringdb {}: not a PeeringDB API page", p.display())
                })?;
                let date = c.latest_update.clone();
                c.latest_update = match (before, date.clone()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                infos.push(info("peeringdb", p, date, n as u64, 0));
            }
            Ok((c, infos))
        });
        let spoofer = s.spawn(|| -> R<_> {
            a.spoofer
                .as_ref()
                .map(|p| {
                    let r = SpooferResults::read_file(p)
                        .with_context(|| format!("--spoofer {}", p.display()))?;
                    for e in r.errors.iter().take(5) {
                        eprintln!("routenorms: {}: {e}; skipped", p.display());
                    }
                    let i = info(
                        "spoofer",
                        p,
                        r.latest.clone(),
                        r.sessions,
                        r.errors.len() as u64,
                    );
                    Ok((r, i))
                })
                .transpose()
        });
        let join = |e: Box<dyn std::any::Any + Send>| -> anyhow::Error {
            anyhow::anyhow!("a loader failed: {e:?}")
        };
        let (vrps, payload_aspas, vrps_info) = vrps.join().map_err(join)??;
        let aspa = aspa.join().map_err(join)??;
        let (irr, irr_infos) = irr.join().map_err(join)??;
        let rels = rels.join().map_err(join)??;
        let cones = cones.join().map_err(join)??;
        let delegations = delegations.join().map_err(join)??;
        let bogons = bogons.join().map_err(join)??;
        let (mut contacts, pdb_infos) = contacts.join().map_err(join)??;
        let spoofer = spoofer.join().map_err(join)??;

        let mut inputs = vec![vrps_info];
        let aspa = match aspa {
            Some((set, i)) => {
                inputs.push(i);
                Some(set)
            }
            None if !payload_aspas.is_empty() => Some(AspaSet::new(&payload_aspas)),
            None => None,
        };
        inputs.extend(irr_infos);
        // Aut-num objects are the registry's contact records (RIR whois) for M6.
        contacts.irr_given();
        for an in irr.aut_nums() {
            let name = an.as_name.as_deref().unwrap_or("-");
            contacts.add_irr_aut_num(
                an.asn.0,
                format!("AS{} {name} in {}", an.asn.0, irr.source_name(an.source)),
            );
        }
        let rels = rels.map(|(r, i)| {
            inputs.push(i);
            r
        });
        let cones = cones.map(|(c, i)| {
            inputs.push(i);
            c
        });
        let delegations = delegations.map(|(d, i)| {
            inputs.extend(i);
            d
        });
        let bogon_list = bogons.map(|(b, i)| {
            inputs.extend(i);
            b
        });
        inputs.extend(pdb_infos);
        let spoofer = spoofer.map(|(r, i)| {
            inputs.push(i);
            r
        });
        let damaged = inputs.iter().any(|i| i.damaged > 0);
        Ok(Loaded {
            vrps,
            aspa,
            irr,
            rels,
            cones,
            delegations,
            bogon_list,
            contacts,
            spoofer,
            inputs,
            damaged,
        })
    })
}

/// One bar per stage, replaced as the run moves on.
struct StageBars {
    enabled: bool,
    current: Mutex<Option<(&'static str, ProgressBar)>>,
    /// When each stage began, for the timings of the summary line.
    started: Mutex<Vec<(&'static str, Instant)>>,
}

impl StageBars {
    fn new(enabled: bool) -> StageBars {
        StageBars {
            enabled,
            current: Mutex::new(None),
            started: Mutex::new(Vec::new()),
        }
    }

    fn update(&self, name: &'static str, done: u64, total: u64) {
        {
            let mut st = self.started.lock().expect("not poisoned");
            if st.last().is_none_or(|l| l.0 != name) {
                st.push((name, Instant::now()));
            }
        }
        if !self.enabled {
            return;
        }
        let mut cur = self.current.lock().expect("not poisoned");
        if cur.as_ref().is_none_or(|c| c.0 != name) {
            if let Some((_, b)) = cur.take() {
                b.finish();
            }
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b.set_message(name);
            *cur = Some((name, b));
        }
        if let Some((_, b)) = cur.as_ref() {
            b.set_length(total);
            b.set_position(done);
        }
    }

    /// Ends the bars; returns `stage 1.2 s, …` for the summary line.
    fn finish(&self) -> String {
        if let Some((_, b)) = self.current.lock().expect("not poisoned").take() {
            b.finish();
        }
        let st = self.started.lock().expect("not poisoned");
        let end = Instant::now();
        st.iter()
            .enumerate()
            .map(|(i, (name, t))| {
                let next = st.get(i + 1).map_or(end, |n| n.1);
                format!("{name} {:.2} s", (next - *t).as_secs_f64())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What `observe` did, for the summary line and the exit code.
pub struct Observed {
    pub period: String,
    pub asns_seen: u64,
    pub asns_scored: u64,
    pub routes: u64,
    pub incidents: usize,
    pub damaged: bool,
    pub seconds: f64,
    /// Time per stage, `load 0.52 s, classify …`.
    pub timings: String,
}

pub fn run(a: ObserveArgs) -> Result<Outcome> {
    let o = observe_into_store(&a)?;
    let what = match &a.shard {
        Some(s) => format!("shard {s} of period {}", o.period),
        None => format!("period {}", o.period),
    };
    eprintln!(
        "routenorms: {what}: {} routes, {} ASNs ({} scored), {} incidents; stored in {} ({:.1} s: {})",
        o.routes, o.asns_seen, o.asns_scored, o.incidents, a.store, o.seconds, o.timings
    );
    if a.shard.is_some() {
        eprintln!(
            "routenorms: when every shard is stored: routenorms merge --store {} --period {}",
            a.store, o.period
        );
    }
    Ok(if o.damaged {
        Outcome::Damaged
    } else {
        Outcome::Clean
    })
}

/// Loads, observes and stores; shared by `observe` and `demo`.
pub fn observe_into_store(a: &ObserveArgs) -> Result<Observed> {
    let started = Instant::now();
    check_files(a)?;
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    // Open the store first: a wrong --store fails before the long work.
    if a.shard.is_some() && routenorms_store::ClickHouseLocation::parse(&a.store)?.is_none() {
        bail!(
            "{}: --shard needs a ClickHouse store (--store clickhouse://HOST:PORT/DATABASE)",
            a.store
        );
    }
    let mut store = Store::open(&a.store)?;
    let bars = StageBars::new(!a.no_progress && std::io::stderr().is_terminal());
    let ribs: Vec<&Path> = a.mrt.iter().map(PathBuf::as_path).collect();
    let updates: Vec<&Path> = a.updates.iter().map(PathBuf::as_path).collect();
    // The MRT files start decoding now, while the reference data loads.
    let ahead = FilesAhead::start(&ribs, &updates, threads).context("reading the MRT files")?;
    bars.update("load", 0, 1);
    let loaded = load_all(a, threads)?;
    bars.update("load", 1, 1);
    let period = match &a.period {
        Some(p) => p.clone(),
        None => {
            let t = first_record_time(&a.mrt[0])
                .with_context(|| format!("--mrt {}: cannot read", a.mrt[0].display()))?
                .with_context(|| {
                    format!("--mrt {}: the file holds no MRT record", a.mrt[0].display())
                })?;
            utc_time(t)[..7].to_string()
        }
    };
    let bogons = Bogons::new(loaded.delegations.as_ref(), loaded.bogon_list.as_ref());
    let irr_view = loaded.irr.view(&[]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let irr = IrrAdapter { view: irr_view };
    let oracles = Oracles {
        bogons: &bogons,
        vrps: Some(&loaded.vrps),
        aspa: loaded.aspa.as_ref(),
        relationships: loaded.rels.as_ref(),
        irr: Some(&irr),
    };
    let cfg = MetricsConfig {
        period: period.clone(),
        min_peers: a.min_peers,
    };
    let progress = |stage: Stage, done: u64, total: u64| {
        let name = match stage {
            Stage::Read => "read",
            Stage::Classify => "classify",
            Stage::Metrics => "metrics",
        };
        bars.update(name, done, total);
    };
    let obs = observe(
        RunInputs {
            ribs: &ribs,
            updates: &updates,
            contacts: Some(&loaded.contacts),
            spoofer: loaded.spoofer.as_ref(),
            delegations: loaded.delegations.as_ref(),
            cones: loaded.cones.as_ref(),
            keep_peers: a.shard.is_some(),
            ahead: Some(&ahead),
        },
        oracles,
        loaded.inputs.clone(),
        &cfg,
        threads,
        &progress,
    )
    .context("reading the MRT files")?;
    let mut damaged = loaded.damaged;
    for f in &obs.global.inputs {
        if f.kind == "rib" || f.kind == "updates" {
            if let Some(e) = &f.note {
                eprintln!("routenorms: {}: {e}", f.path);
                damaged = true;
            }
            if f.damaged > 0 {
                eprintln!(
                    "routenorms: {}: {} damaged records (`routenorms mrt stats` shows where)",
                    f.path, f.damaged
                );
                damaged = true;
            }
            if f.records == 0 {
                bail!("{}: no MRT records could be read", f.path);
            }
        }
    }
    bars.update("store", 0, 1);
    match &a.shard {
        Some(shard) => {
            let data = crate::shard_cmd::shard_data(&obs, shard, created_at())?;
            store.write_shard(&data)?;
        }
        None => {
            let data = period_data(&obs)?;
            store.replace_period(&data)?;
        }
    }
    bars.update("store", 1, 1);
    let timings = bars.finish();
    let observed = Observed {
        period,
        asns_seen: obs.global.asns_seen,
        asns_scored: obs.global.asns_scored,
        routes: obs.global.routes,
        incidents: obs.incidents.incidents.len(),
        damaged,
        seconds: started.elapsed().as_secs_f64(),
        timings,
    };
    // The process ends after this run (`observe`, `demo`): freeing millions of small
    // allocations one by one would take longer than the exit that returns them at once.
    std::mem::forget(obs);
    std::mem::forget(loaded);
    Ok(observed)
}

pub(crate) fn name_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn incident_document(id: usize, inc: &Incident) -> Result<String> {
    let mut doc = incident_evidence(id, inc);
    doc["events"] = serde_json::to_value(&inc.events[..inc.events.len().min(STORED_EVENTS)])?;
    doc["events_total"] = inc.events.len().into();
    Ok(doc.to_string())
}

/// The observation as store rows.
/// Now, as the store records it.
pub(crate) fn created_at() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_time(u32::try_from(now).unwrap_or(u32::MAX))
}

pub(crate) fn period_data(obs: &Observation) -> Result<PeriodData> {
    let card_row = |c: &AsnCard| -> Result<CardRow> {
        Ok(CardRow {
            asn: c.asn,
            name: c.name.clone(),
            country: c.country.clone(),
            region: c.region.clone(),
            scored: c.scored,
            ready: c.ready,
            routes: c.routes as u64,
            card: serde_json::to_string(c)?,
        })
    };
    // Cards are most of the writing (JSON of a few KB each): half of them on a second
    // thread while this one does the other half and the routes.
    let half = obs.cards.len() / 2;
    let (first, second) = obs.cards.split_at(half);
    let (cards, routes) = std::thread::scope(|s| -> Result<_> {
        let other = s.spawn(|| second.iter().map(card_row).collect::<Result<Vec<_>>>());
        let mut cards = first.iter().map(card_row).collect::<Result<Vec<_>>>()?;
        let routes = route_rows(obs);
        cards.extend(other.join().expect("card serialisation panicked")?);
        Ok((cards, routes))
    })?;
    let mut rollups = vec![RollupRow {
        scope: "global".into(),
        key: String::new(),
        rollup: serde_json::to_string(&obs.global.scores)?,
    }];
    for r in obs.countries.iter().chain(&obs.regions) {
        rollups.push(RollupRow {
            scope: r.scope.to_string(),
            key: r.key.clone(),
            rollup: serde_json::to_string(r)?,
        });
    }
    let incidents = obs
        .incidents
        .incidents
        .iter()
        .enumerate()
        .map(|(i, inc)| {
            Ok(IncidentRow {
                id: i as u64 + 1,
                metric: name_of(&inc.metric),
                kind: name_of(&inc.events[0].kind),
                culprit: inc.culprit,
                accomplices: inc.accomplices.clone(),
                start: inc.start,
                end: inc.end,
                weight: inc.weight,
                incident: incident_document(i + 1, inc)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PeriodData {
        period: obs.global.period.clone(),
        created_at: created_at(),
        report: serde_json::to_string(&obs.global)?,
        cards,
        rollups,
        incidents,
        routes,
    })
}

fn route_rows(obs: &Observation) -> Vec<RouteRow> {
    obs.classification
        .routes
        .iter()
        .filter_map(|r| {
            let origin = r.origin?;
            Some(RouteRow {
                origin: origin.0,
                prefix: r.prefix.to_string(),
                peers: r.peers,
                peer_asns: r.peer_asns,
                rpki: r.rpki.map(|s| s.as_str().to_string()),
                irr: r.irr.map(|s| s.status.to_string()),
                bogon_prefix: r.bogon_prefix,
                bogon_asn: r.bogon_asn,
                leakers: r
                    .leakers
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_found_in_file_names_only_when_they_are_real_dates() {
        let d = |s: &str| date_from_name(Path::new(s));
        assert_eq!(d("20180101.as-rel.txt").as_deref(), Some("2018-01-01"));
        assert_eq!(
            d("/x/bview.20020722.2337.gz").as_deref(),
            Some("2002-07-22")
        );
        assert_eq!(d("dn42-registry.rpsl"), None);
        assert_eq!(d("12345678.txt"), None);
        assert_eq!(d("20181301.txt"), None);
        assert_eq!(
            list_date("1710089701 (Sun Mar 10 16:55:01 2024 GMT)"),
            "2024-03-10 16:55:01"
        );
        assert_eq!(list_date("yesterday"), "yesterday");
    }
}
