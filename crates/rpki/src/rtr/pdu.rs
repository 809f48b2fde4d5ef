//! RTR protocol data units: the in-memory [`Pdu`], its exact wire encoding and a decoder for
//! byte streams that may end in the middle of a PDU.
//!
//! This module owns the wire format of the RPKI-to-Router protocol, versions 0 (RFC 6810),
//! 1 (RFC 8210) and 2 (draft-ietf-sidrops-8210bis), and the checks a receiver makes on one PDU
//! in isolation (version, type, lengths, prefix and max lengths, flags, UTF-8 error text, ASPA
//! provider list). It knows nothing of sessions, serials or sockets: what a PDU means in a
//! conversation (a Serial Query for an unknown session, a withdrawal of an unknown record) is
//! the session's business.
//!
//! Every PDU starts with the same 8-byte header:
//!
//! ```text
//! 0          8          16         24        31
//! | Version  | PDU type | session id / error code / flags+zero / zero |
//! |                     length (whole PDU, header included)         |
//! ```
//!
//! # The ASPA PDU (type 11, version 2 only)
//!
//! Implemented as in the current revisions of draft-ietf-sidrops-8210bis (section 5.12):
//! the announce/withdraw flag in the header byte after the type, a zero byte, then the
//! customer ASN and the provider ASNs, their number given by the length. There are **no AFI
//! flags** and no provider count: the draft dropped them when the ASPA profile dropped the
//! address family (draft-ietf-sidrops-aspa-profile-16). The earlier layout
//! (`Flags | AFI Flags | Provider AS Count` in the first body word) is not spoken. An
//! announcement carries at least one provider, in strictly increasing order, and AS0 only
//! alone; a withdrawal carries none (length exactly 12). Violations are reported with error
//! code 9, "ASPA Provider List Error".
//!
//! # Bounded memory
//!
//! The decoder rejects a header announcing a PDU longer than [`DEFAULT_MAX_PDU_LEN`] (or the
//! limit given to [`Pdu::decode_with_limit`]) before any body arrives, so a reader buffers at
//! most that much per connection. Only Router Key, Error Report and ASPA PDUs have variable
//! length; every other type must have exactly its fixed size.
//!
//! # What is not checked
//!
//! Fields the RFCs call "zero" (reserved bytes, the header's zero fields) are ignored on
//! input, as most implementations do; they are written as zero. Prefix PDUs may carry bits
//! beyond the prefix length: the PDU keeps the address as sent and [`Pdu::to_vrp`] clears
//! them.

use crate::{Aspa, Vrp};
use routenorms_types::{Afi, Asn, Prefix};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The size of the common PDU header.
pub const HEADER_LEN: usize = 8;

/// The largest PDU [`Pdu::decode`] accepts: 64 KiB. Bounds the variable-length PDUs (Router
/// Key: a SubjectPublicKeyInfo of about 91 bytes in practice; Error Report; ASPA: up to
/// 16,381 providers at this size), so one connection buffers at most this much.
pub const DEFAULT_MAX_PDU_LEN: u32 = 64 * 1024;

/// The size of a Subject Key Identifier in a Router Key PDU.
pub const SKI_LEN: usize = 20;

const TYPE_SERIAL_NOTIFY: u8 = 0;
const TYPE_SERIAL_QUERY: u8 = 1;
const TYPE_RESET_QUERY: u8 = 2;
const TYPE_CACHE_RESPONSE: u8 = 3;
const TYPE_IPV4_PREFIX: u8 = 4;
const TYPE_IPV6_PREFIX: u8 = 6;
const TYPE_END_OF_DATA: u8 = 7;
const TYPE_CACHE_RESET: u8 = 8;
const TYPE_ROUTER_KEY: u8 = 9;
const TYPE_ERROR_REPORT: u8 = 10;
const TYPE_ASPA: u8 = 11;

const ROUTER_KEY_FIXED: usize = HEADER_LEN + SKI_LEN + 4;
const ERROR_REPORT_FIXED: usize = HEADER_LEN + 4 + 4;
const ASPA_FIXED: usize = HEADER_LEN + 4;

/// An RTR protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// RFC 6810.
    V0 = 0,
    /// RFC 8210: Router Key PDU, timing intervals in End of Data.
    V1 = 1,
    /// draft-ietf-sidrops-8210bis: ASPA PDU.
    V2 = 2,
}

impl Version {
    /// The highest version this codec speaks.
    pub const LATEST: Version = Version::V2;

    /// From the version byte of a header.
    pub const fn from_u8(v: u8) -> Option<Version> {
        match v {
            0 => Some(Version::V0),
            1 => Some(Version::V1),
            2 => Some(Version::V2),
            _ => None,
        }
    }

    /// The version byte.
    pub const fn get(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// The error codes of an Error Report PDU (RFC 8210 section 12; 9 from
/// draft-ietf-sidrops-8210bis).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    CorruptData = 0,
    InternalError = 1,
    NoDataAvailable = 2,
    InvalidRequest = 3,
    UnsupportedProtocolVersion = 4,
    UnsupportedPduType = 5,
    WithdrawalOfUnknownRecord = 6,
    DuplicateAnnouncement = 7,
    UnexpectedProtocolVersion = 8,
    /// Version 2 only.
    AspaProviderListError = 9,
}

impl ErrorCode {
    /// From the code carried in an Error Report; `None` for codes not defined above.
    pub const fn from_u16(code: u16) -> Option<ErrorCode> {
        Some(match code {
            0 => ErrorCode::CorruptData,
            1 => ErrorCode::InternalError,
            2 => ErrorCode::NoDataAvailable,
            3 => ErrorCode::InvalidRequest,
            4 => ErrorCode::UnsupportedProtocolVersion,
            5 => ErrorCode::UnsupportedPduType,
            6 => ErrorCode::WithdrawalOfUnknownRecord,
            7 => ErrorCode::DuplicateAnnouncement,
            8 => ErrorCode::UnexpectedProtocolVersion,
            9 => ErrorCode::AspaProviderListError,
            _ => return None,
        })
    }

    /// The code on the wire.
    pub const fn get(self) -> u16 {
        self as u16
    }

    /// The name the RFC gives it.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::CorruptData => "Corrupt Data",
            ErrorCode::InternalError => "Internal Error",
            ErrorCode::NoDataAvailable => "No Data Available",
            ErrorCode::InvalidRequest => "Invalid Request",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported Protocol Version",
            ErrorCode::UnsupportedPduType => "Unsupported PDU Type",
            ErrorCode::WithdrawalOfUnknownRecord => "Withdrawal of Unknown Record",
            ErrorCode::DuplicateAnnouncement => "Duplicate Announcement Received",
            ErrorCode::UnexpectedProtocolVersion => "Unexpected Protocol Version",
            ErrorCode::AspaProviderListError => "ASPA Provider List Error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.get())
    }
}

/// Why bytes are not a valid PDU: the error code to send back in an Error Report and a fixed
/// reason for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason} [{code}]")]
pub struct PduError {
    pub code: ErrorCode,
    pub reason: &'static str,
}

const fn corrupt(reason: &'static str) -> PduError {
    PduError {
        code: ErrorCode::CorruptData,
        reason,
    }
}

const fn unsupported_type(reason: &'static str) -> PduError {
    PduError {
        code: ErrorCode::UnsupportedPduType,
        reason,
    }
}

const fn provider_list(reason: &'static str) -> PduError {
    PduError {
        code: ErrorCode::AspaProviderListError,
        reason,
    }
}

/// The timing parameters of a version 1/2 End of Data PDU, in seconds (RFC 8210 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Intervals {
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
}

impl Default for Intervals {
    /// The defaults RFC 8210 section 6 recommends: refresh 3600, retry 600, expire 7200.
    fn default() -> Self {
        Intervals {
            refresh: 3600,
            retry: 600,
            expire: 7200,
        }
    }
}

/// One RTR PDU of any version. Every variant carries the protocol version of its header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pdu {
    /// Type 0, cache → router: new data is available.
    SerialNotify {
        version: Version,
        session_id: u16,
        serial: u32,
    },
    /// Type 1, router → cache: the changes since `serial`.
    SerialQuery {
        version: Version,
        session_id: u16,
        serial: u32,
    },
    /// Type 2, router → cache: the complete data set.
    ResetQuery { version: Version },
    /// Type 3, cache → router: payload PDUs follow.
    CacheResponse { version: Version, session_id: u16 },
    /// Type 4: one IPv4 VRP announced (`announce`) or withdrawn.
    Ipv4Prefix {
        version: Version,
        announce: bool,
        prefix_len: u8,
        max_len: u8,
        addr: Ipv4Addr,
        asn: Asn,
    },
    /// Type 6: one IPv6 VRP announced (`announce`) or withdrawn.
    Ipv6Prefix {
        version: Version,
        announce: bool,
        prefix_len: u8,
        max_len: u8,
        addr: Ipv6Addr,
        asn: Asn,
    },
    /// Type 7, cache → router: the data of `serial` is complete. `intervals` is `None` for
    /// version 0, whose End of Data has no timing; [`Pdu::encode`] writes it for versions 1
    /// and 2 (the RFC 8210 defaults when `None`) and never for version 0.
    EndOfData {
        version: Version,
        session_id: u16,
        serial: u32,
        intervals: Option<Intervals>,
    },
    /// Type 8, cache → router: no incremental update possible, send a Reset Query.
    CacheReset { version: Version },
    /// Type 9 (version 1 and later): a BGPsec router key. The SubjectPublicKeyInfo is kept as
    /// the DER bytes received.
    RouterKey {
        version: Version,
        announce: bool,
        ski: [u8; SKI_LEN],
        asn: Asn,
        spki: Vec<u8>,
    },
    /// Type 10: an error. `code` is the raw field (see [`ErrorCode::from_u16`]), `pdu` the
    /// erroneous PDU as sent (possibly empty or truncated), `text` a diagnostic (UTF-8).
    ErrorReport {
        version: Version,
        code: u16,
        pdu: Vec<u8>,
        text: String,
    },
    /// Type 11 (version 2 only): the providers of `customer` (announcement) or the removal of
    /// its ASPA (withdrawal, no providers). See the module header for the revision.
    Aspa {
        version: Version,
        announce: bool,
        customer: Asn,
        providers: Vec<Asn>,
    },
}

/// Expected length of a PDU type, from its header.
enum Size {
    Exact(u32),
    AtLeast(u32),
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A length for the header; a PDU too large for a `u32` cannot be sent, and saturating keeps
/// `encode` panic-free (the receiver then rejects the length).
fn wire_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn flag(flags: u8) -> Result<bool, PduError> {
    if flags & !1 != 0 {
        return Err(corrupt("reserved flag bits set"));
    }
    Ok(flags == 1)
}

fn check_lengths(afi: Afi, prefix_len: u8, max_len: u8) -> Result<(), PduError> {
    let width = afi.max_len();
    if prefix_len > width {
        return Err(corrupt(match afi {
            Afi::Ipv4 => "IPv4 prefix length above 32",
            Afi::Ipv6 => "IPv6 prefix length above 128",
        }));
    }
    if max_len > width {
        return Err(corrupt(match afi {
            Afi::Ipv4 => "IPv4 max length above 32",
            Afi::Ipv6 => "IPv6 max length above 128",
        }));
    }
    if max_len < prefix_len {
        return Err(corrupt("max length below prefix length"));
    }
    Ok(())
}

impl Pdu {
    /// The protocol version in the header.
    pub fn version(&self) -> Version {
        match self {
            Pdu::SerialNotify { version, .. }
            | Pdu::SerialQuery { version, .. }
            | Pdu::ResetQuery { version }
            | Pdu::CacheResponse { version, .. }
            | Pdu::Ipv4Prefix { version, .. }
            | Pdu::Ipv6Prefix { version, .. }
            | Pdu::EndOfData { version, .. }
            | Pdu::CacheReset { version }
            | Pdu::RouterKey { version, .. }
            | Pdu::ErrorReport { version, .. }
            | Pdu::Aspa { version, .. } => *version,
        }
    }

    /// The PDU type code.
    pub fn pdu_type(&self) -> u8 {
        match self {
            Pdu::SerialNotify { .. } => TYPE_SERIAL_NOTIFY,
            Pdu::SerialQuery { .. } => TYPE_SERIAL_QUERY,
            Pdu::ResetQuery { .. } => TYPE_RESET_QUERY,
            Pdu::CacheResponse { .. } => TYPE_CACHE_RESPONSE,
            Pdu::Ipv4Prefix { .. } => TYPE_IPV4_PREFIX,
            Pdu::Ipv6Prefix { .. } => TYPE_IPV6_PREFIX,
            Pdu::EndOfData { .. } => TYPE_END_OF_DATA,
            Pdu::CacheReset { .. } => TYPE_CACHE_RESET,
            Pdu::RouterKey { .. } => TYPE_ROUTER_KEY,
            Pdu::ErrorReport { .. } => TYPE_ERROR_REPORT,
            Pdu::Aspa { .. } => TYPE_ASPA,
        }
    }

    /// The session id, for the PDUs whose header carries one.
    pub fn session_id(&self) -> Option<u16> {
        match self {
            Pdu::SerialNotify { session_id, .. }
            | Pdu::SerialQuery { session_id, .. }
            | Pdu::CacheResponse { session_id, .. }
            | Pdu::EndOfData { session_id, .. } => Some(*session_id),
            _ => None,
        }
    }

    /// The number of bytes [`Pdu::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Pdu::SerialNotify { .. } | Pdu::SerialQuery { .. } => 12,
            Pdu::ResetQuery { .. } | Pdu::CacheResponse { .. } | Pdu::CacheReset { .. } => 8,
            Pdu::Ipv4Prefix { .. } => 20,
            Pdu::Ipv6Prefix { .. } => 32,
            Pdu::EndOfData { version, .. } => {
                if *version == Version::V0 {
                    12
                } else {
                    24
                }
            }
            Pdu::RouterKey { spki, .. } => ROUTER_KEY_FIXED + spki.len(),
            Pdu::ErrorReport { pdu, text, .. } => ERROR_REPORT_FIXED + pdu.len() + text.len(),
            Pdu::Aspa { providers, .. } => ASPA_FIXED + 4 * providers.len(),
        }
    }

    /// Appends the exact wire format to `out`.
    ///
    /// Writes what it is given: a PDU the decoder would reject (an ASPA PDU of version 1, a
    /// prefix length of 40, unsorted ASPA providers) is written as it stands, so tests can
    /// produce bad input. Variable-length PDUs over [`DEFAULT_MAX_PDU_LEN`] are written too;
    /// the limit is the receiver's.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = wire_len(self.encoded_len());
        let ty = self.pdu_type();
        let v = self.version().get();
        out.reserve(self.encoded_len());
        let header = |out: &mut Vec<u8>, field: [u8; 2]| {
            out.extend_from_slice(&[v, ty, field[0], field[1]]);
            out.extend_from_slice(&len.to_be_bytes());
        };
        match self {
            Pdu::SerialNotify {
                session_id, serial, ..
            }
            | Pdu::SerialQuery {
                session_id, serial, ..
            } => {
                header(out, session_id.to_be_bytes());
                out.extend_from_slice(&serial.to_be_bytes());
            }
            Pdu::ResetQuery { .. } | Pdu::CacheReset { .. } => header(out, [0, 0]),
            Pdu::CacheResponse { session_id, .. } => header(out, session_id.to_be_bytes()),
            Pdu::Ipv4Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => {
                header(out, [0, 0]);
                out.extend_from_slice(&[u8::from(*announce), *prefix_len, *max_len, 0]);
                out.extend_from_slice(&addr.octets());
                out.extend_from_slice(&asn.get().to_be_bytes());
            }
            Pdu::Ipv6Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => {
                header(out, [0, 0]);
                out.extend_from_slice(&[u8::from(*announce), *prefix_len, *max_len, 0]);
                out.extend_from_slice(&addr.octets());
                out.extend_from_slice(&asn.get().to_be_bytes());
            }
            Pdu::EndOfData {
                version,
                session_id,
                serial,
                intervals,
            } => {
                header(out, session_id.to_be_bytes());
                out.extend_from_slice(&serial.to_be_bytes());
                if *version != Version::V0 {
                    let i = intervals.unwrap_or_default();
                    out.extend_from_slice(&i.refresh.to_be_bytes());
                    out.extend_from_slice(&i.retry.to_be_bytes());
                    out.extend_from_slice(&i.expire.to_be_bytes());
                }
            }
            Pdu::RouterKey {
                announce,
                ski,
                asn,
                spki,
                ..
            } => {
                header(out, [u8::from(*announce), 0]);
                out.extend_from_slice(ski);
                out.extend_from_slice(&asn.get().to_be_bytes());
                out.extend_from_slice(spki);
            }
            Pdu::ErrorReport {
                code, pdu, text, ..
            } => {
                header(out, code.to_be_bytes());
                out.extend_from_slice(&wire_len(pdu.len()).to_be_bytes());
                out.extend_from_slice(pdu);
                out.extend_from_slice(&wire_len(text.len()).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
            Pdu::Aspa {
                announce,
                customer,
                providers,
                ..
            } => {
                header(out, [u8::from(*announce), 0]);
                out.extend_from_slice(&customer.get().to_be_bytes());
                for p in providers {
                    out.extend_from_slice(&p.get().to_be_bytes());
                }
            }
        }
    }

    /// The wire format as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Decodes the PDU at the start of `buf`, with the [`DEFAULT_MAX_PDU_LEN`] limit.
    ///
    /// `Ok(None)`: `buf` holds an incomplete header, or a valid header whose PDU has not fully
    /// arrived; read more and call again with the bytes appended. `Ok(Some((pdu, n)))`: the
    /// first `n` bytes (`n <= buf.len()`) were one PDU. `Err`: the bytes are not a valid PDU;
    /// header errors (version, type, length) are found as soon as the 8 header bytes are
    /// there. Never panics.
    pub fn decode(buf: &[u8]) -> Result<Option<(Pdu, usize)>, PduError> {
        Pdu::decode_with_limit(buf, DEFAULT_MAX_PDU_LEN)
    }

    /// [`Pdu::decode`] with another limit on the length of Router Key, Error Report and ASPA
    /// PDUs (fixed-size PDUs always need exactly their size).
    pub fn decode_with_limit(
        buf: &[u8],
        max_pdu_len: u32,
    ) -> Result<Option<(Pdu, usize)>, PduError> {
        if buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let version = Version::from_u8(buf[0]).ok_or(PduError {
            code: ErrorCode::UnsupportedProtocolVersion,
            reason: "unknown protocol version",
        })?;
        let ty = buf[1];
        let len = be32(buf, 4);
        let size = match ty {
            TYPE_SERIAL_NOTIFY | TYPE_SERIAL_QUERY => Size::Exact(12),
            TYPE_RESET_QUERY | TYPE_CACHE_RESPONSE | TYPE_CACHE_RESET => Size::Exact(8),
            TYPE_IPV4_PREFIX => Size::Exact(20),
            TYPE_IPV6_PREFIX => Size::Exact(32),
            TYPE_END_OF_DATA if version == Version::V0 => Size::Exact(12),
            TYPE_END_OF_DATA => Size::Exact(24),
            TYPE_ROUTER_KEY if version == Version::V0 => {
                return Err(unsupported_type("Router Key PDU in protocol version 0"))
            }
            TYPE_ROUTER_KEY => Size::AtLeast(ROUTER_KEY_FIXED as u32),
            TYPE_ERROR_REPORT => Size::AtLeast(ERROR_REPORT_FIXED as u32),
            TYPE_ASPA if version < Version::V2 => {
                return Err(unsupported_type("ASPA PDU before protocol version 2"))
            }
            TYPE_ASPA => Size::AtLeast(ASPA_FIXED as u32),
            _ => return Err(unsupported_type("unknown PDU type")),
        };
        match size {
            Size::Exact(n) if len < n => {
                return Err(corrupt("length field too small for the PDU type"))
            }
            Size::Exact(n) if len > n => {
                return Err(corrupt("length field too large for the PDU type"))
            }
            Size::AtLeast(n) if len < n => {
                return Err(corrupt("length field too small for the PDU type"))
            }
            Size::AtLeast(_) if len > max_pdu_len => {
                return Err(corrupt("length field above the maximum PDU length"))
            }
            _ => {}
        }
        // At most max(32, max_pdu_len) here, so it fits a usize on every platform we build.
        let len = len as usize;
        if buf.len() < len {
            return Ok(None);
        }
        let pdu = &buf[..len];
        let field = be16(pdu, 2);
        let decoded = match ty {
            TYPE_SERIAL_NOTIFY => Pdu::SerialNotify {
                version,
                session_id: field,
                serial: be32(pdu, 8),
            },
            TYPE_SERIAL_QUERY => Pdu::SerialQuery {
                version,
                session_id: field,
                serial: be32(pdu, 8),
            },
            TYPE_RESET_QUERY => Pdu::ResetQuery { version },
            TYPE_CACHE_RESPONSE => Pdu::CacheResponse {
                version,
                session_id: field,
            },
            TYPE_CACHE_RESET => Pdu::CacheReset { version },
            TYPE_IPV4_PREFIX => {
                let announce = flag(pdu[8])?;
                let (prefix_len, max_len) = (pdu[9], pdu[10]);
                check_lengths(Afi::Ipv4, prefix_len, max_len)?;
                Pdu::Ipv4Prefix {
                    version,
                    announce,
                    prefix_len,
                    max_len,
                    addr: Ipv4Addr::from(be32(pdu, 12)),
                    asn: Asn(be32(pdu, 16)),
                }
            }
            TYPE_IPV6_PREFIX => {
                let announce = flag(pdu[8])?;
                let (prefix_len, max_len) = (pdu[9], pdu[10]);
                check_lengths(Afi::Ipv6, prefix_len, max_len)?;
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&pdu[12..28]);
                Pdu::Ipv6Prefix {
                    version,
                    announce,
                    prefix_len,
                    max_len,
                    addr: Ipv6Addr::from(octets),
                    asn: Asn(be32(pdu, 28)),
                }
            }
            TYPE_END_OF_DATA => Pdu::EndOfData {
                version,
                session_id: field,
                serial: be32(pdu, 8),
                intervals: (version != Version::V0).then(|| Intervals {
                    refresh: be32(pdu, 12),
                    retry: be32(pdu, 16),
                    expire: be32(pdu, 20),
                }),
            },
            TYPE_ROUTER_KEY => {
                let announce = flag(pdu[2])?;
                let mut ski = [0u8; SKI_LEN];
                ski.copy_from_slice(&pdu[HEADER_LEN..HEADER_LEN + SKI_LEN]);
                Pdu::RouterKey {
                    version,
                    announce,
                    ski,
                    asn: Asn(be32(pdu, HEADER_LEN + SKI_LEN)),
                    spki: pdu[ROUTER_KEY_FIXED..].to_vec(),
                }
            }
            TYPE_ERROR_REPORT => {
                let body = &pdu[HEADER_LEN..];
                // body = enc_len(4) enc text_len(4) text, so enc_len <= body.len() - 8.
                let enc_len = be32(body, 0) as usize;
                if enc_len > body.len() - 8 {
                    return Err(corrupt("encapsulated PDU length exceeds the PDU length"));
                }
                let encapsulated = &body[4..4 + enc_len];
                let rest = &body[4 + enc_len..];
                let text_len = be32(rest, 0) as usize;
                if text_len != rest.len() - 4 {
                    return Err(corrupt("error text length disagrees with the PDU length"));
                }
                let text = std::str::from_utf8(&rest[4..])
                    .map_err(|_| corrupt("error text is not UTF-8"))?;
                Pdu::ErrorReport {
                    version,
                    code: field,
                    pdu: encapsulated.to_vec(),
                    text: text.to_string(),
                }
            }
            TYPE_ASPA => {
                let announce = flag(pdu[2])?;
                let list = &pdu[ASPA_FIXED..];
                if list.len() % 4 != 0 {
                    return Err(corrupt("ASPA provider list not a multiple of 4 bytes"));
                }
                let providers: Vec<Asn> = list
                    .chunks_exact(4)
                    .map(|c| Asn(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .collect();
                if announce {
                    if providers.is_empty() {
                        return Err(provider_list("ASPA announcement without providers"));
                    }
                    if providers.windows(2).any(|w| w[0] >= w[1]) {
                        return Err(provider_list(
                            "ASPA providers not in strictly increasing order",
                        ));
                    }
                    if providers.len() > 1 && providers[0] == Asn(0) {
                        return Err(provider_list("AS0 among several ASPA providers"));
                    }
                } else if !providers.is_empty() {
                    return Err(provider_list("ASPA withdrawal with providers"));
                }
                Pdu::Aspa {
                    version,
                    announce,
                    customer: Asn(be32(pdu, HEADER_LEN)),
                    providers,
                }
            }
            // Every other type returned an error above.
            _ => return Err(unsupported_type("unknown PDU type")),
        };
        Ok(Some((decoded, len)))
    }

    /// The IPv4 or IPv6 Prefix PDU announcing (`announce`) or withdrawing `vrp`. Prefix PDUs
    /// exist in every version. The trust anchor is not sent.
    pub fn from_vrp(version: Version, announce: bool, vrp: &Vrp) -> Pdu {
        let prefix_len = vrp.prefix.len();
        match vrp.prefix.addr() {
            IpAddr::V4(addr) => Pdu::Ipv4Prefix {
                version,
                announce,
                prefix_len,
                max_len: vrp.max_len,
                addr,
                asn: vrp.asn,
            },
            IpAddr::V6(addr) => Pdu::Ipv6Prefix {
                version,
                announce,
                prefix_len,
                max_len: vrp.max_len,
                addr,
                asn: vrp.asn,
            },
        }
    }

    /// For an IPv4/IPv6 Prefix PDU: the VRP (bits beyond the prefix length cleared, no trust
    /// anchor) and whether it is announced (`true`) or withdrawn. `None` for other PDUs and
    /// for a hand-built PDU whose prefix length exceeds the address size.
    pub fn to_vrp(&self) -> Option<(Vrp, bool)> {
        let (addr, prefix_len, max_len, asn, announce) = match self {
            Pdu::Ipv4Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => (IpAddr::V4(*addr), *prefix_len, *max_len, *asn, *announce),
            Pdu::Ipv6Prefix {
                announce,
                prefix_len,
                max_len,
                addr,
                asn,
                ..
            } => (IpAddr::V6(*addr), *prefix_len, *max_len, *asn, *announce),
            _ => return None,
        };
        let prefix = Prefix::new_truncating(addr, prefix_len).ok()?;
        Some((
            Vrp {
                prefix,
                max_len,
                asn,
                ta: None,
            },
            announce,
        ))
    }

    /// The version 2 ASPA PDU announcing (`announce`) or withdrawing `aspa`. An announcement
    /// lists the providers sorted and without duplicates (AS0 dropped when other providers
    /// exist; an empty set is sent as AS0, "no providers"); a withdrawal lists none. Family
    /// limits of early-profile ASPAs (`afi_limits`) cannot be expressed and are not sent.
    pub fn from_aspa(announce: bool, aspa: &Aspa) -> Pdu {
        let providers = if announce {
            let mut p = aspa.providers.clone();
            p.sort_unstable();
            p.dedup();
            if p.len() > 1 && p[0] == Asn(0) {
                p.remove(0);
            }
            if p.is_empty() {
                p.push(Asn(0));
            }
            p
        } else {
            Vec::new()
        };
        Pdu::Aspa {
            version: Version::V2,
            announce,
            customer: aspa.customer,
            providers,
        }
    }

    /// For an ASPA PDU: the ASPA (a withdrawal gives one without providers) and whether it is
    /// announced (`true`) or withdrawn. `None` for other PDUs.
    pub fn to_aspa(&self) -> Option<(Aspa, bool)> {
        match self {
            Pdu::Aspa {
                announce,
                customer,
                providers,
                ..
            } => Some((Aspa::new(*customer, providers.clone()), *announce)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Version; 3] = [Version::V0, Version::V1, Version::V2];

    fn v4(version: Version, announce: bool, addr: [u8; 4], len: u8, max: u8, asn: u32) -> Pdu {
        Pdu::Ipv4Prefix {
            version,
            announce,
            prefix_len: len,
            max_len: max,
            addr: Ipv4Addr::from(addr),
            asn: Asn(asn),
        }
    }

    fn v6(version: Version, announce: bool, addr: &str, len: u8, max: u8, asn: u32) -> Pdu {
        Pdu::Ipv6Prefix {
            version,
            announce,
            prefix_len: len,
            max_len: max,
            addr: addr.parse().unwrap(),
            asn: Asn(asn),
        }
    }

    /// One or more samples of every PDU type in every version where it exists.
    fn samples() -> Vec<Pdu> {
        let mut all = Vec::new();
        for version in ALL {
            all.push(Pdu::SerialNotify {
                version,
                session_id: 0xBEEF,
                serial: 0xDEAD_0001,
            });
            all.push(Pdu::SerialQuery {
                version,
                session_id: 7,
                serial: u32::MAX,
            });
            all.push(Pdu::ResetQuery { version });
            all.push(Pdu::CacheResponse {
                version,
                session_id: 0,
            });
            all.push(v4(version, true, [192, 0, 2, 0], 24, 24, 64496));
            all.push(v4(version, false, [0, 0, 0, 0], 0, 32, 0));
            all.push(v6(version, true, "2001:db8::", 32, 48, 65551));
            all.push(v6(version, false, "::", 0, 128, u32::MAX));
            all.push(Pdu::EndOfData {
                version,
                session_id: 0x1234,
                serial: 7,
                intervals: (version != Version::V0).then_some(Intervals {
                    refresh: 1,
                    retry: 2,
                    expire: u32::MAX,
                }),
            });
            all.push(Pdu::CacheReset { version });
            all.push(Pdu::ErrorReport {
                version,
                code: 3,
                pdu: vec![version.get(), 2, 0, 0, 0, 0, 0, 8],
                text: "bad — query".to_string(),
            });
            all.push(Pdu::ErrorReport {
                version,
                code: 2,
                pdu: Vec::new(),
                text: String::new(),
            });
            if version >= Version::V1 {
                all.push(Pdu::RouterKey {
                    version,
                    announce: true,
                    ski: [0xAB; SKI_LEN],
                    asn: Asn(64496),
                    spki: vec![0x30, 0x59, 0x30, 0x13, 1, 2, 3],
                });
                all.push(Pdu::RouterKey {
                    version,
                    announce: false,
                    ski: [1; SKI_LEN],
                    asn: Asn(0),
                    spki: Vec::new(),
                });
            }
            if version == Version::V2 {
                all.push(Pdu::Aspa {
                    version,
                    announce: true,
                    customer: Asn(64496),
                    providers: vec![Asn(64497), Asn(64498)],
                });
                all.push(Pdu::Aspa {
                    version,
                    announce: true,
                    customer: Asn(64500),
                    providers: vec![Asn(0)],
                });
                all.push(Pdu::Aspa {
                    version,
                    announce: false,
                    customer: Asn(64496),
                    providers: vec![],
                });
            }
        }
        all
    }

    fn decode_all(bytes: &[u8]) -> (Pdu, usize) {
        Pdu::decode(bytes)
            .unwrap_or_else(|e| panic!("{e} on {bytes:?}"))
            .unwrap_or_else(|| panic!("incomplete: {bytes:?}"))
    }

    fn err(bytes: &[u8]) -> PduError {
        match Pdu::decode(bytes) {
            Err(e) => e,
            Ok(r) => panic!("expected an error for {bytes:?}, got {r:?}"),
        }
    }

    #[test]
    fn round_trip_every_type_every_version() {
        let samples = samples();
        let mut types = std::collections::BTreeSet::new();
        for pdu in &samples {
            let bytes = pdu.to_bytes();
            assert_eq!(bytes.len(), pdu.encoded_len(), "{pdu:?}");
            assert_eq!(be32(&bytes, 4) as usize, bytes.len(), "{pdu:?}");
            assert_eq!(bytes[0], pdu.version().get());
            assert_eq!(bytes[1], pdu.pdu_type());
            let (back, n) = decode_all(&bytes);
            assert_eq!(n, bytes.len());
            assert_eq!(&back, pdu);
            types.insert((pdu.version().get(), pdu.pdu_type()));
        }
        // 9 types in v0, 10 in v1, 11 in v2.
        assert_eq!(types.len(), 9 + 10 + 11);
    }

    #[test]
    fn stream_of_pdus_decodes_one_at_a_time() {
        let samples = samples();
        let mut stream = Vec::new();
        for pdu in &samples {
            pdu.encode(&mut stream);
        }
        let mut at = 0;
        let mut got = Vec::new();
        while let Some((pdu, n)) = Pdu::decode(&stream[at..]).unwrap() {
            got.push(pdu);
            at += n;
        }
        assert_eq!(at, stream.len());
        assert_eq!(got, samples);
    }

    #[test]
    fn incomplete_input_at_every_cut_point() {
        for pdu in samples() {
            let bytes = pdu.to_bytes();
            for cut in 0..bytes.len() {
                assert_eq!(Pdu::decode(&bytes[..cut]), Ok(None), "{pdu:?} cut at {cut}");
            }
            // Trailing bytes of the next PDU are not consumed.
            let mut more = bytes.clone();
            more.extend_from_slice(&[2, 2, 0, 0, 0, 0]);
            assert_eq!(decode_all(&more), (pdu, bytes.len()));
        }
    }

    #[test]
    fn reset_query_bytes() {
        let bytes = [1, 2, 0, 0, 0, 0, 0, 8];
        let pdu = Pdu::ResetQuery {
            version: Version::V1,
        };
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(pdu.session_id(), None);
        assert_eq!(decode_all(&bytes), (pdu, 8));
    }

    #[test]
    fn serial_query_and_notify_and_cache_response_bytes() {
        let pdu = Pdu::SerialQuery {
            version: Version::V0,
            session_id: 0x0102,
            serial: 0x0A0B_0C0D,
        };
        let bytes = [0, 1, 1, 2, 0, 0, 0, 12, 10, 11, 12, 13];
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes).0, pdu);
        assert_eq!(pdu.session_id(), Some(0x0102));
        let notify = Pdu::SerialNotify {
            version: Version::V2,
            session_id: 0xFFFF,
            serial: 1,
        };
        assert_eq!(
            notify.to_bytes(),
            [2, 0, 0xFF, 0xFF, 0, 0, 0, 12, 0, 0, 0, 1]
        );
        let response = Pdu::CacheResponse {
            version: Version::V1,
            session_id: 0x4242,
        };
        assert_eq!(response.to_bytes(), [1, 3, 0x42, 0x42, 0, 0, 0, 8]);
        let reset = Pdu::CacheReset {
            version: Version::V0,
        };
        assert_eq!(reset.to_bytes(), [0, 8, 0, 0, 0, 0, 0, 8]);
    }

    #[test]
    fn ipv4_prefix_bytes() {
        // 192.0.2.0/24-24 AS64496 (0xFBF0), announced, version 1.
        let bytes = [
            1, 4, 0, 0, 0, 0, 0, 20, 1, 24, 24, 0, 192, 0, 2, 0, 0, 0, 0xFB, 0xF0,
        ];
        let pdu = v4(Version::V1, true, [192, 0, 2, 0], 24, 24, 64496);
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 20));
    }

    #[test]
    fn ipv6_prefix_bytes() {
        // 2001:db8::/32-48 AS65551 (0x0001000F), withdrawn, version 0.
        let bytes = [
            0, 6, 0, 0, 0, 0, 0, 32, 0, 32, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 1, 0, 0x0F,
        ];
        let pdu = v6(Version::V0, false, "2001:db8::", 32, 48, 65551);
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 32));
    }

    #[test]
    fn end_of_data_v0_bytes() {
        let bytes = [0, 7, 0x12, 0x34, 0, 0, 0, 12, 0, 0, 0, 7];
        let pdu = Pdu::EndOfData {
            version: Version::V0,
            session_id: 0x1234,
            serial: 7,
            intervals: None,
        };
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 12));
        // Version 0 never writes intervals, even when given some.
        let with = Pdu::EndOfData {
            version: Version::V0,
            session_id: 0x1234,
            serial: 7,
            intervals: Some(Intervals::default()),
        };
        assert_eq!(with.to_bytes(), bytes);
    }

    #[test]
    fn end_of_data_v1_bytes() {
        // Refresh 3600 (0x0E10), retry 600 (0x0258), expire 7200 (0x1C20).
        let bytes = [
            1, 7, 0x12, 0x34, 0, 0, 0, 24, 0, 0, 0, 7, 0, 0, 0x0E, 0x10, 0, 0, 0x02, 0x58, 0, 0,
            0x1C, 0x20,
        ];
        let pdu = Pdu::EndOfData {
            version: Version::V1,
            session_id: 0x1234,
            serial: 7,
            intervals: Some(Intervals::default()),
        };
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 24));
        // Without intervals, version 1 writes the RFC 8210 defaults.
        let without = Pdu::EndOfData {
            version: Version::V1,
            session_id: 0x1234,
            serial: 7,
            intervals: None,
        };
        assert_eq!(without.to_bytes(), bytes);
        // A v2 End of Data has the v1 layout.
        let mut v2 = bytes;
        v2[0] = 2;
        assert!(matches!(
            decode_all(&v2).0,
            Pdu::EndOfData {
                version: Version::V2,
                intervals: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn error_report_bytes() {
        // Invalid Request (3) about a v1 Reset Query, text "bad".
        let bytes = [
            1, 10, 0, 3, 0, 0, 0, 27, 0, 0, 0, 8, 1, 2, 0, 0, 0, 0, 0, 8, 0, 0, 0, 3, b'b', b'a',
            b'd',
        ];
        let pdu = Pdu::ErrorReport {
            version: Version::V1,
            code: ErrorCode::InvalidRequest.get(),
            pdu: vec![1, 2, 0, 0, 0, 0, 0, 8],
            text: "bad".to_string(),
        };
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 27));
        // Unknown codes are kept as they are.
        let mut other = bytes;
        other[3] = 77;
        assert!(matches!(
            decode_all(&other).0,
            Pdu::ErrorReport { code: 77, .. }
        ));
        assert_eq!(ErrorCode::from_u16(77), None);
    }

    #[test]
    fn router_key_bytes() {
        let pdu = Pdu::RouterKey {
            version: Version::V1,
            announce: true,
            ski: [0x11; SKI_LEN],
            asn: Asn(64496),
            spki: vec![0xAA, 0xBB],
        };
        let mut bytes = vec![1, 9, 1, 0, 0, 0, 0, 34];
        bytes.extend_from_slice(&[0x11; SKI_LEN]);
        bytes.extend_from_slice(&[0, 0, 0xFB, 0xF0, 0xAA, 0xBB]);
        assert_eq!(pdu.to_bytes(), bytes);
        assert_eq!(decode_all(&bytes), (pdu, 34));
    }

    #[test]
    fn aspa_bytes() {
        let announce = [
            2, 11, 1, 0, 0, 0, 0, 20, 0, 0, 0xFB, 0xF0, 0, 0, 0xFB, 0xF1, 0, 0, 0xFB, 0xF2,
        ];
        let pdu = Pdu::Aspa {
            version: Version::V2,
            announce: true,
            customer: Asn(64496),
            providers: vec![Asn(64497), Asn(64498)],
        };
        assert_eq!(pdu.to_bytes(), announce);
        assert_eq!(decode_all(&announce), (pdu, 20));
        let withdraw = [2, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0xFB, 0xF0];
        let pdu = Pdu::Aspa {
            version: Version::V2,
            announce: false,
            customer: Asn(64496),
            providers: vec![],
        };
        assert_eq!(pdu.to_bytes(), withdraw);
        assert_eq!(decode_all(&withdraw), (pdu, 12));
    }

    #[test]
    fn vrp_helpers() {
        for (text, max) in [
            ("192.0.2.0/24", 26),
            ("2001:db8::/32", 48),
            ("0.0.0.0/0", 0),
        ] {
            let vrp = Vrp::new(text.parse().unwrap(), max, Asn(64496)).unwrap();
            for version in ALL {
                for announce in [true, false] {
                    let pdu = Pdu::from_vrp(version, announce, &vrp);
                    assert_eq!(pdu.version(), version);
                    let (back, n) = decode_all(&pdu.to_bytes());
                    assert_eq!(n, pdu.encoded_len());
                    assert_eq!(back.to_vrp(), Some((vrp.clone(), announce)));
                }
            }
        }
        // Host bits sent by a peer are kept in the PDU and cleared in the VRP.
        let pdu = v4(Version::V1, true, [10, 1, 2, 3], 8, 24, 1);
        let (vrp, _) = pdu.to_vrp().unwrap();
        assert_eq!(vrp.prefix, "10.0.0.0/8".parse().unwrap());
        assert_eq!(
            Pdu::ResetQuery {
                version: Version::V0
            }
            .to_vrp(),
            None
        );
    }

    #[test]
    fn aspa_helpers() {
        let aspa = Aspa::new(Asn(64496), vec![Asn(3), Asn(1), Asn(2), Asn(1)]);
        let pdu = Pdu::from_aspa(true, &aspa);
        let (back, _) = decode_all(&pdu.to_bytes());
        assert_eq!(back.to_aspa(), Some((aspa.clone(), true)));
        let withdraw = Pdu::from_aspa(false, &aspa);
        assert_eq!(withdraw.encoded_len(), 12);
        let (back, _) = decode_all(&withdraw.to_bytes());
        assert_eq!(back.to_aspa(), Some((Aspa::new(Asn(64496), vec![]), false)));
        // No providers is sent as AS0; AS0 beside real providers is dropped.
        let none = Pdu::from_aspa(true, &Aspa::new(Asn(5), vec![]));
        assert!(matches!(&none, Pdu::Aspa { providers, .. } if providers == &[Asn(0)]));
        let mixed = Pdu::from_aspa(true, &Aspa::new(Asn(5), vec![Asn(0), Asn(9)]));
        assert!(matches!(&mixed, Pdu::Aspa { providers, .. } if providers == &[Asn(9)]));
        assert!(Pdu::decode(&none.to_bytes()).is_ok());
        assert!(Pdu::decode(&mixed.to_bytes()).is_ok());
        assert_eq!(
            Pdu::CacheReset {
                version: Version::V2
            }
            .to_aspa(),
            None
        );
    }

    #[test]
    fn unknown_version() {
        for v in [3u8, 4, 0x80, 0xFF] {
            let e = err(&[v, 2, 0, 0, 0, 0, 0, 8]);
            assert_eq!(e.code, ErrorCode::UnsupportedProtocolVersion);
            assert_eq!(e.reason, "unknown protocol version");
        }
    }

    #[test]
    fn unknown_type() {
        for ty in [5u8, 12, 13, 0x80, 0xFF] {
            for v in 0..=2 {
                let e = err(&[v, ty, 0, 0, 0, 0, 0, 8]);
                assert_eq!(e.code, ErrorCode::UnsupportedPduType, "type {ty}");
                assert_eq!(e.reason, "unknown PDU type");
            }
        }
    }

    #[test]
    fn type_not_in_version() {
        let key = Pdu::RouterKey {
            version: Version::V0,
            announce: true,
            ski: [0; SKI_LEN],
            asn: Asn(1),
            spki: vec![1],
        };
        let e = err(&key.to_bytes());
        assert_eq!(e.code, ErrorCode::UnsupportedPduType);
        assert_eq!(e.reason, "Router Key PDU in protocol version 0");
        for version in [Version::V0, Version::V1] {
            let aspa = Pdu::Aspa {
                version,
                announce: true,
                customer: Asn(1),
                providers: vec![Asn(2)],
            };
            let e = err(&aspa.to_bytes());
            assert_eq!(e.code, ErrorCode::UnsupportedPduType);
            assert_eq!(e.reason, "ASPA PDU before protocol version 2");
            // Found from the header alone.
            assert_eq!(err(&aspa.to_bytes()[..8]), e);
        }
    }

    fn with_len(header: [u8; 2], len: u32) -> Vec<u8> {
        let mut b = vec![header[0], header[1], 0, 0];
        b.extend_from_slice(&len.to_be_bytes());
        b
    }

    #[test]
    fn fixed_size_pdus_need_exactly_their_size() {
        let fixed: [(u8, u8, u32); 12] = [
            (0, 0, 12),
            (1, 1, 12),
            (0, 2, 8),
            (2, 3, 8),
            (1, 4, 20),
            (2, 6, 32),
            (0, 7, 12),
            (1, 7, 24),
            (2, 7, 24),
            (0, 8, 8),
            (1, 8, 8),
            (2, 1, 12),
        ];
        for (v, ty, size) in fixed {
            for len in [0, 1, 7, size - 1] {
                let e = err(&with_len([v, ty], len));
                assert_eq!(
                    e,
                    corrupt("length field too small for the PDU type"),
                    "{v}/{ty}"
                );
            }
            for len in [size + 1, size + 4, 1 << 20, u32::MAX] {
                // The error comes from the header alone, before any body arrives.
                let e = err(&with_len([v, ty], len));
                assert_eq!(
                    e,
                    corrupt("length field too large for the PDU type"),
                    "{v}/{ty}"
                );
            }
        }
        // A v1 End of Data sent with the v0 size, and the reverse.
        assert!(Pdu::decode(&with_len([1, 7], 12)).is_err());
        assert!(Pdu::decode(&with_len([0, 7], 24)).is_err());
    }

    #[test]
    fn variable_size_pdus_minimum_and_maximum() {
        for (v, ty, min) in [
            (1u8, 9u8, 32u32),
            (2, 9, 32),
            (0, 10, 16),
            (2, 10, 16),
            (2, 11, 12),
        ] {
            for len in [0, 8, min - 1] {
                let e = err(&with_len([v, ty], len));
                assert_eq!(e, corrupt("length field too small for the PDU type"));
            }
            for len in [DEFAULT_MAX_PDU_LEN + 1, u32::MAX] {
                let e = err(&with_len([v, ty], len));
                assert_eq!(e, corrupt("length field above the maximum PDU length"));
            }
            // At the maximum the header is fine: more bytes are needed.
            assert_eq!(
                Pdu::decode(&with_len([v, ty], DEFAULT_MAX_PDU_LEN)),
                Ok(None)
            );
        }
        // A smaller limit applies to the variable PDUs only.
        let key = Pdu::RouterKey {
            version: Version::V1,
            announce: true,
            ski: [0; SKI_LEN],
            asn: Asn(1),
            spki: vec![0; 100],
        };
        let e = Pdu::decode_with_limit(&key.to_bytes(), 64).unwrap_err();
        assert_eq!(e.reason, "length field above the maximum PDU length");
        assert!(Pdu::decode_with_limit(&[1, 4, 0, 0, 0, 0, 0, 20], 16)
            .unwrap()
            .is_none());
    }

    #[test]
    fn prefix_and_max_length_checks() {
        let cases: [(Pdu, &str); 8] = [
            (
                v4(Version::V0, true, [0; 4], 33, 33, 1),
                "IPv4 prefix length above 32",
            ),
            (
                v4(Version::V1, true, [0; 4], 255, 24, 1),
                "IPv4 prefix length above 32",
            ),
            (
                v4(Version::V1, true, [0; 4], 24, 33, 1),
                "IPv4 max length above 32",
            ),
            (
                v4(Version::V2, true, [0; 4], 24, 23, 1),
                "max length below prefix length",
            ),
            (
                v6(Version::V0, true, "::", 129, 129, 1),
                "IPv6 prefix length above 128",
            ),
            (
                v6(Version::V1, true, "::", 48, 129, 1),
                "IPv6 max length above 128",
            ),
            (
                v6(Version::V2, true, "::", 48, 47, 1),
                "max length below prefix length",
            ),
            (
                v6(Version::V2, false, "::", 128, 0, 1),
                "max length below prefix length",
            ),
        ];
        for (pdu, reason) in cases {
            assert_eq!(err(&pdu.to_bytes()), corrupt(reason), "{pdu:?}");
        }
        // The edges are fine.
        assert!(Pdu::decode(&v4(Version::V0, true, [0; 4], 32, 32, 1).to_bytes()).is_ok());
        assert!(Pdu::decode(&v6(Version::V0, true, "::", 128, 128, 1).to_bytes()).is_ok());
    }

    #[test]
    fn bad_flags() {
        let reason = corrupt("reserved flag bits set");
        for flags in [2u8, 3, 0x80, 0xFF] {
            let mut b = v4(Version::V1, true, [0; 4], 8, 8, 1).to_bytes();
            b[8] = flags;
            assert_eq!(err(&b), reason);
            let mut b = v6(Version::V1, true, "::", 8, 8, 1).to_bytes();
            b[8] = flags;
            assert_eq!(err(&b), reason);
            let key = Pdu::RouterKey {
                version: Version::V1,
                announce: true,
                ski: [0; SKI_LEN],
                asn: Asn(1),
                spki: vec![],
            };
            let mut b = key.to_bytes();
            b[2] = flags;
            assert_eq!(err(&b), reason);
            let mut b = Pdu::from_aspa(true, &Aspa::new(Asn(1), vec![Asn(2)])).to_bytes();
            b[2] = flags;
            assert_eq!(err(&b), reason);
        }
    }

    #[test]
    fn error_report_inner_lengths() {
        let good = Pdu::ErrorReport {
            version: Version::V1,
            code: 0,
            pdu: vec![1, 2, 3, 4],
            text: "xy".to_string(),
        }
        .to_bytes();
        // Encapsulated length beyond the PDU (leaving no room for the text length).
        let mut b = good.clone();
        b[8..12].copy_from_slice(&7u32.to_be_bytes());
        assert_eq!(
            err(&b),
            corrupt("encapsulated PDU length exceeds the PDU length")
        );
        b[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            err(&b),
            corrupt("encapsulated PDU length exceeds the PDU length")
        );
        // Text length too small, too large.
        for text_len in [0u32, 1, 3, u32::MAX] {
            let mut b = good.clone();
            b[16..20].copy_from_slice(&text_len.to_be_bytes());
            assert_eq!(
                err(&b),
                corrupt("error text length disagrees with the PDU length")
            );
        }
        // Encapsulated length one shorter shifts the text length: still inconsistent.
        let mut b = good.clone();
        b[8..12].copy_from_slice(&3u32.to_be_bytes());
        assert!(Pdu::decode(&b).is_err());
    }

    #[test]
    fn error_text_not_utf8() {
        let mut b = Pdu::ErrorReport {
            version: Version::V0,
            code: 1,
            pdu: vec![],
            text: "ab".to_string(),
        }
        .to_bytes();
        let n = b.len();
        b[n - 1] = 0xFF;
        let e = err(&b);
        assert_eq!(e.code, ErrorCode::CorruptData);
        assert_eq!(e.reason, "error text is not UTF-8");
    }

    #[test]
    fn aspa_provider_list_errors() {
        let aspa = |announce: bool, providers: &[u32]| {
            Pdu::Aspa {
                version: Version::V2,
                announce,
                customer: Asn(64496),
                providers: providers.iter().map(|&p| Asn(p)).collect(),
            }
            .to_bytes()
        };
        let cases: [(Vec<u8>, &str); 6] = [
            (aspa(true, &[]), "ASPA announcement without providers"),
            (
                aspa(true, &[2, 1]),
                "ASPA providers not in strictly increasing order",
            ),
            (
                aspa(true, &[1, 1]),
                "ASPA providers not in strictly increasing order",
            ),
            (aspa(true, &[0, 5]), "AS0 among several ASPA providers"),
            (aspa(false, &[1]), "ASPA withdrawal with providers"),
            (aspa(false, &[0]), "ASPA withdrawal with providers"),
        ];
        for (bytes, reason) in cases {
            let e = err(&bytes);
            assert_eq!(e.code, ErrorCode::AspaProviderListError, "{reason}");
            assert_eq!(e.reason, reason);
        }
        // A list that is not whole ASNs is corrupt data.
        let mut b = aspa(true, &[1]);
        b.push(0);
        b[4..8].copy_from_slice(&17u32.to_be_bytes());
        assert_eq!(
            err(&b),
            corrupt("ASPA provider list not a multiple of 4 bytes")
        );
    }

    #[test]
    fn error_codes_and_display() {
        for code in 0..=9u16 {
            assert_eq!(ErrorCode::from_u16(code).unwrap().get(), code);
        }
        assert_eq!(ErrorCode::from_u16(10), None);
        assert_eq!(corrupt("x").to_string(), "x [Corrupt Data (0)]".to_string());
        assert_eq!(Version::from_u8(2), Some(Version::LATEST));
        assert_eq!(Version::from_u8(3), None);
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    /// Checks the decoder's contract on one input; returns whether a PDU came out.
    fn check_contract(buf: &[u8]) -> bool {
        match Pdu::decode(buf) {
            Ok(Some((pdu, n))) => {
                assert!(
                    n >= HEADER_LEN && n <= buf.len(),
                    "consumed {n} of {}",
                    buf.len()
                );
                // What came out encodes to something that decodes to the same PDU.
                let again = pdu.to_bytes();
                assert_eq!(again.len(), n);
                assert_eq!(decode_all(&again), (pdu, n));
                true
            }
            Ok(None) => {
                assert!(buf.len() < HEADER_LEN || (be32(buf, 4) as usize) > buf.len());
                false
            }
            Err(e) => {
                assert!(!e.reason.is_empty());
                false
            }
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut decoded = 0;
        let mut buf = Vec::new();
        for i in 0..100_000u32 {
            buf.clear();
            let len = (rng.next() % 72) as usize;
            buf.extend((0..len).map(|_| rng.next() as u8));
            // Most inputs get a plausible header (and often a plausible size and flags), so
            // the body checks are reached too.
            if i % 4 != 0 {
                let version = (rng.next() % 3) as u8;
                let ty = (rng.next() % 12) as u8;
                let extra = 4 * (rng.next() % 4) as usize;
                let size = match ty {
                    0 | 1 => 12,
                    4 => 20,
                    6 => 32,
                    7 if version == 0 => 12,
                    7 => 24,
                    9 => 32 + extra,
                    10 => 16 + extra,
                    11 => 12 + extra,
                    _ => 8,
                };
                buf.resize(size.max(len), 0);
                buf[0] = version;
                buf[1] = ty;
                if i % 2 == 0 {
                    let claimed = wire_len(size - (rng.next() % 2) as usize);
                    buf[4..8].copy_from_slice(&claimed.to_be_bytes());
                    buf[2] &= 1;
                    if let Some(flags) = buf.get_mut(8) {
                        *flags &= 1;
                    }
                }
            }
            if check_contract(&buf) {
                decoded += 1;
            }
        }
        assert!(decoded > 5_000, "only {decoded} inputs decoded");
    }

    #[test]
    fn mutated_valid_pdus_never_panic() {
        let samples: Vec<Vec<u8>> = samples().iter().map(Pdu::to_bytes).collect();
        let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
        for _ in 0..50_000 {
            let mut b = samples[(rng.next() % samples.len() as u64) as usize].clone();
            for _ in 0..=(rng.next() % 3) {
                let at = (rng.next() % b.len() as u64) as usize;
                b[at] = rng.next() as u8;
            }
            let cut = (rng.next() % (b.len() as u64 + 1)) as usize;
            check_contract(&b[..cut]);
            check_contract(&b);
        }
    }
}
