//! Fuzzes the bzip2 block decoder through the block-parallel reader: the input follows a
//! stream header and a block magic, so every input is decoded as (damaged) block contents —
//! Huffman tables, selectors, the move-to-front stage, the inverse BWT and run-length
//! decoding. Inputs that happen to hold further magics exercise the scanner's piece merging.

#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_mrt::input::bzip2_parallel::ParallelBzip2Reader;
use std::io::{Cursor, Read};

/// Cap on decompressed bytes read per input.
const MAX_DECOMPRESSED: u64 = 8 << 20;

fuzz_target!(|data: &[u8]| {
    let mut stream = Vec::with_capacity(data.len() + 10);
    stream.extend_from_slice(b"BZh9");
    stream.extend_from_slice(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
    stream.extend_from_slice(data);
    let reader = ParallelBzip2Reader::new(Cursor::new(stream), 1);
    let mut out = Vec::new();
    let _ = reader.take(MAX_DECOMPRESSED).read_to_end(&mut out);
});
