//! The one output-format switch every command shares.

use clap::ValueEnum;

/// How results are printed: `table` for people, `json`, `jsonl` and `csv` for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned, human-readable text (for `mrt dump`: bgpdump `-m` lines).
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}
