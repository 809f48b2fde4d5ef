//! Files written here are read back by independent readers: pyarrow for Parquet, Python's
//! standard `csv` module for CSV. Without Python (or pyarrow) the tests say why and skip,
//! except under CI (`CI` set), where a missing reader is a failure.

use std::path::PathBuf;
use std::process::Command;

use routenorms_export::{write, Cell, Column, ColumnKind, ExportFormat, Table};

/// Whether `python3 -c <probe>` succeeds; panics under CI when it does not.
fn python_has(probe: &str, what: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", probe])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is required under CI (`pip install pyarrow` for Parquet)"
        );
        eprintln!("skipping: {what} not available");
    }
    ok
}

fn write_file(t: &Table, format: ExportFormat, stem: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{stem}.{format}"));
    let file = std::fs::File::create(&path).unwrap();
    write(t, format, file).unwrap();
    path
}

fn run_python(script: &str, path: &PathBuf) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn sample() -> Table {
    let text = |s: &str| Cell::Text(s.into());
    Table {
        name: "oracle".into(),
        columns: vec![
            Column::new("name", ColumnKind::Text),
            Column::new("asn", ColumnKind::UInt32),
            Column::new("prefixes", ColumnKind::UInt64),
            Column::new("share", ColumnKind::Float64),
            Column::new("valid", ColumnKind::Bool),
        ],
        rows: vec![
            vec![
                text("AS-ÉXAMPLE, \"q\"\r\nline"),
                Cell::UInt(u64::from(u32::MAX)),
                Cell::UInt(u64::MAX),
                Cell::Float(0.1),
                Cell::Bool(true),
            ],
            vec![Cell::Null, Cell::Null, Cell::Null, Cell::Null, Cell::Null],
            vec![
                text(""),
                Cell::UInt(i32::MAX as u64 + 1),
                Cell::UInt(i64::MAX as u64 + 1),
                Cell::Float(-2.5e-300),
                Cell::Bool(false),
            ],
            vec![
                text("plain"),
                Cell::UInt(0),
                Cell::UInt(1),
                Cell::Float(f64::NEG_INFINITY),
                Cell::Null,
            ],
        ],
    }
}

/// Prints the row count, `name<TAB>type<TAB>nullable` per field, then one line per column with
/// its values in an exact form: text as UTF-8 hex, floats as IEEE bits, null as `null`.
const PYARROW_DUMP: &str = r#"
import struct, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(t.num_rows)
for f in t.schema:
    print(f.name, f.type, f.nullable, sep="\t")
def enc(v):
    if v is None: return "null"
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, float): return str(struct.unpack("<Q", struct.pack("<d", v))[0])
    if isinstance(v, str): return "s" + v.encode().hex()
    return str(v)
for col in t.columns:
    print(" ".join(enc(v) for v in col.to_pylist()))
"#;

#[test]
fn pyarrow_reads_parquet_with_same_names_types_and_values() {
    if !python_has("import pyarrow.parquet", "python3 with pyarrow") {
        return;
    }
    let t = sample();
    let path = write_file(&t, ExportFormat::Parquet, "pyarrow_oracle");
    let got = run_python(PYARROW_DUMP, &path);

    let mut want = format!("{}\n", t.rows.len());
    let types = ["string", "uint32", "uint64", "double", "bool"];
    for (c, ty) in t.columns.iter().zip(types) {
        want += &format!("{}\t{ty}\tTrue\n", c.name);
    }
    for j in 0..t.columns.len() {
        let line: Vec<String> = t
            .rows
            .iter()
            .map(|r| match &r[j] {
                Cell::Null => "null".into(),
                Cell::Text(s) => format!("s{}", hex(s)),
                Cell::UInt(v) => v.to_string(),
                Cell::Float(v) => v.to_bits().to_string(),
                Cell::Bool(v) => v.to_string(),
            })
            .collect();
        want += &line.join(" ");
        want += "\n";
    }
    assert_eq!(got, want);
}

/// Each record as its fields' UTF-8 hex joined by spaces, `-` for an empty field.
const CSV_DUMP: &str = r#"
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for rec in csv.reader(f, strict=True):
        print(" ".join(x.encode().hex() or "-" for x in rec))
"#;

#[test]
fn python_csv_module_reads_quoted_fields_back_exactly() {
    if !python_has("import csv", "python3") {
        return;
    }
    let t = sample();
    let path = write_file(&t, ExportFormat::Csv, "csv_oracle");
    let got = run_python(CSV_DUMP, &path);

    let records: Vec<Vec<String>> = got
        .lines()
        .map(|l| {
            l.split(' ')
                .map(|f| if f == "-" { String::new() } else { unhex(f) })
                .collect()
        })
        .collect();
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(records.len(), t.rows.len() + 1);
    assert_eq!(records[0], names);
    for (i, (rec, row)) in records[1..].iter().zip(&t.rows).enumerate() {
        assert_eq!(rec.len(), row.len(), "row {i}");
        for (text, cell) in rec.iter().zip(row) {
            // The csv module cannot tell null from empty text: both read as an empty field.
            match cell {
                Cell::Null => assert_eq!(text, "", "row {i}"),
                Cell::Text(s) => assert_eq!(text, s, "row {i}"),
                Cell::UInt(v) => assert_eq!(*text, v.to_string(), "row {i}"),
                Cell::Bool(v) => assert_eq!(*text, v.to_string(), "row {i}"),
                Cell::Float(v) => assert_eq!(
                    text.parse::<f64>().map(f64::to_bits),
                    Ok(v.to_bits()),
                    "row {i}: {text}"
                ),
            }
        }
    }
}

fn unhex(h: &str) -> String {
    let bytes: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}
