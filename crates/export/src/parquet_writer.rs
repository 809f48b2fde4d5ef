//! Parquet through the `parquet` crate's low-level column writers (no arrow): one OPTIONAL leaf
//! per column under a flat message, nulls as definition level 0.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, IntType, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type,
};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::Type;

use crate::{Cell, ColumnKind, ExportError, Table, PARQUET_ROW_GROUP_ROWS};

/// Writes `t` as an uncompressed Parquet file, a row group per [`PARQUET_ROW_GROUP_ROWS`] rows.
///
/// Column types: Text → `BYTE_ARRAY` (`STRING`), UInt32 → `INT32` (`INTEGER(32, unsigned)`),
/// UInt64 → `INT64` (`INTEGER(64, unsigned)`), Float64 → `DOUBLE`, Bool → `BOOLEAN`; all
/// `OPTIONAL`. The schema's root is named after the table.
pub fn write_parquet(t: &Table, out: impl Write + Send) -> Result<(), ExportError> {
    write_parquet_grouped(t, out, PARQUET_ROW_GROUP_ROWS)
}

/// [`write_parquet`] with the row-group size as a parameter, so tests can cross group borders.
pub(crate) fn write_parquet_grouped(
    t: &Table,
    out: impl Write + Send,
    group_rows: usize,
) -> Result<(), ExportError> {
    t.validate()?;
    let group_rows = group_rows.max(1);
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .build();
    let mut file = SerializedFileWriter::new(out, Arc::new(schema(t)?), Arc::new(props))
        .map_err(from_parquet)?;
    for (g, rows) in t.rows.chunks(group_rows).enumerate() {
        let first_row = g * group_rows;
        let mut group = file.next_row_group().map_err(from_parquet)?;
        for (j, col) in t.columns.iter().enumerate() {
            let mut cw = group.next_column().map_err(from_parquet)?.ok_or_else(|| {
                ExportError::Parquet("schema has fewer leaves than columns".into())
            })?;
            write_column(&mut cw, col.kind, rows, j, first_row)?;
            cw.close().map_err(from_parquet)?;
        }
        group.close().map_err(from_parquet)?;
    }
    file.close().map_err(from_parquet)?;
    Ok(())
}

fn schema(t: &Table) -> Result<Type, ExportError> {
    let fields = t
        .columns
        .iter()
        .map(|c| {
            let (physical, logical) = match c.kind {
                ColumnKind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                ColumnKind::UInt32 => (PhysicalType::INT32, Some(unsigned(32))),
                ColumnKind::UInt64 => (PhysicalType::INT64, Some(unsigned(64))),
                ColumnKind::Float64 => (PhysicalType::DOUBLE, None),
                ColumnKind::Bool => (PhysicalType::BOOLEAN, None),
            };
            // The builder fills in the legacy converted type (UTF8, UINT_32, UINT_64) from the
            // logical type, which older readers rely on.
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(from_parquet)?;
    Type::group_type_builder(&t.name)
        .with_fields(fields)
        .build()
        .map_err(from_parquet)
}

fn unsigned(bit_width: i8) -> LogicalType {
    LogicalType::Integer(IntType {
        bit_width,
        is_signed: false,
    })
}

fn write_column(
    cw: &mut SerializedColumnWriter<'_>,
    kind: ColumnKind,
    rows: &[Vec<Cell>],
    j: usize,
    first_row: usize,
) -> Result<(), ExportError> {
    match kind {
        ColumnKind::Text => write_values::<ByteArrayType>(cw, rows, j, first_row, |c| match c {
            Cell::Text(s) => Some(ByteArray::from(s.as_str())),
            _ => None,
        }),
        // Unsigned values travel in the signed physical type bit for bit; the logical type
        // tells readers to read them back as unsigned.
        ColumnKind::UInt32 => write_values::<Int32Type>(cw, rows, j, first_row, |c| match c {
            Cell::UInt(v) => u32::try_from(*v).ok().map(|v| v as i32),
            _ => None,
        }),
        ColumnKind::UInt64 => write_values::<Int64Type>(cw, rows, j, first_row, |c| match c {
            Cell::UInt(v) => Some(*v as i64),
            _ => None,
        }),
        ColumnKind::Float64 => write_values::<DoubleType>(cw, rows, j, first_row, |c| match c {
            Cell::Float(v) => Some(*v),
            _ => None,
        }),
        ColumnKind::Bool => write_values::<BoolType>(cw, rows, j, first_row, |c| match c {
            Cell::Bool(v) => Some(*v),
            _ => None,
        }),
    }
}

/// Gathers column `j` of `rows` into non-null values plus definition levels and writes them.
/// `value` maps a non-null cell to its physical value, `None` for a cell of the wrong kind
/// (already excluded by validation; reported as a shape error rather than trusted).
fn write_values<T: DataType>(
    cw: &mut SerializedColumnWriter<'_>,
    rows: &[Vec<Cell>],
    j: usize,
    first_row: usize,
    value: impl Fn(&Cell) -> Option<T::T>,
) -> Result<(), ExportError> {
    let mut values = Vec::with_capacity(rows.len());
    let mut def_levels = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mismatch = |reason| ExportError::ShapeMismatch {
            row: first_row + i,
            reason,
        };
        match row.get(j) {
            None => return Err(mismatch("row length differs from the number of columns")),
            Some(Cell::Null) => def_levels.push(0),
            Some(cell) => {
                values.push(
                    value(cell)
                        .ok_or_else(|| mismatch("cell type does not match its column kind"))?,
                );
                def_levels.push(1);
            }
        }
    }
    cw.typed::<T>()
        .write_batch(&values, Some(&def_levels), None)
        .map_err(from_parquet)?;
    Ok(())
}

/// Keeps I/O failures of the underlying writer as [`ExportError::Io`].
fn from_parquet(e: ParquetError) -> ExportError {
    match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => ExportError::Io(*io),
            Err(other) => ExportError::Parquet(other.to_string()),
        },
        other => ExportError::Parquet(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;
    use bytes::Bytes;
    use parquet::basic::ConvertedType;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn all_kinds() -> Vec<Column> {
        vec![
            Column::new("name", ColumnKind::Text),
            Column::new("asn", ColumnKind::UInt32),
            Column::new("count", ColumnKind::UInt64),
            Column::new("share", ColumnKind::Float64),
            Column::new("valid", ColumnKind::Bool),
        ]
    }

    fn sample() -> Table {
        Table {
            name: "sample".into(),
            columns: all_kinds(),
            rows: vec![
                vec![
                    Cell::Text("AS-EXAMPLE, \"quoted\" ü".into()),
                    Cell::UInt(u64::from(u32::MAX)),
                    Cell::UInt(u64::MAX),
                    Cell::Float(-0.1),
                    Cell::Bool(true),
                ],
                vec![Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null],
                vec![
                    Cell::Text(String::new()),
                    Cell::UInt(i32::MAX as u64 + 1),
                    Cell::UInt(i64::MAX as u64 + 1),
                    Cell::Float(f64::INFINITY),
                    Cell::Bool(false),
                ],
                vec![
                    Cell::Null,
                    Cell::UInt(0),
                    Cell::UInt(0),
                    Cell::Float(1e300),
                    Cell::Null,
                ],
            ],
        }
    }

    fn to_bytes(t: &Table, group_rows: usize) -> Bytes {
        let mut out = Vec::new();
        write_parquet_grouped(t, &mut out, group_rows).unwrap();
        Bytes::from(out)
    }

    /// Reads every row back through the crate's own record reader, as cells.
    fn read_back(data: Bytes) -> (Vec<String>, Vec<Vec<Cell>>) {
        let reader = SerializedFileReader::new(data).unwrap();
        let names = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let rows = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| match f {
                        Field::Null => Cell::Null,
                        Field::Str(s) => Cell::Text(s.clone()),
                        Field::UInt(v) => Cell::UInt(u64::from(*v)),
                        Field::ULong(v) => Cell::UInt(*v),
                        Field::Double(v) => Cell::Float(*v),
                        Field::Bool(v) => Cell::Bool(*v),
                        other => panic!("unexpected field {other:?}"),
                    })
                    .collect()
            })
            .collect();
        (names, rows)
    }

    #[test]
    fn round_trip_keeps_values_nulls_and_unsigned_above_signed_max() {
        let t = sample();
        let (names, rows) = read_back(to_bytes(&t, PARQUET_ROW_GROUP_ROWS));
        assert_eq!(names, ["name", "asn", "count", "share", "valid"]);
        assert_eq!(rows, t.rows);
    }

    #[test]
    fn schema_marks_every_column_optional_with_its_logical_type() {
        let reader = SerializedFileReader::new(to_bytes(&sample(), 10)).unwrap();
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        assert_eq!(schema.root_schema().name(), "sample");
        let got: Vec<_> = schema
            .columns()
            .iter()
            .map(|c| {
                let t = c.self_type();
                (
                    t.get_physical_type(),
                    t.get_basic_info().repetition(),
                    t.get_basic_info().logical_type_ref().cloned(),
                    t.get_basic_info().converted_type(),
                )
            })
            .collect();
        let opt = Repetition::OPTIONAL;
        assert_eq!(
            got,
            [
                (
                    PhysicalType::BYTE_ARRAY,
                    opt,
                    Some(LogicalType::String),
                    ConvertedType::UTF8
                ),
                (
                    PhysicalType::INT32,
                    opt,
                    Some(unsigned(32)),
                    ConvertedType::UINT_32
                ),
                (
                    PhysicalType::INT64,
                    opt,
                    Some(unsigned(64)),
                    ConvertedType::UINT_64
                ),
                (PhysicalType::DOUBLE, opt, None, ConvertedType::NONE),
                (PhysicalType::BOOLEAN, opt, None, ConvertedType::NONE),
            ]
        );
    }

    #[test]
    fn rows_split_into_groups_of_the_given_size_and_read_back_in_order() {
        let t = Table {
            name: "big".into(),
            columns: vec![
                Column::new("i", ColumnKind::UInt64),
                Column::new("s", ColumnKind::Text),
            ],
            rows: (0..10u64)
                .map(|i| {
                    let s = if i % 3 == 0 {
                        Cell::Null
                    } else {
                        Cell::Text(format!("r{i}"))
                    };
                    vec![Cell::UInt(i), s]
                })
                .collect(),
        };
        let data = to_bytes(&t, 4);
        let reader = SerializedFileReader::new(data.clone()).unwrap();
        let sizes: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        assert_eq!(sizes, [4, 4, 2]);
        assert_eq!(read_back(data).1, t.rows);
    }

    #[test]
    fn table_without_rows_is_a_valid_file_with_the_schema() {
        let t = Table {
            name: "empty".into(),
            columns: all_kinds(),
            rows: vec![],
        };
        let data = to_bytes(&t, PARQUET_ROW_GROUP_ROWS);
        let reader = SerializedFileReader::new(data.clone()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
        let (names, rows) = read_back(data);
        assert_eq!(names.len(), 5);
        assert!(rows.is_empty());
    }

    #[test]
    fn failing_writer_surfaces_as_io_error() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::Error::other("disk full"))
            }
        }
        let err = write_parquet(&sample(), Broken).unwrap_err();
        assert!(
            matches!(err, ExportError::Io(ref e) if e.to_string() == "disk full"),
            "{err:?}"
        );
        let err = crate::write_csv(&sample(), &mut Broken).unwrap_err();
        assert!(matches!(err, ExportError::Io(_)), "{err:?}");
    }
}
