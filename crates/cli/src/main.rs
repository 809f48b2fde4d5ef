//! The `routenorms` binary: parses arguments, calls the library crates, prints their results.
//!
//! Exit codes (documented in the README and `--help`): 0 clean; 1 usage or I/O error;
//! 2 the input had damaged records (the output is still complete for every intact record).

mod export_cmd;
mod irr_cmd;
mod mrt_cmd;
mod observe_cmd;
mod output;
mod report_cmd;
mod rpki_cmd;
mod rtr_cmd;
mod serve_cmd;
mod shard_cmd;
mod sim_cmd;

use clap::{Parser, Subcommand};

/// mimalloc: faster than glibc's allocator for the many small, short-lived allocations of
/// JSON documents and routes, and it scales across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// routenorms — an open routing-security observatory.
#[derive(Debug, Parser)]
#[command(name = "routenorms", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 clean, 1 usage or I/O error, \
2 input had damaged records (output is complete for every intact record).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read MRT routing dumps (RIS, RouteViews, BGP daemons): dump routes or count them.
    #[command(subcommand)]
    Mrt(mrt_cmd::MrtCommand),
    /// Route-origin validation (RFC 6811) of every distinct prefix and origin in MRT dumps or a
    /// route list; a summary per address family goes to stderr.
    Rov(rpki_cmd::RovArgs),
    /// Explain the RFC 6811 verdict for one route: state, reason and every covering VRP.
    Validate(rpki_cmd::ValidateArgs),
    /// Work on VRP sets: compare two validators' outputs.
    #[command(subcommand)]
    Vrps(rpki_cmd::VrpsCommand),
    /// RPKI-to-Router protocol (RFC 6810/8210): serve a payload set to routers, or fetch one.
    #[command(subcommand)]
    Rtr(rtr_cmd::RtrCommand),
    /// Internet Routing Registry data (RPSL): check routes, expand sets, build filters, serve whois.
    #[command(subcommand)]
    Irr(irr_cmd::IrrCommand),
    /// Observe routing data: classify every route, detect incidents, score every network
    /// against the MANRS actions and store the results for one period.
    Observe(observe_cmd::ObserveArgs),
    /// Join the shards of a period (`observe --shard`) inside ClickHouse and store the
    /// period's reports.
    Merge(shard_cmd::MergeArgs),
    /// Print a report card from the store: one ASN, a country, an RIR region or global.
    Report(report_cmd::ReportArgs),
    /// Simulate a small Internet, observe it and print its global report — all offline.
    Demo(report_cmd::DemoArgs),
    /// Serve the store over HTTP: a read-only JSON API under /api/v1/ (OpenAPI document at
    /// /api/v1/openapi.json).
    Serve(serve_cmd::ServeArgs),
    /// Write one stored table (every period or one) as CSV or Parquet.
    Export(export_cmd::ExportArgs),
    /// A deterministic simulated Internet with planted incidents and ground truth.
    #[command(subcommand)]
    Sim(sim_cmd::SimCommand),
}

/// What a command reports back to `main` on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    /// The input had damaged records; everything intact was processed.
    Damaged,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap exits with 2 for usage errors; ours is 1 (2 means damaged input).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Mrt(cmd) => mrt_cmd::run(cmd),
        Command::Rov(args) => rpki_cmd::rov(args),
        Command::Validate(args) => rpki_cmd::validate(args),
        Command::Vrps(cmd) => rpki_cmd::vrps(cmd),
        Command::Rtr(cmd) => rtr_cmd::run(cmd),
        Command::Irr(cmd) => irr_cmd::run(cmd),
        Command::Sim(cmd) => sim_cmd::run(cmd),
        Command::Observe(args) => observe_cmd::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Demo(args) => report_cmd::demo(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Export(args) => export_cmd::run(args),
        Command::Merge(args) => shard_cmd::run_merge(args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Damaged) => ExitCode::from(2),
        Err(e) => {
            if is_broken_pipe(&e) {
                // `routenorms mrt dump ... | head` is normal use, not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("routenorms: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
