//! Comparing two payloads — typically the outputs of two validators — and the route verdicts
//! that differ between them. Operators see different VRP sets from Routinator, rpki-client and
//! FORT (timing, trust anchors, bugs) and need to know which routes that affects.

use crate::{Aspa, InvalidReason, RovState, Vrp, VrpSet};
use routenorms_types::{Asn, Prefix};
use std::collections::BTreeSet;

/// A route whose verdict differs between the two sets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerdictChange {
    pub prefix: Prefix,
    pub origin: Option<Asn>,
    pub a: (RovState, Option<InvalidReason>),
    pub b: (RovState, Option<InvalidReason>),
}

/// What differs between payloads A and B. VRPs compare by (prefix, maxLength, ASN) — the trust
/// anchor is ignored, since validators name them differently; ASPAs by customer and provider set.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PayloadDiff {
    pub vrps_only_in_a: Vec<Vrp>,
    pub vrps_only_in_b: Vec<Vrp>,
    pub aspas_only_in_a: Vec<Aspa>,
    pub aspas_only_in_b: Vec<Aspa>,
    pub verdict_changes: Vec<VerdictChange>,
}

fn only_in(x: &VrpSet, y_keys: &BTreeSet<(Prefix, u8, Asn)>) -> Vec<Vrp> {
    let mut seen = BTreeSet::new();
    x.iter()
        .filter(|v| !y_keys.contains(&v.key()) && seen.insert(v.key()))
        .cloned()
        .collect()
}

fn aspa_key(a: &Aspa) -> (Asn, Vec<Asn>) {
    (a.customer, a.providers.clone())
}

/// Compares two payloads. Verdicts are compared for `routes`; when it is empty, for the routes
/// the VRPs of either side describe themselves (each VRP's prefix with its ASN), which shows
/// what the difference does to the announcements the ROAs were made for.
pub fn diff(
    a: &VrpSet,
    b: &VrpSet,
    aspas_a: &[Aspa],
    aspas_b: &[Aspa],
    routes: &BTreeSet<(Prefix, Option<Asn>)>,
) -> PayloadDiff {
    let keys = |s: &VrpSet| s.iter().map(Vrp::key).collect::<BTreeSet<_>>();
    let (ka, kb) = (keys(a), keys(b));
    let asp = |s: &[Aspa]| s.iter().map(aspa_key).collect::<BTreeSet<_>>();
    let (pa, pb) = (asp(aspas_a), asp(aspas_b));
    let mut out = PayloadDiff {
        vrps_only_in_a: only_in(a, &kb),
        vrps_only_in_b: only_in(b, &ka),
        aspas_only_in_a: aspas_a
            .iter()
            .filter(|x| !pb.contains(&aspa_key(x)))
            .cloned()
            .collect(),
        aspas_only_in_b: aspas_b
            .iter()
            .filter(|x| !pa.contains(&aspa_key(x)))
            .cloned()
            .collect(),
        verdict_changes: Vec::new(),
    };
    let implied: BTreeSet<(Prefix, Option<Asn>)>;
    let probe = if routes.is_empty() {
        implied = a
            .iter()
            .chain(b.iter())
            .map(|v| (v.prefix, Some(v.asn)))
            .collect();
        &implied
    } else {
        routes
    };
    for &(prefix, origin) in probe {
        let (va, vb) = (
            a.validate_state(prefix, origin),
            b.validate_state(prefix, origin),
        );
        if va != vb {
            out.verdict_changes.push(VerdictChange {
                prefix,
                origin,
                a: va,
                b: vb,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vrp(p: &str, max: u8, asn: u32) -> Vrp {
        Vrp::new(p.parse().unwrap(), max, Asn(asn)).unwrap()
    }

    #[test]
    fn reports_vrps_on_one_side_only_and_the_verdicts_they_change() {
        let a = VrpSet::new(vec![
            vrp("192.0.2.0/24", 24, 64496),
            vrp("198.51.100.0/24", 24, 64497),
        ]);
        let b = VrpSet::new(vec![
            vrp("192.0.2.0/24", 24, 64496),
            vrp("198.51.100.0/24", 24, 64498),
        ]);
        let d = diff(&a, &b, &[], &[], &BTreeSet::new());
        assert_eq!(d.vrps_only_in_a, vec![vrp("198.51.100.0/24", 24, 64497)]);
        assert_eq!(d.vrps_only_in_b, vec![vrp("198.51.100.0/24", 24, 64498)]);
        // Both VRP-described routes flip: 64497 valid → invalid, 64498 invalid → valid.
        assert_eq!(d.verdict_changes.len(), 2);
        let c = &d.verdict_changes[0];
        assert_eq!(
            (c.a.0, c.b),
            (
                RovState::Valid,
                (RovState::Invalid, Some(InvalidReason::As))
            )
        );
    }

    #[test]
    fn trust_anchor_names_do_not_make_a_difference() {
        let t = |v: Vrp, ta: &str| v.with_ta(Some(crate::Ta::new(ta)));
        let a = VrpSet::new(vec![t(vrp("192.0.2.0/24", 24, 1), "ripe")]);
        let b = VrpSet::new(vec![t(vrp("192.0.2.0/24", 24, 1), "RIPE NCC")]);
        assert_eq!(
            diff(&a, &b, &[], &[], &BTreeSet::new()),
            PayloadDiff::default()
        );
    }

    #[test]
    fn given_routes_are_the_ones_compared() {
        let a = VrpSet::new(vec![vrp("192.0.2.0/24", 24, 1)]);
        let b = VrpSet::new(vec![vrp("192.0.2.0/24", 25, 1)]);
        let routes: BTreeSet<_> = [("192.0.2.0/25".parse().unwrap(), Some(Asn(1)))].into();
        let d = diff(&a, &b, &[], &[], &routes);
        assert_eq!(d.verdict_changes.len(), 1);
        assert_eq!(
            d.verdict_changes[0].a,
            (RovState::Invalid, Some(InvalidReason::Length))
        );
        assert_eq!(d.verdict_changes[0].b, (RovState::Valid, None));
    }

    #[test]
    fn aspas_compare_by_customer_and_providers() {
        let a = [Aspa::new(Asn(1), vec![Asn(2), Asn(3)])];
        let b = [
            Aspa::new(Asn(1), vec![Asn(3), Asn(2)]),
            Aspa::new(Asn(4), vec![Asn(5)]),
        ];
        let d = diff(
            &VrpSet::default(),
            &VrpSet::default(),
            &a,
            &b,
            &BTreeSet::new(),
        );
        assert!(d.aspas_only_in_a.is_empty());
        assert_eq!(d.aspas_only_in_b, vec![Aspa::new(Asn(4), vec![Asn(5)])]);
    }
}
