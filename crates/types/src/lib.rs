//! The shared vocabulary of routenorms: autonomous system numbers ([`Asn`]), IP prefixes
//! ([`Prefix`]), AS paths with their segments ([`AsPath`]), communities ([`Community`],
//! [`LargeCommunity`], [`ExtendedCommunity`]), address families ([`Afi`]) and timestamps
//! ([`Timestamp`]).
//!
//! This crate owns the *meaning* of these values — their canonical form, ordering and text
//! representation — and nothing else: it does no I/O, parses no wire formats and knows no data
//! source. Every other crate speaks these types so that a prefix read from an MRT dump, a ROA
//! and an IRR route object compare equal when they are equal.

mod aspath;
mod community;
mod prefix;

pub use aspath::{AsPath, AsPathSegment, SegmentKind};
pub use community::{Community, ExtendedCommunity, LargeCommunity};
pub use prefix::{Prefix, PrefixError};

use std::fmt;

/// An autonomous system number (2- or 4-byte; RFC 6793).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Asn(pub u32);

impl Asn {
    /// AS_TRANS (RFC 6793): stands in for a 4-byte ASN on 2-byte sessions.
    pub const TRANS: Asn = Asn(23456);

    /// The number itself.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Asn {
    /// Plain decimal ("asplain", RFC 5396), the form every data source here uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u32> for Asn {
    fn from(v: u32) -> Self {
        Asn(v)
    }
}

/// An address family (IANA AFI numbers).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Afi {
    Ipv4,
    Ipv6,
}

impl Afi {
    /// From the IANA AFI code (1 = IPv4, 2 = IPv6).
    pub const fn from_code(code: u16) -> Option<Afi> {
        match code {
            1 => Some(Afi::Ipv4),
            2 => Some(Afi::Ipv6),
            _ => None,
        }
    }

    /// Bits in an address of this family.
    pub const fn max_len(self) -> u8 {
        match self {
            Afi::Ipv4 => 32,
            Afi::Ipv6 => 128,
        }
    }
}

/// A point in time with microsecond precision, as MRT `_ET` records carry it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: u32,
    /// Microseconds within the second (0 when the source has second precision).
    pub micros: u32,
}

impl Timestamp {
    /// A timestamp with whole-second precision.
    pub const fn from_secs(secs: u32) -> Self {
        Timestamp { secs, micros: 0 }
    }
}
