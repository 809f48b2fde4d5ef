//! Reading registry files into an [`IrrDb`]: RPSL dumps (any compression), ARIN's OriginAS
//! JSON export, and `rir,mntner,asn` maintainer tables. The format is read from the content.

use crate::index::IrrDb;
use crate::object::{parse_asn, type_object, Class, Object, RouteObject};
use crate::rpsl::{Limits, RpslReader};
use routenorms_types::Prefix;
use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::Path;
use std::sync::{mpsc, Mutex};

/// What a file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    Rpsl,
    /// ARIN's OriginAS records (`{"source": "ARIN-WHOIS", "whois_records": {"v4": [...]}}`).
    ArinOriginAs,
    /// `rir,mntner,asn` lines.
    MaintainerCsv,
}

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Source for objects without a `source:` line.
    pub default_source: String,
    /// Keep each object's text (for whois look-ups).
    pub keep_text: bool,
    /// Threads typing objects (0: one per CPU; 1: all on the calling thread).
    pub threads: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            limits: Limits::default(),
            default_source: "UNKNOWN".into(),
            keep_text: false,
            threads: 0,
        }
    }
}

/// A damaged object or record: where and why. It was skipped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadIssue {
    pub line: u64,
    pub reason: &'static str,
    pub class: Option<String>,
    pub key: Option<String>,
}

/// The outcome of loading one file.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LoadReport {
    pub format: Option<FileFormat>,
    pub bytes: u64,
    pub objects: u64,
    /// Objects per class (RPSL), or records (other formats, counted as route / other).
    pub per_class: Vec<(Class, u64)>,
    /// Damaged objects, all counted; the first 1,000 kept.
    pub damaged: u64,
    pub issues: Vec<LoadIssue>,
}

impl LoadReport {
    fn count(&mut self, class: Class) {
        match self.per_class.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => self.per_class.push((class, 1)),
        }
        self.objects += 1;
    }

    /// Objects of one class.
    pub fn of(&self, class: Class) -> u64 {
        self.per_class
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(0, |(_, n)| *n)
    }

    fn issue(&mut self, i: LoadIssue) {
        self.damaged += 1;
        if self.issues.len() < 1000 {
            self.issues.push(i);
        }
    }
}

fn sniff(head: &[u8]) -> FileFormat {
    let t = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&head[..0], |i| &head[i..]);
    if t.starts_with(b"{") {
        return FileFormat::ArinOriginAs;
    }
    let first = t.split(|&b| b == b'\n').next().unwrap_or(b"");
    let fields: Vec<&[u8]> = first.split(|&b| b == b',').collect();
    if fields.len() == 3
        && !first.contains(&b':')
        && !fields[2].is_empty()
        && fields[2].trim_ascii().iter().all(u8::is_ascii_digit)
    {
        return FileFormat::MaintainerCsv;
    }
    FileFormat::Rpsl
}

impl IrrDb {
    /// Loads a file of any supported format and compression into the database.
    pub fn load_path(&mut self, path: &Path, opts: &LoadOptions) -> io::Result<LoadReport> {
        let r = crate::input::open(path)?;
        self.load_reader(r, opts)
    }

    /// Loads from a (decompressed or compressed) reader.
    pub fn load_reader(
        &mut self,
        input: impl BufRead + Send,
        opts: &LoadOptions,
    ) -> io::Result<LoadReport> {
        let mut input = crate::input::decompress(input)?;
        let format = sniff(input.fill_buf()?);
        let mut report = match format {
            FileFormat::Rpsl => self.load_rpsl(input, opts)?,
            FileFormat::ArinOriginAs => self.load_arin(input)?,
            FileFormat::MaintainerCsv => self.load_maintainers(input)?,
        };
        report.format = Some(format);
        Ok(report)
    }

    fn load_rpsl(
        &mut self,
        mut input: impl BufRead + Send,
        opts: &LoadOptions,
    ) -> io::Result<LoadReport> {
        let threads = match opts.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut report = LoadReport::default();
        if threads <= 1 {
            let (items, bytes) = type_batch(&mut input, 0, opts)?;
            for item in items {
                self.apply(item, &mut report);
            }
            report.bytes = bytes;
            return Ok(report);
        }
        // A splitter thread cuts the input at blank lines into ~1 MiB batches, workers read
        // and type them, and this thread indexes the results in input order. At most
        // 2 × threads batches are in flight.
        let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(threads * 2);
        let batch_rx = Mutex::new(batch_rx);
        let (done_tx, done_rx) = mpsc::sync_channel::<io::Result<Typed>>(threads * 2);
        let cap = opts
            .limits
            .max_object_bytes
            .saturating_add(opts.limits.max_line_bytes);
        std::thread::scope(|s| -> io::Result<()> {
            let splitter = s.spawn(move || split_batches(input, cap, batch_tx));
            for _ in 0..threads {
                let done_tx = done_tx.clone();
                let batch_rx = &batch_rx;
                s.spawn(move || loop {
                    let Ok(b) = batch_rx.lock().map(|rx| rx.recv()) else {
                        return;
                    };
                    let Ok(b) = b else { return };
                    let typed =
                        type_batch(&mut &b.data[b.skip..], b.first_line, opts).map(|(items, _)| {
                            Typed {
                                seq: b.seq,
                                items,
                                bytes: b.data.len() as u64,
                            }
                        });
                    if done_tx.send(typed).is_err() {
                        return;
                    }
                });
            }
            drop(done_tx);
            let mut pending: BTreeMap<u64, Typed> = BTreeMap::new();
            let mut next = 0u64;
            let mut failure = None;
            for t in done_rx {
                match t {
                    Ok(t) => {
                        pending.insert(t.seq, t);
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
                while let Some(t) = pending.remove(&next) {
                    report.bytes += t.bytes;
                    for item in t.items {
                        self.apply(item, &mut report);
                    }
                    next += 1;
                }
            }
            let split = splitter.join().expect("splitter thread");
            match failure {
                Some(e) => Err(e),
                None => split,
            }
        })?;
        Ok(report)
    }

    fn apply(&mut self, item: Item, report: &mut LoadReport) {
        match item {
            Item::Object(obj, class, text) => {
                report.count(class);
                self.add(obj, class, text);
            }
            Item::Issue(i) => report.issue(i),
        }
    }

    fn load_arin(&mut self, mut input: impl BufRead) -> io::Result<LoadReport> {
        #[derive(serde::Deserialize)]
        struct Record {
            prefix: Option<String>,
            originas: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Records {
            #[serde(default)]
            v4: Vec<Record>,
            #[serde(default)]
            v6: Vec<Record>,
        }
        #[derive(serde::Deserialize)]
        struct Doc {
            source: Option<String>,
            whois_records: Records,
        }
        let mut raw = Vec::new();
        input.read_to_end(&mut raw)?;
        let mut report = LoadReport {
            bytes: raw.len() as u64,
            ..LoadReport::default()
        };
        let doc: Doc = serde_json::from_slice(&raw)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let source = doc.source.unwrap_or_else(|| "ARIN-WHOIS".into());
        let records = doc.whois_records.v4.into_iter().chain(doc.whois_records.v6);
        for (i, r) in records.enumerate() {
            let prefix = r.prefix.as_deref().and_then(|p| p.parse::<Prefix>().ok());
            let origins: Vec<_> = r
                .originas
                .as_deref()
                .unwrap_or("")
                .split([' ', ','])
                .filter_map(parse_asn)
                .collect();
            match prefix {
                Some(prefix) if !origins.is_empty() => {
                    let class = if prefix.afi() == routenorms_types::Afi::Ipv4 {
                        Class::Route
                    } else {
                        Class::Route6
                    };
                    report.count(class);
                    self.add(
                        Object::Route(RouteObject {
                            prefix,
                            origins,
                            max_length: None,
                            mnt_by: Vec::new(),
                            member_of: Vec::new(),
                            source: source.clone(),
                        }),
                        class,
                        None,
                    );
                }
                _ => report.issue(LoadIssue {
                    line: i as u64 + 1,
                    reason: "OriginAS record without a valid prefix and origin",
                    class: None,
                    key: r.prefix,
                }),
            }
        }
        Ok(report)
    }

    fn load_maintainers(&mut self, input: impl BufRead) -> io::Result<LoadReport> {
        let mut report = LoadReport::default();
        for (i, line) in input.split(b'\n').enumerate() {
            let line = line?;
            report.bytes += line.len() as u64 + 1;
            let t = String::from_utf8_lossy(&line);
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            let f: Vec<&str> = t.split(',').collect();
            match (f.len(), f.get(2).and_then(|a| a.trim().parse::<u32>().ok())) {
                (3, Some(asn)) => {
                    report.count(Class::Mntner);
                    self.add_asn_maintainer(f[0].trim(), f[1].trim(), routenorms_types::Asn(asn));
                }
                _ => report.issue(LoadIssue {
                    line: i as u64 + 1,
                    reason: "not `rir,mntner,asn`",
                    class: None,
                    key: None,
                }),
            }
        }
        Ok(report)
    }
}

/// One object typed by a worker, or why it was skipped.
enum Item {
    Object(Object, Class, Option<String>),
    Issue(LoadIssue),
}

/// A run of whole objects cut from the input at a blank line.
struct Batch {
    seq: u64,
    /// Line number (0-based) of the batch's first line in the whole input.
    first_line: u64,
    /// Bytes to skip first: the rest of an object cut by the size cap.
    skip: usize,
    data: Vec<u8>,
}

struct Typed {
    seq: u64,
    items: Vec<Item>,
    bytes: u64,
}

/// Reads and types every object of `input`; line numbers are offset by `first_line`.
fn type_batch(
    input: &mut impl BufRead,
    first_line: u64,
    opts: &LoadOptions,
) -> io::Result<(Vec<Item>, u64)> {
    let mut reader = RpslReader::with_limits(input, opts.limits);
    let mut items = Vec::new();
    while let Some(item) = reader.next_object()? {
        items.push(match item {
            Err(e) => Item::Issue(LoadIssue {
                line: e.line + first_line,
                reason: e.reason,
                class: e.class,
                key: e.key,
            }),
            Ok(raw) => {
                let class = Class::from_name(raw.class());
                match type_object(&raw, &opts.default_source) {
                    Ok(obj) => Item::Object(obj, class, opts.keep_text.then(|| raw.to_text())),
                    Err(e) => Item::Issue(LoadIssue {
                        line: e.line + first_line,
                        reason: e.reason,
                        class: Some(raw.class().to_owned()),
                        key: Some(String::from_utf8_lossy(raw.key()).into_owned()),
                    }),
                }
            }
        });
    }
    Ok((items, reader.bytes_read()))
}

/// The end of the last blank line in `buf` (`\n\n` or `\n\r\n`), if any.
fn last_blank_line_end(buf: &[u8]) -> Option<usize> {
    (1..buf.len()).rev().find_map(|i| {
        (buf[i] == b'\n'
            && (buf[i - 1] == b'\n' || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n')))
            .then_some(i + 1)
    })
}

/// The end of the first blank line in `buf`, if any.
fn first_blank_line_end(buf: &[u8]) -> Option<usize> {
    (1..buf.len()).find_map(|i| {
        (buf[i] == b'\n'
            && (buf[i - 1] == b'\n' || (i >= 2 && buf[i - 1] == b'\r' && buf[i - 2] == b'\n')))
            .then_some(i + 1)
    })
}

const BATCH_BYTES: usize = 1 << 20;

/// Cuts the input into batches ending at blank lines. A stretch with no blank line longer
/// than `cap` (one object over the size limit) is cut at a line end; the next batch then
/// skips to its first blank line, and the reader reports the first part as too large.
fn split_batches(
    mut input: impl BufRead,
    cap: usize,
    tx: mpsc::SyncSender<Batch>,
) -> io::Result<()> {
    let mut carry: Vec<u8> = Vec::new();
    let mut seq = 0u64;
    let mut line = 0u64;
    let mut skip_next = false;
    let mut eof = false;
    while !eof || !carry.is_empty() {
        let mut buf = std::mem::take(&mut carry);
        let mut target = BATCH_BYTES;
        while !eof {
            while buf.len() < target {
                let avail = match input.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if avail.is_empty() {
                    eof = true;
                    break;
                }
                let n = avail.len().min(target - buf.len());
                buf.extend_from_slice(&avail[..n]);
                input.consume(n);
            }
            if eof || buf.len() > cap || last_blank_line_end(&buf).is_some() {
                break;
            }
            // No blank line yet: one object longer than a batch; read on, up to `cap`.
            target += BATCH_BYTES;
        }
        let (cut, forced) = if eof {
            (buf.len(), false)
        } else if let Some(end) = last_blank_line_end(&buf) {
            (end, false)
        } else {
            let end = buf
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(buf.len(), |i| i + 1);
            (end, true)
        };
        carry = buf.split_off(cut);
        let skip = if skip_next {
            first_blank_line_end(&buf).unwrap_or(buf.len())
        } else {
            0
        };
        let first_line = line + buf[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
        line += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        skip_next = forced;
        if buf.len() > skip {
            let batch = Batch {
                seq,
                first_line,
                skip,
                data: buf,
            };
            if tx.send(batch).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpsl::Limits;

    #[test]
    fn formats_are_read_from_content() {
        assert_eq!(sniff(b"route: 10.0.0.0/8\n"), FileFormat::Rpsl);
        assert_eq!(sniff(b"  {\"source\": 1}"), FileFormat::ArinOriginAs);
        assert_eq!(sniff(b"ripe,FOO-MNT,3333\n"), FileFormat::MaintainerCsv);
        assert_eq!(sniff(b"% comment, with, commas\n"), FileFormat::Rpsl);
    }

    fn summary(text: &[u8], threads: usize, limits: Limits) -> (String, Vec<(u64, &'static str)>) {
        let mut db = IrrDb::new();
        let r = db
            .load_reader(
                text,
                &LoadOptions {
                    threads,
                    limits,
                    keep_text: true,
                    ..LoadOptions::default()
                },
            )
            .unwrap();
        db.finish();
        let v = db.view(&[]).unwrap();
        let routes: Vec<String> = v
            .routes_of(routenorms_types::Asn(7), None)
            .map(|r| format!("{} {}", r.prefix, db.route_text(r).unwrap().text.len()))
            .collect();
        (
            format!(
                "{:?} {} {} {} {:?} {:?}",
                r.per_class,
                r.objects,
                r.damaged,
                r.bytes,
                db.sources(),
                routes
            ),
            r.issues.iter().map(|i| (i.line, i.reason)).collect(),
        )
    }

    #[test]
    fn parallel_loading_gives_what_sequential_loading_gives() {
        let mut text = Vec::new();
        for i in 0..80_000u32 {
            let eol: &[u8] = if i % 7 == 0 { b"\r\n" } else { b"\n" };
            let obj = match i % 5 {
                0 => format!(
                    "route: 10.{}.{}.0/24{e}origin: AS{}{e}source: S{}{e}",
                    i >> 8 & 255,
                    i & 255,
                    i % 13,
                    i % 3,
                    e = "\n"
                ),
                1 => format!("as-set: AS-X{i}\nmembers: AS1,\n AS2\nsource: S1\n"),
                2 => "garbage line\n".to_string(),
                3 => format!("aut-num: AS{i}\nimport: from AS1 accept ANY # c\nsource: S2\n"),
                _ => format!(
                    "% comment {i}\nroute6: 2001:db8:{:x}::/48\norigin: AS7\nsource: S0\n",
                    i & 0xffff
                ),
            };
            for line in obj.lines() {
                text.extend_from_slice(line.as_bytes());
                text.extend_from_slice(eol);
            }
            text.extend_from_slice(eol);
        }
        assert!(text.len() > 3 * BATCH_BYTES);
        let limits = Limits::default();
        let one = summary(&text, 1, limits);
        assert_eq!(one, summary(&text, 3, limits));
        assert_eq!(one.1.len(), 1000);
        assert_eq!(one.1[0].1, "line is not `attribute: value`");
    }

    #[test]
    fn parallel_loading_bounds_an_object_with_no_end() {
        // A 3 MiB object with no blank line under a 1 KiB object limit: reported once as
        // too large, and the objects after it still load, with the right line numbers.
        let mut text = b"route: 10.0.0.0/8\norigin: AS7\nsource: A\n\nas-set: AS-BIG\n".to_vec();
        while text.len() < 3 * BATCH_BYTES {
            text.extend_from_slice(b"members: AS1, AS2, AS3, AS4, AS5\n");
        }
        text.extend_from_slice(b"\nroute: 11.0.0.0/8\norigin: AS7\nsource: A\n");
        let limits = Limits {
            max_line_bytes: 100,
            max_object_bytes: 1000,
            max_attributes: 100,
        };
        let (seq, seq_issues) = summary(&text, 1, limits);
        let (par, par_issues) = summary(&text, 2, limits);
        assert!(seq.contains("11.0.0.0/8"), "{seq}");
        assert!(par.contains("11.0.0.0/8"), "{par}");
        assert_eq!(seq_issues.len(), 1);
        assert_eq!(par_issues[0], seq_issues[0]);
    }

    #[test]
    fn arin_originas_records_become_route_objects() {
        let json = br#"{"source": "ARIN-WHOIS", "whois_records": {"v4": [
            {"prefix": "3.0.0.0/15", "originas": "AS38895"},
            {"prefix": "3.0.0.1/15", "originas": "AS1"}],
            "v6": [{"prefix": "2001:400::/32", "originas": "AS293"}]}}"#;
        let mut db = IrrDb::new();
        let r = db.load_reader(&json[..], &LoadOptions::default()).unwrap();
        assert_eq!(
            (r.of(Class::Route), r.of(Class::Route6), r.damaged),
            (1, 1, 1)
        );
        db.finish();
        assert_eq!(db.sources(), ["ARIN-WHOIS"]);
        assert_eq!(db.route_count(), 2);
    }
}
