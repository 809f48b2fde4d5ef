//! NLRI prefixes (RFC 4271 4.3, RFC 4760, RFC 8050 ADD-PATH), read lazily from a borrowed slice.

use crate::error::{Bytes, DecodeError};
use routenorms_types::{Afi, Prefix};

/// One prefix from an NLRI field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NlriPrefix {
    /// The ADD-PATH path identifier, when the field carries them.
    pub path_id: Option<u32>,
    /// The prefix in canonical form (bits beyond the length cleared).
    pub prefix: Prefix,
    /// True when the encoded prefix had bits set beyond its length. RFC 4271 section 4.3 calls
    /// those trailing bits irrelevant; they are cleared here and counted by callers.
    pub had_host_bits: bool,
}

/// An NLRI field: a packed list of (length, prefix bytes), optionally each with a path id.
#[derive(Clone, Copy, Debug)]
pub struct Nlri<'a> {
    pub(crate) data: &'a [u8],
    /// Offset of `data` within the record body, for error reports.
    pub(crate) base: usize,
    pub afi: Afi,
    pub add_path: bool,
}

impl<'a> Nlri<'a> {
    pub(crate) fn new(data: &'a [u8], base: usize, afi: Afi, add_path: bool) -> Self {
        Nlri {
            data,
            base,
            afi,
            add_path,
        }
    }

    /// An empty field.
    pub fn empty(afi: Afi) -> Self {
        Nlri {
            data: &[],
            base: 0,
            afi,
            add_path: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The raw bytes of the field.
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// Iterates the prefixes. A malformed prefix (length beyond the family, or bytes running
    /// past the field) yields one error and ends the iteration: the rest of the field cannot
    /// be located (RFC 7606 section 5.3).
    pub fn iter(&self) -> NlriIter<'a> {
        NlriIter {
            bytes: Bytes::new(self.data, self.base),
            afi: self.afi,
            add_path: self.add_path,
        }
    }

    /// True when the whole field parses without error.
    pub fn is_well_formed(&self) -> bool {
        self.iter().all(|p| p.is_ok())
    }
}

/// Iterator over an NLRI field.
#[derive(Clone, Debug)]
pub struct NlriIter<'a> {
    bytes: Bytes<'a>,
    afi: Afi,
    add_path: bool,
}

/// Reads one prefix (length octet + bytes) of family `afi`.
pub(crate) fn read_prefix(b: &mut Bytes<'_>, afi: Afi) -> Result<(Prefix, bool), DecodeError> {
    let len = b.u8("NLRI ends before a prefix length")?;
    if len > afi.max_len() {
        return Err(b.err("NLRI prefix length exceeds the address size"));
    }
    let nbytes = (len as usize).div_ceil(8);
    let bytes = b.take(nbytes, "NLRI prefix runs past the end of its field")?;
    let width = afi.max_len() as u32;
    let mut bits: u128 = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        bits |= (byte as u128) << (width - 8 - 8 * i as u32);
    }
    let p = Prefix::from_bits(afi, bits, len).map_err(|_| b.err("invalid prefix"))?;
    Ok((p, p.bits() != bits))
}

impl Iterator for NlriIter<'_> {
    type Item = Result<NlriPrefix, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.is_empty() {
            return None;
        }
        let r = (|| {
            let path_id = if self.add_path {
                Some(
                    self.bytes
                        .u32("NLRI ends inside an ADD-PATH path identifier")?,
                )
            } else {
                None
            };
            let (prefix, had_host_bits) = read_prefix(&mut self.bytes, self.afi)?;
            Ok(NlriPrefix {
                path_id,
                prefix,
                had_host_bits,
            })
        })();
        if r.is_err() {
            // Nothing after a malformed prefix can be located.
            self.bytes = Bytes::new(&[], 0);
        }
        Some(r)
    }
}

/// Guesses whether an NLRI field in a message whose MRT subtype does not say so carries
/// ADD-PATH identifiers (BIRD writes them under the plain BGP4MP MESSAGE subtypes). It does
/// when the field parses completely with path ids and not without them, or when both parse and
/// it starts with a zero octet pair: without path ids that would be a default route followed by
/// another, which no speaker sends.
pub(crate) fn looks_like_add_path(data: &[u8], afi: Afi) -> bool {
    // Path ids below 2^24 start with a zero octet; testing it first keeps the common case cheap.
    if data.len() < 5 || data[0] != 0 {
        return false;
    }
    let with = Nlri::new(data, 0, afi, true).is_well_formed();
    if !with {
        return false;
    }
    let without = Nlri::new(data, 0, afi, false).is_well_formed();
    !without || (data[0] == 0 && data[1] == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8], afi: Afi, add_path: bool) -> Vec<Result<NlriPrefix, DecodeError>> {
        Nlri::new(data, 0, afi, add_path).iter().collect()
    }

    #[test]
    fn reads_packed_ipv4_prefixes() {
        let v = all(&[24, 192, 0, 2, 8, 10, 0], Afi::Ipv4, false);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].unwrap().prefix.to_string(), "192.0.2.0/24");
        assert_eq!(v[1].unwrap().prefix.to_string(), "10.0.0.0/8");
        assert_eq!(v[2].unwrap().prefix.to_string(), "0.0.0.0/0");
    }

    #[test]
    fn host_bits_are_cleared_and_flagged() {
        let v = all(&[13, 11, 13], Afi::Ipv4, false);
        let p = v[0].unwrap();
        assert_eq!(p.prefix.to_string(), "11.8.0.0/13");
        assert!(p.had_host_bits);
    }

    #[test]
    fn a_length_beyond_the_family_is_an_error_and_ends_the_field() {
        let v = all(&[33, 1, 2, 3, 4, 5, 8, 10], Afi::Ipv4, false);
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].unwrap_err().reason,
            "NLRI prefix length exceeds the address size"
        );
        assert_eq!(v[0].unwrap_err().offset, 1);
    }

    #[test]
    fn a_prefix_running_past_the_field_is_an_error() {
        let v = all(&[24, 192, 0], Afi::Ipv4, false);
        assert_eq!(
            v[0].unwrap_err().reason,
            "NLRI prefix runs past the end of its field"
        );
    }

    #[test]
    fn add_path_identifiers_precede_each_prefix() {
        let v = all(&[0, 0, 0, 7, 32, 0x20, 1, 0x0d, 0xb8], Afi::Ipv6, true);
        let p = v[0].unwrap();
        assert_eq!(p.path_id, Some(7));
        assert_eq!(p.prefix.to_string(), "2001:db8::/32");
    }

    #[test]
    fn add_path_is_detected_only_when_unambiguous() {
        assert!(looks_like_add_path(&[0, 0, 0, 1, 24, 10, 0, 0], Afi::Ipv4));
        assert!(!looks_like_add_path(&[24, 10, 0, 0, 16, 10, 1], Afi::Ipv4));
    }
}
