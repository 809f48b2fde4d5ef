//! `routenorms rov` and `routenorms validate` on hand-written VRPs and routes (golden files in
//! `tests/golden/`, `UPDATE_GOLDEN=1` rewrites them), and on the DN42 data of 2021-05-31.

mod common;

use common::{golden, routenorms, run_ok};
use routenorms_testsupport::data_dir;
use std::path::PathBuf;

const VRPS: &str = "\
ASN,IP Prefix,Max Length,Trust Anchor
AS64496,192.0.2.0/24,24,test
AS64497,198.51.100.0/22,24,test
AS0,203.0.113.0/24,24,test
AS64498,2001:db8::/32,48,test
AS64499,10.0.0.0/33,33,test
";

const ROUTES: &str = "\
# prefix origin
192.0.2.0/24 64496
192.0.2.0/25 AS64496
198.51.100.0/24,64497
198.51.100.0/24,64496
203.0.113.0/24 64500
2001:db8:1::/48 64498
2001:db8:1:1::/64 64498
192.168.0.0/16 64496
";

fn files() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("routenorms-rov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (v, r) = (dir.join("vrps.csv"), dir.join("routes.txt"));
    std::fs::write(&v, VRPS).unwrap();
    std::fs::write(&r, ROUTES).unwrap();
    (v, r)
}

#[test]
fn rov_prints_one_row_per_route_in_each_format_and_a_summary() {
    let (v, r) = files();
    let (v, r) = (v.to_str().unwrap(), r.to_str().unwrap());
    for (format, name) in [
        ("csv", "rov.csv"),
        ("jsonl", "rov.jsonl"),
        ("table", "rov.txt"),
    ] {
        let (out, err) = run_ok(&["rov", "--vrps", v, "--routes", r, "--format", format]);
        golden(name, &out);
        assert!(
            err.contains("line 6: rejected"),
            "the bad VRP is reported: {err}"
        );
        assert!(err.contains("4 VRPs"), "{err}");
        assert!(
            err.contains("IPv4: 6 routes: valid 2 (33.3%), invalid-as 2 (33.3%), invalid-length 1 (16.7%), not-found 1 (16.7%)"),
            "{err}"
        );
    }
    let (json, _) = run_ok(&["rov", "--vrps", v, "--routes", r, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["routes"].as_array().unwrap().len(), 8);
    assert_eq!(doc["summary"]["ipv6"]["invalid_length"], 1);
}

#[test]
fn validate_explains_the_verdict() {
    let (v, _) = files();
    let v = v.to_str().unwrap();
    let (out, _) = run_ok(&["validate", "192.0.2.0/25", "AS64496", "--vrps", v]);
    golden("validate.txt", &out);
    let (out, _) = run_ok(&[
        "validate",
        "203.0.113.0/24",
        "0",
        "--vrps",
        v,
        "--format",
        "jsonl",
    ]);
    assert!(out.contains(r#""state":"invalid","reason":"as""#), "{out}");
}

#[test]
fn a_bad_route_line_is_a_usage_error_with_its_line_number() {
    let (v, _) = files();
    let dir = v.parent().unwrap().join("bad-routes.txt");
    std::fs::write(&dir, "192.0.2.0/24 64496\n192.0.2.0/24\n").unwrap();
    let out = routenorms(&[
        "rov",
        "--vrps",
        v.to_str().unwrap(),
        "--routes",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-routes.txt:2"));
}

#[test]
fn rov_of_the_dn42_ribs_against_the_same_day_roas() {
    // PROVENANCE.md: 1,180 distinct pairs, 994 valid, 174 invalid, 12 not-found.
    let Some(data) = data_dir() else { return };
    let mrt = data.join("mrt/dn42");
    let (m4, m6) = (
        mrt.join("master4_2021-05-31.mrt.bz2"),
        mrt.join("master6_2021-05-31.mrt.bz2"),
    );
    let vrps = data.join("rpki/dn42-export-20210531.json");
    let (out, err) = run_ok(&[
        "rov",
        "--vrps",
        vrps.to_str().unwrap(),
        "--mrt",
        m4.to_str().unwrap(),
        m6.to_str().unwrap(),
    ]);
    assert_eq!(out.lines().count(), 1 + 1_180);
    let count = |s: &str| {
        out.lines()
            .filter(|l| l.split(',').nth(2) == Some(s))
            .count()
    };
    assert_eq!(
        (count("valid"), count("invalid"), count("not-found")),
        (994, 174, 12)
    );
    assert!(err.contains("roas[101]: rejected"), "{err}");
}

#[test]
fn vrps_diff_lists_one_sided_vrps_and_the_verdicts_they_change() {
    let (v, r) = files();
    let b = v.parent().unwrap().join("vrps-b.csv");
    // B: 198.51.100.0/22 moved to another AS, and one VRP added.
    let text = VRPS.replace("AS64497,198.51.100.0/22", "AS64501,198.51.100.0/22")
        + "AS64496,192.168.0.0/16,16,test\n";
    std::fs::write(&b, text).unwrap();
    let (v, b, r) = (
        v.to_str().unwrap(),
        b.to_str().unwrap(),
        r.to_str().unwrap(),
    );
    let (out, err) = run_ok(&["vrps", "diff", v, b, "--routes", r, "--format", "csv"]);
    golden("vrps-diff.csv", &out);
    assert!(err.contains("1 VRPs only in A, 2 only in B"), "{err}");
    let (table, _) = run_ok(&["vrps", "diff", v, b]);
    assert!(
        table.contains("vrp-only-in-b    198.51.100.0/22-24 AS64501"),
        "{table}"
    );
}

/// The sample dump of `routenorms_mrt::write` with ASPAs: the rows keep their five columns
/// and gain the ASPA counts over each route's distinct paths. 64511 lists its neighbour
/// 64496 (Valid); a path ending in an AS_SET is Invalid; two-hop paths are Valid under the
/// downstream procedure whatever the ASPAs say (the origin may be a customer of a peer of
/// the collector's peer).
#[test]
fn rov_with_aspa_adds_the_path_verdict_counts_per_route() {
    let dir = std::env::temp_dir().join(format!("routenorms-rov-aspa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mrt, vrps, aspa) = (
        dir.join("sample.mrt"),
        dir.join("vrps.csv"),
        dir.join("aspa.json"),
    );
    std::fs::write(&mrt, routenorms_mrt::write::sample()).unwrap();
    std::fs::write(&vrps, "asn,prefix,max_length\n64511,198.51.100.0/24,24\n").unwrap();
    std::fs::write(
        &aspa,
        r#"{"roas": [], "aspas": [
            {"customer_asid": 64511, "providers": [64496]},
            {"customer_asid": 65550, "providers": [64999]}]}"#,
    )
    .unwrap();
    let args = |format: &'static str| {
        vec![
            "rov".to_owned(),
            "--vrps".into(),
            vrps.display().to_string(),
            "--aspa".into(),
            aspa.display().to_string(),
            "--mrt".into(),
            mrt.display().to_string(),
            "--format".into(),
            format.into(),
        ]
    };
    let run = |format| {
        let a = args(format);
        run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (csv, err) = run("csv");
    assert_eq!(
        csv,
        "prefix,origin,state,reason,covering,aspa_valid,aspa_unknown,aspa_invalid\n\
         198.51.100.0/24,NONE,invalid,as,198.51.100.0/24-24 AS64511,0,0,1\n\
         198.51.100.0/24,64511,valid,,198.51.100.0/24-24 AS64511,1,0,0\n\
         198.51.100.0/25,65550,invalid,as,198.51.100.0/24-24 AS64511,1,0,0\n\
         2001:db8:1000::/36,64500,not-found,,,1,0,0\n\
         2001:db8:2000::/40,4200000000,not-found,,,1,0,0\n"
    );
    assert!(
        err.contains("ASPA (2 ASPAs; downstream procedure, the collector's peer as provider): 5 route paths: valid 4 (80.0%), unknown 0 (0.0%), invalid 1 (20.0%); 1 routes with an invalid path, 4 with only valid paths"),
        "{err}"
    );
    let (json, _) = run("json");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["summary"]["aspa"]["paths"]["invalid"], 1);
    assert_eq!(doc["routes"][0]["aspa"]["invalid"], 1);
    // Without --aspa the rows are exactly the first five columns.
    let (plain, _) = run_ok(&[
        "rov",
        "--vrps",
        vrps.to_str().unwrap(),
        "--mrt",
        mrt.to_str().unwrap(),
    ]);
    let cut: String = csv
        .lines()
        .map(|l| l.splitn(6, ',').take(5).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    assert_eq!(plain, cut);
    // --aspa needs paths, so MRT input.
    let out = routenorms(&[
        "rov",
        "--vrps",
        vrps.to_str().unwrap(),
        "--aspa",
        aspa.to_str().unwrap(),
        "--routes",
        vrps.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(dir);
}

/// The DN42 RIBs with an ASPA for every AS they show, each declaring no providers (AS0):
/// every hop is then "not provider", so by the downstream procedure a path is Valid when it
/// has at most two ASes after collapsing prepends and Invalid otherwise (and with an AS_SET).
/// The counts per route are checked against that rule computed here from the paths, and the
/// five ROV columns are those of a run without --aspa.
#[test]
fn rov_with_aspa_on_the_dn42_ribs_follows_the_no_provider_rule() {
    use routenorms_types::SegmentKind;
    let Some(data) = data_dir() else { return };
    let mrt = data.join("mrt/dn42");
    let (m4, m6) = (
        mrt.join("master4_2021-05-31.mrt.bz2"),
        mrt.join("master6_2021-05-31.mrt.bz2"),
    );
    let vrps = data.join("rpki/dn42-export-20210531.json");
    let mut rp = routenorms_mrt::paths::route_paths(&m4, 2).unwrap();
    rp.extend(routenorms_mrt::paths::route_paths(&m6, 2).unwrap());
    let mut asns: Vec<u32> = rp
        .paths
        .iter()
        .flat_map(|p| p.segments.iter().flat_map(|s| s.asns.iter().map(|a| a.0)))
        .collect();
    asns.sort_unstable();
    asns.dedup();
    let dir = std::env::temp_dir().join(format!("routenorms-rov-dn42-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let aspa = dir.join("aspa.json");
    let entries: Vec<String> = asns
        .iter()
        .map(|a| format!(r#"{{"customer_asid": {a}, "providers": [0]}}"#))
        .collect();
    std::fs::write(
        &aspa,
        format!(r#"{{"roas": [], "aspas": [{}]}}"#, entries.join(",")),
    )
    .unwrap();
    let (m4, m6, vrps, aspa) = (
        m4.to_str().unwrap(),
        m6.to_str().unwrap(),
        vrps.to_str().unwrap(),
        aspa.to_str().unwrap(),
    );
    let (with, err) = run_ok(&["rov", "--vrps", vrps, "--aspa", aspa, "--mrt", m4, m6]);
    let (without, _) = run_ok(&["rov", "--vrps", vrps, "--mrt", m4, m6]);
    assert_eq!(with.lines().count(), 1 + 1_180);
    let valid_by_rule = |p: &routenorms_types::AsPath| {
        let mut hops: Vec<u32> = Vec::new();
        for s in &p.segments {
            match s.kind {
                SegmentKind::Sequence => hops.extend(s.asns.iter().map(|a| a.0)),
                SegmentKind::ConfedSequence => {}
                _ => return false,
            }
        }
        hops.dedup();
        !hops.is_empty() && hops.len() <= 2
    };
    let mut invalid_paths = 0;
    for ((line, plain), (_, ids)) in with
        .lines()
        .skip(1)
        .zip(without.lines().skip(1))
        .zip(&rp.routes)
    {
        let f: Vec<&str> = line.rsplitn(4, ',').collect();
        assert_eq!(f[3], plain, "the ROV columns are unchanged");
        let valid = ids
            .iter()
            .filter(|&&i| valid_by_rule(&rp.paths[i as usize]))
            .count();
        let expected = format!("{},0,{}", valid, ids.len() - valid);
        assert_eq!(format!("{},{},{}", f[2], f[1], f[0]), expected, "{line}");
        invalid_paths += ids.len() - valid;
    }
    assert!(invalid_paths > 100, "{invalid_paths}");
    assert!(err.contains(&format!("{} ASPAs", asns.len())), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
