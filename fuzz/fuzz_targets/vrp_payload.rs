//! Fuzz target for the RPKI payload loaders: any bytes through format detection and every
//! loader (JSON flavours, CSV flavours, BIRD tables, gzip), SLURM, and the index built from
//! whatever loaded, validated against a route derived from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_rpki::{load_bytes, Slurm, VrpSet};

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = load_bytes(data) {
        for r in &payload.rejected {
            let _ = (r.position.to_string(), r.reason.as_str());
        }
        let probe = payload.vrps.first().map(|v| (v.prefix, Some(v.asn)));
        let set = VrpSet::new(payload.vrps);
        if let Some((prefix, origin)) = probe {
            let v = set.validate(prefix, origin);
            assert_eq!((v.state, v.reason), set.validate_state(prefix, origin));
        }
    }
    let _ = Slurm::load(data);
});
