//! Loading VRPs and ASPAs from validator exports, the format detected from the content.
//!
//! [`load`] reads everything into memory (gzip is undone first, recognised by its magic bytes
//! `1f 8b`), looks at the first meaningful bytes and parses:
//!
//! * JSON (`{` first): Routinator `json`/`jsonext`, rpki-client `json`, StayRTR/GoRTR/OctoRPKI
//!   JSON — one typed, lenient parser for all of them (`json.rs`);
//! * BIRD 1 (`roa P max N as A;`) and BIRD 2 (`route P max N as A;`) ROA tables;
//! * CSV: Routinator `csv`/`csvext`/`csvcompat`, rpki-client CSV, or a plain
//!   `asn,prefix,max_length[,ta]` with or without header; ASPAs as `customer,providers`
//!   (header required).
//!
//! Defective entries never stop a load and are never dropped silently: each becomes a
//! [`Rejected`] with its position (line number, or array index for JSON), a static reason
//! and the offending text. Only input that is not a payload file at all (broken JSON syntax,
//! an unknown format, I/O errors) is a [`LoadError`].

pub(crate) mod json;
mod text;

use crate::vrp::{Aspa, Vrp};
use routenorms_types::{Asn, Prefix, PrefixError};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// Which export format a payload file was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Routinator `json` (`roas` with `ta`; `metadata.generatedTime`).
    RoutinatorJson,
    /// Routinator `jsonext` (`roas` with `source` arrays).
    RoutinatorJsonExt,
    /// rpki-client `json` (`metadata.buildtime`, `expires`, `aspas`/`provider_authorizations`).
    RpkiClientJson,
    /// StayRTR / GoRTR / OctoRPKI JSON, and any other `{"roas": [...]}` file.
    RtrJson,
    /// Routinator `csv` (`ASN,IP Prefix,Max Length,Trust Anchor`), `csvcompat` (quoted) and
    /// rpki-client CSV (an extra `Expires` column).
    RoutinatorCsv,
    /// Routinator `csvext` (`URI,ASN,IP Prefix,Max Length,Not Before,Not After`).
    RoutinatorCsvExt,
    /// `asn,prefix,max_length[,ta]`, with or without a header line.
    PlainCsv,
    /// BIRD 1 `roa PREFIX max N as ASN;` lines.
    Bird1,
    /// BIRD 2 `route PREFIX max N as ASN;` lines.
    Bird2,
    /// ASPAs as CSV: a `customer,providers` header, then one customer per line with its
    /// providers separated by spaces or `;` (lines for the same customer are merged).
    AspaCsv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::RoutinatorJson => "routinator-json",
            Format::RoutinatorJsonExt => "routinator-jsonext",
            Format::RpkiClientJson => "rpki-client-json",
            Format::RtrJson => "rtr-json",
            Format::RoutinatorCsv => "routinator-csv",
            Format::RoutinatorCsvExt => "routinator-csvext",
            Format::PlainCsv => "plain-csv",
            Format::Bird1 => "bird1",
            Format::Bird2 => "bird2",
            Format::AspaCsv => "aspa-csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a rejected entry was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// A line of a text format, counted from 1.
    Line(usize),
    /// An element of a JSON array, counted from 0; `array` names it (`roas`, `aspas`,
    /// `provider_authorizations.ipv4`, `prefixAssertions`, `prefixFilters`, …).
    Index { array: &'static str, index: usize },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Index { array, index } => write!(f, "{array}[{index}]"),
        }
    }
}

/// Why an entry was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    MissingPrefix,
    /// `"prefix": null` (JSON) or an empty prefix field.
    NullPrefix,
    /// Not `ADDRESS/LENGTH`.
    BadPrefix,
    /// Prefix length above 32 (IPv4) or 128 (IPv6).
    PrefixTooLong,
    /// Bits set beyond the prefix length.
    HostBitsSet,
    MissingAsn,
    /// Not a number, `ASnumber` or a number in 0..=4294967295 (e.g. `"AS"`, `""`).
    BadAsn,
    MissingMaxLength,
    /// Not an integer.
    BadMaxLength,
    /// maxLength below the prefix length.
    MaxLengthBelowPrefix,
    /// maxLength above 32 (IPv4) or 128 (IPv6).
    MaxLengthAboveAfi,
    /// A trust anchor that is not a string.
    BadTrustAnchor,
    /// An array element that is not a JSON object.
    NotAnObject,
    /// An ASPA without a customer ASN.
    MissingCustomer,
    /// An ASPA whose provider list is missing, not a list or has a bad ASN.
    BadProviders,
    /// A text line of the wrong shape (field count, keywords).
    Syntax,
    /// A SLURM prefix filter with neither prefix nor ASN (RFC 8416 section 3.3.1).
    EmptyFilter,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MissingPrefix => "missing prefix",
            RejectReason::NullPrefix => "prefix is null or empty",
            RejectReason::BadPrefix => "bad prefix (not ADDRESS/LENGTH)",
            RejectReason::PrefixTooLong => "prefix length exceeds the address size",
            RejectReason::HostBitsSet => "prefix has host bits set beyond its length",
            RejectReason::MissingAsn => "missing ASN",
            RejectReason::BadAsn => "bad ASN",
            RejectReason::MissingMaxLength => "missing maxLength",
            RejectReason::BadMaxLength => "bad maxLength (not an integer)",
            RejectReason::MaxLengthBelowPrefix => "maxLength below the prefix length",
            RejectReason::MaxLengthAboveAfi => "maxLength above 32 (IPv4) or 128 (IPv6)",
            RejectReason::BadTrustAnchor => "trust anchor is not a string",
            RejectReason::NotAnObject => "array element is not an object",
            RejectReason::MissingCustomer => "ASPA without customer ASN",
            RejectReason::BadProviders => "ASPA provider list missing or with a bad ASN",
            RejectReason::Syntax => "line does not have the format's fields",
            RejectReason::EmptyFilter => "prefix filter with neither prefix nor ASN",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry that did not load.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub position: Position,
    pub reason: RejectReason,
    /// The line (text formats) or a compact rendering of the object's fields (JSON),
    /// truncated to 200 bytes.
    pub text: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.position, self.reason, self.text)
    }
}

/// What a file says about itself, where it does.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Metadata {
    /// Generation time, seconds since the Unix epoch (`generated`, or rpki-client's
    /// `buildtime`).
    pub generated: Option<u64>,
    /// The number of VRPs the file declares (rpki-client `vrps`, GoRTR/StayRTR `counts`).
    pub vrps: Option<u64>,
    /// The number of ASPAs the file declares (rpki-client `vaps`, else `aspas`).
    pub aspas: Option<u64>,
}

/// Everything a payload file held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub format: Format,
    /// In file order, duplicates kept.
    pub vrps: Vec<Vrp>,
    /// In file order (for rpki-client's per-family `provider_authorizations`, one ASPA per
    /// customer, its family limits in [`Aspa::afi_limits`]).
    pub aspas: Vec<Aspa>,
    pub rejected: Vec<Rejected>,
    pub metadata: Metadata,
}

/// Input that is not a payload file at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
    #[error("{path}: {source}")]
    Path {
        path: std::path::PathBuf,
        #[source]
        source: Box<LoadError>,
    },
    #[error("JSON syntax error at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a VRP/ASPA file: {0}")]
    UnknownFormat(&'static str),
    #[error("this is a SLURM file (RFC 8416): load it with Slurm::load and apply it to a payload")]
    IsSlurm,
}

impl LoadError {
    pub(crate) fn from_json(e: serde_json::Error) -> LoadError {
        LoadError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// Loads a payload file of any supported format, plain or gzip.
pub fn load(mut reader: impl Read) -> Result<Payload, LoadError> {
    let mut raw = Vec::new();
    reader.read_to_end(&mut raw)?;
    load_bytes(&raw)
}

/// [`load`] on a file.
pub fn load_path(path: impl AsRef<Path>) -> Result<Payload, LoadError> {
    let path = path.as_ref();
    let wrap = |e: LoadError| LoadError::Path {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let raw = std::fs::read(path).map_err(|e| wrap(e.into()))?;
    load_bytes(&raw).map_err(wrap)
}

/// [`load`] on bytes in memory.
pub fn load_bytes(raw: &[u8]) -> Result<Payload, LoadError> {
    let data = gunzip_if_needed(raw)?;
    let data: &[u8] = data.as_deref().unwrap_or(raw);
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let first = data.iter().position(|b| !b.is_ascii_whitespace());
    match first.map(|i| data[i]) {
        None => Err(LoadError::UnknownFormat("empty input")),
        Some(b'{') => json::load(data),
        Some(b'[') => Err(LoadError::UnknownFormat(
            "a bare JSON array (expected an object with a \"roas\" array)",
        )),
        Some(_) => {
            let text = std::str::from_utf8(data)
                .map_err(|_| LoadError::UnknownFormat("binary data (neither JSON nor text)"))?;
            text::load(text)
        }
    }
}

/// Decompresses gzip input (all members); `None` when the input is not gzip.
pub(crate) fn gunzip_if_needed(raw: &[u8]) -> Result<Option<Vec<u8>>, LoadError> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 8);
        flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out)?;
        Ok(Some(out))
    } else {
        Ok(None)
    }
}

// ---- field checks shared by all formats ----

/// An ASN as validators write it: `13335`, `AS13335`, `as13335`.
pub(crate) fn parse_asn(s: &str) -> Result<Asn, RejectReason> {
    let s = s.trim();
    let digits = s
        .strip_prefix("AS")
        .or_else(|| s.strip_prefix("as"))
        .or_else(|| s.strip_prefix("As"))
        .unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RejectReason::BadAsn);
    }
    digits
        .parse::<u32>()
        .map(Asn)
        .map_err(|_| RejectReason::BadAsn)
}

pub(crate) fn asn_from_u64(v: u64) -> Result<Asn, RejectReason> {
    u32::try_from(v).map(Asn).map_err(|_| RejectReason::BadAsn)
}

pub(crate) fn parse_prefix(s: &str) -> Result<Prefix, RejectReason> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RejectReason::NullPrefix);
    }
    s.parse::<Prefix>().map_err(|e| match e {
        PrefixError::LengthTooLong => RejectReason::PrefixTooLong,
        PrefixError::HostBitsSet => RejectReason::HostBitsSet,
        PrefixError::Syntax => RejectReason::BadPrefix,
    })
}

pub(crate) fn parse_max_len(s: &str) -> Result<u64, RejectReason> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RejectReason::MissingMaxLength);
    }
    s.parse::<u64>().map_err(|_| RejectReason::BadMaxLength)
}

/// `prefix.len() <= max_len <= 32/128`.
pub(crate) fn check_max_len(prefix: &Prefix, max_len: u64) -> Result<u8, RejectReason> {
    if max_len > u64::from(prefix.afi().max_len()) {
        Err(RejectReason::MaxLengthAboveAfi)
    } else if max_len < u64::from(prefix.len()) {
        Err(RejectReason::MaxLengthBelowPrefix)
    } else {
        Ok(max_len as u8)
    }
}

/// At most 200 bytes of `s`, cut at a character boundary.
pub(crate) fn clip(s: &str) -> String {
    if s.len() <= 200 {
        return s.to_string();
    }
    let mut end = 200;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Seconds since the epoch for `YYYY-MM-DDTHH:MM:SSZ` (fractions and offsets other than `Z`
/// are not accepted: `None`).
pub(crate) fn parse_rfc3339_utc(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 || y < 1970
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), for years >= 1970.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asn_text_forms() {
        assert_eq!(parse_asn("AS13335"), Ok(Asn(13335)));
        assert_eq!(parse_asn("as0"), Ok(Asn(0)));
        assert_eq!(parse_asn("4294967295"), Ok(Asn(u32::MAX)));
        for bad in ["AS", "", "4294967296", "AS-1", "13335x", "+1"] {
            assert_eq!(parse_asn(bad), Err(RejectReason::BadAsn), "{bad:?}");
        }
    }

    #[test]
    fn max_len_bounds() {
        let p: Prefix = "10.0.0.0/8".parse().unwrap();
        assert_eq!(check_max_len(&p, 8), Ok(8));
        assert_eq!(check_max_len(&p, 32), Ok(32));
        assert_eq!(
            check_max_len(&p, 7),
            Err(RejectReason::MaxLengthBelowPrefix)
        );
        assert_eq!(check_max_len(&p, 33), Err(RejectReason::MaxLengthAboveAfi));
        let p6: Prefix = "2001:db8::/32".parse().unwrap();
        assert_eq!(check_max_len(&p6, 128), Ok(128));
        assert_eq!(
            check_max_len(&p6, 129),
            Err(RejectReason::MaxLengthAboveAfi)
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_utc("2023-05-04T14:52:07Z"),
            Some(1_683_211_927)
        );
        assert_eq!(parse_rfc3339_utc("2023-05-04 14:52:07"), None);
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod format_tests;
