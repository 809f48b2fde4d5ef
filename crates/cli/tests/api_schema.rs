//! The API against its own OpenAPI document, by schemathesis (PyPI; `.ci/run` installs it):
//! `routenorms serve` over a demo store and over a store of the real data in `../shared/data`,
//! and `schemathesis run http://ADDR/api/v1/openapi.json` generating requests from the document
//! (valid and malformed, `--mode all`) with the checks: no 5xx, only documented status codes
//! and content types, responses valid against the documented schemas, schema-invalid requests
//! refused, schema-valid requests accepted (except `validity`'s `prefix`: host bits clear is
//! more than a JSON schema can say). Parameters get the store's real ASN, country, prefix and
//! period half of the time, so requests reach the store and not only the 404s.
//!
//! Without schemathesis on `PATH` the run is skipped with the reason printed, and fails in CI.

mod common;

use common::server::{busy_asn, demo_store, get, get_json, real_store, Server, REAL_VRPS};
use routenorms_testsupport::{data_dir, tool};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Test cases per operation and phase: about 2,000 requests in all, 20–30 s on 2 cores.
const MAX_EXAMPLES: u32 = 100;
/// A fixed seed, so CI runs the same cases every time (a failure prints it to reproduce).
const SEED: u32 = 1;
/// The most one schemathesis run may take before it is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(300);

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("routenorms-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A TOML string (a JSON string is one, for the plain text used here).
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn toml_list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| toml_str(v)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Real values from the served store: the busiest ASN, a country with networks, a prefix the
/// ASN originates, the newest period, and search texts that find something.
struct Known {
    asns: Vec<String>,
    countries: Vec<String>,
    prefixes: Vec<String>,
    periods: Vec<String>,
    queries: Vec<String>,
}

fn known(srv: &Server) -> Known {
    let asn = busy_asn(srv);
    let card = get_json(srv, &format!("/api/v1/asn/{asn}"));
    let prefix = get_json(srv, &format!("/api/v1/asn/{asn}/prefixes"))["prefixes"][0]["prefix"]
        .as_str()
        .unwrap()
        .to_string();
    // The busiest AS may have no country (the real data's RIR files cover two regions): take
    // the first party to a top incident that has one.
    let global = get_json(srv, "/api/v1/global");
    let mut parties = vec![asn];
    for i in global["top_incidents"].as_array().unwrap() {
        parties.push(i["culprit"].as_u64().unwrap());
        parties.extend(
            i["accomplices"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_u64),
        );
    }
    let cc = parties
        .iter()
        .find_map(|a| {
            let (status, body) = get(srv, &format!("/api/v1/asn/{a}"));
            let c: Value = serde_json::from_str(&body).ok()?;
            (status == 200).then(|| c["country"].as_str().map(str::to_string))?
        })
        .expect("a top incident's party with a country");
    let period = global["period"].as_str().unwrap().to_string();
    let mut queries = vec![format!("AS{asn}"), prefix.clone(), cc.clone()];
    queries.extend(card["name"].as_str().map(str::to_string));
    Known {
        asns: vec![asn.to_string(), format!("AS{asn}"), format!("as{asn}")],
        countries: vec![cc.clone(), cc.to_ascii_lowercase()],
        prefixes: vec![prefix],
        periods: vec![period],
        queries,
    }
}

/// The schemathesis configuration: the checks, and the store's real values offered for half
/// of the generated parameters.
fn config(k: &Known) -> String {
    format!(
        r#"# Written by crates/cli/tests/api_schema.rs.
[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_schema_conformance.enabled = true
negative_data_rejection.enabled = true
positive_data_acceptance.enabled = true

[dictionaries]
asn = {{ values = {asns} }}
cc = {{ values = {ccs} }}
prefix = {{ values = {prefixes} }}
period = {{ values = {periods} }}
q = {{ values = {queries} }}

[parameters]
"path.asn" = {{ dictionary = "asn", probability = 0.5 }}
"query.asn" = {{ dictionary = "asn", probability = 0.5 }}
"path.cc" = {{ dictionary = "cc", probability = 0.5 }}
"query.prefix" = {{ dictionary = "prefix", probability = 0.5 }}
"query.period" = {{ dictionary = "period", probability = 0.5 }}
"query.q" = {{ dictionary = "q", probability = 0.5 }}

# A prefix is "address/length with the host bits clear": the document cannot say all of that
# (its schema is a string), so a schema-valid prefix may rightly be refused.
[[operations]]
include-path = "/api/v1/validity"
checks.positive_data_acceptance.enabled = false
"#,
        asns = toml_list(&k.asns),
        ccs = toml_list(&k.countries),
        prefixes = toml_list(&k.prefixes),
        periods = toml_list(&k.periods),
        queries = toml_list(&k.queries),
    )
}

/// Runs schemathesis against `srv` (working in `dir`) and asserts it passes.
fn schemathesis_passes(exe: &Path, srv: &Server, dir: &Path) {
    let cfg = dir.join("schemathesis.toml");
    std::fs::write(&cfg, config(&known(srv))).unwrap();
    let log = dir.join("schemathesis.log");
    let out = std::fs::File::create(&log).unwrap();
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg("--config-file")
        .arg(&cfg)
        .args(["run", &srv.url("/api/v1/openapi.json")])
        .args(["--mode", "all"])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--workers", "2"])
        .args(["--request-timeout", "10"])
        .args(["--generation-database", "none"])
        .arg("--no-color")
        // Its cache and any report stay in the scratch directory, not in the checkout.
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start schemathesis");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    println!(
        "schemathesis ({:.1} s) with {}:\n{text}",
        started.elapsed().as_secs_f64(),
        cfg.display()
    );
    let status = status.unwrap_or_else(|| panic!("schemathesis ran past {RUN_LIMIT:?}:\n{text}"));
    assert!(
        status.success(),
        "schemathesis found the API and its OpenAPI document disagreeing ({status}):\n{text}"
    );
}

/// What schemathesis found once, pinned without it: every refusal is the API's JSON error
/// with its code (a path segment that is not UTF-8 was axum's plain-text 400), an ASN is
/// digits only (`AS+5` was AS5), and `q` is bounded in characters, not bytes.
fn the_api_refuses_what_its_document_refuses(srv: &Server) {
    let e = "%C3%A9".repeat(100);
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/asn/%FF%FE", 400, "invalid_asn"),
        ("/api/v1/asn/%FF/history", 400, "invalid_asn"),
        ("/api/v1/asn/%FF/prefixes", 400, "invalid_asn"),
        ("/api/v1/country/%FF%FE", 400, "invalid_country"),
        ("/api/v1/region/%FF", 400, "invalid_region"),
        ("/api/v1/asn/AS+5", 400, "invalid_asn"),
        ("/api/v1/asn/+5", 400, "invalid_asn"),
        ("/api/v1/incidents?asn=%2B5", 400, "invalid_asn"),
        (
            "/api/v1/validity?prefix=10.0.0.0/8&asn=%2B5",
            400,
            "invalid_asn",
        ),
        ("/api/v1/asn/4294967295", 404, "not_found"),
    ];
    for &(path, status, code) in cases {
        let (got, body) = get(srv, path);
        assert_eq!(got, status, "{path}: {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: not JSON: {body}"));
        assert_eq!(v["error"]["code"], code, "{path}: {body}");
    }
    // 100 characters of two bytes each are within the documented 1 to 100.
    let (status, body) = get(srv, &format!("/api/v1/search?q={e}"));
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(srv, &format!("/api/v1/search?q=%20{}", "a".repeat(100)));
    assert_eq!(status, 400, "101 characters, one of them a space");
    // Regions are documented in any case, and `ripe` for `ripencc`.
    for r in ["RIPENCC", "ripe", "ApNiC"] {
        assert_eq!(get(srv, &format!("/api/v1/region/{r}")).0, 200, "{r}");
    }
}

#[test]
fn schemathesis_finds_the_api_over_a_demo_store_as_its_openapi_document_says() {
    let dir = scratch("api-schema-demo");
    let (store, vrps) = demo_store(&dir.join("demo"));
    let srv = Server::start(&store, Some(&vrps));
    the_api_refuses_what_its_document_refuses(&srv);
    if let Some(exe) = tool("schemathesis") {
        schemathesis_passes(&exe, &srv, &dir);
    }
    // Kept when a check fails, for its log and configuration.
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schemathesis_finds_the_api_over_the_real_data_as_its_openapi_document_says() {
    let Some(data) = data_dir() else { return };
    let Some(exe) = tool("schemathesis") else {
        return;
    };
    let dir = scratch("api-schema-real");
    let store = real_store(&dir.join("store"), &data);
    let srv = Server::start(&store, Some(&data.join(REAL_VRPS)));
    schemathesis_passes(&exe, &srv, &dir);
    // Kept when a check fails, for its log and configuration.
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
