//! `routenorms rov` and `routenorms validate`: RFC 6811 route-origin validation of the routes in
//! MRT dumps or a route list, against any validator's VRP export; with `--aspa`, ASPA
//! verification of every AS path the MRT dumps show for each route.

use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use routenorms_mrt::origins::{route_origins, RouteOrigin};
use routenorms_mrt::paths::{route_paths, RoutePaths};
use routenorms_rpki::{
    diff, load_path, AspaSet, AspaState, InvalidReason, Payload, RovState, RovVerdict, Slurm, Vrp,
    VrpSet,
};
use routenorms_types::{Afi, Asn, Prefix};
use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct RovArgs {
    /// VRP file: Routinator, rpki-client or StayRTR JSON, CSV, or a BIRD roa table (gzip ok).
    #[arg(long, value_name = "FILE")]
    vrps: PathBuf,
    /// SLURM file (RFC 8416) applied to the VRPs.
    #[arg(long, value_name = "FILE")]
    slurm: Option<PathBuf>,
    /// ASPA file (rpki-client JSON, or any payload file with ASPAs): also verify every
    /// distinct AS path of each route (needs --mrt; adds the aspa_* columns).
    ///
    /// Each (prefix, origin) row gets three more columns, `aspa_valid`, `aspa_unknown`,
    /// `aspa_invalid` (an `aspa` object in json/jsonl): how many of the distinct AS paths the
    /// MRT dumps show for it verify as Valid, Unknown or Invalid
    /// (draft-ietf-sidrops-aspa-verification). A collector receives routes as a customer of
    /// its peers would, so the downstream procedure applies, with the collector's peer as
    /// provider. The summary gets an ASPA line (and `summary.aspa` in json).
    #[arg(long, value_name = "FILE", requires = "mrt")]
    aspa: Option<PathBuf>,
    /// MRT dumps whose routes to validate (every distinct prefix and origin).
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "routes", conflicts_with = "routes")]
    mrt: Vec<PathBuf>,
    /// A route list instead: lines `PREFIX ORIGIN` or `PREFIX,ORIGIN` (`AS` prefix optional).
    #[arg(long, value_name = "FILE")]
    routes: Option<PathBuf>,
    /// Output format (json: one document with the summary and every route).
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

/// Work on VRP sets.
#[derive(Debug, Subcommand)]
pub enum VrpsCommand {
    /// Compare two payloads (e.g. two validators' exports): VRPs and ASPAs only in A, only in
    /// B, and the routes whose RFC 6811 verdict changes — the routes of --mrt/--routes, or
    /// else the routes the VRPs themselves describe (each VRP's prefix with its ASN).
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Payload A (any format `rov` reads).
    a: PathBuf,
    /// Payload B.
    b: PathBuf,
    /// SLURM file (RFC 8416) applied to both.
    #[arg(long, value_name = "FILE")]
    slurm: Option<PathBuf>,
    /// MRT dumps whose routes to compare verdicts for.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "routes")]
    mrt: Vec<PathBuf>,
    /// A route list (`PREFIX ORIGIN` lines) to compare verdicts for.
    #[arg(long, value_name = "FILE")]
    routes: Option<PathBuf>,
    /// Output format (csv/jsonl: one row per difference).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The route's prefix, e.g. 192.0.2.0/24.
    prefix: Prefix,
    /// The route's origin AS, e.g. 64496 or AS64496.
    #[arg(value_parser = parse_asn)]
    asn: Asn,
    /// VRP file (any format `rov` reads).
    #[arg(long, value_name = "FILE")]
    vrps: PathBuf,
    /// SLURM file (RFC 8416) applied to the VRPs.
    #[arg(long, value_name = "FILE")]
    slurm: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn parse_asn(s: &str) -> Result<Asn, String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    digits
        .parse::<u32>()
        .map(Asn)
        .map_err(|_| format!("not an AS number: {s:?}"))
}

/// Loads the VRPs and builds the index.
fn load_vrps(path: &Path, slurm: Option<&Path>) -> Result<VrpSet> {
    Ok(VrpSet::new(load_payload(path, slurm)?.vrps))
}

/// Loads a payload, applies SLURM, and reports every rejected entry on stderr.
pub(crate) fn load_payload(path: &Path, slurm: Option<&Path>) -> Result<Payload> {
    let mut payload: Payload =
        load_path(path).with_context(|| format!("cannot load VRPs from {}", path.display()))?;
    let mut rejected = payload.rejected.len();
    for r in payload.rejected.iter().take(20) {
        eprintln!(
            "routenorms: {}: {}: rejected, {} ({})",
            path.display(),
            r.position,
            r.reason.as_str(),
            r.text
        );
    }
    if let Some(s) = slurm {
        let slurm =
            Slurm::load_path(s).with_context(|| format!("cannot load SLURM {}", s.display()))?;
        for r in slurm.rejected.iter().take(20) {
            eprintln!(
                "routenorms: {}: {}: rejected, {}",
                s.display(),
                r.position,
                r.reason.as_str()
            );
        }
        rejected += slurm.rejected.len();
        slurm.apply(&mut payload);
    }
    if rejected > 20 {
        eprintln!("routenorms: {rejected} rejected VRP entries in all");
    }
    Ok(payload)
}

/// Distinct (prefix, origin) pairs, in prefix order; origin `None` for paths ending in AS_SET.
type RouteSet = BTreeSet<RouteOrigin>;

fn routes_from_mrt(files: &[PathBuf]) -> Result<(RouteSet, bool)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut routes = RouteSet::new();
    let mut damaged = false;
    for f in files {
        let o =
            route_origins(f, threads).with_context(|| format!("cannot open {}", f.display()))?;
        routes.extend(o.routes);
        damaged |= o.damaged > 0;
        if let Some(e) = o.input_error {
            eprintln!("routenorms: {}: input ends early: {e}", f.display());
            damaged = true;
        }
    }
    if damaged {
        eprintln!("routenorms: some MRT records were damaged (see `routenorms mrt stats`)");
    }
    Ok((routes, damaged))
}

/// The routes of the MRT files with their distinct AS paths.
fn route_paths_from_mrt(files: &[PathBuf]) -> Result<(RoutePaths, bool)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut all = RoutePaths::default();
    let mut damaged = false;
    for f in files {
        let mut rp =
            route_paths(f, threads).with_context(|| format!("cannot open {}", f.display()))?;
        damaged |= rp.damaged > 0;
        if let Some(e) = rp.input_error.take() {
            eprintln!("routenorms: {}: input ends early: {e}", f.display());
            damaged = true;
        }
        all.extend(rp);
    }
    if damaged {
        eprintln!("routenorms: some MRT records were damaged (see `routenorms mrt stats`)");
    }
    Ok((all, damaged))
}

/// ASPA outcomes over the distinct paths of one route.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
struct AspaCounts {
    valid: usize,
    unknown: usize,
    invalid: usize,
}

impl AspaCounts {
    fn add(&mut self, s: AspaState) {
        match s {
            AspaState::Valid => self.valid += 1,
            AspaState::Unknown => self.unknown += 1,
            AspaState::Invalid => self.invalid += 1,
        }
    }
}

/// The ASPA part of the summary.
#[derive(Debug, Default, serde::Serialize)]
struct AspaSummary {
    aspas: usize,
    /// Distinct (route, AS path) pairs verified.
    paths: AspaCounts,
    /// Routes with at least one Invalid path.
    routes_with_invalid: usize,
    /// Routes whose every path is Valid.
    routes_all_valid: usize,
}

impl AspaSummary {
    fn add(&mut self, c: AspaCounts) {
        self.paths.valid += c.valid;
        self.paths.unknown += c.unknown;
        self.paths.invalid += c.invalid;
        self.routes_with_invalid += usize::from(c.invalid > 0);
        self.routes_all_valid += usize::from(c.unknown == 0 && c.invalid == 0 && c.valid > 0);
    }

    fn line(&self) -> String {
        let p = &self.paths;
        let n = p.valid + p.unknown + p.invalid;
        let pct = |x: usize| 100.0 * x as f64 / n.max(1) as f64;
        format!(
            "ASPA ({} ASPAs; downstream procedure, the collector's peer as provider): {n} route paths: valid {} ({:.1}%), unknown {} ({:.1}%), invalid {} ({:.1}%); {} routes with an invalid path, {} with only valid paths",
            self.aspas,
            p.valid,
            pct(p.valid),
            p.unknown,
            pct(p.unknown),
            p.invalid,
            pct(p.invalid),
            self.routes_with_invalid,
            self.routes_all_valid
        )
    }
}

/// Reads a route list: lines `PREFIX ORIGIN` or `PREFIX,ORIGIN`, `#` comments (used by `rov`,
/// `vrps diff` and `irr check`).
pub(crate) fn routes_from_list(path: &Path) -> Result<RouteSet> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut routes = BTreeSet::new();
    for (i, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        let t = line.split('#').next().unwrap_or("").trim();
        if t.is_empty() {
            continue;
        }
        let mut parts = t
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty());
        let (Some(p), Some(a), None) = (parts.next(), parts.next(), parts.next()) else {
            bail!(
                "{}:{}: expected `PREFIX ORIGIN`, got {t:?}",
                path.display(),
                i + 1
            );
        };
        let prefix: Prefix = p
            .parse()
            .map_err(|e| anyhow::anyhow!("{}:{}: {p}: {e}", path.display(), i + 1))?;
        let asn = parse_asn(a).map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        routes.insert((prefix, Some(asn)));
    }
    Ok(routes)
}

fn vrp_text(v: &Vrp) -> String {
    format!("{}-{} AS{}", v.prefix, v.max_len, v.asn)
}

fn origin_text(o: Option<Asn>) -> String {
    o.map_or_else(|| "NONE".to_owned(), |a| a.to_string())
}

/// Counts per family and state, for the summary.
#[derive(Debug, Default, serde::Serialize)]
struct FamilySummary {
    routes: usize,
    valid: usize,
    invalid_as: usize,
    invalid_length: usize,
    not_found: usize,
}

impl FamilySummary {
    fn add(&mut self, v: &RovVerdict) {
        self.routes += 1;
        match (v.state, v.reason) {
            (RovState::Valid, _) => self.valid += 1,
            (RovState::Invalid, Some(routenorms_rpki::InvalidReason::Length)) => {
                self.invalid_length += 1
            }
            (RovState::Invalid, _) => self.invalid_as += 1,
            (RovState::NotFound, _) => self.not_found += 1,
        }
    }

    fn line(&self, name: &str) -> String {
        let pct = |n: usize| 100.0 * n as f64 / self.routes.max(1) as f64;
        format!(
            "{name}: {} routes: valid {} ({:.1}%), invalid-as {} ({:.1}%), invalid-length {} ({:.1}%), not-found {} ({:.1}%)",
            self.routes,
            self.valid,
            pct(self.valid),
            self.invalid_as,
            pct(self.invalid_as),
            self.invalid_length,
            pct(self.invalid_length),
            self.not_found,
            pct(self.not_found)
        )
    }
}

#[derive(Debug, serde::Serialize)]
struct RouteRow {
    prefix: Prefix,
    origin: Option<Asn>,
    state: &'static str,
    reason: Option<&'static str>,
    covering: Vec<String>,
    /// With --aspa only.
    #[serde(skip_serializing_if = "Option::is_none")]
    aspa: Option<AspaCounts>,
}

impl RouteRow {
    const CSV_HEADER: &'static str = "prefix,origin,state,reason,covering";
    const ASPA_CSV_HEADER: &'static str = ",aspa_valid,aspa_unknown,aspa_invalid";

    /// One CSV line; no field can hold a comma (covering VRPs are space-separated).
    fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "{},{},{},{},{}",
            self.prefix,
            origin_text(self.origin),
            self.state,
            self.reason.unwrap_or(""),
            self.covering.join(" ")
        )?;
        if let Some(a) = self.aspa {
            write!(out, ",{},{},{}", a.valid, a.unknown, a.invalid)?;
        }
        writeln!(out)
    }
}

fn row(v: &RovVerdict) -> RouteRow {
    RouteRow {
        prefix: v.prefix,
        origin: v.origin,
        state: v.state.as_str(),
        reason: v.reason.map(|r| r.as_str()),
        covering: v.covering.iter().map(vrp_text).collect(),
        aspa: None,
    }
}

pub fn rov(args: RovArgs) -> Result<Outcome> {
    let set = load_vrps(&args.vrps, args.slurm.as_deref())?;
    let aspas = match &args.aspa {
        Some(path) => {
            let p = load_path(path)
                .with_context(|| format!("cannot load ASPAs from {}", path.display()))?;
            for r in p.rejected.iter().take(20) {
                eprintln!(
                    "routenorms: {}: {}: rejected, {} ({})",
                    path.display(),
                    r.position,
                    r.reason.as_str(),
                    r.text
                );
            }
            if p.aspas.is_empty() {
                eprintln!("routenorms: {}: no ASPAs in this file", path.display());
            }
            Some(AspaSet::new(&p.aspas))
        }
        None => None,
    };
    // With ASPA, the routes come with their paths; without, only the origins are collected.
    let (routes, paths, damaged) = match (&args.routes, &aspas) {
        (Some(list), _) => (routes_from_list(list)?, None, false),
        (None, None) => {
            let (r, d) = routes_from_mrt(&args.mrt)?;
            (r, None, d)
        }
        (None, Some(_)) => {
            let (rp, d) = route_paths_from_mrt(&args.mrt)?;
            (rp.routes.keys().copied().collect(), Some(rp), d)
        }
    };
    let mut aspa_summary = AspaSummary {
        aspas: aspas.as_ref().map_or(0, |a| a.len()),
        ..AspaSummary::default()
    };
    // One verdict per distinct (path, family): most paths carry many prefixes.
    let mut verdicts: HashMap<(u32, Afi), AspaState> = HashMap::new();
    let mut v4 = FamilySummary::default();
    let mut v6 = FamilySummary::default();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut rows = Vec::new();
    let aspa_cols = paths.is_some();
    match args.format {
        OutputFormat::Csv if aspa_cols => {
            writeln!(out, "{}{}", RouteRow::CSV_HEADER, RouteRow::ASPA_CSV_HEADER)?
        }
        OutputFormat::Csv => writeln!(out, "{}", RouteRow::CSV_HEADER)?,
        OutputFormat::Table if aspa_cols => writeln!(
            out,
            "{:<44} {:>10}  {:<9} {:<7} {:<14} covering",
            "prefix", "origin", "state", "reason", "aspa v/u/i"
        )?,
        OutputFormat::Table => writeln!(
            out,
            "{:<44} {:>10}  {:<9} {:<7} covering",
            "prefix", "origin", "state", "reason"
        )?,
        _ => {}
    }
    for &(prefix, origin) in &routes {
        let v = set.validate(prefix, origin);
        match prefix.afi() {
            Afi::Ipv4 => v4.add(&v),
            Afi::Ipv6 => v6.add(&v),
        }
        let mut r = row(&v);
        if let (Some(rp), Some(aspas)) = (&paths, &aspas) {
            let mut counts = AspaCounts::default();
            let afi = prefix.afi();
            for &id in rp.routes.get(&(prefix, origin)).into_iter().flatten() {
                let state = *verdicts.entry((id, afi)).or_insert_with(|| {
                    aspas
                        .verify_collector_route(&rp.paths[id as usize], afi)
                        .state
                });
                counts.add(state);
            }
            aspa_summary.add(counts);
            r.aspa = Some(counts);
        }
        match args.format {
            OutputFormat::Csv => r.write_csv(&mut out)?,
            OutputFormat::Table => {
                let aspa = r
                    .aspa
                    .map(|a| {
                        format!(
                            "{:<14} ",
                            format!("{}/{}/{}", a.valid, a.unknown, a.invalid)
                        )
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:<44} {:>10}  {:<9} {:<7} {aspa}{}",
                    r.prefix.to_string(),
                    origin_text(r.origin),
                    r.state,
                    r.reason.unwrap_or("-"),
                    r.covering.join(", ")
                )?
            }
            OutputFormat::Jsonl => {
                serde_json::to_writer(&mut out, &r)?;
                writeln!(out)?;
            }
            OutputFormat::Json => rows.push(r),
        }
    }
    if args.format == OutputFormat::Json {
        let mut doc = serde_json::json!({
            "vrps": set.len(),
            "summary": { "ipv4": v4, "ipv6": v6 },
            "routes": rows,
        });
        if aspa_cols {
            doc["summary"]["aspa"] = serde_json::to_value(&aspa_summary)?;
        }
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    }
    out.flush()?;
    eprintln!("routenorms: {} VRPs", set.len());
    eprintln!("routenorms: {}", v4.line("IPv4"));
    eprintln!("routenorms: {}", v6.line("IPv6"));
    if aspa_cols {
        eprintln!("routenorms: {}", aspa_summary.line());
    }
    Ok(if damaged {
        Outcome::Damaged
    } else {
        Outcome::Clean
    })
}

pub fn validate(args: ValidateArgs) -> Result<Outcome> {
    let set = load_vrps(&args.vrps, args.slurm.as_deref())?;
    let v = set.validate(args.prefix, Some(args.asn));
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &row(&v))?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut out, &row(&v))?;
            writeln!(out)?;
        }
        OutputFormat::Csv => {
            writeln!(out, "{}", RouteRow::CSV_HEADER)?;
            row(&v).write_csv(&mut out)?;
        }
        OutputFormat::Table => {
            let why = match (v.state, v.reason) {
                (RovState::Valid, _) => {
                    "a VRP matches: it covers the prefix, allows its length, names its origin"
                }
                (RovState::NotFound, _) => "no VRP covers the prefix",
                (_, Some(routenorms_rpki::InvalidReason::Length)) => {
                    "a covering VRP names the origin, but the prefix is longer than its maxLength"
                }
                _ => "covering VRPs exist, none names the origin",
            };
            writeln!(out, "route     {} AS{}", v.prefix, args.asn)?;
            writeln!(
                out,
                "state     {}{}",
                v.state,
                v.reason.map(|r| format!(" ({r})")).unwrap_or_default()
            )?;
            writeln!(out, "because   {why}")?;
            for c in &v.covering {
                let verdict = if v.matches(c) {
                    "matches"
                } else if c.asn == args.asn && c.asn != Asn(0) {
                    "origin ok, maxLength too short"
                } else {
                    "other origin"
                };
                writeln!(out, "covering  {:<40} {verdict}", vrp_text(c))?;
            }
        }
    }
    Ok(Outcome::Clean)
}

fn verdict_text(v: (RovState, Option<InvalidReason>)) -> String {
    match v.1 {
        Some(r) => format!("{}-{}", v.0, r),
        None => v.0.to_string(),
    }
}

/// One difference, as a row.
#[derive(Debug, Default, serde::Serialize)]
struct DiffRow {
    change: &'static str,
    prefix: Option<Prefix>,
    max_length: Option<u8>,
    asn: Option<Asn>,
    customer: Option<Asn>,
    providers: Option<String>,
    origin: Option<String>,
    verdict_a: Option<String>,
    verdict_b: Option<String>,
}

pub fn vrps(cmd: VrpsCommand) -> Result<Outcome> {
    let VrpsCommand::Diff(args) = cmd;
    let pa = load_payload(&args.a, args.slurm.as_deref())?;
    let pb = load_payload(&args.b, args.slurm.as_deref())?;
    let (aspas_a, aspas_b) = (pa.aspas.clone(), pb.aspas.clone());
    let (a, b) = (VrpSet::new(pa.vrps), VrpSet::new(pb.vrps));
    let (routes, damaged) = match (&args.routes, args.mrt.is_empty()) {
        (Some(list), _) => (routes_from_list(list)?, false),
        (None, false) => routes_from_mrt(&args.mrt)?,
        (None, true) => (RouteSet::new(), false),
    };
    let d = diff(&a, &b, &aspas_a, &aspas_b, &routes);
    let mut rows = Vec::new();
    for (change, list) in [
        ("vrp-only-in-a", &d.vrps_only_in_a),
        ("vrp-only-in-b", &d.vrps_only_in_b),
    ] {
        for v in list {
            rows.push(DiffRow {
                change,
                prefix: Some(v.prefix),
                max_length: Some(v.max_len),
                asn: Some(v.asn),
                ..Default::default()
            });
        }
    }
    for (change, list) in [
        ("aspa-only-in-a", &d.aspas_only_in_a),
        ("aspa-only-in-b", &d.aspas_only_in_b),
    ] {
        for x in list {
            let providers: Vec<String> = x.providers.iter().map(|p| p.to_string()).collect();
            rows.push(DiffRow {
                change,
                customer: Some(x.customer),
                providers: Some(providers.join(" ")),
                ..Default::default()
            });
        }
    }
    for c in &d.verdict_changes {
        rows.push(DiffRow {
            change: "verdict-changed",
            prefix: Some(c.prefix),
            origin: Some(origin_text(c.origin)),
            verdict_a: Some(verdict_text(c.a)),
            verdict_b: Some(verdict_text(c.b)),
            ..Default::default()
        });
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
    match args.format {
        OutputFormat::Csv => {
            writeln!(
                out,
                "change,prefix,max_length,asn,customer,providers,origin,verdict_a,verdict_b"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    r.change,
                    r.prefix.map(|p| p.to_string()).unwrap_or_default(),
                    n(r.max_length.map(u32::from)),
                    n(r.asn.map(|a| a.0)),
                    n(r.customer.map(|a| a.0)),
                    o(&r.providers),
                    o(&r.origin),
                    o(&r.verdict_a),
                    o(&r.verdict_b)
                )?;
            }
        }
        OutputFormat::Jsonl => {
            for r in &rows {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &d)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "A: {} ({} VRPs, {} ASPAs)\nB: {} ({} VRPs, {} ASPAs)",
                args.a.display(),
                a.len(),
                aspas_a.len(),
                args.b.display(),
                b.len(),
                aspas_b.len()
            )?;
            for r in &rows {
                let what = match r.change {
                    "vrp-only-in-a" | "vrp-only-in-b" => format!(
                        "{}-{} AS{}",
                        r.prefix.map(|p| p.to_string()).unwrap_or_default(),
                        n(r.max_length.map(u32::from)),
                        n(r.asn.map(|a| a.0))
                    ),
                    "aspa-only-in-a" | "aspa-only-in-b" => {
                        format!(
                            "AS{} providers {}",
                            n(r.customer.map(|a| a.0)),
                            o(&r.providers)
                        )
                    }
                    _ => format!(
                        "{} {}: {} -> {}",
                        r.prefix.map(|p| p.to_string()).unwrap_or_default(),
                        o(&r.origin),
                        o(&r.verdict_a),
                        o(&r.verdict_b)
                    ),
                };
                writeln!(out, "{:<16} {what}", r.change)?;
            }
        }
    }
    out.flush()?;
    eprintln!(
        "routenorms: {} VRPs only in A, {} only in B, {} ASPAs only in A, {} only in B, {} verdicts changed",
        d.vrps_only_in_a.len(),
        d.vrps_only_in_b.len(),
        d.aspas_only_in_a.len(),
        d.aspas_only_in_b.len(),
        d.verdict_changes.len()
    );
    Ok(if damaged {
        Outcome::Damaged
    } else {
        Outcome::Clean
    })
}
