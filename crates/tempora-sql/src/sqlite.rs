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
use tempora::store::url::{hide_secrets, redact};
use tempora::{Error, Result};

use crate::LeaseClock;
use crate::dialect::{
    AddedColumn, ClaimStyle, Dialect, DialectSql, ON_CONFLICT_REPLACE_JOB,
    ON_CONFLICT_REPLACE_NODE, ON_CONFLICT_REPLACE_RUN, RUN_COLUMNS, SCHEMA_VERSION, Schema, Tables,
    later_run_columns, located_error, nodes_table, previous_fire_time_column, private,
    read_version, runs_table, runs_table_named, schema_table, standard_indexes,
    write_schema_version,
};
use crate::options::SqlOptions;
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

impl private::Sealed for Sqlite {}

impl Dialect for Sqlite {
    type Db = sqlx::Sqlite;
    const BACKEND: &'static str = "sqlite";
    const NUMBERED_PARAMETERS: bool = false;
    const CLAIM: ClaimStyle = ClaimStyle::UpdateReturning;
    const ONE_WRITER: bool = true;
    const LEASE_CLOCK: LeaseClock = LeaseClock::Caller;
    const MAX_KEY: Option<usize> = None;
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs, .. } = tables;
        DialectSql {
            schema: Schema {
                version_table: schema_table(tables, "INTEGER"),
                read_version: read_version(tables),
                tables: vec![
                    format!(
                        "CREATE TABLE IF NOT EXISTS {jobs} (
                        id TEXT PRIMARY KEY NOT NULL,
                        next_run_time INTEGER,
                        job TEXT NOT NULL,
                        owner TEXT,
                        lease_expires INTEGER,
                        unrestorable TEXT,
                        previous_fire_time INTEGER
                    )"
                    ),
                    runs_table(tables, "TEXT", "INTEGER"),
                    nodes_table(tables, "TEXT", "TEXT", "INTEGER"),
                ],
                added_columns: [
                    previous_fire_time_column(tables, "INTEGER"),
                    AddedColumn {
                        table: jobs.clone(),
                        column: "unrestorable",
                        definition: "TEXT".to_owned(),
                    },
                ]
                .into_iter()
                .chain(later_run_columns(tables, "TEXT", "INTEGER"))
                .collect(),
                // Version 2: the run history's key gains the attempt. SQLite
                // cannot change a table's key: the table is built again
                // beside the old one (its indexes follow, below).
                upgrades: vec![
                    format!("DROP TABLE IF EXISTS {runs}_upgrade"),
                    runs_table_named(&format!("{runs}_upgrade"), "TEXT", "INTEGER"),
                    format!(
                        "INSERT INTO {runs}_upgrade ({RUN_COLUMNS}) SELECT {RUN_COLUMNS} FROM {runs}"
                    ),
                    format!("DROP TABLE {runs}"),
                    format!("ALTER TABLE {runs}_upgrade RENAME TO {runs}"),
                ],
                indexes: standard_indexes(tables, "due"),
                leftovers: Vec::new(),
            },
            replace_job: ON_CONFLICT_REPLACE_JOB.to_owned(),
            replace_run: ON_CONFLICT_REPLACE_RUN.to_owned(),
            replace_node: ON_CONFLICT_REPLACE_NODE.to_owned(),
            greatest: "MAX",
            lock_due: "",
            lock_rows: "",
            clock: None,
        }
    }

    async fn connect(location: &str, options: &SqlOptions) -> Result<(Pool<sqlx::Sqlite>, String)> {
        let connect = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location).map_err(|error| {
                Error::invalid(
                    "url",
                    format!(
                        "{:?} is not a SQLite file path or sqlite:// URL: {}",
                        redact(location),
                        hide_secrets(location, &error.to_string())
                    ),
                )
            })?
        } else if location.contains("://") {
            return Err(Error::invalid(
                "url",
                format!(
                    "{:?} is not a SQLite file path or sqlite:// URL",
                    redact(location)
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
        // Two processes creating the same file at once (a daemon and a
        // `tempora jobs` beside it) can see SQLITE_BUSY while the first
        // switches it to WAL, which the busy timeout does not cover: try
        // again for a while.
        let mut attempts = 0;
        let pool = loop {
            let opened = SqlitePoolOptions::new()
                .max_connections(options.max_connections.unwrap_or(4))
                .acquire_timeout(options.connect_timeout)
                .connect_with(connect.clone())
                .await;
            match opened {
                Err(sqlx::Error::Database(error))
                    if attempts < 100 && matches!(error.code().as_deref(), Some("5" | "6")) =>
                {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                opened => {
                    break opened.map_err(|error| {
                        located_error(
                            &options.store.name,
                            location,
                            "open the database",
                            Some(Box::new(error)),
                        )
                    })?;
                }
            }
        };
        Ok((pool, location.to_owned()))
    }

    async fn migrate(
        pool: &Pool<sqlx::Sqlite>,
        tables: &Tables,
        schema: &Schema,
    ) -> std::result::Result<Option<i64>, sqlx::Error> {
        // BEGIN IMMEDIATE takes the write lock (waiting at most the busy
        // timeout): one process migrates at a time, and DDL is
        // transactional in SQLite.
        let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(AssertSqlSafe(schema.version_table.as_str()))
            .execute(&mut *transaction)
            .await?;
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(schema.read_version.as_str()))
            .fetch_optional(&mut *transaction)
            .await?;
        if found.is_some_and(|version| version >= SCHEMA_VERSION) {
            transaction.commit().await?;
            return Ok(found);
        }
        for statement in &schema.tables {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await?;
        }
        for added in &schema.added_columns {
            // The table name is a checked prefix (letters, digits, _) and
            // a fixed suffix: safe to quote into the statement.
            let present: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM pragma_table_info('{}') WHERE name = ?",
                added.table
            )))
            .bind(added.column)
            .fetch_one(&mut *transaction)
            .await?;
            if present == 0 {
                sqlx::query(AssertSqlSafe(format!(
                    "ALTER TABLE {} ADD COLUMN {} {}",
                    added.table, added.column, added.definition
                )))
                .execute(&mut *transaction)
                .await?;
            }
        }
        for statement in schema.upgrades.iter().chain(&schema.indexes) {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await?;
        }
        write_schema_version::<Sqlite>(&mut transaction, tables).await?;
        transaction.commit().await?;
        Ok(found)
    }

    fn is_missing_table(error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(error) if error.message().starts_with("no such table"))
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
