//! `routenorms report`: report cards read back from the store — one ASN, a country, an RIR
//! region or the whole data set — as a table for people or JSON/CSV for programs; and
//! `routenorms demo`, which simulates an Internet, observes it and prints its global report.

use crate::observe_cmd::{observe_into_store, ObserveArgs};
use crate::output::OutputFormat;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use routenorms_observe::metrics::{ACTIONS, DEFAULT_MIN_PEERS};
use routenorms_server::reports;
use routenorms_store::Store;
use serde_json::Value;
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").required(true).args(["asn", "country", "region", "global"])))]
pub struct ReportArgs {
    /// The report card of one ASN (`64500` or `AS64500`).
    #[arg(long, value_name = "N", value_parser = parse_asn)]
    asn: Option<u32>,
    /// A country (ISO 3166 alpha-2 code, e.g. NL): its roll-up and its ASNs.
    #[arg(long, value_name = "CC")]
    country: Option<String>,
    /// An RIR region (afrinic, apnic, arin, lacnic, ripencc): its roll-up and its ASNs.
    #[arg(long, value_name = "R")]
    region: Option<String>,
    /// The global report: inputs, routing-table figures, incidents and score roll-up.
    #[arg(long)]
    global: bool,
    /// The store `routenorms observe` wrote: a SQLite file or clickhouse://HOST:PORT/DATABASE.
    #[arg(long, value_name = "PATH", required = true)]
    store: String,
    /// The period (YYYY-MM; default: the newest stored).
    #[arg(long, value_name = "YYYY-MM")]
    period: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn parse_asn(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let t = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    t.parse::<u32>()
        .map_err(|_| format!("`{s}` is not an AS number (0 to 4294967295, optionally AS-prefixed)"))
}

fn region_key(r: &str) -> Result<&'static str> {
    Ok(
        match r.to_ascii_lowercase().replace([' ', '-', '_'], "").as_str() {
            "afrinic" => "afrinic",
            "apnic" => "apnic",
            "arin" => "arin",
            "lacnic" => "lacnic",
            "ripencc" | "ripe" => "ripencc",
            _ => bail!("--region {r}: expected afrinic, apnic, arin, lacnic or ripencc"),
        },
    )
}

pub fn run(a: ReportArgs) -> Result<Outcome> {
    let store = Store::open_existing(&a.store)?;
    let period = match &a.period {
        Some(p) => {
            if store.report(p)?.is_none() {
                bail!(
                    "{}: no period {p} stored (stored: {})",
                    a.store,
                    store.periods()?.join(", ")
                );
            }
            p.clone()
        }
        None => store
            .latest_period()?
            .with_context(|| format!("{}: the store holds no period yet", a.store))?,
    };
    let doc = if a.global {
        reports::global(&store, &period)?.context("the period's report is missing")?
    } else if let Some(asn) = a.asn {
        reports::asn(&store, &period, asn)
            .map_err(anyhow::Error::from)
            .and_then(|d| {
                d.with_context(|| {
                    format!("AS{asn}: no report card in period {period} (not seen in the data)")
                })
            })?
    } else if let Some(cc) = &a.country {
        let cc = cc.to_ascii_uppercase();
        reports::group(&store, &period, "country", &cc)?
            .with_context(|| format!("country {cc}: no ASN of it seen in period {period}"))?
    } else {
        let r = region_key(a.region.as_deref().unwrap_or_default())?;
        reports::group(&store, &period, "region", r)?
            .with_context(|| format!("region {r}: no ASN of it seen in period {period}"))?
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    match a.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut out, &doc)?;
            writeln!(out)?;
        }
        OutputFormat::Csv => write_csv(&mut out, &doc)?,
        OutputFormat::Table => {
            if a.global {
                write_global_table(&mut out, &doc)?
            } else if a.asn.is_some() {
                write_card_table(&mut out, &doc)?
            } else {
                write_group_table(&mut out, &doc)?
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// `field,value` rows, one per leaf of the document (dotted paths, array indexes).
fn write_csv(out: &mut impl Write, doc: &Value) -> io::Result<()> {
    fn walk(out: &mut dyn Write, path: &str, v: &Value) -> io::Result<()> {
        match v {
            Value::Object(o) => {
                for (k, v) in o {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(out, &p, v)?;
                }
                Ok(())
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(out, &format!("{path}.{i}"), v)?;
                }
                Ok(())
            }
            Value::String(s) => writeln!(out, "{},{}", csv_field(path), csv_field(s)),
            Value::Null => writeln!(out, "{},", csv_field(path)),
            other => writeln!(out, "{},{other}", csv_field(path)),
        }
    }
    writeln!(out, "field,value")?;
    walk(out, "", doc)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |f| format!("{:.1} %", f * 100.0))
}

fn write_scores(out: &mut impl Write, scores: &Value) -> io::Result<()> {
    writeln!(
        out,
        "  {:<15} {:>10} {:>9} {:>6} {:>9} {:>8} {:>8}",
        "action", "unweighted", "weighted", "ready", "aspiring", "lagging", "no data"
    )?;
    for (k, _, _) in ACTIONS {
        let a = &scores["actions"][k];
        writeln!(
            out,
            "  {:<15} {:>10} {:>9} {:>6} {:>9} {:>8} {:>8}",
            k,
            num(&a["unweighted"]),
            num(&a["weighted"]),
            num(&a["ready"]),
            num(&a["aspiring"]),
            num(&a["lagging"]),
            num(&a["no_data"])
        )?;
    }
    writeln!(
        out,
        "  MANRS-ready in every action with data: {} of {} scored ASNs ({})",
        num(&scores["ready"]),
        num(&scores["asns_scored"]),
        pct(&scores["ready_share"])
    )
}

fn write_global_table(out: &mut impl Write, g: &Value) -> io::Result<()> {
    writeln!(
        out,
        "routenorms global report, period {} (data {} to {})",
        num(&g["period"]),
        num(&g["data_start"]),
        num(&g["data_end"])
    )?;
    writeln!(out, "\nInputs:")?;
    for i in g["inputs"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  {:<9} {:<19} {:>10} records {:>6} damaged  {}",
            num(&i["kind"]),
            num(&i["date"]),
            num(&i["records"]),
            num(&i["damaged"]),
            num(&i["path"])
        )?;
    }
    writeln!(
        out,
        "\nRouting table: {} entries from {} peers; {} routes (prefix, origin) on {} prefixes; {} more end in an AS_SET",
        num(&g["entries"]),
        num(&g["peers"]),
        num(&g["routes"]),
        num(&g["prefixes"]),
        num(&g["as_set_routes"])
    )?;
    let r = &g["rpki"];
    if r.is_object() {
        writeln!(
            out,
            "RPKI (routes): valid {} ({}), invalid {} ({}), not found {} ({})",
            num(&r["valid"]),
            pct(&r["valid_share"]),
            num(&r["invalid"]),
            pct(&r["invalid_share"]),
            num(&r["not_found"]),
            pct(&r["not_found_share"])
        )?;
    }
    if let Some(irr) = g["irr"].as_object() {
        let parts: Vec<String> = irr.iter().map(|(k, v)| format!("{k} {}", num(v))).collect();
        writeln!(out, "IRR (routes): {}", parts.join(", "))?;
    }
    if let Some(a) = g["aspa"].as_object() {
        let parts: Vec<String> = a.iter().map(|(k, v)| format!("{k} {}", num(v))).collect();
        writeln!(out, "ASPA (paths): {}", parts.join(", "))?;
    }
    writeln!(
        out,
        "Bogons: {} routes with a bogon prefix ({} prefixes); {} routes with a bogon ASN in a path ({} ASNs)",
        num(&g["bogon_prefixes"]),
        num(&g["bogon_prefixes_distinct"]),
        num(&g["bogon_asns"]),
        num(&g["bogon_asns_distinct"])
    )?;
    writeln!(
        out,
        "Route leaks: {} routes with a leaking path",
        num(&g["leaking_routes"])
    )?;
    if let Some(i) = g["incidents"].as_object() {
        let parts: Vec<String> = i
            .iter()
            .filter(|(k, _)| !k.starts_with("events_"))
            .map(|(k, v)| format!("{k} {}", num(v)))
            .collect();
        writeln!(out, "Incidents: {}", parts.join(", "))?;
    }
    writeln!(
        out,
        "\nScores: {} ASNs scored of {} seen (routes seen by at least {} peer ASNs)",
        num(&g["asns_scored"]),
        num(&g["asns_seen"]),
        num(&g["min_peers"])
    )?;
    write_scores(out, &g["scores"])?;
    write_incidents(out, &g["top_incidents"], "Heaviest incidents")
}

fn write_incidents(out: &mut impl Write, list: &Value, title: &str) -> io::Result<()> {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return Ok(());
    };
    writeln!(out, "\n{title}:")?;
    writeln!(
        out,
        "  {:>5} {:<13} {:<13} {:>10} {:<20} {:<19} {:>6}  accomplices",
        "id", "metric", "kind", "culprit", "prefix", "start", "weight"
    )?;
    for i in list {
        let start = i["start"]
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .map_or("-".into(), routenorms_observe::observation::utc_time);
        let acc: Vec<String> = i["accomplices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(num)
            .collect();
        writeln!(
            out,
            "  {:>5} {:<13} {:<13} {:>10} {:<20} {:<19} {:>6}  {}{}",
            num(&i["id"]),
            num(&i["metric"]),
            num(&i["kind"]),
            num(&i["culprit"]),
            num(&i["prefix"]),
            start,
            num(&i["weight"]),
            acc.join(" "),
            if i["downranked"].as_bool() == Some(true) {
                "  (down-ranked)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

fn metric_note(name: &str, m: &Value) -> String {
    if let Some(why) = m["no_data"].as_str() {
        return format!("no data: {why}");
    }
    let e = &m["evidence"];
    match name {
        "M5" => format!(
            "sessions blocked {} leaking {}",
            num(&e["sessions"]["blocked"]),
            num(&e["sessions"]["leaking"])
        ),
        "M6" => {
            let found: Vec<String> = e["found"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| format!("{}: {}", num(&f["source"]), num(&f["detail"])))
                .collect();
            if found.is_empty() {
                "no contact found".into()
            } else {
                found.join("; ")
            }
        }
        "M7IRR" => format!(
            "{} of {} routes registered",
            num(&e["registered"]),
            num(&e["routes"])
        ),
        "M7RPKI" => format!(
            "{} routes: valid {}, invalid {}, not found {}",
            num(&e["routes"]),
            num(&e["valid"]),
            num(&e["invalid"]),
            num(&e["not_found"])
        ),
        _ => format!(
            "{} incidents ({}), weight {}{}",
            num(&e["incidents"]),
            num(&e["role"]),
            num(&e["weight"]),
            match e["downranked"].as_u64() {
                Some(n) if n > 0 => format!(", {n} down-ranked"),
                _ => String::new(),
            }
        ),
    }
}

fn write_card_table(out: &mut impl Write, c: &Value) -> io::Result<()> {
    writeln!(
        out,
        "AS{} {} ({}, {}), period {}",
        num(&c["asn"]),
        c["name"].as_str().unwrap_or("(no name)"),
        c["country"].as_str().unwrap_or("country unknown"),
        c["region"].as_str().unwrap_or("region unknown"),
        num(&c["period"])
    )?;
    writeln!(
        out,
        "{} routes seen by {} peer ASNs ({} peers); {}; MANRS-ready: {}",
        num(&c["routes"]),
        num(&c["peer_asns"]),
        num(&c["peers"]),
        if c["scored"].as_bool() == Some(true) {
            "scored"
        } else {
            "not scored (too little visibility)"
        },
        if c["ready"].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        }
    )?;
    for (key, title, metrics) in ACTIONS {
        let a = &c["actions"][key];
        writeln!(
            out,
            "\n{title:<28} score {:>6}  {}",
            num(&a["score"]),
            num(&a["label"])
        )?;
        for m in metrics {
            let mv = &c["metrics"][m];
            writeln!(
                out,
                "  {:<7} value {:>7} score {:>6}  {}",
                m,
                num(&mv["value"]),
                num(&mv["score"]),
                metric_note(m, mv)
            )?;
        }
    }
    write_incidents(out, &c["incidents"], "Incidents (culprit or accomplice)")?;
    if let Some(list) = c["offending_prefixes"].as_array().filter(|l| !l.is_empty()) {
        writeln!(
            out,
            "\nOffending prefixes ({} in all, most visible first):",
            num(&c["offending_prefixes_total"])
        )?;
        for r in list {
            let flags: Vec<String> = r["flags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(num)
                .collect();
            writeln!(
                out,
                "  {:<44} {:>5} peers  {}",
                num(&r["prefix"]),
                num(&r["peers"]),
                flags.join(", ")
            )?;
        }
    }
    Ok(())
}

fn write_group_table(out: &mut impl Write, g: &Value) -> io::Result<()> {
    writeln!(
        out,
        "{} {}, period {}: {} ASNs seen, {} scored, {} routes",
        num(&g["scope"]),
        num(&g["key"]),
        num(&g["period"]),
        num(&g["asns"]),
        num(&g["asns_scored"]),
        num(&g["routes"])
    )?;
    write_scores(out, g)?;
    writeln!(
        out,
        "\n  {:>10} {:<24} {:>7} {:>6} {:>10} {:>10} {:>10} {:>10}",
        "asn", "name", "routes", "ready", "filtering", "spoofing", "coord.", "validation"
    )?;
    for a in g["asn_list"].as_array().into_iter().flatten() {
        let name: String = a["name"].as_str().unwrap_or("").chars().take(24).collect();
        let s = |k: &str| num(&a["actions"][k]["score"]);
        writeln!(
            out,
            "  {:>10} {:<24} {:>7} {:>6} {:>10} {:>10} {:>10} {:>10}{}",
            num(&a["asn"]),
            name,
            num(&a["routes"]),
            if a["ready"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            },
            s("filtering"),
            s("anti_spoofing"),
            s("coordination"),
            s("validation"),
            if a["scored"].as_bool() == Some(true) {
                ""
            } else {
                "  (not scored)"
            }
        )?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the simulated Internet (the same seed gives the same Internet).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the simulated data and the store (default: a directory
    /// routenorms-demo-seed-N in the system's temporary directory, kept afterwards).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Output format of the global report.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Never draw progress bars.
    #[arg(long)]
    no_progress: bool,
    /// Where the dashboard and API are served after the report (until Ctrl-C).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Print the report and exit, without serving the dashboard.
    #[arg(long)]
    no_serve: bool,
}

pub fn demo(a: DemoArgs) -> Result<Outcome> {
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("routenorms-demo-seed-{}", a.seed)));
    let cfg = routenorms_sim::Config::new(routenorms_sim::Scale::Small, a.seed);
    eprintln!(
        "routenorms demo: simulating an Internet (seed {}) in {}",
        a.seed,
        dir.display()
    );
    let manifest = routenorms_sim::generate(&cfg, &dir, &|_| {})
        .with_context(|| format!("generating into {}", dir.display()))?;
    let of = |kinds: &[&str]| -> Vec<PathBuf> {
        manifest
            .files
            .iter()
            .filter(|f| kinds.contains(&f.kind.as_str()))
            .map(|f| dir.join(&f.path))
            .collect()
    };
    let one = |kind: &str| of(&[kind]).into_iter().next();
    let store = dir.join("routenorms.db");
    let store = store
        .to_str()
        .context("the demo directory's path is not UTF-8")?
        .to_string();
    let args = ObserveArgs {
        mrt: of(&["rib-before", "rib-after"]),
        updates: of(&["updates"]),
        vrps: one("vrps").context("the simulator wrote no VRP file")?,
        aspa: None,
        irr: of(&["irr"]),
        asrel: one("as-rel"),
        cones: one("ppdc-ases"),
        rir: of(&["rir-stats"]),
        bogons: Vec::new(),
        peeringdb: of(&["peeringdb-net", "peeringdb-org", "peeringdb-poc"]),
        spoofer: one("spoofer"),
        period: None,
        min_peers: DEFAULT_MIN_PEERS,
        store: store.clone(),
        shard: None,
        threads: None,
        no_progress: a.no_progress,
    };
    let o = observe_into_store(&args)?;
    eprintln!(
        "routenorms demo: observed {} routes, {} ASNs ({} scored), {} incidents in {:.1} s; store {}",
        o.routes, o.asns_seen, o.asns_scored, o.incidents, o.seconds, store
    );
    let out = run(ReportArgs {
        asn: None,
        country: None,
        region: None,
        global: true,
        store: store.clone(),
        period: None,
        format: a.format,
    })?;
    eprintln!(
        "routenorms demo: next, e.g. `routenorms report --store {store} --country NL` or \
         `routenorms report --store {store} --asn N` with an ASN from the table above"
    );
    if a.no_serve {
        return Ok(out);
    }
    eprintln!(
        "routenorms demo: the dashboard is at http://{}/ (Ctrl-C stops it)",
        a.listen
    );
    crate::serve_cmd::run(crate::serve_cmd::ServeArgs {
        store,
        listen: a.listen,
        vrps: one("vrps"),
        threads: None,
    })
    .context(
        "serving the dashboard (the report above is complete; use --listen for another \
         address or --no-serve)",
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asns_are_read_with_or_without_the_as_prefix_and_rejected_otherwise() {
        assert_eq!(parse_asn("AS64500"), Ok(64500));
        assert_eq!(parse_asn("as4200000000"), Ok(4_200_000_000));
        assert_eq!(parse_asn("3257"), Ok(3257));
        assert!(parse_asn("AS-FOO").is_err());
        assert!(parse_asn("4294967296").is_err());
    }

    #[test]
    fn regions_accept_the_usual_spellings() {
        assert_eq!(region_key("RIPE NCC").unwrap(), "ripencc");
        assert_eq!(region_key("arin").unwrap(), "arin");
        assert!(region_key("europe").is_err());
    }

    #[test]
    fn csv_rows_flatten_the_document_and_quote_what_needs_it() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &serde_json::json!({"a": {"b": 1, "c": [true, null]}, "d": "x,y"}),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "field,value\na.b,1\na.c.0,true\na.c.1,\nd,\"x,y\"\n"
        );
    }
}
