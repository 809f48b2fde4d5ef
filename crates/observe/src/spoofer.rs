//! Anti-spoofing test results for MANRS action 2 (metric M5), in the shape of CAIDA Spoofer
//! session results: one line per test session, CSV with a header naming the columns.
//!
//! Columns (by name, any order, extra columns ignored):
//! * `asn` (also accepted: `asn4`, `client_asn`) — the AS the client tested from; required.
//! * `ipv4`, `ipv6` (also accepted: `routed_v4`/`routable_v4`, `routed_v6`/`routable_v6`) —
//!   the outcome of sending spoofed routable-source packets: `blocked`, `received`,
//!   `rewritten` (a NAT rewrote the source: the spoofed packet got out, so not blocked), or
//!   empty / `unknown` / `none` (not tested). At least one of the two columns is required.
//! * `timestamp` (also `date`) — optional; the latest one is the data's date.
//!
//! The JSON shape of the Spoofer API is read too: a document that is an array of sessions, or
//! an object holding one under `data` or `hydra:member`; each session with `asn4`/`asn6`, the
//! outcomes `routedspoof4`/`routedspoof6` and `timestamp`. Each family's outcome counts for
//! the AS of that family. Errors then name the record (1-based) instead of the line.
//!
//! A session *blocks* spoofing when every family it tested came back `blocked`; it *leaks*
//! when any tested family was `received` or `rewritten`; a session testing nothing is
//! counted as untested. M5 = blocked sessions / (blocked + leaking sessions).

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::path::Path;

/// A damaged line (reported and skipped).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SpooferLineError {
    pub line: usize,
    pub reason: &'static str,
}

/// The file cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum SpooferError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("line 1: {0}")]
    Header(&'static str),
    #[error("not valid JSON: {0}")]
    Json(String),
}

/// Sessions of one AS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SpooferCounts {
    pub blocked: u32,
    pub leaking: u32,
    pub untested: u32,
}

impl SpooferCounts {
    /// M5 as a share in 0..=1; `None` when no session tested anything.
    pub fn blocked_share(&self) -> Option<f64> {
        let n = self.blocked + self.leaking;
        (n > 0).then(|| self.blocked as f64 / n as f64)
    }
}

/// Spoofer results by AS.
#[derive(Clone, Debug, Default)]
pub struct SpooferResults {
    pub by_asn: BTreeMap<u32, SpooferCounts>,
    pub sessions: u64,
    pub errors: Vec<SpooferLineError>,
    pub latest: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Blocked,
    Leaked,
    Untested,
}

fn outcome(s: &str) -> Option<Outcome> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "blocked" => Outcome::Blocked,
        "received" | "rewritten" => Outcome::Leaked,
        "" | "unknown" | "none" | "-" => Outcome::Untested,
        _ => return None,
    })
}

impl SpooferResults {
    pub fn read_file(path: &Path) -> Result<SpooferResults, SpooferError> {
        let f = std::fs::File::open(path)?;
        SpooferResults::read(io::BufReader::new(f))
    }

    pub fn read(mut reader: impl BufRead) -> Result<SpooferResults, SpooferError> {
        let first = loop {
            let buf = reader.fill_buf()?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break Some(buf[i]),
                None if buf.is_empty() => break None,
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        };
        if matches!(first, Some(b'{' | b'[')) {
            return Self::read_json(reader);
        }
        let mut lines = reader.lines();
        let header = lines
            .next()
            .transpose()?
            .ok_or(SpooferError::Header("empty file"))?;
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
        let asn_col =
            find(&["asn", "asn4", "client_asn"]).ok_or(SpooferError::Header("no `asn` column"))?;
        let v4 = find(&["ipv4", "routed_v4", "routable_v4"]);
        let v6 = find(&["ipv6", "routed_v6", "routable_v6"]);
        if v4.is_none() && v6.is_none() {
            return Err(SpooferError::Header("no `ipv4` or `ipv6` outcome column"));
        }
        let time = find(&["timestamp", "date"]);
        let mut out = SpooferResults::default();
        for (i, line) in lines.enumerate() {
            let line = line?;
            let n = i + 2;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            let bad = |reason| SpooferLineError { line: n, reason };
            let asn = match fields
                .get(asn_col)
                .map(|s| s.trim().trim_start_matches("AS"))
            {
                Some(s) => match s.parse::<u32>() {
                    Ok(a) => a,
                    Err(_) => {
                        out.errors.push(bad("the asn is not a number"));
                        continue;
                    }
                },
                None => {
                    out.errors.push(bad("too few columns"));
                    continue;
                }
            };
            let mut results = Vec::new();
            let mut ok = true;
            for col in [v4, v6].into_iter().flatten() {
                match outcome(fields.get(col).copied().unwrap_or("")) {
                    Some(o) => results.push(o),
                    None => ok = false,
                }
            }
            if !ok {
                out.errors.push(bad(
                    "outcome is not blocked, received, rewritten or unknown",
                ));
                continue;
            }
            if let Some(t) = time.and_then(|c| fields.get(c)).map(|s| s.trim()) {
                if !t.is_empty() && out.latest.as_deref().is_none_or(|l| t > l) {
                    out.latest = Some(t.to_string());
                }
            }
            out.sessions += 1;
            out.count(asn, &results);
        }
        Ok(out)
    }

    fn count(&mut self, asn: u32, results: &[Outcome]) {
        let c = self.by_asn.entry(asn).or_default();
        if results.contains(&Outcome::Leaked) {
            c.leaking += 1;
        } else if results.contains(&Outcome::Blocked) {
            c.blocked += 1;
        } else {
            c.untested += 1;
        }
    }

    fn read_json(reader: impl BufRead) -> Result<SpooferResults, SpooferError> {
        let doc: serde_json::Value =
            serde_json::from_reader(reader).map_err(|e| SpooferError::Json(e.to_string()))?;
        let sessions = match &doc {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => match o.get("data").or_else(|| o.get("hydra:member")) {
                Some(serde_json::Value::Array(a)) => a,
                _ => return Err(SpooferError::Header("no `data` or `hydra:member` array")),
            },
            _ => return Err(SpooferError::Header("not a JSON array or object")),
        };
        let mut out = SpooferResults::default();
        for (i, rec) in sessions.iter().enumerate() {
            let bad = |reason| SpooferLineError {
                line: i + 1,
                reason,
            };
            let mut per_asn: BTreeMap<u32, Vec<Outcome>> = BTreeMap::new();
            let mut ok = true;
            for (asn_key, outcome_key) in [("asn4", "routedspoof4"), ("asn6", "routedspoof6")] {
                let Some(asn) = rec.get(asn_key).and_then(serde_json::Value::as_u64) else {
                    continue;
                };
                let Ok(asn) = u32::try_from(asn) else {
                    ok = false;
                    continue;
                };
                let text = rec.get(outcome_key).and_then(|v| v.as_str()).unwrap_or("");
                match outcome(text) {
                    Some(o) => per_asn.entry(asn).or_default().push(o),
                    None => ok = false,
                }
            }
            if !ok {
                out.errors.push(bad("an ASN or outcome is not valid"));
                continue;
            }
            if per_asn.is_empty() {
                out.errors.push(bad("no asn4 or asn6"));
                continue;
            }
            if let Some(t) = rec.get("timestamp").and_then(|v| v.as_str()) {
                if !t.is_empty() && out.latest.as_deref().is_none_or(|l| t > l) {
                    out.latest = Some(t.to_string());
                }
            }
            out.sessions += 1;
            for (asn, results) in per_asn {
                out.count(asn, &results);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_blocked_only_when_every_tested_family_was_blocked() {
        let csv = "session,timestamp,asn,ipv4,ipv6\n\
                   1,2026-11-01,64500,blocked,blocked\n\
                   2,2026-11-03,64500,blocked,received\n\
                   3,2026-11-02,64500,blocked,\n\
                   4,2026-11-02,64501,unknown,unknown\n\
                   5,2026-11-02,64502,rewritten,blocked\n";
        let r = SpooferResults::read(csv.as_bytes()).unwrap();
        assert_eq!(
            r.by_asn[&64500],
            SpooferCounts {
                blocked: 2,
                leaking: 1,
                untested: 0
            }
        );
        assert_eq!(r.by_asn[&64500].blocked_share(), Some(2.0 / 3.0));
        assert_eq!(r.by_asn[&64501].blocked_share(), None);
        assert_eq!(r.by_asn[&64502].leaking, 1);
        assert_eq!(r.sessions, 5);
        assert_eq!(r.latest.as_deref(), Some("2026-11-03"));
    }

    #[test]
    fn damaged_lines_are_counted_with_their_line_number_and_skipped() {
        let csv = "asn,ipv4\nx,blocked\n64500,maybe\n64500,blocked\n";
        let r = SpooferResults::read(csv.as_bytes()).unwrap();
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.errors[0].line, 2);
        assert_eq!(r.errors[1].line, 3);
        assert_eq!(r.by_asn[&64500].blocked, 1);
    }

    #[test]
    fn spoofer_api_json_counts_each_family_for_its_own_as() {
        let json = r#"{"data": [
            {"asn4": 64500, "routedspoof4": "blocked", "asn6": 64501, "routedspoof6": "received",
             "timestamp": "2026-11-02T00:00:00Z"},
            {"asn4": 64500, "routedspoof4": "received"},
            {"asn4": 64502, "routedspoof4": "sometimes"},
            {"session": 9}
        ]}"#;
        let r = SpooferResults::read(json.as_bytes()).unwrap();
        assert_eq!(r.by_asn[&64500].blocked, 1);
        assert_eq!(r.by_asn[&64500].leaking, 1);
        assert_eq!(r.by_asn[&64501].leaking, 1);
        assert!(!r.by_asn.contains_key(&64502));
        assert_eq!(r.sessions, 2);
        assert_eq!(r.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(r.latest.as_deref(), Some("2026-11-02T00:00:00Z"));
        assert!(SpooferResults::read("{\"data\": 3}".as_bytes()).is_err());
        assert!(SpooferResults::read("[{".as_bytes()).is_err());
    }

    #[test]
    fn a_header_without_asn_or_outcome_columns_is_refused() {
        assert!(SpooferResults::read("a,b\n1,2\n".as_bytes()).is_err());
        assert!(SpooferResults::read("asn,b\n1,2\n".as_bytes()).is_err());
        assert!(SpooferResults::read("".as_bytes()).is_err());
    }
}
