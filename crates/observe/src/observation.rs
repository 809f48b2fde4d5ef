//! One observation run: a RIB snapshot (and optional update streams) classified, incidents
//! detected, every ASN scored and rolled up, with the inputs and their dates — the report
//! model `routenorms observe` stores and `routenorms report` prints. Loading the reference
//! data (VRPs, IRR, relationships, …) is the caller's; this module is handed the oracles.

use crate::bogons::Delegations;
use crate::checks::Oracles;
use crate::classify::{
    AspaCounts, InputFile, RibClassification, RibClassifier, RpkiCounts, Summary,
};
use crate::contacts::Contacts;
use crate::incidents::{
    detect_files_sharing, DetectorConfig, FilesAhead, IncidentCounts, IncidentReport,
};
use crate::metrics::{
    asn_cards, incident_evidence, rollups, AsnCard, AsnContext, AsnFacts, MetricInputs,
    MetricsConfig, Rollup,
};
use crate::spoofer::SpooferResults;
use routenorms_mrt::routes::RouteEntry;
use routenorms_topology::CustomerCones;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// One input file of a run: what kind of data, where, of when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputInfo {
    /// `rib`, `updates`, `vrps`, `aspa`, `irr`, `asrel`, `cones`, `rir`, `bogons`,
    /// `peeringdb`, `spoofer`.
    pub kind: String,
    pub path: String,
    /// The data's own date where it states one (dump time, build time, file date line),
    /// `YYYY-MM-DD` or an RFC 3339 time; `null` when the file does not say.
    pub date: Option<String>,
    /// Records read (entries, VRPs, objects, lines).
    pub records: u64,
    /// Records damaged and skipped.
    pub damaged: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a Unix time.
pub fn utc_time(secs: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The calendar month (`YYYY-MM`) of a Unix time.
pub fn month_of(secs: u32) -> String {
    utc_time(secs)[..7].to_string()
}

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y, m, d)
}

fn mrt_input(kind: &str, f: &InputFile) -> InputInfo {
    InputInfo {
        kind: kind.to_string(),
        path: f.path.display().to_string(),
        date: f.first_time.map(utc_time),
        records: f.entries,
        damaged: f.damaged,
        note: f.input_error.clone(),
    }
}

/// RFC 6811 figures over every distinct (prefix, origin) pair, AS_SET routes apart.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RpkiFigures {
    pub valid: u64,
    pub invalid: u64,
    pub not_found: u64,
    pub valid_share: f64,
    pub invalid_share: f64,
    pub not_found_share: f64,
    /// Routes whose path ends in an AS_SET (origin NONE), counted apart.
    pub as_set: RpkiCounts,
}

/// The global report: what went in, what the routing table looked like, and the scores.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GlobalReport {
    pub period: String,
    pub inputs: Vec<InputInfo>,
    /// First and last record time of the MRT data.
    pub data_start: Option<String>,
    pub data_end: Option<String>,
    /// The visibility threshold (distinct peer ASNs) for scoring.
    pub min_peers: u32,
    /// ASNs with a report card (origins and incident parties) and those scored.
    pub asns_seen: u64,
    pub asns_scored: u64,
    pub entries: u64,
    pub peers: u64,
    /// Distinct (prefix, origin) pairs with a sequence origin, and those ending in an AS_SET.
    pub routes: u64,
    pub as_set_routes: u64,
    pub prefixes: u64,
    pub rpki: Option<RpkiFigures>,
    pub aspa: Option<AspaCounts>,
    /// Routes per IRR status (`match`, `covered`, `mismatch`, `not-registered`, …).
    pub irr: Option<BTreeMap<&'static str, u64>>,
    /// Routes (distinct prefix, origin) with a bogon prefix, and distinct bogon prefixes.
    pub bogon_prefixes: u64,
    pub bogon_prefixes_distinct: u64,
    /// Routes with a bogon ASN in any of their paths, and distinct bogon ASNs seen.
    pub bogon_asns: u64,
    pub bogon_asns_distinct: u64,
    /// Routes with a path that leaks (`null` without relationships).
    pub leaking_routes: Option<u64>,
    pub incidents: IncidentCounts,
    pub scores: Rollup,
    /// The heaviest incidents (by weight, then order).
    pub top_incidents: Vec<serde_json::Value>,
}

/// Everything one run found.
#[derive(Debug)]
pub struct Observation {
    pub global: GlobalReport,
    /// The span of the routing data read (Unix seconds).
    pub data_start: Option<u32>,
    pub data_end: Option<u32>,
    pub cards: Vec<AsnCard>,
    pub countries: Vec<Rollup>,
    pub regions: Vec<Rollup>,
    pub classification: RibClassification,
    pub incidents: IncidentReport,
}

/// The stages a run goes through, for progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading the MRT files once (`done` of `total` RIB files): every RIB entry feeds both
    /// the classification and the incident detector; updates go to the detector.
    Read,
    /// Checking each distinct path and giving every route its verdicts.
    Classify,
    /// Scoring ASNs and rolling up.
    Metrics,
}

/// Batches waiting for the classifier thread at most.
const CLASSIFY_QUEUE: usize = 8;

/// What a run reads besides the oracles.
#[derive(Clone, Copy, Debug)]
pub struct RunInputs<'a> {
    pub ribs: &'a [&'a Path],
    pub updates: &'a [&'a Path],
    pub contacts: Option<&'a Contacts>,
    pub spoofer: Option<&'a SpooferResults>,
    pub delegations: Option<&'a Delegations>,
    pub cones: Option<&'a CustomerCones>,
    /// Keep which peers carried each route (a shard stores them).
    pub keep_peers: bool,
    /// The MRT files already being read, started on `ribs` and `updates`; `None` reads
    /// them here.
    pub ahead: Option<&'a FilesAhead>,
}

/// Runs the observation: classification, incidents, metrics and roll-ups. `inputs` lists
/// the non-MRT inputs (the MRT ones are added from what was read). `progress(stage, done,
/// total)` is called as work advances.
pub fn observe(
    files: RunInputs<'_>,
    oracles: Oracles<'_>,
    mut inputs: Vec<InputInfo>,
    cfg: &MetricsConfig,
    threads: usize,
    progress: &dyn Fn(Stage, u64, u64),
) -> io::Result<Observation> {
    let total = files.ribs.len() as u64;
    let classifier = RibClassifier::new().keep_peers(files.keep_peers);
    let (mut current, mut done) = (None::<usize>, 0u64);
    progress(Stage::Read, 0, total);
    let mut on_file = |file: usize| {
        if current != Some(file) {
            if current.is_some() {
                done += 1;
                progress(Stage::Read, done, total);
            }
            current = Some(file);
        }
    };
    let detect = |sink: &mut dyn FnMut(usize, Vec<RouteEntry>)| {
        detect_files_sharing(
            files.ribs,
            files.updates,
            oracles,
            DetectorConfig::default(),
            threads,
            files.ahead,
            sink,
        )
    };
    let ((incidents, read), mut classifier) = if threads > 1 {
        // The classifier takes each batch on a thread of its own once the detector is
        // done with it: the two share no state.
        std::thread::scope(|s| -> io::Result<_> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RouteEntry>>(CLASSIFY_QUEUE);
            let worker = s.spawn(move || {
                let mut c = classifier;
                for batch in rx {
                    for e in &batch {
                        c.add(e);
                    }
                }
                c
            });
            let detected = detect(&mut |file, batch| {
                on_file(file);
                // A send fails only when the worker died; its panic surfaces at the join.
                let _ = tx.send(batch);
            });
            drop(tx);
            let classifier = worker.join().expect("the classifier thread panicked");
            Ok((detected?, classifier))
        })?
    } else {
        let mut c = classifier;
        let detected = detect(&mut |file, batch| {
            on_file(file);
            for e in &batch {
                c.add(e);
            }
        })?;
        (detected, c)
    };
    progress(Stage::Read, total, total);
    // The RIB files' records, in the order they were given (the detector reads them in
    // dump-time order and lists the update files after them).
    let mut rib_reads: Vec<&InputFile> = read.iter().take(files.ribs.len()).collect();
    for p in files.ribs {
        if let Some(i) = rib_reads.iter().position(|f| f.path.as_path() == *p) {
            classifier.add_input(rib_reads.remove(i).clone());
        }
    }
    progress(Stage::Classify, 0, 1);
    let classification = classifier.finish(&oracles, threads);
    progress(Stage::Classify, 1, 1);
    progress(Stage::Metrics, 0, 1);
    let mut all_inputs: Vec<InputInfo> = classification
        .inputs
        .iter()
        .map(|f| mrt_input("rib", f))
        .collect();
    all_inputs.extend(
        read.iter()
            .skip(files.ribs.len())
            .map(|f| mrt_input("updates", f)),
    );
    all_inputs.append(&mut inputs);
    let times = read
        .iter()
        .flat_map(|f| [f.first_time, f.last_time])
        .flatten();
    let (start, end) = times.fold((None::<u32>, None::<u32>), |(a, b), t| {
        (
            Some(a.map_or(t, |a| a.min(t))),
            Some(b.map_or(t, |b| b.max(t))),
        )
    });
    let (global, cards, countries, regions) = assemble(
        &Assembly {
            summary: &classification.summary,
            facts: &AsnFacts::of(&classification),
            incidents: &incidents,
            contacts: files.contacts,
            spoofer: files.spoofer,
            delegations: files.delegations,
            cones: files.cones,
            contexts: None,
            data_start: start,
            data_end: end,
        },
        all_inputs,
        cfg,
    );
    progress(Stage::Metrics, 1, 1);
    Ok(Observation {
        global,
        data_start: start,
        data_end: end,
        cards,
        countries,
        regions,
        classification,
        incidents,
    })
}

/// What the reports of a period are assembled from — by [`observe`] from what it read, or
/// from what several shards stored.
#[derive(Clone, Copy, Debug)]
pub struct Assembly<'a> {
    pub summary: &'a Summary,
    pub facts: &'a AsnFacts,
    pub incidents: &'a IncidentReport,
    pub contacts: Option<&'a Contacts>,
    pub spoofer: Option<&'a SpooferResults>,
    pub delegations: Option<&'a Delegations>,
    pub cones: Option<&'a CustomerCones>,
    /// Per ASN, card parts stored by shards: they replace what `contacts`, `spoofer`,
    /// `delegations` and `cones` would give.
    pub contexts: Option<&'a BTreeMap<u32, AsnContext>>,
    /// The span of the routing data read (Unix seconds).
    pub data_start: Option<u32>,
    pub data_end: Option<u32>,
}

/// Scores every ASN, rolls the scores up, and builds the global report; `inputs` lists
/// every input (MRT ones first).
pub fn assemble(
    a: &Assembly<'_>,
    inputs: Vec<InputInfo>,
    cfg: &MetricsConfig,
) -> (GlobalReport, Vec<AsnCard>, Vec<Rollup>, Vec<Rollup>) {
    let incidents = a.incidents;
    let mut cards = asn_cards(
        &MetricInputs {
            facts: a.facts,
            incidents,
            contacts: a.contacts,
            spoofer: a.spoofer,
            delegations: a.delegations,
            cones: a.cones,
        },
        cfg,
    );
    if let Some(contexts) = a.contexts {
        for card in &mut cards {
            if let Some(c) = contexts.get(&card.asn) {
                c.apply(card);
            }
        }
    }
    let (global_rollup, countries, regions) = rollups(&cards, &cfg.period);
    let s = a.summary;
    let rpki = s.rpki.map(|c| {
        let n = (c.valid + c.invalid + c.not_found).max(1) as f64;
        let share = |x: u64| (x as f64 / n * 1e4).round() / 1e4;
        RpkiFigures {
            valid: c.valid,
            invalid: c.invalid,
            not_found: c.not_found,
            valid_share: share(c.valid),
            invalid_share: share(c.invalid),
            not_found_share: share(c.not_found),
            as_set: s.rpki_as_set.unwrap_or_default(),
        }
    });
    let mut order: Vec<usize> = (0..incidents.incidents.len()).collect();
    order.sort_by(|&a, &b| {
        incidents.incidents[b]
            .weight
            .total_cmp(&incidents.incidents[a].weight)
            .then(a.cmp(&b))
    });
    let top_incidents = order
        .iter()
        .take(crate::metrics::EVIDENCE_ITEMS)
        .map(|&i| incident_evidence(i + 1, &incidents.incidents[i]))
        .collect();
    let global = GlobalReport {
        period: cfg.period.clone(),
        inputs,
        data_start: a.data_start.map(utc_time),
        data_end: a.data_end.map(utc_time),
        min_peers: cfg.min_peers,
        asns_seen: cards.len() as u64,
        asns_scored: cards.iter().filter(|c| c.scored).count() as u64,
        entries: s.entries,
        peers: s.peers,
        routes: s.routes,
        as_set_routes: s.as_set_routes,
        prefixes: s.prefixes,
        rpki,
        aspa: s.aspa,
        irr: s.irr.clone(),
        bogon_prefixes: s.bogon_prefixes,
        bogon_prefixes_distinct: s.bogon_prefixes_distinct,
        bogon_asns: s.bogon_asns,
        bogon_asns_distinct: s.bogon_asns_distinct.len() as u64,
        leaking_routes: s.leaking_routes,
        incidents: incidents.counts,
        scores: global_rollup,
        top_incidents,
    };
    (global, cards, countries, regions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_become_utc_dates_and_months() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(1_622_419_200), "2021-05-31 00:00:00");
        assert_eq!(utc_time(951_782_399), "2000-02-28 23:59:59");
        assert_eq!(utc_time(951_782_400 + 86_399), "2000-02-29 23:59:59");
        assert_eq!(month_of(1_764_547_200), "2025-12");
    }
}
