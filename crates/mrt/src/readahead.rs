//! Reading MRT files ahead of the code that consumes them, on a thread of its own: a caller
//! that must first load other data (`observe` loads VRPs and the IRR) starts decoding at
//! once and finds the first batches waiting when it is ready for them.

use crate::routes::{for_each_entry_batch, EntriesEnding, RouteEntry};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// How many batches (each about [`crate::pipeline::BATCH_BYTES`] of MRT records) may wait
/// unread: 32 MiB of records, a few hundred MiB of entries at most. A whole RIB of a few
/// hundred thousand entries fits.
pub const READAHEAD_BATCHES: usize = 32;

enum Message {
    Batch(Vec<RouteEntry>),
    End(io::Result<EntriesEnding>),
}

/// Files being read ahead, in a fixed order. Read them back with [`Readahead::read`] in that
/// order; dropping it stops the reading after the current batch.
pub struct Readahead {
    paths: Vec<PathBuf>,
    next: AtomicUsize,
    rx: crossbeam_channel::Receiver<Message>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Readahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readahead")
            .field("paths", &self.paths)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl Readahead {
    /// Starts reading `paths` one after the other with `threads` decode threads, keeping at
    /// most `batches` batches waiting.
    pub fn start(paths: Vec<PathBuf>, threads: usize, batches: usize) -> Readahead {
        let (tx, rx) = crossbeam_channel::bounded(batches.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let (list, flag) = (paths.clone(), Arc::clone(&stop));
        // Detached: a consumer that gives up does not wait for the file being decoded.
        std::thread::spawn(move || {
            for p in &list {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                let end = for_each_entry_batch(p, threads, |b| {
                    if !flag.load(Ordering::Relaxed) && tx.send(Message::Batch(b)).is_err() {
                        flag.store(true, Ordering::Relaxed);
                    }
                });
                if tx.send(Message::End(end)).is_err() {
                    return;
                }
            }
        });
        Readahead {
            paths,
            next: AtomicUsize::new(0),
            rx,
            stop,
        }
    }

    /// Hands every batch of `path` to `sink`, as [`for_each_entry_batch`] does; `path` must
    /// be the next file of the list.
    pub fn read(
        &self,
        path: &Path,
        mut sink: impl FnMut(Vec<RouteEntry>),
    ) -> io::Result<EntriesEnding> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        match self.paths.get(i) {
            Some(p) if p == path => {}
            expected => {
                return Err(io::Error::other(format!(
                    "{} asked of the read-ahead out of order (next: {})",
                    path.display(),
                    expected.map_or("none".into(), |p| p.display().to_string())
                )))
            }
        }
        loop {
            match self.rx.recv() {
                Ok(Message::Batch(b)) => sink(b),
                Ok(Message::End(end)) => return end,
                Err(_) => {
                    return Err(io::Error::other(format!(
                        "{}: the read-ahead thread ended before the file did",
                        path.display()
                    )))
                }
            }
        }
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("routenorms-ahead-{name}-{}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn direct(path: &Path) -> (Vec<String>, u64) {
        let mut out = Vec::new();
        let end = for_each_entry_batch(path, 1, |b| out.extend(b.iter().map(|e| format!("{e:?}"))))
            .unwrap();
        (out, end.entries)
    }

    #[test]
    fn read_ahead_files_give_the_entries_a_direct_read_gives_in_order() {
        let a = temp("a", &crate::write::sample());
        let b = temp("b", &crate::write::sample()[..40]);
        // One waiting batch at most: the reader blocks between files and still finishes.
        let ahead = Readahead::start(vec![a.clone(), b.clone(), a.clone()], 2, 1);
        for p in [&a, &b, &a] {
            let mut got = Vec::new();
            let end = ahead
                .read(p, |batch| {
                    got.extend(batch.iter().map(|e| format!("{e:?}")))
                })
                .unwrap();
            let (want, entries) = direct(p);
            assert_eq!(got, want);
            assert_eq!(end.entries, entries);
        }
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }

    #[test]
    fn a_file_asked_out_of_order_is_an_error_not_another_files_entries() {
        let a = temp("c", &crate::write::sample());
        let b = temp("d", &crate::write::sample());
        let ahead = Readahead::start(vec![a.clone(), b.clone()], 1, 4);
        let e = ahead.read(&b, |_| panic!("no entries")).unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");
        let _ = std::fs::remove_file(a);
        let _ = std::fs::remove_file(b);
    }

    #[test]
    fn a_missing_file_ends_its_read_with_the_open_error() {
        let missing = std::env::temp_dir().join("routenorms-ahead-missing.mrt");
        let ahead = Readahead::start(vec![missing.clone()], 1, 4);
        let e = ahead.read(&missing, |_| panic!("no entries")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
