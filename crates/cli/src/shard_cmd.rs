//! Sharded observation: `routenorms observe --shard NAME` stores one slice's part of a
//! period in ClickHouse ([`shard_data`]); `routenorms merge` has ClickHouse unite every
//! shard's routes and compute the route figures per ASN and globally, then scores the ASNs
//! from those figures with the same code as an unsharded run and stores the period.

use crate::observe_cmd::{name_of, period_data};
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use routenorms_observe::classify::{AspaCounts, RpkiCounts, Summary};
use routenorms_observe::incidents::{coalesce, report_from_events, BaselineInfo, Event, PeerRef};
use routenorms_observe::metrics::{
    invalid_example, unregistered_example, AsnContext, AsnFacts, MetricsConfig, RouteTally,
    DEFAULT_MIN_PEERS, EVIDENCE_ITEMS,
};
use routenorms_observe::observation::{assemble, Assembly, InputInfo, Observation};
use routenorms_rpki::AspaState;
use routenorms_store::{ShardData, ShardMerge, ShardRoute, Store};
use routenorms_types::Prefix;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;

/// FNV-1a, 64 bits: a stable hash of a peer or a path, the same in every shard and build.
fn fnv64(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A text that sorts like the prefix: family, then address, then length.
pub fn prefix_key(p: &Prefix) -> String {
    match p.addr() {
        std::net::IpAddr::V4(_) => format!("4:{:08x}:{:03}", p.bits() as u32, p.len()),
        std::net::IpAddr::V6(_) => format!("6:{:032x}:{:03}", p.bits(), p.len()),
    }
}

fn peer_hash(p: PeerRef) -> u64 {
    fnv64(&format!("{}|{}", p.asn, p.addr))
}

/// What a shard stores of its observation.
pub fn shard_data(obs: &Observation, shard: &str, created_at: String) -> Result<ShardData> {
    let c = &obs.classification;
    let peer_hashes: Vec<u64> = c
        .peer_keys
        .iter()
        .map(|k| peer_hash(PeerRef::from(*k)))
        .collect();
    let path_codes: Vec<u64> = c
        .paths
        .iter()
        .map(|p| {
            let state = match p.findings.aspa.map(|v| v.state) {
                None => 0,
                Some(AspaState::Valid) => 1,
                Some(AspaState::Invalid) => 2,
                Some(AspaState::Unknown) => 3,
            };
            let otc = p.only_to_customer.map_or(String::new(), |o| o.to_string());
            (fnv64(&format!("{:?}|{otc}|{}", p.afi, p.path)) << 2) | state
        })
        .collect();
    let routes = c
        .routes
        .iter()
        .map(|r| {
            let mut peer_asns: Vec<u32> = r
                .peer_ids
                .iter()
                .map(|&i| c.peer_keys[i as usize].asn)
                .collect();
            peer_asns.sort_unstable();
            peer_asns.dedup();
            ShardRoute {
                prefix: r.prefix.to_string(),
                prefix_key: prefix_key(&r.prefix),
                origin: r.origin.map(|a| a.0),
                peers: r
                    .peer_ids
                    .iter()
                    .map(|&i| peer_hashes[i as usize])
                    .collect(),
                peer_asns,
                paths: r.paths.iter().map(|&i| path_codes[i as usize]).collect(),
                rpki: r.rpki.map(|s| name_of(&s)),
                rpki_reason: r.rpki_reason.map(|s| name_of(&s)),
                irr: r.irr.map(|s| s.status.to_string()),
                irr_registered: r.irr.is_some_and(|s| s.registered),
                bogon_prefix: r.bogon_prefix,
                bogon_asn: r.bogon_asn,
                leakers: r.leakers.clone(),
            }
        })
        .collect();
    let s = &c.summary;
    let meta = json!({
        "inputs": obs.global.inputs,
        "data_start": obs.data_start,
        "data_end": obs.data_end,
        "entries": s.entries,
        "vrps_given": s.rpki.is_some(),
        "irr_given": s.irr.is_some(),
        "aspa_given": s.aspa.is_some(),
        "relationships_given": s.leaking_routes.is_some(),
    });
    let events = obs
        .incidents
        .incidents
        .iter()
        .flat_map(|i| &i.events)
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()?;
    let contexts = obs
        .cards
        .iter()
        .map(|card| Ok((card.asn, serde_json::to_string(&AsnContext::of(card))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ShardData {
        period: obs.global.period.clone(),
        shard: shard.to_string(),
        created_at,
        meta: meta.to_string(),
        peers: peer_hashes,
        bogon_asns: s.bogon_asns_distinct.clone(),
        leakers: s.leakers.clone().unwrap_or_default(),
        routes,
        events,
        contexts,
    })
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The ClickHouse store the shards wrote to (clickhouse://HOST:PORT/DATABASE).
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// The period whose shards to join, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: String,
    /// Score only ASNs whose routes this many distinct peer ASNs saw.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_PEERS)]
    pub min_peers: u32,
}

/// One shard's meta document.
#[derive(serde::Deserialize)]
struct ShardMeta {
    inputs: Vec<InputInfo>,
    data_start: Option<u32>,
    data_end: Option<u32>,
    entries: u64,
    vrps_given: bool,
    irr_given: bool,
    aspa_given: bool,
    relationships_given: bool,
}

pub fn run_merge(a: MergeArgs) -> Result<Outcome> {
    let started = Instant::now();
    let mut store = Store::open_existing(&a.store)?;
    let m = store.merge_shards(&a.period, EVIDENCE_ITEMS as u32)?;
    if m.shards.is_empty() {
        bail!(
            "{}: no shards stored for period {} (run `routenorms observe --shard NAME --period {} --store {}` first)",
            a.store,
            a.period,
            a.period,
            a.store
        );
    }
    let metas = m
        .shards
        .iter()
        .map(|(name, meta)| {
            serde_json::from_str::<ShardMeta>(meta)
                .with_context(|| format!("shard {name}: its stored meta document is damaged"))
        })
        .collect::<Result<Vec<_>>>()?;
    let first = &metas[0];
    for (meta, (name, _)) in metas.iter().zip(&m.shards) {
        if (
            meta.vrps_given,
            meta.irr_given,
            meta.aspa_given,
            meta.relationships_given,
        ) != (
            first.vrps_given,
            first.irr_given,
            first.aspa_given,
            first.relationships_given,
        ) {
            bail!(
                "shard {name} was observed with other reference data (VRPs, IRR, ASPA, relationships) than shard {}: observe every shard with the same inputs",
                m.shards[0].0
            );
        }
    }
    let cfg = MetricsConfig {
        period: a.period.clone(),
        min_peers: a.min_peers,
    };
    let (mut summary, facts) = figures(&m, first);
    summary.entries = metas.iter().map(|meta| meta.entries).sum();
    let events = m
        .events
        .iter()
        .map(|e| serde_json::from_str::<Event>(e))
        .collect::<Result<Vec<_>, _>>()
        .context("a stored incident event is damaged")?;
    let data_start = metas.iter().filter_map(|meta| meta.data_start).min();
    let data_end = metas.iter().filter_map(|meta| meta.data_end).max();
    // Shards over different collectors each saw their part of the same events.
    let incidents = report_from_events(
        coalesce(events),
        data_start,
        data_end,
        BaselineInfo::default(),
    );
    let contexts = m
        .contexts
        .iter()
        .map(|(asn, c)| Ok((*asn, serde_json::from_str::<AsnContext>(c)?)))
        .collect::<Result<BTreeMap<_, _>, serde_json::Error>>()
        .context("a stored card context is damaged")?;
    let (global, cards, countries, regions) = assemble(
        &Assembly {
            summary: &summary,
            facts: &facts,
            incidents: &incidents,
            contacts: None,
            spoofer: None,
            delegations: None,
            cones: None,
            contexts: Some(&contexts),
            data_start,
            data_end,
        },
        merged_inputs(&metas),
        &cfg,
    );
    let obs = Observation {
        global,
        data_start,
        data_end,
        cards,
        countries,
        regions,
        classification: Default::default(),
        incidents,
    };
    let data = period_data(&obs)?;
    store.replace_period_from_shards(&data)?;
    eprintln!(
        "routenorms merge: period {}: {} shard{} ({}), {} routes, {} ASNs ({} scored), {} incidents; stored in {} ({:.1} s)",
        a.period,
        m.shards.len(),
        if m.shards.len() == 1 { "" } else { "s" },
        m.shards.iter().map(|s| s.0.as_str()).collect::<Vec<_>>().join(", "),
        obs.global.routes,
        obs.global.asns_seen,
        obs.global.asns_scored,
        obs.incidents.incidents.len(),
        a.store,
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Clean)
}

/// The inputs of every shard: the routing data first (RIBs, then updates, shard by shard),
/// then the reference data, each file once.
fn merged_inputs(metas: &[ShardMeta]) -> Vec<InputInfo> {
    let mut out: Vec<InputInfo> = Vec::new();
    for kinds in [&["rib"][..], &["updates"][..]] {
        for m in metas {
            out.extend(
                m.inputs
                    .iter()
                    .filter(|i| kinds.contains(&i.kind.as_str()))
                    .cloned(),
            );
        }
    }
    for m in metas {
        for i in &m.inputs {
            if i.kind != "rib" && i.kind != "updates" && !out.contains(i) {
                out.push(i.clone());
            }
        }
    }
    out
}

/// The route figures ClickHouse computed, as the summary and per-ASN facts the report
/// and the cards are assembled from.
fn figures(m: &ShardMerge, first: &ShardMeta) -> (Summary, AsnFacts) {
    let t = &m.summary;
    let counts = |v, i, n| RpkiCounts {
        valid: v,
        invalid: i,
        not_found: n,
    };
    let summary = Summary {
        peers: t.peers,
        routes: t.routes,
        as_set_routes: t.as_set_routes,
        prefixes: t.prefixes,
        rpki: first
            .vrps_given
            .then(|| counts(t.valid, t.invalid, t.not_found)),
        rpki_as_set: first
            .vrps_given
            .then(|| counts(t.as_set_valid, t.as_set_invalid, t.as_set_not_found)),
        irr: first.irr_given.then(|| {
            m.irr
                .iter()
                .filter_map(|(s, n)| routenorms_observe::irr::status_name(s).map(|s| (s, *n)))
                .collect()
        }),
        bogon_prefixes: t.bogon_prefixes,
        bogon_prefixes_distinct: t.bogon_prefixes_distinct,
        bogon_asns: t.bogon_asns,
        bogon_asns_distinct: m.bogon_asns.clone(),
        aspa: first.aspa_given.then_some(AspaCounts {
            valid: t.aspa_valid,
            invalid: t.aspa_invalid,
            unknown: t.aspa_unknown,
        }),
        leaking_routes: first.relationships_given.then_some(t.leaking_routes),
        leakers: first.relationships_given.then(|| m.leakers.clone()),
        ..Summary::default()
    };
    let mut facts = AsnFacts {
        vrps_given: first.vrps_given,
        irr_given: first.irr_given,
        ..AsnFacts::default()
    };
    for a in &m.asns {
        facts.visibility.insert(
            a.asn,
            routenorms_observe::classify::OriginVisibility {
                asn: a.asn,
                peers: a.peers,
                peer_asns: a.peer_asns,
                routes: a.routes,
            },
        );
        facts.routes.insert(
            a.asn,
            RouteTally {
                valid: a.valid,
                invalid: a.invalid,
                not_found: a.not_found,
                irr_known: a.irr_known,
                irr_registered: a.irr_registered,
                ..RouteTally::default()
            },
        );
    }
    for e in &m.invalid_examples {
        if let Some(t) = facts.routes.get_mut(&e.origin) {
            t.invalid_routes
                .push(invalid_example(&e.prefix, &e.reason, e.peers));
        }
    }
    for e in &m.unregistered_examples {
        if let Some(t) = facts.routes.get_mut(&e.origin) {
            t.unregistered_routes
                .push(unregistered_example(&e.prefix, &e.irr, e.peers));
        }
    }
    (summary, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_keys_sort_like_prefixes() {
        let mut prefixes: Vec<Prefix> = [
            "10.0.0.0/8",
            "9.255.0.0/16",
            "10.0.0.0/9",
            "2001:db8::/32",
            "0.0.0.0/0",
            "::/0",
            "192.0.2.0/24",
            "2001:db8::/48",
        ]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
        let mut by_key = prefixes.clone();
        prefixes.sort();
        by_key.sort_by_key(prefix_key);
        assert_eq!(by_key, prefixes);
    }

    #[test]
    fn hashes_are_stable_across_builds() {
        // FNV-1a's published test value: stored shards must hash alike in every build.
        assert_eq!(fnv64("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv64("64500|192.0.2.1"), fnv64("64500|192.0.2.2"));
    }
}
