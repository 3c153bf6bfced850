//! What differs between the SQL databases: each implements [`Dialect`] in
//! its own file (`sqlite.rs`, `postgres.rs`, `mysql.rs`) with its schema,
//! the few statements whose syntax differs, and how it connects. Everything
//! else is the same SQL, in `store.rs`.

use std::future::Future;

use sqlx::{Database, Pool};
use tempora::Result;
use tempora::store::ChangeFeed;

use crate::LeaseClock;
use crate::options::SqlOptions;

/// The names of a store's tables.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The jobs: `{prefix}jobs`.
    pub jobs: String,
    /// The run history: `{prefix}runs`.
    pub runs: String,
    /// The schedulers sharing the store: `{prefix}nodes`.
    pub nodes: String,
}

impl Tables {
    pub(crate) fn new(prefix: &str) -> Tables {
        Tables {
            jobs: format!("{prefix}jobs"),
            runs: format!("{prefix}runs"),
            nodes: format!("{prefix}nodes"),
        }
    }
}

/// How a dialect claims due jobs atomically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStyle {
    /// One `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP
    /// LOCKED]) RETURNING …` statement (SQLite, PostgreSQL).
    UpdateReturning,
    /// In a transaction: `SELECT … FOR UPDATE SKIP LOCKED`, then `UPDATE …
    /// WHERE id IN (…)` (MySQL, which has neither `UPDATE … RETURNING` nor
    /// `LIMIT` in an `IN` subquery).
    SelectThenUpdate,
}

/// A column a later release added to a table: [`Dialect::migrate`] adds it
/// to a table created by an earlier release.
#[derive(Debug, Clone)]
pub struct AddedColumn {
    /// The table: one of [`Tables`].
    pub table: String,
    /// The column's name.
    pub column: &'static str,
    /// Its type and constraints, as `ALTER TABLE … ADD COLUMN` takes them.
    pub definition: String,
}

/// The statements that create a store's tables, or bring tables created by
/// an earlier release up to date, and those that remove what dropping the
/// tables would leave behind.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// `CREATE TABLE IF NOT EXISTS` statements, with every column of this
    /// release.
    pub tables: Vec<String>,
    /// The columns added since the first release, added where missing
    /// (after the tables, before the indexes that may need them).
    pub added_columns: Vec<AddedColumn>,
    /// `CREATE INDEX IF NOT EXISTS` statements (none where the tables
    /// declare their indexes), then any triggers.
    pub indexes: Vec<String>,
    /// What else the schema created that dropping the tables leaves
    /// behind (PostgreSQL's notify function), dropped after them.
    pub leftovers: Vec<String>,
}

/// The SQL that differs between databases. Statements use `?` for
/// parameters; PostgreSQL's are numbered when the statements are built.
#[derive(Debug, Clone)]
pub struct DialectSql {
    /// The statements creating the tables and indexes if missing, and
    /// adding the columns of later releases.
    pub schema: Schema,
    /// What follows `INSERT INTO {jobs} (id, next_run_time, job) VALUES (?, ?, ?)`
    /// to replace a job of the same id (dropping its claim and its
    /// unrestorable mark).
    pub replace_job: String,
    /// What follows the `INSERT INTO {runs} (…) VALUES (…)` of a run record
    /// to replace the record of the same key.
    pub replace_run: String,
    /// What follows the `INSERT INTO {nodes} (…) VALUES (…)` of a node
    /// record to replace the record of the same id.
    pub replace_node: String,
    /// The function giving the larger of two values: `MAX` or `GREATEST`.
    pub greatest: &'static str,
    /// What ends the query of due jobs: `FOR UPDATE SKIP LOCKED`, or
    /// nothing.
    pub lock_due: &'static str,
    /// What ends the query that locks the jobs a scheduler settles:
    /// `FOR UPDATE`, or nothing (SQLite, whose write transaction locks the
    /// database).
    pub lock_rows: &'static str,
    /// An expression of the database's clock in UTC microseconds, if it has
    /// one.
    pub clock: Option<&'static str>,
}

/// The `CREATE TABLE` of the node records, with the dialect's types of a
/// key, a text and an integer column.
pub(crate) fn nodes_table(tables: &Tables, key: &str, text: &str, integer: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {nodes} (
            id {key} NOT NULL PRIMARY KEY,
            host {text} NOT NULL,
            pid {integer} NOT NULL,
            instance {text} NOT NULL,
            started {integer} NOT NULL,
            last_heartbeat {integer} NOT NULL,
            running {integer} NOT NULL
        )",
        nodes = tables.nodes
    )
}

/// The column of a job's previous fire time, added to a jobs table of an
/// earlier release.
pub(crate) fn previous_fire_time_column(tables: &Tables, integer: &str) -> AddedColumn {
    AddedColumn {
        table: tables.jobs.clone(),
        column: "previous_fire_time",
        definition: integer.to_owned(),
    }
}

/// What SQLite and PostgreSQL share: `CREATE INDEX IF NOT EXISTS` of the
/// due jobs (named `{jobs}_{due}`), of the claimed and the unrestorable ones
/// (partial indexes), and of the history by time and by status.
pub(crate) fn standard_indexes(tables: &Tables, due: &str) -> Vec<String> {
    let Tables { jobs, runs, .. } = tables;
    vec![
        format!("CREATE INDEX IF NOT EXISTS {jobs}_{due} ON {jobs} (next_run_time, id)"),
        format!(
            "CREATE INDEX IF NOT EXISTS {jobs}_owner ON {jobs} (owner) WHERE owner IS NOT NULL"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {jobs}_unrestorable ON {jobs} (id)
             WHERE unrestorable IS NOT NULL"
        ),
        format!("CREATE INDEX IF NOT EXISTS {runs}_scheduled_time ON {runs} (scheduled_time)"),
        format!("CREATE INDEX IF NOT EXISTS {runs}_status ON {runs} (status)"),
    ]
}

/// SQLite's and PostgreSQL's [`DialectSql::replace_job`].
pub(crate) const ON_CONFLICT_REPLACE_JOB: &str = "ON CONFLICT (id) DO UPDATE SET
    next_run_time = excluded.next_run_time, job = excluded.job,
    owner = NULL, lease_expires = NULL, unrestorable = NULL, previous_fire_time = NULL";

/// SQLite's and PostgreSQL's [`DialectSql::replace_node`].
pub(crate) const ON_CONFLICT_REPLACE_NODE: &str = "ON CONFLICT (id) DO UPDATE SET
    host = excluded.host, pid = excluded.pid, instance = excluded.instance,
    started = excluded.started, last_heartbeat = excluded.last_heartbeat,
    running = excluded.running";

/// SQLite's and PostgreSQL's [`DialectSql::replace_run`].
pub(crate) const ON_CONFLICT_REPLACE_RUN: &str =
    "ON CONFLICT (job_id, scheduled_time, node) DO UPDATE SET
    fire_times = excluded.fire_times, status = excluded.status,
    started = excluded.started, finished = excluded.finished,
    duration = excluded.duration, error = excluded.error,
    alive_until = excluded.alive_until, exit_status = excluded.exit_status,
    output = excluded.output, first_scheduled_time = excluded.first_scheduled_time";

mod private {
    pub trait Sealed {}
    #[cfg(feature = "sqlite")]
    impl Sealed for crate::sqlite::Sqlite {}
    #[cfg(feature = "postgres")]
    impl Sealed for crate::postgres::Postgres {}
    #[cfg(feature = "mysql")]
    impl Sealed for crate::mysql::MySql {}
}

/// A SQL database a [`SqlStore`](crate::SqlStore) runs on:
/// [`Sqlite`](crate::Sqlite), [`Postgres`](crate::Postgres) or
/// [`MySql`](crate::MySql). Sealed: implemented by this crate only.
pub trait Dialect: private::Sealed + Send + Sync + Sized + 'static {
    /// The sqlx driver.
    type Db: Database;

    /// The backend's name, as [`JobStore::backend`](tempora::store::JobStore::backend) gives it.
    const BACKEND: &'static str;

    /// Whether parameters are `$1, $2, …` rather than `?`.
    const NUMBERED_PARAMETERS: bool;

    /// How due jobs are claimed.
    const CLAIM: ClaimStyle;

    /// The lease clock unless the options choose.
    const LEASE_CLOCK: LeaseClock;

    /// Whether every write goes through one connection the store holds
    /// (SQLite, which takes one writer at a time anyway): no wait for the
    /// database's write lock between the store's own connections, and no
    /// round trip of the pool's check when a connection is handed back.
    const ONE_WRITER: bool;

    /// The longest job id, node or table key in characters, if limited.
    const MAX_KEY: Option<usize>;

    /// The statement opening a transaction that writes, if not the
    /// driver's default: SQLite's `BEGIN IMMEDIATE` takes the write lock
    /// at once, so that the transaction's reads stay valid until it
    /// commits.
    const BEGIN_WRITE: Option<&'static str>;

    /// The dialect's SQL for `tables`.
    fn sql(tables: &Tables) -> DialectSql;

    /// Connects to `location` (already checked to be this dialect's) and
    /// gives the pool and the location as messages show it (without a
    /// password).
    fn connect(
        location: &str,
        options: &SqlOptions,
    ) -> impl Future<Output = Result<(Pool<Self::Db>, String)>> + Send;

    /// Runs `schema` (from [`Dialect::sql`]) so that two processes starting
    /// at once do not trip over each other: creates the tables if missing,
    /// adds the [`Schema::added_columns`] an older table lacks (its rows
    /// keep their values, the new columns are `NULL`), then the indexes.
    fn migrate(
        pool: &Pool<Self::Db>,
        tables: &Tables,
        schema: &Schema,
    ) -> impl Future<Output = std::result::Result<(), sqlx::Error>> + Send;

    /// How many rows a statement changed (matched, for MySQL).
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;

    /// A feed of the database's notices that a job of `tables` may run
    /// sooner, for a database that sends them (PostgreSQL); `None` for the
    /// others (the default).
    fn watch(
        pool: &Pool<Self::Db>,
        tables: &Tables,
        location: &str,
    ) -> impl Future<Output = Result<Option<ChangeFeed>>> + Send {
        let _ = (pool, tables, location);
        std::future::ready(Ok(None))
    }
}
