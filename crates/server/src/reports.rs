//! Report documents assembled from the store: the same JSON for `routenorms report` and for
//! the API, so the two never disagree.

use routenorms_observe::metrics::{ACTIONS, EVIDENCE_ITEMS};
use routenorms_store::{CardFilter, IncidentFilter, Page, RouteRow, Store, StoreError, MAX_PAGE};
use serde_json::{json, Value};

/// Why a report could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the store holds a damaged document: {0}")]
    Damaged(#[from] serde_json::Error),
}

fn parse(doc: &str) -> Result<Value, ReportError> {
    Ok(serde_json::from_str(doc)?)
}

/// The global report of a period.
pub fn global(store: &Store, period: &str) -> Result<Option<Value>, ReportError> {
    store.report(period)?.map(|d| parse(&d)).transpose()
}

/// Why a route is offending (empty: it is not). The store's `offending_routes` selects the
/// same routes.
pub fn route_flags(r: &RouteRow) -> Vec<String> {
    let mut why = Vec::new();
    if r.rpki.as_deref() == Some("invalid") {
        why.push("rpki-invalid".to_string());
    }
    if let Some(s @ ("mismatch" | "not-registered")) = r.irr.as_deref() {
        why.push(format!("irr-{s}"));
    }
    if r.bogon_prefix {
        why.push("bogon-prefix".into());
    }
    if r.bogon_asn {
        why.push("bogon-asn-in-path".into());
    }
    if !r.leakers.is_empty() {
        why.push(format!("leaked-by-{}", r.leakers));
    }
    why
}

/// A route as the reports and the API show it.
pub fn route_json(r: &RouteRow) -> Value {
    json!({
        "prefix": r.prefix,
        "origin": r.origin,
        "peers": r.peers,
        "peer_asns": r.peer_asns,
        "rpki": r.rpki,
        "irr": r.irr,
        "bogon_prefix": r.bogon_prefix,
        "bogon_asn": r.bogon_asn,
        "leakers": r.leakers.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "flags": route_flags(r),
    })
}

/// The card of an AS, the heaviest incidents it is party to (with its role), and its most
/// visible offending routes (RPKI-invalid, IRR mismatch or not registered, bogon, leaked).
pub fn asn(store: &Store, period: &str, asn: u32) -> Result<Option<Value>, ReportError> {
    let Some(card) = store.card(period, asn)? else {
        return Ok(None);
    };
    let mut doc = parse(&card.card)?;
    let incidents = store.incidents(
        period,
        &IncidentFilter {
            asn: Some(asn),
            ..IncidentFilter::default()
        },
        Page {
            limit: EVIDENCE_ITEMS as u32,
            offset: 0,
        },
    )?;
    let mut list = Vec::new();
    for i in incidents {
        let mut d = parse(&i.incident)?;
        if let Some(o) = d.as_object_mut() {
            o.remove("events");
            let role = if i.culprit == asn {
                "culprit"
            } else {
                "accomplice"
            };
            o.insert("role".into(), role.into());
        }
        list.push(d);
    }
    let (routes, total) = store.offending_routes(period, asn, EVIDENCE_ITEMS as u32)?;
    let offending: Vec<Value> = routes
        .iter()
        .map(|r| {
            json!({
                "prefix": r.prefix,
                "peers": r.peers,
                "peer_asns": r.peer_asns,
                "rpki": r.rpki,
                "irr": r.irr,
                "flags": route_flags(r),
            })
        })
        .collect();
    doc["incidents"] = Value::Array(list);
    doc["offending_prefixes"] = Value::Array(offending);
    doc["offending_prefixes_total"] = total.into();
    Ok(Some(doc))
}

/// One AS's scores per stored period, oldest first.
pub fn asn_history(store: &Store, asn: u32) -> Result<Vec<Value>, ReportError> {
    store
        .card_history(asn)?
        .into_iter()
        .map(|(period, c)| {
            let card = parse(&c.card)?;
            Ok(json!({
                "period": period,
                "scored": c.scored,
                "ready": c.ready,
                "routes": c.routes,
                "actions": action_summary(&card),
            }))
        })
        .collect()
}

fn action_summary(card: &Value) -> serde_json::Map<String, Value> {
    ACTIONS
        .iter()
        .map(|(k, _, _)| {
            let a = &card["actions"][k];
            (
                k.to_string(),
                json!({"score": a["score"], "label": a["label"]}),
            )
        })
        .collect()
}

/// A roll-up (`scope` `country` or `region`) and the cards of its ASNs, scored ones first,
/// then by ASN, in `asn_list`.
pub fn group(
    store: &Store,
    period: &str,
    scope: &str,
    key: &str,
) -> Result<Option<Value>, ReportError> {
    let Some(rollup) = store.rollup(period, scope, key)? else {
        return Ok(None);
    };
    let mut doc = parse(&rollup)?;
    let filter = CardFilter {
        country: (scope == "country").then(|| key.to_string()),
        region: (scope == "region").then(|| key.to_string()),
        scored_only: false,
    };
    let mut asns = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.cards(
            period,
            &filter,
            Page {
                limit: MAX_PAGE,
                offset,
            },
        )?;
        let n = page.len();
        for c in page {
            let card = parse(&c.card)?;
            asns.push(json!({
                "asn": c.asn,
                "name": c.name,
                "scored": c.scored,
                "ready": c.ready,
                "routes": c.routes,
                "actions": action_summary(&card),
            }));
        }
        if n < MAX_PAGE as usize {
            break;
        }
        offset += n as u64;
    }
    asns.sort_by_key(|a| (!a["scored"].as_bool().unwrap_or(false), a["asn"].as_u64()));
    doc["asn_list"] = Value::Array(asns);
    Ok(Some(doc))
}
