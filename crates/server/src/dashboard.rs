//! The dashboard: server-rendered HTML pages with SVG charts drawn here, no JavaScript and
//! nothing fetched from elsewhere (the stylesheet is embedded). Pages show the same documents
//! the API serves ([`crate::reports`]); every figure a page shows carries a `data-field`
//! attribute naming its place in the API document, so a browser test can compare them.

use crate::{period_param, reports, ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use routenorms_observe::metrics::ACTIONS;
use routenorms_store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;

const STYLE: &str = include_str!("dashboard.css");

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
const GOOD: &str = "#009E73";
const MID: &str = "#E69F00";
const BAD: &str = "#D55E00";
const NEUTRAL: &str = "#56B4E9";
const GREY: &str = "#999999";

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => esc(s),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => esc(&other.to_string()),
    }
}

/// A figure with the API field it comes from.
fn field(path: &str, v: &Value) -> String {
    format!("<span data-field=\"{}\">{}</span>", esc(path), text(v))
}

/// A share (0..=1) as a percentage.
fn percent(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |f| format!("{:.1} %", f * 100.0))
}

fn label_colour(label: &str) -> &'static str {
    match label {
        "ready" => GOOD,
        "aspiring" => MID,
        "lagging" => BAD,
        _ => GREY,
    }
}

/// A horizontal bar chart: one bar per (label, value in 0..=max, colour), values printed.
fn bar_chart(title: &str, bars: &[(String, Option<f64>, &str)], max: f64, unit: &str) -> String {
    let (w, row, left) = (620.0, 26.0, 230.0);
    let h = row * bars.len() as f64 + 10.0;
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         aria-label=\"{t}\"><title>{t}</title>",
        t = esc(title)
    );
    for (i, (name, value, colour)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + 16.0,
            esc(name)
        );
        match value {
            Some(v) => {
                let bw = if max > 0.0 {
                    (v / max).clamp(0.0, 1.0) * (w - left - 70.0)
                } else {
                    0.0
                };
                let _ = write!(
                    s,
                    "<rect x=\"{left}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{colour}\">\
                     <title>{}: {v:.1}{unit}</title></rect>\
                     <text x=\"{:.1}\" y=\"{}\">{v:.1}{unit}</text>",
                    row - 6.0,
                    esc(name),
                    left + bw + 6.0,
                    y + 16.0
                );
            }
            None => {
                let _ = write!(s, "<text x=\"{left}\" y=\"{}\">no data</text>", y + 16.0);
            }
        }
    }
    s.push_str("</svg>");
    s
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · routenorms</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><header><a class=\"home\" href=\"/\">routenorms</a>\
         <form action=\"/search\" method=\"get\" role=\"search\"><label for=\"q\">Search</label>\
         <input id=\"q\" name=\"q\" placeholder=\"ASN, name, prefix or country\" maxlength=\"100\">\
         <button type=\"submit\">Search</button></form></header><main><h1>{t}</h1>{body}</main>\
         <footer>Figures are defined in docs/metrics.md; the same data as JSON under \
         <a href=\"/api/v1/openapi.json\">/api/v1/</a>.</footer></body></html>",
        t = esc(title)
    ))
}

/// An error as a page (same status and code as the API would give).
pub(crate) struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<p class=\"error\" data-code=\"{}\">{}</p>",
            self.0.code,
            esc(&self.0.message)
        );
        (self.0.status, page("Not available", &body)).into_response()
    }
}

type PageResult = Result<Html<String>, PageError>;

pub(crate) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

fn action_bars(actions: &Value, key: &str) -> Vec<(String, Option<f64>, &'static str)> {
    ACTIONS
        .iter()
        .map(|(k, title, _)| {
            let a = &actions[k];
            let colour = match a["label"].as_str() {
                Some(l) if key.is_empty() => label_colour(l),
                _ => NEUTRAL,
            };
            let v = if key.is_empty() { &a["score"] } else { &a[key] };
            (title.to_string(), v.as_f64(), colour)
        })
        .collect()
}

pub(crate) async fn overview(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let asked = period_param(&q)?;
    let html = st
        .with_store(move |s: &Store| {
            let p = crate::resolve_period(s, asked)?;
            let g = reports::global(s, &p)?.ok_or_else(|| ApiError::not_found("no report"))?;
            let periods = s.periods()?;
            let regions = s.rollups(&p, "region")?;
            Ok(overview_html(&g, &periods, &regions))
        })
        .await?;
    Ok(html)
}

fn overview_html(
    g: &Value,
    periods: &[String],
    regions: &[routenorms_store::RollupRow],
) -> Html<String> {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Period {} — data {} to {}. {} networks seen, {} scored (routes seen by at least {} peer ASNs).</p>",
        field("period", &g["period"]),
        field("data_start", &g["data_start"]),
        field("data_end", &g["data_end"]),
        field("asns_seen", &g["asns_seen"]),
        field("asns_scored", &g["asns_scored"]),
        field("min_peers", &g["min_peers"]),
    );
    if periods.len() > 1 {
        b.push_str("<p>Other periods: ");
        for p in periods.iter().rev() {
            let _ = write!(b, "<a href=\"/?period={0}\">{0}</a> ", esc(p));
        }
        b.push_str("</p>");
    }
    let scores = &g["scores"];
    let _ = write!(
        b,
        "<section><h2>MANRS actions</h2><p>MANRS-ready in every action with data: {} of {} scored networks ({}).</p>{}</section>",
        field("scores.ready", &scores["ready"]),
        field("scores.asns_scored", &scores["asns_scored"]),
        percent(&scores["ready_share"]),
        bar_chart(
            "Mean score per action (unweighted)",
            &action_bars(&scores["actions"], "unweighted"),
            100.0,
            ""
        )
    );
    let r = &g["rpki"];
    if r.is_object() {
        let bars = vec![
            (
                "valid".to_string(),
                r["valid_share"].as_f64().map(|x| x * 100.0),
                GOOD,
            ),
            (
                "invalid".to_string(),
                r["invalid_share"].as_f64().map(|x| x * 100.0),
                BAD,
            ),
            (
                "not found".to_string(),
                r["not_found_share"].as_f64().map(|x| x * 100.0),
                GREY,
            ),
        ];
        let _ = write!(
            b,
            "<section><h2>RPKI route-origin validation</h2><p>Routes: valid {}, invalid {}, not found {}.</p>{}</section>",
            field("rpki.valid", &r["valid"]),
            field("rpki.invalid", &r["invalid"]),
            field("rpki.not_found", &r["not_found"]),
            bar_chart("Share of routes per RPKI state (%)", &bars, 100.0, " %")
        );
    }
    if let Some(irr) = g["irr"].as_object() {
        let total: f64 = irr.values().filter_map(Value::as_f64).sum();
        let bars: Vec<(String, Option<f64>, &str)> = irr
            .iter()
            .map(|(k, v)| {
                let colour = if matches!(k.as_str(), "match" | "covered" | "misplaced") {
                    GOOD
                } else {
                    BAD
                };
                (
                    k.clone(),
                    v.as_f64().map(|x| x / total.max(1.0) * 100.0),
                    colour,
                )
            })
            .collect();
        b.push_str("<section><h2>IRR coverage</h2>");
        b.push_str(&bar_chart(
            "Share of routes per IRR status (%)",
            &bars,
            100.0,
            " %",
        ));
        b.push_str("</section>");
    }
    if let Some(inc) = g["incidents"].as_object() {
        let bars: Vec<(String, Option<f64>, &str)> = inc
            .iter()
            .filter(|(k, _)| !k.starts_with("events_"))
            .map(|(k, v)| (k.replace('_', " "), v.as_f64(), NEUTRAL))
            .collect();
        let max = bars.iter().filter_map(|b| b.1).fold(0.0, f64::max);
        b.push_str("<section><h2>Incidents</h2>");
        b.push_str(&bar_chart("Incidents per type", &bars, max, ""));
        b.push_str(&incident_table(&g["top_incidents"]));
        b.push_str("</section>");
    }
    if !regions.is_empty() {
        b.push_str("<section><h2>Regions</h2><ul>");
        for r in regions {
            let _ = write!(b, "<li><a href=\"/region/{0}\">{0}</a></li>", esc(&r.key));
        }
        b.push_str("</ul></section>");
    }
    page("State of routing security", &b)
}

fn incident_table(list: &Value) -> String {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return "<p>No incidents.</p>".into();
    };
    let mut t = String::from(
        "<table><thead><tr><th>id</th><th>type</th><th>culprit</th><th>accomplices</th>\
         <th>prefix</th><th>start (UTC)</th><th>weight</th><th>evidence</th></tr></thead><tbody>",
    );
    for i in list {
        let acc: Vec<String> = i["accomplices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| format!("<a href=\"/asn/{0}\">AS{0}</a>", text(a)))
            .collect();
        let start = i["start"]
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .map_or("–".into(), routenorms_observe::observation::utc_time);
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}{}</td><td><a href=\"/asn/{c}\">AS{c}</a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            text(&i["id"]),
            text(&i["kind"]),
            if i["downranked"] == Value::Bool(true) { " (down-ranked)" } else { "" },
            acc.join(" "),
            text(&i["prefix"]),
            esc(&start),
            text(&i["weight"]),
            esc(&i["evidence"].to_string()),
            c = text(&i["culprit"]),
        );
    }
    t.push_str("</tbody></table>");
    t
}

pub(crate) async fn asn_page(
    State(st): State<AppState>,
    Path(asn): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let asn = crate::parse_asn(&asn)?;
    let asked = period_param(&q)?;
    let html = st
        .with_store(move |s: &Store| {
            let p = crate::resolve_period(s, asked)?;
            let card = reports::asn(s, &p, asn)?.ok_or_else(|| {
                ApiError::not_found(format!("AS{asn} was not seen in period {p}"))
            })?;
            let history = reports::asn_history(s, asn)?;
            Ok(asn_html(asn, &card, &history))
        })
        .await?;
    Ok(html)
}

fn asn_html(asn: u32, c: &Value, history: &[Value]) -> Html<String> {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>{} · country {} · region {} · period {}</p><p>{} routes seen by {} peer ASNs; {}; MANRS-ready: {}.</p>",
        field("name", &c["name"]),
        field("country", &c["country"]),
        field("region", &c["region"]),
        field("period", &c["period"]),
        field("routes", &c["routes"]),
        field("peer_asns", &c["peer_asns"]),
        if c["scored"] == Value::Bool(true) { "scored" } else { "not scored (too little visibility)" },
        if c["ready"] == Value::Bool(true) { "yes" } else { "no" },
    );
    b.push_str(&bar_chart(
        "Score per MANRS action",
        &action_bars(&c["actions"], ""),
        100.0,
        "",
    ));
    if history.len() > 1 {
        b.push_str("<section><h2>Over time</h2>");
        for (k, title, _) in ACTIONS {
            let bars: Vec<(String, Option<f64>, &str)> = history
                .iter()
                .map(|h| {
                    let a = &h["actions"][k];
                    (
                        h["period"].as_str().unwrap_or("").to_string(),
                        a["score"].as_f64(),
                        label_colour(a["label"].as_str().unwrap_or("")),
                    )
                })
                .collect();
            b.push_str(&bar_chart(&format!("{title} per period"), &bars, 100.0, ""));
        }
        b.push_str("</section>");
    }
    b.push_str("<section><h2>Metrics</h2><table><thead><tr><th>action</th><th>score</th><th>label</th><th>metric</th><th>value</th><th>metric score</th><th>basis</th></tr></thead><tbody>");
    for (k, title, metrics) in ACTIONS {
        let a = &c["actions"][k];
        for (i, m) in metrics.iter().enumerate() {
            let mv = &c["metrics"][m];
            let basis = match mv["no_data"].as_str() {
                Some(why) => format!("no data: {}", esc(why)),
                None => format!("<code>{}</code>", esc(&compact_evidence(&mv["evidence"]))),
            };
            let head = if i == 0 {
                format!(
                    "<td rowspan=\"{n}\">{}</td><td rowspan=\"{n}\">{}</td><td rowspan=\"{n}\">{}</td>",
                    esc(title),
                    field(&format!("actions.{k}.score"), &a["score"]),
                    field(&format!("actions.{k}.label"), &a["label"]),
                    n = metrics.len()
                )
            } else {
                String::new()
            };
            let _ = write!(
                b,
                "<tr>{head}<td>{m}</td><td>{}</td><td>{}</td><td>{basis}</td></tr>",
                field(&format!("metrics.{m}.value"), &mv["value"]),
                field(&format!("metrics.{m}.score"), &mv["score"]),
            );
        }
    }
    b.push_str("</tbody></table></section><section><h2>Incidents</h2>");
    b.push_str(&incident_table(&c["incidents"]));
    b.push_str("</section><section><h2>Offending prefixes</h2>");
    match c["offending_prefixes"].as_array().filter(|l| !l.is_empty()) {
        None => b.push_str("<p>None.</p>"),
        Some(list) => {
            let _ = write!(
                b,
                "<p>{} in all, most visible first.</p><table><thead><tr><th>prefix</th><th>peers</th><th>RPKI</th><th>IRR</th><th>why</th></tr></thead><tbody>",
                field("offending_prefixes_total", &c["offending_prefixes_total"])
            );
            for r in list {
                let flags: Vec<String> = r["flags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text)
                    .collect();
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    text(&r["prefix"]),
                    text(&r["peers"]),
                    text(&r["rpki"]),
                    text(&r["irr"]),
                    flags.join(", ")
                );
            }
            b.push_str("</tbody></table>");
        }
    }
    b.push_str("</section>");
    page(&format!("AS{asn}"), &b)
}

/// The evidence in a line: contact details spelled out, incident and route lists reduced to
/// a count (they are in the tables below and in the API).
fn compact_evidence(e: &Value) -> String {
    let Some(o) = e.as_object() else {
        return e.to_string();
    };
    let parts: Vec<String> = o
        .iter()
        .map(|(k, v)| match v.as_array() {
            Some(a) if a.iter().any(|x| x.get("detail").is_some()) => {
                let d: Vec<&str> = a.iter().filter_map(|x| x["detail"].as_str()).collect();
                format!("{k}: {}", d.join("; "))
            }
            Some(a) if a.iter().any(Value::is_object) => format!("{k}: {} listed", a.len()),
            _ => format!("{k}: {v}"),
        })
        .collect();
    parts.join(", ")
}

pub(crate) async fn country_page(
    State(st): State<AppState>,
    Path(cc): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(
            ApiError::bad("invalid_country", format!("`{cc}` is not a country code")).into(),
        );
    }
    group_page(st, q, "country", cc.to_ascii_uppercase()).await
}

pub(crate) async fn region_page(
    State(st): State<AppState>,
    Path(r): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let key = crate::region_key(&r)?;
    group_page(st, q, "region", key.to_string()).await
}

async fn group_page(
    st: AppState,
    q: HashMap<String, String>,
    scope: &'static str,
    key: String,
) -> PageResult {
    let asked = period_param(&q)?;
    let html = st
        .with_store(move |s: &Store| {
            let p = crate::resolve_period(s, asked)?;
            let doc = reports::group(s, &p, scope, &key)?.ok_or_else(|| {
                ApiError::not_found(format!("no network of {scope} {key} seen in period {p}"))
            })?;
            Ok(group_html(scope, &key, &doc))
        })
        .await?;
    Ok(html)
}

fn mean_score(a: &Value) -> Option<f64> {
    let scores: Vec<f64> = ACTIONS
        .iter()
        .filter_map(|(k, _, _)| a["actions"][k]["score"].as_f64())
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

fn group_html(scope: &str, key: &str, g: &Value) -> Html<String> {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Period {}: {} networks seen, {} scored, {} routes. MANRS-ready: {} ({}).</p>",
        field("period", &g["period"]),
        field("asns", &g["asns"]),
        field("asns_scored", &g["asns_scored"]),
        field("routes", &g["routes"]),
        field("ready", &g["ready"]),
        percent(&g["ready_share"]),
    );
    b.push_str(&bar_chart(
        "Mean score per action (unweighted)",
        &action_bars(&g["actions"], "unweighted"),
        100.0,
        "",
    ));
    let mut list: Vec<&Value> = g["asn_list"].as_array().into_iter().flatten().collect();
    // Ranked: scored first, then by the mean of their action scores, best first.
    list.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["scored"] != Value::Bool(true),
                -(mean_score(v).unwrap_or(-1.0) * 1e4) as i64,
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a["asn"].as_u64().cmp(&b["asn"].as_u64()))
    });
    b.push_str("<h2>Networks, ranked</h2><table><thead><tr><th>#</th><th>AS</th><th>name</th><th>routes</th>");
    for (_, title, _) in ACTIONS {
        let _ = write!(
            b,
            "<th>{}</th>",
            esc(title.split(": ").nth(1).unwrap_or(title))
        );
    }
    b.push_str("<th>ready</th></tr></thead><tbody>");
    for (i, a) in list.iter().enumerate() {
        let _ =
            write!(
            b,
            "<tr{}><td>{}</td><td><a href=\"/asn/{asn}\">AS{asn}</a></td><td>{}</td><td>{}</td>",
            if a["scored"] == Value::Bool(true) { "" } else { " class=\"unscored\"" },
            i + 1,
            text(&a["name"]),
            text(&a["routes"]),
            asn = text(&a["asn"]),
        );
        for (k, _, _) in ACTIONS {
            let s = &a["actions"][k];
            let _ = write!(
                b,
                "<td class=\"{}\">{}</td>",
                s["label"].as_str().unwrap_or("no_data"),
                text(&s["score"])
            );
        }
        let _ = write!(
            b,
            "<td>{}</td></tr>",
            if a["ready"] == Value::Bool(true) {
                "yes"
            } else {
                "no"
            }
        );
    }
    b.push_str("</tbody></table>");
    page(
        &format!(
            "{} {}",
            if scope == "country" {
                "Country"
            } else {
                "Region"
            },
            key
        ),
        &b,
    )
}

pub(crate) async fn search_page(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text_q = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    if text_q.is_empty() || text_q.len() > 100 {
        return PageError(ApiError::bad(
            "invalid_parameter",
            "type 1 to 100 characters",
        ))
        .into_response();
    }
    // An exact ASN goes straight to its card.
    if let Ok(asn) = crate::parse_asn(&text_q) {
        let found = st
            .with_store(move |s: &Store| {
                let p = crate::resolve_period(s, None)?;
                Ok(s.card(&p, asn)?.is_some())
            })
            .await;
        if let Ok(true) = found {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/asn/{asn}"))],
            )
                .into_response();
        }
    }
    let q2 = text_q.clone();
    let results = st
        .with_store(move |s: &Store| {
            let p = crate::resolve_period(s, None)?;
            crate::search_results(s, &p, &q2)
        })
        .await;
    match results {
        Err(e) => PageError(e).into_response(),
        Ok(list) => {
            let mut b = String::from("<ul class=\"results\">");
            for r in &list {
                let line = match r["kind"].as_str() {
                    Some("asn") => format!(
                        "<a href=\"/asn/{0}\">AS{0}</a> {1}",
                        text(&r["asn"]),
                        text(&r["name"])
                    ),
                    Some("prefix") => format!(
                        "{} originated by <a href=\"/asn/{o}\">AS{o}</a> (RPKI {})",
                        text(&r["prefix"]),
                        text(&r["rpki"]),
                        o = text(&r["origin"])
                    ),
                    Some("country") => format!(
                        "<a href=\"/country/{0}\">country {0}</a>",
                        text(&r["country"])
                    ),
                    _ => continue,
                };
                let _ = write!(b, "<li>{line}</li>");
            }
            b.push_str("</ul>");
            if list.is_empty() {
                b = "<p>Nothing found.</p>".into();
            }
            page(&format!("Search: {text_q}"), &b).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn bars_scale_to_the_maximum_and_say_when_there_is_no_data() {
        let svg = bar_chart(
            "t",
            &[("a".into(), Some(50.0), GOOD), ("b".into(), None, GOOD)],
            100.0,
            "",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("width=\"160.0\""), "{svg}"); // half of 620 - 230 - 70
        assert!(svg.contains("no data"));
    }
}
