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
//! location (`clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE`) selects the ClickHouse
//! backend instead: the same logical tables as MergeTree tables, written and read over
//! ClickHouse's HTTP interface (it works with the 18.16 server in Debian and with current
//! releases). ClickHouse has no transactions, so every write of a period is tagged with a
//! new run number and becomes visible only when its row in `periods` lands last; readers
//! always read the newest complete run, and older runs are deleted afterwards.

use std::path::PathBuf;

mod clickhouse;
mod sqlite;

pub use clickhouse::ClickHouseLocation;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 2;
/// The most rows one listing call returns.
pub const MAX_PAGE: u32 = 10_000;

/// What can go wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: {reason}")]
    BadLocation {
        location: String,
        reason: &'static str,
    },
    #[error("{location}: {message}")]
    ClickHouse { location: String, message: String },
    #[error(
        "{location}: {what} needs a ClickHouse store (--store clickhouse://HOST:PORT/DATABASE)"
    )]
    NeedsClickHouse {
        location: String,
        what: &'static str,
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

/// One route as a shard saw it: the states every shard computes alike from the same
/// reference data, and the sets (peers, paths, leakers) that are united over shards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardRoute {
    pub prefix: String,
    /// Sorts like the prefix itself (IPv4 first, then address, then length).
    pub prefix_key: String,
    /// `None`: the path ends in an AS_SET.
    pub origin: Option<u32>,
    /// Peers (a 64-bit hash of peer ASN and address each) and their ASNs.
    pub peers: Vec<u64>,
    pub peer_asns: Vec<u32>,
    /// Distinct paths: a hash of each, shifted left by 2, plus its ASPA state (0 none,
    /// 1 valid, 2 invalid, 3 unknown).
    pub paths: Vec<u64>,
    pub rpki: Option<String>,
    pub rpki_reason: Option<String>,
    pub irr: Option<String>,
    pub irr_registered: bool,
    pub bogon_prefix: bool,
    pub bogon_asn: bool,
    pub leakers: Vec<u32>,
}

/// What one shard (`observe --shard NAME`) stores for a period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardData {
    pub period: String,
    pub shard: String,
    pub created_at: String,
    /// The shard's own facts as a JSON document (inputs, data span, entries, which
    /// reference data was given); the store keeps it as it came.
    pub meta: String,
    /// Every peer the shard saw (hashes, as in [`ShardRoute::peers`]).
    pub peers: Vec<u64>,
    /// Distinct bogon ASNs on the shard's paths, and ASNs its paths name as leakers.
    pub bogon_asns: Vec<u32>,
    pub leakers: Vec<u32>,
    pub routes: Vec<ShardRoute>,
    /// Incident events as JSON documents, in the shard's order.
    pub events: Vec<String>,
    /// Per ASN, the parts of its card that come from reference data (JSON).
    pub contexts: Vec<(u32, String)>,
}

/// Route figures over every shard's routes, united (computed by the database).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct MergedSummary {
    pub routes: u64,
    pub as_set_routes: u64,
    pub prefixes: u64,
    pub valid: u64,
    pub invalid: u64,
    pub not_found: u64,
    pub as_set_valid: u64,
    pub as_set_invalid: u64,
    pub as_set_not_found: u64,
    pub bogon_prefixes: u64,
    pub bogon_prefixes_distinct: u64,
    pub bogon_asns: u64,
    pub leaking_routes: u64,
    pub aspa_valid: u64,
    pub aspa_invalid: u64,
    pub aspa_unknown: u64,
    /// Distinct peers over every shard.
    pub peers: u64,
}

/// One origin AS over every shard (computed by the database).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct MergedAsn {
    pub asn: u32,
    pub peers: u32,
    pub peer_asns: u32,
    pub routes: u32,
    pub valid: u64,
    pub invalid: u64,
    pub not_found: u64,
    pub irr_known: u64,
    pub irr_registered: u64,
}

/// An example route of an origin AS (the first few by prefix): RPKI-invalid ones carry
/// their reason, unregistered ones their IRR status.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct MergedExample {
    pub origin: u32,
    pub prefix: String,
    pub reason: Option<String>,
    pub irr: Option<String>,
    pub peers: u32,
}

/// Everything the shards of a period hold, joined by the database.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardMerge {
    /// The shards joined, by name, each with its meta document.
    pub shards: Vec<(String, String)>,
    pub summary: MergedSummary,
    /// IRR status → routes with an origin.
    pub irr: Vec<(String, u64)>,
    pub bogon_asns: Vec<u32>,
    pub leakers: Vec<u32>,
    pub asns: Vec<MergedAsn>,
    pub invalid_examples: Vec<MergedExample>,
    pub unregistered_examples: Vec<MergedExample>,
    pub events: Vec<String>,
    pub contexts: Vec<(u32, String)>,
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

#[cfg(test)]
mod tests;

/// Routes that are offending in some way (what `reports::route_flags` flags), as an SQL
/// condition both backends understand.
const OFFENDING: &str = "(rpki = 'invalid' OR irr IN ('mismatch', 'not-registered') \
     OR bogon_prefix = 1 OR bogon_asn = 1 OR leakers != '')";

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    ClickHouse(clickhouse::ClickHouseStore),
}

/// An open store, SQLite or ClickHouse.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

/// The ClickHouse backend, or the error that says an operation needs it.
macro_rules! clickhouse_only {
    ($self:ident, $what:expr) => {
        match &$self.backend {
            Backend::ClickHouse(c) => c,
            Backend::Sqlite(s) => {
                return Err(StoreError::NeedsClickHouse {
                    location: s.location(),
                    what: $what,
                })
            }
        }
    };
}

/// Calls the same method on whichever backend is open.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*),
            Backend::ClickHouse(c) => c.$method($($arg),*),
        }
    };
}

impl Store {
    /// Opens the store at `location`, creating it (and bringing its schema up to date) when
    /// needed: what `observe` does.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        let backend = match ClickHouseLocation::parse(location)? {
            Some(ch) => Backend::ClickHouse(clickhouse::ClickHouseStore::open(ch, true)?),
            None => Backend::Sqlite(sqlite::SqliteStore::open(location)?),
        };
        Ok(Store { backend })
    }

    /// Opens an existing store for reading: what `report` does. A missing store is an
    /// error, not an empty store.
    pub fn open_existing(location: &str) -> Result<Store, StoreError> {
        let backend = match ClickHouseLocation::parse(location)? {
            Some(ch) => Backend::ClickHouse(clickhouse::ClickHouseStore::open(ch, false)?),
            None => Backend::Sqlite(sqlite::SqliteStore::open_existing(location)?),
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `clickhouse`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::ClickHouse(_) => "clickhouse",
        }
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        dispatch!(self.schema_version())
    }

    /// Replaces everything stored for `data.period` by `data`: all of it becomes visible at
    /// once, or (after a crash or an error) none of it.
    pub fn replace_period(&mut self, data: &PeriodData) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.replace_period(data),
            Backend::ClickHouse(c) => c.replace_period(data),
        }
    }

    /// The stored periods, oldest first.
    pub fn periods(&self) -> Result<Vec<String>, StoreError> {
        dispatch!(self.periods())
    }

    /// The newest stored period.
    pub fn latest_period(&self) -> Result<Option<String>, StoreError> {
        dispatch!(self.latest_period())
    }

    /// The global report of a period (JSON).
    pub fn report(&self, period: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self.report(period))
    }

    /// One ASN's card in a period.
    pub fn card(&self, period: &str, asn: u32) -> Result<Option<CardRow>, StoreError> {
        dispatch!(self.card(period, asn))
    }

    /// One ASN's cards over every stored period, oldest first.
    pub fn card_history(&self, asn: u32) -> Result<Vec<(String, CardRow)>, StoreError> {
        dispatch!(self.card_history(asn))
    }

    /// Cards of a period, by ASN.
    pub fn cards(
        &self,
        period: &str,
        filter: &CardFilter,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        dispatch!(self.cards(period, filter, page))
    }

    /// One roll-up of a period (`scope` `global` with key `""`, `country`, `region`).
    pub fn rollup(
        &self,
        period: &str,
        scope: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self.rollup(period, scope, key))
    }

    /// Every roll-up of a scope in a period, by key.
    pub fn rollups(&self, period: &str, scope: &str) -> Result<Vec<RollupRow>, StoreError> {
        dispatch!(self.rollups(period, scope))
    }

    /// Incidents of a period, heaviest first (then by id); accomplices by ASN.
    pub fn incidents(
        &self,
        period: &str,
        filter: &IncidentFilter,
        page: Page,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        dispatch!(self.incidents(period, filter, page))
    }

    /// Cards of a period whose network name contains `text` (case-insensitive for ASCII),
    /// by ASN. The text is matched literally: no wildcards.
    pub fn cards_named(
        &self,
        period: &str,
        text: &str,
        page: Page,
    ) -> Result<Vec<CardRow>, StoreError> {
        dispatch!(self.cards_named(period, text, page))
    }

    /// Every route of a period with this exact prefix text, by origin.
    pub fn routes_with_prefix(
        &self,
        period: &str,
        prefix: &str,
    ) -> Result<Vec<RouteRow>, StoreError> {
        dispatch!(self.routes_with_prefix(period, prefix))
    }

    /// Routes a given AS originates in a period, by prefix text.
    pub fn routes(
        &self,
        period: &str,
        origin: u32,
        page: Page,
    ) -> Result<Vec<RouteRow>, StoreError> {
        dispatch!(self.routes(period, origin, page))
    }

    /// Every route of a period, by origin then prefix text, `limit` (capped at
    /// [`MAX_PAGE`]) at a time: the page after `after` (an origin and prefix from the
    /// previous page), from the start when `None`.
    pub fn routes_after(
        &self,
        period: &str,
        after: Option<(u32, &str)>,
        limit: u32,
    ) -> Result<Vec<RouteRow>, StoreError> {
        dispatch!(self.routes_after(period, after, limit))
    }

    /// The most visible offending routes an AS originates in a period (RPKI-invalid, IRR
    /// mismatch or not registered, bogon, leaked): at most `limit`, by peers (most first),
    /// then prefix; and how many there are in all.
    pub fn offending_routes(
        &self,
        period: &str,
        origin: u32,
        limit: u32,
    ) -> Result<(Vec<RouteRow>, u64), StoreError> {
        dispatch!(self.offending_routes(period, origin, limit))
    }

    /// Stores one shard's part of a period, replacing what the same shard stored before;
    /// it becomes visible whole, when its row in `shard_runs` lands.
    pub fn write_shard(&mut self, data: &ShardData) -> Result<(), StoreError> {
        clickhouse_only!(self, "--shard").write_shard(data)
    }

    /// The shards stored for a period, by name.
    pub fn shards(&self, period: &str) -> Result<Vec<String>, StoreError> {
        clickhouse_only!(self, "sharded observation").shards(period)
    }

    /// Joins every shard of a period inside the database: routes united over shards, the
    /// per-ASN and global route figures, up to `examples_per_asn` example routes per AS,
    /// the events and the contexts.
    pub fn merge_shards(
        &self,
        period: &str,
        examples_per_asn: u32,
    ) -> Result<ShardMerge, StoreError> {
        clickhouse_only!(self, "joining shards").merge_shards(period, examples_per_asn)
    }

    /// Like [`Store::replace_period`], with the period's routes computed by the database
    /// from its shards instead of given in `data.routes`.
    pub fn replace_period_from_shards(&mut self, data: &PeriodData) -> Result<(), StoreError> {
        clickhouse_only!(self, "joining shards").replace_period_from_shards(data)
    }
}
