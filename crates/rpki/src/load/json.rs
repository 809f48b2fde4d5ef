//! One lenient, typed JSON parser for every validator's JSON export.
//!
//! The file is walked with serde `DeserializeSeed`s that carry the loader state, so each
//! `roas`/`aspas` element becomes a [`Vrp`]/[`Aspa`] (or a [`Rejected`]) the moment it is
//! parsed: no `serde_json::Value` tree and no intermediate vector. Field values are read as
//! [`Scalar`]s of any JSON type, so a value of the wrong type (`"prefix": null`,
//! `"asn": "AS"`, `"maxLength": "x"`, an element that is not an object) rejects that element
//! only; only broken JSON syntax fails the whole load.

use super::{
    asn_from_u64, check_max_len, clip, parse_asn, parse_max_len, parse_prefix, parse_rfc3339_utc,
    Format, LoadError, Metadata, Payload, Position, RejectReason, Rejected,
};
use crate::vrp::{Aspa, TaInterner, Vrp};
use routenorms_types::{Afi, Asn, Prefix};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// Any JSON value, kept only as far as the loaders need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl fmt::Display for Scalar<'_> {
    /// JSON-like rendering for reject messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::U64(v) => write!(f, "{v}"),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::F64(v) => write!(f, "{v}"),
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::Array => f.write_str("[…]"),
            Scalar::Object => f.write_str("{…}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::U64(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(if v >= 0 {
                    Scalar::U64(v as u64)
                } else {
                    Scalar::I64(v)
                })
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::F64(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Scalar<'de>, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Scalar<'de>, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Object)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Scalar<'a> {
    pub(crate) fn from_value(v: &'a serde_json::Value) -> Scalar<'a> {
        use serde_json::Value;
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Scalar::U64(u),
                (None, Some(i)) => Scalar::I64(i),
                _ => Scalar::F64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Array(_) => Scalar::Array,
            Value::Object(_) => Scalar::Object,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

pub(crate) fn to_asn(v: Option<&Scalar>) -> Result<Asn, RejectReason> {
    match v {
        None => Err(RejectReason::MissingAsn),
        Some(Scalar::U64(n)) => asn_from_u64(*n),
        Some(Scalar::Str(s)) => parse_asn(s),
        Some(_) => Err(RejectReason::BadAsn),
    }
}

pub(crate) fn to_prefix(v: Option<&Scalar>) -> Result<Prefix, RejectReason> {
    match v {
        None => Err(RejectReason::MissingPrefix),
        Some(Scalar::Null) => Err(RejectReason::NullPrefix),
        Some(Scalar::Str(s)) => parse_prefix(s),
        Some(_) => Err(RejectReason::BadPrefix),
    }
}

/// maxLength checked against the prefix; `None` (absent) means `default`.
pub(crate) fn to_max_len(
    v: Option<&Scalar>,
    prefix: &Prefix,
    default: Option<u8>,
) -> Result<u8, RejectReason> {
    let n = match (v, default) {
        (None | Some(Scalar::Null), Some(d)) => u64::from(d),
        (None | Some(Scalar::Null), None) => return Err(RejectReason::MissingMaxLength),
        (Some(Scalar::U64(n)), _) => *n,
        (Some(Scalar::Str(s)), _) => parse_max_len(s)?,
        (Some(_), _) => return Err(RejectReason::BadMaxLength),
    };
    check_max_len(prefix, n)
}

/// Renders `key=value` pairs for a reject message.
pub(crate) fn render(fields: &[(&str, Option<&Scalar>)]) -> String {
    let mut s = String::from("{");
    for (k, v) in fields {
        if let Some(v) = v {
            if s.len() > 1 {
                s.push(',');
            }
            s.push_str(&format!("{k:?}:{v}"));
        }
    }
    s.push('}');
    clip(&s)
}

// ---- loader state ----

#[derive(Default)]
struct Ctx {
    vrps: Vec<Vrp>,
    /// ASPAs as read, with the family of the `provider_authorizations` list they came from.
    aspas: Vec<(Aspa, Option<Afi>)>,
    rejected: Vec<Rejected>,
    tas: TaInterner,
    meta: Metadata,
    saw_roas: bool,
    saw_aspas: bool,
    saw_slurm: bool,
    rpki_client: bool,
    routinator: bool,
    jsonext: bool,
}

impl Ctx {
    fn reject(&mut self, array: &'static str, index: usize, reason: RejectReason, text: String) {
        self.rejected.push(Rejected {
            position: Position::Index { array, index },
            reason,
            text,
        });
    }
}

pub(super) fn load(data: &[u8]) -> Result<Payload, LoadError> {
    let mut ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_slice(data);
    FileSeed(&mut ctx)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(LoadError::from_json)?;
    if !ctx.saw_roas && !ctx.saw_aspas {
        return Err(if ctx.saw_slurm {
            LoadError::IsSlurm
        } else {
            LoadError::UnknownFormat("JSON object without a \"roas\" or \"aspas\" array")
        });
    }
    let format = if ctx.jsonext {
        Format::RoutinatorJsonExt
    } else if ctx.rpki_client {
        Format::RpkiClientJson
    } else if ctx.routinator {
        Format::RoutinatorJson
    } else {
        Format::RtrJson
    };
    let aspas = merge_family_aspas(ctx.aspas);
    Ok(Payload {
        format,
        vrps: ctx.vrps,
        aspas,
        rejected: ctx.rejected,
        metadata: ctx.meta,
    })
}

/// Folds rpki-client's per-family lists (`provider_authorizations.ipv4/ipv6`, one entry per
/// customer in each) into one ASPA per customer with family limits; ASPAs without a family
/// pass through unchanged.
fn merge_family_aspas(read: Vec<(Aspa, Option<Afi>)>) -> Vec<Aspa> {
    if read.iter().all(|(_, afi)| afi.is_none()) {
        return read.into_iter().map(|(a, _)| a).collect();
    }
    let mut out: Vec<Aspa> = Vec::new();
    // customer -> (index in out, v4 providers, v6 providers)
    let mut by_customer: HashMap<Asn, (usize, Vec<Asn>, Vec<Asn>)> = HashMap::new();
    for (aspa, afi) in read {
        let Some(afi) = afi else {
            out.push(aspa);
            continue;
        };
        let entry = by_customer.entry(aspa.customer).or_insert_with(|| {
            out.push(Aspa::new(aspa.customer, Vec::new()));
            (out.len() - 1, Vec::new(), Vec::new())
        });
        match afi {
            Afi::Ipv4 => entry.1.extend(&aspa.providers),
            Afi::Ipv6 => entry.2.extend(&aspa.providers),
        }
    }
    for (_, (i, mut v4, mut v6)) in by_customer {
        v4.sort_unstable();
        v4.dedup();
        v6.sort_unstable();
        v6.dedup();
        let mut all: Vec<Asn> = v4.iter().chain(&v6).copied().collect();
        all.sort_unstable();
        all.dedup();
        let mut limits = Vec::new();
        for &p in &all {
            match (v4.binary_search(&p).is_ok(), v6.binary_search(&p).is_ok()) {
                (true, false) => limits.push((p, Afi::Ipv4)),
                (false, true) => limits.push((p, Afi::Ipv6)),
                _ => {}
            }
        }
        out[i].providers = all;
        out[i].afi_limits = limits;
    }
    out
}

// ---- keys ----

/// Deserialises a map key straight into one of `names` (index) or `None`, without allocating.
struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        struct V(&'static [&'static str]);
        impl<'v> Visitor<'v> for V {
            type Value = Option<usize>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Option<usize>, E> {
                Ok(self.0.iter().position(|n| *n == v))
            }
        }
        d.deserialize_identifier(V(self.0))
    }
}

/// Visits any value; values that are not maps or sequences are handed to `other`.
macro_rules! forward_non_container {
    ($other:ident) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::Null))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::Bool(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::U64(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::I64(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::F64(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(self.$other(Scalar::Str(Cow::Owned(v.to_string()))))
        }
    };
}

// ---- the file ----

struct FileSeed<'c>(&'c mut Ctx);

const TOP_KEYS: &[&str] = &[
    "roas",
    "aspas",
    "provider_authorizations",
    "metadata",
    "slurmVersion",
    "validationOutputFilters",
    "locallyAddedAssertions",
];

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(key) = m.next_key_seed(KeySeed(TOP_KEYS))? {
            match key {
                Some(0) => {
                    ctx.saw_roas = true;
                    m.next_value_seed(ArraySeed {
                        ctx: &mut *ctx,
                        array: "roas",
                        kind: Kind::Roa,
                    })?
                }
                Some(1) => {
                    ctx.saw_aspas = true;
                    m.next_value_seed(ArraySeed {
                        ctx: &mut *ctx,
                        array: "aspas",
                        kind: Kind::Aspa(None),
                    })?
                }
                Some(2) => {
                    ctx.saw_aspas = true;
                    ctx.rpki_client = true;
                    m.next_value_seed(ProviderAuthSeed(&mut *ctx))?
                }
                Some(3) => m.next_value_seed(MetaSeed(&mut *ctx))?,
                Some(_) => {
                    ctx.saw_slurm = true;
                    m.next_value::<IgnoredAny>()?;
                }
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

// ---- metadata ----

struct MetaSeed<'c>(&'c mut Ctx);

const META_KEYS: &[&str] = &[
    "buildtime",
    "buildmachine",
    "generated",
    "generatedTime",
    "vrps",
    "counts",
    "vaps",
    "aspas",
];

impl<'de> DeserializeSeed<'de> for MetaSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MetaSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a metadata object")
    }
    forward_non_container!(ignore);
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(key) = m.next_key_seed(KeySeed(META_KEYS))? {
            let Some(key) = key else {
                m.next_value::<IgnoredAny>()?;
                continue;
            };
            let v: Scalar = m.next_value()?;
            let num = match &v {
                Scalar::U64(n) => Some(*n),
                _ => None,
            };
            match key {
                0 => {
                    ctx.rpki_client = true;
                    if let Some(t) = v.as_str().and_then(parse_rfc3339_utc) {
                        ctx.meta.generated = Some(t);
                    }
                }
                1 => ctx.rpki_client = true,
                2 => ctx.meta.generated = num.or(ctx.meta.generated),
                3 => ctx.routinator = true,
                4 => {
                    ctx.rpki_client = true;
                    ctx.meta.vrps = num;
                }
                5 => ctx.meta.vrps = ctx.meta.vrps.or(num),
                6 => ctx.meta.aspas = num,
                _ => ctx.meta.aspas = ctx.meta.aspas.or(num),
            }
        }
        Ok(())
    }
}

impl MetaSeed<'_> {
    fn ignore(self, _: Scalar) {}
}

// ---- arrays of ROAs / ASPAs ----

#[derive(Clone, Copy)]
enum Kind {
    Roa,
    Aspa(Option<Afi>),
}

struct ArraySeed<'c> {
    ctx: &'c mut Ctx,
    array: &'static str,
    kind: Kind,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    forward_non_container!(not_array);
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_array(Scalar::Object);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let mut index = 0;
        loop {
            let seed = ElementSeed {
                ctx: &mut *ctx,
                array: self.array,
                kind: self.kind,
                index,
            };
            if s.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
}

impl ArraySeed<'_> {
    fn not_array(self, v: Scalar) {
        // `"roas": null` is an empty list; anything else is a defect at the array itself.
        if v != Scalar::Null {
            let text = format!("{:?}: {v}", self.array);
            self.ctx
                .reject(self.array, 0, RejectReason::NotAnObject, clip(&text));
        }
    }
}

struct ElementSeed<'c> {
    ctx: &'c mut Ctx,
    array: &'static str,
    kind: Kind,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

const ROA_KEYS: &[&str] = &[
    "asn",
    "prefix",
    "maxLength",
    "ta",
    "source",
    "expires",
    "max_length",
];
const ASPA_KEYS: &[&str] = &[
    "customer_asid",
    "customer",
    "providers",
    "provider_set",
    "expires",
    "source",
];

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    forward_non_container!(not_object);
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object(Scalar::Array);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        match self.kind {
            Kind::Roa => {
                let mut f: [Option<Scalar>; 4] = Default::default();
                let mut tal: Option<Scalar> = None;
                while let Some(key) = m.next_key_seed(KeySeed(ROA_KEYS))? {
                    match key {
                        Some(k @ 0..=3) => f[k] = Some(m.next_value()?),
                        Some(6) => f[2] = Some(m.next_value()?),
                        Some(4) => {
                            self.ctx.jsonext = true;
                            let t = m.next_value_seed(SourceTalSeed)?;
                            if tal.is_none() {
                                tal = t;
                            }
                        }
                        Some(_) => {
                            self.ctx.rpki_client = true;
                            m.next_value::<IgnoredAny>()?;
                        }
                        None => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                self.finish_roa(f, tal);
            }
            Kind::Aspa(afi) => {
                let mut customer: Option<Scalar> = None;
                let mut providers: Option<ProviderList> = None;
                while let Some(key) = m.next_key_seed(KeySeed(ASPA_KEYS))? {
                    match key {
                        Some(0) => {
                            self.ctx.rpki_client = true;
                            customer = Some(m.next_value()?);
                        }
                        Some(1) => {
                            self.ctx.routinator = true;
                            customer = Some(m.next_value()?);
                        }
                        Some(2 | 3) => providers = Some(m.next_value_seed(ProvidersSeed)?),
                        Some(4) => {
                            self.ctx.rpki_client = true;
                            m.next_value::<IgnoredAny>()?;
                        }
                        Some(_) => {
                            self.ctx.jsonext = true;
                            m.next_value::<IgnoredAny>()?;
                        }
                        None => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                self.finish_aspa(afi, customer, providers);
            }
        }
        Ok(())
    }
}

impl ElementSeed<'_> {
    fn not_object(self, v: Scalar) {
        self.ctx.reject(
            self.array,
            self.index,
            RejectReason::NotAnObject,
            clip(&v.to_string()),
        );
    }

    fn finish_roa(self, f: [Option<Scalar>; 4], tal: Option<Scalar>) {
        let [asn, prefix, max_len, ta] = &f;
        let result = (|| {
            let prefix = to_prefix(prefix.as_ref())?;
            let asn = to_asn(asn.as_ref())?;
            let max_len = to_max_len(max_len.as_ref(), &prefix, None)?;
            let ta = match ta.as_ref().or(tal.as_ref()) {
                None | Some(Scalar::Null) => None,
                Some(Scalar::Str(s)) => Some(self.ctx.tas.get(s)),
                Some(_) => return Err(RejectReason::BadTrustAnchor),
            };
            Ok(Vrp {
                prefix,
                max_len,
                asn,
                ta,
            })
        })();
        match result {
            Ok(v) => self.ctx.vrps.push(v),
            Err(reason) => {
                let text = render(&[
                    ("asn", asn.as_ref()),
                    ("prefix", prefix.as_ref()),
                    ("maxLength", max_len.as_ref()),
                    ("ta", ta.as_ref()),
                ]);
                self.ctx.reject(self.array, self.index, reason, text);
            }
        }
    }

    fn finish_aspa(
        self,
        afi: Option<Afi>,
        customer: Option<Scalar>,
        providers: Option<ProviderList>,
    ) {
        let result = (|| {
            let customer = match customer.as_ref() {
                None => return Err(RejectReason::MissingCustomer),
                c => to_asn(c)?,
            };
            let Some(Ok(list)) = &providers else {
                return Err(RejectReason::BadProviders);
            };
            let mut aspa = Aspa::new(customer, list.iter().map(|(a, _)| *a).collect());
            // Per-provider limits (`provider_set: [{asid, afi_limit}]`): a provider listed
            // once for each family is unlimited.
            for &(p, limit) in list {
                if let Some(l) = limit {
                    let unlimited = list.iter().any(|&(q, m)| q == p && m != Some(l));
                    if !unlimited && !aspa.afi_limits.contains(&(p, l)) {
                        aspa.afi_limits.push((p, l));
                    }
                }
            }
            Ok(aspa)
        })();
        match result {
            Ok(a) => self.ctx.aspas.push((a, afi)),
            Err(reason) => {
                let text = match &customer {
                    Some(c) => format!("{{\"customer\":{c},…}}"),
                    None => "{…}".to_string(),
                };
                self.ctx.reject(self.array, self.index, reason, clip(&text));
            }
        }
    }
}

/// rpki-client 8.x: `"provider_authorizations": {"ipv4": [...], "ipv6": [...]}`.
struct ProviderAuthSeed<'c>(&'c mut Ctx);

impl<'de> DeserializeSeed<'de> for ProviderAuthSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProviderAuthSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of per-family ASPA lists")
    }
    forward_non_container!(ignore);
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<(), A::Error> {
        // A plain list: treat like `aspas`.
        ArraySeed {
            ctx: self.0,
            array: "provider_authorizations",
            kind: Kind::Aspa(None),
        }
        .visit_seq(s)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key_seed(KeySeed(&["ipv4", "ipv6"]))? {
            let (array, afi) = match key {
                Some(0) => ("provider_authorizations.ipv4", Afi::Ipv4),
                Some(_) => ("provider_authorizations.ipv6", Afi::Ipv6),
                None => {
                    m.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            m.next_value_seed(ArraySeed {
                ctx: &mut *self.0,
                array,
                kind: Kind::Aspa(Some(afi)),
            })?;
        }
        Ok(())
    }
}

impl ProviderAuthSeed<'_> {
    fn ignore(self, _: Scalar) {}
}

/// A provider list: ASNs as numbers or `"ASn"`, or objects `{"asid": n, "afi_limit": "ipv4"}`.
/// `Err(())` when anything in it is not a valid ASN.
struct ProvidersSeed;

impl<'de> DeserializeSeed<'de> for ProvidersSeed {
    type Value = ProviderList;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProvidersSeed {
    type Value = ProviderList;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of provider ASNs")
    }
    forward_non_container!(bad);
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut ok = true;
        while let Some(p) = s.next_element_seed(ProviderSeed)? {
            match p {
                Ok(p) => out.push(p),
                Err(()) => ok = false,
            }
        }
        Ok(if ok { Ok(out) } else { Err(()) })
    }
}

impl ProvidersSeed {
    fn bad(self, _: Scalar) -> ProviderList {
        Err(())
    }
}

struct ProviderSeed;

impl<'de> DeserializeSeed<'de> for ProviderSeed {
    type Value = Result<(Asn, Option<Afi>), ()>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProviderSeed {
    type Value = Result<(Asn, Option<Afi>), ()>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a provider ASN")
    }
    forward_non_container!(scalar);
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut asid = None;
        let mut limit: Option<Scalar> = None;
        while let Some(key) = m.next_key_seed(KeySeed(&["asid", "afi_limit", "afiLimit"]))? {
            match key {
                Some(0) => asid = Some(m.next_value::<Scalar>()?),
                Some(_) => limit = Some(m.next_value()?),
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Ok(asn) = to_asn(asid.as_ref()) else {
            return Ok(Err(()));
        };
        let afi = match limit.as_ref().and_then(|l| l.as_str()) {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("ipv4") => Some(Afi::Ipv4),
            Some(s) if s.eq_ignore_ascii_case("ipv6") => Some(Afi::Ipv6),
            Some(_) => return Ok(Err(())),
        };
        Ok(Ok((asn, afi)))
    }
}

impl ProviderSeed {
    fn scalar(self, v: Scalar) -> Result<(Asn, Option<Afi>), ()> {
        to_asn(Some(&v)).map(|a| (a, None)).map_err(|_| ())
    }
}

/// Providers with optional family limits; `Err` when any entry is not a valid ASN.
type ProviderList = Result<Vec<(Asn, Option<Afi>)>, ()>;

/// Routinator jsonext `source`: the first `tal` of the list.
struct SourceTalSeed;

impl<'de> DeserializeSeed<'de> for SourceTalSeed {
    type Value = Option<Scalar<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SourceTalSeed {
    type Value = Option<Scalar<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a source list")
    }
    forward_non_container!(none);
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut tal = None;
        while let Some(key) = m.next_key_seed(KeySeed(&["tal"]))? {
            match key {
                Some(_) => tal = Some(m.next_value::<Scalar>()?),
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(tal.filter(|t| matches!(t, Scalar::Str(_))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        while let Some(t) = s.next_element_seed(SourceTalSeed)? {
            if first.is_none() {
                first = t;
            }
        }
        Ok(first)
    }
}

impl SourceTalSeed {
    fn none(self, _: Scalar) -> Option<Scalar<'static>> {
        None
    }
}
