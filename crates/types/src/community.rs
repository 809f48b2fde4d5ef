//! BGP communities: standard (RFC 1997), extended (RFC 4360) and large (RFC 8092).

use std::fmt;

/// A standard community, `ASN:VALUE` in 16+16 bits.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Community(pub u32);

impl Community {
    pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
    pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xFFFF_FF03);
    pub const NO_PEER: Community = Community(0xFFFF_FF04);
    /// RFC 7999.
    pub const BLACKHOLE: Community = Community(0xFFFF_029A);

    /// The high 16 bits (by convention an ASN).
    pub const fn high(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The low 16 bits.
    pub const fn low(self) -> u16 {
        self.0 as u16
    }
}

impl fmt::Display for Community {
    /// Always numeric `HIGH:LOW`, so the text round-trips.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.high(), self.low())
    }
}

/// A large community `GLOBAL:LOCAL1:LOCAL2` (RFC 8092).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct LargeCommunity {
    pub global: u32,
    pub local1: u32,
    pub local2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

/// An extended community (RFC 4360): 8 raw bytes, type first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ExtendedCommunity(pub [u8; 8]);

impl fmt::Display for ExtendedCommunity {
    /// Hex of the 8 bytes, e.g. `0x0002fde800000064` — unambiguous for every type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_community_displays_as_high_colon_low() {
        assert_eq!(Community(0xFDE8_0064).to_string(), "65000:100");
        assert_eq!(Community::NO_EXPORT.to_string(), "65535:65281");
    }

    #[test]
    fn large_and_extended_communities_display_in_full() {
        let l = LargeCommunity {
            global: 4_200_000_000,
            local1: 1,
            local2: 2,
        };
        assert_eq!(l.to_string(), "4200000000:1:2");
        let e = ExtendedCommunity([0, 2, 0xfd, 0xe8, 0, 0, 0, 100]);
        assert_eq!(e.to_string(), "0x0002fde800000064");
    }
}
