//! The RPKI-to-Router protocol: RFC 6810 (version 0), RFC 8210 (version 1) and version 2 of
//! draft-ietf-sidrops-8210bis (with the ASPA PDU).
//!
//! * [`Pdu`]: every PDU of the three versions, [`Pdu::encode`] to the exact wire format and
//!   [`Pdu::decode`] from a byte buffer that may hold a partial PDU (never panics, bounded
//!   memory, a typed [`PduError`] with the RTR error code to report back).
//! * [`RtrPayload`], [`Cache`]: the set a cache serves, its serials and the deltas of a window
//!   of recent serials, with the encoded PDUs shared by every session.
//! * [`serve`], [`ServerHandle`]: the cache server (tokio, one task per router): version
//!   negotiation, Reset and Serial Queries, Cache Reset outside the window, Serial Notify on
//!   every update, Error Reports, bounded memory per router.
//! * [`FileSource`]: the payload from files (VRPs, ASPAs, SLURM), polled for changes.
//! * [`Client`]: a router's side (synchronous): fetch the set, refresh it, wait for notifies.
//!
//! The codec is pure and synchronous; only the server uses tokio, and only for sockets.

mod client;
mod pdu;
mod server;
mod session;
mod source;
mod state;

pub use client::{Client, ClientError, Refresh};
pub use pdu::{
    ErrorCode, Intervals, Pdu, PduError, Version, DEFAULT_MAX_PDU_LEN, HEADER_LEN, SKI_LEN,
};
pub use server::{serve, ServerConfig, ServerHandle, ServerStats};
pub use source::{FileSource, Fingerprint, Loaded, WatchEvent, Watcher};
pub use state::{
    Cache, CacheConfig, CacheState, Changes, RtrPayload, SerialAnswer, UpdateSummary,
    DEFAULT_WINDOW,
};
