//! COMMUNITIES (RFC 1997), EXTENDED_COMMUNITIES (RFC 4360) and LARGE_COMMUNITIES (RFC 8092)
//! as iterators over the validated attribute value.

use routenorms_types::{Community, ExtendedCommunity, LargeCommunity};

/// Standard communities in a COMMUNITIES value (length already checked to be a multiple of 4).
pub fn standard(value: &[u8]) -> impl Iterator<Item = Community> + '_ {
    value
        .chunks_exact(4)
        .map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
}

/// Extended communities (multiple of 8 bytes).
pub fn extended(value: &[u8]) -> impl Iterator<Item = ExtendedCommunity> + '_ {
    value.chunks_exact(8).map(|c| {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        ExtendedCommunity(a)
    })
}

/// Large communities (multiple of 12 bytes).
pub fn large(value: &[u8]) -> impl Iterator<Item = LargeCommunity> + '_ {
    value.chunks_exact(12).map(|c| LargeCommunity {
        global: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
        local1: u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
        local2: u32::from_be_bytes([c[8], c[9], c[10], c[11]]),
    })
}
