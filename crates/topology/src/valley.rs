//! The valley-free check of an AS path (Gao's export rules): a route climbs customer →
//! provider links, crosses at most one peer link, then only descends provider → customer.
//! In the direction the route travelled (origin first) the links must read
//! `(c2p)* (p2p)? (p2c)*`.
//!
//! Paths are given as on the wire: the collector's neighbour first, the origin last.
//! Prepends (`A A A`) are collapsed first. The offending hop is the first link, in the
//! direction of propagation, that goes up or across after the route has already gone across
//! or down; its sender is the *leaking AS*: it exported a route learned from a peer or a
//! provider to another peer or provider.
//!
//! Unknown links are reported, never counted as violations: an unknown link is read in the
//! most permissive way (as if it kept the route where it was: still climbing, or already
//! descending), so a violation is only claimed when no reading of the unknown links could
//! make the path valley-free. When an unknown link precedes the violation, the leak is
//! certain but the AS named may be one hop late ([`Violation::after_unknown`]).

use crate::relationship::{AsRelationships, Relationship};

/// A link of the path whose relationship is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnknownLink {
    /// Index (in the collapsed path) of the AS that sent the route over the link.
    pub index: usize,
    pub sender: u32,
    pub receiver: u32,
}

/// The first offending hop of a path that is not valley-free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Index of the leaking AS in the collapsed path (0 = the collector's neighbour).
    pub index: usize,
    /// The AS that exported against policy.
    pub leaker: u32,
    /// The AS the leaker learned the route from (next towards the origin).
    pub learned_from: u32,
    /// What `learned_from` is to the leaker: `Peer` or `Provider` (`None` if unknown).
    pub learned_via: Option<Relationship>,
    /// The AS the leaker exported the route to (next towards the collector).
    pub exported_to: u32,
    /// What `exported_to` is to the leaker: `Peer` or `Provider`.
    pub exported_via: Relationship,
    /// True when an unknown link lies between the last down/across link and this hop.
    pub after_unknown: bool,
}

/// The outcome of [`check_path`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum ValleyFree {
    /// Every link is known and the path is valley-free.
    Valid,
    /// No violation among the known links; these links are unknown.
    ValidAsFarAsKnown { unknown: Vec<UnknownLink> },
    /// The first offending hop, and the unknown links met on the way.
    Violation {
        violation: Violation,
        unknown: Vec<UnknownLink>,
    },
}

impl ValleyFree {
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            ValleyFree::Violation { violation, .. } => Some(violation),
            _ => None,
        }
    }
}

/// The path without consecutive repeats (prepending).
pub fn collapse_prepends(path: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(path.len());
    for &a in path {
        if out.last() != Some(&a) {
            out.push(a);
        }
    }
    out
}

/// Checks `path` (collector's neighbour first, origin last) against `rels`.
pub fn check_path(rels: &AsRelationships, path: &[u32]) -> ValleyFree {
    let p = collapse_prepends(path);
    let mut unknown = Vec::new();
    // True once the route has crossed a peer link or gone down a provider → customer link.
    let mut descending = false;
    // Set when an unknown link was read as "no change" while descending.
    let mut unknown_since_descent = false;
    // Walk in the direction of propagation: sender p[k], receiver p[k - 1].
    for k in (1..p.len()).rev() {
        let (sender, receiver) = (p[k], p[k - 1]);
        match rels.rel(sender, receiver) {
            None => {
                unknown.push(UnknownLink {
                    index: k,
                    sender,
                    receiver,
                });
                if descending {
                    unknown_since_descent = true;
                }
            }
            // The receiver is the sender's customer: going down is always allowed.
            Some(Relationship::Customer) => descending = true,
            Some(up_or_across) => {
                if descending {
                    let learned_from = p[k + 1];
                    let violation = Violation {
                        index: k,
                        leaker: sender,
                        learned_from,
                        learned_via: rels.rel(sender, learned_from),
                        exported_to: receiver,
                        exported_via: up_or_across,
                        after_unknown: unknown_since_descent,
                    };
                    return ValleyFree::Violation { violation, unknown };
                }
                if up_or_across == Relationship::Peer {
                    descending = true;
                }
            }
        }
    }
    if unknown.is_empty() {
        ValleyFree::Valid
    } else {
        ValleyFree::ValidAsFarAsKnown { unknown }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Relationship::*;

    /// A small Internet: 1 and 2 are Tier-1 peers; 10 and 20 their customers; 10 and 20
    /// also peer; 100 is a customer of 10 and of 20 (multi-homed); 200 of 20; 300 of 100.
    fn net() -> AsRelationships {
        let text =
            "1|2|0\n1|10|-1\n2|20|-1\n10|20|0\n10|100|-1\n20|100|-1\n20|200|-1\n100|300|-1\n";
        AsRelationships::read(text.as_bytes())
            .unwrap()
            .relationships
    }

    fn v(path: &[u32]) -> ValleyFree {
        check_path(&net(), path)
    }

    #[test]
    fn climbing_only_is_valid() {
        // Origin 300 → 100 → 10 → 1 (c2p all the way).
        assert_eq!(v(&[1, 10, 100, 300]), ValleyFree::Valid);
    }

    #[test]
    fn descending_only_is_valid() {
        assert_eq!(v(&[300, 100, 10]), ValleyFree::Valid);
    }

    #[test]
    fn up_one_peer_link_then_down_is_valid() {
        // 300 → 100 → 10 → 1 (up), 1 → 2 (peer), 2 → 20 → 200 (down).
        assert_eq!(v(&[200, 20, 2, 1, 10, 100, 300]), ValleyFree::Valid);
    }

    #[test]
    fn up_then_down_without_peer_is_valid() {
        // 200 → 20 → 100 (down to a customer) is fine.
        assert_eq!(v(&[100, 20, 200]), ValleyFree::Valid);
    }

    #[test]
    fn a_single_as_or_empty_path_is_valid() {
        assert_eq!(v(&[]), ValleyFree::Valid);
        assert_eq!(v(&[300]), ValleyFree::Valid);
        assert_eq!(v(&[300, 300, 300]), ValleyFree::Valid);
    }

    #[test]
    fn customer_exporting_a_providers_route_to_another_provider_is_a_leak_by_the_customer() {
        // 200 → 20 → 100 (down), then 100 sends it up to 10: 100 leaked.
        let r = v(&[10, 100, 20, 200]);
        let x = r.violation().expect("violation");
        assert_eq!(x.leaker, 100);
        assert_eq!(x.index, 1);
        assert_eq!((x.learned_from, x.learned_via), (20, Some(Provider)));
        assert_eq!((x.exported_to, x.exported_via), (10, Provider));
        assert!(!x.after_unknown);
    }

    #[test]
    fn exporting_a_peers_route_to_another_peer_is_a_leak() {
        // 200 → 20 (up), 20 → 10 (peer), 10 → 1 (up!): 10 leaked a peer route to its
        // provider. And 1 → 2 after a peer link: peer to peer.
        let x = *v(&[1, 10, 20, 200]).violation().unwrap();
        assert_eq!(
            (x.leaker, x.learned_via, x.exported_via),
            (10, Some(Peer), Provider)
        );
        // 20 → 2 (up), 2 → 1 (peer), 1 → 10 (down): valid; but 10 → 20 (peer) after that
        // is peer route from a provider to a peer.
        let x = *v(&[20, 10, 1, 2, 20, 200]).violation().unwrap();
        assert_eq!(x.leaker, 10);
        assert_eq!((x.learned_from, x.learned_via), (1, Some(Provider)));
        assert_eq!((x.exported_to, x.exported_via), (20, Peer));
    }

    #[test]
    fn two_peer_links_make_a_leak_at_the_second() {
        // 100 → 10 → 1 (up), 1 → 2 (peer), 2 → 20 (down), 20 → 10 (peer): 20 exported a
        // provider's route to a peer.
        let x = *v(&[10, 20, 2, 1, 10, 100]).violation().unwrap();
        assert_eq!((x.leaker, x.exported_via), (20, Peer));
        assert_eq!(x.learned_via, Some(Provider));
    }

    #[test]
    fn prepending_is_collapsed_before_checking() {
        assert_eq!(
            v(&[200, 200, 20, 2, 2, 2, 1, 10, 100, 300, 300]),
            ValleyFree::Valid
        );
        // Same leak as above, prepended: the index is in the collapsed path.
        let x = *v(&[10, 10, 100, 100, 20, 200, 200]).violation().unwrap();
        assert_eq!((x.index, x.leaker), (1, 100));
    }

    #[test]
    fn unknown_links_are_reported_not_violations() {
        // 999 is unknown everywhere.
        match v(&[1, 10, 999, 100]) {
            ValleyFree::ValidAsFarAsKnown { unknown } => {
                let senders: Vec<u32> = unknown.iter().map(|u| u.sender).collect();
                assert_eq!(senders, vec![100, 999]);
                assert_eq!(unknown[0].receiver, 999);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_violation_after_an_unknown_link_is_flagged() {
        // 200 → 20 (up), 20 → 10 (peer): descending; 10 → 999 → 1 unknown (read as still
        // descending); then 1 → 2 (peer) is a second peer link: a violation, named at 1
        // although 999 may be the real leaker.
        let x = *v(&[2, 1, 999, 10, 20, 200]).violation().unwrap();
        assert_eq!(x.leaker, 1);
        assert!(x.after_unknown);
        assert_eq!(x.learned_via, None);
    }
}
