//! `routenorms observe`, `report` and `demo` end to end: report shapes pinned by golden files
//! on a simulated Internet, figures on real data recomputed independently (from Debian's
//! `bgpdump` and the VRP JSON read here), and the errors an operator sees for missing or
//! damaged inputs.

mod common;

use common::sim::{run_args, sim_dir, sim_observe_args};
use common::{golden, routenorms, run_ok};
use routenorms_testsupport::{data_dir, tool};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "routenorms-observe-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The simulated store, observed once with every input.
fn sim_store() -> &'static str {
    static STORE: OnceLock<String> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = sim_dir().parent().unwrap().join("full.db");
        let store = store.to_str().unwrap().to_string();
        run_args(&sim_observe_args(&store, true));
        store
    })
}

/// Makes a report independent of where the test ran: the data directory becomes `$DATA`,
/// and dates taken from file modification times become `$MTIME`.
fn normalize(mut doc: Value) -> String {
    if let Some(inputs) = doc["inputs"].as_array_mut() {
        for i in inputs {
            if i["note"]
                .as_str()
                .is_some_and(|n| n.contains("modification time"))
            {
                i["date"] = "$MTIME".into();
            }
        }
    }
    serde_json::to_string_pretty(&doc)
        .unwrap()
        .replace(sim_dir().to_str().unwrap(), "$DATA")
        + "\n"
}

#[test]
fn global_report_json_has_the_documented_shape() {
    let (out, _) = run_ok(&[
        "report",
        "--store",
        sim_store(),
        "--global",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    for key in [
        "inputs",
        "asns_scored",
        "rpki",
        "irr",
        "bogon_prefixes",
        "bogon_asns",
        "incidents",
    ] {
        assert!(!doc[key].is_null(), "missing {key}");
    }
    for k in ["valid", "invalid", "not_found"] {
        assert!(doc["rpki"][k].is_u64());
    }
    let kinds: BTreeSet<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert!(i["date"].is_string(), "input without date: {i}");
            i["kind"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "asrel",
            "cones",
            "irr",
            "peeringdb",
            "rib",
            "rir",
            "spoofer",
            "updates",
            "vrps"
        ])
    );
    golden("report-global.json", &normalize(doc));
}

#[test]
fn asn_report_json_has_scores_labels_and_evidence() {
    // AS38703 originates a planted MOAS hijack in seed 1 and is the accomplice of a bogon
    // prefix announcement.
    let (out, _) = run_ok(&[
        "report",
        "--store",
        sim_store(),
        "--asn",
        "AS38703",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["asn"], 38703);
    assert_eq!(doc["period"], "2024-01");
    for action in ["filtering", "anti_spoofing", "coordination", "validation"] {
        assert!(doc["actions"][action]["label"].is_string());
        assert!(!doc["actions"][action].get("score").unwrap().is_array());
    }
    for m in [
        "M1", "M1C", "M2", "M2C", "M3", "M3C", "M4", "M4C", "M5", "M6", "M7IRR", "M7RPKI",
    ] {
        let metric = &doc["metrics"][m];
        assert!(
            metric.get("value").is_some() && metric.get("evidence").is_some(),
            "{m}"
        );
    }
    assert!(doc["metrics"]["M2"]["value"].as_f64().unwrap() > 0.0);
    assert!(doc["metrics"]["M3C"]["value"].as_f64().unwrap() > 0.0);
    golden("report-asn.json", &normalize(doc));
}

#[test]
fn country_region_csv_and_table_reports_print() {
    let (out, _) = run_ok(&[
        "report",
        "--store",
        sim_store(),
        "--region",
        "RIPE NCC",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["scope"], "region");
    assert!(!doc["asn_list"].as_array().unwrap().is_empty());
    let (csv, _) = run_ok(&[
        "report",
        "--store",
        sim_store(),
        "--asn",
        "38703",
        "--format",
        "csv",
    ]);
    assert!(csv.starts_with("field,value\n"));
    assert!(csv.contains("\nmetrics.M7RPKI.value,"));
    let (table, _) = run_ok(&["report", "--store", sim_store(), "--global"]);
    assert!(table.contains("RPKI (routes): valid"));
    let cc = routenorms(&["report", "--store", sim_store(), "--country", "ZZ"]);
    assert_eq!(cc.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cc.stderr).contains("country ZZ"));
}

#[test]
fn absent_optional_inputs_make_their_metrics_no_data_never_zero() {
    let dir = temp_dir("minimal");
    let store = dir.join("min.db");
    let store = store.to_str().unwrap();
    run_args(&sim_observe_args(store, false));
    let (out, _) = run_ok(&[
        "report", "--store", store, "--asn", "38703", "--format", "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    // No Spoofer file: M5 and the anti-spoofing action have no data.
    assert!(doc["metrics"]["M5"]["value"].is_null());
    assert!(doc["metrics"]["M5"]["no_data"].is_string());
    assert_eq!(doc["actions"]["anti_spoofing"]["label"], "no_data");
    assert!(doc["actions"]["anti_spoofing"]["score"].is_null());
    let (out, _) = run_ok(&["report", "--store", store, "--global", "--format", "json"]);
    let g: Value = serde_json::from_str(&out).unwrap();
    assert!(g["scores"]["actions"]["anti_spoofing"]["unweighted"].is_null());
    assert!(
        g["leaking_routes"].is_null(),
        "no relationships: leaks are unknown, not 0"
    );
}

#[test]
fn rerunning_a_period_replaces_it_and_a_new_period_accumulates() {
    let dir = temp_dir("periods");
    let store = dir.join("p.db");
    let store = store.to_str().unwrap().to_string();
    let mut args = sim_observe_args(&store, false);
    run_args(&args);
    run_args(&args);
    args.extend(["--period".into(), "2024-02".into()]);
    run_args(&args);
    let out = routenorms(&[
        "report", "--store", &store, "--global", "--format", "json", "--period", "2024-01",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let (latest, _) = run_ok(&["report", "--store", &store, "--global", "--format", "json"]);
    let latest: Value = serde_json::from_str(&latest).unwrap();
    assert_eq!(latest["period"], "2024-02");
    let missing = routenorms(&[
        "report", "--store", &store, "--global", "--period", "2023-12",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("2024-01, 2024-02"));
}

#[test]
fn missing_and_damaged_inputs_are_named_with_what_is_wrong() {
    let dir = temp_dir("errors");
    let store = dir.join("e.db");
    let store = store.to_str().unwrap().to_string();
    let base = sim_observe_args(&store, false);
    let with = |flag: &str, value: &str| -> String {
        let mut a = base.clone();
        let i = a.iter().position(|x| x == flag).unwrap();
        a[i + 1] = value.to_string();
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = routenorms(&refs);
        assert_eq!(out.status.code(), Some(1), "{flag} {value} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let missing = dir.join("no-such-vrps.json");
    let err = with("--vrps", missing.to_str().unwrap());
    assert!(
        err.contains("--vrps") && err.contains("no-such-vrps.json"),
        "{err}"
    );
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, b"{\"roas\": [ {\"asn\": \"x\"").unwrap();
    let err = with("--vrps", garbage.to_str().unwrap());
    assert!(err.contains("garbage.json"), "{err}");
    let empty = dir.join("empty.rpsl");
    std::fs::write(&empty, b"\n\n").unwrap();
    let err = with("--irr", empty.to_str().unwrap());
    assert!(
        err.contains("empty.rpsl") && err.contains("no RPSL objects"),
        "{err}"
    );
    let not_mrt = dir.join("not.mrt");
    std::fs::write(&not_mrt, b"this is text, not MRT").unwrap();
    let err = with("--mrt", not_mrt.to_str().unwrap());
    assert!(err.contains("not.mrt"), "{err}");
    let mut a = base.clone();
    a.extend(["--period".into(), "2024-13".into()]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = routenorms(&refs);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--period 2024-13"));
    assert!(
        !Path::new(&store).exists()
            || routenorms(&["report", "--store", &store, "--global"])
                .status
                .code()
                == Some(1)
    );
}

#[test]
fn demo_runs_offline_and_prints_the_global_report() {
    let dir = temp_dir("demo");
    let (out, err) = run_ok(&[
        "demo",
        "--seed",
        "2",
        "--out",
        dir.to_str().unwrap(),
        "--no-progress",
        "--no-serve",
    ]);
    assert!(out.contains("routenorms global report"), "{out}");
    assert!(out.contains("MANRS-ready"));
    assert!(err.contains("routenorms report --store"), "{err}");
}

// ----- real data: figures recomputed independently -----

/// RFC 6811 over a VRP list, written here without the project's code: VRPs by (family,
/// length, network bits), addresses left-aligned in a u128.
struct Vrps(HashMap<(bool, u8, u128), Vec<(u32, u8)>>);

fn parse_prefix(s: &str) -> (bool, u128, u8) {
    let (addr, len) = s.split_once('/').unwrap();
    let len: u8 = len.parse().unwrap();
    match addr.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(a) => (false, (u32::from(a) as u128) << 96, len),
        std::net::IpAddr::V6(a) => (true, u128::from(a), len),
    }
}

fn mask(bits: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - len as u32))
    }
}

impl Vrps {
    fn read(path: &Path) -> Vrps {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let mut map: HashMap<(bool, u8, u128), Vec<(u32, u8)>> = HashMap::new();
        for r in doc["roas"].as_array().unwrap() {
            let asn = match &r["asn"] {
                Value::Number(n) => n.as_u64().unwrap() as u32,
                Value::String(s) => s.trim_start_matches("AS").parse().unwrap(),
                other => panic!("asn {other}"),
            };
            let (v6, bits, len) = parse_prefix(r["prefix"].as_str().unwrap());
            let max = r["maxLength"].as_u64().unwrap() as u8;
            map.entry((v6, len, mask(bits, len)))
                .or_default()
                .push((asn, max));
        }
        Vrps(map)
    }

    /// 0 valid, 1 invalid, 2 not found.
    fn state(&self, prefix: &str, origin: u32) -> usize {
        let (v6, bits, len) = parse_prefix(prefix);
        let mut covered = false;
        for l in 0..=len {
            if let Some(list) = self.0.get(&(v6, l, mask(bits, l))) {
                covered = true;
                if list
                    .iter()
                    .any(|&(a, max)| a == origin && a != 0 && len <= max)
                {
                    return 0;
                }
            }
        }
        if covered {
            1
        } else {
            2
        }
    }
}

/// Observes the real data set, then checks against figures recomputed from `bgpdump -m`
/// (Debian's reference MRT reader) and the VRP JSON: the RPKI valid/invalid/not-found counts
/// over every distinct (prefix, origin), the AS_SET routes counted apart, and the number of
/// ASNs scored (origins seen by at least 5 distinct peer ASNs).
#[test]
fn real_data_report_agrees_with_independent_recomputation() {
    let Some(data) = data_dir() else { return };
    let Some(bgpdump) = tool("bgpdump") else {
        return;
    };
    let d = |p: &str| data.join(p).to_str().unwrap().to_string();
    let rib = d("mrt/bgpdump/bview.20020722.2337.gz");
    let vrps = d("rpki/rpki-client-ripe-prepdev-20230504.json.gz");
    let dir = temp_dir("real");
    let store = dir.join("real.db");
    let store = store.to_str().unwrap().to_string();
    let args = [
        "observe",
        "--no-progress",
        "--store",
        &store,
        "--mrt",
        &rib,
        "--updates",
        &d("mrt/bgpdump/updates.20020722.2238.gz"),
        "--vrps",
        &vrps,
        "--irr",
        &d("irr/ripe-aut-num-AS3257.rpsl"),
        "--asrel",
        &d("asrel/20180101.as-rel.txt"),
        "--cones",
        &d("asrel/20160101.ppdc-ases.txt"),
        "--rir",
        &d("rir/delegated-afrinic-extended-latest"),
        &d("rir/delegated-lacnic-extended-latest"),
        &d("rir/delegated-iana-latest"),
        "--bogons",
        &d("bogons/fullbogons-ipv4.txt"),
        &d("bogons/fullbogons-ipv6.txt"),
        "--peeringdb",
        &d("peeringdb/prod-anon-net-page-1.json"),
        &d("peeringdb/prod-anon-org-page-1.json"),
        &d("peeringdb/prod-anon-poc-page-1.json"),
    ];
    let out = routenorms(&args);
    // The IANA file has one damaged line (reported, skipped): exit code 2, results stored.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("delegated-iana-latest: line 1007"));
    let (report, _) = run_ok(&["report", "--store", &store, "--global", "--format", "json"]);
    let g: Value = serde_json::from_str(&report).unwrap();

    let dump = std::process::Command::new(bgpdump)
        .args(["-m", &rib])
        .output()
        .unwrap();
    assert!(dump.status.success());
    let text = String::from_utf8(dump.stdout).unwrap();
    let mut routes: BTreeSet<(String, u32)> = BTreeSet::new();
    let mut as_set: BTreeSet<(String, String)> = BTreeSet::new();
    let mut seen_by: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let (peer_as, prefix, path) = (f[4].parse::<u32>().unwrap(), f[5], f[6]);
        let last = path.split(' ').next_back().unwrap();
        if last.starts_with('{') {
            as_set.insert((prefix.to_string(), last.to_string()));
            continue;
        }
        let origin: u32 = last.parse().unwrap();
        routes.insert((prefix.to_string(), origin));
        seen_by.entry(origin).or_default().insert(peer_as);
    }
    let vrps = Vrps::read(Path::new(&vrps));
    let mut states = [0u64; 3];
    for (p, o) in &routes {
        states[vrps.state(p, *o)] += 1;
    }
    let scored = seen_by.values().filter(|peers| peers.len() >= 5).count() as u64;
    println!(
        "recomputed: routes {} (+{} AS_SET), rpki valid {} invalid {} not found {}, scored {}",
        routes.len(),
        as_set.len(),
        states[0],
        states[1],
        states[2],
        scored
    );
    assert_eq!(g["routes"], routes.len() as u64);
    assert_eq!(g["as_set_routes"], as_set.len() as u64);
    assert_eq!(g["rpki"]["valid"], states[0]);
    assert_eq!(g["rpki"]["invalid"], states[1]);
    assert_eq!(g["rpki"]["not_found"], states[2]);
    assert_eq!(g["asns_scored"], scored);
    // The report names every input with its kind and date.
    assert_eq!(g["inputs"].as_array().unwrap().len(), 14);
}

/// kill -9 of `routenorms observe` at several moments of a rerun leaves a store that opens
/// and reports one whole state: the previous one, or the new one if the rerun had finished
/// (told apart by the number of ASNs scored: the simulation has 20 collector peers, so
/// `--min-peers 50` scores none).
#[test]
fn killing_observe_mid_run_leaves_the_previous_state() {
    let dir = temp_dir("kill");
    let store = dir.join("k.db");
    let store = store.to_str().unwrap().to_string();
    let base = sim_observe_args(&store, true);
    run_args(&base);
    let report = |s: &str| -> Value {
        let (out, _) = run_ok(&["report", "--store", s, "--global", "--format", "json"]);
        serde_json::from_str(&out).unwrap()
    };
    let before = report(&store)["asns_scored"].as_u64().unwrap();
    let mut rerun = base.clone();
    rerun.extend(["--min-peers".into(), "50".into()]);
    let mut seen_previous = 0;
    for delay_ms in [30u64, 150, 400, 700, 1000] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_routenorms"))
            .args(&rerun)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let g = report(&store);
        let scored = g["asns_scored"].as_u64().unwrap();
        let (out, _) = run_ok(&[
            "report", "--store", &store, "--region", "arin", "--format", "json",
        ]);
        let region: Value = serde_json::from_str(&out).unwrap();
        assert!(!region["asn_list"].as_array().unwrap().is_empty());
        assert!(
            scored == before || scored == 0,
            "torn state: {scored} scored"
        );
        if finished {
            assert_eq!(scored, 0);
        } else if scored == before {
            seen_previous += 1;
        }
        // Put the previous state back for the next round.
        run_args(&base);
    }
    assert!(
        seen_previous > 0,
        "no kill landed before the rerun finished"
    );
}
