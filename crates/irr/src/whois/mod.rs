//! The IRRd whois query protocol, synchronous: a [`Session`] holds one client's state
//! (persistent mode, selected sources) and turns each query line into the bytes to send.
//! The socket loop lives in the binary.
//!
//! Framing of `!` answers (IRRd): `A<len>\n<data>\nC\n` for data (`len` counts the data and
//! its newline), `C\n` for success without data, `D\n` for a key not found, `F <reason>\n`
//! for an error. RIPE-style queries answer with object text, each object followed by a blank
//! line, or `%  No entries found for the selected source(s).`.

pub mod query;

use crate::expand::DEFAULT_MAX_DEPTH;
use crate::filter::aggregate;
use crate::index::IrrDb;
use crate::object::Class;
pub use query::{parse_query, Query, QueryError, RipeQuery, MAX_QUERY_LEN};
use routenorms_types::{Afi, Prefix};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Bytes to send, and whether to close the connection afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub close: bool,
}

/// One client's state.
#[derive(Debug)]
pub struct Session<'a> {
    db: &'a IrrDb,
    sources: Vec<String>,
    persistent: bool,
    /// Name the client gave with `!n`.
    pub client_name: Option<String>,
}

fn data(s: &str) -> Vec<u8> {
    if s.is_empty() {
        return b"C\n".to_vec();
    }
    format!("A{}\n{}\nC\n", s.len() + 1, s).into_bytes()
}

fn fail(reason: &str) -> Vec<u8> {
    format!("F {reason}\n").into_bytes()
}

const NOT_FOUND: &[u8] = b"D\n";
const NO_ENTRIES: &[u8] = b"%  No entries found for the selected source(s).\n\n\n";

impl<'a> Session<'a> {
    /// A session over `db` (finished), all sources selected.
    pub fn new(db: &'a IrrDb) -> Session<'a> {
        Session {
            db,
            sources: Vec::new(),
            persistent: false,
            client_name: None,
        }
    }

    /// Whether `!!` was sent.
    pub fn persistent(&self) -> bool {
        self.persistent
    }

    /// Answers one query line.
    pub fn answer_line(&mut self, line: &[u8]) -> Reply {
        match parse_query(line) {
            Ok(q) => self.answer(q),
            Err(e) => Reply {
                bytes: fail(e.0),
                close: !self.persistent,
            },
        }
    }

    /// Answers one parsed query.
    pub fn answer(&mut self, q: Query) -> Reply {
        let mut close = !self.persistent;
        let bytes = match q {
            Query::Empty => {
                close = false;
                Vec::new()
            }
            Query::Persistent => {
                self.persistent = true;
                close = false;
                Vec::new()
            }
            Query::Quit => {
                close = true;
                Vec::new()
            }
            Query::ClientName(n) => {
                self.client_name = Some(n);
                b"C\n".to_vec()
            }
            Query::Version => data(concat!("routenorms ", env!("CARGO_PKG_VERSION"))),
            Query::ListSources => {
                let names: Vec<String> = match self.db.view(&self.sources) {
                    Ok(v) => v
                        .sources()
                        .iter()
                        .map(|&s| self.db.source_name(s).to_owned())
                        .collect(),
                    Err(_) => Vec::new(),
                };
                data(&names.join(","))
            }
            Query::SetSources(list) => match self.db.view(&list) {
                Ok(_) => {
                    self.sources = list;
                    b"C\n".to_vec()
                }
                Err(e) => fail(&format!("Invalid source {}", e.0)),
            },
            Query::Serials(list) => {
                let names: Vec<String> = list.unwrap_or_else(|| self.db.sources().to_vec());
                match self.db.view(&names) {
                    Ok(v) => {
                        let lines: Vec<String> = v
                            .sources()
                            .iter()
                            .map(|&s| format!("{}:N:0-0", self.db.source_name(s)))
                            .collect();
                        data(&lines.join("\n"))
                    }
                    Err(e) => fail(&format!("Invalid source {}", e.0)),
                }
            }
            Query::Origin { afi, asn } => {
                let v = self.view();
                let set: BTreeSet<Prefix> = v.routes_of(asn, Some(afi)).map(|r| r.prefix).collect();
                data(&join(set.iter()))
            }
            Query::SetMembers { name, recursive } => self.set_members(&name, recursive),
            Query::Aggregate { afi, name } => {
                let v = self.view();
                match v.prefixes_of_object(&name, afi, DEFAULT_MAX_DEPTH) {
                    None => NOT_FOUND.to_vec(),
                    Some((routes, _)) => {
                        let mut out = Vec::new();
                        for f in [Afi::Ipv4, Afi::Ipv6] {
                            let p: Vec<Prefix> = routes
                                .iter()
                                .filter(|r| r.prefix.afi() == f)
                                .map(|r| r.prefix)
                                .collect();
                            out.extend(aggregate(&p));
                        }
                        data(&join(out.iter()))
                    }
                }
            }
            Query::Object { class, key } => {
                let v = self.view();
                let cls = Class::from_name(&class);
                let mut found: Vec<&crate::index::StoredObject> = self
                    .db
                    .objects_by_key(&key)
                    .filter(|o| o.class == cls && v.enabled(o.source))
                    .collect();
                found.sort_by_key(|o| v.rank(o.source));
                match found.first() {
                    Some(o) => data(o.text.trim_end()),
                    None => NOT_FOUND.to_vec(),
                }
            }
            Query::Ripe(rq) => {
                if rq.keep_open {
                    self.persistent = true;
                    close = false;
                }
                self.ripe(&rq)
            }
        };
        Reply { bytes, close }
    }

    fn view(&self) -> crate::index::View<'a> {
        // The sources were checked when selected.
        self.db
            .view(&self.sources)
            .unwrap_or_else(|_| self.db.view(&[]).expect("all sources"))
    }

    fn set_members(&self, name: &str, recursive: bool) -> Vec<u8> {
        let v = self.view();
        let Some(set) = v.find_set(name) else {
            return NOT_FOUND.to_vec();
        };
        if !recursive {
            let mut members: Vec<String> = set.set.members.clone();
            if set.class == Class::RouteSet {
                members.extend(set.set.mp_members.iter().cloned());
            }
            return data(&members.join(" "));
        }
        let Some(e) = v.expand(name, DEFAULT_MAX_DEPTH) else {
            return NOT_FOUND.to_vec();
        };
        if set.class == Class::RouteSet {
            let items: Vec<String> = e
                .prefixes
                .iter()
                .map(|r| {
                    if r.is_exact() {
                        r.prefix.to_string()
                    } else {
                        format!("{}^{}-{}", r.prefix, r.ge, r.le)
                    }
                })
                .collect();
            data(&items.join(" "))
        } else {
            data(&join(e.asns.iter().map(|a| format!("AS{a}"))))
        }
    }

    fn ripe(&self, q: &RipeQuery) -> Vec<u8> {
        let sources = q.sources.clone().unwrap_or_else(|| self.sources.clone());
        let v = match self.db.view(&sources) {
            Ok(v) => v,
            Err(e) => return format!("%ERROR:102: unknown source {}\n\n\n", e.0).into_bytes(),
        };
        let class_ok = |c: Class| q.classes.is_empty() || q.classes.iter().any(|x| x == c.as_str());
        let mut out = String::new();
        if let Some(asn) = q.inverse_origin {
            let mut seen = BTreeSet::new();
            for r in v.routes_of(asn, None) {
                let cls = if r.prefix.afi() == Afi::Ipv4 {
                    Class::Route
                } else {
                    Class::Route6
                };
                if !class_ok(cls) {
                    continue;
                }
                if let Some(o) = self.db.route_text(r) {
                    if seen.insert(o as *const _ as usize) {
                        let _ = writeln!(out, "{}", o.text.trim_end());
                        out.push('\n');
                    }
                }
            }
        } else {
            let mut found: Vec<_> = self
                .db
                .objects_by_key(&q.key)
                .filter(|o| v.enabled(o.source) && class_ok(o.class))
                .collect();
            found.sort_by_key(|o| v.rank(o.source));
            for o in found {
                let _ = writeln!(out, "{}", o.text.trim_end());
                out.push('\n');
            }
        }
        if out.is_empty() {
            return NO_ENTRIES.to_vec();
        }
        out.push('\n');
        out.into_bytes()
    }
}

fn join<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, x) in items.enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::db;

    const REG: &str = "\
route: 192.0.2.0/24\norigin: AS1\nsource: A\n\n\
route: 192.0.3.0/24\norigin: AS1\nsource: B\n\n\
route6: 2001:db8::/32\norigin: AS1\nsource: A\n\n\
as-set: AS-X\nmembers: AS1, AS-Y\nsource: A\n\n\
as-set: AS-Y\nmembers: AS2\nsource: A\n\n\
route: 198.51.100.0/24\norigin: AS2\nsource: A\n";

    fn ask(s: &mut Session<'_>, q: &str) -> String {
        String::from_utf8(s.answer_line(q.as_bytes()).bytes).unwrap()
    }

    #[test]
    fn irrd_framing_of_answers() {
        let db = db(REG);
        let mut s = Session::new(&db);
        assert_eq!(
            s.answer_line(b"!!"),
            Reply {
                bytes: vec![],
                close: false
            }
        );
        assert_eq!(ask(&mut s, "!gAS1"), "A26\n192.0.2.0/24 192.0.3.0/24\nC\n");
        assert_eq!(ask(&mut s, "!6AS1"), "A14\n2001:db8::/32\nC\n");
        assert_eq!(ask(&mut s, "!gAS9"), "C\n");
        assert_eq!(ask(&mut s, "!iAS-X"), "A9\nAS1 AS-Y\nC\n");
        assert_eq!(ask(&mut s, "!iAS-X,1"), "A8\nAS1 AS2\nC\n");
        assert_eq!(ask(&mut s, "!iAS-NOPE,1"), "D\n");
        assert_eq!(ask(&mut s, "!x"), "F unrecognised command\n");
        assert_eq!(ask(&mut s, "!s-lc"), "A4\nA,B\nC\n");
        assert_eq!(ask(&mut s, "!sB"), "C\n");
        assert_eq!(ask(&mut s, "!gAS1"), "A13\n192.0.3.0/24\nC\n");
        assert_eq!(ask(&mut s, "!sNOPE"), "F Invalid source NOPE\n");
        assert_eq!(ask(&mut s, "!sA,B"), "C\n");
        assert_eq!(
            ask(&mut s, "!a4AS-X"),
            "A29\n192.0.2.0/23 198.51.100.0/24\nC\n"
        );
        assert_eq!(ask(&mut s, "!j-*"), "A16\nA:N:0-0\nB:N:0-0\nC\n");
        // bgpq4 probes `!a` to decide whether to let the server aggregate; not claiming
        // support keeps its filters prefix-exact (the probe expects another error text).
        assert_eq!(ask(&mut s, "!a"), "F !a needs a set name\n");
        assert!(s.answer_line(b"!q").close);
    }

    #[test]
    fn without_persistent_mode_the_connection_closes_after_one_answer() {
        let db = db(REG);
        let mut s = Session::new(&db);
        assert!(s.answer_line(b"!gAS1").close);
    }

    #[test]
    fn ripe_style_queries_return_object_text() {
        let db = db(REG);
        let mut s = Session::new(&db);
        let a = ask(&mut s, "-i origin AS2");
        assert!(a.starts_with("route:"), "{a}");
        assert!(a.contains("198.51.100.0/24"));
        assert!(a.ends_with("\n\n"));
        assert_eq!(
            ask(&mut s, "as-y"),
            "as-set:         AS-Y\nmembers:        AS2\nsource:         A\n\n\n"
        );
        assert_eq!(
            ask(&mut s, "AS-NOPE"),
            "%  No entries found for the selected source(s).\n\n\n"
        );
        let a = ask(&mut s, "!mas-set,AS-Y");
        assert!(a.starts_with("A"), "{a}");
    }
}
