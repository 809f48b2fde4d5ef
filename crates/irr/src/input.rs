//! Opening a dump: plain, gzip or bzip2, recognised from the first bytes, not the name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Compression of an input, from its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
}

/// Detects the compression from the first bytes.
pub fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Compression::Bzip2
    } else {
        Compression::None
    }
}

/// Wraps a buffered reader in the decompressor its first bytes call for.
pub fn decompress<'a>(
    mut raw: impl BufRead + Send + 'a,
) -> io::Result<Box<dyn BufRead + Send + 'a>> {
    let head = raw.fill_buf()?;
    Ok(match detect(head) {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            1 << 16,
            bzip2::bufread::MultiBzDecoder::new(raw),
        )),
    })
}

/// Opens a file (or `-` for standard input), decompressing as needed.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    if path.as_os_str() == "-" {
        return decompress(BufReader::with_capacity(1 << 16, io::stdin()));
    }
    let f = File::open(path)?;
    decompress(BufReader::with_capacity(1 << 16, f))
}

/// Reads a whole (possibly compressed) file into memory.
pub fn read_all(path: &Path) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    open(path)?.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_bzip2_are_recognised_by_magic() {
        let text = b"route: 10.0.0.0/8\norigin: AS1\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text).unwrap();
        let gz = gz.finish().unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(text).unwrap();
        let bz = bz.finish().unwrap();
        assert_eq!(detect(&gz), Compression::Gzip);
        assert_eq!(detect(&bz), Compression::Bzip2);
        assert_eq!(detect(text), Compression::None);
        for data in [&gz[..], &bz[..], &text[..]] {
            let mut out = Vec::new();
            decompress(data).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, text);
        }
    }
}
