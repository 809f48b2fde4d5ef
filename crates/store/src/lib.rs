//! The storage of routenorms observations: what `routenorms observe` writes and what
//! `routenorms report` (and later the HTTP API) reads. It owns the schema, its migrations and
//! the transactions — and nothing about how a figure is computed: rows arrive computed
//! (report cards and roll-ups as JSON documents beside the columns that index them) and
//! leave as they came.
//!
//! The default backend is SQLite: one file, WAL mode, schema versioned through
//! `PRAGMA user_version`. Every period (e.g. `2026-11`) is kept beside the others, so history
//! accumulates; [`Store::replace_period`] swaps one period's rows in a single transaction, so a
//! crash or a kill during `observe` leaves the previous state intact. A `clickhouse://`
//! location is recognised and refused with [`StoreError::Unsupported`] until that backend
//! exists.

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 2;
/// The most rows one listing call returns.
pub const MAX_PAGE: u32 = 10_000;

/// Each migration takes the schema from its index to index + 1.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: the first schema.
    "CREATE TABLE periods (
        period     TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        report     TEXT NOT NULL
     );
     CREATE TABLE cards (
        period  TEXT NOT NULL,
        asn     INTEGER NOT NULL,
        name    TEXT,
        country TEXT,
        region  TEXT,
        scored  INTEGER NOT NULL,
        ready   INTEGER NOT NULL,
        routes  INTEGER NOT NULL,
        card    TEXT NOT NULL,
        PRIMARY KEY (period, asn)
     ) WITHOUT ROWID;
     CREATE INDEX cards_country ON cards (period, country);
     CREATE INDEX cards_region ON cards (period, region);
     CREATE INDEX cards_asn ON cards (asn, period);
     CREATE TABLE rollups (
        period TEXT NOT NULL,
        scope  TEXT NOT NULL,
        key    TEXT NOT NULL,
        rollup TEXT NOT NULL,
        PRIMARY KEY (period, scope, key)
     ) WITHOUT ROWID;
     CREATE TABLE incidents (
        period   TEXT NOT NULL,
        id       INTEGER NOT NULL,
        metric   TEXT NOT NULL,
        kind     TEXT NOT NULL,
        culprit  INTEGER NOT NULL,
        start    INTEGER NOT NULL,
        end      INTEGER NOT NULL,
        weight   REAL NOT NULL,
        incident TEXT NOT NULL,
        PRIMARY KEY (period, id)
     ) WITHOUT ROWID;
     CREATE TABLE incident_asns (
        period TEXT NOT NULL,
        asn    INTEGER NOT NULL,
        id     INTEGER NOT NULL,
        role   TEXT NOT NULL,
        PRIMARY KEY (period, asn, id, role)
     ) WITHOUT ROWID;
     CREATE TABLE routes (
        period    TEXT NOT NULL,
        origin    INTEGER NOT NULL,
        prefix    TEXT NOT NULL,
        peers     INTEGER NOT NULL,
        peer_asns INTEGER NOT NULL,
        rpki      TEXT,
        irr       TEXT,
        bogon_prefix INTEGER NOT NULL,
        bogon_asn INTEGER NOT NULL,
        leakers   TEXT NOT NULL,
        PRIMARY KEY (period, origin, prefix)
     ) WITHOUT ROWID;",
    // 1 → 2: routes found by prefix (the API's search).
    "CREATE INDEX routes_prefix ON routes (period, prefix);",
];

/// What can go wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: {reason}")]
    Unsupported {
        location: String,
        reason: &'static str,
    },
    #[error("{}: no store there (run `routenorms observe --store {}` first)", path.display(), path.display())]
    Missing { path: PathBuf },
    #[error("{}: schema version {found} is newer than this build reads ({SCHEMA_VERSION}); upgrade routenorms", path.display())]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// One ASN's report card row.
#[derive(Clone, Debug, PartialEq)]
pub struct CardRow {
    pub asn: u32,
    pub name: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub scored: bool,
    pub ready: bool,
    pub routes: u64,
    /// The card as a JSON document.
    pub card: String,
}

/// One roll-up row (`scope` is `global`, `country` or `region`; `key` empty for global).
#[derive(Clone, Debug, PartialEq)]
pub struct RollupRow {
    pub scope: String,
    pub key: String,
    pub rollup: String,
}

/// One incident row; `asns` lists its parties with their role (`culprit`, `accomplice`).
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentRow {
    pub id: u64,
    pub metric: String,
    pub kind: String,
    pub culprit: u32,
    pub accomplices: Vec<u32>,
    pub start: u32,
    pub end: u32,
    pub weight: f64,
    pub incident: String,
}

/// One route (distinct prefix, origin) and its states.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteRow {
    pub origin: u32,
    pub prefix: String,
    pub peers: u32,
    pub peer_asns: u32,
    pub rpki: Option<String>,
    pub irr: Option<String>,
    pub bogon_prefix: bool,
    pub bogon_asn: bool,
    /// ASNs that leaked it, comma-separated (empty: none).
    pub leakers: String,
}

/// Everything one period holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PeriodData {
    pub period: String,
    pub created_at: String,
    /// The global report as a JSON document.
    pub report: String,
    pub cards: Vec<CardRow>,
    pub rollups: Vec<RollupRow>,
    pub incidents: Vec<IncidentRow>,
    pub routes: Vec<RouteRow>,
}

/// Which cards a listing returns.
#[derive(Clone, Debug, Default)]
pub struct CardFilter {
    pub country: Option<String>,
    pub region: Option<String>,
    pub scored_only: bool,
}

/// Which incidents a listing returns (all given conditions hold).
#[derive(Clone, Debug, Default)]
pub struct IncidentFilter {
    /// Incidents in which this AS is culprit or accomplice.
    pub asn: Option<u32>,
    pub metric: Option<String>,
    /// Incidents that last into `[from, to]` (Unix seconds).
    pub from: Option<u32>,
    pub to: Option<u32>,
}

/// A page of a listing: at most `limit` (capped at [`MAX_PAGE`]) rows from `offset`.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            limit: MAX_PAGE,
            offset: 0,
        }
    }
}

impl Page {
    fn limit(self) -> i64 {
        self.limit.min(MAX_PAGE) as i64
    }
    fn offset(self) -> i64 {
        self.offset.min(i64::MAX as u64) as i64
    }
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn is_clickhouse(location: &str) -> bool {
    location.starts_with("clickhouse://")
}

impl Store {
    /// Opens the store at `location`, creating it (and bringing its schema up to date) when
    /// needed: what `observe` does.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        Self::check_backend(location)?;
        let path = PathBuf::from(location);
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = Store { conn, path };
        store.prepare(true)?;
        Ok(store)
    }

    /// Opens an existing store for reading: what `report` does. A missing file is an error,
    /// not an empty store.
    pub fn open_existing(location: &str) -> Result<Store, StoreError> {
        Self::check_backend(location)?;
        let path = PathBuf::from(location);
        if !Path::new(location).is_file() {
            return Err(StoreError::Missing { path });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = Store { conn, path };
        store.prepare(false)?;
        Ok(store)
    }

    fn check_backend(location: &str) -> Result<(), StoreError> {
        if is_clickhouse(location) {
            return Err(StoreError::Unsupported {
                location: location.to_string(),
                reason: "the ClickHouse backend is not built yet; use a SQLite file path",
            });
        }
        Ok(())
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn prepare(&mut self, create: bool) -> Result<(), StoreError> {
        // WAL: readers never block the writer, and a killed writer leaves the last
        // committed state readable.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| self.conn.busy_timeout(std::time::Duration::from_secs(10)))
            .map_err(|e| self.err(e))?;
        let version: u32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: version,
            });
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        if !create && version == 0 {
            let tables: u32 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if tables == 0 {
                return Err(StoreError::Missing {
                    path: self.path.clone(),
                });
            }
        }
        let tx = self
            .conn
            .transaction()
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", v as u32 + 1))
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Replaces everything stored for `data.period` by `data`, in one transaction.
    pub fn replace_period(&mut self, data: &PeriodData) -> Result<(), StoreError> {
        let path = self.path.clone();
        let e = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(e)?;
        for table in [
            "periods",
            "cards",
            "rollups",
            "incidents",
            "incident_asns",
            "routes",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE period = ?1"),
                [&data.period],
            )
            .map_err(e)?;
        }
        tx.execute(
            "INSERT INTO periods (period, created_at, report) VALUES (?1, ?2, ?3)",
            params![data.period, data.created_at, data.report],
        )
        .map_err(e)?;
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO cards (period, asn, name, country, region, scored, ready, routes, card)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            for c in &data.cards {
                st.execute(params![
                    data.period,
                    c.asn,
                    c.name,
                    c.country,
                    c.region,
                    c.scored,
                    c.ready,
                    c.routes as i64,
                    c.card
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO rollups (period, scope, key, rollup) VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for r in &data.rollups {
                st.execute(params![data.period, r.scope, r.key, r.rollup])
                    .map_err(e)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO incidents (period, id, metric, kind, culprit, start, end, weight, incident)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            let mut party = tx
                .prepare("INSERT OR IGNORE INTO incident_asns (period, asn, id, role) VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for i in &data.incidents {
                st.execute(params![
                    data.period,
                    i.id as i64,
                    i.metric,
                    i.kind,
                    i.culprit,
                    i.start,
                    i.end,
                    i.weight,
                    i.incident
                ])
                .map_err(e)?;
                party
                    .execute(params![data.period, i.culprit, i.id as i64, "culprit"])
                    .map_err(e)?;
                for a in &i.accomplices {
                    party
                        .execute(params![data.period, a, i.id as i64, "accomplice"])
                        .map_err(e)?;
                }
            }
            let mut st = tx
                .prepare(
                    "INSERT OR REPLACE INTO routes (period, origin, prefix, peers, peer_asns, rpki, irr,
                     bogon_prefix, bogon_asn, leakers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(e)?;
            for r in &data.routes {
                st.execute(params![
                    data.period,
                    r.origin,
                    r.prefix,
                    r.peers,
                    r.peer_asns,
                    r.rpki,
                    r.irr,
                    r.bogon_prefix,
                    r.bogon_asn,
                    r.leakers
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// The stored periods, oldest first.
    pub fn periods(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT period FROM periods ORDER BY period")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// The newest stored period.
    pub fn latest_period(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT max(period) FROM periods", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The global report of a period (JSON).
    pub fn report(&self, period: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT report FROM periods WHERE period = ?1",
                [period],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// One ASN's card in a period.
    pub fn card(&self, period: &str, asn: u32) -> Result<Option<CardRow>, StoreError> {
        self.conn
            .query_row(
                &format!("{CARD_COLUMNS} WHERE period = ?1 AND asn = ?2"),
                params![period, asn],
                card_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// One ASN's cards over every stored period, oldest first.
    pub fn card_history(&self, asn: u32) -> Result<Vec<(String, CardRow)>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT period, {} WHERE asn = ?1 ORDER BY period",
                &CARD_COLUMNS["SELECT ".len()..]
            ))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([asn], |r| Ok((r.get(0)?, card_row_at(r, 1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// Cards of a period, by ASN.
    pub fn cards(
        &self,
        period: &str,
        filter: &CardFilter,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "{CARD_COLUMNS} WHERE period = ?1 AND (?2 IS NULL OR country = ?2)
                 AND (?3 IS NULL OR region = ?3) AND (?4 = 0 OR scored = 1)
                 ORDER BY asn LIMIT ?5 OFFSET ?6"
            ))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![
                    period,
                    filter.country,
                    filter.region,
                    filter.scored_only,
                    page.limit(),
                    page.offset()
                ],
                card_row,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// One roll-up of a period (`scope` `global` with key `""`, `country`, `region`).
    pub fn rollup(
        &self,
        period: &str,
        scope: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT rollup FROM rollups WHERE period = ?1 AND scope = ?2 AND key = ?3",
                params![period, scope, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every roll-up of a scope in a period, by key.
    pub fn rollups(&self, period: &str, scope: &str) -> Result<Vec<RollupRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT scope, key, rollup FROM rollups WHERE period = ?1 AND scope = ?2 ORDER BY key",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![period, scope], |r| {
                Ok(RollupRow {
                    scope: r.get(0)?,
                    key: r.get(1)?,
                    rollup: r.get(2)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// Incidents of a period, heaviest first (then by id).
    pub fn incidents(
        &self,
        period: &str,
        filter: &IncidentFilter,
        page: Page,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, metric, kind, culprit, start, end, weight, incident FROM incidents i
                 WHERE period = ?1
                 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM incident_asns a
                      WHERE a.period = i.period AND a.asn = ?2 AND a.id = i.id))
                 AND (?3 IS NULL OR metric = ?3)
                 AND (?4 IS NULL OR end >= ?4) AND (?5 IS NULL OR start <= ?5)
                 ORDER BY weight DESC, id LIMIT ?6 OFFSET ?7",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = st
            .query_map(
                params![
                    period,
                    filter.asn,
                    filter.metric,
                    filter.from,
                    filter.to,
                    page.limit(),
                    page.offset()
                ],
                |r| {
                    Ok(IncidentRow {
                        id: r.get::<_, i64>(0)? as u64,
                        metric: r.get(1)?,
                        kind: r.get(2)?,
                        culprit: r.get(3)?,
                        accomplices: Vec::new(),
                        start: r.get(4)?,
                        end: r.get(5)?,
                        weight: r.get(6)?,
                        incident: r.get(7)?,
                    })
                },
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        let mut st = self
            .conn
            .prepare(
                "SELECT asn FROM incident_asns WHERE period = ?1 AND id = ?2 AND role = 'accomplice'
                 ORDER BY asn",
            )
            .map_err(|e| self.err(e))?;
        for row in &mut rows {
            row.accomplices = st
                .query_map(params![period, row.id as i64], |r| r.get(0))
                .and_then(|a| a.collect::<Result<Vec<u32>, _>>())
                .map_err(|e| self.err(e))?;
        }
        Ok(rows)
    }

    /// Cards of a period whose network name contains `text` (case-insensitive for ASCII),
    /// by ASN.
    pub fn cards_named(
        &self,
        period: &str,
        text: &str,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        // LIKE, with the wildcards of the user's text escaped.
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut st = self
            .conn
            .prepare(&format!(
                "{CARD_COLUMNS} WHERE period = ?1 AND name LIKE ?2 ESCAPE '\\'
                 ORDER BY asn LIMIT ?3 OFFSET ?4"
            ))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![period, pattern, page.limit(), page.offset()],
                card_row,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// Every route of a period with this exact prefix text, by origin.
    pub fn routes_with_prefix(
        &self,
        period: &str,
        prefix: &str,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT origin, prefix, peers, peer_asns, rpki, irr, bogon_prefix, bogon_asn, leakers
                 FROM routes WHERE period = ?1 AND prefix = ?2 ORDER BY origin LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![period, prefix, MAX_PAGE], route_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// Routes a given AS originates in a period, by prefix text.
    pub fn routes(
        &self,
        period: &str,
        origin: u32,
        page: Page,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT origin, prefix, peers, peer_asns, rpki, irr, bogon_prefix, bogon_asn, leakers
                 FROM routes WHERE period = ?1 AND origin = ?2 ORDER BY prefix LIMIT ?3 OFFSET ?4",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![period, origin, page.limit(), page.offset()],
                route_row,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }
}

fn route_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RouteRow> {
    Ok(RouteRow {
        origin: r.get(0)?,
        prefix: r.get(1)?,
        peers: r.get(2)?,
        peer_asns: r.get(3)?,
        rpki: r.get(4)?,
        irr: r.get(5)?,
        bogon_prefix: r.get(6)?,
        bogon_asn: r.get(7)?,
        leakers: r.get(8)?,
    })
}

const CARD_COLUMNS: &str =
    "SELECT asn, name, country, region, scored, ready, routes, card FROM cards";

fn card_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CardRow> {
    card_row_at(r, 0)
}

fn card_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<CardRow> {
    Ok(CardRow {
        asn: r.get(at)?,
        name: r.get(at + 1)?,
        country: r.get(at + 2)?,
        region: r.get(at + 3)?,
        scored: r.get(at + 4)?,
        ready: r.get(at + 5)?,
        routes: r.get::<_, i64>(at + 6)? as u64,
        card: r.get(at + 7)?,
    })
}

#[cfg(test)]
mod tests;
