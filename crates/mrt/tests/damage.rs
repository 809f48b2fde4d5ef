//! End-to-end behaviour of the reader on the project's own sample dump (`write::sample`):
//! compression detection, the parallel pipeline, and recovery from damaged input.

use routenorms_mrt::dump::{DumpOutput, DumpProcessor, LineFormat};
use routenorms_mrt::input::{open_reader, InputOptions};
use routenorms_mrt::pipeline::{self, Ending};
use routenorms_mrt::stats::DamageReport;
use routenorms_mrt::write;
use std::io::Write;

/// Runs bytes through input detection and the pipeline, returning text, damage and ending.
fn run(bytes: Vec<u8>, threads: usize) -> (String, Vec<DamageReport>, Ending) {
    let input = open_reader(
        Box::new(std::io::Cursor::new(bytes)),
        None,
        InputOptions {
            bzip2_threads: threads,
        },
    )
    .unwrap();
    let mut text = Vec::new();
    let mut damage = Vec::new();
    let (_, ending) = pipeline::run(
        input.reader,
        threads,
        || DumpProcessor::new(LineFormat::Bgpdump),
        |o: DumpOutput| {
            text.extend(o.text);
            damage.extend(o.damage);
        },
    );
    (String::from_utf8(text).unwrap(), damage, ending)
}

/// Byte offsets of the records of a dump (headers are back to back).
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offs = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        offs.push(at);
        at += 12 + u32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    offs
}

#[test]
fn the_sample_dump_decodes_to_every_route_it_was_written_with() {
    let (text, damage, ending) = run(write::sample(), 2);
    assert!(damage.is_empty() && ending.input_error.is_none());
    let kinds: Vec<&str> = text.lines().map(|l| l.split('|').nth(2).unwrap()).collect();
    assert_eq!(kinds, ["B", "B", "B", "STATE", "W", "A", "W", "A"]);
}

#[test]
fn every_compression_gives_the_same_output() {
    let plain = write::sample();
    let (expected, _, _) = run(plain.clone(), 1);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(&plain).unwrap();
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&plain).unwrap();
    let compressed = [
        gz.finish().unwrap(),
        bz.finish().unwrap(),
        xz.finish().unwrap(),
        zstd::encode_all(&plain[..], 3).unwrap(),
    ];
    for (i, c) in compressed.into_iter().enumerate() {
        for threads in [1, 2] {
            let (text, damage, ending) = run(c.clone(), threads);
            assert_eq!(text, expected, "compression #{i}, {threads} threads");
            assert!(damage.is_empty() && ending.input_error.is_none());
        }
    }
}

#[test]
fn a_damaged_record_in_the_middle_does_not_hide_the_records_after_it() {
    let clean = write::sample();
    let (clean_text, _, _) = run(clean.clone(), 2);
    let offs = record_offsets(&clean);
    // Between the state change (record 3) and the first UPDATE (record 4): garbage that looks
    // like nothing, then a record whose header claims an undefined type.
    let cut = offs[4];
    let mut damaged = clean[..cut].to_vec();
    damaged.extend([
        0xde, 0xad, 0xbe, 0xef, 0x00, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04,
    ]);
    damaged.extend([1, 2, 3, 4, 5, 6, 7]);
    damaged.extend(&clean[cut..]);
    let (text, damage, ending) = run(damaged, 2);
    assert!(ending.input_error.is_none());
    assert_eq!(text, clean_text, "every intact record is still printed");
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(damage[0].offset, cut as u64);
    assert_eq!(damage[0].skipped, 19);
    assert_eq!(damage[0].reason, "undefined MRT type (damaged header)");
}

#[test]
fn a_record_that_fails_to_decode_is_reported_and_the_rest_printed() {
    let mut bytes = write::sample();
    let offs = record_offsets(&bytes);
    // Record 1 is the IPv4 RIB record: claim one entry more than it has.
    let count_at = offs[1] + 12 + 4 + 1 + 3;
    bytes[count_at + 1] += 1;
    let (text, damage, _) = run(bytes, 2);
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(
        damage[0].reason,
        "RIB entry count exceeds the entries present"
    );
    assert_eq!(
        text.lines().count(),
        8,
        "both entries before the error, and all later records"
    );
}

#[test]
fn a_truncated_compressed_file_yields_every_complete_record_then_the_error() {
    let plain = write::sample();
    let mut big = Vec::new();
    for _ in 0..200 {
        big.extend(&plain);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&big).unwrap();
    let gz = gz.finish().unwrap();
    let cut = gz[..gz.len() / 2].to_vec();
    let (text, damage, ending) = run(cut, 2);
    assert!(ending.input_error.is_some(), "the cut is reported");
    let n = text.lines().count();
    assert!(n > 100 && n < 200 * 8, "{n} lines");
    assert!(text.ends_with('\n'));
    assert!(damage.len() <= 1, "at most the one cut record: {damage:?}");
}

#[test]
fn garbage_alone_is_damage_not_a_panic() {
    let (text, damage, _) = run(vec![0x42; 100], 2);
    assert!(text.is_empty());
    assert_eq!(damage.iter().map(|d| d.skipped).sum::<u64>(), 100);
}
