//! Inference on real paths: the RouteViews RIB of 2014-05-23 (first MiB: 9,072 prefixes seen
//! by 47 peers) against CAIDA's 2018-01-01 inferences on the links both know. The dates are
//! four years apart and CAIDA uses far more evidence, so only a documented lower bound on
//! agreement is asserted; the figures are printed.

use routenorms_topology::infer::infer;
use routenorms_topology::{AsRelationships, Relationship};
use routenorms_types::SegmentKind;

#[test]
fn inference_from_a_routeviews_rib_mostly_agrees_with_caida() {
    let Some(dir) = routenorms_testsupport::data_dir() else {
        return;
    };
    let rib = dir.join("mrt/routeviews-rib.20140523.0600_firstMB.bz2");
    let caida = AsRelationships::read_file(&dir.join("asrel/20180101.as-rel.txt"))
        .unwrap()
        .relationships;
    let paths = routenorms_mrt::paths::route_paths(&rib, 2).unwrap();
    // Plain AS_SEQUENCE paths only.
    let plain: Vec<Vec<u32>> = paths
        .paths
        .iter()
        .filter(|p| p.segments.iter().all(|s| s.kind == SegmentKind::Sequence))
        .map(|p| {
            p.segments
                .iter()
                .flat_map(|s| s.asns.iter().map(|a| a.0))
                .collect()
        })
        .collect();
    let inf = infer(plain.iter().map(Vec::as_slice));
    let r = &inf.relationships;
    let (mut common, mut same, mut p2c_common, mut p2c_same) = (0, 0, 0, 0);
    for (a, b, rel) in r.links() {
        let Some(theirs) = caida.rel(a, b) else {
            continue;
        };
        common += 1;
        same += usize::from(theirs == rel);
        if theirs != Relationship::Peer {
            p2c_common += 1;
            p2c_same += usize::from(theirs == rel);
        }
    }
    let share = same as f64 / common as f64;
    let p2c_share = p2c_same as f64 / p2c_common as f64;
    eprintln!(
        "{} paths ({} with loops skipped), {} links inferred, {} also in CAIDA 2018: {:.1}% agree \
         ({:.1}% of CAIDA's p2c links); clique {:?}",
        inf.paths_used,
        inf.paths_with_loops,
        r.link_count(),
        common,
        100.0 * share,
        100.0 * p2c_share,
        inf.clique
    );
    assert!(common > 1000, "{common}");
    assert!(share > 0.8, "{share}");
}
