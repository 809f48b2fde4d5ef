//! Hand-made cases pinning each incident rule. ASNs below 64496 and prefixes in 11/8, 12/8
//! are ordinary public resources for the built-in bogon oracle; 10/8 and 64512+ are bogons.

use super::*;
use crate::bogons::Bogons;
use crate::checks::LeakCheck;
use crate::irr::IrrTable;
use routenorms_mrt::record::Addr;
use routenorms_rpki::{Vrp, VrpSet};
use routenorms_topology::AsRelationships;

fn peer(asn: u32) -> PeerKey {
    PeerKey {
        asn,
        addr: Addr::V4([192, 0, 2, asn as u8]),
    }
}

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

fn entry(kind: EntryKind, t: u32, peer_asn: u32, prefix: &str, path: &[u32]) -> RouteEntry {
    RouteEntry {
        kind,
        time: Timestamp::from_secs(t),
        peer: peer(peer_asn),
        prefix: Some(p(prefix)),
        path_id: None,
        path: (!matches!(kind, EntryKind::Withdraw))
            .then(|| AsPath::from_sequence(path.iter().copied())),
        only_to_customer: None,
    }
}

fn ann(t: u32, peer_asn: u32, prefix: &str, path: &[u32]) -> RouteEntry {
    entry(EntryKind::Announce, t, peer_asn, prefix, path)
}

fn rib(t: u32, peer_asn: u32, prefix: &str, path: &[u32]) -> RouteEntry {
    entry(EntryKind::Rib, t, peer_asn, prefix, path)
}

fn wd(t: u32, peer_asn: u32, prefix: &str) -> RouteEntry {
    entry(EntryKind::Withdraw, t, peer_asn, prefix, &[])
}

/// Runs a first snapshot (the baseline) at t=1000, then the updates.
fn run(o: Oracles<'_>, baseline: &[RouteEntry], updates: &[RouteEntry]) -> IncidentReport {
    let mut d = IncidentDetector::new(o);
    d.begin_snapshot(1000);
    for e in baseline {
        d.apply(e);
    }
    d.end_snapshot();
    d.end_baseline();
    for e in updates {
        d.apply(e);
    }
    d.finish()
}

fn events(r: &IncidentReport) -> Vec<&Event> {
    r.incidents.iter().flat_map(|i| &i.events).collect()
}

/// 1 and 2 are peers; 10 customer of 1; 20 customer of 2; 100 customer of 10 and 20;
/// 666 customer of 100; 200 customer of 20.
fn rels() -> AsRelationships {
    AsRelationships::read(
        "1|2|0\n1|10|-1\n2|20|-1\n10|100|-1\n20|100|-1\n100|666|-1\n20|200|-1\n".as_bytes(),
    )
    .unwrap()
    .relationships
}

#[test]
fn an_exact_prefix_with_a_new_origin_is_a_moas_from_announcement_to_withdrawal() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[rib(1000, 1, "11.0.0.0/16", &[1, 100])],
        &[
            ann(2000, 2, "11.0.0.0/16", &[2, 20, 777]),
            wd(2600, 2, "11.0.0.0/16"),
        ],
    );
    assert_eq!(r.baseline.source, "rib");
    assert_eq!(r.baseline.until, Some(1000));
    let ev = events(&r);
    assert_eq!(ev.len(), 1);
    let e = ev[0];
    assert_eq!((e.kind, e.metric), (EventKind::Moas, Metric::Hijack));
    assert_eq!((e.prefix, e.culprit), (p("11.0.0.0/16"), 777));
    assert_eq!(e.accomplices, [20]);
    assert_eq!(
        (e.start, e.end, e.ongoing, e.from_start),
        (2000, 2600, false, false)
    );
    assert_eq!(e.evidence.previous_origins, [100]);
    assert_eq!(e.evidence.path, "2 20 777");
    assert_eq!(e.peers.len(), 1);
    assert!(e.downranked.is_empty());
    assert_eq!(r.incidents[0].weight, 0.5);
    assert_eq!((r.counts.hijack, r.counts.events_moas), (1, 1));
}

/// A new more-specific is a sub-MOAS (M2) when the most specific covering baseline prefix
/// has other origins only, and a `more_specific` event (possible type-6 leak, no MANRS
/// metric) when that prefix has the same origin.
#[test]
fn a_more_specific_with_another_origin_is_a_sub_moas_and_with_the_same_origin_a_more_specific() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[
            rib(1000, 1, "11.0.0.0/8", &[1, 50]),
            rib(1000, 1, "11.0.0.0/16", &[1, 100]),
        ],
        &[
            ann(2000, 1, "11.0.1.0/24", &[1, 10, 777]),
            ann(2000, 1, "11.0.2.0/24", &[1, 100]),
            // Covered by the /8 only (the /16 does not cover 11.1/16).
            ann(2100, 1, "11.1.0.0/16", &[1, 50]),
            ann(2100, 1, "11.2.0.0/16", &[1, 100]),
            // Nothing in the baseline covers 12/8: a new prefix, not a hijack.
            ann(2200, 1, "12.0.0.0/8", &[1, 999]),
        ],
    );
    let ev = events(&r);
    let seen: Vec<_> = ev
        .iter()
        .map(|e| (e.kind, e.prefix, e.culprit, e.evidence.covering_prefix))
        .collect();
    assert_eq!(
        seen,
        [
            (
                EventKind::SubMoas,
                p("11.2.0.0/16"),
                100,
                Some(p("11.0.0.0/8"))
            ),
            (
                EventKind::SubMoas,
                p("11.0.1.0/24"),
                777,
                Some(p("11.0.0.0/16"))
            ),
            (
                EventKind::MoreSpecific,
                p("11.1.0.0/16"),
                50,
                Some(p("11.0.0.0/8"))
            ),
            (
                EventKind::MoreSpecific,
                p("11.0.2.0/24"),
                100,
                Some(p("11.0.0.0/16"))
            ),
        ]
    );
    assert_eq!(ev[1].evidence.previous_origins, [100]);
    assert_eq!(ev[3].evidence.previous_origins, [100]);
    assert!(ev[2..].iter().all(|e| e.metric == Metric::MoreSpecific));
    assert!(ev.iter().all(|e| e.ongoing && e.end == 2200));
    assert_eq!(
        (r.counts.more_specific, r.counts.events_more_specific),
        (2, 2)
    );
    assert_eq!((r.counts.hijack, r.counts.events_sub_moas), (2, 2));
}

/// A more-specific originated by a private ASN behind its provider (a customer using a
/// private ASN that the provider did not strip) is a bogon-ASN event blamed on the provider,
/// not a sub-MOAS "hijack" by the private ASN.
#[test]
fn a_bogon_origin_asn_is_a_bogon_asn_event_and_never_a_hijack() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[rib(1000, 1, "11.0.0.0/16", &[1, 100])],
        &[
            ann(2000, 1, "11.0.1.0/24", &[1, 100, 64512]),
            ann(2000, 1, "11.0.0.0/16", &[1, 100, 64513]),
        ],
    );
    let seen: Vec<_> = events(&r)
        .iter()
        .map(|e| (e.kind, e.prefix, e.culprit))
        .collect();
    assert_eq!(
        seen,
        [
            (EventKind::BogonAsn, p("11.0.0.0/16"), 100),
            (EventKind::BogonAsn, p("11.0.1.0/24"), 100),
        ]
    );
    assert_eq!(r.counts.hijack, 0);
}

#[test]
fn a_hijack_is_downranked_when_rpki_valid_irr_registered_or_related() {
    let b = Bogons::special_only();
    let vrps = VrpSet::new(vec![Vrp::new(p("11.0.0.0/16"), 24, Asn(666)).unwrap()]);
    let irr = IrrTable::new(vec![(p("11.0.0.0/16"), Asn(666))]);
    let rels = rels();
    let base = [rib(1000, 1, "11.0.0.0/16", &[1, 100])];
    let upd = [ann(2000, 1, "11.0.0.0/16", &[1, 10, 100, 666])];
    let plain = run(Oracles::new(&b), &base, &upd);
    assert!(events(&plain)[0].downranked.is_empty());
    assert!(!plain.incidents[0].downranked);
    let all = run(
        Oracles {
            vrps: Some(&vrps),
            irr: Some(&irr),
            relationships: Some(&rels),
            ..Oracles::new(&b)
        },
        &base,
        &upd,
    );
    let e = events(&all)[0];
    assert_eq!(
        e.downranked,
        [
            DownRank::RpkiValid,
            DownRank::IrrRegistered { status: "match" },
            DownRank::Related {
                previous_origin: 100,
                new_origin_is: Relationship::Customer
            }
        ]
    );
    assert!(all.incidents[0].downranked);
    assert_eq!(all.counts.hijack_downranked, 1);
    let json = serde_json::to_value(&all).unwrap();
    assert_eq!(
        json["incidents"][0]["events"][0]["downranked"][2]["reason"],
        "related"
    );
}

#[test]
fn a_valley_and_an_otc_violation_are_leaks_by_the_exporting_as() {
    let b = Bogons::special_only();
    let rels = rels();
    let o = Oracles {
        relationships: Some(&rels),
        ..Oracles::new(&b)
    };
    // 20 sent 200's route down to its customer 100 with OTC = 20; 100 sent it up to 10.
    let mut otc = ann(3000, 10, "11.9.0.0/16", &[10, 100, 20, 200]);
    otc.only_to_customer = Some(20);
    let r = run(
        o,
        &[rib(1000, 1, "11.0.0.0/16", &[1, 2, 20, 200])],
        &[
            // 100 learned from its provider 20 and exported to its provider 10.
            ann(2000, 1, "11.0.0.0/16", &[1, 10, 100, 20, 200]),
            ann(2500, 1, "11.0.0.0/16", &[1, 2, 20, 200]),
            otc,
        ],
    );
    let ev = events(&r);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    assert!(ev
        .iter()
        .all(|e| e.kind == EventKind::RouteLeak && e.culprit == 100));
    assert_eq!(ev[0].accomplices, [10]);
    assert_eq!((ev[0].start, ev[0].end, ev[0].ongoing), (2000, 2500, false));
    let leak = ev[0].evidence.leak.unwrap();
    assert_eq!((leak.check, leak.learned_from), (LeakCheck::ValleyFree, 20));
    assert_eq!(
        ev[1].evidence.leak.unwrap().check,
        LeakCheck::OnlyToCustomer
    );
    assert_eq!(ev[1].evidence.only_to_customer, Some(20));
    // Two intervals of one culprit and metric that do not overlap: two incidents.
    assert_eq!(r.counts.route_leak, 2);
    // The leaked routes keep their origin: no hijack.
    assert_eq!(r.counts.hijack, 0);
}

#[test]
fn bogon_prefixes_and_bogon_asns_name_their_culprits_even_in_the_first_snapshot() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[rib(1000, 1, "10.0.0.0/8", &[1, 30])],
        &[ann(2000, 2, "11.5.0.0/16", &[2, 40, 64512])],
    );
    let ev = events(&r);
    let got: Vec<_> = ev
        .iter()
        .map(|e| (e.kind, e.culprit, e.accomplices.clone(), e.from_start))
        .collect();
    assert_eq!(
        got,
        [
            (EventKind::BogonPrefix, 30, vec![1], true),
            (EventKind::BogonAsn, 40, vec![2], false),
        ]
    );
    assert_eq!(ev[1].evidence.bogon_asn, Some(64512));
    // The private origin of 11.5/16 is also a new origin... of a prefix nobody had.
    assert_eq!(r.counts.hijack, 0);
    assert_eq!((r.counts.bogon_prefix, r.counts.bogon_asn), (1, 1));
}

#[test]
fn an_event_lasts_until_the_last_peer_stops_showing_it() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[rib(1000, 1, "11.0.0.0/16", &[1, 100])],
        &[
            ann(2000, 1, "11.0.0.0/16", &[1, 777]),
            ann(2100, 2, "11.0.0.0/16", &[2, 3, 777]),
            wd(2200, 1, "11.0.0.0/16"),
            // A session going down withdraws all of the peer's routes.
            RouteEntry {
                kind: EntryKind::PeerDown,
                prefix: None,
                path: None,
                ..ann(9000, 2, "11.0.0.0/16", &[])
            },
        ],
    );
    let ev = events(&r);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].start, ev[0].end), (2000, 9000));
    assert_eq!(ev[0].accomplices, [1, 3]);
    assert_eq!(
        ev[0].peers.iter().map(|p| p.asn).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(r.incidents[0].weight, 1.0);
}

#[test]
fn a_later_snapshot_ends_events_of_its_peers_it_no_longer_lists() {
    let b = Bogons::special_only();
    let mut d = IncidentDetector::new(Oracles::new(&b));
    d.begin_snapshot(1000);
    d.apply(&rib(1000, 1, "11.0.0.0/16", &[1, 100]));
    d.end_snapshot();
    d.end_baseline();
    d.apply(&ann(2000, 1, "11.0.0.0/16", &[1, 777]));
    d.apply(&ann(2000, 2, "11.0.0.0/16", &[2, 777]));
    // Snapshot of peer 1 only, which now has the right origin: peer 2 keeps its route.
    d.begin_snapshot(5000);
    d.apply(&rib(5000, 1, "11.0.0.0/16", &[1, 100]));
    d.end_snapshot();
    // Snapshot of peer 2 with another prefix only: its hijacked route is gone.
    d.begin_snapshot(8000);
    d.apply(&rib(8000, 2, "11.7.0.0/16", &[2, 5]));
    let r = d.finish();
    let ev = events(&r);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].start, ev[0].end, ev[0].ongoing), (2000, 8000, false));
}

#[test]
fn without_a_rib_the_first_minutes_of_updates_are_the_baseline() {
    let b = Bogons::special_only();
    let mut d = IncidentDetector::new(Oracles::new(&b));
    d.baseline_until(1000 + 900);
    for e in [
        ann(1000, 1, "11.0.0.0/16", &[1, 100]),
        // Inside the baseline window: a second origin is accepted as legitimate.
        ann(1500, 2, "11.0.0.0/16", &[2, 200]),
        ann(2000, 3, "11.0.0.0/16", &[3, 200]),
        ann(2000, 3, "11.0.0.0/16", &[3, 300]),
    ] {
        d.apply(&e);
    }
    let r = d.finish();
    assert_eq!(r.baseline.source, "updates");
    assert_eq!(r.baseline.until, Some(1500));
    assert_eq!((r.baseline.prefixes, r.baseline.routes), (1, 2));
    let ev = events(&r);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].culprit, ev[0].start), (300, 2000));
    assert_eq!(ev[0].evidence.previous_origins, [100, 200]);
}

#[test]
fn the_weight_follows_the_observatory_steps() {
    assert_eq!(weight(0), 0.5);
    assert_eq!(weight(29 * 60 + 59), 0.5);
    assert_eq!(weight(30 * 60), 1.0);
    assert_eq!(weight(86_399), 1.0);
    assert_eq!(weight(86_400), 2.0);
    assert_eq!(weight(2 * 86_400 + 5), 3.0);
}

#[test]
fn overlapping_events_of_one_culprit_and_metric_merge_and_others_do_not() {
    let b = Bogons::special_only();
    let r = run(
        Oracles::new(&b),
        &[
            rib(1000, 1, "11.0.0.0/16", &[1, 100]),
            rib(1000, 1, "11.1.0.0/16", &[1, 100]),
            rib(1000, 1, "11.2.0.0/16", &[1, 100]),
        ],
        &[
            ann(2000, 1, "11.0.0.0/16", &[1, 777]),
            ann(3000, 1, "11.1.0.0/16", &[1, 777]),
            wd(3500, 1, "11.0.0.0/16"),
            wd(2000 + 86_400 + 100, 1, "11.1.0.0/16"),
            // After both: a separate incident.
            ann(200_000, 1, "11.2.0.0/16", &[1, 777]),
            wd(200_010, 1, "11.2.0.0/16"),
            // Another culprit at the same time: its own incident.
            ann(3000, 1, "11.2.0.0/16", &[1, 888]),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, e)| ((e.time, i), e))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_values()
        .collect::<Vec<_>>(),
    );
    let inc: Vec<_> = r
        .incidents
        .iter()
        .filter(|i| i.metric == Metric::Hijack)
        .map(|i| (i.culprit, i.start, i.end, i.weight, i.events.len()))
        .collect();
    assert_eq!(
        inc,
        [
            (777, 2000, 2000 + 86_400 + 100, 2.0, 2),
            (777, 200_000, 200_010, 0.5, 1),
            (888, 3000, 200_000, 3.0, 1),
        ]
    );
    assert_eq!(r.counts.hijack, 3);
    assert_eq!(r.counts.events_moas, 4);
    // The only peer withdrew each prefix: outages of their baseline origin 100, the two
    // overlapping ones (11.0/16 from 3500, 11.1/16 from 88500) merged.
    let outages: Vec<_> = r
        .incidents
        .iter()
        .filter(|i| i.metric == Metric::Outage)
        .map(|i| (i.culprit, i.start, i.events.len()))
        .collect();
    assert_eq!(outages, [(100, 3500, 3)]);
}

#[test]
fn files_give_the_same_report_as_the_in_memory_detector() {
    use routenorms_mrt::record::Peer;
    use routenorms_mrt::write::{
        peer_index_table, rib as rib_record, update, AttrsBuilder, RibRoute, Session,
    };
    let attrs = |path: &[u32]| {
        AttrsBuilder::new()
            .origin(0)
            .as_path(&[(2, path)])
            .next_hop([192, 0, 2, 1])
            .build()
    };
    let peers = [Peer {
        bgp_id: [192, 0, 2, 1],
        addr: Addr::V4([192, 0, 2, 1]),
        asn: 1,
    }];
    let mut ribfile = peer_index_table(1000, [192, 0, 2, 100], "", &peers);
    ribfile.extend(rib_record(
        1000,
        0,
        &p("11.0.0.0/16"),
        false,
        &[RibRoute {
            peer_index: 0,
            originated: 900,
            path_id: 0,
            attrs: attrs(&[1, 100]),
        }],
    ));
    let s = Session {
        peer_asn: 1,
        local_asn: 65000,
        peer_addr: Addr::V4([192, 0, 2, 1]),
        local_addr: Addr::V4([192, 0, 2, 100]),
    };
    let mut upd = update(2000, &s, &[], &attrs(&[1, 10, 777]), &[p("11.0.0.0/16")]);
    upd.extend(update(4000, &s, &[p("11.0.0.0/16")], &[], &[]));
    upd.extend(update(
        5000,
        &s,
        &[],
        &attrs(&[1, 64512]),
        &[p("10.1.0.0/16")],
    ));
    let dir = std::env::temp_dir();
    let rp = dir.join(format!("routenorms-incidents-rib-{}", std::process::id()));
    let up = dir.join(format!("routenorms-incidents-upd-{}", std::process::id()));
    std::fs::write(&rp, ribfile).unwrap();
    std::fs::write(&up, upd).unwrap();
    let b = Bogons::special_only();
    let (from_files, inputs) = detect_files(
        &[&rp],
        &[&up],
        Oracles::new(&b),
        DetectorConfig::default(),
        2,
    )
    .unwrap();
    let _ = std::fs::remove_file(&rp);
    let _ = std::fs::remove_file(&up);
    assert_eq!(inputs.len(), 2);
    assert_eq!((inputs[0].entries, inputs[1].entries), (1, 3));
    assert_eq!(inputs[1].first_time, Some(2000));
    let peer1 = |e: RouteEntry| RouteEntry {
        peer: PeerKey {
            asn: 1,
            addr: Addr::V4([192, 0, 2, 1]),
        },
        ..e
    };
    let in_memory = run(
        Oracles::new(&b),
        &[peer1(rib(1000, 1, "11.0.0.0/16", &[1, 100]))],
        &[
            peer1(ann(2000, 1, "11.0.0.0/16", &[1, 10, 777])),
            peer1(wd(4000, 1, "11.0.0.0/16")),
            peer1(ann(5000, 1, "10.1.0.0/16", &[1, 64512])),
        ],
    );
    assert_eq!(from_files, in_memory);
    let kinds: Vec<_> = events(&from_files).iter().map(|e| e.kind).collect();
    // The only peer withdrawing 11.0.0.0/16 at 4000 is an outage of its origin 100.
    assert_eq!(
        kinds,
        [
            EventKind::Moas,
            EventKind::BogonPrefix,
            EventKind::BogonAsn,
            EventKind::Outage
        ]
    );
    // Serialisable for the report.
    let json = serde_json::to_value(&from_files).unwrap();
    assert_eq!(json["counts"]["hijack"], 1);
    assert_eq!(json["incidents"][0]["events"][0]["kind"], "moas");
}

fn kinds_of(r: &IncidentReport, kind: EventKind) -> Vec<&Event> {
    events(r).into_iter().filter(|e| e.kind == kind).collect()
}

fn aspas(list: &[(u32, &[u32])]) -> routenorms_rpki::AspaSet {
    let objs: Vec<routenorms_rpki::Aspa> = list
        .iter()
        .map(|(c, ps)| routenorms_rpki::Aspa::new(Asn(*c), ps.iter().map(|&p| Asn(p)).collect()))
        .collect();
    routenorms_rpki::AspaSet::new(&objs)
}

#[test]
fn a_new_hop_neither_relationships_nor_aspa_allow_is_a_forged_path_of_the_as_claiming_it() {
    let b = Bogons::special_only();
    let r = rels();
    // 100 attests its providers 10 and 20; 666 has no ASPA.
    let a = aspas(&[(100, &[10, 20])]);
    let o = Oracles {
        relationships: Some(&r),
        aspa: Some(&a),
        ..Oracles::new(&b)
    };
    let rep = run(
        o,
        &[
            rib(1000, 1, "11.0.0.0/16", &[1, 10, 100]),
            rib(1000, 2, "11.0.0.0/16", &[2, 20, 100]),
            // 300–100 is unknown to the relationships but already in the baseline.
            rib(1000, 2, "11.2.0.0/16", &[2, 300, 100]),
        ],
        &[
            // 200 claims to hear 100 directly: forged (100 does not list it, no link known).
            ann(2000, 2, "11.0.0.0/16", &[2, 20, 200, 100]),
            wd(2500, 2, "11.0.0.0/16"),
            // Known links only: nothing.
            ann(2000, 1, "11.1.0.0/16", &[1, 10, 100]),
            // Seen in the baseline: nothing.
            ann(2100, 1, "11.2.0.0/16", &[1, 300, 100]),
            // An unknown link towards an AS without ASPA (666): nothing to say.
            ann(2200, 1, "11.3.0.0/16", &[1, 400, 666]),
        ],
    );
    let ev = kinds_of(&rep, EventKind::ForgedPath);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = ev[0];
    assert_eq!(
        (e.metric, e.prefix, e.culprit),
        (Metric::Hijack, p("11.0.0.0/16"), 200)
    );
    assert_eq!(e.accomplices, [20]);
    assert_eq!((e.start, e.end), (2000, 2500));
    assert_eq!(
        e.evidence.forged_link,
        Some(ForgedLink {
            culprit: 200,
            neighbour: 100
        })
    );
    assert_eq!(rep.counts.events_forged_path, 1);
    // The origin is unchanged: no MOAS; no valley either.
    assert!(kinds_of(&rep, EventKind::Moas).is_empty());
    assert!(kinds_of(&rep, EventKind::RouteLeak).is_empty());

    // Without ASPA, or when 100's ASPA lists 200, nothing.
    let updates = [ann(2000, 2, "11.0.0.0/16", &[2, 20, 200, 100])];
    let base = [rib(1000, 1, "11.0.0.0/16", &[1, 10, 100])];
    let no_aspa = Oracles {
        relationships: Some(&r),
        ..Oracles::new(&b)
    };
    assert!(kinds_of(&run(no_aspa, &base, &updates), EventKind::ForgedPath).is_empty());
    let listed = aspas(&[(100, &[10, 20, 200])]);
    let o = Oracles {
        relationships: Some(&r),
        aspa: Some(&listed),
        ..Oracles::new(&b)
    };
    assert!(kinds_of(&run(o, &base, &updates), EventKind::ForgedPath).is_empty());
}

#[test]
fn a_new_rpki_invalid_route_no_hijack_explains_is_an_rpki_invalid_event_of_its_origin() {
    let b = Bogons::special_only();
    let v = VrpSet::new(vec![
        Vrp::new(p("11.0.0.0/16"), 16, Asn(100)).unwrap(),
        Vrp::new(p("12.0.0.0/16"), 16, Asn(900)).unwrap(),
    ]);
    let o = Oracles {
        vrps: Some(&v),
        ..Oracles::new(&b)
    };
    let rep = run(
        o,
        &[
            rib(1000, 1, "11.0.0.0/16", &[1, 10, 100]),
            // Invalid from the start (a stale ROA, say): background, not an event.
            rib(1000, 1, "12.0.0.0/16", &[1, 200]),
        ],
        &[
            // Beyond the ROA's maxLength: invalid (length).
            ann(2000, 1, "11.0.1.0/24", &[1, 10, 100]),
            wd(2300, 1, "11.0.1.0/24"),
            ann(2000, 2, "12.0.0.0/16", &[2, 20, 200]),
            // A sub-MOAS already reports this invalid route.
            ann(2000, 1, "11.0.2.0/24", &[1, 777]),
            // Valid: nothing.
            ann(2000, 1, "11.0.0.0/16", &[1, 20, 100]),
        ],
    );
    let ev = kinds_of(&rep, EventKind::RpkiInvalid);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = ev[0];
    assert_eq!(
        (e.metric, e.prefix, e.culprit),
        (Metric::RpkiInvalid, p("11.0.1.0/24"), 100)
    );
    assert_eq!(
        (e.accomplices.as_slice(), e.start, e.end),
        (&[10][..], 2000, 2300)
    );
    assert_eq!(
        e.evidence.rpki_invalid,
        Some(routenorms_rpki::InvalidReason::Length)
    );
    assert_eq!(kinds_of(&rep, EventKind::SubMoas).len(), 1);
    assert_eq!(
        (rep.counts.rpki_invalid, rep.counts.events_rpki_invalid),
        (1, 1)
    );
    // The invalid more-specific of the origin's own /16 is a new more-specific as well.
    let ms: Vec<_> = kinds_of(&rep, EventKind::MoreSpecific)
        .iter()
        .map(|e| (e.prefix, e.culprit))
        .collect();
    assert_eq!(ms, [(p("11.0.1.0/24"), 100)]);
}

#[test]
fn a_baseline_prefix_no_peer_carries_any_more_is_an_outage_of_its_origin_until_it_returns() {
    let b = Bogons::special_only();
    let base = [
        rib(1000, 1, "11.0.0.0/16", &[1, 100]),
        rib(1000, 2, "11.0.0.0/16", &[2, 20, 100]),
        rib(1000, 1, "11.1.0.0/16", &[1, 100]),
    ];
    let rep = run(
        Oracles::new(&b),
        &base,
        &[
            // One of two peers: still carried.
            wd(2000, 1, "11.0.0.0/16"),
            // A withdrawal of what the peer never had changes nothing.
            wd(2050, 1, "11.0.0.0/16"),
            wd(2100, 2, "11.0.0.0/16"),
            ann(2700, 1, "11.0.0.0/16", &[1, 100]),
            // A prefix not in the baseline coming and going is no outage.
            ann(2800, 1, "11.9.0.0/16", &[1, 100]),
            wd(2900, 1, "11.9.0.0/16"),
        ],
    );
    let ev = kinds_of(&rep, EventKind::Outage);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let e = ev[0];
    assert_eq!(
        (e.metric, e.prefix, e.culprit),
        (Metric::Outage, p("11.0.0.0/16"), 100)
    );
    assert_eq!((e.start, e.end, e.ongoing), (2100, 2700, false));
    assert_eq!(e.peers.len(), 1);
    assert!(e.accomplices.is_empty());
    assert_eq!((rep.counts.outage, rep.counts.events_outage), (1, 1));

    // A later snapshot not listing the prefix for any peer that carried it: an outage
    // from the snapshot time, ongoing.
    let mut d = IncidentDetector::new(Oracles::new(&b));
    d.begin_snapshot(1000);
    for e in &base {
        d.apply(e);
    }
    d.end_snapshot();
    d.end_baseline();
    d.begin_snapshot(5000);
    d.apply(&rib(5000, 1, "11.1.0.0/16", &[1, 100]));
    d.apply(&rib(5000, 2, "11.1.0.0/16", &[2, 20, 100]));
    d.end_snapshot();
    let rep = d.finish();
    let ev = kinds_of(&rep, EventKind::Outage);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(
        (ev[0].prefix, ev[0].start, ev[0].ongoing),
        (p("11.0.0.0/16"), 5000, true)
    );
    assert_eq!(ev[0].peers.len(), 2);
}

#[test]
fn a_session_going_down_or_a_baseline_of_updates_makes_no_outage() {
    let b = Bogons::special_only();
    let down = RouteEntry {
        kind: EntryKind::PeerDown,
        time: Timestamp::from_secs(2000),
        peer: peer(1),
        prefix: None,
        path_id: None,
        path: None,
        only_to_customer: None,
    };
    let rep = run(
        Oracles::new(&b),
        &[rib(1000, 1, "11.0.0.0/16", &[1, 100])],
        &[down],
    );
    assert!(kinds_of(&rep, EventKind::Outage).is_empty());

    // Updates only: who else carries the prefix is unknown, so no outage is claimed.
    let mut d = IncidentDetector::new(Oracles::new(&b));
    d.baseline_until(1100);
    d.apply(&ann(1000, 1, "11.0.0.0/16", &[1, 100]));
    d.apply(&wd(2000, 1, "11.0.0.0/16"));
    assert!(kinds_of(&d.finish(), EventKind::Outage).is_empty());
}

/// Two shards' views of one event (same kind, prefix and culprit, overlapping in time)
/// become one event spanning both with the union of peers and accomplices and the earlier
/// one's evidence; disjoint intervals stay apart; two shards' outages of a prefix become one
/// that starts when the later one did.
#[test]
fn events_of_several_shards_coalesce_as_one_detector_would_keep_them() {
    let ev = |kind: EventKind, start: u32, end: u32, peer_asn: u32, path: &str| Event {
        kind,
        metric: kind.metric(),
        prefix: p("10.0.0.0/24"),
        culprit: 64_500,
        accomplices: vec![peer_asn + 1],
        start,
        end,
        ongoing: false,
        from_start: false,
        peers: vec![PeerRef::from(peer(peer_asn))],
        evidence: Evidence {
            path: path.into(),
            ..Evidence::default()
        },
        downranked: Vec::new(),
    };
    let out = coalesce(vec![
        ev(EventKind::Moas, 200, 400, 2, "2 64500"),
        ev(EventKind::Moas, 100, 300, 1, "1 64500"),
        ev(EventKind::Moas, 900, 950, 3, "3 64500"),
    ]);
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].start, out[0].end), (100, 400));
    assert_eq!(out[0].evidence.path, "1 64500");
    assert_eq!(out[0].peers.len(), 2);
    assert_eq!(out[0].accomplices, [2, 3]);
    assert_eq!((out[1].start, out[1].end), (900, 950));
    let dark = coalesce(vec![
        ev(EventKind::Outage, 100, 1000, 1, ""),
        ev(EventKind::Outage, 300, 1000, 2, ""),
    ]);
    assert_eq!(dark.len(), 1);
    assert_eq!(dark[0].start, 300);
    assert_eq!(dark[0].peers, [PeerRef::from(peer(2))]);
}
