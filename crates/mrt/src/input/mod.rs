//! Opening MRT input: files or standard input, compression detected from magic bytes.
//!
//! The file name is never consulted: RIS and RouteViews mirrors rename files, and a `.gz`
//! suffix on a bzip2 file must still work.

mod bzip2_block;
pub mod bzip2_parallel;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The compression of an input, detected from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    /// Detects the compression from the first bytes of a file (at least 6 for certainty).
    pub fn detect(magic: &[u8]) -> Compression {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if magic.len() >= 4 && magic.starts_with(b"BZh") && (b'1'..=b'9').contains(&magic[3])
        {
            Compression::Bzip2
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// A short lowercase name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

/// How to open input.
#[derive(Clone, Copy, Debug)]
pub struct InputOptions {
    /// Worker threads decoding bzip2 blocks (at least one is started; a scanner thread that
    /// finds the block boundaries runs beside them).
    pub bzip2_threads: usize,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions { bzip2_threads: 1 }
    }
}

/// A decompressed byte stream and what it was compressed with.
pub struct Input {
    pub compression: Compression,
    /// Size of the compressed input in bytes, when known (files; not stdin).
    pub compressed_len: Option<u64>,
    /// Compressed bytes consumed so far, for progress display.
    pub consumed: Arc<AtomicU64>,
    pub reader: Box<dyn Read + Send>,
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("compression", &self.compression)
            .field("compressed_len", &self.compressed_len)
            .finish_non_exhaustive()
    }
}

/// Reads the first bytes into a small buffer without losing them.
struct Peeked<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = (self.head.len() - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Opens a path (`-` means standard input) and wraps it in the right decompressor.
pub fn open(path: &Path, opts: InputOptions) -> io::Result<Input> {
    if path.as_os_str() == "-" {
        return open_reader(Box::new(io::stdin()), None, opts);
    }
    let file = File::open(path)?;
    let len = file.metadata().ok().map(|m| m.len());
    open_reader(Box::new(file), len, opts)
}

/// Wraps any reader in the decompressor its magic bytes call for.
pub fn open_reader(
    inner: Box<dyn Read + Send>,
    compressed_len: Option<u64>,
    opts: InputOptions,
) -> io::Result<Input> {
    let consumed = Arc::new(AtomicU64::new(0));
    let mut inner = Counting {
        inner,
        count: consumed.clone(),
    };
    let mut head = vec![0u8; 6];
    let mut got = 0;
    while got < head.len() {
        match inner.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let compression = Compression::detect(&head);
    let raw = BufReader::with_capacity(
        1 << 20,
        Peeked {
            head,
            pos: 0,
            inner,
        },
    );
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        // Even on one core the block reader wins: its decoder is faster than libbz2's.
        Compression::Bzip2 => Box::new(bzip2_parallel::ParallelBzip2Reader::new(
            raw,
            opts.bzip2_threads,
        )),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
    };
    Ok(Input {
        compression,
        compressed_len,
        consumed,
        reader,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn round_trip(compressed: Vec<u8>, expect: Compression, plain: &[u8]) {
        let input = open_reader(
            Box::new(io::Cursor::new(compressed)),
            None,
            InputOptions::default(),
        )
        .unwrap();
        assert_eq!(input.compression, expect);
        let mut out = Vec::new();
        let mut r = input.reader;
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn detects_each_compression_from_magic_and_decompresses() {
        let plain: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_be_bytes())
            .collect();
        round_trip(plain.clone(), Compression::None, &plain);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        round_trip(gz.finish().unwrap(), Compression::Gzip, &plain);

        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&plain).unwrap();
        round_trip(bz.finish().unwrap(), Compression::Bzip2, &plain);

        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&plain).unwrap();
        round_trip(xz.finish().unwrap(), Compression::Xz, &plain);

        round_trip(
            zstd::encode_all(&plain[..], 1).unwrap(),
            Compression::Zstd,
            &plain,
        );
    }

    #[test]
    fn multi_member_gzip_yields_every_member() {
        let mut all = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(part).unwrap();
            all.extend(gz.finish().unwrap());
        }
        round_trip(all, Compression::Gzip, b"first second");
    }

    #[test]
    fn empty_and_tiny_inputs_are_plain() {
        round_trip(Vec::new(), Compression::None, b"");
        round_trip(b"ab".to_vec(), Compression::None, b"ab");
    }
}
