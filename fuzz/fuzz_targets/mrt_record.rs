//! Fuzzes the whole MRT decoding path on one input stream: compression detection (for inputs
//! that start with a compression magic or an odd byte), framing with damage recovery, record
//! decoding, the per-route walk, element conversion and bgpdump formatting. The most recent
//! PEER_INDEX_TABLE in the input is passed to later records so RIB entries are decoded too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_mrt::element::{walk, Element, Route, WalkNotes};
use routenorms_mrt::input::{open_reader, Compression, InputOptions};
use routenorms_mrt::record::Record;
use routenorms_mrt::{bgpdump, decode, Frame, FrameReader, PeerIndexTable};
use std::hint::black_box;
use std::io::{Cursor, Read};

/// Cap on decompressed bytes, so that a small compressed input expanding to gigabytes is a
/// slow input rather than a timeout or an out-of-memory report about the decompressor.
const MAX_DECOMPRESSED: u64 = 8 << 20;

/// Reads every field of a route and everything derived from its attributes.
fn touch_route(r: &Route<'_, '_>, csv: &mut Vec<u8>) {
    let e = Element::from_route(r);
    e.write_csv(csv);
    black_box(&e);
    black_box((
        r.kind,
        r.time,
        r.peer_addr.to_ip(),
        r.peer_asn,
        r.path_id,
        r.state,
    ));
    black_box((r.prefix.map(|p| p.to_string()), r.next_hop, r.had_host_bits));
    if let Some(a) = r.attrs {
        black_box(a.effective_as_path().to_string());
        black_box(a.origin_asn());
        black_box(a.effective_aggregator());
        black_box(a.has_as4_merge());
        for p in [a.as_path, a.as4_path].into_iter().flatten() {
            black_box((
                p.origin(),
                p.merge_count(),
                p.to_as_path().route_len(),
                p.asn_size(),
            ));
            for s in p.segments() {
                black_box((
                    s.code,
                    s.len(),
                    s.is_empty(),
                    s.last(),
                    s.asns().fold(0u32, u32::wrapping_add),
                ));
            }
        }
        if let Some(m) = &a.mp_reach {
            black_box((
                m.afi,
                m.safi,
                m.ipv4_next_hop(),
                m.ipv6_next_hop(),
                m.ipv6_link_local(),
            ));
        }
        if let Some(m) = &a.mp_unreach {
            black_box((m.afi, m.safi));
        }
        black_box((
            a.originator_id,
            a.cluster_list,
            a.unknown.len(),
            a.issues.is_clean(),
        ));
        black_box(format!("{a:?}"));
    }
}

fn run<R: Read>(reader: R) {
    let mut frames = FrameReader::new(reader);
    let mut peers: Option<PeerIndexTable> = None;
    let mut out = Vec::new();
    let mut csv = Vec::new();
    let mut notes = WalkNotes::default();
    while let Some(frame) = frames.next() {
        let rec = match frame {
            Frame::Record(rec) => rec,
            Frame::Damage(d) => {
                black_box(d);
                continue;
            }
            Frame::InputError(e) => {
                black_box(e.to_string());
                continue;
            }
        };
        black_box((
            rec.offset,
            rec.header.type_name(),
            rec.header.subtype_name(),
        ));
        let decoded = match decode(&rec.header, rec.body) {
            Ok(d) => d,
            Err(e) => {
                black_box(e.to_string());
                continue;
            }
        };
        if let Record::PeerIndexTable(p) = &decoded.record {
            peers = Some(p.clone());
            continue;
        }
        csv.clear();
        let r = walk(&decoded, peers.as_ref(), &mut notes, |route| {
            touch_route(route, &mut csv)
        });
        let _ = black_box(r.map_err(|e| e.to_string()));
        out.clear();
        let r = bgpdump::format_record(&mut out, &decoded, peers.as_ref(), &mut notes);
        let _ = black_box(r.map_err(|e| e.to_string()));
        black_box(&out);
    }
    black_box(notes);
}

fuzz_target!(|data: &[u8]| {
    let compressed = Compression::detect(&data[..data.len().min(6)]) != Compression::None;
    if compressed || data.first().is_some_and(|b| b & 1 == 1) {
        let input = open_reader(
            Box::new(Cursor::new(data.to_vec())),
            None,
            InputOptions { bzip2_threads: 1 },
        );
        if let Ok(input) = input {
            black_box(input.compression.name());
            run(input.reader.take(MAX_DECOMPRESSED));
        }
    } else {
        run(data);
    }
});
