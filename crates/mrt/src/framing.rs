//! Splitting a decompressed byte stream into MRT records, with damage detection and recovery.
//!
//! Framing trusts each header's length field only as far as it is plausible: a header of an
//! undefined type or an absurd length marks damage, and the reader then scans forward for the
//! next header that is plausible *and* followed by another plausible header (or the end of the
//! input). Every skipped span is reported as a [`Damage`] with its byte offset, so one bad record
//! never hides the intact records after it.

use crate::header::{mrt_type, Header, HEADER_LEN};
use std::io::{self, Read};

/// Records longer than this are taken as damage rather than buffered (a documented default:
/// the largest real TABLE_DUMP_V2 records, thousands of peers for one prefix, stay far below).
pub const MAX_RECORD_LEN: u32 = 64 << 20;

/// How far a record's declared length may fall short of where the next header really starts
/// before the reader stops treating it as the known MRT-toolkit length bug (records written by
/// the 1999-2001 RIS collectors declare 4 bytes too few) and calls it damage.
const MAX_LENGTH_REPAIR: usize = 8;

/// Timestamps of consecutive records in one dump lie within this many seconds of each other;
/// used only to judge candidate headers while resynchronising.
const RESYNC_TIME_WINDOW: u32 = 7 * 86_400;

/// One record as framed: its header and body, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// Byte offset of the header in the decompressed stream.
    pub offset: u64,
    pub header: Header,
    /// The body (for `_ET` types including the leading microseconds field).
    pub body: &'a [u8],
}

/// A span of input that could not be framed as records, or a record repaired while framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset in the decompressed stream where the problem starts.
    pub offset: u64,
    /// What was wrong.
    pub reason: &'static str,
    /// Bytes skipped (0 for a repaired record, whose bytes were all used).
    pub skipped: u64,
}

/// What the framer yields.
#[derive(Debug)]
pub enum Frame<'a> {
    Record(RawRecord<'a>),
    Damage(Damage),
    /// The decompressor failed (corrupt or truncated compressed stream); no more frames follow.
    InputError(io::Error),
}

/// Frames records from a decompressed stream.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    read_error: Option<io::Error>,
    last_timestamp: Option<u32>,
    pending: Option<Damage>,
    finished: bool,
}

fn plausible(h: &Header) -> bool {
    mrt_type::is_defined(h.mrt_type) && h.length <= MAX_RECORD_LEN
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            read_error: None,
            last_timestamp: None,
            pending: None,
            finished: false,
        }
    }

    /// Stream offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Makes at least `need` bytes available from `start`, unless the input ends first.
    fn fill(&mut self, need: usize) -> bool {
        if self.end - self.start >= need {
            return true;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.base += self.start as u64;
            self.start = 0;
        }
        while self.end < need && !self.eof {
            if self.end == self.buf.len() {
                // Grow with the data actually read, never to what a (possibly damaged) length
                // field claims: a short input must not cost the memory its header promises.
                let grown = (self.buf.len() * 2)
                    .min(need.next_power_of_two())
                    .max(self.buf.len() + 1);
                self.buf.resize(grown, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.read_error = Some(e);
                }
            }
        }
        self.end - self.start >= need
    }

    fn header_at(&self, rel: usize) -> Header {
        let at = self.start + rel;
        let mut h = [0u8; HEADER_LEN];
        h.copy_from_slice(&self.buf[at..at + HEADER_LEN]);
        Header::parse(&h)
    }

    /// Strict test for a header found by scanning: defined type, sane length, a timestamp
    /// near the last good record, and followed by another plausible header (allowing for the
    /// same short length field, up to [`MAX_LENGTH_REPAIR`] bytes) or the end.
    fn candidate_at(&mut self, rel: usize) -> bool {
        if !self.fill(rel + HEADER_LEN) {
            return false;
        }
        let h = self.header_at(rel);
        if !plausible(&h) {
            return false;
        }
        if let Some(last) = self.last_timestamp {
            if h.timestamp.abs_diff(last) > RESYNC_TIME_WINDOW {
                return false;
            }
        }
        let next = rel + HEADER_LEN + h.length as usize;
        for slack in 0..=MAX_LENGTH_REPAIR {
            if !self.fill(next + slack + HEADER_LEN) {
                // The input ends: plausible if it ends right after this record.
                let left = self.end - self.start;
                return (next..=next + MAX_LENGTH_REPAIR).contains(&left);
            }
            if plausible(&self.header_at(next + slack)) {
                return true;
            }
        }
        false
    }

    /// The next frame, or `None` at the end of input.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Frame<'_>> {
        if let Some(d) = self.pending.take() {
            return Some(Frame::Damage(d));
        }
        if self.finished {
            return None;
        }
        if !self.fill(HEADER_LEN) {
            self.finished = true;
            let left = self.end - self.start;
            if let Some(e) = self.read_error.take() {
                return Some(Frame::InputError(e));
            }
            if left > 0 {
                let d = Damage {
                    offset: self.position(),
                    reason: "input ends inside a record header",
                    skipped: left as u64,
                };
                self.start = self.end;
                return Some(Frame::Damage(d));
            }
            return None;
        }
        let header = self.header_at(0);
        if !plausible(&header) {
            return Some(Frame::Damage(self.resync(
                if mrt_type::is_defined(header.mrt_type) {
                    "record length exceeds the maximum"
                } else {
                    "undefined MRT type (damaged header)"
                },
            )));
        }
        let total = HEADER_LEN + header.length as usize;
        if !self.fill(total) {
            self.finished = true;
            let d = Damage {
                offset: self.position(),
                reason: "record truncated by the end of input",
                skipped: (self.end - self.start) as u64,
            };
            self.start = self.end;
            if let Some(e) = self.read_error.take() {
                // The decompressor's own error says more than the truncation does.
                self.pending = Some(d);
                return Some(Frame::InputError(e));
            }
            return Some(Frame::Damage(d));
        }
        // Look at where the next header should be; if it is implausible but one a few bytes
        // later is a good candidate, the declared length was short (the old RIS toolkit bug).
        let mut len = total;
        let trailing = if self.fill(total + HEADER_LEN) {
            HEADER_LEN
        } else {
            self.end - self.start - total
        };
        if (1..=MAX_LENGTH_REPAIR).contains(&trailing) && trailing < HEADER_LEN {
            // A few stray bytes before the end: the same short length field, on the last record.
            len = total + trailing;
            self.pending = Some(Damage {
                offset: self.position(),
                reason: "record length field too short; record extended to the next header",
                skipped: 0,
            });
        } else if trailing == HEADER_LEN && !plausible(&self.header_at(total)) {
            self.last_timestamp = Some(header.timestamp);
            for k in 1..=MAX_LENGTH_REPAIR {
                if self.candidate_at(total + k) {
                    len = total + k;
                    self.pending = Some(Damage {
                        offset: self.position(),
                        reason: "record length field too short; record extended to the next header",
                        skipped: 0,
                    });
                    break;
                }
            }
        }
        self.last_timestamp = Some(header.timestamp);
        let offset = self.position();
        let at = self.start;
        self.start += len;
        Some(Frame::Record(RawRecord {
            offset,
            header,
            body: &self.buf[at + HEADER_LEN..at + len],
        }))
    }

    /// Skips forward from a damaged header to the next good candidate header.
    fn resync(&mut self, reason: &'static str) -> Damage {
        let from = self.position();
        let mut k = 1;
        loop {
            if !self.fill(k + HEADER_LEN) {
                // No header found before the end: everything left is damage.
                let skipped = (self.end - self.start) as u64;
                // The next call reports the end of input or the input error.
                self.start = self.end;
                return Damage {
                    offset: from,
                    reason,
                    skipped,
                };
            }
            if self.candidate_at(k) {
                self.start += k;
                return Damage {
                    offset: from,
                    reason,
                    skipped: k as u64,
                };
            }
            k += 1;
            // Keep the scan window bounded: drop bytes already ruled out.
            if k > (1 << 20) {
                self.start += k - 1;
                k = 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ts: u32, t: u16, st: u16, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(ts.to_be_bytes());
        v.extend(t.to_be_bytes());
        v.extend(st.to_be_bytes());
        v.extend((body.len() as u32).to_be_bytes());
        v.extend(body);
        v
    }

    enum F {
        R(u64, usize),
        D(u64, &'static str),
        E,
    }

    fn frames(data: &[u8]) -> Vec<F> {
        let mut r = FrameReader::new(data);
        let mut out = Vec::new();
        while let Some(f) = r.next() {
            out.push(match f {
                Frame::Record(r) => F::R(r.offset, r.body.len()),
                Frame::Damage(d) => F::D(d.offset, d.reason),
                Frame::InputError(_) => F::E,
            });
        }
        out
    }

    #[test]
    fn frames_consecutive_records_with_offsets() {
        let mut data = rec(1, 16, 1, &[0; 5]);
        data.extend(rec(1, 13, 1, &[0; 3]));
        let f = frames(&data);
        assert!(matches!(f[..], [F::R(0, 5), F::R(17, 3)]));
    }

    #[test]
    fn a_truncated_final_record_is_reported_after_every_complete_one() {
        let mut data = rec(1, 16, 1, &[0; 5]);
        data.extend(&rec(1, 16, 1, &[0; 50])[..30]);
        let f = frames(&data);
        assert!(matches!(
            f[..],
            [F::R(0, 5), F::D(17, "record truncated by the end of input")]
        ));
    }

    #[test]
    fn garbage_between_records_is_skipped_and_reported() {
        let mut data = rec(100, 16, 1, &[0; 5]);
        data.extend([
            0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1,
        ]);
        data.extend(rec(100, 16, 4, &[7; 9]));
        data.extend(rec(101, 16, 4, &[7; 2]));
        let f = frames(&data);
        assert!(
            matches!(f[..], [F::R(0, 5), F::D(17, _), F::R(30, 9), F::R(51, 2)]),
            "{}",
            f.len()
        );
    }

    #[test]
    fn a_length_field_four_bytes_short_is_repaired() {
        let mut first = rec(5, 12, 1, &[1; 20]);
        // Declare 4 bytes fewer than the body really has.
        first[11] -= 4;
        let mut data = first;
        data.extend(rec(5, 12, 1, &[2; 20]));
        data.extend(rec(5, 12, 1, &[3; 20]));
        let f = frames(&data);
        assert!(
            matches!(f[..], [F::R(0, 20), F::D(0, _), F::R(32, 20), F::R(64, 20)]),
            "{}",
            f.len()
        );
    }

    #[test]
    fn an_absurd_length_at_the_end_does_not_allocate_it() {
        let mut data = rec(1, 16, 1, &[0; 5]);
        data.extend(rec(1, 16, 1, &[]));
        let n = data.len();
        data[n - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
        let f = frames(&data);
        assert!(matches!(
            f[..],
            [F::R(0, 5), F::D(17, "record length exceeds the maximum")]
        ));
    }

    #[test]
    fn a_large_claimed_length_on_a_short_input_costs_only_the_input() {
        let mut data = rec(1, 16, 1, &[0; 100]);
        data[8..12].copy_from_slice(&(60u32 << 20).to_be_bytes());
        let mut r = FrameReader::new(&data[..]);
        assert!(matches!(r.next(), Some(Frame::Damage(_))));
        assert!(r.buf.len() <= 2 << 20, "buffer grew to {}", r.buf.len());
    }

    #[test]
    fn a_read_error_is_reported_after_complete_records() {
        struct Failing(Vec<u8>, bool);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"));
                }
                self.1 = true;
                buf[..self.0.len()].copy_from_slice(&self.0);
                Ok(self.0.len())
            }
        }
        let data = rec(1, 16, 1, &[0; 5]);
        let mut r = FrameReader::new(Failing(data, false));
        assert!(matches!(r.next(), Some(Frame::Record(_))));
        assert!(matches!(r.next(), Some(Frame::InputError(_))));
        assert!(r.next().is_none());
    }
}
