//! Regression tests for the fuzz targets in `fuzz/` (see `fuzz/README.md`).
//!
//! `replay_mrt_record` and `replay_bgp_update` run an input through the same decoding paths as
//! the `mrt_record` and `bgp_update` fuzz targets. When a fuzzer finds a crash, minimise it
//! (`cargo +nightly fuzz tmin <target> <artifact>`) and add a test here with the bytes inline.
//! The campaign that added this file found no crash in the library; the tests below pin a few
//! hostile input shapes that the campaign exercised.

use routenorms_mrt::attr::communities::{extended, large, standard};
use routenorms_mrt::bgpdump;
use routenorms_mrt::element::{walk, Element, WalkNotes};
use routenorms_mrt::input::{open_reader, Compression, InputOptions};
use routenorms_mrt::record::{parse_update, Record};
use routenorms_mrt::{decode, Frame, FrameReader, PeerIndexTable};
use std::io::{Cursor, Read};

/// What the `mrt_record` target does with one input; returns the number of frames seen.
fn replay_mrt_record(data: &[u8]) -> usize {
    fn run<R: Read>(reader: R) -> usize {
        let mut frames = FrameReader::new(reader);
        let mut peers: Option<PeerIndexTable> = None;
        let mut notes = WalkNotes::default();
        let mut n = 0;
        while let Some(frame) = frames.next() {
            n += 1;
            let Frame::Record(rec) = frame else { continue };
            let Ok(decoded) = decode(&rec.header, rec.body) else {
                continue;
            };
            if let Record::PeerIndexTable(p) = &decoded.record {
                peers = Some(p.clone());
                continue;
            }
            let mut csv = Vec::new();
            let _ = walk(&decoded, peers.as_ref(), &mut notes, |route| {
                Element::from_route(route).write_csv(&mut csv);
                if let Some(a) = route.attrs {
                    let _ = (a.effective_as_path().to_string(), a.origin_asn());
                    let _ = a.effective_aggregator();
                }
            });
            let mut out = Vec::new();
            let _ = bgpdump::format_record(&mut out, &decoded, peers.as_ref(), &mut notes);
        }
        n
    }
    let compressed = Compression::detect(&data[..data.len().min(6)]) != Compression::None;
    if compressed || data.first().is_some_and(|b| b & 1 == 1) {
        match open_reader(
            Box::new(Cursor::new(data.to_vec())),
            None,
            InputOptions { bzip2_threads: 1 },
        ) {
            Ok(input) => run(input.reader.take(8 << 20)),
            Err(_) => 0,
        }
    } else {
        run(data)
    }
}

/// What the `bgp_update` target does with one input (first byte: bit 0 = 4-byte ASNs, bit 1 =
/// ADD-PATH; the rest is the UPDATE body).
fn replay_bgp_update(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let asn_size = if sel & 1 != 0 { 4 } else { 2 };
    let Ok(u) = parse_update(body, 0, asn_size, sel & 2 != 0) else {
        return;
    };
    let a = &u.attrs;
    let mp = [
        a.mp_reach.as_ref().and_then(|m| m.nlri),
        a.mp_unreach.as_ref().and_then(|m| m.nlri),
    ];
    for n in [Some(u.withdrawn), Some(u.announced)]
        .into_iter()
        .chain(mp)
        .flatten()
    {
        for p in n.iter() {
            let _ = p.map(|p| p.prefix.to_string());
        }
    }
    for p in [a.as_path, a.as4_path].into_iter().flatten() {
        for s in p.segments() {
            let _ = (s.len(), s.last(), s.asns().count());
        }
    }
    let _ = (a.effective_as_path().to_string(), a.origin_asn());
    let _ = a.effective_aggregator();
    let _: Vec<_> = a.communities.into_iter().flat_map(standard).collect();
    let _: Vec<_> = a.ext_communities.into_iter().flat_map(extended).collect();
    let _: Vec<_> = a.large_communities.into_iter().flat_map(large).collect();
}

fn header(ts: u32, mrt_type: u16, subtype: u16, len: u32) -> Vec<u8> {
    let mut v = ts.to_be_bytes().to_vec();
    v.extend(mrt_type.to_be_bytes());
    v.extend(subtype.to_be_bytes());
    v.extend(len.to_be_bytes());
    v
}

#[test]
fn empty_and_tiny_inputs_decode_to_nothing() {
    for data in [
        &[][..],
        &[0],
        &[1],
        &[0x1f, 0x8b],
        b"BZh9",
        &[0; 11],
        &[1; 11],
    ] {
        replay_mrt_record(data);
        replay_bgp_update(data);
    }
}

#[test]
fn compression_magic_followed_by_garbage_is_an_input_error_not_a_panic() {
    let garbage = [0x5a; 64];
    for magic in [
        &[0x1f, 0x8b][..],
        b"BZh9",
        &[0xfd, b'7', b'z', b'X', b'Z', 0x00],
        &[0x28, 0xb5, 0x2f, 0xfd],
    ] {
        let mut data = magic.to_vec();
        data.extend(garbage);
        replay_mrt_record(&data);
    }
}

#[test]
fn a_header_declaring_the_maximum_length_over_a_short_input_is_damage() {
    // TABLE_DUMP_V2 RIB_IPV4_UNICAST declaring 64 MiB, followed by 4 bytes.
    let mut data = header(2, 13, 2, 64 << 20);
    data.extend([0, 0, 0, 1]);
    assert!(replay_mrt_record(&data) >= 1);
}

#[test]
fn rib_entries_naming_peers_past_the_table_and_maximal_as_paths_are_handled() {
    // PEER_INDEX_TABLE with one IPv4 peer, AS4.
    let mut pit = vec![
        10, 0, 0, 1, 0, 0, 0, 1, 2, 10, 0, 0, 2, 192, 0, 2, 1, 0, 0, 0xfd, 0xe8,
    ];
    let mut data = header(2, 13, 1, pit.len() as u32);
    data.append(&mut pit);
    // RIB_IPV4_UNICAST 10.0.0.0/8 with two entries: peer 0 and peer 7 (unknown).
    let mut attrs = vec![0x40, 2, 2 + 4 * 60, 2, 60];
    attrs.extend(std::iter::repeat_n(0xff, 4 * 60));
    let mut rib = vec![0, 0, 0, 1, 8, 10, 0, 2];
    for peer in [0u16, 7] {
        rib.extend(peer.to_be_bytes());
        rib.extend([0, 0, 0, 0]);
        rib.extend((attrs.len() as u16).to_be_bytes());
        rib.extend(&attrs);
    }
    data.extend(header(2, 13, 2, rib.len() as u32));
    data.extend(rib);
    assert_eq!(replay_mrt_record(&data), 2);
}

#[test]
fn an_update_with_as_trans_paths_and_every_community_kind_is_read_back() {
    let attrs: Vec<u8> = [
        &[0x40, 1, 1, 2][..],                                      // ORIGIN INCOMPLETE
        &[0x40, 2, 6, 2, 2, 0x5b, 0xa0, 0x5b, 0xa0],               // AS_PATH AS_TRANS AS_TRANS
        &[0xc0, 17, 10, 2, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], // AS4_PATH
        &[0xc0, 7, 6, 0x5b, 0xa0, 10, 0, 0, 1],                    // AGGREGATOR AS_TRANS
        &[0xc0, 18, 8, 0xff, 0xff, 0xff, 0xff, 10, 0, 0, 2],       // AS4_AGGREGATOR
        &[0xc0, 8, 4, 0xff, 0xff, 0xff, 0x01],                     // COMMUNITIES
        &[0xc0, 16, 8, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],  // EXTENDED_COMMUNITIES
        &[
            0xc0, 32, 12, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ], // LARGE
    ]
    .concat();
    let mut body = vec![0, 0];
    body.extend((attrs.len() as u16).to_be_bytes());
    body.extend(attrs);
    body.extend([32, 255, 255, 255, 255, 0]);
    for sel in 0..4u8 {
        let mut data = vec![sel];
        data.extend(&body);
        replay_bgp_update(&data);
    }
}
