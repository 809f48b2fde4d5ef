//! Fuzz target for the RPSL reader and the IRR index: any bytes (also gzip/bzip2) through
//! `RpslReader` with small limits, typing of every object, loading into an `IrrDb`, and set
//! expansion and IRR checks on whatever loaded. Nothing may panic, and the reader must stay
//! within its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_irr::check::check;
use routenorms_irr::load::LoadOptions;
use routenorms_irr::object::type_object;
use routenorms_irr::{IrrDb, Limits, RpslReader};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_line_bytes: 512,
        max_object_bytes: 4096,
        max_attributes: 64,
    };
    let mut r = RpslReader::with_limits(data, limits);
    while let Ok(Some(o)) = r.next_object() {
        if let Ok(o) = o {
            assert!(o.len() <= limits.max_attributes);
            let _ = type_object(&o, "FUZZ");
            let _ = o.to_text();
        }
    }
    let mut db = IrrDb::new();
    // One thread: the batch splitter is exercised by the unit tests on megabyte inputs.
    let opts = LoadOptions {
        limits,
        keep_text: true,
        threads: 1,
        ..LoadOptions::default()
    };
    if db.load_reader(data, &opts).is_err() {
        return;
    }
    db.finish();
    let view = db.view(&[]).expect("all sources");
    let names: Vec<String> = db
        .sets()
        .iter()
        .take(8)
        .map(|s| s.set.name.clone())
        .collect();
    for n in names {
        let _ = view.expand(&n, 8);
    }
    let probes: Vec<_> = db.aut_nums().iter().take(4).map(|a| a.asn).collect();
    for asn in probes {
        for r in view.routes_of(asn, None).take(4) {
            let _ = check(&view, None, r.prefix, Some(asn));
        }
    }
});
