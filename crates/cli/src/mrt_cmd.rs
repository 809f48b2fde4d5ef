//! `routenorms mrt dump` and `routenorms mrt stats`.

use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use routenorms_mrt::dump::{DumpProcessor, LineFormat};
use routenorms_mrt::element::Element;
use routenorms_mrt::input::{self, Input, InputOptions};
use routenorms_mrt::pipeline;
use routenorms_mrt::stats::{DamageReport, Stats, StatsProcessor, MAX_DAMAGE_REPORTS};
use routenorms_types::Afi;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Subcommand)]
pub enum MrtCommand {
    /// Print every RIB entry, announced or withdrawn prefix and state change.
    ///
    /// With -m (or the default --format table) the lines are exactly those of `bgpdump -m`;
    /// --format jsonl, json or csv give the same facts as structured rows. Compression (gzip,
    /// bzip2, xz, zstd) is detected from the data. Damaged records are reported on stderr with
    /// their byte offset and skipped; the exit code is then 2.
    Dump(DumpArgs),
    /// Count records by type, routes, peers, distinct prefixes and origin ASNs, and damage.
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// MRT files to read (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Threads for bzip2 decompression and for decoding (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Never draw a progress bar (it is drawn only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// One line per entry in `bgpdump -m` format (the same as --format table).
    #[arg(short = 'm')]
    machine: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Output format (jsonl and csv give one row per file).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    #[command(flatten)]
    common: CommonArgs,
}

pub fn run(cmd: MrtCommand) -> Result<Outcome> {
    match cmd {
        MrtCommand::Dump(a) => dump(a),
        MrtCommand::Stats(a) => stats(a),
    }
}

fn threads(common: &CommonArgs) -> usize {
    common
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

fn open(path: &Path, threads: usize) -> Result<Input> {
    input::open(
        path,
        InputOptions {
            bzip2_threads: threads,
        },
    )
    .with_context(|| format!("cannot open {}", path.display()))
}

fn progress(common: &CommonArgs, input: &Input, path: &std::path::Path) -> Option<ProgressBar> {
    if common.no_progress || !io::stderr().is_terminal() {
        return None;
    }
    let bar = match input.compressed_len {
        Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(path.display().to_string());
    let consumed = input.consumed.clone();
    let b = bar.clone();
    std::thread::spawn(move || {
        while !b.is_finished() {
            b.set_position(consumed.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    Some(bar)
}

/// Prints damage reports to stderr: every one up to a limit, then a count.
fn report_damage(path: &std::path::Path, reports: &[DamageReport], total: u64) {
    for d in reports.iter().take(MAX_DAMAGE_REPORTS) {
        if d.skipped > 0 {
            eprintln!(
                "routenorms: {}: damaged input at byte {}: {} ({} bytes skipped)",
                path.display(),
                d.offset,
                d.reason,
                d.skipped
            );
        } else {
            eprintln!(
                "routenorms: {}: damaged record at byte {}: {}",
                path.display(),
                d.offset,
                d.reason
            );
        }
    }
    if total > MAX_DAMAGE_REPORTS as u64 {
        eprintln!(
            "routenorms: {}: {} more damaged records not shown",
            path.display(),
            total - MAX_DAMAGE_REPORTS as u64
        );
    }
}

fn dump(args: DumpArgs) -> Result<Outcome> {
    let format = if args.machine {
        OutputFormat::Table
    } else {
        args.format
    };
    let line_format = match format {
        OutputFormat::Table => LineFormat::Bgpdump,
        OutputFormat::Jsonl | OutputFormat::Json => LineFormat::Jsonl,
        OutputFormat::Csv => LineFormat::Csv,
    };
    let threads = threads(&args.common);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    if format == OutputFormat::Csv {
        writeln!(out, "{}", Element::CSV_HEADER)?;
    }
    if format == OutputFormat::Json {
        out.write_all(b"[")?;
    }
    let mut first_json = true;
    let mut outcome = Outcome::Clean;
    for path in &args.common.files {
        let input = open(path, threads)?;
        let bar = progress(&args.common, &input, path);
        let mut damage = Vec::new();
        let mut damaged = 0u64;
        let mut write_err: Option<io::Error> = None;
        let (_, ending) = pipeline::run(
            input.reader,
            threads,
            || DumpProcessor::new(line_format),
            |o| {
                damaged += o.damage.len() as u64;
                damage.extend(o.damage.into_iter().take(MAX_DAMAGE_REPORTS));
                if write_err.is_some() {
                    return;
                }
                let r = if format == OutputFormat::Json {
                    write_json_array_items(&mut out, &o.text, &mut first_json)
                } else {
                    out.write_all(&o.text)
                };
                if let Err(e) = r {
                    write_err = Some(e);
                }
            },
        );
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(e) = write_err {
            return Err(e).context("cannot write output");
        }
        report_damage(path, &damage, damaged);
        if let Some(e) = ending.input_error {
            eprintln!("routenorms: {}: input ends early: {e}", path.display());
            outcome = Outcome::Damaged;
        }
        if damaged > 0 {
            outcome = Outcome::Damaged;
        }
    }
    if format == OutputFormat::Json {
        out.write_all(b"\n]\n")?;
    }
    out.flush().context("cannot write output")?;
    Ok(outcome)
}

/// Turns JSON lines into array items separated by commas.
fn write_json_array_items(out: &mut impl Write, text: &[u8], first: &mut bool) -> io::Result<()> {
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        out.write_all(if *first { b"\n" } else { b",\n" })?;
        *first = false;
        out.write_all(line)?;
    }
    Ok(())
}

/// The figures `mrt stats` prints for one file.
#[derive(Debug, serde::Serialize)]
struct FileStats {
    file: String,
    compression: &'static str,
    compressed_bytes: Option<u64>,
    decompressed_bytes: u64,
    records: std::collections::BTreeMap<String, u64>,
    records_total: u64,
    unsupported_records: u64,
    rib_entries: u64,
    announcements: u64,
    withdrawals: u64,
    state_changes: u64,
    peers: usize,
    peer_index_table_peers: usize,
    prefixes_v4: usize,
    prefixes_v6: usize,
    origin_asns: usize,
    nlri_host_bits_cleared: u64,
    treat_as_withdraw: u64,
    attributes_discarded: u64,
    unknown_peer_index: u64,
    rib_without_peer_table: u64,
    damaged_records: u64,
    damage: Vec<DamageReport>,
    input_error: Option<String>,
    wall_seconds: f64,
    decompressed_mb_per_second: f64,
    elements_per_second: f64,
}

fn stats(args: StatsArgs) -> Result<Outcome> {
    let threads = threads(&args.common);
    let mut all = Vec::new();
    let mut outcome = Outcome::Clean;
    for path in &args.common.files {
        let started = Instant::now();
        let input = open(path, threads)?;
        let compression = input.compression.name();
        let compressed_bytes = input.compressed_len;
        let bar = progress(&args.common, &input, path);
        let mut s = Stats::default();
        let (procs, ending) = pipeline::run(input.reader, threads, StatsProcessor::default, |k| {
            s.absorb(k)
        });
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        for p in procs {
            s.merge(p.stats);
        }
        let wall = started.elapsed().as_secs_f64();
        let elements = s.rib_entries + s.announcements + s.withdrawals + s.state_changes;
        if s.damaged > 0 || ending.input_error.is_some() {
            outcome = Outcome::Damaged;
        }
        all.push(FileStats {
            file: path.display().to_string(),
            compression,
            compressed_bytes,
            decompressed_bytes: ending.bytes,
            records_total: s.records.values().sum(),
            records: s.records.clone(),
            unsupported_records: s.unsupported,
            rib_entries: s.rib_entries,
            announcements: s.announcements,
            withdrawals: s.withdrawals,
            state_changes: s.state_changes,
            peers: s.peers.len(),
            peer_index_table_peers: s.peer_table_size,
            prefixes_v4: s.prefixes_of(Afi::Ipv4),
            prefixes_v6: s.prefixes_of(Afi::Ipv6),
            origin_asns: s.origins.len(),
            nlri_host_bits_cleared: s.notes.host_bits,
            treat_as_withdraw: s.notes.treat_as_withdraw,
            attributes_discarded: s.notes.attributes_discarded,
            unknown_peer_index: s.notes.unknown_peer_index,
            rib_without_peer_table: s.notes.rib_without_peer_table,
            damaged_records: s.damaged,
            damage: s.damage.clone(),
            input_error: ending.input_error.map(|e| e.to_string()),
            wall_seconds: wall,
            decompressed_mb_per_second: ending.bytes as f64 / 1e6 / wall.max(1e-9),
            elements_per_second: elements as f64 / wall.max(1e-9),
        });
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for f in &all {
                serde_json::to_writer(&mut out, f)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => write_stats_csv(&mut out, &all)?,
        OutputFormat::Table => {
            for f in &all {
                write_stats_table(&mut out, f)?;
            }
        }
    }
    Ok(outcome)
}

fn write_stats_csv(out: &mut impl Write, all: &[FileStats]) -> io::Result<()> {
    writeln!(
        out,
        "file,compression,decompressed_bytes,records,rib_entries,announcements,withdrawals,\
state_changes,peers,prefixes_v4,prefixes_v6,origin_asns,damaged_records,wall_seconds"
    )?;
    for f in all {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{:.3}",
            f.file,
            f.compression,
            f.decompressed_bytes,
            f.records_total,
            f.rib_entries,
            f.announcements,
            f.withdrawals,
            f.state_changes,
            f.peers,
            f.prefixes_v4,
            f.prefixes_v6,
            f.origin_asns,
            f.damaged_records,
            f.wall_seconds
        )?;
    }
    Ok(())
}

fn write_stats_table(out: &mut impl Write, f: &FileStats) -> io::Result<()> {
    writeln!(out, "{}", f.file)?;
    let row = |out: &mut dyn Write, k: &str, v: String| writeln!(out, "  {k:<42} {v}");
    row(out, "compression", f.compression.to_string())?;
    row(out, "decompressed bytes", f.decompressed_bytes.to_string())?;
    row(out, "records", f.records_total.to_string())?;
    for (k, v) in &f.records {
        row(out, &format!("  {k}"), v.to_string())?;
    }
    row(out, "RIB entries", f.rib_entries.to_string())?;
    row(out, "announcements", f.announcements.to_string())?;
    row(out, "withdrawals", f.withdrawals.to_string())?;
    row(out, "state changes", f.state_changes.to_string())?;
    row(out, "peers", f.peers.to_string())?;
    row(out, "distinct prefixes (IPv4)", f.prefixes_v4.to_string())?;
    row(out, "distinct prefixes (IPv6)", f.prefixes_v6.to_string())?;
    row(out, "distinct origin ASNs", f.origin_asns.to_string())?;
    if f.unsupported_records > 0 {
        row(
            out,
            "records not decoded",
            f.unsupported_records.to_string(),
        )?;
    }
    if f.nlri_host_bits_cleared > 0 {
        row(
            out,
            "NLRI host bits cleared",
            f.nlri_host_bits_cleared.to_string(),
        )?;
    }
    if f.treat_as_withdraw > 0 {
        row(
            out,
            "treat-as-withdraw (RFC 7606)",
            f.treat_as_withdraw.to_string(),
        )?;
    }
    if f.attributes_discarded > 0 {
        row(
            out,
            "attributes discarded",
            f.attributes_discarded.to_string(),
        )?;
    }
    row(out, "damaged records", f.damaged_records.to_string())?;
    for d in &f.damage {
        row(out, "  at byte", format!("{}: {}", d.offset, d.reason))?;
    }
    if let Some(e) = &f.input_error {
        row(out, "input ends early", e.clone())?;
    }
    row(out, "wall time", format!("{:.3} s", f.wall_seconds))?;
    row(
        out,
        "throughput",
        format!(
            "{:.1} MB/s decompressed, {:.0} elements/s",
            f.decompressed_mb_per_second, f.elements_per_second
        ),
    )?;
    Ok(())
}
