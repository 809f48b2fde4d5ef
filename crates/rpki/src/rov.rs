//! RFC 6811 route-origin validation over an immutable index of VRPs.
//!
//! # Index design
//!
//! Per address family, the distinct VRP prefixes are kept sorted by (network bits, length) —
//! the [`Prefix`] order — in a dense array of start addresses (`u32` for IPv4, `u128` for
//! IPv6), with a parallel node array holding each prefix's length, its VRPs (a range of the
//! sorted VRP list) and its *parent*: the nearest shorter VRP prefix that contains it.
//! Prefixes nest or are disjoint, so the parents form a forest, built in one pass with a
//! stack.
//!
//! To validate a route with address bits `b` and length `l`, take `k` = the last prefix whose
//! start is `<= b` (a binary search; a 65,536-entry table on the top 16 address bits narrows
//! it to one bucket first). Every VRP prefix covering the route starts at or before `b`, so
//! it sits at or before `k`; it contains `k`'s start too, and prefixes nest, so it is `k` or
//! an ancestor of `k`. Hence the covering prefixes are exactly the ancestors of `k` from the
//! first one that covers the route upwards: walk parents until one covers, then every
//! further ancestor covers as well. The walk is at most 33 (129) steps and in real data
//! one to three.
//!
//! Compared with the alternatives the issue names: a hash map per present prefix length
//! costs one hash probe per present length (17-24 for IPv4 in real sets) for every route,
//! and a binary trie costs a pointer chase per bit; here a route costs one table read, a
//! short binary search within a cache-friendly array of addresses and a few node reads.
//! Building is a sort plus a linear pass; memory is the sorted VRPs plus ~20 (IPv4) or
//! ~40 (IPv6) bytes per distinct prefix and two 256 KiB tables.

use crate::vrp::Vrp;
use routenorms_types::{Afi, Asn, Prefix};
use std::fmt;

/// The validation state of a route (RFC 6811 section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RovState {
    /// Some VRP matches.
    Valid,
    /// Some VRP covers the route, none matches.
    Invalid,
    /// No VRP covers the route.
    NotFound,
}

impl RovState {
    pub fn as_str(self) -> &'static str {
        match self {
            RovState::Valid => "valid",
            RovState::Invalid => "invalid",
            RovState::NotFound => "not-found",
        }
    }
}

impl fmt::Display for RovState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an invalid route is invalid.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidReason {
    /// No covering VRP has the route's origin AS (or the origin is NONE / AS0).
    As,
    /// A covering VRP has the route's origin AS, but the route is longer than its maxLength.
    Length,
}

impl InvalidReason {
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::As => "as",
            InvalidReason::Length => "length",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An explained verdict: the state, the reason when invalid, and every covering VRP.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RovVerdict {
    pub prefix: Prefix,
    /// `None`: the AS path ended in an AS_SET (RFC 6811: origin NONE).
    pub origin: Option<Asn>,
    pub state: RovState,
    pub reason: Option<InvalidReason>,
    /// All VRPs whose prefix contains the route's prefix, in [`Vrp`] order (least specific
    /// prefix first).
    pub covering: Vec<Vrp>,
}

impl RovVerdict {
    /// Whether `vrp` matches this route (RFC 6811: covers, length within maxLength, same
    /// origin, and the origin is neither NONE nor AS0).
    pub fn matches(&self, vrp: &Vrp) -> bool {
        vrp_matches(vrp, &self.prefix, self.origin)
    }

    /// The covering VRPs that match.
    pub fn matching(&self) -> impl Iterator<Item = &Vrp> {
        self.covering.iter().filter(|v| self.matches(v))
    }

    /// Covering VRPs with the route's origin whose maxLength is too short.
    pub fn unmatched_length(&self) -> impl Iterator<Item = &Vrp> {
        self.covering.iter().filter(|v| {
            Some(v.asn) == self.origin && v.asn != Asn(0) && self.prefix.len() > v.max_len
        })
    }

    /// Covering VRPs for another AS (or for AS0, or any when the origin is NONE).
    pub fn unmatched_as(&self) -> impl Iterator<Item = &Vrp> {
        self.covering
            .iter()
            .filter(|v| Some(v.asn) != self.origin || v.asn == Asn(0))
    }
}

/// RFC 6811's "matched" for one VRP, written out (the reference for the index).
pub fn vrp_matches(vrp: &Vrp, prefix: &Prefix, origin: Option<Asn>) -> bool {
    vrp.prefix.covers(prefix)
        && prefix.len() <= vrp.max_len
        && origin == Some(vrp.asn)
        && vrp.asn != Asn(0)
}

const NONE: u32 = u32::MAX;

/// Address bits of one family.
trait Bits: Copy + Ord + Default + fmt::Debug {
    const WIDTH: u32;
    fn of(p: &Prefix) -> Self;
    /// The top 16 bits.
    fn bucket(self) -> usize;
    /// Whether `a` and `b` agree in their first `len` bits.
    fn same_net(a: Self, b: Self, len: u8) -> bool;
}

impl Bits for u32 {
    const WIDTH: u32 = 32;
    fn of(p: &Prefix) -> u32 {
        p.bits() as u32
    }
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
    #[inline]
    fn same_net(a: u32, b: u32, len: u8) -> bool {
        (a ^ b)
            .checked_shr(Self::WIDTH - u32::from(len))
            .unwrap_or(0)
            == 0
    }
}

impl Bits for u128 {
    const WIDTH: u32 = 128;
    fn of(p: &Prefix) -> u128 {
        p.bits()
    }
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
    #[inline]
    fn same_net(a: u128, b: u128, len: u8) -> bool {
        (a ^ b)
            .checked_shr(Self::WIDTH - u32::from(len))
            .unwrap_or(0)
            == 0
    }
}

/// One distinct VRP prefix. The first of its VRPs is inlined (`asn`, `max_len`): most
/// prefixes have one VRP, so the common case reads no other array.
#[derive(Clone, Copy, Debug)]
struct Node<B> {
    start: B,
    /// Index of the nearest containing VRP prefix, or `NONE`.
    parent: u32,
    /// Its VRPs: `vrps[first..end]` of the set (`entries` likewise).
    first: u32,
    end: u32,
    asn: u32,
    len: u8,
    max_len: u8,
}

/// The index of one address family.
#[derive(Clone)]
struct Family<B> {
    /// Sorted by (start, len); searched directly (a bucket holds few nodes).
    nodes: Vec<Node<B>>,
    /// `radix[t]` = first node whose start has top 16 bits `>= t` (65,537 entries).
    radix: Vec<u32>,
}

/// What the matching loop needs of a VRP, packed.
#[derive(Clone, Copy, Debug)]
struct Entry {
    asn: u32,
    max_len: u8,
}

impl<B: Bits> Family<B> {
    fn build(vrps: &[Vrp], offset: usize) -> Family<B> {
        let mut nodes: Vec<Node<B>> = Vec::with_capacity(vrps.len());
        let mut stack: Vec<u32> = Vec::new();
        for (i, v) in vrps.iter().enumerate() {
            let at = (offset + i) as u32;
            let start = B::of(&v.prefix);
            let len = v.prefix.len();
            if let Some(last) = nodes.last_mut() {
                if last.start == start && last.len == len {
                    last.end = at + 1;
                    continue;
                }
            }
            while let Some(&top) = stack.last() {
                let t = &nodes[top as usize];
                if t.len <= len && B::same_net(start, t.start, t.len) {
                    break;
                }
                stack.pop();
            }
            let parent = stack.last().copied().unwrap_or(NONE);
            stack.push(nodes.len() as u32);
            nodes.push(Node {
                start,
                parent,
                first: at,
                end: at + 1,
                asn: v.asn.0,
                len,
                max_len: v.max_len,
            });
        }
        let mut radix = vec![0u32; 65_537];
        for n in &nodes {
            radix[n.start.bucket() + 1] += 1;
        }
        for t in 1..radix.len() {
            radix[t] += radix[t - 1];
        }
        Family { nodes, radix }
    }

    /// The most specific VRP prefix covering (`b`, `l`).
    #[inline]
    fn first_covering(&self, b: B, l: u8) -> Option<usize> {
        let t = b.bucket();
        let lo = self.radix[t] as usize;
        let hi = self.radix[t + 1] as usize;
        let idx = lo + self.nodes[lo..hi].partition_point(|n| n.start <= b);
        let mut k = idx.checked_sub(1)?;
        loop {
            let n = &self.nodes[k];
            if n.len <= l && B::same_net(b, n.start, n.len) {
                return Some(k);
            }
            if n.parent == NONE {
                return None;
            }
            k = n.parent as usize;
        }
    }

    #[inline]
    fn state(
        &self,
        entries: &[Entry],
        b: B,
        l: u8,
        origin: Option<Asn>,
    ) -> (RovState, Option<InvalidReason>) {
        let Some(mut k) = self.first_covering(b, l) else {
            return (RovState::NotFound, None);
        };
        let o = match origin {
            Some(Asn(o)) if o != 0 => o,
            _ => return (RovState::Invalid, Some(InvalidReason::As)),
        };
        let mut length = false;
        loop {
            let n = &self.nodes[k];
            if n.asn == o {
                if l <= n.max_len {
                    return (RovState::Valid, None);
                }
                length = true;
            }
            for e in &entries[n.first as usize + 1..n.end as usize] {
                if e.asn == o {
                    if l <= e.max_len {
                        return (RovState::Valid, None);
                    }
                    length = true;
                }
            }
            if n.parent == NONE {
                break;
            }
            k = n.parent as usize;
        }
        let reason = if length {
            InvalidReason::Length
        } else {
            InvalidReason::As
        };
        (RovState::Invalid, Some(reason))
    }

    /// Node indices of the covering prefixes, most specific first.
    fn covering_nodes(&self, b: B, l: u8) -> impl Iterator<Item = &Node<B>> + '_ {
        let mut k = self.first_covering(b, l).map_or(NONE, |k| k as u32);
        std::iter::from_fn(move || {
            if k == NONE {
                return None;
            }
            let n = &self.nodes[k as usize];
            k = n.parent;
            Some(n)
        })
    }
}

/// An immutable set of VRPs indexed for RFC 6811 origin validation.
///
/// Duplicates (equal in every field, trust anchor included) are kept once; VRPs that differ
/// only in trust anchor are all kept, so explanations can name each source.
#[derive(Clone)]
pub struct VrpSet {
    vrps: Vec<Vrp>,
    entries: Vec<Entry>,
    v4: Family<u32>,
    v6: Family<u128>,
}

impl fmt::Debug for VrpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VrpSet")
            .field("vrps", &self.vrps.len())
            .field("ipv4_prefixes", &self.v4.nodes.len())
            .field("ipv6_prefixes", &self.v6.nodes.len())
            .finish()
    }
}

/// Sets smaller than this are sorted on one thread.
const PARALLEL_SORT: usize = 1 << 16;

/// Sorts a large set as two halves side by side, in place: a partition around the median
/// first, so the sorted halves need no merge (and no second copy of the set).
fn sort_on_two_threads(vrps: &mut [Vrp]) {
    let spare = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
    if vrps.len() < PARALLEL_SORT || !spare {
        vrps.sort_unstable();
        return;
    }
    let mid = vrps.len() / 2;
    vrps.select_nth_unstable(mid);
    let (left, right) = vrps.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| left.sort_unstable());
        right.sort_unstable();
    });
}

impl Default for VrpSet {
    fn default() -> Self {
        VrpSet::new(Vec::new())
    }
}

impl FromIterator<Vrp> for VrpSet {
    fn from_iter<I: IntoIterator<Item = Vrp>>(iter: I) -> Self {
        VrpSet::new(iter.into_iter().collect())
    }
}

impl VrpSet {
    /// Builds the index (sorts and deduplicates `vrps`).
    pub fn new(mut vrps: Vec<Vrp>) -> VrpSet {
        sort_on_two_threads(&mut vrps);
        vrps.dedup();
        let entries = vrps
            .iter()
            .map(|v| Entry {
                asn: v.asn.0,
                max_len: v.max_len,
            })
            .collect();
        let split = vrps.partition_point(|v| v.prefix.afi() == Afi::Ipv4);
        let v4 = Family::build(&vrps[..split], 0);
        let v6 = Family::build(&vrps[split..], split);
        VrpSet {
            vrps,
            entries,
            v4,
            v6,
        }
    }

    /// The number of distinct VRPs.
    pub fn len(&self) -> usize {
        self.vrps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vrps.is_empty()
    }

    /// The VRPs, sorted ([`Vrp`] order: IPv4 first, then by prefix, maxLength, ASN, TA).
    pub fn vrps(&self) -> &[Vrp] {
        &self.vrps
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Vrp> {
        self.vrps.iter()
    }

    /// The RFC 6811 state of a route, without allocating: `Valid`/`NotFound` with no reason,
    /// `Invalid` with its reason. `origin` is `None` for a path ending in an AS_SET.
    #[inline]
    pub fn validate_state(
        &self,
        prefix: Prefix,
        origin: Option<Asn>,
    ) -> (RovState, Option<InvalidReason>) {
        match prefix.afi() {
            Afi::Ipv4 => self
                .v4
                .state(&self.entries, prefix.bits() as u32, prefix.len(), origin),
            Afi::Ipv6 => self
                .v6
                .state(&self.entries, prefix.bits(), prefix.len(), origin),
        }
    }

    /// The VRPs covering `prefix` (whose prefix contains it), most specific prefix first.
    pub fn covering(&self, prefix: Prefix) -> Box<dyn Iterator<Item = &Vrp> + '_> {
        let l = prefix.len();
        match prefix.afi() {
            Afi::Ipv4 => Box::new(
                self.v4
                    .covering_nodes(prefix.bits() as u32, l)
                    .flat_map(|n| &self.vrps[n.first as usize..n.end as usize]),
            ),
            Afi::Ipv6 => Box::new(
                self.v6
                    .covering_nodes(prefix.bits(), l)
                    .flat_map(|n| &self.vrps[n.first as usize..n.end as usize]),
            ),
        }
    }

    /// The explained verdict: state, reason and every covering VRP.
    pub fn validate(&self, prefix: Prefix, origin: Option<Asn>) -> RovVerdict {
        let (state, reason) = self.validate_state(prefix, origin);
        let mut covering: Vec<Vrp> = self.covering(prefix).cloned().collect();
        covering.sort_unstable();
        RovVerdict {
            prefix,
            origin,
            state,
            reason,
            covering,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    fn vrp(prefix: &str, max_len: u8, asn: u32) -> Vrp {
        Vrp {
            prefix: p(prefix),
            max_len,
            asn: Asn(asn),
            ta: None,
        }
    }

    fn set(vrps: &[Vrp]) -> VrpSet {
        VrpSet::new(vrps.to_vec())
    }

    #[test]
    fn a_large_set_sorted_in_halves_equals_one_sort_with_duplicates_removed() {
        // Descending, with every VRP twice and both families: the halves overlap fully.
        let mut vrps = Vec::new();
        for i in (0..PARALLEL_SORT as u32).rev() {
            let v4 = vrp(&format!("10.{}.{}.0/24", i >> 8 & 255, i & 255), 24, i % 7);
            let v6 = vrp(&format!("2001:db8:{:x}::/48", i & 0xffff), 48, i % 5);
            vrps.extend([v4.clone(), v6, v4]);
        }
        let mut want = vrps.clone();
        want.sort_unstable();
        want.dedup();
        let mut got = vrps.clone();
        sort_on_two_threads(&mut got);
        got.dedup();
        assert_eq!(got, want);
        assert_eq!(VrpSet::new(vrps).vrps(), &want[..]);
    }

    /// Checks the fast path agrees with the explained one, and returns the verdict.
    fn check(s: &VrpSet, prefix: &str, origin: Option<u32>) -> (RovState, Option<InvalidReason>) {
        let (prefix, origin) = (p(prefix), origin.map(Asn));
        let v = s.validate(prefix, origin);
        let fast = s.validate_state(prefix, origin);
        assert_eq!((v.state, v.reason), fast);
        assert_eq!(v.state == RovState::NotFound, v.covering.is_empty());
        assert_eq!(v.state == RovState::Valid, v.matching().next().is_some());
        fast
    }

    use InvalidReason::{As, Length};
    use RovState::{Invalid, NotFound, Valid};

    #[test]
    fn exact_match_is_valid() {
        let s = set(&[vrp("192.0.2.0/24", 24, 64496)]);
        assert_eq!(check(&s, "192.0.2.0/24", Some(64496)), (Valid, None));
    }

    #[test]
    fn more_specific_within_max_length_is_valid() {
        let s = set(&[vrp("10.0.0.0/16", 20, 64496)]);
        assert_eq!(check(&s, "10.0.16.0/20", Some(64496)), (Valid, None));
        assert_eq!(check(&s, "10.0.0.0/18", Some(64496)), (Valid, None));
    }

    #[test]
    fn longer_than_max_length_is_invalid_length() {
        let s = set(&[vrp("10.0.0.0/16", 20, 64496)]);
        assert_eq!(
            check(&s, "10.0.0.0/21", Some(64496)),
            (Invalid, Some(Length))
        );
        assert_eq!(
            check(&s, "10.0.255.255/32", Some(64496)),
            (Invalid, Some(Length))
        );
    }

    #[test]
    fn wrong_origin_is_invalid_as() {
        let s = set(&[vrp("10.0.0.0/16", 24, 64496)]);
        assert_eq!(check(&s, "10.0.0.0/16", Some(64497)), (Invalid, Some(As)));
        assert_eq!(check(&s, "10.0.1.0/24", Some(64497)), (Invalid, Some(As)));
    }

    #[test]
    fn right_origin_too_long_plus_other_as_is_length() {
        let s = set(&[vrp("10.0.0.0/16", 16, 64496), vrp("10.0.0.0/8", 24, 64511)]);
        assert_eq!(
            check(&s, "10.0.1.0/24", Some(64496)),
            (Invalid, Some(Length))
        );
        // ... and the other VRP's AS is valid there.
        assert_eq!(check(&s, "10.0.1.0/24", Some(64511)), (Valid, None));
        let v = s.validate(p("10.0.1.0/24"), Some(Asn(64496)));
        assert_eq!(v.covering.len(), 2);
        assert_eq!(v.unmatched_length().count(), 1);
        assert_eq!(v.unmatched_as().count(), 1);
    }

    #[test]
    fn a_valid_vrp_wins_over_invalidating_ones() {
        let s = set(&[
            vrp("10.0.0.0/8", 8, 64496),
            vrp("10.0.0.0/16", 24, 64497),
            vrp("10.0.0.0/24", 24, 64496),
        ]);
        assert_eq!(check(&s, "10.0.0.0/24", Some(64496)), (Valid, None));
        assert_eq!(
            check(&s, "10.0.1.0/24", Some(64496)),
            (Invalid, Some(Length))
        );
        assert_eq!(check(&s, "10.0.1.0/24", Some(64497)), (Valid, None));
    }

    #[test]
    fn as_set_origin_is_invalid_when_covered_and_not_found_otherwise() {
        let s = set(&[vrp("10.0.0.0/16", 24, 64496)]);
        assert_eq!(check(&s, "10.0.0.0/24", None), (Invalid, Some(As)));
        assert_eq!(check(&s, "10.1.0.0/24", None), (NotFound, None));
    }

    #[test]
    fn as0_vrp_never_matches() {
        let s = set(&[vrp("10.0.0.0/8", 32, 0)]);
        assert_eq!(check(&s, "10.0.0.0/8", Some(0)), (Invalid, Some(As)));
        assert_eq!(check(&s, "10.2.0.0/16", Some(64496)), (Invalid, Some(As)));
        assert_eq!(check(&s, "10.2.0.0/16", None), (Invalid, Some(As)));
        // AS0 next to a real VRP: the real one still validates.
        let s = set(&[vrp("10.0.0.0/8", 32, 0), vrp("10.1.0.0/16", 16, 64496)]);
        assert_eq!(check(&s, "10.1.0.0/16", Some(64496)), (Valid, None));
        assert_eq!(
            check(&s, "10.1.0.0/17", Some(64496)),
            (Invalid, Some(Length))
        );
    }

    #[test]
    fn max_length_edges() {
        let s = set(&[vrp("192.0.2.0/24", 24, 1), vrp("198.51.100.0/24", 32, 2)]);
        assert_eq!(check(&s, "192.0.2.0/24", Some(1)), (Valid, None));
        assert_eq!(check(&s, "192.0.2.0/25", Some(1)), (Invalid, Some(Length)));
        assert_eq!(check(&s, "198.51.100.255/32", Some(2)), (Valid, None));
        let s6 = set(&[vrp("2001:db8::/32", 128, 3), vrp("2001:db9::/48", 48, 4)]);
        assert_eq!(check(&s6, "2001:db8::1/128", Some(3)), (Valid, None));
        assert_eq!(check(&s6, "2001:db9::/48", Some(4)), (Valid, None));
        assert_eq!(
            check(&s6, "2001:db9::/49", Some(4)),
            (Invalid, Some(Length))
        );
        // A less specific route than the VRP is not covered.
        assert_eq!(check(&s6, "2001:db8::/31", Some(3)), (NotFound, None));
    }

    #[test]
    fn ipv6_rules() {
        let s = set(&[
            vrp("2001:db8::/32", 48, 64496),
            vrp("2001:db8:1::/48", 48, 64497),
        ]);
        assert_eq!(check(&s, "2001:db8:1::/48", Some(64497)), (Valid, None));
        assert_eq!(check(&s, "2001:db8:1::/48", Some(64496)), (Valid, None));
        assert_eq!(
            check(&s, "2001:db8:2::/48", Some(64497)),
            (Invalid, Some(As))
        );
        assert_eq!(
            check(&s, "2001:db8:2::/56", Some(64496)),
            (Invalid, Some(Length))
        );
        assert_eq!(check(&s, "2001:db9::/48", Some(64496)), (NotFound, None));
    }

    #[test]
    fn a_vrp_of_the_other_family_never_covers() {
        // ::/0 and 0.0.0.0/0 have the same bits and length; only the family differs.
        let s = set(&[vrp("::/0", 128, 64496)]);
        assert_eq!(check(&s, "0.0.0.0/0", Some(64496)), (NotFound, None));
        assert_eq!(check(&s, "10.0.0.0/8", Some(64496)), (NotFound, None));
        let s = set(&[vrp("0.0.0.0/0", 32, 64496)]);
        assert_eq!(check(&s, "::/0", Some(64496)), (NotFound, None));
        assert_eq!(check(&s, "::a00:0/104", Some(64496)), (NotFound, None));
    }

    #[test]
    fn default_route_vrp_covers_everything_of_its_family() {
        let s = set(&[vrp("0.0.0.0/0", 0, 64496)]);
        assert_eq!(check(&s, "0.0.0.0/0", Some(64496)), (Valid, None));
        assert_eq!(
            check(&s, "10.0.0.0/8", Some(64496)),
            (Invalid, Some(Length))
        );
        assert_eq!(
            check(&s, "255.255.255.255/32", Some(1)),
            (Invalid, Some(As))
        );
    }

    #[test]
    fn nested_and_sibling_prefixes_walk_to_the_right_ancestors() {
        let s = set(&[
            vrp("10.0.0.0/8", 8, 1),
            vrp("10.0.0.0/24", 24, 2),
            vrp("10.0.0.0/25", 25, 3),
            vrp("10.0.0.128/25", 25, 4),
            vrp("10.0.1.0/24", 24, 5),
            vrp("11.0.0.0/8", 8, 6),
        ]);
        // Route between /8 and /24, starting where the /24 and /25 start: only the /8 covers.
        let v = s.validate(p("10.0.0.0/16"), Some(Asn(1)));
        assert_eq!((v.state, v.reason), (Invalid, Some(Length)));
        assert_eq!(v.covering, vec![vrp("10.0.0.0/8", 8, 1)]);
        // Deepest: all three ancestors.
        let v = s.validate(p("10.0.0.0/26"), Some(Asn(3)));
        assert_eq!((v.state, v.reason), (Invalid, Some(Length)));
        assert_eq!(v.covering.len(), 3);
        assert_eq!(check(&s, "10.0.0.128/25", Some(4)), (Valid, None));
        assert_eq!(check(&s, "10.0.2.0/24", Some(5)), (Invalid, Some(As)));
        assert_eq!(check(&s, "10.0.1.0/24", Some(5)), (Valid, None));
        assert_eq!(check(&s, "11.255.0.0/16", Some(6)), (Invalid, Some(Length)));
        assert_eq!(check(&s, "12.0.0.0/8", Some(6)), (NotFound, None));
        assert_eq!(check(&s, "9.255.255.0/24", Some(1)), (NotFound, None));
    }

    #[test]
    fn duplicates_are_kept_once_but_other_trust_anchors_stay() {
        let a = vrp("10.0.0.0/8", 8, 1);
        let b = a.clone().with_ta(Some(crate::Ta::new("x")));
        let s = VrpSet::new(vec![a.clone(), a.clone(), b]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.validate(p("10.0.0.0/8"), Some(Asn(1))).covering.len(), 2);
    }

    #[test]
    fn empty_set_finds_nothing() {
        let s = VrpSet::default();
        assert_eq!(check(&s, "10.0.0.0/8", Some(1)), (NotFound, None));
        assert_eq!(check(&s, "::/0", None), (NotFound, None));
    }
}
