//! Every route of a dump as an owned entry, streamed in file order: what per-route
//! classification and incident detection (`routenorms-observe`) start from. Unlike
//! [`crate::origins`] and [`crate::paths`], nothing is deduplicated here: each RIB entry,
//! announcement and withdrawal keeps its peer, time and ADD-PATH id, and a session leaving the
//! Established state is reported as [`EntryKind::PeerDown`] (it implicitly withdraws the
//! peer's routes).

use crate::element::{walk, ElementKind, WalkNotes};
use crate::input::{self, InputOptions};
use crate::pipeline::{self, Batch, Processor};
use crate::record::Addr;
use crate::stats::for_each_record;
use routenorms_types::{AsPath, Prefix, Timestamp};
use std::io;
use std::path::Path;

/// A collector's BGP neighbour: its ASN and session address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey {
    pub asn: u32,
    pub addr: Addr,
}

/// What an entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A route in a RIB dump.
    Rib,
    Announce,
    Withdraw,
    /// The BGP session left the Established state: every route of the peer is gone.
    PeerDown,
}

/// One route (or session event) of a dump, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub kind: EntryKind,
    /// The record's time (the dump time for RIB entries).
    pub time: Timestamp,
    pub peer: PeerKey,
    /// `None` only for [`EntryKind::PeerDown`].
    pub prefix: Option<Prefix>,
    /// ADD-PATH path identifier, when the session uses ADD-PATH.
    pub path_id: Option<u32>,
    /// The effective AS path (AS4_PATH merged in), neighbour first; `None` for withdrawals
    /// and session events.
    pub path: Option<AsPath>,
    /// RFC 9234 ONLY_TO_CUSTOMER value.
    pub only_to_customer: Option<u32>,
}

/// How reading a dump went.
#[derive(Debug, Default)]
pub struct EntriesEnding {
    /// Entries delivered.
    pub entries: u64,
    /// Damaged records skipped (framing damage and decode errors).
    pub damaged: u64,
    /// The decompressor's error, if the file was cut short or corrupt.
    pub input_error: Option<io::Error>,
}

/// The BGP FSM state code of Established (RFC 4271 section 8.2.2, as MRT records it).
const ESTABLISHED: u16 = 6;

#[derive(Debug, Default)]
struct Entries;

impl Processor for Entries {
    type Output = (Vec<RouteEntry>, u64);

    fn process(&mut self, batch: &Batch) -> Self::Output {
        let mut out = Vec::new();
        let mut damage = Vec::new();
        let mut notes = WalkNotes::default();
        for_each_record(batch, &mut damage, |_, peers, d| {
            walk(d, peers, &mut notes, |r| {
                let kind = match r.kind {
                    ElementKind::Rib => EntryKind::Rib,
                    ElementKind::Announce => EntryKind::Announce,
                    ElementKind::Withdraw => EntryKind::Withdraw,
                    ElementKind::State => match r.state {
                        Some((ESTABLISHED, new)) if new != ESTABLISHED => EntryKind::PeerDown,
                        _ => return,
                    },
                };
                if kind != EntryKind::PeerDown && r.prefix.is_none() {
                    return;
                }
                out.push(RouteEntry {
                    kind,
                    time: r.time,
                    peer: PeerKey {
                        asn: r.peer_asn,
                        addr: r.peer_addr,
                    },
                    prefix: r.prefix,
                    path_id: r.path_id,
                    path: r.attrs.map(|a| a.effective_as_path()),
                    only_to_customer: r.attrs.and_then(|a| a.only_to_customer),
                })
            })
        });
        (out, damage.len() as u64)
    }
}

/// Reads a dump (any compression) on `threads` threads and hands its entries to `sink` in
/// file order, a batch at a time.
pub fn for_each_entry_batch(
    path: &Path,
    threads: usize,
    mut sink: impl FnMut(Vec<RouteEntry>),
) -> io::Result<EntriesEnding> {
    let input = input::open(
        path,
        InputOptions {
            bzip2_threads: threads,
        },
    )?;
    let mut out = EntriesEnding::default();
    let (_, ending) = pipeline::run(input.reader, threads, Entries::default, |(e, d)| {
        out.entries += e.len() as u64;
        out.damaged += d;
        sink(e);
    });
    out.input_error = ending.input_error;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{state_change, update, AttrsBuilder, Session};

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("routenorms-{name}-{}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn the_sample_dump_yields_the_same_routes_as_route_paths() {
        let path = temp("routes", &crate::write::sample());
        let mut entries = Vec::new();
        let end = for_each_entry_batch(&path, 2, |b| entries.extend(b)).unwrap();
        assert_eq!(end.damaged, 0);
        assert_eq!(end.entries as usize, entries.len());
        let mut mine: Vec<_> = entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Rib | EntryKind::Announce))
            .map(|e| {
                let p = e.path.clone().unwrap();
                ((e.prefix.unwrap(), p.origin()), p)
            })
            .collect();
        mine.sort_by_key(|x| format!("{x:?}"));
        mine.dedup();
        let rp = crate::paths::route_paths(&path, 1).unwrap();
        let mut theirs: Vec<_> = rp
            .routes
            .iter()
            .flat_map(|(k, ids)| ids.iter().map(|&i| (*k, rp.paths[i as usize].clone())))
            .collect();
        theirs.sort_by_key(|x| format!("{x:?}"));
        assert_eq!(mine, theirs);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_session_leaving_established_is_a_peer_down_and_otc_is_kept() {
        let s = Session {
            peer_asn: 64500,
            local_asn: 64501,
            peer_addr: Addr::V4([192, 0, 2, 1]),
            local_addr: Addr::V4([192, 0, 2, 2]),
        };
        let attrs = AttrsBuilder::new()
            .origin(0)
            .as_path(&[(2, &[64500, 64510])])
            .next_hop([192, 0, 2, 1])
            .only_to_customer(64500)
            .build();
        let p: Prefix = "198.51.100.0/24".parse().unwrap();
        let mut bytes = update(100, &s, &[], &attrs, &[p]);
        bytes.extend(state_change(150, &s, 5, 6));
        bytes.extend(state_change(200, &s, 6, 1));
        bytes.extend(update(300, &s, &[p], &[], &[]));
        let path = temp("routes-state", &bytes);
        let mut entries = Vec::new();
        for_each_entry_batch(&path, 1, |b| entries.extend(b)).unwrap();
        let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.time.secs)).collect();
        assert_eq!(
            kinds,
            [
                (EntryKind::Announce, 100),
                (EntryKind::PeerDown, 200),
                (EntryKind::Withdraw, 300)
            ]
        );
        assert_eq!(entries[0].only_to_customer, Some(64500));
        assert_eq!(entries[0].peer.asn, 64500);
        assert_eq!(entries[1].prefix, None);
        assert!(entries[2].path.is_none());
        let _ = std::fs::remove_file(path);
    }
}
