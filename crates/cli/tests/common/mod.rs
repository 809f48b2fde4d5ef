//! Test support for the binary's tests: running it, golden files, and (from
//! `routenorms-testsupport`) the shared data and peer tools.

#![allow(dead_code)]

pub mod server;
pub mod sim;

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `routenorms` binary built for this test run.
pub fn routenorms(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routenorms"))
        .args(args)
        .output()
        .expect("run routenorms")
}

/// Runs the binary, asserts exit code 0, and returns stdout and stderr.
pub fn run_ok(args: &[&str]) -> (String, String) {
    let out = routenorms(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Compares `actual` with `tests/golden/NAME`; with `UPDATE_GOLDEN` set, rewrites the file
/// instead (review the diff).
pub fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}
