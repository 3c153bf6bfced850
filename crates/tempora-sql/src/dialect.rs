//! What differs between the SQL databases: each implements [`Dialect`] in
//! its own file (`sqlite.rs`, `postgres.rs`, `mysql.rs`) with its schema,
//! the few statements whose syntax differs, and how it connects. Everything
//! else is the same SQL, in `store.rs`.

use std::future::Future;

use sqlx::{Database, Pool};
use tempora::Result;

use crate::options::{LeaseClock, SqlOptions};

/// The names of a store's tables.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The jobs: `{prefix}jobs`.
    pub jobs: String,
    /// The run history: `{prefix}runs`.
    pub runs: String,
}

impl Tables {
    pub(crate) fn new(prefix: &str) -> Tables {
        Tables {
            jobs: format!("{prefix}jobs"),
            runs: format!("{prefix}runs"),
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

/// The SQL that differs between databases. Statements use `?` for
/// parameters; PostgreSQL's are numbered when the statements are built.
#[derive(Debug, Clone)]
pub struct DialectSql {
    /// The statements creating the tables and indexes if missing.
    pub schema: Vec<String>,
    /// What follows `INSERT INTO {jobs} (id, next_run_time, job) VALUES (?, ?, ?)`
    /// to replace a job of the same id (dropping its claim and its
    /// unrestorable mark).
    pub replace_job: String,
    /// What follows the `INSERT INTO {runs} (…) VALUES (…)` of a run record
    /// to replace the record of the same key.
    pub replace_run: String,
    /// The function giving the larger of two values: `MAX` or `GREATEST`.
    pub greatest: &'static str,
    /// What ends the query of due jobs: `FOR UPDATE SKIP LOCKED`, or
    /// nothing.
    pub lock_due: &'static str,
    /// A query of the database's clock in UTC microseconds, if it has one.
    pub now: Option<&'static str>,
}

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

    /// The longest job id, node or table key in characters, if limited.
    const MAX_KEY: Option<usize>;

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
    /// at once do not trip over each other, and brings older tables up to
    /// date.
    fn migrate(
        pool: &Pool<Self::Db>,
        tables: &Tables,
        schema: &[String],
    ) -> impl Future<Output = std::result::Result<(), sqlx::Error>> + Send;

    /// How many rows a statement changed (matched, for MySQL).
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;
}
