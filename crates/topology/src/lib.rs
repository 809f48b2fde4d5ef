//! AS-level topology: who is whose customer, provider or peer, and what that says about an AS
//! path. This crate owns the CAIDA AS-relationship formats (serial-1 and serial-2, `as-rel`),
//! CAIDA customer-cone files (`ppdc-ases`), a compact relationship store
//! ([`AsRelationships`]) with customer cones computed from it, a simple Gao-style inference of
//! relationships from observed AS paths for when no file is given ([`infer`]), the valley-free
//! check of an AS path that names the leaking AS ([`valley`]), and the RFC 9234
//! ONLY_TO_CUSTOMER check ([`otc`]).
//!
//! It does not read MRT (paths come from `routenorms-mrt` or anywhere else as plain ASN
//! slices), does not decide what an incident is (that is `routenorms-observe`), and never
//! prints: damaged input lines come back as [`LineError`]s with their line number.

pub mod cone;
pub mod infer;
pub mod input;
pub mod otc;
pub mod relationship;
pub mod valley;

pub use cone::CustomerCones;
pub use otc::{check_otc, OtcLeak, OtcVerdict};
pub use relationship::{
    AsRelationships, AsRelationshipsBuilder, LineError, LineErrorKind, Loaded, Relationship,
};
pub use valley::{check_path, collapse_prepends, UnknownLink, ValleyFree, Violation};
