//! Writing MRT records: the inverse of [`crate::record::decode`] for the record types routenorms
//! produces itself (test fixtures today, the routing simulator's dumps later).
//!
//! Every function returns one complete record (common header and body) as bytes, so files are
//! built by concatenation. Attributes are built with [`AttrsBuilder`].

use crate::header::{bgp4mp, mrt_type, tdv2};
use crate::record::{Addr, Peer};
use routenorms_types::{Afi, Prefix};

fn record(timestamp: u32, t: u16, st: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + body.len());
    v.extend(timestamp.to_be_bytes());
    v.extend(t.to_be_bytes());
    v.extend(st.to_be_bytes());
    v.extend((body.len() as u32).to_be_bytes());
    v.extend(body);
    v
}

fn put_addr(v: &mut Vec<u8>, a: Addr) {
    match a {
        Addr::V4(a) => v.extend(a),
        Addr::V6(a) => v.extend(a),
    }
}

/// Appends a prefix in NLRI encoding (length octet, then the significant bytes).
pub fn put_prefix(v: &mut Vec<u8>, p: &Prefix) {
    v.push(p.len());
    let n = (p.len() as usize).div_ceil(8);
    let bytes = match p.afi() {
        Afi::Ipv4 => (p.bits() as u32).to_be_bytes().to_vec(),
        Afi::Ipv6 => p.bits().to_be_bytes().to_vec(),
    };
    v.extend(&bytes[..n]);
}

/// A TABLE_DUMP_V2 PEER_INDEX_TABLE record (peers always written with 4-byte ASNs).
pub fn peer_index_table(
    timestamp: u32,
    collector_id: [u8; 4],
    view: &str,
    peers: &[Peer],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(collector_id);
    b.extend((view.len() as u16).to_be_bytes());
    b.extend(view.as_bytes());
    b.extend((peers.len() as u16).to_be_bytes());
    for p in peers {
        let v6 = matches!(p.addr, Addr::V6(_));
        b.push(2 | v6 as u8);
        b.extend(p.bgp_id);
        put_addr(&mut b, p.addr);
        b.extend(p.asn.to_be_bytes());
    }
    record(
        timestamp,
        mrt_type::TABLE_DUMP_V2,
        tdv2::PEER_INDEX_TABLE,
        &b,
    )
}

/// One route of a RIB record.
#[derive(Clone, Debug)]
pub struct RibRoute {
    pub peer_index: u16,
    pub originated: u32,
    /// Written only in ADD-PATH RIB records.
    pub path_id: u32,
    /// Attribute block, from [`AttrsBuilder::build`].
    pub attrs: Vec<u8>,
}

/// A TABLE_DUMP_V2 RIB_IPV4/IPV6_UNICAST record, or its ADD-PATH variant.
pub fn rib(
    timestamp: u32,
    sequence: u32,
    prefix: &Prefix,
    add_path: bool,
    routes: &[RibRoute],
) -> Vec<u8> {
    let subtype = match (prefix.afi(), add_path) {
        (Afi::Ipv4, false) => tdv2::RIB_IPV4_UNICAST,
        (Afi::Ipv6, false) => tdv2::RIB_IPV6_UNICAST,
        (Afi::Ipv4, true) => tdv2::RIB_IPV4_UNICAST_ADDPATH,
        (Afi::Ipv6, true) => tdv2::RIB_IPV6_UNICAST_ADDPATH,
    };
    let mut b = Vec::new();
    b.extend(sequence.to_be_bytes());
    put_prefix(&mut b, prefix);
    b.extend((routes.len() as u16).to_be_bytes());
    for r in routes {
        b.extend(r.peer_index.to_be_bytes());
        b.extend(r.originated.to_be_bytes());
        if add_path {
            b.extend(r.path_id.to_be_bytes());
        }
        b.extend((r.attrs.len() as u16).to_be_bytes());
        b.extend(&r.attrs);
    }
    record(timestamp, mrt_type::TABLE_DUMP_V2, subtype, &b)
}

/// Appends a TABLE_DUMP_V2 RIB_IPV4/IPV6_UNICAST record (no ADD-PATH) to `out`, with each
/// route given as (peer index, originated time, attribute block): the bytes of [`rib`]
/// without building a [`RibRoute`] per entry (the simulator writes hundreds of millions).
pub fn rib_into(
    out: &mut Vec<u8>,
    timestamp: u32,
    sequence: u32,
    prefix: &Prefix,
    routes: &[(u16, u32, &[u8])],
) {
    let subtype = match prefix.afi() {
        Afi::Ipv4 => tdv2::RIB_IPV4_UNICAST,
        Afi::Ipv6 => tdv2::RIB_IPV6_UNICAST,
    };
    let body_len = 4
        + 1
        + (prefix.len() as usize).div_ceil(8)
        + 2
        + routes.iter().map(|r| 8 + r.2.len()).sum::<usize>();
    out.extend(timestamp.to_be_bytes());
    out.extend(mrt_type::TABLE_DUMP_V2.to_be_bytes());
    out.extend(subtype.to_be_bytes());
    out.extend((body_len as u32).to_be_bytes());
    out.extend(sequence.to_be_bytes());
    put_prefix(out, prefix);
    out.extend((routes.len() as u16).to_be_bytes());
    for (peer_index, originated, attrs) in routes {
        out.extend(peer_index.to_be_bytes());
        out.extend(originated.to_be_bytes());
        out.extend((attrs.len() as u16).to_be_bytes());
        out.extend(*attrs);
    }
}

/// The two ends of a BGP session as BGP4MP records them.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub peer_asn: u32,
    pub local_asn: u32,
    pub peer_addr: Addr,
    pub local_addr: Addr,
}

fn bgp4mp_head(b: &mut Vec<u8>, s: &Session) {
    b.extend(s.peer_asn.to_be_bytes());
    b.extend(s.local_asn.to_be_bytes());
    b.extend(0u16.to_be_bytes());
    b.extend(
        match s.peer_addr {
            Addr::V4(_) => 1u16,
            Addr::V6(_) => 2u16,
        }
        .to_be_bytes(),
    );
    put_addr(b, s.peer_addr);
    put_addr(b, s.local_addr);
}

/// A BGP4MP_MESSAGE_AS4 record holding an UPDATE with IPv4 withdrawals and announcements in
/// the plain fields (IPv6 goes in MP_REACH/MP_UNREACH attributes of `attrs`).
pub fn update(
    timestamp: u32,
    s: &Session,
    withdrawn: &[Prefix],
    attrs: &[u8],
    nlri: &[Prefix],
) -> Vec<u8> {
    let mut msg = Vec::new();
    let mut w = Vec::new();
    for p in withdrawn {
        put_prefix(&mut w, p);
    }
    msg.extend((w.len() as u16).to_be_bytes());
    msg.extend(w);
    msg.extend((attrs.len() as u16).to_be_bytes());
    msg.extend(attrs);
    for p in nlri {
        put_prefix(&mut msg, p);
    }
    let mut b = Vec::new();
    bgp4mp_head(&mut b, s);
    b.extend([0xff; 16]);
    b.extend(((19 + msg.len()) as u16).to_be_bytes());
    b.push(2);
    b.extend(msg);
    record(timestamp, mrt_type::BGP4MP, bgp4mp::MESSAGE_AS4, &b)
}

/// A BGP4MP_STATE_CHANGE_AS4 record.
pub fn state_change(timestamp: u32, s: &Session, old: u16, new: u16) -> Vec<u8> {
    let mut b = Vec::new();
    bgp4mp_head(&mut b, s);
    b.extend(old.to_be_bytes());
    b.extend(new.to_be_bytes());
    record(timestamp, mrt_type::BGP4MP, bgp4mp::STATE_CHANGE_AS4, &b)
}

/// Builds a path attribute block (4-byte AS numbers).
#[derive(Clone, Debug, Default)]
pub struct AttrsBuilder {
    out: Vec<u8>,
}

impl AttrsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Any attribute, with the extended-length flag when needed.
    pub fn raw(mut self, flags: u8, code: u8, value: &[u8]) -> Self {
        if value.len() > 255 {
            self.out.push(flags | 0x10);
            self.out.push(code);
            self.out.extend((value.len() as u16).to_be_bytes());
        } else {
            self.out.push(flags & !0x10);
            self.out.push(code);
            self.out.push(value.len() as u8);
        }
        self.out.extend(value);
        self
    }

    pub fn origin(self, origin: u8) -> Self {
        self.raw(0x40, 1, &[origin])
    }

    /// AS_PATH from segments of (wire type, ASNs): 1 set, 2 sequence, 3/4 confederation.
    pub fn as_path(self, segments: &[(u8, &[u32])]) -> Self {
        let mut v = Vec::new();
        for (kind, asns) in segments {
            v.push(*kind);
            v.push(asns.len() as u8);
            for a in *asns {
                v.extend(a.to_be_bytes());
            }
        }
        self.raw(0x40, 2, &v)
    }

    pub fn next_hop(self, nh: [u8; 4]) -> Self {
        self.raw(0x40, 3, &nh)
    }

    pub fn med(self, med: u32) -> Self {
        self.raw(0x80, 4, &med.to_be_bytes())
    }

    pub fn local_pref(self, lp: u32) -> Self {
        self.raw(0x40, 5, &lp.to_be_bytes())
    }

    pub fn atomic_aggregate(self) -> Self {
        self.raw(0x40, 6, &[])
    }

    pub fn aggregator(self, asn: u32, addr: [u8; 4]) -> Self {
        let mut v = asn.to_be_bytes().to_vec();
        v.extend(addr);
        self.raw(0xc0, 7, &v)
    }

    pub fn communities(self, cs: &[u32]) -> Self {
        let v: Vec<u8> = cs.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.raw(0xc0, 8, &v)
    }

    pub fn large_communities(self, cs: &[(u32, u32, u32)]) -> Self {
        let v: Vec<u8> = cs
            .iter()
            .flat_map(|(a, b, c)| [a.to_be_bytes(), b.to_be_bytes(), c.to_be_bytes()])
            .flatten()
            .collect();
        self.raw(0xc0, 32, &v)
    }

    pub fn only_to_customer(self, asn: u32) -> Self {
        self.raw(0xc0, 35, &asn.to_be_bytes())
    }

    /// MP_REACH_NLRI for IPv6 unicast in full form, with an optional link-local next hop.
    pub fn mp_reach_ipv6(
        self,
        next_hop: [u8; 16],
        link_local: Option<[u8; 16]>,
        nlri: &[Prefix],
    ) -> Self {
        let mut v = vec![0, 2, 1];
        v.push(if link_local.is_some() { 32 } else { 16 });
        v.extend(next_hop);
        if let Some(ll) = link_local {
            v.extend(ll);
        }
        v.push(0);
        for p in nlri {
            put_prefix(&mut v, p);
        }
        self.raw(0x80, 14, &v)
    }

    /// The abbreviated MP_REACH_NLRI of TABLE_DUMP_V2 RIB entries (RFC 6396 4.3.4).
    pub fn rib_mp_reach(self, next_hop: &[u8]) -> Self {
        let mut v = vec![next_hop.len() as u8];
        v.extend(next_hop);
        self.raw(0x80, 14, &v)
    }

    /// MP_UNREACH_NLRI for IPv6 unicast.
    pub fn mp_unreach_ipv6(self, withdrawn: &[Prefix]) -> Self {
        let mut v = vec![0, 2, 1];
        for p in withdrawn {
            put_prefix(&mut v, p);
        }
        self.raw(0x80, 15, &v)
    }

    pub fn build(self) -> Vec<u8> {
        self.out
    }
}

/// A small dump exercising each record type this writer produces: a peer table with an IPv4
/// and an IPv6 peer, an IPv4 RIB record (two routes, one ending in an AS_SET, one with an
/// extended community, ORIGINATOR_ID, CLUSTER_LIST and an unknown attribute), an IPv6 ADD-PATH
/// RIB record, a state change, an IPv4 UPDATE (withdrawal and announcement, large communities,
/// ONLY_TO_CUSTOMER) and an IPv6 UPDATE (MP_REACH with link-local next hop, MP_UNREACH), then an
/// OSPFv2 record (defined, not decoded). Addresses and ASNs are from the documentation ranges.
pub fn sample() -> Vec<u8> {
    let p = |s: &str| s.parse::<Prefix>().expect("valid prefix");
    let v6 = |s: &str| {
        s.parse::<std::net::Ipv6Addr>()
            .expect("valid address")
            .octets()
    };
    let t = 1_700_000_000;
    let peers = [
        Peer {
            bgp_id: [192, 0, 2, 1],
            addr: Addr::V4([192, 0, 2, 1]),
            asn: 64496,
        },
        Peer {
            bgp_id: [192, 0, 2, 2],
            addr: Addr::V6(v6("2001:db8::1")),
            asn: 4_200_000_000,
        },
    ];
    let mut out = peer_index_table(t, [192, 0, 2, 254], "sample", &peers);
    let a0 = AttrsBuilder::new()
        .origin(0)
        .as_path(&[(2, &[64496, 64511])])
        .next_hop([192, 0, 2, 1])
        .med(5)
        .local_pref(100)
        .communities(&[(64496 << 16) | 1, 0xFFFF_FF01])
        .raw(0xc0, 16, &[0, 2, 0xfb, 0xf0, 0, 0, 0, 100])
        .raw(0x80, 9, &[192, 0, 2, 9])
        .raw(0x80, 10, &[192, 0, 2, 10, 192, 0, 2, 11])
        .raw(0xe0, 99, &[1, 2, 3])
        .build();
    let a1 = AttrsBuilder::new()
        .origin(2)
        .as_path(&[(2, &[4_200_000_000, 64511]), (1, &[64512, 64513])])
        .next_hop([192, 0, 2, 2])
        .atomic_aggregate()
        .aggregator(64513, [198, 51, 100, 1])
        .build();
    out.extend(rib(
        t,
        0,
        &p("198.51.100.0/24"),
        false,
        &[
            RibRoute {
                peer_index: 0,
                originated: t - 60,
                path_id: 0,
                attrs: a0,
            },
            RibRoute {
                peer_index: 1,
                originated: t - 120,
                path_id: 0,
                attrs: a1,
            },
        ],
    ));
    let mut nh = v6("2001:db8::1").to_vec();
    nh.extend(v6("fe80::1"));
    let a2 = AttrsBuilder::new()
        .origin(0)
        .as_path(&[(2, &[4_200_000_000, 64500])])
        .rib_mp_reach(&nh)
        .build();
    out.extend(rib(
        t,
        1,
        &p("2001:db8:1000::/36"),
        true,
        &[RibRoute {
            peer_index: 1,
            originated: t - 30,
            path_id: 7,
            attrs: a2,
        }],
    ));
    let s4 = Session {
        peer_asn: 64496,
        local_asn: 64497,
        peer_addr: Addr::V4([192, 0, 2, 1]),
        local_addr: Addr::V4([192, 0, 2, 254]),
    };
    out.extend(state_change(t + 1, &s4, 1, 6));
    let a3 = AttrsBuilder::new()
        .origin(0)
        .as_path(&[(2, &[64496, 65550])])
        .next_hop([192, 0, 2, 1])
        .large_communities(&[(64496, 1, 2)])
        .only_to_customer(64496)
        .build();
    out.extend(update(
        t + 2,
        &s4,
        &[p("203.0.113.0/24")],
        &a3,
        &[p("198.51.100.0/25")],
    ));
    let s6 = Session {
        peer_asn: 4_200_000_000,
        local_asn: 64497,
        peer_addr: Addr::V6(v6("2001:db8::1")),
        local_addr: Addr::V6(v6("2001:db8::fe")),
    };
    let a4 = AttrsBuilder::new()
        .origin(1)
        .as_path(&[(2, &[4_200_000_000])])
        .mp_unreach_ipv6(&[p("2001:db8:3000::/40")])
        .mp_reach_ipv6(
            v6("2001:db8::1"),
            Some(v6("fe80::1")),
            &[p("2001:db8:2000::/40")],
        )
        .build();
    out.extend(update(t + 3, &s6, &[], &a4, &[]));
    out.extend(record(t + 4, mrt_type::OSPF_V2, 0, &[0; 8]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rib_into_writes_the_same_bytes_as_rib() {
        let p: Prefix = "2001:db8:1000::/36".parse().unwrap();
        let a = AttrsBuilder::new()
            .origin(0)
            .as_path(&[(2, &[64496, 64500])])
            .build();
        let b = AttrsBuilder::new().origin(2).build();
        let expected = rib(
            7,
            9,
            &p,
            false,
            &[
                RibRoute {
                    peer_index: 0,
                    originated: 5,
                    path_id: 0,
                    attrs: a.clone(),
                },
                RibRoute {
                    peer_index: 3,
                    originated: 6,
                    path_id: 0,
                    attrs: b.clone(),
                },
            ],
        );
        let mut out = vec![0xAA];
        rib_into(&mut out, 7, 9, &p, &[(0, 5, &a), (3, 6, &b)]);
        assert_eq!(&out[1..], &expected[..]);
    }
}
