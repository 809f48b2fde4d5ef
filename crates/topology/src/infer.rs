//! Relationship inference from observed AS paths, the fallback when no CAIDA file is given.
//!
//! A deliberately simple version of Gao's algorithm (L. Gao, "On inferring autonomous system
//! relationships in the Internet", IEEE/ACM ToN 2001), phases 2 and 3 without siblings:
//!
//! 1. Paths are collapsed (prepends removed); paths that still repeat an AS (loops,
//!    poisoning) are skipped. An AS's *degree* is its number of distinct neighbours over
//!    all paths.
//! 2. The *clique*: the highest-degree AS, then each of the next [`CLIQUE_CANDIDATES`] ASes
//!    by degree that is adjacent to every member so far. Links inside it are peer links.
//! 3. In each path the *top provider* is the AS of highest degree. Every link votes that the
//!    AS nearer the top is the provider: the route climbed to the top (c2p) and went down
//!    after it (p2c).
//! 4. A link can only be a peer link where it touches the top of some path, and only one of
//!    the top's two links (the one to its higher-degree neighbour); every other link is
//!    marked *not peering*. An unmarked link whose ends' degrees differ by at most a factor
//!    [`PEER_DEGREE_RATIO`] (Gao's R = 60) is a peer link.
//! 5. Otherwise the majority of votes gives the provider; a tie is a peer link.
//!
//! It is a fallback: CAIDA's inferences (which use far more evidence) should be preferred
//! whenever a file is available.

use crate::relationship::{AsRelationships, AsRelationshipsBuilder, Relationship};
use crate::valley::collapse_prepends;
use rustc_hash::{FxHashMap, FxHashSet};

/// How many of the highest-degree ASes are tried for the clique.
pub const CLIQUE_CANDIDATES: usize = 20;
/// Gao's R: the largest degree ratio of a peer link.
pub const PEER_DEGREE_RATIO: f64 = 60.0;

/// The result of [`infer`].
#[derive(Debug)]
pub struct Inferred {
    pub relationships: AsRelationships,
    /// The clique found in step 2, by descending degree.
    pub clique: Vec<u32>,
    pub paths_used: usize,
    /// Paths skipped because they repeat an AS after collapsing prepends.
    pub paths_with_loops: usize,
}

#[derive(Default)]
struct LinkEvidence {
    /// Votes that the lower-numbered AS is the provider, and that the higher-numbered is.
    low_provider: u32,
    high_provider: u32,
    not_peering: bool,
}

fn key(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

/// Infers relationships from `paths` (each collector's neighbour first, origin last).
pub fn infer<'a>(paths: impl IntoIterator<Item = &'a [u32]>) -> Inferred {
    let mut used: Vec<Vec<u32>> = Vec::new();
    let mut paths_with_loops = 0;
    let mut neighbours: FxHashMap<u32, FxHashSet<u32>> = FxHashMap::default();
    for path in paths {
        let p = collapse_prepends(path);
        let mut seen = FxHashSet::default();
        if !p.iter().all(|a| seen.insert(*a)) {
            paths_with_loops += 1;
            continue;
        }
        for w in p.windows(2) {
            neighbours.entry(w[0]).or_default().insert(w[1]);
            neighbours.entry(w[1]).or_default().insert(w[0]);
        }
        used.push(p);
    }
    let degree = |a: u32| neighbours.get(&a).map_or(0, FxHashSet::len);

    // Step 2: the clique.
    let mut by_degree: Vec<u32> = neighbours.keys().copied().collect();
    by_degree.sort_unstable_by_key(|&a| (std::cmp::Reverse(degree(a)), a));
    let mut clique: Vec<u32> = Vec::new();
    for &candidate in by_degree.iter().take(CLIQUE_CANDIDATES) {
        if clique.iter().all(|m| neighbours[m].contains(&candidate)) {
            clique.push(candidate);
        }
    }
    let in_clique: FxHashSet<u32> = clique.iter().copied().collect();

    // Steps 3 and 4: votes and not-peering marks.
    let mut evidence: FxHashMap<(u32, u32), LinkEvidence> = FxHashMap::default();
    for p in &used {
        if p.len() < 2 {
            continue;
        }
        // Highest degree; on a tie, a clique member, then the AS nearest the collector.
        let top = (0..p.len())
            .max_by_key(|&i| {
                (
                    degree(p[i]),
                    in_clique.contains(&p[i]),
                    std::cmp::Reverse(i),
                )
            })
            .expect("path has ASes");
        for i in 0..p.len() - 1 {
            let (a, b) = (p[i], p[i + 1]);
            // The AS nearer the top is the provider.
            let provider = if i < top { b } else { a };
            let e = evidence.entry(key(a, b)).or_default();
            if provider == a.min(b) {
                e.low_provider += 1;
            } else {
                e.high_provider += 1;
            }
            let touches_top = i + 1 == top || i == top;
            if !touches_top {
                e.not_peering = true;
            }
        }
        if top > 0 && top + 1 < p.len() {
            let (before, after) = (p[top - 1], p[top + 1]);
            let lower = if degree(before) > degree(after) {
                after
            } else {
                before
            };
            evidence.entry(key(p[top], lower)).or_default().not_peering = true;
        }
    }

    // Step 5: classify.
    let mut builder = AsRelationshipsBuilder::new();
    for ((low, high), e) in evidence {
        let (dl, dh) = (degree(low) as f64, degree(high) as f64);
        let ratio = dl.max(dh) / dl.min(dh).max(1.0);
        let clique_link = in_clique.contains(&low) && in_clique.contains(&high);
        let gao_peer = !e.not_peering && ratio <= PEER_DEGREE_RATIO;
        let rel = if clique_link || gao_peer {
            Relationship::Peer
        } else if e.low_provider > e.high_provider {
            // `high` is `low`'s customer.
            Relationship::Customer
        } else if e.high_provider > e.low_provider {
            Relationship::Provider
        } else {
            Relationship::Peer
        };
        builder
            .insert(low, high, rel)
            .expect("each link is classified once");
    }
    let mut relationships = builder.build();
    relationships.set_clique(clique.clone());
    Inferred {
        relationships,
        clique,
        paths_used: used.len(),
        paths_with_loops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relationship::Relationship::*;

    /// Paths over a hierarchy: Tier-1s 1, 2, 3 (full mesh of peers), each with customers
    /// 11..=16 / 21..=26 / 31..=36, and stubs below those (100 + x). Every stub's route is
    /// seen from every Tier-1's other customers.
    fn hierarchy_paths() -> Vec<Vec<u32>> {
        let tier1 = [1u32, 2, 3];
        let mids = |t: u32| (1..=6).map(move |i| t * 10 + i);
        let mut paths = Vec::new();
        for &t in &tier1 {
            for m in mids(t) {
                let stub = 100 + m;
                // Seen from another mid of the same Tier-1: down after the top.
                for other in mids(t).filter(|&o| o != m) {
                    paths.push(vec![other, t, m, stub]);
                }
                // Seen from mids of the other Tier-1s: up, across the peer link, down.
                for &u in tier1.iter().filter(|&&u| u != t) {
                    for other in mids(u) {
                        paths.push(vec![other, u, t, m, stub]);
                    }
                }
            }
        }
        paths
    }

    #[test]
    fn inference_recovers_a_clean_hierarchy() {
        let paths = hierarchy_paths();
        let inf = infer(paths.iter().map(Vec::as_slice));
        let r = &inf.relationships;
        let mut clique = inf.clique.clone();
        clique.sort_unstable();
        assert_eq!(clique, vec![1, 2, 3]);
        assert_eq!(r.rel(1, 2), Some(Peer));
        assert_eq!(r.rel(2, 3), Some(Peer));
        for t in [1u32, 2, 3] {
            for i in 1..=6 {
                let m = t * 10 + i;
                assert_eq!(r.rel(t, m), Some(Customer), "AS{t} → AS{m}");
                assert_eq!(r.rel(m, 100 + m), Some(Customer), "AS{m} → AS{}", 100 + m);
            }
        }
        assert_eq!(inf.paths_used, paths.len());
    }

    #[test]
    fn looped_paths_are_skipped_and_prepends_collapsed() {
        let paths: Vec<Vec<u32>> = vec![vec![1, 2, 1, 3], vec![5, 5, 6, 6]];
        let inf = infer(paths.iter().map(Vec::as_slice));
        assert_eq!((inf.paths_used, inf.paths_with_loops), (1, 1));
        assert!(inf.relationships.rel(5, 6).is_some());
        assert_eq!(inf.relationships.link_count(), 1);
    }
}
