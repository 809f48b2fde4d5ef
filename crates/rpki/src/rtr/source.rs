//! Where a cache server's payload comes from: a VRP file, optionally an ASPA file and a SLURM
//! file, loaded with [`crate::load_bytes`] and [`crate::Slurm`], and watched for changes.
//!
//! [`FileSource::watch`] polls on a thread of its own (loading is CPU work, not socket work):
//! every interval it compares each file's size and modification time with the last load; on a
//! difference it reads the files, skips the round if a file changed while being read (a writer
//! still at work: it is read again next round), and compares a hash of the contents, so a
//! `touch` costs no reload. New contents are loaded and handed to [`Cache::update`], which
//! bumps the serial and notifies routers only when the set actually differs. A file that no
//! longer loads leaves the served set as it was, and the error is reported.
//!
//! Writers should replace files atomically (write a temporary file, then rename it).

use super::state::{Cache, RtrPayload, UpdateSummary};
use crate::{load_bytes, LoadError, Payload, Rejected, Slurm};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The files a cache serves.
#[derive(Clone, Debug)]
pub struct FileSource {
    /// Any payload file [`crate::load`] reads; its ASPAs (rpki-client JSON) are served too.
    pub vrps: PathBuf,
    /// A second payload file whose ASPAs are served (its VRPs, if any, are ignored).
    pub aspa: Option<PathBuf>,
    /// SLURM (RFC 8416) applied to the VRPs.
    pub slurm: Option<PathBuf>,
}

/// One load of the files.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub payload: RtrPayload,
    /// Every entry rejected by a loader, with the file it came from.
    pub rejected: Vec<(PathBuf, Rejected)>,
    /// VRPs removed and added by SLURM.
    pub slurm_filtered: usize,
    pub slurm_asserted: usize,
}

/// What the watcher did, for the caller to log.
#[derive(Debug)]
pub enum WatchEvent {
    /// The files changed and the set with them: a new serial.
    Updated(UpdateSummary, Loaded),
    /// The files changed but the payload did not.
    Unchanged,
    /// The files changed and do not load; the previous set is still served.
    Failed(LoadError),
}

/// (size, modification time) of each file, `None` for one that cannot be read.
type Stamp = Vec<Option<(u64, SystemTime)>>;

fn wrap(path: &Path) -> impl Fn(LoadError) -> LoadError + '_ {
    move |e| LoadError::Path {
        path: path.to_path_buf(),
        source: Box::new(e),
    }
}

impl FileSource {
    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.vrps)
            .chain(self.aspa.as_ref())
            .chain(self.slurm.as_ref())
    }

    fn stamp(&self) -> Stamp {
        self.paths()
            .map(|p| {
                let m = std::fs::metadata(p).ok()?;
                Some((m.len(), m.modified().ok()?))
            })
            .collect()
    }

    fn read_all(&self) -> Result<Vec<Vec<u8>>, LoadError> {
        self.paths()
            .map(|p| std::fs::read(p).map_err(|e| wrap(p)(e.into())))
            .collect()
    }

    /// Loads the files now.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        self.load_contents(&self.read_all()?)
    }

    fn load_contents(&self, contents: &[Vec<u8>]) -> Result<Loaded, LoadError> {
        let mut files = contents.iter();
        let mut next = || files.next().map_or(&[][..], |c| c.as_slice());
        let mut rejected = Vec::new();
        let mut take = |path: &Path, p: &mut Payload| {
            rejected.extend(p.rejected.drain(..).map(|r| (path.to_path_buf(), r)));
        };
        let mut main = load_bytes(next()).map_err(wrap(&self.vrps))?;
        take(&self.vrps, &mut main);
        let mut aspas = std::mem::take(&mut main.aspas);
        if let Some(path) = &self.aspa {
            let mut extra = load_bytes(next()).map_err(wrap(path))?;
            take(path, &mut extra);
            aspas.append(&mut extra.aspas);
        }
        let (mut slurm_filtered, mut slurm_asserted) = (0, 0);
        if let Some(path) = &self.slurm {
            let slurm = Slurm::load(next()).map_err(wrap(path))?;
            rejected.extend(slurm.rejected.iter().map(|r| (path.clone(), r.clone())));
            let applied = slurm.apply(&mut main);
            slurm_filtered = applied.filtered;
            slurm_asserted = applied.asserted;
        }
        Ok(Loaded {
            payload: RtrPayload::new(main.vrps, aspas),
            rejected,
            slurm_filtered,
            slurm_asserted,
        })
    }

    /// Polls the files every `interval` on a new thread, updating `cache` and calling
    /// `on_event` for every change seen, until the returned [`Watcher`] is dropped. `initial`
    /// is the contents the cache was built from ([`FileSource::load_initial`]), so the first
    /// poll does not reload them.
    pub fn watch(
        self,
        cache: Arc<Cache>,
        interval: Duration,
        initial: Fingerprint,
        mut on_event: impl FnMut(WatchEvent) + Send + 'static,
    ) -> std::io::Result<Watcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("rtr-watch".into())
            .spawn(move || {
                let mut last = initial;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    if let Some(ev) = self.poll(&cache, &mut last) {
                        on_event(ev);
                    }
                }
            })?;
        Ok(Watcher {
            stop,
            thread: Some(thread),
        })
    }

    /// Loads the files for a new cache and the fingerprint [`FileSource::watch`] starts from.
    pub fn load_initial(&self) -> Result<(Loaded, Fingerprint), LoadError> {
        let stamp = self.stamp();
        let contents = self.read_all()?;
        let loaded = self.load_contents(&contents)?;
        Ok((
            loaded,
            Fingerprint {
                stamp,
                hash: hash(&contents),
            },
        ))
    }

    /// One poll: `None` when nothing changed on disk.
    fn poll(&self, cache: &Cache, last: &mut Fingerprint) -> Option<WatchEvent> {
        let stamp = self.stamp();
        if stamp == last.stamp {
            return None;
        }
        let contents = match self.read_all() {
            Ok(c) => c,
            // Gone or unreadable (perhaps mid-rename): report once, keep serving.
            Err(e) => {
                last.stamp = stamp;
                return Some(WatchEvent::Failed(e));
            }
        };
        if self.stamp() != stamp {
            return None; // still being written; next round
        }
        last.stamp = stamp;
        let h = hash(&contents);
        if h == last.hash {
            return None;
        }
        last.hash = h;
        Some(match self.load_contents(&contents) {
            Err(e) => WatchEvent::Failed(e),
            Ok(loaded) => match cache.update(loaded.payload.clone()) {
                Some(summary) => WatchEvent::Updated(summary, loaded),
                None => WatchEvent::Unchanged,
            },
        })
    }
}

/// What the watcher last loaded: file stamps and a hash of the contents.
#[derive(Clone, Debug)]
pub struct Fingerprint {
    stamp: Stamp,
    hash: u64,
}

fn hash(contents: &[Vec<u8>]) -> u64 {
    // SipHash with fixed keys: deterministic, and a collision needs a deliberate attacker who
    // can already write the served files.
    let mut h = std::hash::DefaultHasher::new();
    contents.hash(&mut h);
    h.finish()
}

/// The polling thread of [`FileSource::watch`]; dropping it stops the thread.
#[derive(Debug)]
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    /// Blocks for as long as the watcher runs (forever, unless it panicked).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
