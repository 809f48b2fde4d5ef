//! Reading MRT routing dumps (RFC 6396, RFC 6397, RFC 8050): RIS, RouteViews and the dumps of
//! any BGP daemon, compressed or not.
//!
//! This crate owns the bytes-to-routes step: detecting compression ([`input`]), framing records
//! with damage recovery ([`framing`]), decoding records, BGP messages and path attributes into
//! borrowed views ([`record`], [`attr`], [`nlri`]), flattening them into per-route elements
//! ([`element`]), bgpdump-compatible text ([`bgpdump`]), per-file statistics ([`stats`]) and the
//! multi-threaded pipeline that runs it all at the speed of decompression ([`pipeline`]), and
//! writing the record types routenorms produces itself ([`write`]). It does
//! not validate routes (that is `rpki`, `irr` and `observe`) and never prints or exits: damage is
//! reported as values.

pub mod attr;
pub mod bgpdump;
pub mod dump;
pub mod element;
pub mod error;
pub mod framing;
pub mod header;
pub mod input;
pub mod nlri;
pub mod origins;
pub mod paths;
pub mod pipeline;
pub mod readahead;
pub mod record;
pub mod routes;
pub mod stats;
pub mod write;

pub use error::DecodeError;
pub use framing::{Damage, Frame, FrameReader, RawRecord};
pub use header::Header;
pub use record::{decode, Addr, PeerIndexTable, Record};
