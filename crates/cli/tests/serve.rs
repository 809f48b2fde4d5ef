//! `routenorms serve` end to end: the real binary serving a store filled by `routenorms demo`,
//! asked over plain HTTP/1.1. Every path of the OpenAPI document is requested and its
//! response checked against the document's required fields; the API's documents equal
//! `routenorms report`'s; malformed requests get 4xx with a stable error code, never a 5xx.

mod common;

use common::run_ok;
use common::server::{busy_asn, demo_store, get, get_json, page_field, shown, Server};
use serde_json::Value;

/// Starts the server on a fresh demo store (stopped when dropped).
fn start() -> Server {
    let dir = std::env::temp_dir().join(format!("routenorms-serve-test-{}", std::process::id()));
    let (store, vrps) = demo_store(&dir);
    Server::start(&store, Some(&vrps))
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The required fields of `schema` are in `value`, recursively into documented properties
/// and array items.
fn check_shape(doc: &Value, schema: &Value, value: &Value, at: &str) {
    let schema = resolve(doc, schema);
    for k in schema["required"].as_array().into_iter().flatten() {
        let k = k.as_str().unwrap();
        assert!(value.get(k).is_some(), "{at}: missing `{k}` in {value}");
    }
    if let Some(props) = schema["properties"].as_object() {
        for (k, s) in props {
            if let Some(v) = value.get(k) {
                check_shape(doc, s, v, &format!("{at}.{k}"));
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check_shape(doc, items, v, &format!("{at}[{i}]"));
        }
    }
    if let (Some(each), Some(map)) = (schema.get("additionalProperties"), value.as_object()) {
        if each.is_object() {
            for (k, v) in map {
                check_shape(doc, each, v, &format!("{at}.{k}"));
            }
        }
    }
}

fn every_documented_endpoint_answers_with_the_documented_shape(srv: &Server) {
    let doc = get_json(srv, "/api/v1/openapi.json");
    let asn = busy_asn(srv);
    let card = get_json(srv, &format!("/api/v1/asn/{asn}"));
    let cc = card["country"].as_str().unwrap_or("US").to_string();
    let prefix = get_json(srv, &format!("/api/v1/asn/{asn}/prefixes"))["prefixes"][0]["prefix"]
        .as_str()
        .unwrap()
        .to_string();
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 11);
    for (path, item) in paths {
        let url = path
            .replace("{asn}", &asn.to_string())
            .replace("{cc}", &cc)
            .replace("{region}", "ripencc");
        let url = match path.as_str() {
            "/api/v1/validity" => format!("{url}?prefix={prefix}&asn={asn}"),
            "/api/v1/search" => format!("{url}?q=AS{asn}"),
            _ => url,
        };
        let body = get_json(srv, &url);
        let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        check_shape(&doc, schema, &body, &url);
    }
}

fn api_documents_equal_the_report_commands(srv: &Server) {
    let store = &srv.store;
    let asn = busy_asn(srv).to_string();
    let (cli, _) = run_ok(&["report", "--store", store, "--global", "--format", "json"]);
    let cli: Value = serde_json::from_str(&cli).unwrap();
    assert_eq!(get_json(srv, "/api/v1/global"), cli);
    let (cli, _) = run_ok(&[
        "report", "--store", store, "--asn", &asn, "--format", "json",
    ]);
    let cli: Value = serde_json::from_str(&cli).unwrap();
    assert_eq!(get_json(srv, &format!("/api/v1/asn/AS{asn}")), cli);
    let history = get_json(srv, &format!("/api/v1/asn/{asn}/history"));
    assert_eq!(
        history["periods"][0]["actions"]["validation"]["score"],
        cli["actions"]["validation"]["score"]
    );
    let incidents = get_json(srv, &format!("/api/v1/incidents?asn={asn}&limit=5"));
    assert!(!incidents["incidents"].as_array().unwrap().is_empty());
    // The demo plants a type-6 leak: its new more-specifics are listed by their own type.
    let more = get_json(srv, "/api/v1/incidents?type=more_specific");
    let more = more["incidents"].as_array().unwrap();
    assert!(!more.is_empty());
    assert!(
        more.iter().all(|i| i["metric"] == "more_specific"),
        "{more:?}"
    );
    let search = get_json(srv, &format!("/api/v1/search?q={asn}"));
    assert_eq!(search["results"][0]["asn"].as_u64(), asn.parse().ok());
}

fn validity_explains_the_verdict_with_the_covering_vrps(srv: &Server) {
    let asn = busy_asn(srv);
    let prefixes = get_json(srv, &format!("/api/v1/asn/{asn}/prefixes?limit=1000"));
    for p in prefixes["prefixes"].as_array().unwrap() {
        let v = get_json(
            srv,
            &format!(
                "/api/v1/validity?prefix={}&asn={asn}",
                p["prefix"].as_str().unwrap()
            ),
        );
        // The stored route state and the live verdict agree (same VRP file).
        assert_eq!(v["state"].as_str(), p["rpki"].as_str(), "{v}");
        let matched = v["covering"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["matches"] == true);
        assert_eq!(matched, v["state"] == "valid");
    }
}

fn malformed_requests_get_a_4xx_with_a_code_and_never_a_5xx(srv: &Server) {
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/asn/abc", 400, "invalid_asn"),
        ("/api/v1/asn/4294967296", 400, "invalid_asn"),
        ("/api/v1/asn/-1", 400, "invalid_asn"),
        ("/api/v1/asn/AS", 400, "invalid_asn"),
        ("/api/v1/asn/4199999999", 404, "not_found"),
        ("/api/v1/asn/4199999999/history", 404, "not_found"),
        ("/api/v1/asn/x/prefixes", 400, "invalid_asn"),
        ("/api/v1/asn/3/prefixes?limit=0", 400, "invalid_parameter"),
        (
            "/api/v1/asn/3/prefixes?limit=1001",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/asn/3/prefixes?offset=-5", 400, "invalid_parameter"),
        ("/api/v1/global?period=2024-13", 400, "invalid_period"),
        ("/api/v1/global?period=..%2F..%2Fetc", 400, "invalid_period"),
        ("/api/v1/global?period=1999-01", 404, "not_found"),
        ("/api/v1/global?perod=2024-01", 400, "invalid_parameter"),
        ("/api/v1/country/NLD", 400, "invalid_country"),
        ("/api/v1/country/%00%01", 400, "invalid_country"),
        ("/api/v1/country/QQ", 404, "not_found"),
        ("/api/v1/region/mars", 400, "invalid_region"),
        ("/api/v1/incidents?type=alien", 400, "invalid_parameter"),
        ("/api/v1/incidents?from=yesterday", 400, "invalid_parameter"),
        ("/api/v1/incidents?asn=AS-FOO", 400, "invalid_asn"),
        (
            "/api/v1/validity?prefix=10.0.0.1/8&asn=1",
            400,
            "invalid_prefix",
        ),
        (
            "/api/v1/validity?prefix=garbage&asn=1",
            400,
            "invalid_prefix",
        ),
        (
            "/api/v1/validity?prefix=10.0.0.0/33&asn=1",
            400,
            "invalid_prefix",
        ),
        ("/api/v1/validity?asn=1", 400, "invalid_parameter"),
        ("/api/v1/search?q=", 400, "invalid_parameter"),
        ("/api/v1/nothing", 404, "not_found"),
        ("/nothing-here", 404, "not_found"),
    ];
    for &(path, status, code) in cases {
        let (got, body) = get(srv, path);
        assert_eq!(got, status, "{path}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        assert_eq!(v["error"]["code"], code, "{path}: {body}");
    }
    let long = format!("/api/v1/search?q={}", "a".repeat(500));
    assert_eq!(get(srv, &long).0, 400);
    // Whatever else arrives, nothing answers 5xx.
    for path in [
        "/api/v1/asn/%FF%FE",
        "/api/v1/incidents?limit=%ZZ",
        "/api/v1/search?q=%25%5F%27%22;DROP TABLE cards",
        "/api/v1/asn/1/prefixes/extra",
        "/api/v1//global",
        "/api/v1/validity?prefix=::/0&asn=0",
        "/api/v1/incidents?from=4294967295&to=0",
    ] {
        let (status, body) = get(srv, path);
        assert!(status < 500, "{path}: {status} {body}");
    }
}

fn dashboard_pages_show_the_apis_numbers_in_real_charts(srv: &Server) {
    let (status, home) = get(srv, "/");
    assert_eq!(status, 200);
    assert!(
        home.contains("<svg") && home.contains("<rect"),
        "no chart on the overview"
    );
    assert!(
        !home.contains("<script"),
        "the dashboard needs no JavaScript"
    );
    let g = get_json(srv, "/api/v1/global");
    for f in [
        "rpki.valid",
        "rpki.invalid",
        "rpki.not_found",
        "asns_scored",
        "scores.ready",
    ] {
        let mut v = &g;
        for part in f.split('.') {
            v = &v[part];
        }
        assert_eq!(page_field(&home, f), shown(v), "{f}");
    }
    let asn = busy_asn(srv);
    let card = get_json(srv, &format!("/api/v1/asn/{asn}"));
    let (status, page) = get(srv, &format!("/asn/{asn}"));
    assert_eq!(status, 200);
    assert!(page.matches("<rect").count() >= 3, "action chart");
    for k in ["filtering", "anti_spoofing", "coordination", "validation"] {
        let f = format!("actions.{k}.score");
        assert_eq!(
            page_field(&page, &f),
            shown(&card["actions"][k]["score"]),
            "{f}"
        );
    }
    assert_eq!(
        page_field(&page, "metrics.M7RPKI.value"),
        shown(&card["metrics"]["M7RPKI"]["value"])
    );
    let cc = card["country"].as_str().unwrap();
    let (status, country) = get(srv, &format!("/country/{cc}"));
    assert_eq!(status, 200);
    assert!(
        country.contains(&format!("/asn/{asn}\"")),
        "the country page lists the AS"
    );
    let (status, _) = get(srv, &format!("/search?q=AS{asn}"));
    assert_eq!(status, 303, "an exact ASN goes to its card");
    let (status, found) = get(srv, "/search?q=NET-AS");
    assert_eq!(status, 200);
    assert!(found.contains("<li>"));
    let (status, bad) = get(srv, "/asn/abc");
    assert_eq!(status, 400);
    assert!(bad.contains("data-code=\"invalid_asn\""));
    let (status, css) = get(srv, "/static/style.css");
    assert_eq!(status, 200);
    assert!(css.contains("svg.chart"));
}

/// One server for every check (the store is generated once; the server stops at the end,
/// also when a check fails).
#[test]
fn the_api_serves_a_demo_store_as_documented() {
    let srv = start();
    every_documented_endpoint_answers_with_the_documented_shape(&srv);
    api_documents_equal_the_report_commands(&srv);
    validity_explains_the_verdict_with_the_covering_vrps(&srv);
    malformed_requests_get_a_4xx_with_a_code_and_never_a_5xx(&srv);
    dashboard_pages_show_the_apis_numbers_in_real_charts(&srv);
}
