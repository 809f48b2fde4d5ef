//! Route collectors and their files: TABLE_DUMP_V2 RIBs before and after the incidents and a
//! BGP4MP update file per collector, gzip (RIS style) or bzip2 (RouteViews style).
//!
//! RIBs are built in batches of prefixes (in prefix order) by worker threads: each batch's
//! routes are computed once per origin, encoded once per (origin, session), and for gzip
//! files compressed by the worker as its own gzip member, so the writing thread only
//! concatenates. bzip2 files are compressed by the writing thread (bgpdump does not read
//! multi-stream bzip2).

use crate::incidents::{Plan, Source, Visibility};
use crate::rng::Rng;
use crate::routing::{Engine, Route, Seed, Workspace, FROM_CUSTOMER, FROM_PEER, SEED};
use crate::topology::{Tier, Topology};
use crate::{date_compact, Config, Progress, SimError};
use flate2::write::GzEncoder;
use routenorms_mrt::write::{self, AttrsBuilder};
use routenorms_mrt::Addr;
use routenorms_types::{Afi, Prefix};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One BGP session of a collector (a peer AS has one per address family it speaks).
#[derive(Clone, Debug)]
pub struct Session {
    pub collector: usize,
    pub peer_index: u16,
    /// Index into [`Feeds::targets`].
    pub target: usize,
    pub asn: u32,
    pub full: bool,
    pub afi: Afi,
    pub addr: Addr,
    pub bgp_id: [u8; 4],
}

#[derive(Clone, Debug)]
pub struct Collector {
    pub name: String,
    pub local_asn: u32,
    pub addr4: [u8; 4],
    pub addr6: [u8; 16],
    pub bzip2: bool,
    /// Global session indices, in peer-index order.
    pub sessions: Vec<usize>,
}

/// Collectors, their sessions, and the distinct peer nodes routes are computed for.
#[derive(Clone, Debug)]
pub struct Feeds {
    pub collectors: Vec<Collector>,
    pub sessions: Vec<Session>,
    pub targets: Vec<u32>,
}

/// Chooses the collector peers (mostly transit networks, weighted sampling without
/// replacement) and their sessions.
pub fn feeds(cfg: &Config, topo: &Topology) -> Feeds {
    let mut rng = Rng::stream(cfg.seed, "collectors");
    let mut keyed: Vec<(f64, u32)> = topo
        .ases
        .iter()
        .enumerate()
        .filter(|(_, x)| x.tier != Tier::RouteServer && !x.alloc4.is_empty())
        .map(|(i, x)| {
            let w = match x.tier {
                Tier::Tier1 => 8.0,
                Tier::Transit => 2.0 + x.customers.len() as f64 / 10.0,
                _ => 0.3,
            };
            // Efraimidis–Spirakis keys: smallest -ln(u)/w are a weighted sample.
            (-(1.0 - rng.unit()).ln() / w, i as u32)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut targets: Vec<u32> = keyed.iter().take(cfg.peers).map(|k| k.1).collect();
    targets.sort_unstable();
    let mut collectors: Vec<Collector> = (0..cfg.collectors)
        .map(|c| {
            let ris = c % 2 == 0;
            let mut addr6 = [0u8; 16];
            addr6[..6].copy_from_slice(&[0x20, 0x01, 0x07, 0xf8, 0, c as u8]);
            addr6[15] = 1;
            Collector {
                name: if ris {
                    format!("rrc{:02}", c / 2)
                } else {
                    format!("route-views{}", c / 2 + 2)
                },
                local_asn: if ris { 12_654 } else { 6_447 },
                addr4: [198, 32, 160 + (c / 250) as u8, (c % 250) as u8 + 1],
                addr6,
                bzip2: !ris && cfg.bzip2,
                sessions: Vec::new(),
            }
        })
        .collect();
    let mut sessions = Vec::new();
    let mut order: Vec<usize> = (0..targets.len()).collect();
    rng.shuffle(&mut order);
    for (k, &t) in order.iter().enumerate() {
        let c = k % cfg.collectors;
        let node = targets[t];
        let x = &topo.ases[node as usize];
        let full = rng.chance(cfg.full_feed_share);
        let a4 = x.alloc4[0].bits() as u32 + 1;
        let bgp_id = a4.to_be_bytes();
        let mut add = |afi, addr| {
            let peer_index = collectors[c].sessions.len() as u16;
            collectors[c].sessions.push(sessions.len());
            sessions.push(Session {
                collector: c,
                peer_index,
                target: t,
                asn: x.asn,
                full,
                afi,
                addr,
                bgp_id,
            });
        };
        add(Afi::Ipv4, Addr::V4(bgp_id));
        if let Some(a6) = x.alloc6.first() {
            add(Afi::Ipv6, Addr::V6((a6.bits() + 1).to_be_bytes()));
        }
    }
    // Peer-index order by session creation is already deterministic; sort each collector's
    // sessions so peer tables list peers by ASN.
    for c in &mut collectors {
        let mut s: Vec<usize> = c.sessions.clone();
        s.sort_by_key(|&i| (sessions[i].asn, sessions[i].afi == Afi::Ipv6));
        for (pi, &i) in s.iter().enumerate() {
            sessions[i].peer_index = pi as u16;
        }
        c.sessions = s;
    }
    Feeds {
        collectors,
        sessions,
        targets,
    }
}

/// One prefix of the RIBs: what announces it before and in the after RIB.
#[derive(Clone, Debug)]
pub struct Item {
    pub prefix: Prefix,
    pub before: Option<Source>,
    pub after: Option<Source>,
    pub incident: Option<u16>,
}

/// Every prefix of the simulation in prefix order, incidents applied for the after RIB.
pub fn items(topo: &Topology, plan: &Plan) -> Vec<Item> {
    let mut v: Vec<Item> = Vec::new();
    for (i, x) in topo.ases.iter().enumerate() {
        for p in x.v4.iter().chain(&x.v6) {
            let s = Some(Source::Origin(i as u32));
            v.push(Item {
                prefix: *p,
                before: s,
                after: s,
                incident: None,
            });
        }
    }
    v.sort_unstable_by_key(|it| it.prefix);
    let mut extra = Vec::new();
    for (k, inc) in plan.incidents.iter().enumerate() {
        for c in &inc.changes {
            let after = if inc.active_in_after_rib {
                c.during
            } else {
                c.before
            };
            match v.binary_search_by_key(&c.prefix, |it| it.prefix) {
                Ok(j) => {
                    v[j].after = after;
                    v[j].incident = Some(k as u16);
                }
                Err(_) => extra.push(Item {
                    prefix: c.prefix,
                    before: c.before,
                    after,
                    incident: Some(k as u16),
                }),
            }
        }
    }
    v.extend(extra);
    v.sort_unstable_by_key(|it| it.prefix);
    v
}

fn seeds_of(topo: &Topology, plan: &Plan, src: Source) -> Vec<Seed> {
    match src {
        Source::Origin(o) => vec![Seed::origin(topo, o)],
        Source::Set(k) => plan.seed_sets[k as usize].clone(),
    }
}

/// A route as one session reports it, already encoded.
#[derive(Clone, Debug)]
struct Encoded {
    rib_attrs: Vec<u8>,
    /// True when the route comes from the incident's culprit seed.
    culprit: bool,
}

fn class_code(class: u8) -> u32 {
    match class {
        SEED => 1000,
        FROM_CUSTOMER => 2000,
        FROM_PEER => 3000,
        _ => 4000,
    }
}

/// The attribute block of a route at a session: RIB form, or UPDATE form carrying `nlri6`
/// in MP_REACH for IPv6.
fn encode(r: &Route, s: &Session, incomplete: bool, update_nlri6: Option<&Prefix>) -> Vec<u8> {
    let mut b = AttrsBuilder::new()
        .origin(if incomplete { 2 } else { 0 })
        .as_path(&[(2, &r.path)]);
    if let Addr::V4(a) = s.addr {
        b = b.next_hop(a);
    }
    let code = class_code(r.class);
    if s.asn <= 0xffff {
        b = b.communities(&[(s.asn << 16) | code]);
    }
    if let Addr::V6(a) = s.addr {
        b = match update_nlri6 {
            Some(p) => b.mp_reach_ipv6(a, None, std::slice::from_ref(p)),
            None => b.rib_mp_reach(&a),
        };
    }
    if s.asn > 0xffff {
        b = b.large_communities(&[(s.asn, 1, code)]);
    }
    if let Some(o) = r.otc {
        b = b.only_to_customer(o);
    }
    b.build()
}

/// The route each target holds for a source.
fn routes(
    engine: &Engine,
    ws: &mut Workspace,
    topo: &Topology,
    plan: &Plan,
    feeds: &Feeds,
    src: Source,
) -> (Vec<Option<Route>>, Vec<Seed>) {
    let seeds = seeds_of(topo, plan, src);
    engine.run(ws, &seeds);
    let r = feeds
        .targets
        .iter()
        .map(|&t| engine.route(ws, &seeds, t))
        .collect();
    (r, seeds)
}

/// Whether a session exports a route to its collector (partial feeds: customer routes only).
fn exported(s: &Session, r: &Route) -> bool {
    s.full || r.class >= FROM_CUSTOMER
}

fn culprit_seed(plan: &Plan, src: Source, seed: u16) -> bool {
    match src {
        Source::Origin(_) => false,
        Source::Set(k) => plan.culprit_seed[k as usize] == seed,
    }
}

/// Per-source encoded routes for every session (index = global session index).
fn encode_all(
    topo: &Topology,
    plan: &Plan,
    feeds: &Feeds,
    src: Source,
    afi: Afi,
    routes: &[Option<Route>],
    seeds: &[Seed],
) -> Vec<Option<Encoded>> {
    feeds
        .sessions
        .iter()
        .map(|s| {
            if s.afi != afi {
                return None;
            }
            let r = routes[s.target].as_ref()?;
            if !exported(s, r) {
                return None;
            }
            let incomplete = topo.ases[seeds[r.seed as usize].node as usize].incomplete;
            Some(Encoded {
                rib_attrs: encode(r, s, incomplete, None),
                culprit: culprit_seed(plan, src, r.seed),
            })
        })
        .collect()
}

fn mix(a: u64) -> u64 {
    let mut z = a.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// When a route was learned: a stable pseudo-random time in the month before the dump.
fn originated(start: u32, p: &Prefix, session: usize) -> u32 {
    let h = mix(p.bits() as u64
        ^ ((p.bits() >> 64) as u64).rotate_left(17)
        ^ ((p.len() as u64) << 56)
        ^ (session as u64) << 40);
    start - 3600 - (h % 2_592_000) as u32
}

struct BatchOut {
    /// Per collector: (before bytes, after bytes), gzip members or raw.
    data: Vec<[Vec<u8>; 2]>,
    entries: Vec<[u64; 2]>,
    /// (incident, collector, entries from the culprit, entries before, entries after)
    hits: Vec<(u16, usize, u64, u64, u64)>,
}

const BATCH: usize = 2048;

fn gz_member(raw: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::new(3),
    );
    e.write_all(raw).expect("write to memory");
    e.finish().expect("write to memory")
}

#[allow(clippy::too_many_arguments)]
fn batch(
    cfg: &Config,
    topo: &Topology,
    plan: &Plan,
    feeds: &Feeds,
    engine: &Engine,
    ws: &mut Workspace,
    items: &[Item],
    first_seq: usize,
) -> BatchOut {
    let t0 = cfg.start;
    let t1 = cfg.start + 3600;
    let nc = feeds.collectors.len();
    let mut raw: Vec<[Vec<u8>; 2]> = (0..nc).map(|_| [Vec::new(), Vec::new()]).collect();
    let mut entries = vec![[0u64; 2]; nc];
    let mut hits: BTreeMap<(u16, usize), (u64, u64, u64)> = BTreeMap::new();
    // Prefixes of one origin are adjacent: routes and attributes are computed once per run.
    let mut cache: BTreeMap<(Source, Afi), Rc<Vec<Option<Encoded>>>> = BTreeMap::new();
    let mut get = |src: Source, afi: Afi, ws: &mut Workspace| -> Rc<Vec<Option<Encoded>>> {
        if let Some(v) = cache.get(&(src, afi)) {
            return v.clone();
        }
        if cache.len() > 64 {
            cache.clear();
        }
        let (r, seeds) = routes(engine, ws, topo, plan, feeds, src);
        let v = Rc::new(encode_all(topo, plan, feeds, src, afi, &r, &seeds));
        cache.insert((src, afi), v.clone());
        v
    };
    for (k, it) in items.iter().enumerate() {
        let seq = (first_seq + k) as u32;
        let afi = it.prefix.afi();
        let before = it.before.map(|s| get(s, afi, ws));
        let after = if it.after == it.before {
            before.clone()
        } else {
            it.after.map(|s| get(s, afi, ws))
        };
        let inc = it.incident.map(|i| &plan.incidents[i as usize]);
        for (c, col) in feeds.collectors.iter().enumerate() {
            for (slot, enc, ts) in [(0usize, before.as_ref(), t0), (1, after.as_ref(), t1)] {
                let Some(enc) = enc else { continue };
                let mut list: Vec<(u16, u32, &[u8])> = Vec::with_capacity(col.sessions.len());
                let mut culprit = 0;
                for &si in &col.sessions {
                    if let Some(e) = &enc[si] {
                        let s = &feeds.sessions[si];
                        let orig = match inc {
                            Some(i) if slot == 1 && i.active_in_after_rib => i.start,
                            _ => originated(t0, &it.prefix, si),
                        };
                        list.push((s.peer_index, orig, &e.rib_attrs));
                        culprit += e.culprit as u64;
                    }
                }
                if let Some(i) = it.incident {
                    let h = hits.entry((i, c)).or_default();
                    if slot == 1 {
                        h.0 += culprit;
                        h.2 += list.len() as u64;
                    } else {
                        h.1 += list.len() as u64;
                    }
                }
                if list.is_empty() {
                    continue;
                }
                write::rib_into(&mut raw[c][slot], ts, seq, &it.prefix, &list);
                entries[c][slot] += list.len() as u64;
            }
        }
    }
    let data = raw
        .into_iter()
        .enumerate()
        .map(|(c, [b, a])| {
            if feeds.collectors[c].bzip2 {
                [b, a]
            } else {
                [gz_member(&b), gz_member(&a)]
            }
        })
        .collect();
    BatchOut {
        data,
        entries,
        hits: hits
            .into_iter()
            .map(|((i, c), (x, b, a))| (i, c, x, b, a))
            .collect(),
    }
}

enum Sink {
    Gz(BufWriter<File>),
    Bz(bzip2::write::BzEncoder<BufWriter<File>>),
}

impl Sink {
    fn create(path: &Path, bz: bool) -> Result<Sink, SimError> {
        let f = BufWriter::with_capacity(
            1 << 20,
            File::create(path).map_err(|e| SimError::io(path, e))?,
        );
        Ok(if bz {
            Sink::Bz(bzip2::write::BzEncoder::new(f, bzip2::Compression::best()))
        } else {
            Sink::Gz(f)
        })
    }
    /// Writes raw record bytes (compressing them as a member for gzip).
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Gz(w) => w.write_all(&gz_member(bytes)),
            Sink::Bz(w) => w.write_all(bytes),
        }
    }
    /// Writes what a batch produced: already a gzip member, or raw bytes for bzip2.
    fn batch(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Gz(w) => w.write_all(bytes),
            Sink::Bz(w) => w.write_all(bytes),
        }
    }
    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Gz(mut w) => w.flush(),
            Sink::Bz(w) => w.finish()?.flush(),
        }
    }
}

/// A file written, for the manifest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MrtFile {
    pub path: String,
    pub kind: &'static str,
    pub collector: String,
    pub timestamp: u32,
    pub compression: &'static str,
    /// RIB entries, or announced + withdrawn prefixes for update files (bgpdump lines).
    pub entries: u64,
}

fn peer_table(col: &Collector, feeds: &Feeds, ts: u32, name: &str) -> Vec<u8> {
    let peers: Vec<routenorms_mrt::record::Peer> = col
        .sessions
        .iter()
        .map(|&i| {
            let s = &feeds.sessions[i];
            routenorms_mrt::record::Peer {
                bgp_id: s.bgp_id,
                addr: s.addr,
                asn: s.asn,
            }
        })
        .collect();
    write::peer_index_table(ts, col.addr4, name, &peers)
}

fn file_names(col: &Collector, ts: u32) -> (String, String) {
    let stamp = format!("{}.{}", date_compact(ts), crate::hhmm(ts));
    if col.bzip2 {
        (format!("rib.{stamp}.bz2"), format!("updates.{stamp}.bz2"))
    } else {
        let ext = if col.bzip2 { "bz2" } else { "gz" };
        if col.name.starts_with("rrc") {
            (
                format!("bview.{stamp}.{ext}"),
                format!("updates.{stamp}.{ext}"),
            )
        } else {
            (
                format!("rib.{stamp}.{ext}"),
                format!("updates.{stamp}.{ext}"),
            )
        }
    }
}

/// Writes every collector's before and after RIBs and its update file; records visibility
/// of each incident in `plan`.
pub fn write_all(
    cfg: &Config,
    topo: &Topology,
    plan: &mut Plan,
    feeds: &Feeds,
    out: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<MrtFile>, SimError> {
    let t0 = cfg.start;
    let t1 = cfg.start + 3600;
    let items = items(topo, plan);
    let engine = Engine::new(topo, &feeds.targets);
    let nc = feeds.collectors.len();
    let mut files = Vec::new();
    let mut sinks: Vec<[Sink; 2]> = Vec::new();
    for col in &feeds.collectors {
        let dir = out.join("mrt").join(&col.name);
        std::fs::create_dir_all(&dir).map_err(|e| SimError::io(&dir, e))?;
        let (rb, _) = file_names(col, t0);
        let (ra, _) = file_names(col, t1);
        let mut b = Sink::create(&dir.join(&rb), col.bzip2)?;
        let mut a = Sink::create(&dir.join(&ra), col.bzip2)?;
        b.raw(&peer_table(col, feeds, t0, &col.name))
            .map_err(|e| SimError::io(&dir, e))?;
        a.raw(&peer_table(col, feeds, t1, &col.name))
            .map_err(|e| SimError::io(&dir, e))?;
        sinks.push([b, a]);
    }
    let nbatches = items.len().div_ceil(BATCH);
    let next = AtomicUsize::new(0);
    let mut entries = vec![[0u64; 2]; nc];
    let mut hits: BTreeMap<(u16, usize), (u64, u64, u64)> = BTreeMap::new();
    let threads = cfg.threads.max(1);
    let result: Result<(), SimError> = std::thread::scope(|scope| {
        let (tx, rx) = crossbeam_channel::bounded::<(usize, BatchOut)>(threads * 2);
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, items, engine, plan_ref) = (&next, &items, &engine, &*plan);
            scope.spawn(move || {
                let mut ws = Workspace::new(topo.ases.len());
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= nbatches {
                        break;
                    }
                    let lo = b * BATCH;
                    let hi = (lo + BATCH).min(items.len());
                    let o = batch(
                        cfg,
                        topo,
                        plan_ref,
                        feeds,
                        engine,
                        &mut ws,
                        &items[lo..hi],
                        lo,
                    );
                    if tx.send((b, o)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, BatchOut> = BTreeMap::new();
        let mut want = 0;
        for (b, o) in rx.iter() {
            pending.insert(b, o);
            while let Some(o) = pending.remove(&want) {
                for (c, [bb, aa]) in o.data.iter().enumerate() {
                    sinks[c][0].batch(bb).map_err(|e| SimError::io(out, e))?;
                    sinks[c][1].batch(aa).map_err(|e| SimError::io(out, e))?;
                    entries[c][0] += o.entries[c][0];
                    entries[c][1] += o.entries[c][1];
                }
                for (i, c, x, bef, aft) in o.hits {
                    let h = hits.entry((i, c)).or_default();
                    h.0 += x;
                    h.1 += bef;
                    h.2 += aft;
                }
                want += 1;
                progress(Progress {
                    stage: "RIBs",
                    done: want as u64,
                    total: nbatches as u64,
                });
            }
        }
        Ok(())
    });
    result?;
    for (c, [b, a]) in sinks.into_iter().enumerate() {
        b.finish().map_err(|e| SimError::io(out, e))?;
        a.finish().map_err(|e| SimError::io(out, e))?;
        let col = &feeds.collectors[c];
        for (slot, ts) in [(0usize, t0), (1, t1)] {
            let (name, _) = file_names(col, ts);
            files.push(MrtFile {
                path: format!("mrt/{}/{}", col.name, name),
                kind: if slot == 0 { "rib-before" } else { "rib-after" },
                collector: col.name.clone(),
                timestamp: ts,
                compression: if col.bzip2 { "bzip2" } else { "gzip" },
                entries: entries[c][slot],
            });
        }
    }
    for ((i, c), (culprit, bef, aft)) in hits {
        let inc = &mut plan.incidents[i as usize];
        let (name, _) = file_names(&feeds.collectors[c], t1);
        let file = format!("mrt/{}/{}", feeds.collectors[c].name, name);
        if inc.class == "outage" {
            if inc.active_in_after_rib && bef > aft {
                inc.visible_in.push(Visibility {
                    file,
                    how: "absent",
                    entries: bef - aft,
                });
            }
        } else if culprit > 0 {
            inc.visible_in.push(Visibility {
                file,
                how: "announced",
                entries: culprit,
            });
        }
    }
    files.extend(updates(cfg, topo, plan, feeds, out)?);
    Ok(files)
}

/// (time, collector, session, prefix) of an update.
type EventKey = (u32, usize, usize, Prefix);
/// The route announced (`None`: withdrawn), the incident, whether the route is the
/// culprit's, and whether its origin uses ORIGIN INCOMPLETE.
type Event = (Option<Route>, u16, bool, bool);

/// The update files: at each incident's start the sessions whose route changes announce the
/// new route (or withdraw), and at its end (within the hour) they return.
fn updates(
    cfg: &Config,
    topo: &Topology,
    plan: &mut Plan,
    feeds: &Feeds,
    out: &Path,
) -> Result<Vec<MrtFile>, SimError> {
    let t0 = cfg.start;
    let t1 = cfg.start + 3600;
    let engine = Engine::new(topo, &feeds.targets);
    let mut ws = Workspace::new(topo.ases.len());
    // (time, collector, session, prefix) -> Some(attrs) announce / None withdraw; plus
    // (incident, culprit?) for visibility.
    let mut events: BTreeMap<EventKey, Event> = BTreeMap::new();
    for (k, inc) in plan.incidents.iter().enumerate() {
        for ch in &inc.changes {
            let view =
                |src: Option<Source>, ws: &mut Workspace| -> (Vec<Option<Route>>, Vec<Seed>) {
                    match src {
                        Some(s) => routes(&engine, ws, topo, plan, feeds, s),
                        None => (vec![None; feeds.targets.len()], Vec::new()),
                    }
                };
            let (rb, sb) = view(ch.before, &mut ws);
            let (rd, sd) = view(ch.during, &mut ws);
            for (si, s) in feeds.sessions.iter().enumerate() {
                if s.afi != ch.prefix.afi() {
                    continue;
                }
                let b = rb[s.target].clone().filter(|r| exported(s, r));
                let d = rd[s.target].clone().filter(|r| exported(s, r));
                if b == d {
                    continue;
                }
                let culprit_d = d
                    .as_ref()
                    .is_some_and(|r| ch.during.is_some_and(|src| culprit_seed(plan, src, r.seed)));
                let inc_b = b
                    .as_ref()
                    .is_some_and(|r| topo.ases[sb[r.seed as usize].node as usize].incomplete);
                let inc_d = d
                    .as_ref()
                    .is_some_and(|r| topo.ases[sd[r.seed as usize].node as usize].incomplete);
                let had = b.is_some() || d.is_some();
                events.insert(
                    (inc.start, s.collector, si, ch.prefix),
                    (d, k as u16, culprit_d, inc_d),
                );
                if inc.end < t1 && had {
                    events.insert(
                        (inc.end, s.collector, si, ch.prefix),
                        (b, k as u16, false, inc_b),
                    );
                }
            }
        }
    }
    let mut files = Vec::new();
    let mut seen: BTreeMap<(u16, usize), (u64, u64)> = BTreeMap::new();
    for (c, col) in feeds.collectors.iter().enumerate() {
        let (_, name) = file_names(col, t0);
        let dir = out.join("mrt").join(&col.name);
        let path = dir.join(&name);
        let mut raw = Vec::new();
        let mut n = 0u64;
        for ((ts, _, si, p), (r, k, culprit, incomplete)) in &events {
            let s = &feeds.sessions[*si];
            if s.collector != c {
                continue;
            }
            let sess = write::Session {
                peer_asn: s.asn,
                local_asn: col.local_asn,
                peer_addr: s.addr,
                local_addr: match s.addr {
                    Addr::V4(_) => Addr::V4(col.addr4),
                    Addr::V6(_) => Addr::V6(col.addr6),
                },
            };
            match r {
                Some(r) => {
                    let v6 = (p.afi() == Afi::Ipv6).then_some(p);
                    let attrs = encode(r, s, *incomplete, v6);
                    let nlri: &[Prefix] = if v6.is_some() {
                        &[]
                    } else {
                        std::slice::from_ref(p)
                    };
                    raw.extend(write::update(*ts, &sess, &[], &attrs, nlri));
                    if *culprit {
                        seen.entry((*k, c)).or_default().0 += 1;
                    }
                }
                None => {
                    if p.afi() == Afi::Ipv4 {
                        raw.extend(write::update(*ts, &sess, std::slice::from_ref(p), &[], &[]));
                    } else {
                        let attrs = AttrsBuilder::new()
                            .mp_unreach_ipv6(std::slice::from_ref(p))
                            .build();
                        raw.extend(write::update(*ts, &sess, &[], &attrs, &[]));
                    }
                    seen.entry((*k, c)).or_default().1 += 1;
                }
            }
            n += 1;
        }
        let mut sink = Sink::create(&path, col.bzip2)?;
        if !raw.is_empty() {
            sink.raw(&raw).map_err(|e| SimError::io(&path, e))?;
        }
        sink.finish().map_err(|e| SimError::io(&path, e))?;
        files.push(MrtFile {
            path: format!("mrt/{}/{}", col.name, name),
            kind: "updates",
            collector: col.name.clone(),
            timestamp: t0,
            compression: if col.bzip2 { "bzip2" } else { "gzip" },
            entries: n,
        });
    }
    for ((k, c), (ann, wd)) in seen {
        let inc = &mut plan.incidents[k as usize];
        let (_, name) = file_names(&feeds.collectors[c], t0);
        let file = format!("mrt/{}/{}", feeds.collectors[c].name, name);
        if inc.class == "outage" {
            if wd > 0 {
                inc.visible_in.push(Visibility {
                    file,
                    how: "withdrawn",
                    entries: wd,
                });
            }
        } else if ann > 0 {
            inc.visible_in.push(Visibility {
                file,
                how: "announced",
                entries: ann,
            });
        }
    }
    for inc in &mut plan.incidents {
        inc.visible_in.sort_by(|a, b| a.file.cmp(&b.file));
    }
    let _ = FROM_PEER;
    Ok(files)
}
