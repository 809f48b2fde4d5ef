//! The `routenorms` command line on the project's own sample dump: every output format against
//! its golden file, exit codes, standard input. Golden files live in `tests/golden/`; run with
//! `UPDATE_GOLDEN=1` to rewrite them after an intended change, and review the diff.

mod common;

use common::{golden, lines, routenorms, run_ok};
use routenorms_testsupport::tool;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn sample_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("routenorms-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn stdout_of(args: &[&str]) -> String {
    run_ok(args).0
}

#[test]
fn dump_prints_each_output_format_as_its_golden_file() {
    let f = sample_file("sample.mrt", &routenorms_mrt::write::sample());
    let f = f.to_str().unwrap();
    golden("sample.m.txt", &stdout_of(&["mrt", "dump", "-m", f]));
    golden(
        "sample.jsonl",
        &stdout_of(&["mrt", "dump", "--format", "jsonl", f]),
    );
    golden(
        "sample.json",
        &stdout_of(&["mrt", "dump", "--format", "json", f]),
    );
    golden(
        "sample.csv",
        &stdout_of(&["mrt", "dump", "--format", "csv", f]),
    );
    // -m and the default table format are the same thing.
    assert_eq!(
        stdout_of(&["mrt", "dump", f]),
        stdout_of(&["mrt", "dump", "-m", f])
    );
}

#[test]
fn dump_json_is_one_valid_document() {
    let f = sample_file("sample-json.mrt", &routenorms_mrt::write::sample());
    let text = stdout_of(&["mrt", "dump", "--format", "json", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 8);
}

/// Stats minus the fields that measure the run rather than the input.
fn stable_stats(text: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    for f in v.as_array_mut().unwrap() {
        let o = f.as_object_mut().unwrap();
        for k in [
            "wall_seconds",
            "decompressed_mb_per_second",
            "elements_per_second",
            "file",
        ] {
            o.remove(k);
        }
    }
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[test]
fn stats_prints_each_output_format_as_its_golden_file() {
    let f = sample_file("sample-stats.mrt", &routenorms_mrt::write::sample());
    let f = f.to_str().unwrap();
    golden(
        "sample.stats.json",
        &stable_stats(&stdout_of(&["mrt", "stats", "--format", "json", f])),
    );
    let table = stdout_of(&["mrt", "stats", f]);
    let table: String = table
        .lines()
        .skip(1) // the file name
        .filter(|l| !l.contains("wall time") && !l.contains("throughput"))
        .map(|l| format!("{l}\n"))
        .collect();
    golden("sample.stats.txt", &table);
    let csv = stdout_of(&["mrt", "stats", "--format", "csv", f]);
    assert_eq!(csv.lines().count(), 2);
    assert!(csv.starts_with("file,compression,"));
}

#[test]
fn dump_m_of_the_sample_matches_bgpdump() {
    // What this proves: the writer produces records another implementation reads the same way.
    let Some(bgpdump) = tool("bgpdump") else {
        return;
    };
    let f = sample_file("sample-oracle.mrt", &routenorms_mrt::write::sample());
    let theirs = Command::new(bgpdump)
        .args(["-q", "-m"])
        .arg(&f)
        .output()
        .unwrap();
    let ours = routenorms(&["mrt", "dump", "-m", f.to_str().unwrap()]);
    assert_eq!(lines(&ours.stdout), lines(&theirs.stdout));
}

#[test]
fn standard_input_is_read_when_the_file_is_a_dash() {
    let bytes = routenorms_mrt::write::sample();
    let mut child = Command::new(env!("CARGO_BIN_EXE_routenorms"))
        .args(["mrt", "dump", "-m", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&out.stdout).len(), 8);
}

#[test]
fn exit_code_is_2_for_damaged_input_and_every_intact_record_is_printed() {
    let mut bytes = routenorms_mrt::write::sample();
    let garbage_at = bytes.len();
    bytes.extend([0xff; 20]);
    let f = sample_file("damaged.mrt", &bytes);
    let out = routenorms(&["mrt", "dump", "-m", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out.stdout).len(), 8);
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!("damaged input at byte {garbage_at}: undefined MRT type");
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("(20 bytes skipped)"), "{err}");
    let stats = routenorms(&["mrt", "stats", f.to_str().unwrap()]);
    assert_eq!(stats.status.code(), Some(2));
}

#[test]
fn exit_code_is_1_for_usage_and_io_errors() {
    let missing = routenorms(&["mrt", "dump", "/nonexistent/file.mrt"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent/file.mrt"));
    assert_eq!(routenorms(&["mrt", "dump"]).status.code(), Some(1));
    assert_eq!(
        routenorms(&["mrt", "dump", "--format", "yaml", "x"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(routenorms(&["no-such-command"]).status.code(), Some(1));
}

#[test]
fn help_documents_the_exit_codes() {
    let out = routenorms(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 input had damaged records"));
}
