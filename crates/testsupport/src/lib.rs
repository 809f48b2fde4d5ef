//! Test support shared by the crates' tests: where the shared real-world data is and which peer
//! tools are installed. It owns the one policy for both: in CI (`CI` set) a missing data
//! directory or tool fails the test; elsewhere the test is skipped with a printed reason, so a
//! fresh checkout without `../shared` still builds green. Nothing here is used outside tests.

use std::path::{Path, PathBuf};

/// True when running under CI (`CI` set, not empty, not `false`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// The shared data directory: `$ROUTENORMS_DATA`, else `../shared/data` beside the checkout.
/// `None` (after printing why) when it is missing outside CI; a panic in CI.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ROUTENORMS_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if in_ci() {
        panic!(
            "shared data not found at {} (required in CI)",
            dir.display()
        );
    }
    eprintln!(
        "skipping: shared data not found at {} (set ROUTENORMS_DATA)",
        dir.display()
    );
    None
}

/// The ClickHouse servers to test against: `HOST:PORT` of each HTTP interface, from
/// `ROUTENORMS_CLICKHOUSE` (comma-separated). `.ci/run` starts Debian's 18.16 and a current
/// release's engine (`.ci/chdb-http.py`); empty (after printing why) outside CI when unset,
/// a panic in CI.
pub fn clickhouse_servers() -> Vec<String> {
    let servers: Vec<String> = std::env::var("ROUTENORMS_CLICKHOUSE")
        .unwrap_or_default()
        .split(',')
        .map(|s| {
            s.trim()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if servers.is_empty() {
        if in_ci() {
            panic!("ROUTENORMS_CLICKHOUSE names no ClickHouse server (required in CI; .ci/run starts them)");
        }
        eprintln!("skipping the ClickHouse part: ROUTENORMS_CLICKHOUSE is not set (.ci/clickhouse-start starts a server)");
    }
    servers
}

/// A peer tool on `PATH` (e.g. `bgpdump`), with the same policy as [`data_dir`].
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if in_ci() {
            panic!("{name} not installed (required in CI; .ci/run installs it)");
        }
        eprintln!("skipping: {name} not installed");
    }
    found
}

/// Every file below `dir`, recursively, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
