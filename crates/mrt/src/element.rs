//! Flattening records into per-route elements: one per RIB entry, announced prefix, withdrawn
//! prefix or state change, in the order bgpdump prints them (withdrawals before announcements,
//! plain NLRI before MP_REACH/MP_UNREACH NLRI).

use crate::attr::{communities, Attributes};
use crate::error::DecodeError;
use crate::record::{Addr, Decoded, PeerIndexTable, Record};
use routenorms_types::{Prefix, Timestamp};
use std::net::IpAddr;

/// What an element says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementKind {
    /// A route in a RIB dump.
    Rib,
    Announce,
    Withdraw,
    /// A BGP session state change.
    State,
}

/// A borrowed view of one element, handed to [`walk`]'s callback.
#[derive(Clone, Copy, Debug)]
pub struct Route<'r, 'a> {
    pub kind: ElementKind,
    pub time: Timestamp,
    pub peer_addr: Addr,
    pub peer_asn: u32,
    /// Absent for state changes.
    pub prefix: Option<Prefix>,
    pub path_id: Option<u32>,
    /// Attributes of announcements and RIB entries.
    pub attrs: Option<&'r Attributes<'a>>,
    /// The next hop that applies to this prefix (NEXT_HOP for plain IPv4 NLRI, the
    /// MP_REACH_NLRI next hop otherwise); `None` when the route carries none.
    pub next_hop: Option<Addr>,
    /// (old, new) for state changes.
    pub state: Option<(u16, u16)>,
    /// The encoded prefix had trailing bits set (cleared in `prefix`).
    pub had_host_bits: bool,
}

/// What [`walk`] noticed besides the elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkNotes {
    /// Prefixes whose trailing bits were set (cleared).
    pub host_bits: u64,
    /// UPDATEs whose announcements became withdrawals because an attribute was malformed.
    pub treat_as_withdraw: u64,
    /// Attributes discarded as malformed (RFC 7606).
    pub attributes_discarded: u64,
    /// RIB entries naming a peer index outside the PEER_INDEX_TABLE (skipped).
    pub unknown_peer_index: u64,
    /// RIB records met before any PEER_INDEX_TABLE (skipped).
    pub rib_without_peer_table: u64,
}

impl WalkNotes {
    pub fn add(&mut self, o: &WalkNotes) {
        self.host_bits += o.host_bits;
        self.treat_as_withdraw += o.treat_as_withdraw;
        self.attributes_discarded += o.attributes_discarded;
        self.unknown_peer_index += o.unknown_peer_index;
        self.rib_without_peer_table += o.rib_without_peer_table;
    }
}

/// The next hop of a MP_REACH_NLRI: IPv4 for 4 bytes, the global IPv6 address for 16 or 32.
fn mp_next_hop(m: &crate::attr::MpReach<'_>) -> Option<Addr> {
    m.ipv6_next_hop()
        .map(Addr::V6)
        .or(m.ipv4_next_hop().map(Addr::V4))
}

/// The next hop of a RIB entry: from an abbreviated or unicast MP_REACH_NLRI if there is one,
/// else NEXT_HOP.
fn rib_next_hop(a: &Attributes<'_>) -> Option<Addr> {
    a.mp_reach
        .as_ref()
        .filter(|m| m.afi == 0 || m.safi == 1)
        .and_then(mp_next_hop)
        .or(a.next_hop.map(Addr::V4))
}

/// Calls `f` for every element of a record. Elements before a decode error are delivered; the
/// error is returned after them.
pub fn walk<'a>(
    d: &Decoded<'a>,
    peers: Option<&PeerIndexTable>,
    notes: &mut WalkNotes,
    mut f: impl FnMut(&Route<'_, 'a>),
) -> Result<(), DecodeError> {
    let base = Route {
        kind: ElementKind::Rib,
        time: d.time,
        peer_addr: Addr::V4([0; 4]),
        peer_asn: 0,
        prefix: None,
        path_id: None,
        attrs: None,
        next_hop: None,
        state: None,
        had_host_bits: false,
    };
    match &d.record {
        Record::TableDump(td) => {
            for e in td.entries() {
                let e = e?;
                notes.attributes_discarded += e.attrs.issues.discarded as u64;
                notes.host_bits += e.had_host_bits as u64;
                f(&Route {
                    peer_addr: e.peer_addr,
                    peer_asn: e.peer_asn,
                    prefix: Some(e.prefix),
                    attrs: Some(&e.attrs),
                    next_hop: rib_next_hop(&e.attrs),
                    had_host_bits: e.had_host_bits,
                    ..base
                });
            }
            Ok(())
        }
        Record::Rib(rib) => {
            let Some(peers) = peers else {
                notes.rib_without_peer_table += 1;
                return Ok(());
            };
            notes.host_bits += rib.had_host_bits as u64;
            for e in rib.entries() {
                let e = e?;
                notes.attributes_discarded += e.attrs.issues.discarded as u64;
                let Some(peer) = peers.peers.get(e.peer_index as usize) else {
                    notes.unknown_peer_index += 1;
                    continue;
                };
                f(&Route {
                    peer_addr: peer.addr,
                    peer_asn: peer.asn,
                    prefix: Some(rib.prefix),
                    path_id: e.path_id,
                    attrs: Some(&e.attrs),
                    next_hop: rib_next_hop(&e.attrs),
                    had_host_bits: rib.had_host_bits,
                    ..base
                });
            }
            Ok(())
        }
        Record::StateChange(sc) => {
            f(&Route {
                kind: ElementKind::State,
                peer_addr: sc.peer_addr,
                peer_asn: sc.peer_asn,
                state: Some((sc.old_state, sc.new_state)),
                ..base
            });
            Ok(())
        }
        Record::Message(m) => {
            let Some(update) = m.update() else {
                return Ok(());
            };
            let u = update?;
            let a = &u.attrs;
            notes.attributes_discarded += a.issues.discarded as u64;
            let peer = Route {
                peer_addr: m.peer_addr,
                peer_asn: m.peer_asn,
                ..base
            };
            let mut err = None;
            let mut emit =
                |kind, p: Result<crate::nlri::NlriPrefix, DecodeError>, nh, attrs| match p {
                    Ok(p) => {
                        notes.host_bits += p.had_host_bits as u64;
                        f(&Route {
                            kind,
                            prefix: Some(p.prefix),
                            path_id: p.path_id,
                            had_host_bits: p.had_host_bits,
                            next_hop: nh,
                            attrs,
                            ..peer
                        })
                    }
                    Err(e) => err = Some(e),
                };
            let mp_unreach = a.mp_unreach.as_ref().and_then(|m| m.nlri);
            for p in u
                .withdrawn
                .iter()
                .chain(mp_unreach.iter().flat_map(|n| n.iter()))
            {
                emit(ElementKind::Withdraw, p, None, None);
            }
            let mp = a.mp_reach.as_ref().and_then(|m| m.nlri.map(|n| (m, n)));
            let withdraw_instead = a.issues.treat_as_withdraw;
            if withdraw_instead && (!u.announced.is_empty() || mp.is_some()) {
                notes.treat_as_withdraw += 1;
            }
            let (kind, attrs) = if withdraw_instead {
                (ElementKind::Withdraw, None)
            } else {
                (ElementKind::Announce, Some(a))
            };
            let v4 = if withdraw_instead {
                None
            } else {
                a.next_hop.map(Addr::V4)
            };
            for p in u.announced.iter() {
                emit(kind, p, v4, attrs);
            }
            if let Some((m, n)) = mp {
                let nh = if withdraw_instead {
                    None
                } else {
                    mp_next_hop(m)
                };
                for p in n.iter() {
                    emit(kind, p, nh, attrs);
                }
            }
            err.map_or(Ok(()), Err)
        }
        Record::PeerIndexTable(_) | Record::Unsupported => Ok(()),
    }
}

/// An owned, serialisable element, for JSON and CSV output.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Element {
    /// Seconds since the epoch, with microseconds for `_ET` records.
    pub timestamp: f64,
    #[serde(rename = "type")]
    pub kind: ElementKind,
    pub peer_ip: IpAddr,
    pub peer_asn: u32,
    pub prefix: Option<Prefix>,
    pub path_id: Option<u32>,
    pub as_path: Option<String>,
    pub origin_asn: Option<u32>,
    pub origin: Option<&'static str>,
    pub next_hop: Option<IpAddr>,
    pub local_pref: Option<u32>,
    pub med: Option<u32>,
    pub communities: Vec<String>,
    pub large_communities: Vec<String>,
    pub extended_communities: Vec<String>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<String>,
    pub only_to_customer: Option<u32>,
    pub originator_id: Option<std::net::Ipv4Addr>,
    pub cluster_list: Vec<std::net::Ipv4Addr>,
    /// Attributes this reader does not interpret, as `CODE:HEX` (flags are not kept).
    pub unknown_attributes: Vec<String>,
    pub old_state: Option<u16>,
    pub new_state: Option<u16>,
}

impl Element {
    /// The CSV header matching [`Element::csv_fields`].
    pub const CSV_HEADER: &'static str = "timestamp,type,peer_ip,peer_asn,prefix,path_id,as_path,\
origin_asn,origin,next_hop,local_pref,med,communities,large_communities,extended_communities,\
atomic_aggregate,aggregator,only_to_customer,originator_id,cluster_list,unknown_attributes,\
old_state,new_state";

    pub fn from_route(r: &Route<'_, '_>) -> Element {
        let a = r.attrs;
        let opt = |v: Option<u32>| v;
        Element {
            timestamp: r.time.secs as f64 + r.time.micros as f64 / 1e6,
            kind: r.kind,
            peer_ip: r.peer_addr.to_ip(),
            peer_asn: r.peer_asn,
            prefix: r.prefix,
            path_id: r.path_id,
            as_path: a.map(|a| a.effective_as_path().to_string()),
            origin_asn: a.and_then(|a| a.origin_asn()),
            origin: a.and_then(|a| a.origin).map(|o| match o {
                0 => "IGP",
                1 => "EGP",
                _ => "INCOMPLETE",
            }),
            next_hop: r.next_hop.map(Addr::to_ip),
            local_pref: opt(a.and_then(|a| a.local_pref)),
            med: a.and_then(|a| a.med),
            communities: a
                .and_then(|a| a.communities)
                .map(|v| communities::standard(v).map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            large_communities: a
                .and_then(|a| a.large_communities)
                .map(|v| communities::large(v).map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            extended_communities: a
                .and_then(|a| a.ext_communities)
                .map(|v| communities::extended(v).map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            atomic_aggregate: a.is_some_and(|a| a.atomic_aggregate),
            aggregator: a
                .and_then(|a| a.effective_aggregator())
                .map(|g| format!("{} {}", g.asn, std::net::Ipv4Addr::from(g.addr))),
            only_to_customer: a.and_then(|a| a.only_to_customer),
            originator_id: a
                .and_then(|a| a.originator_id)
                .map(std::net::Ipv4Addr::from),
            cluster_list: a
                .and_then(|a| a.cluster_list)
                .map(|v| {
                    v.chunks_exact(4)
                        .map(|c| std::net::Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                        .collect()
                })
                .unwrap_or_default(),
            unknown_attributes: a
                .map(|a| {
                    a.unknown
                        .iter()
                        .map(|u| {
                            let hex: String = u.value.iter().map(|b| format!("{b:02x}")).collect();
                            format!("{}:{hex}", u.code)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            old_state: r.state.map(|s| s.0),
            new_state: r.state.map(|s| s.1),
        }
    }

    /// The fields as CSV text (RFC 4180 quoting), in [`Element::CSV_HEADER`] order; lists are
    /// space-separated.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        fn o<T: std::fmt::Display>(v: &Option<T>) -> String {
            v.as_ref().map(|v| quote(v.to_string())).unwrap_or_default()
        }
        fn quote(s: String) -> String {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s
            }
        }
        let kind = match self.kind {
            ElementKind::Rib => "rib",
            ElementKind::Announce => "announce",
            ElementKind::Withdraw => "withdraw",
            ElementKind::State => "state",
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            if self.timestamp.fract() == 0.0 {
                format!("{}", self.timestamp as u64)
            } else {
                format!("{:.6}", self.timestamp)
            },
            kind,
            self.peer_ip,
            self.peer_asn,
            o(&self.prefix),
            o(&self.path_id),
            o(&self.as_path),
            o(&self.origin_asn),
            o(&self.origin),
            o(&self.next_hop),
            o(&self.local_pref),
            o(&self.med),
            quote(self.communities.join(" ")),
            quote(self.large_communities.join(" ")),
            quote(self.extended_communities.join(" ")),
            self.atomic_aggregate,
            o(&self.aggregator),
            o(&self.only_to_customer),
            o(&self.originator_id),
            quote(
                self.cluster_list
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            quote(self.unknown_attributes.join(" ")),
            o(&self.old_state),
            o(&self.new_state),
        );
    }
}
