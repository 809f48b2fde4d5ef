//! The IRR seam: classification and incident detection ask an [`IrrOracle`] whether a route
//! is registered, without depending on the IRR crate. The CLI (or any caller) adapts its IRR
//! index to this trait; [`NoIrr`] stands for "no IRR data" (every answer `None`, which
//! reports show as "no data", never as "not registered").

use routenorms_types::{Asn, Prefix};

/// What the IRR says about one (prefix, origin) pair, reduced to what observations need: a
/// short status name (the IRR checker's own, e.g. `match`, `covered`, `mismatch`,
/// `not-registered`) and whether that status supports the announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IrrState {
    pub status: &'static str,
    /// A route object for this origin covers the prefix (the announcement is registered).
    pub registered: bool,
}

/// Every status name an [`IrrOracle`] may give (the IRR checker's).
pub const STATUS_NAMES: [&str; 5] = [
    "match",
    "covered",
    "mismatch",
    "not-registered",
    "misplaced",
];

/// The static status name equal to `text`, for statuses read back from storage.
pub fn status_name(text: &str) -> Option<&'static str> {
    STATUS_NAMES.iter().copied().find(|s| *s == text)
}

/// Answers IRR questions about routes. `None` means the oracle has no opinion (no IRR data
/// loaded, or the origin is NONE).
pub trait IrrOracle: Sync {
    fn status(&self, prefix: Prefix, origin: Option<Asn>) -> Option<IrrState>;
}

/// No IRR data: every status is unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIrr;

impl IrrOracle for NoIrr {
    fn status(&self, _: Prefix, _: Option<Asn>) -> Option<IrrState> {
        None
    }
}

/// A fixed table of registered (prefix, origin) pairs: exact match is `match`, a covering
/// object with the same origin is `covered`, objects for other origins only make
/// `mismatch`, nothing at all is `not-registered`. For tests and small inputs; the IRR crate
/// provides the real thing.
#[derive(Clone, Debug, Default)]
pub struct IrrTable {
    routes: Vec<(Prefix, Asn)>,
}

impl IrrTable {
    pub fn new(mut routes: Vec<(Prefix, Asn)>) -> IrrTable {
        routes.sort_unstable();
        routes.dedup();
        IrrTable { routes }
    }
}

impl IrrOracle for IrrTable {
    fn status(&self, prefix: Prefix, origin: Option<Asn>) -> Option<IrrState> {
        let origin = origin?;
        let covering = self.routes.iter().filter(|(p, _)| p.covers(&prefix));
        let mut any = false;
        let mut covered = false;
        for &(p, a) in covering {
            any = true;
            if a == origin {
                if p == prefix {
                    return Some(IrrState {
                        status: "match",
                        registered: true,
                    });
                }
                covered = true;
            }
        }
        Some(match (covered, any) {
            (true, _) => IrrState {
                status: "covered",
                registered: true,
            },
            (false, true) => IrrState {
                status: "mismatch",
                registered: false,
            },
            (false, false) => IrrState {
                status: "not-registered",
                registered: false,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_oracle_distinguishes_match_covered_mismatch_and_absent() {
        let t = IrrTable::new(vec![("10.0.0.0/8".parse().unwrap(), Asn(1))]);
        let s = |p: &str, a| t.status(p.parse().unwrap(), Some(Asn(a))).unwrap().status;
        assert_eq!(s("10.0.0.0/8", 1), "match");
        assert_eq!(s("10.1.0.0/16", 1), "covered");
        assert_eq!(s("10.1.0.0/16", 2), "mismatch");
        assert_eq!(s("11.0.0.0/8", 1), "not-registered");
        assert_eq!(t.status("10.0.0.0/8".parse().unwrap(), None), None);
        assert_eq!(
            NoIrr.status("10.0.0.0/8".parse().unwrap(), Some(Asn(1))),
            None
        );
    }
}
