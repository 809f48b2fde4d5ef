//! RPKI payloads and route-origin validation: Validated ROA Payloads (VRPs) and ASPA objects
//! loaded from the exports of any common validator, SLURM (RFC 8416) applied on top, and
//! RFC 6811 origin validation with explained verdicts.
//!
//! This crate owns the payload side of RPKI. It does not validate RPKI certificates or fetch
//! repositories (a validator does that), and it does not read BGP data (that is `mrt`).
//!
//! * [`load`] / [`load_path`]: any supported export (format from content, gzip accepted) →
//!   [`Payload`] with VRPs, ASPAs and every rejected entry with its position and reason.
//! * [`Slurm`]: RFC 8416 filters and assertions, applied to a payload.
//! * [`VrpSet`]: the immutable index; [`VrpSet::validate_state`] (no allocation) and
//!   [`VrpSet::validate`] (with the covering VRPs).
//! * [`non_minimal_vrps`]: RFC 9319 non-minimal ROAs against the routes seen in BGP.
//! * [`diff`]: two payloads compared, with the route verdicts that change.
//! * [`AspaSet`]: ASPA path verification (draft-ietf-sidrops-aspa-verification), upstream and
//!   downstream procedures with explained verdicts.
//! * [`rtr`]: RPKI-to-Router (RFC 6810, RFC 8210, version 2 with ASPA): the PDU codec, a cache
//!   server serving payload files to routers, and a client.

mod aspa;
mod diff;
mod load;
mod minimal;
mod rov;
pub mod rtr;
mod slurm;
mod vrp;

pub use aspa::{
    prepare_path, AspaReason, AspaSet, AspaState, AspaVerdict, HopCheck, PrepareError, Procedure,
    Ramps,
};
pub use diff::{diff, PayloadDiff, VerdictChange};
pub use load::{
    load, load_bytes, load_path, Format, LoadError, Metadata, Payload, Position, RejectReason,
    Rejected,
};
pub use minimal::{non_minimal_vrps, NonMinimalVrp};
pub use rov::{vrp_matches, InvalidReason, RovState, RovVerdict, VrpSet};
pub use slurm::{PrefixFilter, Slurm, SlurmApplied};
pub use vrp::{Aspa, Ta, Vrp};
