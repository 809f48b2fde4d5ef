//! The checks shared by per-route classification and incident detection: the data they
//! consult ([`Oracles`]) and what one AS path shows ([`PathFindings`]: bogon ASNs, the
//! valley-free and ONLY_TO_CUSTOMER checks with the leaking AS, the ASPA verdict).
//!
//! Culprits and accomplices are read on the path with prepends collapsed, neighbour of the
//! collector first:
//!
//! * **route leak**: the culprit is the AS that exported against policy (the `leaker` of
//!   [`routenorms_topology::check_path`] or [`routenorms_topology::check_otc`]); the
//!   accomplice is the AS it exported to (the next AS towards the collector), which accepted
//!   and propagated the leak. An RFC 9234 OTC leak is preferred over a valley-free violation
//!   when a path shows both: the attribute is explicit evidence, relationships are inferred.
//! * **bogon ASN**: the bogon ASN nearest the collector was accepted by the AS next to it
//!   towards the collector, which should have filtered it: that AS is the culprit and the
//!   one after it the accomplice. When the collector's neighbour is itself the bogon ASN, it
//!   is its own culprit.
//! * **bogon prefix** and **hijack**: the culprit is the origin (for an AS_SET origin, the
//!   last AS of the sequence before the set: the aggregator); the accomplice is the AS before
//!   it towards the collector.

use crate::bogons::Bogons;
use crate::irr::IrrOracle;
use routenorms_rpki::{AspaSet, AspaVerdict, VrpSet};
use routenorms_topology::{
    check_otc, check_path, collapse_prepends, AsRelationships, OtcVerdict, Relationship, ValleyFree,
};
use routenorms_types::{Afi, AsPath, SegmentKind};

/// The reference data observations consult. Absent data makes its verdicts `None` ("no
/// data"), never a negative answer.
#[derive(Clone, Copy)]
pub struct Oracles<'a> {
    pub bogons: &'a Bogons,
    pub vrps: Option<&'a VrpSet>,
    pub aspa: Option<&'a AspaSet>,
    pub relationships: Option<&'a AsRelationships>,
    pub irr: Option<&'a dyn IrrOracle>,
}

impl std::fmt::Debug for Oracles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oracles")
            .field("vrps", &self.vrps.map(|v| v.len()))
            .field("aspa", &self.aspa.map(|a| a.len()))
            .field("relationships", &self.relationships.map(|r| r.link_count()))
            .field("irr", &self.irr.is_some())
            .finish()
    }
}

impl<'a> Oracles<'a> {
    /// Only the bogon oracle (every other check "no data").
    pub fn new(bogons: &'a Bogons) -> Oracles<'a> {
        Oracles {
            bogons,
            vrps: None,
            aspa: None,
            relationships: None,
            irr: None,
        }
    }
}

/// Which check found a route leak.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LeakCheck {
    /// The path is not valley-free (Gao's export rules).
    ValleyFree,
    /// The route carried RFC 9234 ONLY_TO_CUSTOMER and went up or across after it was set.
    OnlyToCustomer,
}

/// A route leak named on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Leak {
    pub check: LeakCheck,
    /// The AS that exported against policy.
    pub leaker: u32,
    /// The AS it exported to (next towards the collector).
    pub accomplice: u32,
    /// The AS the leaker learned the route from (valley-free check), or the OTC value.
    pub learned_from: u32,
    /// What the accomplice is to the leaker: `provider` or `peer` (valley-free), or what the
    /// leaker is to the accomplice (OTC: `customer` or `peer`).
    pub link: Relationship,
    /// An unknown link lies before the offending hop: the leak is certain, the AS named may
    /// be one hop late.
    pub uncertain: bool,
}

/// What one AS path shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PathFindings {
    /// Distinct bogon ASNs anywhere in the path (sets included), collector side first.
    pub bogon_asns: Vec<u32>,
    /// (culprit, accomplice) for the bogon ASN nearest the collector.
    pub bogon_asn_culprit: Option<(u32, Option<u32>)>,
    /// The valley-free verdict (`None` without relationships or when the path has no AS
    /// sequence to check).
    pub valley: Option<ValleyFree>,
    /// The ONLY_TO_CUSTOMER verdict (`None` without relationships or without OTC).
    pub otc: Option<OtcVerdict>,
    /// The leak named by the OTC or valley-free check.
    pub leak: Option<Leak>,
    /// ASPA verification as a collector route (`None` without ASPA data).
    pub aspa: Option<AspaVerdict>,
    /// The AS responsible for the route's origin (the origin, or the aggregator before an
    /// AS_SET) and the AS before it towards the collector.
    pub origin_side: Option<(u32, Option<u32>)>,
}

/// The leading AS_SEQUENCE part of a path (up to any set or confederation segment),
/// prepends collapsed: what the valley-free and OTC checks read.
pub fn sequence_part(path: &AsPath) -> Vec<u32> {
    let mut out = Vec::new();
    for seg in &path.segments {
        if seg.kind != SegmentKind::Sequence {
            break;
        }
        out.extend(seg.asns.iter().map(|a| a.0));
    }
    collapse_prepends(&out)
}

/// Every ASN of the path in order (sets and confederation segments included), prepends
/// collapsed.
fn all_asns(path: &AsPath) -> Vec<u32> {
    let flat: Vec<u32> = path
        .segments
        .iter()
        .flat_map(|s| s.asns.iter().map(|a| a.0))
        .collect();
    collapse_prepends(&flat)
}

/// Runs every path check.
pub fn analyse_path(o: &Oracles<'_>, path: &AsPath, otc: Option<u32>, afi: Afi) -> PathFindings {
    let seq = sequence_part(path);
    let all = all_asns(path);
    let mut bogon_asns: Vec<u32> = Vec::new();
    for &a in &all {
        if o.bogons.is_bogon_asn(a) && !bogon_asns.contains(&a) {
            bogon_asns.push(a);
        }
    }
    let bogon_asn_culprit = all
        .iter()
        .position(|&a| o.bogons.is_bogon_asn(a))
        .map(|i| match i {
            0 => (all[0], None),
            i => (all[i - 1], i.checked_sub(2).map(|j| all[j])),
        });
    let (valley, otc_verdict) = match o.relationships {
        Some(rels) if !seq.is_empty() => (
            Some(check_path(rels, &seq)),
            otc.map(|v| check_otc(rels, &seq, Some(v))),
        ),
        _ => (None, None),
    };
    let leak = otc_verdict
        .as_ref()
        .and_then(OtcVerdict::leak)
        .map(|l| Leak {
            check: LeakCheck::OnlyToCustomer,
            leaker: l.leaker,
            accomplice: l.receiver,
            learned_from: l.otc,
            link: l.leaker_is,
            uncertain: false,
        })
        .or_else(|| {
            valley
                .as_ref()
                .and_then(ValleyFree::violation)
                .map(|v| Leak {
                    check: LeakCheck::ValleyFree,
                    leaker: v.leaker,
                    accomplice: v.exported_to,
                    learned_from: v.learned_from,
                    link: v.exported_via,
                    uncertain: v.after_unknown,
                })
        });
    let origin_side = seq
        .len()
        .checked_sub(1)
        .map(|i| (seq[i], i.checked_sub(1).map(|j| seq[j])));
    PathFindings {
        bogon_asns,
        bogon_asn_culprit,
        valley,
        otc: otc_verdict,
        leak,
        aspa: o.aspa.map(|a| a.verify_collector_route(path, afi)),
        origin_side,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use routenorms_types::{AsPathSegment, Asn};

    fn rels() -> AsRelationships {
        // 1 and 2 peer; 10 customer of 1; 20 customer of 2; 100 customer of 10 and 20.
        AsRelationships::read("1|2|0\n1|10|-1\n2|20|-1\n10|100|-1\n20|100|-1\n".as_bytes())
            .unwrap()
            .relationships
    }

    fn seq(asns: &[u32]) -> AsPath {
        AsPath::from_sequence(asns.iter().copied())
    }

    #[test]
    fn a_customer_passing_a_providers_route_to_another_provider_is_the_leaker() {
        let b = Bogons::special_only();
        let r = rels();
        let o = Oracles {
            relationships: Some(&r),
            ..Oracles::new(&b)
        };
        // 20 → 100 (down), 100 → 10 (up): 100 leaked, 10 accepted it.
        let f = analyse_path(&o, &seq(&[1, 10, 100, 100, 20]), None, Afi::Ipv4);
        let l = f.leak.unwrap();
        assert_eq!(
            (l.check, l.leaker, l.accomplice),
            (LeakCheck::ValleyFree, 100, 10)
        );
        assert_eq!((l.learned_from, l.link), (20, Relationship::Provider));
        assert_eq!(f.origin_side, Some((20, Some(100))));
        // Without relationships: no verdict at all.
        let f = analyse_path(&Oracles::new(&b), &seq(&[1, 10, 100, 20]), None, Afi::Ipv4);
        assert_eq!((f.valley, f.leak), (None, None));
    }

    #[test]
    fn an_otc_leak_is_named_before_a_valley_violation() {
        let b = Bogons::special_only();
        let r = rels();
        let o = Oracles {
            relationships: Some(&r),
            ..Oracles::new(&b)
        };
        // 20 sends to its customer 100 with OTC=20; 100 sends it up to 10: an OTC leak by 100
        // (a customer of 10), which is also a valley.
        let f = analyse_path(&o, &seq(&[10, 100, 20]), Some(20), Afi::Ipv4);
        let l = f.leak.unwrap();
        assert_eq!(
            (l.check, l.leaker, l.accomplice),
            (LeakCheck::OnlyToCustomer, 100, 10)
        );
        assert_eq!(l.link, Relationship::Customer);
        assert!(f.valley.unwrap().violation().is_some());
    }

    #[test]
    fn the_as_next_to_the_bogon_asn_towards_the_collector_is_its_culprit() {
        let b = Bogons::special_only();
        let o = Oracles::new(&b);
        let f = analyse_path(&o, &seq(&[3356, 174, 64512]), None, Afi::Ipv4);
        assert_eq!(f.bogon_asns, [64512]);
        assert_eq!(f.bogon_asn_culprit, Some((174, Some(3356))));
        let f = analyse_path(&o, &seq(&[3356, 23456, 174, 65000]), None, Afi::Ipv4);
        assert_eq!(f.bogon_asns, [23456, 65000]);
        assert_eq!(f.bogon_asn_culprit, Some((3356, None)));
        let f = analyse_path(&o, &seq(&[65001, 174]), None, Afi::Ipv4);
        assert_eq!(f.bogon_asn_culprit, Some((65001, None)));
        // In an AS_SET too.
        let mut p = seq(&[3356, 174]);
        p.segments.push(AsPathSegment {
            kind: SegmentKind::Set,
            asns: vec![Asn(64513), Asn(13335)],
        });
        let f = analyse_path(&o, &p, None, Afi::Ipv4);
        assert_eq!(f.bogon_asns, [64513]);
        assert_eq!(f.bogon_asn_culprit, Some((174, Some(3356))));
        // The aggregator stands for the origin of an AS_SET route.
        assert_eq!(f.origin_side, Some((174, Some(3356))));
        assert!(analyse_path(&o, &seq(&[3356, 174]), None, Afi::Ipv4)
            .bogon_asns
            .is_empty());
    }
}
