//! RIR statistics exchange format ("delegated" and "delegated-extended" files) and IANA's
//! registry-level file in the same format.
//!
//! Records: `registry|cc|type|start|value|date|status[|opaque-id[|extensions]]`, where `type`
//! is `asn`, `ipv4` or `ipv6`; `value` is a count of ASNs, a count of IPv4 addresses (not
//! necessarily a power of two) or an IPv6 prefix length. The first non-comment line is the
//! version line (`2|afrinic|20240105|...`), then summary lines (`afrinic|*|ipv4|*|5302|summary`).
//! In IANA's file the `status` field names the registry the block went to (`arin`,
//! `ripencc`, ..., `ietf`, `iana`).

use routenorms_types::Afi;
use std::io::{self, BufRead};
use std::path::Path;

/// The five Regional Internet Registries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Rir {
    Afrinic,
    Apnic,
    Arin,
    Lacnic,
    #[serde(rename = "ripencc")]
    RipeNcc,
}

impl Rir {
    pub const ALL: [Rir; 5] = [
        Rir::Afrinic,
        Rir::Apnic,
        Rir::Arin,
        Rir::Lacnic,
        Rir::RipeNcc,
    ];

    /// From the stats files' registry names (`ripencc`; `ripe` accepted too).
    pub fn from_name(s: &str) -> Option<Rir> {
        Some(match s.to_ascii_lowercase().as_str() {
            "afrinic" => Rir::Afrinic,
            "apnic" => Rir::Apnic,
            "arin" => Rir::Arin,
            "lacnic" => Rir::Lacnic,
            "ripencc" | "ripe" => Rir::RipeNcc,
            _ => return None,
        })
    }

    pub const fn name(self) -> &'static str {
        match self {
            Rir::Afrinic => "afrinic",
            Rir::Apnic => "apnic",
            Rir::Arin => "arin",
            Rir::Lacnic => "lacnic",
            Rir::RipeNcc => "ripencc",
        }
    }
}

impl std::fmt::Display for Rir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The status of a record in an RIR's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Allocated,
    Assigned,
    Available,
    Reserved,
}

impl Status {
    /// Allocated or assigned: delegated to a holder.
    pub const fn is_delegated(self) -> bool {
        matches!(self, Status::Allocated | Status::Assigned)
    }
}

/// Who IANA gave a block to, in IANA's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IanaHolder {
    Rir(Rir),
    /// Reserved by the IETF (special-purpose, multicast, future use).
    Ietf,
    /// Held by IANA itself (unallocated, or legacy space returned to IANA).
    Iana,
}

/// The resource a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Asn,
    Ip(Afi),
}

/// What the status field says: an RIR's status, or in IANA's file the holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Rir(Status),
    Iana(IanaHolder),
}

/// One resource record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    /// The registry whose file this is (`iana` for IANA's).
    pub registry: Registry,
    /// ISO 3166 country code (`ZZ` or empty when none).
    pub cc: String,
    pub resource: Resource,
    /// First ASN or address (IPv4 in the low 32 bits).
    pub start: u128,
    /// Last ASN or address, inclusive.
    pub end: u128,
    /// `YYYYMMDD`, or empty.
    pub date: String,
    pub status: RecordStatus,
    /// The holder's opaque id (extended files).
    pub opaque_id: Option<String>,
}

/// Which file: an RIR's or IANA's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    Rir(Rir),
    Iana,
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Registry::Rir(r) => f.write_str(r.name()),
            Registry::Iana => f.write_str("iana"),
        }
    }
}

/// Why a line was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatsErrorKind {
    #[error("line is not UTF-8")]
    NotUtf8,
    #[error("expected at least 7 `|`-separated fields")]
    FieldCount,
    #[error("unknown registry name")]
    Registry,
    #[error("type is not asn, ipv4 or ipv6")]
    Type,
    #[error("start is not an ASN or address of the type")]
    Start,
    #[error("value is not a count (asn, ipv4) or prefix length (ipv6)")]
    Value,
    #[error("the range runs past the end of the number space")]
    Overflow,
    #[error("unknown status")]
    Status,
    #[error("record of another registry than the version line names")]
    OtherRegistry,
}

/// A rejected line, skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct StatsError {
    pub line: usize,
    pub kind: StatsErrorKind,
}

/// A parsed stats file.
#[derive(Clone, Debug)]
pub struct StatsFile {
    /// From the version line; `None` if the file has none.
    pub registry: Option<Registry>,
    /// The version line's end date (`YYYYMMDD`), the file's "as of" date.
    pub date: Option<String>,
    pub records: Vec<Record>,
    pub errors: Vec<StatsError>,
    /// Summary lines skipped.
    pub summaries: usize,
}

impl StatsFile {
    /// Parses a delegated or delegated-extended file (gzip accepted).
    pub fn read(reader: impl BufRead) -> io::Result<StatsFile> {
        let mut out = StatsFile {
            registry: None,
            date: None,
            records: Vec::new(),
            errors: Vec::new(),
            summaries: 0,
        };
        let mut seen_version = false;
        let mut reader = reader;
        let mut buf = Vec::new();
        let mut line = 0;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            line += 1;
            let Ok(text) = std::str::from_utf8(&buf) else {
                out.errors.push(StatsError {
                    line,
                    kind: StatsErrorKind::NotUtf8,
                });
                continue;
            };
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = text.split('|').map(str::trim).collect();
            if !seen_version {
                seen_version = true;
                // The version line starts with a number: `2|afrinic|20240105|...`.
                if fields[0].split('.').all(|p| p.parse::<u32>().is_ok()) {
                    out.registry = fields.get(1).and_then(|r| parse_registry(r));
                    // Fields: version|registry|serial|records|startdate|enddate|UTCoffset. The
                    // serial is the file's date in every registry's practice; else enddate.
                    let is_date = |d: &&&str| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit());
                    out.date = fields
                        .get(2)
                        .filter(is_date)
                        .or(fields.get(5).filter(is_date))
                        .map(|d| d.to_string());
                    continue;
                }
            }
            if fields.len() >= 6 && fields[1] == "*" && fields[5] == "summary" {
                out.summaries += 1;
                continue;
            }
            match parse_record(&fields) {
                Ok(r) => {
                    if out.registry.is_some_and(|reg| reg != r.registry) {
                        out.errors.push(StatsError {
                            line,
                            kind: StatsErrorKind::OtherRegistry,
                        });
                    } else {
                        out.records.push(r);
                    }
                }
                Err(kind) => out.errors.push(StatsError { line, kind }),
            }
        }
        Ok(out)
    }

    /// [`read`](Self::read) of a file, gzip-compressed or plain.
    pub fn read_file(path: &Path) -> io::Result<StatsFile> {
        let data = std::fs::read(path)?;
        if data.starts_with(&[0x1f, 0x8b]) {
            let mut s = Vec::new();
            io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&data[..]), &mut s)?;
            Self::read(&s[..])
        } else {
            Self::read(&data[..])
        }
    }
}

fn parse_registry(s: &str) -> Option<Registry> {
    if s.eq_ignore_ascii_case("iana") {
        Some(Registry::Iana)
    } else {
        Rir::from_name(s).map(Registry::Rir)
    }
}

fn parse_record(f: &[&str]) -> Result<Record, StatsErrorKind> {
    if f.len() < 7 {
        return Err(StatsErrorKind::FieldCount);
    }
    let registry = parse_registry(f[0]).ok_or(StatsErrorKind::Registry)?;
    let (resource, start, end) = match f[2] {
        "asn" => {
            let start: u32 = f[3].parse().map_err(|_| StatsErrorKind::Start)?;
            let count: u64 = f[4].parse().map_err(|_| StatsErrorKind::Value)?;
            if count == 0 {
                return Err(StatsErrorKind::Value);
            }
            let end = start as u64 + count - 1;
            if end > u32::MAX as u64 {
                return Err(StatsErrorKind::Overflow);
            }
            (Resource::Asn, start as u128, end as u128)
        }
        "ipv4" => {
            let a: std::net::Ipv4Addr = f[3].parse().map_err(|_| StatsErrorKind::Start)?;
            let count: u64 = f[4].parse().map_err(|_| StatsErrorKind::Value)?;
            if count == 0 {
                return Err(StatsErrorKind::Value);
            }
            let start = u32::from(a) as u64;
            let end = start + count - 1;
            if end > u32::MAX as u64 {
                return Err(StatsErrorKind::Overflow);
            }
            (Resource::Ip(Afi::Ipv4), start as u128, end as u128)
        }
        "ipv6" => {
            let a: std::net::Ipv6Addr = f[3].parse().map_err(|_| StatsErrorKind::Start)?;
            let len: u8 = f[4].parse().map_err(|_| StatsErrorKind::Value)?;
            if len > 128 {
                return Err(StatsErrorKind::Value);
            }
            let start = u128::from(a);
            let host = if len == 0 {
                u128::MAX
            } else {
                (1u128 << (128 - len)) - 1
            };
            if start & host != 0 {
                return Err(StatsErrorKind::Start);
            }
            (Resource::Ip(Afi::Ipv6), start, start | host)
        }
        _ => return Err(StatsErrorKind::Type),
    };
    let status = match registry {
        Registry::Iana => RecordStatus::Iana(match f[6] {
            "ietf" => IanaHolder::Ietf,
            "iana" => IanaHolder::Iana,
            other => IanaHolder::Rir(Rir::from_name(other).ok_or(StatsErrorKind::Status)?),
        }),
        Registry::Rir(_) => RecordStatus::Rir(match f[6] {
            "allocated" => Status::Allocated,
            "assigned" => Status::Assigned,
            "available" => Status::Available,
            "reserved" => Status::Reserved,
            _ => return Err(StatsErrorKind::Status),
        }),
    };
    Ok(Record {
        registry,
        cc: f[1].to_string(),
        resource,
        start,
        end,
        date: f[5].to_string(),
        status,
        opaque_id: f.get(7).filter(|s| !s.is_empty()).map(|s| s.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
2|afrinic|20240105|6|00000000|20240105|00000
afrinic|*|asn|*|2|summary
afrinic|*|ipv4|*|3|summary
afrinic|ZA|asn|1228|4|19910301|allocated|F36B9F4B
afrinic|ZA|ipv4|196.0.0.0|768|19910301|assigned|X1
afrinic||ipv4|196.0.3.0|256||available
afrinic|MU|ipv6|2001:4200::|23|20040601|allocated
afrinic|ZA|ipv4|300.0.0.0|256|19910301|assigned
lacnic|BR|asn|1|1|19910301|assigned
afrinic|ZA|ipv6|2001:4201::|23|20040601|allocated
afrinic|ZA|asn|5|1|19910301|leased
";

    #[test]
    fn version_summary_and_records_are_told_apart() {
        let f = StatsFile::read(SAMPLE.as_bytes()).unwrap();
        assert_eq!(f.registry, Some(Registry::Rir(Rir::Afrinic)));
        assert_eq!(f.date.as_deref(), Some("20240105"));
        assert_eq!(f.summaries, 2);
        assert_eq!(f.records.len(), 4);
        let asn = &f.records[0];
        assert_eq!((asn.start, asn.end), (1228, 1231));
        assert_eq!(asn.opaque_id.as_deref(), Some("F36B9F4B"));
        let v4 = &f.records[1];
        assert_eq!(v4.resource, Resource::Ip(Afi::Ipv4));
        assert_eq!(v4.end - v4.start + 1, 768);
        assert_eq!(v4.status, RecordStatus::Rir(Status::Assigned));
        assert_eq!(f.records[2].status, RecordStatus::Rir(Status::Available));
        let v6 = &f.records[3];
        assert_eq!(v6.end - v6.start + 1, 1u128 << (128 - 23));
    }

    #[test]
    fn bad_records_are_reported_with_their_line() {
        let f = StatsFile::read(SAMPLE.as_bytes()).unwrap();
        let got: Vec<_> = f.errors.iter().map(|e| (e.line, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                (9, StatsErrorKind::Start),
                (10, StatsErrorKind::OtherRegistry),
                (11, StatsErrorKind::Start),
                (12, StatsErrorKind::Status),
            ]
        );
    }

    #[test]
    fn iana_status_names_the_holder() {
        let text = "2|iana|20190911|3|19830101|20190612|+0000\n\
                    iana|ZZ|ipv4|41.0.0.0|16777216|20050414|afrinic\n\
                    iana|ZZ|asn|0|1|19920101|ietf\n\
                    iana|ZZ|ipv4|192.31.196.0|256|19960213|iana\n";
        let f = StatsFile::read(text.as_bytes()).unwrap();
        assert!(f.errors.is_empty());
        assert_eq!(
            f.date.as_deref(),
            Some("20190911"),
            "the serial, not the end date"
        );
        let holders: Vec<_> = f.records.iter().map(|r| r.status).collect();
        assert_eq!(
            holders,
            vec![
                RecordStatus::Iana(IanaHolder::Rir(Rir::Afrinic)),
                RecordStatus::Iana(IanaHolder::Ietf),
                RecordStatus::Iana(IanaHolder::Iana)
            ]
        );
    }
}
