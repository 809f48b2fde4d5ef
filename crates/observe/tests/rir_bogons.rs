//! RIR statistics and bogon lists from the shared data: AFRINIC and LACNIC delegated-extended
//! files (2024-01-05, 2024-01-04), IANA's registry-level file (2019-09-11) and Team Cymru's
//! full bogons (2024-03-10). Counts are checked against the files' own summary lines and
//! against plain string counting; the stats-derived bogons are cross-checked with Cymru's.

use routenorms_observe::bogons::{
    prefix_range, BogonList, BogonPolicy, Bogons, Delegations, SpaceStatus,
};
use routenorms_observe::rir::{
    IanaHolder, RecordStatus, Registry, Resource, Rir, StatsErrorKind, StatsFile, Status,
};
use routenorms_types::{Afi, Prefix};
use std::collections::HashMap;
use std::path::PathBuf;

fn data() -> Option<PathBuf> {
    routenorms_testsupport::data_dir()
}

/// Counts `type` → records and the summary lines' figures with plain string handling.
fn independent_counts(text: &str) -> (HashMap<String, usize>, HashMap<String, usize>) {
    let (mut records, mut summary) = (HashMap::new(), HashMap::new());
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('|').collect();
        // The version line starts with the format version (`2`, `2.3`).
        if f[0].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if f.len() >= 6 && f[5] == "summary" {
            summary.insert(f[2].to_string(), f[4].parse().unwrap());
        } else if f.len() >= 7 {
            *records.entry(f[2].to_string()).or_default() += 1;
        }
    }
    (records, summary)
}

fn resource_name(r: Resource) -> &'static str {
    match r {
        Resource::Asn => "asn",
        Resource::Ip(Afi::Ipv4) => "ipv4",
        Resource::Ip(Afi::Ipv6) => "ipv6",
    }
}

#[test]
fn rir_files_parse_completely_and_agree_with_their_summary_lines() {
    let Some(dir) = data() else {
        return;
    };
    for (name, rir) in [
        ("delegated-afrinic-extended-latest", Rir::Afrinic),
        ("delegated-lacnic-extended-latest", Rir::Lacnic),
    ] {
        let path = dir.join("rir").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let (records, summary) = independent_counts(&text);
        let f = StatsFile::read_file(&path).unwrap();
        assert!(
            f.errors.is_empty(),
            "{name}: {:?}",
            &f.errors[..f.errors.len().min(3)]
        );
        assert_eq!(f.registry, Some(Registry::Rir(rir)));
        assert_eq!(f.summaries, 3);
        let mut got: HashMap<String, usize> = HashMap::new();
        for r in &f.records {
            *got.entry(resource_name(r.resource).to_string())
                .or_default() += 1;
        }
        assert_eq!(got, records, "{name}");
        assert_eq!(got, summary, "{name}: the file's own summary lines");
    }
    let iana = StatsFile::read_file(&dir.join("rir/delegated-iana-latest")).unwrap();
    // The file has one damaged line (`|3|19990401|arin`, a record cut at its start).
    let errors: Vec<_> = iana.errors.iter().map(|e| (e.line, e.kind)).collect();
    assert_eq!(errors, vec![(1007, StatsErrorKind::FieldCount)]);
    assert_eq!(iana.registry, Some(Registry::Iana));
    assert_eq!(iana.date.as_deref(), Some("20190911"));
    let (records, _) = independent_counts(
        &std::fs::read_to_string(dir.join("rir/delegated-iana-latest")).unwrap(),
    );
    assert_eq!(iana.records.len(), records.values().sum::<usize>());
}

fn load(dir: &std::path::Path) -> Delegations {
    let files = [
        "rir/delegated-iana-latest",
        "rir/delegated-afrinic-extended-latest",
        "rir/delegated-lacnic-extended-latest",
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    Delegations::read_files(&refs).unwrap().0
}

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

#[test]
fn country_and_rir_lookups_on_real_stats() {
    let Some(dir) = data() else {
        return;
    };
    let d = load(&dir);
    assert_eq!(d.loaded_rirs(), &[Rir::Afrinic, Rir::Lacnic]);
    // First records of each file.
    assert_eq!(d.prefix_country(&p("24.152.0.0/22")), Some("BR"));
    assert_eq!(d.prefix_rir(&p("24.152.0.0/22")), Some(Rir::Lacnic));
    assert_eq!(d.asn_country(1228), Some("ZA"));
    assert_eq!(d.asn_rir(1228), Some(Rir::Afrinic));
    // IANA-level only: 8/8 is ARIN's, 193/8 RIPE NCC's.
    assert_eq!(d.prefix_rir(&p("8.8.8.0/24")), Some(Rir::Arin));
    assert_eq!(d.prefix_rir(&p("193.0.0.0/16")), Some(Rir::RipeNcc));
    assert_eq!(d.prefix_country(&p("8.8.8.0/24")), None);
    // Every AFRINIC and LACNIC record's first /32 (or ASN) maps back to its RIR and country.
    let text = std::fs::read_to_string(dir.join("rir/delegated-lacnic-extended-latest")).unwrap();
    let f = StatsFile::read(text.as_bytes()).unwrap();
    let mut checked = 0;
    for r in f
        .records
        .iter()
        .filter(|r| r.status == RecordStatus::Rir(Status::Allocated))
    {
        match r.resource {
            Resource::Ip(afi) => {
                let first = Prefix::from_bits(afi, r.start, afi.max_len()).unwrap();
                assert_eq!(d.prefix_country(&first), Some(r.cc.as_str()), "{first}");
            }
            Resource::Asn => assert_eq!(d.asn_country(r.start as u32), Some(r.cc.as_str())),
        }
        checked += 1;
    }
    assert!(checked > 40_000, "{checked}");
}

#[test]
fn bogon_asns_from_stats_are_the_reserved_ones_plus_the_undelegated_of_loaded_rirs() {
    let Some(dir) = data() else {
        return;
    };
    let d = load(&dir);
    let b = Bogons::new(Some(&d), None);
    let strict = Bogons::with_policy(
        Some(&d),
        None,
        BogonPolicy {
            rir_reserved: true,
            unlisted: false,
        },
    );
    // Independent: AFRINIC's and LACNIC's available and reserved ASN records.
    let mut undelegated = 0u64;
    for name in [
        "delegated-afrinic-extended-latest",
        "delegated-lacnic-extended-latest",
    ] {
        let text = std::fs::read_to_string(dir.join("rir").join(name)).unwrap();
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() >= 7 && f[2] == "asn" && (f[6] == "available" || f[6] == "reserved") {
                let start: u32 = f[3].parse().unwrap();
                let n: u32 = f[4].parse().unwrap();
                for a in start..start + n {
                    assert_eq!(b.is_bogon_asn(a), f[6] == "available", "AS{a} {name}");
                    assert!(strict.is_bogon_asn(a), "AS{a} is {} in {name}", f[6]);
                }
                undelegated += n as u64;
            }
        }
    }
    assert!(undelegated > 1000, "{undelegated}");
    // ARIN's, APNIC's and RIPE NCC's ASNs are unknown, not bogons.
    assert_eq!(
        b.check_asn(3356),
        SpaceStatus::Unknown {
            rir: Some(Rir::Arin)
        }
    );
    assert_eq!(
        b.check_asn(3320),
        SpaceStatus::Unknown {
            rir: Some(Rir::RipeNcc)
        }
    );
    assert!(!b.is_bogon_asn(3356));
    assert!(b.is_bogon_asn(64512) && b.is_bogon_asn(23456) && b.is_bogon_asn(0));
}

/// Address count of ranges, clipped to `[s, e]`.
fn overlap(ranges: &[(u128, u128)], s: u128, e: u128) -> u128 {
    ranges
        .iter()
        .filter(|r| r.1 >= s && r.0 <= e)
        .map(|r| r.1.min(e) - r.0.max(s) + 1)
        .sum()
}

/// Team Cymru's full bogons (2024-03-10) against the bogons this crate derives from IANA +
/// AFRINIC + LACNIC stats (2024-01), on the space where those stats are authoritative: the
/// IANA blocks held by AFRINIC or LACNIC. Per family, it counts Cymru's prefixes there that
/// we also call bogons, and the addresses each side calls bogon. Cymru's list is two months
/// newer than the RIR files, so allocations and returns in between may differ; the bounds
/// asserted are the measured agreement rounded down (see the printed figures).
///
/// Measured: IPv4, 11 of Cymru's 14 prefixes there are ours too, 96.0% of bogon addresses
/// agree (Cymru also lists two /22-/24s LACNIC marks `reserved` and one AFRINIC-/8 legacy
/// /24 AFRINIC's file does not list, which the default [`BogonPolicy`] does not call
/// bogons; we list ~47k addresses AFRINIC/LACNIC mark `available` that Cymru does not).
/// IPv6, 30,163 of 30,170 (99.98%) and 99.86% of addresses (Cymru also lists a few AFRINIC
/// and LACNIC blocks the January files show as allocated).
fn cross_check(afi: Afi, file: &str, min_prefix_share: f64, min_addr_share: f64) {
    let Some(dir) = data() else {
        return;
    };
    let d = load(&dir);
    let ours = Bogons::new(Some(&d), None);
    let cymru = BogonList::read_file(&dir.join("bogons").join(file)).unwrap();
    assert!(cymru.errors.is_empty());
    let cymru_only = Bogons::new(None, Some(&cymru));
    let in_their_space = |p: &Prefix| matches!(d.prefix_rir(p), Some(Rir::Afrinic | Rir::Lacnic));
    let (mut considered, mut agree) = (0usize, 0usize);
    let mut disagree = Vec::new();
    for c in cymru
        .prefixes
        .iter()
        .filter(|p| p.afi() == afi && in_their_space(p))
    {
        considered += 1;
        if ours.is_bogon_prefix(c) {
            agree += 1;
        } else if disagree.len() < 5 {
            disagree.push((*c, ours.check_prefix(c).status));
        }
    }
    // Address level, inside the IANA blocks held by AFRINIC or LACNIC.
    let iana = StatsFile::read_file(&dir.join("rir/delegated-iana-latest")).unwrap();
    let mut blocks: Vec<(u128, u128)> = iana
        .records
        .iter()
        .filter(|r| r.resource == Resource::Ip(afi))
        .filter(|r| {
            matches!(
                r.status,
                RecordStatus::Iana(IanaHolder::Rir(Rir::Afrinic | Rir::Lacnic))
            )
        })
        .map(|r| (r.start, r.end))
        .collect();
    blocks.sort_unstable();
    blocks.dedup();
    let (ours_r, cym_r) = (ours.bogon_ranges(afi), cymru_only.bogon_ranges(afi));
    let (mut both, mut only_ours, mut only_cymru) = (0f64, 0f64, 0f64);
    for &(s, e) in &blocks {
        let a = overlap(ours_r, s, e);
        let c = overlap(cym_r, s, e);
        let inter: u128 = ours_r
            .iter()
            .filter(|r| r.1 >= s && r.0 <= e)
            .map(|r| overlap(cym_r, r.0.max(s), r.1.min(e)))
            .sum();
        both += inter as f64;
        only_ours += (a - inter) as f64;
        only_cymru += (c - inter) as f64;
    }
    let prefix_share = agree as f64 / considered as f64;
    let addr_share = both / (both + only_ours + only_cymru);
    eprintln!(
        "{afi:?}: Cymru bogon prefixes in AFRINIC/LACNIC space {considered}, also ours {agree} \
         ({:.2}%); addresses: both {both:e}, only ours {only_ours:e}, only Cymru {only_cymru:e} \
         ({:.2}% agreement); first disagreements {disagree:?}",
        100.0 * prefix_share,
        100.0 * addr_share,
    );
    assert!(considered > 10, "{considered}");
    assert!(prefix_share >= min_prefix_share, "{prefix_share}");
    assert!(addr_share >= min_addr_share, "{addr_share}");
}

#[test]
fn stats_derived_ipv4_bogons_agree_with_team_cymru_in_afrinic_and_lacnic_space() {
    cross_check(Afi::Ipv4, "fullbogons-ipv4.txt", 0.75, 0.95);
}

#[test]
fn stats_derived_ipv6_bogons_agree_with_team_cymru_in_afrinic_and_lacnic_space() {
    cross_check(Afi::Ipv6, "fullbogons-ipv6.txt", 0.999, 0.998);
}

/// Every prefix this crate exports as an IPv4 bogon is in bogon space by its own check, and
/// the export is a list of canonical, non-overlapping CIDRs.
#[test]
fn exported_ipv4_bogon_list_is_consistent() {
    let Some(dir) = data() else {
        return;
    };
    let d = load(&dir);
    let b = Bogons::new(Some(&d), None);
    let list = b.bogon_prefixes(Afi::Ipv4);
    let mut last_end: Option<u128> = None;
    for x in &list {
        let (s, e) = prefix_range(x);
        assert!(last_end.is_none_or(|l| s > l), "{x} overlaps");
        last_end = Some(e);
    }
    assert!(list
        .iter()
        .all(|x| b.check_prefix(x).bogon || x.len() == 32));
    eprintln!(
        "{} IPv4 bogon CIDRs from IANA + AFRINIC + LACNIC stats",
        list.len()
    );
}
