//! The store over any dialect: every statement the three databases share,
//! the claims, the releases and the run history.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::database::Database;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::Job;
use tempora::store::backend::{
    decode_job, duration_micros, encode_job, micros_ceil, micros_floor, unrestorable_error,
};
use tempora::store::{
    ChangeFeed, ChangeNotices, Claimed, JobStore, NodeRecord, NodeRegistry, Release, RunHistory,
    Settled, Settlement, UnrestorableJob,
};
use tempora::{Error, Result};

use crate::LeaseClock;
use crate::dialect::{ClaimStyle, Dialect, SCHEMA_VERSION, Schema, Tables, located_error};
use crate::options::SqlOptions;

/// How many ids one `UPDATE … WHERE id IN (…)` of a claim names.
const IDS_PER_STATEMENT: usize = 500;

/// How many times a claim is tried when the database reports a deadlock or
/// a serialization failure.
const CLAIM_ATTEMPTS: usize = 5;

/// How many run records one multi-row `INSERT` writes (12 parameters
/// each, well under every database's limit).
const RUNS_PER_STATEMENT: usize = 400;

/// The statuses of failures, as the history's `status` column holds them.
const FAILURES: &str = "'error', 'panic', 'timeout', 'missed', 'interrupted'";

/// A job store on a SQL database: [`SqliteStore`](crate::SqliteStore),
/// [`PostgresStore`](crate::PostgresStore) or
/// [`MySqlStore`](crate::MySqlStore).
///
/// It keeps two tables, `{prefix}jobs` and `{prefix}runs`, created (and
/// brought up to date) when the store connects; the
/// [crate docs](crate#what-is-stored) describe them. Clones share one
/// connection pool.
///
/// ```
/// use tempora::store::JobStore;
/// use tempora_sql::{SqlOptions, SqliteStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("tempora-doc-store-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("jobs.db");
/// let store = SqliteStore::connect(&path.to_string_lossy(), &SqlOptions::new().prefix("app_")).await?;
/// assert_eq!(store.backend(), "sqlite");
/// assert_eq!(store.tables(), ("app_jobs", "app_runs"));
/// assert!(store.list_jobs().await?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqlStore<D: Dialect> {
    inner: Arc<Inner<D>>,
}

struct Inner<D: Dialect> {
    pool: Pool<D::Db>,
    /// The connection every write goes through when the dialect wants one
    /// writer ([`Dialect::ONE_WRITER`]); `None` otherwise, and once closed.
    /// A connection of its own, outside the pool: dropping it needs no
    /// runtime.
    writer: Option<tokio::sync::Mutex<Option<<D::Db as Database>::Connection>>>,
    /// The database as messages show it: its URL without the password.
    location: String,
    /// The store name restored jobs carry.
    name: String,
    lease_clock: LeaseClock,
    tables: Tables,
    sql: Statements,
    /// How long a call waits for the database's answer before it gives
    /// up and closes its connection ([`SqlOptions::statement_timeout`]
    /// and a margin).
    call_timeout: std::time::Duration,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> SqlStore<D> {
        SqlStore {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<D: Dialect> fmt::Debug for SqlStore<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &D::BACKEND)
            .field("location", &self.inner.location)
            .field("jobs", &self.inner.tables.jobs)
            .field("runs", &self.inner.tables.runs)
            .field("lease_clock", &self.inner.lease_clock)
            .finish_non_exhaustive()
    }
}

type Sql = Arc<str>;

/// Every statement, built once per store with its table names and the
/// dialect's parameters.
struct Statements {
    insert_job: Sql,
    replace_job: Sql,
    update_job: Sql,
    remove_job: Sql,
    remove_all_jobs: Sql,
    get_job: Sql,
    list_jobs: Sql,
    all_jobs: Sql,
    mark: Sql,
    mark_claimed: Sql,
    clear_mark: Sql,
    clear_marks: Sql,
    any_marked: Sql,
    next_run_time: Sql,
    due: Sql,
    claim_returning: Sql,
    now: Option<Sql>,
    /// The database's clock as an expression, if it has one.
    clock: Option<&'static str>,
    lock_rows: &'static str,
    replace_run: String,
    heartbeat: Sql,
    node_of: Sql,
    list_nodes: Sql,
    remove_node: Sql,
    renew_runs: Sql,
    abandoned: Sql,
    abandoned_of_node: Sql,
    interrupt: Sql,
    /// The clock that measures running records' promises, as an
    /// expression: the database's under [`LeaseClock::Database`] where it
    /// has one; `None` for the caller's (a parameter).
    runs_clock: Option<&'static str>,
    prune_by_age: Sql,
    prune_by_count: Sql,
    drop_tables: Vec<Sql>,
    /// The columns of a run record, in the order `run_from_row` reads.
    run_columns: &'static str,
}

/// `sql` with `?` parameters numbered `$1, $2, …` when the dialect wants.
fn parameters<D: Dialect>(sql: &str) -> String {
    if !D::NUMBERED_PARAMETERS {
        return sql.to_owned();
    }
    let mut numbered = String::with_capacity(sql.len() + 16);
    let mut next = 0;
    for c in sql.chars() {
        if c == '?' {
            next += 1;
            numbered.push('$');
            numbered.push_str(&next.to_string());
        } else {
            numbered.push(c);
        }
    }
    numbered
}

impl Statements {
    fn new<D: Dialect>(tables: &Tables, lease_clock: LeaseClock) -> (Statements, Schema) {
        let dialect = D::sql(tables);
        let runs_clock = match lease_clock {
            LeaseClock::Database => dialect.clock,
            LeaseClock::Caller => None,
        };
        // A promise passed: at or before the store's now, or the caller's
        // (bound).
        let expired = format!("alive_until <= {}", runs_clock.unwrap_or("?"));
        let Tables {
            jobs,
            runs,
            nodes,
            schema,
        } = tables;
        let sql = |text: String| -> Sql { Arc::from(parameters::<D>(&text)) };
        let insert_job = format!("INSERT INTO {jobs} (id, next_run_time, job) VALUES (?, ?, ?)");
        let due = format!(
            "SELECT id FROM {jobs}
             WHERE next_run_time <= ? AND unrestorable IS NULL
               AND (owner IS NULL OR lease_expires <= ?)
             ORDER BY next_run_time, id LIMIT ? {lock}",
            lock = dialect.lock_due
        );
        let node_columns = "id, host, pid, instance, started, last_heartbeat, running";
        let run_columns = crate::dialect::RUN_COLUMNS;
        let statements = Statements {
            replace_job: sql(format!("{insert_job} {}", dialect.replace_job)),
            insert_job: sql(insert_job),
            update_job: sql(format!(
                "UPDATE {jobs} SET next_run_time = ?, job = ?, unrestorable = NULL WHERE id = ?"
            )),
            remove_job: sql(format!("DELETE FROM {jobs} WHERE id = ?")),
            remove_all_jobs: sql(format!("DELETE FROM {jobs}")),
            get_job: sql(format!(
                "SELECT job, next_run_time, previous_fire_time FROM {jobs} WHERE id = ?"
            )),
            list_jobs: sql(format!(
                "SELECT id, job, next_run_time, unrestorable, previous_fire_time FROM {jobs}
                 ORDER BY CASE WHEN next_run_time IS NULL THEN 1 ELSE 0 END, next_run_time, id"
            )),
            all_jobs: sql(format!("SELECT id, job FROM {jobs} ORDER BY id")),
            mark: sql(format!("UPDATE {jobs} SET unrestorable = ? WHERE id = ?")),
            mark_claimed: sql(format!(
                "UPDATE {jobs} SET unrestorable = ?, owner = NULL, lease_expires = NULL
                 WHERE id = ? AND owner = ?"
            )),
            clear_mark: sql(format!("UPDATE {jobs} SET unrestorable = NULL WHERE id = ?")),
            clear_marks: sql(format!(
                "UPDATE {jobs} SET unrestorable = NULL WHERE unrestorable IS NOT NULL"
            )),
            any_marked: sql(format!(
                "SELECT id FROM {jobs} WHERE unrestorable IS NOT NULL LIMIT 1"
            )),
            // The earliest free job through the index, and the claimed
            // ones (few) at the later of their run time and lease expiry.
            next_run_time: sql(format!(
                "SELECT MIN(t) FROM (
                   SELECT (SELECT next_run_time FROM {jobs}
                           WHERE next_run_time IS NOT NULL AND owner IS NULL AND unrestorable IS NULL
                           ORDER BY next_run_time LIMIT 1) AS t
                   UNION ALL
                   SELECT {greatest}(next_run_time, lease_expires) AS t FROM {jobs}
                   WHERE owner IS NOT NULL AND next_run_time IS NOT NULL AND unrestorable IS NULL
                 ) candidates",
                greatest = dialect.greatest
            )),
            claim_returning: sql(format!(
                "UPDATE {jobs} SET owner = ?, lease_expires = ? WHERE id IN ({due})
                 RETURNING id, job, next_run_time, previous_fire_time"
            )),
            due: sql(due.replacen(
                "SELECT id FROM",
                "SELECT id, job, next_run_time, previous_fire_time FROM",
                1,
            )),
            now: dialect.clock.map(|clock| sql(format!("SELECT {clock}"))),
            clock: dialect.clock,
            lock_rows: dialect.lock_rows,
            replace_run: dialect.replace_run.clone(),
            heartbeat: sql(format!(
                "INSERT INTO {nodes} (id, host, pid, instance, started, last_heartbeat, running)
                 VALUES (?, ?, ?, ?, ?, ?, ?) {}",
                dialect.replace_node
            )),
            node_of: sql(format!(
                "SELECT {node_columns} FROM {nodes} WHERE id = ? {}",
                dialect.lock_rows
            )),
            list_nodes: sql(format!("SELECT {node_columns} FROM {nodes} ORDER BY id")),
            remove_node: sql(format!("DELETE FROM {nodes} WHERE id = ? AND instance = ?")),
            // The promise as the caller made it, or (a duration) counted
            // from the database's now.
            renew_runs: sql(format!(
                "UPDATE {runs} SET alive_until = {promise} WHERE node = ? AND status = 'running'",
                promise = runs_clock.map_or("?".to_owned(), |clock| format!("{clock} + ?"))
            )),
            abandoned: sql(format!(
                "SELECT {run_columns} FROM {runs} WHERE status = 'running' AND {expired}"
            )),
            abandoned_of_node: sql(format!(
                "SELECT {run_columns} FROM {runs}
                 WHERE status = 'running' AND (node = ? OR {expired})"
            )),
            // The condition of the read again, so that a renewal committed
            // between the read and this write wins (the row's new promise
            // is what the database checks).
            interrupt: sql(format!(
                "UPDATE {runs} SET status = ?, finished = ?, duration = ?, error = ?, alive_until = NULL
                 WHERE job_id = ? AND scheduled_time = ? AND node = ? AND attempt = ?
                   AND status = 'running' AND (node = ? OR {expired})"
            )),
            runs_clock,
            prune_by_age: sql(format!(
                "DELETE FROM {runs} WHERE status <> 'running' AND scheduled_time < ?"
            )),
            prune_by_count: sql(format!(
                "DELETE FROM {runs} WHERE (job_id, scheduled_time, node, attempt) IN (
                   SELECT job_id, scheduled_time, node, attempt FROM (
                     SELECT job_id, scheduled_time, node, attempt,
                            ROW_NUMBER() OVER (
                              PARTITION BY job_id ORDER BY scheduled_time DESC, attempt DESC, node
                            ) AS n
                     FROM {runs} WHERE status <> 'running'
                   ) ranked WHERE n > ?
                 )"
            )),
            drop_tables: [
                format!("DROP TABLE IF EXISTS {jobs}"),
                format!("DROP TABLE IF EXISTS {runs}"),
                format!("DROP TABLE IF EXISTS {nodes}"),
                format!("DROP TABLE IF EXISTS {schema}"),
            ]
            .into_iter()
            .chain(dialect.schema.leftovers.iter().cloned())
            .map(sql)
            .collect(),
            run_columns,
        };
        (statements, dialect.schema)
    }
}

/// `records` with one record per key `(job_id, scheduled_time, node,
/// attempt)` —
/// the last of each, as if each were written in turn — in their order: one
/// statement may not touch a row twice (PostgreSQL refuses an `INSERT … ON
/// CONFLICT DO UPDATE` that would).
fn last_per_key(records: &[RunRecord]) -> Vec<&RunRecord> {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<&RunRecord> = records
        .iter()
        .rev()
        .filter(|record| {
            seen.insert((
                record.job_id.as_str(),
                micros_floor(record.scheduled_time),
                record.node.as_str(),
                record.attempt,
            ))
        })
        .collect();
    kept.reverse();
    kept
}

/// The promise a running record makes, in microseconds: its `alive_until`
/// after its `started` (after itself when it has none); `None` when it
/// makes none.
fn promise(record: &RunRecord) -> Option<i64> {
    let alive_until = micros_floor(record.alive_until?);
    Some(alive_until.saturating_sub(record.started.map_or(alive_until, micros_floor)))
}

/// A schema version as messages show it: `none` when there is none.
fn version_text(version: Option<i64>) -> String {
    version.map_or_else(|| "none".to_owned(), |version| version.to_string())
}

/// Runs `$call` (a future using a connection) under the store's call
/// timeout; gives `Some` of its output, or `None` when the database did not
/// answer in time, after `$abandon` (the connection is then closed rather
/// than handed back to the pool, where it would hang the next call).
macro_rules! bounded {
    ($store:expr, $abandon:expr, $call:expr) => {{
        let done = tokio::time::timeout($store.inner.call_timeout, $call).await;
        if done.is_err() {
            $abandon;
        }
        done.ok()
    }};
}

/// True for the errors after which a claim is worth trying again at once: a
/// deadlock, a serialization failure.
fn is_retryable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => {
            matches!(error.code().as_deref(), Some("40001" | "40P01"))
        }
        _ => false,
    }
}

impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> String: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<i64>: Encode<'q, D::Db>,
    for<'q> Option<String>: Encode<'q, D::Db>,
    usize: ColumnIndex<<D::Db as Database>::Row>,
{
    /// Connects to the database at `url` — for SQLite a file path or a
    /// `sqlite://` URL, for PostgreSQL a `postgres://` URL, for MySQL and
    /// MariaDB a `mysql://` URL — and reads the version of its tables'
    /// schema: when it is this release's ([`SCHEMA_VERSION`]), connecting
    /// writes nothing and takes no lock beyond a read's, so a read-only
    /// database user may connect; when it is behind (or there are no
    /// tables yet), creates or brings the tables up to date once, under a
    /// lock ([`Dialect::migrate`]).
    ///
    /// # Errors
    ///
    /// Field `url` when the URL is not one of this database's; field
    /// `prefix` or `max_connections` when an option is refused; a store
    /// error naming the URL (without its password) when the database
    /// cannot be reached, refuses the login, its tables cannot be created
    /// or brought up to date (a lock not granted within 10 s, say), or
    /// their schema version is newer than this release's.
    pub async fn connect(url: &str, options: &SqlOptions) -> Result<SqlStore<D>> {
        options.check()?;
        let (pool, location) = D::connect(url, options).await?;
        let tables = Tables::new(&options.store.prefix);
        let lease_clock = options.store.lease_clock_or(D::LEASE_CLOCK);
        let (sql, schema) = Statements::new::<D>(&tables, lease_clock);
        let found = Self::schema_version(&pool, &schema.read_version)
            .await
            .map_err(|error| {
                located_error(
                    &options.store.name,
                    &location,
                    format_args!("read the schema version in {}", tables.schema),
                    Some(Box::new(error)),
                )
            })?;
        let found = match found {
            Some(version) if version >= SCHEMA_VERSION => Some(version),
            _ => {
                let under_lock = D::migrate(&pool, &tables, &schema).await.map_err(|error| {
                    located_error(
                        &options.store.name,
                        &location,
                        format_args!(
                            "bring the tables {}, {} and {} up to schema version \
                             {SCHEMA_VERSION} (found {})",
                            tables.jobs,
                            tables.runs,
                            tables.nodes,
                            version_text(found)
                        ),
                        Some(Box::new(error)),
                    )
                })?;
                if under_lock.is_none_or(|version| version < SCHEMA_VERSION) {
                    tracing::info!(
                        store = %location,
                        from = %version_text(under_lock),
                        to = SCHEMA_VERSION,
                        "tables brought up to date"
                    );
                }
                under_lock
            }
        };
        if let Some(version) = found.filter(|version| *version > SCHEMA_VERSION) {
            return Err(located_error(
                &options.store.name,
                &location,
                format_args!(
                    "use the tables {}*: they have schema version {version}, newer than \
                     {SCHEMA_VERSION}, the version this release of tempora supports; \
                     upgrade tempora to use them",
                    options.store.prefix
                ),
                None,
            ));
        }
        D::check_durability(&pool, &location).await;
        let call_timeout = match D::session_statement_timeout(&pool).await {
            // None at all (the URL's statement_timeout=0): a day.
            Some(std::time::Duration::ZERO) => std::time::Duration::from_secs(86_400),
            Some(timeout) => options.clone().statement_timeout(timeout).call_timeout(),
            None => options.call_timeout(),
        };
        let writer = if D::ONE_WRITER {
            let connection = pool.acquire().await.map_err(|error| {
                located_error(
                    &options.store.name,
                    &location,
                    "open the database",
                    Some(Box::new(error)),
                )
            })?;
            Some(tokio::sync::Mutex::new(Some(connection.detach())))
        } else {
            None
        };
        let store = SqlStore {
            inner: Arc::new(Inner {
                pool,
                writer,
                location,
                name: options.store.name.clone(),
                lease_clock,
                tables,
                sql,
                call_timeout,
            }),
        };
        store.clear_marks().await?;
        Ok(store)
    }

    /// The schema version `read` finds, `None` when there is no version
    /// table or no row in it.
    async fn schema_version(
        pool: &Pool<D::Db>,
        read: &str,
    ) -> std::result::Result<Option<i64>, sqlx::Error> {
        match sqlx::query(AssertSqlSafe(read.to_owned()))
            .fetch_all(pool)
            .await
        {
            Ok(rows) => rows.first().map(|row| row.try_get::<i64, _>(0)).transpose(),
            Err(error) if D::is_missing_table(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Clears the marks of jobs set aside as unreadable by an earlier
    /// process, which this release may read. Only when there are some, so
    /// that connecting writes nothing otherwise; a user who may not write
    /// (a read-only login of `tempora jobs`) leaves them for the daemon.
    async fn clear_marks(&self) -> Result<()> {
        let sql = &self.inner.sql;
        let marked = self
            .fetch_all(&sql.any_marked, |q| q, "look for jobs set aside")
            .await?;
        if marked.is_empty() {
            return Ok(());
        }
        if let Err(error) = self
            .execute(&sql.clear_marks, |q| q, "clear the unrestorable marks")
            .await
        {
            tracing::warn!(
                store = %self.inner.location,
                %error,
                "the marks of unreadable jobs are kept: they are cleared by a store that may write"
            );
        }
        Ok(())
    }

    /// The names of the store's tables: (jobs, run history).
    pub fn tables(&self) -> (&str, &str) {
        (&self.inner.tables.jobs, &self.inner.tables.runs)
    }

    /// The database as messages show it: its URL without the password.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Drops the store's tables — jobs, history and node records — and
    /// what the schema made beside them (PostgreSQL's notify function): for
    /// tests, and for removing a store for good. The store is unusable
    /// afterwards.
    ///
    /// # Errors
    ///
    /// A store error when a table cannot be dropped.
    pub async fn drop_tables(&self) -> Result<()> {
        for statement in &self.inner.sql.drop_tables {
            self.execute(statement, |q| q, "drop the tables").await?;
        }
        Ok(())
    }

    /// Closes the connections, waiting for the calls in progress.
    pub async fn close(&self) {
        if let Some(writer) = &self.inner.writer
            && let Some(connection) = writer.lock().await.take()
        {
            let _ = sqlx::Connection::close(connection).await;
        }
        self.inner.pool.close().await;
    }

    /// Logs the failure of a write a listing makes on the way (a mark),
    /// which a read-only login cannot make: the listing goes on.
    fn best_effort(&self, written: Result<u64>) {
        if let Err(error) = written {
            tracing::warn!(store = %self.inner.location, %error, "a mark is left as it was");
        }
    }

    fn failed(&self, what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error + '_ {
        let what = what.into();
        move |error| self.error(what, Some(Box::new(error)))
    }

    /// A store error: `store "<name>": cannot <what> (<location>)`.
    fn error(
        &self,
        what: impl std::fmt::Display,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        located_error(&self.inner.name, &self.inner.location, what, source)
    }

    fn column<'r, T>(&self, row: &'r <D::Db as Database>::Row, index: usize) -> Result<T>
    where
        T: Decode<'r, D::Db> + Type<D::Db>,
    {
        row.try_get(index).map_err(|error| {
            self.error(
                format_args!("read column {index} of a row"),
                Some(Box::new(error)),
            )
        })
    }

    fn time_of(&self, value: i64) -> Result<Timestamp> {
        Timestamp::from_microsecond(value).map_err(|error| {
            self.error(
                format_args!("read the stored time {value}: it is out of range"),
                Some(Box::new(error)),
            )
        })
    }

    /// Refuses a key longer than the database keeps.
    fn check_key(&self, field: &str, value: &str) -> Result<()> {
        match D::MAX_KEY {
            Some(max) if value.chars().count() > max => Err(Error::invalid(
                field,
                format!(
                    "{:?}… is longer than {max} characters, the most the {} store keeps",
                    value.chars().take(40).collect::<String>(),
                    D::BACKEND
                ),
            )),
            _ => Ok(()),
        }
    }

    async fn execute<'q>(
        &self,
        statement: &Sql,
        bind: impl FnOnce(
            sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
        ) -> sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
        what: &str,
    ) -> Result<u64> {
        let query = bind(sqlx::query(AssertSqlSafe(Arc::clone(statement))));
        let done = self.write(query).await.map_err(self.failed(what))?;
        Ok(D::rows_affected(&done))
    }

    /// Runs a statement that writes: on the one writer connection when the
    /// dialect has one, else on a connection of the pool.
    async fn write<'q>(
        &self,
        query: sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
    ) -> std::result::Result<<D::Db as Database>::QueryResult, sqlx::Error> {
        let mut connection = self.write_connection().await?;
        let connection = &mut connection;
        match connection.get() {
            Ok(raw) => bounded!(self, connection.abandon(), query.execute(raw))
                .unwrap_or_else(|| Err(self.timed_out())),
            Err(error) => Err(error),
        }
    }

    /// Runs a statement that writes and returns rows (a claim), as
    /// [`write`](Self::write) does.
    async fn write_returning<'q>(
        &self,
        query: sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
    ) -> std::result::Result<Vec<<D::Db as Database>::Row>, sqlx::Error> {
        let mut connection = self.write_connection().await?;
        let connection = &mut connection;
        match connection.get() {
            Ok(raw) => bounded!(self, connection.abandon(), query.fetch_all(raw))
                .unwrap_or_else(|| Err(self.timed_out())),
            Err(error) => Err(error),
        }
    }

    async fn fetch_all<'q>(
        &self,
        statement: &Sql,
        bind: impl FnOnce(
            sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
        ) -> sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
        what: &str,
    ) -> Result<Vec<<D::Db as Database>::Row>> {
        self.fetch_query(
            bind(sqlx::query(AssertSqlSafe(Arc::clone(statement)))),
            what,
        )
        .await
    }

    /// The rows `query` reads, on a connection of the pool, under the
    /// call timeout.
    async fn fetch_query<'q>(
        &self,
        query: sqlx::query::Query<'q, D::Db, <D::Db as Database>::Arguments>,
        what: &str,
    ) -> Result<Vec<<D::Db as Database>::Row>> {
        let mut connection = self.inner.pool.acquire().await.map_err(self.failed(what))?;
        bounded!(
            self,
            connection.close_on_drop(),
            query.fetch_all(&mut *connection)
        )
        .unwrap_or_else(|| Err(self.timed_out()))
        .map_err(self.failed(what))
    }

    /// The error of a call the database did not answer in time.
    fn timed_out(&self) -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "no answer from the database within {} s; the connection is closed",
                self.inner.call_timeout.as_secs()
            ),
        ))
    }

    /// The job of a row, or why it cannot be read.
    fn restore(
        &self,
        id: &str,
        json: &str,
        next_run_time: Option<i64>,
        previous_fire_time: Option<i64>,
    ) -> std::result::Result<Job, String> {
        let mut stored = decode_job(id, json.as_bytes())?;
        let time = |field: &str, value: Option<i64>| {
            value
                .map(Timestamp::from_microsecond)
                .transpose()
                .map_err(|error| format!("{field}: {error}"))
        };
        stored.next_run_time = time("next_run_time", next_run_time)?;
        let previous = time("previous_fire_time", previous_fire_time)?;
        Ok(Job::from_stored(stored, &self.inner.name).with_previous_fire_time(previous))
    }

    fn serialize(&self, job: &Job) -> Result<String> {
        self.check_key("id", job.id())?;
        encode_job(&self.inner.name, job)
    }

    /// "Now" for leases, in microseconds: the database's clock or the
    /// caller's.
    async fn lease_now(&self, now: Timestamp) -> Result<i64> {
        match (&self.inner.sql.now, self.inner.lease_clock) {
            (Some(statement), LeaseClock::Database) => {
                let rows = self
                    .fetch_all(statement, |q| q, "read the database's clock")
                    .await?;
                match rows.first() {
                    Some(row) => self.column(row, 0),
                    None => Ok(micros_floor(now)),
                }
            }
            _ => Ok(micros_floor(now)),
        }
    }

    /// Claims due rows, giving (id, job, next run time) of each.
    async fn claim_rows(
        &self,
        now: i64,
        lease_now: i64,
        expires: i64,
        limit: i64,
        owner: &str,
    ) -> std::result::Result<Vec<<D::Db as Database>::Row>, sqlx::Error> {
        let sql = &self.inner.sql;
        match D::CLAIM {
            ClaimStyle::UpdateReturning => {
                let query = sqlx::query(AssertSqlSafe(Arc::clone(&sql.claim_returning)))
                    .bind(owner.to_owned())
                    .bind(expires)
                    .bind(now)
                    .bind(lease_now)
                    .bind(limit);
                self.write_returning(query).await
            }
            ClaimStyle::SelectThenUpdate => {
                let mut connection = self.inner.pool.acquire().await?;
                bounded!(
                    self,
                    connection.close_on_drop(),
                    self.claim_in_transaction(
                        &mut connection,
                        now,
                        lease_now,
                        expires,
                        limit,
                        owner
                    )
                )
                .unwrap_or_else(|| Err(self.timed_out()))
            }
        }
    }

    /// [`claim_rows`](Self::claim_rows) for [`ClaimStyle::SelectThenUpdate`]:
    /// the due rows locked, then claimed, in one transaction on
    /// `connection`.
    async fn claim_in_transaction(
        &self,
        connection: &mut <D::Db as Database>::Connection,
        now: i64,
        lease_now: i64,
        expires: i64,
        limit: i64,
        owner: &str,
    ) -> std::result::Result<Vec<<D::Db as Database>::Row>, sqlx::Error> {
        let sql = &self.inner.sql;
        let mut transaction = sqlx::Connection::begin(connection).await?;
        let rows = sqlx::query(AssertSqlSafe(Arc::clone(&sql.due)))
            .bind(now)
            .bind(lease_now)
            .bind(limit)
            .fetch_all(&mut *transaction)
            .await?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            ids.push(row.try_get::<String, _>(0)?);
        }
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let list = vec!["?"; chunk.len()].join(", ");
            let statement = parameters::<D>(&format!(
                "UPDATE {} SET owner = ?, lease_expires = ? WHERE id IN ({list})",
                self.inner.tables.jobs
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement))
                .bind(owner.to_owned())
                .bind(expires);
            for id in chunk {
                query = query.bind(id.clone());
            }
            query.execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(rows)
    }

    fn run_from_row(&self, row: &<D::Db as Database>::Row) -> Result<RunRecord> {
        let status: String = self.column(row, 4)?;
        let status = status
            .parse::<RunStatus>()
            .map_err(|error| self.error("read a run record's status", Some(Box::new(error))))?;
        let time = |index: usize| -> Result<Option<Timestamp>> {
            self.column::<Option<i64>>(row, index)?
                .map(|value| self.time_of(value))
                .transpose()
        };
        let fire_times: i64 = self.column(row, 3)?;
        Ok(RunRecord {
            job_id: self.column(row, 0)?,
            scheduled_time: self.time_of(self.column(row, 1)?)?,
            node: self.column(row, 2)?,
            fire_times: u32::try_from(fire_times).unwrap_or(u32::MAX),
            status,
            started: time(5)?,
            finished: time(6)?,
            duration: self
                .column::<Option<i64>>(row, 7)?
                .map(SignedDuration::from_micros),
            error: self.column(row, 8)?,
            exit_status: self
                .column::<Option<i64>>(row, 10)?
                .map(|status| i32::try_from(status).unwrap_or(i32::MIN)),
            output: self.column(row, 11)?,
            alive_until: time(9)?,
            first_scheduled_time: time(12)?,
            attempt: u32::try_from(self.column::<i64>(row, 13)?).unwrap_or(1),
        })
    }

    /// The connection writes go through: the one writer, or one of the
    /// pool.
    async fn write_connection(
        &self,
    ) -> std::result::Result<WriteConnection<'_, D::Db>, sqlx::Error> {
        match &self.inner.writer {
            Some(writer) => Ok(WriteConnection::Writer(writer.lock().await)),
            None => Ok(WriteConnection::Pooled(self.inner.pool.acquire().await?)),
        }
    }

    /// The heartbeat of `node` at `beat` in one transaction on
    /// `connection`: the record it replaces, if any.
    async fn heartbeat_on(
        &self,
        connection: &mut <D::Db as Database>::Connection,
        node: &NodeRecord,
        beat: i64,
        what: &str,
    ) -> Result<Option<NodeRecord>> {
        let sql = &self.inner.sql;
        let mut transaction = match D::BEGIN_WRITE {
            Some(begin) => sqlx::Connection::begin_with(connection, begin).await,
            None => sqlx::Connection::begin(connection).await,
        }
        .map_err(self.failed(what))?;
        let rows = sqlx::query(AssertSqlSafe(Arc::clone(&sql.node_of)))
            .bind(node.id.clone())
            .fetch_all(&mut *transaction)
            .await
            .map_err(self.failed(what))?;
        let previous = rows
            .first()
            .map(|row| self.node_from_row(row))
            .transpose()?;
        sqlx::query(AssertSqlSafe(Arc::clone(&sql.heartbeat)))
            .bind(node.id.clone())
            .bind(node.host.clone())
            .bind(i64::from(node.pid))
            .bind(node.instance.clone())
            .bind(micros_floor(node.started))
            .bind(beat)
            .bind(i64::from(node.running))
            .execute(&mut *transaction)
            .await
            .map_err(self.failed(what))?;
        transaction.commit().await.map_err(self.failed(what))?;
        Ok(previous)
    }

    /// Writes `records` on `connection`, a multi-row `INSERT` per chunk,
    /// replacing the records of the same keys.
    async fn insert_runs(
        &self,
        connection: &mut <D::Db as Database>::Connection,
        records: &[RunRecord],
    ) -> std::result::Result<(), sqlx::Error> {
        let sql = &self.inner.sql;
        // A running record's promise is kept on the database's clock where
        // it measures them: its now plus the promise the node made.
        let row = match sql.runs_clock {
            Some(clock) => format!("(?, ?, ?, ?, ?, ?, ?, ?, ?, {clock} + ?, ?, ?, ?, ?)"),
            None => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)".to_owned(),
        };
        let records = last_per_key(records);
        for chunk in records.chunks(RUNS_PER_STATEMENT) {
            let statement = parameters::<D>(&format!(
                "INSERT INTO {} ({}) VALUES {} {}",
                self.inner.tables.runs,
                sql.run_columns,
                vec![row.as_str(); chunk.len()].join(", "),
                sql.replace_run
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement));
            for record in chunk {
                let record = (*record).clone();
                let alive_until = match sql.runs_clock {
                    Some(_) => promise(&record),
                    None => record.alive_until.map(micros_floor),
                };
                query = query
                    .bind(record.job_id)
                    .bind(micros_floor(record.scheduled_time))
                    .bind(record.node)
                    .bind(i64::from(record.fire_times))
                    .bind(record.status.as_str().to_owned())
                    .bind(record.started.map(micros_floor))
                    .bind(record.finished.map(micros_floor))
                    .bind(record.duration.map(duration_micros))
                    .bind(storable_text(record.error))
                    .bind(alive_until)
                    .bind(record.exit_status.map(i64::from))
                    .bind(storable_text(record.output))
                    .bind(record.first_scheduled_time.map(micros_floor))
                    .bind(i64::from(record.attempt));
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }

    /// "Now" for leases as SQL: the database's clock, or a parameter for
    /// the caller's (bound first).
    fn lease_now_sql(&self) -> Option<&'static str> {
        match (self.inner.sql.clock, self.inner.lease_clock) {
            (Some(clock), LeaseClock::Database) => Some(clock),
            _ => None,
        }
    }

    /// [`JobStore::settle`] in one transaction on `connection`: locks the
    /// settled jobs' rows, decides each settlement on what they hold (and
    /// the database's clock), then writes the winners' fire times, releases
    /// and records, and drops the losers' leases.
    async fn settle_on(
        &self,
        connection: &mut <D::Db as Database>::Connection,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> std::result::Result<Vec<Settled>, sqlx::Error> {
        let sql = &self.inner.sql;
        let jobs = &self.inner.tables.jobs;
        let mut transaction = match D::BEGIN_WRITE {
            Some(begin) => sqlx::Connection::begin_with(connection, begin).await?,
            None => sqlx::Connection::begin(connection).await?,
        };
        let mut ids: Vec<&str> = settlements
            .iter()
            .map(|settlement| settlement.claimed.id())
            .collect();
        // One order for every node's locks: no deadlock between them.
        ids.sort_unstable();
        ids.dedup();
        let mut held: HashMap<String, HeldRow> = HashMap::with_capacity(ids.len());
        let mut lease_now = micros_floor(now);
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let statement = parameters::<D>(&format!(
                "SELECT id, owner, lease_expires, previous_fire_time, next_run_time, {now}
                 FROM {jobs} WHERE id IN ({list}) ORDER BY id {lock}",
                now = self.lease_now_sql().unwrap_or("?"),
                list = vec!["?"; chunk.len()].join(", "),
                lock = sql.lock_rows,
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement));
            if self.lease_now_sql().is_none() {
                query = query.bind(micros_floor(now));
            }
            for id in chunk {
                query = query.bind((*id).to_owned());
            }
            for row in query.fetch_all(&mut *transaction).await? {
                lease_now = row.try_get(5)?;
                held.insert(
                    row.try_get(0)?,
                    HeldRow {
                        owner: row.try_get(1)?,
                        lease_expires: row.try_get(2)?,
                        previous_fire_time: row.try_get(3)?,
                        next_run_time: row.try_get(4)?,
                    },
                );
            }
        }
        let mut outcomes = Vec::with_capacity(settlements.len());
        // (id, next run time, previous fire time) of the rows to write.
        let mut updates: Vec<(&str, Option<i64>, Option<i64>)> = Vec::new();
        let mut removals: Vec<&str> = Vec::new();
        let mut records: Vec<RunRecord> = Vec::new();
        for settlement in settlements {
            let claimed = &settlement.claimed;
            let Some(row) = held.get(claimed.id()) else {
                outcomes.push(Settled::Lost);
                continue;
            };
            let ours = row.owner.as_deref() == Some(owner);
            let live = ours && row.lease_expires.is_some_and(|expires| expires > lease_now);
            let untaken = row.previous_fire_time == claimed.previous_fire_time().map(micros_ceil);
            if !(live && untaken) {
                if ours {
                    updates.push((claimed.id(), row.next_run_time, row.previous_fire_time));
                }
                outcomes.push(Settled::Lost);
                continue;
            }
            let previous = settlement
                .takes_through
                .map(micros_ceil)
                .or(row.previous_fire_time);
            let unchanged = claimed.next_run_time().is_some()
                && row.next_run_time == claimed.next_run_time().map(micros_ceil);
            match settlement.release {
                Release::Remove if unchanged => removals.push(claimed.id()),
                Release::Reschedule(next) if unchanged => {
                    updates.push((claimed.id(), Some(micros_ceil(next)), previous));
                }
                // Changed meanwhile: the change wins; the fire times are
                // taken all the same.
                _ => updates.push((claimed.id(), row.next_run_time, previous)),
            }
            records.extend(settlement.records.iter().cloned());
            outcomes.push(Settled::Won);
        }
        for chunk in updates.chunks(IDS_PER_STATEMENT) {
            let cases = "WHEN ? THEN ? ".repeat(chunk.len());
            let statement = parameters::<D>(&format!(
                "UPDATE {jobs} SET next_run_time = CASE id {cases}END,
                   previous_fire_time = CASE id {cases}END,
                   owner = NULL, lease_expires = NULL
                 WHERE id IN ({list})",
                list = vec!["?"; chunk.len()].join(", "),
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement));
            for (id, next, _) in chunk {
                query = query.bind((*id).to_owned()).bind(*next);
            }
            for (id, _, previous) in chunk {
                query = query.bind((*id).to_owned()).bind(*previous);
            }
            for (id, _, _) in chunk {
                query = query.bind((*id).to_owned());
            }
            query.execute(&mut *transaction).await?;
        }
        for chunk in removals.chunks(IDS_PER_STATEMENT) {
            let statement = parameters::<D>(&format!(
                "DELETE FROM {jobs} WHERE id IN ({})",
                vec!["?"; chunk.len()].join(", ")
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement));
            for id in chunk {
                query = query.bind((*id).to_owned());
            }
            query.execute(&mut *transaction).await?;
        }
        self.insert_runs(&mut transaction, &records).await?;
        transaction.commit().await?;
        Ok(outcomes)
    }

    fn node_from_row(&self, row: &<D::Db as Database>::Row) -> Result<NodeRecord> {
        let pid: i64 = self.column(row, 2)?;
        let running: i64 = self.column(row, 6)?;
        Ok(NodeRecord {
            id: self.column(row, 0)?,
            host: self.column(row, 1)?,
            pid: u32::try_from(pid).unwrap_or(u32::MAX),
            instance: self.column(row, 3)?,
            started: self.time_of(self.column(row, 4)?)?,
            last_heartbeat: self.time_of(self.column(row, 5)?)?,
            running: u32::try_from(running).unwrap_or(u32::MAX),
        })
    }

    fn runs_from_rows(&self, rows: &[<D::Db as Database>::Row]) -> Vec<RunRecord> {
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            match self.run_from_row(row) {
                Ok(run) => runs.push(run),
                Err(error) => tracing::warn!(%error, "run record skipped: it cannot be read"),
            }
        }
        runs
    }
}

#[async_trait]
impl<D: Dialect> JobStore for SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> String: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<i64>: Encode<'q, D::Db>,
    for<'q> Option<String>: Encode<'q, D::Db>,
    usize: ColumnIndex<<D::Db as Database>::Row>,
{
    fn backend(&self) -> &'static str {
        D::BACKEND
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        Some(self)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        Some(self)
    }

    fn changes(&self) -> Option<&dyn ChangeNotices> {
        D::SENDS_NOTICES.then_some(self as &dyn ChangeNotices)
    }

    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        self.time_of(self.lease_now(now).await?)
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        let json = self.serialize(&job)?;
        let sql = &self.inner.sql;
        let statement = if replace_existing {
            &sql.replace_job
        } else {
            &sql.insert_job
        };
        let query = sqlx::query(AssertSqlSafe(Arc::clone(statement)))
            .bind(job.id().to_owned())
            .bind(job.next_run_time().map(micros_ceil))
            .bind(json);
        let outcome = self.write(query).await;
        match outcome {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(Error::job_exists(job.id()))
            }
            Err(error) => Err(self.failed(format!("add job {:?}", job.id()))(error)),
        }
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        let json = self.serialize(&job)?;
        let changed = self
            .execute(
                &self.inner.sql.update_job,
                |q| {
                    q.bind(job.next_run_time().map(micros_ceil))
                        .bind(json)
                        .bind(job.id().to_owned())
                },
                &format!("update job {:?}", job.id()),
            )
            .await?;
        if changed == 0 {
            return Err(Error::not_found("job", job.id()));
        }
        Ok(())
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        let removed = self
            .execute(
                &self.inner.sql.remove_job,
                |q| q.bind(id.to_owned()),
                &format!("remove job {id:?}"),
            )
            .await?;
        if removed == 0 {
            return Err(Error::not_found("job", id));
        }
        Ok(())
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        self.execute(&self.inner.sql.remove_all_jobs, |q| q, "remove the jobs")
            .await
            .map(drop)
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let rows = self
            .fetch_all(
                &self.inner.sql.get_job,
                |q| q.bind(id.to_owned()),
                &format!("read job {id:?}"),
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let json: String = self.column(row, 0)?;
        match self.restore(id, &json, self.column(row, 1)?, self.column(row, 2)?) {
            Ok(job) => Ok(Some(job)),
            Err(reason) => Err(unrestorable_error(&self.inner.name, id, &reason)),
        }
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        let sql = &self.inner.sql;
        let rows = self
            .fetch_all(&sql.list_jobs, |q| q, "list the jobs")
            .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = self.column(row, 0)?;
            let json: String = self.column(row, 1)?;
            let marked: Option<String> = self.column(row, 3)?;
            match self.restore(&id, &json, self.column(row, 2)?, self.column(row, 4)?) {
                Ok(job) => {
                    if marked.is_some() {
                        // Readable again (a newer release wrote it, or an
                        // operator fixed it): no longer set aside.
                        self.best_effort(
                            self.execute(&sql.clear_mark, |q| q.bind(id.clone()), "clear a mark")
                                .await,
                        );
                    }
                    jobs.push(job);
                }
                Err(reason) => {
                    tracing::error!(
                        store = %self.inner.location,
                        job = %id,
                        %reason,
                        "job skipped: it cannot be read; it is kept, and listed by unrestorable_jobs"
                    );
                    if marked.is_none() {
                        self.best_effort(
                            self.execute(
                                &sql.mark,
                                |q| q.bind(reason).bind(id.clone()),
                                "mark a job unrestorable",
                            )
                            .await,
                        );
                    }
                }
            }
        }
        Ok(jobs)
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        let rows = self
            .fetch_all(
                &self.inner.sql.next_run_time,
                |q| q,
                "read the next run time",
            )
            .await?;
        let earliest: Option<i64> = match rows.first() {
            Some(row) => self.column(row, 0)?,
            None => None,
        };
        earliest.map(|value| self.time_of(value)).transpose()
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.check_key("owner", owner)?;
        let lease_now = self.lease_now(now).await?;
        let expires = lease_now.saturating_add(duration_micros(lease));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut attempt = 1;
        let rows = loop {
            match self
                .claim_rows(micros_floor(now), lease_now, expires, limit, owner)
                .await
            {
                Ok(rows) => break rows,
                Err(error) if attempt < CLAIM_ATTEMPTS && is_retryable(&error) => {
                    tracing::debug!(%error, attempt, "claim tried again");
                    attempt += 1;
                }
                Err(error) => return Err(self.failed("claim due jobs")(error)),
            }
        };
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = self.column(row, 0)?;
            let json: String = self.column(row, 1)?;
            match self.restore(&id, &json, self.column(row, 2)?, self.column(row, 3)?) {
                Ok(job) => claimed.push(job),
                Err(reason) => {
                    tracing::error!(
                        store = %self.inner.location,
                        job = %id,
                        %reason,
                        "job set aside: it cannot be read; it is kept, and listed by unrestorable_jobs"
                    );
                    self.execute(
                        &self.inner.sql.mark_claimed,
                        |q| q.bind(reason).bind(id.clone()).bind(owner.to_owned()),
                        "set an unreadable job aside",
                    )
                    .await?;
                }
            }
        }
        claimed.sort_by(|a, b| {
            a.next_run_time()
                .cmp(&b.next_run_time())
                .then_with(|| a.id().cmp(b.id()))
        });
        Ok(claimed)
    }

    async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        let rows = self
            .fetch_all(&self.inner.sql.all_jobs, |q| q, "list the jobs")
            .await?;
        let mut unrestorable = Vec::new();
        for row in &rows {
            let id: String = self.column(row, 0)?;
            let json: String = self.column(row, 1)?;
            if let Err(reason) = decode_job(&id, json.as_bytes()) {
                unrestorable.push(UnrestorableJob { id, reason });
            }
        }
        Ok(unrestorable)
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> Result<Vec<Settled>> {
        if settlements.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 1;
        loop {
            let outcome = match self.write_connection().await {
                Ok(mut connection) => {
                    let connection = &mut connection;
                    match connection.get() {
                        Ok(raw) => bounded!(
                            self,
                            connection.abandon(),
                            self.settle_on(raw, owner, settlements, now)
                        )
                        .unwrap_or_else(|| Err(self.timed_out())),
                        Err(error) => Err(error),
                    }
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(outcomes) => return Ok(outcomes),
                Err(error) if attempt < CLAIM_ATTEMPTS && is_retryable(&error) => {
                    tracing::debug!(%error, attempt, "settlement tried again");
                    attempt += 1;
                }
                Err(error) => return Err(self.failed("settle the claimed jobs")(error)),
            }
        }
    }
}

#[async_trait]
impl<D: Dialect> RunHistory for SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> String: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<i64>: Encode<'q, D::Db>,
    for<'q> Option<String>: Encode<'q, D::Db>,
    usize: ColumnIndex<<D::Db as Database>::Row>,
{
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()> {
        for record in records {
            self.check_key("job_id", &record.job_id)?;
            self.check_key("node", &record.node)?;
        }
        let what = "record runs";
        let mut connection = self.write_connection().await.map_err(self.failed(what))?;
        let connection = &mut connection;
        let raw = connection.get().map_err(self.failed(what))?;
        bounded!(self, connection.abandon(), self.insert_runs(raw, records))
            .unwrap_or_else(|| Err(self.timed_out()))
            .map_err(self.failed(what))
    }

    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        let sql = &self.inner.sql;
        let mut statement = format!(
            "SELECT {} FROM {} WHERE 1 = 1",
            sql.run_columns, self.inner.tables.runs
        );
        if query.job_id.is_some() {
            statement.push_str(" AND job_id = ?");
        }
        if query.failed_only {
            statement.push_str(&format!(" AND status IN ({FAILURES})"));
        }
        statement.push_str(" ORDER BY scheduled_time DESC, job_id, attempt DESC, node");
        if query.limit.is_some() {
            statement.push_str(" LIMIT ?");
        }
        let mut select = sqlx::query(AssertSqlSafe(parameters::<D>(&statement)));
        if let Some(id) = &query.job_id {
            select = select.bind(id.clone());
        }
        if let Some(limit) = query.limit {
            select = select.bind(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let rows = self.fetch_query(select, "list the run history").await?;
        Ok(self.runs_from_rows(&rows))
    }

    async fn latest_runs(&self, job_ids: &[&str]) -> Result<HashMap<String, RunRecord>> {
        let mut latest = HashMap::new();
        let ids: Vec<&str> = {
            let mut seen = std::collections::HashSet::new();
            job_ids
                .iter()
                .copied()
                .filter(|id| seen.insert(*id))
                .collect()
        };
        // Each job's records ranked in the order of list_runs, through
        // the primary key (job_id first); the first of each kept.
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let statement = parameters::<D>(&format!(
                "SELECT {columns} FROM (
                   SELECT {columns}, ROW_NUMBER() OVER (
                     PARTITION BY job_id ORDER BY scheduled_time DESC, attempt DESC, node
                   ) AS n
                   FROM {runs} WHERE job_id IN ({ids})
                 ) ranked WHERE n = 1",
                columns = self.inner.sql.run_columns,
                runs = self.inner.tables.runs,
                ids = vec!["?"; chunk.len()].join(", ")
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement));
            for id in chunk {
                query = query.bind((*id).to_owned());
            }
            let rows = self
                .fetch_query(query, "read the latest runs of the jobs")
                .await?;
            for run in self.runs_from_rows(&rows) {
                latest.insert(run.job_id.clone(), run);
            }
        }
        Ok(latest)
    }

    async fn renew_runs(&self, node: &str, now: Timestamp, alive_until: Timestamp) -> Result<u64> {
        let promise = match self.inner.sql.runs_clock {
            Some(_) => micros_floor(alive_until).saturating_sub(micros_floor(now)),
            None => micros_floor(alive_until),
        };
        self.execute(
            &self.inner.sql.renew_runs,
            |q| q.bind(promise).bind(node.to_owned()),
            "renew the running runs",
        )
        .await
    }

    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>> {
        let sql = &self.inner.sql;
        let what = "find the runs left running";
        // The caller's now, where it measures the promises.
        let caller_now = sql.runs_clock.is_none().then(|| micros_floor(now));
        let rows = match node {
            Some(node) => {
                self.fetch_all(
                    &sql.abandoned_of_node,
                    |q| {
                        let q = q.bind(node.to_owned());
                        match caller_now {
                            Some(now) => q.bind(now),
                            None => q,
                        }
                    },
                    what,
                )
                .await?
            }
            None => {
                self.fetch_all(
                    &sql.abandoned,
                    |q| match caller_now {
                        Some(now) => q.bind(now),
                        None => q,
                    },
                    what,
                )
                .await?
            }
        };
        let mut interrupted = Vec::new();
        for run in self.runs_from_rows(&rows) {
            let run = run.interrupted(now);
            let changed = self
                .execute(
                    &sql.interrupt,
                    |q| {
                        let q = q
                            .bind(run.status.as_str().to_owned())
                            .bind(run.finished.map(micros_floor))
                            .bind(run.duration.map(duration_micros))
                            .bind(storable_text(run.error.clone()))
                            .bind(run.job_id.clone())
                            .bind(micros_floor(run.scheduled_time))
                            .bind(run.node.clone())
                            .bind(i64::from(run.attempt))
                            .bind(node.map(str::to_owned));
                        match caller_now {
                            Some(now) => q.bind(now),
                            None => q,
                        }
                    },
                    "mark a run interrupted",
                )
                .await?;
            // Zero when it finished or was renewed meanwhile: its own
            // record stands.
            if changed > 0 {
                interrupted.push(run);
            }
        }
        Ok(interrupted)
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64> {
        let sql = &self.inner.sql;
        let mut removed = 0;
        if let Some(cutoff) = retention.cutoff(now) {
            removed += self
                .execute(
                    &sql.prune_by_age,
                    |q| q.bind(micros_floor(cutoff)),
                    "prune the run history",
                )
                .await?;
        }
        if let Some(keep) = retention.per_job {
            removed += self
                .execute(
                    &sql.prune_by_count,
                    |q| q.bind(i64::try_from(keep).unwrap_or(i64::MAX)),
                    "prune the run history",
                )
                .await?;
        }
        Ok(removed)
    }

    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, u32>> {
        let mut counts = HashMap::new();
        for chunk in job_ids.chunks(IDS_PER_STATEMENT) {
            let statement = parameters::<D>(&format!(
                "SELECT job_id, COUNT(*) FROM {} WHERE status = 'running' AND node <> ?
                   AND alive_until > {} AND job_id IN ({}) GROUP BY job_id",
                self.inner.tables.runs,
                self.inner.sql.runs_clock.unwrap_or("?"),
                vec!["?"; chunk.len()].join(", ")
            ));
            let mut query = sqlx::query(AssertSqlSafe(statement)).bind(except_node.to_owned());
            if self.inner.sql.runs_clock.is_none() {
                query = query.bind(micros_floor(now));
            }
            for id in chunk {
                query = query.bind((*id).to_owned());
            }
            let rows = query
                .fetch_all(&self.inner.pool)
                .await
                .map_err(self.failed("count the runs in progress"))?;
            for row in &rows {
                let count: i64 = self.column(row, 1)?;
                counts.insert(
                    self.column(row, 0)?,
                    u32::try_from(count).unwrap_or(u32::MAX),
                );
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl<D: Dialect> NodeRegistry for SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> String: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<i64>: Encode<'q, D::Db>,
    for<'q> Option<String>: Encode<'q, D::Db>,
    usize: ColumnIndex<<D::Db as Database>::Row>,
{
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>> {
        self.check_key("node", &node.id)?;
        let what = format!("write the record of node {:?}", node.id);
        let beat = self.lease_now(node.last_heartbeat).await?;
        let mut connection = self.write_connection().await.map_err(self.failed(&what))?;
        let connection = &mut connection;
        let raw = connection.get().map_err(self.failed(&what))?;
        bounded!(
            self,
            connection.abandon(),
            self.heartbeat_on(raw, node, beat, &what)
        )
        .unwrap_or_else(|| Err(self.failed(&what)(self.timed_out())))
    }

    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)> {
        let rows = self
            .fetch_all(&self.inner.sql.list_nodes, |q| q, "list the nodes")
            .await?;
        let nodes = rows
            .iter()
            .map(|row| self.node_from_row(row))
            .collect::<Result<Vec<_>>>()?;
        let store_now = self.time_of(self.lease_now(now).await?)?;
        Ok((nodes, store_now))
    }

    async fn remove_node(&self, id: &str, instance: &str) -> Result<()> {
        self.execute(
            &self.inner.sql.remove_node,
            |q| q.bind(id.to_owned()).bind(instance.to_owned()),
            &format!("remove the record of node {id:?}"),
        )
        .await
        .map(drop)
    }
}

#[async_trait]
impl<D: Dialect> ChangeNotices for SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> String: Encode<'q, D::Db> + Decode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<i64>: Encode<'q, D::Db>,
    for<'q> Option<String>: Encode<'q, D::Db>,
    usize: ColumnIndex<<D::Db as Database>::Row>,
{
    async fn watch(&self) -> Result<ChangeFeed> {
        D::watch(
            &self.inner.pool,
            &self.inner.tables,
            &self.inner.name,
            &self.inner.location,
        )
        .await?
        .ok_or_else(|| self.error("listen to the database's change notices", None))
    }
}

/// What a settled job's row held when its settlement locked it.
struct HeldRow {
    owner: Option<String>,
    lease_expires: Option<i64>,
    previous_fire_time: Option<i64>,
    next_run_time: Option<i64>,
}

/// The connection a store writes through: its one writer (SQLite), held
/// for the write, or one of its pool.
enum WriteConnection<'a, DB: Database> {
    Writer(tokio::sync::MutexGuard<'a, Option<DB::Connection>>),
    Pooled(sqlx::pool::PoolConnection<DB>),
}

impl<DB: Database> WriteConnection<'_, DB> {
    /// Closes a pooled connection when it is dropped, instead of handing
    /// it back to the pool: a call on it did not end in time. The one
    /// writer (SQLite's, on a local file) is kept.
    fn abandon(&mut self) {
        if let WriteConnection::Pooled(connection) = self {
            connection.close_on_drop();
        }
    }

    fn get(&mut self) -> std::result::Result<&mut DB::Connection, sqlx::Error> {
        match self {
            WriteConnection::Writer(writer) => writer.as_mut().ok_or(sqlx::Error::PoolClosed),
            WriteConnection::Pooled(connection) => Ok(&mut **connection),
        }
    }
}

/// `text` as every SQL backend stores it: a NUL character (which a
/// PostgreSQL `TEXT` column refuses, and which a program's output may hold)
/// becomes U+FFFD, so that the three backends keep the same text.
fn storable_text(text: Option<String>) -> Option<String> {
    text.map(|text| {
        if text.contains('\0') {
            text.replace('\0', "\u{FFFD}")
        } else {
            text
        }
    })
}
