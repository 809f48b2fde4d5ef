//! Observations over routes. This crate owns what routenorms concludes about the routes it
//! sees: the bogon oracle ([`bogons`]: IANA special-purpose space, reserved AS numbers,
//! "full bogons" from RIR statistics or a full-bogons list) and the RIR delegation data behind
//! it ([`rir`]: the delegated(-extended) stats format, and the country and RIR of any prefix
//! or ASN); the per-route checks ([`checks`]: bogon ASNs, valley-free and ONLY_TO_CUSTOMER
//! leaks with the leaking AS, ASPA) and the per-route classification of a RIB snapshot
//! ([`classify`]: visibility, RPKI, IRR, bogons, leaks per distinct (prefix, origin));
//! incidents from update streams and successive snapshots ([`incidents`]: possible hijacks,
//! route leaks, bogon announcements, with culprit, accomplice, evidence and MANRS weight).
//! the MANRS metrics per ASN and their roll-ups ([`metrics`]), from contact data
//! ([`contacts`]: PeeringDB, aut-nums) and anti-spoofing results ([`spoofer`]); and one
//! whole observation run with its report model ([`observation`]).
//!
//! It reads MRT through `routenorms-mrt`'s route stream and consults RPKI (`routenorms-rpki`)
//! and AS relationships (`routenorms-topology`) it is given; IRR data comes in through the
//! [`irr::IrrOracle`] trait, so this crate does not depend on the IRR crate. It never prints:
//! damaged input comes back as typed errors or counts.

pub mod bogons;
pub mod checks;
pub mod classify;
pub mod contacts;
pub mod evaluate;
pub mod incidents;
pub mod irr;
pub mod metrics;
pub mod observation;
mod ranges;
pub mod rir;
pub mod spoofer;

pub use bogons::{BogonList, BogonPolicy, Bogons, Delegations, PrefixCheck, SpaceStatus};
pub use checks::{analyse_path, Leak, LeakCheck, Oracles, PathFindings};
pub use classify::{classify_files, RibClassification, RibClassifier, RouteClass, Summary};
pub use incidents::{detect_files, DetectorConfig, IncidentDetector, IncidentReport};
pub use irr::{IrrOracle, IrrState, IrrTable, NoIrr};
pub use ranges::range_to_cidrs;
pub use rir::{Rir, StatsFile};
