//! Decoding of one bzip2 block, given its bits (from the block magic to the next magic).
//!
//! The block-parallel reader finds block boundaries itself, so it needs a decoder that starts
//! at any bit offset and stops at a known end — which a stream decoder does not offer. This
//! one also is faster than the reference decoder on a block's two hot loops:
//!
//! * Huffman symbols are read through a 10-bit lookup table per coding group (codes longer
//!   than that take the canonical slow path), from a 64-bit window loaded at once.
//! * The inverse Burrows–Wheeler transform is a chain of dependent loads into a table of
//!   several megabytes, so it runs at memory latency. It is walked as several independent
//!   chains at once, whose pieces are linked afterwards (see [`walk_chains`]), so the
//!   processor overlaps their cache misses.
//!
//! Randomised blocks (written only by bzip2 0.9.0) are reported as [`BlockError::Randomised`]
//! for the caller to hand to the reference decoder.

/// Block magic (48 bits) plus block CRC (32 bits).
const HEADER_BITS: u64 = 80;
/// Longest Huffman code bzip2 allows.
const MAX_CODE_LEN: u32 = 20;
/// Bits resolved by one table lookup; longer codes take the slow path.
const TABLE_BITS: u32 = 10;
/// Independent walks of the inverse BWT run side by side (see [`walk_chains`]).
const CHAINS: usize = 16;
/// Symbols per coding group.
const GROUP_SIZE: usize = 50;
/// The reference decoder keeps at most this many selectors and ignores the rest.
const MAX_SELECTORS: usize = 18_002;
/// More output than this from one block means it is not a real block.
const MAX_OUTPUT: usize = 64 << 20;

/// Why a block did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockError {
    /// The bits are not a valid block of this length (or a CRC does not match).
    Data(&'static str),
    /// The block uses the obsolete randomisation; decode it another way.
    Randomised,
}

impl BlockError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BlockError::Data(r) => r,
            BlockError::Randomised => "randomised block",
        }
    }
}

fn bad(reason: &'static str) -> BlockError {
    BlockError::Data(reason)
}

/// Scratch space reused across blocks by one thread (several megabytes; allocating it per
/// block would cost page faults on every block).
#[derive(Default)]
pub(crate) struct BlockScratch {
    /// The BWT's last column as decoded from the MTF/Huffman stage.
    last: Vec<u8>,
    /// T vector: `fwd[j] = (i << 8) | last[j]` where LF(i) = j; bit 31 marks chain starts.
    fwd: Vec<u32>,
    /// The text pieces produced by each chain of the walk.
    segments: [Vec<u8>; CHAINS],
    /// The order in which the pieces in `segments` make up the text.
    order: Vec<usize>,
}

impl std::fmt::Debug for BlockScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockScratch")
            .field("capacity", &self.last.capacity())
            .finish()
    }
}

/// Reads bits most significant first from `bytes`, starting at bit `pos`, never past `end`.
struct Bits<'a> {
    bytes: &'a [u8],
    pos: u64,
    end: u64,
}

impl Bits<'_> {
    /// The next 64 bits (zeros past the end of the buffer), without consuming them.
    #[inline(always)]
    fn peek(&self) -> u64 {
        let byte = (self.pos >> 3) as usize;
        let word = match self.bytes.get(byte..byte + 8) {
            Some(w) => u64::from_be_bytes(w.try_into().unwrap_or([0; 8])),
            None => {
                let mut w = [0u8; 8];
                if let Some(tail) = self.bytes.get(byte..) {
                    w[..tail.len()].copy_from_slice(tail);
                }
                u64::from_be_bytes(w)
            }
        };
        word << (self.pos & 7)
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) -> Result<(), BlockError> {
        self.pos += u64::from(n);
        if self.pos > self.end {
            return Err(bad("block ends early"));
        }
        Ok(())
    }

    /// Takes `n` (1..=32) bits.
    #[inline(always)]
    fn take(&mut self, n: u32) -> Result<u32, BlockError> {
        let v = (self.peek() >> (64 - n)) as u32;
        self.consume(n)?;
        Ok(v)
    }

    #[inline(always)]
    fn bit(&mut self) -> Result<bool, BlockError> {
        Ok(self.take(1)? == 1)
    }
}

/// Decoding tables for one coding group.
struct Huffman {
    /// Indexed by the next `TABLE_BITS` bits: `(symbol << 5) | length`, or 0 for a longer code.
    table: Vec<u16>,
    /// Canonical decoding for long codes: per length, the first code, the end of the codes
    /// (exclusive) and the offset into `perm`.
    end: [u32; MAX_CODE_LEN as usize + 2],
    base: [u32; MAX_CODE_LEN as usize + 2],
    first_code: [u32; MAX_CODE_LEN as usize + 2],
    /// Symbols sorted by (code length, symbol).
    perm: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, BlockError> {
        let mut count = [0u32; MAX_CODE_LEN as usize + 2];
        for &l in lengths {
            count[l as usize] += 1;
        }
        // Canonical code assignment: shorter codes first, then by symbol.
        let mut first_code = [0u32; MAX_CODE_LEN as usize + 2];
        let mut base = [0u32; MAX_CODE_LEN as usize + 2];
        let mut code = 0u32;
        let mut index = 0u32;
        for len in 1..=MAX_CODE_LEN as usize {
            first_code[len] = code;
            base[len] = index;
            code += count[len];
            index += count[len];
            code <<= 1;
        }
        let mut perm = Vec::with_capacity(lengths.len());
        for len in 1..=MAX_CODE_LEN as u8 {
            for (sym, &l) in lengths.iter().enumerate() {
                if l == len {
                    perm.push(sym as u16);
                }
            }
        }
        // end[len]: codes of this length are below this value.
        let mut end = [0u32; MAX_CODE_LEN as usize + 2];
        for len in 1..=MAX_CODE_LEN as usize {
            end[len] = first_code[len] + count[len];
        }
        let mut table = vec![0u16; 1 << TABLE_BITS];
        for len in 1..=TABLE_BITS as usize {
            for k in 0..count[len] {
                let code = first_code[len] + k;
                let sym = perm[(base[len] + k) as usize];
                let shift = TABLE_BITS as usize - len;
                let start = (code as usize) << shift;
                let entry = (sym << 5) | len as u16;
                // An over-subscribed code (possible in a damaged block) would write past the
                // table; such a block fails later at the latest, so just stop filling.
                if let Some(slots) = table.get_mut(start..start + (1 << shift)) {
                    slots.fill(entry);
                }
            }
        }
        Ok(Huffman {
            table,
            end,
            base,
            first_code,
            perm,
        })
    }

    #[inline(always)]
    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, BlockError> {
        let window = bits.peek();
        let entry = self.table[(window >> (64 - TABLE_BITS)) as usize];
        if entry != 0 {
            bits.consume(u32::from(entry & 31))?;
            return Ok(entry >> 5);
        }
        self.decode_long(bits, window)
    }

    #[cold]
    fn decode_long(&self, bits: &mut Bits<'_>, window: u64) -> Result<u16, BlockError> {
        for len in 1..=MAX_CODE_LEN as usize {
            let code = (window >> (64 - len)) as u32;
            if code < self.end[len] {
                let index = self.base[len] + code.wrapping_sub(self.first_code[len]);
                let sym = *self
                    .perm
                    .get(index as usize)
                    .ok_or(bad("invalid Huffman code"))?;
                bits.consume(len as u32)?;
                return Ok(sym);
            }
        }
        Err(bad("invalid Huffman code"))
    }
}

/// Decodes the block whose magic starts at bit `start` of `bytes` and which is `len` bits
/// long (magic included), appending the decompressed bytes to `out`. Returns the block CRC
/// (already checked against the data). `level` is the stream's block size digit.
pub(crate) fn decode_block(
    bytes: &[u8],
    start: u64,
    len: u64,
    level: u8,
    scratch: &mut BlockScratch,
    out: &mut Vec<u8>,
) -> Result<u32, BlockError> {
    if len < HEADER_BITS + 1 + 24 + 16 {
        return Err(bad("block too short"));
    }
    let mut bits = Bits {
        bytes,
        pos: start + 48,
        end: start + len,
    };
    let stored_crc = bits.take(32)?;
    if bits.bit()? {
        return Err(BlockError::Randomised);
    }
    let orig_ptr = bits.take(24)? as usize;

    // Which byte values occur: a 16-bit map of 16-value ranges, then a map per range.
    let ranges = bits.take(16)?;
    let mut seq_to_byte = [0u8; 256];
    let mut in_use = 0usize;
    for r in 0..16 {
        if ranges & (0x8000 >> r) != 0 {
            let map = bits.take(16)?;
            for b in 0..16 {
                if map & (0x8000 >> b) != 0 {
                    seq_to_byte[in_use] = (r * 16 + b) as u8;
                    in_use += 1;
                }
            }
        }
    }
    if in_use == 0 {
        return Err(bad("block uses no byte values"));
    }
    let alpha_size = in_use + 2;

    let groups = bits.take(3)? as usize;
    if !(2..=6).contains(&groups) {
        return Err(bad("invalid number of Huffman groups"));
    }
    let selector_count = bits.take(15)? as usize;
    if selector_count == 0 {
        return Err(bad("no selectors"));
    }
    let mut group_mtf: [u8; 6] = [0, 1, 2, 3, 4, 5];
    let mut selectors = Vec::with_capacity(selector_count.min(MAX_SELECTORS));
    for _ in 0..selector_count {
        let mut j = 0usize;
        while bits.bit()? {
            j += 1;
            if j >= groups {
                return Err(bad("invalid selector"));
            }
        }
        let g = group_mtf[j];
        group_mtf.copy_within(0..j, 1);
        group_mtf[0] = g;
        if selectors.len() < MAX_SELECTORS {
            selectors.push(g);
        }
    }

    let mut tables = Vec::with_capacity(groups);
    let mut lengths = vec![0u8; alpha_size];
    for _ in 0..groups {
        let mut cur = bits.take(5)? as i32;
        for l in lengths.iter_mut() {
            loop {
                if !(1..=MAX_CODE_LEN as i32).contains(&cur) {
                    return Err(bad("invalid code length"));
                }
                if !bits.bit()? {
                    break;
                }
                if bits.bit()? {
                    cur -= 1;
                } else {
                    cur += 1;
                }
            }
            *l = cur as u8;
        }
        tables.push(Huffman::new(&lengths)?);
    }

    // Huffman + RUNA/RUNB + move-to-front: the BWT's last column.
    let max_block = usize::from(level.clamp(1, 9)) * 100_000;
    let last = &mut scratch.last;
    last.clear();
    last.reserve(max_block);
    let mut counts = [0u32; 256];
    let mut mtf: [u8; 256] = std::array::from_fn(|i| i as u8);
    let eob = (alpha_size - 1) as u16;
    let mut selector = 0usize;
    let mut table = &tables[usize::from(*selectors.first().ok_or(bad("no selectors"))?)];
    let mut left_in_group = GROUP_SIZE;
    let mut run: usize = 0;
    let mut run_weight: usize = 1;
    loop {
        if left_in_group == 0 {
            selector += 1;
            let g = *selectors
                .get(selector)
                .ok_or(bad("selector out of range"))?;
            table = &tables[usize::from(g)];
            left_in_group = GROUP_SIZE;
        }
        left_in_group -= 1;
        let sym = table.decode(&mut bits)?;
        if sym <= 1 {
            // RUNA adds 1 × weight, RUNB 2 × weight; weights double.
            if run_weight > max_block {
                return Err(bad("run too long"));
            }
            run += (usize::from(sym) + 1) * run_weight;
            run_weight <<= 1;
            continue;
        }
        if run > 0 {
            if last.len() + run > max_block {
                return Err(bad("block longer than its size level"));
            }
            let b = seq_to_byte[usize::from(mtf[0])];
            counts[usize::from(b)] += run as u32;
            last.resize(last.len() + run, b);
            run = 0;
            run_weight = 1;
        }
        if sym == eob {
            break;
        }
        let n = usize::from(sym - 1);
        if n >= in_use {
            return Err(bad("move-to-front index out of range"));
        }
        let v = mtf[n];
        if n < 16 {
            let mut k = n;
            while k > 0 {
                mtf[k] = mtf[k - 1];
                k -= 1;
            }
        } else {
            mtf.copy_within(0..n, 1);
        }
        mtf[0] = v;
        if last.len() >= max_block {
            return Err(bad("block longer than its size level"));
        }
        let b = seq_to_byte[usize::from(v)];
        counts[usize::from(b)] += 1;
        last.push(b);
    }
    if bits.pos != bits.end {
        return Err(bad("block length does not match its contents"));
    }
    let n = last.len();
    if orig_ptr >= n {
        return Err(bad("original pointer out of range"));
    }

    // Inverse BWT: the T vector, each entry carrying its own row's byte so that one step of
    // the walk is one load.
    let mut cf = [0u32; 256];
    let mut sum = 0u32;
    for (c, &k) in cf.iter_mut().zip(counts.iter()) {
        *c = sum;
        sum += k;
    }
    let fwd = &mut scratch.fwd;
    fwd.clear();
    fwd.resize(n, 0);
    for (i, &b) in last.iter().enumerate() {
        let j = cf[usize::from(b)];
        cf[usize::from(b)] = j + 1;
        fwd[j as usize] = (i as u32) << 8;
    }
    for (t, &b) in fwd.iter_mut().zip(last.iter()) {
        *t |= u32::from(b);
    }
    walk_chains(fwd, orig_ptr, &mut scratch.segments, &mut scratch.order)?;
    let out_start = out.len();
    out.reserve(n + n / 4);
    let segments = &scratch.segments;
    if let Err(e) = unrle(scratch.order.iter().map(|&c| &segments[c]), out) {
        out.truncate(out_start);
        return Err(e);
    }
    let crc = crc32(&out[out_start..]);
    if crc != stored_crc {
        out.truncate(out_start);
        return Err(bad("block CRC mismatch"));
    }
    Ok(crc)
}

/// Walks the T vector from the original row, producing the block's text (before run-length
/// decoding) as pieces in `segments`, to be read in the order given by `order`.
///
/// One walk is a chain of dependent loads into a table of megabytes, so it runs at memory
/// latency. Instead, `CHAINS` walks start at once: one at the text's first row and the others
/// at arbitrary rows. Each stops when it reaches another walk's starting row, which makes its
/// output the text piece just before that walk's piece. The walks are independent, so the
/// processor overlaps their cache misses; linking the pieces by which start each one reached
/// restores the text.
fn walk_chains(
    fwd: &mut [u32],
    orig_ptr: usize,
    segments: &mut [Vec<u8>; CHAINS],
    order: &mut Vec<usize>,
) -> Result<(), BlockError> {
    const START: u32 = 1 << 31;
    const INDEX: u32 = 0x007F_FFFF;
    let n = fwd.len();
    let first = ((fwd[orig_ptr] >> 8) & INDEX) as usize;
    let mut starts = [first; CHAINS];
    let mut k = 1;
    for j in 1..CHAINS {
        let row = j * n / CHAINS;
        if !starts[..k].contains(&row) {
            starts[k] = row;
            k += 1;
        }
    }
    let starts = &starts[..k];
    let segments = &mut segments[..k];
    let mut state = [0usize; CHAINS];
    let mut reached = [usize::MAX; CHAINS];
    for &row in starts {
        *fwd.get_mut(row).ok_or(bad("inverse BWT out of range"))? |= START;
    }
    // Each walk takes its own first step without looking at the start mark.
    let mut active = 0u32;
    for (c, (seg, &row)) in segments.iter_mut().zip(starts).enumerate() {
        seg.clear();
        seg.reserve(2 * n / k + 64);
        let v = fwd[row];
        seg.push(v as u8);
        state[c] = ((v >> 8) & INDEX) as usize;
        active |= 1 << c;
    }
    while active != 0 {
        for (c, seg) in segments.iter_mut().enumerate() {
            if active & (1 << c) == 0 {
                continue;
            }
            let v = *fwd.get(state[c]).ok_or(bad("inverse BWT out of range"))?;
            if v & START != 0 {
                reached[c] = state[c];
                active &= !(1 << c);
                continue;
            }
            seg.push(v as u8);
            state[c] = ((v >> 8) & INDEX) as usize;
        }
    }
    // Link the pieces from the first; a valid block is one cycle through all of them.
    order.clear();
    let mut c = 0usize;
    let mut total = 0usize;
    for _ in 0..k {
        order.push(c);
        total += segments[c].len();
        let next = starts
            .iter()
            .position(|&s| s == reached[c])
            .ok_or(bad("inverse BWT out of range"))?;
        if next == 0 {
            break;
        }
        c = next;
    }
    if total != n {
        return Err(bad("inverse BWT does not cover the block"));
    }
    Ok(())
}

/// Undoes bzip2's initial run-length encoding (four equal bytes are followed by a count byte
/// of further repeats) over the text given in pieces, appending to `out`.
fn unrle(
    pieces: impl Iterator<Item = impl AsRef<[u8]>>,
    out: &mut Vec<u8>,
) -> Result<(), BlockError> {
    let out_start = out.len();
    // Carried across pieces: the last byte, how often it repeated, and whether the next
    // byte is a count.
    let mut prev = 0u8;
    let mut same = 0usize;
    for piece in pieces {
        let piece = piece.as_ref();
        let n = piece.len();
        let mut i = 0usize;
        while i < n {
            if same == 4 {
                let extra = usize::from(piece[i]);
                i += 1;
                out.resize(out.len() + extra, prev);
                if out.len() - out_start > MAX_OUTPUT {
                    return Err(bad("block expands beyond any valid size"));
                }
                same = 0;
                continue;
            }
            // Copy the stretch up to and including the next run of four.
            let stretch_start = i;
            while i < n && same < 4 {
                let b = piece[i];
                same = if same > 0 && b == prev { same + 1 } else { 1 };
                prev = b;
                i += 1;
            }
            out.extend_from_slice(&piece[stretch_start..i]);
        }
    }
    Ok(())
}

/// bzip2's CRC-32 (polynomial 0x04C11DB7, most significant bit first), slicing by 8.
fn crc32(data: &[u8]) -> u32 {
    let t = &*CRC_TABLES;
    let mut crc = !0u32;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let hi = crc ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(hi >> 24) as usize]
            ^ t[6][((hi >> 16) & 0xff) as usize]
            ^ t[5][((hi >> 8) & 0xff) as usize]
            ^ t[4][(hi & 0xff) as usize]
            ^ t[3][usize::from(c[4])]
            ^ t[2][usize::from(c[5])]
            ^ t[1][usize::from(c[6])]
            ^ t[0][usize::from(c[7])];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ t[0][((crc >> 24) ^ u32::from(b)) as usize];
    }
    !crc
}

static CRC_TABLES: std::sync::LazyLock<[[u32; 256]; 8]> = std::sync::LazyLock::new(|| {
    let mut t = [[0u32; 256]; 8];
    for i in 0..256u32 {
        let mut c = i << 24;
        for _ in 0..8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
        }
        t[0][i as usize] = c;
    }
    for i in 0..256 {
        for k in 1..8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 24) as usize];
        }
    }
    t
});

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A one-block bzip2 stream of `data` and the bit range of its block (magic to EOS magic).
    fn one_block(data: &[u8]) -> (Vec<u8>, u64, u64) {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(9));
        enc.write_all(data).unwrap();
        let stream = enc.finish().unwrap();
        let bits = |pos: u64| -> u64 {
            let b = Bits {
                bytes: &stream,
                pos,
                end: u64::MAX,
            };
            b.peek() >> 16
        };
        let total = stream.len() as u64 * 8;
        let eos = (32..total - 48)
            .rev()
            .find(|&p| bits(p) == 0x1772_4538_5090)
            .expect("end-of-stream magic");
        assert_eq!(
            bits(32),
            0x3141_5926_5359,
            "block magic right after the header"
        );
        (stream, 32, eos - 32)
    }

    fn sample_text(len: usize) -> Vec<u8> {
        // Text with runs (including runs longer than 4 and 255), repeats and all byte values.
        let mut out = Vec::with_capacity(len);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 4 {
                0 => out.extend(std::iter::repeat_n(
                    (x >> 8) as u8,
                    (x >> 16) as usize % 300,
                )),
                1 => out.extend_from_slice(b"TABLE_DUMP2|1622419200|B|172.20.0.1|"),
                _ => out.push((x >> 24) as u8),
            }
        }
        out.truncate(len);
        out
    }

    #[test]
    fn decodes_a_block_exactly_and_returns_its_crc() {
        for len in [1, 5, 4096, 300_000] {
            let data = sample_text(len);
            let (stream, start, bits) = one_block(&data);
            let mut out = Vec::new();
            let crc = decode_block(
                &stream,
                start,
                bits,
                9,
                &mut BlockScratch::default(),
                &mut out,
            )
            .unwrap();
            assert!(out == data, "{len} bytes round trip");
            assert_eq!(crc, crc32(&data));
        }
    }

    /// Run-length decoding gives the same bytes however the text is cut into pieces (the
    /// walk's pieces end anywhere, also inside a run or right before its count byte).
    #[test]
    fn unrle_is_independent_of_where_pieces_end() {
        let text = b"abbbb\x00cdddd\x03eeee\x00effff\x01";
        let mut whole = Vec::new();
        unrle(std::iter::once(&text[..]), &mut whole).unwrap();
        assert_eq!(whole, b"abbbbcdddddddeeeeefffff");
        for cut in 0..=text.len() {
            for cut2 in cut..=text.len() {
                let mut out = Vec::new();
                let pieces = [&text[..cut], &text[cut..cut2], &text[cut2..]];
                unrle(pieces.iter(), &mut out).unwrap();
                assert_eq!(out, whole, "cut at {cut} and {cut2}");
            }
        }
    }

    #[test]
    fn wrong_block_length_is_an_error() {
        let data = sample_text(10_000);
        let (stream, start, bits) = one_block(&data);
        let mut scratch = BlockScratch::default();
        for len in [bits - 1, bits + 1, bits / 2] {
            let mut out = Vec::new();
            assert!(decode_block(&stream, start, len, 9, &mut scratch, &mut out).is_err());
        }
    }

    /// Damaged blocks are reported, never a panic and never wrong data: a single-bit flip
    /// anywhere in a block either fails or decodes to the original (CRC-checked) bytes.
    #[test]
    fn flipped_bits_never_panic_or_pass_wrong_data() {
        let data = sample_text(20_000);
        let (stream, start, bits) = one_block(&data);
        let mut scratch = BlockScratch::default();
        let step = (bits / 1500).max(1);
        let mut pos = start;
        while pos < start + bits {
            let mut damaged = stream.clone();
            damaged[(pos / 8) as usize] ^= 0x80 >> (pos % 8);
            let mut out = Vec::new();
            if decode_block(&damaged, start, bits, 9, &mut scratch, &mut out).is_ok() {
                assert!(out == data, "bit {pos}: accepted wrong data");
            }
            pos += step;
        }
    }

    #[test]
    fn crc_matches_bzip2_check_value() {
        // The CRC-32/BZIP2 check value for "123456789".
        assert_eq!(crc32(b"123456789"), 0xFC89_1918);
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut bytewise = !0u32;
        for &b in &long {
            bytewise = (bytewise << 8) ^ CRC_TABLES[0][((bytewise >> 24) ^ u32::from(b)) as usize];
        }
        assert_eq!(crc32(&long), !bytewise);
    }
}
