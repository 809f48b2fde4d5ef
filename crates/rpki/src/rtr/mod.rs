//! The RPKI-to-Router protocol: RFC 6810 (version 0), RFC 8210 (version 1) and version 2 of
//! draft-ietf-sidrops-8210bis (with the ASPA PDU).
//!
//! * [`Pdu`]: every PDU of the three versions, [`Pdu::encode`] to the exact wire format and
//!   [`Pdu::decode`] from a byte buffer that may hold a partial PDU (never panics, bounded
//!   memory, a typed [`PduError`] with the RTR error code to report back).
//!
//! Only the pure, synchronous codec lives here; sessions, the cache server and the router
//! client are built on it elsewhere.

mod pdu;

pub use pdu::{
    ErrorCode, Intervals, Pdu, PduError, Version, DEFAULT_MAX_PDU_LEN, HEADER_LEN, SKI_LEN,
};
