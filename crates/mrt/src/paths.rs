//! The distinct AS paths of each (prefix, origin) of a dump: what AS path verification (ASPA)
//! starts from. Paths are stored once and referred to by index, since most are shared by many
//! prefixes.

use crate::element::{walk, WalkNotes};
use crate::input::{self, InputOptions};
use crate::origins::RouteOrigin;
use crate::pipeline::{self, Batch, Processor};
use crate::stats::for_each_record;
use routenorms_types::AsPath;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// The route origins of one dump with the distinct AS paths each was seen with.
#[derive(Debug, Default)]
pub struct RoutePaths {
    /// Each (prefix, origin), sorted, with indexes into `paths` (sorted, no repeats).
    pub routes: BTreeMap<RouteOrigin, Vec<u32>>,
    /// Every distinct effective AS path (AS4_PATH merged in), neighbour first.
    pub paths: Vec<AsPath>,
    /// Damaged records skipped.
    pub damaged: u64,
    /// The decompressor's error, if the file was cut short or corrupt.
    pub input_error: Option<io::Error>,
}

impl RoutePaths {
    /// Adds the routes of another dump (paths are merged, indexes renumbered).
    pub fn extend(&mut self, other: RoutePaths) {
        let mut index: FxHashMap<AsPath, u32> = self
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let ids: Vec<u32> = other
            .paths
            .into_iter()
            .map(|p| intern(&mut index, &mut self.paths, p))
            .collect();
        for (route, list) in other.routes {
            let mine = self.routes.entry(route).or_default();
            mine.extend(list.iter().map(|&i| ids[i as usize]));
            mine.sort_unstable();
            mine.dedup();
        }
        self.damaged += other.damaged;
        if self.input_error.is_none() {
            self.input_error = other.input_error;
        }
    }
}

fn intern(index: &mut FxHashMap<AsPath, u32>, paths: &mut Vec<AsPath>, p: AsPath) -> u32 {
    if let Some(&i) = index.get(&p) {
        return i;
    }
    let i = paths.len() as u32;
    index.insert(p.clone(), i);
    paths.push(p);
    i
}

/// Collects each batch's distinct (route origin, path) pairs.
#[derive(Debug, Default)]
struct PathPairs;

impl Processor for PathPairs {
    type Output = (Vec<(RouteOrigin, AsPath)>, u64);

    fn process(&mut self, batch: &Batch) -> Self::Output {
        let mut seen = FxHashSet::default();
        let mut damage = Vec::new();
        let mut notes = WalkNotes::default();
        for_each_record(batch, &mut damage, |_, peers, d| {
            walk(d, peers, &mut notes, |r| {
                if let (Some(p), Some(a)) = (r.prefix, r.attrs) {
                    let path = a.effective_as_path();
                    seen.insert(((p, path.origin()), path));
                }
            })
        });
        (seen.into_iter().collect(), damage.len() as u64)
    }
}

/// Reads a dump (any compression) on `threads` threads and returns its route origins from
/// RIB entries and announcements, each with its distinct AS paths. The origin is that of
/// [`crate::origins::route_origins`]: `None` for a path ending in an AS_SET.
pub fn route_paths(path: &Path, threads: usize) -> io::Result<RoutePaths> {
    let input = input::open(
        path,
        InputOptions {
            bzip2_threads: threads,
        },
    )?;
    let mut out = RoutePaths::default();
    let mut index = FxHashMap::default();
    let (_, ending) = pipeline::run(input.reader, threads, PathPairs::default, |(pairs, d)| {
        for (route, p) in pairs {
            let i = intern(&mut index, &mut out.paths, p);
            out.routes.entry(route).or_default().push(i);
        }
        out.damaged += d;
    });
    for list in out.routes.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    out.input_error = ending.input_error;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_dump_has_each_route_with_its_paths() {
        let path = std::env::temp_dir().join(format!("routenorms-paths-{}", std::process::id()));
        std::fs::write(&path, crate::write::sample()).unwrap();
        let rp = route_paths(&path, 2).unwrap();
        let origins = crate::origins::route_origins(&path, 2).unwrap();
        assert_eq!(
            rp.routes.keys().copied().collect::<Vec<_>>(),
            origins.routes.into_iter().collect::<Vec<_>>(),
            "the same routes as route_origins"
        );
        for ((_, origin), ids) in &rp.routes {
            assert!(!ids.is_empty());
            for &i in ids {
                assert_eq!(rp.paths[i as usize].origin(), *origin);
            }
        }
        let resolved = |r: &RoutePaths| -> Vec<(RouteOrigin, Vec<AsPath>)> {
            r.routes
                .iter()
                .map(|(k, ids)| {
                    let mut p: Vec<AsPath> =
                        ids.iter().map(|&i| r.paths[i as usize].clone()).collect();
                    p.sort_by_key(|x| format!("{x:?}"));
                    (*k, p)
                })
                .collect()
        };
        let mut twice = RoutePaths::default();
        twice.extend(route_paths(&path, 1).unwrap());
        twice.extend(route_paths(&path, 1).unwrap());
        assert_eq!(
            resolved(&twice),
            resolved(&rp),
            "merging a dump twice adds nothing"
        );
        assert_eq!(twice.paths.len(), rp.paths.len());
        let _ = std::fs::remove_file(path);
    }
}
