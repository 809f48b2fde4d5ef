//! Accuracy of the incident detectors against a labelled data set: a directory written by
//! the simulator (`routenorms sim generate`: a `manifest.json` listing the files and a
//! `ground-truth.json` naming every planted incident). This module reads those two JSON
//! documents through its own serde types (it does not depend on the simulator), runs
//! [`detect_files`] on the directory's RIBs and update files, matches what was detected with
//! what was planted and scores it per incident class and per MANRS metric.
//!
//! # Inputs the detectors get
//!
//! Every MRT file the manifest lists as `rib-before`, `rib-after` or `updates` (all
//! collectors); the VRPs and ASPAs of the `vrps` file (rpki-client JSON); the relationships
//! of the `as-rel` file; bogons = IANA special-purpose space and reserved ASNs plus the
//! `rir-stats` files (space and ASNs no RIR delegated). No IRR data (the hijack
//! down-ranking by IRR is not exercised; it changes no count).
//!
//! # Which detector covers which planted class ([`CLASSES`])
//!
//! | class          | detector event kinds | metric (culprit scored)         |
//! |----------------|----------------------|---------------------------------|
//! | `moas`         | `moas`               | M2 `hijack`                     |
//! | `subprefix`    | `sub_moas`           | M2 `hijack`                     |
//! | `forged-origin`| `forged_path`        | M2 `hijack`                     |
//! | `leak1`..`leak4` | `route_leak`       | M1 `route_leak`                 |
//! | `leak5`        | `moas`               | M2 `hijack`                     |
//! | `leak6`        | `more_specific`      | `more_specific` (not a MANRS metric) |
//! | `bogon`        | `bogon_prefix`       | M3 `bogon_prefix`               |
//! | `bogon-asn`    | `bogon_asn`          | M4 `bogon_asn`                  |
//! | `invalid`      | `rpki_invalid`       | `rpki_invalid` (not a MANRS M1–M4 metric) |
//! | `outage`       | `outage`             | `outage` (not a MANRS metric; no accomplice) |
//!
//! A re-origination (RFC 7908 type 5) shows in routing data exactly as an exact-prefix
//! hijack: a new origin for a prefix; the observatory counts it under M2. A forged origin
//! keeps the victim as origin (no MOAS) over a link the relationships do not know (no
//! valley); the victim's ASPA does not list the attacker, so the hop is one no data allows:
//! a `forged_path` blamed on the attacker. An RPKI-invalid announcement (a more-specific
//! beyond its ROA's maxLength) is a new route that is invalid; an outage is a prefix of the
//! "before" snapshot that no peer carries any more. Both are reported with their own
//! metric, which the MANRS scores (M1–M4) do not count.
//!
//! A type-6 leak (internal more-specifics announced by their own origin) is valley-free and
//! keeps the origin: it shows as new more-specifics of the origin's own space, the
//! `more_specific` event, which no MANRS metric counts because BGP data does not tell it
//! from traffic engineering (see [`crate::incidents`]). Its culprit is scored on that
//! metric. When its more-specifics exceed the origin's ROA they are RPKI-invalid routes,
//! which the ground truth says (an `rov.invalid-*` label among the incident's metrics): an
//! `rpki_invalid` detection of them is right, not a false positive (it counts as detected
//! nowhere). The other way round, an `invalid` plant is an origin's new more-specific
//! beyond its ROA: a `more_specific` detection of it is right too, and counted nowhere.
//!
//! A class without a detector (none today) would be listed with `detector: false` and the
//! reason [`ClassSpec::no_detector`] gives, its figures `null`, never counted as missed.
//!
//! # Matching rule
//!
//! A detected event *matches* a planted incident when (1) its kind is one the incident's
//! class is detected by, (2) its prefix is one of the incident's prefixes, and (3) its
//! interval `[start, end]` overlaps the incident's `[start, end]` (closed intervals; an event
//! still open at the end of the data ends there). The culprit is not part of the match: it
//! is scored separately, per metric.
//!
//! * Per class: `planted` incidents of the class; `true_positives` = planted incidents with
//!   at least one matching event; `false_positives` = detector incidents (events merged by
//!   metric, culprit and time, as the detector reports them) none of whose events matches a
//!   planted incident or a background flaw, counted under the class their first event's
//!   kind stands for (`moas`, `subprefix`, `forged-origin`, `leak` for any route leak,
//!   `leak6` for a new more-specific, `bogon`, `bogon-asn`, `invalid`, `outage`);
//!   `detected` = `true_positives` + `false_positives`; `precision` = `true_positives` /
//!   `detected`, `recall` = `true_positives` / `planted` (`null` when the denominator is 0).
//!   The `leak` row sums the six leak types and holds the untyped route-leak false
//!   positives.
//! * Per metric (M1–M4, then `rpki_invalid`, `more_specific` and `outage`; planted
//!   incidents of classes with a detector only): `planted` incidents whose class counts on
//!   the metric; `detected` = detector incidents of that metric (less those matching only
//!   background flaws); `culprit_true_positives` = planted incidents matched by a detector
//!   incident of that metric naming the planted culprit;
//!   `culprit_precision` = detector incidents of the metric that match a planted incident of
//!   the metric and name its culprit / `detected`; `culprit_recall` =
//!   `culprit_true_positives` / `planted`. The `C` figures score the accomplice (the
//!   culprit's direct upstream, MANRS M1C–M4C): precision over the (detector incident,
//!   accomplice) pairs of correctly blamed incidents, an accomplice being right when the
//!   ground truth lists it among the upstreams that accepted the culprit's announcement;
//!   recall over planted incidents, found when at least one right accomplice is named.
//!   An outage has no accomplice (nobody propagates a withdrawal against policy): its `C`
//!   figures are `null`.
//! * Background: the ground truth's `background` flaws (stale ROAs, incomplete ASPAs) are
//!   deliberate and never false positives: an event on a stale ROA's prefix by the ROA's
//!   AS, an `rpki_invalid` event on a prefix a stale ROA covers (the stale ROA makes it
//!   invalid), a `forged_path` whose origin-side AS has an incomplete ASPA. (Routes that are
//!   invalid from the start are not reported at all: `rpki_invalid` needs a route the
//!   baseline did not have.) Such detector incidents are not counted as detected.

use crate::bogons::{Bogons, Delegations};
use crate::checks::Oracles;
use crate::incidents::{detect_files, DetectorConfig, EventKind, Incident, IncidentReport, Metric};
use routenorms_rpki::{AspaSet, VrpSet};
use routenorms_topology::AsRelationships;
use routenorms_types::Prefix;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A class of planted incident and how the observatory is expected to see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassSpec {
    /// The ground truth's class name.
    pub class: &'static str,
    /// The detector event kinds that find it (empty: no detector).
    pub kinds: &'static [EventKind],
    /// The metric its culprit should move (`None`: not an incident metric).
    pub metric: Option<Metric>,
    /// Why no detector covers it (classes with `kinds` empty).
    pub no_detector: Option<&'static str>,
}

const LEAK: &[EventKind] = &[EventKind::RouteLeak];

/// Every class the simulator plants, in report order (see the module doc).
pub const CLASSES: &[ClassSpec] = &[
    ClassSpec {
        class: "moas",
        kinds: &[EventKind::Moas],
        metric: Some(Metric::Hijack),
        no_detector: None,
    },
    ClassSpec {
        class: "subprefix",
        kinds: &[EventKind::SubMoas],
        metric: Some(Metric::Hijack),
        no_detector: None,
    },
    ClassSpec {
        class: "forged-origin",
        kinds: &[EventKind::ForgedPath],
        metric: Some(Metric::Hijack),
        no_detector: None,
    },
    ClassSpec {
        class: "leak1",
        kinds: LEAK,
        metric: Some(Metric::RouteLeak),
        no_detector: None,
    },
    ClassSpec {
        class: "leak2",
        kinds: LEAK,
        metric: Some(Metric::RouteLeak),
        no_detector: None,
    },
    ClassSpec {
        class: "leak3",
        kinds: LEAK,
        metric: Some(Metric::RouteLeak),
        no_detector: None,
    },
    ClassSpec {
        class: "leak4",
        kinds: LEAK,
        metric: Some(Metric::RouteLeak),
        no_detector: None,
    },
    ClassSpec {
        class: "leak5",
        kinds: &[EventKind::Moas],
        metric: Some(Metric::Hijack),
        no_detector: None,
    },
    ClassSpec {
        class: "leak6",
        kinds: &[EventKind::MoreSpecific],
        metric: Some(Metric::MoreSpecific),
        no_detector: None,
    },
    ClassSpec {
        class: "bogon",
        kinds: &[EventKind::BogonPrefix],
        metric: Some(Metric::BogonPrefix),
        no_detector: None,
    },
    ClassSpec {
        class: "bogon-asn",
        kinds: &[EventKind::BogonAsn],
        metric: Some(Metric::BogonAsn),
        no_detector: None,
    },
    ClassSpec {
        class: "invalid",
        kinds: &[EventKind::RpkiInvalid],
        metric: Some(Metric::RpkiInvalid),
        no_detector: None,
    },
    ClassSpec {
        class: "outage",
        kinds: &[EventKind::Outage],
        metric: Some(Metric::Outage),
        no_detector: None,
    },
];

/// The class spec of a ground-truth class name.
pub fn class_spec(class: &str) -> Option<&'static ClassSpec> {
    CLASSES.iter().find(|c| c.class == class)
}

/// The class an unmatched detection of this kind is counted under.
fn default_class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Moas => "moas",
        EventKind::SubMoas => "subprefix",
        EventKind::RouteLeak => "leak",
        EventKind::BogonPrefix => "bogon",
        EventKind::BogonAsn => "bogon-asn",
        EventKind::ForgedPath => "forged-origin",
        EventKind::RpkiInvalid => "invalid",
        EventKind::MoreSpecific => "leak6",
        EventKind::Outage => "outage",
    }
}

/// The metrics scored, in report order, with their labels: the MANRS filtering metrics
/// M1–M4, then the incident types the observatory reports without scoring them.
pub const METRICS: &[(Metric, &str)] = &[
    (Metric::RouteLeak, "M1 route_leak"),
    (Metric::Hijack, "M2 hijack"),
    (Metric::BogonPrefix, "M3 bogon_prefix"),
    (Metric::BogonAsn, "M4 bogon_asn"),
    (Metric::RpkiInvalid, "rpki_invalid"),
    (Metric::MoreSpecific, "more_specific"),
    (Metric::Outage, "outage"),
];

/// The metric's key in the JSON output.
pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::RouteLeak => "route_leak",
        Metric::Hijack => "hijack",
        Metric::BogonPrefix => "bogon_prefix",
        Metric::BogonAsn => "bogon_asn",
        Metric::RpkiInvalid => "rpki_invalid",
        Metric::MoreSpecific => "more_specific",
        Metric::Outage => "outage",
    }
}

/// Whether the metric names accomplices (an outage has none: nobody propagates it).
fn has_accomplice(m: Metric) -> bool {
    m != Metric::Outage
}

// ----- the ground truth and manifest, as far as they are read here -----

/// `ground-truth.json`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct GroundTruth {
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub rib_before: Option<u32>,
    #[serde(default)]
    pub rib_after: Option<u32>,
    pub incidents: Vec<TruthIncident>,
    #[serde(default)]
    pub background: Background,
}

/// One planted incident.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct TruthIncident {
    pub id: String,
    pub class: String,
    pub culprit_asn: u32,
    #[serde(default)]
    pub culprit_upstream_asn: Option<u32>,
    #[serde(default)]
    pub upstream_asns: Vec<u32>,
    pub prefixes: Vec<Prefix>,
    pub start: u32,
    pub end: u32,
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// Deliberate flaws of the simulated registries.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Background {
    #[serde(default)]
    pub stale_roas: Vec<StaleRoa>,
    /// ASes whose ASPA omits one of their real providers.
    #[serde(default)]
    pub incomplete_aspas: Vec<u32>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct StaleRoa {
    pub asn: u32,
    pub prefix: Prefix,
}

#[derive(Debug, serde::Deserialize)]
struct Manifest {
    files: Vec<ManifestFile>,
    #[serde(default)]
    ground_truth: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct ManifestFile {
    path: String,
    kind: String,
}

/// Why a directory could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason} (line {line}, column {column})")]
    Json {
        path: PathBuf,
        reason: String,
        line: usize,
        column: usize,
    },
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EvalError> {
    let raw = std::fs::read(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&raw).map_err(|e| EvalError::Json {
        path: path.to_path_buf(),
        reason: e.to_string(),
        line: e.line(),
        column: e.column(),
    })
}

/// Reads a ground-truth file.
pub fn read_ground_truth(path: &Path) -> Result<GroundTruth, EvalError> {
    read_json(path)
}

/// Runs the detectors on a simulated directory; returns its ground truth and the report.
pub fn detect_dir(dir: &Path, threads: usize) -> Result<(GroundTruth, IncidentReport), EvalError> {
    let manifest: Manifest = read_json(&dir.join("manifest.json"))?;
    let of_kind = |k: &str| -> Vec<PathBuf> {
        manifest
            .files
            .iter()
            .filter(|f| f.kind == k)
            .map(|f| dir.join(&f.path))
            .collect()
    };
    let truth = read_ground_truth(
        &dir.join(
            manifest
                .ground_truth
                .as_deref()
                .unwrap_or("ground-truth.json"),
        ),
    )?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvalError::Io { path, source }
    };
    let stats = of_kind("rir-stats");
    let stats_refs: Vec<&Path> = stats.iter().map(PathBuf::as_path).collect();
    let delegations = if stats.is_empty() {
        None
    } else {
        Some(Delegations::read_files(&stats_refs).map_err(io(dir))?.0)
    };
    let bogons = Bogons::new(delegations.as_ref(), None);
    let (vrps, aspa) = match of_kind("vrps").first() {
        Some(p) => {
            let payload = routenorms_rpki::load_path(p).map_err(|e| EvalError::Input {
                path: p.clone(),
                reason: e.to_string(),
            })?;
            (
                Some(VrpSet::new(payload.vrps)),
                Some(AspaSet::new(&payload.aspas)),
            )
        }
        None => (None, None),
    };
    let rels = match of_kind("as-rel").first() {
        Some(p) => Some(AsRelationships::read_file(p).map_err(io(p))?.relationships),
        None => None,
    };
    let oracles = Oracles {
        vrps: vrps.as_ref(),
        aspa: aspa.as_ref(),
        relationships: rels.as_ref(),
        ..Oracles::new(&bogons)
    };
    let ribs: Vec<PathBuf> = of_kind("rib-before")
        .into_iter()
        .chain(of_kind("rib-after"))
        .collect();
    let updates = of_kind("updates");
    let rib_refs: Vec<&Path> = ribs.iter().map(PathBuf::as_path).collect();
    let upd_refs: Vec<&Path> = updates.iter().map(PathBuf::as_path).collect();
    let (report, inputs) = detect_files(
        &rib_refs,
        &upd_refs,
        oracles,
        DetectorConfig::default(),
        threads,
    )
    .map_err(io(dir))?;
    if let Some(bad) = inputs
        .iter()
        .find(|i| i.damaged > 0 || i.input_error.is_some())
    {
        return Err(EvalError::Input {
            path: bad.path.clone(),
            reason: format!(
                "{} damaged records{}",
                bad.damaged,
                bad.input_error
                    .as_deref()
                    .map(|e| format!(", {e}"))
                    .unwrap_or_default()
            ),
        });
    }
    Ok((truth, report))
}

// ----- scoring -----

/// One class row.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ClassScore {
    /// Some detector covers the class (`false`: "no detector", figures not meaningful).
    pub detector: bool,
    /// Why no detector covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub planted: u64,
    pub detected: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// One metric row.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct MetricScore {
    /// Planted incidents of detected classes counting on the metric.
    pub planted: u64,
    /// Planted incidents counting on the metric whose class has no detector (not scored).
    pub planted_without_detector: u64,
    /// Detector incidents of the metric.
    pub detected: u64,
    pub culprit_true_positives: u64,
    /// Detector incidents of the metric that match a planted one and name its culprit.
    pub correct_detections: u64,
    pub culprit_precision: Option<f64>,
    pub culprit_recall: Option<f64>,
    /// (incident, accomplice) pairs named on correctly blamed detector incidents.
    pub accomplices_named: u64,
    pub accomplices_right: u64,
    /// Planted incidents with at least one right accomplice named.
    pub accomplice_true_positives: u64,
    pub accomplice_precision: Option<f64>,
    pub accomplice_recall: Option<f64>,
}

/// A detection that matched nothing planted: what to investigate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unmatched {
    pub seed: Option<u64>,
    pub kind: EventKind,
    pub prefix: Prefix,
    pub culprit: u32,
    pub start: u32,
    pub end: u32,
    pub path: String,
}

/// A planted incident (of a detected class) the detectors missed or blamed on another AS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missed {
    pub seed: Option<u64>,
    pub id: String,
    pub class: String,
    /// `not_detected` or `wrong_culprit` (the detected culprits beside it).
    pub what: &'static str,
    pub culprit: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detected_culprits: Vec<u32>,
}

/// The score over one or more seeds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Evaluation {
    pub seeds: u64,
    pub classes: BTreeMap<String, ClassScore>,
    pub metrics: BTreeMap<String, MetricScore>,
    /// Detections that matched neither a planted incident nor a background flaw.
    pub false_positives: Vec<Unmatched>,
    /// Planted incidents missed or blamed on another AS.
    pub misses: Vec<Missed>,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

impl Evaluation {
    /// An empty evaluation with a row for every class and metric.
    pub fn new() -> Evaluation {
        let mut e = Evaluation::default();
        for c in CLASSES {
            e.classes.insert(
                c.class.to_string(),
                ClassScore {
                    detector: !c.kinds.is_empty(),
                    reason: c.no_detector,
                    ..ClassScore::default()
                },
            );
        }
        e.classes.insert(
            "leak".to_string(),
            ClassScore {
                detector: true,
                ..ClassScore::default()
            },
        );
        for (m, _) in METRICS {
            e.metrics
                .insert(metric_name(*m).to_string(), MetricScore::default());
        }
        e
    }

    /// Adds one seed: its ground truth and the detectors' report.
    pub fn add(&mut self, truth: &GroundTruth, report: &IncidentReport) {
        self.seeds += 1;
        let planted: Vec<(&TruthIncident, Option<&'static ClassSpec>)> = truth
            .incidents
            .iter()
            .map(|i| (i, class_spec(&i.class)))
            .collect();
        // Does an event match planted incident `p`?
        let event_matches = |e: &crate::incidents::Event, p: &TruthIncident, spec: &ClassSpec| {
            spec.kinds.contains(&e.kind)
                && p.prefixes.contains(&e.prefix)
                && overlaps((e.start, e.end), (p.start, p.end))
        };
        let bg = &truth.background;
        let background = |e: &crate::incidents::Event| {
            bg.stale_roas.iter().any(|r| {
                (r.prefix == e.prefix && r.asn == e.culprit)
                    || (e.kind == EventKind::RpkiInvalid && r.prefix.covers(&e.prefix))
            }) || (e.kind == EventKind::ForgedPath
                && e.evidence
                    .forged_link
                    .is_some_and(|l| bg.incomplete_aspas.contains(&l.neighbour)))
        };
        // An RPKI-invalid route of a planted incident whose ground truth says it is
        // invalid (say a type-6 leak beyond its ROA's maxLength) is no false positive; nor
        // is the new more-specific an `invalid` plant announces.
        let planted_invalid = |e: &crate::incidents::Event| {
            truth.incidents.iter().any(|p| {
                let also = match e.kind {
                    EventKind::RpkiInvalid => {
                        p.metrics.iter().any(|m| m.starts_with("rov.invalid"))
                    }
                    EventKind::MoreSpecific => p.class == "invalid",
                    _ => false,
                };
                also && p.prefixes.contains(&e.prefix)
                    && overlaps((e.start, e.end), (p.start, p.end))
            })
        };
        // Per planted incident: detector incidents (index) matching it.
        let mut matched_by: Vec<Vec<usize>> = vec![Vec::new(); planted.len()];
        let mut background_only = vec![false; report.incidents.len()];
        for (di, inc) in report.incidents.iter().enumerate() {
            let mut any = false;
            for (pi, (p, spec)) in planted.iter().enumerate() {
                let Some(spec) = spec else { continue };
                if inc.events.iter().any(|e| event_matches(e, p, spec)) {
                    matched_by[pi].push(di);
                    any = true;
                }
            }
            if any {
                continue;
            }
            if inc
                .events
                .iter()
                .all(|e| background(e) || planted_invalid(e))
            {
                background_only[di] = true;
                continue;
            }
            let first = &inc.events[0];
            let row = self
                .classes
                .get_mut(default_class(first.kind))
                .expect("every default class has a row");
            row.false_positives += 1;
            for e in inc
                .events
                .iter()
                .filter(|e| !background(e) && !planted_invalid(e))
            {
                self.false_positives.push(Unmatched {
                    seed: truth.seed,
                    kind: e.kind,
                    prefix: e.prefix,
                    culprit: e.culprit,
                    start: e.start,
                    end: e.end,
                    path: e.evidence.path.clone(),
                });
            }
        }
        // Classes.
        for (pi, (p, spec)) in planted.iter().enumerate() {
            let row = self.classes.entry(p.class.clone()).or_default();
            row.planted += 1;
            let found = !matched_by[pi].is_empty();
            row.true_positives += found as u64;
            if p.class.starts_with("leak") && spec.is_some_and(|s| !s.kinds.is_empty()) {
                let all = self.classes.get_mut("leak").expect("leak row");
                all.planted += 1;
                all.true_positives += found as u64;
            }
            if spec.is_some_and(|s| !s.kinds.is_empty()) && !found {
                self.misses.push(Missed {
                    seed: truth.seed,
                    id: p.id.clone(),
                    class: p.class.clone(),
                    what: "not_detected",
                    culprit: p.culprit_asn,
                    detected_culprits: Vec::new(),
                });
            }
        }
        // Metrics.
        for &(metric, _) in METRICS {
            let row = self
                .metrics
                .get_mut(metric_name(metric))
                .expect("metric row");
            let of_metric = |i: &Incident| i.metric == metric;
            row.detected += report
                .incidents
                .iter()
                .enumerate()
                .filter(|(di, i)| of_metric(i) && !background_only[*di])
                .count() as u64;
            let mut correct: BTreeSet<usize> = BTreeSet::new();
            for (pi, (p, spec)) in planted.iter().enumerate() {
                let Some(spec) = spec else { continue };
                if spec.metric != Some(metric) {
                    continue;
                }
                if spec.kinds.is_empty() {
                    row.planted_without_detector += 1;
                    continue;
                }
                row.planted += 1;
                let mine: Vec<usize> = matched_by[pi]
                    .iter()
                    .copied()
                    .filter(|&di| of_metric(&report.incidents[di]))
                    .collect();
                let blamed: Vec<usize> = mine
                    .iter()
                    .copied()
                    .filter(|&di| report.incidents[di].culprit == p.culprit_asn)
                    .collect();
                if blamed.is_empty() {
                    if !mine.is_empty() {
                        let mut cs: Vec<u32> = mine
                            .iter()
                            .map(|&di| report.incidents[di].culprit)
                            .collect();
                        cs.sort_unstable();
                        cs.dedup();
                        self.misses.push(Missed {
                            seed: truth.seed,
                            id: p.id.clone(),
                            class: p.class.clone(),
                            what: "wrong_culprit",
                            culprit: p.culprit_asn,
                            detected_culprits: cs,
                        });
                    }
                    continue;
                }
                row.culprit_true_positives += 1;
                let mut right_named = false;
                for &di in &blamed {
                    if correct.insert(di) {
                        for a in &report.incidents[di].accomplices {
                            row.accomplices_named += 1;
                            if p.upstream_asns.contains(a) {
                                row.accomplices_right += 1;
                                right_named = true;
                            }
                        }
                    } else {
                        right_named |= report.incidents[di]
                            .accomplices
                            .iter()
                            .any(|a| p.upstream_asns.contains(a));
                    }
                }
                row.accomplice_true_positives += right_named as u64;
            }
            row.correct_detections += correct.len() as u64;
        }
        self.refresh();
    }

    /// Recomputes the ratios from the counts.
    fn refresh(&mut self) {
        for row in self.classes.values_mut() {
            row.detected = row.true_positives + row.false_positives;
            if row.detector {
                row.precision = ratio(row.true_positives, row.detected);
                row.recall = ratio(row.true_positives, row.planted);
            }
        }
        for &(metric, _) in METRICS {
            let Some(row) = self.metrics.get_mut(metric_name(metric)) else {
                continue;
            };
            row.culprit_precision = ratio(row.correct_detections, row.detected);
            row.culprit_recall = ratio(row.culprit_true_positives, row.planted);
            if has_accomplice(metric) {
                row.accomplice_precision = ratio(row.accomplices_right, row.accomplices_named);
                row.accomplice_recall = ratio(row.accomplice_true_positives, row.planted);
            }
        }
    }

    /// Classes in report order ([`CLASSES`], then the `leak` sum).
    pub fn class_rows(&self) -> Vec<(&str, &ClassScore)> {
        CLASSES
            .iter()
            .map(|c| c.class)
            .chain(["leak"])
            .filter_map(|c| self.classes.get_key_value(c))
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }

    /// Metrics in report order ([`METRICS`]) with their MANRS labels.
    pub fn metric_rows(&self) -> Vec<(&'static str, &MetricScore)> {
        METRICS
            .iter()
            .filter_map(|(m, label)| self.metrics.get(metric_name(*m)).map(|r| (*label, r)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::{merge, Event, Evidence};

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    fn planted(
        id: &str,
        class: &str,
        culprit: u32,
        prefix: &str,
        start: u32,
        end: u32,
    ) -> TruthIncident {
        TruthIncident {
            id: id.into(),
            class: class.into(),
            culprit_asn: culprit,
            culprit_upstream_asn: Some(7),
            upstream_asns: vec![7],
            prefixes: vec![p(prefix)],
            start,
            end,
            metrics: Vec::new(),
        }
    }

    fn event(kind: EventKind, prefix: &str, culprit: u32, start: u32, end: u32) -> Event {
        Event {
            kind,
            metric: kind.metric(),
            prefix: p(prefix),
            culprit,
            accomplices: vec![7],
            start,
            end,
            ongoing: false,
            from_start: false,
            peers: Vec::new(),
            evidence: Evidence {
                path: format!("1 7 {culprit}"),
                ..Evidence::default()
            },
            downranked: Vec::new(),
        }
    }

    fn report(events: Vec<Event>) -> IncidentReport {
        IncidentReport {
            incidents: merge(events),
            ..IncidentReport::default()
        }
    }

    /// The matching rule: kind of the class, prefix of the incident, overlapping time; the
    /// culprit scored apart; what matches nothing is a false positive of its kind's class;
    /// a type-6 leak is found by a new more-specific and scored on that metric.
    #[test]
    fn detections_match_by_kind_prefix_and_time_and_culprits_are_scored_apart() {
        let truth = GroundTruth {
            seed: Some(3),
            rib_before: None,
            rib_after: None,
            incidents: vec![
                planted("I1", "moas", 100, "11.0.0.0/24", 1000, 2000),
                planted("I2", "leak1", 200, "11.1.0.0/24", 1000, 2000),
                planted("I3", "subprefix", 300, "11.2.0.0/24", 1000, 2000),
                planted("I4", "leak6", 400, "11.3.0.0/24", 1000, 2000),
                planted("I5", "leak5", 500, "11.5.0.0/24", 1000, 2000),
            ],
            background: Background {
                stale_roas: vec![StaleRoa {
                    asn: 900,
                    prefix: p("11.9.0.0/24"),
                }],
                incomplete_aspas: Vec::new(),
            },
        };
        let r = report(vec![
            // Found, right culprit.
            event(EventKind::Moas, "11.0.0.0/24", 100, 1500, 2500),
            // Found (prefix and time), wrong culprit.
            event(EventKind::RouteLeak, "11.1.0.0/24", 201, 1999, 3000),
            // Right prefix, but after the incident ended: no match, a false positive.
            event(EventKind::SubMoas, "11.2.0.0/24", 300, 2001, 3000),
            // A re-origination shows as a MOAS.
            event(EventKind::Moas, "11.5.0.0/24", 500, 1000, 1000),
            // Background: legitimate.
            event(EventKind::Moas, "11.9.0.0/24", 900, 1000, 1100),
            // The type-6 leak's more-specific, by its culprit.
            event(EventKind::MoreSpecific, "11.3.0.0/24", 400, 1200, 1300),
            // A new more-specific nothing planted: a false positive of `leak6`.
            event(EventKind::MoreSpecific, "11.7.0.0/24", 700, 1200, 1300),
        ]);
        let mut e = Evaluation::new();
        e.add(&truth, &r);
        let c = &e.classes;
        assert_eq!(
            (
                c["moas"].planted,
                c["moas"].true_positives,
                c["moas"].false_positives
            ),
            (1, 1, 0)
        );
        assert_eq!(
            (c["moas"].precision, c["moas"].recall),
            (Some(1.0), Some(1.0))
        );
        assert_eq!(
            (c["leak1"].true_positives, c["leak1"].recall),
            (1, Some(1.0))
        );
        assert_eq!(
            (c["leak5"].true_positives, c["leak5"].recall),
            (1, Some(1.0))
        );
        let s = &c["subprefix"];
        assert_eq!(
            (s.planted, s.detected, s.true_positives, s.false_positives),
            (1, 1, 0, 1)
        );
        assert_eq!((s.precision, s.recall), (Some(0.0), Some(0.0)));
        assert!(c["leak6"].detector && c["leak6"].reason.is_none());
        assert_eq!(
            (
                c["leak6"].true_positives,
                c["leak6"].false_positives,
                c["leak6"].precision
            ),
            (1, 1, Some(0.5))
        );
        assert!(c["outage"].detector && c["outage"].reason.is_none());
        assert_eq!((c["leak"].planted, c["leak"].true_positives), (3, 3));
        let m = &e.metrics;
        assert_eq!(
            (
                m["route_leak"].planted,
                m["route_leak"].detected,
                m["route_leak"].culprit_true_positives
            ),
            (1, 1, 0)
        );
        assert_eq!(m["route_leak"].culprit_precision, Some(0.0));
        assert_eq!(
            (
                m["hijack"].planted,
                m["hijack"].detected,
                m["hijack"].culprit_true_positives
            ),
            (3, 3, 2)
        );
        assert_eq!(m["hijack"].accomplice_precision, Some(1.0));
        assert_eq!(
            (
                m["more_specific"].planted,
                m["more_specific"].detected,
                m["more_specific"].culprit_recall
            ),
            (1, 2, Some(1.0))
        );
        let fps: Vec<_> = e.false_positives.iter().map(|f| f.prefix).collect();
        assert_eq!(fps, [p("11.2.0.0/24"), p("11.7.0.0/24")]);
        let misses: Vec<_> = e.misses.iter().map(|m| (m.id.as_str(), m.what)).collect();
        assert_eq!(misses, [("I3", "not_detected"), ("I2", "wrong_culprit")]);
    }

    #[test]
    fn the_ground_truth_json_reads_with_unknown_fields_ignored() {
        let raw = r#"{"seed": 4, "rib_before": 10, "rib_after": 20, "background":
            {"stale_roas": [{"asn": 1, "prefix": "10.0.0.0/8"}], "irr": {}},
            "incidents": [{"id": "I1", "class": "moas", "culprit_asn": 5,
            "culprit_upstream_asn": 6, "upstream_asns": [6], "prefixes": ["11.0.0.0/24"],
            "start": 11, "end": 19, "metrics": ["hijack.exact-prefix"], "visible_in": []}]}"#;
        let t: GroundTruth = serde_json::from_str(raw).unwrap();
        assert_eq!((t.seed, t.incidents.len()), (Some(4), 1));
        assert_eq!(t.incidents[0].prefixes, [p("11.0.0.0/24")]);
        assert_eq!(t.background.stale_roas[0].asn, 1);
        assert!(serde_json::from_str::<GroundTruth>(r#"{"incidents": [{"id": 1}]}"#).is_err());
    }

    fn event_with(kind: EventKind, prefix: &str, culprit: u32, accomplices: Vec<u32>) -> Event {
        Event {
            kind,
            metric: kind.metric(),
            prefix: p(prefix),
            culprit,
            accomplices,
            start: 1500,
            end: 1600,
            ongoing: false,
            from_start: false,
            peers: Vec::new(),
            evidence: Evidence {
                path: String::new(),
                ..Evidence::default()
            },
            downranked: Vec::new(),
        }
    }

    fn truth_with(incidents: Vec<TruthIncident>, stale: Vec<StaleRoa>) -> GroundTruth {
        GroundTruth {
            seed: Some(1),
            rib_before: None,
            rib_after: None,
            incidents,
            background: Background {
                stale_roas: stale,
                incomplete_aspas: Vec::new(),
            },
        }
    }

    fn planted_with(
        id: &str,
        class: &str,
        culprit: u32,
        prefix: &str,
        metrics: &[&str],
    ) -> TruthIncident {
        TruthIncident {
            id: id.into(),
            class: class.into(),
            culprit_asn: culprit,
            culprit_upstream_asn: Some(7),
            upstream_asns: vec![7],
            prefixes: vec![p(prefix)],
            start: 1000,
            end: 2000,
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
        }
    }

    /// The new kinds score their classes and metrics; an RPKI-invalid detection of a planted
    /// type-6 leak the ground truth calls invalid, or of a prefix a stale ROA covers, is
    /// neither right nor wrong, and so is a new-more-specific detection of an `invalid`
    /// plant; an invalid of anything else is a false positive of `invalid`; outages have no
    /// accomplice figures.
    #[test]
    fn forged_paths_invalid_routes_and_outages_are_scored_and_explained_invalids_are_not_false_positives(
    ) {
        let t = truth_with(
            vec![
                planted_with(
                    "I1",
                    "forged-origin",
                    100,
                    "11.0.0.0/24",
                    &["hijack.forged-origin"],
                ),
                planted_with("I2", "invalid", 200, "11.1.0.0/24", &["rov.invalid-length"]),
                planted_with(
                    "I3",
                    "outage",
                    300,
                    "11.2.0.0/24",
                    &["visibility.withdrawn"],
                ),
                planted_with(
                    "I4",
                    "leak6",
                    400,
                    "11.3.0.0/24",
                    &["route-leak", "rov.invalid-length"],
                ),
            ],
            vec![StaleRoa {
                asn: 9,
                prefix: p("11.9.0.0/16"),
            }],
        );
        let r = IncidentReport {
            incidents: merge(vec![
                event_with(EventKind::ForgedPath, "11.0.0.0/24", 100, vec![7]),
                event_with(EventKind::RpkiInvalid, "11.1.0.0/24", 200, vec![7]),
                event_with(EventKind::Outage, "11.2.0.0/24", 300, Vec::new()),
                event_with(EventKind::MoreSpecific, "11.3.0.0/24", 400, vec![7]),
                // Explained by the ground truth (I4, I2) and by the background.
                event_with(EventKind::RpkiInvalid, "11.3.0.0/24", 400, vec![7]),
                event_with(EventKind::MoreSpecific, "11.1.0.0/24", 200, vec![7]),
                event_with(EventKind::RpkiInvalid, "11.9.1.0/24", 500, vec![7]),
                // Nothing planted there: a false positive of `invalid`.
                event_with(EventKind::RpkiInvalid, "11.8.0.0/24", 600, vec![7]),
            ]),
            ..IncidentReport::default()
        };
        let mut e = Evaluation::new();
        e.add(&t, &r);
        let c = &e.classes;
        for class in ["forged-origin", "outage"] {
            assert_eq!(
                (
                    c[class].true_positives,
                    c[class].false_positives,
                    c[class].recall
                ),
                (1, 0, Some(1.0)),
                "{class}"
            );
        }
        let inv = &c["invalid"];
        assert_eq!(
            (inv.true_positives, inv.false_positives, inv.precision),
            (1, 1, Some(0.5))
        );
        assert_eq!(e.false_positives.len(), 1);
        assert_eq!(e.false_positives[0].prefix, p("11.8.0.0/24"));
        let m = &e.metrics;
        assert_eq!(
            (m["hijack"].planted, m["hijack"].culprit_recall),
            (1, Some(1.0))
        );
        assert_eq!(
            (
                m["rpki_invalid"].detected,
                m["rpki_invalid"].correct_detections
            ),
            (2, 1)
        );
        assert_eq!(c["leak6"].false_positives, 0);
        assert_eq!(
            (
                m["more_specific"].detected,
                m["more_specific"].culprit_recall
            ),
            (1, Some(1.0))
        );
        assert_eq!(m["outage"].culprit_precision, Some(1.0));
        assert_eq!(
            (
                m["outage"].accomplice_precision,
                m["outage"].accomplice_recall
            ),
            (None, None)
        );
        assert!(e.misses.is_empty());
    }
}
