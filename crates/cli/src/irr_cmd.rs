//! `routenorms irr ...`: load IRR dumps, check announcements against them, build filters,
//! report set hygiene, and serve them over the IRRd whois protocol.

use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use routenorms_irr::check::{check, load_rir_stats, IrrCheck};
use routenorms_irr::filter::{build_with_ranges, FilterFormat, FilterOptions};
use routenorms_irr::index::RIR_SOURCES;
use routenorms_irr::load::{LoadOptions, LoadReport};
use routenorms_irr::whois::{Session, MAX_QUERY_LEN};
use routenorms_irr::{Class, IrrDb, DEFAULT_MAX_DEPTH};
use routenorms_mrt::origins::{route_origins, RouteOrigin};
use routenorms_rpki::{load_path, VrpSet};
use routenorms_types::{Afi, Asn, Prefix};
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum IrrCommand {
    /// Load IRR files and count their objects per class (and damaged objects).
    Stats(StatsArgs),
    /// Build a prefix filter for an AS number, as-set or route-set, shaped like
    /// `bgpq4 -l NAME` output; with --vrps, RPKI-invalid route objects are dropped.
    Filter(FilterArgs),
    /// IRR status of every distinct (prefix, origin) of MRT dumps or a route list:
    /// match, covered, mismatch, not-registered or misplaced (and RPKI with --vrps).
    Check(CheckArgs),
    /// Set hygiene: per as-set its depth, cycles, member count, unresolvable members and
    /// prefix count.
    Sets(SetsArgs),
    /// Serve the files over the IRRd whois protocol (`!g`, `!6`, `!i`, `!a`, `!s`, `!j`,
    /// `-i origin`, object look-ups), e.g. for bgpq4 `-h HOST:PORT`.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct IrrFiles {
    /// IRR files: RPSL dumps (plain, gzip, bzip2), ARIN OriginAS JSON, rir,mntner,asn CSV.
    #[arg(long = "irr", value_name = "FILE", num_args = 1.., required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    irr: IrrFiles,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FilterSyntax {
    Cisco,
    CiscoXr,
    Juniper,
    Bird,
    Openbgpd,
    Json,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// AS number (AS65000), as-set or route-set (SOURCE::NAME accepted).
    object: String,
    #[command(flatten)]
    irr: IrrFiles,
    /// IPv4 prefixes (the default).
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 prefixes.
    #[arg(short = '6')]
    ipv6: bool,
    /// Sources to use, in priority order (e.g. RPKI,RIPE,RADB); default all.
    #[arg(long, short = 'S', value_delimiter = ',')]
    sources: Vec<String>,
    /// Aggregate adjacent prefixes into ranges (bgpq4 -A).
    #[arg(long, short = 'A')]
    aggregate: bool,
    /// Also allow more-specifics down to this length (bgpq4 -R).
    #[arg(long, value_name = "N")]
    max_length: Option<u8>,
    /// VRPs: drop route objects whose (prefix, origin) is RPKI-invalid; JSON entries get
    /// origins, sources and the RPKI state.
    #[arg(long, value_name = "FILE")]
    vrps: Option<PathBuf>,
    /// Sources whose route objects are RPKI-derived (entries only from them are marked).
    #[arg(long, value_delimiter = ',', default_value = "RPKI")]
    rpki_sources: Vec<String>,
    /// Output syntax.
    #[arg(long, value_enum, default_value_t = FilterSyntax::Cisco)]
    format: FilterSyntax,
    /// Filter name.
    #[arg(short = 'l', long = "name", default_value = "NN")]
    name: String,
    /// Set nesting limit.
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    max_depth: usize,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    irr: IrrFiles,
    /// MRT dumps whose routes to check (every distinct prefix and origin).
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "routes", conflicts_with = "routes")]
    mrt: Vec<PathBuf>,
    /// A route list instead: lines `PREFIX ORIGIN` or `PREFIX,ORIGIN`.
    #[arg(long, value_name = "FILE")]
    routes: Option<PathBuf>,
    /// VRPs: add the RPKI state and whether IRR and RPKI agree.
    #[arg(long, value_name = "FILE")]
    vrps: Option<PathBuf>,
    /// Sources to use, in priority order; default all.
    #[arg(long, short = 'S', value_delimiter = ',')]
    sources: Vec<String>,
    /// Sources whose inetnum/inet6num objects say who holds address space (for `misplaced`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "AFRINIC,APNIC,ARIN,LACNIC,RIPE"
    )]
    authoritative: Vec<String>,
    /// RIR delegation statistics files (delegated-*-extended): who holds which space.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    rir_stats: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SetsArgs {
    #[command(flatten)]
    irr: IrrFiles,
    /// Sources to use, in priority order; default all.
    #[arg(long, short = 'S', value_delimiter = ',')]
    sources: Vec<String>,
    /// Set nesting limit.
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    irr: IrrFiles,
    /// Address to listen on (port 0: any free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:43")]
    listen: String,
    /// Seconds a client may stay idle (or take to read an answer) before it is dropped.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Most clients served at once.
    #[arg(long, default_value_t = 256)]
    max_clients: usize,
    /// VRPs: answer as an RPKI-aware IRRd does: route objects whose (prefix, origin) is
    /// RPKI-invalid are left out, and the VRPs are served as the pseudo-source RPKI
    /// (select it with `!sRPKI,...` / bgpq4 `-S RPKI,...`).
    #[arg(long, value_name = "FILE")]
    vrps: Option<PathBuf>,
}

pub fn run(cmd: IrrCommand) -> Result<Outcome> {
    match cmd {
        IrrCommand::Stats(a) => stats(a),
        IrrCommand::Filter(a) => filter(a),
        IrrCommand::Check(a) => check_cmd(a),
        IrrCommand::Sets(a) => sets(a),
        IrrCommand::Serve(a) => serve(a),
    }
}

/// Loads every file, reporting damaged objects on stderr.
fn load_db(files: &[PathBuf], keep_text: bool) -> Result<(IrrDb, Vec<LoadReport>, bool)> {
    let mut db = IrrDb::new();
    let opts = LoadOptions {
        keep_text,
        ..LoadOptions::default()
    };
    let mut reports = Vec::new();
    let mut damaged = false;
    for f in files {
        let r = db
            .load_path(f, &opts)
            .with_context(|| format!("cannot read {}", f.display()))?;
        for i in r.issues.iter().take(20) {
            eprintln!(
                "routenorms: {}:{}: {}{} skipped",
                f.display(),
                i.line,
                i.reason,
                match (&i.class, &i.key) {
                    (Some(c), Some(k)) => format!(" ({c}: {k});"),
                    _ => ";".into(),
                }
            );
        }
        if r.damaged > 20 {
            eprintln!(
                "routenorms: {}: {} damaged objects in all",
                f.display(),
                r.damaged
            );
        }
        damaged |= r.damaged > 0;
        reports.push(r);
    }
    Ok((db, reports, damaged))
}

fn outcome(damaged: bool) -> Outcome {
    if damaged {
        Outcome::Damaged
    } else {
        Outcome::Clean
    }
}

fn stats(a: StatsArgs) -> Result<Outcome> {
    let (mut db, reports, damaged) = load_db(&a.irr.files, false)?;
    db.finish();
    let mut out = io::BufWriter::new(io::stdout().lock());
    #[derive(serde::Serialize)]
    struct Row {
        file: String,
        format: Option<routenorms_irr::FileFormat>,
        bytes: u64,
        objects: u64,
        damaged: u64,
        classes: Vec<(&'static str, u64)>,
    }
    let rows: Vec<Row> = a
        .irr
        .files
        .iter()
        .zip(&reports)
        .map(|(f, r)| Row {
            file: f.display().to_string(),
            format: r.format,
            bytes: r.bytes,
            objects: r.objects,
            damaged: r.damaged,
            classes: Class::ALL
                .iter()
                .map(|c| (c.as_str(), r.of(*c)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        })
        .collect();
    match a.format {
        OutputFormat::Table => {
            for r in &rows {
                writeln!(
                    out,
                    "{}: {} bytes, {} objects, {} damaged",
                    r.file, r.bytes, r.objects, r.damaged
                )?;
                for (c, n) in &r.classes {
                    writeln!(out, "  {c:<14} {n}")?;
                }
            }
            writeln!(
                out,
                "sources: {}; route entries (prefix, origin, source): {}",
                db.sources().join(","),
                db.route_count()
            )?;
        }
        OutputFormat::Csv => {
            writeln!(out, "file,class,objects")?;
            for r in &rows {
                for (c, n) in &r.classes {
                    writeln!(out, "{},{c},{n}", r.file)?;
                }
                writeln!(out, "{},damaged,{}", r.file, r.damaged)?;
            }
        }
        OutputFormat::Jsonl => {
            for r in &rows {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(outcome(damaged))
}

fn load_vrps(path: &Path) -> Result<VrpSet> {
    let p = load_path(path).with_context(|| format!("cannot load VRPs from {}", path.display()))?;
    if !p.rejected.is_empty() {
        eprintln!(
            "routenorms: {}: {} rejected VRP entries",
            path.display(),
            p.rejected.len()
        );
    }
    Ok(VrpSet::new(p.vrps))
}

fn filter(a: FilterArgs) -> Result<Outcome> {
    let (mut db, _, damaged) = load_db(&a.irr.files, false)?;
    let vrps = a.vrps.as_deref().map(load_vrps).transpose()?;
    // IRRd's RPKI pseudo-source: with --vrps and RPKI among --sources, every VRP is a route
    // object of source RPKI.
    if let Some(v) = &vrps {
        if a.sources.iter().any(|s| s.eq_ignore_ascii_case("RPKI")) {
            db.add_rpki_source(v, false);
        }
    }
    db.finish();
    let view = db.view(&a.sources)?;
    let afi = if a.ipv6 { Afi::Ipv6 } else { Afi::Ipv4 };
    let format = match a.format {
        FilterSyntax::Cisco => FilterFormat::Cisco,
        FilterSyntax::CiscoXr => FilterFormat::CiscoXr,
        FilterSyntax::Juniper => FilterFormat::Juniper,
        FilterSyntax::Bird => FilterFormat::Bird,
        FilterSyntax::Openbgpd => FilterFormat::Openbgpd,
        FilterSyntax::Json => FilterFormat::Json,
    };
    if format == FilterFormat::Juniper && (a.aggregate || a.max_length.is_some()) {
        bail!("aggregation and --max-length do not work in Juniper prefix-lists (as in bgpq4)");
    }
    let (routes, expansion) = match view.prefixes_of_object(&a.object, Some(afi), a.max_depth) {
        Some(x) => x,
        None => {
            eprintln!("routenorms: {} not found in the selected sources", a.object);
            (Vec::new(), None)
        }
    };
    if let Some(e) = &expansion {
        for u in &e.unresolved {
            eprintln!("routenorms: {}: unresolved member {u}", e.name);
        }
        for (s, m) in &e.cycles {
            eprintln!("routenorms: {}: cycle: {s} contains {m}", e.name);
        }
        for s in &e.depth_limited {
            eprintln!(
                "routenorms: {}: {s} is deeper than {} sets, not followed",
                e.name, a.max_depth
            );
        }
    }
    // A route-set's own prefixes (with range operators) go in as ranges; bgpq4 would list
    // every more-specific of `172.20.0.0/14^+` one by one.
    let ranges: Vec<_> = expansion
        .as_ref()
        .map(|e| e.prefixes.iter().copied().collect())
        .unwrap_or_default();
    let f = build_with_ranges(
        &view,
        &routes,
        &ranges,
        vrps.as_ref(),
        &FilterOptions {
            name: a.name.clone(),
            afi,
            aggregate: a.aggregate,
            max_length: a.max_length,
            rpki_sources: a.rpki_sources.clone(),
        },
    );
    for (p, o, s) in f.dropped_invalid.iter().take(50) {
        eprintln!("routenorms: dropped RPKI-invalid route object {p} AS{o} ({s})");
    }
    if f.dropped_invalid.len() > 50 {
        eprintln!(
            "routenorms: {} RPKI-invalid route objects dropped in all",
            f.dropped_invalid.len()
        );
    }
    let mut out = io::stdout().lock();
    out.write_all(f.render(format, vrps.is_some()).as_bytes())?;
    out.flush()?;
    Ok(outcome(damaged))
}

fn routes_from_mrt(files: &[PathBuf]) -> Result<(BTreeSet<RouteOrigin>, bool)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut routes = BTreeSet::new();
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
    Ok((routes, damaged))
}

fn registered_text(c: &IrrCheck) -> String {
    c.registered
        .iter()
        .map(|r| format!("{}:AS{}:{}", r.prefix, r.origin, r.source))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, serde::Serialize)]
struct CheckRow<'a> {
    prefix: Prefix,
    origin: Option<Asn>,
    status: &'static str,
    registered: &'a [routenorms_irr::check::Registered],
    holder: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rpki: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agreement: Option<&'static str>,
}

fn check_cmd(a: CheckArgs) -> Result<Outcome> {
    let (mut db, _, mut damaged) = load_db(&a.irr.files, false)?;
    for f in &a.rir_stats {
        let r = routenorms_irr::input::open(f)
            .with_context(|| format!("cannot open {}", f.display()))?;
        for h in load_rir_stats(r)? {
            db.add_holder(h);
        }
    }
    let auth: Vec<&str> = a.authoritative.iter().map(String::as_str).collect();
    let auth = if auth.is_empty() {
        RIR_SOURCES.to_vec()
    } else {
        auth
    };
    db.finish_with_authoritative(&auth);
    let view = db.view(&a.sources)?;
    let vrps = a.vrps.as_deref().map(load_vrps).transpose()?;
    let routes = match &a.routes {
        Some(list) => crate::rpki_cmd::routes_from_list(list)?,
        None => {
            let (r, d) = routes_from_mrt(&a.mrt)?;
            damaged |= d;
            r
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let with_rpki = vrps.is_some();
    match a.format {
        OutputFormat::Csv => writeln!(
            out,
            "prefix,origin,status,registered,holder{}",
            if with_rpki { ",rpki,agreement" } else { "" }
        )?,
        OutputFormat::Table => writeln!(
            out,
            "{:<44} {:>10}  {:<14} {:<8} {}registered",
            "prefix",
            "origin",
            "status",
            "holder",
            if with_rpki {
                "rpki       agreement  "
            } else {
                ""
            },
        )?,
        _ => {}
    }
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut agree: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut rows = Vec::new();
    for &(prefix, origin) in &routes {
        let c = check(&view, vrps.as_ref(), prefix, origin);
        *counts.entry(c.status.as_str()).or_default() += 1;
        if let Some(g) = c.agreement {
            *agree.entry(g.as_str()).or_default() += 1;
        }
        let origin_text = origin.map_or("NONE".to_owned(), |o| o.to_string());
        match a.format {
            OutputFormat::Csv => {
                write!(
                    out,
                    "{},{},{},{},{}",
                    prefix,
                    origin_text,
                    c.status.as_str(),
                    registered_text(&c),
                    c.holder.as_deref().unwrap_or("")
                )?;
                if with_rpki {
                    write!(
                        out,
                        ",{},{}",
                        c.rpki.map_or("", |r| r.as_str()),
                        c.agreement.map_or("", |g| g.as_str())
                    )?;
                }
                writeln!(out)?;
            }
            OutputFormat::Table => {
                write!(
                    out,
                    "{:<44} {:>10}  {:<14} {:<8} ",
                    prefix.to_string(),
                    origin_text,
                    c.status.as_str(),
                    c.holder.as_deref().unwrap_or("-")
                )?;
                if with_rpki {
                    write!(
                        out,
                        "{:<10} {:<10} ",
                        c.rpki.map_or("-", |r| r.as_str()),
                        c.agreement.map_or("-", |g| g.as_str())
                    )?;
                }
                writeln!(out, "{}", registered_text(&c))?;
            }
            OutputFormat::Jsonl | OutputFormat::Json => {
                let row = CheckRow {
                    prefix,
                    origin,
                    status: c.status.as_str(),
                    registered: &c.registered,
                    holder: c.holder.as_deref(),
                    rpki: c.rpki.map(|r| r.as_str()),
                    agreement: c.agreement.map(|g| g.as_str()),
                };
                if a.format == OutputFormat::Jsonl {
                    serde_json::to_writer(&mut out, &row)?;
                    writeln!(out)?;
                } else {
                    rows.push(serde_json::to_value(&row)?);
                }
            }
        }
    }
    if a.format == OutputFormat::Json {
        let doc = serde_json::json!({
            "routes": rows.len(),
            "status": counts,
            "agreement": agree,
            "checks": rows,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    }
    out.flush()?;
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!(
        "routenorms: {} routes: {}",
        routes.len(),
        summary.join(", ")
    );
    if with_rpki {
        let s: Vec<String> = agree.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!("routenorms: IRR and RPKI: {}", s.join(", "));
    }
    Ok(outcome(damaged))
}

#[derive(Debug, serde::Serialize)]
struct SetRow {
    name: String,
    source: String,
    depth: usize,
    depth_limited: bool,
    cycles: Vec<String>,
    sets: usize,
    members: usize,
    unresolved: Vec<String>,
    prefixes_v4: usize,
    prefixes_v6: usize,
}

fn sets(a: SetsArgs) -> Result<Outcome> {
    let (mut db, _, damaged) = load_db(&a.irr.files, false)?;
    db.finish();
    let view = db.view(&a.sources)?;
    let names: Vec<String> = db
        .sets()
        .iter()
        .filter(|s| s.class == Class::AsSet && view.enabled(s.source))
        .map(|s| format!("{}::{}", db.source_name(s.source), s.set.name))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = names.len().div_ceil(threads).max(1);
    let mut rows: Vec<SetRow> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                let view = &view;
                s.spawn(move || {
                    part.iter()
                        .filter_map(|n| {
                            let e = view.expand(n, a.max_depth)?;
                            let mut v4 = BTreeSet::new();
                            let mut v6 = BTreeSet::new();
                            for asn in &e.asns {
                                for r in view.routes_of(*asn, None) {
                                    match r.prefix.afi() {
                                        Afi::Ipv4 => v4.insert(r.prefix),
                                        Afi::Ipv6 => v6.insert(r.prefix),
                                    };
                                }
                            }
                            Some(SetRow {
                                name: e.name.clone(),
                                source: e.source.clone(),
                                depth: e.depth,
                                depth_limited: !e.depth_limited.is_empty(),
                                cycles: e.cycles.iter().map(|(s, m)| format!("{s}>{m}")).collect(),
                                sets: e.sets,
                                members: e.asns.len(),
                                unresolved: e.unresolved.iter().cloned().collect(),
                                prefixes_v4: v4.len(),
                                prefixes_v6: v6.len(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("set worker"))
            .collect()
    });
    rows.sort_by(|x, y| (&x.name, &x.source).cmp(&(&y.name, &y.source)));
    let mut out = io::BufWriter::new(io::stdout().lock());
    match a.format {
        OutputFormat::Table => {
            writeln!(
                out,
                "{:<40} {:<10} {:>5} {:>6} {:>8} {:>10} {:>8} {:>8}  unresolved",
                "as-set", "source", "depth", "cycles", "sets", "members", "pfx-v4", "pfx-v6"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<40} {:<10} {:>5}{} {:>6} {:>8} {:>10} {:>8} {:>8}  {}",
                    r.name,
                    r.source,
                    r.depth,
                    if r.depth_limited { "+" } else { " " },
                    r.cycles.len(),
                    r.sets,
                    r.members,
                    r.prefixes_v4,
                    r.prefixes_v6,
                    r.unresolved.join(" ")
                )?;
            }
        }
        OutputFormat::Csv => {
            writeln!(out, "as_set,source,depth,depth_limited,cycles,sets,members,unresolved,prefixes_v4,prefixes_v6")?;
            for r in &rows {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    r.name,
                    r.source,
                    r.depth,
                    r.depth_limited,
                    r.cycles.join(" "),
                    r.sets,
                    r.members,
                    r.unresolved.join(" "),
                    r.prefixes_v4,
                    r.prefixes_v6
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
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(outcome(damaged))
}

fn serve(a: ServeArgs) -> Result<Outcome> {
    let (mut db, _, _) = load_db(&a.irr.files, true)?;
    if let Some(path) = &a.vrps {
        let vrps = load_vrps(path)?;
        let dropped = db.retain_routes(|r, _| {
            vrps.validate_state(r.prefix, Some(r.origin)).0 != routenorms_rpki::RovState::Invalid
        });
        eprintln!("routenorms: {dropped} RPKI-invalid route entries left out");
        db.add_rpki_source(&vrps, true);
    }
    db.finish();
    let db = Arc::new(db);
    let timeout = Duration::from_secs(a.timeout.max(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("cannot listen on {}", a.listen))?;
        eprintln!(
            "routenorms: whois listening on {} ({} sources: {})",
            listener.local_addr()?,
            db.sources().len(),
            db.sources().join(",")
        );
        let slots = Arc::new(tokio::sync::Semaphore::new(a.max_clients.max(1)));
        loop {
            let (sock, _) = listener.accept().await?;
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                // Over the limit: refuse at once rather than queue.
                drop(sock);
                continue;
            };
            let db = db.clone();
            tokio::spawn(async move {
                let _ = serve_client(sock, &db, timeout).await;
                drop(permit);
            });
        }
    })
}

/// One client: bounded query lines, an idle timeout, and a write timeout that drops clients
/// that do not read their answers.
async fn serve_client(
    sock: tokio::net::TcpStream,
    db: &IrrDb,
    timeout: Duration,
) -> io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let (r, mut w) = sock.into_split();
    let mut reader = tokio::io::BufReader::new(r);
    let mut session = Session::new(db);
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let limit = (MAX_QUERY_LEN + 2) as u64;
        let n = match tokio::time::timeout(
            timeout,
            (&mut reader).take(limit).read_until(b'\n', &mut line),
        )
        .await
        {
            Ok(r) => r?,
            Err(_) => return Ok(()), // idle too long
        };
        if n == 0 {
            return Ok(());
        }
        if line.last() != Some(&b'\n') && n as u64 == limit {
            let _ = tokio::time::timeout(timeout, w.write_all(b"F query too long\n")).await;
            return Ok(());
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        let reply = session.answer_line(&line);
        if !reply.bytes.is_empty() {
            match tokio::time::timeout(timeout, w.write_all(&reply.bytes)).await {
                Ok(r) => r?,
                Err(_) => return Ok(()), // the client does not read: drop it
            }
        }
        if reply.close {
            let _ = w.shutdown().await;
            return Ok(());
        }
    }
}
