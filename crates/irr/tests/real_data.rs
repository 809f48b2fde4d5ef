//! Every file of the shared IRR data loads with no damaged object, and the objects per class
//! equal an independent count: for RPSL, lines `CLASS:` that open an object (first line after
//! a blank line); for ARIN's OriginAS JSON, the records per family counted by serde_json; for
//! the maintainer table, its lines.

use routenorms_irr::load::{FileFormat, LoadOptions};
use routenorms_irr::{Class, IrrDb, DEFAULT_MAX_DEPTH};
use routenorms_testsupport::{data_dir, files_below};
use std::collections::BTreeMap;
use std::io::Read;

fn independent_rpsl_counts(text: &[u8]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let mut prev_blank = true;
    for line in text.split(|&b| b == b'\n') {
        if prev_blank && !line.starts_with(b"%") && !line.starts_with(b"#") {
            if let Some(i) = line.iter().position(|&b| b == b':') {
                *counts
                    .entry(String::from_utf8_lossy(&line[..i]).to_lowercase())
                    .or_default() += 1;
            }
        }
        prev_blank = line.iter().all(u8::is_ascii_whitespace);
    }
    counts
}

#[test]
fn every_shared_irr_file_loads_with_the_independently_counted_objects() {
    let Some(data) = data_dir() else { return };
    let files = files_below(&data.join("irr"));
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        let mut db = IrrDb::new();
        let r = db.load_path(&f, &LoadOptions::default()).unwrap();
        assert_eq!(
            r.damaged,
            0,
            "{}: {:?}",
            f.display(),
            &r.issues[..r.issues.len().min(5)]
        );
        let mut raw = Vec::new();
        routenorms_irr::input::open(&f)
            .unwrap()
            .read_to_end(&mut raw)
            .unwrap();
        match r.format.unwrap() {
            FileFormat::Rpsl => {
                let expected = independent_rpsl_counts(&raw);
                let total: u64 = expected.values().sum();
                assert_eq!(r.objects, total, "{}", f.display());
                for (class, n) in expected {
                    let c = Class::from_name(&class);
                    assert_ne!(c, Class::Other, "{class}");
                    assert_eq!(r.of(c), n, "{}: {class}", f.display());
                }
            }
            FileFormat::ArinOriginAs => {
                let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
                let n4 = v["whois_records"]["v4"].as_array().unwrap().len() as u64;
                let n6 = v["whois_records"]["v6"].as_array().unwrap().len() as u64;
                assert_eq!((r.of(Class::Route), r.of(Class::Route6)), (n4, n6));
            }
            FileFormat::MaintainerCsv => {
                let lines = raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                assert_eq!(r.objects, lines as u64);
            }
        }
    }
}

/// The DN42 registry's quirks: several `origin:` lines become several route entries, and
/// `max-length:` is kept; every as-set expands without running away.
#[test]
fn dn42_quirks_are_indexed() {
    let Some(data) = data_dir() else { return };
    let mut db = IrrDb::new();
    db.load_path(
        &data.join("irr/dn42-registry.rpsl"),
        &LoadOptions::default(),
    )
    .unwrap();
    db.finish();
    let v = db.view(&[]).unwrap();
    let p = "10.100.232.0/21".parse().unwrap();
    let got: Vec<(u32, Option<u8>, &str)> = v
        .routes_at(p)
        .map(|r| (r.origin.0, r.max_length, db.source_name(r.source)))
        .collect();
    assert_eq!(
        got,
        vec![
            (64654, Some(24), "CHAOSVPN"),
            (4242421288, Some(24), "CHAOSVPN")
        ]
    );
    for s in db.sets() {
        let e = v.expand(&s.set.name, DEFAULT_MAX_DEPTH).unwrap();
        assert!(e.depth <= DEFAULT_MAX_DEPTH);
    }
}
