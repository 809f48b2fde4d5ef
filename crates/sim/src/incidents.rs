//! Planting incidents: for each requested kind, a culprit, the prefixes it touches, the seeds
//! that announce them while it lasts, its time window and the ground truth a detector should
//! find.

use crate::config::{Config, IncidentKind};
use crate::registry::RpkiPlan;
use crate::rng::Rng;
use crate::routing::{Engine, Seed, Workspace, FROM_CUSTOMER, FROM_PEER, FROM_PROVIDER, SEED};
use crate::topology::{Tier, Topology};
use crate::SimError;
use routenorms_types::{Afi, Prefix};
use std::collections::{BTreeSet, HashSet};

/// Tries to place one incident before giving up. A leak of a peer's route to other peers
/// (type 2) is seen by a collector only from inside the customer cone of a peer that prefers
/// it, which few candidates offer: it may take a few hundred draws on small topologies.
const PLACEMENT_ATTEMPTS: usize = 500;

/// What announces a prefix at some moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The normal origination by a node.
    Origin(u32),
    /// An incident's seed set (index into [`Plan::seed_sets`]).
    Set(u16),
}

/// One prefix an incident changes: what announces it before and while the incident lasts.
#[derive(Clone, Debug)]
pub struct Change {
    pub prefix: Prefix,
    pub before: Option<Source>,
    pub during: Option<Source>,
}

/// The ground truth of one incident, as written to `ground-truth.json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Incident {
    pub id: String,
    pub class: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc7908_type: Option<u8>,
    /// The AS that caused it (for a bogon ASN: the AS that announced it to the Internet).
    pub culprit_asn: u32,
    /// Neighbours of the culprit that accepted and propagated its announcement (sorted); the
    /// first is reported as the direct upstream.
    pub culprit_upstream_asn: Option<u32>,
    pub upstream_asns: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim_asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bogon_asn: Option<u32>,
    pub prefixes: Vec<Prefix>,
    /// The AS path the culprit sends (empty for outages).
    pub announced_path: Vec<u32>,
    pub start: u32,
    pub end: u32,
    /// True when it still lasts at the time of the "after" RIB.
    pub active_in_after_rib: bool,
    /// The metrics this incident should move, most specific first.
    pub metrics: Vec<&'static str>,
    pub description: String,
    /// Files where the incident shows, with how many entries show it (filled when writing).
    pub visible_in: Vec<Visibility>,
    #[serde(skip)]
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct Visibility {
    pub file: String,
    /// `announced` (routes through the culprit), `withdrawn` (outage withdrawals) or
    /// `absent` (an outage's prefixes missing from the after RIB).
    pub how: &'static str,
    pub entries: u64,
}

/// All incidents and the seed sets their changes refer to.
#[derive(Debug, Default)]
pub struct Plan {
    pub incidents: Vec<Incident>,
    pub seed_sets: Vec<Vec<Seed>>,
    /// For each seed set, the index of the culprit's seed.
    pub culprit_seed: Vec<u16>,
}

struct Picker<'a> {
    topo: &'a Topology,
    rng: Rng,
    used_nodes: BTreeSet<u32>,
    used_prefixes: Vec<Prefix>,
    /// Every prefix some AS originates normally.
    announced: HashSet<Prefix>,
}

impl Picker<'_> {
    /// A random net node matching `ok`, not yet used by another incident.
    fn node(&mut self, ok: impl Fn(u32) -> bool) -> Option<u32> {
        let n = self.topo.ases.len();
        for _ in 0..2000 {
            let x = self.rng.index(n) as u32;
            let a = &self.topo.ases[x as usize];
            if a.tier != Tier::RouteServer && !self.used_nodes.contains(&x) && ok(x) {
                return Some(x);
            }
        }
        None
    }

    /// A prefix no AS originates normally: announcing it is a change the data shows.
    fn unannounced(&self, p: &Prefix) -> bool {
        !self.announced.contains(p)
    }

    fn prefix_free(&self, p: &Prefix) -> bool {
        !self
            .used_prefixes
            .iter()
            .any(|q| q.covers(p) || p.covers(q))
    }
}

fn half(p: &Prefix, second: bool) -> Prefix {
    let width = p.afi().max_len() as u32;
    let l = p.len() + 1;
    let bit = if second {
        1u128 << (width - l as u32)
    } else {
        0
    };
    Prefix::from_bits(p.afi(), p.bits() | bit, l).expect("valid")
}

/// Chooses every incident of `cfg.incidents`.
///
/// `watchers` are the collector peers (node, full feed): an incident is placed only where at
/// least one of them sees it.
pub fn plant(
    cfg: &Config,
    topo: &Topology,
    rpki: &mut RpkiPlan,
    watchers: &[(u32, bool)],
) -> Result<Plan, SimError> {
    let mut pk = Picker {
        topo,
        rng: Rng::stream(cfg.seed, "incidents"),
        used_nodes: BTreeSet::new(),
        used_prefixes: Vec::new(),
        announced: topo
            .ases
            .iter()
            .flat_map(|a| a.v4.iter().chain(&a.v6).copied())
            .collect(),
    };
    let engine = Engine::full(topo);
    let mut ws = Workspace::new(topo.ases.len());
    let mut plan = Plan::default();
    let t_after = cfg.start + 3600;
    for (&kind, &count) in &cfg.incidents.counts {
        for _ in 0..count {
            let mut done = false;
            for _attempt in 0..PLACEMENT_ATTEMPTS {
                if let Some(inc) =
                    try_one(kind, &mut pk, &engine, &mut ws, &mut plan, rpki, watchers)
                {
                    let mut inc = inc;
                    let i = plan.incidents.len();
                    inc.id = format!("I{}", i + 1);
                    inc.start = cfg.start + 300 + pk.rng.below(2400) as u32;
                    if pk.rng.chance(0.5) {
                        inc.end = (inc.start + 300 + pk.rng.below(600) as u32).min(t_after - 60);
                        inc.active_in_after_rib = false;
                    } else {
                        inc.end = cfg.start + 7200;
                        inc.active_in_after_rib = true;
                    }
                    for c in &inc.changes {
                        pk.used_prefixes.push(c.prefix);
                    }
                    plan.incidents.push(inc);
                    done = true;
                    break;
                }
            }
            if !done {
                return Err(SimError::Config(
                    "could not place an incident (topology too small for the incident spec)",
                ));
            }
        }
    }
    Ok(plan)
}

/// The neighbours of `culprit` that took the seed's route from it, by ASN.
fn upstreams(engine: &Engine, ws: &Workspace, culprit: u32) -> Vec<u32> {
    let t = engine.topo;
    let a = &t.ases[culprit as usize];
    let mut v: Vec<u32> = a
        .providers
        .iter()
        .chain(&a.peers)
        .chain(&a.customers)
        .copied()
        .filter(|&y| ws.class[y as usize] != 0 && ws.next[y as usize] == culprit)
        .map(|y| t.asn(y))
        .collect();
    v.sort_unstable();
    v
}

/// Whether the route at `watcher` went through a hop where `leaker` exported it against
/// policy: the neighbour it reached from the leaker is the leaker's provider or peer. A
/// watcher downstream of the leaker's customers sees the same route as without the leak.
fn crosses_leak_hop(ws: &Workspace, watcher: u32, leaker: u32) -> bool {
    let mut x = watcher;
    let mut hops = 0;
    while x != crate::routing::NONE && hops <= ws.next.len() {
        let next = ws.next[x as usize];
        if next == leaker {
            return ws.class[x as usize] != FROM_PROVIDER;
        }
        x = next;
        hops += 1;
    }
    false
}

/// The ground-truth label of `origin` announcing `p` when the plan's ROAs make it
/// RPKI-invalid (`None`: valid or not found).
fn rov_invalid_label(rpki: &RpkiPlan, p: &Prefix, origin: u32) -> Option<&'static str> {
    let mut covered = false;
    let mut length = false;
    for r in rpki.roas.iter().filter(|r| r.prefix.covers(p)) {
        covered = true;
        if r.asn == origin {
            if p.len() <= r.max_len {
                return None;
            }
            length = true;
        }
    }
    match (covered, length) {
        (false, _) => None,
        (true, true) => Some("rov.invalid-length"),
        (true, false) => Some("rov.invalid-as"),
    }
}

fn try_one(
    kind: IncidentKind,
    pk: &mut Picker,
    engine: &Engine,
    ws: &mut Workspace,
    plan: &mut Plan,
    rpki: &mut RpkiPlan,
    watchers: &[(u32, bool)],
) -> Option<Incident> {
    let topo = pk.topo;
    let has_providers = |x: u32| !topo.ases[x as usize].providers.is_empty();
    let asn = |x: u32| topo.asn(x);
    let mut inc = Incident {
        id: String::new(),
        class: kind.name(),
        rfc7908_type: None,
        culprit_asn: 0,
        culprit_upstream_asn: None,
        upstream_asns: Vec::new(),
        victim_asn: None,
        bogon_asn: None,
        prefixes: Vec::new(),
        announced_path: Vec::new(),
        start: 0,
        end: 0,
        active_in_after_rib: false,
        metrics: Vec::new(),
        description: String::new(),
        visible_in: Vec::new(),
        changes: Vec::new(),
    };
    let set_index = plan.seed_sets.len() as u16;
    let culprit;
    let seeds: Vec<Seed>;
    match kind {
        IncidentKind::Moas | IncidentKind::Subprefix | IncidentKind::ForgedOrigin => {
            let victim = pk.node(|x| !topo.ases[x as usize].v4.is_empty())?;
            let a =
                pk.node(|x| x != victim && has_providers(x) && topo.rel(victim, x).is_none())?;
            let vp = *pk.rng.pick(&topo.ases[victim as usize].v4);
            if !pk.prefix_free(&vp) {
                return None;
            }
            culprit = a;
            inc.victim_asn = Some(asn(victim));
            match kind {
                IncidentKind::Moas => {
                    seeds = vec![
                        Seed::origin(topo, victim),
                        Seed {
                            path: vec![asn(a)],
                            ..Seed::origin(topo, a)
                        },
                    ];
                    inc.changes.push(Change {
                        prefix: vp,
                        before: Some(Source::Origin(victim)),
                        during: Some(Source::Set(set_index)),
                    });
                    inc.metrics = vec!["hijack.exact-prefix", "rov.invalid-as", "manrs.filtering"];
                    inc.description =
                        format!("AS{} originates {} of AS{}", asn(a), vp, asn(victim));
                }
                IncidentKind::Subprefix => {
                    if vp.len() > 23 {
                        return None;
                    }
                    let sp = half(&vp, pk.rng.chance(0.5));
                    if !pk.unannounced(&sp) {
                        return None;
                    }
                    seeds = vec![Seed {
                        path: vec![asn(a)],
                        ..Seed::origin(topo, a)
                    }];
                    inc.changes.push(Change {
                        prefix: sp,
                        before: None,
                        during: Some(Source::Set(set_index)),
                    });
                    inc.metrics = vec!["hijack.sub-prefix", "rov.invalid-as", "manrs.filtering"];
                    inc.description = format!(
                        "AS{} originates {}, inside {} of AS{}",
                        asn(a),
                        sp,
                        vp,
                        asn(victim)
                    );
                }
                _ => {
                    let forged = Seed {
                        path: vec![asn(a), asn(victim)],
                        blocked: vec![victim],
                        ..Seed::origin(topo, a)
                    };
                    seeds = vec![Seed::origin(topo, victim), forged];
                    // The victim publishes an ASPA that does not list the attacker.
                    let provs: Vec<u32> = topo.ases[victim as usize]
                        .providers
                        .iter()
                        .map(|&p| asn(p))
                        .collect();
                    if provs.is_empty() {
                        return None;
                    }
                    rpki.aspas.insert(asn(victim), provs);
                    inc.changes.push(Change {
                        prefix: vp,
                        before: Some(Source::Origin(victim)),
                        during: Some(Source::Set(set_index)),
                    });
                    inc.metrics = vec!["hijack.forged-origin", "aspa.invalid", "manrs.filtering"];
                    inc.description = format!(
                        "AS{} announces {} with the forged path {} {}",
                        asn(a),
                        vp,
                        asn(a),
                        asn(victim)
                    );
                }
            }
            pk.used_nodes.insert(victim);
        }
        IncidentKind::Leak(t) => {
            inc.rfc7908_type = Some(t);
            let leaker = pk.node(|x| {
                let a = &topo.ases[x as usize];
                !a.roles
                    && match t {
                        1 => a.providers.len() >= 2,
                        2 => a.peers.len() >= 2,
                        3 => !a.providers.is_empty() && !a.peers.is_empty(),
                        4 => !a.peers.is_empty() && !a.providers.is_empty(),
                        5 => !a.providers.is_empty(),
                        _ => a.v4.iter().any(|p| p.len() <= 22) && !a.providers.is_empty(),
                    }
            })?;
            culprit = leaker;
            let la = asn(leaker);
            if t == 6 {
                let own: Vec<Prefix> = topo.ases[leaker as usize]
                    .v4
                    .iter()
                    .copied()
                    .filter(|p| p.len() <= 22)
                    .collect();
                let p = *pk.rng.pick(&own);
                if !pk.prefix_free(&p) {
                    return None;
                }
                let a = half(&p, false);
                let b = half(&a, true);
                if !pk.unannounced(&a) || !pk.unannounced(&b) {
                    return None;
                }
                seeds = vec![Seed {
                    path: vec![la],
                    to_peers: false,
                    ..Seed::origin(topo, leaker)
                }];
                for sp in [a, b] {
                    inc.changes.push(Change {
                        prefix: sp,
                        before: None,
                        during: Some(Source::Set(set_index)),
                    });
                }
                inc.description = format!(
                    "AS{la} leaks internal more-specifics {a} and {b} of {p} to its providers"
                );
            } else {
                // An origin whose route at the leaker came from the side the type needs.
                let want = match t {
                    1 | 3 => FROM_PROVIDER,
                    2 | 4 => FROM_PEER,
                    _ => 0,
                };
                let origin = pk.node(|x| x != leaker && !topo.ases[x as usize].v4.is_empty())?;
                let os = [Seed::origin(topo, origin)];
                engine.run(ws, &os);
                let r = engine.route(ws, &os, leaker)?;
                if want != 0 && r.class != want {
                    return None;
                }
                if r.class == SEED {
                    return None;
                }
                let p = *pk.rng.pick(&topo.ases[origin as usize].v4);
                if !pk.prefix_free(&p) {
                    return None;
                }
                let mut blocked: Vec<u32> = Vec::new();
                let mut x = ws.next[leaker as usize];
                while x != crate::routing::NONE {
                    blocked.push(x);
                    x = ws.next[x as usize];
                }
                let (path, up, peers) = match t {
                    1 | 4 => (r.path.clone(), true, false),
                    2 | 3 => (r.path.clone(), false, true),
                    _ => (vec![la], true, true),
                };
                let leak = Seed {
                    node: leaker,
                    path,
                    to_providers: up,
                    to_peers: peers,
                    to_customers: true,
                    blocked: if t == 5 { Vec::new() } else { blocked },
                };
                seeds = vec![Seed::origin(topo, origin), leak];
                inc.victim_asn = Some(asn(origin));
                inc.changes.push(Change {
                    prefix: p,
                    before: Some(Source::Origin(origin)),
                    during: Some(Source::Set(set_index)),
                });
                inc.description = match t {
                    1 => format!(
                        "AS{la} leaks {p} learned from a provider to another provider (hairpin)"
                    ),
                    2 => format!("AS{la} leaks {p} learned from a peer to its other peers"),
                    3 => format!("AS{la} leaks {p} learned from a provider to its peers"),
                    4 => format!("AS{la} leaks {p} learned from a peer to its providers"),
                    _ => format!("AS{la} re-originates {p} of AS{}", asn(origin)),
                };
                pk.used_nodes.insert(origin);
            }
            inc.metrics = if t == 5 {
                vec![
                    "route-leak.re-origination",
                    "rov.invalid-as",
                    "manrs.filtering",
                ]
            } else {
                vec!["route-leak", "aspa.invalid", "manrs.filtering"]
            };
            // Internal more-specifics beyond the origin's ROA are RPKI-invalid routes too.
            if t == 6 {
                if let Some(label) = inc
                    .changes
                    .iter()
                    .find_map(|c| rov_invalid_label(rpki, &c.prefix, la))
                {
                    inc.metrics.insert(1, label);
                }
            }
        }
        IncidentKind::BogonPrefix => {
            let a = pk.node(has_providers)?;
            culprit = a;
            let k = plan.incidents.len() as u128 % 200;
            let choices: [Prefix; 5] = [
                Prefix::from_bits(Afi::Ipv4, (10u128 << 24) | (k << 16), 16).ok()?,
                Prefix::from_bits(Afi::Ipv4, (192u128 << 24) | (168 << 16) | (k << 8), 24).ok()?,
                Prefix::from_bits(Afi::Ipv4, (100u128 << 24) | (64 << 16) | (k << 8), 24).ok()?,
                Prefix::from_bits(Afi::Ipv4, (198u128 << 24) | (18 << 16) | (k << 8), 24).ok()?,
                Prefix::from_bits(Afi::Ipv6, (0xfd00u128 << 112) | (k << 80), 48).ok()?,
            ];
            let p = *pk.rng.pick(&choices);
            if !pk.prefix_free(&p) {
                return None;
            }
            seeds = vec![Seed::origin(topo, a)];
            inc.changes.push(Change {
                prefix: p,
                before: None,
                during: Some(Source::Set(set_index)),
            });
            inc.metrics = vec!["bogon.prefix", "manrs.filtering"];
            inc.description = format!("AS{} announces the bogon prefix {p}", asn(a));
        }
        IncidentKind::BogonAsn => {
            let a = pk.node(|x| {
                has_providers(x) && topo.ases[x as usize].v4.iter().any(|p| p.len() <= 23)
            })?;
            culprit = a;
            let own: Vec<Prefix> = topo.ases[a as usize]
                .v4
                .iter()
                .copied()
                .filter(|p| p.len() <= 23)
                .collect();
            let p = *pk.rng.pick(&own);
            let sp = Prefix::from_bits(Afi::Ipv4, p.bits() | ((1u128 << (32 - p.len())) - 256), 24)
                .ok()?;
            if !pk.prefix_free(&sp) || !pk.unannounced(&sp) {
                return None;
            }
            let k = plan.incidents.len() as u32;
            let bogon = if pk.rng.chance(0.5) {
                64_512 + k
            } else {
                4_200_000_000 + k
            };
            inc.bogon_asn = Some(bogon);
            seeds = vec![Seed {
                path: vec![asn(a), bogon],
                ..Seed::origin(topo, a)
            }];
            inc.changes.push(Change {
                prefix: sp,
                before: None,
                during: Some(Source::Set(set_index)),
            });
            inc.metrics = vec!["bogon.asn", "manrs.filtering"];
            inc.description = format!(
                "AS{} propagates {sp} originated by the private ASN {bogon}",
                asn(a)
            );
        }
        IncidentKind::Invalid => {
            // A prefix with a minimal ROA: announcing a more-specific breaks its maxLength.
            let cands: Vec<usize> = (0..rpki.roas.len())
                .filter(|&i| {
                    let r = &rpki.roas[i];
                    r.max_len == r.prefix.len()
                        && r.prefix.len() <= 23
                        && !r.stale
                        && r.prefix.afi() == Afi::Ipv4
                })
                .collect();
            if cands.is_empty() {
                return None;
            }
            let roa = rpki.roas[*pk.rng.pick(&cands)].clone();
            let o = topo.ases.iter().position(|x| x.asn == roa.asn)? as u32;
            if pk.used_nodes.contains(&o) || !has_providers(o) {
                return None;
            }
            let sp = half(&roa.prefix, pk.rng.chance(0.5));
            // A more-specific the origin already announces would change nothing.
            if !pk.prefix_free(&sp) || !pk.unannounced(&sp) {
                return None;
            }
            culprit = o;
            seeds = vec![Seed::origin(topo, o)];
            inc.changes.push(Change {
                prefix: sp,
                before: None,
                during: Some(Source::Set(set_index)),
            });
            inc.metrics = vec![
                "rov.invalid-length",
                "manrs.filtering",
                "manrs.rpki-roa-coverage",
            ];
            inc.description = format!(
                "AS{} announces {sp}, beyond the maxLength {} of its ROA {}",
                asn(o),
                roa.max_len,
                roa.prefix
            );
        }
        IncidentKind::Outage => {
            let o = pk.node(|x| {
                let a = &topo.ases[x as usize];
                a.tier == Tier::Stub && !a.v4.is_empty() && a.v4.len() + a.v6.len() <= 20
            })?;
            culprit = o;
            let a = &topo.ases[o as usize];
            for p in a.v4.iter().chain(&a.v6) {
                if !pk.prefix_free(p) {
                    return None;
                }
            }
            for p in a.v4.iter().chain(&a.v6) {
                inc.changes.push(Change {
                    prefix: *p,
                    before: Some(Source::Origin(o)),
                    during: None,
                });
            }
            seeds = vec![Seed::origin(topo, o)];
            inc.metrics = vec!["visibility.withdrawn"];
            inc.description = format!(
                "AS{} withdraws all {} of its prefixes",
                asn(o),
                inc.changes.len()
            );
        }
    }
    // Upstreams: who accepted the culprit's announcement.
    engine.run(ws, &seeds);
    let culprit_seed = seeds.iter().position(|s| s.node == culprit).unwrap_or(0) as u16;
    let seen = watchers.iter().any(|&(t, full)| {
        let c = ws.class[t as usize];
        c != 0
            && (full || c >= FROM_CUSTOMER)
            && (kind == IncidentKind::Outage || ws.seed[t as usize] == culprit_seed)
            && (!matches!(kind, IncidentKind::Leak(1..=4)) || crosses_leak_hop(ws, t, culprit))
    });
    if !seen {
        return None;
    }
    let ups = upstreams(engine, ws, culprit);
    if kind != IncidentKind::Outage && ups.is_empty() {
        return None;
    }
    inc.culprit_asn = asn(culprit);
    inc.upstream_asns = if kind == IncidentKind::Outage {
        topo.ases[culprit as usize]
            .providers
            .iter()
            .map(|&p| asn(p))
            .collect()
    } else {
        ups
    };
    inc.culprit_upstream_asn = inc.upstream_asns.first().copied();
    inc.announced_path = match kind {
        IncidentKind::Outage => Vec::new(),
        _ => seeds
            .iter()
            .find(|s| s.node == culprit)
            .map(|s| s.path.clone())
            .unwrap_or_default(),
    };
    inc.prefixes = inc.changes.iter().map(|c| c.prefix).collect();
    inc.prefixes.sort_unstable();
    pk.used_nodes.insert(culprit);
    if kind != IncidentKind::Outage {
        let k = seeds.iter().position(|s| s.node == culprit).unwrap_or(0);
        plan.culprit_seed.push(k as u16);
        plan.seed_sets.push(seeds);
    }
    Some(inc)
}
