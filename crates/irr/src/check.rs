//! The IRR status of an announcement (prefix, origin), in the spirit of IRR Explorer, and its
//! agreement with RPKI.
//!
//! * `match`: a route object for exactly this prefix has this origin;
//! * `covered`: only a less-specific route object has this origin;
//! * `mismatch`: route objects cover the prefix, none with this origin (the registered
//!   origins and sources are listed);
//! * `not-registered`: no route object covers the prefix;
//! * `misplaced`: route objects with this origin exist, but none in the registry that holds
//!   the space, when that is known: the most specific covering inetnum/inet6num of an
//!   authoritative source (by default the five RIRs' databases; a DN42 check names `DN42`),
//!   or a range from an RIR delegation statistics file ([`load_rir_stats`]).

use crate::index::{Holder, RouteEntry, View};
use routenorms_rpki::{RovState, VrpSet};
use routenorms_types::{Afi, Asn, Prefix};
use std::io::{self, BufRead};
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IrrStatus {
    Match,
    Covered,
    Mismatch,
    NotRegistered,
    Misplaced,
}

impl IrrStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IrrStatus::Match => "match",
            IrrStatus::Covered => "covered",
            IrrStatus::Mismatch => "mismatch",
            IrrStatus::NotRegistered => "not-registered",
            IrrStatus::Misplaced => "misplaced",
        }
    }

    /// Whether the IRR supports the announcement (match, covered, misplaced).
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            IrrStatus::Match | IrrStatus::Covered | IrrStatus::Misplaced
        )
    }
}

/// A route object the verdict rests on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Registered {
    pub prefix: Prefix,
    pub origin: Asn,
    pub source: String,
}

/// Whether IRR and RPKI say the same about a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// IRR registered and RPKI valid, or IRR mismatch and RPKI invalid.
    Agree,
    /// One accepts what the other rejects.
    Conflict,
    /// Only the IRR has an opinion (RPKI not-found).
    IrrOnly,
    /// Only RPKI has an opinion (no route object).
    RpkiOnly,
    /// Neither knows the route.
    Neither,
}

impl Agreement {
    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Agree => "agree",
            Agreement::Conflict => "conflict",
            Agreement::IrrOnly => "irr-only",
            Agreement::RpkiOnly => "rpki-only",
            Agreement::Neither => "neither",
        }
    }
}

/// The explained IRR verdict on one announcement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IrrCheck {
    pub prefix: Prefix,
    pub origin: Option<Asn>,
    pub status: IrrStatus,
    /// match/covered/misplaced: the route objects with this origin; mismatch: every
    /// covering route object.
    pub registered: Vec<Registered>,
    /// The registry holding the space, when known.
    pub holder: Option<String>,
    pub rpki: Option<RovState>,
    pub agreement: Option<Agreement>,
}

fn reg(view: &View<'_>, r: &RouteEntry) -> Registered {
    Registered {
        prefix: r.prefix,
        origin: r.origin,
        source: view.db.source_name(r.source).to_owned(),
    }
}

/// The IRR status of (prefix, origin) in the view's sources; `origin` `None` is an AS path
/// ending in an AS_SET. With `vrps`, also the RPKI state and the agreement.
pub fn check(
    view: &View<'_>,
    vrps: Option<&VrpSet>,
    prefix: Prefix,
    origin: Option<Asn>,
) -> IrrCheck {
    let covering = view.routes_covering(prefix);
    let holder = view.db.holder_of(&prefix).map(str::to_owned);
    let same: Vec<&RouteEntry> = covering
        .iter()
        .copied()
        .filter(|r| Some(r.origin) == origin)
        .collect();
    let (status, registered) = if covering.is_empty() {
        (IrrStatus::NotRegistered, Vec::new())
    } else if same.is_empty() {
        (
            IrrStatus::Mismatch,
            covering.iter().map(|r| reg(view, r)).collect(),
        )
    } else {
        let misplaced = holder
            .as_deref()
            .is_some_and(|h| !same.iter().any(|r| view.db.source_name(r.source) == h));
        let status = if misplaced {
            IrrStatus::Misplaced
        } else if same.iter().any(|r| r.prefix == prefix) {
            IrrStatus::Match
        } else {
            IrrStatus::Covered
        };
        (status, same.iter().map(|r| reg(view, r)).collect())
    };
    let rpki = vrps.map(|v| v.validate_state(prefix, origin).0);
    let agreement = rpki.map(|state| match (status, state) {
        (IrrStatus::NotRegistered, RovState::NotFound) => Agreement::Neither,
        (IrrStatus::NotRegistered, _) => Agreement::RpkiOnly,
        (_, RovState::NotFound) => Agreement::IrrOnly,
        (s, RovState::Valid) if s.is_registered() => Agreement::Agree,
        (IrrStatus::Mismatch, RovState::Invalid) => Agreement::Agree,
        _ => Agreement::Conflict,
    });
    IrrCheck {
        prefix,
        origin,
        status,
        registered,
        holder,
        rpki,
        agreement,
    }
}

/// Reads an RIR delegation statistics file (`registry|cc|type|start|value|date|status`,
/// the RIR statistics exchange format) into holder ranges: every allocated or assigned IPv4
/// or IPv6 block, its registry named as the RIR's database source (`ripencc` → `RIPE`).
pub fn load_rir_stats(input: impl BufRead) -> io::Result<Vec<Holder>> {
    let mut out = Vec::new();
    for line in input.lines() {
        let line = line?;
        let f: Vec<&str> = line.trim().split('|').collect();
        if f.len() < 7 || line.starts_with('#') {
            continue;
        }
        if !matches!(f[6], "allocated" | "assigned") {
            continue;
        }
        let registry = match f[0] {
            "afrinic" => "AFRINIC",
            "apnic" => "APNIC",
            "arin" => "ARIN",
            "lacnic" => "LACNIC",
            "ripencc" => "RIPE",
            _ => continue,
        };
        let Ok(addr) = f[3].parse::<IpAddr>() else {
            continue;
        };
        let Ok(value) = f[4].parse::<u128>() else {
            continue;
        };
        let (afi, first, last) = match (f[2], addr) {
            ("ipv4", IpAddr::V4(a)) if value > 0 => {
                let first = u32::from(a) as u128;
                (
                    Afi::Ipv4,
                    first,
                    first.saturating_add(value - 1).min(u32::MAX as u128),
                )
            }
            ("ipv6", IpAddr::V6(a)) if value <= 128 => {
                let first = u128::from(a);
                let host = if value == 0 {
                    u128::MAX
                } else {
                    (1u128 << (128 - value)) - 1
                };
                (Afi::Ipv6, first, first | host)
            }
            _ => continue,
        };
        out.push(Holder {
            afi,
            first,
            last,
            registry: registry.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::db;
    use routenorms_rpki::Vrp;

    const REG: &str = "\
route: 192.0.2.0/24\norigin: AS1\nsource: RIPE\n\n\
route: 198.51.0.0/16\norigin: AS2\nsource: RIPE\n\n\
route: 203.0.113.0/24\norigin: AS3\norigin: AS4\nsource: RADB\n\n\
inetnum: 100.64.0.0 - 100.64.255.255\nsource: ARIN\n\n\
route: 100.64.0.0/16\norigin: AS5\nsource: RIPE\n\n\
route: 100.64.0.0/16\norigin: AS6\nsource: ARIN\n";

    fn status(p: &str, o: u32) -> (IrrStatus, Vec<String>) {
        let db = db(REG);
        let v = db.view(&[]).unwrap();
        let c = check(&v, None, p.parse().unwrap(), Some(Asn(o)));
        (
            c.status,
            c.registered
                .iter()
                .map(|r| format!("{} AS{} {}", r.prefix, r.origin, r.source))
                .collect(),
        )
    }

    #[test]
    fn exact_route_object_with_the_origin_is_a_match() {
        assert_eq!(
            status("192.0.2.0/24", 1),
            (IrrStatus::Match, vec!["192.0.2.0/24 AS1 RIPE".into()])
        );
    }

    #[test]
    fn a_less_specific_with_the_origin_is_covered() {
        assert_eq!(
            status("198.51.100.0/24", 2),
            (IrrStatus::Covered, vec!["198.51.0.0/16 AS2 RIPE".into()])
        );
    }

    #[test]
    fn other_origins_only_is_a_mismatch_listing_them() {
        assert_eq!(
            status("203.0.113.0/24", 9),
            (
                IrrStatus::Mismatch,
                vec![
                    "203.0.113.0/24 AS3 RADB".into(),
                    "203.0.113.0/24 AS4 RADB".into()
                ]
            )
        );
    }

    #[test]
    fn no_covering_route_object_is_not_registered() {
        assert_eq!(status("10.0.0.0/8", 1), (IrrStatus::NotRegistered, vec![]));
    }

    #[test]
    fn a_route_object_outside_the_holding_rir_is_misplaced() {
        assert_eq!(
            status("100.64.0.0/16", 5),
            (IrrStatus::Misplaced, vec!["100.64.0.0/16 AS5 RIPE".into()])
        );
        // The same space registered in its RIR's database is a plain match.
        assert_eq!(status("100.64.0.0/16", 6).0, IrrStatus::Match);
    }

    #[test]
    fn rpki_state_and_agreement_are_reported() {
        let db = db(REG);
        let v = db.view(&[]).unwrap();
        let vrps = VrpSet::new(vec![
            Vrp::new("192.0.2.0/24".parse().unwrap(), 24, Asn(1)).unwrap(),
            Vrp::new("203.0.113.0/24".parse().unwrap(), 24, Asn(3)).unwrap(),
        ]);
        let c = |p: &str, o| check(&v, Some(&vrps), p.parse().unwrap(), Some(Asn(o)));
        assert_eq!(c("192.0.2.0/24", 1).agreement, Some(Agreement::Agree));
        assert_eq!(c("192.0.2.0/24", 2).agreement, Some(Agreement::Agree));
        assert_eq!(c("203.0.113.0/24", 4).agreement, Some(Agreement::Conflict));
        assert_eq!(c("203.0.113.0/24", 9).agreement, Some(Agreement::Agree));
        assert_eq!(c("198.51.100.0/24", 2).agreement, Some(Agreement::IrrOnly));
        assert_eq!(c("10.0.0.0/8", 2).agreement, Some(Agreement::Neither));
        assert_eq!(c("192.0.2.0/24", 1).rpki, Some(RovState::Valid));
    }

    #[test]
    fn rir_stats_ranges_name_the_holder() {
        let stats = "2|ripencc|1|2|3|4|5\nripencc|*|ipv4|*|2|summary\n\
ripencc|NL|ipv4|193.0.0.0|2048|19930901|allocated\n\
arin|US|ipv6|2001:400::|32|19990803|allocated\n\
lacnic|BR|ipv4|200.0.0.0|256|19990803|available\n";
        let h = load_rir_stats(stats.as_bytes()).unwrap();
        assert_eq!(h.len(), 2);
        let huge = format!("arin|US|ipv4|255.0.0.0|{}|1|allocated\n", u128::MAX);
        let h2 = load_rir_stats(huge.as_bytes()).unwrap();
        assert_eq!(h2[0].last, u32::MAX as u128);
        let mut d = db("route: 193.0.0.0/21\norigin: AS1\nsource: RADB\n");
        for x in h {
            d.add_holder(x);
        }
        d.finish();
        assert_eq!(d.holder_of(&"193.0.4.0/24".parse().unwrap()), Some("RIPE"));
        assert_eq!(
            d.holder_of(&"2001:400:1::/48".parse().unwrap()),
            Some("ARIN")
        );
        let v = d.view(&[]).unwrap();
        let c = check(&v, None, "193.0.0.0/21".parse().unwrap(), Some(Asn(1)));
        assert_eq!(c.status, IrrStatus::Misplaced);
        assert_eq!(c.holder.as_deref(), Some("RIPE"));
    }
}
