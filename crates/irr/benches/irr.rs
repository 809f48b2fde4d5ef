//! IRR benchmark (not a test; `cargo bench -p routenorms-irr`).
//!
//! No public RADB/RIPE bulk dump is available offline, so this generates a deterministic dump
//! of realistic size and shape (~1.5 M objects: RADB/RIPE-like route, route6, aut-num with
//! import/export lines, nested as-sets including a deep one with a cycle, mntner, inetnum,
//! comments, continuation lines, CRLF and a few damaged objects) in a temp dir, then reports:
//!
//! * RPSL parse throughput (reader only, and full load into the index): MB/s and objects/s;
//! * expansion time of the largest as-set;
//! * `irr check` throughput on every distinct (prefix, origin) of the largest DN42 RIB
//!   (against the DN42 registry, and against the generated dump);
//! * peak memory (VmHWM).
//!
//! `IRR_BENCH_OBJECTS=N` changes the size.

use routenorms_irr::check::check;
use routenorms_irr::load::LoadOptions;
use routenorms_irr::{IrrDb, RpslReader};
use std::fmt::Write as _;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SOURCES: [&str; 4] = ["RADB", "RIPE", "ARIN", "ALTDB"];

/// Writes the dump; returns (bytes, objects, largest as-set name).
fn generate(path: &Path, objects: u64) -> (u64, u64, String) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut rng = Lcg(42);
    let mut s = String::with_capacity(4096);
    let mut written = 0u64;
    let mut count = 0u64;
    w.write_all(b"% This is a generated RPSL dump in the shape of RADB/RIPE split files.\n% Objects are separated by blank lines.\n\n").unwrap();
    // Shares: 66% route, 13% route6, 7% aut-num, 3% as-set, 4% mntner, 7% inetnum.
    let n_asn = (objects * 7 / 100).max(10);
    let n_sets = (objects * 3 / 100).max(10);
    for i in 0..objects {
        s.clear();
        let src = SOURCES[rng.below(4) as usize];
        let pick = rng.below(100);
        let asn = 1 + rng.below(n_asn) as u32 * 7;
        if pick < 66 {
            let a = rng.next() as u32 | 0x0100_0000;
            let len = 16 + rng.below(9) as u32;
            let net = a & !((1u32 << (32 - len)) - 1);
            let _ = write!(
                s,
                "route:          {}.{}.{}.{}/{len}\ndescr:          Customer route {i}\norigin:         AS{asn}\nmnt-by:         MAINT-AS{asn}\n",
                net >> 24,
                (net >> 16) & 255,
                (net >> 8) & 255,
                net & 255
            );
            if rng.below(10) == 0 {
                s.push_str(
                    "remarks:        announced via upstream,\n                see peering policy\n",
                );
            }
            let _ = write!(
                s,
                "changed:        noc@example.net 20{:02}0101\nsource:         {src}\n\n",
                rng.below(24)
            );
        } else if pick < 79 {
            let _ = write!(
                s,
                "route6:         2{:03x}:{:x}:{:x}::/{}\norigin:         AS{asn}\nmnt-by:         MAINT-AS{asn}\nsource:         {src}\n\n",
                rng.below(0xfff),
                rng.below(0xffff),
                rng.below(0xffff) & 0xff00,
                40 + rng.below(9)
            );
        } else if pick < 86 {
            let _ = write!(s, "aut-num:        AS{asn}\nas-name:        NET-{asn}\n");
            for _ in 0..rng.below(12) {
                let peer = 1 + rng.below(n_asn) * 7;
                let _ = write!(
                    s,
                    "import:         from AS{peer} accept AS{peer}\nexport:         to AS{peer} announce AS-SET{}\n",
                    rng.below(n_sets)
                );
            }
            let _ = write!(
                s,
                "mp-import:      afi ipv6.unicast from AS{} accept ANY\nmnt-by:         MAINT-AS{asn}\nsource:         {src}\n\n",
                1 + rng.below(n_asn) * 7
            );
        } else if pick < 89 {
            let id = rng.below(n_sets);
            let _ = write!(s, "as-set:         AS-SET{id}\nmembers:        ");
            let m = 1 + rng.below(12);
            for k in 0..m {
                if k > 0 {
                    s.push_str(", ");
                }
                if rng.below(4) == 0 {
                    let _ = write!(s, "AS-SET{}", rng.below(n_sets));
                } else {
                    let _ = write!(s, "AS{}", 1 + rng.below(n_asn) * 7);
                }
            }
            let _ = write!(
                s,
                "\nmnt-by:         MAINT-SET{id}\nsource:         {src}\n\n"
            );
        } else if pick < 93 {
            let _ = write!(
                s,
                "mntner:         MAINT-AS{asn}\ndescr:          Maintainer\nadmin-c:        PERSON-{asn}\nupd-to:         noc@example.net\nmnt-by:         MAINT-AS{asn}\nsource:         {src}\n\n"
            );
        } else if pick < 99 {
            let a = rng.next() as u32 | 0x0100_0000;
            let net = a & 0xffff_ff00;
            let _ = write!(
                s,
                "inetnum:        {}.{}.{}.0 - {}.{}.{}.255\nnetname:        NET-{i}\ncountry:        NL\nstatus:         ASSIGNED PA\nmnt-by:         MAINT-AS{asn}\nsource:         {}\n\n",
                net >> 24,
                (net >> 16) & 255,
                (net >> 8) & 255,
                net >> 24,
                (net >> 16) & 255,
                (net >> 8) & 255,
                if rng.below(2) == 0 { "RIPE" } else { "ARIN" }
            );
        } else {
            // CRLF objects and, rarely, a damaged one.
            if rng.below(20) == 0 {
                s.push_str("route:          not-a-prefix\r\norigin:         AS1\r\n\r\n");
            } else {
                let _ = write!(
                    s,
                    "route:          10.{}.{}.0/24\r\norigin:         AS{asn}\r\nsource:         {src}\r\n\r\n",
                    rng.below(256),
                    rng.below(256)
                );
            }
        }
        w.write_all(s.as_bytes()).unwrap();
        written += s.len() as u64;
        count += 1;
    }
    // The largest as-set: every 10th ASN, plus a deep chain of 40 nested sets with a cycle.
    s.clear();
    s.push_str("as-set:         AS-HUGE\nmembers:        AS-CHAIN0");
    for k in 0..n_asn / 10 {
        let _ = write!(s, ",\n                AS{}", 1 + k * 70);
    }
    s.push_str("\nsource:         RADB\n\n");
    for k in 0..40 {
        let _ = write!(
            s,
            "as-set:         AS-CHAIN{k}\nmembers:        AS-CHAIN{}, AS-SET{k}\nsource:         RADB\n\n",
            (k + 1) % 40
        );
    }
    w.write_all(s.as_bytes()).unwrap();
    written += s.len() as u64;
    count += 41;
    w.flush().unwrap();
    (written, count, "AS-HUGE".into())
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let objects: u64 = std::env::var("IRR_BENCH_OBJECTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_500_000);
    let dir = std::env::temp_dir().join(format!("routenorms-irr-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dump.rpsl");
    let t = Instant::now();
    let (bytes, count, largest) = generate(&path, objects);
    println!(
        "generated {count} objects, {:.1} MB in {:.2} s ({})",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        path.display()
    );

    // Reader only.
    let t = Instant::now();
    let f = BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let mut r = RpslReader::new(f);
    let mut n = 0u64;
    let mut errors = 0u64;
    while let Some(o) = r.next_object().unwrap() {
        match o {
            Ok(o) => {
                std::hint::black_box(o.len());
                n += 1;
            }
            Err(_) => errors += 1,
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "RPSL reader: {n} objects ({errors} damaged) in {secs:.2} s: {:.0} MB/s, {:.0} objects/s",
        bytes as f64 / 1e6 / secs,
        (n + errors) as f64 / secs
    );

    // Full load: typing and indexing.
    let t = Instant::now();
    let mut db = IrrDb::new();
    let rep = db.load_path(&path, &LoadOptions::default()).unwrap();
    db.finish();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "load + index: {} objects ({} damaged), {} route entries in {secs:.2} s: {:.0} MB/s, {:.0} objects/s; VmHWM {}",
        rep.objects,
        rep.damaged,
        db.route_count(),
        bytes as f64 / 1e6 / secs,
        (rep.objects + rep.damaged) as f64 / secs,
        vm_hwm()
    );

    // The largest real registry available offline.
    let data = std::env::var_os("ROUTENORMS_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let real = data.join("irr/dn42-registry.rpsl");
    if real.is_file() {
        let size = std::fs::metadata(&real).unwrap().len() as f64;
        let reps = 20;
        let t = Instant::now();
        let mut objs = 0u64;
        for _ in 0..reps {
            let mut d = IrrDb::new();
            objs = d.load_path(&real, &LoadOptions::default()).unwrap().objects;
            d.finish();
        }
        let secs = t.elapsed().as_secs_f64() / reps as f64;
        println!(
            "DN42 registry ({objs} objects, {:.1} MB): load + index {:.1} ms: {:.0} MB/s, {:.0} objects/s",
            size / 1e6,
            secs * 1e3,
            size / 1e6 / secs,
            objs as f64 / secs
        );
    }

    // Largest as-set expansion.
    let view = db.view(&[]).unwrap();
    let t = Instant::now();
    let e = view.expand(&largest, 64).unwrap();
    let exp = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (routes, _) = view.prefixes_of_object(&largest, None, 64).unwrap();
    let pfx = t.elapsed().as_secs_f64();
    println!(
        "expand {largest}: {} ASNs, {} sets, depth {}, {} cycles in {:.1} ms; its {} route entries in {:.1} ms",
        e.asns.len(),
        e.sets,
        e.depth,
        e.cycles.len(),
        exp * 1e3,
        routes.len(),
        pfx * 1e3
    );
    let mut biggest = (0usize, String::new());
    let t = Instant::now();
    for s in db.sets() {
        if let Some(x) = view.expand(&s.set.name, 32) {
            if x.asns.len() > biggest.0 {
                biggest = (x.asns.len(), s.set.name.clone());
            }
        }
    }
    println!(
        "expand all {} sets in {:.2} s (largest {} with {} ASNs)",
        db.sets().len(),
        t.elapsed().as_secs_f64(),
        biggest.1,
        biggest.0
    );

    // irr check on the largest DN42 RIB.
    let rib = data.join("mrt/dn42/master6_2021-05-31.mrt.bz2");
    if rib.is_file() {
        let t = Instant::now();
        let o = routenorms_mrt::origins::route_origins(&rib, 2).unwrap();
        let read = t.elapsed().as_secs_f64();
        let mut dn42 = IrrDb::new();
        dn42.load_path(
            &data.join("irr/dn42-registry-20220128.rpsl"),
            &LoadOptions::default(),
        )
        .unwrap();
        dn42.finish();
        for (name, db) in [("DN42 registry", &dn42), ("generated dump", &db)] {
            let v = db.view(&[]).unwrap();
            let reps = 200;
            let t = Instant::now();
            let mut matched = 0usize;
            for _ in 0..reps {
                for &(p, origin) in &o.routes {
                    matched += usize::from(check(&v, None, p, origin).status.is_registered());
                }
            }
            let secs = t.elapsed().as_secs_f64();
            let checks = o.routes.len() * reps;
            println!(
                "irr check ({name}): {} distinct routes of {} (read in {read:.2} s) x{reps}: {:.0} checks/s ({} registered per pass)",
                o.routes.len(),
                rib.file_name().unwrap().to_string_lossy(),
                checks as f64 / secs,
                matched / reps
            );
        }
    } else {
        println!("irr check: skipped, {} not found", rib.display());
    }
    println!("peak memory (VmHWM): {}", vm_hwm());
    let _ = std::fs::remove_dir_all(&dir);
}
