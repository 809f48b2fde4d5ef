//! What to simulate: sizes, seed, collectors and the incidents to plant.

use crate::SimError;
use std::collections::BTreeMap;
use std::fmt;

/// 2024-01-01 00:00:00 UTC: the default time of the "before" RIB dump.
pub const DEFAULT_START: u32 = 1_704_067_200;

/// Every parameter of a run. The output is a pure function of this value.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Autonomous systems (route servers of IXPs included).
    pub ases: usize,
    /// Announced IPv4 prefixes (approximate).
    pub prefixes_v4: usize,
    /// Announced IPv6 prefixes (approximate).
    pub prefixes_v6: usize,
    /// Route collectors (one RIB and one update file each).
    pub collectors: usize,
    /// ASes feeding the collectors, spread over them.
    pub peers: usize,
    /// Share of collector peers that send a full table (the others send their customer routes).
    pub full_feed_share: f64,
    pub incidents: IncidentSpec,
    /// Time of the "before" RIB; updates run for an hour from here, then the "after" RIB.
    pub start: u32,
    /// Write the RouteViews-style collectors' files with bzip2 (single-threaded, slow at
    /// full scale); otherwise every file is gzip.
    pub bzip2: bool,
    /// Worker threads.
    pub threads: usize,
}

/// Named sizes for `--scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// 1,000 ASes, 10,000 IPv4 and 2,000 IPv6 prefixes, 3 collectors, 20 peers: seconds.
    Small,
    /// About the Internet of 2024: 75,000 ASes, 1,000,000 IPv4 and 200,000 IPv6 prefixes,
    /// 20 collectors with 300 peers.
    Internet,
}

impl Config {
    pub fn new(scale: Scale, seed: u64) -> Config {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        match scale {
            Scale::Small => Config {
                seed,
                ases: 1000,
                prefixes_v4: 10_000,
                prefixes_v6: 2_000,
                collectors: 3,
                peers: 20,
                full_feed_share: 0.6,
                incidents: IncidentSpec::default(),
                start: DEFAULT_START,
                bzip2: true,
                threads,
            },
            Scale::Internet => Config {
                seed,
                ases: 75_000,
                prefixes_v4: 1_000_000,
                prefixes_v6: 200_000,
                collectors: 20,
                peers: 300,
                full_feed_share: 0.5,
                incidents: IncidentSpec::default(),
                start: DEFAULT_START,
                bzip2: false,
                threads,
            },
        }
    }

    /// Rejects sizes the generator cannot honour.
    pub fn check(&self) -> Result<(), SimError> {
        if self.ases < 50 {
            return Err(SimError::Config("--ases must be at least 50"));
        }
        if self.ases > 400_000 {
            return Err(SimError::Config("--ases must be at most 400000"));
        }
        if self.prefixes_v4 < self.ases / 2 {
            return Err(SimError::Config(
                "--prefixes must be at least half the number of ASes",
            ));
        }
        if self.prefixes_v4 > 3_000_000 {
            return Err(SimError::Config("--prefixes must be at most 3000000"));
        }
        if self.collectors == 0 || self.peers < self.collectors {
            return Err(SimError::Config(
                "need at least one collector and one peer per collector",
            ));
        }
        if self.peers > self.ases / 4 {
            return Err(SimError::Config(
                "--peers must be at most a quarter of --ases",
            ));
        }
        if !(0.0..=1.0).contains(&self.full_feed_share) {
            return Err(SimError::Config("full-feed share must be within 0..1"));
        }
        Ok(())
    }
}

/// The classes of planted incidents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// Exact-prefix hijack: a second origin for a victim's prefix (MOAS).
    Moas,
    /// Sub-prefix hijack: a more-specific of a victim's prefix from another origin.
    Subprefix,
    /// Forged-origin hijack: the attacker prepends the victim's ASN (detectable with ASPA).
    ForgedOrigin,
    /// Route leak of RFC 7908 type 1..=6.
    Leak(u8),
    /// Announcement of a bogon (reserved or unallocated) prefix.
    BogonPrefix,
    /// Announcement originated by a private or reserved ASN.
    BogonAsn,
    /// RPKI-invalid announcement (a more-specific beyond its ROA's maxLength).
    Invalid,
    /// An origin withdraws all its prefixes.
    Outage,
}

impl IncidentKind {
    pub fn name(self) -> String {
        match self {
            IncidentKind::Moas => "moas".into(),
            IncidentKind::Subprefix => "subprefix".into(),
            IncidentKind::ForgedOrigin => "forged-origin".into(),
            IncidentKind::Leak(t) => format!("leak{t}"),
            IncidentKind::BogonPrefix => "bogon".into(),
            IncidentKind::BogonAsn => "bogon-asn".into(),
            IncidentKind::Invalid => "invalid".into(),
            IncidentKind::Outage => "outage".into(),
        }
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// How many incidents of each kind to plant, parsed from `KIND=N[,KIND=N...]` or `none`.
///
/// Kinds: `moas`, `subprefix`, `forged-origin`, `leak` (types 1..6 in turn), `leak1`..`leak6`
/// (one RFC 7908 type), `bogon` (prefix), `bogon-asn`, `invalid`, `outage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentSpec {
    pub counts: BTreeMap<IncidentKind, usize>,
}

impl Default for IncidentSpec {
    fn default() -> Self {
        DEFAULT_INCIDENTS.parse().expect("valid default")
    }
}

/// The incidents planted when `--incidents` is not given.
pub const DEFAULT_INCIDENTS: &str =
    "moas=1,subprefix=1,forged-origin=1,leak=6,bogon=1,bogon-asn=1,invalid=1,outage=1";

impl std::str::FromStr for IncidentSpec {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, SimError> {
        let mut counts = BTreeMap::new();
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(IncidentSpec { counts });
        }
        for part in s.split(',') {
            let (k, n) = part
                .split_once('=')
                .ok_or(SimError::Config("incident spec: expected KIND=N"))?;
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| SimError::Config("incident spec: N is not a number"))?;
            if n > 1000 {
                return Err(SimError::Config("incident spec: at most 1000 per kind"));
            }
            let mut add = |k: IncidentKind, n: usize| *counts.entry(k).or_insert(0) += n;
            match k.trim() {
                "moas" => add(IncidentKind::Moas, n),
                "subprefix" => add(IncidentKind::Subprefix, n),
                "forged-origin" => add(IncidentKind::ForgedOrigin, n),
                "bogon" => add(IncidentKind::BogonPrefix, n),
                "bogon-asn" => add(IncidentKind::BogonAsn, n),
                "invalid" => add(IncidentKind::Invalid, n),
                "outage" => add(IncidentKind::Outage, n),
                "leak" => {
                    for i in 0..n {
                        add(IncidentKind::Leak((i % 6) as u8 + 1), 1);
                    }
                }
                other => match other
                    .strip_prefix("leak")
                    .and_then(|t| t.parse::<u8>().ok())
                {
                    Some(t @ 1..=6) => add(IncidentKind::Leak(t), n),
                    _ => return Err(SimError::Config("incident spec: unknown kind")),
                },
            }
        }
        counts.retain(|_, n| *n > 0);
        Ok(IncidentSpec { counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_spec_parses_kinds_and_spreads_leaks_over_the_six_types() {
        let s: IncidentSpec = "moas=2,leak=7,leak3=1,outage=0".parse().unwrap();
        assert_eq!(s.counts[&IncidentKind::Moas], 2);
        assert_eq!(s.counts[&IncidentKind::Leak(1)], 2);
        assert_eq!(s.counts[&IncidentKind::Leak(3)], 2);
        assert_eq!(s.counts[&IncidentKind::Leak(6)], 1);
        assert!(!s.counts.contains_key(&IncidentKind::Outage));
        assert!("none".parse::<IncidentSpec>().unwrap().counts.is_empty());
    }

    #[test]
    fn incident_spec_rejects_unknown_kinds_and_bad_numbers() {
        assert!("hijack=1".parse::<IncidentSpec>().is_err());
        assert!("moas=x".parse::<IncidentSpec>().is_err());
        assert!("leak7=1".parse::<IncidentSpec>().is_err());
        assert!("moas".parse::<IncidentSpec>().is_err());
    }

    #[test]
    fn the_named_scales_pass_their_own_checks() {
        Config::new(Scale::Small, 1).check().unwrap();
        Config::new(Scale::Internet, 1).check().unwrap();
    }
}
