//! Writing in-memory tables as CSV (RFC 4180) or Parquet for researchers. This crate owns the
//! [`Table`] shape handed over for export, its validation (every row matches the columns) and the
//! two file encodings; it does not read the store, choose or name tables, open files or decide
//! where output goes; the CLI and `routenorms-store` do that and hand a [`Table`] and a writer in.
//!
//! Every column is nullable. A table is checked in full before the first byte is written, so a
//! malformed row yields [`ExportError::ShapeMismatch`] and no partial output.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

mod csv;
mod parquet_writer;

pub use csv::write_csv;
pub use parquet_writer::write_parquet;

/// Rows per Parquet row group; bounds the writer's per-column buffers on very large tables.
pub const PARQUET_ROW_GROUP_ROWS: usize = 1_000_000;

/// The value type of a column. Every column is nullable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// UTF-8 text; Parquet `BYTE_ARRAY` annotated `STRING`.
    Text,
    /// Parquet `INT32` annotated unsigned 32-bit; cells are [`Cell::UInt`] up to `u32::MAX`.
    UInt32,
    /// Parquet `INT64` annotated unsigned 64-bit; cells are [`Cell::UInt`].
    UInt64,
    /// Parquet `DOUBLE`; cells are [`Cell::Float`].
    Float64,
    /// Parquet `BOOLEAN`; cells are [`Cell::Bool`].
    Bool,
}

impl ColumnKind {
    /// Whether `cell` may be stored in a column of this kind (null fits every kind).
    fn accepts(self, cell: &Cell) -> Result<(), &'static str> {
        match (self, cell) {
            (_, Cell::Null)
            | (ColumnKind::Text, Cell::Text(_))
            | (ColumnKind::UInt64, Cell::UInt(_))
            | (ColumnKind::Float64, Cell::Float(_))
            | (ColumnKind::Bool, Cell::Bool(_)) => Ok(()),
            (ColumnKind::UInt32, Cell::UInt(v)) if u32::try_from(*v).is_ok() => Ok(()),
            (ColumnKind::UInt32, Cell::UInt(_)) => Err("value exceeds u32::MAX in a UInt32 column"),
            _ => Err("cell type does not match its column kind"),
        }
    }
}

/// A named column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Self {
        Column {
            name: name.into(),
            kind,
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    UInt(u64),
    Float(f64),
    Bool(bool),
}

/// A table to export: columns and row-major cells, `rows[i][j]` belonging to `columns[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Used as the Parquet schema's root name; not written to CSV.
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Checks the whole table: at least one column, unique column names, every row as long as
    /// the columns and every cell of its column's kind (or null).
    pub fn validate(&self) -> Result<(), ExportError> {
        if self.columns.is_empty() {
            return Err(ExportError::NoColumns);
        }
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i].iter().any(|p| p.name == c.name) {
                return Err(ExportError::DuplicateColumn(c.name.clone()));
            }
        }
        for (row, cells) in self.rows.iter().enumerate() {
            if cells.len() != self.columns.len() {
                return Err(ExportError::ShapeMismatch {
                    row,
                    reason: "row length differs from the number of columns",
                });
            }
            for (cell, col) in cells.iter().zip(&self.columns) {
                col.kind
                    .accepts(cell)
                    .map_err(|reason| ExportError::ShapeMismatch { row, reason })?;
            }
        }
        Ok(())
    }
}

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

impl ExportFormat {
    /// The name accepted by [`FromStr`], also the usual file extension.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("csv") {
            Ok(ExportFormat::Csv)
        } else if s.eq_ignore_ascii_case("parquet") {
            Ok(ExportFormat::Parquet)
        } else {
            Err(ExportError::UnknownFormat(s.to_owned()))
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing export output: {0}")]
    Io(#[from] std::io::Error),
    #[error("row {row}: {reason}")]
    ShapeMismatch { row: usize, reason: &'static str },
    #[error("table has no columns")]
    NoColumns,
    #[error("column name {0:?} appears more than once")]
    DuplicateColumn(String),
    #[error("unknown export format {0:?} (expected csv or parquet)")]
    UnknownFormat(String),
    #[error("parquet writer: {0}")]
    Parquet(String),
}

/// Writes `t` to `out` in `format`. Validates the whole table first (see [`Table::validate`]).
pub fn write(
    t: &Table,
    format: ExportFormat,
    mut out: impl Write + Send,
) -> Result<(), ExportError> {
    match format {
        ExportFormat::Csv => write_csv(t, &mut out),
        ExportFormat::Parquet => write_parquet(t, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Table {
        Table {
            name: "t".into(),
            columns,
            rows,
        }
    }

    #[test]
    fn format_parses_its_names_case_insensitively_and_rejects_others() {
        for f in [ExportFormat::Csv, ExportFormat::Parquet] {
            assert_eq!(f.name().parse::<ExportFormat>().unwrap(), f);
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(
            "Parquet".parse::<ExportFormat>().unwrap(),
            ExportFormat::Parquet
        );
        assert!(matches!(
            "json".parse::<ExportFormat>(),
            Err(ExportError::UnknownFormat(s)) if s == "json"
        ));
    }

    #[test]
    fn short_row_is_a_shape_mismatch_with_its_index() {
        let t = table(
            vec![
                Column::new("a", ColumnKind::Text),
                Column::new("b", ColumnKind::Bool),
            ],
            vec![vec![Cell::Null, Cell::Null], vec![Cell::Null]],
        );
        assert!(matches!(
            t.validate(),
            Err(ExportError::ShapeMismatch { row: 1, .. })
        ));
    }

    #[test]
    fn long_row_is_a_shape_mismatch() {
        let t = table(
            vec![Column::new("a", ColumnKind::Text)],
            vec![vec![Cell::Null, Cell::Null]],
        );
        assert!(matches!(
            t.validate(),
            Err(ExportError::ShapeMismatch { row: 0, .. })
        ));
    }

    #[test]
    fn wrong_cell_type_is_a_shape_mismatch() {
        let t = table(
            vec![Column::new("a", ColumnKind::Float64)],
            vec![
                vec![Cell::Float(1.0)],
                vec![Cell::Null],
                vec![Cell::UInt(3)],
            ],
        );
        assert!(matches!(
            t.validate(),
            Err(ExportError::ShapeMismatch { row: 2, .. })
        ));
    }

    #[test]
    fn uint32_column_rejects_values_above_u32_max() {
        let ok = table(
            vec![Column::new("a", ColumnKind::UInt32)],
            vec![vec![Cell::UInt(u64::from(u32::MAX))]],
        );
        assert!(ok.validate().is_ok());
        let too_big = table(
            vec![Column::new("a", ColumnKind::UInt32)],
            vec![vec![Cell::UInt(u64::from(u32::MAX) + 1)]],
        );
        assert!(matches!(
            too_big.validate(),
            Err(ExportError::ShapeMismatch { row: 0, .. })
        ));
    }

    #[test]
    fn null_fits_every_column_kind() {
        let kinds = [
            ColumnKind::Text,
            ColumnKind::UInt32,
            ColumnKind::UInt64,
            ColumnKind::Float64,
            ColumnKind::Bool,
        ];
        let columns = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| Column::new(format!("c{i}"), *k))
            .collect();
        let t = table(columns, vec![vec![Cell::Null; kinds.len()]]);
        assert!(t.validate().is_ok());
    }

    #[test]
    fn no_columns_and_duplicate_names_are_rejected() {
        assert!(matches!(
            table(vec![], vec![]).validate(),
            Err(ExportError::NoColumns)
        ));
        let dup = table(
            vec![
                Column::new("a", ColumnKind::Text),
                Column::new("a", ColumnKind::Bool),
            ],
            vec![],
        );
        assert!(matches!(dup.validate(), Err(ExportError::DuplicateColumn(n)) if n == "a"));
    }

    #[test]
    fn shape_mismatch_writes_nothing_in_either_format() {
        let t = table(
            vec![Column::new("a", ColumnKind::Text)],
            vec![vec![Cell::Text("x".into())], vec![Cell::Bool(true)]],
        );
        for format in [ExportFormat::Csv, ExportFormat::Parquet] {
            let mut out = Vec::new();
            let err = write(&t, format, &mut out).unwrap_err();
            assert!(
                matches!(err, ExportError::ShapeMismatch { row: 1, .. }),
                "{format}"
            );
            assert!(out.is_empty(), "{format} wrote {} bytes", out.len());
        }
    }
}
