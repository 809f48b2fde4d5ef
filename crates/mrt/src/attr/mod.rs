//! BGP path attributes (RFC 4271 5, and the extensions named in each submodule), decoded in
//! one pass into borrowed views.
//!
//! Malformed attributes are handled as RFC 7606 prescribes for a receiver: an error in an
//! attribute that shapes route selection (ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF,
//! COMMUNITIES, extended and large communities, ONLY_TO_CUSTOMER) means *treat-as-withdraw*;
//! an error in an informational attribute (ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH,
//! AS4_AGGREGATOR) means *attribute discard*. Either is recorded in [`AttrIssues`] so callers
//! can count and report it. Unknown attributes are kept raw and are never an error.

pub mod as_path;
pub mod communities;
pub mod mp;

use crate::error::{Bytes, DecodeError};
pub use as_path::AsPathView;
pub use mp::{MpReach, MpUnreach};

/// Attribute type codes.
pub mod code {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MULTI_EXIT_DISC: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const ORIGINATOR_ID: u8 = 9;
    pub const CLUSTER_LIST: u8 = 10;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const LARGE_COMMUNITIES: u8 = 32;
    pub const ONLY_TO_CUSTOMER: u8 = 35;
}

const FLAG_EXTENDED_LENGTH: u8 = 0x10;

/// Where the attributes came from: decides the AS number size and the MP_REACH_NLRI form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrContext {
    /// 2 or 4: the size of AS numbers in AS_PATH and AGGREGATOR.
    pub asn_size: u8,
    /// TABLE_DUMP_V2 RIB entries carry MP_REACH_NLRI in the abbreviated form of RFC 6396
    /// 4.3.4 (next hop only).
    pub rib_entry: bool,
    /// The NLRI inside MP_REACH/MP_UNREACH carries ADD-PATH identifiers.
    pub add_path: bool,
}

/// An attribute this decoder does not interpret, kept as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
}

/// Errors met while decoding attributes, handled per RFC 7606.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrIssues {
    /// The route must be treated as withdrawn (RFC 7606 2, "treat-as-withdraw").
    pub treat_as_withdraw: bool,
    /// Number of attributes discarded (RFC 7606 2, "attribute discard").
    pub discarded: u8,
    /// The first problem seen.
    pub first: Option<DecodeError>,
}

impl AttrIssues {
    fn withdraw(&mut self, e: DecodeError) {
        self.treat_as_withdraw = true;
        self.first.get_or_insert(e);
    }

    fn discard(&mut self, e: DecodeError) {
        self.discarded = self.discarded.saturating_add(1);
        self.first.get_or_insert(e);
    }

    /// True when nothing was wrong.
    pub fn is_clean(&self) -> bool {
        self.first.is_none()
    }
}

/// The aggregator (RFC 4271 5.1.7), with AS4_AGGREGATOR applied (RFC 6793 4.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aggregator {
    pub asn: u32,
    pub addr: [u8; 4],
}

/// The decoded path attributes of one route or UPDATE, borrowing from the record.
#[derive(Clone, Debug, Default)]
pub struct Attributes<'a> {
    pub origin: Option<u8>,
    pub as_path: Option<AsPathView<'a>>,
    pub as4_path: Option<AsPathView<'a>>,
    pub next_hop: Option<[u8; 4]>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<Aggregator>,
    pub as4_aggregator: Option<Aggregator>,
    pub communities: Option<&'a [u8]>,
    pub originator_id: Option<[u8; 4]>,
    pub cluster_list: Option<&'a [u8]>,
    pub mp_reach: Option<MpReach<'a>>,
    pub mp_unreach: Option<MpUnreach<'a>>,
    pub ext_communities: Option<&'a [u8]>,
    pub large_communities: Option<&'a [u8]>,
    pub only_to_customer: Option<u32>,
    pub unknown: Vec<RawAttribute<'a>>,
    pub issues: AttrIssues,
    /// AS number size these attributes were decoded with.
    pub asn_size: u8,
}

impl<'a> Attributes<'a> {
    /// Decodes an attribute block. Only a block whose framing is broken (an attribute running
    /// past the end) is an `Err`; errors inside well-framed attributes land in `issues`.
    pub fn parse(data: &'a [u8], base: usize, ctx: AttrContext) -> Result<Self, DecodeError> {
        let mut a = Attributes {
            asn_size: ctx.asn_size,
            ..Default::default()
        };
        let mut b = Bytes::new(data, base);
        let mut seen: [u64; 4] = [0; 4];
        while !b.is_empty() {
            let start = b.offset();
            let flags = b.u8("attribute block ends inside an attribute header")?;
            let code = b.u8("attribute block ends inside an attribute header")?;
            let len = if flags & FLAG_EXTENDED_LENGTH != 0 {
                b.u16("attribute block ends inside an attribute length")? as usize
            } else {
                b.u8("attribute block ends inside an attribute length")? as usize
            };
            let vbase = b.offset();
            let value = b.take(len, "attribute length runs past the attribute block")?;
            let bit = 1u64 << (code % 64);
            let slot = &mut seen[(code / 64) as usize];
            if *slot & bit != 0 {
                // RFC 7606 3(g): repeated attributes other than MP_* are discarded; repeated
                // MP_REACH/MP_UNREACH is a session-level error, treated here as withdraw.
                let e = DecodeError::new("attribute appears more than once", start);
                if code == code::MP_REACH_NLRI || code == code::MP_UNREACH_NLRI {
                    a.issues.withdraw(e);
                } else {
                    a.issues.discard(e);
                }
                continue;
            }
            *slot |= bit;
            a.apply(flags, code, value, vbase, ctx);
        }
        if a.as4_path.is_some() && ctx.asn_size == 4 {
            // RFC 6793 4.1: a 4-octet speaker ignores AS4_PATH from another 4-octet speaker.
            a.as4_path = None;
        }
        Ok(a)
    }

    fn apply(&mut self, flags: u8, code: u8, value: &'a [u8], base: usize, ctx: AttrContext) {
        let bad = |reason| DecodeError::new(reason, base);
        let be32 = |v: &[u8]| u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        match code {
            code::ORIGIN => match value {
                [o] if *o <= 2 => self.origin = Some(*o),
                _ => self.issues.withdraw(bad("malformed ORIGIN")),
            },
            code::AS_PATH => match AsPathView::new(value, ctx.asn_size) {
                Some(p) => self.as_path = Some(p),
                None => self.issues.withdraw(bad("malformed AS_PATH")),
            },
            code::NEXT_HOP => match value {
                [a, b, c, d] => self.next_hop = Some([*a, *b, *c, *d]),
                _ => self.issues.withdraw(bad("malformed NEXT_HOP")),
            },
            code::MULTI_EXIT_DISC => match value.len() {
                4 => self.med = Some(be32(value)),
                _ => self.issues.withdraw(bad("malformed MULTI_EXIT_DISC")),
            },
            code::LOCAL_PREF => match value.len() {
                4 => self.local_pref = Some(be32(value)),
                _ => self.issues.withdraw(bad("malformed LOCAL_PREF")),
            },
            code::ATOMIC_AGGREGATE => match value.len() {
                0 => self.atomic_aggregate = true,
                _ => self.issues.discard(bad("malformed ATOMIC_AGGREGATE")),
            },
            code::AGGREGATOR => match value.len() {
                // The length, not the session, says which form this is: some writers (OpenBGPD
                // in TABLE_DUMP) store the 4-octet form where 2-octet ASNs are expected.
                6 => {
                    let asn = u16::from_be_bytes([value[0], value[1]]) as u32;
                    self.aggregator = Some(Aggregator {
                        asn,
                        addr: [value[2], value[3], value[4], value[5]],
                    })
                }
                8 => {
                    self.aggregator = Some(Aggregator {
                        asn: be32(value),
                        addr: [value[4], value[5], value[6], value[7]],
                    })
                }
                _ => self.issues.discard(bad("malformed AGGREGATOR")),
            },
            code::COMMUNITIES => match value.len() % 4 {
                0 => self.communities = Some(value),
                _ => self.issues.withdraw(bad("malformed COMMUNITIES")),
            },
            code::ORIGINATOR_ID => match value {
                [a, b, c, d] => self.originator_id = Some([*a, *b, *c, *d]),
                _ => self.issues.withdraw(bad("malformed ORIGINATOR_ID")),
            },
            code::CLUSTER_LIST => match value.len() % 4 {
                0 => self.cluster_list = Some(value),
                _ => self.issues.withdraw(bad("malformed CLUSTER_LIST")),
            },
            code::MP_REACH_NLRI => match MpReach::parse(value, base, ctx) {
                Ok(m) => self.mp_reach = Some(m),
                Err(e) => self.issues.withdraw(e),
            },
            code::MP_UNREACH_NLRI => match MpUnreach::parse(value, base, ctx) {
                Ok(m) => self.mp_unreach = Some(m),
                Err(e) => self.issues.withdraw(e),
            },
            code::EXTENDED_COMMUNITIES => match value.len() % 8 {
                0 => self.ext_communities = Some(value),
                _ => self.issues.withdraw(bad("malformed EXTENDED_COMMUNITIES")),
            },
            code::AS4_PATH => match AsPathView::new(value, 4) {
                Some(p) => self.as4_path = Some(p),
                None => self.issues.discard(bad("malformed AS4_PATH")),
            },
            code::AS4_AGGREGATOR => match value.len() {
                8 => {
                    self.as4_aggregator = Some(Aggregator {
                        asn: be32(value),
                        addr: [value[4], value[5], value[6], value[7]],
                    })
                }
                _ => self.issues.discard(bad("malformed AS4_AGGREGATOR")),
            },
            code::LARGE_COMMUNITIES => match value.len() % 12 {
                0 => self.large_communities = Some(value),
                _ => self.issues.withdraw(bad("malformed LARGE_COMMUNITIES")),
            },
            code::ONLY_TO_CUSTOMER => match value.len() {
                4 => self.only_to_customer = Some(be32(value)),
                _ => self.issues.withdraw(bad("malformed ONLY_TO_CUSTOMER")),
            },
            _ => self.unknown.push(RawAttribute { flags, code, value }),
        }
    }

    /// The aggregator with AS4_AGGREGATOR applied: when AGGREGATOR names AS_TRANS, the
    /// 4-octet values replace it (RFC 6793 4.2.3).
    pub fn effective_aggregator(&self) -> Option<Aggregator> {
        match (self.aggregator, self.as4_aggregator) {
            (Some(a), Some(a4)) if self.asn_size == 2 && a.asn == 23456 => Some(a4),
            (a, _) => a,
        }
    }

    /// The AS4_PATH that applies: none when an AGGREGATOR names an AS other than AS_TRANS
    /// while an AS4_AGGREGATOR is present (RFC 6793 4.2.3 then ignores both AS4 attributes).
    fn applicable_as4_path(&self) -> Option<AsPathView<'a>> {
        match (self.aggregator, self.as4_aggregator) {
            (Some(a), Some(_)) if a.asn != 23456 => None,
            _ => self.as4_path,
        }
    }

    /// The AS path with AS4_PATH merged in (RFC 6793 4.2.3), as owned segments.
    pub fn effective_as_path(&self) -> routenorms_types::AsPath {
        as_path::merge(self.as_path, self.applicable_as4_path())
    }

    /// True when the effective path differs from AS_PATH (an AS4_PATH applies).
    pub fn has_as4_merge(&self) -> bool {
        self.applicable_as4_path().is_some() && self.as_path.is_some()
    }

    /// The origin AS of the effective path, `None` when it ends in a set or is empty.
    pub fn origin_asn(&self) -> Option<u32> {
        if self.has_as4_merge() {
            self.effective_as_path().origin().map(|a| a.0)
        } else {
            self.as_path.and_then(|p| p.origin())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX4: AttrContext = AttrContext {
        asn_size: 4,
        rib_entry: false,
        add_path: false,
    };
    const CTX2: AttrContext = AttrContext {
        asn_size: 2,
        rib_entry: false,
        add_path: false,
    };

    #[test]
    fn decodes_well_known_attributes() {
        let data = [
            0x40, 1, 1, 0, // ORIGIN IGP
            0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe8, // AS_PATH 65000
            0x40, 3, 4, 192, 0, 2, 1, // NEXT_HOP
            0x80, 4, 4, 0, 0, 0, 5, // MED
            0x40, 5, 4, 0, 0, 0, 100, // LOCAL_PREF
            0xc0, 8, 4, 0xfd, 0xe8, 0, 1, // COMMUNITIES 65000:1
        ];
        let a = Attributes::parse(&data, 0, CTX4).unwrap();
        assert_eq!(a.origin, Some(0));
        assert_eq!(a.origin_asn(), Some(65000));
        assert_eq!(a.next_hop, Some([192, 0, 2, 1]));
        assert_eq!(a.med, Some(5));
        assert_eq!(a.local_pref, Some(100));
        assert_eq!(a.communities.unwrap().len(), 4);
        assert!(a.issues.is_clean());
    }

    #[test]
    fn an_attribute_running_past_the_block_is_an_error_with_offset() {
        let data = [0x40, 1, 1, 0, 0x40, 2, 9, 2, 1];
        let e = Attributes::parse(&data, 10, CTX4).unwrap_err();
        assert_eq!(e.reason, "attribute length runs past the attribute block");
        assert_eq!(e.offset, 17);
    }

    #[test]
    fn a_malformed_origin_means_treat_as_withdraw() {
        let a = Attributes::parse(&[0x40, 1, 1, 7], 0, CTX4).unwrap();
        assert!(a.issues.treat_as_withdraw);
    }

    #[test]
    fn a_malformed_aggregator_is_discarded_not_withdrawn() {
        let a = Attributes::parse(&[0xc0, 7, 3, 1, 2, 3], 0, CTX4).unwrap();
        assert!(!a.issues.treat_as_withdraw);
        assert_eq!(a.issues.discarded, 1);
        assert_eq!(a.aggregator, None);
    }

    #[test]
    fn unknown_attributes_are_kept_raw() {
        let a = Attributes::parse(&[0xc0, 99, 2, 0xab, 0xcd], 0, CTX4).unwrap();
        assert_eq!(
            a.unknown,
            vec![RawAttribute {
                flags: 0xc0,
                code: 99,
                value: &[0xab, 0xcd]
            }]
        );
        assert!(a.issues.is_clean());
    }

    #[test]
    fn as4_aggregator_replaces_an_as_trans_aggregator() {
        let data = [
            0xc0, 7, 6, 0x5b, 0xa0, 10, 0, 0, 1, // AGGREGATOR AS_TRANS 10.0.0.1
            0xc0, 18, 8, 0, 1, 0, 0, 10, 0, 0, 2, // AS4_AGGREGATOR 65536 10.0.0.2
        ];
        let a = Attributes::parse(&data, 0, CTX2).unwrap();
        assert_eq!(
            a.effective_aggregator(),
            Some(Aggregator {
                asn: 65536,
                addr: [10, 0, 0, 2]
            })
        );
    }

    #[test]
    fn only_to_customer_is_decoded() {
        let a = Attributes::parse(&[0xc0, 35, 4, 0, 0, 0xfd, 0xe8], 0, CTX4).unwrap();
        assert_eq!(a.only_to_customer, Some(65000));
    }
}
