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
    /// The version of the tables' schema: `{prefix}schema`, one row.
    pub schema: String,
}

impl Tables {
    pub(crate) fn new(prefix: &str) -> Tables {
        Tables {
            jobs: format!("{prefix}jobs"),
            runs: format!("{prefix}runs"),
            nodes: format!("{prefix}nodes"),
            schema: format!("{prefix}schema"),
        }
    }
}

/// The version of the tables this release creates and reads, kept in the
/// `{prefix}schema` table ([`Tables::schema`]). Connecting to tables of
/// this version changes nothing; tables of an earlier version (or of a
/// release that kept none) are brought up to date once, under a lock; a
/// newer version is refused.
///
/// ```
/// assert_eq!(tempora_sql::SCHEMA_VERSION, 2);
/// ```
pub const SCHEMA_VERSION: i64 = 2;

/// The longest a migration waits for its lock or for a table's lock
/// before it fails: a migration waiting behind a long reader (`pg_dump`)
/// would make every later query of the table wait behind it.
pub(crate) const MIGRATION_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The `CREATE TABLE` of the schema version table: one row, `id` 1, with
/// the dialect's integer type.
pub(crate) fn schema_table(tables: &Tables, integer: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {schema} (
            id {integer} NOT NULL PRIMARY KEY,
            version {integer} NOT NULL
        )",
        schema = tables.schema
    )
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
    /// The `CREATE TABLE IF NOT EXISTS` of the schema version table
    /// ([`Tables::schema`]), created first, under the migration's lock.
    pub version_table: String,
    /// The statement reading the schema version: one row, one integer
    /// column, or no row.
    pub read_version: String,
    /// `CREATE TABLE IF NOT EXISTS` statements, with every column of this
    /// release.
    pub tables: Vec<String>,
    /// The columns added since the first release, added where missing
    /// (after the tables, before the indexes that may need them).
    pub added_columns: Vec<AddedColumn>,
    /// What changes the tables of an earlier version beyond added columns
    /// (the run history's key gained `attempt` in version 2), run after
    /// the columns are added whenever the version found is older than
    /// [`SCHEMA_VERSION`] (or absent); each statement leaves tables of this
    /// version as they are.
    pub upgrades: Vec<String>,
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

/// The columns of the run history, in the order the store reads them.
pub(crate) const RUN_COLUMNS: &str = "job_id, scheduled_time, node, fire_times, status, started, \
    finished, duration, error, alive_until, exit_status, output, first_scheduled_time, attempt";

/// The run history's table as SQLite and PostgreSQL write it: keys of
/// type `key`, integers of type `integer`.
pub(crate) fn runs_table(tables: &Tables, key: &str, integer: &str) -> String {
    runs_table_named(&tables.runs, key, integer)
}

/// [`runs_table`] under the name `runs` (SQLite builds the table of a
/// new key beside the old one, then swaps them).
pub(crate) fn runs_table_named(runs: &str, key: &str, integer: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {runs} (
            job_id {key} NOT NULL,
            scheduled_time {integer} NOT NULL,
            node {key} NOT NULL,
            fire_times {integer} NOT NULL,
            status TEXT NOT NULL,
            started {integer},
            finished {integer},
            duration {integer},
            error TEXT,
            alive_until {integer},
            exit_status {integer},
            output TEXT,
            first_scheduled_time {integer},
            attempt {integer} NOT NULL DEFAULT 1,
            PRIMARY KEY (job_id, scheduled_time, node, attempt)
        )"
    )
}

/// The columns added to the run history since its first release (a
/// program's exit status and output, a coalesced run's first fire time),
/// for the tables of an earlier release: text of type `text`, integers of
/// type `integer`.
pub(crate) fn later_run_columns(tables: &Tables, text: &str, integer: &str) -> [AddedColumn; 4] {
    let column = |column, definition: &str| AddedColumn {
        table: tables.runs.clone(),
        column,
        definition: definition.to_owned(),
    };
    [
        column("exit_status", integer),
        column("output", text),
        column("first_scheduled_time", integer),
        column("attempt", &format!("{integer} NOT NULL DEFAULT 1")),
    ]
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
    "ON CONFLICT (job_id, scheduled_time, node, attempt) DO UPDATE SET
    fire_times = excluded.fire_times, status = excluded.status,
    started = excluded.started, finished = excluded.finished,
    duration = excluded.duration, error = excluded.error,
    alive_until = excluded.alive_until, exit_status = excluded.exit_status,
    output = excluded.output, first_scheduled_time = excluded.first_scheduled_time";

/// The statements writing the schema version of `tables`, with the
/// dialect's `parameter` (`?` or `$1`): the row updated, then, when there
/// is none, inserted.
fn write_version(tables: &Tables, parameter: &str) -> [String; 2] {
    let schema = &tables.schema;
    [
        format!("UPDATE {schema} SET version = {parameter} WHERE id = 1"),
        format!("INSERT INTO {schema} (id, version) VALUES (1, {parameter})"),
    ]
}

/// Writes [`SCHEMA_VERSION`] as the schema version of `tables`, on
/// `connection` (in the migration's transaction where the dialect has
/// one): updates its row, or inserts it where there is none. MySQL counts
/// matched rows (the connection's `CLIENT_FOUND_ROWS`), so 0 means no row
/// there too.
pub(crate) async fn write_schema_version<D: Dialect>(
    connection: &mut <D::Db as Database>::Connection,
    tables: &Tables,
) -> std::result::Result<(), sqlx::Error>
where
    for<'c> &'c mut <D::Db as Database>::Connection: sqlx::Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: sqlx::IntoArguments<D::Db>,
    for<'q> i64: sqlx::Encode<'q, D::Db> + sqlx::Type<D::Db>,
{
    let parameter = if D::NUMBERED_PARAMETERS { "$1" } else { "?" };
    let [update, insert] = write_version(tables, parameter);
    let updated = sqlx::query(sqlx::AssertSqlSafe(update))
        .bind(SCHEMA_VERSION)
        .execute(&mut *connection)
        .await?;
    if D::rows_affected(&updated) == 0 {
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(SCHEMA_VERSION)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// [`Schema::read_version`] of `tables`.
pub(crate) fn read_version(tables: &Tables) -> String {
    format!("SELECT version FROM {} WHERE id = 1", tables.schema)
}

/// Keeps [`Dialect`] to this crate: each dialect's file implements it.
pub(crate) mod private {
    pub trait Sealed {}
}

/// A pool on `connect` of at most `options.max_connections` (10 unless
/// set), waiting `options.connect_timeout` for a connection, each
/// connection running `settings` first; a failure is the store error
/// naming `shown`, the database's URL without its password.
pub(crate) async fn open_pool<DB>(
    connect: <DB::Connection as sqlx::Connection>::Options,
    settings: Vec<String>,
    options: &SqlOptions,
    shown: &str,
) -> Result<Pool<DB>>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let settings = std::sync::Arc::new(settings);
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(options.max_connections.unwrap_or(10))
        .acquire_timeout(options.connect_timeout)
        .after_connect(move |connection, _| {
            let settings = std::sync::Arc::clone(&settings);
            Box::pin(async move {
                for setting in settings.iter() {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(setting.clone()))
                        .execute(&mut *connection)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(connect)
        .await
        .map_err(|error| {
            located_error(
                &options.store.name,
                shown,
                "connect to the database",
                Some(Box::new(error)),
            )
        })
}

/// A store error of store `name` on the database at `location` (shown
/// without its password): `store "<name>": cannot <what> (<location>)`.
pub(crate) use tempora::store::backend::located_error;

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

    /// True when the database sends the notices [`Dialect::watch`] listens
    /// to (PostgreSQL): the store then offers
    /// [`ChangeNotices`](tempora::store::ChangeNotices). False for the
    /// others (the default).
    const SENDS_NOTICES: bool = false;

    /// The dialect's SQL for `tables`.
    fn sql(tables: &Tables) -> DialectSql;

    /// Connects to `location` (already checked to be this dialect's) and
    /// gives the pool and the location as messages show it (without a
    /// password).
    fn connect(
        location: &str,
        options: &SqlOptions,
    ) -> impl Future<Output = Result<(Pool<Self::Db>, String)>> + Send;

    /// Brings the tables up to [`SCHEMA_VERSION`] once, so that two
    /// processes starting at once do not trip over each other: under a
    /// lock (PostgreSQL's advisory lock, MySQL's `GET_LOCK`, SQLite's
    /// `BEGIN IMMEDIATE`), waiting a bounded time for it and for the
    /// tables' locks, reads the schema version again; when it is still
    /// behind (or absent: tables of a release that kept none, or no
    /// tables), creates the tables if missing, adds the
    /// [`Schema::added_columns`] an older table lacks (its rows keep their
    /// values, the new columns are `NULL`), then the indexes, and writes
    /// the version. Gives the version found under the lock (`None` when
    /// there was none): when it is this release's or newer, nothing was
    /// changed.
    fn migrate(
        pool: &Pool<Self::Db>,
        tables: &Tables,
        schema: &Schema,
    ) -> impl Future<Output = std::result::Result<Option<i64>, sqlx::Error>> + Send;

    /// Whether `error` says that a table does not exist (the schema
    /// version table of a store that has none yet).
    fn is_missing_table(error: &sqlx::Error) -> bool;

    /// How many rows a statement changed (matched, for MySQL).
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;

    /// Reads the server's settings that decide whether a committed change
    /// survives a crash (PostgreSQL's `fsync` and `synchronous_commit`,
    /// MySQL's `innodb_flush_log_at_trx_commit` and `sync_binlog`) and
    /// logs a warning, saying what to set, for each that gives up
    /// durability. Settings that cannot be read are not checked. Nothing
    /// is written. Nothing to read by default (SQLite, whose store sets
    /// `synchronous` on every connection itself).
    fn check_durability(pool: &Pool<Self::Db>, location: &str) -> impl Future<Output = ()> + Send {
        let _ = (pool, location);
        std::future::ready(())
    }

    /// The statement timeout the database's sessions run with, when the
    /// URL may set one other than [`SqlOptions::statement_timeout`]
    /// (PostgreSQL's `options=-c statement_timeout=…`); `None` for the
    /// others (the default). `Some(Duration::ZERO)` for none at all.
    fn session_statement_timeout(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Option<std::time::Duration>> + Send {
        let _ = pool;
        std::future::ready(None)
    }

    /// A feed of the database's notices that a job of `tables` may run
    /// sooner, for a database that sends them (PostgreSQL); `None` for the
    /// others (the default).
    /// `name` and `location` (the URL without its password) are the
    /// store's, for its errors and logs.
    fn watch(
        pool: &Pool<Self::Db>,
        tables: &Tables,
        name: &str,
        location: &str,
    ) -> impl Future<Output = Result<Option<ChangeFeed>>> + Send {
        let _ = (pool, tables, name, location);
        std::future::ready(Ok(None))
    }
}
