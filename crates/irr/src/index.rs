//! The database: every loaded object indexed for the questions routing asks, and [`View`],
//! a selection of sources in priority order (bgpq4's `-S RPKI,RIPE,RADB`).
//!
//! Route objects are kept one entry per (prefix, origin, source) in a vector sorted by prefix
//! (exact and covering look-ups are binary searches), with a second sorted array by origin.
//! Sets, aut-nums and (optionally) object text are in hash maps keyed by upper-case name.

use crate::object::{Class, Object, SetObject};
use routenorms_types::{Afi, Asn, Prefix};
use rustc_hash::FxHashMap;

/// Index of a source in load order.
pub type SourceId = u16;

const NONE: u32 = u32::MAX;

/// One (prefix, origin) of a route/route6 object in one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub prefix: Prefix,
    pub origin: Asn,
    pub source: SourceId,
    /// DN42's `max-length:`.
    pub max_length: Option<u8>,
    mntner: u32,
    object: u32,
}

/// An as-set or route-set with its source.
#[derive(Clone, Debug)]
pub struct SetEntry {
    pub set: SetObject,
    pub source: SourceId,
    pub class: Class,
    object: u32,
}

/// The parts of an aut-num the index keeps (policies only counted).
#[derive(Clone, Debug)]
pub struct AutNumEntry {
    pub asn: Asn,
    pub as_name: Option<String>,
    pub member_of: Vec<String>,
    pub mnt_by: Vec<String>,
    pub source: SourceId,
    pub policies: usize,
    object: u32,
}

/// An address range and the registry holding it (inetnum of an authoritative source, or an
/// RIR statistics file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub afi: Afi,
    pub first: u128,
    pub last: u128,
    pub registry: String,
}

/// Object text kept for whois look-ups.
#[derive(Clone, Debug)]
pub struct StoredObject {
    pub class: Class,
    pub key: String,
    pub source: SourceId,
    pub text: String,
}

/// Every loaded object, indexed. Build with [`IrrDb::load_path`] (or `add`), then call
/// [`IrrDb::finish`] once before querying.
#[derive(Debug, Default)]
pub struct IrrDb {
    source_names: Vec<String>,
    source_ids: FxHashMap<String, SourceId>,
    routes: Vec<RouteEntry>,
    by_origin: Vec<(Asn, u32)>,
    /// (route-set name, route index) from route objects' `member-of`.
    route_member_of: Vec<(String, u32)>,
    sets: Vec<SetEntry>,
    set_by_name: FxHashMap<String, Vec<u32>>,
    aut_nums: Vec<AutNumEntry>,
    aut_num_by_asn: FxHashMap<Asn, Vec<u32>>,
    member_of_as: FxHashMap<String, Vec<u32>>,
    inetnums: Vec<(Afi, u128, u128, SourceId)>,
    holders: Vec<Holder>,
    holder_max_last: Vec<u128>,
    texts: Vec<StoredObject>,
    text_by_key: FxHashMap<String, Vec<u32>>,
    mntners: Vec<String>,
    mntner_ids: FxHashMap<String, u32>,
    asn_maintainers: Vec<(String, String, Asn)>,
    class_counts: FxHashMap<Class, u64>,
    /// Which prefix lengths have route entries, per family (IPv4, IPv6): covering look-ups
    /// only search those.
    lengths: [Vec<u8>; 2],
    finished: bool,
}

/// A source name given that no loaded file holds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown source {0:?} (loaded: {1})")]
pub struct UnknownSource(pub String, pub String);

/// The registries whose inetnums say who holds address space.
pub const RIR_SOURCES: [&str; 5] = ["AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"];

impl IrrDb {
    pub fn new() -> IrrDb {
        IrrDb::default()
    }

    fn source_id(&mut self, name: &str) -> SourceId {
        if let Some(&id) = self.source_ids.get(name) {
            return id;
        }
        let id = self.source_names.len() as SourceId;
        self.source_names.push(name.to_owned());
        self.source_ids.insert(name.to_owned(), id);
        id
    }

    fn mntner_id(&mut self, name: Option<&String>) -> u32 {
        let Some(name) = name else { return NONE };
        if let Some(&id) = self.mntner_ids.get(name) {
            return id;
        }
        let id = self.mntners.len() as u32;
        self.mntners.push(name.clone());
        self.mntner_ids.insert(name.clone(), id);
        id
    }

    /// Adds one typed object (with its text, for whois).
    pub fn add(&mut self, obj: Object, class: Class, text: Option<String>) {
        self.finished = false;
        *self.class_counts.entry(class).or_default() += 1;
        let source_name = match &obj {
            Object::Route(r) => &r.source,
            Object::AutNum(a) => &a.source,
            Object::AsSet(s) | Object::RouteSet(s) => &s.source,
            Object::Mntner(m) => &m.source,
            Object::Inetnum(i) => &i.source,
            Object::Other { source, .. } => source,
        };
        let source = self.source_id(source_name);
        let object = match text {
            Some(text) => {
                let key = match &obj {
                    Object::Route(r) => r.prefix.to_string(),
                    Object::AutNum(a) => format!("AS{}", a.asn),
                    Object::AsSet(s) | Object::RouteSet(s) => s.name.clone(),
                    Object::Mntner(m) => m.name.clone(),
                    Object::Inetnum(_) => text
                        .lines()
                        .next()
                        .and_then(|l| l.split_once(':'))
                        .map(|(_, v)| v.trim().to_ascii_uppercase())
                        .unwrap_or_default(),
                    Object::Other { key, .. } => key.to_ascii_uppercase(),
                };
                let id = self.texts.len() as u32;
                self.text_by_key.entry(key.clone()).or_default().push(id);
                self.texts.push(StoredObject {
                    class,
                    key,
                    source,
                    text,
                });
                id
            }
            None => NONE,
        };
        match obj {
            Object::Route(r) => {
                let mntner = self.mntner_id(r.mnt_by.first());
                for origin in r.origins {
                    let idx = self.routes.len() as u32;
                    for m in &r.member_of {
                        self.route_member_of.push((m.clone(), idx));
                    }
                    self.routes.push(RouteEntry {
                        prefix: r.prefix,
                        origin,
                        source,
                        max_length: r.max_length,
                        mntner,
                        object,
                    });
                }
            }
            Object::AutNum(a) => {
                let idx = self.aut_nums.len() as u32;
                self.aut_num_by_asn.entry(a.asn).or_default().push(idx);
                for m in &a.member_of {
                    self.member_of_as.entry(m.clone()).or_default().push(idx);
                }
                self.aut_nums.push(AutNumEntry {
                    asn: a.asn,
                    as_name: a.as_name,
                    member_of: a.member_of,
                    mnt_by: a.mnt_by,
                    source,
                    policies: a.policies.len(),
                    object,
                });
            }
            Object::AsSet(s) | Object::RouteSet(s) => {
                let idx = self.sets.len() as u32;
                self.set_by_name
                    .entry(s.name.clone())
                    .or_default()
                    .push(idx);
                self.sets.push(SetEntry {
                    set: s,
                    source,
                    class,
                    object,
                });
            }
            Object::Inetnum(i) => {
                self.inetnums.push((i.afi, i.first, i.last, source));
            }
            Object::Mntner(_) | Object::Other { .. } => {}
        }
    }

    /// Records one `rir,mntner,asn` row.
    pub fn add_asn_maintainer(&mut self, rir: &str, mntner: &str, asn: Asn) {
        self.asn_maintainers
            .push((rir.to_ascii_uppercase(), mntner.to_ascii_uppercase(), asn));
    }

    /// IRRd's RPKI pseudo-source: every VRP becomes a route object of source `RPKI`
    /// (origin = the VRP's ASN, `max-length` kept), with its text when `keep_text`.
    pub fn add_rpki_source(&mut self, vrps: &routenorms_rpki::VrpSet, keep_text: bool) {
        for v in vrps.iter() {
            let (class, cname) = if v.prefix.afi() == Afi::Ipv4 {
                (Class::Route, "route")
            } else {
                (Class::Route6, "route6")
            };
            let text = keep_text.then(|| {
                format!(
                    "{cname}:{:w$}{}\norigin:         AS{}\ndescr:          RPKI ROA for {} / AS{}\nremarks:        max length {}\nsource:         RPKI\n",
                    "",
                    v.prefix,
                    v.asn,
                    v.prefix,
                    v.asn,
                    v.max_len,
                    w = 15 - cname.len()
                )
            });
            self.add(
                Object::Route(crate::object::RouteObject {
                    prefix: v.prefix,
                    origins: vec![v.asn],
                    max_length: Some(v.max_len),
                    mnt_by: Vec::new(),
                    member_of: Vec::new(),
                    source: "RPKI".into(),
                }),
                class,
                text,
            );
        }
    }

    /// Drops the route entries `keep` rejects (e.g. RPKI-invalid ones, as an RPKI-aware
    /// IRRd does); call before [`finish`](Self::finish).
    pub fn retain_routes(&mut self, mut keep: impl FnMut(&RouteEntry, &str) -> bool) -> usize {
        let before = self.routes.len();
        let names = &self.source_names;
        let mut kept_idx = Vec::with_capacity(before);
        let mut i = 0u32;
        self.routes.retain(|r| {
            let k = keep(r, &names[r.source as usize]);
            if k {
                kept_idx.push(i);
            }
            i += 1;
            k
        });
        // Remap the member-of references to the surviving entries.
        let mut new_pos = vec![u32::MAX; before];
        for (new, &old) in kept_idx.iter().enumerate() {
            new_pos[old as usize] = new as u32;
        }
        self.route_member_of.retain_mut(|(_, idx)| {
            *idx = new_pos[*idx as usize];
            *idx != u32::MAX
        });
        self.finished = false;
        before - self.routes.len()
    }

    /// Declares that `registry` holds a range (e.g. from an RIR statistics file).
    pub fn add_holder(&mut self, h: Holder) {
        self.finished = false;
        self.holders.push(h);
    }

    /// Sorts the indexes; call after loading, before querying (idempotent).
    pub fn finish(&mut self) {
        self.finish_with_authoritative(&RIR_SOURCES);
    }

    /// [`finish`](Self::finish), naming the sources whose inetnums define who holds space.
    pub fn finish_with_authoritative(&mut self, authoritative: &[&str]) {
        // Routes sorted by prefix, origin, source; member-of indexes remapped.
        let mut order: Vec<u32> = (0..self.routes.len() as u32).collect();
        order.sort_by_key(|&i| {
            let r = &self.routes[i as usize];
            (r.prefix, r.origin, r.source)
        });
        let mut new_pos = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_pos[old as usize] = new as u32;
        }
        self.routes = order.iter().map(|&i| self.routes[i as usize]).collect();
        for (_, idx) in &mut self.route_member_of {
            *idx = new_pos[*idx as usize];
        }
        self.route_member_of.sort();
        self.by_origin = self
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.origin, i as u32))
            .collect();
        self.by_origin.sort_unstable();
        let mut seen = [[false; 129]; 2];
        for r in &self.routes {
            seen[usize::from(r.prefix.afi() == Afi::Ipv6)][r.prefix.len() as usize] = true;
        }
        self.lengths = seen.map(|s| (0..=128u8).filter(|&l| s[l as usize]).collect());
        // Holders: authoritative inetnums plus explicit ranges.
        let auth: Vec<String> = authoritative
            .iter()
            .map(|s| s.to_ascii_uppercase())
            .collect();
        self.holders.retain(|h| !h.registry.starts_with("inetnum:"));
        for &(afi, first, last, source) in &self.inetnums {
            let name = &self.source_names[source as usize];
            if auth.iter().any(|a| a == name) {
                self.holders.push(Holder {
                    afi,
                    first,
                    last,
                    registry: format!("inetnum:{name}"),
                });
            }
        }
        self.holders
            .sort_by(|a, b| (a.afi, a.first, b.last).cmp(&(b.afi, b.first, a.last)));
        let mut max = 0u128;
        let mut prev_afi = None;
        self.holder_max_last = self
            .holders
            .iter()
            .map(|h| {
                if prev_afi != Some(h.afi) {
                    max = 0;
                    prev_afi = Some(h.afi);
                }
                max = max.max(h.last);
                max
            })
            .collect();
        self.finished = true;
    }

    /// Source names in load order.
    pub fn sources(&self) -> &[String] {
        &self.source_names
    }

    pub fn source_name(&self, id: SourceId) -> &str {
        &self.source_names[id as usize]
    }

    /// Route entries ((prefix, origin, source) triples).
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// Objects added per class.
    pub fn class_count(&self, class: Class) -> u64 {
        self.class_counts.get(&class).copied().unwrap_or(0)
    }

    /// Every as-set and route-set.
    pub fn sets(&self) -> &[SetEntry] {
        &self.sets
    }

    pub fn aut_nums(&self) -> &[AutNumEntry] {
        &self.aut_nums
    }

    /// `rir,mntner,asn` rows loaded.
    pub fn asn_maintainers(&self) -> &[(String, String, Asn)] {
        &self.asn_maintainers
    }

    /// The maintainer (first `mnt-by`) of a route entry.
    pub fn route_mntner(&self, r: &RouteEntry) -> Option<&str> {
        (r.mntner != NONE).then(|| self.mntners[r.mntner as usize].as_str())
    }

    /// The stored text of the object a route entry came from.
    pub fn route_text(&self, r: &RouteEntry) -> Option<&StoredObject> {
        (r.object != NONE).then(|| &self.texts[r.object as usize])
    }

    pub fn set_text(&self, s: &SetEntry) -> Option<&StoredObject> {
        (s.object != NONE).then(|| &self.texts[s.object as usize])
    }

    pub fn aut_num_text(&self, a: &AutNumEntry) -> Option<&StoredObject> {
        (a.object != NONE).then(|| &self.texts[a.object as usize])
    }

    /// Stored objects whose primary key is `key` (upper case).
    pub fn objects_by_key(&self, key: &str) -> impl Iterator<Item = &StoredObject> {
        self.text_by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.texts[i as usize])
    }

    /// The registry holding the space of `prefix`: the most specific holder range covering it.
    pub fn holder_of(&self, prefix: &Prefix) -> Option<&str> {
        let width = prefix.afi().max_len() as u32;
        let host = match width - prefix.len() as u32 {
            0 => 0,
            128 => u128::MAX,
            n => (1u128 << n) - 1,
        };
        let (pf, pl) = (prefix.bits(), prefix.bits() | host);
        let end = self
            .holders
            .partition_point(|h| (h.afi, h.first) <= (prefix.afi(), pf));
        let mut best: Option<&Holder> = None;
        for i in (0..end).rev() {
            let h = &self.holders[i];
            if h.afi != prefix.afi() || self.holder_max_last[i] < pl {
                break;
            }
            if h.last >= pl && best.is_none_or(|b| h.last - h.first < b.last - b.first) {
                best = Some(h);
            }
        }
        best.map(|h| h.registry.strip_prefix("inetnum:").unwrap_or(&h.registry))
    }

    /// A view over the named sources in that priority order; empty: all, in load order.
    pub fn view(&self, sources: &[String]) -> Result<View<'_>, UnknownSource> {
        debug_assert!(self.finished, "IrrDb::finish not called");
        let order: Vec<SourceId> = if sources.is_empty() {
            (0..self.source_names.len() as SourceId).collect()
        } else {
            let mut v = Vec::new();
            for s in sources {
                let id = *self
                    .source_ids
                    .get(&s.to_ascii_uppercase())
                    .ok_or_else(|| UnknownSource(s.clone(), self.source_names.join(",")))?;
                if !v.contains(&id) {
                    v.push(id);
                }
            }
            v
        };
        let mut rank = vec![u16::MAX; self.source_names.len()];
        for (i, &s) in order.iter().enumerate() {
            rank[s as usize] = i as u16;
        }
        Ok(View {
            db: self,
            order,
            rank,
        })
    }
}

/// A selection of sources in priority order.
#[derive(Clone, Debug)]
pub struct View<'a> {
    pub db: &'a IrrDb,
    order: Vec<SourceId>,
    rank: Vec<u16>,
}

impl<'a> View<'a> {
    /// The selected sources, highest priority first.
    pub fn sources(&self) -> &[SourceId] {
        &self.order
    }

    pub fn enabled(&self, s: SourceId) -> bool {
        self.rank[s as usize] != u16::MAX
    }

    /// Priority of a source (0 highest); `u16::MAX` when not selected.
    pub fn rank(&self, s: SourceId) -> u16 {
        self.rank[s as usize]
    }

    /// Route entries for exactly this prefix.
    pub fn routes_at(&self, prefix: Prefix) -> impl Iterator<Item = &'a RouteEntry> + '_ {
        let db = self.db;
        let start = db.routes.partition_point(|r| r.prefix < prefix);
        db.routes[start..]
            .iter()
            .take_while(move |r| r.prefix == prefix)
            .filter(|r| self.enabled(r.source))
    }

    /// Route entries whose prefix covers `prefix` (itself included), least specific first.
    pub fn routes_covering(&self, prefix: Prefix) -> Vec<&'a RouteEntry> {
        let mut out = Vec::new();
        let lens = &self.db.lengths[usize::from(prefix.afi() == Afi::Ipv6)];
        for &len in lens.iter().take_while(|&&l| l <= prefix.len()) {
            let Ok(p) = Prefix::from_bits(prefix.afi(), prefix.bits(), len) else {
                continue;
            };
            out.extend(self.routes_at(p));
        }
        out
    }

    /// Route entries with this origin (both families, or one), in prefix order.
    pub fn routes_of(
        &self,
        asn: Asn,
        afi: Option<Afi>,
    ) -> impl Iterator<Item = &'a RouteEntry> + '_ {
        let db = self.db;
        let start = db.by_origin.partition_point(|&(a, _)| a < asn);
        db.by_origin[start..]
            .iter()
            .take_while(move |&&(a, _)| a == asn)
            .map(move |&(_, i)| &db.routes[i as usize])
            .filter(move |r| self.enabled(r.source) && afi.is_none_or(|f| r.prefix.afi() == f))
    }

    /// The set object a name resolves to: `SOURCE::NAME` in that source, otherwise the
    /// selected source of highest priority that has it.
    pub fn find_set(&self, name: &str) -> Option<&'a SetEntry> {
        let upper = name.trim().to_ascii_uppercase();
        let (only, bare) = match upper.split_once("::") {
            Some((src, n)) => (Some(src.to_owned()), n.to_owned()),
            None => (None, upper),
        };
        let db = self.db;
        db.set_by_name
            .get(&bare)?
            .iter()
            .map(|&i| &db.sets[i as usize])
            .filter(|s| match &only {
                Some(src) => db.source_name(s.source) == src,
                None => self.enabled(s.source),
            })
            .min_by_key(|s| self.rank(s.source))
    }

    /// aut-nums that name `set` in `member-of` and are allowed in by its `mbrs-by-ref`.
    pub fn members_by_ref(&self, set: &SetObject) -> Vec<Asn> {
        if set.mbrs_by_ref.is_empty() {
            return Vec::new();
        }
        let any = set.mbrs_by_ref.iter().any(|m| m == "ANY");
        let db = self.db;
        let mut out = Vec::new();
        for &i in db.member_of_as.get(&set.name).into_iter().flatten() {
            let a = &db.aut_nums[i as usize];
            if self.enabled(a.source)
                && (any || a.mnt_by.iter().any(|m| set.mbrs_by_ref.contains(m)))
            {
                out.push(a.asn);
            }
        }
        out
    }

    /// Route entries that name route-set `set` in `member-of`, allowed by its `mbrs-by-ref`.
    pub fn routes_by_ref(&self, set: &SetObject) -> Vec<&'a RouteEntry> {
        if set.mbrs_by_ref.is_empty() {
            return Vec::new();
        }
        let any = set.mbrs_by_ref.iter().any(|m| m == "ANY");
        let db = self.db;
        let start = db
            .route_member_of
            .partition_point(|(n, _)| n.as_str() < set.name.as_str());
        db.route_member_of[start..]
            .iter()
            .take_while(|(n, _)| *n == set.name)
            .map(|&(_, i)| &db.routes[i as usize])
            .filter(|r| {
                self.enabled(r.source)
                    && (any
                        || db
                            .route_mntner(r)
                            .is_some_and(|m| set.mbrs_by_ref.iter().any(|x| x == m)))
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::load::LoadOptions;

    pub(crate) fn db(text: &str) -> IrrDb {
        let mut db = IrrDb::new();
        let r = db
            .load_reader(
                text.as_bytes(),
                &LoadOptions {
                    keep_text: true,
                    ..LoadOptions::default()
                },
            )
            .unwrap();
        assert_eq!(r.damaged, 0, "{:?}", r.issues);
        db.finish();
        db
    }

    const TWO_SOURCES: &str = "\
route: 192.0.2.0/24\norigin: AS1\norigin: AS2\nmnt-by: A-MNT\nsource: RIPE\n\n\
route: 192.0.2.0/24\norigin: AS3\nsource: RADB\n\n\
route: 192.0.0.0/16\norigin: AS1\nsource: RADB\n\n\
route6: 2001:db8::/32\norigin: AS1\nsource: RIPE\n\n\
as-set: AS-X\nmembers: AS1\nsource: RADB\n\n\
as-set: AS-X\nmembers: AS2\nsource: RIPE\n";

    #[test]
    fn prefix_and_origin_lookups_respect_the_selected_sources() {
        let db = db(TWO_SOURCES);
        let all = db.view(&[]).unwrap();
        let p: Prefix = "192.0.2.0/24".parse().unwrap();
        let origins: Vec<u32> = all.routes_at(p).map(|r| r.origin.0).collect();
        assert_eq!(origins, vec![1, 2, 3]);
        let radb = db.view(&["radb".into()]).unwrap();
        assert_eq!(radb.routes_at(p).count(), 1);
        assert_eq!(all.routes_covering(p).len(), 4);
        assert_eq!(all.routes_of(Asn(1), None).count(), 3);
        assert_eq!(all.routes_of(Asn(1), Some(Afi::Ipv6)).count(), 1);
        assert_eq!(
            db.route_mntner(all.routes_at(p).next().unwrap()),
            Some("A-MNT")
        );
        assert!(db.view(&["NOPE".into()]).is_err());
    }

    #[test]
    fn set_names_resolve_by_priority_and_source_qualification() {
        let db = db(TWO_SOURCES);
        let v = db.view(&["RADB".into(), "RIPE".into()]).unwrap();
        assert_eq!(v.find_set("as-x").unwrap().set.members, vec!["AS1"]);
        let v = db.view(&["RIPE".into(), "RADB".into()]).unwrap();
        assert_eq!(v.find_set("AS-X").unwrap().set.members, vec!["AS2"]);
        assert_eq!(v.find_set("RADB::AS-X").unwrap().set.members, vec!["AS1"]);
        assert!(v.find_set("AS-NONE").is_none());
    }

    #[test]
    fn rpki_source_and_dropped_routes_keep_the_indexes_consistent() {
        use routenorms_rpki::{Vrp, VrpSet};
        let mut d = IrrDb::new();
        d.load_reader(
            "route: 10.0.0.0/8\norigin: AS1\nmember-of: RS-X\nsource: A\n\n\
             route: 11.0.0.0/8\norigin: AS2\nmember-of: RS-X\nsource: A\n\n\
             route-set: RS-X\nmbrs-by-ref: ANY\nsource: A\n"
                .as_bytes(),
            &LoadOptions::default(),
        )
        .unwrap();
        let vrps = VrpSet::new(vec![
            Vrp::new("10.0.0.0/8".parse().unwrap(), 8, Asn(9)).unwrap()
        ]);
        let dropped = d.retain_routes(|r, _| {
            vrps.validate_state(r.prefix, Some(r.origin)).0 != routenorms_rpki::RovState::Invalid
        });
        assert_eq!(dropped, 1);
        d.add_rpki_source(&vrps, true);
        d.finish();
        let v = d.view(&["RPKI".into(), "A".into()]).unwrap();
        let e = v.expand("RS-X", 8).unwrap();
        let got: Vec<String> = e.prefixes.iter().map(|r| r.prefix.to_string()).collect();
        assert_eq!(got, vec!["11.0.0.0/8"]);
        let rpki: Vec<u32> = v
            .routes_at("10.0.0.0/8".parse().unwrap())
            .map(|r| r.origin.0)
            .collect();
        assert_eq!(rpki, vec![9]);
        assert!(d
            .objects_by_key("10.0.0.0/8")
            .any(|o| o.text.contains("source:         RPKI")));
    }

    #[test]
    fn holder_is_the_most_specific_authoritative_inetnum() {
        let db = db("\
inetnum: 192.0.0.0 - 192.255.255.255\nsource: ARIN\n\n\
inetnum: 192.0.2.0 - 192.0.2.255\nsource: RIPE\n\n\
inetnum: 10.0.0.0 - 10.255.255.255\nsource: RADB\n");
        assert_eq!(db.holder_of(&"192.0.2.0/25".parse().unwrap()), Some("RIPE"));
        assert_eq!(db.holder_of(&"192.0.3.0/24".parse().unwrap()), Some("ARIN"));
        assert_eq!(db.holder_of(&"10.0.0.0/8".parse().unwrap()), None);
    }
}
