//! SLURM (RFC 8416): local filters and assertions applied on top of a validator's output.
//!
//! Only the VRP side is used: `validationOutputFilters.prefixFilters` remove VRPs (by prefix —
//! the VRP's prefix equal to or more specific than the filter's — by ASN, or both), and
//! `locallyAddedAssertions.prefixAssertions` add VRPs (`maxPrefixLength` defaults to the
//! prefix length). BGPsec filters and assertions are counted and otherwise ignored.
//!
//! RFC 8416 section 4 has a relying party refuse a SLURM file with any error. Like the payload
//! loaders, [`Slurm::load`] instead reports each defective entry in [`Slurm::rejected`] and
//! keeps the rest; a caller that wants the strict behaviour refuses the file when `rejected`
//! is not empty.

use crate::load::json::{render, to_asn, to_max_len, to_prefix, Scalar};
use crate::load::{gunzip_if_needed, LoadError, Payload, Position, RejectReason, Rejected};
use crate::vrp::Vrp;
use routenorms_types::{Asn, Prefix};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// A prefix filter: a VRP is removed when it matches every field given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PrefixFilter {
    pub prefix: Option<Prefix>,
    pub asn: Option<Asn>,
    pub comment: Option<String>,
}

impl PrefixFilter {
    /// RFC 8416 section 3.3.1: the VRP's prefix is the filter's or more specific, and/or
    /// the ASNs are equal.
    pub fn matches(&self, vrp: &Vrp) -> bool {
        self.prefix.is_none_or(|p| p.covers(&vrp.prefix)) && self.asn.is_none_or(|a| a == vrp.asn)
    }
}

/// A loaded SLURM file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slurm {
    pub prefix_filters: Vec<PrefixFilter>,
    /// The prefix assertions, as VRPs (no trust anchor).
    pub prefix_assertions: Vec<Vrp>,
    /// BGPsec filters and assertions present (not applied: this crate has no router keys).
    pub bgpsec_entries: usize,
    pub rejected: Vec<Rejected>,
}

/// What applying a SLURM file did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SlurmApplied {
    pub filtered: usize,
    pub asserted: usize,
}

impl Slurm {
    /// Loads a SLURM file (plain or gzip).
    pub fn load(mut reader: impl Read) -> Result<Slurm, LoadError> {
        let mut raw = Vec::new();
        reader.read_to_end(&mut raw)?;
        let data = gunzip_if_needed(&raw)?;
        let data: &[u8] = data.as_deref().unwrap_or(&raw);
        let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
        let v: Value = serde_json::from_slice(data).map_err(LoadError::from_json)?;
        Slurm::from_value(&v)
    }

    /// [`Slurm::load`] on a file.
    pub fn load_path(path: impl AsRef<Path>) -> Result<Slurm, LoadError> {
        let path = path.as_ref();
        let wrap = |e: LoadError| LoadError::Path {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let f = std::fs::File::open(path).map_err(|e| wrap(e.into()))?;
        Slurm::load(std::io::BufReader::new(f)).map_err(wrap)
    }

    fn from_value(v: &Value) -> Result<Slurm, LoadError> {
        let obj = v
            .as_object()
            .ok_or(LoadError::UnknownFormat("SLURM must be a JSON object"))?;
        if !obj.contains_key("slurmVersion")
            && !obj.contains_key("validationOutputFilters")
            && !obj.contains_key("locallyAddedAssertions")
        {
            return Err(LoadError::UnknownFormat(
                "not a SLURM file (no slurmVersion, validationOutputFilters or locallyAddedAssertions)",
            ));
        }
        let mut slurm = Slurm::default();
        let list = |section: &str, name: &str| -> Vec<&Value> {
            obj.get(section)
                .and_then(|s| s.get(name))
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        for (index, f) in list("validationOutputFilters", "prefixFilters")
            .into_iter()
            .enumerate()
        {
            let position = Position::Index {
                array: "prefixFilters",
                index,
            };
            match filter_from(f) {
                Ok(filter) => slurm.prefix_filters.push(filter),
                Err(reason) => slurm.rejected.push(Rejected {
                    position,
                    reason,
                    text: describe(f),
                }),
            }
        }
        for (index, a) in list("locallyAddedAssertions", "prefixAssertions")
            .into_iter()
            .enumerate()
        {
            let position = Position::Index {
                array: "prefixAssertions",
                index,
            };
            match assertion_from(a) {
                Ok(vrp) => slurm.prefix_assertions.push(vrp),
                Err(reason) => slurm.rejected.push(Rejected {
                    position,
                    reason,
                    text: describe(a),
                }),
            }
        }
        slurm.bgpsec_entries = list("validationOutputFilters", "bgpsecFilters").len()
            + list("locallyAddedAssertions", "bgpsecAssertions").len();
        Ok(slurm)
    }

    /// Removes the filtered VRPs from `vrps` and appends the assertions.
    pub fn apply_to(&self, vrps: &mut Vec<Vrp>) -> SlurmApplied {
        let before = vrps.len();
        if !self.prefix_filters.is_empty() {
            vrps.retain(|v| !self.prefix_filters.iter().any(|f| f.matches(v)));
        }
        let filtered = before - vrps.len();
        vrps.extend(self.prefix_assertions.iter().cloned());
        SlurmApplied {
            filtered,
            asserted: self.prefix_assertions.len(),
        }
    }

    /// [`Slurm::apply_to`] on a payload's VRPs (its ASPAs are left alone).
    pub fn apply(&self, payload: &mut Payload) -> SlurmApplied {
        self.apply_to(&mut payload.vrps)
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Option<Scalar<'a>> {
    v.get(name).map(Scalar::from_value)
}

fn filter_from(v: &Value) -> Result<PrefixFilter, RejectReason> {
    if !v.is_object() {
        return Err(RejectReason::NotAnObject);
    }
    let prefix = match field(v, "prefix") {
        None => None,
        p => Some(to_prefix(p.as_ref())?),
    };
    let asn = match field(v, "asn") {
        None => None,
        a => Some(to_asn(a.as_ref())?),
    };
    if prefix.is_none() && asn.is_none() {
        return Err(RejectReason::EmptyFilter);
    }
    Ok(PrefixFilter {
        prefix,
        asn,
        comment: v.get("comment").and_then(Value::as_str).map(str::to_string),
    })
}

fn assertion_from(v: &Value) -> Result<Vrp, RejectReason> {
    if !v.is_object() {
        return Err(RejectReason::NotAnObject);
    }
    let prefix = to_prefix(field(v, "prefix").as_ref())?;
    let asn = to_asn(field(v, "asn").as_ref())?;
    let max_len = to_max_len(
        field(v, "maxPrefixLength").as_ref(),
        &prefix,
        Some(prefix.len()),
    )?;
    Ok(Vrp {
        prefix,
        max_len,
        asn,
        ta: None,
    })
}

fn describe(v: &Value) -> String {
    if !v.is_object() {
        return render(&[("value", Some(&Scalar::from_value(v)))]);
    }
    let f = |k: &str| field(v, k);
    let (asn, prefix, max) = (f("asn"), f("prefix"), f("maxPrefixLength"));
    render(&[
        ("asn", asn.as_ref()),
        ("prefix", prefix.as_ref()),
        ("maxPrefixLength", max.as_ref()),
    ])
}
