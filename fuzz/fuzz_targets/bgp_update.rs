//! Fuzzes the BGP UPDATE decoder on its own: the first byte picks the AS number size (bit 0:
//! 4 bytes) and whether the subtype announces ADD-PATH (bit 1); the rest is the UPDATE body
//! after the 19-byte BGP header. Every prefix, attribute, AS path segment and community is
//! read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_mrt::attr::communities::{extended, large, standard};
use routenorms_mrt::nlri::Nlri;
use routenorms_mrt::record::parse_update;
use std::hint::black_box;

fn touch_nlri(n: &Nlri<'_>) {
    black_box((
        n.afi,
        n.add_path,
        n.is_empty(),
        n.raw().len(),
        n.is_well_formed(),
    ));
    for p in n.iter() {
        match p {
            Ok(p) => black_box((p.path_id, p.prefix.to_string(), p.had_host_bits)),
            Err(e) => black_box((None, e.to_string(), false)),
        };
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let asn_size = if sel & 1 != 0 { 4 } else { 2 };
    let add_path = sel & 2 != 0;
    let u = match parse_update(body, 0, asn_size, add_path) {
        Ok(u) => u,
        Err(e) => {
            black_box(e.to_string());
            return;
        }
    };
    touch_nlri(&u.withdrawn);
    touch_nlri(&u.announced);
    let a = &u.attrs;
    if let Some(m) = &a.mp_reach {
        black_box((m.afi, m.safi, m.next_hop.len()));
        black_box((m.ipv4_next_hop(), m.ipv6_next_hop(), m.ipv6_link_local()));
        if let Some(n) = &m.nlri {
            touch_nlri(n);
        }
    }
    if let Some(m) = &a.mp_unreach {
        black_box((m.afi, m.safi));
        if let Some(n) = &m.nlri {
            touch_nlri(n);
        }
    }
    for p in [a.as_path, a.as4_path].into_iter().flatten() {
        black_box((p.raw().len(), p.asn_size(), p.origin(), p.merge_count()));
        black_box(p.to_as_path().to_string());
        for s in p.segments() {
            black_box((s.code, s.len(), s.is_empty(), s.last()));
            black_box(s.asns().collect::<Vec<u32>>());
        }
    }
    let eff = a.effective_as_path();
    black_box((
        eff.to_string(),
        eff.origin(),
        eff.first(),
        eff.route_len(),
        eff.is_empty(),
    ));
    black_box((a.origin_asn(), a.has_as4_merge(), a.effective_aggregator()));
    if let Some(v) = a.communities {
        black_box(standard(v).map(|c| c.to_string()).collect::<Vec<_>>());
    }
    if let Some(v) = a.ext_communities {
        black_box(extended(v).map(|c| c.to_string()).collect::<Vec<_>>());
    }
    if let Some(v) = a.large_communities {
        black_box(large(v).map(|c| c.to_string()).collect::<Vec<_>>());
    }
    black_box((
        a.origin,
        a.next_hop,
        a.med,
        a.local_pref,
        a.atomic_aggregate,
    ));
    black_box((
        a.aggregator,
        a.as4_aggregator,
        a.originator_id,
        a.cluster_list,
    ));
    black_box((a.only_to_customer, a.unknown.len(), a.issues, a.asn_size));
    black_box(format!("{a:?}"));
});
