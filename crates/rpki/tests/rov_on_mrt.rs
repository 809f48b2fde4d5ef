//! The independent check of issue 3: for every distinct (prefix, origin) seen in the shared MRT
//! dumps, `VrpSet::validate` gives the same verdict as a deliberately naive reference — a
//! linear scan over all VRPs written straight from RFC 6811 section 2 — for every VRP file in
//! the shared data.
//!
//! What this proves: the indexed validator (covering-prefix lookup, length bitmap) agrees with
//! the RFC's definition on real routes and real payloads, including AS_SET origins (NONE), AS0
//! VRPs and maxLength edges as they occur in the wild.

use routenorms_mrt::origins::route_origins;
use routenorms_rpki::{load_path, InvalidReason, RovState, Vrp, VrpSet};
use routenorms_testsupport::{data_dir, files_below};
use routenorms_types::{Asn, Prefix};
use std::collections::BTreeSet;
use std::path::Path;

/// Every distinct (prefix, origin) announced or in a RIB, origin `None` for AS_SET endings.
fn routes_of(file: &Path, into: &mut BTreeSet<(Prefix, Option<Asn>)>) {
    into.extend(route_origins(file, 2).unwrap().routes);
}

/// RFC 6811 section 2, as literally as it reads, over a plain list of the covering VRPs.
fn naive(
    covering: &[&Vrp],
    prefix: Prefix,
    origin: Option<Asn>,
) -> (RovState, Option<InvalidReason>) {
    if covering.is_empty() {
        return (RovState::NotFound, None);
    }
    let origin_ok = |v: &&Vrp| Some(v.asn) == origin && v.asn != Asn(0);
    if covering
        .iter()
        .any(|v| origin_ok(v) && prefix.len() <= v.max_len)
    {
        return (RovState::Valid, None);
    }
    let reason = if covering.iter().any(origin_ok) {
        InvalidReason::Length
    } else {
        InvalidReason::As
    };
    (RovState::Invalid, Some(reason))
}

/// The reference's covering lookup: every VRP in a plain list whose prefix contains the route.
/// A linear scan, except on the large payload file, where the same set is found by looking up
/// each of the route's own covering prefixes in a map keyed by VRP prefix (as simple, and fast
/// enough for hundreds of thousands of routes).
struct Reference<'a> {
    all: Vec<&'a Vrp>,
    by_prefix: Option<std::collections::HashMap<Prefix, Vec<&'a Vrp>>>,
}

impl<'a> Reference<'a> {
    fn new(vrps: &'a [Vrp], linear: bool) -> Self {
        let by_prefix = (!linear).then(|| {
            let mut m: std::collections::HashMap<Prefix, Vec<&Vrp>> = Default::default();
            for v in vrps {
                m.entry(v.prefix).or_default().push(v);
            }
            m
        });
        Reference {
            all: vrps.iter().collect(),
            by_prefix,
        }
    }

    fn covering(&self, p: Prefix) -> Vec<&'a Vrp> {
        match &self.by_prefix {
            None => self
                .all
                .iter()
                .copied()
                .filter(|v| v.prefix.covers(&p))
                .collect(),
            Some(m) => (0..=p.len())
                .filter_map(|l| Prefix::from_bits(p.afi(), p.bits(), l).ok())
                .flat_map(|c| m.get(&c).into_iter().flatten().copied())
                .collect(),
        }
    }
}

#[test]
fn indexed_rov_equals_a_reference_for_every_route_in_the_shared_dumps() {
    let Some(data) = data_dir() else { return };
    let mut routes = BTreeSet::new();
    for f in files_below(&data.join("mrt")) {
        if !f.components().any(|c| c.as_os_str() == "expected") {
            routes_of(&f, &mut routes);
        }
    }
    assert!(routes.len() > 500_000, "distinct routes: {}", routes.len());
    let vrp_files = [
        "dn42-export.json",
        "dn42-export-20210531.json",
        "dn42-bird1-roa.conf",
        "dn42-bird2-roa.conf",
        "rpki-client-ripe-prepdev-20230504.json.gz",
    ];
    for name in vrp_files {
        let payload = load_path(data.join("rpki").join(name)).unwrap();
        let vrps = payload.vrps.clone();
        let set = VrpSet::new(payload.vrps);
        let reference = Reference::new(&vrps, vrps.len() < 10_000);
        let mut counts = std::collections::BTreeMap::new();
        for (prefix, origin) in &routes {
            let v = set.validate(*prefix, *origin);
            let expect = naive(&reference.covering(*prefix), *prefix, *origin);
            assert_eq!((v.state, v.reason), expect, "{name}: {prefix} {origin:?}");
            *counts.entry(v.state).or_insert(0usize) += 1;
        }
        eprintln!("{name}: {} routes: {counts:?}", routes.len());
        assert!(
            counts.len() >= 2,
            "{name}: expected more than one state: {counts:?}"
        );
    }
}

#[test]
fn dn42_routes_validate_against_the_same_day_roas_as_provenance_records() {
    // PROVENANCE.md: of the 1,180 distinct (prefix, origin) pairs in the DN42 collector RIBs of
    // 2021-05-31, 994 are valid, 174 invalid and 12 not-found against that day's ROA export.
    let Some(data) = data_dir() else { return };
    let mut routes = BTreeSet::new();
    for f in files_below(&data.join("mrt/dn42")) {
        routes_of(&f, &mut routes);
    }
    let payload = load_path(data.join("rpki/dn42-export-20210531.json")).unwrap();
    let set = VrpSet::new(payload.vrps);
    let mut counts = std::collections::BTreeMap::new();
    for (prefix, origin) in &routes {
        *counts
            .entry(set.validate_state(*prefix, *origin).0)
            .or_insert(0) += 1;
    }
    assert_eq!(routes.len(), 1_180);
    assert_eq!(counts[&RovState::Valid], 994);
    assert_eq!(counts[&RovState::Invalid], 174);
    assert_eq!(counts[&RovState::NotFound], 12);
}
