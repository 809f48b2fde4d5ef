//! Bogons: address space and AS numbers that should never appear in the global routing table.
//!
//! Three layers, the later winning where they overlap:
//!
//! 1. **Registry data** ([`Delegations`]), when given: IANA's delegated file says which
//!    registry holds each block (an RIR, or the IETF/IANA itself); each RIR's
//!    delegated(-extended) file says, for the space it manages, what is allocated or
//!    assigned and what is available or reserved.
//! 2. **A full-bogons list** ([`BogonList`], Team Cymru's format), when given.
//! 3. **The IANA special-purpose registries**, always ([`special`]), longest match first, so
//!    the globally reachable entries (AS112, AMT, ...) carve themselves out of bogon blocks.
//!
//! Only registries whose data was loaded are authoritative. Space IANA gave to an RIR whose
//! file was not loaded is [`SpaceStatus::Unknown`], never a bogon: with only the AFRINIC and
//! LACNIC files, "full bogons" from stats cover the IETF/IANA-held space, the special-purpose
//! space and the unallocated parts of AFRINIC's and LACNIC's space, and say nothing about
//! APNIC, ARIN or RIPE NCC space. Without IANA's file, space no loaded RIR lists is unknown
//! too.
//!
//! A prefix inside a special-purpose block takes the verdict of the most specific entry that
//! covers all of it; any other prefix is a bogon when every address in it is bogon space (a
//! prefix mixing bogon and delegated space is not: someone holds part of it).

pub mod special;

use crate::ranges::{covered, merge, range_to_cidrs, RangePainter, RangeTable};
use crate::rir::{IanaHolder, Record, RecordStatus, Registry, Resource, Rir, StatsFile, Status};
use routenorms_types::{Afi, Prefix};
pub use special::SpecialEntry;
use std::io::{self, BufRead};
use std::path::Path;

/// A reserved AS number range (IANA "Special-Purpose AS Numbers" and the ASN registry's
/// reserved blocks): never valid in a public AS path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReservedAsn {
    pub first: u32,
    pub last: u32,
    pub name: &'static str,
    pub rfc: &'static str,
}

const fn r(first: u32, last: u32, name: &'static str, rfc: &'static str) -> ReservedAsn {
    ReservedAsn {
        first,
        last,
        name,
        rfc,
    }
}

/// The bogon ASNs that need no registry data.
pub const RESERVED_ASNS: &[ReservedAsn] = &[
    r(0, 0, "Reserved (AS 0)", "RFC 7607"),
    r(23456, 23456, "AS_TRANS", "RFC 6793"),
    r(64496, 64511, "Documentation", "RFC 5398"),
    r(64512, 65534, "Private use", "RFC 6996"),
    r(65535, 65535, "Reserved", "RFC 7300"),
    r(65536, 65551, "Documentation", "RFC 5398"),
    r(65552, 131071, "Reserved", "IANA AS Numbers registry"),
    r(4200000000, 4294967294, "Private use", "RFC 6996"),
    r(4294967295, 4294967295, "Reserved", "RFC 7300"),
];

/// Where an address block or AS number stands.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SpaceStatus {
    /// An IANA special-purpose entry (bogon unless globally reachable).
    Special { entry: &'static SpecialEntry },
    /// A reserved AS number (always a bogon).
    ReservedAsn { entry: &'static ReservedAsn },
    /// Allocated or assigned by `rir` (not a bogon).
    Delegated {
        rir: Rir,
        status: Status,
        cc: String,
        date: String,
    },
    /// Available or reserved according to the managing RIR's own file. `available` is a
    /// bogon; `reserved` only under [`BogonPolicy::rir_reserved`].
    NotDelegated { rir: Rir, status: Status },
    /// Inside a block IANA gave to `rir`, whose file was loaded but does not list it. Not a
    /// bogon by default ([`BogonPolicy::unlisted`]): legacy space in an RIR-administered /8
    /// is often listed by another RIR (e.g. ARIN for much of 196/8).
    NotInRirStats { rir: Rir },
    /// Held by the IETF or IANA, not given to any RIR (a bogon).
    IanaNotAllocated { holder: IanaHolder },
    /// Listed in the full-bogons list (a bogon).
    Listed,
    /// Covered by a full-bogons list that does not list it (not a bogon).
    NotListed,
    /// No authoritative data: IANA gave it to `rir`, whose file was not loaded (or no
    /// registry data at all). Not a bogon.
    Unknown { rir: Option<Rir> },
}

/// Which registry statuses count as bogons beyond the unambiguous ones. The default matches
/// Team Cymru's full bogons (checked against their 2024-03-10 list): an RIR's `available`
/// space is a bogon; its `reserved` space and space missing from its file are not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BogonPolicy {
    /// Count space an RIR marks `reserved` as bogon.
    pub rir_reserved: bool,
    /// Count space inside an RIR's IANA blocks that its (loaded) file does not list as bogon.
    pub unlisted: bool,
}

impl SpaceStatus {
    /// Whether this status makes a bogon under the default [`BogonPolicy`].
    pub fn is_bogon(&self) -> bool {
        self.is_bogon_under(BogonPolicy::default())
    }

    pub fn is_bogon_under(&self, policy: BogonPolicy) -> bool {
        match self {
            SpaceStatus::Special { entry } => entry.bogon,
            SpaceStatus::NotDelegated { status, .. } => match status {
                Status::Reserved => policy.rir_reserved,
                _ => true,
            },
            SpaceStatus::NotInRirStats { .. } => policy.unlisted,
            SpaceStatus::ReservedAsn { .. }
            | SpaceStatus::IanaNotAllocated { .. }
            | SpaceStatus::Listed => true,
            SpaceStatus::Delegated { .. }
            | SpaceStatus::NotListed
            | SpaceStatus::Unknown { .. } => false,
        }
    }
}

/// A registry cell: which record (by index) or which IANA holder.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Iana(IanaHolder),
    Rir(u32),
}

/// One stats file that went into a [`Delegations`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct StatsInput {
    pub registry: Option<Registry>,
    pub date: Option<String>,
    pub records: usize,
    pub errors: usize,
}

/// IANA's and the RIRs' delegation data merged: who holds each block and ASN, the country,
/// and which RIRs' files were loaded (those are authoritative for their own space).
#[derive(Debug, Default)]
pub struct Delegations {
    records: Vec<Record>,
    v4: RangeTable<Cell>,
    v6: RangeTable<Cell>,
    asn: RangeTable<Cell>,
    loaded: Vec<Rir>,
    has_iana: bool,
    inputs: Vec<StatsInput>,
}

impl Delegations {
    /// Merges parsed stats files. IANA's blocks are laid down first (larger before smaller, so
    /// IANA's finer ERX entries win), then every RIR record over them.
    pub fn new(files: Vec<StatsFile>) -> Delegations {
        let mut d = Delegations::default();
        let mut iana: Vec<Record> = Vec::new();
        for f in files {
            d.inputs.push(StatsInput {
                registry: f.registry,
                date: f.date.clone(),
                records: f.records.len(),
                errors: f.errors.len(),
            });
            match f.registry {
                Some(Registry::Iana) => d.has_iana = true,
                Some(Registry::Rir(r)) if !d.loaded.contains(&r) => d.loaded.push(r),
                _ => {}
            }
            for rec in f.records {
                match rec.registry {
                    Registry::Iana => iana.push(rec),
                    Registry::Rir(r) => {
                        if !d.loaded.contains(&r) {
                            d.loaded.push(r);
                        }
                        d.records.push(rec);
                    }
                }
            }
        }
        d.loaded.sort_unstable();
        let mut painters = [
            RangePainter::new(),
            RangePainter::new(),
            RangePainter::new(),
        ];
        iana.sort_by_key(|r| std::cmp::Reverse(r.end - r.start));
        for rec in &iana {
            if let RecordStatus::Iana(h) = rec.status {
                painters[slot(rec.resource)].paint(rec.start, rec.end, Cell::Iana(h));
            }
        }
        let mut order: Vec<u32> = (0..d.records.len() as u32).collect();
        order.sort_by_key(|&i| {
            let r = &d.records[i as usize];
            std::cmp::Reverse(r.end - r.start)
        });
        for i in order {
            let rec = &d.records[i as usize];
            painters[slot(rec.resource)].paint(rec.start, rec.end, Cell::Rir(i));
        }
        let [v4, v6, asn] = painters;
        d.v4 = v4.freeze();
        d.v6 = v6.freeze();
        d.asn = asn.freeze();
        d
    }

    /// Reads and merges stats files (gzip accepted).
    pub fn read_files(paths: &[&Path]) -> io::Result<(Delegations, Vec<StatsFile>)> {
        let mut files = Vec::new();
        for p in paths {
            files.push(StatsFile::read_file(p)?);
        }
        // Keep the parse errors for the caller; the records move into the merged view.
        let reports = files
            .iter()
            .map(|f| StatsFile {
                registry: f.registry,
                date: f.date.clone(),
                records: Vec::new(),
                errors: f.errors.clone(),
                summaries: f.summaries,
            })
            .collect();
        Ok((Delegations::new(files), reports))
    }

    /// The RIRs whose files were loaded.
    pub fn loaded_rirs(&self) -> &[Rir] {
        &self.loaded
    }

    /// True when IANA's file was loaded.
    pub fn has_iana(&self) -> bool {
        self.has_iana
    }

    /// The files merged, with their dates.
    pub fn inputs(&self) -> &[StatsInput] {
        &self.inputs
    }

    fn table(&self, resource: Resource) -> &RangeTable<Cell> {
        match resource {
            Resource::Ip(Afi::Ipv4) => &self.v4,
            Resource::Ip(Afi::Ipv6) => &self.v6,
            Resource::Asn => &self.asn,
        }
    }

    /// The RIR record covering the whole of `[start, end]` (the most specific one).
    fn record_covering(&self, resource: Resource, start: u128, end: u128) -> Option<&Record> {
        let (_, e, cell) = self.table(resource).get(start)?;
        match cell {
            Cell::Rir(i) if *e >= end => {
                let rec = &self.records[*i as usize];
                (rec.end >= end).then_some(rec)
            }
            _ => None,
        }
    }

    /// The RIR record that covers all of `prefix`: its RIR, country, status and date.
    pub fn prefix_record(&self, prefix: &Prefix) -> Option<&Record> {
        let (s, e) = prefix_range(prefix);
        self.record_covering(Resource::Ip(prefix.afi()), s, e)
    }

    /// The RIR record of `asn`.
    pub fn asn_record(&self, asn: u32) -> Option<&Record> {
        self.record_covering(Resource::Asn, asn as u128, asn as u128)
    }

    /// The RIR responsible for all of `prefix`: the registry of the records or IANA blocks
    /// covering it, when they all agree and leave no gap.
    pub fn prefix_rir(&self, prefix: &Prefix) -> Option<Rir> {
        let (s, e) = prefix_range(prefix);
        let parts = self.table(Resource::Ip(prefix.afi())).overlapping(s, e);
        let (first, last) = (parts.first()?, parts.last()?);
        if first.0 > s || last.1 < e || parts.windows(2).any(|w| w[0].1 + 1 != w[1].0) {
            return None;
        }
        let mut rirs = parts.iter().map(|(_, _, cell)| self.cell_rir(*cell));
        let rir = rirs.next()??;
        rirs.all(|r| r == Some(rir)).then_some(rir)
    }

    fn cell_rir(&self, cell: Cell) -> Option<Rir> {
        match cell {
            Cell::Rir(i) => match self.records[i as usize].registry {
                Registry::Rir(r) => Some(r),
                Registry::Iana => None,
            },
            Cell::Iana(IanaHolder::Rir(r)) => Some(r),
            Cell::Iana(_) => None,
        }
    }

    /// The RIR responsible for `asn`.
    pub fn asn_rir(&self, asn: u32) -> Option<Rir> {
        self.cell_rir(self.asn.get(asn as u128)?.2)
    }

    /// The country (ISO 3166 code) of all of `prefix`, when one RIR record covers it.
    pub fn prefix_country(&self, prefix: &Prefix) -> Option<&str> {
        self.prefix_record(prefix)
            .map(|r| r.cc.as_str())
            .filter(|cc| !cc.is_empty() && *cc != "ZZ")
    }

    /// The country of `asn`.
    pub fn asn_country(&self, asn: u32) -> Option<&str> {
        self.asn_record(asn)
            .map(|r| r.cc.as_str())
            .filter(|cc| !cc.is_empty() && *cc != "ZZ")
    }

    fn status_of_cell(&self, cell: Option<&Cell>) -> SpaceStatus {
        match cell {
            None => SpaceStatus::Unknown { rir: None },
            Some(Cell::Iana(IanaHolder::Rir(r))) => {
                if self.loaded.contains(r) {
                    SpaceStatus::NotInRirStats { rir: *r }
                } else {
                    SpaceStatus::Unknown { rir: Some(*r) }
                }
            }
            Some(Cell::Iana(h)) => SpaceStatus::IanaNotAllocated { holder: *h },
            Some(Cell::Rir(i)) => {
                let rec = &self.records[*i as usize];
                let (Registry::Rir(rir), RecordStatus::Rir(status)) = (rec.registry, rec.status)
                else {
                    unreachable!("RIR cells hold RIR records")
                };
                if status.is_delegated() {
                    SpaceStatus::Delegated {
                        rir,
                        status,
                        cc: rec.cc.clone(),
                        date: rec.date.clone(),
                    }
                } else {
                    SpaceStatus::NotDelegated { rir, status }
                }
            }
        }
    }
}

fn slot(resource: Resource) -> usize {
    match resource {
        Resource::Ip(Afi::Ipv4) => 0,
        Resource::Ip(Afi::Ipv6) => 1,
        Resource::Asn => 2,
    }
}

/// First and last address of a prefix (IPv4 right-aligned).
pub fn prefix_range(p: &Prefix) -> (u128, u128) {
    let width = p.afi().max_len() as u32;
    let host_bits = width - p.len() as u32;
    let host = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (p.bits(), p.bits() | host)
}

/// A full-bogons list: one prefix per line, `#` comments (Team Cymru's format).
#[derive(Clone, Debug, Default)]
pub struct BogonList {
    pub prefixes: Vec<Prefix>,
    pub errors: Vec<ListError>,
    /// The `# last updated ...` comment, if present.
    pub updated: Option<String>,
}

/// A line of a list that is not a prefix (skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a prefix with clear host bits")]
pub struct ListError {
    pub line: usize,
}

impl BogonList {
    pub fn read(mut reader: impl BufRead) -> io::Result<BogonList> {
        let mut out = BogonList::default();
        let mut buf = String::new();
        let mut line = 0;
        loop {
            buf.clear();
            let mut bytes = Vec::new();
            if reader.read_until(b'\n', &mut bytes)? == 0 {
                return Ok(out);
            }
            line += 1;
            match std::str::from_utf8(&bytes) {
                Ok(s) => buf.push_str(s),
                Err(_) => {
                    out.errors.push(ListError { line });
                    continue;
                }
            }
            let text = buf.trim();
            if let Some(comment) = text.strip_prefix('#') {
                if let Some(u) = comment.trim().strip_prefix("last updated") {
                    out.updated = Some(u.trim().to_string());
                }
                continue;
            }
            // Also accept `prefix ; comment` (Spamhaus DROP style).
            let text = text.split(';').next().unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            match text.parse::<Prefix>() {
                Ok(p) => out.prefixes.push(p),
                Err(_) => out.errors.push(ListError { line }),
            }
        }
    }

    pub fn read_file(path: &Path) -> io::Result<BogonList> {
        Self::read(io::BufReader::new(std::fs::File::open(path)?))
    }
}

/// The bogon oracle: built-in special-purpose space and reserved ASNs, plus registry data
/// and/or a full-bogons list when given.
#[derive(Debug)]
pub struct Bogons {
    v4: RangeTable<SpaceStatus>,
    v6: RangeTable<SpaceStatus>,
    asn: RangeTable<SpaceStatus>,
    /// Merged bogon ranges per family, for whole-prefix checks and export.
    bogon_v4: Vec<(u128, u128)>,
    bogon_v6: Vec<(u128, u128)>,
    /// Special-purpose entries per family as ranges, most specific first.
    special: [Vec<(u128, u128, &'static SpecialEntry)>; 2],
    policy: BogonPolicy,
}

/// The verdict on one prefix.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrefixCheck {
    /// Every address of the prefix is bogon space.
    pub bogon: bool,
    /// The status of the most specific block covering the whole prefix; when the prefix
    /// spans several blocks, that of its first address.
    pub status: SpaceStatus,
    /// Number of distinct blocks the prefix spans (1 when one block covers it).
    pub blocks: usize,
}

impl Default for Bogons {
    fn default() -> Self {
        Bogons::new(None, None)
    }
}

impl Bogons {
    /// Special-purpose space and reserved ASNs only.
    pub fn special_only() -> Bogons {
        Bogons::new(None, None)
    }

    /// Builds the oracle from optional registry data and an optional full-bogons list (the
    /// list's prefixes are marked bogon on top of the registry's view).
    pub fn new(delegations: Option<&Delegations>, list: Option<&BogonList>) -> Bogons {
        Bogons::with_policy(delegations, list, BogonPolicy::default())
    }

    /// [`new`](Self::new) with a chosen [`BogonPolicy`].
    pub fn with_policy(
        delegations: Option<&Delegations>,
        list: Option<&BogonList>,
        policy: BogonPolicy,
    ) -> Bogons {
        let mut painters = [
            RangePainter::new(),
            RangePainter::new(),
            RangePainter::new(),
        ];
        let tops = [u32::MAX as u128, u128::MAX, u32::MAX as u128];
        let base = if list.is_some() && delegations.is_none() {
            SpaceStatus::NotListed
        } else {
            SpaceStatus::Unknown { rir: None }
        };
        for (p, top) in painters.iter_mut().zip(tops) {
            p.paint(0, top, base.clone());
        }
        if let Some(d) = delegations {
            for (i, table) in [&d.v4, &d.v6, &d.asn].into_iter().enumerate() {
                for (s, e, cell) in table.iter() {
                    painters[i].paint(*s, *e, d.status_of_cell(Some(cell)));
                }
            }
        }
        if let Some(list) = list {
            for p in &list.prefixes {
                let (s, e) = prefix_range(p);
                painters[slot(Resource::Ip(p.afi()))].paint(s, e, SpaceStatus::Listed);
            }
        }
        let mut specials: [Vec<(u128, u128, &'static SpecialEntry)>; 2] = [Vec::new(), Vec::new()];
        for (i, table) in [special::IPV4, special::IPV6].into_iter().enumerate() {
            let mut entries: Vec<(Prefix, &'static SpecialEntry)> = table
                .iter()
                .map(|e| (e.prefix.parse().expect("built-in prefixes parse"), e))
                .collect();
            entries.sort_by_key(|(p, _)| p.len());
            for &(p, entry) in &entries {
                let (s, e) = prefix_range(&p);
                painters[i].paint(s, e, SpaceStatus::Special { entry });
            }
            specials[i] = entries
                .iter()
                .rev()
                .map(|(p, entry)| {
                    let (s, e) = prefix_range(p);
                    (s, e, *entry)
                })
                .collect();
        }
        for entry in RESERVED_ASNS {
            painters[2].paint(
                entry.first as u128,
                entry.last as u128,
                SpaceStatus::ReservedAsn { entry },
            );
        }
        let [v4, v6, asn] = painters.map(RangePainter::freeze);
        let bogons = |t: &RangeTable<SpaceStatus>| {
            merge(
                t.iter()
                    .filter(|(_, _, st)| st.is_bogon_under(policy))
                    .map(|(s, e, _)| (*s, *e)),
            )
        };
        Bogons {
            bogon_v4: bogons(&v4),
            bogon_v6: bogons(&v6),
            v4,
            v6,
            asn,
            special: specials,
            policy,
        }
    }

    /// The most specific special-purpose entry covering all of `[s, e]`.
    fn special_covering(&self, afi: Afi, s: u128, e: u128) -> Option<&'static SpecialEntry> {
        let table = &self.special[usize::from(afi == Afi::Ipv6)];
        table
            .iter()
            .find(|(first, last, _)| *first <= s && e <= *last)
            .map(|(_, _, entry)| *entry)
    }

    /// Whether `prefix` is a bogon, and why. Inside a special-purpose block the most
    /// specific entry covering the whole prefix decides (so 192.0.0.0/24 is a bogon although
    /// two /32s in it are anycast); elsewhere the prefix is a bogon when all its addresses
    /// are bogon space.
    pub fn check_prefix(&self, prefix: &Prefix) -> PrefixCheck {
        let (s, e) = prefix_range(prefix);
        let (table, merged) = match prefix.afi() {
            Afi::Ipv4 => (&self.v4, &self.bogon_v4),
            Afi::Ipv6 => (&self.v6, &self.bogon_v6),
        };
        let blocks = table.overlapping(s, e).len();
        if let Some(entry) = self.special_covering(prefix.afi(), s, e) {
            return PrefixCheck {
                bogon: entry.bogon,
                status: SpaceStatus::Special { entry },
                blocks,
            };
        }
        PrefixCheck {
            bogon: covered(merged, s, e),
            status: table
                .get(s)
                .map(|p| p.2.clone())
                .unwrap_or(SpaceStatus::Unknown { rir: None }),
            blocks,
        }
    }

    /// True when `prefix` is a bogon (see [`check_prefix`](Self::check_prefix)).
    pub fn is_bogon_prefix(&self, prefix: &Prefix) -> bool {
        let (s, e) = prefix_range(prefix);
        if let Some(entry) = self.special_covering(prefix.afi(), s, e) {
            return entry.bogon;
        }
        match prefix.afi() {
            Afi::Ipv4 => covered(&self.bogon_v4, s, e),
            Afi::Ipv6 => covered(&self.bogon_v6, s, e),
        }
    }

    /// Where `asn` stands.
    pub fn check_asn(&self, asn: u32) -> SpaceStatus {
        self.asn
            .get(asn as u128)
            .map(|r| r.2.clone())
            .unwrap_or(SpaceStatus::Unknown { rir: None })
    }

    pub fn is_bogon_asn(&self, asn: u32) -> bool {
        self.check_asn(asn).is_bogon_under(self.policy)
    }

    /// Every bogon block of a family as the fewest CIDR prefixes (a full-bogons list).
    pub fn bogon_prefixes(&self, afi: Afi) -> Vec<Prefix> {
        let merged = match afi {
            Afi::Ipv4 => &self.bogon_v4,
            Afi::Ipv6 => &self.bogon_v6,
        };
        merged
            .iter()
            .flat_map(|&(s, e)| range_to_cidrs(s, e, afi.max_len()))
            .map(|(s, len)| Prefix::from_bits(afi, s, len).expect("aligned CIDR"))
            .collect()
    }

    /// Merged bogon address ranges of a family (inclusive, IPv4 right-aligned).
    pub fn bogon_ranges(&self, afi: Afi) -> &[(u128, u128)] {
        match afi {
            Afi::Ipv4 => &self.bogon_v4,
            Afi::Ipv6 => &self.bogon_v6,
        }
    }

    /// Number of distinct blocks in the address tables (for reports and tests).
    pub fn block_count(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
}

#[cfg(test)]
mod tests;
