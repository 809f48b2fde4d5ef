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
    let dir = std::env::temp_dir().join(format!("routenorms-ch-test-{}-{i}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("parity.db").to_str().unwrap().to_string();
    let ch = format!("clickhouse://{server}/rn_parity_{}_{i}", std::process::id());

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
    let dir =
        std::env::temp_dir().join(format!("routenorms-shard-test-{}-{i}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("whole.db").to_str().unwrap().to_string();
    let ch = format!("clickhouse://{server}/rn_shards_{}_{i}", std::process::id());
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
        let dir =
            std::env::temp_dir().join(format!("routenorms-one-shard-{}-{i}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = dir.join("whole.db").to_str().unwrap().to_string();
        let ch = format!(
            "clickhouse://{server}/rn_one_shard_{}_{i}",
            std::process::id()
        );
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
