//! `routenorms sim generate`: the files it writes are read identically by Debian's bgpdump
//! and by routenorms' own reader, every RIB path is valley-free unless a leak was planted on
//! its prefix, and every incident shows in the files the ground truth names, as often as it
//! says; `sim evaluate` scores the observatory's detectors against that ground truth.

mod common;

use common::{routenorms, run_ok};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("routenorms-cli-sim-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const INCIDENTS: &str =
    "moas=1,subprefix=1,forged-origin=1,leak=6,bogon=2,bogon-asn=1,invalid=2,outage=2";

fn generate(dir: &TempDir, seed: &str) -> serde_json::Value {
    run_ok(&[
        "sim",
        "generate",
        "--out",
        dir.s(),
        "--seed",
        seed,
        "--ases",
        "500",
        "--prefixes",
        "4000",
        "--prefixes6",
        "800",
        "--peers",
        "16",
        "--collectors",
        "3",
        "--incidents",
        INCIDENTS,
    ]);
    serde_json::from_slice(&std::fs::read(dir.0.join("manifest.json")).unwrap()).unwrap()
}

fn mrt_files(dir: &Path, manifest: &serde_json::Value) -> Vec<(PathBuf, serde_json::Value)> {
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["format"] == "mrt")
        .map(|f| (dir.join(f["path"].as_str().unwrap()), f.clone()))
        .collect()
}

fn our_lines(path: &Path) -> Vec<String> {
    let (out, _) = run_ok(&["mrt", "dump", "-m", path.to_str().unwrap()]);
    out.lines().map(str::to_owned).collect()
}

/// Every MRT file (RIBs before and after, updates; gzip and bzip2) is read by bgpdump without
/// a complaint, with exactly as many lines as routenorms' reader prints and the manifest
/// counts; the lines themselves are identical.
#[test]
fn every_mrt_file_is_read_by_bgpdump_and_by_routenorms_alike() {
    let Some(bgpdump) = routenorms_testsupport::tool("bgpdump") else {
        return;
    };
    let dir = TempDir::new("bgpdump");
    let m = generate(&dir, "7");
    let files = mrt_files(&dir.0, &m);
    assert_eq!(files.len(), 9);
    assert!(files.iter().any(|f| f.1["compression"] == "bzip2"));
    for (path, meta) in files {
        let out = Command::new(&bgpdump)
            .args(["-q", "-m"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.trim().is_empty(), "{}: {stderr}", path.display());
        let theirs: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let ours = our_lines(&path);
        assert_eq!(
            theirs.len() as u64,
            meta["count"].as_u64().unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(ours, theirs, "{}", path.display());
    }
}

/// Relationships from the generated as-rel file: (a, b) → -1 when a is b's provider, 0 peers.
fn relationships(dir: &Path) -> BTreeMap<(u32, u32), i8> {
    let f = std::fs::read_dir(dir.join("topology"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("as-rel.txt"))
        .unwrap();
    let mut m = BTreeMap::new();
    for l in std::fs::read_to_string(f)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let p: Vec<&str> = l.split('|').collect();
        let (a, b, r): (u32, u32, i8) = (
            p[0].parse().unwrap(),
            p[1].parse().unwrap(),
            p[2].parse().unwrap(),
        );
        m.insert((a, b), r);
        m.insert((b, a), if r == 0 { 0 } else { 1 });
    }
    m
}

/// Valley-free from the origin: up (customer to provider)*, at most one peer hop, down*.
fn valley_free(rel: &BTreeMap<(u32, u32), i8>, path: &[u32]) -> Result<(), String> {
    let mut hops: Vec<u32> = path.to_vec();
    hops.dedup();
    let mut descending = false;
    for w in hops.windows(2).rev() {
        let (receiver, sender) = (w[0], w[1]);
        match rel.get(&(receiver, sender)) {
            Some(-1) if !descending => {} // receiver is the sender's provider: up
            Some(0) if !descending => descending = true,
            Some(1) => descending = true, // receiver is the sender's customer: down
            Some(_) => return Err(format!("valley at {sender}->{receiver}")),
            None => return Err(format!("no link {sender}-{receiver}")),
        }
    }
    Ok(())
}

fn fields(line: &str) -> Vec<&str> {
    line.split('|').collect()
}

fn path_of(line: &str) -> Vec<u32> {
    fields(line)[6]
        .split(' ')
        .map(|a| a.parse().unwrap())
        .collect()
}

/// Every AS path in every RIB and update file follows a real link at each hop and is
/// valley-free, except on prefixes where the ground truth planted a leak (not valley-free by
/// design) or a forged/bogon origin (a link that does not exist); and on the prefix of every
/// leak of types 1-4 at least one path is not.
#[test]
fn every_path_is_valley_free_unless_an_incident_was_planted_on_its_prefix() {
    let dir = TempDir::new("valley");
    let m = generate(&dir, "8");
    let rel = relationships(&dir.0);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("ground-truth.json")).unwrap()).unwrap();
    let mut exempt = BTreeSet::new();
    let mut leaks = BTreeSet::new();
    for inc in truth["incidents"].as_array().unwrap() {
        let class = inc["class"].as_str().unwrap();
        if class.starts_with("leak") && class != "leak5" && class != "leak6"
            || class == "forged-origin"
            || class == "bogon-asn"
        {
            for p in inc["prefixes"].as_array().unwrap() {
                exempt.insert(p.as_str().unwrap().to_string());
                if class.starts_with("leak") {
                    leaks.insert(p.as_str().unwrap().to_string());
                }
            }
        }
    }
    let mut checked = 0;
    let mut leak_violations = BTreeSet::new();
    for (path, _) in mrt_files(&dir.0, &m) {
        for line in our_lines(&path) {
            let f = fields(&line);
            if f[2] == "W" {
                continue;
            }
            let verdict = valley_free(&rel, &path_of(&line));
            if exempt.contains(f[5]) {
                if verdict.is_err() && leaks.contains(f[5]) {
                    leak_violations.insert(f[5].to_string());
                }
                continue;
            }
            assert!(
                verdict.is_ok(),
                "{}: {line}: {}",
                path.display(),
                verdict.unwrap_err()
            );
            checked += 1;
        }
    }
    assert!(checked > 50_000, "{checked} paths checked");
    // Each leak of types 1-4 is seen through its leak hop (not only from the leaker's
    // customers, which get the same route as without the leak).
    assert_eq!(
        leak_violations, leaks,
        "leaks seen only as valley-free paths"
    );
}

/// Each ground-truth `visible_in` claim holds: the named file has exactly that many entries
/// for the incident's prefixes through the culprit's announced path (or withdrawals, or
/// entries missing from the after RIB for outages); every incident is visible somewhere.
#[test]
fn every_planted_incident_is_visible_where_the_ground_truth_says() {
    let dir = TempDir::new("visible");
    let m = generate(&dir, "9");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("ground-truth.json")).unwrap()).unwrap();
    let incidents = truth["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 16);
    let mut cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut lines = |rel: &str| -> Vec<String> {
        cache
            .entry(rel.to_string())
            .or_insert_with(|| our_lines(&dir.0.join(rel)))
            .clone()
    };
    for inc in incidents {
        let visible = inc["visible_in"].as_array().unwrap();
        assert!(!visible.is_empty(), "{} is visible nowhere", inc["id"]);
        let prefixes: BTreeSet<&str> = inc["prefixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let announced: Vec<u32> = inc["announced_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_u64().unwrap() as u32)
            .collect();
        for v in visible {
            let file = v["file"].as_str().unwrap();
            let want = v["entries"].as_u64().unwrap();
            let of_prefix = |l: &&String| prefixes.contains(fields(l)[5]);
            let got = match v["how"].as_str().unwrap() {
                "announced" => lines(file)
                    .iter()
                    .filter(of_prefix)
                    .filter(|l| fields(l)[2] != "W" && path_of(l).ends_with(&announced))
                    .count() as u64,
                "withdrawn" => lines(file)
                    .iter()
                    .filter(of_prefix)
                    .filter(|l| fields(l)[2] == "W")
                    .count() as u64,
                "absent" => {
                    let collector = file.split('/').nth(1).unwrap();
                    let before = m["files"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|f| f["kind"] == "rib-before" && f["collector"] == collector)
                        .unwrap()["path"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    let b = lines(&before).iter().filter(of_prefix).count() as u64;
                    let a = lines(file).iter().filter(of_prefix).count() as u64;
                    b - a
                }
                other => panic!("unknown visibility {other}"),
            };
            assert_eq!(got, want, "{} ({}) in {file}", inc["id"], inc["class"]);
        }
    }
}

const EVAL_SIZES: [&str; 8] = [
    "--ases",
    "500",
    "--prefixes",
    "4000",
    "--prefixes6",
    "800",
    "--peers",
    "16",
];

/// `sim evaluate` over three seeds: every planted class is found with no false positive
/// (precision and recall 1, the issue 6 target being 0.99), type-6 leaks as new
/// more-specifics; every metric's culprit and accomplice are right (outages name no
/// accomplice: null), and the table prints the same.
#[test]
fn evaluate_finds_every_planted_incident_a_detector_covers_and_nothing_else() {
    let mut args = vec![
        "sim",
        "evaluate",
        "--seeds",
        "3",
        "--first-seed",
        "5",
        "--format",
        "json",
    ];
    args.extend(EVAL_SIZES);
    let (out, _) = run_ok(&args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    println!(
        "{}",
        serde_json::to_string(&(&v["classes"], &v["metrics"])).unwrap()
    );
    assert_eq!(
        (v["seeds"].as_u64(), v["first_seed"].as_u64()),
        (Some(3), Some(5))
    );
    let classes = v["classes"].as_object().unwrap();
    for class in [
        "moas",
        "subprefix",
        "forged-origin",
        "leak1",
        "leak2",
        "leak3",
        "leak4",
        "leak5",
        "leak6",
        "bogon",
        "bogon-asn",
        "invalid",
        "outage",
    ] {
        let c = &classes[class];
        assert_eq!(c["planted"], 3, "{class}");
        assert_eq!(c["detector"], true, "{class}");
        assert_eq!(
            (&c["true_positives"], &c["false_positives"], &c["detected"]),
            (&3.into(), &0.into(), &3.into()),
            "{class}"
        );
        assert_eq!(
            (c["precision"].as_f64(), c["recall"].as_f64()),
            (Some(1.0), Some(1.0))
        );
    }
    assert_eq!(classes["leak"]["planted"], 18);
    let metrics = v["metrics"].as_object().unwrap();
    for (metric, planted, unscored) in [
        ("route_leak", 12, 0),
        ("hijack", 12, 0),
        ("bogon_prefix", 3, 0),
        ("bogon_asn", 3, 0),
        ("rpki_invalid", 3, 0),
        ("more_specific", 3, 0),
        ("outage", 3, 0),
    ] {
        let m = &metrics[metric];
        assert_eq!(
            (
                &m["planted"],
                &m["planted_without_detector"],
                &m["detected"]
            ),
            (&planted.into(), &unscored.into(), &planted.into()),
            "{metric}"
        );
        for f in [
            "culprit_precision",
            "culprit_recall",
            "accomplice_precision",
            "accomplice_recall",
        ] {
            if metric == "outage" && f.starts_with("accomplice") {
                assert!(m[f].is_null(), "{metric} {f}");
            } else {
                assert_eq!(m[f].as_f64(), Some(1.0), "{metric} {f}");
            }
        }
    }
    assert_eq!(v["false_positives"], serde_json::json!([]));
    assert_eq!(v["misses"], serde_json::json!([]));

    let mut args = vec!["sim", "evaluate", "--seeds", "1", "--first-seed", "5"];
    args.extend(EVAL_SIZES);
    let (table, _) = run_ok(&args);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("moas"), "moas 1 1 1 0 1.000 1.000");
    assert_eq!(row("leak6"), "leak6 1 1 1 0 1.000 1.000");
    assert_eq!(
        row("more_specific"),
        "more_specific 1 1 1 1.000 1.000 1.000 1.000"
    );
    assert_eq!(row("M1"), "M1 route_leak 4 4 4 1.000 1.000 1.000 1.000");
    assert_eq!(row("outage"), "outage 1 1 1 0 1.000 1.000");
    // The metric row of outages (after the class row of the same name): no accomplice.
    assert!(
        table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .any(|l| l == "outage 1 1 1 1.000 1.000 - -"),
        "{table}"
    );
}

/// The issue 6 acceptance: over 20 seeds, precision and recall of every planted class
/// (each has a detector) and the culprit precision and recall of every metric (MANRS M1–M4, and the
/// reported rpki_invalid, more_specific and outage) are at least 0.99. Prints the table.
#[test]
fn over_twenty_seeds_every_class_and_metric_scores_at_least_0_99() {
    let mut args = vec![
        "sim",
        "evaluate",
        "--seeds",
        "20",
        "--first-seed",
        "1",
        "--incidents",
        INCIDENTS,
        "--format",
        "json",
    ];
    args.extend(EVAL_SIZES);
    let (out, _) = run_ok(&args);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seeds"], 20);
    let fig = |x: &serde_json::Value| x.as_f64().map_or("-".to_string(), |f| format!("{f:.3}"));
    println!("class          planted  tp  fp  precision  recall");
    let mut bad = Vec::new();
    for (class, c) in v["classes"].as_object().unwrap() {
        println!(
            "{class:<14} {:>7} {:>3} {:>3} {:>10} {:>7}",
            c["planted"],
            c["true_positives"],
            c["false_positives"],
            fig(&c["precision"]),
            fig(&c["recall"]),
        );
        assert_eq!(c["detector"], true, "{class} has a detector");
        assert!(c["planted"].as_u64().unwrap() >= 20, "{class}");
        for f in ["precision", "recall"] {
            if c[f].as_f64().is_none_or(|x| x < 0.99) {
                bad.push(format!("{class} {f}"));
            }
        }
    }
    println!("metric         planted  culprit P  culprit R  accomplice P  accomplice R");
    let metrics = v["metrics"].as_object().unwrap();
    assert_eq!(metrics.len(), 7);
    for (metric, m) in metrics {
        println!(
            "{metric:<14} {:>7} {:>10} {:>10} {:>13} {:>13}",
            m["planted"],
            fig(&m["culprit_precision"]),
            fig(&m["culprit_recall"]),
            fig(&m["accomplice_precision"]),
            fig(&m["accomplice_recall"]),
        );
        assert!(m["planted"].as_u64().unwrap() >= 20, "{metric}");
        for f in ["culprit_precision", "culprit_recall"] {
            if m[f].as_f64().is_none_or(|x| x < 0.99) {
                bad.push(format!("{metric} {f}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "below 0.99: {bad:?}; false positives {} misses {}",
        v["false_positives"],
        v["misses"]
    );
}

/// `--keep DIR` leaves each seed's generated directory in DIR/seed-S.
#[test]
fn evaluate_keeps_the_generated_directories_when_asked() {
    let dir = TempDir::new("keep");
    let mut args = vec![
        "sim",
        "evaluate",
        "--seeds",
        "1",
        "--first-seed",
        "2",
        "--keep",
        dir.s(),
    ];
    args.extend(EVAL_SIZES);
    run_ok(&args);
    assert!(dir.0.join("seed-2/ground-truth.json").is_file());
    assert!(dir.0.join("seed-2/manifest.json").is_file());
}

/// A malformed incident spec is a usage error (exit 1) naming the option.
#[test]
fn a_bad_incident_spec_is_a_usage_error() {
    let dir = TempDir::new("bad");
    let out = routenorms(&[
        "sim",
        "generate",
        "--out",
        dir.s(),
        "--incidents",
        "hijack=1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--incidents"));
}
