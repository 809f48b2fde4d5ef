//! The distinct (prefix, origin AS) pairs of a dump: what route-origin validation, IRR checks
//! and hijack detection start from.

use crate::element::{walk, WalkNotes};
use crate::input::{self, InputOptions};
use crate::pipeline::{self, Batch, Processor};
use crate::stats::for_each_record;
use routenorms_types::{Asn, Prefix};
use std::collections::BTreeSet;
use std::io;
use std::path::Path;

/// A route's prefix and origin; the origin is `None` when the AS path ends in an AS_SET
/// (RFC 6811: origin NONE) or is empty.
pub type RouteOrigin = (Prefix, Option<Asn>);

/// The distinct route origins of one dump, and what went wrong reading it.
#[derive(Debug, Default)]
pub struct RouteOrigins {
    /// Sorted by prefix (IPv4 first), then origin.
    pub routes: BTreeSet<RouteOrigin>,
    /// Damaged records skipped (framing damage and decode errors).
    pub damaged: u64,
    /// The decompressor's error, if the file was cut short or corrupt.
    pub input_error: Option<io::Error>,
}

/// Collects the (prefix, origin) pairs of each batch, repeats within a run removed.
#[derive(Debug, Default)]
struct OriginPairs;

impl Processor for OriginPairs {
    type Output = (Vec<RouteOrigin>, u64);

    fn process(&mut self, batch: &Batch) -> Self::Output {
        let mut pairs = Vec::new();
        let mut damage = Vec::new();
        let mut notes = WalkNotes::default();
        for_each_record(batch, &mut damage, |_, peers, d| {
            walk(d, peers, &mut notes, |r| {
                if let (Some(p), Some(a)) = (r.prefix, r.attrs) {
                    let pair = (p, a.origin_asn().map(Asn));
                    if pairs.last() != Some(&pair) {
                        pairs.push(pair);
                    }
                }
            })
        });
        (pairs, damage.len() as u64)
    }
}

/// Reads a dump (any compression) on `threads` threads and returns its distinct route origins
/// from RIB entries and announcements.
pub fn route_origins(path: &Path, threads: usize) -> io::Result<RouteOrigins> {
    let input = input::open(
        path,
        InputOptions {
            bzip2_threads: threads,
        },
    )?;
    let mut out = RouteOrigins::default();
    let (_, ending) = pipeline::run(input.reader, threads, OriginPairs::default, |(p, d)| {
        out.routes.extend(p);
        out.damaged += d;
    });
    out.input_error = ending.input_error;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_dump_has_its_announced_and_rib_origins() {
        let path = std::env::temp_dir().join(format!("routenorms-origins-{}", std::process::id()));
        std::fs::write(&path, crate::write::sample()).unwrap();
        let o = route_origins(&path, 2).unwrap();
        let text: Vec<String> = o
            .routes
            .iter()
            .map(|(p, a)| format!("{p} {}", a.map_or(0, |a| a.0)))
            .collect();
        assert_eq!(
            text,
            [
                "198.51.100.0/24 0",
                "198.51.100.0/24 64511",
                "198.51.100.0/25 65550",
                "2001:db8:1000::/36 64500",
                "2001:db8:2000::/40 4200000000"
            ]
        );
        assert_eq!(o.damaged, 0);
    }
}
