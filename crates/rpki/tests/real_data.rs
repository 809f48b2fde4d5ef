//! Real-data tests on `${ROUTENORMS_DATA:-../shared/data}/rpki/` (never copied into the repo),
//! and the independent check of the index against a naive RFC 6811 reference.
//!
//! Without the data directory these tests print a skip reason and pass, except in CI (`CI`
//! set), where they fail.

use routenorms_rpki::{
    load_path, Format, InvalidReason, Payload, Position, RejectReason, RovState, Slurm, Vrp, VrpSet,
};
use routenorms_types::{Afi, Asn, Prefix};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `$ROUTENORMS_DATA/rpki`, else `<workspace>/../shared/data/rpki`.
fn rpki_dir() -> Option<PathBuf> {
    routenorms_testsupport::data_dir().map(|d| d.join("rpki"))
}

const RPKI_CLIENT: &str = "rpki-client-ripe-prepdev-20230504.json.gz";

fn load(dir: &Path, name: &str) -> Payload {
    load_path(dir.join(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn keys(vrps: &[Vrp]) -> BTreeSet<(Prefix, u8, Asn)> {
    vrps.iter().map(Vrp::key).collect()
}

fn rejects(p: &[routenorms_rpki::Rejected]) -> Vec<(Position, RejectReason)> {
    p.iter().map(|r| (r.position, r.reason)).collect()
}

#[test]
fn rpki_client_export_loads_completely_and_matches_its_metadata() {
    let Some(dir) = rpki_dir() else { return };
    let pl = load(&dir, RPKI_CLIENT);
    assert_eq!(pl.format, Format::RpkiClientJson);
    assert!(
        pl.rejected.is_empty(),
        "{:?}",
        &pl.rejected[..3.min(pl.rejected.len())]
    );
    assert_eq!(pl.vrps.len(), 424_223);
    assert_eq!(pl.metadata.vrps, Some(424_223), "metadata \"vrps\"");
    assert_eq!(pl.aspas.len(), 6_647);
    assert_eq!(pl.metadata.aspas, Some(6_647), "metadata \"vaps\"");
    // buildtime 2023-05-04T14:52:07Z
    assert_eq!(pl.metadata.generated, Some(1_683_211_927));
    let v6 = pl
        .vrps
        .iter()
        .filter(|v| v.prefix.afi() == Afi::Ipv6)
        .count();
    assert_eq!(v6, 100_620);
    let asns: BTreeSet<Asn> = pl.vrps.iter().map(|v| v.asn).collect();
    assert_eq!(asns.len(), 14_776);
    assert!(pl
        .vrps
        .iter()
        .all(|v| v.ta.as_ref().unwrap().as_str() == "ripe-prepdev-https"));
    // No duplicates in this file: the index keeps all.
    assert_eq!(VrpSet::new(pl.vrps.clone()).len(), 424_223);
    // The per-family provider lists fold into one ASPA per customer, with family limits: AS0
    // ("no providers") is declared for IPv4 by 874 customers and for IPv6 by 824.
    let customers: BTreeSet<Asn> = pl.aspas.iter().map(|a| a.customer).collect();
    assert_eq!(customers.len(), 6_647);
    let as0 = |afi| {
        pl.aspas
            .iter()
            .filter(|a| a.providers_for(afi).any(|p| p == Asn(0)))
            .count()
    };
    assert_eq!((as0(Afi::Ipv4), as0(Afi::Ipv6)), (874, 824));
    assert!(pl.aspas.iter().any(|a| !a.afi_limits.is_empty()));
}

#[test]
fn dn42_exports_report_their_three_defects_and_load_the_rest() {
    let Some(dir) = rpki_dir() else { return };
    let idx = |index| Position::Index {
        array: "roas",
        index,
    };
    let pl = load(&dir, "dn42-export.json");
    assert_eq!(pl.format, Format::RtrJson);
    assert_eq!(pl.metadata.vrps, Some(3_312));
    assert_eq!(pl.vrps.len(), 3_309);
    assert_eq!(
        rejects(&pl.rejected),
        vec![
            (idx(123), RejectReason::NullPrefix),
            (idx(1560), RejectReason::BadAsn),
            (idx(3311), RejectReason::BadAsn),
        ]
    );
    let old = load(&dir, "dn42-export-20210531.json");
    assert_eq!(old.metadata.vrps, Some(2_814));
    assert_eq!(old.vrps.len(), 2_811);
    assert_eq!(
        rejects(&old.rejected),
        vec![
            (idx(101), RejectReason::NullPrefix),
            (idx(1309), RejectReason::BadAsn),
            (idx(2813), RejectReason::BadAsn),
        ]
    );
}

#[test]
fn dn42_formats_of_the_same_date_give_the_same_vrp_set() {
    let Some(dir) = rpki_dir() else { return };
    let json = load(&dir, "dn42-export.json");
    let reference = keys(&json.vrps);

    let slurm = Slurm::load_path(dir.join("dn42-slurm.json")).unwrap();
    assert_eq!(slurm.prefix_assertions.len(), 3_309);
    assert!(slurm.prefix_filters.is_empty());
    let a = |index| Position::Index {
        array: "prefixAssertions",
        index,
    };
    assert_eq!(
        rejects(&slurm.rejected),
        vec![
            (a(123), RejectReason::NullPrefix),
            (a(1560), RejectReason::BadAsn),
            (a(3311), RejectReason::BadAsn),
        ]
    );
    // As assertions on top of an empty payload.
    let mut vrps = Vec::new();
    slurm.apply_to(&mut vrps);
    assert_eq!(keys(&vrps), reference, "SLURM assertions");

    for (name, format, keyword) in [
        ("dn42-bird1-roa.conf", Format::Bird1, "roa "),
        ("dn42-bird2-roa.conf", Format::Bird2, "route "),
    ] {
        let pl = load(&dir, name);
        assert_eq!(pl.format, format);
        assert_eq!(pl.vrps.len(), 3_309, "{name}");
        assert_eq!(
            rejects(&pl.rejected),
            vec![
                (Position::Line(124), RejectReason::NullPrefix),
                (Position::Line(1561), RejectReason::MissingAsn),
                (Position::Line(3312), RejectReason::MissingAsn),
            ],
            "{name}"
        );
        assert!(pl.rejected[1].text.starts_with(keyword));
        assert!(pl.rejected[1].text.contains(" as ;"));
        assert_eq!(keys(&pl.vrps), reference, "{name}");
    }
}

// ---- the independent check ----

/// A small deterministic PRNG (splitmix64), so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bits(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

/// RFC 6811 section 2, read literally, over a flat list: a VRP *covers* a route when its
/// prefix length is at most the route's and the first (VRP length) bits of both addresses are
/// equal (same family); it *matches* when it covers, the route length is at most maxLength and
/// the route's origin equals the VRP's ASN (an origin of NONE, or a VRP for AS0, never
/// matches). Valid if any matches, Invalid if any covers, else NotFound.
struct Naive {
    /// (is IPv6, address left-aligned in 128 bits, length, maxLength, ASN)
    vrps: Vec<(bool, u128, u8, u8, u32)>,
}

impl Naive {
    fn new(vrps: &[Vrp]) -> Naive {
        let vrps = vrps
            .iter()
            .map(|v| {
                let v6 = v.prefix.afi() == Afi::Ipv6;
                let addr = if v6 {
                    v.prefix.bits()
                } else {
                    v.prefix.bits() << 96
                };
                (v6, addr, v.prefix.len(), v.max_len, v.asn.0)
            })
            .collect();
        Naive { vrps }
    }

    /// (state, reason, indices of covering VRPs)
    fn validate(
        &self,
        route: &Prefix,
        origin: Option<Asn>,
    ) -> (RovState, Option<InvalidReason>, Vec<usize>) {
        let v6 = route.afi() == Afi::Ipv6;
        let addr = if v6 { route.bits() } else { route.bits() << 96 };
        let rlen = route.len();
        let mut covering = Vec::new();
        let mut matched = false;
        let mut same_as_too_long = false;
        for (i, &(vv6, vaddr, vlen, vmax, vasn)) in self.vrps.iter().enumerate() {
            if vv6 != v6 || vlen > rlen {
                continue;
            }
            // The first vlen bits equal.
            let equal = vlen == 0 || (addr ^ vaddr) >> (128 - u32::from(vlen)) == 0;
            if !equal {
                continue;
            }
            covering.push(i);
            let same_as = origin == Some(Asn(vasn)) && vasn != 0;
            if same_as && rlen <= vmax {
                matched = true;
            } else if same_as {
                same_as_too_long = true;
            }
        }
        if matched {
            (RovState::Valid, None, covering)
        } else if covering.is_empty() {
            (RovState::NotFound, None, covering)
        } else if same_as_too_long {
            (RovState::Invalid, Some(InvalidReason::Length), covering)
        } else {
            (RovState::Invalid, Some(InvalidReason::As), covering)
        }
    }
}

/// Routes near the VRPs: sub-prefixes of VRP prefixes at random lengths (some shorter than
/// the VRP, some beyond maxLength), a few random addresses, and origins that are the VRP's
/// own ASN, another VRP's ASN, AS0, NONE or random.
fn pairs_near(vrps: &[Vrp], n: usize, seed: u64) -> Vec<(Prefix, Option<Asn>)> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let v = &vrps[rng.below(vrps.len() as u64) as usize];
        let afi = v.prefix.afi();
        let width = afi.max_len();
        let len = match rng.below(10) {
            // Shorter than the VRP: covered only by less specifics, if any.
            0 => v.prefix.len().saturating_sub(rng.below(4) as u8),
            // Beyond maxLength.
            1..=2 => (v.max_len + 1 + rng.below(4) as u8).min(width),
            // Anywhere in the authorised range.
            _ => v.prefix.len() + rng.below(u64::from(v.max_len - v.prefix.len()) + 1) as u8,
        };
        let route = if rng.below(50) == 0 {
            Prefix::from_bits(afi, rng.bits(), len).unwrap()
        } else {
            // Random host bits under the VRP's prefix.
            let host = rng.bits() & (u128::MAX >> (128 - u32::from(width)));
            let keep = if v.prefix.len() == 0 {
                0
            } else {
                (u128::MAX >> (128 - u32::from(width))) & !((1u128 << (width - v.prefix.len())) - 1)
            };
            let bits = (v.prefix.bits() & keep) | (host & !keep);
            Prefix::from_bits(afi, bits, len).unwrap()
        };
        let origin = match rng.below(10) {
            0..=4 => Some(v.asn),
            5 => Some(Asn(0)),
            6 => None,
            7..=8 => Some(vrps[rng.below(vrps.len() as u64) as usize].asn),
            _ => Some(Asn(rng.next() as u32)),
        };
        out.push((route, origin));
    }
    out
}

fn compare_with_naive(vrps: &[Vrp], pairs: &[(Prefix, Option<Asn>)]) -> [usize; 4] {
    let set = VrpSet::new(vrps.to_vec());
    let sorted = set.vrps().to_vec();
    let naive = Naive::new(&sorted);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = pairs.len().div_ceil(threads).max(1);
    let counts = std::thread::scope(|s| {
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| {
                let (set, naive, sorted) = (&set, &naive, &sorted);
                s.spawn(move || {
                    let mut counts = [0usize; 4];
                    for (route, origin) in part {
                        let (state, reason, cov) = naive.validate(route, *origin);
                        let fast = set.validate_state(*route, *origin);
                        assert_eq!(fast, (state, reason), "{route} {origin:?}");
                        let explained = set.validate(*route, *origin);
                        assert_eq!((explained.state, explained.reason), (state, reason));
                        let want: Vec<Vrp> = cov.iter().map(|&i| sorted[i].clone()).collect();
                        assert_eq!(explained.covering, want, "{route} {origin:?}");
                        counts[match (state, reason) {
                            (RovState::Valid, _) => 0,
                            (RovState::Invalid, Some(InvalidReason::As)) => 1,
                            (RovState::Invalid, _) => 2,
                            (RovState::NotFound, _) => 3,
                        }] += 1;
                    }
                    counts
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold([0; 4], |a, b| {
                [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
            })
    });
    eprintln!("valid, invalid-as, invalid-length, not-found: {counts:?}");
    counts
}

#[test]
fn index_agrees_with_a_naive_scan_near_the_424k_vrps() {
    let Some(dir) = rpki_dir() else { return };
    let pl = load(&dir, RPKI_CLIENT);
    let pairs = pairs_near(&pl.vrps, 20_480, 6811);
    let counts = compare_with_naive(&pl.vrps, &pairs);
    assert_eq!(counts.iter().sum::<usize>(), 20_480);
    assert!(
        counts.iter().all(|&c| c >= 200),
        "every outcome exercised: {counts:?}"
    );
}

#[test]
fn index_agrees_with_a_naive_scan_on_dn42() {
    let Some(dir) = rpki_dir() else { return };
    let pl = load(&dir, "dn42-export-20210531.json");
    let pairs = pairs_near(&pl.vrps, 50_000, 42);
    let counts = compare_with_naive(&pl.vrps, &pairs);
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
}

/// Timings (not a test of speed): `cargo test --release -p routenorms-rpki --test real_data
/// -- --ignored --nocapture`.
#[test]
#[ignore]
fn timings() {
    let Some(dir) = rpki_dir() else { return };
    let t = Instant::now();
    let pl = load(&dir, RPKI_CLIENT);
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let set = VrpSet::new(pl.vrps.clone());
    let index_s = t.elapsed().as_secs_f64();
    eprintln!(
        "{RPKI_CLIENT}: {} VRPs, {} ASPAs: load {:.0} ms, index {:.0} ms",
        pl.vrps.len(),
        pl.aspas.len(),
        load_s * 1e3,
        index_s * 1e3
    );

    let pairs = pairs_near(&pl.vrps, 2_000_000, 1);
    for _ in 0..2 {
        let mut counts = [0usize; 3];
        let t = Instant::now();
        for (route, origin) in &pairs {
            let (state, _) = set.validate_state(*route, *origin);
            counts[state as usize] += 1;
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "validate_state, pairs near VRPs: {:.1} M/s ({counts:?} valid/invalid/not-found)",
            pairs.len() as f64 / s / 1e6
        );
    }
    for afi in [Afi::Ipv4, Afi::Ipv6] {
        let part: Vec<_> = pairs.iter().filter(|(p, _)| p.afi() == afi).collect();
        let t = Instant::now();
        for (route, origin) in &part {
            std::hint::black_box(set.validate_state(*route, *origin));
        }
        let s = t.elapsed().as_secs_f64();
        eprintln!("  {afi:?} only: {:.1} M/s", part.len() as f64 / s / 1e6);
    }
    // In prefix order, as the distinct (prefix, origin) pairs of a RIB dump come.
    let mut sorted = pairs.clone();
    sorted.sort_unstable();
    let t = Instant::now();
    for (route, origin) in &sorted {
        std::hint::black_box(set.validate_state(*route, *origin));
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "validate_state, same pairs in prefix order: {:.1} M/s",
        sorted.len() as f64 / s / 1e6
    );
    // Uniformly random routes (mostly not-found).
    let mut rng = Rng(7);
    let random: Vec<(Prefix, Option<Asn>)> = (0..2_000_000)
        .map(|i| {
            let afi = if i % 4 == 0 { Afi::Ipv6 } else { Afi::Ipv4 };
            let len = if afi == Afi::Ipv4 {
                8 + rng.below(17) as u8
            } else {
                16 + rng.below(33) as u8
            };
            let bits = if afi == Afi::Ipv4 {
                rng.bits() >> 96
            } else {
                (rng.bits() >> 3) | (1 << 125)
            };
            (
                Prefix::from_bits(afi, bits, len).unwrap(),
                Some(Asn(rng.next() as u32)),
            )
        })
        .collect();
    let t = Instant::now();
    let mut found = 0usize;
    for (route, origin) in &random {
        found += usize::from(set.validate_state(*route, *origin).0 != RovState::NotFound);
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "validate_state, random routes: {:.1} M/s ({found} covered)",
        random.len() as f64 / s / 1e6
    );
    let t = Instant::now();
    let mut covering = 0usize;
    for (route, origin) in &pairs[..500_000] {
        covering += set.validate(*route, *origin).covering.len();
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "validate (explained): {:.1} M/s ({covering} covering VRPs)",
        0.5 / s
    );
    let naive = Naive::new(set.vrps());
    let t = Instant::now();
    for (route, origin) in &pairs[..200] {
        std::hint::black_box(naive.validate(route, *origin));
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!("naive linear scan: {:.0} /s", 200.0 / s);

    // One million VRPs as CSV.
    let mut csv = String::from("ASN,IP Prefix,Max Length,Trust Anchor\n");
    let mut rng = Rng(3);
    for i in 0..1_000_000u32 {
        let len = 16 + rng.below(9) as u8;
        let p = Prefix::from_bits(Afi::Ipv4, rng.bits() >> 96, len).unwrap();
        csv.push_str(&format!(
            "AS{},{p},{},ta{}\n",
            i % 70_000,
            len + rng.below(3) as u8,
            i % 5
        ));
    }
    let t = Instant::now();
    let pl = routenorms_rpki::load_bytes(csv.as_bytes()).unwrap();
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let set = VrpSet::new(pl.vrps);
    eprintln!(
        "1M VRPs (CSV, {} MB): load {:.0} ms, index {:.0} ms ({} distinct)",
        csv.len() >> 20,
        load_s * 1e3,
        t.elapsed().as_secs_f64() * 1e3,
        set.len()
    );
}
