//! Per-file statistics: records by type, routes by kind, distinct peers, prefixes and origins,
//! and every damaged record.

use crate::element::{walk, ElementKind, WalkNotes};
use crate::pipeline::{Batch, BatchEvent, Processor};
use crate::record::{decode, Addr};
use routenorms_types::Afi;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;

/// Damage reports kept in full (the rest are only counted).
pub const MAX_DAMAGE_REPORTS: usize = 20;

/// One damaged record or skipped span, positioned in the decompressed stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DamageReport {
    /// Byte offset in the decompressed stream.
    pub offset: u64,
    pub reason: &'static str,
    /// Bytes skipped (framing damage), 0 for a record that was decoded in part or repaired.
    pub skipped: u64,
}

/// Turns a batch's framing damage and per-record decode errors into reports, in stream order,
/// calling `on_record` for every intact record with its decoded form.
pub fn for_each_record<'b>(
    batch: &'b Batch,
    damage: &mut Vec<DamageReport>,
    mut on_record: impl FnMut(
        &crate::pipeline::BatchRecord,
        Option<&crate::record::PeerIndexTable>,
        &crate::record::Decoded<'b>,
    ) -> Result<(), crate::DecodeError>,
) {
    batch.for_each(|peers, ev| match ev {
        BatchEvent::Damage(d) => damage.push(DamageReport {
            offset: d.offset,
            reason: d.reason,
            skipped: d.skipped,
        }),
        BatchEvent::Record(i) => {
            let rec = &batch.records[*i];
            let body = batch.body(*i);
            let res = decode(&rec.header, body).and_then(|d| on_record(rec, peers, &d));
            if let Err(e) = res {
                damage.push(DamageReport {
                    offset: rec.offset + crate::header::HEADER_LEN as u64 + e.offset as u64,
                    reason: e.reason,
                    skipped: 0,
                });
            }
        }
    });
}

/// Counts gathered by one worker; merged with [`Stats::merge`].
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// "TYPE/SUBTYPE" -> records.
    pub records: BTreeMap<String, u64>,
    pub rib_entries: u64,
    pub announcements: u64,
    pub withdrawals: u64,
    pub state_changes: u64,
    // Fx hashing: these sets see one insert per route, and the keys are not attacker-chosen
    // in a way that matters for a batch tool.
    pub peers: FxHashSet<(Addr, u32)>,
    /// IPv4 prefixes packed as `address << 8 | length`: a quarter of a `Prefix`, which keeps
    /// a full table's worth of keys in cache. Filled by [`Stats::absorb`].
    pub prefixes_v4: FxHashSet<u64>,
    pub prefixes_v6: FxHashSet<(u128, u8)>,
    pub origins: FxHashSet<u32>,
    pub notes: WalkNotes,
    /// Damage count (every report, also beyond those kept).
    pub damaged: u64,
    pub damage: Vec<DamageReport>,
    /// PEER_INDEX_TABLE peers (largest table seen).
    pub peer_table_size: usize,
    /// Records of defined types this reader does not decode.
    pub unsupported: u64,
}

impl Stats {
    pub fn merge(&mut self, o: Stats) {
        for (k, v) in o.records {
            *self.records.entry(k).or_default() += v;
        }
        self.rib_entries += o.rib_entries;
        self.announcements += o.announcements;
        self.withdrawals += o.withdrawals;
        self.state_changes += o.state_changes;
        merge_set(&mut self.peers, o.peers);
        merge_set(&mut self.prefixes_v4, o.prefixes_v4);
        merge_set(&mut self.prefixes_v6, o.prefixes_v6);
        merge_set(&mut self.origins, o.origins);
        self.notes.add(&o.notes);
        self.damaged += o.damaged;
        self.damage.extend(o.damage);
        self.damage.sort_by_key(|d| d.offset);
        self.damage.truncate(MAX_DAMAGE_REPORTS);
        self.peer_table_size = self.peer_table_size.max(o.peer_table_size);
        self.unsupported += o.unsupported;
    }

    /// Distinct prefixes of one family.
    pub fn prefixes_of(&self, afi: Afi) -> usize {
        match afi {
            Afi::Ipv4 => self.prefixes_v4.len(),
            Afi::Ipv6 => self.prefixes_v6.len(),
        }
    }

    /// Adds a batch's keys to the distinct sets.
    pub fn absorb(&mut self, k: DistinctKeys) {
        self.prefixes_v4.extend(k.v4);
        self.prefixes_v6.extend(k.v6);
        self.origins.extend(k.origins);
    }
}

/// Moves the smaller set into the larger.
fn merge_set<T: std::hash::Hash + Eq>(into: &mut FxHashSet<T>, mut other: FxHashSet<T>) {
    if other.len() > into.len() {
        std::mem::swap(into, &mut other);
    }
    into.extend(other);
}

/// The prefix and origin keys one batch saw (repeats within a run removed). Workers collect
/// them and the caller inserts them into one set ([`Stats::absorb`]) while the workers go on:
/// one insert per key instead of one per worker plus a merge of per-worker sets at the end.
#[derive(Debug, Default)]
pub struct DistinctKeys {
    pub v4: Vec<u64>,
    pub v6: Vec<(u128, u8)>,
    pub origins: Vec<u32>,
}

/// A [`Processor`] that counts; distinct prefixes and origins go out as [`DistinctKeys`].
#[derive(Debug, Default)]
pub struct StatsProcessor {
    pub stats: Stats,
    type_keys: BTreeMap<(u16, u16), String>,
}

impl Processor for StatsProcessor {
    type Output = DistinctKeys;

    fn process(&mut self, batch: &Batch) -> DistinctKeys {
        let mut out = DistinctKeys::default();
        let mut damage = Vec::new();
        let st = &mut self.stats;
        let keys = &mut self.type_keys;
        for_each_record(batch, &mut damage, |rec, peers, d| {
            let h = &rec.header;
            let key = keys
                .entry((h.mrt_type, h.subtype))
                .or_insert_with(|| format!("{}/{}", h.type_name(), h.subtype_name()));
            match st.records.get_mut(key.as_str()) {
                Some(n) => *n += 1,
                None => {
                    st.records.insert(key.clone(), 1);
                }
            }
            match &d.record {
                crate::Record::PeerIndexTable(t) => {
                    st.peer_table_size = st.peer_table_size.max(t.peers.len())
                }
                crate::Record::Unsupported => st.unsupported += 1,
                _ => {}
            }
            // Consecutive routes mostly share their peer (updates) or prefix (RIB records):
            // skipping repeats saves most set lookups.
            let (mut last_peer, mut last_prefix, mut last_origin) = (None, None, None);
            let mut notes = std::mem::take(&mut st.notes);
            let result = walk(d, peers, &mut notes, |r| {
                match r.kind {
                    ElementKind::Rib => st.rib_entries += 1,
                    ElementKind::Announce => st.announcements += 1,
                    ElementKind::Withdraw => st.withdrawals += 1,
                    ElementKind::State => st.state_changes += 1,
                }
                let peer = Some((r.peer_addr, r.peer_asn));
                if peer != last_peer {
                    st.peers.insert((r.peer_addr, r.peer_asn));
                    last_peer = peer;
                }
                if let Some(p) = r.prefix.filter(|_| r.prefix != last_prefix) {
                    match p.afi() {
                        Afi::Ipv4 => out.v4.push((p.bits() as u64) << 8 | p.len() as u64),
                        Afi::Ipv6 => out.v6.push((p.bits(), p.len())),
                    }
                    last_prefix = r.prefix;
                }
                let origin = r.attrs.and_then(|a| a.origin_asn());
                if let Some(o) = origin.filter(|_| origin != last_origin) {
                    out.origins.push(o);
                    last_origin = origin;
                }
            });
            st.notes = notes;
            result
        });
        st.damaged += damage.len() as u64;
        st.damage.extend(damage);
        st.damage.truncate(MAX_DAMAGE_REPORTS);
        out
    }
}
