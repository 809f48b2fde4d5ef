//! The HTTP face of routenorms: a read-only JSON API under `/api/v1/` over the store, with
//! its OpenAPI document; the dashboard (server-rendered HTML with SVG charts, no JavaScript,
//! every asset embedded); and the report documents ([`reports`]) that the API, the
//! dashboard and `routenorms report` share. It owns request validation, limits, error codes and the
//! listener's lifecycle; it does not compute any figure (the store holds them as `observe`
//! wrote them) and it never writes to the store.
//!
//! Every parameter is checked before the store is asked (an invalid ASN, prefix, period or
//! number is a 400 with a stable `code`), listings are paged with a bounded `limit`, every
//! store query runs on a blocking thread under a time limit, and SQL is only ever built from
//! constants with bound parameters (in `routenorms-store`).

mod dashboard;
pub mod reports;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use routenorms_rpki::VrpSet;
use routenorms_store::{IncidentFilter, Page, Store, StoreError};
use routenorms_types::{Asn, Prefix};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most items one API listing returns (`limit` above it is refused).
pub const MAX_LIMIT: u32 = 1000;
/// The `limit` of a listing that does not give one.
pub const DEFAULT_LIMIT: u32 = 100;
/// A store query taking longer than this answers 503.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Store connections kept open for reuse.
pub const POOL_SIZE: usize = 8;

const OPENAPI: &str = include_str!("openapi.json");

/// An API error: HTTP status, a stable machine-readable code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

impl From<reports::ReportError> for ApiError {
    fn from(e: reports::ReportError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

/// Open store connections, reused across requests (a SQLite connection serves one thread
/// at a time).
#[derive(Debug)]
struct Pool {
    location: String,
    idle: Mutex<Vec<Store>>,
}

impl Pool {
    fn take(&self) -> Result<Store, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(s) => Ok(s),
            None => Store::open_existing(&self.location),
        }
    }

    fn give(&self, s: Store) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < POOL_SIZE {
                v.push(s);
            }
        }
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pool: Arc<Pool>,
    vrps: Option<Arc<VrpSet>>,
}

impl AppState {
    /// Opens the store once (so a wrong path fails at start, not at the first request).
    pub fn new(location: &str, vrps: Option<VrpSet>) -> Result<AppState, StoreError> {
        let first = Store::open_existing(location)?;
        Ok(AppState {
            pool: Arc::new(Pool {
                location: location.to_string(),
                idle: Mutex::new(vec![first]),
            }),
            vrps: vrps.map(Arc::new),
        })
    }

    /// Runs `f` with a store connection on a blocking thread, under [`QUERY_TIMEOUT`].
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let pool = self.pool.clone();
        let task = tokio::task::spawn_blocking(move || {
            let store = pool.take()?;
            let out = f(&store);
            pool.give(store);
            out
        });
        match tokio::time::timeout(QUERY_TIMEOUT, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(ApiError::internal(format!("query failed: {e}"))),
            Err(_) => Err(ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "timeout",
                message: format!("the query took longer than {} s", QUERY_TIMEOUT.as_secs()),
            }),
        }
    }
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/periods", get(periods))
        .route("/api/v1/global", get(global))
        .route("/api/v1/asn/{asn}", get(asn_card))
        .route("/api/v1/asn/{asn}/history", get(asn_history))
        .route("/api/v1/asn/{asn}/prefixes", get(asn_prefixes))
        .route("/api/v1/country/{cc}", get(country))
        .route("/api/v1/region/{region}", get(region))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/validity", get(validity))
        .route("/api/v1/search", get(search))
        .route("/", get(dashboard::overview))
        .route("/asn/{asn}", get(dashboard::asn_page))
        .route("/country/{cc}", get(dashboard::country_page))
        .route("/region/{region}", get(dashboard::region_page))
        .route("/search", get(dashboard::search_page))
        .route("/static/style.css", get(dashboard::style))
        .fallback(|| async { ApiError::not_found("no such endpoint (see /api/v1/openapi.json)") })
        .with_state(state)
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

// ----- parameters -----

type Params = Query<HashMap<String, String>>;

/// Only these query parameters are accepted (a typo is an error, not silently ignored).
fn only(q: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match q.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::bad(
            "invalid_parameter",
            format!("unknown parameter `{k}` (accepted: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn parse_asn(s: &str) -> Result<u32, ApiError> {
    let t = s
        .strip_prefix("AS")
        .or_else(|| s.strip_prefix("as"))
        .unwrap_or(s);
    // Digits only: `u32::from_str` alone would also take a sign (`AS+5`).
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(
            "invalid_asn",
            format!("`{s}` is not an AS number"),
        ));
    }
    t.parse::<u32>()
        .map_err(|_| ApiError::bad("invalid_asn", format!("`{s}` is not an AS number")))
}

/// A path segment, or the 400 with `code` when it cannot be one (not UTF-8 after
/// percent-decoding): axum's own rejection would answer in plain text, not the API's JSON.
fn segment(p: Result<Path<String>, PathRejection>, code: &'static str) -> Result<String, ApiError> {
    p.map(|Path(s)| s)
        .map_err(|e| ApiError::bad(code, format!("unreadable path segment: {}", e.body_text())))
}

fn parse_prefix(s: &str) -> Result<Prefix, ApiError> {
    s.parse::<Prefix>().map_err(|_| {
        ApiError::bad(
            "invalid_prefix",
            format!("`{s}` is not a prefix (address/length, host bits clear)"),
        )
    })
}

fn parse_u32(q: &HashMap<String, String>, name: &str) -> Result<Option<u32>, ApiError> {
    q.get(name)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                ApiError::bad(
                    "invalid_parameter",
                    format!("`{name}` must be a whole number"),
                )
            })
        })
        .transpose()
}

fn page(q: &HashMap<String, String>) -> Result<Page, ApiError> {
    let limit = parse_u32(q, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad(
            "invalid_parameter",
            format!("`limit` must be 1 to {MAX_LIMIT}"),
        ));
    }
    let offset = parse_u32(q, "offset")?.unwrap_or(0) as u64;
    Ok(Page { limit, offset })
}

fn valid_period(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && (1..=12).contains(&p[5..].parse::<u32>().unwrap_or(0))
}

/// The `period` parameter, checked; `None` means the newest stored.
pub(crate) fn period_param(q: &HashMap<String, String>) -> Result<Option<String>, ApiError> {
    match q.get("period") {
        None => Ok(None),
        Some(p) if valid_period(p) => Ok(Some(p.clone())),
        Some(p) => Err(ApiError::bad(
            "invalid_period",
            format!("`{p}` is not a period (YYYY-MM)"),
        )),
    }
}

/// The period to answer for: the one asked (if stored) or the newest.
fn resolve_period(store: &Store, asked: Option<String>) -> Result<String, ApiError> {
    match asked {
        Some(p) => {
            if store.report(&p)?.is_none() {
                return Err(ApiError::not_found(format!("period {p} is not stored")));
            }
            Ok(p)
        }
        None => store
            .latest_period()?
            .ok_or_else(|| ApiError::not_found("the store holds no period yet")),
    }
}

fn with_period(mut doc: Value, period: &str) -> Value {
    if let Some(o) = doc.as_object_mut() {
        o.entry("period").or_insert_with(|| period.into());
    }
    doc
}

/// What a search text finds: the ASN it names, routes of the prefix it is, the country it
/// is the code of, and networks whose name contains it.
fn search_results(s: &Store, p: &str, text: &str) -> Result<Vec<Value>, ApiError> {
    let mut results = Vec::new();
    if let Ok(asn) = parse_asn(text) {
        if let Some(c) = s.card(p, asn)? {
            results
                .push(json!({"kind": "asn", "asn": c.asn, "name": c.name, "country": c.country}));
        }
    }
    if let Ok(prefix) = text.parse::<Prefix>() {
        for r in s.routes_with_prefix(p, &prefix.to_string())? {
            results.push(
                json!({"kind": "prefix", "prefix": r.prefix, "origin": r.origin, "rpki": r.rpki}),
            );
        }
    }
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        let cc = text.to_ascii_uppercase();
        if s.rollup(p, "country", &cc)?.is_some() {
            results.push(json!({"kind": "country", "country": cc}));
        }
    }
    for c in s.cards_named(
        p,
        text,
        Page {
            limit: 20,
            offset: 0,
        },
    )? {
        results.push(json!({"kind": "asn", "asn": c.asn, "name": c.name, "country": c.country}));
    }
    Ok(results)
}

/// The `q` of a search, trimmed. Its length is counted in characters, not bytes, and before
/// trimming, as the OpenAPI document bounds the parameter sent (1 to 100 characters).
fn search_text(q: &HashMap<String, String>) -> Result<String, ApiError> {
    let raw = q.get("q").map(String::as_str).unwrap_or_default();
    let text = raw.trim();
    if text.is_empty() || raw.chars().count() > 100 {
        return Err(ApiError::bad(
            "invalid_parameter",
            "`q` must be 1 to 100 characters",
        ));
    }
    Ok(text.to_string())
}

// ----- handlers -----

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

async fn periods(State(st): State<AppState>, Query(q): Params) -> ApiResult {
    only(&q, &[])?;
    let list = st.with_store(|s| Ok(s.periods()?)).await?;
    Ok(Json(json!({ "periods": list })))
}

async fn global(State(st): State<AppState>, Query(q): Params) -> ApiResult {
    only(&q, &["period"])?;
    let asked = period_param(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        let doc = reports::global(s, &p)?.ok_or_else(|| ApiError::not_found("no report"))?;
        Ok(Json(doc))
    })
    .await
}

async fn asn_card(
    State(st): State<AppState>,
    asn: Result<Path<String>, PathRejection>,
    Query(q): Params,
) -> ApiResult {
    only(&q, &["period"])?;
    let asn = parse_asn(&segment(asn, "invalid_asn")?)?;
    let asked = period_param(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        reports::asn(s, &p, asn)?
            .map(Json)
            .ok_or_else(|| ApiError::not_found(format!("AS{asn} was not seen in period {p}")))
    })
    .await
}

async fn asn_history(
    State(st): State<AppState>,
    asn: Result<Path<String>, PathRejection>,
    Query(q): Params,
) -> ApiResult {
    only(&q, &[])?;
    let asn = parse_asn(&segment(asn, "invalid_asn")?)?;
    st.with_store(move |s| {
        let h = reports::asn_history(s, asn)?;
        if h.is_empty() {
            return Err(ApiError::not_found(format!(
                "AS{asn} was not seen in any period"
            )));
        }
        Ok(Json(json!({"asn": asn, "periods": h})))
    })
    .await
}

async fn asn_prefixes(
    State(st): State<AppState>,
    asn: Result<Path<String>, PathRejection>,
    Query(q): Params,
) -> ApiResult {
    only(&q, &["period", "limit", "offset"])?;
    let asn = parse_asn(&segment(asn, "invalid_asn")?)?;
    let asked = period_param(&q)?;
    let page = page(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        if s.card(&p, asn)?.is_none() {
            return Err(ApiError::not_found(format!(
                "AS{asn} was not seen in period {p}"
            )));
        }
        let rows = s.routes(&p, asn, page)?;
        let items: Vec<Value> = rows.iter().map(reports::route_json).collect();
        Ok(Json(json!({
            "asn": asn, "period": p, "limit": page.limit, "offset": page.offset, "prefixes": items,
        })))
    })
    .await
}

async fn group(
    st: AppState,
    q: HashMap<String, String>,
    scope: &'static str,
    key: String,
) -> ApiResult {
    only(&q, &["period"])?;
    let asked = period_param(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        reports::group(s, &p, scope, &key)?
            .map(|d| Json(with_period(d, &p)))
            .ok_or_else(|| {
                ApiError::not_found(format!("no ASN of {scope} {key} seen in period {p}"))
            })
    })
    .await
}

async fn country(
    State(st): State<AppState>,
    cc: Result<Path<String>, PathRejection>,
    Query(q): Params,
) -> ApiResult {
    let cc = segment(cc, "invalid_country")?;
    if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::bad(
            "invalid_country",
            format!("`{cc}` is not an ISO 3166 alpha-2 country code"),
        ));
    }
    group(st, q, "country", cc.to_ascii_uppercase()).await
}

/// An RIR region name as the store keys it.
fn region_key(r: &str) -> Result<&'static str, ApiError> {
    match r.to_ascii_lowercase().as_str() {
        "afrinic" => Ok("afrinic"),
        "apnic" => Ok("apnic"),
        "arin" => Ok("arin"),
        "lacnic" => Ok("lacnic"),
        "ripencc" | "ripe" => Ok("ripencc"),
        _ => Err(ApiError::bad(
            "invalid_region",
            format!("`{r}` is not one of afrinic, apnic, arin, lacnic, ripencc"),
        )),
    }
}

async fn region(
    State(st): State<AppState>,
    r: Result<Path<String>, PathRejection>,
    Query(q): Params,
) -> ApiResult {
    let key = region_key(&segment(r, "invalid_region")?)?;
    group(st, q, "region", key.to_string()).await
}

async fn incidents(State(st): State<AppState>, Query(q): Params) -> ApiResult {
    only(
        &q,
        &["period", "asn", "type", "from", "to", "limit", "offset"],
    )?;
    let asked = period_param(&q)?;
    let asn = q.get("asn").map(|a| parse_asn(a)).transpose()?;
    let metric = match q.get("type").map(String::as_str) {
        None => None,
        Some(
            t @ ("hijack" | "route_leak" | "bogon_prefix" | "bogon_asn" | "rpki_invalid"
            | "more_specific" | "outage"),
        ) => Some(t.to_string()),
        Some(t) => {
            return Err(ApiError::bad(
                "invalid_parameter",
                format!(
                    "`type` {t}: expected hijack, route_leak, bogon_prefix, bogon_asn, \
                     rpki_invalid, more_specific or outage"
                ),
            ))
        }
    };
    let (from, to) = (parse_u32(&q, "from")?, parse_u32(&q, "to")?);
    let page = page(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        let filter = IncidentFilter {
            asn,
            metric,
            from,
            to,
        };
        let rows = s.incidents(&p, &filter, page)?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let mut d: Value = serde_json::from_str(&r.incident)
                .map_err(|e| ApiError::internal(format!("damaged incident {}: {e}", r.id)))?;
            if let Some(o) = d.as_object_mut() {
                o.remove("events");
            }
            items.push(d);
        }
        Ok(Json(json!({
            "period": p, "limit": page.limit, "offset": page.offset, "incidents": items,
        })))
    })
    .await
}

async fn validity(State(st): State<AppState>, Query(q): Params) -> ApiResult {
    only(&q, &["prefix", "asn"])?;
    let prefix = parse_prefix(
        q.get("prefix")
            .ok_or_else(|| ApiError::bad("invalid_parameter", "`prefix` is required"))?,
    )?;
    let asn = parse_asn(
        q.get("asn")
            .ok_or_else(|| ApiError::bad("invalid_parameter", "`asn` is required"))?,
    )?;
    let vrps = st.vrps.as_ref().ok_or_else(|| ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "no_vrps",
        message: "the server was started without --vrps".into(),
    })?;
    let v = vrps.validate(prefix, Some(Asn(asn)));
    let covering: Vec<Value> = v
        .covering
        .iter()
        .map(|vrp| {
            json!({
                "prefix": vrp.prefix.to_string(),
                "max_length": vrp.max_len,
                "asn": vrp.asn.0,
                "matches": v.matches(vrp),
            })
        })
        .collect();
    Ok(Json(json!({
        "prefix": prefix.to_string(),
        "asn": asn,
        "state": v.state.as_str(),
        "reason": v.reason.map(|r| r.as_str()),
        "covering": covering,
    })))
}

async fn search(State(st): State<AppState>, Query(q): Params) -> ApiResult {
    only(&q, &["q", "period"])?;
    let text = search_text(&q)?;
    let asked = period_param(&q)?;
    st.with_store(move |s| {
        let p = resolve_period(s, asked)?;
        let results = search_results(s, &p, &text)?;
        Ok(Json(json!({"q": text, "period": p, "results": results})))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn asns_parse_plain_or_prefixed_and_nothing_else() {
        assert_eq!(parse_asn("64500").unwrap(), 64500);
        assert_eq!(parse_asn("AS4200000000").unwrap(), 4_200_000_000);
        assert_eq!(parse_asn("as007").unwrap(), 7);
        for bad in [
            "",
            "AS",
            "-1",
            "+5",
            "AS+5",
            "4294967296",
            "AS-SET",
            "1.5",
            " 5",
        ] {
            assert_eq!(parse_asn(bad).unwrap_err().code, "invalid_asn", "{bad}");
        }
    }

    #[test]
    fn pages_are_bounded_and_numbers_checked() {
        let p = page(&q(&[])).unwrap();
        assert_eq!((p.limit, p.offset), (DEFAULT_LIMIT, 0));
        assert_eq!(
            page(&q(&[("limit", "1000"), ("offset", "7")]))
                .unwrap()
                .offset,
            7
        );
        for bad in [
            ("limit", "0"),
            ("limit", "1001"),
            ("offset", "x"),
            ("limit", "-1"),
        ] {
            assert_eq!(
                page(&q(&[bad])).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
    }

    #[test]
    fn search_text_is_one_to_a_hundred_characters_not_bytes() {
        assert_eq!(search_text(&q(&[("q", " AS5 ")])).unwrap(), "AS5");
        assert!(search_text(&q(&[("q", &"é".repeat(100))])).is_ok());
        for bad in [
            "",
            "   ",
            &"a".repeat(101),
            &format!(" {} ", "a".repeat(99)),
        ] {
            assert_eq!(
                search_text(&q(&[("q", bad)])).unwrap_err().code,
                "invalid_parameter",
                "{bad:?}"
            );
        }
        assert!(search_text(&q(&[])).is_err());
    }

    #[test]
    fn periods_must_be_real_months_and_unknown_parameters_are_refused() {
        assert!(valid_period("2026-11"));
        for bad in ["2026-13", "2026-00", "2026-1", "../../x", "2026-11-01"] {
            assert!(!valid_period(bad), "{bad}");
        }
        assert!(only(&q(&[("period", "x")]), &["period"]).is_ok());
        assert_eq!(
            only(&q(&[("perod", "x")]), &["period"]).unwrap_err().code,
            "invalid_parameter"
        );
    }
}
