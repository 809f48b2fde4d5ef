//! The payload values: VRPs, ASPAs and trust-anchor names.

use routenorms_types::{Afi, Asn, Prefix};
use std::fmt;
use std::sync::Arc;

/// The name of a trust anchor (`apnic`, `ripe`, `DN42`…). Shared, not copied: every VRP of a
/// load holds a reference-counted pointer to one string, so a million VRPs cost one name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ta(Arc<str>);

impl Ta {
    pub fn new(name: &str) -> Ta {
        Ta(Arc::from(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Ta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Ta {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Ta {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Ta::new(&s))
    }
}

/// Hands out one [`Ta`] per distinct name during a load (most files have one to five).
#[derive(Debug, Default)]
pub(crate) struct TaInterner {
    last: Option<Ta>,
    all: Vec<Ta>,
}

impl TaInterner {
    pub(crate) fn get(&mut self, name: &str) -> Ta {
        if let Some(t) = &self.last {
            if t.as_str() == name {
                return t.clone();
            }
        }
        let t = match self.all.iter().find(|t| t.as_str() == name) {
            Some(t) => t.clone(),
            None => {
                let t = Ta::new(name);
                // Bounded: a hostile file with millions of names costs a linear scan per new
                // name, so stop remembering beyond a few hundred.
                if self.all.len() < 256 {
                    self.all.push(t.clone());
                }
                t
            }
        };
        self.last = Some(t.clone());
        t
    }
}

/// A Validated ROA Payload (RFC 6811 section 2): `prefix` may be announced by `asn` at any
/// length from `prefix.len()` to `max_len`.
///
/// The loaders only produce VRPs with `prefix.len() <= max_len <= 32/128`; a VRP built by hand
/// outside that range is still handled by [`crate::VrpSet`] exactly as RFC 6811 reads (it covers,
/// and with `max_len` below the prefix length it can match nothing).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Vrp {
    pub prefix: Prefix,
    pub max_len: u8,
    pub asn: Asn,
    /// The trust anchor it was validated under, when the source says.
    pub ta: Option<Ta>,
}

impl Vrp {
    /// A VRP without trust anchor; checks `prefix.len() <= max_len <= 32/128`.
    pub fn new(prefix: Prefix, max_len: u8, asn: Asn) -> Result<Vrp, crate::RejectReason> {
        crate::load::check_max_len(&prefix, u64::from(max_len))?;
        Ok(Vrp {
            prefix,
            max_len,
            asn,
            ta: None,
        })
    }

    /// The same VRP with a trust anchor.
    pub fn with_ta(mut self, ta: Option<Ta>) -> Vrp {
        self.ta = ta;
        self
    }

    /// The (prefix, maxLength, ASN) triple — what RTR and route-origin validation see; the
    /// trust anchor is provenance only.
    pub fn key(&self) -> (Prefix, u8, Asn) {
        (self.prefix, self.max_len, self.asn)
    }
}

impl fmt::Display for Vrp {
    /// `PREFIX-MAXLEN ASN`, e.g. `192.0.2.0/24-24 AS64496`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{} AS{}", self.prefix, self.max_len, self.asn)
    }
}

/// An ASPA: the set of ASes `customer` declares as its providers
/// (draft-ietf-sidrops-aspa-profile). `providers` is sorted and free of duplicates; AS0 in it
/// means "no providers".
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Aspa {
    pub customer: Asn,
    pub providers: Vec<Asn>,
    /// Providers limited to one address family. Only ASPAs of the early profile (before
    /// draft-ietf-sidrops-aspa-profile-16, e.g. rpki-client up to 8.4 with its
    /// `provider_authorizations: {ipv4, ipv6}` output) carry such limits; empty otherwise.
    /// Every ASN here is also in `providers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub afi_limits: Vec<(Asn, Afi)>,
}

impl Aspa {
    /// An ASPA of the current profile (no family limits); sorts and deduplicates `providers`.
    pub fn new(customer: Asn, mut providers: Vec<Asn>) -> Aspa {
        providers.sort_unstable();
        providers.dedup();
        Aspa {
            customer,
            providers,
            afi_limits: Vec::new(),
        }
    }

    /// The providers that apply to routes of family `afi` (all of them, except those limited
    /// to the other family).
    pub fn providers_for(&self, afi: Afi) -> impl Iterator<Item = Asn> + '_ {
        self.providers.iter().copied().filter(move |p| {
            !self
                .afi_limits
                .iter()
                .any(|(q, limit)| q == p && *limit != afi)
        })
    }
}
