//! RFC 9234 ONLY_TO_CUSTOMER (OTC): what an observed OTC value says about a path.
//!
//! RFC 9234 section 5: an AS sets OTC (if absent) to its own ASN when it sends a route to a
//! customer, peer or RS-client, and to the sender's ASN when it receives a route from a
//! provider, peer or route server; once set, the value never changes. A route carrying OTC
//! must not be sent to a provider, peer or route server, and the receiver treats it as a
//! leak when it arrives:
//!
//! 1. from a customer (or RS-client), whatever the value, or
//! 2. from a peer, and the value is not that peer's ASN.
//!
//! From a path seen at a collector with OTC value `v`, the attribute was attached on the link
//! where `v` sent the route (the AS with number `v` nearest the collector). Every later link
//! is checked with the two ingress rules using the known relationships; the sender of the
//! first link that breaks one is the leaking AS. The collector session itself is not judged.

use crate::relationship::{AsRelationships, Relationship};
use crate::valley::{collapse_prepends, UnknownLink};

/// A link over which a route carrying OTC went where RFC 9234 forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OtcLeak {
    /// Index of the leaking AS in the collapsed path (0 = the collector's neighbour).
    pub index: usize,
    /// The AS that sent the route on although it carried OTC.
    pub leaker: u32,
    /// The AS that received it (and should have rejected it).
    pub receiver: u32,
    /// The OTC value.
    pub otc: u32,
    /// What the leaker is to the receiver: `Customer` (ingress rule 1) or `Peer` (rule 2).
    pub leaker_is: Relationship,
}

/// The outcome of [`check_otc`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum OtcVerdict {
    /// The route carries no OTC: nothing to check.
    Absent,
    /// From the AS that attached OTC, the route only went to customers (or, at the
    /// attachment, to a peer).
    Consistent {
        /// Index of the AS whose number is the OTC value.
        attached_at: usize,
    },
    /// The first link that broke RFC 9234's ingress rules.
    Leak(OtcLeak),
    /// No leak among the known links; these links after the attachment are unknown.
    Undetermined { unknown: Vec<UnknownLink> },
    /// The OTC value is not an AS of the path (a route server's ASN, or set by an AS that
    /// was removed from the path): cannot be judged.
    NotOnPath { otc: u32 },
}

impl OtcVerdict {
    pub fn leak(&self) -> Option<&OtcLeak> {
        match self {
            OtcVerdict::Leak(l) => Some(l),
            _ => None,
        }
    }
}

/// Checks the OTC value `otc` of a route with AS path `path` (collector's neighbour first).
pub fn check_otc(rels: &AsRelationships, path: &[u32], otc: Option<u32>) -> OtcVerdict {
    let Some(otc) = otc else {
        return OtcVerdict::Absent;
    };
    let p = collapse_prepends(path);
    // The occurrence nearest the collector: with a looped or poisoned path this checks the
    // fewest links, so it never claims a leak the other reading would not.
    let Some(attached_at) = p.iter().position(|&a| a == otc) else {
        return OtcVerdict::NotOnPath { otc };
    };
    let mut unknown = Vec::new();
    for k in (1..=attached_at).rev() {
        let (sender, receiver) = (p[k], p[k - 1]);
        let leak = |leaker_is| {
            OtcVerdict::Leak(OtcLeak {
                index: k,
                leaker: sender,
                receiver,
                otc,
                leaker_is,
            })
        };
        // What the sender is to the receiver.
        match rels.rel(receiver, sender) {
            None => unknown.push(UnknownLink {
                index: k,
                sender,
                receiver,
            }),
            Some(Relationship::Customer) => return leak(Relationship::Customer),
            Some(Relationship::Peer) if otc != sender => return leak(Relationship::Peer),
            Some(Relationship::Peer) | Some(Relationship::Provider) => {}
        }
    }
    if unknown.is_empty() {
        OtcVerdict::Consistent { attached_at }
    } else {
        OtcVerdict::Undetermined { unknown }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 and 2 peer; 10 is 1's customer, 20 is 2's customer, 10 and 20 peer; 100 is a
    /// customer of 10 and of 20; 300 is 100's customer.
    fn net() -> AsRelationships {
        let text = "1|2|0\n1|10|-1\n2|20|-1\n10|20|0\n10|100|-1\n20|100|-1\n100|300|-1\n";
        AsRelationships::read(text.as_bytes())
            .unwrap()
            .relationships
    }

    fn otc(path: &[u32], value: Option<u32>) -> OtcVerdict {
        check_otc(&net(), path, value)
    }

    #[test]
    fn no_attribute_means_nothing_to_check() {
        assert_eq!(otc(&[10, 100, 20], None), OtcVerdict::Absent);
    }

    #[test]
    fn route_going_down_from_the_attaching_provider_is_consistent() {
        // 1 sent it down to 10 and set OTC=1; 10 → 100 → 300 down.
        assert_eq!(
            otc(&[300, 100, 10, 1], Some(1)),
            OtcVerdict::Consistent { attached_at: 3 }
        );
    }

    #[test]
    fn otc_set_to_the_sending_peer_is_consistent_at_the_peer_link() {
        // 20 sent it to its peer 10 (OTC=20), 10 sent it down to 100.
        assert_eq!(
            otc(&[100, 10, 20], Some(20)),
            OtcVerdict::Consistent { attached_at: 2 }
        );
    }

    #[test]
    fn customer_sending_an_otc_route_to_its_provider_is_a_leak_rule_1() {
        // 20 → 100 (down, OTC=20), then 100 → 10 (up): 100 leaked, 10 should reject.
        let l = *otc(&[10, 100, 20], Some(20)).leak().unwrap();
        assert_eq!((l.leaker, l.receiver, l.otc), (100, 10, 20));
        assert_eq!(l.leaker_is, Relationship::Customer);
        assert_eq!(l.index, 1);
    }

    #[test]
    fn the_attaching_as_sending_upwards_is_itself_the_leak_rule_1() {
        // OTC=100 and 100 → 10 is customer → provider: a route with OTC from a customer.
        let l = *otc(&[10, 100, 300], Some(100)).leak().unwrap();
        assert_eq!((l.leaker, l.leaker_is), (100, Relationship::Customer));
    }

    #[test]
    fn peer_forwarding_a_route_with_someone_elses_otc_is_a_leak_rule_2() {
        // 1 → 10 (down, OTC=1), 10 → 20 (peer, OTC=1 != 10): 10 leaked.
        let l = *otc(&[20, 10, 1], Some(1)).leak().unwrap();
        assert_eq!((l.leaker, l.receiver), (10, 20));
        assert_eq!(l.leaker_is, Relationship::Peer);
    }

    #[test]
    fn otc_value_not_in_the_path_cannot_be_judged() {
        assert_eq!(
            otc(&[10, 100], Some(64500)),
            OtcVerdict::NotOnPath { otc: 64500 }
        );
    }

    #[test]
    fn unknown_links_after_the_attachment_leave_it_undetermined() {
        match otc(&[999, 100, 10], Some(10)) {
            OtcVerdict::Undetermined { unknown } => {
                assert_eq!(unknown.len(), 1);
                assert_eq!((unknown[0].sender, unknown[0].receiver), (100, 999));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_known_leak_is_found_even_after_an_unknown_link() {
        // 1 → 999 and 999 → 100 are unknown; 100 → 20 is customer → provider: a leak.
        let v = otc(&[20, 100, 999, 1], Some(1));
        assert_eq!(v.leak().map(|l| l.leaker), Some(100));
    }

    #[test]
    fn prepends_do_not_move_the_attachment() {
        assert_eq!(
            otc(&[300, 300, 100, 10, 10, 1], Some(1)),
            OtcVerdict::Consistent { attached_at: 3 }
        );
    }
}
