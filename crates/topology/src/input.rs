//! Opening a text data file whatever its compression: CAIDA publishes `.bz2`, mirrors often
//! `.gz`. The format is recognised from the first bytes, not the file name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// A buffered reader over `path`, decompressing gzip or bzip2 when the data starts with their
/// magic bytes; anything else is read as it is.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 3];
    let mut got = 0;
    while got < magic.len() {
        let n = file.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let head = io::Cursor::new(magic[..got].to_vec());
    let whole = head.chain(file);
    Ok(match &magic[..got] {
        [0x1f, 0x8b, ..] => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(whole))),
        [b'B', b'Z', b'h'] => Box::new(BufReader::new(bzip2::read::MultiBzDecoder::new(whole))),
        _ => Box::new(BufReader::new(whole)),
    })
}

/// Calls `f(line_number, line)` for each line of `reader` (1-based, without the line end).
/// Lines that are not UTF-8 are passed as `Err(())` so the caller can report them.
pub(crate) fn for_each_line(
    mut reader: impl BufRead,
    mut f: impl FnMut(usize, Result<&str, ()>),
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        number += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        f(number, std::str::from_utf8(&buf).map_err(|_| ()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn open_reads_gzip_bzip2_and_plain_alike() {
        let dir = std::env::temp_dir().join(format!("routenorms-topology-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = b"# c\n1|2|-1\n";
        let plain = dir.join("plain.txt");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.join("x.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let bz = dir.join("x.bz2");
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(text).unwrap();
        std::fs::write(&bz, e.finish().unwrap()).unwrap();
        for p in [&plain, &gz, &bz] {
            let mut s = String::new();
            open(p).unwrap().read_to_string(&mut s).unwrap();
            assert_eq!(s.as_bytes(), text, "{}", p.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn for_each_line_numbers_from_one_and_strips_crlf() {
        let mut seen = Vec::new();
        for_each_line(&b"a\r\nb\n\xff\n"[..], |n, l| {
            seen.push((n, l.map(str::to_owned)))
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(1, Ok("a".into())), (2, Ok("b".into())), (3, Err(()))]
        );
    }
}
