//! Parsing one whois query line: IRRd's `!` commands and the RIPE-style flags clients use.

use crate::object::parse_asn;
use routenorms_types::{Afi, Asn};

/// Longest query line accepted (bytes, line end excluded). Real queries are a few dozen
/// bytes; IRRd itself refuses far shorter set names.
pub const MAX_QUERY_LEN: usize = 4096;

/// One query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// `!!`: stay connected after each answer.
    Persistent,
    /// `!q`: close.
    Quit,
    /// `!nNAME`: the client names itself.
    ClientName(String),
    /// `!v`: server version.
    Version,
    /// `!s-lc`: list the current sources.
    ListSources,
    /// `!sA,B`: select sources in this priority order.
    SetSources(Vec<String>),
    /// `!gASn` (IPv4) / `!6ASn` (IPv6): prefixes of route objects with this origin.
    Origin { afi: Afi, asn: Asn },
    /// `!iSET[,1]`: members, or with `,1` the recursive expansion.
    SetMembers { name: String, recursive: bool },
    /// `!a[4|6]SET`: the aggregated prefixes of a set.
    Aggregate { afi: Option<Afi>, name: String },
    /// `!j-*` / `!jA,B`: serial ranges of sources.
    Serials(Option<Vec<String>>),
    /// `!mCLASS,KEY`: one object by class and key.
    Object { class: String, key: String },
    /// A RIPE-style query: `-i origin ASn`, `[-s SOURCES] [-T CLASSES] KEY`.
    Ripe(RipeQuery),
    /// An empty line (ignored).
    Empty,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RipeQuery {
    /// `-i origin ASn`: route objects with this origin.
    pub inverse_origin: Option<Asn>,
    /// `-s A,B`: sources for this query only.
    pub sources: Option<Vec<String>>,
    /// `-T route,route6`: classes to return (empty: all).
    pub classes: Vec<String>,
    /// `-k`: keep the connection open.
    pub keep_open: bool,
    /// The look-up key (upper case).
    pub key: String,
}

/// Why a query line was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub &'static str);

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_ascii_uppercase())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Parses one line (line end already removed; a trailing `\r` is ignored).
pub fn parse_query(line: &[u8]) -> Result<Query, QueryError> {
    if line.len() > MAX_QUERY_LEN {
        return Err(QueryError("query too long"));
    }
    let text = std::str::from_utf8(line).map_err(|_| QueryError("query is not UTF-8"))?;
    let t = text.trim();
    if t.is_empty() {
        return Ok(Query::Empty);
    }
    if let Some(cmd) = t.strip_prefix('!') {
        return parse_bang(cmd);
    }
    parse_ripe(t).map(Query::Ripe)
}

fn parse_bang(cmd: &str) -> Result<Query, QueryError> {
    let mut chars = cmd.chars();
    let Some(c) = chars.next() else {
        return Err(QueryError("empty command"));
    };
    let arg = chars.as_str().trim();
    Ok(match c {
        '!' => Query::Persistent,
        'q' => Query::Quit,
        'n' => Query::ClientName(arg.to_owned()),
        'v' => Query::Version,
        's' => {
            if arg.eq_ignore_ascii_case("-lc") {
                Query::ListSources
            } else {
                let l = list(arg);
                if l.is_empty() {
                    return Err(QueryError("!s needs a source list"));
                }
                Query::SetSources(l)
            }
        }
        'g' | '6' => Query::Origin {
            afi: if c == 'g' { Afi::Ipv4 } else { Afi::Ipv6 },
            asn: parse_asn(arg).ok_or(QueryError("not an AS number"))?,
        },
        'i' => {
            let (name, recursive) = match arg.rsplit_once(',') {
                Some((n, "1")) => (n, true),
                Some((_, _)) => return Err(QueryError("!i takes NAME or NAME,1")),
                None => (arg, false),
            };
            if name.is_empty() {
                return Err(QueryError("!i needs a set name"));
            }
            Query::SetMembers {
                name: name.trim().to_ascii_uppercase(),
                recursive,
            }
        }
        'a' => {
            let (afi, name) = if let Some(n) = arg.strip_prefix('4') {
                (Some(Afi::Ipv4), n)
            } else if let Some(n) = arg.strip_prefix('6') {
                (Some(Afi::Ipv6), n)
            } else {
                (None, arg)
            };
            if name.trim().is_empty() {
                return Err(QueryError("!a needs a set name"));
            }
            Query::Aggregate {
                afi,
                name: name.trim().to_ascii_uppercase(),
            }
        }
        'j' => {
            if arg == "-*" || arg.is_empty() {
                Query::Serials(None)
            } else {
                Query::Serials(Some(list(arg)))
            }
        }
        'm' => {
            let (class, key) = arg
                .split_once(',')
                .ok_or(QueryError("!m takes CLASS,KEY"))?;
            Query::Object {
                class: class.trim().to_ascii_lowercase(),
                key: key.trim().to_ascii_uppercase(),
            }
        }
        _ => return Err(QueryError("unrecognised command")),
    })
}

fn parse_ripe(t: &str) -> Result<RipeQuery, QueryError> {
    let mut q = RipeQuery::default();
    let mut words = t.split_whitespace();
    let mut key: Vec<&str> = Vec::new();
    while let Some(w) = words.next() {
        match w {
            "-i" => {
                let attr = words.next().ok_or(QueryError("-i needs an attribute"))?;
                if !attr.eq_ignore_ascii_case("origin") {
                    return Err(QueryError("only `-i origin` is supported"));
                }
                let asn = words.next().ok_or(QueryError("-i origin needs an AS"))?;
                q.inverse_origin = Some(parse_asn(asn).ok_or(QueryError("not an AS number"))?);
            }
            "-s" => q.sources = Some(list(words.next().ok_or(QueryError("-s needs sources"))?)),
            "-T" => {
                q.classes = words
                    .next()
                    .ok_or(QueryError("-T needs classes"))?
                    .split(',')
                    .map(|c| c.to_ascii_lowercase())
                    .collect()
            }
            "-k" => q.keep_open = true,
            // Flags that change nothing here: no recursion, brief, no grouping, etc.
            "-r" | "-B" | "-G" | "-K" | "-a" => {}
            w if w.starts_with('-') => return Err(QueryError("unsupported flag")),
            w => key.push(w),
        }
    }
    if key.len() > 1 {
        return Err(QueryError("more than one key"));
    }
    q.key = key
        .first()
        .map(|k| k.to_ascii_uppercase())
        .unwrap_or_default();
    if q.key.is_empty() && q.inverse_origin.is_none() {
        return Err(QueryError("no query key"));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bang_commands_parse() {
        assert_eq!(parse_query(b"!!"), Ok(Query::Persistent));
        assert_eq!(parse_query(b"!q\r"), Ok(Query::Quit));
        assert_eq!(
            parse_query(b"!nbgpq4-1.9"),
            Ok(Query::ClientName("bgpq4-1.9".into()))
        );
        assert_eq!(parse_query(b"!s-lc"), Ok(Query::ListSources));
        assert_eq!(
            parse_query(b"!sdn42,RIPE"),
            Ok(Query::SetSources(vec!["DN42".into(), "RIPE".into()]))
        );
        assert_eq!(
            parse_query(b"!gas65000"),
            Ok(Query::Origin {
                afi: Afi::Ipv4,
                asn: Asn(65000)
            })
        );
        assert_eq!(
            parse_query(b"!6AS1"),
            Ok(Query::Origin {
                afi: Afi::Ipv6,
                asn: Asn(1)
            })
        );
        assert_eq!(
            parse_query(b"!iAS-FOO,1"),
            Ok(Query::SetMembers {
                name: "AS-FOO".into(),
                recursive: true
            })
        );
        assert_eq!(
            parse_query(b"!ias1:as-foo"),
            Ok(Query::SetMembers {
                name: "AS1:AS-FOO".into(),
                recursive: false
            })
        );
        assert_eq!(
            parse_query(b"!a6AS-FOO"),
            Ok(Query::Aggregate {
                afi: Some(Afi::Ipv6),
                name: "AS-FOO".into()
            })
        );
        assert_eq!(parse_query(b"!j-*"), Ok(Query::Serials(None)));
        assert_eq!(
            parse_query(b"!mroute,192.0.2.0/24AS1"),
            Ok(Query::Object {
                class: "route".into(),
                key: "192.0.2.0/24AS1".into()
            })
        );
    }

    #[test]
    fn ripe_style_queries_parse() {
        let Ok(Query::Ripe(q)) = parse_query(b"-i origin AS64496") else {
            panic!()
        };
        assert_eq!(q.inverse_origin, Some(Asn(64496)));
        let Ok(Query::Ripe(q)) = parse_query(b"-r -s RIPE,RADB -T as-set as-foo") else {
            panic!()
        };
        assert_eq!(q.key, "AS-FOO");
        assert_eq!(q.sources, Some(vec!["RIPE".into(), "RADB".into()]));
        assert_eq!(q.classes, vec!["as-set"]);
    }

    #[test]
    fn bad_queries_are_refused_with_a_reason() {
        assert_eq!(parse_query(b"!x"), Err(QueryError("unrecognised command")));
        assert_eq!(parse_query(b"!gFOO"), Err(QueryError("not an AS number")));
        assert_eq!(
            parse_query(b"!iAS-X,2"),
            Err(QueryError("!i takes NAME or NAME,1"))
        );
        assert_eq!(
            parse_query(b"\xff\xfe"),
            Err(QueryError("query is not UTF-8"))
        );
        assert_eq!(
            parse_query(&vec![b'a'; MAX_QUERY_LEN + 1]),
            Err(QueryError("query too long"))
        );
        assert_eq!(
            parse_query(b"-i mnt-by X"),
            Err(QueryError("only `-i origin` is supported"))
        );
        assert_eq!(parse_query(b"!"), Err(QueryError("empty command")));
    }
}
