//! Prefix filters in router syntaxes, shaped exactly like `bgpq4 -l NAME` output, with
//! RPKI-aware extras.
//!
//! The prefix set is kept in the same kind of tree bgpq4 builds (a path-compressed binary
//! trie with glue nodes) so that aggregation (`-A`) and more-specific ranges (`-R`) give
//! the same entries in the same order: the tree is walked pre-order, and an aggregate is
//! a node standing for lengths `low..=high` below it.

use crate::index::{RouteEntry, View};
use routenorms_rpki::{RovState, VrpSet};
use routenorms_types::{Afi, Asn, Prefix};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Router syntaxes (bgpq4 flags: none, `-X`, `-J`, `-b`, `-B`, `-j`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterFormat {
    Cisco,
    CiscoXr,
    Juniper,
    Bird,
    Openbgpd,
    Json,
}

#[derive(Clone, Debug)]
struct Node {
    prefix: Prefix,
    l: Option<usize>,
    r: Option<usize>,
    son: Option<usize>,
    glue: bool,
    aggregate: bool,
    low: u8,
    high: u8,
}

/// A prefix tree built and aggregated the way bgpq4 does it.
#[derive(Clone, Debug, Default)]
pub struct PrefixTree {
    nodes: Vec<Node>,
    head: Option<usize>,
}

/// One printed entry: a prefix, exact or with a length range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    pub prefix: Prefix,
    /// `None`: exact. `Some((ge, le))`: lengths `ge..=le`; `ge` is `None` when it is the
    /// prefix's own length (printed as `le` only).
    pub range: Option<(Option<u8>, u8)>,
}

fn bit(p: &Prefix, i: u8) -> bool {
    let w = p.afi().max_len() as u32;
    (p.bits() >> (w - 1 - i as u32)) & 1 == 1
}

fn eqbits(a: &Prefix, b: &Prefix) -> u8 {
    let x = a.bits() ^ b.bits();
    let lz = match a.afi() {
        Afi::Ipv4 => (x as u32).leading_zeros() as u8,
        Afi::Ipv6 => x.leading_zeros() as u8,
    };
    lz.min(a.len()).min(b.len())
}

#[derive(Clone, Copy)]
enum Slot {
    Head,
    L(usize),
    R(usize),
}

impl PrefixTree {
    pub fn new() -> PrefixTree {
        PrefixTree::default()
    }

    fn node(&mut self, prefix: Prefix) -> usize {
        self.nodes.push(Node {
            prefix,
            l: None,
            r: None,
            son: None,
            glue: false,
            aggregate: false,
            low: 0,
            high: 0,
        });
        self.nodes.len() - 1
    }

    fn set(&mut self, slot: Slot, v: usize) {
        match slot {
            Slot::Head => self.head = Some(v),
            Slot::L(i) => self.nodes[i].l = Some(v),
            Slot::R(i) => self.nodes[i].r = Some(v),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Inserts a prefix (all prefixes of one tree must be of one family).
    pub fn insert(&mut self, p: Prefix) {
        let Some(mut cur) = self.head else {
            let n = self.node(p);
            self.head = Some(n);
            return;
        };
        let mut slot = Slot::Head;
        loop {
            let c = self.nodes[cur].prefix;
            let eb = eqbits(&p, &c);
            if eb < p.len() && eb < c.len() {
                let ret = self.node(p);
                let glue_prefix = Prefix::from_bits(p.afi(), p.bits(), eb).expect("shorter");
                let rn = self.node(glue_prefix);
                self.nodes[rn].glue = true;
                if bit(&p, eb) {
                    self.nodes[rn].l = Some(cur);
                    self.nodes[rn].r = Some(ret);
                } else {
                    self.nodes[rn].l = Some(ret);
                    self.nodes[rn].r = Some(cur);
                }
                self.set(slot, rn);
                return;
            } else if eb == p.len() && eb < c.len() {
                let ret = self.node(p);
                if bit(&c, eb) {
                    self.nodes[ret].r = Some(cur);
                } else {
                    self.nodes[ret].l = Some(cur);
                }
                self.set(slot, ret);
                return;
            } else if eb == c.len() && eb < p.len() {
                let right = bit(&p, eb);
                let next = if right {
                    self.nodes[cur].r
                } else {
                    self.nodes[cur].l
                };
                match next {
                    Some(n) => {
                        slot = if right { Slot::R(cur) } else { Slot::L(cur) };
                        cur = n;
                    }
                    None => {
                        let n = self.node(p);
                        if right {
                            self.nodes[cur].r = Some(n);
                        } else {
                            self.nodes[cur].l = Some(n);
                        }
                        return;
                    }
                }
            } else {
                self.nodes[cur].glue = false;
                return;
            }
        }
    }

    /// Inserts a prefix standing for lengths `ge..=le` of it (a route-set member with a
    /// range operator), kept as one ranged entry rather than every more-specific.
    pub fn insert_range(&mut self, p: Prefix, ge: u8, le: u8) {
        self.insert(p);
        if ge == p.len() && le == p.len() {
            return;
        }
        if let Some(i) = self.nodes.iter().rposition(|n| n.prefix == p && !n.glue) {
            let n = &mut self.nodes[i];
            n.aggregate = true;
            n.low = ge;
            n.high = le;
        }
    }

    fn for_each_node(&self, n: usize, f: &mut impl FnMut(usize)) {
        f(n);
        if let Some(l) = self.nodes[n].l {
            self.for_each_node(l, f);
        }
        if let Some(r) = self.nodes[n].r {
            self.for_each_node(r, f);
        }
    }

    /// Allows more-specifics of every prefix down to length `len` (bgpq4 `-R len`).
    pub fn refine(&mut self, len: u8) {
        if let Some(h) = self.head {
            self.refine_node(h, len);
        }
    }

    fn refine_node(&mut self, n: usize, len: u8) {
        let (glue, plen, l, r) = {
            let x = &self.nodes[n];
            (x.glue, x.prefix.len(), x.l, x.r)
        };
        if !glue && plen < len {
            let x = &mut self.nodes[n];
            x.aggregate = true;
            x.low = plen;
            x.high = len;
            for c in [l, r].into_iter().flatten() {
                let mut hide = Vec::new();
                self.for_each_node(c, &mut |i| hide.push(i));
                for i in hide {
                    if self.nodes[i].prefix.len() <= len {
                        self.nodes[i].glue = true;
                    }
                }
                self.refine_node(c, len);
            }
        } else if !glue && plen == len {
            for c in [l, r].into_iter().flatten() {
                self.refine_node(c, len);
            }
        } else if glue {
            for c in [r, l].into_iter().flatten() {
                self.refine_node(c, len);
            }
        }
    }

    fn son_node(&mut self, prefix: Prefix, low: u8, high: u8) -> usize {
        let s = self.node(prefix);
        let x = &mut self.nodes[s];
        x.aggregate = true;
        x.low = low;
        x.high = high;
        s
    }

    /// Aggregates sibling prefixes into ranges (bgpq4 `-A`).
    pub fn aggregate(&mut self) {
        if let Some(h) = self.head {
            self.aggregate_node(h);
        }
    }

    fn aggregate_node(&mut self, n: usize) {
        if let Some(l) = self.nodes[n].l {
            self.aggregate_node(l);
        }
        if let Some(r) = self.nodes[n].r {
            self.aggregate_node(r);
        }
        let (Some(l), Some(r)) = (self.nodes[n].l, self.nodes[n].r) else {
            return;
        };
        let nl = self.nodes[n].prefix.len();
        let (lp, rp) = (self.nodes[l].prefix.len(), self.nodes[r].prefix.len());
        let both_children = lp == nl + 1 && rp == nl + 1;
        let same =
            |a: &Node, b: &Node| a.aggregate && b.aggregate && a.high == b.high && a.low == b.low;
        let (ln, rn) = (self.nodes[l].clone(), self.nodes[r].clone());
        let (ls, rs) = (ln.son, rn.son);
        if !rn.aggregate && !ln.aggregate && !rn.glue && !ln.glue && rp == lp {
            if rp == nl + 1 {
                self.nodes[r].glue = true;
                self.nodes[l].glue = true;
                let x = &mut self.nodes[n];
                x.aggregate = true;
                x.high = rp;
                if x.glue {
                    x.glue = false;
                    x.low = rp;
                } else {
                    x.low = nl;
                }
            }
            if let (Some(rs), Some(ls)) = (rs, ls) {
                let (a, b) = (self.nodes[rs].clone(), self.nodes[ls].clone());
                if same(&a, &b) && both_children {
                    let p = self.nodes[n].prefix;
                    let s = self.son_node(p, a.low, a.high);
                    self.nodes[n].son = Some(s);
                    self.nodes[rs].glue = true;
                    self.nodes[ls].glue = true;
                }
            }
        } else if same(&rn, &ln) {
            if both_children {
                if self.nodes[n].glue {
                    self.nodes[r].glue = true;
                    self.nodes[l].glue = true;
                    let x = &mut self.nodes[n];
                    x.aggregate = true;
                    x.glue = false;
                    x.high = rn.high;
                    x.low = rn.low;
                } else if rp == rn.low {
                    self.nodes[r].glue = true;
                    self.nodes[l].glue = true;
                    let x = &mut self.nodes[n];
                    x.aggregate = true;
                    x.high = rn.high;
                    x.low = nl;
                } else {
                    let p = self.nodes[n].prefix;
                    let s = self.son_node(p, rn.low, rn.high);
                    self.nodes[n].son = Some(s);
                    self.nodes[r].glue = true;
                    self.nodes[l].glue = true;
                    if let (Some(rs), Some(ls)) = (rs, ls) {
                        let (a, b) = (self.nodes[rs].clone(), self.nodes[ls].clone());
                        if a.high == b.high && a.low == b.low {
                            let s2 = self.son_node(p, a.low, a.high);
                            self.nodes[s].son = Some(s2);
                            self.nodes[rs].glue = true;
                            self.nodes[ls].glue = true;
                        }
                    }
                }
            }
        } else if let Some(ls) = ls.filter(|&ls| same(&rn, &self.nodes[ls].clone())) {
            if both_children {
                if self.nodes[n].glue {
                    self.nodes[r].glue = true;
                    self.nodes[ls].glue = true;
                    let x = &mut self.nodes[n];
                    x.aggregate = true;
                    x.glue = false;
                    x.high = rn.high;
                    x.low = rn.low;
                } else {
                    let p = self.nodes[n].prefix;
                    let s = self.son_node(p, rn.low, rn.high);
                    self.nodes[n].son = Some(s);
                    self.nodes[r].glue = true;
                    self.nodes[ls].glue = true;
                }
            }
        } else if let Some(rs) = rs.filter(|&rs| same(&ln, &self.nodes[rs].clone())) {
            if both_children {
                if self.nodes[n].glue {
                    self.nodes[l].glue = true;
                    self.nodes[rs].glue = true;
                    let x = &mut self.nodes[n];
                    x.aggregate = true;
                    x.glue = false;
                    x.high = ln.high;
                    x.low = ln.low;
                } else {
                    let p = self.nodes[n].prefix;
                    let s = self.son_node(p, ln.low, ln.high);
                    self.nodes[n].son = Some(s);
                    self.nodes[l].glue = true;
                    self.nodes[rs].glue = true;
                }
            }
        }
    }

    /// The entries to print, in bgpq4's order.
    pub fn entries(&self) -> Vec<TreeEntry> {
        let mut out = Vec::new();
        if let Some(h) = self.head {
            self.for_each_node(h, &mut |n| {
                let mut cur = Some(n);
                while let Some(i) = cur {
                    let x = &self.nodes[i];
                    if !x.glue {
                        out.push(TreeEntry {
                            prefix: x.prefix,
                            range: x
                                .aggregate
                                .then(|| ((x.low > x.prefix.len()).then_some(x.low), x.high)),
                        });
                    }
                    cur = x.son;
                }
            });
        }
        out
    }
}

/// Plain CIDR aggregation (covered prefixes dropped, sibling halves merged), for `!a`.
pub fn aggregate(prefixes: &[Prefix]) -> Vec<Prefix> {
    let mut v: Vec<Prefix> = prefixes.to_vec();
    v.sort();
    v.dedup();
    // Drop prefixes covered by an earlier one (sorted: a cover precedes what it covers).
    let mut kept: Vec<Prefix> = Vec::new();
    for p in v {
        if kept.last().is_some_and(|k| k.covers(&p)) {
            continue;
        }
        kept.push(p);
    }
    // Merge siblings until nothing changes.
    loop {
        let mut merged = Vec::with_capacity(kept.len());
        let mut changed = false;
        let mut i = 0;
        while i < kept.len() {
            let a = kept[i];
            if let Some(b) = kept.get(i + 1) {
                if a.len() == b.len() && a.len() > 0 {
                    let parent = Prefix::from_bits(a.afi(), a.bits(), a.len() - 1).expect("len");
                    if parent.bits() == a.bits() && parent.covers(b) {
                        while merged.last().is_some_and(|m: &Prefix| parent.covers(m)) {
                            merged.pop();
                        }
                        merged.push(parent);
                        changed = true;
                        i += 2;
                        continue;
                    }
                }
            }
            if !merged.last().is_some_and(|m: &Prefix| m.covers(&a)) {
                merged.push(a);
            }
            i += 1;
        }
        kept = merged;
        if !changed {
            return kept;
        }
    }
}

/// What the route objects and RPKI say about one exact prefix of a filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrefixInfo {
    pub origins: Vec<Asn>,
    pub sources: Vec<String>,
    /// The best RPKI state among the prefix's route objects, with `--vrps`.
    pub rpki: Option<RovState>,
    /// Every route object of this prefix comes from an RPKI-derived source.
    pub rpki_only: bool,
}

/// A filter ready to print.
#[derive(Clone, Debug)]
pub struct Filter {
    pub name: String,
    pub afi: Afi,
    pub entries: Vec<TreeEntry>,
    /// Per exact prefix (with `--vrps`: printed in JSON).
    pub info: BTreeMap<Prefix, PrefixInfo>,
    /// Route entries dropped as RPKI-invalid: (prefix, origin, source).
    pub dropped_invalid: Vec<(Prefix, Asn, String)>,
}

/// How to build a filter.
#[derive(Clone, Debug)]
pub struct FilterOptions {
    pub name: String,
    pub afi: Afi,
    pub aggregate: bool,
    /// bgpq4 `-R`: allow more-specifics down to this length.
    pub max_length: Option<u8>,
    /// Sources whose route objects are derived from RPKI (IRRd's `RPKI` pseudo-source and
    /// the like): entries only from these are marked.
    pub rpki_sources: Vec<String>,
}

/// Builds a filter from the route entries of an object. With `vrps`, route entries whose
/// (prefix, origin) is RPKI-invalid are dropped, and each prefix records its RPKI state.
pub fn build(
    view: &View<'_>,
    routes: &[&RouteEntry],
    vrps: Option<&VrpSet>,
    opts: &FilterOptions,
) -> Filter {
    build_with_ranges(view, routes, &[], vrps, opts)
}

/// [`build`] plus route-set ranges (prefix, ge, le) taken as they are.
pub fn build_with_ranges(
    view: &View<'_>,
    routes: &[&RouteEntry],
    ranges: &[crate::expand::PrefixRange],
    vrps: Option<&VrpSet>,
    opts: &FilterOptions,
) -> Filter {
    let mut info: BTreeMap<Prefix, PrefixInfo> = BTreeMap::new();
    let mut dropped = Vec::new();
    let mut rpki_only: BTreeMap<Prefix, bool> = BTreeMap::new();
    for r in routes.iter().filter(|r| r.prefix.afi() == opts.afi) {
        let source = view.db.source_name(r.source);
        let state = vrps.map(|v| v.validate_state(r.prefix, Some(r.origin)).0);
        if state == Some(RovState::Invalid) {
            dropped.push((r.prefix, r.origin, source.to_owned()));
            continue;
        }
        let e = info.entry(r.prefix).or_default();
        if !e.origins.contains(&r.origin) {
            e.origins.push(r.origin);
        }
        if !e.sources.iter().any(|s| s == source) {
            e.sources.push(source.to_owned());
        }
        e.rpki = match (e.rpki, state) {
            (Some(RovState::Valid), _) | (_, Some(RovState::Valid)) => Some(RovState::Valid),
            (a, b) => a.or(b),
        };
        let derived = opts
            .rpki_sources
            .iter()
            .any(|s| s.eq_ignore_ascii_case(source));
        let o = rpki_only.entry(r.prefix).or_insert(true);
        *o &= derived;
    }
    for (p, e) in &mut info {
        e.rpki_only = rpki_only.get(p).copied().unwrap_or(false);
    }
    let mut tree = PrefixTree::new();
    for p in info.keys() {
        tree.insert(*p);
    }
    for r in ranges.iter().filter(|r| r.prefix.afi() == opts.afi) {
        if !r.is_exact() || !info.contains_key(&r.prefix) {
            tree.insert_range(r.prefix, r.ge, r.le);
        }
    }
    if let Some(len) = opts.max_length {
        tree.refine(len);
    }
    if opts.aggregate {
        tree.aggregate();
    }
    Filter {
        name: opts.name.clone(),
        afi: opts.afi,
        entries: tree.entries(),
        info,
        dropped_invalid: dropped,
    }
}

impl Filter {
    /// The filter text, byte for byte what bgpq4 prints for the same prefixes. With
    /// `extras`, JSON entries carry origins, sources, RPKI state and `rpki-only`.
    pub fn render(&self, format: FilterFormat, extras: bool) -> String {
        let mut s = String::new();
        let name = &self.name;
        let v4 = self.afi == Afi::Ipv4;
        match format {
            FilterFormat::Cisco => {
                let ip = if v4 { "ip" } else { "ipv6" };
                let _ = writeln!(s, "no {ip} prefix-list {name}");
                if self.entries.is_empty() {
                    let _ = writeln!(s, "! generated prefix-list {name} is empty");
                    let any = if v4 { "0.0.0.0/0" } else { "::/0" };
                    let _ = writeln!(s, "{ip} prefix-list {name} deny {any}");
                }
                for e in &self.entries {
                    let _ = match e.range {
                        None => writeln!(s, "{ip} prefix-list {name} permit {}", e.prefix),
                        Some((Some(ge), le)) => writeln!(
                            s,
                            "{ip} prefix-list {name} permit {} ge {ge} le {le}",
                            e.prefix
                        ),
                        Some((None, le)) => {
                            writeln!(s, "{ip} prefix-list {name} permit {} le {le}", e.prefix)
                        }
                    };
                }
            }
            FilterFormat::CiscoXr => {
                let _ = writeln!(s, "no prefix-set {name}");
                let _ = writeln!(s, "prefix-set {name}");
                for (i, e) in self.entries.iter().enumerate() {
                    s.push_str(if i > 0 { ",\n " } else { " " });
                    let _ = match e.range {
                        None => write!(s, "{}", e.prefix),
                        Some((Some(ge), le)) => write!(s, "{} ge {ge} le {le}", e.prefix),
                        Some((None, le)) => write!(s, "{} le {le}", e.prefix),
                    };
                }
                s.push_str("\nend-set\n");
            }
            FilterFormat::Juniper => {
                let _ = write!(s, "policy-options {{\nreplace:\n prefix-list {name} {{\n");
                for e in &self.entries {
                    let _ = writeln!(s, "    {};", e.prefix);
                }
                s.push_str(" }\n}\n");
            }
            FilterFormat::Bird => {
                if !self.entries.is_empty() {
                    let _ = write!(s, "{name} = [");
                    for (i, e) in self.entries.iter().enumerate() {
                        s.push_str(if i > 0 { ",\n    " } else { "\n    " });
                        let _ = match e.range {
                            None => write!(s, "{}", e.prefix),
                            Some((ge, le)) => {
                                write!(s, "{}{{{},{le}}}", e.prefix, ge.unwrap_or(e.prefix.len()))
                            }
                        };
                    }
                    s.push_str("\n];\n");
                }
            }
            FilterFormat::Openbgpd => {
                // bgpq4 -B (no -a): a named `prefix { ... }` list.
                if self.entries.is_empty() {
                    let _ = writeln!(s, "# generated prefix-list {name} (AS 0) is empty");
                    s.push_str(
                        "# use -a <asn> to generate \"deny from ASN <asn>\" instead of this list\n",
                    );
                }
                let quoted = name != "NN";
                if quoted {
                    let _ = write!(s, "{name}=\"");
                }
                s.push_str("prefix { ");
                for e in &self.entries {
                    let _ = match e.range {
                        None => write!(s, "\n\t{}", e.prefix),
                        Some((ge, le)) => {
                            let low = ge.unwrap_or(e.prefix.len());
                            if low == le {
                                write!(s, "\n\t{} prefixlen = {le}", e.prefix)
                            } else {
                                write!(s, "\n\t{} prefixlen {low} - {le}", e.prefix)
                            }
                        }
                    };
                }
                s.push_str("\n\t}");
                if quoted {
                    s.push('"');
                }
                s.push('\n');
            }
            FilterFormat::Json => {
                let _ = write!(s, "{{ \"{name}\": [");
                for (i, e) in self.entries.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let p = e.prefix.to_string().replace('/', "\\/");
                    let _ = match e.range {
                        None => write!(s, "\n    {{ \"prefix\": \"{p}\", \"exact\": true"),
                        Some((Some(ge), le)) => write!(
                            s,
                            "\n    {{ \"prefix\": \"{p}\", \"exact\": false,\n      \"greater-equal\": {ge}, \"less-equal\": {le}"
                        ),
                        Some((None, le)) => write!(
                            s,
                            "\n    {{ \"prefix\": \"{p}\", \"exact\": false, \"less-equal\": {le}"
                        ),
                    };
                    if extras {
                        if let Some(info) = self.info.get(&e.prefix).filter(|_| e.range.is_none()) {
                            let origins: Vec<String> =
                                info.origins.iter().map(|a| a.to_string()).collect();
                            let sources: Vec<String> = info
                                .sources
                                .iter()
                                .map(|x| serde_json::to_string(x).unwrap_or_default())
                                .collect();
                            let _ = write!(
                                s,
                                ", \"origins\": [{}], \"sources\": [{}], \"rpki\": \"{}\", \"rpki-only\": {}",
                                origins.join(", "),
                                sources.join(", "),
                                info.rpki.map_or("unknown", |r| r.as_str()),
                                info.rpki_only
                            );
                        }
                    }
                    s.push_str(" }");
                }
                s.push_str("\n] }\n");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(ps: &[&str]) -> PrefixTree {
        let mut t = PrefixTree::new();
        for p in ps {
            t.insert(p.parse().unwrap());
        }
        t
    }

    fn show(t: &PrefixTree) -> Vec<String> {
        t.entries()
            .iter()
            .map(|e| match e.range {
                None => e.prefix.to_string(),
                Some((ge, le)) => format!("{} {:?} {le}", e.prefix, ge),
            })
            .collect()
    }

    #[test]
    fn the_tree_walks_in_address_then_length_order() {
        let t = tree(&["10.1.0.0/16", "10.0.0.0/8", "9.0.0.0/8", "10.0.0.0/16"]);
        assert_eq!(
            show(&t),
            vec!["9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16"]
        );
    }

    #[test]
    fn sibling_halves_aggregate_into_a_range() {
        let mut t = tree(&["10.0.0.0/24", "10.0.1.0/24", "10.0.4.0/24"]);
        t.aggregate();
        assert_eq!(show(&t), vec!["10.0.0.0/23 Some(24) 24", "10.0.4.0/24"]);
        let mut t = tree(&["10.0.0.0/23", "10.0.0.0/24", "10.0.1.0/24"]);
        t.aggregate();
        assert_eq!(show(&t), vec!["10.0.0.0/23 None 24"]);
    }

    #[test]
    fn refine_allows_more_specifics_down_to_the_length() {
        let mut t = tree(&["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/25"]);
        t.refine(24);
        assert_eq!(show(&t), vec!["10.0.0.0/16 None 24", "10.0.2.0/25"]);
    }

    #[test]
    fn with_vrps_invalid_route_objects_are_dropped_and_rpki_only_entries_marked() {
        use routenorms_rpki::Vrp;
        let db = crate::index::tests::db(
            "route: 192.0.2.0/24\norigin: AS1\nsource: RADB\n\n\
             route: 192.0.2.0/24\norigin: AS2\nsource: RIPE\n\n\
             route: 198.51.100.0/24\norigin: AS1\nsource: RPKI\n\n\
             route: 203.0.113.0/24\norigin: AS1\nsource: RADB\n\n\
             route: 100.64.0.0/24\norigin: AS1\nsource: RADB\n",
        );
        let v = db.view(&[]).unwrap();
        let vrps = VrpSet::new(vec![
            Vrp::new("192.0.2.0/24".parse().unwrap(), 24, Asn(2)).unwrap(),
            Vrp::new("198.51.100.0/24".parse().unwrap(), 24, Asn(1)).unwrap(),
            Vrp::new("203.0.113.0/24".parse().unwrap(), 24, Asn(9)).unwrap(),
        ]);
        let routes: Vec<&RouteEntry> = v
            .routes_of(Asn(1), None)
            .chain(v.routes_of(Asn(2), None))
            .collect();
        let f = build(
            &v,
            &routes,
            Some(&vrps),
            &FilterOptions {
                name: "N".into(),
                afi: Afi::Ipv4,
                aggregate: false,
                max_length: None,
                rpki_sources: vec!["RPKI".into()],
            },
        );
        let dropped: Vec<String> = f
            .dropped_invalid
            .iter()
            .map(|(p, a, s)| format!("{p} AS{a} {s}"))
            .collect();
        assert_eq!(
            dropped,
            vec!["192.0.2.0/24 AS1 RADB", "203.0.113.0/24 AS1 RADB"]
        );
        let json = f.render(FilterFormat::Json, true);
        assert_eq!(
            json,
            "{ \"N\": [\n    \
             { \"prefix\": \"100.64.0.0\\/24\", \"exact\": true, \"origins\": [1], \"sources\": [\"RADB\"], \"rpki\": \"not-found\", \"rpki-only\": false },\n    \
             { \"prefix\": \"192.0.2.0\\/24\", \"exact\": true, \"origins\": [2], \"sources\": [\"RIPE\"], \"rpki\": \"valid\", \"rpki-only\": false },\n    \
             { \"prefix\": \"198.51.100.0\\/24\", \"exact\": true, \"origins\": [1], \"sources\": [\"RPKI\"], \"rpki\": \"valid\", \"rpki-only\": true }\n] }\n"
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["N"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_route_set_range_stays_one_entry() {
        let mut t = tree(&["10.0.0.0/24"]);
        t.insert_range("172.20.0.0/14".parse().unwrap(), 14, 32);
        t.insert_range("192.0.2.0/24".parse().unwrap(), 25, 26);
        assert_eq!(
            show(&t),
            vec![
                "10.0.0.0/24",
                "172.20.0.0/14 None 32",
                "192.0.2.0/24 Some(25) 26"
            ]
        );
    }

    #[test]
    fn plain_aggregation_merges_and_drops_covered() {
        let p = |s: &str| s.parse::<Prefix>().unwrap();
        let got = aggregate(&[
            p("10.0.0.0/24"),
            p("10.0.1.0/24"),
            p("10.0.0.128/25"),
            p("10.0.2.0/23"),
            p("192.0.2.0/24"),
        ]);
        assert_eq!(got, vec![p("10.0.0.0/22"), p("192.0.2.0/24")]);
    }
}
