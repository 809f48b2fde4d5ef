//! Route-origin validation benchmark (issue 3). Not a test: it prints timings, throughput, the
//! verdict counts and peak memory, and a PASS/FAIL line per target, and exits 0 either way.
//!
//! Run: `cargo bench -p routenorms-rpki --bench rov` (or `bench/rov.sh`, which also records
//! the process's peak RSS with GNU time). Needs the shared data (`ROUTENORMS_DATA`, default
//! `../shared/data`); without it, prints a skip line.
//!
//! Measured in one run, single thread, best of a few repetitions (`std::time::Instant`):
//! * loading the largest VRP file (rpki-client JSON, gzip) and building the index;
//! * loading a synthetic 1,000,000-VRP plain CSV (made from the real VRPs by moving each
//!   prefix into other address space, written to a temporary directory) and indexing it;
//! * `VrpSet::validate_state` over every distinct (prefix, origin) of the shared MRT files,
//!   in sorted order and in a shuffled order, on a warm index; `VrpSet::validate` likewise;
//! * a naive baseline — a linear scan over all VRPs, RFC 6811 section 2 as it reads — on a
//!   deterministic sample, checked to agree with the index, and the ratio index / naive.
//!
//! Targets: >= 10 M validations/s per core on a warm index (counted on the slower of the two
//! orders), and loading 1 M VRPs in under a second (counted as load + index build).

use routenorms_mrt::origins::route_origins;
use routenorms_rpki::{load_path, InvalidReason, RovState, Vrp, VrpSet};
use routenorms_testsupport::{data_dir, files_below};
use routenorms_types::{Afi, Asn, Prefix};
use std::collections::{BTreeSet, HashSet};
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

type Pair = (Prefix, Option<Asn>);

const LARGEST_VRP_FILE: &str = "rpki/rpki-client-ripe-prepdev-20230504.json.gz";
const SYNTHETIC_VRPS: usize = 1_000_000;
const LOAD_REPS: usize = 3;
const VALIDATE_REPS: usize = 5;
const EXPLAINED_REPS: usize = 3;
const NAIVE_SAMPLE: usize = 2_048;
const TARGET_RATE: f64 = 10e6;
const TARGET_LOAD: Duration = Duration::from_secs(1);

/// Deterministic xorshift64.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Best (shortest) time of `reps` runs of `f`, and the last run's result.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..reps {
        let t = Instant::now();
        let r = black_box(f());
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("reps >= 1"))
}

/// Best time of `VrpSet::new` over `LOAD_REPS` runs, each on a fresh copy made before the
/// clock starts.
fn index_time(vrps: &[Vrp]) -> (Duration, VrpSet) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..LOAD_REPS {
        let copy = vrps.to_vec();
        let t = Instant::now();
        let set = black_box(VrpSet::new(copy));
        best = best.min(t.elapsed());
        out = Some(set);
    }
    (best, out.expect("reps >= 1"))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn mrate(r: f64) -> String {
    format!("{:.2} M/s", r / 1e6)
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// Every distinct (prefix, origin) announced or in a RIB, origin `None` for AS_SET endings.
fn routes_of(file: &Path, into: &mut HashSet<Pair>) {
    if let Ok(o) = route_origins(file, 1) {
        into.extend(o.routes);
    }
}

/// RFC 6811 section 2, as it reads, by a linear scan over every VRP: a VRP covers the route
/// when its prefix contains the route's; it matches when it covers, the route is no longer
/// than its maxLength, and its ASN equals the route's origin (NONE and AS0 match nothing).
/// Valid when some VRP matches, Invalid when some covers and none matches, else NotFound.
fn naive(vrps: &[Vrp], prefix: Prefix, origin: Option<Asn>) -> (RovState, Option<InvalidReason>) {
    let mut covered = false;
    let mut same_origin = false;
    for v in vrps {
        if !v.prefix.covers(&prefix) {
            continue;
        }
        covered = true;
        if Some(v.asn) == origin && v.asn != Asn(0) {
            if prefix.len() <= v.max_len {
                return (RovState::Valid, None);
            }
            same_origin = true;
        }
    }
    match (covered, same_origin) {
        (false, _) => (RovState::NotFound, None),
        (true, true) => (RovState::Invalid, Some(InvalidReason::Length)),
        (true, false) => (RovState::Invalid, Some(InvalidReason::As)),
    }
}

/// valid, invalid-as, invalid-length, not-found
fn counts(set: &VrpSet, pairs: &[Pair]) -> [usize; 4] {
    let mut c = [0usize; 4];
    for &(p, o) in pairs {
        c[slot(set.validate_state(p, o))] += 1;
    }
    c
}

fn slot(v: (RovState, Option<InvalidReason>)) -> usize {
    match v {
        (RovState::Valid, _) => 0,
        (RovState::Invalid, Some(InvalidReason::Length)) => 2,
        (RovState::Invalid, _) => 1,
        (RovState::NotFound, _) => 3,
    }
}

fn show_counts(c: [usize; 4]) -> String {
    format!(
        "valid {}, invalid-as {}, invalid-length {}, not-found {}",
        c[0], c[1], c[2], c[3]
    )
}

/// One pass of `validate_state` over `pairs`; the folded result keeps the work observable.
fn pass_state(set: &VrpSet, pairs: &[Pair]) -> usize {
    let mut acc = 0usize;
    for &(p, o) in pairs {
        acc += slot(set.validate_state(black_box(p), black_box(o)));
    }
    acc
}

fn pass_explained(set: &VrpSet, pairs: &[Pair]) -> usize {
    let mut acc = 0usize;
    for &(p, o) in pairs {
        let v = set.validate(black_box(p), black_box(o));
        acc += v.covering.len() + v.state as usize;
    }
    acc
}

/// The synthetic file: the real VRPs, round after round, round `r` moving every prefix into
/// other address space (IPv4: first octet + 37·r; IPv6: first 16 bits + 0x0101·r, for
/// prefixes at least that long; shorter ones repeat unchanged), cut at `n` lines.
fn write_synthetic_csv(real: &[Vrp], n: usize, path: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "asn,prefix,max_length")?;
    let mut written = 0;
    'rounds: for r in 0u128.. {
        for v in real {
            if written == n {
                break 'rounds;
            }
            let p = v.prefix;
            let bits = match p.afi() {
                Afi::Ipv4 if p.len() >= 8 => {
                    let top = ((p.bits() >> 24) + 37 * r) & 0xff;
                    (p.bits() & 0x00ff_ffff) | (top << 24)
                }
                Afi::Ipv6 if p.len() >= 16 => {
                    let top = ((p.bits() >> 112) + 0x0101 * r) & 0xffff;
                    (p.bits() & !(0xffffu128 << 112)) | (top << 112)
                }
                _ => p.bits(),
            };
            let q = Prefix::from_bits(p.afi(), bits, p.len()).expect("same length");
            writeln!(out, "{},{},{}", v.asn.0, q, v.max_len)?;
            written += 1;
        }
    }
    out.flush()
}

fn vm_hwm_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let Some(data) = data_dir() else {
        println!("rov bench: skipped (shared data not found)");
        return;
    };
    let started = Instant::now();
    println!("# routenorms route-origin validation benchmark (issue 3)");
    println!(
        "single thread; best of {LOAD_REPS} (load/index), {VALIDATE_REPS} (validate_state), \
         {EXPLAINED_REPS} (validate) repetitions; data: {}",
        data.display()
    );
    println!();

    // ---- the largest VRP file ----------------------------------------------------------------
    let vrp_path = data.join(LARGEST_VRP_FILE);
    let (t_load, payload) = best_of(LOAD_REPS, || load_path(&vrp_path).expect("load VRP file"));
    let vrps = payload.vrps;
    let (t_index, set) = index_time(&vrps);
    println!("VRP file {LARGEST_VRP_FILE}:");
    println!(
        "  {} VRPs loaded ({} rejected), {} distinct in the index",
        vrps.len(),
        payload.rejected.len(),
        set.len()
    );
    println!(
        "  load {}   index build {}   load+index {}",
        ms(t_load),
        ms(t_index),
        ms(t_load + t_index)
    );

    // ---- synthetic 1 M VRPs ------------------------------------------------------------------
    let dir = std::env::temp_dir().join(format!("routenorms-rov-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let csv = dir.join("vrps-1m.csv");
    write_synthetic_csv(&vrps, SYNTHETIC_VRPS, &csv).expect("write synthetic CSV");
    let csv_bytes = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let (t_load_1m, payload_1m) = best_of(LOAD_REPS, || load_path(&csv).expect("load CSV"));
    let vrps_1m = payload_1m.vrps;
    let (t_index_1m, set_1m) = index_time(&vrps_1m);
    let t_total_1m = t_load_1m + t_index_1m;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "Synthetic plain CSV (asn,prefix,max_length), {:.1} MB:",
        csv_bytes as f64 / 1e6
    );
    println!(
        "  {} VRPs loaded ({} rejected), {} distinct in the index",
        vrps_1m.len(),
        payload_1m.rejected.len(),
        set_1m.len()
    );
    println!(
        "  load {}   index build {}   load+index {}",
        ms(t_load_1m),
        ms(t_index_1m),
        ms(t_total_1m)
    );
    assert_eq!(
        payload_1m.rejected.len(),
        0,
        "synthetic CSV must load cleanly"
    );
    drop(set_1m);
    drop(vrps_1m);

    // ---- the routes --------------------------------------------------------------------------
    let t = Instant::now();
    let mut all: BTreeSet<Pair> = BTreeSet::new();
    let mut per_file: Vec<(String, usize)> = Vec::new();
    for f in files_below(&data.join("mrt")) {
        if f.components().any(|c| c.as_os_str() == "expected") {
            continue;
        }
        let mut one = HashSet::new();
        routes_of(&f, &mut one);
        let name = f
            .strip_prefix(&data)
            .unwrap_or(&f)
            .to_string_lossy()
            .into_owned();
        per_file.push((name, one.len()));
        all.extend(one);
    }
    let t_collect = t.elapsed();
    let sorted: Vec<Pair> = all.into_iter().collect();
    let mut shuffled = sorted.clone();
    XorShift(0x9e37_79b9_7f4a_7c15).shuffle(&mut shuffled);
    per_file.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "Routes: {} distinct (prefix, origin) pairs over all {} MRT files under mrt/ \
         (collected in {:.1} s); largest sources (distinct pairs per file):",
        sorted.len(),
        per_file.len(),
        t_collect.as_secs_f64()
    );
    for (name, n) in per_file.iter().take(5) {
        println!("  {n:>8}  {name}");
    }
    let v4 = sorted.iter().filter(|p| p.0.afi() == Afi::Ipv4).count();
    let none = sorted.iter().filter(|p| p.1.is_none()).count();
    println!(
        "  IPv4 {v4}, IPv6 {}, origin NONE (AS_SET) {none}",
        sorted.len() - v4
    );

    // ---- the indexed validator ---------------------------------------------------------------
    let c = counts(&set, &sorted);
    println!("Verdicts (all pairs, 424k-VRP index): {}", show_counts(c));
    let n = sorted.len();
    // Warm: one untimed pass over each order first.
    black_box(pass_state(&set, &sorted));
    black_box(pass_state(&set, &shuffled));
    let (t_sorted, _) = best_of(VALIDATE_REPS, || pass_state(&set, &sorted));
    let (t_shuffled, _) = best_of(VALIDATE_REPS, || pass_state(&set, &shuffled));
    let r_sorted = rate(n, t_sorted);
    let r_shuffled = rate(n, t_shuffled);
    println!("validate_state (no allocation), warm index, {n} pairs per pass:");
    println!(
        "  prefix order   {:>10}  {:>12}   ({:.1} ns/pair)",
        ms(t_sorted),
        mrate(r_sorted),
        t_sorted.as_nanos() as f64 / n as f64
    );
    println!(
        "  shuffled order {:>10}  {:>12}   ({:.1} ns/pair)",
        ms(t_shuffled),
        mrate(r_shuffled),
        t_shuffled.as_nanos() as f64 / n as f64
    );
    black_box(pass_explained(&set, &sorted));
    let (te_sorted, _) = best_of(EXPLAINED_REPS, || pass_explained(&set, &sorted));
    let (te_shuffled, _) = best_of(EXPLAINED_REPS, || pass_explained(&set, &shuffled));
    println!("validate (explained: covering VRPs collected, allocates):");
    println!(
        "  prefix order   {:>10}  {:>12}",
        ms(te_sorted),
        mrate(rate(n, te_sorted))
    );
    println!(
        "  shuffled order {:>10}  {:>12}",
        ms(te_shuffled),
        mrate(rate(n, te_shuffled))
    );

    // ---- the naive baseline ------------------------------------------------------------------
    // The sample: the first NAIVE_SAMPLE pairs of the shuffled order (uniform over all pairs),
    // plus every covered pair found among the next ones until a quarter of the sample is
    // covered, so the scan's Valid/Invalid paths are exercised too.
    let mut sample: Vec<Pair> = shuffled.iter().take(NAIVE_SAMPLE).copied().collect();
    let covered_in = |s: &[Pair]| {
        s.iter()
            .filter(|&&(p, o)| set.validate_state(p, o).0 != RovState::NotFound)
            .count()
    };
    let mut covered = covered_in(&sample);
    for &(p, o) in shuffled.iter().skip(NAIVE_SAMPLE) {
        if covered * 4 >= sample.len() {
            break;
        }
        if set.validate_state(p, o).0 != RovState::NotFound {
            sample.push((p, o));
            covered += 1;
        }
    }
    let (t_naive, naive_out) = best_of(2, || {
        sample
            .iter()
            .map(|&(p, o)| naive(&vrps, black_box(p), black_box(o)))
            .collect::<Vec<_>>()
    });
    let mut disagree = 0;
    let mut sc = [0usize; 4];
    for (&(p, o), &want) in sample.iter().zip(&naive_out) {
        let got = set.validate_state(p, o);
        sc[slot(want)] += 1;
        if got != want {
            disagree += 1;
            if disagree <= 5 {
                println!("  DISAGREE {p} {o:?}: index {got:?}, naive {want:?}");
            }
        }
    }
    let (ti_sample, _) = best_of(VALIDATE_REPS, || pass_state(&set, &sample));
    let r_naive = rate(sample.len(), t_naive);
    println!(
        "Naive baseline (linear scan over all {} VRPs per pair), {} sampled pairs:",
        vrps.len(),
        sample.len()
    );
    println!(
        "  naive {}  {:.0} pairs/s   index on the same sample {}",
        ms(t_naive),
        r_naive,
        mrate(rate(sample.len(), ti_sample))
    );
    println!("  sample verdicts: {}", show_counts(sc));
    println!(
        "  index agrees with naive on {}/{} sampled pairs",
        sample.len() - disagree,
        sample.len()
    );
    println!(
        "  ratio index/naive: {:.0}x (prefix order, all pairs)  {:.0}x (shuffled, all pairs)  \
         {:.0}x (same sample)",
        r_sorted / r_naive,
        r_shuffled / r_naive,
        rate(sample.len(), ti_sample) / r_naive
    );
    assert_eq!(disagree, 0, "index and naive baseline disagree");

    // ---- memory and verdicts -----------------------------------------------------------------
    println!();
    match vm_hwm_kb() {
        Some(kb) => println!(
            "Peak memory (VmHWM, whole run incl. the 1 M-VRP set and all pairs): {kb} kB \
             ({:.0} MiB)",
            kb as f64 / 1024.0
        ),
        None => println!("Peak memory: VmHWM not available"),
    }
    println!();
    let worst = r_sorted.min(r_shuffled);
    println!(
        "{}  >= 10 M validations/s per core, warm index (validate_state, single thread, slower \
         of prefix/shuffled order): {}",
        pass(worst >= TARGET_RATE),
        mrate(worst)
    );
    println!(
        "{}  load 1 M VRPs < 1 s (plain CSV, load + index build): {}",
        pass(t_total_1m < TARGET_LOAD),
        ms(t_total_1m)
    );
    println!("bench wall time {:.1} s", started.elapsed().as_secs_f64());
}
