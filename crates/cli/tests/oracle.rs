//! The bgpdump oracle: for every MRT file in the shared data, `routenorms mrt dump -m` prints the
//! same lines, in the same order, as Debian's `bgpdump -m` — except where bgpdump is provably
//! wrong, and each such difference is named below with the RFC that decides it and is checked to
//! be exactly that difference. It also compares against the reference outputs of a newer
//! bgpdump shipped with the data (`mrt/bgpdump/expected/*.bgp.gz`).
//!
//! What this proves: our decoder and bgpdump, written independently, read the same facts out of
//! 2000-2021 dumps from RIS, RouteViews, BIRD, OpenBGPD, Quagga and the DN42 collector.

mod common;

use common::{lines, routenorms};
use routenorms_testsupport::{data_dir, files_below, tool};
use routenorms_types::Prefix;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// A documented difference from bgpdump 1.6.2 for one file.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Known {
    /// Identical output.
    None,
    /// NLRI with bits set beyond the prefix length: RFC 4271 section 4.3 says trailing bits are
    /// irrelevant, so `11.13.0.0/13` is the route 11.8.0.0/13; bgpdump 1.6.2 prints the bits
    /// (newer bgpdump releases clear them, as the reference output shows).
    HostBits,
    /// OpenBGPD writes a 4-octet AGGREGATOR (8 bytes, RFC 6793) into 2-octet TABLE_DUMP records;
    /// bgpdump reads it as the 6-byte form (AS 0, address made of the AS's low half and the first
    /// half of the address). The attribute length says which form it is.
    FourOctetAggregator,
    /// BIRD writes ADD-PATH NLRI (RFC 8050: a 4-byte path id before each prefix) under the plain
    /// BGP4MP_MESSAGE_AS4 subtype; bgpdump decodes the path ids as prefixes and prints garbage.
    BirdAddPath,
    /// The 2000-era RIS collector wrote TABLE_DUMP records whose length field is 4 bytes short
    /// and which pack many entries each; bgpdump prints the first entry, then loses framing and
    /// stops. We repair each record (and report it) and print all 452,018 entries, the count
    /// bgpkit-parser's fixture notes give for this file.
    LegacyShortLength,
}

/// The documented differences and the exit code we expect (2 = damage reported).
fn expectation(name: &str) -> (Known, i32) {
    match name {
        "updates.nlri_mask_trailing_bits.gz" => (Known::HostBits, 2),
        "openbgpd_rib_table" => (Known::FourOctetAggregator, 0),
        "bird_bgp" | "bird6_bgp" => (Known::BirdAddPath, 0),
        "ris-rrc00-bview.20000111.0032.gz" => (Known::LegacyShortLength, 2),
        // Cut at 1 MiB of bzip2: every complete record matches, the truncation is reported.
        "routeviews-rib.20140523.0600_firstMB.bz2"
        | "routeviews6-rib6.20151101.0600_firstMB.bz2" => (Known::None, 2),
        _ => (Known::None, 0),
    }
}

fn bgpdump_lines(bgpdump: &Path, file: &Path) -> Vec<String> {
    let out = Command::new(bgpdump)
        .args(["-q", "-m"])
        .arg(file)
        // Without this bgpdump spends most of its time trimming its heap (ENVIRONMENT-NOTES).
        .env("MALLOC_TRIM_THRESHOLD_", "1073741824")
        .output()
        .expect("run bgpdump");
    lines(&out.stdout)
}

fn field(line: &str, i: usize) -> &str {
    line.split('|').nth(i).unwrap_or("")
}

fn canonical_prefix(line: &str) -> String {
    let mut f: Vec<String> = line.split('|').map(str::to_owned).collect();
    if let Some((addr, len)) = f.get(5).and_then(|p| p.split_once('/')) {
        if let (Ok(a), Ok(l)) = (addr.parse(), len.parse()) {
            if let Ok(p) = Prefix::new_truncating(a, l) {
                f[5] = p.to_string();
            }
        }
    }
    f.join("|")
}

/// bgpdump's reading of a 4-octet aggregator `AS ADDR` as the 2-octet form.
fn as_two_octet_misread(ours: &str) -> String {
    let (asn, addr) = ours.split_once(' ').expect("aggregator is `AS ADDR`");
    let asn: u32 = asn.parse().unwrap();
    let a: std::net::Ipv4Addr = addr.parse().unwrap();
    let o = a.octets();
    format!(
        "{} {}.{}.{}.{}",
        asn >> 16,
        (asn >> 8) & 0xff,
        asn & 0xff,
        o[0],
        o[1]
    )
}

fn check_known(name: &str, known: Known, ours: &[String], theirs: &[String]) {
    match known {
        Known::None => {
            for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
                assert_eq!(o, t, "{name}: line {} differs", i + 1);
            }
            assert_eq!(ours.len(), theirs.len(), "{name}: line counts differ");
        }
        Known::HostBits => {
            assert_eq!(ours.len(), theirs.len(), "{name}");
            let mut differing = 0;
            for (o, t) in ours.iter().zip(theirs) {
                differing += (o != t) as usize;
                assert_eq!(o, &canonical_prefix(t), "{name}: differs beyond host bits");
            }
            assert!(
                differing > 0,
                "{name}: expected the host-bits difference to show"
            );
        }
        Known::FourOctetAggregator => {
            assert_eq!(ours.len(), theirs.len(), "{name}");
            let mut differing = 0;
            for (o, t) in ours.iter().zip(theirs) {
                if o == t {
                    continue;
                }
                differing += 1;
                let (agg_o, agg_t) = (field(o, 13), field(t, 13));
                assert_eq!(as_two_octet_misread(agg_o), agg_t, "{name}: {o} vs {t}");
                assert_eq!(
                    o.replace(agg_o, agg_t),
                    *t,
                    "{name}: differs beyond the aggregator"
                );
            }
            assert!(
                differing > 0,
                "{name}: expected the aggregator difference to show"
            );
        }
        Known::BirdAddPath => {
            let state = |v: &[String]| -> Vec<String> {
                v.iter()
                    .filter(|l| field(l, 2) == "STATE")
                    .cloned()
                    .collect()
            };
            assert_eq!(state(ours), state(theirs), "{name}: state changes differ");
            let ours_ap: Vec<&String> = ours.iter().filter(|l| field(l, 2) != "STATE").collect();
            assert!(!ours_ap.is_empty());
            let mut prefixes = BTreeSet::new();
            for l in &ours_ap {
                assert!(field(l, 0).ends_with("_AP"), "{name}: {l}");
                assert!(
                    field(l, 6).parse::<u32>().is_ok(),
                    "{name}: no path id in {l}"
                );
                prefixes.insert(field(l, 5).to_owned());
            }
            // The routes BIRD announced (its own RIB dumps of the same lab hold the same ones).
            let expected: &[&str] = if name == "bird_bgp" {
                &[
                    "172.17.0.0/24",
                    "172.17.1.0/24",
                    "172.17.2.0/24",
                    "192.168.16.0/24",
                ]
            } else {
                &[
                    "fd01:1:1::/64",
                    "fd01:1:2::/64",
                    "fd01:1::/64",
                    "fd02:17::/64",
                ]
            };
            assert_eq!(
                prefixes.iter().map(String::as_str).collect::<Vec<_>>(),
                expected
            );
            // bgpdump found none of them.
            assert!(
                theirs.iter().all(|l| !prefixes.contains(field(l, 5))),
                "{name}"
            );
        }
        Known::LegacyShortLength => {
            assert_eq!(theirs.len(), 1, "{name}: bgpdump 1.6.2 prints one line");
            assert_eq!(ours[0], theirs[0], "{name}: first entry differs");
            assert_eq!(ours.len(), 452_018, "{name}: entry count");
        }
    }
}

#[test]
fn mrt_dump_m_matches_bgpdump_on_every_shared_mrt_file() {
    let Some(data) = data_dir() else { return };
    let Some(bgpdump) = tool("bgpdump") else {
        return;
    };
    let files: Vec<_> = files_below(&data.join("mrt"))
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "expected"))
        .collect();
    assert!(
        files.len() >= 20,
        "expected the shared MRT files, found {}",
        files.len()
    );
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (known, exit) = expectation(&name);
        let out = routenorms(&["mrt", "dump", "-m", "--no-progress", file.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(exit),
            "{name}: exit code; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = lines(&out.stdout);
        let theirs = bgpdump_lines(&bgpdump, &file);
        check_known(&name, known, &ours, &theirs);
        eprintln!("{name}: {} lines, {known:?}", ours.len());
    }
}

#[test]
fn mrt_dump_m_matches_the_reference_outputs_shipped_with_bgpdump() {
    let Some(data) = data_dir() else { return };
    let dir = data.join("mrt/bgpdump");
    let mut checked = 0;
    for file in files_below(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let reference = dir.join("expected").join(format!("{name}.bgp.gz"));
        if !reference.is_file() {
            continue;
        }
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&reference).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        let out = routenorms(&["mrt", "dump", "-m", "--no-progress", file.to_str().unwrap()]);
        assert_eq!(
            lines(&out.stdout),
            lines(&text),
            "{name} differs from its reference output"
        );
        checked += 1;
    }
    assert!(
        checked >= 9,
        "expected the bgpdump reference outputs, checked {checked}"
    );
}
