//! Recursive set expansion with loop detection, a depth limit and a report of everything that
//! could not be resolved.
//!
//! Depth counts sets: a set of plain ASNs has depth 1, a set containing it depth 2. A member
//! that names a set already on the current path closes a cycle: it is recorded and not
//! followed. A set seen before elsewhere is not expanded again (its members are already in).

use crate::index::{RouteEntry, SetEntry, View};
use crate::object::{parse_asn, Class};
use routenorms_types::{Afi, Asn, Prefix};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Default depth limit (sets deeper than this are reported, not followed).
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// A prefix with an RPSL range operator: lengths `ge..=le` of `prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PrefixRange {
    pub prefix: Prefix,
    pub ge: u8,
    pub le: u8,
}

impl PrefixRange {
    pub fn exact(prefix: Prefix) -> PrefixRange {
        PrefixRange {
            prefix,
            ge: prefix.len(),
            le: prefix.len(),
        }
    }

    pub fn is_exact(&self) -> bool {
        self.ge == self.prefix.len() && self.le == self.prefix.len()
    }
}

/// An RPSL range operator (RFC 2622 section 2): `^-`, `^+`, `^n`, `^n-m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOp {
    MoreSpecificsOnly,
    Inclusive,
    Exact(u8),
    Range(u8, u8),
}

impl RangeOp {
    fn parse(s: &str) -> Option<RangeOp> {
        // DN42 writes `fd00::/8+` for `fd00::/8^+`.
        let s = s.strip_prefix('^').unwrap_or(s);
        match s {
            "-" => Some(RangeOp::MoreSpecificsOnly),
            "+" => Some(RangeOp::Inclusive),
            _ => match s.split_once('-') {
                Some((a, b)) => Some(RangeOp::Range(a.parse().ok()?, b.parse().ok()?)),
                None => Some(RangeOp::Exact(s.parse().ok()?)),
            },
        }
    }

    /// Applies the operator to a range (RFC 2622: to each prefix of a set member).
    pub fn apply(self, r: PrefixRange) -> Option<PrefixRange> {
        let max = r.prefix.afi().max_len();
        let (ge, le) = match self {
            RangeOp::MoreSpecificsOnly => (r.ge.saturating_add(1), max),
            RangeOp::Inclusive => (r.ge, max),
            RangeOp::Exact(n) => (n, n),
            RangeOp::Range(a, b) => (a, b),
        };
        let ge = ge.max(r.prefix.len());
        (ge <= le && le <= max).then_some(PrefixRange {
            prefix: r.prefix,
            ge,
            le,
        })
    }
}

/// Splits `NAME^op` / `PREFIX^op`.
fn split_op(m: &str) -> (&str, Option<RangeOp>) {
    if let Some(i) = m.find('^') {
        return (&m[..i], RangeOp::parse(&m[i..]));
    }
    // `fd00::/8+` and `10.0.0.0/8-` (DN42 style) on prefixes only.
    if m.contains('/') {
        if let Some(stripped) = m.strip_suffix('+') {
            return (stripped, Some(RangeOp::Inclusive));
        }
        if let Some(stripped) = m.strip_suffix('-') {
            return (stripped, Some(RangeOp::MoreSpecificsOnly));
        }
    }
    (m, None)
}

fn parse_prefix(s: &str) -> Option<Prefix> {
    let (a, l) = s.split_once('/')?;
    let addr: IpAddr = a.parse().ok()?;
    Prefix::new(addr, l.parse().ok()?).ok()
}

/// What expanding one set gave.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Expansion {
    /// The set as found (upper case) and its source.
    pub name: String,
    pub source: String,
    /// Every AS reached (as-set members, and ASNs inside route-sets).
    pub asns: BTreeSet<Asn>,
    /// Route-set prefixes (with range operators applied), including the routes of ASNs and
    /// as-sets named in a route-set.
    pub prefixes: BTreeSet<PrefixRange>,
    /// The longest chain of nested sets (1 = no nested sets): the longest path through the
    /// set graph, edges that close a cycle not followed. A set shared by several branches is
    /// expanded once and its chain length reused, so this can exceed the depth limit when a
    /// long chain is first reached by a short path; the limit bounds the recursion, never
    /// this count.
    pub depth: usize,
    /// Distinct sets expanded.
    pub sets: usize,
    /// (set, member) pairs where the member is a set already on the path.
    pub cycles: Vec<(String, String)>,
    /// Members that name no set in the selected sources, or are not valid members.
    pub unresolved: BTreeSet<String>,
    /// Sets not followed because they lie deeper than the limit.
    pub depth_limited: BTreeSet<String>,
}

struct Walk<'v, 'a> {
    view: &'v View<'a>,
    max_depth: usize,
    out: Expansion,
    on_path: FxHashSet<*const SetEntry>,
    done: FxHashMap<*const SetEntry, usize>,
    /// ASNs found inside route-sets, with the operator to apply to their routes.
    route_asns: Vec<(Asn, Option<RangeOp>)>,
}

impl<'a> View<'a> {
    /// Expands an as-set or route-set by name (`SOURCE::NAME` accepted). `None` when no
    /// selected source has it.
    pub fn expand(&self, name: &str, max_depth: usize) -> Option<Expansion> {
        let root = self.find_set(name)?;
        let mut w = Walk {
            view: self,
            max_depth,
            out: Expansion {
                name: root.set.name.clone(),
                source: self.db.source_name(root.source).to_owned(),
                ..Expansion::default()
            },
            on_path: FxHashSet::default(),
            done: FxHashMap::default(),
            route_asns: Vec::new(),
        };
        let depth = w.visit(root, 1, None);
        w.out.depth = depth;
        w.out.sets = w.done.len();
        if root.class == Class::RouteSet {
            let mut pairs = std::mem::take(&mut w.route_asns);
            pairs.sort_unstable_by_key(|(a, op)| (*a, format!("{op:?}")));
            pairs.dedup();
            for (asn, op) in pairs {
                for r in self.routes_of(asn, None) {
                    push_range(&mut w.out.prefixes, PrefixRange::exact(r.prefix), op);
                }
            }
        }
        Some(w.out)
    }

    /// The prefixes (route objects) of an AS number or an as-set, one family or both:
    /// the entries a filter is built from, in prefix order, with every route entry that
    /// contributes.
    pub fn prefixes_of_object(
        &self,
        object: &str,
        afi: Option<Afi>,
        max_depth: usize,
    ) -> Option<(Vec<&'a RouteEntry>, Option<Expansion>)> {
        if let Some(asn) = parse_asn(object) {
            let mut v: Vec<&RouteEntry> = self.routes_of(asn, afi).collect();
            v.sort_by_key(|r| (r.prefix, r.origin, self.rank(r.source)));
            return Some((v, None));
        }
        let e = self.expand(object, max_depth)?;
        let mut v: Vec<&RouteEntry> = e
            .asns
            .iter()
            .flat_map(|&a| self.routes_of(a, afi))
            .collect();
        v.sort_by_key(|r| (r.prefix, r.origin, self.rank(r.source)));
        Some((v, Some(e)))
    }
}

fn push_range(out: &mut BTreeSet<PrefixRange>, r: PrefixRange, op: Option<RangeOp>) {
    match op {
        None => {
            out.insert(r);
        }
        Some(op) => {
            if let Some(r) = op.apply(r) {
                out.insert(r);
            }
        }
    }
}

impl Walk<'_, '_> {
    /// Expands `set` at `depth`; returns the depth of its subtree. `op` is the range
    /// operator the reference carried (route-sets).
    fn visit(&mut self, set: &SetEntry, depth: usize, op: Option<RangeOp>) -> usize {
        let key = set as *const SetEntry;
        if let Some(&d) = self.done.get(&key) {
            if op.is_none() {
                return d;
            }
        }
        if depth > self.max_depth {
            self.out.depth_limited.insert(set.set.name.clone());
            return 0;
        }
        self.on_path.insert(key);
        let mut sub = 0usize;
        let is_route_set = set.class == Class::RouteSet;
        let members: Vec<String> = if is_route_set {
            set.set
                .members
                .iter()
                .chain(&set.set.mp_members)
                .cloned()
                .collect()
        } else {
            set.set.members.clone()
        };
        for m in &members {
            let (name, mop) = if is_route_set {
                split_op(m)
            } else {
                (m.as_str(), None)
            };
            let mop = combine(op, mop);
            if let Some(asn) = parse_asn(name) {
                if is_route_set {
                    self.route_asns.push((asn, mop));
                } else {
                    self.out.asns.insert(asn);
                }
                continue;
            }
            if is_route_set {
                if let Some(p) = parse_prefix(name) {
                    push_range(&mut self.out.prefixes, PrefixRange::exact(p), mop);
                    continue;
                }
            }
            if name == "ANY" || name.is_empty() {
                continue;
            }
            let Some(child) = self.view.find_set(name) else {
                self.out.unresolved.insert(m.clone());
                continue;
            };
            if !is_route_set && child.class != Class::AsSet {
                self.out.unresolved.insert(m.clone());
                continue;
            }
            if self.on_path.contains(&(child as *const SetEntry)) {
                self.out
                    .cycles
                    .push((set.set.name.clone(), child.set.name.clone()));
                continue;
            }
            if is_route_set && child.class == Class::AsSet {
                // An as-set inside a route-set stands for its ASes' routes.
                let before: BTreeSet<Asn> = std::mem::take(&mut self.out.asns);
                let d = self.visit(child, depth + 1, None);
                let got = std::mem::replace(&mut self.out.asns, before);
                for a in &got {
                    self.route_asns.push((*a, mop));
                }
                self.out.asns.extend(got);
                sub = sub.max(d);
                continue;
            }
            let d = self.visit(child, depth + 1, mop);
            sub = sub.max(d);
        }
        if is_route_set {
            for r in self.view.routes_by_ref(&set.set) {
                push_range(&mut self.out.prefixes, PrefixRange::exact(r.prefix), op);
            }
        } else {
            for a in self.view.members_by_ref(&set.set) {
                self.out.asns.insert(a);
            }
        }
        self.on_path.remove(&key);
        let d = sub + 1;
        self.done.insert(key, d);
        d
    }
}

/// An operator on a reference applied on top of one on the member (RFC 2622: the outer one
/// wins where both are given; we keep that simple reading).
fn combine(outer: Option<RangeOp>, inner: Option<RangeOp>) -> Option<RangeOp> {
    outer.or(inner)
}

#[cfg(test)]
mod tests {
    use crate::index::tests::db;
    use routenorms_types::Asn;

    const SETS: &str = "\
as-set: AS-TOP\nmembers: AS1, AS-MID\nmembers: AS-MISSING\nsource: A\n\n\
as-set: AS-MID\nmembers: AS2 AS-LEAF\nsource: A\n\n\
as-set: AS-LEAF\nmembers: AS3, AS-TOP\nsource: A\n\n\
as-set: AS-SELF\nmembers: AS-SELF, AS9\nsource: A\n\n\
as-set: AS-REF\nmembers: AS4\nmbrs-by-ref: GOOD-MNT\nsource: A\n\n\
aut-num: AS5\nmember-of: AS-REF\nmnt-by: GOOD-MNT\nsource: A\n\n\
aut-num: AS6\nmember-of: AS-REF\nmnt-by: OTHER-MNT\nsource: A\n\n\
route-set: RS-X\nmembers: 10.0.0.0/8^+, RS-Y^24, AS1\nmp-members: fd00::/8+\nsource: A\n\n\
route-set: RS-Y\nmembers: 11.0.0.0/16\nsource: A\n\n\
route: 192.0.2.0/24\norigin: AS1\nsource: A\n";

    #[test]
    fn recursive_expansion_finds_all_asns_and_reports_cycles_and_unresolved() {
        let db = db(SETS);
        let v = db.view(&[]).unwrap();
        let e = v.expand("as-top", 32).unwrap();
        assert_eq!(
            e.asns.iter().map(|a| a.0).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(e.depth, 3);
        assert_eq!(e.sets, 3);
        assert_eq!(
            e.cycles,
            vec![("AS-LEAF".to_string(), "AS-TOP".to_string())]
        );
        assert_eq!(e.unresolved.iter().collect::<Vec<_>>(), vec!["AS-MISSING"]);
    }

    #[test]
    fn a_set_containing_itself_terminates() {
        let db = db(SETS);
        let e = db.view(&[]).unwrap().expand("AS-SELF", 32).unwrap();
        assert_eq!(e.asns.len(), 1);
        assert_eq!(e.cycles.len(), 1);
    }

    #[test]
    fn the_depth_limit_stops_and_reports() {
        let db = db(SETS);
        let e = db.view(&[]).unwrap().expand("AS-TOP", 2).unwrap();
        assert_eq!(e.asns.iter().map(|a| a.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(e.depth_limited.iter().collect::<Vec<_>>(), vec!["AS-LEAF"]);
    }

    #[test]
    fn a_deep_chain_is_bounded_by_the_limit() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!(
                "as-set: AS-C{i}\nmembers: AS-C{}, AS{i}\nsource: A\n\n",
                i + 1
            ));
        }
        let db = db(&text);
        let e = db.view(&[]).unwrap().expand("AS-C0", 32).unwrap();
        assert_eq!(e.asns.len(), 32);
        assert_eq!(e.depth_limited.len(), 1);
    }

    #[test]
    fn mbrs_by_ref_admits_only_matching_maintainers() {
        let db = db(SETS);
        let e = db.view(&[]).unwrap().expand("AS-REF", 32).unwrap();
        assert_eq!(
            e.asns.iter().copied().collect::<Vec<_>>(),
            vec![Asn(4), Asn(5)]
        );
    }

    #[test]
    fn route_sets_apply_range_operators_and_include_asn_routes() {
        let db = db(SETS);
        let e = db.view(&[]).unwrap().expand("RS-X", 32).unwrap();
        let got: Vec<String> = e
            .prefixes
            .iter()
            .map(|r| format!("{} {}-{}", r.prefix, r.ge, r.le))
            .collect();
        assert_eq!(
            got,
            vec![
                "10.0.0.0/8 8-32",
                "11.0.0.0/16 24-24",
                "192.0.2.0/24 24-24",
                "fd00::/8 8-128"
            ]
        );
    }
}
