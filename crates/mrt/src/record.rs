//! Decoding one framed MRT record into a typed, borrowing view (RFC 6396, 6397, 8050).
//!
//! Decoding checks lengths and reads headers; per-entry attributes and NLRI are decoded lazily
//! by the iterators on the returned views, so a consumer pays only for what it looks at.

use crate::attr::{AttrContext, Attributes};
use crate::error::{Bytes, DecodeError};
use crate::header::{bgp4mp as bgp4mp_st, mrt_type, tdv2, Header};
use crate::nlri::{self, Nlri};
use routenorms_types::{Afi, Prefix, Timestamp};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IP address as carried in MRT, kept in wire form for fast formatting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Addr {
    pub fn to_ip(self) -> IpAddr {
        match self {
            Addr::V4(a) => IpAddr::V4(Ipv4Addr::from(a)),
            Addr::V6(a) => IpAddr::V6(Ipv6Addr::from(a)),
        }
    }

    fn read(b: &mut Bytes<'_>, afi: Afi, reason: &'static str) -> Result<Addr, DecodeError> {
        Ok(match afi {
            Afi::Ipv4 => Addr::V4(b.ipv4(reason)?),
            Afi::Ipv6 => Addr::V6(b.ipv6(reason)?),
        })
    }
}

/// One peer of a TABLE_DUMP_V2 PEER_INDEX_TABLE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub bgp_id: [u8; 4],
    pub addr: Addr,
    pub asn: u32,
}

/// The PEER_INDEX_TABLE (RFC 6396 4.3.1): owned, since every later RIB record refers to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerIndexTable {
    pub collector_id: [u8; 4],
    pub view_name: String,
    pub peers: Vec<Peer>,
}

impl PeerIndexTable {
    fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut b = Bytes::new(body, 0);
        let collector_id = b.ipv4("PEER_INDEX_TABLE too short for the collector id")?;
        let name_len = b.u16("PEER_INDEX_TABLE too short for the view name length")? as usize;
        let name = b.take(name_len, "PEER_INDEX_TABLE view name runs past the record")?;
        let count = b.u16("PEER_INDEX_TABLE too short for the peer count")? as usize;
        let mut peers = Vec::with_capacity(count.min(b.remaining() / 7));
        for _ in 0..count {
            let ptype = b.u8("PEER_INDEX_TABLE ends inside a peer entry")?;
            let bgp_id = b.ipv4("PEER_INDEX_TABLE ends inside a peer entry")?;
            let afi = if ptype & 1 != 0 { Afi::Ipv6 } else { Afi::Ipv4 };
            let addr = Addr::read(&mut b, afi, "PEER_INDEX_TABLE ends inside a peer address")?;
            let asn = if ptype & 2 != 0 {
                b.u32("PEER_INDEX_TABLE ends inside a peer AS")?
            } else {
                b.u16("PEER_INDEX_TABLE ends inside a peer AS")? as u32
            };
            peers.push(Peer { bgp_id, addr, asn });
        }
        Ok(PeerIndexTable {
            collector_id,
            view_name: String::from_utf8_lossy(name).into_owned(),
            peers,
        })
    }
}

/// A legacy TABLE_DUMP record (RFC 6396 4.2). Normally one entry; records written by the
/// 1999-2001 RIS collectors pack further entries (without view and sequence) after the first,
/// and [`TableDump::entries`] yields them all.
#[derive(Clone, Copy, Debug)]
pub struct TableDump<'a> {
    pub afi: Afi,
    /// 2, or 4 for bgpdump's AFI_IP_32BIT_AS / AFI_IP6_32BIT_AS subtypes (3 and 4).
    pub asn_size: u8,
    pub view: u16,
    pub sequence: u16,
    data: &'a [u8],
}

/// One TABLE_DUMP entry.
#[derive(Clone, Debug)]
pub struct TableDumpEntry<'a> {
    pub prefix: Prefix,
    pub had_host_bits: bool,
    pub status: u8,
    pub originated: u32,
    pub peer_addr: Addr,
    pub peer_asn: u32,
    pub attrs: Attributes<'a>,
}

impl<'a> TableDump<'a> {
    /// The entries; an error ends the iteration.
    pub fn entries(&self) -> impl Iterator<Item = Result<TableDumpEntry<'a>, DecodeError>> + 'a {
        let mut b = Bytes::new(self.data, 4);
        let afi = self.afi;
        let asn_size = self.asn_size;
        let mut failed = false;
        std::iter::from_fn(move || {
            if b.is_empty() || failed {
                return None;
            }
            let r = (|| {
                let addr = Addr::read(&mut b, afi, "TABLE_DUMP entry ends inside the prefix")?;
                let len = b.u8("TABLE_DUMP entry ends inside the prefix length")?;
                let bits = match addr {
                    Addr::V4(a) => u32::from_be_bytes(a) as u128,
                    Addr::V6(a) => u128::from_be_bytes(a),
                };
                let prefix = Prefix::from_bits(afi, bits, len)
                    .map_err(|_| b.err("TABLE_DUMP prefix length exceeds the address size"))?;
                let status = b.u8("TABLE_DUMP entry ends inside the status")?;
                let originated = b.u32("TABLE_DUMP entry ends inside the originated time")?;
                let peer_addr = Addr::read(&mut b, afi, "TABLE_DUMP entry ends inside the peer")?;
                let peer_asn = if asn_size == 4 {
                    b.u32("TABLE_DUMP entry ends inside the peer AS")?
                } else {
                    b.u16("TABLE_DUMP entry ends inside the peer AS")? as u32
                };
                let alen = b.u16("TABLE_DUMP entry ends inside the attribute length")? as usize;
                let base = b.offset();
                let adata = b.take(alen, "TABLE_DUMP attributes run past the record")?;
                let ctx = AttrContext {
                    asn_size,
                    rib_entry: true,
                    add_path: false,
                };
                let attrs = Attributes::parse(adata, base, ctx)?;
                Ok(TableDumpEntry {
                    prefix,
                    had_host_bits: prefix.bits() != bits,
                    status,
                    originated,
                    peer_addr,
                    peer_asn,
                    attrs,
                })
            })();
            failed = r.is_err();
            Some(r)
        })
    }
}

/// A TABLE_DUMP_V2 RIB record (RFC 6396 4.3.2, RFC 8050 ADD-PATH variants): one prefix and the
/// routes of every peer for it.
#[derive(Clone, Copy, Debug)]
pub struct Rib<'a> {
    pub subtype: u16,
    pub sequence: u32,
    pub afi: Afi,
    /// 1 unicast, 2 multicast.
    pub safi: u8,
    pub prefix: Prefix,
    pub had_host_bits: bool,
    pub add_path: bool,
    pub entry_count: u16,
    entries: &'a [u8],
    entries_base: usize,
}

/// One route of a [`Rib`] record.
#[derive(Clone, Debug)]
pub struct RibEntry<'a> {
    pub peer_index: u16,
    pub originated: u32,
    pub path_id: Option<u32>,
    pub attrs: Attributes<'a>,
}

impl<'a> Rib<'a> {
    /// The entries; an error ends the iteration.
    pub fn entries(&self) -> impl Iterator<Item = Result<RibEntry<'a>, DecodeError>> + 'a {
        let mut b = Bytes::new(self.entries, self.entries_base);
        let mut left = self.entry_count;
        let add_path = self.add_path;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let r = (|| {
                let peer_index = b.u16("RIB entry count exceeds the entries present")?;
                let originated = b.u32("RIB record ends inside an entry")?;
                let path_id = if add_path {
                    Some(b.u32("RIB record ends inside a path id")?)
                } else {
                    None
                };
                let alen = b.u16("RIB record ends inside an attribute length")? as usize;
                let base = b.offset();
                let adata = b.take(alen, "RIB entry attributes run past the record")?;
                let ctx = AttrContext {
                    asn_size: 4,
                    rib_entry: true,
                    add_path: false,
                };
                let attrs = Attributes::parse(adata, base, ctx)?;
                Ok(RibEntry {
                    peer_index,
                    originated,
                    path_id,
                    attrs,
                })
            })();
            if r.is_err() {
                left = 0;
            }
            Some(r)
        })
    }
}

/// A BGP message recorded by BGP4MP/BGP4MP_ET (RFC 6396 4.4.2-4.4.6, RFC 8050).
#[derive(Clone, Copy, Debug)]
pub struct Bgp4mpMessage<'a> {
    pub subtype: u16,
    pub peer_asn: u32,
    pub local_asn: u32,
    pub interface: u16,
    pub afi: Afi,
    pub peer_addr: Addr,
    pub local_addr: Addr,
    /// 4 for the *_AS4 subtypes, else 2.
    pub asn_size: u8,
    /// The subtype says the message was sent by the recorder (MESSAGE_*LOCAL).
    pub local: bool,
    /// The subtype says NLRI carry ADD-PATH identifiers.
    pub add_path: bool,
    /// The BGP message type (1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE, 5 ROUTE-REFRESH).
    pub msg_type: u8,
    /// The message after the 19-byte BGP header.
    body: &'a [u8],
    body_base: usize,
}

/// A decoded BGP UPDATE (RFC 4271 4.3).
#[derive(Clone, Debug)]
pub struct Update<'a> {
    pub withdrawn: Nlri<'a>,
    pub attrs: Attributes<'a>,
    pub announced: Nlri<'a>,
}

impl<'a> Bgp4mpMessage<'a> {
    /// Decodes the UPDATE this message holds (`None` for other message types).
    pub fn update(&self) -> Option<Result<Update<'a>, DecodeError>> {
        if self.msg_type != 2 {
            return None;
        }
        Some(self.parse_update())
    }

    fn parse_update(&self) -> Result<Update<'a>, DecodeError> {
        parse_update(self.body, self.body_base, self.asn_size, self.add_path)
    }
}

/// Decodes the body of a BGP UPDATE message (after the 19-byte header). `base` is the body's
/// offset within the enclosing record, for error offsets; `asn_size` is 2 or 4; `add_path`
/// says the NLRI carry path identifiers (when false, BIRD-style ADD-PATH NLRI are still
/// recognised by their shape).
pub fn parse_update(
    body: &[u8],
    base: usize,
    asn_size: u8,
    add_path: bool,
) -> Result<Update<'_>, DecodeError> {
    let mut b = Bytes::new(body, base);
    let wlen = b.u16("UPDATE too short for the withdrawn routes length")? as usize;
    let wbase = b.offset();
    let wdata = b.take(wlen, "UPDATE withdrawn routes run past the message")?;
    let alen = b.u16("UPDATE too short for the path attribute length")? as usize;
    let abase = b.offset();
    let adata = b.take(alen, "UPDATE path attributes run past the message")?;
    let nbase = b.offset();
    let ndata = b.rest();
    // The subtype is the only standard signal for ADD-PATH; BIRD also writes ADD-PATH NLRI
    // under the plain subtypes, which the field's shape reveals.
    let add_path = add_path
        || nlri::looks_like_add_path(ndata, Afi::Ipv4)
        || nlri::looks_like_add_path(wdata, Afi::Ipv4);
    let ctx = AttrContext {
        asn_size,
        rib_entry: false,
        add_path,
    };
    let mut attrs = Attributes::parse(adata, abase, ctx)?;
    if !add_path {
        for n in [
            attrs.mp_reach.as_mut().and_then(|m| m.nlri.as_mut()),
            attrs.mp_unreach.as_mut().and_then(|m| m.nlri.as_mut()),
        ]
        .into_iter()
        .flatten()
        {
            n.add_path = nlri::looks_like_add_path(n.data, n.afi);
        }
    }
    Ok(Update {
        withdrawn: Nlri::new(wdata, wbase, Afi::Ipv4, add_path),
        attrs,
        announced: Nlri::new(ndata, nbase, Afi::Ipv4, add_path),
    })
}

/// A BGP4MP STATE_CHANGE(_AS4) record (RFC 6396 4.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub peer_asn: u32,
    pub local_asn: u32,
    pub afi: Afi,
    pub peer_addr: Addr,
    pub local_addr: Addr,
    pub old_state: u16,
    pub new_state: u16,
}

/// A decoded record.
#[derive(Clone, Debug)]
pub enum Record<'a> {
    PeerIndexTable(PeerIndexTable),
    TableDump(TableDump<'a>),
    Rib(Rib<'a>),
    Message(Bgp4mpMessage<'a>),
    StateChange(StateChange),
    /// A defined type or subtype this reader does not decode (OSPF, IS-IS, RIB_GENERIC with a
    /// non-prefix family, GEO_PEER_TABLE, BGP4MP_ENTRY, ...). Counted, not an error.
    Unsupported,
}

/// A record's time: header seconds plus the microseconds of `_ET` types.
#[derive(Clone, Debug)]
pub struct Decoded<'a> {
    pub time: Timestamp,
    pub extended_time: bool,
    pub record: Record<'a>,
}

/// Decodes one record body. Errors carry the offset within the body.
pub fn decode<'a>(header: &Header, body: &'a [u8]) -> Result<Decoded<'a>, DecodeError> {
    let mut b = Bytes::new(body, 0);
    let extended_time = mrt_type::is_extended_time(header.mrt_type);
    let micros = if extended_time {
        b.u32("record too short for the microseconds field")?
    } else {
        0
    };
    let time = Timestamp {
        secs: header.timestamp,
        micros,
    };
    let record = match header.mrt_type {
        mrt_type::TABLE_DUMP => decode_table_dump(header.subtype, b)?,
        mrt_type::TABLE_DUMP_V2 => decode_tdv2(header.subtype, b)?,
        mrt_type::BGP4MP | mrt_type::BGP4MP_ET => decode_bgp4mp(header.subtype, b)?,
        _ => Record::Unsupported,
    };
    Ok(Decoded {
        time,
        extended_time,
        record,
    })
}

fn decode_table_dump(subtype: u16, mut b: Bytes<'_>) -> Result<Record<'_>, DecodeError> {
    let (afi, asn_size) = match subtype {
        1 => (Afi::Ipv4, 2),
        2 => (Afi::Ipv6, 2),
        3 => (Afi::Ipv4, 4),
        4 => (Afi::Ipv6, 4),
        _ => return Ok(Record::Unsupported),
    };
    let view = b.u16("TABLE_DUMP too short for the view number")?;
    let sequence = b.u16("TABLE_DUMP too short for the sequence number")?;
    Ok(Record::TableDump(TableDump {
        afi,
        asn_size,
        view,
        sequence,
        data: b.rest(),
    }))
}

fn decode_tdv2(subtype: u16, mut b: Bytes<'_>) -> Result<Record<'_>, DecodeError> {
    let (afi, safi, add_path) = match subtype {
        tdv2::PEER_INDEX_TABLE => {
            return Ok(Record::PeerIndexTable(PeerIndexTable::parse(b.rest())?))
        }
        tdv2::RIB_IPV4_UNICAST => (Afi::Ipv4, 1, false),
        tdv2::RIB_IPV4_MULTICAST => (Afi::Ipv4, 2, false),
        tdv2::RIB_IPV6_UNICAST => (Afi::Ipv6, 1, false),
        tdv2::RIB_IPV6_MULTICAST => (Afi::Ipv6, 2, false),
        tdv2::RIB_IPV4_UNICAST_ADDPATH => (Afi::Ipv4, 1, true),
        tdv2::RIB_IPV4_MULTICAST_ADDPATH => (Afi::Ipv4, 2, true),
        tdv2::RIB_IPV6_UNICAST_ADDPATH => (Afi::Ipv6, 1, true),
        tdv2::RIB_IPV6_MULTICAST_ADDPATH => (Afi::Ipv6, 2, true),
        tdv2::RIB_GENERIC | tdv2::RIB_GENERIC_ADDPATH => {
            return decode_rib_generic(subtype, b);
        }
        _ => return Ok(Record::Unsupported),
    };
    let sequence = b.u32("RIB record too short for the sequence number")?;
    rib_body(subtype, sequence, afi, safi, add_path, b)
}

/// The part RIB_* and RIB_GENERIC records share: prefix, entry count, entries.
fn rib_body(
    subtype: u16,
    sequence: u32,
    afi: Afi,
    safi: u8,
    add_path: bool,
    mut b: Bytes<'_>,
) -> Result<Record<'_>, DecodeError> {
    let (prefix, had_host_bits) = nlri::read_prefix(&mut b, afi)?;
    let entry_count = b.u16("RIB record too short for the entry count")?;
    let entries_base = b.offset();
    Ok(Record::Rib(Rib {
        subtype,
        sequence,
        afi,
        safi,
        prefix,
        had_host_bits,
        add_path,
        entry_count,
        entries: b.rest(),
        entries_base,
    }))
}

fn decode_rib_generic(subtype: u16, mut b: Bytes<'_>) -> Result<Record<'_>, DecodeError> {
    let sequence = b.u32("RIB_GENERIC too short for the sequence number")?;
    let afi = b.u16("RIB_GENERIC too short for the AFI")?;
    let safi = b.u8("RIB_GENERIC too short for the SAFI")?;
    let (Some(afi), 1..=2) = (Afi::from_code(afi), safi) else {
        return Ok(Record::Unsupported);
    };
    let add_path = subtype == tdv2::RIB_GENERIC_ADDPATH;
    rib_body(subtype, sequence, afi, safi, add_path, b)
}

fn decode_bgp4mp(subtype: u16, mut b: Bytes<'_>) -> Result<Record<'_>, DecodeError> {
    use bgp4mp_st::*;
    let (as4, local, add_path, state) = match subtype {
        STATE_CHANGE => (false, false, false, true),
        STATE_CHANGE_AS4 => (true, false, false, true),
        MESSAGE => (false, false, false, false),
        MESSAGE_AS4 => (true, false, false, false),
        MESSAGE_LOCAL => (false, true, false, false),
        MESSAGE_AS4_LOCAL => (true, true, false, false),
        MESSAGE_ADDPATH => (false, false, true, false),
        MESSAGE_AS4_ADDPATH => (true, false, true, false),
        MESSAGE_LOCAL_ADDPATH => (false, true, true, false),
        MESSAGE_AS4_LOCAL_ADDPATH => (true, true, true, false),
        _ => return Ok(Record::Unsupported),
    };
    let (peer_asn, local_asn) = if as4 {
        (
            b.u32("BGP4MP too short for the peer AS")?,
            b.u32("BGP4MP too short for the local AS")?,
        )
    } else {
        (
            b.u16("BGP4MP too short for the peer AS")? as u32,
            b.u16("BGP4MP too short for the local AS")? as u32,
        )
    };
    let interface = b.u16("BGP4MP too short for the interface index")?;
    let afi_code = b.u16("BGP4MP too short for the address family")?;
    let afi =
        Afi::from_code(afi_code).ok_or(b.err("BGP4MP address family is neither IPv4 nor IPv6"))?;
    let peer_addr = Addr::read(&mut b, afi, "BGP4MP too short for the peer address")?;
    let local_addr = Addr::read(&mut b, afi, "BGP4MP too short for the local address")?;
    if state {
        let old_state = b.u16("STATE_CHANGE too short for the old state")?;
        let new_state = b.u16("STATE_CHANGE too short for the new state")?;
        return Ok(Record::StateChange(StateChange {
            peer_asn,
            local_asn,
            afi,
            peer_addr,
            local_addr,
            old_state,
            new_state,
        }));
    }
    let marker = b.take(16, "BGP message too short for its marker")?;
    if marker.iter().any(|&m| m != 0xff) {
        return Err(DecodeError::new(
            "BGP message marker is not all ones",
            b.offset() - 16,
        ));
    }
    let len = b.u16("BGP message too short for its length")? as usize;
    let msg_type = b.u8("BGP message too short for its type")?;
    if len < 19 {
        return Err(b.err("BGP message length below the 19-byte minimum"));
    }
    let body_base = b.offset();
    let body = b.take(len - 19, "BGP message length runs past the record")?;
    Ok(Record::Message(Bgp4mpMessage {
        subtype,
        peer_asn,
        local_asn,
        interface,
        afi,
        peer_addr,
        local_addr,
        asn_size: if as4 { 4 } else { 2 },
        local,
        add_path,
        msg_type,
        body,
        body_base,
    }))
}
