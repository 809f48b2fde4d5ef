//! Incidents: routing events that break the MANRS norms, detected from update streams
//! (BGP4MP) and successive RIB snapshots, each with its start, end, the peers that saw it,
//! the culprit AS, its accomplice and the evidence.
//!
//! # What is detected
//!
//! | event kind     | metric        | culprit                       | accomplice                |
//! |----------------|---------------|-------------------------------|---------------------------|
//! | `moas`         | `hijack`      | the new origin                | AS before it in the path  |
//! | `sub_moas`     | `hijack`      | the more-specific's origin    | AS before it in the path  |
//! | `forged_path`  | `hijack`      | the AS claiming the impossible adjacency | AS before it in the path |
//! | `route_leak`   | `route_leak`  | the AS that exported against policy (valley-free or RFC 9234 OTC) | the AS it exported to |
//! | `bogon_prefix` | `bogon_prefix`| the origin (aggregator for AS_SET) | AS before it         |
//! | `bogon_asn`    | `bogon_asn`   | the AS that accepted the bogon ASN nearest the collector | the AS after it |
//! | `rpki_invalid` | `rpki_invalid`| the origin                    | AS before it in the path  |
//! | `more_specific`| `more_specific`| the origin                   | AS before it in the path  |
//! | `outage`       | `outage`      | the prefix's baseline origin  | none                      |
//!
//! `hijack`, `route_leak`, `bogon_prefix` and `bogon_asn` are the MANRS filtering metrics
//! M1–M4; `rpki_invalid`, `more_specific` and `outage` are reported beside them and counted
//! by no MANRS metric. [`crate::checks`] says how culprits are read on a path.
//!
//! **Possible hijack.** A route (P, O) is a MOAS event when the baseline has P with other
//! origins only, and a sub-MOAS event when the baseline does not have P but has a covering
//! prefix, and the most specific such prefix has other origins only. The evidence names
//! the previous origins (and the covering prefix). Routes with origin NONE (AS_SET) or a
//! bogon origin ASN (private, reserved, unallocated) are never hijack candidates: a bogon
//! origin is a `bogon_asn` event blamed on the network that accepted it. A hijack is **down-ranked** (still reported, with the reasons)
//! when the new origin is RPKI-valid for P, when the IRR registers (P, O), or when O is a
//! customer or provider of a previous origin.
//!
//! **Forged path.** A route whose AS path crosses, after the baseline, an adjacency `x y`
//! (`y` nearer the origin) that no data allows: the AS relationships know no link between
//! them, `y` has an ASPA (so it attests every provider it has) that does not list `x`, `x`'s
//! ASPA (if any) does not list `y`, and no baseline path showed the adjacency. `x` claims to
//! have heard the route from `y` — a forged origin when `y` is the origin (a "type-1
//! hijack": same prefix, same origin, so no MOAS). The hop nearest the origin is named
//! (evidence `forged_link`). Needs both ASPA and relationships; bogon ASNs are left to
//! `bogon_asn`. ASPA is read for either address family (a provider listed for one is
//! allowed).
//!
//! **RPKI-invalid.** A route (P, O) the baseline did not have that the VRPs make invalid
//! (evidence `rpki_invalid`: `as` or `length`), unless the same route is already a `moas`,
//! `sub_moas`, `bogon_prefix` or `bogon_asn` event (an invalid hijack is reported as a
//! hijack, once). Typically an origin announcing a more-specific of its own space beyond its
//! ROA's maxLength. Routes invalid from the start (stale ROAs) are not events.
//!
//! **New more-specific.** A route (P, O) when the baseline does not have P but has a
//! covering prefix, and the most specific such prefix has O among its origins: the network
//! started announcing a more-specific of its own space (the sub-MOAS case with the same
//! origin). This is what an RFC 7908 type-6 leak (internal more-specifics leaked to
//! providers or peers) looks like, and also what deliberate de-aggregation or traffic
//! engineering looks like: BGP data does not tell them apart, so the event is reported for
//! the operator to confirm (evidence: the covering prefix and its origins) and no MANRS
//! metric counts it. It is reported whatever its RPKI state; one that is also RPKI-invalid
//! is an `rpki_invalid` event too (the two answer different questions).
//!
//! **Outage.** With a RIB baseline only (only then is every peer's table known): a prefix of
//! the baseline that no collector peer carries any more — the last one withdrew it, or a
//! later snapshot does not list it for any peer that had it. It ends when a peer carries it
//! again. A session going down is no outage of the prefixes it carried. Carriers are
//! counted per peer (ADD-PATH path ids are not told apart). The culprit is the prefix's
//! baseline origin (the latest route's origin when the baseline has several); the event's
//! peers are those whose withdrawal (or snapshot) removed the last routes; its evidence has
//! no path.
//!
//! **Baseline.** The "previous origins" are those of the baseline: every route seen (RIB
//! entries and announcements) up to the end of the first RIB snapshot — the RIB files whose
//! dump time is within [`SNAPSHOT_SPREAD_SECS`] of the earliest one, and the updates
//! before the last of them. Without RIB files, the baseline is every announcement in the
//! first [`DetectorConfig::baseline_secs`] of updates. Hijacks, forged paths, RPKI-invalid
//! routes, new more-specifics and outages are only detected after the baseline; route leaks
//! and bogons are detected from the first entry on (they need no history).
//!
//! **Start and end.** An event starts when the first peer shows a route with it and ends
//! when no peer does any more: a withdrawal, an announcement replacing the route, a
//! session going down, or a later RIB snapshot (authoritative for the peers it contains)
//! not listing the route. Events still live at the end of the data end there and are marked
//! `ongoing`. An event already in the baseline snapshot (or at the first data time) starts
//! at the snapshot time and is marked `from_start`: its real start is unknown. A snapshot
//! speaks for the (peer, address family) pairs it lists: an IPv6 RIB file does not end the
//! IPv4 routes of the same peer.
//!
//! **Incidents and weight.** Events with the same metric and culprit whose intervals overlap
//! (or touch) are merged into one [`Incident`]; its weight follows the MANRS Observatory:
//! shorter than 30 minutes 0.5, shorter than 24 hours 1, plus 1 for each further full 24
//! hours ([`weight`]).
//!
//! Everything is deterministic: the same inputs give the same events in the same order
//! (events sorted by metric, culprit, start, kind, prefix; incidents by metric, culprit,
//! start).

use crate::checks::{analyse_path, sequence_part, Leak, Oracles, PathFindings};
use crate::classify::InputFile;
use routenorms_mrt::readahead::{Readahead, READAHEAD_BATCHES};
use routenorms_mrt::routes::{for_each_entry_batch, EntriesEnding, EntryKind, PeerKey, RouteEntry};
use routenorms_rpki::{AspaSet, HopCheck, InvalidReason, RovState};
use routenorms_topology::Relationship;
use routenorms_types::{Afi, AsPath, Asn, Prefix, Timestamp};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[cfg(test)]
mod tests;

/// RIB files dumped within this many seconds of the earliest one form the first snapshot.
pub const SNAPSHOT_SPREAD_SECS: u32 = 900;

/// The MANRS metric an event counts against.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// M1: route leaks.
    RouteLeak,
    /// M2: possible hijacks.
    Hijack,
    /// M3: bogon prefixes.
    BogonPrefix,
    /// M4: bogon ASNs.
    BogonAsn,
    /// New RPKI-invalid announcements no hijack or bogon event reports: not a MANRS
    /// filtering metric (M1–M4 do not count it).
    RpkiInvalid,
    /// New more-specifics of a network's own announced space (possible RFC 7908 type-6
    /// leaks): reported for the operator to confirm, not a MANRS metric.
    MoreSpecific,
    /// Prefixes no collector peer carries any more: reported, not a MANRS metric.
    Outage,
}

/// What was seen.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Moas,
    SubMoas,
    RouteLeak,
    BogonPrefix,
    BogonAsn,
    /// A path crossing an adjacency neither the AS relationships nor ASPA allow.
    ForgedPath,
    RpkiInvalid,
    /// A more-specific of a baseline prefix, by one of that prefix's own origins.
    MoreSpecific,
    Outage,
}

impl EventKind {
    pub const fn metric(self) -> Metric {
        match self {
            EventKind::Moas | EventKind::SubMoas | EventKind::ForgedPath => Metric::Hijack,
            EventKind::RouteLeak => Metric::RouteLeak,
            EventKind::BogonPrefix => Metric::BogonPrefix,
            EventKind::BogonAsn => Metric::BogonAsn,
            EventKind::RpkiInvalid => Metric::RpkiInvalid,
            EventKind::MoreSpecific => Metric::MoreSpecific,
            EventKind::Outage => Metric::Outage,
        }
    }
}

/// A forged path's impossible adjacency: `culprit` sent a route claiming `neighbour`
/// (nearer the origin) as its neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ForgedLink {
    pub culprit: u32,
    pub neighbour: u32,
}

/// Why a possible hijack is less likely one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DownRank {
    /// A VRP makes the new origin RPKI-valid for the prefix.
    RpkiValid,
    /// The IRR registers the route for the new origin.
    IrrRegistered { status: &'static str },
    /// The new origin is a customer or provider of a previous origin.
    Related {
        previous_origin: u32,
        /// What the new origin is to the previous one.
        new_origin_is: Relationship,
    },
}

/// [`DownRank`] as it reads back (`status` owned), for events a shard stored.
#[derive(serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
enum DownRankText {
    RpkiValid,
    IrrRegistered {
        status: String,
    },
    Related {
        previous_origin: u32,
        new_origin_is: Relationship,
    },
}

impl<'de> serde::Deserialize<'de> for DownRank {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DownRank, D::Error> {
        Ok(match DownRankText::deserialize(d)? {
            DownRankText::RpkiValid => DownRank::RpkiValid,
            DownRankText::IrrRegistered { status } => DownRank::IrrRegistered {
                status: crate::irr::status_name(&status).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown IRR status {status:?}"))
                })?,
            },
            DownRankText::Related {
                previous_origin,
                new_origin_is,
            } => DownRank::Related {
                previous_origin,
                new_origin_is,
            },
        })
    }
}

/// A collector peer.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct PeerRef {
    pub asn: u32,
    pub addr: IpAddr,
}

impl From<PeerKey> for PeerRef {
    fn from(p: PeerKey) -> PeerRef {
        PeerRef {
            asn: p.asn,
            addr: p.addr.to_ip(),
        }
    }
}

/// What an event rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// The AS path of the first route that showed the event (empty for an outage).
    pub path: String,
    pub only_to_customer: Option<u32>,
    /// Hijacks and new more-specifics: the baseline origins of the prefix (or of the
    /// covering prefix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_origins: Vec<u32>,
    /// Sub-MOAS and new more-specifics: the baseline prefix the route is more specific of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covering_prefix: Option<Prefix>,
    /// Route leaks: the offending hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leak: Option<Leak>,
    /// Bogon ASNs: the bogon ASN nearest the collector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bogon_asn: Option<u32>,
    /// Forged paths: the adjacency no relationship or ASPA allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forged_link: Option<ForgedLink>,
    /// RPKI-invalid routes: why (`as` or `length`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpki_invalid: Option<InvalidReason>,
}

/// One detected event: one prefix, one culprit, one kind, one interval.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub metric: Metric,
    pub prefix: Prefix,
    pub culprit: u32,
    /// The culprit's direct upstreams on the paths that showed the event (sorted).
    pub accomplices: Vec<u32>,
    /// Seconds since the epoch.
    pub start: u32,
    pub end: u32,
    /// Still visible at the end of the data (`end` is the end of the data).
    pub ongoing: bool,
    /// Already visible when observation began.
    pub from_start: bool,
    /// Every peer that showed it (sorted).
    pub peers: Vec<PeerRef>,
    pub evidence: Evidence,
    /// Hijacks only: why this one is less likely a hijack (empty: not down-ranked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub downranked: Vec<DownRank>,
}

/// Events of one metric and culprit merged over overlapping time.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Incident {
    pub metric: Metric,
    pub culprit: u32,
    pub start: u32,
    pub end: u32,
    pub ongoing: bool,
    /// The MANRS Observatory weight of the merged interval ([`weight`]).
    pub weight: f64,
    /// Every event is a down-ranked hijack.
    pub downranked: bool,
    /// Union of the events' accomplices (sorted).
    pub accomplices: Vec<u32>,
    /// Distinct peers over the events.
    pub peers: u32,
    pub events: Vec<Event>,
}

/// Incidents and events counted by type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IncidentCounts {
    /// Merged incidents per metric.
    pub hijack: u64,
    pub route_leak: u64,
    pub bogon_prefix: u64,
    pub bogon_asn: u64,
    pub rpki_invalid: u64,
    pub more_specific: u64,
    pub outage: u64,
    /// Hijack incidents whose events are all down-ranked.
    pub hijack_downranked: u64,
    /// Events per kind.
    pub events_moas: u64,
    pub events_sub_moas: u64,
    pub events_forged_path: u64,
    pub events_route_leak: u64,
    pub events_bogon_prefix: u64,
    pub events_bogon_asn: u64,
    pub events_rpki_invalid: u64,
    pub events_more_specific: u64,
    pub events_outage: u64,
}

/// Where the "previous origins" came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BaselineInfo {
    /// `rib` (first snapshot), `updates` (first minutes of updates) or `none`.
    pub source: &'static str,
    /// Hijack detection ran from this time on.
    pub until: Option<u32>,
    pub prefixes: u64,
    pub routes: u64,
}

/// The detector's result.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct IncidentReport {
    pub data_start: Option<u32>,
    pub data_end: Option<u32>,
    pub baseline: BaselineInfo,
    pub counts: IncidentCounts,
    pub incidents: Vec<Incident>,
}

/// The MANRS Observatory weight of an incident lasting `secs`.
pub fn weight(secs: u32) -> f64 {
    if secs < 30 * 60 {
        0.5
    } else {
        1.0 + (secs / 86_400) as f64
    }
}

/// Detector settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectorConfig {
    /// Without RIB files: the first this many seconds of updates form the baseline.
    pub baseline_secs: u32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            baseline_secs: 15 * 60,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct EventKey {
    kind: EventKind,
    prefix: Prefix,
    culprit: u32,
    /// Leak: the check; bogon ASN: the ASN; else 0.
    detail: u32,
}

/// An event a route shows: its key, the culprit's accomplice on this path, and for
/// hijacks the details.
type RouteEvent = (EventKey, Option<u32>, Option<HijackInfo>);

#[derive(Debug, Clone)]
struct HijackInfo {
    kind: EventKind,
    previous: Vec<u32>,
    covering: Option<Prefix>,
    downranked: Vec<DownRank>,
}

#[derive(Debug)]
struct Episode {
    key: EventKey,
    start: u32,
    end: Option<u32>,
    from_start: bool,
    /// Routes (peer, prefix, path id) currently showing it.
    active: u32,
    peers: BTreeSet<PeerKey>,
    accomplices: BTreeSet<u32>,
    evidence: Evidence,
    downranked: Vec<DownRank>,
}

#[derive(Debug)]
struct LiveRoute {
    episodes: Vec<u32>,
    epoch: u32,
}

/// Outage tracking for one baseline prefix: which collector peers carry it.
#[derive(Debug, Default)]
struct Presence {
    /// Peers (by index) whose latest word on the prefix is a route.
    carriers: PeerBits,
    /// Peers listing it in the snapshot being read.
    listed: PeerBits,
    /// The origin of the latest route.
    origin: u32,
    /// The open outage episode.
    outage: Option<u32>,
}

/// The snapshot routes of one prefix gathered so far.
#[derive(Debug)]
struct Pending {
    prefix: Prefix,
    bits: PeerBits,
    origin: Option<u32>,
}

/// A set of peer indices: the first 128 inline (no allocation per prefix for most
/// collectors), the others in `more` (bit `i - 128`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct PeerBits {
    low: u128,
    more: Vec<u64>,
}

impl PeerBits {
    fn insert(&mut self, i: u32) {
        if i < 128 {
            self.low |= 1 << i;
            return;
        }
        let (w, b) = (((i - 128) / 64) as usize, (i - 128) % 64);
        if self.more.len() <= w {
            self.more.resize(w + 1, 0);
        }
        self.more[w] |= 1 << b;
    }

    /// Removes `i`; whether it was in.
    fn remove(&mut self, i: u32) -> bool {
        if i < 128 {
            let was = self.low & (1 << i) != 0;
            self.low &= !(1 << i);
            return was;
        }
        let (w, b) = (((i - 128) / 64) as usize, (i - 128) % 64);
        match self.more.get_mut(w) {
            Some(x) if *x & (1 << b) != 0 => {
                *x &= !(1 << b);
                true
            }
            _ => false,
        }
    }

    fn is_empty(&self) -> bool {
        self.low == 0 && self.more.iter().all(|&w| w == 0)
    }

    fn union_with(&mut self, o: &PeerBits) {
        self.low |= o.low;
        if self.more.len() < o.more.len() {
            self.more.resize(o.more.len(), 0);
        }
        for (a, b) in self.more.iter_mut().zip(&o.more) {
            *a |= b;
        }
    }

    /// `(self − mask) ∪ add`.
    fn replaced(&self, mask: &PeerBits, add: &PeerBits) -> PeerBits {
        let n = self.more.len().max(add.more.len());
        let word = |v: &[u64], w: usize| v.get(w).copied().unwrap_or(0);
        let mut more: Vec<u64> = (0..n)
            .map(|w| (word(&self.more, w) & !word(&mask.more, w)) | word(&add.more, w))
            .collect();
        while more.last() == Some(&0) {
            more.pop();
        }
        PeerBits {
            low: (self.low & !mask.low) | add.low,
            more,
        }
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let low = (0..128u32).filter(|&b| self.low & (1 << b) != 0);
        let more = self.more.iter().enumerate().flat_map(|(w, &x)| {
            (0..64u32)
                .filter(move |b| x & (1 << b) != 0)
                .map(move |b| 128 + w as u32 * 64 + b)
        });
        low.chain(more)
    }
}

#[derive(Debug)]
struct Snapshot {
    time: u32,
    peers: FxHashSet<(PeerKey, Afi)>,
}

/// Feeds on route entries in time order and keeps the live events. Use through
/// [`detect_files`], or drive it directly: [`begin_snapshot`](Self::begin_snapshot) /
/// [`apply`](Self::apply) / [`end_snapshot`](Self::end_snapshot) for RIB dumps,
/// [`apply`](Self::apply) for updates, [`end_baseline`](Self::end_baseline) when the baseline
/// is complete, [`finish`](Self::finish) at the end.
#[derive(Debug)]
pub struct IncidentDetector<'o> {
    oracles: Oracles<'o>,
    detecting: bool,
    baseline_until: Option<u32>,
    baseline_source: &'static str,
    baseline: FxHashMap<Prefix, Vec<u32>>,
    /// Bit `l` set when the baseline has a prefix of length `l` (per family).
    baseline_lengths: [u128; 2],
    baseline_top_v6: bool,
    /// Path → (OTC, index into `findings`): looked up by reference.
    path_ids: FxHashMap<AsPath, Vec<(Option<u32>, u32)>>,
    findings: Vec<PathFindings>,
    path_text: Vec<String>,
    hijacks: FxHashMap<(Prefix, u32), Option<HijackInfo>>,
    routes: FxHashMap<PeerKey, FxHashMap<(Prefix, Option<u32>), LiveRoute>>,
    live: FxHashMap<EventKey, u32>,
    episodes: Vec<Episode>,
    snapshot: Option<Snapshot>,
    snapshots: u32,
    epoch: u32,
    first_time: Option<u32>,
    last_time: Option<u32>,
    /// ASPA data for the forged-path check only (the per-path ASPA verdict of
    /// [`analyse_path`] is not needed here, so `oracles.aspa` is cleared).
    aspa: Option<&'o AspaSet>,
    /// Adjacencies (collector side, origin side) of the baseline's paths, kept when both
    /// ASPA and relationships are given.
    baseline_links: FxHashSet<(u32, u32)>,
    /// Per path id: the forged link it shows and the culprit's accomplice.
    forged: Vec<Option<(ForgedLink, Option<u32>)>>,
    /// (prefix, origin) new since the baseline → why it is RPKI-invalid (`None`: it is not).
    rov: FxHashMap<(Prefix, u32), Option<InvalidReason>>,
    /// Outage tracking (RIB baseline only): the baseline's prefixes and their carriers.
    presence: FxHashMap<Prefix, Presence>,
    /// Snapshot routes of the prefix being read, not yet in `presence`.
    pending: Option<Pending>,
    peer_index: FxHashMap<PeerKey, u32>,
    peers_by_index: Vec<PeerKey>,
}

impl<'o> IncidentDetector<'o> {
    /// A detector in its baseline phase.
    pub fn new(oracles: Oracles<'o>) -> IncidentDetector<'o> {
        IncidentDetector {
            aspa: oracles.aspa,
            baseline_links: FxHashSet::default(),
            forged: Vec::new(),
            rov: FxHashMap::default(),
            presence: FxHashMap::default(),
            pending: None,
            peer_index: FxHashMap::default(),
            peers_by_index: Vec::new(),
            oracles: Oracles {
                aspa: None,
                ..oracles
            },
            detecting: false,
            baseline_until: None,
            baseline_source: "none",
            baseline: FxHashMap::default(),
            baseline_lengths: [0; 2],
            baseline_top_v6: false,
            path_ids: FxHashMap::default(),
            findings: Vec::new(),
            path_text: Vec::new(),
            hijacks: FxHashMap::default(),
            routes: FxHashMap::default(),
            live: FxHashMap::default(),
            episodes: Vec::new(),
            snapshot: None,
            snapshots: 0,
            epoch: 0,
            first_time: None,
            last_time: None,
        }
    }

    /// Ends the baseline phase by itself at the first entry at or after `time` (for
    /// updates-only input).
    pub fn baseline_until(&mut self, time: u32) {
        self.baseline_until = Some(time);
        self.baseline_source = "updates";
    }

    /// Freezes the baseline: hijack detection starts.
    pub fn end_baseline(&mut self) {
        if !self.detecting {
            self.detecting = true;
            self.baseline_until = Some(self.last_time.unwrap_or(0));
        }
    }

    /// Starts a RIB snapshot taken at `time`: it is authoritative for the peers it lists.
    pub fn begin_snapshot(&mut self, time: u32) {
        self.end_snapshot();
        self.epoch += 1;
        self.snapshots += 1;
        if !self.detecting {
            self.baseline_source = "rib";
        }
        self.note_time(time);
        self.snapshot = Some(Snapshot {
            time,
            peers: FxHashSet::default(),
        });
    }

    /// Ends the current snapshot: routes of its peers that it did not list are withdrawn
    /// at the snapshot time.
    pub fn end_snapshot(&mut self) {
        let Some(snap) = self.snapshot.take() else {
            return;
        };
        self.merge_snapshot_presence(&snap);
        let mut peers: Vec<(PeerKey, Afi)> = snap.peers.into_iter().collect();
        peers.sort_unstable();
        for (peer, afi) in peers {
            let Some(routes) = self.routes.get_mut(&peer) else {
                continue;
            };
            let mut gone: Vec<(Prefix, Option<u32>)> = routes
                .iter()
                .filter(|(k, r)| k.0.afi() == afi && r.epoch != self.epoch)
                .map(|(k, _)| *k)
                .collect();
            gone.sort_unstable();
            for k in gone {
                if let Some(r) = routes.remove(&k) {
                    for e in r.episodes {
                        release(&mut self.episodes, &mut self.live, e, snap.time);
                    }
                }
            }
        }
    }

    /// Outages are tracked when the baseline is a RIB snapshot: only then is every peer's
    /// table known, so that "no peer carries it" means something.
    fn tracks_outages(&self) -> bool {
        self.baseline_source == "rib"
    }

    fn peer_idx(&mut self, peer: PeerKey) -> u32 {
        if let Some(&i) = self.peer_index.get(&peer) {
            return i;
        }
        let i = self.peers_by_index.len() as u32;
        self.peers_by_index.push(peer);
        self.peer_index.insert(peer, i);
        i
    }

    /// A peer shows a route for `prefix` (a snapshot entry when `listed`).
    fn carried(
        &mut self,
        prefix: Prefix,
        peer: PeerKey,
        origin: Option<Asn>,
        listed: bool,
        t: u32,
    ) {
        if !self.tracks_outages() {
            return;
        }
        let idx = self.peer_idx(peer);
        if listed {
            // A dump lists a prefix's routes together: gather them before one map lookup.
            if self.pending.as_ref().is_some_and(|q| q.prefix != prefix) {
                self.flush_pending();
            }
            let q = self.pending.get_or_insert_with(|| Pending {
                prefix,
                bits: PeerBits::default(),
                origin: None,
            });
            q.bits.insert(idx);
            q.origin = origin.map(|o| o.0).or(q.origin);
            return;
        }
        // Only the baseline's prefixes (with an origin) are followed.
        let p = match (self.detecting, origin) {
            (false, Some(_)) => self.presence.entry(prefix).or_default(),
            _ => match self.presence.get_mut(&prefix) {
                Some(p) => p,
                None => return,
            },
        };
        if let Some(o) = origin {
            p.origin = o.0;
        }
        p.carriers.insert(idx);
        if let Some(id) = p.outage.take() {
            self.episodes[id as usize].end = Some(t);
        }
    }

    /// Moves the gathered snapshot routes of one prefix into its `listed` bits.
    fn flush_pending(&mut self) {
        let Some(q) = self.pending.take() else {
            return;
        };
        let p = match (self.detecting, q.origin) {
            (false, Some(_)) => self.presence.entry(q.prefix).or_default(),
            _ => match self.presence.get_mut(&q.prefix) {
                Some(p) => p,
                None => return,
            },
        };
        if let Some(o) = q.origin {
            p.origin = o;
        }
        p.listed.union_with(&q.bits);
    }

    /// A peer withdrew `prefix`: an outage starts when no peer carries it any more.
    fn withdrawn(&mut self, prefix: Prefix, peer: PeerKey, t: u32) {
        if !self.tracks_outages() {
            return;
        }
        let Some(&idx) = self.peer_index.get(&peer) else {
            return;
        };
        let Some(p) = self.presence.get_mut(&prefix) else {
            return;
        };
        if p.carriers.remove(idx) && self.detecting && p.outage.is_none() && p.carriers.is_empty() {
            let previous = self.baseline.get(&prefix).cloned().unwrap_or_default();
            p.outage = Some(open_outage(
                &mut self.episodes,
                prefix,
                p.origin,
                previous,
                [peer].into(),
                t,
            ));
        }
    }

    /// A session went down: its routes are gone, but that is no outage of their origins.
    fn peer_gone(&mut self, peer: PeerKey) {
        let Some(&idx) = self.peer_index.get(&peer) else {
            return;
        };
        for p in self.presence.values_mut() {
            p.carriers.remove(idx);
        }
    }

    /// A snapshot replaces what its (peer, family) pairs carry: outages start where no peer
    /// carries a baseline prefix any more and end where one does again.
    fn merge_snapshot_presence(&mut self, snap: &Snapshot) {
        if !self.tracks_outages() {
            return;
        }
        self.flush_pending();
        let mut masks: [PeerBits; 2] = Default::default();
        for (peer, afi) in &snap.peers {
            if let Some(&i) = self.peer_index.get(peer) {
                masks[usize::from(*afi == Afi::Ipv6)].insert(i);
            }
        }
        let mut opened: Vec<(Prefix, BTreeSet<PeerKey>)> = Vec::new();
        for (prefix, p) in self.presence.iter_mut() {
            let mask = &masks[usize::from(prefix.afi() == Afi::Ipv6)];
            if mask.is_empty() && p.listed.is_empty() {
                continue;
            }
            let merged = p.carriers.replaced(mask, &p.listed);
            let (was, now) = (!p.carriers.is_empty(), !merged.is_empty());
            if self.detecting && was && !now && p.outage.is_none() {
                // The peers that carried it until this snapshot.
                let gone = p
                    .carriers
                    .iter()
                    .map(|i| self.peers_by_index[i as usize])
                    .collect();
                opened.push((*prefix, gone));
            }
            p.carriers = merged;
            p.listed = PeerBits::default();
            if self.detecting && now {
                if let Some(id) = p.outage.take() {
                    self.episodes[id as usize].end = Some(snap.time);
                }
            }
        }
        // In prefix order, so that episode ids do not follow the hash order.
        opened.sort_unstable_by_key(|(p, _)| *p);
        for (prefix, gone) in opened {
            let previous = self.baseline.get(&prefix).cloned().unwrap_or_default();
            let Some(p) = self.presence.get_mut(&prefix) else {
                continue;
            };
            p.outage = Some(open_outage(
                &mut self.episodes,
                prefix,
                p.origin,
                previous,
                gone,
                snap.time,
            ));
        }
    }

    fn note_time(&mut self, t: u32) {
        self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
        self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
    }

    /// Applies one entry (entries must come in time order; RIB entries between
    /// [`begin_snapshot`](Self::begin_snapshot) and [`end_snapshot`](Self::end_snapshot)).
    pub fn apply(&mut self, e: &RouteEntry) {
        self.apply_at(e, e.time.secs)
    }

    /// [`apply`](Self::apply) with the entry taken to happen at `t`.
    fn apply_at(&mut self, e: &RouteEntry, t: u32) {
        if !self.detecting && self.baseline_until.is_some_and(|u| t >= u) {
            self.end_baseline();
        }
        self.note_time(t);
        match e.kind {
            EntryKind::PeerDown => {
                self.peer_gone(e.peer);
                if let Some(routes) = self.routes.remove(&e.peer) {
                    let mut all: Vec<_> = routes.into_iter().collect();
                    all.sort_unstable_by_key(|(k, _)| *k);
                    for (_, r) in all {
                        for ep in r.episodes {
                            release(&mut self.episodes, &mut self.live, ep, t);
                        }
                    }
                }
            }
            EntryKind::Withdraw => {
                let Some(prefix) = e.prefix else { return };
                if let Some(routes) = self.routes.get_mut(&e.peer) {
                    if let Some(r) = routes.remove(&(prefix, e.path_id)) {
                        for ep in r.episodes {
                            release(&mut self.episodes, &mut self.live, ep, t);
                        }
                    }
                }
                self.withdrawn(prefix, e.peer, t);
            }
            EntryKind::Rib | EntryKind::Announce => {
                let (Some(prefix), Some(path)) = (e.prefix, e.path.as_ref()) else {
                    return;
                };
                if let Some(s) = self.snapshot.as_mut() {
                    s.peers.insert((e.peer, prefix.afi()));
                }
                let origin = path.origin();
                if !self.detecting {
                    if let Some(o) = origin {
                        self.add_baseline(prefix, o.0);
                    }
                }
                let listed = e.kind == EntryKind::Rib && self.snapshot.is_some();
                self.carried(prefix, e.peer, origin, listed, t);
                let (path_id, new) = self.events_of(prefix, origin, path, e.only_to_customer);
                let mut ids = Vec::with_capacity(new.len());
                for (key, accomplice, info) in new {
                    ids.push(self.hold(key, accomplice, info, path_id, e, t));
                }
                let routes = self.routes.entry(e.peer).or_default();
                let old = if ids.is_empty() {
                    routes.remove(&(prefix, e.path_id))
                } else {
                    routes.insert(
                        (prefix, e.path_id),
                        LiveRoute {
                            episodes: ids,
                            epoch: self.epoch,
                        },
                    )
                };
                if let Some(old) = old {
                    for ep in old.episodes {
                        release(&mut self.episodes, &mut self.live, ep, t);
                    }
                }
            }
        }
    }

    fn add_baseline(&mut self, prefix: Prefix, origin: u32) {
        let v = self.baseline.entry(prefix).or_default();
        if let Err(i) = v.binary_search(&origin) {
            v.insert(i, origin);
        }
        let fam = usize::from(prefix.afi() == Afi::Ipv6);
        if prefix.len() == 128 {
            self.baseline_top_v6 = true;
        } else {
            self.baseline_lengths[fam] |= 1u128 << prefix.len();
        }
    }

    fn baseline_has_len(&self, fam: usize, len: u8) -> bool {
        if len == 128 {
            self.baseline_top_v6
        } else {
            self.baseline_lengths[fam] & (1u128 << len) != 0
        }
    }

    /// Adds the route to the live episode of `key`, opening one if needed.
    fn hold(
        &mut self,
        key: EventKey,
        accomplice: Option<u32>,
        info: Option<HijackInfo>,
        path_id: u32,
        e: &RouteEntry,
        t: u32,
    ) -> u32 {
        let id = match self.live.get(&key) {
            Some(&id) => id,
            None => {
                let f = &self.findings[path_id as usize];
                let (previous, covering, downranked) = match info {
                    Some(h) => (h.previous, h.covering, h.downranked),
                    None => (Vec::new(), None, Vec::new()),
                };
                let evidence = Evidence {
                    path: self.path_text[path_id as usize].clone(),
                    only_to_customer: e.only_to_customer,
                    previous_origins: previous,
                    covering_prefix: covering,
                    leak: (key.kind == EventKind::RouteLeak)
                        .then_some(f.leak)
                        .flatten(),
                    bogon_asn: (key.kind == EventKind::BogonAsn).then_some(key.detail),
                    forged_link: (key.kind == EventKind::ForgedPath).then_some(ForgedLink {
                        culprit: key.culprit,
                        neighbour: key.detail,
                    }),
                    rpki_invalid: (key.kind == EventKind::RpkiInvalid).then_some(
                        if key.detail == 1 {
                            InvalidReason::Length
                        } else {
                            InvalidReason::As
                        },
                    ),
                };
                let id = self.episodes.len() as u32;
                self.episodes.push(Episode {
                    key,
                    start: t,
                    end: None,
                    from_start: (self.snapshot.is_some() && !self.detecting)
                        || Some(t) == self.first_time,
                    active: 0,
                    peers: BTreeSet::new(),
                    accomplices: BTreeSet::new(),
                    evidence,
                    downranked,
                });
                self.live.insert(key, id);
                id
            }
        };
        let ep = &mut self.episodes[id as usize];
        ep.active += 1;
        ep.peers.insert(e.peer);
        ep.accomplices.extend(accomplice);
        id
    }

    /// The events a route shows: (key, accomplice, hijack details).
    fn events_of(
        &mut self,
        prefix: Prefix,
        origin: Option<Asn>,
        path: &AsPath,
        otc: Option<u32>,
    ) -> (u32, Vec<RouteEvent>) {
        let known = self
            .path_ids
            .get(path)
            .and_then(|v| v.iter().find(|x| x.0 == otc));
        let path_id = match known {
            Some(&(_, i)) => i,
            None => {
                let i = self.findings.len() as u32;
                self.findings
                    .push(analyse_path(&self.oracles, path, otc, prefix.afi()));
                self.path_text.push(path.to_string());
                let forged = self.forged_link(path);
                self.forged.push(forged);
                self.path_ids
                    .entry(path.clone())
                    .or_default()
                    .push((otc, i));
                i
            }
        };
        let f = &self.findings[path_id as usize];
        let mut out = Vec::new();
        let key = |kind, culprit, detail| EventKey {
            kind,
            prefix,
            culprit,
            detail,
        };
        if let Some(l) = f.leak {
            out.push((
                key(EventKind::RouteLeak, l.leaker, l.check as u32),
                Some(l.accomplice),
                None,
            ));
        }
        if let Some((culprit, accomplice)) = f.bogon_asn_culprit {
            out.push((
                key(EventKind::BogonAsn, culprit, f.bogon_asns[0]),
                accomplice,
                None,
            ));
        }
        let origin_side = f.origin_side;
        if let Some((culprit, accomplice)) = origin_side {
            if self.oracles.bogons.is_bogon_prefix(&prefix) {
                out.push((key(EventKind::BogonPrefix, culprit, 0), accomplice, None));
            }
        }
        // A bogon origin ASN is no accountable network: the route is a bogon-ASN event
        // (blamed on the AS that accepted it), not a hijack by a private ASN.
        let accountable = origin.is_some_and(|o| !self.oracles.bogons.is_bogon_asn(o.0));
        if let (true, true, Some(o), Some((_, accomplice))) =
            (self.detecting, accountable, origin, origin_side)
        {
            if let Some(h) = self.hijack(prefix, o.0) {
                out.push((key(h.kind, o.0, 0), accomplice, Some(h)));
            }
            // RPKI-invalid routes a hijack or bogon event does not already report.
            let explained = out.iter().any(|(k, _, _)| {
                matches!(
                    k.kind,
                    EventKind::Moas
                        | EventKind::SubMoas
                        | EventKind::BogonPrefix
                        | EventKind::BogonAsn
                )
            });
            if !explained {
                if let Some(reason) = self.rov_invalid(prefix, o.0) {
                    let detail = u32::from(reason == InvalidReason::Length);
                    out.push((key(EventKind::RpkiInvalid, o.0, detail), accomplice, None));
                }
            }
        }
        if self.detecting {
            if let Some((link, accomplice)) = self.forged[path_id as usize] {
                out.push((
                    key(EventKind::ForgedPath, link.culprit, link.neighbour),
                    accomplice,
                    None,
                ));
            }
        }
        (path_id, out)
    }

    /// The adjacency of a path (nearest the origin) that neither the AS relationships nor
    /// ASPA allow and the baseline never showed, with the accomplice of its culprit. During
    /// the baseline the path's adjacencies are learnt instead.
    ///
    /// A hop `x y` (`y` nearer the origin) is impossible when the relationships know no link
    /// between them, `y` has an ASPA (it attests every provider it has) that does not list
    /// `x`, and `x`'s ASPA (if any) does not list `y`, for either address family: `x` would
    /// then be `y`'s peer or customer, a link the relationships would know. `x` claims to
    /// have received the route from `y`: it is the culprit (a forged origin when `y` is the
    /// origin). Both ASPA and relationships are needed; bogon ASNs are left to the bogon
    /// check.
    fn forged_link(&mut self, path: &AsPath) -> Option<(ForgedLink, Option<u32>)> {
        let (Some(aspa), Some(rels)) = (self.aspa, self.oracles.relationships) else {
            return None;
        };
        let seq = sequence_part(path);
        if !self.detecting {
            self.baseline_links
                .extend(seq.windows(2).map(|w| (w[0], w[1])));
            return None;
        }
        let lists = |c: u32, p: u32| {
            [Afi::Ipv4, Afi::Ipv6]
                .into_iter()
                .any(|f| aspa.authorized(Asn(c), Asn(p), f) == HopCheck::ProviderPlus)
        };
        for i in (1..seq.len()).rev() {
            let (x, y) = (seq[i - 1], seq[i]);
            if self.oracles.bogons.is_bogon_asn(x)
                || self.oracles.bogons.is_bogon_asn(y)
                || rels.rel(x, y).is_some()
                || self.baseline_links.contains(&(x, y))
                || aspa.providers(Asn(y), Afi::Ipv4).is_none()
                || lists(y, x)
                || lists(x, y)
            {
                continue;
            }
            let accomplice = i.checked_sub(2).map(|j| seq[j]);
            return Some((
                ForgedLink {
                    culprit: x,
                    neighbour: y,
                },
                accomplice,
            ));
        }
        None
    }

    /// Why (prefix, origin) is RPKI-invalid, for a route the baseline did not have (cached;
    /// `None`: not invalid, no VRPs, or already in the baseline).
    fn rov_invalid(&mut self, prefix: Prefix, origin: u32) -> Option<InvalidReason> {
        let vrps = self.oracles.vrps?;
        if self
            .baseline
            .get(&prefix)
            .is_some_and(|o| o.contains(&origin))
        {
            return None;
        }
        *self.rov.entry((prefix, origin)).or_insert_with(|| {
            match vrps.validate_state(prefix, Some(Asn(origin))) {
                (RovState::Invalid, reason) => Some(reason.unwrap_or(InvalidReason::As)),
                _ => None,
            }
        })
    }

    /// Whether (prefix, origin) is a possible hijack or a new more-specific against the
    /// baseline (cached).
    fn hijack(&mut self, prefix: Prefix, origin: u32) -> Option<HijackInfo> {
        if let Some(h) = self.hijacks.get(&(prefix, origin)) {
            return h.clone();
        }
        let h = self.hijack_uncached(prefix, origin);
        self.hijacks.insert((prefix, origin), h.clone());
        h
    }

    fn hijack_uncached(&self, prefix: Prefix, origin: u32) -> Option<HijackInfo> {
        let (kind, previous, covering) = match self.baseline.get(&prefix) {
            Some(origins) => (EventKind::Moas, origins, None),
            None => {
                let fam = usize::from(prefix.afi() == Afi::Ipv6);
                let q = (0..prefix.len()).rev().find_map(|l| {
                    if !self.baseline_has_len(fam, l) {
                        return None;
                    }
                    let q = Prefix::new_truncating(prefix.addr(), l).ok()?;
                    self.baseline.get(&q).map(|o| (q, o))
                })?;
                (EventKind::SubMoas, q.1, Some(q.0))
            }
        };
        if previous.contains(&origin) {
            // The origin's own covering prefix: a new more-specific, not a hijack.
            return covering.map(|q| HijackInfo {
                kind: EventKind::MoreSpecific,
                previous: previous.clone(),
                covering: Some(q),
                downranked: Vec::new(),
            });
        }
        let mut downranked = Vec::new();
        if let Some(v) = self.oracles.vrps {
            if v.validate_state(prefix, Some(Asn(origin))).0 == RovState::Valid {
                downranked.push(DownRank::RpkiValid);
            }
        }
        if let Some(irr) = self.oracles.irr {
            if let Some(s) = irr.status(prefix, Some(Asn(origin))) {
                if s.registered {
                    downranked.push(DownRank::IrrRegistered { status: s.status });
                }
            }
        }
        if let Some(rels) = self.oracles.relationships {
            for &p in previous {
                if let Some(r @ (Relationship::Customer | Relationship::Provider)) =
                    rels.rel(p, origin)
                {
                    downranked.push(DownRank::Related {
                        previous_origin: p,
                        new_origin_is: r,
                    });
                }
            }
        }
        Some(HijackInfo {
            kind,
            previous: previous.clone(),
            covering,
            downranked,
        })
    }

    /// Closes every live event at the end of the data and returns the report.
    pub fn finish(mut self) -> IncidentReport {
        self.end_snapshot();
        let data_end = self.last_time;
        let end = data_end.unwrap_or(0);
        let mut events: Vec<Event> = Vec::with_capacity(self.episodes.len());
        for ep in self.episodes {
            let ongoing = ep.end.is_none();
            events.push(Event {
                kind: ep.key.kind,
                metric: ep.key.kind.metric(),
                prefix: ep.key.prefix,
                culprit: ep.key.culprit,
                accomplices: ep.accomplices.into_iter().collect(),
                start: ep.start,
                end: ep.end.unwrap_or(end).max(ep.start),
                ongoing,
                from_start: ep.from_start,
                peers: ep.peers.into_iter().map(PeerRef::from).collect(),
                evidence: ep.evidence,
                downranked: ep.downranked,
            });
        }
        let baseline = BaselineInfo {
            source: self.baseline_source,
            until: self.detecting.then_some(self.baseline_until).flatten(),
            prefixes: self.baseline.len() as u64,
            routes: self.baseline.values().map(|v| v.len() as u64).sum(),
        };
        report_from_events(events, self.first_time, data_end, baseline)
    }
}

/// An event's identity as the detector keys its episodes: kind, prefix, culprit, and the
/// detail that tells two events of one kind apart (the leak check, the bogon ASN, the
/// invalidity reason, the forged link's neighbour).
fn event_identity(e: &Event) -> (EventKind, Prefix, u32, u32) {
    let detail = match e.kind {
        EventKind::RouteLeak => e.evidence.leak.map_or(0, |l| l.check as u32),
        EventKind::BogonAsn => e.evidence.bogon_asn.unwrap_or(0),
        EventKind::RpkiInvalid => e
            .evidence
            .rpki_invalid
            .map_or(0, |r| u32::from(r == InvalidReason::Length)),
        EventKind::ForgedPath => e.evidence.forged_link.map_or(0, |l| l.neighbour),
        _ => 0,
    };
    (e.kind, e.prefix, e.culprit, detail)
}

/// Events that several detectors saw of the same period — shards over different collectors —
/// joined as one detector over all their peers keeps them: one event per identity and
/// overlapping interval, spanning both, with the union of peers and accomplices and the
/// earliest one's evidence (an episode's evidence is the route that opened it). An outage
/// is the other way round: it begins when the last peer anywhere lost the prefix. (A
/// prefix one shard lost while another still carries it is not told apart here.)
pub fn coalesce(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by(|a, b| {
        event_identity(a)
            .cmp(&event_identity(b))
            .then(a.start.cmp(&b.start))
    });
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for e in events {
        if let Some(last) = out.last_mut() {
            if event_identity(last) == event_identity(&e) && e.start <= last.end {
                if e.kind == EventKind::Outage {
                    // Dark only once no peer anywhere carries it: the latest start, and the
                    // peers whose withdrawal made it so.
                    if e.start > last.start {
                        last.start = e.start;
                        last.peers = e.peers;
                        last.evidence = e.evidence;
                    }
                    last.end = last.end.max(e.end);
                    last.ongoing |= e.ongoing;
                    continue;
                }
                last.end = last.end.max(e.end);
                last.ongoing |= e.ongoing;
                last.peers.extend(e.peers);
                last.peers.sort_unstable();
                last.peers.dedup();
                last.accomplices.extend(e.accomplices);
                last.accomplices.sort_unstable();
                last.accomplices.dedup();
                continue;
            }
        }
        out.push(e);
    }
    out
}

/// Counts events per kind, merges them into incidents ([`merge`]) and counts those per
/// metric: the end of [`IncidentDetector::finish`], and what joins the events several
/// shards stored into one report.
pub fn report_from_events(
    events: Vec<Event>,
    data_start: Option<u32>,
    data_end: Option<u32>,
    baseline: BaselineInfo,
) -> IncidentReport {
    let mut counts = IncidentCounts::default();
    for e in &events {
        *match e.kind {
            EventKind::Moas => &mut counts.events_moas,
            EventKind::SubMoas => &mut counts.events_sub_moas,
            EventKind::RouteLeak => &mut counts.events_route_leak,
            EventKind::BogonPrefix => &mut counts.events_bogon_prefix,
            EventKind::BogonAsn => &mut counts.events_bogon_asn,
            EventKind::ForgedPath => &mut counts.events_forged_path,
            EventKind::RpkiInvalid => &mut counts.events_rpki_invalid,
            EventKind::MoreSpecific => &mut counts.events_more_specific,
            EventKind::Outage => &mut counts.events_outage,
        } += 1;
    }
    let incidents = merge(events);
    for i in &incidents {
        *match i.metric {
            Metric::Hijack => &mut counts.hijack,
            Metric::RouteLeak => &mut counts.route_leak,
            Metric::BogonPrefix => &mut counts.bogon_prefix,
            Metric::BogonAsn => &mut counts.bogon_asn,
            Metric::RpkiInvalid => &mut counts.rpki_invalid,
            Metric::MoreSpecific => &mut counts.more_specific,
            Metric::Outage => &mut counts.outage,
        } += 1;
        counts.hijack_downranked += (i.metric == Metric::Hijack && i.downranked) as u64;
    }
    IncidentReport {
        data_start,
        data_end,
        baseline,
        counts,
        incidents,
    }
}

/// Opens an outage episode of `prefix` at `t`, blamed on its baseline origin (the latest
/// route's origin when the baseline has several, say `previous`).
fn open_outage(
    episodes: &mut Vec<Episode>,
    prefix: Prefix,
    latest: u32,
    previous: Vec<u32>,
    peers: BTreeSet<PeerKey>,
    t: u32,
) -> u32 {
    // A hijacker's route that happened to be the last one withdrawn does not make the
    // hijacker the network whose prefix went dark.
    let origin = if previous.contains(&latest) || previous.is_empty() {
        latest
    } else {
        previous[0]
    };
    let id = episodes.len() as u32;
    episodes.push(Episode {
        key: EventKey {
            kind: EventKind::Outage,
            prefix,
            culprit: origin,
            detail: 0,
        },
        start: t,
        end: None,
        from_start: false,
        active: 0,
        peers,
        accomplices: BTreeSet::new(),
        evidence: Evidence {
            path: String::new(),
            previous_origins: previous,
            ..Evidence::default()
        },
        downranked: Vec::new(),
    });
    id
}

/// Takes one route off an episode; the episode ends at `t` when no route shows it any more.
fn release(episodes: &mut [Episode], live: &mut FxHashMap<EventKey, u32>, id: u32, t: u32) {
    let ep = &mut episodes[id as usize];
    ep.active -= 1;
    if ep.active == 0 {
        ep.end = Some(t);
        live.remove(&ep.key);
    }
}

/// Sorts events and merges those of one metric and culprit that overlap in time.
pub fn merge(mut events: Vec<Event>) -> Vec<Incident> {
    events.sort_by(|a, b| {
        (
            a.metric,
            a.culprit,
            a.start,
            a.kind,
            a.prefix,
            a.end,
            a.evidence.bogon_asn,
        )
            .cmp(&(
                b.metric,
                b.culprit,
                b.start,
                b.kind,
                b.prefix,
                b.end,
                b.evidence.bogon_asn,
            ))
            .then_with(|| {
                a.evidence
                    .leak
                    .map(|l| l.check)
                    .cmp(&b.evidence.leak.map(|l| l.check))
            })
    });
    let mut out: Vec<Incident> = Vec::new();
    for e in events {
        if let Some(last) = out.last_mut() {
            if last.metric == e.metric && last.culprit == e.culprit && e.start <= last.end {
                last.end = last.end.max(e.end);
                last.ongoing |= e.ongoing;
                last.downranked &= !e.downranked.is_empty();
                last.events.push(e);
                continue;
            }
        }
        out.push(Incident {
            metric: e.metric,
            culprit: e.culprit,
            start: e.start,
            end: e.end,
            ongoing: e.ongoing,
            weight: 0.0,
            downranked: e.metric == Metric::Hijack && !e.downranked.is_empty(),
            accomplices: Vec::new(),
            peers: 0,
            events: vec![e],
        });
    }
    for i in &mut out {
        i.weight = weight(i.end - i.start);
        let acc: BTreeSet<u32> = i
            .events
            .iter()
            .flat_map(|e| e.accomplices.iter().copied())
            .collect();
        i.accomplices = acc.into_iter().collect();
        let peers: BTreeSet<PeerRef> = i
            .events
            .iter()
            .flat_map(|e| e.peers.iter().copied())
            .collect();
        i.peers = peers.len() as u32;
    }
    out
}

/// The time of a dump's first record (to order RIB files), `None` for an empty file.
/// The time of the first intact MRT record of a file (`None`: no record).
pub fn first_record_time(path: &Path) -> io::Result<Option<u32>> {
    let input = routenorms_mrt::input::open(path, routenorms_mrt::input::InputOptions::default())?;
    let mut fr = routenorms_mrt::FrameReader::new(input.reader);
    while let Some(f) = fr.next() {
        if let routenorms_mrt::Frame::Record(r) = f {
            return Ok(Some(r.header.timestamp));
        }
        if matches!(f, routenorms_mrt::Frame::InputError(_)) {
            break;
        }
    }
    Ok(None)
}

/// Reads RIB dumps and update files (any compression) and detects incidents. RIB files are
/// applied as snapshots in the order of their dump time, update entries in time order
/// (stable: file order among equal times), a snapshot before the updates of its second.
/// Returns the report and what each input held (RIB files first, in the order applied).
pub fn detect_files(
    ribs: &[&Path],
    updates: &[&Path],
    oracles: Oracles<'_>,
    config: DetectorConfig,
    threads: usize,
) -> io::Result<(IncidentReport, Vec<InputFile>)> {
    detect_files_sharing(
        ribs,
        updates,
        oracles,
        config,
        threads,
        None,
        &mut |_, _| {},
    )
}

/// RIB files in the order the detector applies them: by the time of their first record,
/// ties in the order given (`(time, index in ribs)` pairs).
fn rib_order(ribs: &[&Path]) -> io::Result<Vec<(u32, usize)>> {
    let mut order = Vec::with_capacity(ribs.len());
    for (i, &p) in ribs.iter().enumerate() {
        order.push((first_record_time(p)?.unwrap_or(0), i));
    }
    order.sort();
    Ok(order)
}

/// The MRT files of one detection decoding ahead, in the order [`detect_files_sharing`]
/// reads them (update files, then RIB files in dump-time order), with that RIB order so
/// the detection does not work it out again.
#[derive(Debug)]
pub struct FilesAhead {
    rib_order: Vec<(u32, usize)>,
    files: Readahead,
}

impl FilesAhead {
    /// Starts decoding `updates` and `ribs` (the lists the detection will be given) with
    /// `threads` decode threads.
    pub fn start(ribs: &[&Path], updates: &[&Path], threads: usize) -> io::Result<FilesAhead> {
        let rib_order = rib_order(ribs)?;
        let mut paths: Vec<PathBuf> = updates.iter().map(|p| p.to_path_buf()).collect();
        paths.extend(rib_order.iter().map(|&(_, i)| ribs[i].to_path_buf()));
        Ok(FilesAhead {
            rib_order,
            files: Readahead::start(paths, threads, READAHEAD_BATCHES),
        })
    }
}

/// [`detect_files`], handing every batch of RIB entries (with the index of its file in
/// `ribs`) to `rib_entries` once the detector is done with it, so a caller that also needs
/// the RIBs (the classification of `observe`) reads them once. With `ahead` (started on
/// the same lists) the entries come from it instead of from reading the files here.
pub fn detect_files_sharing(
    ribs: &[&Path],
    updates: &[&Path],
    oracles: Oracles<'_>,
    config: DetectorConfig,
    threads: usize,
    ahead: Option<&FilesAhead>,
    rib_entries: &mut dyn FnMut(usize, Vec<RouteEntry>),
) -> io::Result<(IncidentReport, Vec<InputFile>)> {
    let rib_order: Vec<(u32, usize, &Path)> = match ahead {
        Some(a) => a.rib_order.clone(),
        None => rib_order(ribs)?,
    }
    .into_iter()
    .map(|(t, i)| (t, i, ribs[i]))
    .collect();
    let for_each_entry_batch =
        |p: &Path, sink: &mut dyn FnMut(Vec<RouteEntry>)| -> io::Result<EntriesEnding> {
            match ahead {
                Some(a) => a.files.read(p, sink),
                None => for_each_entry_batch(p, threads, sink),
            }
        };
    let mut inputs = Vec::new();
    let mut update_entries: Vec<RouteEntry> = Vec::new();
    let mut update_inputs = Vec::new();
    for &p in updates {
        let (mut first, mut last) = (None::<Timestamp>, None::<Timestamp>);
        let end = for_each_entry_batch(p, &mut |batch| {
            for e in &batch {
                first = Some(first.map_or(e.time, |f| f.min(e.time)));
                last = Some(last.map_or(e.time, |l| l.max(e.time)));
            }
            update_entries.extend(batch)
        })?;
        update_inputs.push(InputFile {
            path: p.to_path_buf(),
            first_time: first.map(|t| t.secs),
            last_time: last.map(|t| t.secs),
            entries: end.entries,
            damaged: end.damaged,
            input_error: end.input_error.map(|e| e.to_string()),
        });
    }
    update_entries.sort_by_key(|e| e.time);
    let mut d = IncidentDetector::new(oracles);
    let baseline_ribs = match rib_order.first() {
        Some(&(t0, _, _)) => rib_order
            .iter()
            .filter(|(t, _, _)| *t <= t0.saturating_add(SNAPSHOT_SPREAD_SECS))
            .count(),
        None => {
            if let Some(e) = update_entries.first() {
                d.baseline_until(e.time.secs.saturating_add(config.baseline_secs));
            }
            0
        }
    };
    let mut next_update = 0;
    for (i, &(t, file, p)) in rib_order.iter().enumerate() {
        while next_update < update_entries.len() && update_entries[next_update].time.secs < t {
            d.apply(&update_entries[next_update]);
            next_update += 1;
        }
        let (mut first, mut last) = (None::<u32>, None::<u32>);
        d.begin_snapshot(t);
        let end = for_each_entry_batch(p, &mut |batch| {
            for e in &batch {
                first = Some(first.map_or(e.time.secs, |f| f.min(e.time.secs)));
                last = Some(last.map_or(e.time.secs, |l| l.max(e.time.secs)));
                // Snapshot entries all count at the snapshot time.
                if e.kind == EntryKind::Rib {
                    d.apply_at(e, t);
                }
            }
            rib_entries(file, batch);
        })?;
        d.end_snapshot();
        if i + 1 == baseline_ribs {
            d.end_baseline();
        }
        inputs.push(InputFile {
            path: p.to_path_buf(),
            first_time: first,
            last_time: last,
            entries: end.entries,
            damaged: end.damaged,
            input_error: end.input_error.map(|e| e.to_string()),
        });
    }
    for e in &update_entries[next_update..] {
        d.apply(e);
    }
    inputs.extend(update_inputs);
    Ok((d.finish(), inputs))
}
