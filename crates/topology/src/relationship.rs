//! The relationship store and the CAIDA `as-rel` reader.
//!
//! CAIDA serial-1: `<provider>|<customer>|-1` and `<peer>|<peer>|0`; serial-2 adds a fourth
//! column naming the source (`bgp`, `mlp`, ...). Lines starting with `#` are comments; among
//! them `# inferred clique: ASN...` (the Tier-1 clique) and `# IXP ASes: ASN...` are kept.

use crate::input::for_each_line;
use rustc_hash::FxHashMap;
use std::io::{self, BufRead};
use std::path::Path;

/// What `b` is to `a` in [`AsRelationships::rel`]`(a, b)`: `Customer` means b is a customer
/// of a (a is b's provider), `Provider` means b is a's provider, `Peer` means settlement-free
/// peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Customer,
    Provider,
    Peer,
}

impl Relationship {
    /// The same link seen from the other end.
    pub const fn reverse(self) -> Relationship {
        match self {
            Relationship::Customer => Relationship::Provider,
            Relationship::Provider => Relationship::Customer,
            Relationship::Peer => Relationship::Peer,
        }
    }

    /// The conventional short name of the link as traversed from `a` to `b`: `p2c`, `c2p`
    /// or `p2p`.
    pub const fn link_name(self) -> &'static str {
        match self {
            Relationship::Customer => "p2c",
            Relationship::Provider => "c2p",
            Relationship::Peer => "p2p",
        }
    }
}

/// Why a line of an `as-rel` or `ppdc-ases` file was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorKind {
    #[error("line is not UTF-8")]
    NotUtf8,
    #[error("expected 3 or 4 `|`-separated fields")]
    FieldCount,
    #[error("not an AS number")]
    BadAsn,
    #[error("relationship is neither -1 (provider to customer) nor 0 (peer)")]
    BadRelationship,
    #[error("an AS related to itself")]
    SelfLink,
    #[error("the pair was already given with a different relationship (first kept)")]
    Conflict,
    #[error("the pair was already given (first kept)")]
    Duplicate,
    #[error("the cone's AS was already given (first kept)")]
    DuplicateCone,
}

/// A rejected line: where and why. The line is skipped; the rest of the file is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    pub kind: LineErrorKind,
}

/// Collects links, then freezes them into an [`AsRelationships`].
#[derive(Debug, Default)]
pub struct AsRelationshipsBuilder {
    /// Key: the pair as `(low << 32) | high`; value: what `high` is to `low`.
    links: FxHashMap<u64, Relationship>,
}

fn pair_key(a: u32, b: u32) -> (u64, bool) {
    if a <= b {
        (((a as u64) << 32) | b as u64, false)
    } else {
        (((b as u64) << 32) | a as u64, true)
    }
}

impl AsRelationshipsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `b` is `rel` to `a`. Returns `Err` (keeping the first) when the pair is
    /// already known, or when `a == b`.
    pub fn insert(&mut self, a: u32, b: u32, rel: Relationship) -> Result<(), LineErrorKind> {
        if a == b {
            return Err(LineErrorKind::SelfLink);
        }
        let (key, swapped) = pair_key(a, b);
        let stored = if swapped { rel.reverse() } else { rel };
        match self.links.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Err(if *e.get() == stored {
                LineErrorKind::Duplicate
            } else {
                LineErrorKind::Conflict
            }),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(stored);
                Ok(())
            }
        }
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Freezes the links, building per-AS adjacency for cones and degrees.
    pub fn build(self) -> AsRelationships {
        AsRelationships::from_links(self.links, Vec::new(), Vec::new())
    }
}

/// Relationships between ASes: `rel(a, b)` in one hash probe, plus per-AS customer, provider
/// and peer lists (dense indices, compressed rows) for cones and degrees.
#[derive(Debug, Clone, Default)]
pub struct AsRelationships {
    links: FxHashMap<u64, Relationship>,
    /// Every AS that has a link, sorted; its position is its dense index.
    asns: Vec<u32>,
    index: FxHashMap<u32, u32>,
    customers: Adjacency,
    providers: Adjacency,
    peers: Adjacency,
    clique: Vec<u32>,
    ixps: Vec<u32>,
}

/// Compressed rows: the neighbours of dense index `i` are `list[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Adjacency {
    offsets: Vec<u32>,
    list: Vec<u32>,
}

impl Adjacency {
    fn build(n: usize, mut edges: Vec<(u32, u32)>) -> Adjacency {
        edges.sort_unstable();
        let mut offsets = vec![0u32; n + 1];
        for &(from, _) in &edges {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Adjacency {
            offsets,
            list: edges.into_iter().map(|(_, to)| to).collect(),
        }
    }

    pub(crate) fn of(&self, i: u32) -> &[u32] {
        let i = i as usize;
        if i + 1 >= self.offsets.len() {
            return &[];
        }
        &self.list[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

/// The result of reading an `as-rel` file: the store and every rejected line.
#[derive(Debug)]
pub struct Loaded {
    pub relationships: AsRelationships,
    pub errors: Vec<LineError>,
    /// Number of comment lines.
    pub comments: usize,
}

impl AsRelationships {
    fn from_links(links: FxHashMap<u64, Relationship>, clique: Vec<u32>, ixps: Vec<u32>) -> Self {
        let mut asns: Vec<u32> = links
            .keys()
            .flat_map(|&k| [(k >> 32) as u32, k as u32])
            .collect();
        asns.sort_unstable();
        asns.dedup();
        let index: FxHashMap<u32, u32> = asns
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, i as u32))
            .collect();
        let (mut cust, mut prov, mut peer) = (Vec::new(), Vec::new(), Vec::new());
        for (&k, &rel) in &links {
            let (lo, hi) = (index[&((k >> 32) as u32)], index[&(k as u32)]);
            match rel {
                // `hi` is `rel` to `lo`.
                Relationship::Customer => {
                    cust.push((lo, hi));
                    prov.push((hi, lo));
                }
                Relationship::Provider => {
                    cust.push((hi, lo));
                    prov.push((lo, hi));
                }
                Relationship::Peer => {
                    peer.push((lo, hi));
                    peer.push((hi, lo));
                }
            }
        }
        let n = asns.len();
        AsRelationships {
            links,
            customers: Adjacency::build(n, cust),
            providers: Adjacency::build(n, prov),
            peers: Adjacency::build(n, peer),
            asns,
            index,
            clique,
            ixps,
        }
    }

    /// Reads a CAIDA serial-1 or serial-2 `as-rel` file (any mix of 3- and 4-field lines).
    /// Damaged lines are returned in [`Loaded::errors`] and skipped.
    pub fn read(reader: impl BufRead) -> io::Result<Loaded> {
        let mut builder = AsRelationshipsBuilder::new();
        let mut errors = Vec::new();
        let mut comments = 0;
        let (mut clique, mut ixps) = (Vec::new(), Vec::new());
        for_each_line(reader, |line, text| {
            let Ok(text) = text else {
                errors.push(LineError {
                    line,
                    kind: LineErrorKind::NotUtf8,
                });
                return;
            };
            let text = text.trim();
            if text.is_empty() {
                return;
            }
            if let Some(comment) = text.strip_prefix('#') {
                comments += 1;
                let comment = comment.trim();
                let parse_list = |list: &str| -> Vec<u32> {
                    list.split_whitespace()
                        .filter_map(|a| a.parse().ok())
                        .collect()
                };
                // serial-1 says "inferred clique", serial-2 "input clique".
                if let Some(list) = comment
                    .strip_prefix("inferred clique:")
                    .or_else(|| comment.strip_prefix("input clique:"))
                {
                    clique = parse_list(list);
                } else if let Some(list) = comment.strip_prefix("IXP ASes:") {
                    ixps = parse_list(list);
                }
                return;
            }
            if let Err(kind) = parse_link(text).and_then(|(a, b, rel)| builder.insert(a, b, rel)) {
                errors.push(LineError { line, kind });
            }
        })?;
        let mut relationships = builder.build();
        relationships.clique = clique;
        relationships.ixps = ixps;
        Ok(Loaded {
            relationships,
            errors,
            comments,
        })
    }

    /// [`read`](Self::read) of a file, gzip or bzip2 compressed or plain.
    pub fn read_file(path: &Path) -> io::Result<Loaded> {
        Self::read(crate::input::open(path)?)
    }

    /// What `b` is to `a` (see [`Relationship`]); `None` when the link is unknown.
    #[inline]
    pub fn rel(&self, a: u32, b: u32) -> Option<Relationship> {
        let (key, swapped) = pair_key(a, b);
        let r = *self.links.get(&key)?;
        Some(if swapped { r.reverse() } else { r })
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Number of ASes with at least one link.
    pub fn as_count(&self) -> usize {
        self.asns.len()
    }

    /// Every AS with a link, ascending.
    pub fn asns(&self) -> &[u32] {
        &self.asns
    }

    /// Every link once, as `(a, b, what b is to a)` with `a < b`, in no particular order.
    pub fn links(&self) -> impl Iterator<Item = (u32, u32, Relationship)> + '_ {
        self.links
            .iter()
            .map(|(&k, &r)| ((k >> 32) as u32, k as u32, r))
    }

    /// The Tier-1 clique named in the file's header (`# inferred clique:`), if any.
    pub fn clique(&self) -> &[u32] {
        &self.clique
    }

    /// The IXP route-server ASes named in the file's header (`# IXP ASes:`), if any.
    pub fn ixps(&self) -> &[u32] {
        &self.ixps
    }

    pub(crate) fn set_clique(&mut self, clique: Vec<u32>) {
        self.clique = clique;
    }

    pub(crate) fn dense(&self, asn: u32) -> Option<u32> {
        self.index.get(&asn).copied()
    }

    pub(crate) fn asn_at(&self, i: u32) -> u32 {
        self.asns[i as usize]
    }

    pub(crate) fn customers_dense(&self, i: u32) -> &[u32] {
        self.customers.of(i)
    }

    fn neighbours(&self, asn: u32, adj: &Adjacency) -> Vec<u32> {
        match self.dense(asn) {
            Some(i) => adj.of(i).iter().map(|&j| self.asn_at(j)).collect(),
            None => Vec::new(),
        }
    }

    /// The direct customers of `asn`, ascending.
    pub fn customers(&self, asn: u32) -> Vec<u32> {
        self.neighbours(asn, &self.customers)
    }

    /// The direct providers of `asn`, ascending.
    pub fn providers(&self, asn: u32) -> Vec<u32> {
        self.neighbours(asn, &self.providers)
    }

    /// The peers of `asn`, ascending.
    pub fn peers(&self, asn: u32) -> Vec<u32> {
        self.neighbours(asn, &self.peers)
    }

    /// Number of neighbours of `asn` of any kind.
    pub fn degree(&self, asn: u32) -> usize {
        self.dense(asn).map_or(0, |i| {
            self.customers.of(i).len() + self.providers.of(i).len() + self.peers.of(i).len()
        })
    }
}

fn parse_link(text: &str) -> Result<(u32, u32, Relationship), LineErrorKind> {
    let mut fields = text.split('|');
    let (Some(a), Some(b), Some(rel)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(LineErrorKind::FieldCount);
    };
    // serial-2's fourth field names the source; anything after it is malformed.
    let _source = fields.next();
    if fields.next().is_some() {
        return Err(LineErrorKind::FieldCount);
    }
    let a: u32 = a.trim().parse().map_err(|_| LineErrorKind::BadAsn)?;
    let b: u32 = b.trim().parse().map_err(|_| LineErrorKind::BadAsn)?;
    let rel = match rel.trim() {
        // a is b's provider: b is a's customer.
        "-1" => Relationship::Customer,
        "0" => Relationship::Peer,
        _ => return Err(LineErrorKind::BadRelationship),
    };
    Ok((a, b, rel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Relationship::*;

    fn load(text: &str) -> Loaded {
        AsRelationships::read(text.as_bytes()).unwrap()
    }

    #[test]
    fn serial1_minus_one_makes_the_first_as_the_provider() {
        let l = load("# source:topology|BGP|20180101|ripe|rrc00\n1|2|-1\n2|3|0\n");
        let r = &l.relationships;
        assert_eq!(r.rel(1, 2), Some(Customer));
        assert_eq!(r.rel(2, 1), Some(Provider));
        assert_eq!(r.rel(2, 3), Some(Peer));
        assert_eq!(r.rel(3, 2), Some(Peer));
        assert_eq!(r.rel(1, 3), None);
        assert_eq!(l.comments, 1);
        assert!(l.errors.is_empty());
        assert_eq!((r.link_count(), r.as_count()), (2, 3));
    }

    #[test]
    fn serial2_source_column_is_accepted() {
        let l = load("10|20|-1|bgp\n20|30|0|mlp\n");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.relationships.rel(20, 10), Some(Provider));
        assert_eq!(l.relationships.rel(30, 20), Some(Peer));
    }

    #[test]
    fn damaged_lines_are_reported_with_their_number_and_skipped() {
        let l = load("1|2|-1\n1|x|0\n1|2\n1|2|5\n4|4|0\n2|1|0\n1|2|-1\n3|4|0|bgp|extra\n\n5|6|0\n");
        let got: Vec<(usize, LineErrorKind)> = l.errors.iter().map(|e| (e.line, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                (2, LineErrorKind::BadAsn),
                (3, LineErrorKind::FieldCount),
                (4, LineErrorKind::BadRelationship),
                (5, LineErrorKind::SelfLink),
                (6, LineErrorKind::Conflict),
                (7, LineErrorKind::Duplicate),
                (8, LineErrorKind::FieldCount),
            ]
        );
        assert_eq!(l.relationships.link_count(), 2);
        assert_eq!(l.relationships.rel(1, 2), Some(Customer), "first kept");
        assert_eq!(l.errors[0].to_string(), "line 2: not an AS number");
    }

    #[test]
    fn header_clique_and_ixps_are_kept() {
        let l = load("# inferred clique: 174 3356\n# IXP ASes: 6695\n174|3356|0\n");
        assert_eq!(l.relationships.clique(), &[174, 3356]);
        assert_eq!(l.relationships.ixps(), &[6695]);
    }

    #[test]
    fn adjacency_lists_and_degree_follow_the_links() {
        let l = load("1|2|-1\n1|3|-1\n4|1|-1\n1|5|0\n");
        let r = &l.relationships;
        assert_eq!(r.customers(1), vec![2, 3]);
        assert_eq!(r.providers(1), vec![4]);
        assert_eq!(r.peers(1), vec![5]);
        assert_eq!(r.degree(1), 4);
        assert_eq!(r.degree(99), 0);
        assert_eq!(r.customers(99), Vec::<u32>::new());
    }

    #[test]
    fn four_byte_asns_round_trip() {
        let l = load("4200000001|4294967294|-1\n");
        assert_eq!(l.relationships.rel(4294967294, 4200000001), Some(Provider));
    }
}
