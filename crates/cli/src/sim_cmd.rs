//! `routenorms sim generate`: a deterministic simulated Internet written in the real formats;
//! `routenorms sim evaluate`: precision and recall of the observatory's incident detectors
//! against the simulator's ground truth over many seeds (the matching and scoring live in
//! `routenorms_observe::evaluate`).

use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use routenorms_observe::evaluate::{detect_dir, Evaluation};
use routenorms_sim::{Config, IncidentSpec, Progress, Scale};
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Generate a simulated Internet: MRT RIBs (before and after the incidents) and update
    /// files per route collector, rpki-client VRP JSON with ASPAs, RPSL dumps, CAIDA as-rel
    /// and ppdc-ases, RIR delegated-extended statistics, PeeringDB and Spoofer-like JSON, a
    /// ground truth of the planted incidents and a manifest of every file.
    ///
    /// The output is a pure function of the options: the same options give byte-identical
    /// files. The defaults (--scale small) take seconds; --scale internet (75,000 ASes,
    /// 1,000,000 IPv4 and 200,000 IPv6 prefixes, 20 collectors with 300 peers) takes minutes.
    Generate(GenerateArgs),
    /// Measure the incident detectors on simulated Internets: generate --seeds Internets
    /// (seeds --first-seed, --first-seed + 1, ...) in a temporary directory, run the
    /// detectors on each (RIBs before and after and the update files of every collector;
    /// VRPs and ASPAs, AS relationships and RIR statistics for the bogons from the same
    /// directory),
    /// match what they report with the planted ground truth and print precision and recall
    /// per incident class and, per MANRS metric, of the culprit (and accomplice) ASN.
    ///
    /// Matching: a detected event matches a planted incident when its kind is one that
    /// detects the incident's class, its prefix is one of the incident's prefixes and its
    /// time overlaps the incident's [start, end]; the culprit is scored apart, per metric.
    /// Classes: moas (moas events), subprefix (sub_moas), forged-origin (forged_path: an
    /// adjacency neither the relationships nor ASPA allow), leak1..leak4 (route_leak), leak5
    /// re-origination (moas: a new origin, as a hijack looks), bogon (bogon_prefix),
    /// bogon-asn (bogon_asn), invalid (rpki_invalid), outage (outage), leak6 internal
    /// more-specifics (more_specific: a new more-specific of the origin's own prefix,
    /// reported but counted by no MANRS metric, since BGP data does not tell it from
    /// traffic engineering). A detector incident matching nothing planted (and no
    /// background flaw of the ground truth) is a false positive of the class its kind
    /// stands for (`leak` for route leaks: the row summing leak1..leak6).
    ///
    /// JSON (--format json): {"seeds": N, "first_seed": S, "config": {...}, "classes":
    /// {CLASS: {"detector": bool, "reason" (without detector), "planted", "detected",
    /// "true_positives", "false_positives", "precision", "recall"}}, "metrics": {"route_leak"
    /// | "hijack" | "bogon_prefix" | "bogon_asn" (MANRS M1-M4) | "rpki_invalid" |
    /// "more_specific" | "outage" (reported, not MANRS metrics): {"planted", "planted_without_detector", "detected",
    /// "culprit_true_positives", "correct_detections", "culprit_precision",
    /// "culprit_recall", "accomplices_named", "accomplices_right",
    /// "accomplice_true_positives", "accomplice_precision", "accomplice_recall"}},
    /// "false_positives": [{"seed", "kind", "prefix", "culprit", "start", "end", "path"}],
    /// "misses": [{"seed", "id", "class", "what", "culprit", "detected_culprits"}]}.
    /// precision = true_positives / detected, recall = true_positives / planted; a ratio
    /// with a zero denominator (or a class without detector) is null. Culprit precision =
    /// correct_detections / detected, culprit recall = culprit_true_positives / planted;
    /// outages name no accomplice (its figures null).
    Evaluate(EvaluateArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// 1,000 ASes, 10,000 IPv4 + 2,000 IPv6 prefixes, 3 collectors, 20 peers.
    Small,
    /// 75,000 ASes, 1,000,000 IPv4 + 200,000 IPv6 prefixes, 20 collectors, 300 peers.
    Internet,
}

/// What to simulate (shared by generate and evaluate).
#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Preset sizes; --ases, --prefixes, --prefixes6, --collectors and --peers override them.
    #[arg(long, value_enum, default_value_t = ScaleArg::Small)]
    scale: ScaleArg,
    /// Autonomous systems.
    #[arg(long, value_name = "N")]
    ases: Option<usize>,
    /// Announced IPv4 prefixes (approximate).
    #[arg(long, value_name = "N")]
    prefixes: Option<usize>,
    /// Announced IPv6 prefixes (approximate).
    #[arg(long, value_name = "N")]
    prefixes6: Option<usize>,
    /// Route collectors (even ones RIS-style rrcNN with gzip files, odd ones RouteViews-style
    /// with bzip2 files unless --no-bzip2).
    #[arg(long, value_name = "N")]
    collectors: Option<usize>,
    /// ASes feeding the collectors (sessions for IPv4 and, where they have it, IPv6).
    #[arg(long, value_name = "N")]
    peers: Option<usize>,
    /// Incidents to plant: KIND=N[,KIND=N...] or `none`. Kinds: moas, subprefix,
    /// forged-origin, leak (RFC 7908 types 1-6 in turn), leak1..leak6, bogon, bogon-asn,
    /// invalid, outage.
    #[arg(long, value_name = "SPEC", default_value = routenorms_sim::DEFAULT_INCIDENTS)]
    incidents: String,
    /// Write every file with gzip (bzip2 is single-threaded; the internet scale uses gzip).
    #[arg(long)]
    no_bzip2: bool,
    /// Worker threads (default: the number of CPUs). The output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl SizeArgs {
    fn config(&self, seed: u64) -> Result<Config> {
        let scale = match self.scale {
            ScaleArg::Small => Scale::Small,
            ScaleArg::Internet => Scale::Internet,
        };
        let mut cfg = Config::new(scale, seed);
        if let Some(n) = self.ases {
            cfg.ases = n;
        }
        if let Some(n) = self.prefixes {
            cfg.prefixes_v4 = n;
        }
        if let Some(n) = self.prefixes6 {
            cfg.prefixes_v6 = n;
        }
        if let Some(n) = self.collectors {
            cfg.collectors = n;
        }
        if let Some(n) = self.peers {
            cfg.peers = n;
        }
        if let Some(n) = self.threads {
            cfg.threads = n.max(1);
        }
        if self.no_bzip2 {
            cfg.bzip2 = false;
        }
        cfg.incidents = self
            .incidents
            .parse::<IncidentSpec>()
            .map_err(|e| anyhow::anyhow!("--incidents: {e}"))?;
        Ok(cfg)
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory (created; existing files of the same names are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    size: SizeArgs,
    /// Never draw a progress bar (it is drawn only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Number of simulated Internets (seeds).
    #[arg(long, value_name = "N", default_value_t = 20)]
    seeds: u64,
    /// The first seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    first_seed: u64,
    #[command(flatten)]
    size: SizeArgs,
    /// Keep the generated directories under DIR (DIR/seed-S) instead of a temporary
    /// directory deleted at the end.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Never draw a progress bar (it is drawn only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
}

pub fn run(cmd: SimCommand) -> Result<Outcome> {
    match cmd {
        SimCommand::Generate(a) => generate(a),
        SimCommand::Evaluate(a) => evaluate(a),
    }
}

fn generate(a: GenerateArgs) -> Result<Outcome> {
    let cfg = a.size.config(a.seed)?;
    let started = Instant::now();
    let bar: Option<ProgressBar> = (!a.no_progress && io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    });
    // (stage, when it began), for the timings in the summary line.
    let stages: Mutex<Vec<(&'static str, Instant)>> = Mutex::new(Vec::new());
    let progress = |p: Progress| {
        let mut st = stages.lock().expect("not poisoned");
        if st.last().is_none_or(|l| l.0 != p.stage) {
            st.push((p.stage, Instant::now()));
            if let Some(b) = &bar {
                b.set_message(p.stage);
                b.set_length(p.total);
            }
        }
        if let Some(b) = &bar {
            b.set_position(p.done);
        }
    };
    let manifest = routenorms_sim::generate(&cfg, &a.out, &progress)
        .with_context(|| format!("generating into {}", a.out.display()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let entries: u64 = manifest
        .files
        .iter()
        .filter(|f| f.format == "mrt")
        .map(|f| f.count)
        .sum();
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    let st = stages.into_inner().expect("not poisoned");
    let end = Instant::now();
    let timings: Vec<String> = st
        .iter()
        .enumerate()
        .map(|(i, (name, t))| {
            let next = st.get(i + 1).map_or(end, |n| n.1);
            format!("{name} {:.1} s", (next - *t).as_secs_f64())
        })
        .collect();
    eprintln!(
        "routenorms: {} ASes, {} IPv4 + {} IPv6 prefixes, {} collector peers, {} incidents; \
         {} files ({:.1} MB, {} MRT entries) in {} ({:.1} s: {})",
        manifest.counts["ases"],
        manifest.counts["prefixes_v4"],
        manifest.counts["prefixes_v6"],
        manifest.counts["collector_peers"],
        manifest.incidents,
        manifest.files.len(),
        bytes as f64 / 1e6,
        entries,
        a.out.display(),
        started.elapsed().as_secs_f64(),
        timings.join(", ")
    );
    Ok(Outcome::Clean)
}

/// A directory removed when dropped (unless kept).
struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn evaluate(a: EvaluateArgs) -> Result<Outcome> {
    if !matches!(a.format, OutputFormat::Table | OutputFormat::Json) {
        anyhow::bail!("--format: sim evaluate prints table or json");
    }
    // Check the size options once, before any work.
    let first_cfg = a.size.config(a.first_seed)?;
    let work = match &a.keep {
        Some(dir) => WorkDir {
            path: dir.clone(),
            keep: true,
        },
        None => WorkDir {
            path: std::env::temp_dir().join(format!(
                "routenorms-sim-evaluate-{}-{}",
                std::process::id(),
                a.first_seed
            )),
            keep: false,
        },
    };
    std::fs::create_dir_all(&work.path)
        .with_context(|| format!("cannot create {}", work.path.display()))?;
    let bar: Option<ProgressBar> = (!a.no_progress && io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::with_draw_target(Some(a.seeds), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("seeds [{bar:30}] {pos}/{len} {elapsed} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    });
    let started = Instant::now();
    let mut eval = Evaluation::new();
    for seed in a.first_seed..a.first_seed.saturating_add(a.seeds) {
        let cfg = a.size.config(seed)?;
        let dir = work.path.join(format!("seed-{seed}"));
        routenorms_sim::generate(&cfg, &dir, &|_| {})
            .with_context(|| format!("generating seed {seed} into {}", dir.display()))?;
        let (truth, report) = detect_dir(&dir, cfg.threads)
            .with_context(|| format!("detecting incidents in {}", dir.display()))?;
        eval.add(&truth, &report);
        if !work.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    match a.format {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(&eval)?;
            v["first_seed"] = a.first_seed.into();
            v["config"] = serde_json::json!({
                "ases": first_cfg.ases,
                "prefixes_v4": first_cfg.prefixes_v4,
                "prefixes_v6": first_cfg.prefixes_v6,
                "collectors": first_cfg.collectors,
                "peers": first_cfg.peers,
                "incidents": a.size.incidents,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => print_table(&eval, &a, &first_cfg, elapsed),
    }
    if let Some(k) = &a.keep {
        eprintln!("routenorms: generated directories kept in {}", k.display());
    }
    Ok(Outcome::Clean)
}

fn fig(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.3}"))
}

fn print_table(eval: &Evaluation, a: &EvaluateArgs, cfg: &Config, secs: f64) {
    println!(
        "sim evaluate: {} seeds ({}..{}), {} ASes, {} IPv4 + {} IPv6 prefixes, {} collectors, \
         {} peers, incidents {} ({secs:.1} s)",
        eval.seeds,
        a.first_seed,
        a.first_seed + eval.seeds.saturating_sub(1),
        cfg.ases,
        cfg.prefixes_v4,
        cfg.prefixes_v6,
        cfg.collectors,
        cfg.peers,
        a.size.incidents,
    );
    println!();
    println!(
        "{:<14} {:>8} {:>9} {:>5} {:>5} {:>10} {:>8}",
        "class", "planted", "detected", "tp", "fp", "precision", "recall"
    );
    let mut no_detector = Vec::new();
    for (class, r) in eval.class_rows() {
        if !r.detector {
            println!("{class:<14} {:>8} {:>9}", r.planted, "no detector");
            if let Some(why) = r.reason {
                no_detector.push((class, why));
            }
            continue;
        }
        println!(
            "{class:<14} {:>8} {:>9} {:>5} {:>5} {:>10} {:>8}",
            r.planted,
            r.detected,
            r.true_positives,
            r.false_positives,
            fig(r.precision),
            fig(r.recall)
        );
    }
    for (class, why) in no_detector {
        println!("({class}: no detector: {why})");
    }
    println!();
    println!(
        "{:<16} {:>8} {:>9} {:>9} {:>10} {:>8} {:>11} {:>9}",
        "metric (culprit)",
        "planted",
        "detected",
        "culprit",
        "precision",
        "recall",
        "C precision",
        "C recall"
    );
    for (label, r) in eval.metric_rows() {
        println!(
            "{label:<16} {:>8} {:>9} {:>9} {:>10} {:>8} {:>11} {:>9}",
            r.planted,
            r.detected,
            r.culprit_true_positives,
            fig(r.culprit_precision),
            fig(r.culprit_recall),
            fig(r.accomplice_precision),
            fig(r.accomplice_recall)
        );
    }
    let unscored: u64 = eval
        .metrics
        .values()
        .map(|m| m.planted_without_detector)
        .sum();
    if unscored > 0 {
        println!("({unscored} planted incidents of classes without a detector are not scored)");
    }
    if !eval.false_positives.is_empty() {
        println!();
        println!("false positives ({}):", eval.false_positives.len());
        for f in eval.false_positives.iter().take(50) {
            println!(
                "  seed {} {:?} {} culprit AS{} path {}",
                f.seed.map_or_else(|| "-".into(), |s| s.to_string()),
                f.kind,
                f.prefix,
                f.culprit,
                f.path
            );
        }
    }
    if !eval.misses.is_empty() {
        println!();
        println!("misses ({}):", eval.misses.len());
        for m in eval.misses.iter().take(50) {
            println!(
                "  seed {} {} {} culprit AS{}: {}{}",
                m.seed.map_or_else(|| "-".into(), |s| s.to_string()),
                m.id,
                m.class,
                m.culprit,
                m.what,
                if m.detected_culprits.is_empty() {
                    String::new()
                } else {
                    format!(" (detected {:?})", m.detected_culprits)
                }
            );
        }
    }
}
