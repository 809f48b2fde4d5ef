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
