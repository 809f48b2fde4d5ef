//! Line formats: BIRD 1/2 ROA tables and the CSV family.

use super::{
    check_max_len, clip, parse_asn, parse_max_len, parse_prefix, Format, LoadError, Metadata,
    Payload, Position, RejectReason, Rejected,
};
use crate::vrp::{Aspa, TaInterner, Vrp};
use routenorms_types::Prefix;
use std::collections::BTreeMap;

pub(super) fn load(text: &str) -> Result<Payload, LoadError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or(LoadError::UnknownFormat("no data lines"))?;
    let word = first.split_ascii_whitespace().next().unwrap_or("");
    match word {
        "roa" => Ok(load_bird(text, "roa", Format::Bird1)),
        "route" => Ok(load_bird(text, "route", Format::Bird2)),
        _ if first.contains(',') => Ok(load_csv(text)),
        _ => Err(LoadError::UnknownFormat(
            "text that is neither CSV nor a BIRD ROA table",
        )),
    }
}

struct Out {
    vrps: Vec<Vrp>,
    rejected: Vec<Rejected>,
    tas: TaInterner,
}

impl Out {
    fn new(lines_hint: usize) -> Out {
        Out {
            vrps: Vec::with_capacity(lines_hint),
            rejected: Vec::new(),
            tas: TaInterner::default(),
        }
    }

    fn reject(&mut self, line_no: usize, reason: RejectReason, line: &str) {
        self.rejected.push(Rejected {
            position: Position::Line(line_no),
            reason,
            text: clip(line),
        });
    }

    fn finish(self, format: Format) -> Payload {
        Payload {
            format,
            vrps: self.vrps,
            aspas: Vec::new(),
            rejected: self.rejected,
            metadata: Metadata::default(),
        }
    }
}

fn line_hint(text: &str) -> usize {
    // A cheap upper bound is fine; avoid counting a huge file twice.
    (text.len() / 30).min(4_000_000)
}

/// `KEYWORD PREFIX max N as ASN;` with `#` comments, blank lines ignored. A line that is not of
/// this shape (a stray config statement too) is rejected, never skipped silently.
fn load_bird(text: &str, keyword: &str, format: Format) -> Payload {
    let mut out = Out::new(line_hint(text));
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match parse_bird_line(line, keyword) {
            Ok(v) => out.vrps.push(v),
            Err(reason) => out.reject(line_no, reason, raw.trim_end()),
        }
    }
    out.finish(format)
}

fn parse_bird_line(line: &str, keyword: &str) -> Result<Vrp, RejectReason> {
    let body = line.strip_suffix(';').ok_or(RejectReason::Syntax)?;
    let body = body
        .strip_prefix(keyword)
        .filter(|b| b.starts_with(|c: char| c.is_ascii_whitespace()))
        .ok_or(RejectReason::Syntax)?;
    // PREFIX max N as ASN — tolerate a missing field so the reason can name it.
    let (prefix, rest) = split_keyword(body, "max").ok_or(RejectReason::Syntax)?;
    let (max_len, asn) = split_keyword(rest, "as").ok_or(RejectReason::Syntax)?;
    let prefix = parse_prefix(prefix)?;
    let asn = asn.trim();
    if asn.is_empty() {
        return Err(RejectReason::MissingAsn);
    }
    let asn = parse_asn(asn)?;
    let max_len = check_max_len(&prefix, parse_max_len(max_len)?)?;
    Ok(Vrp {
        prefix,
        max_len,
        asn,
        ta: None,
    })
}

/// Splits `A WORD B` at the whitespace-delimited keyword `word` (A may be empty).
fn split_keyword<'a>(s: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let mut from = 0;
    while let Some(pos) = s[from..].find(word) {
        let at = from + pos;
        let end = at + word.len();
        let before_ok = at == 0 || s.as_bytes()[at - 1].is_ascii_whitespace();
        let after_ok = end == s.len() || s.as_bytes()[end].is_ascii_whitespace();
        if before_ok && after_ok {
            return Some((&s[..at], &s[end..]));
        }
        from = end;
    }
    None
}

/// Column positions of a CSV file.
struct Columns {
    asn: usize,
    prefix: usize,
    max_len: usize,
    ta: Option<usize>,
    /// Fewest fields a data line must have.
    min_fields: usize,
}

fn unquote(f: &str) -> &str {
    let f = f.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
        .trim()
}

/// A header is a first line whose fields contain no digit-led values; map its names.
fn header_columns(fields: &[&str]) -> Option<(Columns, Format)> {
    let names: Vec<String> = fields
        .iter()
        .map(|f| unquote(f).to_ascii_lowercase().replace(['_', ' ', '-'], ""))
        .collect();
    let find = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
    let asn = find(&["asn", "as", "originas", "origin"])?;
    let prefix = find(&["ipprefix", "prefix"])?;
    let max_len = find(&["maxlength", "maxlen", "maxprefixlength"])?;
    let ta = find(&["trustanchor", "ta", "tal"]);
    let format = if names.first().is_some_and(|n| n == "uri") {
        Format::RoutinatorCsvExt
    } else if names.get(1).is_some_and(|n| n == "ipprefix") {
        Format::RoutinatorCsv
    } else {
        Format::PlainCsv
    };
    let min_fields = 1 + asn.max(prefix).max(max_len);
    Some((
        Columns {
            asn,
            prefix,
            max_len,
            ta,
            min_fields,
        },
        format,
    ))
}

/// True when the first data line is an ASPA CSV header (`customer,providers`).
fn is_aspa_header(line: &str) -> bool {
    let names: Vec<String> = line
        .split(',')
        .map(|f| unquote(f).to_ascii_lowercase().replace(['_', ' ', '-'], ""))
        .collect();
    names.len() >= 2
        && matches!(
            names[0].as_str(),
            "customer" | "customerasid" | "customerasn"
        )
        && matches!(
            names[1].as_str(),
            "providers" | "provider" | "providerasids"
        )
}

/// `customer,providers` lines: providers separated by spaces or `;`, `AS0` alone meaning "no
/// providers"; several lines for one customer are merged into one ASPA.
fn load_aspa_csv(text: &str) -> Payload {
    let mut out = Out::new(0);
    let mut by_customer: BTreeMap<u32, Vec<routenorms_types::Asn>> = BTreeMap::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let mut fields = line.splitn(2, ',');
        let customer = unquote(fields.next().unwrap_or(""));
        let providers = fields.next().map(unquote);
        let parsed = (|| {
            if customer.is_empty() {
                return Err(RejectReason::MissingCustomer);
            }
            let customer = parse_asn(customer)?;
            let providers = providers.ok_or(RejectReason::BadProviders)?;
            let list = providers
                .split(|c: char| c == ';' || c.is_ascii_whitespace())
                .filter(|p| !p.is_empty())
                .map(|p| parse_asn(p).map_err(|_| RejectReason::BadProviders))
                .collect::<Result<Vec<_>, _>>()?;
            if list.is_empty() {
                return Err(RejectReason::BadProviders);
            }
            Ok((customer, list))
        })();
        match parsed {
            Ok((c, list)) => by_customer.entry(c.0).or_default().extend(list),
            Err(reason) => out.reject(i + 1, reason, raw.trim_end()),
        }
    }
    let mut payload = out.finish(Format::AspaCsv);
    payload.aspas = by_customer
        .into_iter()
        .map(|(c, providers)| Aspa::new(routenorms_types::Asn(c), providers))
        .collect();
    payload
}

/// CSV inputs larger than this are parsed on several threads.
const PARALLEL_BYTES: usize = 4 << 20;

fn load_csv(text: &str) -> Payload {
    load_csv_on(text, None)
}

/// [`load_csv`] on `threads` threads (`None`: as many as the size and the machine suit).
fn load_csv_on(text: &str, threads: Option<usize>) -> Payload {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    if first.is_some_and(is_aspa_header) {
        return load_aspa_csv(text);
    }
    // The first data line: a header, or data in `asn,prefix,max_length[,ta]` order.
    let (mut offset, mut line_no) = (0, 0);
    let mut start = None;
    for raw in text.split_inclusive('\n') {
        line_no += 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            offset += raw.len();
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let looks_like_header = !fields.iter().any(|f| {
            let f = unquote(f);
            let digits = f
                .get(..2)
                .filter(|p| p.eq_ignore_ascii_case("as"))
                .map_or(f, |_| &f[2..]);
            digits.starts_with(|c: char| c.is_ascii_digit())
        });
        if looks_like_header {
            if let Some((c, f)) = header_columns(&fields) {
                start = Some((offset + raw.len(), line_no + 1, c, f));
                break;
            }
        }
        let c = Columns {
            asn: 0,
            prefix: 1,
            max_len: 2,
            ta: Some(3),
            min_fields: 3,
        };
        start = Some((offset, line_no, c, Format::PlainCsv));
        break;
    }
    let Some((offset, line_no, cols, format)) = start else {
        return Out::new(0).finish(Format::PlainCsv);
    };
    let data = &text[offset..];
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(data.len() / PARALLEL_BYTES)
            .clamp(1, 8)
    });
    let chunks = split_lines(data, threads);
    // The first piece's vector is the result: it reserves room for every line (address
    // space only until used), so the other pieces are copied once, the first not at all.
    let whole = line_hint(data);
    let parts: Vec<(Out, usize)> = if chunks.len() == 1 {
        vec![parse_csv_lines(data, &cols, whole)]
    } else {
        let cols = &cols;
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .enumerate()
                .map(|(i, chunk)| {
                    let room = if i == 0 { whole } else { line_hint(chunk) };
                    s.spawn(move || parse_csv_lines(chunk, cols, room))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a CSV parsing thread panicked"))
                .collect()
        })
    };
    // Pieces count their lines from 1: shift them to the file's numbers, in file order.
    let mut parts = parts.into_iter();
    let (mut out, mut first_line) = match parts.next() {
        Some((first, lines)) => (first, line_no + lines),
        None => (Out::new(0), line_no),
    };
    shift_lines(&mut out.rejected, line_no);
    for (part, lines) in parts {
        out.vrps.extend(part.vrps);
        let at = out.rejected.len();
        out.rejected.extend(part.rejected);
        shift_lines(&mut out.rejected[at..], first_line);
        first_line += lines;
    }
    out.finish(format)
}

/// Renumbers lines counted from 1 in a piece that starts at line `first`.
fn shift_lines(rejected: &mut [Rejected], first: usize) {
    for r in rejected {
        if let Position::Line(n) = r.position {
            r.position = Position::Line(n + first - 1);
        }
    }
}

/// `text` cut into about `n` pieces, each ending at the end of a line.
fn split_lines(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    let mut rest = text;
    for i in (1..n).rev() {
        let want = rest.len() / (i + 1);
        match rest.as_bytes()[want..].iter().position(|&b| b == b'\n') {
            Some(nl) => {
                let (a, b) = rest.split_at(want + nl + 1);
                out.push(a);
                rest = b;
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// The VRPs of CSV data lines (lines counted from 1 in `text`), in a vector with room for
/// `room`; also the number of lines.
fn parse_csv_lines(text: &str, cols: &Columns, room: usize) -> (Out, usize) {
    let mut out = Out::new(room);
    let mut fields: Vec<&str> = Vec::with_capacity(8);
    let mut lines = 0;
    for (i, raw) in text.lines().enumerate() {
        lines = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(v) = fast_csv_line(line, cols, &mut out.tas) {
            out.vrps.push(v);
            continue;
        }
        fields.clear();
        fields.extend(line.split(','));
        match parse_csv_fields(&fields, cols, &mut out.tas) {
            Ok(v) => out.vrps.push(v),
            Err(reason) => out.reject(i + 1, reason, raw.trim_end()),
        }
    }
    (out, lines)
}

/// The usual line — plain fields, no quotes, no blanks, a valid IPv4 or IPv6 route — read
/// straight from its bytes. `None` for anything else: the general parser takes the line
/// and names what is wrong with it. Where this gives a VRP, the general parser gives the
/// same one (a test holds the two together).
fn fast_csv_line(line: &str, cols: &Columns, tas: &mut TaInterner) -> Option<Vrp> {
    let b = line.as_bytes();
    if b.iter().any(|&c| c == b'"' || c.is_ascii_whitespace()) {
        return None;
    }
    // Field boundaries, as far as the last column needed.
    let last = cols
        .asn
        .max(cols.prefix)
        .max(cols.max_len)
        .max(cols.ta.unwrap_or(0));
    let mut bounds = [(0usize, 0usize); 16];
    if last >= bounds.len() {
        return None;
    }
    let (mut start, mut n) = (0, 0);
    for (i, &c) in b.iter().enumerate() {
        if c == b',' {
            bounds[n] = (start, i);
            n += 1;
            start = i + 1;
            if n > last {
                break;
            }
        }
    }
    if n <= last {
        bounds[n] = (start, b.len());
        n += 1;
    }
    if n < cols.min_fields {
        return None;
    }
    let field = |i: usize| -> Option<&str> { (i < n).then(|| &line[bounds[i].0..bounds[i].1]) };
    let asn = parse_asn(field(cols.asn)?).ok()?;
    let text = field(cols.prefix)?;
    let prefix = if text.contains(':') {
        text.parse::<Prefix>().ok()?
    } else {
        let (addr, len) = text.split_once('/')?;
        let mut octets = addr.split('.');
        let mut v = 0u32;
        for _ in 0..4 {
            let o = octets.next()?;
            // No leading zeros: the standard parser refuses them too.
            if o.len() > 1 && o.starts_with('0') {
                return None;
            }
            v = v << 8 | u32::from(u8::try_from(decimal(o)?).ok()?);
        }
        if octets.next().is_some() {
            return None;
        }
        let len = u8::try_from(decimal(len)?).ok()?;
        Prefix::new(std::net::Ipv4Addr::from(v).into(), len).ok()?
    };
    let max_len = check_max_len(&prefix, decimal(field(cols.max_len)?)?).ok()?;
    let ta = cols
        .ta
        .and_then(field)
        .filter(|t| !t.is_empty())
        .map(|t| tas.get(t));
    Some(Vrp {
        prefix,
        max_len,
        asn,
        ta,
    })
}

/// 1 to 10 ASCII digits as a number.
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    s.bytes().try_fold(0u64, |v, c| {
        c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
    })
}

fn parse_csv_fields(
    fields: &[&str],
    cols: &Columns,
    tas: &mut TaInterner,
) -> Result<Vrp, RejectReason> {
    if fields.len() < cols.min_fields {
        return Err(RejectReason::Syntax);
    }
    let prefix = parse_prefix(unquote(fields[cols.prefix]))?;
    let asn = unquote(fields[cols.asn]);
    if asn.is_empty() {
        return Err(RejectReason::MissingAsn);
    }
    let asn = parse_asn(asn)?;
    let max_len = check_max_len(&prefix, parse_max_len(unquote(fields[cols.max_len]))?)?;
    let ta = cols
        .ta
        .and_then(|i| fields.get(i))
        .map(|f| unquote(f))
        .filter(|t| !t.is_empty())
        .map(|t| tas.get(t));
    Ok(Vrp {
        prefix,
        max_len,
        asn,
        ta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_line_reader_agrees_with_the_general_parser_wherever_it_answers() {
        let cols = Columns {
            asn: 0,
            prefix: 1,
            max_len: 2,
            ta: Some(3),
            min_fields: 3,
        };
        let lines = [
            "AS13335,1.1.1.0/24,24,apnic",
            "13335,1.1.1.0/24,24",
            "as1,10.0.0.0/8,24,",
            "As4294967295,10.0.0.0/8,32,x,y,z",
            "AS4294967296,10.0.0.0/8,8,ripe",
            "aS1,10.0.0.0/8,8,ripe",
            "AS1,10.0.0.1/8,8,ripe",
            "AS1,10.0.0.0/33,33,ripe",
            "AS1,010.0.0.0/8,8,ripe",
            "AS1,10.0.0/8,8,ripe",
            "AS1,10.0.0.0.0/8,8,ripe",
            "AS1,256.0.0.0/8,8,ripe",
            "AS1,10.0.0.0/+8,8,ripe",
            "AS1,10.0.0.0/024,24,ripe",
            "AS0012,10.0.0.0/8,0008,ripe",
            "AS1,10.0.0.0/16,8,ripe",
            "AS1,10.0.0.0/8,+9,ripe",
            "AS1,10.0.0.0/8,99999999999,ripe",
            "AS1,2001:db8::/32,48,arin",
            "AS1,2001:db8::1/32,48,arin",
            "AS1,::/0,0,arin",
            "AS1,2001:db8::/32,129,arin",
            "AS1, 10.0.0.0/8,8,ripe",
            "\"AS1\",\"10.0.0.0/8\",\"8\",\"ripe\"",
            "AS1,10.0.0.0/8",
            ",10.0.0.0/8,8",
            "AS,10.0.0.0/8,8",
            "AS1,,8",
            "AS1,0.0.0.0/0,32,ripe",
            "AS1,1.2.3.4/32,32,ripe",
        ];
        let mut fast_answers = 0;
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            let general = parse_csv_fields(&fields, &cols, &mut TaInterner::default());
            if let Some(v) = fast_csv_line(line, &cols, &mut TaInterner::default()) {
                fast_answers += 1;
                assert_eq!(general.as_ref(), Ok(&v), "{line}");
            }
        }
        assert_eq!(fast_answers, 10, "the usual shapes take the fast way");
    }

    #[test]
    fn csv_parsed_in_pieces_gives_the_vrps_and_rejected_line_numbers_of_one_piece() {
        let mut text = String::from("# exported\nASN,IP Prefix,Max Length,Trust Anchor\n");
        for i in 0..200u32 {
            match i % 37 {
                5 => text.push_str("AS1,not-a-prefix,24,ripe\r\n"),
                9 => text.push_str("\n# a comment\n"),
                _ => text.push_str(&format!(
                    "AS{},10.{}.{}.0/24,24,{}\n",
                    64_500 + i,
                    i / 256,
                    i % 256,
                    if i % 2 == 0 { "ripe" } else { "arin" }
                )),
            }
        }
        let one = load_csv_on(&text, Some(1));
        assert_eq!(one.rejected.len(), 6);
        for n in [2, 3, 7, 500] {
            let many = load_csv_on(&text, Some(n));
            assert_eq!(many.vrps, one.vrps, "{n} pieces");
            let lines = |p: &Payload| -> Vec<String> {
                p.rejected.iter().map(|r| r.position.to_string()).collect()
            };
            assert_eq!(lines(&many), lines(&one), "{n} pieces");
        }
        // The numbers are the file's: the first bad line is line 8.
        assert_eq!(one.rejected[0].position.to_string(), "line 8");
        assert_eq!(split_lines("a\nb\nc", 2), ["a\nb\n", "c"]);
        assert_eq!(split_lines("", 4), [""]);
    }
}
