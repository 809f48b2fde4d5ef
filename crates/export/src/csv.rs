//! RFC 4180 CSV: CRLF line ends, a header line of column names, fields quoted only when they
//! hold a comma, quote, CR or LF, quotes doubled inside quoted fields.

use std::io::{BufWriter, Write};

use crate::{Cell, ExportError, Table};

/// Writes `t` as RFC 4180 CSV with a header line.
///
/// Null is an empty field; an empty text is written `""` so the two stay distinguishable (as
/// PostgreSQL's `COPY … CSV` does). Booleans are `true`/`false`; floats are the shortest text
/// that parses back to the same value (`2.5e-300` and `1e16` in exponent form, `NaN`, `inf`,
/// `-inf` for the non-finite ones).
pub fn write_csv(t: &Table, out: &mut dyn Write) -> Result<(), ExportError> {
    t.validate()?;
    // Many tiny writes per row: buffer them rather than hit a file or pipe per field.
    let mut w = BufWriter::new(out);
    let names = t.columns.iter().map(|c| c.name.as_str());
    write_line(&mut w, names.map(Field::Text))?;
    for row in &t.rows {
        write_line(&mut w, row.iter().map(Field::from))?;
    }
    w.flush()?;
    Ok(())
}

/// One field before encoding.
enum Field<'a> {
    Null,
    Text(&'a str),
    UInt(u64),
    Float(f64),
    Bool(bool),
}

impl<'a> From<&'a Cell> for Field<'a> {
    fn from(c: &'a Cell) -> Self {
        match c {
            Cell::Null => Field::Null,
            Cell::Text(s) => Field::Text(s),
            Cell::UInt(v) => Field::UInt(*v),
            Cell::Float(v) => Field::Float(*v),
            Cell::Bool(v) => Field::Bool(*v),
        }
    }
}

fn write_line<'a>(
    w: &mut impl Write,
    fields: impl Iterator<Item = Field<'a>>,
) -> std::io::Result<()> {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        match f {
            Field::Null => {}
            Field::Text(s) => write_text(w, s)?,
            Field::UInt(v) => write!(w, "{v}")?,
            Field::Float(v) => write_float(w, v)?,
            Field::Bool(v) => w.write_all(if v { b"true" } else { b"false" })?,
        }
    }
    w.write_all(b"\r\n")
}

/// Shortest round-tripping digits, in exponent form outside [1e-4, 1e16) like Python's `repr`:
/// plain `{}` would spell 1e300 with 301 digits.
fn write_float(w: &mut impl Write, v: f64) -> std::io::Result<()> {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e16).contains(&a) {
        write!(w, "{v:e}")
    } else {
        write!(w, "{v}")
    }
}

fn write_text(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    let needs_quotes = s.is_empty() || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs_quotes {
        return w.write_all(s.as_bytes());
    }
    w.write_all(b"\"")?;
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            w.write_all(b"\"\"")?;
        }
        w.write_all(part.as_bytes())?;
    }
    w.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, ColumnKind};

    fn csv(t: &Table) -> String {
        let mut out = Vec::new();
        write_csv(t, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn header_and_plain_values_use_crlf_and_no_quotes() {
        let t = Table {
            name: "t".into(),
            columns: vec![
                Column::new("asn", ColumnKind::UInt32),
                Column::new("prefixes", ColumnKind::UInt64),
                Column::new("share", ColumnKind::Float64),
                Column::new("valid", ColumnKind::Bool),
                Column::new("name", ColumnKind::Text),
            ],
            rows: vec![
                vec![
                    Cell::UInt(4_294_967_295),
                    Cell::UInt(u64::MAX),
                    Cell::Float(0.1),
                    Cell::Bool(true),
                    Cell::Text("EXAMPLE-AS".into()),
                ],
                vec![
                    Cell::UInt(0),
                    Cell::UInt(7),
                    Cell::Float(-2.5e-300),
                    Cell::Bool(false),
                    Cell::Text("  spaced  ".into()),
                ],
            ],
        };
        assert_eq!(
            csv(&t),
            "asn,prefixes,share,valid,name\r\n\
             4294967295,18446744073709551615,0.1,true,EXAMPLE-AS\r\n\
             0,7,-2.5e-300,false,  spaced  \r\n"
        );
    }

    #[test]
    fn fields_with_comma_quote_cr_or_lf_are_quoted_with_doubled_quotes() {
        let t = Table {
            name: "t".into(),
            columns: vec![
                Column::new("a,b", ColumnKind::Text),
                Column::new("say \"hi\"", ColumnKind::Text),
            ],
            rows: vec![
                vec![Cell::Text("x,y".into()), Cell::Text("\"".into())],
                vec![
                    Cell::Text("line1\nline2".into()),
                    Cell::Text("cr\rhere".into()),
                ],
                vec![Cell::Text("crlf\r\n".into()), Cell::Text("a\"\"b".into())],
            ],
        };
        assert_eq!(
            csv(&t),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n\
             \"x,y\",\"\"\"\"\r\n\
             \"line1\nline2\",\"cr\rhere\"\r\n\
             \"crlf\r\n\",\"a\"\"\"\"b\"\r\n"
        );
    }

    #[test]
    fn null_is_an_empty_field_and_empty_text_is_quoted() {
        let t = Table {
            name: "t".into(),
            columns: vec![
                Column::new("a", ColumnKind::Text),
                Column::new("b", ColumnKind::UInt32),
                Column::new("c", ColumnKind::Bool),
            ],
            rows: vec![
                vec![Cell::Null, Cell::Null, Cell::Null],
                vec![Cell::Text(String::new()), Cell::UInt(1), Cell::Null],
                vec![Cell::Null, Cell::Null, Cell::Bool(false)],
            ],
        };
        assert_eq!(csv(&t), "a,b,c\r\n,,\r\n\"\",1,\r\n,,false\r\n");
    }

    #[test]
    fn floats_switch_to_exponent_form_outside_1e_minus_4_to_1e16() {
        let t = Table {
            name: "t".into(),
            columns: vec![Column::new("f", ColumnKind::Float64)],
            rows: [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                0.0001,
                0.00009,
                9999999999999998.0,
                1e16,
                123456.5,
            ]
            .into_iter()
            .map(|v| vec![Cell::Float(v)])
            .collect(),
        };
        assert_eq!(
            csv(&t),
            "f\r\nNaN\r\ninf\r\n-inf\r\n-0\r\n0.0001\r\n9e-5\r\n9999999999999998\r\n1e16\r\n123456.5\r\n"
        );
    }

    #[test]
    fn floats_printed_parse_back_to_the_same_bits() {
        let values = [
            0.1,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            -123.456e-7,
            5e-324,
        ];
        let t = Table {
            name: "t".into(),
            columns: vec![Column::new("f", ColumnKind::Float64)],
            rows: values.iter().map(|v| vec![Cell::Float(*v)]).collect(),
        };
        let text = csv(&t);
        let parsed: Vec<f64> = text
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(
            parsed.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn table_without_rows_is_just_the_header() {
        let t = Table {
            name: "t".into(),
            columns: vec![Column::new("only", ColumnKind::Text)],
            rows: vec![],
        };
        assert_eq!(csv(&t), "only\r\n");
    }
}
