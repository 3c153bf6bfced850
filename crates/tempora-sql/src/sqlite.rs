//! SQLite: the embedded default. One file, WAL mode; claims are one
//! `UPDATE … RETURNING` statement, which SQLite runs under its write lock.
//!
//! SQLite has no clock of its own (it runs in the scheduler's process), so
//! leases are measured on the `now` the scheduler passes.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Pool};
use tempora::{Error, Result};

use crate::dialect::{ClaimStyle, Dialect, DialectSql, Tables};
use crate::options::{LeaseClock, SqlOptions};
use crate::store::SqlStore;

/// The SQLite [`Dialect`]: see [`SqliteStore`].
#[derive(Debug, Clone, Copy)]
pub struct Sqlite;

/// Jobs in a SQLite database file, the embedded default of the `tempora`
/// daemon.
///
/// Created from a file path or a `sqlite://` URL (created if missing). The
/// database runs in WAL mode with `synchronous=NORMAL`: a change is
/// durable when its call returns and survives the process being killed;
/// a power loss may lose the last changes, never the file's consistency.
/// Leases are measured on the `now` the scheduler passes
/// ([`LeaseClock::Caller`]): SQLite has no clock of its own.
///
/// ```
/// use tempora::store::JobStore;
/// use tempora_sql::SqliteStore;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("tempora-doc-sqlite-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = SqliteStore::open(&dir.join("jobs.db").to_string_lossy(), "").await?;
/// assert_eq!(store.backend(), "sqlite");
/// assert_eq!(store.tables(), ("jobs", "runs"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
    /// Opens (creating if needed) the database at `location` — a file path
    /// or a `sqlite://` URL — with tables `{prefix}jobs` and `{prefix}runs`
    /// and the other options at their defaults.
    ///
    /// # Errors
    ///
    /// As [`SqlStore::connect`].
    pub async fn open(location: &str, prefix: &str) -> Result<SqliteStore> {
        SqlStore::connect(location, &SqlOptions::new().prefix(prefix)).await
    }
}

impl Dialect for Sqlite {
    type Db = sqlx::Sqlite;
    const BACKEND: &'static str = "sqlite";
    const NUMBERED_PARAMETERS: bool = false;
    const CLAIM: ClaimStyle = ClaimStyle::UpdateReturning;
    const LEASE_CLOCK: LeaseClock = LeaseClock::Caller;
    const MAX_KEY: Option<usize> = None;

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs } = tables;
        DialectSql {
            schema: vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {jobs} (
                        id TEXT PRIMARY KEY NOT NULL,
                        next_run_time INTEGER,
                        job TEXT NOT NULL,
                        owner TEXT,
                        lease_expires INTEGER,
                        unrestorable TEXT
                    )"
                ),
                format!("CREATE INDEX IF NOT EXISTS {jobs}_due ON {jobs} (next_run_time, id)"),
                format!(
                    "CREATE INDEX IF NOT EXISTS {jobs}_owner ON {jobs} (owner) WHERE owner IS NOT NULL"
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS {jobs}_unrestorable ON {jobs} (id)
                     WHERE unrestorable IS NOT NULL"
                ),
                format!(
                    "CREATE TABLE IF NOT EXISTS {runs} (
                        job_id TEXT NOT NULL,
                        scheduled_time INTEGER NOT NULL,
                        node TEXT NOT NULL,
                        fire_times INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        started INTEGER,
                        finished INTEGER,
                        duration INTEGER,
                        error TEXT,
                        alive_until INTEGER,
                        PRIMARY KEY (job_id, scheduled_time, node)
                    )"
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS {runs}_scheduled_time ON {runs} (scheduled_time)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {runs}_status ON {runs} (status)"),
            ],
            replace_job: "ON CONFLICT (id) DO UPDATE SET next_run_time = excluded.next_run_time,
                job = excluded.job, owner = NULL, lease_expires = NULL, unrestorable = NULL"
                .to_owned(),
            replace_run: "ON CONFLICT (job_id, scheduled_time, node) DO UPDATE SET
                fire_times = excluded.fire_times, status = excluded.status,
                started = excluded.started, finished = excluded.finished,
                duration = excluded.duration, error = excluded.error,
                alive_until = excluded.alive_until"
                .to_owned(),
            greatest: "MAX",
            lock_due: "",
            now: None,
        }
    }

    async fn connect(location: &str, options: &SqlOptions) -> Result<(Pool<sqlx::Sqlite>, String)> {
        let connect = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location).map_err(|error| {
                Error::invalid(
                    "url",
                    format!("{location:?} is not a SQLite file path or sqlite:// URL: {error}"),
                )
            })?
        } else if location.contains("://") {
            return Err(Error::invalid(
                "url",
                format!(
                    "{:?} is not a SQLite file path or sqlite:// URL",
                    crate::url::redact(location)
                ),
            ));
        } else {
            SqliteConnectOptions::new().filename(location)
        };
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.unwrap_or(4))
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|error| {
                Error::store(location, "cannot open the database", Some(Box::new(error)))
            })?;
        Ok((pool, location.to_owned()))
    }

    async fn migrate(
        pool: &Pool<sqlx::Sqlite>,
        tables: &Tables,
        schema: &[String],
    ) -> std::result::Result<(), sqlx::Error> {
        let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
        let (create_jobs, rest) = schema.split_first().unzip();
        if let Some(statement) = create_jobs {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await?;
        }
        // The first release's table lacks the unrestorable mark, which the
        // indexes below need.
        let marked: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM pragma_table_info('{}') WHERE name = 'unrestorable'",
            tables.jobs
        )))
        .fetch_one(&mut *transaction)
        .await?;
        if marked == 0 {
            sqlx::query(AssertSqlSafe(format!(
                "ALTER TABLE {} ADD COLUMN unrestorable TEXT",
                tables.jobs
            )))
            .execute(&mut *transaction)
            .await?;
        }
        for statement in rest.unwrap_or_default() {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
