//! RPKI payloads and route-origin validation: Validated ROA Payloads (VRPs) and ASPA objects
//! loaded from the exports of any common validator, SLURM (RFC 8416) applied on top, and
//! RFC 6811 origin validation with explained verdicts.
//!
//! This crate owns the payload side of RPKI. It does not validate RPKI certificates or fetch
//! repositories (a validator does that), and it does not read BGP data (that is `mrt`).
