//! MySQL and MariaDB: claims are `SELECT … FOR UPDATE SKIP LOCKED` then
//! `UPDATE … WHERE id IN (…)` in one transaction (READ COMMITTED, so no gap
//! locks); leases are measured on the server's clock (`NOW(6)`, the
//! session in UTC).

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlQueryResult};
use sqlx::{AssertSqlSafe, Pool};
use tempora::store::url::{hide_secrets, redact};
use tempora::{Error, Result};

use crate::LeaseClock;
use crate::dialect::{
    ClaimStyle, Dialect, DialectSql, MIGRATION_LOCK_TIMEOUT, SCHEMA_VERSION, Schema, Tables,
    later_run_columns, nodes_table, open_pool, previous_fire_time_column, private, read_version,
    write_schema_version,
};
use crate::options::SqlOptions;
use crate::store::SqlStore;

/// The MySQL and MariaDB [`Dialect`]: see [`MySqlStore`].
#[derive(Debug, Clone, Copy)]
pub struct MySql;

/// Jobs in a MySQL (8.0 or later) or MariaDB (10.6 or later) database,
/// shared by any number of schedulers.
///
/// Created from a `mysql://` (or `mariadb://`) URL. Ids, owners and nodes
/// are `VARCHAR(255)` with a binary collation: case and accents matter,
/// and an id longer than 255 characters is refused (field `id`). Leases are
/// measured on the server's clock ([`LeaseClock::Database`]) unless the
/// options say otherwise.
///
/// ```no_run
/// use tempora::store::JobStore;
/// use tempora_sql::{MySqlStore, SqlOptions};
///
/// # async fn example() -> Result<(), tempora::Error> {
/// let store = MySqlStore::connect("mysql://tempora@db.internal/app", &SqlOptions::new()).await?;
/// assert_eq!(store.backend(), "mysql");
/// # Ok(())
/// # }
/// ```
pub type MySqlStore = SqlStore<MySql>;

/// The longest id, owner or node: the `VARCHAR` length of the key columns.
const MAX_KEY: usize = 255;

impl private::Sealed for MySql {}

impl Dialect for MySql {
    type Db = sqlx::MySql;
    const BACKEND: &'static str = "mysql";
    const NUMBERED_PARAMETERS: bool = false;
    const CLAIM: ClaimStyle = ClaimStyle::SelectThenUpdate;
    const ONE_WRITER: bool = false;
    const LEASE_CLOCK: LeaseClock = LeaseClock::Database;
    const MAX_KEY: Option<usize> = Some(MAX_KEY);
    const BEGIN_WRITE: Option<&'static str> = None;

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs, .. } = tables;
        let key = format!("VARCHAR({MAX_KEY}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        let text = "MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
        DialectSql {
            schema: Schema {
                version_table: format!(
                    "{} ENGINE = InnoDB",
                    crate::dialect::schema_table(tables, "BIGINT")
                ),
                read_version: read_version(tables),
                tables: vec![
                    format!(
                        "CREATE TABLE IF NOT EXISTS {jobs} (
                        id {key} NOT NULL,
                        next_run_time BIGINT NULL,
                        job LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
                        owner {key} NULL,
                        lease_expires BIGINT NULL,
                        unrestorable TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
                        previous_fire_time BIGINT NULL,
                        PRIMARY KEY (id),
                        KEY {jobs}_next_run_time (next_run_time),
                        KEY {jobs}_owner (owner),
                        KEY {jobs}_unrestorable (unrestorable(1))
                    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin"
                    ),
                    format!(
                        "CREATE TABLE IF NOT EXISTS {runs} (
                        job_id {key} NOT NULL,
                        scheduled_time BIGINT NOT NULL,
                        node {key} NOT NULL,
                        fire_times BIGINT NOT NULL,
                        status VARCHAR(16) CHARACTER SET ascii NOT NULL,
                        started BIGINT NULL,
                        finished BIGINT NULL,
                        duration BIGINT NULL,
                        error {text} NULL,
                        alive_until BIGINT NULL,
                        exit_status BIGINT NULL,
                        output {text} NULL,
                        first_scheduled_time BIGINT NULL,
                        attempt BIGINT NOT NULL DEFAULT 1,
                        PRIMARY KEY (job_id, scheduled_time, node, attempt),
                        KEY {runs}_scheduled_time (scheduled_time),
                        KEY {runs}_status (status)
                    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin"
                    ),
                    format!(
                        "{} ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
                        nodes_table(tables, &key, text, "BIGINT")
                    ),
                ],
                added_columns: [previous_fire_time_column(tables, "BIGINT NULL")]
                    .into_iter()
                    .chain(later_run_columns(
                        tables,
                        &format!("{text} NULL"),
                        "BIGINT NULL",
                    ))
                    .collect(),
                // Version 2: the run history's key gains the attempt.
                upgrades: vec![format!(
                    "ALTER TABLE {runs} DROP PRIMARY KEY,
                     ADD PRIMARY KEY (job_id, scheduled_time, node, attempt)"
                )],
                indexes: Vec::new(),
                leftovers: Vec::new(),
            },
            replace_job: "ON DUPLICATE KEY UPDATE next_run_time = VALUES(next_run_time),
                job = VALUES(job), owner = NULL, lease_expires = NULL, unrestorable = NULL,
                previous_fire_time = NULL"
                .to_owned(),
            replace_run: "ON DUPLICATE KEY UPDATE fire_times = VALUES(fire_times),
                status = VALUES(status), started = VALUES(started), finished = VALUES(finished),
                duration = VALUES(duration), error = VALUES(error),
                alive_until = VALUES(alive_until), exit_status = VALUES(exit_status),
                output = VALUES(output), first_scheduled_time = VALUES(first_scheduled_time)"
                .to_owned(),
            replace_node: "ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid),
                instance = VALUES(instance), started = VALUES(started),
                last_heartbeat = VALUES(last_heartbeat), running = VALUES(running)"
                .to_owned(),
            greatest: "GREATEST",
            lock_due: "FOR UPDATE SKIP LOCKED",
            lock_rows: "FOR UPDATE",
            clock: Some("CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)"),
        }
    }

    async fn connect(url: &str, options: &SqlOptions) -> Result<(Pool<sqlx::MySql>, String)> {
        let shown = redact(url);
        let url = if let Some(rest) = url.strip_prefix("mariadb://") {
            format!("mysql://{rest}")
        } else if url.starts_with("mysql://") {
            url.to_owned()
        } else {
            return Err(Error::invalid(
                "url",
                format!("{shown:?} is not a mysql:// or mariadb:// URL"),
            ));
        };
        let connect = MySqlConnectOptions::from_str(&url)
            .map_err(|error| {
                Error::invalid(
                    "url",
                    format!(
                        "{shown:?} is not a MySQL URL: {}",
                        hide_secrets(&url, &error.to_string())
                    ),
                )
            })?
            // Times are stored as microseconds since the epoch; the session
            // in UTC makes NOW(6) convert without a DST fold.
            .timezone(Some("+00:00".to_owned()));
        // Lock waits end at the statement timeout, in seconds (row locks:
        // innodb_lock_wait_timeout; metadata locks: lock_wait_timeout).
        let lock_wait = options.statement_timeout.as_secs().max(1);
        let settings = vec![
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".to_owned(),
            format!(
                "SET SESSION innodb_lock_wait_timeout = {lock_wait}, \
                 lock_wait_timeout = {lock_wait}"
            ),
        ];
        let pool = open_pool(connect, settings, options, &shown).await?;
        Ok((pool, shown))
    }

    async fn migrate(
        pool: &Pool<sqlx::MySql>,
        tables: &Tables,
        schema: &Schema,
    ) -> std::result::Result<Option<i64>, sqlx::Error> {
        // DDL commits at once in MySQL: a named lock keeps two processes
        // from migrating at the same time. The connection is closed
        // afterwards, with its session's settings and lock.
        let mut connection = pool.acquire().await?;
        let wait = MIGRATION_LOCK_TIMEOUT.as_secs();
        // An ALTER TABLE waits this long for a table's metadata lock.
        sqlx::query(AssertSqlSafe(format!(
            "SET SESSION lock_wait_timeout = {wait}"
        )))
        .execute(&mut *connection)
        .await?;
        let lock = format!("tempora:{}", tables.jobs);
        let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(&lock)
            .bind(i64::try_from(wait).unwrap_or(i64::MAX))
            .fetch_one(&mut *connection)
            .await?;
        if locked != Some(1) {
            connection.close_on_drop();
            return Err(sqlx::Error::Protocol(format!(
                "the schema lock {lock:?} was not granted within {wait} s: another process \
                 is bringing the tables up to date"
            )));
        }
        let outcome = Self::run_schema(&mut connection, tables, schema).await;
        let released = sqlx::query("SELECT RELEASE_LOCK(?)")
            .bind(&lock)
            .execute(&mut *connection)
            .await;
        connection.close_on_drop();
        let found = outcome?;
        released?;
        Ok(found)
    }

    async fn check_durability(pool: &Pool<sqlx::MySql>, location: &str) {
        let settings: std::result::Result<(i64, i64, i64), sqlx::Error> = sqlx::query_as(
            "SELECT CAST(@@innodb_flush_log_at_trx_commit AS SIGNED), \
             CAST(@@sync_binlog AS SIGNED), CAST(@@log_bin AS SIGNED)",
        )
        .fetch_one(pool)
        .await;
        let (flush, sync_binlog, log_bin) = match settings {
            Ok(settings) => settings,
            Err(error) => {
                tracing::debug!(store = %location, %error, "cannot read innodb_flush_log_at_trx_commit and sync_binlog; not checked");
                return;
            }
        };
        if flush != 1 {
            tracing::warn!(
                store = %location,
                innodb_flush_log_at_trx_commit = flush,
                "the server does not flush its log at each commit: a crash can lose about a \
                 second of committed jobs, claims and run records (a settled fire time may \
                 then run again); set innodb_flush_log_at_trx_commit = 1"
            );
        }
        if log_bin == 1 && sync_binlog != 1 {
            tracing::warn!(
                store = %location,
                sync_binlog,
                "the server does not sync its binary log at each commit: after a crash, replicas \
                 may hold commits the primary lost, or miss ones it kept; set sync_binlog = 1"
            );
        }
    }

    fn is_missing_table(error: &sqlx::Error) -> bool {
        // ER_NO_SUCH_TABLE, SQLSTATE 42S02
        matches!(error, sqlx::Error::Database(error) if error.code().as_deref() == Some("42S02"))
    }

    fn rows_affected(result: &MySqlQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl MySql {
    /// The schema version found on `connection` (holding the schema
    /// lock), and when it is behind, the statements of `schema`, in order,
    /// then the version written; columns are added only where missing, as
    /// MySQL has no `ADD COLUMN IF NOT EXISTS` (MariaDB has).
    async fn run_schema(
        connection: &mut sqlx::MySqlConnection,
        tables: &Tables,
        schema: &Schema,
    ) -> std::result::Result<Option<i64>, sqlx::Error> {
        sqlx::query(AssertSqlSafe(schema.version_table.as_str()))
            .execute(&mut *connection)
            .await?;
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(schema.read_version.as_str()))
            .fetch_optional(&mut *connection)
            .await?;
        if found.is_some_and(|version| version >= SCHEMA_VERSION) {
            return Ok(found);
        }
        for statement in &schema.tables {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *connection)
                .await?;
        }
        for added in &schema.added_columns {
            let present: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.COLUMNS
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
            )
            .bind(&added.table)
            .bind(added.column)
            .fetch_one(&mut *connection)
            .await?;
            if present == 0 {
                sqlx::query(AssertSqlSafe(format!(
                    "ALTER TABLE {} ADD COLUMN {} {}",
                    added.table, added.column, added.definition
                )))
                .execute(&mut *connection)
                .await?;
            }
        }
        for statement in schema.upgrades.iter().chain(&schema.indexes) {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *connection)
                .await?;
        }
        write_schema_version::<MySql>(connection, tables).await?;
        Ok(found)
    }
}
