//! Customer cones: an AS together with every AS it reaches by going only provider → customer.
//!
//! Either read from a CAIDA `ppdc-ases` file (`<AS> <member> <member>...`, the AS itself among
//! its members; CAIDA's provider/peer-observed cone) or computed from relationships as the
//! recursive customer set (cycle-safe: each AS is visited once per cone, so the c2p cycles
//! that inferred data sometimes contains cannot loop).

use crate::input::for_each_line;
use crate::relationship::{AsRelationships, LineError, LineErrorKind};
use rustc_hash::FxHashMap;
use std::io::{self, BufRead};
use std::path::Path;

/// Customer cones by AS; each cone sorted, the AS itself included.
#[derive(Debug, Clone, Default)]
pub struct CustomerCones {
    cones: FxHashMap<u32, Box<[u32]>>,
}

/// The result of reading a `ppdc-ases` file.
#[derive(Debug)]
pub struct LoadedCones {
    pub cones: CustomerCones,
    pub errors: Vec<LineError>,
    pub comments: usize,
}

impl CustomerCones {
    /// Reads a CAIDA `ppdc-ases` file. A cone always contains its own AS (added when the file
    /// leaves it out). Damaged lines are returned and skipped.
    pub fn read(reader: impl BufRead) -> io::Result<LoadedCones> {
        let mut cones = FxHashMap::default();
        let mut errors = Vec::new();
        let mut comments = 0;
        for_each_line(reader, |line, text| {
            let Ok(text) = text else {
                errors.push(LineError {
                    line,
                    kind: LineErrorKind::NotUtf8,
                });
                return;
            };
            let text = text.trim();
            if text.is_empty() {
                return;
            }
            if text.starts_with('#') {
                comments += 1;
                return;
            }
            let parsed: Result<Vec<u32>, _> = text.split_whitespace().map(str::parse).collect();
            let Ok(mut members) = parsed else {
                errors.push(LineError {
                    line,
                    kind: LineErrorKind::BadAsn,
                });
                return;
            };
            let owner = members[0];
            members.sort_unstable();
            members.dedup();
            match cones.entry(owner) {
                std::collections::hash_map::Entry::Occupied(_) => errors.push(LineError {
                    line,
                    kind: LineErrorKind::DuplicateCone,
                }),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(members.into_boxed_slice());
                }
            }
        })?;
        Ok(LoadedCones {
            cones: CustomerCones { cones },
            errors,
            comments,
        })
    }

    /// [`read`](Self::read) of a file, gzip or bzip2 compressed or plain.
    pub fn read_file(path: &Path) -> io::Result<LoadedCones> {
        Self::read(crate::input::open(path)?)
    }

    /// The recursive customer cone of every AS in `rels`, computed on `threads` threads.
    pub fn compute(rels: &AsRelationships, threads: usize) -> CustomerCones {
        let n = rels.as_count() as u32;
        let threads = threads.clamp(1, 64) as u32;
        let chunk = n.div_ceil(threads).max(1);
        let mut cones = FxHashMap::default();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        let mut walker = ConeWalker::new(rels);
                        let end = ((t + 1) * chunk).min(n);
                        (t * chunk..end)
                            .map(|i| (rels.asn_at(i), walker.cone(i).into_boxed_slice()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                cones.extend(h.join().expect("cone worker panicked"));
            }
        });
        CustomerCones { cones }
    }

    /// The cone of `asn` (sorted, `asn` included); `None` for an AS without a cone entry.
    pub fn cone(&self, asn: u32) -> Option<&[u32]> {
        self.cones.get(&asn).map(|c| &c[..])
    }

    /// Number of ASes in `asn`'s cone (0 when unknown).
    pub fn size(&self, asn: u32) -> usize {
        self.cone(asn).map_or(0, <[u32]>::len)
    }

    /// True when `member` is in `asn`'s cone.
    pub fn contains(&self, asn: u32, member: u32) -> bool {
        self.cone(asn)
            .is_some_and(|c| c.binary_search(&member).is_ok())
    }

    /// Number of ASes with a cone.
    pub fn len(&self) -> usize {
        self.cones.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cones.is_empty()
    }
}

/// Depth-first walk over customer links with an epoch-stamped visited array, so one walker
/// computes many cones without clearing memory.
struct ConeWalker<'a> {
    rels: &'a AsRelationships,
    seen: Vec<u32>,
    epoch: u32,
    stack: Vec<u32>,
}

impl<'a> ConeWalker<'a> {
    fn new(rels: &'a AsRelationships) -> Self {
        ConeWalker {
            rels,
            seen: vec![0; rels.as_count()],
            epoch: 0,
            stack: Vec::new(),
        }
    }

    fn cone(&mut self, root: u32) -> Vec<u32> {
        self.epoch += 1;
        let mut out = Vec::new();
        self.seen[root as usize] = self.epoch;
        self.stack.push(root);
        while let Some(i) = self.stack.pop() {
            out.push(self.rels.asn_at(i));
            for &c in self.rels.customers_dense(i) {
                if self.seen[c as usize] != self.epoch {
                    self.seen[c as usize] = self.epoch;
                    self.stack.push(c);
                }
            }
        }
        out.sort_unstable();
        out
    }
}

impl AsRelationships {
    /// The recursive customer cone of `asn` (sorted, `asn` included); just `[asn]` for an AS
    /// without links.
    pub fn customer_cone(&self, asn: u32) -> Vec<u32> {
        match self.dense(asn) {
            Some(i) => ConeWalker::new(self).cone(i),
            None => vec![asn],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rels(text: &str) -> AsRelationships {
        AsRelationships::read(text.as_bytes())
            .unwrap()
            .relationships
    }

    #[test]
    fn cone_is_recursive_customers_and_ignores_peers_and_providers() {
        // 1 → 2 → 3, 1 → 4; 2 peers with 5; 6 is 1's provider.
        let r = rels("1|2|-1\n2|3|-1\n1|4|-1\n2|5|0\n6|1|-1\n");
        assert_eq!(r.customer_cone(1), vec![1, 2, 3, 4]);
        assert_eq!(r.customer_cone(3), vec![3]);
        assert_eq!(r.customer_cone(6), vec![1, 2, 3, 4, 6]);
        assert_eq!(r.customer_cone(77), vec![77]);
    }

    #[test]
    fn cone_survives_a_provider_customer_cycle() {
        let r = rels("1|2|-1\n2|3|-1\n3|1|-1\n");
        assert_eq!(r.customer_cone(2), vec![1, 2, 3]);
        let all = CustomerCones::compute(&r, 2);
        assert_eq!(all.size(1), 3);
    }

    #[test]
    fn compute_matches_the_single_cone_for_every_as() {
        let r = rels("1|2|-1\n2|3|-1\n1|4|-1\n4|3|-1\n5|1|-1\n6|7|0\n");
        let all = CustomerCones::compute(&r, 3);
        assert_eq!(all.len(), r.as_count());
        for &a in r.asns() {
            assert_eq!(all.cone(a).unwrap(), &r.customer_cone(a)[..], "AS{a}");
        }
        assert!(all.contains(5, 3));
        assert!(!all.contains(3, 5));
    }

    #[test]
    fn ppdc_file_cones_include_their_own_as_and_report_bad_lines() {
        let text = "# total size: 3\n10 11 12\n11\n12 x\n10 99\n";
        let l = CustomerCones::read(text.as_bytes()).unwrap();
        assert_eq!(l.cones.cone(10), Some(&[10, 11, 12][..]));
        assert_eq!(l.cones.cone(11), Some(&[11][..]));
        assert_eq!(l.cones.len(), 2);
        assert_eq!(l.comments, 1);
        let errs: Vec<_> = l.errors.iter().map(|e| (e.line, e.kind)).collect();
        assert_eq!(
            errs,
            vec![
                (4, LineErrorKind::BadAsn),
                (5, LineErrorKind::DuplicateCone)
            ]
        );
    }
}
