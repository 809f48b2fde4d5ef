//! The MANRS metrics per ASN for one period, their scores and labels, and the roll-ups per
//! country, RIR region and globally. `docs/metrics.md` is the operator's description of every
//! figure; this module is its implementation, and the constants below are the numbers that
//! document quotes.
//!
//! | action (score)      | metrics | metric value                         | metric score              |
//! |---------------------|---------|--------------------------------------|---------------------------|
//! | 1 `filtering`       | M1, M1C, M2, M2C, M3, M3C, M4, M4C | summed incident weight | 100 − 10 × weight, ≥ 0 |
//! | 2 `anti_spoofing`   | M5      | share of Spoofer sessions blocked    | 100 × share               |
//! | 3 `coordination`    | M6      | 1 when contact information is found  | 100 or 0                  |
//! | 4 `validation`      | M7IRR, M7RPKI | registered share; valid − 10 × invalid share | 100 × value, ≥ 0 |
//!
//! An action's score is the mean of its metrics' scores that have data; an action none of
//! whose metrics has data is "no data" (never zero). Labels: Ready from [`READY_FROM`],
//! Aspiring from [`ASPIRING_FROM`], Lagging below.
//!
//! Incident metrics: Mn counts the incidents whose culprit is the AS, MnC those in which the
//! AS is an accomplice (the direct upstream that accepted and passed on its customer's
//! announcement). Down-ranked possible hijacks are listed in the evidence but carry no
//! weight. M7 counts the AS's routes — distinct (prefix, origin) pairs it originates in the
//! snapshot.
//!
//! Scored ASNs: those whose originated routes were seen by at least
//! [`DEFAULT_MIN_PEERS`] distinct peer ASNs (configurable). Other ASNs that appear (transit
//! only, or too little visible) still get a card, marked `scored: false`, and are left out
//! of the roll-ups.

use crate::bogons::Delegations;
use crate::classify::{OriginVisibility, RibClassification};
use crate::contacts::{ContactEvidence, Contacts};
use crate::incidents::{Incident, IncidentReport, Metric};
use crate::spoofer::SpooferResults;
use routenorms_rpki::RovState;
use routenorms_topology::CustomerCones;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// ASNs whose routes fewer distinct peer ASNs saw are not scored.
pub const DEFAULT_MIN_PEERS: u32 = 5;
/// A score from this value up is labelled Ready.
pub const READY_FROM: f64 = 90.0;
/// A score from this value up (and below [`READY_FROM`]) is labelled Aspiring.
pub const ASPIRING_FROM: f64 = 50.0;
/// Points an incident metric loses per unit of incident weight.
pub const POINTS_PER_WEIGHT: f64 = 10.0;
/// M7RPKI = valid share − this × invalid share.
pub const INVALID_FACTOR: f64 = 10.0;
/// How many incidents or routes a metric's evidence lists.
pub const EVIDENCE_ITEMS: usize = 10;

/// The four MANRS actions, in report order.
pub const ACTIONS: [(&str, &str, &[&str]); 4] = [
    (
        "filtering",
        "Action 1: Filtering",
        &["M1", "M1C", "M2", "M2C", "M3", "M3C", "M4", "M4C"],
    ),
    ("anti_spoofing", "Action 2: Anti-spoofing", &["M5"]),
    ("coordination", "Action 3: Coordination", &["M6"]),
    (
        "validation",
        "Action 4: Global validation",
        &["M7IRR", "M7RPKI"],
    ),
];

/// Settings of a metrics computation.
#[derive(Clone, Debug)]
pub struct MetricsConfig {
    /// The period the data stands for (e.g. `2026-11`).
    pub period: String,
    /// Visibility threshold in distinct peer ASNs.
    pub min_peers: u32,
}

/// A score's label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Ready,
    Aspiring,
    Lagging,
    NoData,
}

impl Label {
    pub fn of(score: Option<f64>) -> Label {
        match score {
            None => Label::NoData,
            Some(s) if s >= READY_FROM => Label::Ready,
            Some(s) if s >= ASPIRING_FROM => Label::Aspiring,
            Some(_) => Label::Lagging,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Label::Ready => "ready",
            Label::Aspiring => "aspiring",
            Label::Lagging => "lagging",
            Label::NoData => "no data",
        }
    }
}

/// One metric of one ASN.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricCard {
    /// The measured value (`null`: no data).
    pub value: Option<f64>,
    /// 0–100 (`null`: no data).
    pub score: Option<f64>,
    /// Why there is no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data: Option<String>,
    /// What the value rests on.
    pub evidence: Value,
}

impl MetricCard {
    fn no_data(why: impl Into<String>) -> MetricCard {
        MetricCard {
            value: None,
            score: None,
            no_data: Some(why.into()),
            evidence: Value::Null,
        }
    }
}

/// One action of one ASN.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActionCard {
    pub title: &'static str,
    pub score: Option<f64>,
    pub label: Label,
    pub metrics: &'static [&'static str],
}

/// The report card of one ASN for one period.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AsnCard {
    pub asn: u32,
    pub name: Option<String>,
    pub country: Option<String>,
    /// The RIR whose region the ASN belongs to.
    pub region: Option<String>,
    pub period: String,
    /// Seen by enough peers to be scored (and counted in roll-ups).
    pub scored: bool,
    /// Distinct peers (ASN, session) and peer ASNs that saw its routes.
    pub peers: u32,
    pub peer_asns: u32,
    /// Routes it originates.
    pub routes: u32,
    /// Size of its customer cone (ASes, itself included), when cones were given.
    pub customer_cone: Option<u32>,
    /// Every action with data is Ready (and at least one has data).
    pub ready: bool,
    pub actions: BTreeMap<&'static str, ActionCard>,
    pub metrics: BTreeMap<&'static str, MetricCard>,
}

/// Everything the metrics are computed from. Absent optional inputs make their metrics
/// "no data".
#[derive(Clone, Copy, Debug)]
pub struct MetricInputs<'a> {
    pub facts: &'a AsnFacts,
    pub incidents: &'a IncidentReport,
    pub contacts: Option<&'a Contacts>,
    pub spoofer: Option<&'a SpooferResults>,
    pub delegations: Option<&'a Delegations>,
    pub cones: Option<&'a CustomerCones>,
}

/// The index of a MANRS filtering metric (M1..M4 → 0..3); other metrics are not scored.
fn filtering_index(m: Metric) -> Option<usize> {
    if m == Metric::RouteLeak {
        Some(0)
    } else if m == Metric::Hijack {
        Some(1)
    } else if m == Metric::BogonPrefix {
        Some(2)
    } else if m == Metric::BogonAsn {
        Some(3)
    } else {
        None
    }
}

const FILTERING_NAMES: [(&str, &str); 4] =
    [("M1", "M1C"), ("M2", "M2C"), ("M3", "M3C"), ("M4", "M4C")];

/// Per ASN: the incidents it is culprit of and accomplice in, per filtering metric.
#[derive(Default)]
struct IncidentTally {
    culprit: [Vec<usize>; 4],
    accomplice: [Vec<usize>; 4],
}

/// One origin AS's routes: RPKI and IRR tallies and the first [`EVIDENCE_ITEMS`] examples
/// of invalid and of unregistered routes (in route order: by prefix).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteTally {
    pub valid: u64,
    pub invalid: u64,
    pub not_found: u64,
    /// Routes with an IRR status, and those of them the IRR supports.
    pub irr_known: u64,
    pub irr_registered: u64,
    /// `{"prefix", "reason", "peers"}` each.
    pub invalid_routes: Vec<Value>,
    /// `{"prefix", "irr", "peers"}` each.
    pub unregistered_routes: Vec<Value>,
}

/// An RPKI-invalid route as M7RPKI's evidence lists it.
pub fn invalid_example(prefix: &str, reason: impl serde::Serialize, peers: u32) -> Value {
    json!({"prefix": prefix, "reason": reason, "peers": peers})
}

/// A route the IRR does not support, as M7IRR's evidence lists it.
pub fn unregistered_example(prefix: &str, irr: impl serde::Serialize, peers: u32) -> Value {
    json!({"prefix": prefix, "irr": irr, "peers": peers})
}

/// What the cards need from the routes: per origin AS, how widely its routes were seen and
/// their tallies. [`AsnFacts::of`] computes them from one classification; a sharded
/// observation has the store's database compute them over every shard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AsnFacts {
    pub visibility: BTreeMap<u32, OriginVisibility>,
    pub routes: BTreeMap<u32, RouteTally>,
    /// VRPs and IRR data were given (else M7RPKI and M7IRR are "no data").
    pub vrps_given: bool,
    pub irr_given: bool,
}

impl AsnFacts {
    pub fn of(c: &RibClassification) -> AsnFacts {
        let mut routes: BTreeMap<u32, RouteTally> = BTreeMap::new();
        for r in &c.routes {
            let Some(origin) = r.origin else { continue };
            let t = routes.entry(origin.0).or_default();
            match r.rpki {
                Some(RovState::Valid) => t.valid += 1,
                Some(RovState::Invalid) => {
                    t.invalid += 1;
                    if t.invalid_routes.len() < EVIDENCE_ITEMS {
                        t.invalid_routes.push(invalid_example(
                            &r.prefix.to_string(),
                            r.rpki_reason,
                            r.peers,
                        ));
                    }
                }
                Some(RovState::NotFound) => t.not_found += 1,
                None => {}
            }
            if let Some(st) = r.irr {
                t.irr_known += 1;
                if st.registered {
                    t.irr_registered += 1;
                } else if t.unregistered_routes.len() < EVIDENCE_ITEMS {
                    t.unregistered_routes.push(unregistered_example(
                        &r.prefix.to_string(),
                        st.status,
                        r.peers,
                    ));
                }
            }
        }
        AsnFacts {
            visibility: c.origins.iter().map(|o| (o.asn, *o)).collect(),
            routes,
            vrps_given: c.summary.rpki.is_some(),
            irr_given: c.summary.irr.is_some(),
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The incident as a metric's evidence shows it (`id` is its 1-based position in the
/// report's incident list, the id the store and the API use).
pub fn incident_evidence(id: usize, i: &Incident) -> Value {
    let first = &i.events[0];
    json!({
        "id": id,
        "kind": first.kind,
        "metric": i.metric,
        "prefix": first.prefix.to_string(),
        "prefixes": i.events.len(),
        "culprit": i.culprit,
        "accomplices": i.accomplices,
        "start": i.start,
        "end": i.end,
        "ongoing": i.ongoing,
        "weight": i.weight,
        "downranked": i.downranked,
        "peers": i.peers,
        "evidence": first.evidence,
    })
}

fn incident_metric(ids: &[usize], incidents: &[Incident], role: &str) -> MetricCard {
    let mut weight = 0.0;
    let mut counted = 0u64;
    let mut downranked = 0u64;
    for &i in ids {
        if incidents[i].downranked {
            downranked += 1;
        } else {
            weight += incidents[i].weight;
            counted += 1;
        }
    }
    let mut top: Vec<usize> = ids.to_vec();
    top.sort_by(|&a, &b| {
        incidents[b]
            .weight
            .total_cmp(&incidents[a].weight)
            .then(a.cmp(&b))
    });
    top.truncate(EVIDENCE_ITEMS);
    MetricCard {
        value: Some(weight),
        score: Some((100.0 - POINTS_PER_WEIGHT * weight).max(0.0)),
        no_data: None,
        evidence: json!({
            "role": role,
            "incidents": counted,
            "downranked": downranked,
            "weight": weight,
            "top": top.iter().map(|&i| incident_evidence(i + 1, &incidents[i])).collect::<Vec<_>>(),
        }),
    }
}

fn mean(xs: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (mut n, mut s) = (0u32, 0.0);
    for x in xs {
        n += 1;
        s += x;
    }
    (n > 0).then(|| s / n as f64)
}

/// The report cards of every ASN that originates a route or takes part in an incident,
/// sorted by ASN.
pub fn asn_cards(inp: &MetricInputs<'_>, cfg: &MetricsConfig) -> Vec<AsnCard> {
    let facts = inp.facts;
    let incidents = &inp.incidents.incidents;
    let vrps_given = facts.vrps_given;
    let irr_given = facts.irr_given;

    let mut tallies: BTreeMap<u32, IncidentTally> = BTreeMap::new();
    for (i, inc) in incidents.iter().enumerate() {
        let Some(m) = filtering_index(inc.metric) else {
            continue;
        };
        tallies.entry(inc.culprit).or_default().culprit[m].push(i);
        for &a in &inc.accomplices {
            if a != inc.culprit {
                tallies.entry(a).or_default().accomplice[m].push(i);
            }
        }
    }
    let routes = &facts.routes;
    let visibility = &facts.visibility;
    let mut asns: Vec<u32> = visibility.keys().copied().collect();
    asns.extend(tallies.keys().copied());
    asns.sort_unstable();
    asns.dedup();

    let empty_tally = IncidentTally::default();
    let empty_routes = RouteTally::default();
    let card = |&asn: &u32| {
        let vis = visibility.get(&asn).copied().unwrap_or_default();
        let tally = tallies.get(&asn).unwrap_or(&empty_tally);
        let rt = routes.get(&asn).unwrap_or(&empty_routes);
        let mut metrics: BTreeMap<&'static str, MetricCard> = BTreeMap::new();
        for (m, (own, cust)) in FILTERING_NAMES.iter().enumerate() {
            metrics.insert(
                own,
                incident_metric(&tally.culprit[m], incidents, "culprit"),
            );
            metrics.insert(
                cust,
                incident_metric(&tally.accomplice[m], incidents, "accomplice"),
            );
        }
        // M5: anti-spoofing.
        metrics.insert(
            "M5",
            match inp.spoofer {
                None => MetricCard::no_data("no Spoofer results given"),
                Some(s) => match s
                    .by_asn
                    .get(&asn)
                    .and_then(|c| c.blocked_share().map(|b| (c, b)))
                {
                    None => MetricCard::no_data("no Spoofer session from this AS tested spoofing"),
                    Some((counts, share)) => MetricCard {
                        value: Some(round(share)),
                        score: Some(round(100.0 * share)),
                        no_data: None,
                        evidence: json!({ "sessions": counts }),
                    },
                },
            },
        );
        // M6: coordination.
        metrics.insert(
            "M6",
            match inp.contacts.filter(|c| !c.is_empty()) {
                None => MetricCard::no_data("no PeeringDB or IRR data given"),
                Some(c) => {
                    let ev: Vec<ContactEvidence> = c.evidence(asn);
                    let found = !ev.is_empty();
                    MetricCard {
                        value: Some(if found { 1.0 } else { 0.0 }),
                        score: Some(if found { 100.0 } else { 0.0 }),
                        no_data: None,
                        evidence: json!({ "sources_searched": c.sources, "found": ev }),
                    }
                }
            },
        );
        // M7: IRR and RPKI.
        let announced = vis.routes as u64;
        metrics.insert(
            "M7IRR",
            if !irr_given {
                MetricCard::no_data("no IRR data given")
            } else if rt.irr_known == 0 {
                MetricCard::no_data("announces no routes")
            } else {
                let share = rt.irr_registered as f64 / rt.irr_known as f64;
                MetricCard {
                    value: Some(round(share)),
                    score: Some(round(100.0 * share)),
                    no_data: None,
                    evidence: json!({
                        "routes": rt.irr_known,
                        "registered": rt.irr_registered,
                        "not_registered_examples": rt.unregistered_routes,
                    }),
                }
            },
        );
        let rpki_total = rt.valid + rt.invalid + rt.not_found;
        metrics.insert(
            "M7RPKI",
            if !vrps_given {
                MetricCard::no_data("no VRPs given")
            } else if rpki_total == 0 {
                MetricCard::no_data("announces no routes")
            } else {
                let n = rpki_total as f64;
                let (v, i, nf) = (
                    rt.valid as f64 / n,
                    rt.invalid as f64 / n,
                    rt.not_found as f64 / n,
                );
                let value = v - INVALID_FACTOR * i;
                MetricCard {
                    value: Some(round(value)),
                    score: Some(round((100.0 * value).max(0.0))),
                    no_data: None,
                    evidence: json!({
                        "routes": rpki_total,
                        "valid": rt.valid,
                        "invalid": rt.invalid,
                        "not_found": rt.not_found,
                        "valid_share": round(v),
                        "invalid_share": round(i),
                        "not_found_share": round(nf),
                        "invalid_examples": rt.invalid_routes,
                    }),
                }
            },
        );
        let (actions, ready) = score_actions(&metrics);
        let d = inp.delegations;
        let country = d
            .and_then(|d| d.asn_country(asn))
            .or_else(|| inp.contacts.and_then(|c| c.country(asn)))
            .map(str::to_string);
        AsnCard {
            asn,
            name: inp
                .contacts
                .and_then(|c| c.network(asn))
                .map(|n| n.name.clone())
                .filter(|n| !n.is_empty()),
            country,
            region: d.and_then(|d| d.asn_rir(asn)).map(|r| r.name().to_string()),
            period: cfg.period.clone(),
            scored: vis.peer_asns >= cfg.min_peers && announced > 0,
            peers: vis.peers,
            peer_asns: vis.peer_asns,
            routes: vis.routes,
            customer_cone: inp.cones.map(|c| c.size(asn).max(1) as u32),
            ready,
            actions,
            metrics,
        }
    };
    // Each card stands alone: half of them on a second thread when there are many.
    if asns.len() < PARALLEL_CARDS {
        return asns.iter().map(card).collect();
    }
    let (first, second) = asns.split_at(asns.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| second.iter().map(card).collect::<Vec<_>>());
        let mut cards: Vec<AsnCard> = first.iter().map(card).collect();
        cards.extend(other.join().expect("a card thread panicked"));
        cards
    })
}

/// Fewer ASNs than this are scored on one thread.
const PARALLEL_CARDS: usize = 2048;

/// Each action's score (the mean of its metrics' scores with data) and label, and whether
/// the AS is MANRS-ready (every action with data Ready, and at least one with data).
fn score_actions(
    metrics: &BTreeMap<&'static str, MetricCard>,
) -> (BTreeMap<&'static str, ActionCard>, bool) {
    let mut actions = BTreeMap::new();
    for (key, title, names) in ACTIONS {
        let score = mean(names.iter().filter_map(|n| metrics[n].score)).map(round);
        actions.insert(
            key,
            ActionCard {
                title,
                score,
                label: Label::of(score),
                metrics: names,
            },
        );
    }
    let with_data: Vec<&ActionCard> = actions.values().filter(|a| a.score.is_some()).collect();
    let ready = !with_data.is_empty() && with_data.iter().all(|a| a.label == Label::Ready);
    (actions, ready)
}

/// The parts of a card that rest on per-network reference data (PeeringDB, IRR aut-nums,
/// RIR statistics, Spoofer results, customer cones) rather than on routes. Each shard of a
/// sharded observation stores them for its ASNs, so joining the shards needs none of
/// those inputs again.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AsnContext {
    pub name: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub customer_cone: Option<u32>,
    pub m5: MetricCard,
    pub m6: MetricCard,
}

impl AsnContext {
    pub fn of(card: &AsnCard) -> AsnContext {
        AsnContext {
            name: card.name.clone(),
            country: card.country.clone(),
            region: card.region.clone(),
            customer_cone: card.customer_cone,
            m5: card.metrics["M5"].clone(),
            m6: card.metrics["M6"].clone(),
        }
    }

    /// Puts the context into a card scored without it, and scores its actions again.
    pub fn apply(&self, card: &mut AsnCard) {
        card.name.clone_from(&self.name);
        card.country.clone_from(&self.country);
        card.region.clone_from(&self.region);
        card.customer_cone = self.customer_cone;
        card.metrics.insert("M5", self.m5.clone());
        card.metrics.insert("M6", self.m6.clone());
        (card.actions, card.ready) = score_actions(&card.metrics);
    }
}

/// One action over a group of ASNs.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ActionRollup {
    /// Mean score over the group's scored ASNs with data.
    pub unweighted: Option<f64>,
    /// The same mean weighted by each ASN's number of routes.
    pub weighted: Option<f64>,
    pub ready: u32,
    pub aspiring: u32,
    pub lagging: u32,
    pub no_data: u32,
}

/// A group of ASNs: a country, an RIR region or everyone.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rollup {
    /// `country`, `region` or `global`.
    pub scope: &'static str,
    /// The country code or RIR name (empty for global).
    pub key: String,
    pub period: String,
    /// ASNs with a card in the group, and those scored.
    pub asns: u32,
    pub asns_scored: u32,
    /// Routes originated by the scored ASNs.
    pub routes: u64,
    pub actions: BTreeMap<&'static str, ActionRollup>,
    /// Scored ASNs Ready in every action with data, and their share.
    pub ready: u32,
    pub ready_share: Option<f64>,
}

fn rollup(scope: &'static str, key: String, period: &str, cards: &[&AsnCard]) -> Rollup {
    let scored: Vec<&&AsnCard> = cards.iter().filter(|c| c.scored).collect();
    let mut actions = BTreeMap::new();
    for (name, _, _) in ACTIONS {
        let mut r = ActionRollup::default();
        let (mut sum, mut n, mut wsum, mut w) = (0.0, 0u32, 0.0, 0u64);
        for c in &scored {
            let a = &c.actions[name];
            match a.label {
                Label::Ready => r.ready += 1,
                Label::Aspiring => r.aspiring += 1,
                Label::Lagging => r.lagging += 1,
                Label::NoData => r.no_data += 1,
            }
            if let Some(s) = a.score {
                sum += s;
                n += 1;
                wsum += s * c.routes as f64;
                w += c.routes as u64;
            }
        }
        r.unweighted = (n > 0).then(|| round(sum / n as f64));
        r.weighted = (w > 0).then(|| round(wsum / w as f64));
        actions.insert(name, r);
    }
    let ready = scored.iter().filter(|c| c.ready).count() as u32;
    Rollup {
        scope,
        key,
        period: period.to_string(),
        asns: cards.len() as u32,
        asns_scored: scored.len() as u32,
        routes: scored.iter().map(|c| c.routes as u64).sum(),
        actions,
        ready,
        ready_share: (!scored.is_empty()).then(|| round(ready as f64 / scored.len() as f64)),
    }
}

/// The roll-ups: global, then per country and per region (each sorted by key). ASNs
/// without a known country or region are only in the global one.
pub fn rollups(cards: &[AsnCard], period: &str) -> (Rollup, Vec<Rollup>, Vec<Rollup>) {
    let all: Vec<&AsnCard> = cards.iter().collect();
    let mut by_country: BTreeMap<&str, Vec<&AsnCard>> = BTreeMap::new();
    let mut by_region: BTreeMap<&str, Vec<&AsnCard>> = BTreeMap::new();
    for c in cards {
        if let Some(cc) = &c.country {
            by_country.entry(cc).or_default().push(c);
        }
        if let Some(r) = &c.region {
            by_region.entry(r).or_default().push(c);
        }
    }
    (
        rollup("global", String::new(), period, &all),
        by_country
            .into_iter()
            .map(|(k, v)| rollup("country", k.to_string(), period, &v))
            .collect(),
        by_region
            .into_iter()
            .map(|(k, v)| rollup("region", k.to_string(), period, &v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{OriginVisibility, RouteClass, RpkiCounts, Summary};
    use crate::incidents::{Event, EventKind, Evidence, PeerRef};
    use crate::irr::IrrState;
    use routenorms_types::Asn;

    fn route(prefix: &str, origin: u32, rpki: RovState, registered: bool) -> RouteClass {
        RouteClass {
            prefix: prefix.parse().unwrap(),
            origin: Some(Asn(origin)),
            peers: 6,
            peer_asns: 6,
            rpki: Some(rpki),
            rpki_reason: None,
            irr: Some(IrrState {
                status: if registered {
                    "match"
                } else {
                    "not-registered"
                },
                registered,
            }),
            bogon_prefix: false,
            bogon_asn: false,
            aspa: None,
            leakers: Vec::new(),
            paths: Vec::new(),
            peer_ids: Vec::new(),
        }
    }

    fn incident(
        metric: Metric,
        kind: EventKind,
        culprit: u32,
        accomplice: u32,
        secs: u32,
    ) -> Incident {
        let event = Event {
            kind,
            metric,
            prefix: "192.0.2.0/24".parse().unwrap(),
            culprit,
            accomplices: vec![accomplice],
            start: 1000,
            end: 1000 + secs,
            ongoing: false,
            from_start: false,
            peers: vec![PeerRef {
                asn: 9,
                addr: "192.0.2.9".parse().unwrap(),
            }],
            evidence: Evidence {
                path: format!("9 {accomplice} {culprit}"),
                ..Evidence::default()
            },
            downranked: Vec::new(),
        };
        Incident {
            metric,
            culprit,
            start: event.start,
            end: event.end,
            ongoing: false,
            weight: crate::incidents::weight(secs),
            downranked: false,
            accomplices: vec![accomplice],
            peers: 1,
            events: vec![event],
        }
    }

    /// AS 100: 4 routes (3 valid, 1 invalid; 2 registered), culprit of a 2-hour hijack.
    /// AS 200: 1 valid registered route, accomplice of that hijack, seen by 3 peer ASNs only.
    /// AS 300: transit only, culprit of a 10-minute route leak.
    fn classification() -> RibClassification {
        RibClassification {
            summary: Summary {
                rpki: Some(RpkiCounts::default()),
                irr: Some(BTreeMap::new()),
                ..Summary::default()
            },
            routes: vec![
                route("10.0.0.0/24", 100, RovState::Valid, true),
                route("10.0.1.0/24", 100, RovState::Valid, true),
                route("10.0.2.0/24", 100, RovState::Valid, false),
                route("10.0.3.0/24", 100, RovState::Invalid, false),
                route("10.1.0.0/24", 200, RovState::Valid, true),
            ],
            origins: vec![
                OriginVisibility {
                    asn: 100,
                    peers: 8,
                    peer_asns: 6,
                    routes: 4,
                },
                OriginVisibility {
                    asn: 200,
                    peers: 3,
                    peer_asns: 3,
                    routes: 1,
                },
            ],
            ..RibClassification::default()
        }
    }

    fn cards() -> Vec<AsnCard> {
        let c = classification();
        let incidents = IncidentReport {
            incidents: vec![
                incident(Metric::Hijack, EventKind::Moas, 100, 200, 7200),
                incident(Metric::RouteLeak, EventKind::RouteLeak, 300, 100, 600),
            ],
            ..IncidentReport::default()
        };
        asn_cards(&inputs(&AsnFacts::of(&c), &incidents), &config())
    }

    /// Routing facts and incidents only: no contacts, Spoofer, delegations or cones.
    fn inputs<'a>(facts: &'a AsnFacts, incidents: &'a IncidentReport) -> MetricInputs<'a> {
        MetricInputs {
            facts,
            incidents,
            contacts: None,
            spoofer: None,
            delegations: None,
            cones: None,
        }
    }

    fn config() -> MetricsConfig {
        MetricsConfig {
            period: "2026-11".into(),
            min_peers: DEFAULT_MIN_PEERS,
        }
    }

    #[test]
    fn many_asns_get_the_cards_in_order_that_one_thread_would_give() {
        let c = classification();
        let mut facts = AsnFacts::of(&c);
        for asn in 1000..1000 + PARALLEL_CARDS as u32 + 1 {
            facts.visibility.insert(
                asn,
                OriginVisibility {
                    asn,
                    peers: asn % 9,
                    peer_asns: asn % 7,
                    routes: 1 + asn % 3,
                },
            );
        }
        let incidents = IncidentReport {
            incidents: vec![incident(Metric::Hijack, EventKind::Moas, 1500, 2500, 7200)],
            ..IncidentReport::default()
        };
        let cfg = config();
        let cards = asn_cards(&inputs(&facts, &incidents), &cfg);
        // The incident's culprit is among the visible ASNs: one card per visible ASN.
        assert_eq!(cards.len(), facts.visibility.len());
        assert!(cards.windows(2).all(|w| w[0].asn < w[1].asn));
        // Every card equals the one computed alone (a set of just that ASN's facts).
        for card in cards
            .iter()
            .filter(|c| [100, 1001, 1500, 2900].contains(&c.asn))
        {
            let mut alone = AsnFacts {
                visibility: BTreeMap::new(),
                routes: BTreeMap::new(),
                ..facts.clone()
            };
            if let Some(v) = facts.visibility.get(&card.asn) {
                alone.visibility.insert(card.asn, *v);
            }
            if let Some(r) = facts.routes.get(&card.asn) {
                alone.routes.insert(card.asn, r.clone());
            }
            let one = asn_cards(&inputs(&alone, &incidents), &cfg);
            assert_eq!(one.iter().find(|c| c.asn == card.asn), Some(card));
        }
    }

    #[test]
    fn labels_follow_the_documented_thresholds() {
        assert_eq!(Label::of(Some(90.0)), Label::Ready);
        assert_eq!(Label::of(Some(89.99)), Label::Aspiring);
        assert_eq!(Label::of(Some(50.0)), Label::Aspiring);
        assert_eq!(Label::of(Some(49.9)), Label::Lagging);
        assert_eq!(Label::of(Some(0.0)), Label::Lagging);
        assert_eq!(Label::of(None), Label::NoData);
    }

    #[test]
    fn culprits_and_accomplices_count_on_their_own_metrics_with_the_incident_weight() {
        let cards = cards();
        let asns: Vec<u32> = cards.iter().map(|c| c.asn).collect();
        assert_eq!(
            asns,
            [100, 200, 300],
            "origins and incident parties get cards"
        );
        let (a100, a200, a300) = (&cards[0], &cards[1], &cards[2]);
        // A 2-hour hijack weighs 1: M2 = 1, score 90; its upstream carries it on M2C.
        assert_eq!(a100.metrics["M2"].value, Some(1.0));
        assert_eq!(a100.metrics["M2"].score, Some(90.0));
        assert_eq!(a200.metrics["M2C"].value, Some(1.0));
        assert_eq!(a200.metrics["M2"].value, Some(0.0));
        // A 10-minute leak weighs 0.5, on M1 of the leaker and M1C of AS 100.
        assert_eq!(a300.metrics["M1"].value, Some(0.5));
        assert_eq!(a100.metrics["M1C"].value, Some(0.5));
        assert_eq!(a100.metrics["M1C"].score, Some(95.0));
        // Filtering = mean of the eight metric scores.
        let expected = (100.0 * 6.0 + 90.0 + 95.0) / 8.0;
        assert_eq!(a100.actions["filtering"].score, Some(round(expected)));
    }

    #[test]
    fn validation_metrics_follow_the_formulas_and_absent_inputs_are_no_data() {
        let a100 = &cards()[0];
        // M7IRR: 2 of 4 routes registered.
        assert_eq!(a100.metrics["M7IRR"].value, Some(0.5));
        assert_eq!(a100.metrics["M7IRR"].score, Some(50.0));
        // M7RPKI: valid 3/4 - 10 × invalid 1/4 = -1.75, score floored at 0.
        assert_eq!(a100.metrics["M7RPKI"].value, Some(-1.75));
        assert_eq!(a100.metrics["M7RPKI"].score, Some(0.0));
        assert_eq!(a100.actions["validation"].score, Some(25.0));
        assert_eq!(a100.actions["validation"].label, Label::Lagging);
        // No Spoofer file, no contacts: no data, not zero, and the actions say so.
        for m in ["M5", "M6"] {
            assert_eq!(a100.metrics[m].value, None);
            assert!(a100.metrics[m].no_data.is_some());
        }
        assert_eq!(a100.actions["anti_spoofing"].label, Label::NoData);
        assert_eq!(a100.actions["coordination"].score, None);
        // The transit-only AS has no routes: its validation is no data.
        assert_eq!(cards()[2].actions["validation"].label, Label::NoData);
    }

    #[test]
    fn only_origins_seen_by_enough_peer_asns_are_scored_and_rolled_up() {
        let cards = cards();
        assert!(cards[0].scored);
        assert!(!cards[1].scored, "3 peer ASNs < 5");
        assert!(!cards[2].scored, "no routes");
        let (global, countries, regions) = rollups(&cards, "2026-11");
        assert!(countries.is_empty() && regions.is_empty());
        assert_eq!(global.asns, 3);
        assert_eq!(global.asns_scored, 1);
        assert_eq!(global.routes, 4);
        assert_eq!(global.actions["validation"].unweighted, Some(25.0));
        assert_eq!(global.actions["anti_spoofing"].no_data, 1);
        assert_eq!(global.actions["anti_spoofing"].unweighted, None);
    }

    #[test]
    fn weighted_roll_ups_weigh_each_asn_by_its_routes() {
        let mut cards = cards();
        cards.truncate(2);
        cards[1].scored = true;
        cards[0].routes = 3;
        cards[1].routes = 1;
        cards[0].actions.get_mut("validation").unwrap().score = Some(20.0);
        cards[1].actions.get_mut("validation").unwrap().score = Some(100.0);
        let (global, _, _) = rollups(&cards, "2026-11");
        let v = &global.actions["validation"];
        assert_eq!(v.unweighted, Some(60.0));
        assert_eq!(v.weighted, Some(40.0));
    }
}
