//! Turning batches of records into text lines: bgpdump `-m` format, JSON lines or CSV.

use crate::bgpdump;
use crate::element::{walk, Element, WalkNotes};
use crate::pipeline::{Batch, Processor};
use crate::stats::{for_each_record, DamageReport};

/// The line formats of `mrt dump`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// `bgpdump -m`.
    Bgpdump,
    /// One JSON object per element.
    Jsonl,
    /// CSV with a header line (written by the caller once).
    Csv,
}

/// What one batch produced: its text and the damage found in it, in stream order.
#[derive(Debug, Default)]
pub struct DumpOutput {
    pub text: Vec<u8>,
    pub damage: Vec<DamageReport>,
    /// Records decoded.
    pub records: u64,
}

/// A [`Processor`] that formats lines.
#[derive(Debug)]
pub struct DumpProcessor {
    pub format: LineFormat,
    pub notes: WalkNotes,
    formatter: bgpdump::Formatter,
}

impl DumpProcessor {
    pub fn new(format: LineFormat) -> Self {
        DumpProcessor {
            format,
            notes: WalkNotes::default(),
            formatter: bgpdump::Formatter::new(),
        }
    }
}

impl Processor for DumpProcessor {
    type Output = DumpOutput;

    fn process(&mut self, batch: &Batch) -> DumpOutput {
        let mut out = DumpOutput {
            text: Vec::with_capacity(4 << 20),
            ..Default::default()
        };
        let format = self.format;
        let notes = &mut self.notes;
        let formatter = &mut self.formatter;
        let text = &mut out.text;
        let mut records = 0;
        for_each_record(batch, &mut out.damage, |_, peers, d| {
            records += 1;
            match format {
                LineFormat::Bgpdump => formatter.format(text, d, peers, notes),
                LineFormat::Jsonl => walk(d, peers, notes, |r| {
                    let e = Element::from_route(r);
                    serde_json::to_writer(&mut *text, &e).expect("serialising to memory");
                    text.push(b'\n');
                }),
                LineFormat::Csv => {
                    walk(d, peers, notes, |r| Element::from_route(r).write_csv(text))
                }
            }
        });
        out.records = records;
        out
    }
}
