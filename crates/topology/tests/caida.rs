//! The CAIDA files in the shared data, read by this crate and counted independently here with
//! plain string handling, so a parser mistake shows as a disagreement.

use routenorms_topology::{check_path, AsRelationships, CustomerCones, Relationship, ValleyFree};
use std::collections::HashSet;
use std::path::PathBuf;

fn data(rel: &str) -> Option<PathBuf> {
    Some(routenorms_testsupport::data_dir()?.join(rel))
}

/// serial-1 2018-01-01: every non-comment line is one link; -1 and 0 counted apart; ASes
/// counted as the distinct first two fields; the clique is the header's.
#[test]
fn as_rel_2018_counts_match_an_independent_count() {
    let Some(path) = data("asrel/20180101.as-rel.txt") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut p2c, mut p2p, mut comments) = (0usize, 0usize, 0usize);
    let mut asns = HashSet::new();
    for line in text.lines() {
        if line.starts_with('#') {
            comments += 1;
            continue;
        }
        let f: Vec<&str> = line.split('|').collect();
        asns.insert(f[0]);
        asns.insert(f[1]);
        match f[2] {
            "-1" => p2c += 1,
            "0" => p2p += 1,
            other => panic!("unexpected relationship {other}"),
        }
    }
    let loaded = AsRelationships::read_file(&path).unwrap();
    let r = &loaded.relationships;
    assert!(
        loaded.errors.is_empty(),
        "{:?}",
        &loaded.errors[..3.min(loaded.errors.len())]
    );
    assert_eq!(loaded.comments, comments);
    assert_eq!(r.link_count(), p2c + p2p);
    assert_eq!(r.as_count(), asns.len());
    let (mut got_p2c, mut got_p2p) = (0, 0);
    for (_, _, rel) in r.links() {
        match rel {
            Relationship::Peer => got_p2p += 1,
            _ => got_p2c += 1,
        }
    }
    assert_eq!((got_p2c, got_p2p), (p2c, p2p));
    // PROVENANCE.md: 261,340 links.
    assert_eq!(p2c + p2p, 261_340);
    assert_eq!(
        r.clique(),
        &[
            174, 209, 286, 701, 1239, 1299, 2828, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461,
            6762, 6830, 7018, 12956
        ]
    );
    // The file's first links, read both ways.
    assert_eq!(r.rel(1, 11537), Some(Relationship::Peer));
    assert_eq!(r.rel(1, 134008), Some(Relationship::Customer));
    assert_eq!(r.rel(134008, 1), Some(Relationship::Provider));
    // A Tier-1 route down to a customer's customer is valley-free; the reverse climb after a
    // descent is a leak by the middle AS.
    let c = r.customers(3356)[0];
    assert_eq!(check_path(r, &[c, 3356]), ValleyFree::Valid);
    let provs = r.providers(c);
    let other = provs.iter().copied().find(|&p| p != 3356);
    if let Some(other) = other {
        let x = check_path(r, &[other, c, 3356]);
        assert_eq!(x.violation().map(|v| v.leaker), Some(c), "{x:?}");
    }
}

/// ppdc-ases 2016-01-01: one cone per non-comment line, each the line's first AS followed by
/// its members (the AS among them); the header's "total size".
#[test]
fn ppdc_2016_cones_match_an_independent_count() {
    let Some(path) = data("asrel/20160101.ppdc-ases.txt") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = 0;
    let mut sizes = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        lines += 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        let own: HashSet<&str> = f[1..].iter().copied().chain([f[0]]).collect();
        sizes.insert(f[0].parse::<u32>().unwrap(), own.len());
    }
    let loaded = CustomerCones::read_file(&path).unwrap();
    assert!(loaded.errors.is_empty());
    assert_eq!(loaded.cones.len(), lines);
    assert_eq!(lines, 52_838, "the header's total size");
    for (&asn, &size) in &sizes {
        assert_eq!(loaded.cones.size(asn), size, "AS{asn}");
    }
    assert!(loaded.cones.contains(3356, 3356));
    assert!(loaded.cones.contains(3356, 1));
}

/// Cones computed from the 2018 relationships for every AS: each contains its AS, stubs have
/// cones of one, and the Tier-1s' cones are large. Against CAIDA's own 2016 cones (two years
/// earlier, and CAIDA's provider/peer-observed cone rather than the recursive one) most of
/// 3356's 2016 cone members still sit in its computed 2018 cone.
#[test]
fn computed_cones_on_2018_relationships_are_plausible() {
    let (Some(rel_path), Some(cone_path)) = (
        data("asrel/20180101.as-rel.txt"),
        data("asrel/20160101.ppdc-ases.txt"),
    ) else {
        return;
    };
    let r = AsRelationships::read_file(&rel_path).unwrap().relationships;
    let t = std::time::Instant::now();
    let cones = CustomerCones::compute(&r, 2);
    eprintln!("computed {} cones in {:?}", cones.len(), t.elapsed());
    assert_eq!(cones.len(), r.as_count());
    let stubs = r
        .asns()
        .iter()
        .filter(|&&a| r.customers(a).is_empty())
        .count();
    let singletons = r.asns().iter().filter(|&&a| cones.size(a) == 1).count();
    assert_eq!(stubs, singletons);
    assert_eq!(cones.cone(3356).unwrap(), &r.customer_cone(3356)[..]);
    let caida_2016 = CustomerCones::read_file(&cone_path).unwrap().cones;
    let old = caida_2016.cone(3356).unwrap();
    let kept = old.iter().filter(|&&m| cones.contains(3356, m)).count();
    let share = kept as f64 / old.len() as f64;
    eprintln!(
        "AS3356: 2016 CAIDA cone {} ASes, 2018 computed cone {}, {:.1}% of the former in the latter",
        old.len(),
        cones.size(3356),
        100.0 * share
    );
    assert!(share > 0.5, "{share}");
}
