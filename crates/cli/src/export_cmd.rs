//! `routenorms export`: one stored table, every period or one, as CSV or Parquet — the
//! store's rows as they are, for researchers' own tools (pandas, DuckDB, R, spreadsheets).

use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use routenorms_export::{Cell, Column, ColumnKind, ExportFormat, Table};
use routenorms_store::{CardFilter, IncidentFilter, Page, Store, MAX_PAGE};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// The stored tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableName {
    /// One row per period: when it was observed and its global report (JSON).
    Periods,
    /// One row per ASN and period: its report card (JSON) and the columns that index it.
    Cards,
    /// One row per roll-up (global, country, region) and period (JSON).
    Rollups,
    /// One row per incident and period: its parties, times, weight and evidence (JSON).
    Incidents,
    /// One row per route (prefix, origin) and period with its states.
    Routes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The store: a SQLite file or clickhouse://HOST:PORT/DATABASE.
    #[arg(long)]
    store: String,
    /// Which table.
    #[arg(long, value_enum)]
    table: TableName,
    /// Only this period (default: every stored period).
    #[arg(long)]
    period: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Write here instead of standard output (Parquet is never written to a terminal).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt_text(s: Option<String>) -> Cell {
    s.map_or(Cell::Null, Cell::Text)
}

fn columns(spec: &[(&str, ColumnKind)]) -> Vec<Column> {
    spec.iter().map(|(n, k)| Column::new(*n, *k)).collect()
}

/// Every page of a paged listing.
fn all_pages<T>(
    mut page: impl FnMut(Page) -> Result<Vec<T>, routenorms_store::StoreError>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    loop {
        let rows = page(Page {
            limit: MAX_PAGE,
            offset: out.len() as u64,
        })?;
        let n = rows.len();
        out.extend(rows);
        if n < MAX_PAGE as usize {
            return Ok(out);
        }
    }
}

/// The rows of `table` in the given periods, as an export table.
fn read_table(store: &Store, table: TableName, periods: &[String]) -> Result<Table> {
    use ColumnKind::*;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let (name, cols) = match table {
        TableName::Periods => {
            for p in periods {
                if let Some(report) = store.report(p)? {
                    rows.push(vec![text(p.clone()), text(report)]);
                }
            }
            ("periods", columns(&[("period", Text), ("report", Text)]))
        }
        TableName::Cards => {
            for p in periods {
                for c in all_pages(|page| store.cards(p, &CardFilter::default(), page))? {
                    rows.push(vec![
                        text(p.clone()),
                        Cell::UInt(c.asn.into()),
                        opt_text(c.name),
                        opt_text(c.country),
                        opt_text(c.region),
                        Cell::Bool(c.scored),
                        Cell::Bool(c.ready),
                        Cell::UInt(c.routes),
                        text(c.card),
                    ]);
                }
            }
            (
                "cards",
                columns(&[
                    ("period", Text),
                    ("asn", UInt32),
                    ("name", Text),
                    ("country", Text),
                    ("region", Text),
                    ("scored", Bool),
                    ("ready", Bool),
                    ("routes", UInt64),
                    ("card", Text),
                ]),
            )
        }
        TableName::Rollups => {
            for p in periods {
                for scope in ["global", "country", "region"] {
                    for r in store.rollups(p, scope)? {
                        rows.push(vec![
                            text(p.clone()),
                            text(r.scope),
                            text(r.key),
                            text(r.rollup),
                        ]);
                    }
                }
            }
            (
                "rollups",
                columns(&[
                    ("period", Text),
                    ("scope", Text),
                    ("key", Text),
                    ("rollup", Text),
                ]),
            )
        }
        TableName::Incidents => {
            for p in periods {
                let mut list =
                    all_pages(|page| store.incidents(p, &IncidentFilter::default(), page))?;
                list.sort_by_key(|i| i.id);
                for i in list {
                    let accomplices: Vec<String> =
                        i.accomplices.iter().map(u32::to_string).collect();
                    rows.push(vec![
                        text(p.clone()),
                        Cell::UInt(i.id),
                        text(i.metric),
                        text(i.kind),
                        Cell::UInt(i.culprit.into()),
                        text(accomplices.join(",")),
                        Cell::UInt(i.start.into()),
                        Cell::UInt(i.end.into()),
                        Cell::Float(i.weight),
                        text(i.incident),
                    ]);
                }
            }
            (
                "incidents",
                columns(&[
                    ("period", Text),
                    ("id", UInt64),
                    ("metric", Text),
                    ("kind", Text),
                    ("culprit", UInt32),
                    ("accomplices", Text),
                    ("start", UInt32),
                    ("end", UInt32),
                    ("weight", Float64),
                    ("incident", Text),
                ]),
            )
        }
        TableName::Routes => {
            for p in periods {
                let mut after: Option<(u32, String)> = None;
                loop {
                    let page = store.routes_after(
                        p,
                        after.as_ref().map(|(o, x)| (*o, x.as_str())),
                        MAX_PAGE,
                    )?;
                    let Some(last) = page.last() else { break };
                    after = Some((last.origin, last.prefix.clone()));
                    for r in page {
                        rows.push(vec![
                            text(p.clone()),
                            Cell::UInt(r.origin.into()),
                            text(r.prefix),
                            Cell::UInt(r.peers.into()),
                            Cell::UInt(r.peer_asns.into()),
                            opt_text(r.rpki),
                            opt_text(r.irr),
                            Cell::Bool(r.bogon_prefix),
                            Cell::Bool(r.bogon_asn),
                            text(r.leakers),
                        ]);
                    }
                }
            }
            (
                "routes",
                columns(&[
                    ("period", Text),
                    ("origin", UInt32),
                    ("prefix", Text),
                    ("peers", UInt32),
                    ("peer_asns", UInt32),
                    ("rpki", Text),
                    ("irr", Text),
                    ("bogon_prefix", Bool),
                    ("bogon_asn", Bool),
                    ("leakers", Text),
                ]),
            )
        }
    };
    Ok(Table {
        name: name.to_string(),
        columns: cols,
        rows,
    })
}

pub fn run(a: ExportArgs) -> Result<Outcome> {
    let format = match a.format {
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Parquet => ExportFormat::Parquet,
    };
    if format == ExportFormat::Parquet && a.out.is_none() && std::io::stdout().is_terminal() {
        bail!("Parquet is binary: give --out FILE or redirect standard output");
    }
    let store = Store::open_existing(&a.store)?;
    let stored = store.periods()?;
    let periods = match a.period {
        Some(p) if stored.contains(&p) => vec![p],
        Some(p) => bail!(
            "{}: no period {p} stored (stored: {})",
            a.store,
            if stored.is_empty() {
                "none".to_string()
            } else {
                stored.join(", ")
            }
        ),
        None => stored,
    };
    let table = read_table(&store, a.table, &periods)?;
    match &a.out {
        Some(path) => {
            // Written beside the target and renamed, so a failed export leaves no half file.
            let tmp = path.with_extension("partial");
            let file = std::fs::File::create(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = std::io::BufWriter::new(file);
            routenorms_export::write(&table, format, &mut w)
                .with_context(|| format!("writing {}", tmp.display()))?;
            w.flush()?;
            drop(w);
            std::fs::rename(&tmp, path).with_context(|| {
                format!("cannot rename {} to {}", tmp.display(), path.display())
            })?;
        }
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout());
            routenorms_export::write(&table, format, &mut w)?;
            w.flush()?;
        }
    }
    eprintln!(
        "routenorms export: {} rows of {} ({} period{}) as {}",
        table.rows.len(),
        table.name,
        periods.len(),
        if periods.len() == 1 { "" } else { "s" },
        format
    );
    Ok(Outcome::Clean)
}
