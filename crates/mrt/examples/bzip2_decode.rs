//! Decompresses a bzip2 file with the block-parallel reader and prints the byte count and
//! time; a tool for measuring the decoder alone (`cargo run --release -p routenorms-mrt
//! --example bzip2_decode -- FILE [THREADS]`).

use std::io::{self, Read};
use std::time::Instant;

use routenorms_mrt::input::bzip2_parallel::ParallelBzip2Reader;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: bzip2_decode FILE [THREADS]");
    let threads = args
        .next()
        .map_or(2, |t| t.parse().expect("THREADS is a number"));
    let start = Instant::now();
    let mut reader = ParallelBzip2Reader::new(std::fs::File::open(&path)?, threads);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    println!("{total} bytes in {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
