//! Non-minimal ROAs (RFC 9319): VRPs whose maxLength authorises more-specifics that their AS
//! does not announce — each such unannounced more-specific can be hijacked by a forged-origin
//! announcement that route-origin validation calls valid.

use crate::rov::VrpSet;
use crate::vrp::Vrp;
use routenorms_types::{Asn, Prefix};

/// A VRP with `max_len > prefix.len()` that authorises more-specifics its AS does not
/// announce.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NonMinimalVrp {
    pub vrp: Vrp,
    /// The VRP's own prefix is announced by its AS.
    pub exact_announced: bool,
    /// Distinct more-specifics (longer than the prefix, at most maxLength) announced by the
    /// VRP's AS.
    pub more_specifics_announced: u64,
    /// How many more-specifics the VRP authorises: 2^(maxLength − length + 1) − 2
    /// (saturating).
    pub more_specifics_authorised: u128,
    /// Lengths in (length, maxLength] at which the AS announces nothing under this prefix.
    pub unused_lengths: Vec<u8>,
}

impl NonMinimalVrp {
    /// No announced more-specific at all: the maxLength serves nothing seen in BGP.
    pub fn max_len_unused(&self) -> bool {
        self.more_specifics_announced == 0
    }
}

/// The non-minimal VRPs of `set`, given the (prefix, origin) pairs seen in BGP, in set order.
///
/// A VRP with `max_len == prefix.len()` is always minimal and is not listed; a VRP with a
/// larger maxLength is listed unless its AS announces every more-specific it authorises.
pub fn non_minimal_vrps(
    set: &VrpSet,
    announced: impl IntoIterator<Item = (Prefix, Asn)>,
) -> Vec<NonMinimalVrp> {
    let mut seen: Vec<(Asn, Prefix)> = announced.into_iter().map(|(p, a)| (a, p)).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut out = Vec::new();
    for vrp in set.iter() {
        let len = vrp.prefix.len();
        if vrp.max_len <= len {
            continue;
        }
        let afi = vrp.prefix.afi();
        let width = u32::from(afi.max_len());
        let first = vrp.prefix.bits();
        let host = if len == 0 {
            if width == 128 {
                u128::MAX
            } else {
                (1u128 << width) - 1
            }
        } else {
            (1u128 << (width - u32::from(len))) - 1
        };
        let last = first | host;
        let key = |&(a, p): &(Asn, Prefix)| (a, p.afi(), p.bits());
        let lo = seen.partition_point(|e| key(e) < (vrp.asn, afi, first));
        let hi = seen.partition_point(|e| key(e) <= (vrp.asn, afi, last));
        let mut exact = false;
        let mut count = 0u64;
        let mut used = [false; 129];
        for (_, p) in &seen[lo..hi] {
            if !vrp.prefix.covers(p) {
                continue;
            }
            if p.len() == len {
                exact = true;
            } else if p.len() <= vrp.max_len {
                count += 1;
                used[usize::from(p.len())] = true;
            }
        }
        let span = u32::from(vrp.max_len - len) + 1;
        let authorised = if span >= 128 {
            u128::MAX
        } else {
            (1u128 << span) - 2
        };
        if u128::from(count) < authorised {
            out.push(NonMinimalVrp {
                vrp: vrp.clone(),
                exact_announced: exact,
                more_specifics_announced: count,
                more_specifics_authorised: authorised,
                unused_lengths: (len + 1..=vrp.max_len)
                    .filter(|&l| !used[usize::from(l)])
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    fn vrp(prefix: &str, max_len: u8, asn: u32) -> Vrp {
        Vrp::new(p(prefix), max_len, Asn(asn)).unwrap()
    }

    #[test]
    fn minimal_and_non_minimal() {
        let set = VrpSet::new(vec![
            vrp("10.0.0.0/16", 16, 1),   // minimal by construction
            vrp("10.1.0.0/16", 24, 1),   // only the /16 announced: unused maxLength
            vrp("10.2.0.0/23", 24, 2),   // both /24s announced: minimal
            vrp("10.3.0.0/23", 24, 3),   // one /24 announced
            vrp("2001:db8::/32", 48, 4), // a /48 announced by another AS only
        ]);
        let announced = [
            (p("10.0.0.0/16"), Asn(1)),
            (p("10.1.0.0/16"), Asn(1)),
            (p("10.2.0.0/24"), Asn(2)),
            (p("10.2.1.0/24"), Asn(2)),
            (p("10.3.1.0/24"), Asn(3)),
            (p("10.3.1.0/24"), Asn(3)),
            (p("10.3.0.0/25"), Asn(3)), // longer than maxLength: not authorised, not counted
            (p("2001:db8:1::/48"), Asn(5)),
        ];
        let nm = non_minimal_vrps(&set, announced);
        let by = |s: &str| nm.iter().find(|n| n.vrp.prefix == p(s));
        assert_eq!(nm.len(), 3, "{nm:#?}");
        let a = by("10.1.0.0/16").unwrap();
        assert!(a.exact_announced && a.max_len_unused());
        assert_eq!(a.more_specifics_authorised, 510);
        assert_eq!(a.unused_lengths, (17..=24).collect::<Vec<u8>>());
        let b = by("10.3.0.0/23").unwrap();
        assert!(!b.exact_announced);
        assert_eq!(
            (b.more_specifics_announced, b.more_specifics_authorised),
            (1, 2)
        );
        assert!(b.unused_lengths.is_empty());
        let c = by("2001:db8::/32").unwrap();
        assert!(c.max_len_unused());
        assert!(by("10.2.0.0/23").is_none());
    }

    #[test]
    fn huge_spans_saturate() {
        let set = VrpSet::new(vec![vrp("::/0", 128, 1)]);
        let nm = non_minimal_vrps(&set, []);
        assert_eq!(nm[0].more_specifics_authorised, u128::MAX);
        assert_eq!(nm[0].unused_lengths.len(), 128);
    }
}
