//! The dashboard in a real browser: Debian's `chromium`, headless, renders the pages that
//! `routenorms serve` makes from a store filled by `routenorms observe` on the real data in
//! `../shared/data`. It opens the overview, submits the search form's query for an ASN (the
//! server answers with a redirect the browser follows to the report card), and checks in the
//! DOM the browser built that the charts are there with bars of non-zero width and that the
//! figures equal the API's. Screenshots are written to `target/test-artifacts/`.

mod common;

use common::routenorms;
use common::server::{busy_asn, get_json, page_field, shown, Server};
use routenorms_testsupport::{data_dir, tool};
use std::path::{Path, PathBuf};
use std::process::Command;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless chromium on `url` with `action` (`--dump-dom` or `--screenshot=FILE`).
fn chromium(browser: &Path, profile: &Path, action: &str, url: &str) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--window-size=1200,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium {action} {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Bars of a chart with a width above zero (`<rect ... width="N"` with N > 0).
fn drawn_bars(dom: &str) -> usize {
    dom.split("<rect")
        .skip(1)
        .filter(|r| {
            r.split("width=\"")
                .nth(1)
                .and_then(|w| w.split('"').next())
                .and_then(|w| w.parse::<f64>().ok())
                .is_some_and(|w| w > 0.0)
        })
        .count()
}

#[test]
fn chromium_renders_the_overview_search_and_report_card_with_the_apis_numbers() {
    let Some(data) = data_dir() else { return };
    let Some(browser) = tool("chromium") else {
        return;
    };
    let d = |p: &str| data.join(p).to_str().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("routenorms-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("real.db").to_str().unwrap().to_string();
    let out = routenorms(&[
        "observe",
        "--no-progress",
        "--store",
        &store,
        "--mrt",
        &d("mrt/bgpdump/bview.20020722.2337.gz"),
        "--updates",
        &d("mrt/bgpdump/updates.20020722.2238.gz"),
        "--vrps",
        &d("rpki/rpki-client-ripe-prepdev-20230504.json.gz"),
        "--irr",
        &d("irr/ripe-aut-num-AS3257.rpsl"),
        "--asrel",
        &d("asrel/20180101.as-rel.txt"),
        "--rir",
        &d("rir/delegated-afrinic-extended-latest"),
        &d("rir/delegated-lacnic-extended-latest"),
        "--peeringdb",
        &d("peeringdb/prod-anon-net-page-1.json"),
        &d("peeringdb/prod-anon-org-page-1.json"),
        &d("peeringdb/prod-anon-poc-page-1.json"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let srv = Server::start(&store, None);
    let profile = dir.join("chromium-profile");
    let shots = artifacts();

    // The overview.
    let home = chromium(&browser, &profile, "--dump-dom", &srv.url("/"));
    assert!(home.contains("State of routing security"), "{home}");
    assert!(
        drawn_bars(&home) >= 6,
        "overview charts: {}",
        drawn_bars(&home)
    );
    let g = get_json(&srv, "/api/v1/global");
    for f in [
        "rpki.valid",
        "rpki.invalid",
        "rpki.not_found",
        "asns_seen",
        "asns_scored",
    ] {
        let mut v = &g;
        for part in f.split('.') {
            v = &v[part];
        }
        assert_eq!(page_field(&home, f), shown(v), "overview {f}");
    }
    chromium(
        &browser,
        &profile,
        &format!(
            "--screenshot={}",
            shots.join("browser-overview.png").display()
        ),
        &srv.url("/"),
    );

    // The search box's query for an ASN leads to its report card.
    let asn = busy_asn(&srv);
    let card_dom = chromium(
        &browser,
        &profile,
        "--dump-dom",
        &srv.url(&format!("/search?q=AS{asn}")),
    );
    assert!(
        card_dom.contains(&format!("<h1>AS{asn}</h1>")),
        "search did not reach the card"
    );
    assert!(drawn_bars(&card_dom) >= 1, "card chart");
    assert!(card_dom.contains("<svg"), "card chart");
    let card = get_json(&srv, &format!("/api/v1/asn/{asn}"));
    for k in ["filtering", "anti_spoofing", "coordination", "validation"] {
        let f = format!("actions.{k}.score");
        assert_eq!(
            page_field(&card_dom, &f),
            shown(&card["actions"][k]["score"]),
            "card {f}"
        );
        let f = format!("actions.{k}.label");
        assert_eq!(
            page_field(&card_dom, &f),
            shown(&card["actions"][k]["label"]),
            "card {f}"
        );
    }
    for m in ["M1", "M2", "M3", "M4", "M6", "M7IRR", "M7RPKI"] {
        let f = format!("metrics.{m}.value");
        assert_eq!(
            page_field(&card_dom, &f),
            shown(&card["metrics"][m]["value"]),
            "card {f}"
        );
    }
    chromium(
        &browser,
        &profile,
        &format!("--screenshot={}", shots.join("browser-asn.png").display()),
        &srv.url(&format!("/asn/{asn}")),
    );
    for shot in ["browser-overview.png", "browser-asn.png"] {
        let len = std::fs::metadata(shots.join(shot)).map_or(0, |m| m.len());
        assert!(len > 10_000, "{shot}: {len} bytes");
    }
}
