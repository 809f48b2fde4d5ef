//! The simulated Internet the binary's tests observe: generated once per test binary
//! (seed 1) and the `observe` arguments that read it.

use super::run_ok;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A simulated Internet (seed 1, small), generated once per test binary.
pub fn sim_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("routenorms-sim-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("data");
        run_ok(&[
            "sim",
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "1",
            "--no-progress",
        ]);
        out
    })
}

/// The files of the simulated directory by manifest kind.
pub fn sim_files(kinds: &[&str]) -> Vec<String> {
    let dir = sim_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| kinds.contains(&f["kind"].as_str().unwrap()))
        .map(|f| {
            dir.join(f["path"].as_str().unwrap())
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// `observe` arguments for the simulated data; `optional` false leaves out every optional
/// input (updates, relationships, cones, RIR stats, PeeringDB, Spoofer).
pub fn sim_observe_args(store: &str, optional: bool) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "observe".into(),
        "--no-progress".into(),
        "--store".into(),
        store.into(),
    ];
    let mut add = |flag: &str, kinds: &[&str]| {
        let files = sim_files(kinds);
        if !files.is_empty() {
            a.push(flag.into());
            a.extend(files);
        }
    };
    add("--mrt", &["rib-before", "rib-after"]);
    add("--vrps", &["vrps"]);
    add("--irr", &["irr"]);
    if optional {
        add("--updates", &["updates"]);
        add("--asrel", &["as-rel"]);
        add("--cones", &["ppdc-ases"]);
        add("--rir", &["rir-stats"]);
        add(
            "--peeringdb",
            &["peeringdb-net", "peeringdb-org", "peeringdb-poc"],
        );
        add("--spoofer", &["spoofer"]);
    }
    a
}

pub fn run_args(args: &[String]) -> (String, String) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_ok(&refs)
}
