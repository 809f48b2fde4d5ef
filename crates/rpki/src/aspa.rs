//! ASPA-based AS_PATH verification (draft-ietf-sidrops-aspa-verification): the hop check, up
//! and down ramps, and the upstream and downstream procedures, with explained verdicts.
//!
//! # Path preparation
//!
//! The AS_PATH is read neighbour first, origin last. Following the draft:
//!
//! * an empty AS_PATH is **Invalid** (reason [`AspaReason::EmptyPath`]): the draft's procedures
//!   halt with Invalid on an empty path — routes received over eBGP always carry at least the
//!   neighbour's ASN;
//! * any AS_SET is **Invalid** ([`AspaReason::AsSet`]);
//! * confederation segments: RFC 5065 removes AS_CONFED_SEQUENCE / AS_CONFED_SET at the
//!   confederation boundary, and the draft verifies the AS_PATH as seen across that boundary,
//!   where ASPA relationships exist. Here an AS_CONFED_SEQUENCE is skipped (it describes
//!   member-AS hops inside one confederation, which no ASPA covers), while an AS_CONFED_SET
//!   is treated like an AS_SET (**Invalid**, [`AspaReason::ConfedSet`]): it hides the order of
//!   the hops just as an AS_SET does. A path made only of confederation sequences is then
//!   empty and Invalid as above;
//! * prepends (consecutive repeats of one ASN, also across segment borders) collapse to one
//!   hop. N is the number of hops left; N = 1 is **Valid** under both procedures (the ramps
//!   below give that by themselves, and the verdict says [`AspaReason::SingleHop`]).
//!
//! The draft's optional check that the first ASN is the BGP neighbour's is not done here: a
//! path alone does not say who the neighbour was.
//!
//! # Ramps
//!
//! Number the prepared hops as the draft does: AS(1) is the origin, AS(N) the neighbour. With
//! `authorized(C, P)` the hop check of [`AspaSet::authorized`]:
//!
//! * `max_up_ramp` = I − 1 for the smallest I in 2..=N with `authorized(AS(I−1), AS(I))` =
//!   NotProviderPlus, else N; `min_up_ramp` likewise with "anything but ProviderPlus".
//! * `max_down_ramp` = N − J + 1 for the largest J in 2..=N with `authorized(AS(J), AS(J−1))` =
//!   NotProviderPlus, else N; `min_down_ramp` likewise with "anything but ProviderPlus".
//!
//! Upstream (route from a customer or a lateral peer): Invalid if `max_up_ramp < N`, Unknown
//! if `min_up_ramp < N`, else Valid. Downstream (route from a provider): Invalid if
//! `max_up_ramp + max_down_ramp < N`, Unknown if `min_up_ramp + min_down_ramp < N`, else
//! Valid. A route collector's peer is treated as a provider of the collector, so collector
//! routes take the downstream procedure ([`AspaSet::verify_collector_route`]).

use crate::vrp::Aspa;
use routenorms_types::{Afi, AsPath, Asn, SegmentKind};
use std::collections::HashMap;
use std::fmt;

/// The result of the hop check `authorized(customer, provider)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopCheck {
    /// `customer` has no ASPA.
    NoAttestation,
    /// `customer`'s ASPA lists `provider`.
    ProviderPlus,
    /// `customer` has an ASPA and it does not list `provider` (or lists AS0: no providers).
    NotProviderPlus,
}

/// The ASPA verification state of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AspaState {
    Valid,
    Invalid,
    Unknown,
}

impl fmt::Display for AspaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AspaState::Valid => "valid",
            AspaState::Invalid => "invalid",
            AspaState::Unknown => "unknown",
        })
    }
}

/// Which verification procedure applies: it depends on the relationship with the neighbour
/// the route came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Procedure {
    /// The route came from a customer or a lateral peer (including RS and RS-client peers).
    Upstream,
    /// The route came from a provider.
    Downstream,
}

/// Why a verdict is what it is. Hop positions use the draft's numbering of the prepared path:
/// 1 is the origin, N the neighbour; `hop` is the position of `customer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AspaReason {
    /// Invalid: the AS_PATH has no ASN outside confederation sequences.
    EmptyPath,
    /// Invalid: the AS_PATH contains an AS_SET.
    AsSet,
    /// Invalid: the AS_PATH contains an AS_CONFED_SET.
    ConfedSet,
    /// Valid: one AS after collapsing prepends.
    SingleHop,
    /// Valid: the path fits the ramps with every needed hop attested.
    Attested,
    /// Upstream Invalid: `customer`'s ASPA does not list `provider`, so the route cannot have
    /// climbed only customer-to-provider hops up to the receiver.
    NotProvider {
        hop: usize,
        customer: Asn,
        provider: Asn,
    },
    /// Downstream Invalid: the up ramp ends at a proven non-provider hop
    /// (`up_customer` → `up_provider`) below where the down ramp ends at another one
    /// (`down_customer`'s ASPA not listing `down_provider`): a valley or a route leak.
    Valley {
        up_hop: usize,
        up_customer: Asn,
        up_provider: Asn,
        down_hop: usize,
        down_customer: Asn,
        down_provider: Asn,
    },
    /// Unknown: `customer` has no ASPA, so the hop to `provider` cannot be checked, and the
    /// path can only be proven valley-free through it.
    NoAttestation {
        hop: usize,
        customer: Asn,
        provider: Asn,
    },
}

impl AspaReason {
    /// A short fixed code for tables and CSV (`as-set`, `not-provider`, `no-attestation`...).
    pub const fn code(&self) -> &'static str {
        match self {
            AspaReason::EmptyPath => "empty-path",
            AspaReason::AsSet => "as-set",
            AspaReason::ConfedSet => "confed-set",
            AspaReason::SingleHop => "single-hop",
            AspaReason::Attested => "attested",
            AspaReason::NotProvider { .. } => "not-provider",
            AspaReason::Valley { .. } => "valley",
            AspaReason::NoAttestation { .. } => "no-attestation",
        }
    }
}

impl fmt::Display for AspaReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AspaReason::EmptyPath => f.write_str("empty AS_PATH"),
            AspaReason::AsSet => f.write_str("AS_PATH contains an AS_SET"),
            AspaReason::ConfedSet => f.write_str("AS_PATH contains an AS_CONFED_SET"),
            AspaReason::SingleHop => f.write_str("single AS"),
            AspaReason::Attested => f.write_str("every hop attested"),
            AspaReason::NotProvider {
                hop,
                customer,
                provider,
            } => write!(
                f,
                "not-provider at hop {hop}: AS{provider} is not a provider of AS{customer}"
            ),
            AspaReason::Valley {
                up_hop,
                up_customer,
                up_provider,
                down_hop,
                down_customer,
                down_provider,
            } => write!(
                f,
                "valley: up ramp ends at hop {up_hop} (AS{up_provider} is not a provider of \
                 AS{up_customer}), down ramp ends at hop {down_hop} (AS{down_provider} is not \
                 a provider of AS{down_customer})"
            ),
            AspaReason::NoAttestation {
                hop,
                customer,
                provider,
            } => write!(
                f,
                "no attestation at hop {hop}: AS{customer} has no ASPA (hop to AS{provider})"
            ),
        }
    }
}

/// The four ramp lengths of a prepared path (draft numbering, see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Ramps {
    pub max_up: usize,
    pub min_up: usize,
    pub max_down: usize,
    pub min_down: usize,
}

/// An explained ASPA verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AspaVerdict {
    pub state: AspaState,
    pub reason: AspaReason,
    /// Hops after preparation (prepends collapsed, confederation sequences skipped); 0 when
    /// the path was rejected before counting (empty, AS_SET, AS_CONFED_SET).
    pub n: usize,
    /// The ramps, when the path got as far as computing them (N ≥ 1).
    pub ramps: Option<Ramps>,
}

/// Why a path cannot be prepared for verification (each makes it Invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrepareError {
    Empty,
    AsSet,
    ConfedSet,
}

impl PrepareError {
    fn reason(self) -> AspaReason {
        match self {
            PrepareError::Empty => AspaReason::EmptyPath,
            PrepareError::AsSet => AspaReason::AsSet,
            PrepareError::ConfedSet => AspaReason::ConfedSet,
        }
    }
}

/// Prepares an AS_PATH for verification (see the module docs): the hops neighbour first,
/// origin last, with prepends collapsed and confederation sequences skipped.
pub fn prepare_path(path: &AsPath) -> Result<Vec<Asn>, PrepareError> {
    let mut hops: Vec<Asn> = Vec::with_capacity(path.route_len());
    for seg in &path.segments {
        match seg.kind {
            SegmentKind::Sequence => {
                for &asn in &seg.asns {
                    if hops.last() != Some(&asn) {
                        hops.push(asn);
                    }
                }
            }
            SegmentKind::ConfedSequence => {}
            // An empty set hides nothing, but it is still a malformed attribute; reject it
            // like any set.
            SegmentKind::Set => return Err(PrepareError::AsSet),
            SegmentKind::ConfedSet => return Err(PrepareError::ConfedSet),
        }
    }
    if hops.is_empty() {
        return Err(PrepareError::Empty);
    }
    Ok(hops)
}

/// One customer's provider sets, per address family (each sorted, deduplicated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Entry {
    v4: Box<[Asn]>,
    v6: Box<[Asn]>,
}

impl Entry {
    fn for_afi(&self, afi: Afi) -> &[Asn] {
        match afi {
            Afi::Ipv4 => &self.v4,
            Afi::Ipv6 => &self.v6,
        }
    }
}

/// The immutable ASPA index: customer → provider set per address family. Several ASPAs for
/// one customer are united.
#[derive(Clone, Debug, Default)]
pub struct AspaSet {
    map: HashMap<Asn, Entry>,
}

impl AspaSet {
    /// Builds the index from ASPA objects.
    pub fn new<'a>(aspas: impl IntoIterator<Item = &'a Aspa>) -> AspaSet {
        let mut acc: HashMap<Asn, (Vec<Asn>, Vec<Asn>)> = HashMap::new();
        for aspa in aspas {
            let (v4, v6) = acc.entry(aspa.customer).or_default();
            v4.extend(aspa.providers_for(Afi::Ipv4));
            v6.extend(aspa.providers_for(Afi::Ipv6));
        }
        let map = acc
            .into_iter()
            .map(|(customer, (mut v4, mut v6))| {
                v4.sort_unstable();
                v4.dedup();
                v6.sort_unstable();
                v6.dedup();
                (
                    customer,
                    Entry {
                        v4: v4.into_boxed_slice(),
                        v6: v6.into_boxed_slice(),
                    },
                )
            })
            .collect();
        AspaSet { map }
    }

    /// Number of customers with an ASPA.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The providers `customer` attests for family `afi` (sorted; may hold AS0), or `None`
    /// when it has no ASPA. An empty slice is an attestation with no providers for `afi`.
    pub fn providers(&self, customer: Asn, afi: Afi) -> Option<&[Asn]> {
        self.map.get(&customer).map(|e| e.for_afi(afi))
    }

    /// The hop check `authorized(customer, provider)` for routes of family `afi`. AS0 in the
    /// provider set means "no providers": every provider is then NotProviderPlus, even when
    /// another ASPA of the same customer lists some.
    pub fn authorized(&self, customer: Asn, provider: Asn, afi: Afi) -> HopCheck {
        match self.providers(customer, afi) {
            None => HopCheck::NoAttestation,
            Some(set) => {
                // Sorted: AS0 can only be first.
                if set.first() == Some(&Asn(0)) {
                    HopCheck::NotProviderPlus
                } else if set.binary_search(&provider).is_ok() {
                    HopCheck::ProviderPlus
                } else {
                    HopCheck::NotProviderPlus
                }
            }
        }
    }

    /// Verifies an AS_PATH (neighbour first) of a route of family `afi` with `procedure`.
    pub fn verify(&self, path: &AsPath, afi: Afi, procedure: Procedure) -> AspaVerdict {
        match prepare_path(path) {
            Err(e) => AspaVerdict {
                state: AspaState::Invalid,
                reason: e.reason(),
                n: 0,
                ramps: None,
            },
            Ok(hops) => self.verify_hops(&hops, afi, procedure),
        }
    }

    /// Verifies a route seen at a route collector: the collector's peer is treated as a
    /// provider of the collector, so the downstream procedure applies.
    pub fn verify_collector_route(&self, path: &AsPath, afi: Afi) -> AspaVerdict {
        self.verify(path, afi, Procedure::Downstream)
    }

    /// Verifies an already prepared path (neighbour first, prepends collapsed; see
    /// [`prepare_path`]). An empty slice is Invalid.
    pub fn verify_hops(&self, hops: &[Asn], afi: Afi, procedure: Procedure) -> AspaVerdict {
        let n = hops.len();
        if n == 0 {
            return AspaVerdict {
                state: AspaState::Invalid,
                reason: AspaReason::EmptyPath,
                n: 0,
                ramps: None,
            };
        }
        // Draft index k (1 = origin, N = neighbour) is hops[n - k].
        let at = |k: usize| hops[n - k];

        // Up ramp: scan I = 2..=N, checking authorized(AS(I-1), AS(I)).
        let mut first_up_np: Option<usize> = None;
        let mut first_up_not_pp: Option<usize> = None;
        for i in 2..=n {
            match self.authorized(at(i - 1), at(i), afi) {
                HopCheck::ProviderPlus => continue,
                HopCheck::NoAttestation => {
                    first_up_not_pp.get_or_insert(i);
                }
                HopCheck::NotProviderPlus => {
                    first_up_not_pp.get_or_insert(i);
                    first_up_np = Some(i);
                    break;
                }
            }
        }
        // Down ramp: scan J = N down to 2, checking authorized(AS(J), AS(J-1)).
        let mut last_down_np: Option<usize> = None;
        let mut last_down_not_pp: Option<usize> = None;
        for j in (2..=n).rev() {
            match self.authorized(at(j), at(j - 1), afi) {
                HopCheck::ProviderPlus => continue,
                HopCheck::NoAttestation => {
                    last_down_not_pp.get_or_insert(j);
                }
                HopCheck::NotProviderPlus => {
                    last_down_not_pp.get_or_insert(j);
                    last_down_np = Some(j);
                    break;
                }
            }
        }
        let ramps = Ramps {
            max_up: first_up_np.map_or(n, |i| i - 1),
            min_up: first_up_not_pp.map_or(n, |i| i - 1),
            max_down: last_down_np.map_or(n, |j| n - j + 1),
            min_down: last_down_not_pp.map_or(n, |j| n - j + 1),
        };

        let up_hop = |i: usize| (i - 1, at(i - 1), at(i));
        let down_hop = |j: usize| (j, at(j), at(j - 1));
        let no_attestation =
            |(hop, customer, provider): (usize, Asn, Asn)| AspaReason::NoAttestation {
                hop,
                customer,
                provider,
            };
        let (state, reason) = match procedure {
            Procedure::Upstream => {
                if ramps.max_up < n {
                    // first_up_np is Some exactly when max_up < n.
                    let (hop, customer, provider) = up_hop(first_up_np.unwrap_or(2));
                    (
                        AspaState::Invalid,
                        AspaReason::NotProvider {
                            hop,
                            customer,
                            provider,
                        },
                    )
                } else if ramps.min_up < n {
                    // Not NotProviderPlus (else max_up < n): the hop has no attestation.
                    let hop = up_hop(first_up_not_pp.unwrap_or(2));
                    (AspaState::Unknown, no_attestation(hop))
                } else {
                    (AspaState::Valid, AspaReason::Attested)
                }
            }
            Procedure::Downstream => {
                if ramps.max_up + ramps.max_down < n {
                    // Both ramps end at a NotProviderPlus hop (a full ramp would be N).
                    let (up_hop, up_customer, up_provider) = up_hop(first_up_np.unwrap_or(2));
                    let (down_hop, down_customer, down_provider) =
                        down_hop(last_down_np.unwrap_or(2));
                    (
                        AspaState::Invalid,
                        AspaReason::Valley {
                            up_hop,
                            up_customer,
                            up_provider,
                            down_hop,
                            down_customer,
                            down_provider,
                        },
                    )
                } else if ramps.min_up + ramps.min_down < n {
                    // At least one of the two hops ending the minimal ramps is unattested
                    // (were both NotProviderPlus, the maximal ramps would be as short).
                    let i = first_up_not_pp.unwrap_or(2);
                    let reason =
                        if self.authorized(at(i - 1), at(i), afi) == HopCheck::NoAttestation {
                            no_attestation(up_hop(i))
                        } else {
                            no_attestation(down_hop(last_down_not_pp.unwrap_or(2)))
                        };
                    (AspaState::Unknown, reason)
                } else {
                    (AspaState::Valid, AspaReason::Attested)
                }
            }
        };
        let reason = if n == 1 {
            AspaReason::SingleHop
        } else {
            reason
        };
        AspaVerdict {
            state,
            reason,
            n,
            ramps: Some(ramps),
        }
    }
}

impl From<&[Aspa]> for AspaSet {
    fn from(aspas: &[Aspa]) -> AspaSet {
        AspaSet::new(aspas)
    }
}

impl From<Vec<Aspa>> for AspaSet {
    fn from(aspas: Vec<Aspa>) -> AspaSet {
        AspaSet::new(&aspas)
    }
}

impl<'a> FromIterator<&'a Aspa> for AspaSet {
    fn from_iter<I: IntoIterator<Item = &'a Aspa>>(iter: I) -> AspaSet {
        AspaSet::new(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use routenorms_types::AsPathSegment;

    fn aspa(customer: u32, providers: &[u32]) -> Aspa {
        Aspa::new(Asn(customer), providers.iter().copied().map(Asn).collect())
    }

    fn path(asns: &[u32]) -> AsPath {
        AsPath::from_sequence(asns.iter().copied())
    }

    fn seg(kind: SegmentKind, asns: &[u32]) -> AsPathSegment {
        AsPathSegment {
            kind,
            asns: asns.iter().copied().map(Asn).collect(),
        }
    }

    const V4: Afi = Afi::Ipv4;
    const V6: Afi = Afi::Ipv6;
    use Procedure::{Downstream, Upstream};

    /// A small hierarchy: 1 (origin) → provider 2 → provider 3 (a tier-1 with no providers);
    /// 5 is a customer of 4 and 4 a customer of 3; 6 a customer of 5.
    fn hierarchy() -> AspaSet {
        AspaSet::from(vec![
            aspa(1, &[2]),
            aspa(2, &[3]),
            aspa(3, &[0]),
            aspa(4, &[3]),
            aspa(5, &[4]),
            aspa(6, &[5]),
        ])
    }

    #[test]
    fn hop_check_outcomes() {
        let s = hierarchy();
        assert_eq!(s.authorized(Asn(1), Asn(2), V4), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(3), V4), HopCheck::NotProviderPlus);
        assert_eq!(s.authorized(Asn(99), Asn(3), V4), HopCheck::NoAttestation);
        assert_eq!(s.len(), 6);
    }

    #[test]
    fn single_as_path_is_valid_for_both_procedures() {
        let s = hierarchy();
        for p in [Upstream, Downstream] {
            let v = s.verify(&path(&[99]), V4, p);
            assert_eq!(v.state, AspaState::Valid);
            assert_eq!(v.reason, AspaReason::SingleHop);
            assert_eq!(v.n, 1);
        }
    }

    #[test]
    fn prepends_are_collapsed() {
        let s = hierarchy();
        let p = path(&[2, 2, 2, 1, 1]);
        assert_eq!(prepare_path(&p).unwrap(), vec![Asn(2), Asn(1)]);
        let v = s.verify(&p, V4, Upstream);
        assert_eq!((v.state, v.n), (AspaState::Valid, 2));
        // All prepends of one AS: a single hop.
        let v = s.verify(&path(&[7, 7, 7]), V4, Upstream);
        assert_eq!(
            (v.state, v.n, v.reason),
            (AspaState::Valid, 1, AspaReason::SingleHop)
        );
        // Prepends across segment borders collapse too.
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::Sequence, &[2, 1]),
                seg(SegmentKind::Sequence, &[1]),
            ],
        };
        assert_eq!(prepare_path(&p).unwrap(), vec![Asn(2), Asn(1)]);
    }

    #[test]
    fn as_set_is_invalid() {
        let s = hierarchy();
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::Sequence, &[3, 2]),
                seg(SegmentKind::Set, &[1, 9]),
            ],
        };
        for proc_ in [Upstream, Downstream] {
            let v = s.verify(&p, V4, proc_);
            assert_eq!(v.state, AspaState::Invalid);
            assert_eq!(v.reason, AspaReason::AsSet);
            assert_eq!(v.reason.code(), "as-set");
        }
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::ConfedSet, &[64512]),
                seg(SegmentKind::Sequence, &[2, 1]),
            ],
        };
        assert_eq!(s.verify(&p, V4, Upstream).reason, AspaReason::ConfedSet);
    }

    #[test]
    fn confed_sequences_are_skipped_and_empty_paths_invalid() {
        let s = hierarchy();
        let p = AsPath {
            segments: vec![
                seg(SegmentKind::ConfedSequence, &[64512, 64513]),
                seg(SegmentKind::Sequence, &[2, 1]),
            ],
        };
        assert_eq!(prepare_path(&p).unwrap(), vec![Asn(2), Asn(1)]);
        assert_eq!(s.verify(&p, V4, Upstream).state, AspaState::Valid);
        let v = s.verify(&AsPath::default(), V4, Downstream);
        assert_eq!(
            (v.state, v.reason),
            (AspaState::Invalid, AspaReason::EmptyPath)
        );
    }

    #[test]
    fn upstream_valid_chain() {
        // 3 ← 2 ← 1: each hop customer → attested provider.
        let v = hierarchy().verify(&path(&[3, 2, 1]), V4, Upstream);
        assert_eq!(v.state, AspaState::Valid);
        assert_eq!(v.reason, AspaReason::Attested);
        let r = v.ramps.unwrap();
        assert_eq!((r.max_up, r.min_up, v.n), (3, 3, 3));
    }

    #[test]
    fn upstream_unknown_on_an_unattested_hop() {
        // 8 has no ASPA: 8 → 2 cannot be checked.
        let v = hierarchy().verify(&path(&[3, 2, 8]), V4, Upstream);
        assert_eq!(v.state, AspaState::Unknown);
        assert_eq!(
            v.reason,
            AspaReason::NoAttestation {
                hop: 1,
                customer: Asn(8),
                provider: Asn(2)
            }
        );
        let r = v.ramps.unwrap();
        assert_eq!((r.max_up, r.min_up), (3, 1));
    }

    #[test]
    fn upstream_invalid_on_a_not_provider_hop() {
        // 1 attests only 2, so 1 → 4 is a leak / forged hop.
        let v = hierarchy().verify(&path(&[3, 4, 1]), V4, Upstream);
        assert_eq!(v.state, AspaState::Invalid);
        assert_eq!(
            v.reason,
            AspaReason::NotProvider {
                hop: 1,
                customer: Asn(1),
                provider: Asn(4)
            }
        );
        assert_eq!(v.reason.code(), "not-provider");
        assert_eq!(v.ramps.unwrap().max_up, 1);
        // A not-provider hop above an unattested one still makes it Invalid.
        let v = hierarchy().verify(&path(&[9, 2, 8]), V4, Upstream);
        assert_eq!(v.state, AspaState::Invalid);
        assert_eq!(
            v.reason,
            AspaReason::NotProvider {
                hop: 2,
                customer: Asn(2),
                provider: Asn(9)
            }
        );
    }

    #[test]
    fn downstream_up_then_down_is_valid() {
        // Received by 6 from its provider 5: origin 1 → 2 → 3 (up), 3 → 4 → 5 (down).
        let s = hierarchy();
        let v = s.verify(&path(&[5, 4, 3, 2, 1]), V4, Downstream);
        assert_eq!(v.state, AspaState::Valid);
        assert_eq!(v.reason, AspaReason::Attested);
        let r = v.ramps.unwrap();
        assert_eq!((r.max_up, r.max_down, r.min_up, r.min_down), (3, 3, 3, 3));
        // The same path from a customer or peer would be a leak.
        assert_eq!(
            s.verify(&path(&[5, 4, 3, 2, 1]), V4, Upstream).state,
            AspaState::Invalid
        );
        // Downstream with N = 2 is always Valid.
        assert_eq!(
            s.verify(&path(&[9, 1]), V4, Downstream).state,
            AspaState::Valid
        );
        // The collector helper applies the downstream procedure.
        assert_eq!(
            s.verify_collector_route(&path(&[5, 4, 3, 2, 1]), V4),
            s.verify(&path(&[5, 4, 3, 2, 1]), V4, Downstream)
        );
    }

    #[test]
    fn downstream_valley_is_invalid() {
        // Origin 40 → its provider 20 (up), 20 → its customer 10 (down), then 10 leaks it to
        // its other provider 30 (up again: a provider → customer → provider valley), and 30
        // sends it down to the receiver, a customer of 30. 20 and 30 are tier-1s (AS0).
        let s = AspaSet::from(vec![
            aspa(10, &[20, 30]),
            aspa(20, &[0]),
            aspa(30, &[0]),
            aspa(40, &[20]),
        ]);
        let v = s.verify(&path(&[30, 10, 20, 40]), V4, Downstream);
        assert_eq!(v.state, AspaState::Invalid);
        let r = v.ramps.unwrap();
        // Up: 40 → 20 attested, 20 → 10 not (AS0): max_up = 2. Down from the neighbour:
        // 30 → 10 not (AS0): max_down = 1. 2 + 1 < 4.
        assert_eq!((r.max_up, r.max_down), (2, 1));
        assert_eq!(
            v.reason,
            AspaReason::Valley {
                up_hop: 2,
                up_customer: Asn(20),
                up_provider: Asn(10),
                down_hop: 4,
                down_customer: Asn(30),
                down_provider: Asn(10),
            }
        );
        assert_eq!(v.reason.code(), "valley");
        // Without the leak (20 → 10 received directly from the provider 20) it is valid.
        assert_eq!(
            s.verify(&path(&[20, 40]), V4, Downstream).state,
            AspaState::Valid
        );
        let v = s.verify(&path(&[10, 20, 40]), V4, Downstream);
        assert_eq!(
            (v.state, v.reason),
            (AspaState::Valid, AspaReason::Attested)
        );
    }

    #[test]
    fn downstream_unknown_when_a_gap_hop_is_unattested() {
        // Origin 1 → 2 → 3 (up, attested), 3 → 8 → 9 where 8 and 9 publish nothing: the
        // down ramp can't be proven beyond 9 → 8, nor disproven.
        let s = hierarchy();
        let v = s.verify(&path(&[9, 8, 3, 2, 1]), V4, Downstream);
        assert_eq!(v.state, AspaState::Unknown);
        let r = v.ramps.unwrap();
        assert_eq!((r.max_up, r.min_up, r.max_down, r.min_down), (3, 3, 3, 1));
        // Up: 1 → 2 → 3 attested, 3 → 8 is NotP+ (3 has AS0). Down from the neighbour: 9 → 8
        // and 8 → 3 unattested, 3 → 2 NotP+: max_down = 3 (3 + 3 ≥ 5, not Invalid) but
        // min_down = 1 (3 + 1 < 5): the first unattested hop from the neighbour side is 9 → 8.
        assert_eq!(
            v.reason,
            AspaReason::NoAttestation {
                hop: 5,
                customer: Asn(9),
                provider: Asn(8)
            }
        );
    }

    #[test]
    fn as0_means_no_providers() {
        let s = AspaSet::from(vec![aspa(10, &[0]), aspa(11, &[0, 12])]);
        assert_eq!(
            s.authorized(Asn(10), Asn(20), V4),
            HopCheck::NotProviderPlus
        );
        // AS0 wins even when listed beside a provider.
        assert_eq!(
            s.authorized(Asn(11), Asn(12), V4),
            HopCheck::NotProviderPlus
        );
        let v = s.verify(&path(&[20, 10]), V4, Upstream);
        assert_eq!(v.state, AspaState::Invalid);
        // Its routes are fine when it is the single hop.
        assert_eq!(s.verify(&path(&[10]), V4, Upstream).state, AspaState::Valid);
    }

    #[test]
    fn afi_limits_restrict_providers_per_family() {
        let mut a = aspa(1, &[2, 3]);
        a.afi_limits = vec![(Asn(3), Afi::Ipv6)];
        let s = AspaSet::from(vec![a, aspa(4, &[5])]);
        assert_eq!(s.authorized(Asn(1), Asn(2), V4), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(2), V6), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(3), V6), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(3), V4), HopCheck::NotProviderPlus);
        assert_eq!(
            s.verify(&path(&[3, 1]), V6, Upstream).state,
            AspaState::Valid
        );
        assert_eq!(
            s.verify(&path(&[3, 1]), V4, Upstream).state,
            AspaState::Invalid
        );
        // A customer whose only provider is limited to IPv6 still attests for IPv4: with
        // no providers there.
        let mut b = aspa(7, &[8]);
        b.afi_limits = vec![(Asn(8), Afi::Ipv6)];
        let s = AspaSet::from(vec![b]);
        assert_eq!(s.providers(Asn(7), V4), Some(&[][..]));
        assert_eq!(s.authorized(Asn(7), Asn(8), V4), HopCheck::NotProviderPlus);
        assert_eq!(s.authorized(Asn(7), Asn(8), V6), HopCheck::ProviderPlus);
    }

    #[test]
    fn duplicate_customers_are_united() {
        let aspas = [aspa(1, &[2]), aspa(1, &[3, 2]), aspa(4, &[5])];
        let s: AspaSet = aspas.iter().collect();
        assert_eq!(s.len(), 2);
        assert_eq!(s.providers(Asn(1), V4), Some(&[Asn(2), Asn(3)][..]));
        assert_eq!(s.authorized(Asn(1), Asn(2), V4), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(3), V6), HopCheck::ProviderPlus);
        assert_eq!(s.authorized(Asn(1), Asn(9), V4), HopCheck::NotProviderPlus);
        assert_eq!(AspaSet::from(&aspas[..]).len(), 2);
    }
}
