use super::sqlite::MIGRATIONS;
use super::*;
use rusqlite::Connection;
use std::path::Path;

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("routenorms-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("store.db")
}

fn loc(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fresh store location per backend: a SQLite file, and a new database on each ClickHouse
/// server.
fn locations(name: &str) -> Vec<String> {
    let mut out = vec![loc(&temp_path(name)).to_string()];
    for (i, server) in routenorms_testsupport::clickhouse_servers()
        .iter()
        .enumerate()
    {
        let db = format!("rn_test_{}_{name}_{i}", std::process::id());
        drop_clickhouse_database(server, &db);
        out.push(format!("clickhouse://{server}/{db}"));
    }
    out
}

fn drop_clickhouse_database(server: &str, db: &str) {
    use std::io::Write;
    let sql = format!("DROP DATABASE IF EXISTS {db}");
    let mut c = std::net::TcpStream::connect(server).expect("connect to ClickHouse");
    write!(
        c,
        "POST / HTTP/1.1\r\nHost: {server}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{sql}",
        sql.len()
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut c, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A period whose report names its version and how many cards it has, so a reader can tell
/// a torn write from a whole one.
fn period(name: &str, version: u32, cards: u32) -> PeriodData {
    PeriodData {
        period: name.to_string(),
        created_at: "2026-12-07T00:00:00Z".to_string(),
        report: format!("{{\"version\":{version},\"cards\":{cards}}}"),
        cards: (0..cards)
            .map(|i| CardRow {
                asn: 64_500 + i,
                name: Some(format!("NET-{i}")),
                country: Some(if i % 2 == 0 { "NL" } else { "BR" }.to_string()),
                region: Some("RIPE NCC".to_string()),
                scored: i % 3 != 0,
                ready: i % 5 == 0,
                routes: i as u64,
                card: format!("{{\"asn\":{},\"version\":{version}}}", 64_500 + i),
            })
            .collect(),
        rollups: vec![
            RollupRow {
                scope: "global".into(),
                key: String::new(),
                rollup: format!("{{\"version\":{version}}}"),
            },
            RollupRow {
                scope: "country".into(),
                key: "NL".into(),
                rollup: "{}".into(),
            },
        ],
        incidents: vec![
            IncidentRow {
                id: 1,
                metric: "hijack".into(),
                kind: "moas".into(),
                culprit: 64_501,
                accomplices: vec![64_502, 64_503],
                start: 100,
                end: 200,
                weight: 1.0,
                incident: "{\"id\":1}".into(),
            },
            IncidentRow {
                id: 2,
                metric: "route_leak".into(),
                kind: "route_leak".into(),
                culprit: 64_503,
                accomplices: vec![],
                start: 300,
                end: 400,
                weight: 2.0,
                incident: "{\"id\":2}".into(),
            },
        ],
        routes: vec![RouteRow {
            origin: 64_501,
            prefix: "192.0.2.0/24".into(),
            peers: 7,
            peer_asns: 6,
            rpki: Some("invalid".into()),
            irr: Some("match".into()),
            bogon_prefix: true,
            bogon_asn: false,
            leakers: String::new(),
        }],
    }
}

#[test]
fn a_new_store_gets_the_current_schema_and_keeps_what_was_written() {
    for p in locations("reopen") {
        let mut s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        s.replace_period(&period("2026-10", 1, 4)).unwrap();
        drop(s);
        let s = Store::open_existing(&p).unwrap();
        assert_eq!(s.periods().unwrap(), ["2026-10"]);
        assert_eq!(
            s.report("2026-10").unwrap().as_deref(),
            Some("{\"version\":1,\"cards\":4}")
        );
        assert_eq!(
            s.card("2026-10", 64_501)
                .unwrap()
                .unwrap()
                .country
                .as_deref(),
            Some("BR")
        );
        assert!(s.card("2026-10", 1).unwrap().is_none());
        assert_eq!(
            s.routes("2026-10", 64_501, Page::default()).unwrap().len(),
            1
        );
    }
}

#[test]
fn rewriting_a_period_replaces_it_and_keeps_the_others() {
    for p in locations("replace") {
        let mut s = Store::open(&p).unwrap();
        s.replace_period(&period("2026-10", 1, 6)).unwrap();
        s.replace_period(&period("2026-11", 1, 6)).unwrap();
        s.replace_period(&period("2026-11", 2, 3)).unwrap();
        assert_eq!(s.periods().unwrap(), ["2026-10", "2026-11"]);
        assert_eq!(s.latest_period().unwrap().as_deref(), Some("2026-11"));
        let all = CardFilter::default();
        assert_eq!(s.cards("2026-11", &all, Page::default()).unwrap().len(), 3);
        assert_eq!(s.cards("2026-10", &all, Page::default()).unwrap().len(), 6);
        let history = s.card_history(64_500).unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[1].1.card.contains("\"version\":2"));
    }
}

#[test]
fn card_listings_filter_by_country_region_and_scoring_and_page() {
    for p in locations("cards") {
        let mut s = Store::open(&p).unwrap();
        s.replace_period(&period("2026-11", 1, 10)).unwrap();
        let nl = CardFilter {
            country: Some("NL".into()),
            ..CardFilter::default()
        };
        let asns: Vec<u32> = s
            .cards("2026-11", &nl, Page::default())
            .unwrap()
            .iter()
            .map(|c| c.asn)
            .collect();
        assert_eq!(asns, [64_500, 64_502, 64_504, 64_506, 64_508]);
        let scored = CardFilter {
            scored_only: true,
            ..CardFilter::default()
        };
        assert_eq!(
            s.cards("2026-11", &scored, Page::default()).unwrap().len(),
            6
        );
        let page = Page {
            limit: 2,
            offset: 3,
        };
        let asns: Vec<u32> = s
            .cards("2026-11", &CardFilter::default(), page)
            .unwrap()
            .iter()
            .map(|c| c.asn)
            .collect();
        assert_eq!(asns, [64_503, 64_504]);
        assert_eq!(s.rollups("2026-11", "country").unwrap()[0].key, "NL");
        assert_eq!(
            s.rollup("2026-11", "global", "").unwrap().as_deref(),
            Some("{\"version\":1}")
        );
    }
}

#[test]
fn incidents_are_found_through_culprit_or_accomplice_metric_and_time() {
    for p in locations("incidents") {
        let mut s = Store::open(&p).unwrap();
        s.replace_period(&period("2026-11", 1, 2)).unwrap();
        let ids = |f: IncidentFilter| -> Vec<u64> {
            s.incidents("2026-11", &f, Page::default())
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect()
        };
        // Heaviest first.
        assert_eq!(ids(IncidentFilter::default()), [2, 1]);
        // 64503 is accomplice of 1 and culprit of 2; 64502 only accomplice of 1.
        assert_eq!(
            ids(IncidentFilter {
                asn: Some(64_503),
                ..Default::default()
            }),
            [2, 1]
        );
        assert_eq!(
            ids(IncidentFilter {
                asn: Some(64_502),
                ..Default::default()
            }),
            [1]
        );
        assert_eq!(
            ids(IncidentFilter {
                metric: Some("hijack".into()),
                ..Default::default()
            }),
            [1]
        );
        assert_eq!(
            ids(IncidentFilter {
                from: Some(250),
                to: Some(1000),
                ..Default::default()
            }),
            [2]
        );
        let one = &s
            .incidents("2026-11", &IncidentFilter::default(), Page::default())
            .unwrap()[1];
        assert_eq!(one.accomplices, [64_502, 64_503]);
    }
}

#[test]
fn reading_a_missing_store_says_so_on_either_backend() {
    let p = temp_path("missing");
    match Store::open_existing(loc(&p)) {
        Err(StoreError::Missing { .. }) => {}
        other => panic!("expected Missing, got {other:?}"),
    }
    assert!(!p.exists(), "reading must not create a store");
    // Nothing listens on port 1: the message says so instead of hanging or panicking.
    match Store::open("clickhouse://127.0.0.1:1/routenorms") {
        Err(e @ StoreError::ClickHouse { .. }) => {
            assert!(e.to_string().contains("cannot connect"), "{e}")
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    for server in routenorms_testsupport::clickhouse_servers() {
        let db = format!("rn_test_{}_absent", std::process::id());
        drop_clickhouse_database(&server, &db);
        match Store::open_existing(&format!("clickhouse://{server}/{db}")) {
            Err(StoreError::Missing { .. }) => {}
            other => panic!("expected Missing, got {other:?}"),
        }
    }
}

#[test]
fn a_store_from_a_newer_build_is_refused() {
    let p = temp_path("newer");
    drop(Store::open(loc(&p)).unwrap());
    let c = Connection::open(&p).unwrap();
    c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(c);
    match Store::open_existing(loc(&p)) {
        Err(StoreError::NewerSchema { found, .. }) => assert_eq!(found, SCHEMA_VERSION + 1),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let p = temp_path("garbage");
    std::fs::write(&p, b"this is not an SQLite database, just text").unwrap();
    assert!(matches!(
        Store::open_existing(loc(&p)),
        Err(StoreError::Sqlite { .. })
    ));
}

/// The child side of the kill test: rewrites one period forever, alternating two versions
/// of different sizes. Runs only when the parent test starts it.
#[test]
#[ignore = "started by killed_writer_leaves_a_whole_period"]
fn writer_child() {
    let Ok(path) = std::env::var("ROUTENORMS_STORE_KILL_TEST") else {
        return;
    };
    let mut s = Store::open(&path).unwrap();
    let mut v = 2;
    loop {
        s.replace_period(&period(
            "2026-11",
            v,
            if v % 2 == 0 { 20_000 } else { 7_000 },
        ))
        .unwrap();
        v += 1;
    }
}

/// kill -9 of a writer in the middle of its transactions leaves a store that opens and holds
/// one whole version of the period (the report's card count equals the stored cards), and
/// the other periods untouched.
#[test]
fn killed_writer_leaves_a_whole_period() {
    for p in locations("kill") {
        let mut s = Store::open(&p).unwrap();
        s.replace_period(&period("2026-10", 1, 5)).unwrap();
        s.replace_period(&period("2026-11", 1, 5)).unwrap();
        drop(s);
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "tests::writer_child", "--ignored", "--nocapture"])
            .env("ROUTENORMS_STORE_KILL_TEST", &p)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it once it has committed at least one rewrite (polled, so a slow machine does
        // not make the test vacuous), while it is busy with the next ones.
        let started = std::time::Instant::now();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let version = Store::open_existing(&p)
                .ok()
                .and_then(|s| s.report("2026-11").ok().flatten())
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
                .and_then(|r| r["version"].as_u64())
                .unwrap_or(0);
            if version >= 2 || started.elapsed().as_secs() > 60 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let s = Store::open_existing(&p).unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&s.report("2026-11").unwrap().unwrap()).unwrap();
        let cards = s
            .cards(
                "2026-11",
                &CardFilter::default(),
                Page {
                    limit: MAX_PAGE,
                    offset: 0,
                },
            )
            .unwrap()
            .len() as u64;
        let declared = report["cards"].as_u64().unwrap();
        // MAX_PAGE caps the listing; count past it with a second page.
        let more = s
            .cards(
                "2026-11",
                &CardFilter::default(),
                Page {
                    limit: MAX_PAGE,
                    offset: MAX_PAGE as u64,
                },
            )
            .unwrap()
            .len() as u64;
        assert_eq!(cards + more, declared, "torn period: {report}");
        // The child did write (else this test proves nothing).
        assert!(
            report["version"].as_u64().unwrap() >= 2,
            "the writer never committed: {report}"
        );
        assert_eq!(
            s.cards("2026-10", &CardFilter::default(), Page::default())
                .unwrap()
                .len(),
            5
        );
    }
}

#[test]
fn a_store_of_an_older_schema_is_migrated_when_opened() {
    let p = temp_path("migrate");
    let c = Connection::open(&p).unwrap();
    c.execute_batch(MIGRATIONS[0]).unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
    drop(c);
    let s = Store::open_existing(loc(&p)).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    let indexes: u32 = Connection::open(&p)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'routes_prefix'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 1);
}

#[test]
fn names_are_searched_with_the_users_wildcards_taken_literally() {
    for p in locations("search") {
        let mut s = Store::open(&p).unwrap();
        let mut data = period("2026-11", 1, 12);
        data.cards[3].name = Some("100%_REAL".into());
        s.replace_period(&data).unwrap();
        let names = |q: &str| -> Vec<u32> {
            s.cards_named("2026-11", q, Page::default())
                .unwrap()
                .iter()
                .map(|c| c.asn)
                .collect()
        };
        assert_eq!(names("net-1"), [64_501, 64_510, 64_511]);
        assert_eq!(names("%_"), [64_503]);
        assert_eq!(names("_"), [64_503]);
        assert!(names("nothing").is_empty());
        assert_eq!(
            s.routes_with_prefix("2026-11", "192.0.2.0/24").unwrap()[0].origin,
            64_501
        );
    }
}

#[test]
fn offending_routes_are_the_flagged_ones_most_visible_first() {
    for p in locations("offending") {
        let mut s = Store::open(&p).unwrap();
        let mut data = period("2026-11", 1, 3);
        let route = |prefix: &str, peers: u32| RouteRow {
            origin: 64_501,
            prefix: prefix.into(),
            peers,
            peer_asns: 1,
            rpki: Some("valid".into()),
            irr: Some("match".into()),
            bogon_prefix: false,
            bogon_asn: false,
            leakers: String::new(),
        };
        data.routes = vec![
            route("10.0.0.0/8", 50),
            RouteRow {
                irr: Some("not-registered".into()),
                ..route("198.51.100.0/24", 3)
            },
            RouteRow {
                leakers: "64502".into(),
                ..route("203.0.113.0/24", 9)
            },
            RouteRow {
                rpki: Some("invalid".into()),
                ..route("192.0.2.0/24", 9)
            },
            RouteRow {
                irr: None,
                rpki: None,
                ..route("100.64.0.0/10", 1)
            },
        ];
        s.replace_period(&data).unwrap();
        let (top, total) = s.offending_routes("2026-11", 64_501, 2).unwrap();
        let prefixes: Vec<&str> = top.iter().map(|r| r.prefix.as_str()).collect();
        assert_eq!(
            (prefixes, total),
            (vec!["192.0.2.0/24", "203.0.113.0/24"], 3),
            "{p}"
        );
        assert_eq!(s.offending_routes("2026-11", 1, 10).unwrap().1, 0);
    }
}

#[test]
fn a_clickhouse_store_from_a_newer_build_is_refused() {
    for server in routenorms_testsupport::clickhouse_servers() {
        a_clickhouse_store_from_a_newer_build_is_refused_on(&server);
    }
}

fn a_clickhouse_store_from_a_newer_build_is_refused_on(server: &str) {
    let db = format!("rn_test_{}_newer", std::process::id());
    drop_clickhouse_database(server, &db);
    let at = format!("clickhouse://{server}/{db}");
    drop(Store::open(&at).unwrap());
    let ch = ClickHouseLocation::parse(&at).unwrap().unwrap();
    let store = super::clickhouse::ClickHouseStore::open(ch, false).unwrap();
    store.execute_for_test(&format!(
        "INSERT INTO {db}.schema_version (version) VALUES ({})",
        SCHEMA_VERSION + 1
    ));
    match Store::open_existing(&at) {
        Err(StoreError::NewerSchema { found, .. }) => assert_eq!(found, SCHEMA_VERSION + 1),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn every_route_of_a_period_is_listed_page_after_page() {
    for p in locations("routes_after") {
        let mut s = Store::open(&p).unwrap();
        let mut data = period("2026-11", 1, 2);
        // Every field varied: a column written or read in the wrong place shows.
        data.routes = (0..150u32)
            .map(|i| RouteRow {
                origin: 64_500 + i % 3,
                prefix: format!("10.{i}.0.0/16"),
                peers: i,
                peer_asns: i / 2,
                rpki: (i % 4 != 0)
                    .then(|| ["valid", "invalid", "not-found"][i as usize % 3].into()),
                irr: (i % 5 != 0).then(|| "match".into()),
                bogon_prefix: i % 7 == 0,
                bogon_asn: i % 11 == 0,
                leakers: if i % 2 == 0 {
                    String::new()
                } else {
                    format!("{i},{}", i + 1)
                },
            })
            .collect();
        s.replace_period(&data).unwrap();
        let mut seen = Vec::new();
        let mut after: Option<(u32, String)> = None;
        loop {
            let page = s
                .routes_after("2026-11", after.as_ref().map(|(o, p)| (*o, p.as_str())), 16)
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.origin, last.prefix.clone()));
            seen.extend(page);
        }
        let mut expected = data.routes.clone();
        expected.sort_by(|a, b| (a.origin, &a.prefix).cmp(&(b.origin, &b.prefix)));
        assert_eq!(seen, expected, "{p}");
    }
}

/// Two shards that share a peer and a route: ClickHouse unites them (the shared peer and
/// route count once), computes the per-ASN figures over both, and a shard written again
/// replaces its earlier part.
#[test]
fn shards_are_united_not_added_by_the_database() {
    for server in routenorms_testsupport::clickhouse_servers() {
        shards_are_united_not_added_by_the_database_on(&server);
    }
}

fn shards_are_united_not_added_by_the_database_on(server: &str) {
    let db = format!("rn_test_{}_shards", std::process::id());
    drop_clickhouse_database(server, &db);
    let mut s = Store::open(&format!("clickhouse://{server}/{db}")).unwrap();
    let route = |prefix: &str, key: &str, peers: Vec<u64>, rpki: &str| ShardRoute {
        prefix: prefix.into(),
        prefix_key: key.into(),
        origin: Some(64_500),
        peer_asns: peers.iter().map(|p| *p as u32 % 2 + 1).collect(),
        peers,
        paths: vec![(7 << 2) | 1],
        rpki: Some(rpki.into()),
        rpki_reason: (rpki == "invalid").then(|| "as".to_string()),
        irr: Some("match".into()),
        irr_registered: true,
        ..ShardRoute::default()
    };
    let shard = |name: &str, routes: Vec<ShardRoute>, peers: Vec<u64>| ShardData {
        period: "2026-11".into(),
        shard: name.into(),
        meta: format!("{{\"name\":\"{name}\"}}"),
        peers,
        routes,
        events: vec![format!("{{\"from\":\"{name}\"}}")],
        contexts: vec![(64_500, "{}".into())],
        ..ShardData::default()
    };
    // A first version of shard b, replaced below.
    s.write_shard(&shard(
        "b",
        vec![route("10.9.0.0/16", "k9", vec![9], "valid")],
        vec![9],
    ))
    .unwrap();
    s.write_shard(&shard(
        "a",
        vec![
            route("10.0.0.0/16", "k0", vec![1, 2], "valid"),
            route("10.1.0.0/16", "k1", vec![1], "invalid"),
        ],
        vec![1, 2],
    ))
    .unwrap();
    s.write_shard(&shard(
        "b",
        vec![route("10.0.0.0/16", "k0", vec![2, 3], "valid")],
        vec![2, 3],
    ))
    .unwrap();
    assert_eq!(s.shards("2026-11").unwrap(), ["a", "b"]);
    let m = s.merge_shards("2026-11", 10).unwrap();
    assert_eq!(m.shards.len(), 2);
    assert_eq!(m.summary.routes, 2, "the shared route counts once");
    assert_eq!(m.summary.peers, 3, "peers 1, 2, 3 over both shards");
    assert_eq!((m.summary.valid, m.summary.invalid), (1, 1));
    assert_eq!(m.summary.aspa_valid, 2, "one valid path per route");
    let a = &m.asns[0];
    assert_eq!(
        (a.asn, a.peers, a.routes, a.valid, a.invalid),
        (64_500, 3, 2, 1, 1)
    );
    assert_eq!(a.irr_registered, 2);
    assert_eq!(m.invalid_examples.len(), 1);
    assert_eq!(m.invalid_examples[0].reason.as_deref(), Some("as"));
    assert_eq!(m.events.len(), 2);
    assert!(!m.events.iter().any(|e| e.contains("k9")));
    // The period's routes come from the shards, united.
    s.replace_period_from_shards(&period("2026-11", 1, 1))
        .unwrap();
    let routes = s.routes("2026-11", 64_500, Page::default()).unwrap();
    let seen: Vec<(&str, u32)> = routes
        .iter()
        .map(|r| (r.prefix.as_str(), r.peers))
        .collect();
    assert_eq!(seen, [("10.0.0.0/16", 3), ("10.1.0.0/16", 1)]);
    // SQLite has no shards: said plainly.
    let mut lite = Store::open(loc(&temp_path("noshards"))).unwrap();
    match lite.write_shard(&shard("a", vec![], vec![])) {
        Err(e @ StoreError::NeedsClickHouse { .. }) => assert!(e.to_string().contains("--shard")),
        other => panic!("expected NeedsClickHouse, got {other:?}"),
    }
}
