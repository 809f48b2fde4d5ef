//! Typed decode errors: a static reason and the byte offset where decoding stopped.

use std::fmt;

/// Why a record (or part of one) could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong, e.g. "attribute length runs past the attribute block".
    pub reason: &'static str,
    /// Byte offset within the record body where the problem was found.
    pub offset: usize,
}

impl DecodeError {
    pub const fn new(reason: &'static str, offset: usize) -> Self {
        DecodeError { reason, offset }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at byte {} of the record body)",
            self.reason, self.offset
        )
    }
}

impl std::error::Error for DecodeError {}

/// A checked big-endian reader over a borrowed slice that remembers its offset relative to the
/// start of the record body, so every error can say where it happened.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of `data[0]` within the record body.
    base: usize,
}

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        Bytes { data, pos: 0, base }
    }

    /// Offset of the next byte within the record body.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub(crate) fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError::new(reason, self.offset())
    }

    pub(crate) fn take(&mut self, n: usize, reason: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(self.err(reason));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self, reason: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, reason)?[0])
    }

    pub(crate) fn u16(&mut self, reason: &'static str) -> Result<u16, DecodeError> {
        let b = self.take(2, reason)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, reason: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, reason)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn ipv4(&mut self, reason: &'static str) -> Result<[u8; 4], DecodeError> {
        let b = self.take(4, reason)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    pub(crate) fn ipv6(&mut self, reason: &'static str) -> Result<[u8; 16], DecodeError> {
        let b = self.take(16, reason)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ok(a)
    }
}
