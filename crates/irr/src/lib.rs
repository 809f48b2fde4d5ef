//! Internet Routing Registry data. This crate owns RPSL (RFC 2622/4012) at dump scale: a
//! streaming, bounded-memory object reader ([`rpsl`]), typed objects ([`object`]), loading
//! of registry files of several formats ([`load`]), an index over several sources with a
//! priority order ([`index`]), recursive set expansion ([`expand`]), the IRR status of an
//! announcement ([`check`]), filter generation in router syntaxes ([`filter`]) and the
//! IRRd whois query protocol, parsed and answered synchronously ([`whois`]).
//!
//! It does not read BGP data (`routenorms-mrt` does), validate RPKI (it takes a
//! `routenorms_rpki::VrpSet` where RPKI matters) or own sockets (the binary runs the whois
//! server loop on tokio and calls [`whois::Session`] for every query line).

pub mod check;
pub mod expand;
pub mod filter;
pub mod index;
pub mod input;
pub mod load;
pub mod object;
pub mod rpsl;
pub mod whois;

pub use check::{IrrCheck, IrrStatus};
pub use expand::{Expansion, PrefixRange, DEFAULT_MAX_DEPTH};
pub use index::{IrrDb, RouteEntry, SetEntry, UnknownSource, View};
pub use load::{FileFormat, LoadIssue, LoadOptions, LoadReport};
pub use object::{parse_asn, Class, Object};
pub use rpsl::{Limits, ObjectError, RawObject, RpslReader};
