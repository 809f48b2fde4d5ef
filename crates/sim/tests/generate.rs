//! End-to-end properties of `routenorms_sim::generate` on small topologies: determinism, and
//! that the registries it writes load with routenorms' own loaders and agree with an
//! independent count.

use routenorms_sim::{generate, Config, Scale};
use std::path::{Path, PathBuf};

fn tiny(seed: u64) -> Config {
    let mut c = Config::new(Scale::Small, seed);
    c.ases = 400;
    c.prefixes_v4 = 3000;
    c.prefixes_v6 = 600;
    c.peers = 12;
    c.collectors = 3;
    c
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("routenorms-sim-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    routenorms_testsupport::files_below(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

fn run(cfg: &Config, dir: &Path) -> routenorms_sim::Manifest {
    generate(cfg, dir, &|_| {}).unwrap()
}

/// The same configuration gives byte-identical files, whatever the number of threads.
#[test]
fn same_seed_gives_byte_identical_output_with_any_thread_count() {
    let (a, b) = (TempDir::new("same-a"), TempDir::new("same-b"));
    let mut c1 = tiny(42);
    c1.threads = 1;
    let mut c2 = tiny(42);
    c2.threads = 3;
    run(&c1, &a.0);
    run(&c2, &b.0);
    let (fa, fb) = (files(&a.0), files(&b.0));
    assert!(fa.len() > 20, "{} files", fa.len());
    assert_eq!(fa.len(), fb.len());
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs");
    }
}

/// A different seed gives a different Internet (RIBs, VRPs and relationships all change).
#[test]
fn different_seeds_give_different_output() {
    let (a, b) = (TempDir::new("diff-a"), TempDir::new("diff-b"));
    run(&tiny(1), &a.0);
    run(&tiny(2), &b.0);
    for rel in [
        "rpki/vrps.json",
        "topology/20240101.as-rel.txt",
        "mrt/rrc00/bview.20240101.0000.gz",
    ] {
        let x = std::fs::read(a.0.join(rel)).unwrap();
        let y = std::fs::read(b.0.join(rel)).unwrap();
        assert_ne!(x, y, "{rel}");
    }
}

/// The VRP JSON loads with routenorms' rpki loader without rejections, and its ROA and ASPA
/// counts equal those of a plain JSON parse and of the manifest.
#[test]
fn vrp_json_loads_with_the_rpki_loader_and_matches_an_independent_count() {
    let d = TempDir::new("vrps");
    let m = run(&tiny(3), &d.0);
    let path = d.0.join("rpki/vrps.json");
    let payload = routenorms_rpki::load_path(&path).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let roas = v["roas"].as_array().unwrap().len();
    let aspas = v["aspas"].as_array().unwrap().len();
    assert!(roas > 100 && aspas > 5, "{roas} ROAs, {aspas} ASPAs");
    assert_eq!(payload.vrps.len(), roas);
    assert_eq!(payload.aspas.len(), aspas);
    assert!(payload.rejected.is_empty(), "{:?}", &payload.rejected[..1]);
    let f = m.files.iter().find(|f| f.path == "rpki/vrps.json").unwrap();
    assert_eq!(f.count, (roas + aspas) as u64);
    // Some ROAs are non-minimal (maxLength beyond the prefix length).
    assert!(v["roas"].as_array().unwrap().iter().any(|r| {
        let len: u64 = r["prefix"]
            .as_str()
            .unwrap()
            .split('/')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        r["maxLength"].as_u64().unwrap() > len
    }));
}

/// Each RPSL file holds as many objects (blank-line separated, each ending in `source:`) as
/// the manifest says, of the four classes, from six sources; some announced routes have no
/// route object (gaps).
#[test]
fn rpsl_dumps_count_as_the_manifest_says() {
    let d = TempDir::new("rpsl");
    let m = run(&tiny(4), &d.0);
    let mut classes = std::collections::BTreeSet::new();
    let irr: Vec<_> = m.files.iter().filter(|f| f.kind == "irr").collect();
    assert_eq!(irr.len(), 6);
    for f in irr {
        let text = std::fs::read_to_string(d.0.join(&f.path)).unwrap();
        let objects: Vec<&str> = text
            .split("\n\n")
            .filter(|o| !o.trim().is_empty())
            .collect();
        assert_eq!(objects.len() as u64, f.count, "{}", f.path);
        for o in objects {
            let class = o.split(':').next().unwrap().to_string();
            assert!(o.trim_end().lines().last().unwrap().starts_with("source:"));
            classes.insert(class);
        }
    }
    let want: std::collections::BTreeSet<String> = ["aut-num", "as-set", "route", "route6"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(classes, want);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.0.join("ground-truth.json")).unwrap()).unwrap();
    assert!(
        truth["background"]["irr"]["missing_routes"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// as-rel has one well-formed line per relationship, as many as the manifest says, p2c and
/// p2p both present; ppdc has one line per AS starting with the AS itself.
#[test]
fn as_rel_and_ppdc_files_are_well_formed_and_counted() {
    let d = TempDir::new("asrel");
    let m = run(&tiny(5), &d.0);
    let f = m.files.iter().find(|f| f.kind == "as-rel").unwrap();
    let text = std::fs::read_to_string(d.0.join(&f.path)).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len() as u64, f.count);
    let mut kinds = [0; 2];
    for l in &lines {
        let parts: Vec<&str> = l.split('|').collect();
        assert_eq!(parts.len(), 3, "{l}");
        parts[0].parse::<u32>().unwrap();
        parts[1].parse::<u32>().unwrap();
        match parts[2] {
            "-1" => kinds[0] += 1,
            "0" => kinds[1] += 1,
            other => panic!("relationship {other}"),
        }
    }
    assert!(kinds[0] > 0 && kinds[1] > 0);
    let p = m.files.iter().find(|f| f.kind == "ppdc-ases").unwrap();
    let text = std::fs::read_to_string(d.0.join(&p.path)).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rows.len() as u64, p.count);
    for r in rows {
        let mut it = r.split(' ');
        let a = it.next().unwrap();
        assert!(it.any(|c| c == a), "cone of {a} lacks itself");
    }
}

/// The generated registries load with routenorms' own loaders, without a damaged object or
/// line: each RPSL dump through the IRR crate (as many objects as the manifest and the
/// independent count above say), the as-rel file through the topology crate (one
/// relationship per line).
#[test]
fn generated_registries_load_with_the_irr_and_topology_loaders() {
    let d = TempDir::new("loaders");
    let m = run(&tiny(6), &d.0);
    let irr: Vec<_> = m.files.iter().filter(|f| f.kind == "irr").collect();
    assert_eq!(irr.len(), 6);
    let mut db = routenorms_irr::IrrDb::new();
    let opts = routenorms_irr::LoadOptions::default();
    for f in irr {
        let report = db.load_path(&d.0.join(&f.path), &opts).unwrap();
        assert_eq!(
            report.format,
            Some(routenorms_irr::FileFormat::Rpsl),
            "{}",
            f.path
        );
        assert_eq!(report.damaged, 0, "{}: {:?}", f.path, report.issues);
        assert_eq!(report.objects, f.count, "{}", f.path);
    }
    let f = m.files.iter().find(|f| f.kind == "as-rel").unwrap();
    let loaded = routenorms_topology::AsRelationships::read_file(&d.0.join(&f.path)).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.relationships.links().count() as u64, f.count);
}

/// Delegated statistics: the summary lines agree with the records that follow.
#[test]
fn rir_statistics_summaries_match_their_records() {
    let d = TempDir::new("rir");
    let m = run(&tiny(6), &d.0);
    for f in m.files.iter().filter(|f| f.kind == "rir-stats") {
        let text = std::fs::read_to_string(d.0.join(&f.path)).unwrap();
        let mut summary = std::collections::BTreeMap::new();
        let mut seen = std::collections::BTreeMap::new();
        for l in text.lines().skip(1) {
            let p: Vec<&str> = l.split('|').collect();
            if p[5] == "summary" {
                summary.insert(p[2].to_string(), p[4].parse::<u64>().unwrap());
            } else {
                assert_eq!(p.len(), 8, "{l}");
                *seen.entry(p[2].to_string()).or_insert(0u64) += 1;
            }
        }
        for (k, n) in &summary {
            assert_eq!(seen.get(k).copied().unwrap_or(0), *n, "{} {k}", f.path);
        }
    }
}
