//! MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760), including the abbreviated MP_REACH_NLRI of
//! TABLE_DUMP_V2 RIB entries (RFC 6396 4.3.4) and ADD-PATH NLRI (RFC 8050).

use super::AttrContext;
use crate::error::{Bytes, DecodeError};
use crate::nlri::Nlri;
use routenorms_types::Afi;

/// The NLRI after the AFI/SAFI (and next hop), for families whose NLRI are plain prefixes:
/// IPv4 and IPv6 unicast, multicast, and both (RFC 4760). Others are kept out of reach.
fn prefix_nlri<'a>(afi: u16, safi: u8, b: &Bytes<'a>, add_path: bool) -> Option<Nlri<'a>> {
    match Afi::from_code(afi) {
        Some(family) if matches!(safi, 1..=3) => {
            Some(Nlri::new(b.rest(), b.offset(), family, add_path))
        }
        _ => None,
    }
}

/// MP_REACH_NLRI.
#[derive(Clone, Copy, Debug)]
pub struct MpReach<'a> {
    /// AFI code; 0 when the abbreviated RIB form leaves it to the RIB subtype.
    pub afi: u16,
    /// SAFI code; 0 in the abbreviated form.
    pub safi: u8,
    /// Next hop bytes as sent: 4 (IPv4), 16 (IPv6 global) or 32 (global + link-local), or
    /// other lengths for other families.
    pub next_hop: &'a [u8],
    /// The announced prefixes, for families whose NLRI are plain prefixes.
    pub nlri: Option<Nlri<'a>>,
}

impl<'a> MpReach<'a> {
    pub(crate) fn parse(
        value: &'a [u8],
        base: usize,
        ctx: AttrContext,
    ) -> Result<Self, DecodeError> {
        let mut b = Bytes::new(value, base);
        if ctx.rib_entry && !value.is_empty() && value[0] as usize == value.len() - 1 {
            b.u8("")?;
            let next_hop = b.rest();
            return Ok(MpReach {
                afi: 0,
                safi: 0,
                next_hop,
                nlri: None,
            });
        }
        let afi = b.u16("MP_REACH_NLRI too short for AFI")?;
        let safi = b.u8("MP_REACH_NLRI too short for SAFI")?;
        let nh_len = b.u8("MP_REACH_NLRI too short for next-hop length")? as usize;
        let next_hop = b.take(nh_len, "MP_REACH_NLRI next hop runs past the attribute")?;
        if ctx.rib_entry && b.is_empty() {
            // Some writers store AFI/SAFI/next hop but no reserved octet in RIB entries.
            return Ok(MpReach {
                afi,
                safi,
                next_hop,
                nlri: None,
            });
        }
        b.u8("MP_REACH_NLRI too short for the reserved octet")?;
        let nlri = prefix_nlri(afi, safi, &b, ctx.add_path);
        Ok(MpReach {
            afi,
            safi,
            next_hop,
            nlri,
        })
    }

    /// The (first) IPv6 next hop: the global address of a 16- or 32-byte next hop.
    pub fn ipv6_next_hop(&self) -> Option<[u8; 16]> {
        if self.next_hop.len() == 16 || self.next_hop.len() == 32 {
            let mut a = [0u8; 16];
            a.copy_from_slice(&self.next_hop[..16]);
            Some(a)
        } else {
            None
        }
    }

    /// The link-local IPv6 next hop of a 32-byte next hop.
    pub fn ipv6_link_local(&self) -> Option<[u8; 16]> {
        if self.next_hop.len() == 32 {
            let mut a = [0u8; 16];
            a.copy_from_slice(&self.next_hop[16..]);
            Some(a)
        } else {
            None
        }
    }

    /// An IPv4 next hop (4 bytes).
    pub fn ipv4_next_hop(&self) -> Option<[u8; 4]> {
        match self.next_hop {
            [a, b, c, d] => Some([*a, *b, *c, *d]),
            _ => None,
        }
    }
}

/// MP_UNREACH_NLRI.
#[derive(Clone, Copy, Debug)]
pub struct MpUnreach<'a> {
    pub afi: u16,
    pub safi: u8,
    /// The withdrawn prefixes, for families whose NLRI are plain prefixes.
    pub nlri: Option<Nlri<'a>>,
}

impl<'a> MpUnreach<'a> {
    pub(crate) fn parse(
        value: &'a [u8],
        base: usize,
        ctx: AttrContext,
    ) -> Result<Self, DecodeError> {
        let mut b = Bytes::new(value, base);
        let afi = b.u16("MP_UNREACH_NLRI too short for AFI")?;
        let safi = b.u8("MP_UNREACH_NLRI too short for SAFI")?;
        let nlri = prefix_nlri(afi, safi, &b, ctx.add_path);
        Ok(MpUnreach { afi, safi, nlri })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIB: AttrContext = AttrContext {
        asn_size: 4,
        rib_entry: true,
        add_path: false,
    };
    const MSG: AttrContext = AttrContext {
        asn_size: 4,
        rib_entry: false,
        add_path: false,
    };

    #[test]
    fn abbreviated_rib_form_holds_only_the_next_hop() {
        let mut v = vec![16];
        v.extend([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let m = MpReach::parse(&v, 0, RIB).unwrap();
        assert_eq!(m.afi, 0);
        assert_eq!(m.ipv6_next_hop().unwrap()[15], 1);
        assert!(m.nlri.is_none());
    }

    #[test]
    fn full_form_carries_afi_safi_next_hop_and_nlri() {
        let mut v = vec![0, 2, 1, 16];
        v.extend([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v.push(0);
        v.extend([32, 0x20, 1, 0x0d, 0xb8]);
        let m = MpReach::parse(&v, 0, MSG).unwrap();
        assert_eq!((m.afi, m.safi), (2, 1));
        let p: Vec<_> = m
            .nlri
            .unwrap()
            .iter()
            .map(|p| p.unwrap().prefix.to_string())
            .collect();
        assert_eq!(p, ["2001:db8::/32"]);
    }

    #[test]
    fn a_next_hop_running_past_the_attribute_is_an_error() {
        let e = MpReach::parse(&[0, 2, 1, 16, 0], 0, MSG).unwrap_err();
        assert_eq!(e.reason, "MP_REACH_NLRI next hop runs past the attribute");
    }
}
