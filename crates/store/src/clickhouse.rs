//! The ClickHouse backend: the logical tables of the SQLite store as MergeTree tables,
//! spoken to over ClickHouse's HTTP interface with a small blocking HTTP/1.1 client (one
//! connection per statement; the store is not on a hot path that would need pooling).
//!
//! Atomicity without transactions: every `replace_period` takes a new run number, writes
//! its rows tagged with it, and writes the period's row in `periods` last. Readers read the
//! rows of the newest run that has a `periods` row, so a write cut short (kill, crash, lost
//! connection) is never seen; runs older than the newest are deleted afterwards (a
//! ClickHouse mutation, best effort: rows it misses are invisible and go with the next
//! write of the period).
//!
//! Only the server's HTTP interface and long-standing SQL are used (no query parameters,
//! no `LowCardinality`), so Debian's clickhouse-server 18.16 works as well as current
//! releases. Values enter SQL text only through [`quote`] (strings) or as Rust integers.

use crate::*;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The HTTP port ClickHouse listens on by default.
pub const DEFAULT_HTTP_PORT: u16 = 8123;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one statement may take to send or answer.
const IO_TIMEOUT: Duration = Duration::from_secs(300);
/// Rows per INSERT statement (ClickHouse inserts a block this size atomically).
const INSERT_BATCH: usize = 200_000;

/// Where a ClickHouse store lives: `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClickHouseLocation {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for ClickHouseLocation {
    // The password stays out of logs and error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl ClickHouseLocation {
    /// `None` when `location` is not a `clickhouse://` address (it is then a SQLite path).
    pub fn parse(location: &str) -> Result<Option<ClickHouseLocation>, StoreError> {
        let Some(rest) = location.strip_prefix("clickhouse://") else {
            return Ok(None);
        };
        let bad = |reason| StoreError::BadLocation {
            location: redact(location),
            reason,
        };
        let (authority, database) = rest
            .split_once('/')
            .ok_or(bad("no database: write clickhouse://HOST:PORT/DATABASE"))?;
        let database = database.trim_end_matches('/');
        if database.is_empty()
            || !database
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || database.as_bytes()[0].is_ascii_digit()
        {
            return Err(bad(
                "the database name must be letters, digits and '_', not starting with a digit",
            ));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
                None => (Some(u.to_string()), None),
            },
        };
        // An IPv6 address is written in brackets: [::1]:8123.
        let (host, port_text) = match hostport.strip_prefix('[') {
            Some(v6) => {
                let (h, after) = v6
                    .split_once(']')
                    .ok_or(bad("an IPv6 address needs its closing ']'"))?;
                (h, after.strip_prefix(':'))
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            },
        };
        let port = match port_text {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| bad("the port must be a number from 1 to 65535"))?,
            None => DEFAULT_HTTP_PORT,
        };
        if host.is_empty() || port == 0 {
            return Err(bad("no host: write clickhouse://HOST:PORT/DATABASE"));
        }
        Ok(Some(ClickHouseLocation {
            host: host.to_string(),
            port,
            database: database.to_string(),
            user,
            password,
        }))
    }

    /// The location as written, without the password.
    pub fn display(&self) -> String {
        let user = match &self.user {
            Some(u) if self.password.is_some() => format!("{u}:***@"),
            Some(u) => format!("{u}@"),
            None => String::new(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("clickhouse://{user}{host}:{}/{}", self.port, self.database)
    }
}

/// `location` with any password replaced, for messages about a location that did not parse.
fn redact(location: &str) -> String {
    let Some(rest) = location.strip_prefix("clickhouse://") else {
        return location.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("clickhouse://{user}:***@{}", &rest[at + 1..])
        }
        None => location.to_string(),
    }
}

/// A string as an SQL literal: quoted, with backslashes and quotes escaped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A ClickHouse store.
#[derive(Debug)]
pub(crate) struct ClickHouseStore {
    at: ClickHouseLocation,
}

/// Each table, as created. `run` tags the write a row belongs to (see the module comment).
const TABLES: &[(&str, &str)] = &[
    (
        "periods",
        "(period String, run UInt64, created_at String, report String)
         ENGINE = MergeTree() ORDER BY (period, run)",
    ),
    (
        "cards",
        "(period String, run UInt64, asn UInt32, name Nullable(String),
          country Nullable(String), region Nullable(String), scored UInt8, ready UInt8,
          routes UInt64, card String)
         ENGINE = MergeTree() ORDER BY (period, run, asn)",
    ),
    (
        "rollups",
        "(period String, run UInt64, scope String, key String, rollup String)
         ENGINE = MergeTree() ORDER BY (period, run, scope, key)",
    ),
    (
        "incidents",
        "(period String, run UInt64, id UInt64, metric String, kind String, culprit UInt32,
          accomplices Array(UInt32), start UInt32, end UInt32, weight Float64,
          incident String)
         ENGINE = MergeTree() ORDER BY (period, run, id)",
    ),
    (
        "routes",
        "(period String, run UInt64, origin UInt32, prefix String, peers UInt32,
          peer_asns UInt32, rpki Nullable(String), irr Nullable(String), bogon_prefix UInt8,
          bogon_asn UInt8, leakers String)
         ENGINE = MergeTree() ORDER BY (period, run, origin, prefix)",
    ),
    // What `observe --shard` writes; `merge` joins the newest run of every shard.
    (
        "shard_runs",
        "(period String, shard String, run UInt64, created_at String, meta String,
          peers Array(UInt64), bogon_asns Array(UInt32), leakers Array(UInt32))
         ENGINE = MergeTree() ORDER BY (period, shard, run)",
    ),
    (
        "shard_routes",
        "(period String, shard String, run UInt64, prefix String, prefix_key String,
          origin Nullable(UInt32), peers Array(UInt64), peer_asns Array(UInt32),
          paths Array(UInt64), rpki Nullable(String), rpki_reason Nullable(String),
          irr Nullable(String), irr_registered UInt8, bogon_prefix UInt8, bogon_asn UInt8,
          leakers Array(UInt32))
         ENGINE = MergeTree() ORDER BY (period, shard, run, prefix_key)",
    ),
    (
        "shard_events",
        "(period String, shard String, run UInt64, seq UInt64, event String)
         ENGINE = MergeTree() ORDER BY (period, shard, run, seq)",
    ),
    (
        "shard_contexts",
        "(period String, shard String, run UInt64, asn UInt32, context String)
         ENGINE = MergeTree() ORDER BY (period, shard, run, asn)",
    ),
];

/// The tables one period's write replaces (the shard tables are written per shard).
const PERIOD_TABLES: [&str; 5] = ["periods", "cards", "rollups", "incidents", "routes"];
/// The tables one shard's write replaces.
const SHARD_TABLES: [&str; 4] = [
    "shard_runs",
    "shard_routes",
    "shard_events",
    "shard_contexts",
];

/// ClickHouse's error code for a database that does not exist.
const UNKNOWN_DATABASE: &str = "Code: 81";

#[derive(Deserialize)]
struct One<T> {
    v: T,
}

#[derive(Deserialize)]
struct CardCh {
    asn: u32,
    name: Option<String>,
    country: Option<String>,
    region: Option<String>,
    scored: u8,
    ready: u8,
    routes: u64,
    card: String,
}

impl From<CardCh> for CardRow {
    fn from(c: CardCh) -> CardRow {
        CardRow {
            asn: c.asn,
            name: c.name,
            country: c.country,
            region: c.region,
            scored: c.scored != 0,
            ready: c.ready != 0,
            routes: c.routes,
            card: c.card,
        }
    }
}

#[derive(Deserialize)]
struct RouteCh {
    origin: u32,
    prefix: String,
    peers: u32,
    peer_asns: u32,
    rpki: Option<String>,
    irr: Option<String>,
    bogon_prefix: u8,
    bogon_asn: u8,
    leakers: String,
}

impl From<RouteCh> for RouteRow {
    fn from(r: RouteCh) -> RouteRow {
        RouteRow {
            origin: r.origin,
            prefix: r.prefix,
            peers: r.peers,
            peer_asns: r.peer_asns,
            rpki: r.rpki,
            irr: r.irr,
            bogon_prefix: r.bogon_prefix != 0,
            bogon_asn: r.bogon_asn != 0,
            leakers: r.leakers,
        }
    }
}

#[derive(Deserialize)]
struct IncidentCh {
    id: u64,
    metric: String,
    kind: String,
    culprit: u32,
    accomplices: Vec<u32>,
    start: u32,
    end: u32,
    weight: f64,
    incident: String,
}

const CARD_COLUMNS: &str = "asn, name, country, region, scored, ready, routes, card";
const ROUTE_COLUMNS: &str =
    "origin, prefix, peers, peer_asns, rpki, irr, bogon_prefix, bogon_asn, leakers";

impl ClickHouseStore {
    pub(crate) fn open(
        at: ClickHouseLocation,
        create: bool,
    ) -> Result<ClickHouseStore, StoreError> {
        let store = ClickHouseStore { at };
        let db = &store.at.database;
        if create {
            store.execute(&format!("CREATE DATABASE IF NOT EXISTS {db}"))?;
            store.execute(&format!(
                "CREATE TABLE IF NOT EXISTS {db}.schema_version (version UInt32) ENGINE = TinyLog"
            ))?;
        } else {
            let tables: Vec<One<u64>> = store.select(&format!(
                "SELECT count() AS v FROM system.tables WHERE database = {} \
                 AND name IN ('schema_version', 'periods')",
                quote(db)
            ))?;
            if tables.first().map_or(0, |t| t.v) < 2 {
                return Err(store.missing());
            }
        }
        let found = store.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: PathBuf::from(store.at.display()),
                found,
            });
        }
        if create {
            // The ClickHouse schema starts at version 2 and has only grown by whole tables
            // since, so creating the missing ones brings any store up to date.
            for (name, body) in TABLES {
                store.execute(&format!("CREATE TABLE IF NOT EXISTS {db}.{name} {body}"))?;
            }
            if found < SCHEMA_VERSION {
                store.execute(&format!(
                    "INSERT INTO {db}.schema_version (version) VALUES ({SCHEMA_VERSION})"
                ))?;
            }
        }
        Ok(store)
    }

    fn missing(&self) -> StoreError {
        StoreError::Missing {
            path: PathBuf::from(self.at.display()),
        }
    }

    fn error(&self, message: impl Into<String>) -> StoreError {
        StoreError::ClickHouse {
            location: self.at.display(),
            message: message.into(),
        }
    }

    /// Sends one statement; `sql_in_url` carries the statement when the body is data.
    fn request(&self, sql_in_url: Option<&str>, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        // No `database=` here: statements name their tables in full, and the database may
        // not exist yet when it is being created.
        let mut target = "/?output_format_json_quote_64bit_integers=0".to_string();
        if let Some(u) = &self.at.user {
            target.push_str(&format!("&user={}", percent_encode(u)));
        }
        if let Some(p) = &self.at.password {
            target.push_str(&format!("&password={}", percent_encode(p)));
        }
        if let Some(q) = sql_in_url {
            target.push_str(&format!("&query={}", percent_encode(q)));
        }
        let addrs = (self.at.host.as_str(), self.at.port)
            .to_socket_addrs()
            .map_err(|e| self.error(format!("cannot resolve {}: {e}", self.at.host)))?;
        let mut last = None;
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let mut stream = stream.ok_or_else(|| {
            self.error(format!(
                "cannot connect: {} (is clickhouse-server running and listening for HTTP there?)",
                last.map_or_else(|| "no address".to_string(), |e| e.to_string())
            ))
        })?;
        let io = |e: std::io::Error| self.error(format!("connection failed: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(io)?;
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n\
             Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
            self.at.host,
            self.at.port,
            body.len()
        );
        stream.write_all(head.as_bytes()).map_err(io)?;
        stream.write_all(body).map_err(io)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(io)?;
        let (status, chunked, content) = split_response(&raw)
            .ok_or_else(|| self.error("the server's answer is not an HTTP response"))?;
        let content = if chunked {
            dechunk(content)
                .ok_or_else(|| self.error("the server's chunked answer is cut short"))?
        } else {
            content.to_vec()
        };
        if status != 200 {
            let text = String::from_utf8_lossy(&content).trim().to_string();
            if text.starts_with(UNKNOWN_DATABASE) {
                return Err(self.missing());
            }
            return Err(self.error(format!("HTTP {status}: {text}")));
        }
        Ok(content)
    }

    fn execute(&self, sql: &str) -> Result<(), StoreError> {
        self.request(None, sql.as_bytes()).map(|_| ())
    }

    fn select<T: DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>, StoreError> {
        let body = self.request(None, format!("{sql} FORMAT JSONEachRow").as_bytes())?;
        body.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice(l)
                    .map_err(|e| self.error(format!("unexpected row from the server: {e}")))
            })
            .collect()
    }

    fn insert(&self, table: &str, rows: &[serde_json::Value]) -> Result<(), StoreError> {
        for batch in rows.chunks(INSERT_BATCH) {
            let mut body = Vec::new();
            for r in batch {
                serde_json::to_writer(&mut body, r).map_err(|e| self.error(e.to_string()))?;
                body.push(b'\n');
            }
            let sql = format!(
                "INSERT INTO {}.{table} FORMAT JSONEachRow",
                self.at.database
            );
            self.request(Some(&sql), &body)?;
        }
        Ok(())
    }

    /// The newest complete run of a period, as an SQL expression (0 when there is none; runs
    /// start at 1).
    fn run_of(&self, period: &str) -> String {
        format!(
            "(SELECT max(run) FROM {}.periods WHERE period = {})",
            self.at.database,
            quote(period)
        )
    }

    fn db(&self) -> &str {
        &self.at.database
    }

    pub(crate) fn schema_version(&self) -> Result<u32, StoreError> {
        let v: Vec<One<u32>> = self.select(&format!(
            "SELECT max(version) AS v FROM {}.schema_version",
            self.db()
        ))?;
        Ok(v.first().map_or(0, |v| v.v))
    }

    /// A run number above every earlier one of `table` (wall-clock nanoseconds, so writers
    /// on different machines rarely meet).
    fn next_run(&self, table: &str) -> Result<u64, StoreError> {
        let newest: Vec<One<u64>> =
            self.select(&format!("SELECT max(run) AS v FROM {}.{table}", self.db()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(now.max(newest.first().map_or(0, |n| n.v) + 1))
    }

    pub(crate) fn replace_period(&self, data: &PeriodData) -> Result<(), StoreError> {
        self.write_period(data, false)
    }

    pub(crate) fn replace_period_from_shards(&self, data: &PeriodData) -> Result<(), StoreError> {
        self.write_period(data, true)
    }

    /// Writes a period; `routes_from_shards`: its routes are the period's shards' routes
    /// united by the database, not `data.routes`.
    fn write_period(&self, data: &PeriodData, routes_from_shards: bool) -> Result<(), StoreError> {
        use serde_json::json;
        let db = self.db();
        let run = self.next_run("periods")?;
        let p = &data.period;
        let cards: Vec<_> = data
            .cards
            .iter()
            .map(|c| {
                json!({"period": p, "run": run, "asn": c.asn, "name": c.name,
                       "country": c.country, "region": c.region, "scored": c.scored as u8,
                       "ready": c.ready as u8, "routes": c.routes, "card": c.card})
            })
            .collect();
        self.insert("cards", &cards)?;
        let rollups: Vec<_> = data
            .rollups
            .iter()
            .map(|r| json!({"period": p, "run": run, "scope": r.scope, "key": r.key, "rollup": r.rollup}))
            .collect();
        self.insert("rollups", &rollups)?;
        let incidents: Vec<_> = data
            .incidents
            .iter()
            .map(|i| {
                let mut acc = i.accomplices.clone();
                acc.sort_unstable();
                acc.dedup();
                json!({"period": p, "run": run, "id": i.id, "metric": i.metric, "kind": i.kind,
                       "culprit": i.culprit, "accomplices": acc, "start": i.start,
                       "end": i.end, "weight": i.weight, "incident": i.incident})
            })
            .collect();
        self.insert("incidents", &incidents)?;
        let routes: Vec<_> = data
            .routes
            .iter()
            .map(|r| {
                json!({"period": p, "run": run, "origin": r.origin, "prefix": r.prefix,
                       "peers": r.peers, "peer_asns": r.peer_asns, "rpki": r.rpki, "irr": r.irr,
                       "bogon_prefix": r.bogon_prefix as u8, "bogon_asn": r.bogon_asn as u8,
                       "leakers": r.leakers})
            })
            .collect();
        self.insert("routes", &routes)?;
        if routes_from_shards {
            self.execute(&format!(
                "INSERT INTO {db}.routes SELECT {pq}, {run}, assumeNotNull(origin), prefix,
                 toUInt32(length(peers)), toUInt32(length(peer_asns)), rpki, irr, bogon_prefix,
                 bogon_asn, arrayStringConcat(arrayMap(x -> toString(x), arraySort(leakers)), ',')
                 FROM {merged} WHERE origin IS NOT NULL",
                pq = quote(p),
                merged = self.merged_routes(p)
            ))?;
        }
        // The commit: from here on readers see this run.
        self.insert(
            "periods",
            &[json!({"period": p, "run": run, "created_at": data.created_at, "report": data.report})],
        )?;
        for table in PERIOD_TABLES {
            // Best effort (see the module comment): the new run is already the visible one.
            let _ = self.execute(&format!(
                "ALTER TABLE {db}.{table} DELETE WHERE period = {} AND run < {run}",
                quote(p)
            ));
        }
        Ok(())
    }

    /// The newest run of every shard of a period, as an SQL condition on `shard, run`.
    fn committed_shards(&self, period: &str) -> String {
        format!(
            "period = {p} AND (shard, run) IN
             (SELECT shard, max(run) FROM {db}.shard_runs WHERE period = {p} GROUP BY shard)",
            p = quote(period),
            db = self.db()
        )
    }

    /// Every shard's routes of a period united: one row per (prefix, origin) with the union
    /// of the peers, paths and leakers that any shard saw (a subquery).
    fn merged_routes(&self, period: &str) -> String {
        format!(
            "(SELECT prefix, any(prefix_key) AS prefix_key, origin,
               groupUniqArrayArray(peers) AS peers, groupUniqArrayArray(peer_asns) AS peer_asns,
               groupUniqArrayArray(paths) AS paths, any(rpki) AS rpki,
               any(rpki_reason) AS rpki_reason, any(irr) AS irr,
               max(irr_registered) AS irr_registered, max(bogon_prefix) AS bogon_prefix,
               max(bogon_asn) AS bogon_asn, groupUniqArrayArray(leakers) AS leakers
             FROM {}.shard_routes WHERE {} GROUP BY prefix, origin)",
            self.db(),
            self.committed_shards(period)
        )
    }

    pub(crate) fn write_shard(&self, data: &ShardData) -> Result<(), StoreError> {
        use serde_json::json;
        let db = self.db();
        let run = self.next_run("shard_runs")?;
        let (p, sh) = (&data.period, &data.shard);
        let routes: Vec<_> = data
            .routes
            .iter()
            .map(|r| {
                json!({"period": p, "shard": sh, "run": run, "prefix": r.prefix,
                       "prefix_key": r.prefix_key, "origin": r.origin, "peers": r.peers,
                       "peer_asns": r.peer_asns, "paths": r.paths, "rpki": r.rpki,
                       "rpki_reason": r.rpki_reason, "irr": r.irr,
                       "irr_registered": r.irr_registered as u8,
                       "bogon_prefix": r.bogon_prefix as u8, "bogon_asn": r.bogon_asn as u8,
                       "leakers": r.leakers})
            })
            .collect();
        self.insert("shard_routes", &routes)?;
        let events: Vec<_> = data
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| json!({"period": p, "shard": sh, "run": run, "seq": i, "event": e}))
            .collect();
        self.insert("shard_events", &events)?;
        let contexts: Vec<_> = data
            .contexts
            .iter()
            .map(|(a, c)| json!({"period": p, "shard": sh, "run": run, "asn": a, "context": c}))
            .collect();
        self.insert("shard_contexts", &contexts)?;
        // The commit of this shard's part.
        self.insert(
            "shard_runs",
            &[
                json!({"period": p, "shard": sh, "run": run, "created_at": data.created_at,
                     "meta": data.meta, "peers": data.peers, "bogon_asns": data.bogon_asns,
                     "leakers": data.leakers}),
            ],
        )?;
        for table in SHARD_TABLES {
            let _ = self.execute(&format!(
                "ALTER TABLE {db}.{table} DELETE WHERE period = {} AND shard = {} AND run < {run}",
                quote(p),
                quote(sh)
            ));
        }
        Ok(())
    }

    pub(crate) fn shards(&self, period: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<One<String>> = self.select(&format!(
            "SELECT DISTINCT shard AS v FROM {}.shard_runs WHERE period = {} ORDER BY v",
            self.db(),
            quote(period)
        ))?;
        Ok(rows.into_iter().map(|r| r.v).collect())
    }

    pub(crate) fn merge_shards(
        &self,
        period: &str,
        examples_per_asn: u32,
    ) -> Result<ShardMerge, StoreError> {
        #[derive(Deserialize)]
        struct Shard {
            shard: String,
            meta: String,
        }
        #[derive(Deserialize)]
        struct Unions {
            bogon_asns: Vec<u32>,
            leakers: Vec<u32>,
            peers: u64,
        }
        #[derive(Deserialize)]
        struct Count {
            irr: String,
            n: u64,
        }
        #[derive(Deserialize)]
        struct Event {
            event: String,
        }
        #[derive(Deserialize)]
        struct Context {
            asn: u32,
            context: String,
        }
        let db = self.db();
        let committed = self.committed_shards(period);
        let merged = self.merged_routes(period);
        let shards: Vec<Shard> = self.select(&format!(
            "SELECT shard, meta FROM {db}.shard_runs WHERE {committed} ORDER BY shard"
        ))?;
        let unions: Vec<Unions> = self.select(&format!(
            "SELECT groupUniqArrayArray(bogon_asns) AS bogon_asns,
                    groupUniqArrayArray(leakers) AS leakers,
                    length(groupUniqArrayArray(peers)) AS peers
             FROM {db}.shard_runs WHERE {committed}"
        ))?;
        let unions = unions
            .into_iter()
            .next()
            .ok_or_else(|| self.error("no answer"))?;
        let mut summary: Vec<MergedSummary> = self.select(&format!(
            "SELECT countIf(origin IS NOT NULL) AS routes, countIf(origin IS NULL) AS as_set_routes,
               uniqExact(prefix) AS prefixes,
               countIf(origin IS NOT NULL AND ifNull(rpki, '') = 'valid') AS valid,
               countIf(origin IS NOT NULL AND ifNull(rpki, '') = 'invalid') AS invalid,
               countIf(origin IS NOT NULL AND ifNull(rpki, '') = 'not-found') AS not_found,
               countIf(origin IS NULL AND ifNull(rpki, '') = 'valid') AS as_set_valid,
               countIf(origin IS NULL AND ifNull(rpki, '') = 'invalid') AS as_set_invalid,
               countIf(origin IS NULL AND ifNull(rpki, '') = 'not-found') AS as_set_not_found,
               countIf(bogon_prefix = 1) AS bogon_prefixes,
               uniqExactIf(prefix, bogon_prefix = 1) AS bogon_prefixes_distinct,
               countIf(bogon_asn = 1) AS bogon_asns,
               countIf(notEmpty(leakers)) AS leaking_routes,
               sum(arrayCount(x -> x % 4 = 1, paths)) AS aspa_valid,
               sum(arrayCount(x -> x % 4 = 2, paths)) AS aspa_invalid,
               sum(arrayCount(x -> x % 4 = 3, paths)) AS aspa_unknown,
               toUInt64(0) AS peers
             FROM {merged}"
        ))?;
        let mut summary = summary.pop().ok_or_else(|| self.error("no answer"))?;
        summary.peers = unions.peers;
        let irr: Vec<Count> = self.select(&format!(
            "SELECT assumeNotNull(irr) AS irr, count() AS n FROM {merged}
             WHERE origin IS NOT NULL AND irr IS NOT NULL GROUP BY irr ORDER BY irr"
        ))?;
        let asns: Vec<MergedAsn> = self.select(&format!(
            "SELECT assumeNotNull(origin) AS asn,
               toUInt32(length(groupUniqArrayArray(peers))) AS peers,
               toUInt32(length(groupUniqArrayArray(peer_asns))) AS peer_asns,
               toUInt32(count()) AS routes,
               countIf(ifNull(rpki, '') = 'valid') AS valid,
               countIf(ifNull(rpki, '') = 'invalid') AS invalid,
               countIf(ifNull(rpki, '') = 'not-found') AS not_found,
               countIf(irr IS NOT NULL) AS irr_known,
               countIf(irr IS NOT NULL AND irr_registered = 1) AS irr_registered
             FROM {merged} WHERE origin IS NOT NULL GROUP BY origin ORDER BY asn"
        ))?;
        let examples = |cond: &str| -> Result<Vec<MergedExample>, StoreError> {
            self.select(&format!(
                "SELECT assumeNotNull(origin) AS origin, prefix, rpki_reason AS reason, irr,
                   toUInt32(length(peers)) AS peers
                 FROM {merged} WHERE origin IS NOT NULL AND {cond}
                 ORDER BY origin, prefix_key LIMIT {examples_per_asn} BY origin"
            ))
        };
        let invalid_examples = examples("ifNull(rpki, '') = 'invalid'")?;
        let unregistered_examples = examples("irr IS NOT NULL AND irr_registered = 0")?;
        let events: Vec<Event> = self.select(&format!(
            "SELECT event FROM {db}.shard_events WHERE {committed} ORDER BY shard, seq"
        ))?;
        let contexts: Vec<Context> = self.select(&format!(
            "SELECT asn, any(context) AS context FROM {db}.shard_contexts WHERE {committed}
             GROUP BY asn ORDER BY asn"
        ))?;
        let mut bogon_asns = unions.bogon_asns;
        bogon_asns.sort_unstable();
        let mut leakers = unions.leakers;
        leakers.sort_unstable();
        Ok(ShardMerge {
            shards: shards.into_iter().map(|s| (s.shard, s.meta)).collect(),
            summary,
            irr: irr.into_iter().map(|c| (c.irr, c.n)).collect(),
            bogon_asns,
            leakers,
            asns,
            invalid_examples,
            unregistered_examples,
            events: events.into_iter().map(|e| e.event).collect(),
            contexts: contexts.into_iter().map(|c| (c.asn, c.context)).collect(),
        })
    }

    pub(crate) fn periods(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<One<String>> = self.select(&format!(
            "SELECT DISTINCT period AS v FROM {}.periods ORDER BY v",
            self.db()
        ))?;
        Ok(rows.into_iter().map(|r| r.v).collect())
    }

    pub(crate) fn latest_period(&self) -> Result<Option<String>, StoreError> {
        Ok(self.periods()?.pop())
    }

    pub(crate) fn report(&self, period: &str) -> Result<Option<String>, StoreError> {
        let rows: Vec<One<String>> = self.select(&format!(
            "SELECT report AS v FROM {}.periods WHERE period = {} ORDER BY run DESC LIMIT 1",
            self.db(),
            quote(period)
        ))?;
        Ok(rows.into_iter().next().map(|r| r.v))
    }

    pub(crate) fn card(&self, period: &str, asn: u32) -> Result<Option<CardRow>, StoreError> {
        let rows: Vec<CardCh> = self.select(&format!(
            "SELECT {CARD_COLUMNS} FROM {}.cards WHERE period = {} AND run = {} AND asn = {asn}",
            self.db(),
            quote(period),
            self.run_of(period)
        ))?;
        Ok(rows.into_iter().next().map(CardRow::from))
    }

    pub(crate) fn card_history(&self, asn: u32) -> Result<Vec<(String, CardRow)>, StoreError> {
        #[derive(Deserialize)]
        struct WithPeriod {
            period: String,
            #[serde(flatten)]
            card: CardCh,
        }
        let db = self.db();
        let rows: Vec<WithPeriod> = self.select(&format!(
            "SELECT period, {CARD_COLUMNS} FROM {db}.cards WHERE asn = {asn}
             AND (period, run) IN (SELECT period, max(run) FROM {db}.periods GROUP BY period)
             ORDER BY period"
        ))?;
        Ok(rows
            .into_iter()
            .map(|r| (r.period, r.card.into()))
            .collect())
    }

    pub(crate) fn cards(
        &self,
        period: &str,
        filter: &CardFilter,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        let mut cond = String::new();
        if let Some(c) = &filter.country {
            cond.push_str(&format!(" AND country = {}", quote(c)));
        }
        if let Some(r) = &filter.region {
            cond.push_str(&format!(" AND region = {}", quote(r)));
        }
        if filter.scored_only {
            cond.push_str(" AND scored = 1");
        }
        let rows: Vec<CardCh> = self.select(&format!(
            "SELECT {CARD_COLUMNS} FROM {}.cards WHERE period = {} AND run = {}{cond}
             ORDER BY asn LIMIT {}, {}",
            self.db(),
            quote(period),
            self.run_of(period),
            page.offset(),
            page.limit()
        ))?;
        Ok(rows.into_iter().map(CardRow::from).collect())
    }

    pub(crate) fn rollup(
        &self,
        period: &str,
        scope: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let rows: Vec<One<String>> = self.select(&format!(
            "SELECT rollup AS v FROM {}.rollups WHERE period = {} AND run = {}
             AND scope = {} AND key = {}",
            self.db(),
            quote(period),
            self.run_of(period),
            quote(scope),
            quote(key)
        ))?;
        Ok(rows.into_iter().next().map(|r| r.v))
    }

    pub(crate) fn rollups(&self, period: &str, scope: &str) -> Result<Vec<RollupRow>, StoreError> {
        #[derive(Deserialize)]
        struct R {
            scope: String,
            key: String,
            rollup: String,
        }
        let rows: Vec<R> = self.select(&format!(
            "SELECT scope, key, rollup FROM {}.rollups WHERE period = {} AND run = {}
             AND scope = {} ORDER BY key",
            self.db(),
            quote(period),
            self.run_of(period),
            quote(scope)
        ))?;
        Ok(rows
            .into_iter()
            .map(|r| RollupRow {
                scope: r.scope,
                key: r.key,
                rollup: r.rollup,
            })
            .collect())
    }

    pub(crate) fn incidents(
        &self,
        period: &str,
        filter: &IncidentFilter,
        page: Page,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let mut cond = String::new();
        if let Some(a) = filter.asn {
            cond.push_str(&format!(" AND (culprit = {a} OR has(accomplices, {a}))"));
        }
        if let Some(m) = &filter.metric {
            cond.push_str(&format!(" AND metric = {}", quote(m)));
        }
        if let Some(f) = filter.from {
            cond.push_str(&format!(" AND end >= {f}"));
        }
        if let Some(t) = filter.to {
            cond.push_str(&format!(" AND start <= {t}"));
        }
        let rows: Vec<IncidentCh> = self.select(&format!(
            "SELECT id, metric, kind, culprit, accomplices, start, end, weight, incident
             FROM {}.incidents WHERE period = {} AND run = {}{cond}
             ORDER BY weight DESC, id LIMIT {}, {}",
            self.db(),
            quote(period),
            self.run_of(period),
            page.offset(),
            page.limit()
        ))?;
        Ok(rows
            .into_iter()
            .map(|i| IncidentRow {
                id: i.id,
                metric: i.metric,
                kind: i.kind,
                culprit: i.culprit,
                accomplices: i.accomplices,
                start: i.start,
                end: i.end,
                weight: i.weight,
                incident: i.incident,
            })
            .collect())
    }

    pub(crate) fn cards_named(
        &self,
        period: &str,
        text: &str,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        let rows: Vec<CardCh> = self.select(&format!(
            "SELECT {CARD_COLUMNS} FROM {}.cards WHERE period = {} AND run = {}
             AND positionCaseInsensitive(name, {}) > 0 ORDER BY asn LIMIT {}, {}",
            self.db(),
            quote(period),
            self.run_of(period),
            quote(text),
            page.offset(),
            page.limit()
        ))?;
        Ok(rows.into_iter().map(CardRow::from).collect())
    }

    pub(crate) fn routes_with_prefix(
        &self,
        period: &str,
        prefix: &str,
    ) -> Result<Vec<RouteRow>, StoreError> {
        self.route_rows(
            period,
            &format!("prefix = {}", quote(prefix)),
            "origin",
            0,
            MAX_PAGE as i64,
        )
    }

    pub(crate) fn routes(
        &self,
        period: &str,
        origin: u32,
        page: Page,
    ) -> Result<Vec<RouteRow>, StoreError> {
        self.route_rows(
            period,
            &format!("origin = {origin}"),
            "prefix",
            page.offset(),
            page.limit(),
        )
    }

    pub(crate) fn routes_after(
        &self,
        period: &str,
        after: Option<(u32, &str)>,
        limit: u32,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let cond = match after {
            Some((o, p)) => format!("(origin, prefix) > ({o}, {})", quote(p)),
            None => "1".to_string(),
        };
        self.route_rows(
            period,
            &cond,
            "origin, prefix",
            0,
            limit.min(MAX_PAGE) as i64,
        )
    }

    pub(crate) fn offending_routes(
        &self,
        period: &str,
        origin: u32,
        limit: u32,
    ) -> Result<(Vec<RouteRow>, u64), StoreError> {
        let cond = format!("origin = {origin} AND {OFFENDING}");
        let rows = self.route_rows(
            period,
            &cond,
            "peers DESC, prefix",
            0,
            limit.min(MAX_PAGE) as i64,
        )?;
        let total: Vec<One<u64>> = self.select(&format!(
            "SELECT count() AS v FROM {}.routes WHERE period = {} AND run = {} AND {cond}",
            self.db(),
            quote(period),
            self.run_of(period)
        ))?;
        Ok((rows, total.first().map_or(0, |t| t.v)))
    }

    fn route_rows(
        &self,
        period: &str,
        cond: &str,
        order: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let rows: Vec<RouteCh> = self.select(&format!(
            "SELECT {ROUTE_COLUMNS} FROM {}.routes WHERE period = {} AND run = {} AND {cond}
             ORDER BY {order} LIMIT {offset}, {limit}",
            self.db(),
            quote(period),
            self.run_of(period)
        ))?;
        Ok(rows.into_iter().map(RouteRow::from).collect())
    }
}

/// The status code, whether the body is chunked, and the body of a raw HTTP response.
fn split_response(raw: &[u8]) -> Option<(u16, bool, &[u8])> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    Some((status, chunked, &raw[end + 4..]))
}

/// The payload of a chunked HTTP body (`None` when it is cut short).
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
impl ClickHouseStore {
    pub(crate) fn execute_for_test(&self, sql: &str) {
        self.execute(sql).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_with_defaults_and_bad_ones_say_why() {
        let l = ClickHouseLocation::parse("clickhouse://127.0.0.1:8124/routenorms")
            .unwrap()
            .unwrap();
        assert_eq!((l.host.as_str(), l.port), ("127.0.0.1", 8124));
        assert_eq!(l.database, "routenorms");
        let l = ClickHouseLocation::parse("clickhouse://ops:s3cret@ch.example/obs")
            .unwrap()
            .unwrap();
        assert_eq!(l.port, DEFAULT_HTTP_PORT);
        assert_eq!(
            (l.user.as_deref(), l.password.as_deref()),
            (Some("ops"), Some("s3cret"))
        );
        assert_eq!(l.display(), "clickhouse://ops:***@ch.example:8123/obs");
        assert!(!format!("{l:?}").contains("s3cret"));
        let l = ClickHouseLocation::parse("clickhouse://[::1]:9999/x")
            .unwrap()
            .unwrap();
        assert_eq!((l.host.as_str(), l.port), ("::1", 9999));
        let l = ClickHouseLocation::parse("clickhouse://[::1]/x")
            .unwrap()
            .unwrap();
        assert_eq!((l.host.as_str(), l.port), ("::1", DEFAULT_HTTP_PORT));
        assert!(ClickHouseLocation::parse("store.db").unwrap().is_none());
        for bad in [
            "clickhouse://host",
            "clickhouse://host:8123/",
            "clickhouse://host:99999/db",
            "clickhouse://host/db;DROP",
            "clickhouse://:8123/db",
        ] {
            match ClickHouseLocation::parse(bad) {
                Err(StoreError::BadLocation { .. }) => {}
                other => panic!("{bad}: expected BadLocation, got {other:?}"),
            }
        }
        match ClickHouseLocation::parse("clickhouse://u:pw@host") {
            Err(e) => assert!(!e.to_string().contains("pw"), "{e}"),
            Ok(l) => panic!("accepted {l:?}"),
        }
    }

    #[test]
    fn literals_are_quoted_so_text_cannot_end_them() {
        assert_eq!(quote("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(quote("x\0"), "'x\\0'");
    }

    #[test]
    fn chunked_and_plain_answers_are_read_and_cut_ones_refused() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let (status, chunked, body) = split_response(raw).unwrap();
        assert_eq!((status, chunked), (200, true));
        assert_eq!(dechunk(body).unwrap(), b"abcde");
        assert!(dechunk(b"5\r\nab").is_none());
        let (status, chunked, body) =
            split_response(b"HTTP/1.0 500 Err\r\nContent-Length: 3\r\n\r\nbad").unwrap();
        assert_eq!((status, chunked, body), (500, false, &b"bad"[..]));
        assert!(split_response(b"garbage").is_none());
    }
}
