//! Per-route classification of a RIB snapshot (one or more collectors' dumps taken at about
//! the same time): for each distinct (prefix, origin) over all peers, its visibility, RPKI
//! state, IRR status, bogon prefix flag, and for each distinct AS path the ASPA verdict, the
//! bogon ASNs in it and the valley-free / ONLY_TO_CUSTOMER verdict naming the leaking AS.
//!
//! Routes whose AS path ends in an AS_SET have origin NONE; they are classified like the
//! others but counted apart in the [`Summary`] (`as_set_routes`, `rpki_as_set`), as RFC 6811
//! and the report's `rpki` figures require.
//!
//! Visibility counts distinct peers, a peer being a (peer ASN, session address) pair: the
//! same router feeding two collectors counts once, two ADD-PATH paths from one peer count
//! once. Only RIB entries and announcements are classified; withdrawals and session events
//! in a file are ignored (this is a snapshot, incidents are [`crate::incidents`]).

use crate::checks::{analyse_path, Oracles, PathFindings};
use crate::irr::IrrState;
use routenorms_mrt::routes::{for_each_entry_batch, EntryKind, PeerKey, RouteEntry};
use routenorms_rpki::{AspaState, InvalidReason, RovState};
use routenorms_types::{Afi, AsPath, Asn, Prefix, Timestamp};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// One input file and what it held.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputFile {
    pub path: PathBuf,
    /// Earliest and latest record time of the entries read (seconds since the epoch).
    pub first_time: Option<u32>,
    pub last_time: Option<u32>,
    pub entries: u64,
    pub damaged: u64,
    /// The decompressor's complaint, when the file was cut short or corrupt.
    pub input_error: Option<String>,
}

/// RFC 6811 counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RpkiCounts {
    pub valid: u64,
    pub invalid: u64,
    pub not_found: u64,
}

impl RpkiCounts {
    fn add(&mut self, s: RovState) {
        match s {
            RovState::Valid => self.valid += 1,
            RovState::Invalid => self.invalid += 1,
            RovState::NotFound => self.not_found += 1,
        }
    }
}

/// ASPA verification counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AspaCounts {
    pub valid: u64,
    pub invalid: u64,
    pub unknown: u64,
}

impl AspaCounts {
    fn add(&mut self, s: AspaState) {
        match s {
            AspaState::Valid => self.valid += 1,
            AspaState::Invalid => self.invalid += 1,
            AspaState::Unknown => self.unknown += 1,
        }
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// A distinct AS path (with its family and OTC value) and what it shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PathClass {
    #[serde(serialize_with = "display")]
    pub path: AsPath,
    pub afi: Afi,
    pub only_to_customer: Option<u32>,
    #[serde(flatten)]
    pub findings: PathFindings,
}

/// One distinct (prefix, origin) of the snapshot.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RouteClass {
    pub prefix: Prefix,
    /// `None`: the path ends in an AS_SET (origin NONE) or is empty.
    pub origin: Option<Asn>,
    /// Distinct peers that have the route.
    pub peers: u32,
    /// Distinct peer ASNs among them.
    pub peer_asns: u32,
    /// RFC 6811 state (`None`: no VRPs given).
    pub rpki: Option<RovState>,
    pub rpki_reason: Option<InvalidReason>,
    /// IRR status (`None`: no IRR data).
    pub irr: Option<IrrState>,
    pub bogon_prefix: bool,
    /// Some path of the route has a bogon ASN.
    pub bogon_asn: bool,
    /// ASPA verdicts over the route's distinct paths (`None`: no ASPA data).
    pub aspa: Option<AspaCounts>,
    /// Distinct ASes named as leakers on the route's paths (sorted).
    pub leakers: Vec<u32>,
    /// Indexes into [`RibClassification::paths`] (sorted).
    pub paths: Vec<u32>,
    /// The peers that carried it, as indexes into [`RibClassification::peer_keys`]
    /// (sorted); kept only when asked ([`RibClassifier::keep_peers`]), for shards.
    #[serde(skip)]
    pub peer_ids: Vec<u32>,
}

/// The snapshot's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// RIB entries and announcements read.
    pub entries: u64,
    pub peers: u64,
    /// Distinct (prefix, origin) pairs with an origin AS.
    pub routes: u64,
    /// Distinct (prefix, NONE) routes: the path ends in an AS_SET (or is empty).
    pub as_set_routes: u64,
    pub prefixes: u64,
    pub origins: u64,
    pub paths: u64,
    /// RFC 6811 over `routes` (`None`: no VRPs given).
    pub rpki: Option<RpkiCounts>,
    /// RFC 6811 over `as_set_routes`.
    pub rpki_as_set: Option<RpkiCounts>,
    /// Routes (with an origin) per IRR status (`None`: no IRR data).
    pub irr: Option<BTreeMap<&'static str, u64>>,
    /// Distinct (prefix, origin) pairs, AS_SET routes included, whose prefix is a bogon.
    pub bogon_prefixes: u64,
    /// Distinct bogon prefixes announced.
    pub bogon_prefixes_distinct: u64,
    /// Distinct (prefix, origin) pairs with a bogon ASN in some path.
    pub bogon_asns: u64,
    /// The distinct bogon ASNs seen in paths.
    pub bogon_asns_distinct: Vec<u32>,
    /// ASPA verdicts over distinct (route, path) pairs (`None`: no ASPA data).
    pub aspa: Option<AspaCounts>,
    /// Distinct (prefix, origin) pairs with a leaking path (`None`: no relationships).
    pub leaking_routes: Option<u64>,
    /// Distinct leaking ASes.
    pub leakers: Option<Vec<u32>>,
}

/// The classified snapshot. `routes` are sorted by prefix (IPv4 first), then origin (NONE
/// first); `paths` in order of first appearance in the input.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RibClassification {
    pub inputs: Vec<InputFile>,
    pub summary: Summary,
    pub routes: Vec<RouteClass>,
    pub paths: Vec<PathClass>,
    /// Per origin ASN (sorted), who saw any of its routes: the visibility the MANRS
    /// metrics' threshold is applied to.
    pub origins: Vec<OriginVisibility>,
    /// Every peer by id (empty unless [`RibClassifier::keep_peers`] was asked).
    #[serde(skip)]
    pub peer_keys: Vec<PeerKey>,
}

/// How widely an origin AS's routes were seen: distinct peers (peer ASN, session address)
/// and distinct peer ASNs that carried at least one of its routes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OriginVisibility {
    pub asn: u32,
    pub peers: u32,
    pub peer_asns: u32,
    /// Routes (distinct prefixes) it originates.
    pub routes: u32,
}

/// A growable bit set over dense ids.
#[derive(Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: u32) {
        let w = (i / 64) as usize;
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << (i % 64);
    }
    fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

type PathKey = (Afi, AsPath, Option<u32>);

#[derive(Debug, Default)]
struct RouteAcc {
    peers: Vec<u32>,
    paths: Vec<u32>,
}

/// Accumulates the routes of one or more dumps, then classifies them ([`finish`]).
///
/// [`finish`]: RibClassifier::finish
#[derive(Debug, Default)]
pub struct RibClassifier {
    inputs: Vec<InputFile>,
    routes: FxHashMap<(Prefix, Option<Asn>), RouteAcc>,
    /// Path → (family, OTC, index): looked up by reference, no clone per entry.
    path_ids: FxHashMap<AsPath, Vec<(Afi, Option<u32>, u32)>>,
    paths: Vec<PathKey>,
    peer_ids: FxHashMap<PeerKey, u32>,
    entries: u64,
    keep_peers: bool,
}

impl RibClassifier {
    pub fn new() -> RibClassifier {
        RibClassifier::default()
    }

    /// Keeps which peers carried each route (and the peer table) in the classification:
    /// what a shard stores so that visibility can be united over shards.
    pub fn keep_peers(mut self, keep: bool) -> RibClassifier {
        self.keep_peers = keep;
        self
    }

    /// Adds one entry (RIB entries and announcements; anything else is ignored).
    pub fn add(&mut self, e: &RouteEntry) {
        let (EntryKind::Rib | EntryKind::Announce, Some(prefix), Some(path)) =
            (e.kind, e.prefix, e.path.as_ref())
        else {
            return;
        };
        self.entries += 1;
        let next = self.peer_ids.len() as u32;
        let peer = *self.peer_ids.entry(e.peer).or_insert(next);
        let (afi, otc) = (prefix.afi(), e.only_to_customer);
        let known = self
            .path_ids
            .get(path)
            .and_then(|v| v.iter().find(|x| x.0 == afi && x.1 == otc));
        let path_id = match known {
            Some(&(_, _, i)) => i,
            None => {
                let i = self.paths.len() as u32;
                self.paths.push((afi, path.clone(), otc));
                self.path_ids
                    .entry(path.clone())
                    .or_default()
                    .push((afi, otc, i));
                i
            }
        };
        let acc = self.routes.entry((prefix, path.origin())).or_default();
        if acc.peers.last() != Some(&peer) {
            acc.peers.push(peer);
        }
        if acc.paths.last() != Some(&path_id) {
            acc.paths.push(path_id);
        }
    }

    /// Records a file whose entries were handed to [`RibClassifier::add`] by another reader
    /// (e.g. the incident detector's, so a RIB is read once).
    pub fn add_input(&mut self, file: InputFile) {
        self.inputs.push(file);
    }

    /// Reads a dump (any compression) on `threads` threads and adds its routes.
    pub fn add_file(&mut self, path: &Path, threads: usize) -> io::Result<&InputFile> {
        let (mut first, mut last) = (None::<Timestamp>, None::<Timestamp>);
        let end = for_each_entry_batch(path, threads, |batch| {
            for e in &batch {
                first = Some(first.map_or(e.time, |f| f.min(e.time)));
                last = Some(last.map_or(e.time, |l| l.max(e.time)));
                self.add(e);
            }
        })?;
        self.inputs.push(InputFile {
            path: path.to_path_buf(),
            first_time: first.map(|t| t.secs),
            last_time: last.map(|t| t.secs),
            entries: end.entries,
            damaged: end.damaged,
            input_error: end.input_error.map(|e| e.to_string()),
        });
        Ok(self.inputs.last().expect("just pushed"))
    }

    /// Classifies everything added, the path checks spread over `threads` threads.
    pub fn finish(self, oracles: &Oracles<'_>, threads: usize) -> RibClassification {
        let findings = analyse_paths(oracles, &self.paths, threads);
        let paths: Vec<PathClass> = self
            .paths
            .into_iter()
            .zip(findings)
            .map(|((afi, path, otc), findings)| PathClass {
                path,
                afi,
                only_to_customer: otc,
                findings,
            })
            .collect();
        let peer_asn: Vec<u32> = {
            let mut v = vec![0; self.peer_ids.len()];
            for (k, &i) in &self.peer_ids {
                v[i as usize] = k.asn;
            }
            v
        };
        let peer_keys: Vec<PeerKey> = if self.keep_peers {
            let mut v: Vec<Option<PeerKey>> = vec![None; self.peer_ids.len()];
            for (k, &i) in &self.peer_ids {
                v[i as usize] = Some(*k);
            }
            v.into_iter().flatten().collect()
        } else {
            Vec::new()
        };
        let mut keys: Vec<(Prefix, Option<Asn>)> = self.routes.keys().copied().collect();
        keys.sort_unstable();
        let mut routes_map = self.routes;
        let mut s = Summary {
            entries: self.entries,
            peers: peer_asn.len() as u64,
            paths: paths.len() as u64,
            rpki: oracles.vrps.map(|_| RpkiCounts::default()),
            rpki_as_set: oracles.vrps.map(|_| RpkiCounts::default()),
            irr: oracles.irr.map(|_| BTreeMap::new()),
            aspa: oracles.aspa.map(|_| AspaCounts::default()),
            leaking_routes: oracles.relationships.map(|_| 0),
            ..Summary::default()
        };
        let mut prefixes = FxHashSet::default();
        let mut origins = FxHashSet::default();
        let mut bogon_prefixes = FxHashSet::default();
        let mut bogon_asns = std::collections::BTreeSet::new();
        let mut leakers_all = std::collections::BTreeSet::new();
        let mut routes = Vec::with_capacity(keys.len());
        // Dense ids of the peer ASNs, for the per-origin visibility bit sets.
        let mut asn_ids: FxHashMap<u32, u32> = FxHashMap::default();
        for &a in &peer_asn {
            let next = asn_ids.len() as u32;
            asn_ids.entry(a).or_insert(next);
        }
        let mut origin_seen: FxHashMap<u32, (Bits, Bits, u32)> = FxHashMap::default();
        for (prefix, origin) in keys {
            let mut acc = routes_map.remove(&(prefix, origin)).expect("key listed");
            acc.peers.sort_unstable();
            acc.peers.dedup();
            acc.paths.sort_unstable();
            acc.paths.dedup();
            let mut asns: Vec<u32> = acc.peers.iter().map(|&p| peer_asn[p as usize]).collect();
            asns.sort_unstable();
            asns.dedup();
            let (rpki, rpki_reason) = match oracles.vrps {
                Some(v) => {
                    let (st, why) = v.validate_state(prefix, origin);
                    (Some(st), why)
                }
                None => (None, None),
            };
            let irr = oracles.irr.and_then(|i| i.status(prefix, origin));
            let bogon_prefix = oracles.bogons.is_bogon_prefix(&prefix);
            let mut bogon_asn = false;
            let mut aspa = oracles.aspa.map(|_| AspaCounts::default());
            let mut leakers = Vec::new();
            for &i in &acc.paths {
                let f = &paths[i as usize].findings;
                if !f.bogon_asns.is_empty() {
                    bogon_asn = true;
                    bogon_asns.extend(f.bogon_asns.iter().copied());
                }
                if let (Some(c), Some(v)) = (aspa.as_mut(), f.aspa) {
                    c.add(v.state);
                }
                if let Some(l) = f.leak {
                    leakers.push(l.leaker);
                }
            }
            leakers.sort_unstable();
            leakers.dedup();
            if let Some(o) = origin {
                let (by_peer, by_asn, n) = origin_seen.entry(o.0).or_default();
                *n += 1;
                for &p in &acc.peers {
                    by_peer.set(p);
                    by_asn.set(asn_ids[&peer_asn[p as usize]]);
                }
            }
            // Figures.
            prefixes.insert(prefix);
            match origin {
                Some(a) => {
                    s.routes += 1;
                    origins.insert(a);
                    if let (Some(c), Some(st)) = (s.rpki.as_mut(), rpki) {
                        c.add(st);
                    }
                    if let (Some(m), Some(st)) = (s.irr.as_mut(), irr) {
                        *m.entry(st.status).or_default() += 1;
                    }
                }
                None => {
                    s.as_set_routes += 1;
                    if let (Some(c), Some(st)) = (s.rpki_as_set.as_mut(), rpki) {
                        c.add(st);
                    }
                }
            }
            if bogon_prefix {
                s.bogon_prefixes += 1;
                bogon_prefixes.insert(prefix);
            }
            s.bogon_asns += bogon_asn as u64;
            if let (Some(total), Some(mine)) = (s.aspa.as_mut(), aspa) {
                total.valid += mine.valid;
                total.invalid += mine.invalid;
                total.unknown += mine.unknown;
            }
            if let Some(n) = s.leaking_routes.as_mut() {
                *n += !leakers.is_empty() as u64;
            }
            leakers_all.extend(leakers.iter().copied());
            routes.push(RouteClass {
                prefix,
                origin,
                peers: acc.peers.len() as u32,
                peer_asns: asns.len() as u32,
                rpki,
                rpki_reason,
                irr,
                bogon_prefix,
                bogon_asn,
                aspa,
                leakers,
                paths: acc.paths,
                peer_ids: if self.keep_peers {
                    acc.peers
                } else {
                    Vec::new()
                },
            });
        }
        s.prefixes = prefixes.len() as u64;
        s.origins = origins.len() as u64;
        s.bogon_prefixes_distinct = bogon_prefixes.len() as u64;
        s.bogon_asns_distinct = bogon_asns.into_iter().collect();
        s.leakers = oracles
            .relationships
            .map(|_| leakers_all.into_iter().collect());
        let mut origins: Vec<OriginVisibility> = origin_seen
            .into_iter()
            .map(|(asn, (p, a, n))| OriginVisibility {
                asn,
                peers: p.count(),
                peer_asns: a.count(),
                routes: n,
            })
            .collect();
        origins.sort_unstable_by_key(|o| o.asn);
        RibClassification {
            inputs: self.inputs,
            summary: s,
            routes,
            paths,
            origins,
            peer_keys,
        }
    }
}

/// The path checks of every distinct path, in order, on up to `threads` threads.
fn analyse_paths(o: &Oracles<'_>, paths: &[PathKey], threads: usize) -> Vec<PathFindings> {
    let threads = threads.max(1);
    let chunk = paths.len().div_ceil(threads).max(1024);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(afi, p, otc)| analyse_path(o, p, *otc, *afi))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("path check panicked"))
            .collect()
    })
}

/// Reads and classifies a snapshot made of `files` (one per collector and family).
pub fn classify_files(
    files: &[&Path],
    oracles: &Oracles<'_>,
    threads: usize,
) -> io::Result<RibClassification> {
    let mut c = RibClassifier::new();
    for f in files {
        c.add_file(f, threads)?;
    }
    Ok(c.finish(oracles, threads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bogons::Bogons;
    use crate::irr::IrrTable;
    use routenorms_mrt::record::Addr;
    use routenorms_rpki::{Aspa, AspaSet, Vrp, VrpSet};
    use routenorms_topology::AsRelationships;
    use routenorms_types::{AsPathSegment, SegmentKind};

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    fn entry(peer: (u32, u8), path_id: Option<u32>, prefix: &str, path: AsPath) -> RouteEntry {
        RouteEntry {
            kind: EntryKind::Rib,
            time: Timestamp::from_secs(1000),
            peer: PeerKey {
                asn: peer.0,
                addr: Addr::V4([192, 0, 2, peer.1]),
            },
            prefix: Some(p(prefix)),
            path_id,
            path: Some(path),
            only_to_customer: None,
        }
    }

    fn seq(asns: &[u32]) -> AsPath {
        AsPath::from_sequence(asns.iter().copied())
    }

    /// Three peers (AS 1 twice, on two addresses; AS 2), ADD-PATH duplicates, an AS_SET
    /// route, a bogon prefix, a bogon ASN and a leak.
    fn snapshot() -> RibClassifier {
        let mut c = RibClassifier::new();
        let with_set = AsPath {
            segments: vec![
                AsPathSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![Asn(2), Asn(20)],
                },
                AsPathSegment {
                    kind: SegmentKind::Set,
                    asns: vec![Asn(200), Asn(300)],
                },
            ],
        };
        for e in [
            entry((1, 1), Some(1), "11.0.0.0/16", seq(&[1, 10, 100])),
            entry((1, 1), Some(2), "11.0.0.0/16", seq(&[1, 10, 10, 100])),
            entry((1, 9), None, "11.0.0.0/16", seq(&[1, 10, 100])),
            entry((2, 2), None, "11.0.0.0/16", seq(&[2, 20, 100])),
            entry((2, 2), None, "11.0.0.0/16", seq(&[2, 20, 666])),
            // 100 learned it from its provider 20 and gave it to its provider 10: a leak.
            entry((1, 1), None, "11.1.0.0/16", seq(&[1, 10, 100, 20, 200])),
            entry((2, 2), None, "11.2.0.0/16", with_set),
            entry((2, 2), None, "10.0.0.0/8", seq(&[2, 20, 64512])),
        ] {
            c.add(&e);
        }
        // Withdrawals are not part of a snapshot.
        c.add(&RouteEntry {
            kind: EntryKind::Withdraw,
            path: None,
            ..entry((2, 2), None, "12.0.0.0/8", seq(&[]))
        });
        c
    }

    fn rels() -> AsRelationships {
        AsRelationships::read(
            "1|2|0\n1|10|-1\n2|20|-1\n10|100|-1\n20|100|-1\n20|200|-1\n".as_bytes(),
        )
        .unwrap()
        .relationships
    }

    #[test]
    fn each_distinct_prefix_and_origin_gets_its_visibility_and_verdicts() {
        let b = Bogons::special_only();
        let vrps = VrpSet::new(vec![
            Vrp::new(p("11.0.0.0/16"), 16, Asn(100)).unwrap(),
            Vrp::new(p("11.2.0.0/16"), 16, Asn(200)).unwrap(),
        ]);
        let aspa = AspaSet::new(&[Aspa::new(Asn(100), vec![Asn(10), Asn(20)])]);
        let irr = IrrTable::new(vec![(p("11.0.0.0/8"), Asn(100))]);
        let r = rels();
        let o = Oracles {
            bogons: &b,
            vrps: Some(&vrps),
            aspa: Some(&aspa),
            relationships: Some(&r),
            irr: Some(&irr),
        };
        let c = snapshot().finish(&o, 2);
        let rows: Vec<_> = c
            .routes
            .iter()
            .map(|r| {
                (
                    r.prefix.to_string(),
                    r.origin.map(|a| a.0),
                    r.peers,
                    r.peer_asns,
                    r.rpki.map(|s| s.as_str()),
                    r.bogon_prefix,
                    r.bogon_asn,
                    r.leakers.clone(),
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            rows,
            [
                (
                    s("10.0.0.0/8"),
                    Some(64512),
                    1,
                    1,
                    Some("not-found"),
                    true,
                    true,
                    vec![]
                ),
                (
                    s("11.0.0.0/16"),
                    Some(100),
                    3,
                    2,
                    Some("valid"),
                    false,
                    false,
                    vec![]
                ),
                (
                    s("11.0.0.0/16"),
                    Some(666),
                    1,
                    1,
                    Some("invalid"),
                    false,
                    false,
                    vec![]
                ),
                (
                    s("11.1.0.0/16"),
                    Some(200),
                    1,
                    1,
                    Some("not-found"),
                    false,
                    false,
                    vec![100]
                ),
                (
                    s("11.2.0.0/16"),
                    None,
                    1,
                    1,
                    Some("invalid"),
                    false,
                    false,
                    vec![]
                ),
            ]
        );
        // 11.0/16 from 100 has two distinct paths (the prepended one collapses only in
        // the checks, not in identity); ASPA: 100 attests 10 and 20 as providers.
        let r100 = &c.routes[1];
        assert_eq!(r100.paths.len(), 3);
        assert_eq!(r100.irr.unwrap().status, "covered");
        assert_eq!(c.routes[2].irr.unwrap().status, "mismatch");
        assert_eq!(c.routes[4].irr, None, "origin NONE has no IRR status");
        let sm = &c.summary;
        assert_eq!((sm.entries, sm.peers), (8, 3));
        assert_eq!((sm.routes, sm.as_set_routes, sm.prefixes), (4, 1, 4));
        assert_eq!(
            sm.rpki,
            Some(RpkiCounts {
                valid: 1,
                invalid: 1,
                not_found: 2
            })
        );
        assert_eq!(
            sm.rpki_as_set,
            Some(RpkiCounts {
                valid: 0,
                invalid: 1,
                not_found: 0
            })
        );
        assert_eq!(
            sm.irr
                .as_ref()
                .unwrap()
                .iter()
                .map(|(k, v)| (*k, *v))
                .collect::<Vec<_>>(),
            [("covered", 1), ("mismatch", 2), ("not-registered", 1)]
        );
        assert_eq!((sm.bogon_prefixes, sm.bogon_asns), (1, 1));
        assert_eq!(sm.bogon_asns_distinct, [64512]);
        assert_eq!(sm.leaking_routes, Some(1));
        assert_eq!(sm.leakers, Some(vec![100]));
        let aspa = sm.aspa.unwrap();
        assert_eq!(
            aspa.valid + aspa.invalid + aspa.unknown,
            7,
            "one per (route, path)"
        );
        assert_eq!(aspa.invalid, 1, "the AS_SET path");
        let leak_path = &c.paths[c.routes[3].paths[0] as usize];
        assert_eq!(leak_path.findings.leak.unwrap().accomplice, 10);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["summary"]["rpki"]["not_found"], 2);
        assert_eq!(json["routes"][3]["prefix"], "11.1.0.0/16");
        assert_eq!(json["paths"][0]["path"], "1 10 100");
    }

    #[test]
    fn absent_data_is_no_data_not_zero() {
        let b = Bogons::special_only();
        let c = snapshot().finish(&Oracles::new(&b), 1);
        let sm = &c.summary;
        assert_eq!(
            (sm.rpki, sm.irr.clone(), sm.aspa, sm.leaking_routes),
            (None, None, None, None)
        );
        assert!(c.routes.iter().all(|r| r.rpki.is_none() && r.irr.is_none()));
        assert!(c.paths.iter().all(|p| p.findings.valley.is_none()));
        // Bogons never lack data: the built-in registries are always there.
        assert_eq!(sm.bogon_prefixes, 1);
    }
}
