//! Block-parallel bzip2 decompression.
//!
//! bzip2 compresses each block of at most 900 kB independently, so a file can be decoded on
//! several cores if the blocks can be found. Blocks are not byte-aligned: a scanner thread
//! reads the compressed input and looks for the 48-bit block magic (`0x314159265359`) and
//! end-of-stream magic (`0x177245385090`) at every bit offset. A pool of workers decodes each
//! block straight from its bits with the decoder in `bzip2_block` (which checks the block
//! CRC); the reader hands the results back in input order and checks every stream's combined
//! CRC. Only obsolete randomised blocks are rewrapped as a standalone one-block stream and
//! handed to libbz2 ([`bzip2::Decompress`]).
//!
//! A magic number can also occur by chance inside compressed data. Such a false boundary makes
//! the blocks on either side fail to decode, so a failed piece is merged with the piece that
//! follows it and decoded again before anything is reported as corrupt.
//!
//! Memory stays bounded: at most `2 * threads + 2` blocks are in flight, and a stretch of
//! input without any boundary larger than any real block is rejected as corrupt.

use std::collections::BTreeMap;
use std::io::{self, ErrorKind, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

use bzip2::{Decompress, Status};

use super::bzip2_block::{decode_block, BlockError, BlockScratch};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

/// Marks the start of every bzip2 block (the BCD digits of pi).
const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
/// Marks the end of a bzip2 stream (the BCD digits of sqrt(pi)); the stream CRC follows.
const EOS_MAGIC: u64 = 0x1772_4538_5090;
/// Compressed bytes read from the input at a time.
const READ_CHUNK: usize = 1 << 20;
/// A real block compresses to at most about 2.3 MB (900 k symbols of at most 20 bits each);
/// a stretch of input longer than this without a boundary cannot be bzip2.
const MAX_PIECE_BYTES: usize = 4 << 20;
/// A block expands to at most about 46 MB (run-length codes of 5 bytes for 255); more output
/// than this from one piece means it is not a real block.
const MAX_BLOCK_OUTPUT: usize = 64 << 20;
/// How many following pieces a failed piece is merged with before it is declared corrupt;
/// even one false magic inside a block is a one-in-millions event.
const MAX_MERGES: usize = 3;
/// Upper bound on worker threads, so that a silly argument cannot exhaust the system.
const MAX_THREADS: usize = 256;

/// For each byte value, which magic/bit-shift combinations put that value in the second byte
/// of the magic's span (bits 0..8: block magic at shift 0..8, bits 8..16: end-of-stream magic).
/// Looking bytes up in this table skips about 15 of 16 positions without any bit arithmetic.
static CANDIDATES: [u16; 256] = candidate_table();

const fn candidate_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut shift = 0;
    while shift < 8 {
        table[((BLOCK_MAGIC >> (32 + shift)) & 0xff) as usize] |= 1 << shift;
        table[((EOS_MAGIC >> (32 + shift)) & 0xff) as usize] |= 1 << (8 + shift);
        shift += 1;
    }
    table
}

/// Reads `n` (1..=56) bits starting at bit `pos` of `buf`, most significant first; bits past
/// the end of `buf` read as zero.
fn bits_at(buf: &[u8], pos: u64, n: u32) -> u64 {
    debug_assert!((1..=56).contains(&n));
    let byte = usize::try_from(pos / 8).unwrap_or(usize::MAX);
    let mut word = [0u8; 8];
    if let Some(src) = buf.get(byte..byte.saturating_add(8)) {
        word.copy_from_slice(src);
    } else if let Some(src) = buf.get(byte..) {
        word[..src.len()].copy_from_slice(src);
    }
    (u64::from_be_bytes(word) << (pos % 8)) >> (64 - n)
}

/// Appends bit strings at any bit alignment; used to move a block to a byte boundary.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    nacc: u32,
}

impl BitWriter {
    fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(bytes),
            acc: 0,
            nacc: 0,
        }
    }

    /// Appends the low `n` (0..=56) bits of `value`.
    fn push(&mut self, value: u64, n: u32) {
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (value & ((1u64 << n) - 1));
        self.nacc += n;
        while self.nacc >= 8 {
            self.nacc -= 8;
            self.out.push((self.acc >> self.nacc) as u8);
        }
    }

    /// Appends `len` bits of `src` starting at bit `start`.
    fn append(&mut self, src: &[u8], start: u64, len: u64) {
        let end = start + len;
        let mut pos = start;
        while pos < end {
            let n = (end - pos).min(56) as u32;
            self.push(bits_at(src, pos, n), n);
            pos += u64::from(n);
        }
    }

    /// Pads the last byte with zero bits and returns the bytes.
    fn finish(mut self) -> Vec<u8> {
        if self.nacc > 0 {
            self.out.push((self.acc << (8 - self.nacc)) as u8);
        }
        self.out
    }
}

/// What follows a piece in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PieceEnd {
    /// Another block magic.
    Block,
    /// The end-of-stream magic, with the stream's combined CRC.
    Eos(u32),
    /// The end of the input: the piece may be incomplete.
    Truncated,
}

/// The bits of one candidate block, from its block magic to the next magic (or input end).
struct Piece {
    /// Bytes holding the piece; its first bit is bit `shift` (from the top) of `bytes[0]`.
    bytes: Vec<u8>,
    shift: u8,
    bit_len: u64,
    /// Block size digit (1..=9) from the header of the piece's stream.
    level: u8,
    first_in_stream: bool,
    end: PieceEnd,
    /// Bit lengths to try decoding, most likely first. A complete piece has only its own
    /// length; a piece cut off by the input end may carry a partial magic after the block,
    /// so lengths without each plausible partial magic are tried as well.
    tries: Vec<u64>,
}

impl Piece {
    /// The block CRC stored right after the block magic.
    fn block_crc(&self) -> u32 {
        bits_at(&self.bytes, u64::from(self.shift) + 48, 32) as u32
    }

    /// Joins two adjacent pieces, for when the boundary between them was a false magic.
    fn merge(self, next: Piece) -> Piece {
        let total = self.bit_len + next.bit_len;
        let mut w = BitWriter::with_capacity((total / 8 + 1) as usize);
        w.append(&self.bytes, u64::from(self.shift), self.bit_len);
        w.append(&next.bytes, u64::from(next.shift), next.bit_len);
        let tries = next.tries.iter().map(|t| self.bit_len + t).collect();
        Piece {
            bytes: w.finish(),
            shift: 0,
            bit_len: total,
            level: self.level,
            first_in_stream: self.first_in_stream,
            end: next.end,
            tries,
        }
    }

    /// Builds a standalone one-block stream from the first `len` bits. For a one-block stream
    /// the combined CRC equals the block CRC, so the decoder verifies both.
    fn standalone(&self, len: u64) -> Vec<u8> {
        let mut w = BitWriter::with_capacity((len / 8) as usize + 16);
        w.push(
            u64::from_be_bytes([0, 0, 0, 0, b'B', b'Z', b'h', b'0' + self.level]),
            32,
        );
        w.append(&self.bytes, u64::from(self.shift), len);
        w.push(EOS_MAGIC, 48);
        w.push(u64::from(self.block_crc()), 32);
        w.finish()
    }

    /// Decodes the piece, trying each candidate length; a panic in a decoder is an error.
    fn decode(
        &self,
        scratch: &mut BlockScratch,
        spare: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, String> {
        let mut last = String::from("empty block");
        // A block holds up to `level` * 100 kB of run-length-encoded bytes, which usually
        // decode to about that much; starting there avoids regrowing the output.
        let capacity = usize::from(self.level) * 112_500;
        let mut spare = spare;
        for &len in &self.tries {
            if len < 80 {
                continue;
            }
            let mut out = spare.take().unwrap_or_default();
            out.clear();
            out.reserve(capacity);
            let fast = catch_unwind(AssertUnwindSafe(|| {
                decode_block(
                    &self.bytes,
                    u64::from(self.shift),
                    len,
                    self.level,
                    scratch,
                    &mut out,
                )
            }));
            match fast {
                Ok(Ok(_)) => return Ok(out),
                Ok(Err(BlockError::Randomised)) => {}
                Ok(Err(e)) => {
                    last = e.reason().to_string();
                    spare = Some(out);
                    continue;
                }
                Err(_) => {
                    last = "bzip2 decoder panicked".to_string();
                    *scratch = BlockScratch::default();
                    continue;
                }
            }
            // Obsolete randomised blocks go to the reference decoder.
            let stream = self.standalone(len);
            match catch_unwind(AssertUnwindSafe(|| decode_stream(&stream, capacity))) {
                Ok(Ok(data)) => return Ok(data),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "bzip2 decoder panicked".to_string(),
            }
        }
        Err(last)
    }
}

/// Decodes one complete bzip2 stream held in memory, sizing the output by what it produces.
/// `capacity` is the expected output size; runs of repeated bytes can exceed it many times.
fn decode_stream(input: &[u8], capacity: usize) -> Result<Vec<u8>, &'static str> {
    let mut d = Decompress::new(false);
    let mut out = Vec::with_capacity(capacity);
    loop {
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let consumed = usize::try_from(in_before)
            .unwrap_or(usize::MAX)
            .min(input.len());
        match d.decompress_vec(&input[consumed..], &mut out) {
            Ok(Status::StreamEnd) => return Ok(out),
            Ok(_) => {}
            Err(_) => return Err("data error (bad block or CRC mismatch)"),
        }
        if out.len() == out.capacity() {
            if out.len() >= MAX_BLOCK_OUTPUT {
                return Err("block expands beyond any valid size");
            }
            out.reserve(out.len().max(1 << 16));
        } else if d.total_in() as usize >= input.len() {
            return Err("block ends early");
        } else if d.total_in() == in_before && d.total_out() == out_before {
            return Err("decoder made no progress");
        }
    }
}

/// Work for the decoder threads, numbered in input order.
enum Job {
    Piece(u64, Piece),
    /// The input ended cleanly after a complete stream.
    End(u64),
    /// The scanner cannot go on (I/O error or malformed input).
    Fail(u64, ErrorKind, String),
}

/// A job as the reader receives it back.
enum Done {
    Piece(Piece, Result<Vec<u8>, String>),
    End,
    Fail(ErrorKind, String),
}

/// Why the scanner stopped.
enum Halt {
    /// The reader was dropped, or a truncated final piece was already sent.
    Stop,
    Fail(ErrorKind, String),
}

impl From<io::Error> for Halt {
    fn from(e: io::Error) -> Self {
        Halt::Fail(e.kind(), format!("reading bzip2 input: {e}"))
    }
}

fn truncated() -> Halt {
    Halt::Fail(ErrorKind::UnexpectedEof, TRUNCATED.to_string())
}

const TRUNCATED: &str = "bzip2 stream was truncated (input ends inside a stream)";

/// Whether `head` (up to 4 bytes) could start a stream header `BZh1`..`BZh9`.
fn header_prefix_ok(head: &[u8]) -> bool {
    head.iter().zip(b"BZh").all(|(a, b)| a == b)
        && head.get(3).is_none_or(|d| (b'1'..=b'9').contains(d))
}

/// Reads compressed input and cuts it into pieces at block boundaries.
struct Scanner<R> {
    inner: R,
    /// Compressed bytes starting at absolute byte offset `base`.
    buf: Vec<u8>,
    base: u64,
    eof: bool,
    jobs: Sender<Job>,
    /// One token per block allowed in flight; the reader gives them back.
    tokens: Receiver<()>,
    seq: u64,
    /// Test hook: absolute bit offsets to treat as (false) block boundaries.
    fake_splits: Vec<u64>,
}

impl<R: Read> Scanner<R> {
    fn run(mut self) {
        let job = match self.scan() {
            Ok(()) => Job::End(self.seq),
            Err(Halt::Stop) => return,
            Err(Halt::Fail(kind, msg)) => Job::Fail(self.seq, kind, msg),
        };
        let _ = self.send(job);
    }

    /// Sends a job once a slot is free; fails when the reader is gone.
    fn send(&mut self, job: Job) -> Result<(), Halt> {
        self.tokens.recv().map_err(|_| Halt::Stop)?;
        self.jobs.send(job).map_err(|_| Halt::Stop)?;
        self.seq += 1;
        Ok(())
    }

    fn end_byte(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Reads more input, first dropping bytes before absolute byte `keep_from`.
    /// Returns false at the end of the input.
    fn fill(&mut self, keep_from: u64) -> Result<bool, Halt> {
        if self.eof {
            return Ok(false);
        }
        let drop = (keep_from.saturating_sub(self.base) as usize).min(self.buf.len());
        if drop > 0 {
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        loop {
            match self.inner.read(&mut self.buf[old..]) {
                Ok(n) => {
                    self.buf.truncate(old + n);
                    if n == 0 {
                        self.eof = true;
                    }
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e.into());
                }
            }
        }
    }

    /// Reads until the buffer reaches absolute byte `until` or the input ends.
    fn ensure(&mut self, keep_from: u64, until: u64) -> Result<(), Halt> {
        while self.end_byte() < until && self.fill(keep_from)? {}
        Ok(())
    }

    /// Reads `n` bits at absolute bit `pos` (which must be buffered).
    fn bits(&self, pos: u64, n: u32) -> u64 {
        bits_at(&self.buf, pos - self.base * 8, n)
    }

    /// Finds the first magic at absolute bit `from` or later within the buffered input.
    /// Returns its position and whether it is an end-of-stream magic, or else the position
    /// from which to resume after more input arrives.
    fn find_magic(&self, from: u64) -> Result<(u64, bool), u64> {
        let buf = &self.buf;
        let base_bits = self.base * 8;
        let rel = from - base_bits;
        // A magic at bit 8 * (k - 1) + s puts a known value in byte k, for s in 0..8;
        // bytes k - 1 ..= k + 5 hold all its 48 bits.
        let mut k = (rel / 8) as usize + 1;
        let limit = buf.len().saturating_sub(5);
        while k < limit {
            match buf[k..limit]
                .iter()
                .position(|&b| CANDIDATES[b as usize] != 0)
            {
                None => k = limit,
                Some(i) => {
                    k += i;
                    let mask = CANDIDATES[buf[k] as usize];
                    for s in 0..8u64 {
                        let q = 8 * (k as u64 - 1) + s;
                        if q < rel || mask & (0x0101 << s) == 0 {
                            continue;
                        }
                        let word = bits_at(buf, q, 48);
                        if mask & (1 << s) != 0 && word == BLOCK_MAGIC {
                            return Ok((q + base_bits, false));
                        }
                        if mask & (0x100 << s) != 0 && word == EOS_MAGIC {
                            return Ok((q + base_bits, true));
                        }
                    }
                    k += 1;
                }
            }
        }
        Err((base_bits + 8 * (k as u64 - 1)).max(from))
    }

    /// Sends the bits `start..end` as a piece.
    fn emit(
        &mut self,
        start: u64,
        end: u64,
        level: u8,
        first: bool,
        kind: PieceEnd,
    ) -> Result<(), Halt> {
        let from = (start / 8 - self.base) as usize;
        let to = (end.div_ceil(8) - self.base) as usize;
        let bit_len = end - start;
        let tries = if kind == PieceEnd::Truncated {
            self.truncated_tries(start, end)
        } else {
            vec![bit_len]
        };
        let piece = Piece {
            bytes: self.buf[from..to].to_vec(),
            shift: (start % 8) as u8,
            bit_len,
            level,
            first_in_stream: first,
            end: kind,
            tries,
        };
        self.send(Job::Piece(self.seq, piece))
    }

    /// Candidate lengths for a piece cut off by the input end: the input may stop inside the
    /// magic that follows a complete block, so every ending that looks like the start of a
    /// magic is tried (longest first; a whole magic in the last bytes escapes the scan), then
    /// the whole piece.
    fn truncated_tries(&self, start: u64, end: u64) -> Vec<u64> {
        let mut tries = Vec::new();
        for k in (1..=48u32).rev() {
            if end < start + 80 + u64::from(k) {
                continue;
            }
            let tail = self.bits(end - u64::from(k), k);
            if tail == BLOCK_MAGIC >> (48 - k) || tail == EOS_MAGIC >> (48 - k) {
                tries.push(end - u64::from(k) - start);
            }
        }
        tries.push(end - start);
        tries
    }

    fn scan(&mut self) -> Result<(), Halt> {
        let mut pos = 0u64; // absolute byte offset of the next stream header
        let mut first_stream = true;
        loop {
            self.ensure(pos, pos + 4)?;
            let have = (self.end_byte() - pos).min(4) as usize;
            let at = (pos - self.base) as usize;
            let head = &self.buf[at..at + have];
            if have == 0 {
                if first_stream {
                    return Err(Halt::Fail(
                        ErrorKind::UnexpectedEof,
                        "empty input, not a bzip2 stream".into(),
                    ));
                }
                return Ok(());
            }
            if !header_prefix_ok(head) {
                let msg = if first_stream {
                    "not a bzip2 stream (bad magic)"
                } else {
                    "trailing garbage after bzip2 stream"
                };
                return Err(Halt::Fail(ErrorKind::InvalidData, msg.into()));
            }
            if have < 4 {
                return Err(truncated());
            }
            let level = head[3] - b'0';
            let bit = (pos + 4) * 8;
            self.ensure(pos, pos + 14)?;
            if self.end_byte() * 8 < bit + 48 {
                return Err(truncated());
            }
            let magic = self.bits(bit, 48);
            if magic == EOS_MAGIC {
                // An empty stream: its CRC must be zero.
                if self.end_byte() * 8 < bit + 80 {
                    return Err(truncated());
                }
                if self.bits(bit + 48, 32) != 0 {
                    return Err(Halt::Fail(
                        ErrorKind::InvalidData,
                        "bzip2 stream CRC mismatch".into(),
                    ));
                }
                pos += 14;
                first_stream = false;
                continue;
            }
            if magic != BLOCK_MAGIC {
                let msg = if first_stream {
                    "not a bzip2 stream (no block after header)"
                } else {
                    "corrupt bzip2 stream header"
                };
                return Err(Halt::Fail(ErrorKind::InvalidData, msg.into()));
            }
            pos = self.scan_blocks(bit, level)?;
            first_stream = false;
        }
    }

    /// Cuts one stream's blocks, starting at the first block magic (absolute bit `start`).
    /// Returns the byte offset after the stream.
    fn scan_blocks(&mut self, start: u64, level: u8) -> Result<u64, Halt> {
        let mut piece_start = start;
        let mut first = true;
        let mut scan_from = start + 80;
        // An end-of-stream magic not followed by a stream header or the input end: probably a
        // false match, but if no boundary follows, it was the real end before trailing garbage.
        let mut rejected_eos: Option<(u64, u32)> = None;
        loop {
            let found = self.find_magic(scan_from);
            let (q, eos) = match found {
                Ok(hit) => hit,
                Err(resume) => {
                    scan_from = resume;
                    let piece_bytes = self.end_byte() - piece_start / 8;
                    let more =
                        piece_bytes <= MAX_PIECE_BYTES as u64 && self.fill(piece_start / 8)?;
                    if more {
                        continue;
                    }
                    if let Some((q, crc)) = rejected_eos {
                        self.emit(piece_start, q, level, first, PieceEnd::Eos(crc))?;
                        return Err(Halt::Fail(
                            ErrorKind::InvalidData,
                            "trailing garbage after bzip2 stream".into(),
                        ));
                    }
                    if piece_bytes > MAX_PIECE_BYTES as u64 {
                        return Err(Halt::Fail(
                            ErrorKind::InvalidData,
                            "corrupt bzip2 data: no block boundary where one must be".into(),
                        ));
                    }
                    let end = self.end_byte() * 8;
                    self.emit(piece_start, end, level, first, PieceEnd::Truncated)?;
                    return Err(Halt::Stop);
                }
            };
            if let Some(&split) = self
                .fake_splits
                .iter()
                .find(|&&s| s >= piece_start + 80 && s < q)
            {
                self.emit(piece_start, split, level, first, PieceEnd::Block)?;
                piece_start = split;
                first = false;
            }
            if !eos {
                self.emit(piece_start, q, level, first, PieceEnd::Block)?;
                piece_start = q;
                first = false;
                scan_from = q + 80;
                rejected_eos = None;
                continue;
            }
            // End of stream: the CRC, padding to a byte, then the input end or a new header.
            let after = (q + 80).div_ceil(8);
            self.ensure(piece_start / 8, after + 4)?;
            if self.end_byte() * 8 < q + 80 {
                self.emit(piece_start, q, level, first, PieceEnd::Truncated)?;
                return Err(Halt::Stop);
            }
            let crc = self.bits(q + 48, 32) as u32;
            let rest = (self.end_byte().saturating_sub(after)).min(4) as usize;
            let at = (after - self.base) as usize;
            let next_ok = rest == 0
                || (header_prefix_ok(&self.buf[at..at + rest]) && (rest == 4 || self.eof));
            if next_ok {
                self.emit(piece_start, q, level, first, PieceEnd::Eos(crc))?;
                return Ok(after);
            }
            rejected_eos = Some((q, crc));
            scan_from = q + 1;
        }
    }
}

/// Decodes pieces until the job channel closes or the reader is gone.
/// `spare` brings back output buffers the reader has drained, so that a block's output does
/// not cost fresh pages every time.
fn worker(jobs: Receiver<Job>, results: Sender<(u64, Done)>, spare: Receiver<Vec<u8>>) {
    let mut scratch = BlockScratch::default();
    while let Ok(job) = jobs.recv() {
        let (seq, done) = match job {
            Job::Piece(seq, piece) => {
                let data = piece.decode(&mut scratch, spare.try_recv().ok());
                (seq, Done::Piece(piece, data))
            }
            Job::End(seq) => (seq, Done::End),
            Job::Fail(seq, kind, msg) => (seq, Done::Fail(kind, msg)),
        };
        if results.send((seq, done)).is_err() {
            break;
        }
    }
}

/// Where the reader stands once its buffer is drained.
#[derive(Debug)]
enum State {
    Running,
    Finished,
    Failed(ErrorKind, String),
}

/// Reads a bzip2 file (one or more concatenated streams) and yields the decompressed bytes in order,
/// decompressing independent blocks on `threads` worker threads.
pub struct ParallelBzip2Reader {
    results: Receiver<(u64, Done)>,
    tokens: Sender<()>,
    /// Drained output buffers, handed back to the workers for reuse.
    spare: Sender<Vec<u8>>,
    /// Decoded pieces that arrived ahead of their turn.
    pending: BTreeMap<u64, Done>,
    next_seq: u64,
    /// Decompressed bytes of the current block and how far they have been read.
    buf: Vec<u8>,
    pos: usize,
    combined_crc: u32,
    blocks: u64,
    state: State,
    threads: usize,
}

impl std::fmt::Debug for ParallelBzip2Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelBzip2Reader")
            .field("threads", &self.threads)
            .field("blocks", &self.blocks)
            .field("buffered", &(self.buf.len() - self.pos))
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ParallelBzip2Reader {
    /// Starts the scanner and `threads` decoder threads (at least one) on `inner`.
    pub fn new<R: Read + Send + 'static>(inner: R, threads: usize) -> Self {
        Self::with_fake_splits(inner, threads, Vec::new())
    }

    fn with_fake_splits<R: Read + Send + 'static>(
        inner: R,
        threads: usize,
        fake_splits: Vec<u64>,
    ) -> Self {
        let threads = threads.clamp(1, MAX_THREADS);
        let slots = 2 * threads + 2;
        let (token_tx, token_rx) = bounded(slots);
        for _ in 0..slots {
            let _ = token_tx.try_send(());
        }
        let (job_tx, job_rx) = bounded::<Job>(slots);
        let (result_tx, result_rx) = unbounded();
        let (spare_tx, spare_rx) = bounded(slots);
        let mut reader = ParallelBzip2Reader {
            results: result_rx,
            tokens: token_tx,
            spare: spare_tx,
            pending: BTreeMap::new(),
            next_seq: 0,
            buf: Vec::new(),
            pos: 0,
            combined_crc: 0,
            blocks: 0,
            state: State::Running,
            threads,
        };
        let mut started = 0;
        for i in 0..threads {
            let (jobs, results, spare) = (job_rx.clone(), result_tx.clone(), spare_rx.clone());
            let spawned = thread::Builder::new()
                .name(format!("bzip2-decode-{i}"))
                .spawn(move || worker(jobs, results, spare));
            if spawned.is_ok() {
                started += 1;
            }
        }
        let scanner = Scanner {
            inner,
            buf: Vec::new(),
            base: 0,
            eof: false,
            jobs: job_tx,
            tokens: token_rx,
            seq: 0,
            fake_splits,
        };
        let spawned = if started > 0 {
            thread::Builder::new()
                .name("bzip2-scan".into())
                .spawn(move || scanner.run())
                .is_ok()
        } else {
            false
        };
        if !spawned {
            reader.state = State::Failed(
                ErrorKind::Other,
                "cannot start bzip2 decoder threads".into(),
            );
        }
        reader
    }

    /// Takes the next job result in input order, waiting for it if needed.
    fn next_done(&mut self) -> Result<Done, (ErrorKind, String)> {
        loop {
            if let Some(done) = self.pending.remove(&self.next_seq) {
                self.next_seq += 1;
                let _ = self.tokens.try_send(());
                return Ok(done);
            }
            match self.results.recv() {
                Ok((seq, done)) => {
                    self.pending.insert(seq, done);
                }
                Err(_) => {
                    return Err((
                        ErrorKind::Other,
                        "bzip2 decoder threads stopped unexpectedly".into(),
                    ))
                }
            }
        }
    }

    /// A piece failed to decode: retry it joined with the following pieces, in case the
    /// boundary after it was a false magic match.
    fn recover(
        &mut self,
        mut piece: Piece,
        err: String,
    ) -> Result<(Piece, Vec<u8>), (ErrorKind, String)> {
        let block = self.blocks + 1;
        let fail = |piece: &Piece| {
            if piece.end == PieceEnd::Truncated {
                (ErrorKind::UnexpectedEof, TRUNCATED.to_string())
            } else {
                (
                    ErrorKind::InvalidData,
                    format!("corrupt bzip2 data in block {block}: {err}"),
                )
            }
        };
        for _ in 0..MAX_MERGES {
            if piece.end != PieceEnd::Block {
                break;
            }
            let next = match self.next_done()? {
                Done::Piece(next, _) => next,
                _ => break,
            };
            piece = piece.merge(next);
            if piece.bytes.len() > MAX_PIECE_BYTES {
                break;
            }
            if let Ok(data) = piece.decode(&mut BlockScratch::default(), None) {
                return Ok((piece, data));
            }
        }
        Err(fail(&piece))
    }

    /// Loads the next block's data into `buf`, or moves to a final state.
    fn advance(&mut self) -> Result<(), (ErrorKind, String)> {
        let (piece, data) = match self.next_done()? {
            Done::End => {
                self.state = State::Finished;
                return Ok(());
            }
            Done::Fail(kind, msg) => return Err((kind, msg)),
            Done::Piece(piece, Ok(data)) => (piece, data),
            Done::Piece(piece, Err(err)) => self.recover(piece, err)?,
        };
        self.blocks += 1;
        if piece.first_in_stream {
            self.combined_crc = 0;
        }
        self.combined_crc = self.combined_crc.rotate_left(1) ^ piece.block_crc();
        match piece.end {
            PieceEnd::Block => {}
            PieceEnd::Eos(stored) if stored == self.combined_crc => {}
            PieceEnd::Eos(_) => {
                self.state =
                    State::Failed(ErrorKind::InvalidData, "bzip2 stream CRC mismatch".into());
            }
            PieceEnd::Truncated => {
                self.state = State::Failed(ErrorKind::UnexpectedEof, TRUNCATED.into());
            }
        }
        self.buf = data;
        self.pos = 0;
        Ok(())
    }
}

impl Read for ParallelBzip2Reader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.buf.len() {
                let n = (self.buf.len() - self.pos).min(out.len());
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match &self.state {
                State::Running => {}
                State::Finished => return Ok(0),
                State::Failed(kind, msg) => return Err(io::Error::new(*kind, msg.clone())),
            }
            let _ = self.spare.try_send(std::mem::take(&mut self.buf));
            self.pos = 0;
            if let Err((kind, msg)) = self.advance() {
                self.state = State::Failed(kind, msg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    /// Small deterministic generator, so the tests need no extra crates.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng(seed | 1);
        (0..len).map(|_| rng.next() as u8).collect()
    }

    /// Text-like data: compresses well, like MRT dumps.
    fn repetitive_bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = Rng(seed | 1);
        let mut out = Vec::with_capacity(len + 64);
        while out.len() < len {
            let n = rng.below(1000);
            writeln!(
                out,
                "TABLE_DUMP2|{n}|B|10.{}.0.0/16|AS{} 64512 {}|IGP",
                n % 256,
                n * 7,
                n % 13
            )
            .unwrap();
            if rng.below(50) == 0 {
                out.extend(std::iter::repeat_n(b'x', rng.below(3000)));
            }
        }
        out.truncate(len);
        out
    }

    fn compress(data: &[u8], level: u32) -> Vec<u8> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(level));
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Reads everything with `chunk`-byte reads; returns the data and the error that ended it.
    fn read_all(mut r: impl Read, chunk: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// Decodes with the parallel reader on another thread, failing the test if it hangs.
    fn parallel(compressed: &[u8], threads: usize, chunk: usize) -> (Vec<u8>, Option<io::Error>) {
        let input = compressed.to_vec();
        let (tx, rx) = bounded(1);
        thread::spawn(move || {
            let _ = tx.send(read_all(
                ParallelBzip2Reader::new(Cursor::new(input), threads),
                chunk,
            ));
        });
        rx.recv_timeout(Duration::from_secs(120))
            .expect("parallel bzip2 reader hung or panicked")
    }

    fn reference(compressed: &[u8]) -> (Vec<u8>, Option<io::Error>) {
        read_all(bzip2::read::MultiBzDecoder::new(compressed), 1 << 16)
    }

    fn check_round_trip(data: &[u8], level: u32) {
        let compressed = compress(data, level);
        let (expect, err) = reference(&compressed);
        assert!(err.is_none());
        assert!(expect == data);
        for threads in [1, 2, 4] {
            let (got, err) = parallel(&compressed, threads, 1 << 16);
            assert!(
                err.is_none(),
                "{} bytes, level {level}, {threads} threads: {err:?}",
                data.len()
            );
            assert!(
                got == data,
                "{} bytes, level {level}, {threads} threads: wrong data",
                data.len()
            );
        }
    }

    #[test]
    fn round_trips_small_and_multi_block_inputs() {
        for (len, level) in [
            (0, 9),
            (1, 9),
            (1000, 9),
            (200_000, 9),
            (1_000_000, 1),
            (2_500_000, 1),
        ] {
            check_round_trip(&random_bytes(len, len as u64 + 7), level);
            check_round_trip(&repetitive_bytes(len, len as u64 + 3), level);
        }
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "compressing 20 MB takes about 35 s unoptimised; run with --release"
    )]
    fn round_trips_twenty_megabytes() {
        let mut data = repetitive_bytes(18_000_000, 11);
        data.extend(random_bytes(2_000_000, 12));
        check_round_trip(&data, 9);
    }

    #[test]
    fn long_runs_expand_far_beyond_block_size() {
        // Runs compress about 50:1 inside a block before the BWT even starts.
        let mut data = vec![b'a'; 30_000_000];
        data.extend(random_bytes(5000, 5));
        check_round_trip(&data, 9);
    }

    #[test]
    fn concatenated_streams_are_all_decoded() {
        let parts = [
            random_bytes(300_000, 1),
            Vec::new(),
            repetitive_bytes(500_000, 2),
            b"x".to_vec(),
            random_bytes(150_000, 3),
        ];
        let mut compressed = Vec::new();
        let mut plain = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            compressed.extend(compress(part, [1, 9, 2, 5, 1][i]));
            plain.extend_from_slice(part);
        }
        let (expect, err) = reference(&compressed);
        assert!(err.is_none() && expect == plain);
        for threads in [1, 2, 4] {
            let (got, err) = parallel(&compressed, threads, 1 << 16);
            assert!(err.is_none(), "{err:?}");
            assert!(got == plain);
        }
    }

    #[test]
    fn tiny_read_buffers_see_the_same_bytes() {
        let data = repetitive_bytes(250_000, 9);
        let compressed = compress(&data, 1);
        for chunk in [1, 3, 4096] {
            let (got, err) = parallel(&compressed, 2, chunk);
            assert!(err.is_none() && got == data, "chunk {chunk}");
        }
    }

    #[test]
    fn truncated_input_yields_complete_blocks_then_unexpected_eof() {
        let mut data = random_bytes(350_000, 21);
        data.extend(repetitive_bytes(900_000, 22));
        let compressed = compress(&data, 1);
        let mut cuts: Vec<usize> = (1..60).map(|i| i * compressed.len() / 60).collect();
        cuts.extend([1, 2, 3, 4, 5, 9, 10, 13]);
        // Near the end: inside the end-of-stream magic and CRC.
        cuts.extend((1..16).map(|back| compressed.len() - back));
        let mut rng = Rng(77);
        cuts.extend((0..20).map(|_| rng.below(compressed.len())));
        for cut in cuts {
            let part = &compressed[..cut];
            let (expect, _) = reference(part);
            let (got, err) = parallel(part, 2, 1 << 16);
            let err = err.unwrap_or_else(|| panic!("cut {cut}: no error"));
            assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "cut {cut}: {err}");
            assert!(err.to_string().contains("truncated"), "{err}");
            assert!(data.starts_with(&got), "cut {cut}: output is not a prefix");
            assert_eq!(
                got.len(),
                expect.len(),
                "cut {cut}: complete blocks differ from libbz2"
            );
        }
    }

    #[test]
    fn corrupted_input_never_panics_or_yields_wrong_data() {
        let mut data = repetitive_bytes(600_000, 31);
        data.extend(random_bytes(200_000, 32));
        let compressed = compress(&data, 1);
        let mut rng = Rng(99);
        for round in 0..40 {
            let mut bad = compressed.clone();
            for _ in 0..1 + round % 3 {
                let at = rng.below(bad.len());
                bad[at] ^= 1 << rng.below(8);
            }
            let (got, err) = parallel(&bad, 2, 1 << 16);
            assert!(
                data.starts_with(&got),
                "round {round}: output is not a prefix"
            );
            if err.is_none() {
                assert!(got == data, "round {round}: wrong data without error");
            }
        }
    }

    #[test]
    fn corrupt_block_reports_invalid_data_after_earlier_blocks() {
        let data = repetitive_bytes(1_500_000, 41);
        let mut compressed = compress(&data, 1);
        let mid = compressed.len() / 2;
        for b in &mut compressed[mid..mid + 8] {
            *b ^= 0x5a;
        }
        let (got, err) = parallel(&compressed, 2, 1 << 16);
        assert_eq!(
            err.expect("corruption detected").kind(),
            ErrorKind::InvalidData
        );
        assert!(data.starts_with(&got));
        assert!(!got.is_empty(), "blocks before the damage are returned");
    }

    #[test]
    fn non_bzip2_and_odd_inputs_are_errors() {
        let cases: [(&[u8], ErrorKind); 6] = [
            (b"hello world, this is not bzip2", ErrorKind::InvalidData),
            (b"BZh0\x31\x41\x59\x26\x53\x59", ErrorKind::InvalidData),
            (b"BZh9 not a block at all", ErrorKind::InvalidData),
            (b"", ErrorKind::UnexpectedEof),
            (b"BZ", ErrorKind::UnexpectedEof),
            (b"BZh9", ErrorKind::UnexpectedEof),
        ];
        for (input, kind) in cases {
            let (got, err) = parallel(input, 2, 1 << 16);
            assert!(got.is_empty());
            assert_eq!(err.map(|e| e.kind()), Some(kind), "{input:?}");
        }
        let mut garbage_after = compress(b"payload", 9);
        garbage_after.extend_from_slice(b"\0\0\0\0garbage");
        let (got, err) = parallel(&garbage_after, 2, 1 << 16);
        assert_eq!(got, b"payload");
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidData));
    }

    #[test]
    fn stream_crc_mismatch_is_invalid_data() {
        let data = random_bytes(10_000, 51);
        let mut compressed = compress(&data, 9);
        let n = compressed.len();
        // The stream CRC occupies the 32 bits before the final padding; flip bits in the
        // last-but-one byte, which lie inside it whatever the padding.
        compressed[n - 2] ^= 0x10;
        let (_, err) = parallel(&compressed, 2, 1 << 16);
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidData));
    }

    #[test]
    fn false_boundaries_are_merged_away() {
        let data = repetitive_bytes(1_200_000, 61);
        let compressed = compress(&data, 2);
        let bits = compressed.len() as u64 * 8;
        let splits = vec![bits / 7 + 3, bits / 3 + 5, bits / 2 + 1, bits * 4 / 5];
        for threads in [1, 2] {
            let input = compressed.clone();
            let r =
                ParallelBzip2Reader::with_fake_splits(Cursor::new(input), threads, splits.clone());
            let (got, err) = read_all(r, 1 << 16);
            assert!(err.is_none(), "{err:?}");
            assert!(got == data);
        }
    }

    #[test]
    fn dropping_the_reader_mid_stream_returns_promptly() {
        let data = repetitive_bytes(3_000_000, 71);
        let compressed = compress(&data, 1);
        let start = Instant::now();
        for _ in 0..5 {
            let mut r = ParallelBzip2Reader::new(Cursor::new(compressed.clone()), 2);
            let mut buf = [0u8; 1000];
            r.read_exact(&mut buf).unwrap();
            assert_eq!(&buf[..], &data[..1000]);
            drop(r);
        }
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn reader_is_send_for_boxed_inputs() {
        fn assert_send<T: Send>() {}
        assert_send::<ParallelBzip2Reader>();
    }

    #[test]
    fn scanner_finds_magic_at_every_bit_offset() {
        for shift in 0..8u64 {
            let mut w = BitWriter::with_capacity(64);
            w.push(0x2a, shift as u32);
            w.push(0, 20);
            w.push(BLOCK_MAGIC, 48);
            w.push(0xabcd, 16);
            w.push(EOS_MAGIC, 48);
            w.push(0, 32);
            w.push(0, 32);
            let bytes = w.finish();
            let (_tx, tokens) = bounded(1);
            let (jobs, _rx) = bounded(1);
            let s = Scanner {
                inner: io::empty(),
                buf: bytes,
                base: 0,
                eof: false,
                jobs,
                tokens,
                seq: 0,
                fake_splits: Vec::new(),
            };
            assert_eq!(s.find_magic(0), Ok((shift + 20, false)));
            assert_eq!(s.find_magic(shift + 21), Ok((shift + 84, true)));
        }
    }

    fn data_dir() -> PathBuf {
        std::env::var_os("ROUTENORMS_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
            })
    }

    /// What `bzcat` prints for a file (stdout only, even when it fails), or libbz2's output
    /// where `bzcat` is not installed.
    fn bzcat(path: &std::path::Path) -> Vec<u8> {
        match std::process::Command::new("bzcat")
            .arg(path)
            .stderr(std::process::Stdio::null())
            .output()
        {
            Ok(out) => out.stdout,
            Err(_) => reference(&std::fs::read(path).unwrap()).0,
        }
    }

    #[test]
    fn real_files_match_bzcat() {
        let dir = data_dir().join("mrt");
        let files = [
            ("dn42/master4_2021-05-31.mrt.bz2", false),
            ("dn42/master6_2021-05-31.mrt.bz2", false),
            ("routeviews-rib.20140523.0600_firstMB.bz2", true),
        ];
        for (name, truncated) in files {
            let path = dir.join(name);
            if !path.exists() {
                eprintln!(
                    "skipping {}: not present (set ROUTENORMS_DATA)",
                    path.display()
                );
                continue;
            }
            let bzcat_out = bzcat(&path);
            // libbz2 (which `MultiBzDecoder` wraps) returns every complete block; `bzcat`
            // drops the last partial 5000-byte buffer when it hits a truncation.
            let (expect, _) = reference(&std::fs::read(&path).unwrap());
            if truncated {
                assert!(expect.starts_with(&bzcat_out) && expect.len() - bzcat_out.len() < 5000);
            } else {
                assert!(expect == bzcat_out, "{name}: libbz2 and bzcat disagree");
            }
            for threads in [1, 2] {
                let file = std::fs::File::open(&path).unwrap();
                let (got, err) = read_all(ParallelBzip2Reader::new(file, threads), 1 << 16);
                assert!(
                    got == expect,
                    "{name}: {} bytes, libbz2 gave {}",
                    got.len(),
                    expect.len()
                );
                if truncated {
                    assert_eq!(
                        err.map(|e| e.kind()),
                        Some(ErrorKind::UnexpectedEof),
                        "{name}"
                    );
                } else {
                    assert!(err.is_none(), "{name}: {err:?}");
                }
            }
        }
    }

    /// `cargo test --release -- --ignored --nocapture bzip2_speed` prints bzcat and reader timings.
    #[test]
    #[ignore]
    fn bzip2_speed() {
        let dir = data_dir().join("mrt/dn42");
        for name in ["master4_2021-05-31.mrt.bz2", "master6_2021-05-31.mrt.bz2"] {
            let path = dir.join(name);
            if !path.exists() {
                eprintln!("skipping {}: not present", path.display());
                continue;
            }
            let t = Instant::now();
            let status = std::process::Command::new("bzcat")
                .arg(&path)
                .stdout(std::process::Stdio::null())
                .status();
            eprintln!(
                "{name}: bzcat {:.3}s ({status:?})",
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            let n = io::copy(&mut bzip2::read::MultiBzDecoder::new(file), &mut io::sink()).unwrap();
            eprintln!(
                "{name}: MultiBzDecoder {:.3}s, {n} bytes",
                t.elapsed().as_secs_f64()
            );
            for threads in [1, 2, 3, 4] {
                let t = Instant::now();
                let file = std::fs::File::open(&path).unwrap();
                let n = io::copy(
                    &mut ParallelBzip2Reader::new(file, threads),
                    &mut io::sink(),
                )
                .unwrap();
                eprintln!(
                    "{name}: parallel x{threads} {:.3}s, {n} bytes",
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
}
