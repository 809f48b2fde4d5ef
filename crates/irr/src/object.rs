//! Typed RPSL objects: the classes routing checks and filters need, built from a
//! [`RawObject`]. Anything else is kept as [`Object::Other`] with its class and key.

use crate::rpsl::RawObject;
use routenorms_types::{Afi, Asn, Prefix};
use std::net::IpAddr;

/// The object classes this crate types, plus everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Route,
    Route6,
    AutNum,
    AsSet,
    RouteSet,
    Mntner,
    Inetnum,
    Inet6num,
    Organisation,
    Other,
}

impl Class {
    pub fn from_name(name: &str) -> Class {
        match name {
            "route" => Class::Route,
            "route6" => Class::Route6,
            "aut-num" => Class::AutNum,
            "as-set" => Class::AsSet,
            "route-set" => Class::RouteSet,
            "mntner" => Class::Mntner,
            "inetnum" => Class::Inetnum,
            "inet6num" => Class::Inet6num,
            "organisation" => Class::Organisation,
            _ => Class::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Route => "route",
            Class::Route6 => "route6",
            Class::AutNum => "aut-num",
            Class::AsSet => "as-set",
            Class::RouteSet => "route-set",
            Class::Mntner => "mntner",
            Class::Inetnum => "inetnum",
            Class::Inet6num => "inet6num",
            Class::Organisation => "organisation",
            Class::Other => "other",
        }
    }

    /// The classes counted separately, in report order.
    pub const ALL: [Class; 10] = [
        Class::Route,
        Class::Route6,
        Class::AutNum,
        Class::AsSet,
        Class::RouteSet,
        Class::Mntner,
        Class::Inetnum,
        Class::Inet6num,
        Class::Organisation,
        Class::Other,
    ];
}

/// A route or route6 object. DN42 objects may carry several `origin:` lines and a
/// non-standard `max-length:`; both are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteObject {
    pub prefix: Prefix,
    pub origins: Vec<Asn>,
    pub max_length: Option<u8>,
    pub mnt_by: Vec<String>,
    pub member_of: Vec<String>,
    pub source: String,
}

/// One import/export line of an aut-num.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `import`, `export`, `mp-import` or `mp-export`.
    pub kind: &'static str,
    pub text: String,
    /// The peer ASes named after `from`/`to`, when they are plain AS numbers.
    pub peers: Vec<Asn>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutNum {
    pub asn: Asn,
    pub as_name: Option<String>,
    pub policies: Vec<Policy>,
    pub member_of: Vec<String>,
    pub mnt_by: Vec<String>,
    pub source: String,
}

/// An as-set or route-set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetObject {
    /// Upper case, as given (hierarchical names keep their `:`).
    pub name: String,
    pub members: Vec<String>,
    /// route-set only: IPv4 and IPv6 members (RFC 4012).
    pub mp_members: Vec<String>,
    pub mbrs_by_ref: Vec<String>,
    pub member_of: Vec<String>,
    pub mnt_by: Vec<String>,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mntner {
    pub name: String,
    pub source: String,
}

/// An inetnum or inet6num: an address range with its holder, for ownership checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inetnum {
    pub afi: Afi,
    /// Right-aligned address bits (IPv4 in the low 32), inclusive.
    pub first: u128,
    pub last: u128,
    pub netname: Option<String>,
    pub status: Option<String>,
    pub org: Option<String>,
    pub source: String,
}

/// A typed object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    Route(RouteObject),
    AutNum(AutNum),
    AsSet(SetObject),
    RouteSet(SetObject),
    Mntner(Mntner),
    Inetnum(Inetnum),
    Other {
        class: Class,
        key: String,
        source: String,
    },
}

/// Why a syntactically readable object could not be typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct TypeError {
    pub line: u64,
    pub reason: &'static str,
}

fn err(line: u64, reason: &'static str) -> TypeError {
    TypeError { line, reason }
}

/// `AS65000`, `as65000`, `AS1.10` (asdot) → the number.
pub fn parse_asn(s: &str) -> Option<Asn> {
    let t = s.trim();
    let d = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .or_else(|| t.strip_prefix("As"))
        .or_else(|| t.strip_prefix("aS"))?;
    if let Some((hi, lo)) = d.split_once('.') {
        let hi: u16 = hi.parse().ok()?;
        let lo: u16 = lo.parse().ok()?;
        return Some(Asn(u32::from(hi) << 16 | u32::from(lo)));
    }
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok().map(Asn)
}

/// Splits a list value (`a, b c`) into upper-case items.
pub fn list_items(v: &[u8]) -> impl Iterator<Item = String> + '_ {
    v.split(|&b| b == b',' || b == b' ' || b == b'\t')
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).to_ascii_uppercase())
}

fn lists(o: &RawObject<'_>, name: &str) -> Vec<String> {
    o.get_all(name).flat_map(list_items).collect()
}

fn source_of(o: &RawObject<'_>, default_source: &str) -> String {
    o.get("source")
        .map(|s| String::from_utf8_lossy(s).trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default_source.to_owned())
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// Peers named by `from ASn` / `to ASn` (also inside `afi ... from`), plain numbers only.
fn policy_peers(text: &str) -> Vec<Asn> {
    let mut out = Vec::new();
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("to") {
            if let Some(a) = words.next().and_then(parse_asn) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// Types one object. `default_source` is used when it has no `source:` line.
pub fn type_object(o: &RawObject<'_>, default_source: &str) -> Result<Object, TypeError> {
    let class = Class::from_name(o.class());
    let key_line = o.line;
    let key = String::from_utf8_lossy(o.key()).trim().to_owned();
    let source = source_of(o, default_source);
    Ok(match class {
        Class::Route | Class::Route6 => {
            let prefix: Prefix = key
                .parse()
                .map_err(|_| err(key_line, "route prefix is not a canonical ADDRESS/LENGTH"))?;
            let want = if class == Class::Route {
                Afi::Ipv4
            } else {
                Afi::Ipv6
            };
            if prefix.afi() != want {
                return Err(err(key_line, "route prefix of the wrong address family"));
            }
            let mut origins = Vec::new();
            for (n, v, line) in o.attributes() {
                if n == "origin" {
                    let a = parse_asn(&String::from_utf8_lossy(v))
                        .ok_or(err(line, "origin is not an AS number"))?;
                    if !origins.contains(&a) {
                        origins.push(a);
                    }
                }
            }
            if origins.is_empty() {
                return Err(err(key_line, "route object without origin"));
            }
            let max_length = o
                .get_str("max-length")
                .and_then(|s| s.trim().parse::<u8>().ok())
                .filter(|&m| m >= prefix.len() && m <= prefix.afi().max_len());
            Object::Route(RouteObject {
                prefix,
                origins,
                max_length,
                mnt_by: lists(o, "mnt-by"),
                member_of: lists(o, "member-of"),
                source,
            })
        }
        Class::AutNum => {
            let asn = parse_asn(&key).ok_or(err(key_line, "aut-num is not an AS number"))?;
            let mut policies = Vec::new();
            for (n, v, _) in o.attributes() {
                let kind = match n {
                    "import" => "import",
                    "export" => "export",
                    "mp-import" => "mp-import",
                    "mp-export" => "mp-export",
                    _ => continue,
                };
                let t = text(v);
                policies.push(Policy {
                    kind,
                    peers: policy_peers(&t),
                    text: t,
                });
            }
            Object::AutNum(AutNum {
                asn,
                as_name: o.get("as-name").map(text),
                policies,
                member_of: lists(o, "member-of"),
                mnt_by: lists(o, "mnt-by"),
                source,
            })
        }
        Class::AsSet | Class::RouteSet => {
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(err(key_line, "set name is empty or has spaces"));
            }
            let set = SetObject {
                name: key.to_ascii_uppercase(),
                members: lists(o, "members"),
                mp_members: lists(o, "mp-members"),
                mbrs_by_ref: lists(o, "mbrs-by-ref"),
                member_of: lists(o, "member-of"),
                mnt_by: lists(o, "mnt-by"),
                source,
            };
            if class == Class::AsSet {
                Object::AsSet(set)
            } else {
                Object::RouteSet(set)
            }
        }
        Class::Mntner => Object::Mntner(Mntner {
            name: key.to_ascii_uppercase(),
            source,
        }),
        Class::Inetnum | Class::Inet6num => {
            let (afi, first, last) = parse_range(&key, class)
                .ok_or(err(key_line, "inetnum is not a range or prefix"))?;
            Object::Inetnum(Inetnum {
                afi,
                first,
                last,
                netname: o.get("netname").map(text),
                status: o.get("status").map(text),
                org: o.get("org").map(text),
                source,
            })
        }
        Class::Organisation | Class::Other => Object::Other { class, key, source },
    })
}

fn bits(a: IpAddr) -> (Afi, u128) {
    match a {
        IpAddr::V4(v) => (Afi::Ipv4, u32::from(v) as u128),
        IpAddr::V6(v) => (Afi::Ipv6, u128::from(v)),
    }
}

/// `A - B` or a prefix (inet6num's usual key) → (family, first, last).
fn parse_range(key: &str, class: Class) -> Option<(Afi, u128, u128)> {
    if let Some((a, b)) = key.split_once('-') {
        if class == Class::Inetnum || !key.contains('/') {
            let (fa, x) = bits(parse_ip(a)?);
            let (fb, y) = bits(parse_ip(b)?);
            return (fa == fb && x <= y).then_some((fa, x, y));
        }
    }
    let (addr, len) = key.split_once('/')?;
    let p = Prefix::new_truncating(parse_ip(addr)?, len.trim().parse().ok()?).ok()?;
    let width = p.afi().max_len() as u32;
    let host = if p.len() as u32 == width {
        0
    } else if width - p.len() as u32 == 128 {
        u128::MAX
    } else {
        (1u128 << (width - p.len() as u32)) - 1
    };
    Some((p.afi(), p.bits(), p.bits() | host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpsl::RpslReader;

    fn typed(text: &str) -> Result<Object, TypeError> {
        let mut r = RpslReader::new(text.as_bytes());
        let o = r.next_object().unwrap().unwrap().unwrap();
        type_object(&o, "DEFAULT")
    }

    #[test]
    fn route_with_several_origins_and_max_length_keeps_both() {
        let o = typed(
            "route: 10.100.232.0/21\nmax-length: 24\norigin: AS64654\norigin: as4242421288\nmnt-by: DN42-MNT\nsource: CHAOSVPN\n",
        )
        .unwrap();
        let Object::Route(r) = o else { panic!() };
        assert_eq!(r.origins, vec![Asn(64654), Asn(4242421288)]);
        assert_eq!(r.max_length, Some(24));
        assert_eq!(r.source, "CHAOSVPN");
        assert_eq!(r.mnt_by, vec!["DN42-MNT"]);
    }

    #[test]
    fn route_errors_name_the_line() {
        assert_eq!(
            typed("route: 10.0.0.1/8\norigin: AS1\n").unwrap_err(),
            err(1, "route prefix is not a canonical ADDRESS/LENGTH")
        );
        assert_eq!(
            typed("route: 10.0.0.0/8\nsource: X\norigin: ASX\n").unwrap_err(),
            err(3, "origin is not an AS number")
        );
        assert_eq!(
            typed("route6: 10.0.0.0/8\norigin: AS1\n").unwrap_err(),
            err(1, "route prefix of the wrong address family")
        );
        assert_eq!(
            typed("route: 10.0.0.0/8\n").unwrap_err(),
            err(1, "route object without origin")
        );
    }

    #[test]
    fn missing_source_takes_the_default() {
        let Object::Route(r) = typed("route: 10.0.0.0/8\norigin: AS1\n").unwrap() else {
            panic!()
        };
        assert_eq!(r.source, "DEFAULT");
    }

    #[test]
    fn aut_num_keeps_policy_text_and_simple_peers() {
        let o = typed(
            "aut-num: AS3257\nas-name: GTT\nimport: from AS12 accept AS12\nmp-export: afi ipv6.unicast to AS400687 announce ANY\nexport: to AS-FOO announce ANY\nsource: RIPE\n",
        )
        .unwrap();
        let Object::AutNum(a) = o else { panic!() };
        assert_eq!(a.asn, Asn(3257));
        assert_eq!(a.policies.len(), 3);
        assert_eq!(a.policies[0].peers, vec![Asn(12)]);
        assert_eq!(a.policies[1].kind, "mp-export");
        assert_eq!(a.policies[1].peers, vec![Asn(400687)]);
        assert!(a.policies[2].peers.is_empty());
    }

    #[test]
    fn sets_split_members_on_commas_and_spaces() {
        let o = typed(
            "route-set: rs-x\nmembers: 10.0.0.0/8^+, RS-Y\nmp-members: fd00::/8+\nmbrs-by-ref: ANY\nsource: X\n",
        )
        .unwrap();
        let Object::RouteSet(s) = o else { panic!() };
        assert_eq!(s.name, "RS-X");
        assert_eq!(s.members, vec!["10.0.0.0/8^+", "RS-Y"]);
        assert_eq!(s.mp_members, vec!["FD00::/8+"]);
        assert_eq!(s.mbrs_by_ref, vec!["ANY"]);
    }

    #[test]
    fn inetnum_ranges_and_inet6num_prefixes() {
        let Object::Inetnum(i) =
            typed("inetnum: 10.0.0.0 - 10.0.255.255\ncidr: 10.0.0.0/16\nsource: DN42\n").unwrap()
        else {
            panic!()
        };
        assert_eq!((i.first, i.last), (0x0a00_0000, 0x0a00_ffff));
        let Object::Inetnum(i) = typed("inet6num: fd00::/8\nsource: DN42\n").unwrap() else {
            panic!()
        };
        assert_eq!(i.afi, Afi::Ipv6);
        assert_eq!(i.first >> 120, 0xfd);
        assert_eq!(i.last, i.first | ((1u128 << 120) - 1));
    }

    #[test]
    fn asn_forms() {
        assert_eq!(parse_asn("AS65000"), Some(Asn(65000)));
        assert_eq!(parse_asn("as1.10"), Some(Asn(65546)));
        assert_eq!(parse_asn("AS-FOO"), None);
        assert_eq!(parse_asn("AS"), None);
        assert_eq!(parse_asn("65000"), None);
    }
}
