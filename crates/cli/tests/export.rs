//! `routenorms export`: every stored table comes out whole, as CSV (read back with Python's
//! `csv` module) and as Parquet (read back with pyarrow, an independent reader), with row
//! counts equal to what `routenorms report` says the store holds.

mod common;

use common::sim::{run_args, sim_dir, sim_observe_args};
use common::{routenorms, run_ok};
use routenorms_testsupport::in_ci;
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;

/// A store of the simulated Internet with two periods.
fn store() -> &'static str {
    static STORE: OnceLock<String> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = sim_dir().parent().unwrap().join("export.db");
        let store = store.to_str().unwrap().to_string();
        for period in ["2024-01", "2024-02"] {
            let mut args = sim_observe_args(&store, true);
            args.extend(["--period".to_string(), period.to_string()]);
            run_args(&args);
        }
        store
    })
}

fn global() -> Value {
    serde_json::from_str(&run_ok(&["report", "--store", store(), "--global", "--format", "json"]).0)
        .unwrap()
}

/// Runs a Python snippet; `None` (with the reason printed) when Python or the module is
/// missing outside CI.
fn python(code: &str, module: &str) -> Option<String> {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            !in_ci(),
            "CI must have python3 with {module} (.ci/run installs it)"
        );
        eprintln!("skipping: python3 with {module} is not available");
        return None;
    }
    let out = Command::new("python3").args(["-c", code]).output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn csv_export_of_every_table_reads_back_with_the_stored_row_counts() {
    let g = global();
    let dir = sim_dir().parent().unwrap().join("export-csv");
    std::fs::create_dir_all(&dir).unwrap();
    let mut counts = Vec::new();
    for table in ["periods", "cards", "rollups", "incidents", "routes"] {
        let out = dir.join(format!("{table}.csv"));
        run_ok(&[
            "export",
            "--store",
            store(),
            "--table",
            table,
            "--period",
            "2024-02",
            "--out",
            out.to_str().unwrap(),
        ]);
        let n = python(
            &format!(
                "import csv; rows = list(csv.DictReader(open({:?}, newline=''))); print(len(rows))",
                out.to_str().unwrap()
            ),
            "csv",
        );
        counts.push(n.map(|n| n.trim().parse::<u64>().unwrap()));
    }
    if counts.iter().all(Option::is_some) {
        let c: Vec<u64> = counts.into_iter().flatten().collect();
        assert_eq!(c[0], 1);
        assert_eq!(c[1], g["asns_seen"].as_u64().unwrap());
        // The report counts incidents per metric (beside `events_*` and the down-ranked
        // share of the hijacks).
        let incidents: u64 = g["incidents"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("events_") && *k != "hijack_downranked")
            .map(|(_, v)| v.as_u64().unwrap())
            .sum();
        assert_eq!(c[3], incidents);
        assert_eq!(c[4], g["routes"].as_u64().unwrap());
    }
    // Every period by default: twice the rows.
    let (both, _) = run_ok(&["export", "--store", store(), "--table", "routes"]);
    let (one, _) = run_ok(&[
        "export",
        "--store",
        store(),
        "--table",
        "routes",
        "--period",
        "2024-01",
    ]);
    assert_eq!(both.lines().count() - 1, 2 * (one.lines().count() - 1));
}

#[test]
fn parquet_export_reads_back_in_pyarrow_with_types_and_values() {
    let g = global();
    let out = sim_dir().parent().unwrap().join("routes.parquet");
    run_ok(&[
        "export",
        "--store",
        store(),
        "--table",
        "routes",
        "--period",
        "2024-02",
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let Some(answer) = python(
        &format!(
            "import pyarrow.parquet as pq, json\n\
             t = pq.read_table({:?})\n\
             s = {{f.name: str(f.type) for f in t.schema}}\n\
             rpki = t.column('rpki').to_pylist()\n\
             print(json.dumps({{'rows': t.num_rows, 'types': s, \
               'valid': rpki.count('valid'), 'invalid': rpki.count('invalid')}}))",
            out.to_str().unwrap()
        ),
        "pyarrow",
    ) else {
        return;
    };
    let a: Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(a["rows"], g["routes"]);
    assert_eq!(a["types"]["origin"], "uint32");
    assert_eq!(a["types"]["prefix"], "string");
    assert_eq!(a["types"]["bogon_prefix"], "bool");
    assert_eq!(a["valid"], g["rpki"]["valid"]);
    assert_eq!(a["invalid"], g["rpki"]["invalid"]);
}

#[test]
fn export_errors_name_what_is_wrong() {
    let out = routenorms(&[
        "export",
        "--store",
        store(),
        "--table",
        "routes",
        "--period",
        "1999-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no period 1999-01 stored") && err.contains("2024-01"),
        "{err}"
    );
    let out = routenorms(&["export", "--store", "/nonexistent/x.db", "--table", "cards"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store there"));
    let out = routenorms(&["export", "--store", store(), "--table", "nonsense"]);
    assert_eq!(out.status.code(), Some(1));
}
