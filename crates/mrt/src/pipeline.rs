//! The multi-threaded reading pipeline: one thread decompresses and frames records into
//! batches, worker threads decode them, and the caller receives the workers' results in input
//! order.
//!
//! TABLE_DUMP_V2 RIB records only need the PEER_INDEX_TABLE that precedes them, so the framing
//! thread decodes peer tables itself and hands each batch the table in force; everything else
//! is independent per record. Channels are bounded, so memory stays at a few batches per
//! thread whatever the file size.

use crate::framing::{Damage, Frame, FrameReader};
use crate::header::{mrt_type, tdv2, Header};
use crate::record::{PeerIndexTable, Record};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Arc;

/// Target size of a batch of framed records (a documented default: large enough to amortise
/// channel traffic, small enough to keep all threads busy on small files).
pub const BATCH_BYTES: usize = 1 << 20;

/// One framed record inside a [`Batch`].
#[derive(Clone, Copy, Debug)]
pub struct BatchRecord {
    /// Offset of the record header in the decompressed stream.
    pub offset: u64,
    pub header: Header,
    start: usize,
    end: usize,
}

/// Something the framer reported, positioned among the records of a batch.
#[derive(Debug)]
pub enum BatchEvent {
    /// Index into `records`.
    Record(usize),
    Damage(Damage),
}

/// A run of consecutive records (copied out of the framer's buffer) with the peer table in
/// force for them.
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    pub records: Vec<BatchRecord>,
    /// Records and damage reports in stream order.
    pub events: Vec<BatchEvent>,
    /// The PEER_INDEX_TABLE in force at the start of the batch; a table inside the batch
    /// replaces it from that record on (see [`Batch::peer_tables`]).
    pub peers: Option<Arc<PeerIndexTable>>,
    /// Tables that appear inside this batch, by record index.
    pub peer_tables: Vec<(usize, Arc<PeerIndexTable>)>,
}

impl Batch {
    /// The body of record `i`.
    pub fn body(&self, i: usize) -> &[u8] {
        let r = &self.records[i];
        &self.data[r.start..r.end]
    }

    /// Calls `f` for each event with the peer table in force at that point.
    pub fn for_each(&self, mut f: impl FnMut(Option<&PeerIndexTable>, &BatchEvent)) {
        let mut peers = self.peers.as_deref();
        let mut next_table = self.peer_tables.iter().peekable();
        for ev in &self.events {
            if let BatchEvent::Record(i) = ev {
                while let Some((at, t)) = next_table.peek() {
                    if at <= i {
                        peers = Some(t);
                        next_table.next();
                    } else {
                        break;
                    }
                }
            }
            f(peers, ev);
        }
    }
}

/// Work done on batches by one worker thread.
pub trait Processor: Send {
    type Output: Send + 'static;
    fn process(&mut self, batch: &Batch) -> Self::Output;
}

/// How the input ended.
#[derive(Debug, Default)]
pub struct Ending {
    /// The decompressor's error, if the compressed stream was corrupt or cut short.
    pub input_error: Option<io::Error>,
    /// Bytes of decompressed input framed.
    pub bytes: u64,
}

/// Runs `reader` through the pipeline with `workers` decode threads (at least one), handing
/// each batch's output to `sink` in input order. Returns the workers (for their accumulated
/// state) and how the input ended.
pub fn run<R, P, F, S>(reader: R, workers: usize, make: F, mut sink: S) -> (Vec<P>, Ending)
where
    R: Read + Send,
    P: Processor,
    F: Fn() -> P,
    S: FnMut(P::Output),
{
    let workers = workers.max(1);
    let (batch_tx, batch_rx) = crossbeam_channel::bounded::<(u64, Batch)>(workers * 2);
    let (out_tx, out_rx) = crossbeam_channel::bounded::<(u64, P::Output)>(workers * 2);
    std::thread::scope(|scope| {
        let framer = scope.spawn(move || frame_batches(reader, batch_tx));
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let rx = batch_rx.clone();
            let tx = out_tx.clone();
            let mut p = make();
            handles.push(scope.spawn(move || {
                for (seq, batch) in rx {
                    let out = p.process(&batch);
                    if tx.send((seq, out)).is_err() {
                        break;
                    }
                }
                p
            }));
        }
        drop(batch_rx);
        drop(out_tx);
        // Reorder: outputs arrive in any order, the sink sees them in sequence.
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        for (seq, out) in out_rx {
            pending.insert(seq, out);
            while let Some(o) = pending.remove(&next) {
                sink(o);
                next += 1;
            }
        }
        let procs = handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect();
        let ending = framer.join().expect("framer panicked");
        (procs, ending)
    })
}

fn frame_batches<R: Read>(reader: R, tx: crossbeam_channel::Sender<(u64, Batch)>) -> Ending {
    let mut fr = FrameReader::new(reader);
    let mut seq = 0u64;
    let mut peers: Option<Arc<PeerIndexTable>> = None;
    let mut batch = Batch::default();
    let mut ending = Ending::default();
    let send = |batch: &mut Batch, seq: &mut u64, peers: &Option<Arc<PeerIndexTable>>| {
        let full = std::mem::take(batch);
        batch.peers = peers.clone();
        batch.data.reserve(BATCH_BYTES + (BATCH_BYTES >> 2));
        let ok = tx.send((*seq, full)).is_ok();
        *seq += 1;
        ok
    };
    batch.data.reserve(BATCH_BYTES + (BATCH_BYTES >> 2));
    while let Some(frame) = fr.next() {
        match frame {
            Frame::Record(r) => {
                let start = batch.data.len();
                batch.data.extend_from_slice(r.body);
                let idx = batch.records.len();
                batch.records.push(BatchRecord {
                    offset: r.offset,
                    header: r.header,
                    start,
                    end: batch.data.len(),
                });
                batch.events.push(BatchEvent::Record(idx));
                if is_peer_table(&r.header) {
                    if let Ok(d) = crate::record::decode(&r.header, r.body) {
                        if let Record::PeerIndexTable(t) = d.record {
                            let t = Arc::new(t);
                            batch.peer_tables.push((idx, t.clone()));
                            peers = Some(t);
                        }
                    }
                }
            }
            Frame::Damage(d) => batch.events.push(BatchEvent::Damage(d)),
            Frame::InputError(e) => ending.input_error = Some(e),
        }
        if batch.data.len() >= BATCH_BYTES && !send(&mut batch, &mut seq, &peers) {
            break;
        }
    }
    if !batch.events.is_empty() {
        send(&mut batch, &mut seq, &peers);
    }
    ending.bytes = fr.position();
    ending
}

fn is_peer_table(h: &Header) -> bool {
    h.mrt_type == mrt_type::TABLE_DUMP_V2 && h.subtype == tdv2::PEER_INDEX_TABLE
}
