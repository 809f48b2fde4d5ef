//! The RPSL object reader (RFC 2622 section 2, RFC 4012): a stream of bytes → a stream of
//! objects, each a list of (attribute, value) pairs that borrow the reader's buffer.
//!
//! Rules, each pinned by a test below:
//! * objects are separated by one or more blank lines (empty, or only spaces, tabs and `\r`);
//! * a line is `name: value`; names are case-insensitive (returned in lower case) and made of
//!   letters, digits, `-` and `_`;
//! * a line starting with a space, a tab or `+` continues the previous attribute; the parts
//!   are joined with one space (a `+` line alone adds nothing);
//! * `#` starts a comment up to the end of the line; values are trimmed;
//! * lines starting with `%` or `#` in the first column (RIPE and IRRd dump headers) are
//!   skipped wherever they occur;
//! * attributes may repeat; CRLF line ends are accepted; bytes that are not UTF-8 are kept
//!   (values are bytes; [`RawObject::get_str`] converts lossily).
//!
//! A damaged object (a line that is not an attribute, a continuation with nothing to continue,
//! a line or object over the [`Limits`]) is returned as an [`ObjectError`] with the line
//! number, and the reader resumes at the next blank line. Memory is bounded by the limits
//! whatever the input: an over-long line is consumed without being stored.

use std::io::{self, BufRead};
use std::ops::Range;

/// Bounds on what one object may hold; input beyond them is reported, not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest line kept (bytes, line end excluded). Default 256 KiB: the longest line in
    /// real registries is a few KiB.
    pub max_line_bytes: usize,
    /// Largest object (bytes of joined values). Default 16 MiB: RIPE's largest aut-num
    /// objects are under 2 MiB.
    pub max_object_bytes: usize,
    /// Most attributes in one object. Default 200,000.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 256 * 1024,
            max_object_bytes: 16 * 1024 * 1024,
            max_attributes: 200_000,
        }
    }
}

/// A damaged object: where and why. The reader has skipped to the next blank line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ObjectError {
    /// 1-based line number of the offending line.
    pub line: u64,
    /// 1-based line number where the object started.
    pub object_line: u64,
    pub reason: &'static str,
    /// The object's class and key, when its first line was readable.
    pub class: Option<String>,
    pub key: Option<String>,
}

#[derive(Clone, Debug)]
struct Attr {
    name: Range<usize>,
    value: Range<usize>,
    line: u64,
}

/// One object, borrowing the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct RawObject<'a> {
    buf: &'a [u8],
    attrs: &'a [Attr],
    /// 1-based line number of the object's first line.
    pub line: u64,
    /// Byte offset of the object's first line in the (decompressed) input.
    pub offset: u64,
}

impl<'a> RawObject<'a> {
    /// The class: the first attribute's name (lower case).
    pub fn class(&self) -> &'a str {
        self.attr_name(0)
    }

    /// The primary key as RPSL gives it: the first attribute's value.
    pub fn key(&self) -> &'a [u8] {
        &self.buf[self.attrs[0].value.clone()]
    }

    fn attr_name(&self, i: usize) -> &'a str {
        // Names are checked to be ASCII when read.
        std::str::from_utf8(&self.buf[self.attrs[i].name.clone()]).unwrap_or("")
    }

    /// Every attribute in order: (lower-case name, value bytes, line number).
    pub fn attributes(&self) -> impl Iterator<Item = (&'a str, &'a [u8], u64)> + 'a {
        let buf = self.buf;
        self.attrs.iter().map(move |a| {
            (
                std::str::from_utf8(&buf[a.name.clone()]).unwrap_or(""),
                &buf[a.value.clone()],
                a.line,
            )
        })
    }

    /// Number of attributes (at least one).
    pub fn len(&self) -> usize {
        self.attrs.len()
    }

    /// Never true: an object has at least its class attribute.
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }

    /// The first value of attribute `name` (lower case).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// The first value of `name` as text (invalid UTF-8 replaced).
    pub fn get_str(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.get(name).map(String::from_utf8_lossy)
    }

    /// Every value of attribute `name`, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        // Names are compared as bytes: this runs for every attribute of every object.
        let buf = self.buf;
        self.attrs
            .iter()
            .filter(move |a| &buf[a.name.clone()] == name.as_bytes())
            .map(move |a| &buf[a.value.clone()])
    }

    /// The object as RPSL text, one attribute per line (continuations joined).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (n, v, _) in self.attributes() {
            s.push_str(n);
            s.push(':');
            let pad = 16usize.saturating_sub(n.len() + 1).max(1);
            s.extend(std::iter::repeat_n(' ', pad));
            s.push_str(&String::from_utf8_lossy(v));
            s.push('\n');
        }
        s
    }
}

/// What reading one line gave.
enum Line {
    Eof,
    /// The line is in `self.line` (line end removed).
    Kept,
    /// Longer than the limit: consumed, not stored.
    Overlong,
}

/// A streaming RPSL reader over any buffered input.
#[derive(Debug)]
pub struct RpslReader<R> {
    input: R,
    limits: Limits,
    line: Vec<u8>,
    line_no: u64,
    offset: u64,
    buf: Vec<u8>,
    attrs: Vec<Attr>,
    objects: u64,
    errors: u64,
}

impl<R: BufRead> RpslReader<R> {
    pub fn new(input: R) -> Self {
        Self::with_limits(input, Limits::default())
    }

    pub fn with_limits(input: R, limits: Limits) -> Self {
        RpslReader {
            input,
            limits,
            line: Vec::with_capacity(256),
            line_no: 0,
            offset: 0,
            buf: Vec::with_capacity(4096),
            attrs: Vec::with_capacity(32),
            objects: 0,
            errors: 0,
        }
    }

    /// Objects returned so far.
    pub fn objects(&self) -> u64 {
        self.objects
    }

    /// Damaged objects reported so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Reads one line into `self.line`, bounded by the limit.
    fn read_line(&mut self) -> io::Result<Line> {
        self.line.clear();
        let mut overlong = false;
        let mut any = false;
        loop {
            let avail = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(Line::Eof);
                }
                break;
            }
            any = true;
            let (chunk, used, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            if !overlong {
                if self.line.len() + chunk.len() > self.limits.max_line_bytes {
                    overlong = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            self.input.consume(used);
            self.offset += used as u64;
            if done {
                break;
            }
        }
        self.line_no += 1;
        if overlong {
            return Ok(Line::Overlong);
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(Line::Kept)
    }

    /// The next object, or the next damaged object's error; `None` at the end of input.
    pub fn next_object(&mut self) -> io::Result<Option<Result<RawObject<'_>, ObjectError>>> {
        self.buf.clear();
        self.attrs.clear();
        let mut start_line = 0u64;
        let mut start_offset = 0u64;
        let mut error: Option<(u64, &'static str)> = None;
        loop {
            let line_offset = self.offset;
            let kind = self.read_line()?;
            let line = &self.line;
            let blank = matches!(kind, Line::Kept)
                && line.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r');
            if matches!(kind, Line::Eof) || blank {
                if start_line == 0 {
                    if matches!(kind, Line::Eof) {
                        return Ok(None);
                    }
                    continue;
                }
                break;
            }
            if start_line == 0 {
                start_line = self.line_no;
                start_offset = line_offset;
            }
            if error.is_some() {
                continue;
            }
            if matches!(kind, Line::Overlong) {
                error = Some((self.line_no, "line longer than the limit"));
                continue;
            }
            let first = line[0];
            if first == b'%' || first == b'#' {
                // A dump comment; if it opened the "object", it is not one.
                if self.attrs.is_empty() {
                    start_line = 0;
                }
                continue;
            }
            if first == b' ' || first == b'\t' || first == b'+' {
                let Some(last) = self.attrs.last_mut() else {
                    error = Some((
                        self.line_no,
                        "continuation line with no attribute to continue",
                    ));
                    continue;
                };
                let text = trim(strip_comment(&line[1..]));
                if !text.is_empty() {
                    if last.value.end > last.value.start {
                        self.buf.push(b' ');
                    }
                    self.buf.extend_from_slice(text);
                    last.value.end = self.buf.len();
                }
            } else {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    error = Some((self.line_no, "line is not `attribute: value`"));
                    continue;
                };
                let name = &line[..colon];
                if name.is_empty()
                    || !name
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
                {
                    error = Some((
                        self.line_no,
                        "attribute name is not letters, digits, - or _",
                    ));
                    continue;
                }
                if self.attrs.len() >= self.limits.max_attributes {
                    error = Some((self.line_no, "more attributes than the limit"));
                    continue;
                }
                let n0 = self.buf.len();
                self.buf.extend(name.iter().map(|b| b.to_ascii_lowercase()));
                let v0 = self.buf.len();
                self.buf
                    .extend_from_slice(trim(strip_comment(&line[colon + 1..])));
                self.attrs.push(Attr {
                    name: n0..v0,
                    value: v0..self.buf.len(),
                    line: self.line_no,
                });
            }
            if self.buf.len() > self.limits.max_object_bytes {
                error = Some((self.line_no, "object larger than the limit"));
                self.buf.clear();
                self.buf.shrink_to(1 << 20);
            }
        }
        if let Some((line, reason)) = error {
            self.errors += 1;
            let (class, key) = match self.attrs.first() {
                Some(a) if !self.buf.is_empty() && a.value.end <= self.buf.len() => (
                    Some(String::from_utf8_lossy(&self.buf[a.name.clone()]).into_owned()),
                    Some(String::from_utf8_lossy(&self.buf[a.value.clone()]).into_owned()),
                ),
                _ => (None, None),
            };
            return Ok(Some(Err(ObjectError {
                line,
                object_line: start_line,
                reason,
                class,
                key,
            })));
        }
        self.objects += 1;
        Ok(Some(Ok(RawObject {
            buf: &self.buf,
            attrs: &self.attrs,
            line: start_line,
            offset: start_offset,
        })))
    }
}

/// The text before an end-of-line `#` comment.
fn strip_comment(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == b'#') {
        Some(i) => &s[..i],
        None => s,
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One object's (name, value) pairs, or the error's (line, reason).
    type Got = Result<Vec<(String, String)>, (u64, &'static str)>;

    fn read_all(text: &[u8]) -> Vec<Got> {
        read_with(text, Limits::default())
    }

    fn read_with(text: &[u8], limits: Limits) -> Vec<Got> {
        let mut r = RpslReader::with_limits(text, limits);
        let mut out = Vec::new();
        while let Some(o) = r.next_object().unwrap() {
            out.push(match o {
                Ok(o) => Ok(o
                    .attributes()
                    .map(|(n, v, _)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
                    .collect()),
                Err(e) => Err((e.line, e.reason)),
            });
        }
        out
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn objects_are_separated_by_blank_lines_and_whitespace_only_lines() {
        let got = read_all(b"\n\nroute: 192.0.2.0/24\norigin: AS1\n\n\n \t\nas-set: AS-X\n");
        assert_eq!(
            got,
            vec![
                Ok(pairs(&[("route", "192.0.2.0/24"), ("origin", "AS1")])),
                Ok(pairs(&[("as-set", "AS-X")])),
            ]
        );
    }

    #[test]
    fn attribute_names_are_case_insensitive() {
        let got = read_all(b"ROUTE: 192.0.2.0/24\nOrigin: AS1\nMNT-By: X\n");
        assert_eq!(
            got,
            vec![Ok(pairs(&[
                ("route", "192.0.2.0/24"),
                ("origin", "AS1"),
                ("mnt-by", "X")
            ]))]
        );
    }

    #[test]
    fn continuation_lines_with_space_tab_or_plus_are_joined() {
        let got = read_all(b"as-set: AS-X\nmembers: AS1,\n AS2,\n\tAS3\n+\n+AS4\nsource: TEST\n");
        assert_eq!(
            got,
            vec![Ok(pairs(&[
                ("as-set", "AS-X"),
                ("members", "AS1, AS2, AS3 AS4"),
                ("source", "TEST")
            ]))]
        );
    }

    #[test]
    fn end_of_line_comments_are_removed_and_values_trimmed() {
        let got = read_all(b"aut-num:   AS1   # our AS\nremarks: a # b\n # only a comment\n");
        assert_eq!(
            got,
            vec![Ok(pairs(&[("aut-num", "AS1"), ("remarks", "a")]))]
        );
    }

    #[test]
    fn dump_comment_lines_are_skipped() {
        let got = read_all(
            b"% RIPE dump\n# header\n\n% note\nroute: 10.0.0.0/8\n% inside\norigin: AS1\n",
        );
        assert_eq!(
            got,
            vec![Ok(pairs(&[("route", "10.0.0.0/8"), ("origin", "AS1")]))]
        );
    }

    #[test]
    fn repeated_attributes_are_all_kept_in_order() {
        let mut r =
            RpslReader::new(&b"route: 10.0.0.0/8\norigin: AS1\norigin: AS2\nsource: A\n"[..]);
        let o = r.next_object().unwrap().unwrap().unwrap();
        let origins: Vec<&[u8]> = o.get_all("origin").collect();
        assert_eq!(origins, vec![&b"AS1"[..], b"AS2"]);
        assert_eq!(o.get("source"), Some(&b"A"[..]));
        assert_eq!(o.class(), "route");
        assert_eq!(o.key(), b"10.0.0.0/8");
        assert_eq!(o.line, 1);
    }

    #[test]
    fn crlf_line_ends_are_accepted() {
        let got = read_all(b"route: 10.0.0.0/8\r\norigin: AS1\r\n\r\nroute: 11.0.0.0/8\r\n");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            Ok(pairs(&[("route", "10.0.0.0/8"), ("origin", "AS1")]))
        );
    }

    #[test]
    fn non_utf8_bytes_in_free_text_are_kept() {
        let mut r = RpslReader::new(&b"person: M\xfcller\ndescr: caf\xe9\nsource: X\n"[..]);
        let o = r.next_object().unwrap().unwrap().unwrap();
        assert_eq!(o.get("descr"), Some(&b"caf\xe9"[..]));
        assert_eq!(o.get_str("descr").unwrap(), "caf\u{fffd}");
    }

    #[test]
    fn a_bad_object_is_reported_with_its_line_and_the_next_one_still_loads() {
        let got = read_all(
            b"route: 10.0.0.0/8\norigin: AS1\n\nroute: 11.0.0.0/8\nthis is garbage\norigin: AS2\n\nroute: 12.0.0.0/8\n",
        );
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], Err((5, "line is not `attribute: value`")));
        assert_eq!(got[2], Ok(pairs(&[("route", "12.0.0.0/8")])));
    }

    #[test]
    fn a_continuation_opening_an_object_is_an_error() {
        let got = read_all(b" floating\nroute: 10.0.0.0/8\n\nroute: 11.0.0.0/8\n");
        assert_eq!(
            got[0],
            Err((1, "continuation line with no attribute to continue"))
        );
        assert_eq!(got[1], Ok(pairs(&[("route", "11.0.0.0/8")])));
    }

    #[test]
    fn bad_attribute_names_are_errors() {
        let got = read_all(b"route: 10.0.0.0/8\nor igin: AS1\n");
        assert_eq!(
            got,
            vec![Err((2, "attribute name is not letters, digits, - or _"))]
        );
    }

    #[test]
    fn an_overlong_line_is_consumed_without_storing_it_and_reported() {
        let limits = Limits {
            max_line_bytes: 100,
            ..Limits::default()
        };
        let mut text = b"aut-num: AS1\nimport: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1 << 20));
        text.extend_from_slice(b"\nsource: X\n\nroute: 10.0.0.0/8\n");
        let got = read_with(&text, limits);
        assert_eq!(got[0], Err((2, "line longer than the limit")));
        assert_eq!(got[1], Ok(pairs(&[("route", "10.0.0.0/8")])));
    }

    #[test]
    fn an_object_over_the_size_limit_is_reported() {
        let limits = Limits {
            max_object_bytes: 1000,
            ..Limits::default()
        };
        let mut text = b"as-set: AS-BIG\n".to_vec();
        for _ in 0..500 {
            text.extend_from_slice(b" AS1, AS2\n");
        }
        text.extend_from_slice(b"\nroute: 10.0.0.0/8\n");
        let got = read_with(&text, limits);
        assert_eq!(
            got[0].as_ref().unwrap_err().1,
            "object larger than the limit"
        );
        assert_eq!(got[1], Ok(pairs(&[("route", "10.0.0.0/8")])));
    }

    #[test]
    fn an_unterminated_continuation_at_end_of_input_ends_the_object() {
        let got = read_all(b"as-set: AS-X\nmembers: AS1,\n AS2,");
        assert_eq!(
            got,
            vec![Ok(pairs(&[("as-set", "AS-X"), ("members", "AS1, AS2,")]))]
        );
    }

    #[test]
    fn binary_garbage_gives_errors_not_panics() {
        let mut text = Vec::new();
        let mut x = 12345u32;
        for _ in 0..100_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            text.push((x >> 16) as u8);
        }
        let got = read_with(
            &text,
            Limits {
                max_line_bytes: 1000,
                max_object_bytes: 10_000,
                max_attributes: 100,
            },
        );
        assert!(got.iter().any(|r| r.is_err()));
    }

    #[test]
    fn line_numbers_and_offsets_point_at_the_object_start() {
        let mut r = RpslReader::new(&b"% hdr\n\nroute: 10.0.0.0/8\n\nroute: 11.0.0.0/8\n"[..]);
        let o = r.next_object().unwrap().unwrap().unwrap();
        assert_eq!((o.line, o.offset), (3, 7));
        let o = r.next_object().unwrap().unwrap().unwrap();
        assert_eq!((o.line, o.offset), (5, 26));
        assert!(r.next_object().unwrap().is_none());
    }
}
