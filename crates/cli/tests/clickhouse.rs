//! The ClickHouse store against the SQLite one: the same simulated Internet observed into
//! both (`--store FILE` and `--store clickhouse://…`, Debian's clickhouse-server on
//! loopback, started by `.ci/run`) gives byte-identical reports from `routenorms report`
//! identical API documents and dashboard pages from `routenorms serve`, and identical
//! `routenorms export` tables. Every test runs against each server in
//! `ROUTENORMS_CLICKHOUSE`: in CI, Debian's clickhouse-server 18.16 and a current release's
//! engine (chdb from PyPI behind `.ci/chdb-http.py`). A rerun of the
//! period into ClickHouse replaces it, and a second period accumulates beside it.

mod common;

use common::server::{busy_asn, get, Server};
use common::sim::{run_args, sim_observe_args};
use common::{routenorms, run_ok};
use routenorms_testsupport::clickhouse_servers;
use serde_json::Value;

fn observe(store: &str, period: &str) {
    let mut args = sim_observe_args(store, true);
    args.extend(["--period".to_string(), period.to_string()]);
    run_args(&args);
}

/// A fresh SQLite path and a ClickHouse location on `server` (the `i`-th of the test's
/// servers), both named after `name` and this process.
fn stores(name: &str, server: &str, i: usize) -> (String, String) {
    let id = std::process::id();
    let dir = std::env::temp_dir().join(format!("routenorms-ch-{name}-{id}-{i}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("store.db").to_str().unwrap().to_string();
    (sqlite, format!("clickhouse://{server}/rn_{name}_{id}_{i}"))
}

fn report(store: &str, what: &[&str]) -> String {
    let mut args = vec!["report", "--store", store, "--format", "json"];
    args.extend(what);
    run_ok(&args).0
}

#[test]
fn sqlite_and_clickhouse_stores_give_the_same_reports_api_and_pages() {
    for (i, server) in clickhouse_servers().iter().enumerate() {
        parity_on(server, i);
    }
}

fn parity_on(server: &str, i: usize) {
    let (sqlite, ch) = stores("parity", server, i);

    // Two periods; the ClickHouse one rewrites its first period once more.
    for store in [&sqlite, &ch] {
        observe(store, "2024-01");
        observe(store, "2024-02");
    }
    observe(&ch, "2024-01");

    let global: Value = serde_json::from_str(&report(&sqlite, &["--global"])).unwrap();
    let busy = global["top_incidents"][0]["culprit"]
        .as_u64()
        .unwrap()
        .to_string();
    let card: Value = serde_json::from_str(&report(&sqlite, &["--asn", &busy])).unwrap();
    let mut asks: Vec<Vec<String>> = vec![
        vec!["--global".into()],
        vec!["--asn".into(), busy.clone()],
        vec!["--region".into(), "ripencc".into()],
    ];
    if let Some(cc) = card["country"].as_str() {
        asks.push(vec!["--country".into(), cc.to_string()]);
    }
    let mut compared = 0;
    for period in ["2024-01", "2024-02"] {
        for ask in &asks {
            let mut with_period: Vec<&str> = ask.iter().map(String::as_str).collect();
            with_period.extend(["--period", period]);
            let a = report(&sqlite, &with_period);
            let b = report(&ch, &with_period);
            assert_eq!(
                a, b,
                "report {with_period:?} differs between SQLite and ClickHouse"
            );
            compared += 1;
        }
    }
    assert!(compared >= 6);

    // The same API documents and dashboard pages from either store.
    let (s, c) = (Server::start(&sqlite, None), Server::start(&ch, None));
    let asn = busy_asn(&s);
    let paths = [
        "/api/v1/periods".to_string(),
        "/api/v1/global".to_string(),
        "/api/v1/global?period=2024-01".to_string(),
        format!("/api/v1/asn/{asn}"),
        format!("/api/v1/asn/{asn}/history"),
        format!("/api/v1/asn/{asn}/prefixes?limit=5&offset=2"),
        format!("/api/v1/incidents?asn={asn}"),
        "/api/v1/incidents?type=hijack&limit=3".to_string(),
        "/api/v1/region/ripencc".to_string(),
        format!("/api/v1/search?q={asn}"),
        "/api/v1/search?q=10.0.0.0/8".to_string(),
        "/".to_string(),
        format!("/asn/{asn}"),
        "/region/ripencc".to_string(),
    ];
    for p in &paths {
        let (a, b) = (get(&s, p), get(&c, p));
        assert_eq!(a.0, b.0, "{p}: status differs");
        assert_eq!(a.1, b.1, "{p}: body differs between SQLite and ClickHouse");
    }
    drop((s, c));

    // Every table exports to the same CSV from either store.
    for table in ["periods", "cards", "rollups", "incidents", "routes"] {
        let a = run_ok(&["export", "--store", &sqlite, "--table", table]).0;
        let b = run_ok(&["export", "--store", &ch, "--table", table]).0;
        assert!(a.lines().count() > 1, "{table}: nothing exported");
        assert_eq!(
            a, b,
            "export of {table} differs between SQLite and ClickHouse"
        );
    }

    // The history holds both periods; a missing ClickHouse database is named as missing.
    let history: Value = serde_json::from_str(
        &get(
            &Server::start(&ch, None),
            &format!("/api/v1/asn/{asn}/history"),
        )
        .1,
    )
    .unwrap();
    assert_eq!(
        history["periods"].as_array().map(Vec::len),
        Some(2),
        "{history}"
    );
    let out = routenorms(&[
        "report",
        "--store",
        &format!("clickhouse://{server}/rn_absent_{}", std::process::id()),
        "--global",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no store there"), "{err}");
}

/// The DN42 collector's IPv4 and IPv6 RIBs of one day (real data): observed together into
/// SQLite, and as two shards into ClickHouse joined by `routenorms merge`, every stored
/// table, the global report and an ASN's card are identical. Peers that carry both families
/// are counted once across the shards, so the visibility and the scoring really are
/// united by ClickHouse and not added up.
#[test]
fn sharded_and_unsharded_observations_give_the_same_reports() {
    let servers = clickhouse_servers();
    if servers.is_empty() {
        return;
    }
    let Some(data) = routenorms_testsupport::data_dir() else {
        return;
    };
    for (i, server) in servers.iter().enumerate() {
        sharded_parity_on(&data, server, i);
    }
}

fn sharded_parity_on(data: &std::path::Path, server: &str, i: usize) {
    let d = |p: &str| data.join(p).to_str().unwrap().to_string();
    let (v4, v6) = (
        d("mrt/dn42/master4_2021-05-31.mrt.bz2"),
        d("mrt/dn42/master6_2021-05-31.mrt.bz2"),
    );
    let (vrps, irr) = (
        d("rpki/dn42-export-20210531.json"),
        d("irr/dn42-registry-20220128.rpsl"),
    );
    let (sqlite, ch) = stores("shards", server, i);
    let observe = |store: &str, mrt: &[&str], shard: Option<&str>| {
        let mut args = vec![
            "observe",
            "--no-progress",
            "--period",
            "2021-05",
            "--store",
            store,
            "--vrps",
            &vrps,
            "--irr",
            &irr,
            "--mrt",
        ];
        args.extend(mrt);
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        let out = routenorms(&args);
        // The DN42 ROA export has three defective entries: reported, skipped (exit 2).
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    observe(&sqlite, &[&v4, &v6], None);
    // The IPv4 shard twice: a rerun replaces the shard's part, it does not add to it.
    observe(&ch, &[&v4], Some("ipv4"));
    observe(&ch, &[&v4], Some("ipv4"));
    let said = observe(&ch, &[&v6], Some("ipv6"));
    assert!(said.contains("routenorms merge"), "{said}");
    let (_, merged) = run_ok(&["merge", "--store", &ch, "--period", "2021-05"]);
    assert!(merged.contains("2 shards (ipv4, ipv6)"), "{merged}");

    let whole: Value = serde_json::from_str(&report(&sqlite, &["--global"])).unwrap();
    assert!(whole["routes"].as_u64().unwrap() > 1000, "{whole}");
    assert!(whole["asns_scored"].as_u64().unwrap() > 100, "{whole}");
    let culprit = whole["top_incidents"][0]["culprit"].to_string();
    for ask in [&["--global"][..], &["--asn", &culprit][..]] {
        let (a, b) = (report(&sqlite, ask), report(&ch, ask));
        assert_eq!(
            a, b,
            "report {ask:?} differs between the whole and the sharded run"
        );
    }
    for table in ["cards", "rollups", "incidents", "routes"] {
        let a = run_ok(&["export", "--store", &sqlite, "--table", table]).0;
        let b = run_ok(&["export", "--store", &ch, "--table", table]).0;
        assert!(a.lines().count() > 1, "{table}: nothing exported");
        assert_eq!(
            a, b,
            "{table} differs between the whole and the sharded run"
        );
    }

    // Errors: a shard needs ClickHouse; a period without shards cannot be joined.
    let out = routenorms(&[
        "observe",
        "--no-progress",
        "--store",
        &sqlite,
        "--vrps",
        &vrps,
        "--irr",
        &irr,
        "--mrt",
        &v4,
        "--shard",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a ClickHouse store"), "{err}");
    let out = routenorms(&["merge", "--store", &ch, "--period", "1999-01"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no shards stored for period 1999-01"), "{err}");
}

/// Every input of the simulated Internet (updates, relationships, ASPA, cones, RIR
/// statistics, PeeringDB, Spoofer) observed as one shard and joined by `merge` gives what
/// the unsharded run gives: the join's paths for leaks, ASPA verdicts, incidents of every
/// kind and the per-ASN contexts (M5, M6, country, region, cone) are all exercised.
#[test]
fn one_shard_with_every_input_joins_into_the_unsharded_result() {
    for (i, server) in clickhouse_servers().iter().enumerate() {
        let (sqlite, ch) = stores("one_shard", server, i);
        observe(&sqlite, "2024-01");
        let mut args = sim_observe_args(&ch, true);
        args.extend(["--period", "2024-01", "--shard", "all"].map(String::from));
        run_args(&args);
        let (_, said) = run_ok(&["merge", "--store", &ch, "--period", "2024-01"]);
        assert!(said.contains("1 shard (all)"), "{said}");
        let global: Value = serde_json::from_str(&report(&sqlite, &["--global"])).unwrap();
        for key in ["route_leak", "hijack", "bogon_prefix", "bogon_asn"] {
            assert!(
                global["incidents"][key].as_u64().unwrap() > 0,
                "no {key}: {global}"
            );
        }
        assert!(global["aspa"]["valid"].as_u64().unwrap() > 0, "{global}");
        assert_eq!(report(&sqlite, &["--global"]), report(&ch, &["--global"]));
        for table in ["cards", "rollups", "incidents", "routes"] {
            let a = run_ok(&["export", "--store", &sqlite, "--table", table]).0;
            let b = run_ok(&["export", "--store", &ch, "--table", table]).0;
            assert_eq!(
                a, b,
                "{table} differs between the whole run and its one shard"
            );
        }
    }
}

/// The simulated Internet sharded the way operators would: one shard per collector (its
/// RIBs and its updates), joined by `merge`. Routes, visibility, every card's scores, the
/// roll-ups and the incidents (their times, weights, peers, accomplices, event counts)
/// equal the unsharded run's. What may differ is which of several same-second candidates an
/// event names: the AS path it shows as evidence when two collectors saw it begin in the
/// same second, and the peer whose withdrawal darkened a prefix when the last ones went in
/// the same second (the whole run names the one it read first, the join the first shard's).
#[test]
fn one_shard_per_collector_joins_into_the_unsharded_result() {
    for (i, server) in clickhouse_servers().iter().enumerate() {
        let (sqlite, ch) = stores("collectors", server, i);
        observe(&sqlite, "2024-01");
        // Every argument but the routing data, then each collector's RIBs and updates.
        let all = sim_observe_args(&ch, true);
        let mut common: Vec<String> = Vec::new();
        let mut files: Vec<String> = Vec::new();
        let mut flag = String::new();
        for a in &all[1..] {
            if a.starts_with("--") {
                flag = a.clone();
                if flag != "--mrt" && flag != "--updates" {
                    common.push(a.clone());
                }
            } else if flag == "--mrt" || flag == "--updates" {
                files.push(a.clone());
            } else {
                common.push(a.clone());
            }
        }
        let collectors: std::collections::BTreeSet<String> = files
            .iter()
            .map(|f| {
                f.split("/mrt/")
                    .nth(1)
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert!(collectors.len() >= 2, "{collectors:?}");
        for c in &collectors {
            let mine = |kind: &str| -> Vec<String> {
                files
                    .iter()
                    .filter(|f| f.contains(&format!("/mrt/{c}/")))
                    .filter(|f| f.contains("updates") == (kind == "updates"))
                    .cloned()
                    .collect()
            };
            let mut args = vec!["observe".to_string()];
            args.extend(common.iter().cloned());
            args.push("--mrt".into());
            args.extend(mine("rib"));
            let updates = mine("updates");
            if !updates.is_empty() {
                args.push("--updates".into());
                args.extend(updates);
            }
            args.extend(["--period", "2024-01", "--shard", c].map(String::from));
            run_args(&args);
        }
        run_ok(&["merge", "--store", &ch, "--period", "2024-01"]);
        let whole =
            without_evidence_paths(serde_json::from_str(&report(&sqlite, &["--global"])).unwrap());
        let joined =
            without_evidence_paths(serde_json::from_str(&report(&ch, &["--global"])).unwrap());
        let (mut w, mut j) = (whole.clone(), joined.clone());
        // The inputs are listed collector by collector in the join.
        w["inputs"] = Value::Null;
        j["inputs"] = Value::Null;
        assert_eq!(w, j, "global report");
        assert!(whole["incidents"]["hijack"].as_u64().unwrap() > 0);
        assert_eq!(
            run_ok(&["export", "--store", &sqlite, "--table", "routes"]).0,
            run_ok(&["export", "--store", &ch, "--table", "routes"]).0
        );
        assert_eq!(
            run_ok(&["export", "--store", &sqlite, "--table", "rollups"]).0,
            run_ok(&["export", "--store", &ch, "--table", "rollups"]).0
        );
        for (table, column) in [("cards", 8), ("incidents", 9)] {
            let docs = |store: &str| -> Vec<Value> {
                csv_rows(&run_ok(&["export", "--store", store, "--table", table]).0)
                    .iter()
                    .skip(1)
                    .map(|r| without_evidence_paths(serde_json::from_str(&r[column]).unwrap()))
                    .collect()
            };
            assert_eq!(docs(&sqlite), docs(&ch), "{table}");
        }
    }
}

/// `v` without the same-second choices (see above): any event's evidence path and its
/// ONLY_TO_CUSTOMER value, and the peer list of outage events.
fn without_evidence_paths(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(e)) = m.get_mut("evidence") {
                    e.remove("path");
                    e.remove("only_to_customer");
                }
                if m.get("kind").and_then(Value::as_str) == Some("outage")
                    && m.contains_key("from_start")
                {
                    m.remove("peers");
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// The rows of RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
