//! The SQLite backend: one file, WAL mode, schema versioned through `PRAGMA user_version`.

use crate::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// Each migration takes the schema from its index to index + 1.
pub(crate) const MIGRATIONS: &[&str] = &[
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

/// The page size of a new store.
const PAGE_SIZE: u32 = 16384;

/// A SQLite store.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens the store at `location`, creating it (and bringing its schema up to date) when
    /// needed: what `observe` does.
    pub(crate) fn open(location: &str) -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(location);
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = SqliteStore { conn, path };
        store.prepare(true)?;
        Ok(store)
    }

    /// Opens an existing store for reading: what `report` does. A missing file is an error,
    /// not an empty store.
    pub(crate) fn open_existing(location: &str) -> Result<SqliteStore, StoreError> {
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
        let mut store = SqliteStore { conn, path };
        store.prepare(false)?;
        Ok(store)
    }

    pub(crate) fn location(&self) -> String {
        self.path.display().to_string()
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
        // 16 KiB pages for a new store (no effect on an existing one): a card's JSON is 2–3 KB,
        // and a WITHOUT ROWID table gives a row that size a 4 KiB page of its own — the file
        // halves and `observe` writes a third faster.
        self.conn
            .pragma_update(None, "page_size", PAGE_SIZE)
            .and_then(|_| self.conn.pragma_update(None, "journal_mode", "WAL"))
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
    pub(crate) fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Replaces everything stored for `data.period` by `data`, in one transaction.
    pub(crate) fn replace_period(&mut self, data: &PeriodData) -> Result<(), StoreError> {
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
                .prepare_cached(
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
                .prepare_cached(
                    "INSERT INTO rollups (period, scope, key, rollup) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(e)?;
            for r in &data.rollups {
                st.execute(params![data.period, r.scope, r.key, r.rollup])
                    .map_err(e)?;
            }
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO incidents (period, id, metric, kind, culprit, start, end, weight, incident)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(e)?;
            let mut party = tx
                .prepare_cached("INSERT OR IGNORE INTO incident_asns (period, asn, id, role) VALUES (?1, ?2, ?3, ?4)")
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
                .prepare_cached(
                    "INSERT OR REPLACE INTO routes (period, origin, prefix, peers, peer_asns, rpki, irr,
                     bogon_prefix, bogon_asn, leakers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(e)?;
            // In key order, so every insert appends to the table's B-tree.
            let mut order: Vec<&RouteRow> = data.routes.iter().collect();
            order.sort_unstable_by(|a, b| (a.origin, &a.prefix).cmp(&(b.origin, &b.prefix)));
            for r in order {
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
    pub(crate) fn periods(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT period FROM periods ORDER BY period")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>());
        rows.map_err(|e| self.err(e))
    }

    /// The newest stored period.
    pub(crate) fn latest_period(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT max(period) FROM periods", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The global report of a period (JSON).
    pub(crate) fn report(&self, period: &str) -> Result<Option<String>, StoreError> {
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
    pub(crate) fn card(&self, period: &str, asn: u32) -> Result<Option<CardRow>, StoreError> {
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
    pub(crate) fn card_history(&self, asn: u32) -> Result<Vec<(String, CardRow)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
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
    pub(crate) fn cards(
        &self,
        period: &str,
        filter: &CardFilter,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
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
    pub(crate) fn rollup(
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
    pub(crate) fn rollups(&self, period: &str, scope: &str) -> Result<Vec<RollupRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
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
    pub(crate) fn incidents(
        &self,
        period: &str,
        filter: &IncidentFilter,
        page: Page,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
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
            .prepare_cached(
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
    pub(crate) fn cards_named(
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
            .prepare_cached(&format!(
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
    pub(crate) fn routes_with_prefix(
        &self,
        period: &str,
        prefix: &str,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
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
    pub(crate) fn routes(
        &self,
        period: &str,
        origin: u32,
        page: Page,
    ) -> Result<Vec<RouteRow>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
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

    pub(crate) fn routes_after(
        &self,
        period: &str,
        after: Option<(u32, &str)>,
        limit: u32,
    ) -> Result<Vec<RouteRow>, StoreError> {
        // Keyset paging: each page starts where the last ended, without counting past rows.
        let (origin, prefix) = after.map_or((None, ""), |(o, p)| (Some(o), p));
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT origin, prefix, peers, peer_asns, rpki, irr, bogon_prefix, bogon_asn, leakers
                 FROM routes WHERE period = ?1 AND (?2 IS NULL OR (origin, prefix) > (?2, ?3))
                 ORDER BY origin, prefix LIMIT ?4",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(
                params![period, origin, prefix, limit.min(MAX_PAGE)],
                route_row,
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.err(e))
    }

    pub(crate) fn offending_routes(
        &self,
        period: &str,
        origin: u32,
        limit: u32,
    ) -> Result<(Vec<RouteRow>, u64), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT origin, prefix, peers, peer_asns, rpki, irr, bogon_prefix, bogon_asn, leakers
                 FROM routes WHERE period = ?1 AND origin = ?2 AND {OFFENDING}
                 ORDER BY peers DESC, prefix LIMIT ?3"
            ))
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![period, origin, limit.min(MAX_PAGE)], route_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        let total: i64 = self
            .conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM routes WHERE period = ?1 AND origin = ?2 AND {OFFENDING}"
                ),
                params![period, origin],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok((rows, total as u64))
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
mod tests {
    use super::*;

    #[test]
    fn a_new_store_gets_16_kib_pages_and_an_existing_one_keeps_its_own() {
        let dir =
            std::env::temp_dir().join(format!("routenorms-sqlite-pages-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let page_size = |c: &Connection| -> u32 {
            c.pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap()
        };
        let fresh = dir.join("fresh.db");
        let s = SqliteStore::open(fresh.to_str().unwrap()).unwrap();
        assert_eq!(page_size(&s.conn), PAGE_SIZE);
        // A store made before 16 KiB pages keeps its 4 KiB ones (a page size is fixed once
        // the file is in WAL mode).
        let old = dir.join("old.db");
        {
            let c = Connection::open(&old).unwrap();
            c.pragma_update(None, "page_size", 4096).unwrap();
            c.pragma_update(None, "journal_mode", "WAL").unwrap();
            c.execute_batch("CREATE TABLE t (x)").unwrap();
        }
        let c = Connection::open(&old).unwrap();
        let mut s = SqliteStore {
            conn: c,
            path: old.clone(),
        };
        s.prepare(true).unwrap();
        assert_eq!(page_size(&s.conn), 4096);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
