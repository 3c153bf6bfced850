//! PostgreSQL: claims are one `UPDATE … WHERE id IN (SELECT … FOR UPDATE
//! SKIP LOCKED) RETURNING …` statement; leases are measured on the
//! server's clock (`clock_timestamp()`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgQueryResult};
use sqlx::{AssertSqlSafe, Pool};
use tempora::jiff::Timestamp;
use tempora::store::url::{hide_secrets, redact};
use tempora::store::{ChangeFeed, ChangeSender};
use tempora::{Error, Result};

use crate::LeaseClock;
use crate::dialect::{
    AddedColumn, ClaimStyle, Dialect, DialectSql, ON_CONFLICT_REPLACE_JOB,
    ON_CONFLICT_REPLACE_NODE, ON_CONFLICT_REPLACE_RUN, Schema, Tables, nodes_table,
    previous_fire_time_column, standard_indexes,
};
use crate::options::SqlOptions;
use crate::store::SqlStore;

/// The PostgreSQL [`Dialect`]: see [`PostgresStore`].
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

/// Jobs in a PostgreSQL database, shared by any number of schedulers.
///
/// Created from a `postgres://` (or `postgresql://`) URL; the tables are
/// created in the connection's default schema. Claims take rows with
/// `FOR UPDATE SKIP LOCKED`, so schedulers claiming at once never wait for
/// each other nor claim the same job; leases are measured on the server's
/// clock ([`LeaseClock::Database`]) unless the options say otherwise.
///
/// ```no_run
/// use tempora::store::JobStore;
/// use tempora_sql::{PostgresStore, SqlOptions};
///
/// # async fn example() -> Result<(), tempora::Error> {
/// let store = PostgresStore::connect("postgres://tempora@db.internal/app", &SqlOptions::new()).await?;
/// assert_eq!(store.backend(), "postgres");
/// # Ok(())
/// # }
/// ```
pub type PostgresStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    type Db = sqlx::Postgres;
    const BACKEND: &'static str = "postgres";
    const NUMBERED_PARAMETERS: bool = true;
    const CLAIM: ClaimStyle = ClaimStyle::UpdateReturning;
    const ONE_WRITER: bool = false;
    const LEASE_CLOCK: LeaseClock = LeaseClock::Database;
    const MAX_KEY: Option<usize> = None;
    const BEGIN_WRITE: Option<&'static str> = None;

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs, .. } = tables;
        DialectSql {
            schema: Schema {
                tables: vec![
                    format!(
                        "CREATE TABLE IF NOT EXISTS {jobs} (
                        id TEXT COLLATE \"C\" PRIMARY KEY,
                        next_run_time BIGINT,
                        job TEXT NOT NULL,
                        owner TEXT,
                        lease_expires BIGINT,
                        unrestorable TEXT,
                        previous_fire_time BIGINT
                    )"
                    ),
                    format!(
                        "CREATE TABLE IF NOT EXISTS {runs} (
                        job_id TEXT COLLATE \"C\" NOT NULL,
                        scheduled_time BIGINT NOT NULL,
                        node TEXT COLLATE \"C\" NOT NULL,
                        fire_times BIGINT NOT NULL,
                        status TEXT NOT NULL,
                        started BIGINT,
                        finished BIGINT,
                        duration BIGINT,
                        error TEXT,
                        alive_until BIGINT,
                        exit_status BIGINT,
                        output TEXT,
                        first_scheduled_time BIGINT,
                        PRIMARY KEY (job_id, scheduled_time, node)
                    )"
                    ),
                    nodes_table(tables, "TEXT COLLATE \"C\"", "TEXT", "BIGINT"),
                ],
                added_columns: vec![
                    previous_fire_time_column(tables, "BIGINT"),
                    AddedColumn {
                        table: runs.clone(),
                        column: "exit_status",
                        definition: "BIGINT".to_owned(),
                    },
                    AddedColumn {
                        table: runs.clone(),
                        column: "output",
                        definition: "TEXT".to_owned(),
                    },
                    AddedColumn {
                        table: runs.clone(),
                        column: "first_scheduled_time",
                        definition: "BIGINT".to_owned(),
                    },
                ],
                indexes: standard_indexes(tables, "next_run_time")
                    .into_iter()
                    .chain(notify_trigger(tables))
                    .collect(),
                leftovers: vec![format!("DROP FUNCTION IF EXISTS {jobs}_notify()")],
            },
            replace_job: ON_CONFLICT_REPLACE_JOB.to_owned(),
            replace_run: ON_CONFLICT_REPLACE_RUN.to_owned(),
            replace_node: ON_CONFLICT_REPLACE_NODE.to_owned(),
            greatest: "GREATEST",
            lock_due: "FOR UPDATE SKIP LOCKED",
            lock_rows: "FOR UPDATE",
            clock: Some("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"),
        }
    }

    async fn connect(url: &str, options: &SqlOptions) -> Result<(Pool<sqlx::Postgres>, String)> {
        let shown = redact(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::invalid(
                "url",
                format!("{shown:?} is not a postgres:// URL"),
            ));
        }
        let connect = PgConnectOptions::from_str(url)
            .map_err(|error| {
                Error::invalid(
                    "url",
                    format!(
                        "{shown:?} is not a PostgreSQL URL: {}",
                        hide_secrets(url, &error.to_string())
                    ),
                )
            })?
            .application_name("tempora");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.unwrap_or(10))
            .acquire_timeout(options.connect_timeout)
            .connect_with(connect)
            .await
            .map_err(|error| {
                Error::store(
                    &shown,
                    "cannot connect to the database",
                    Some(Box::new(error)),
                )
            })?;
        Ok((pool, shown))
    }

    async fn migrate(
        pool: &Pool<sqlx::Postgres>,
        tables: &Tables,
        schema: &Schema,
    ) -> std::result::Result<(), sqlx::Error> {
        // One process creates the tables at a time: concurrent CREATE …
        // IF NOT EXISTS of one table can fail in PostgreSQL. DDL is
        // transactional: a failure leaves the tables as they were.
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("tempora:{}", tables.jobs))
            .execute(&mut *transaction)
            .await?;
        let added = schema.added_columns.iter().map(|added| {
            format!(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
                added.table, added.column, added.definition
            )
        });
        let statements = schema
            .tables
            .iter()
            .cloned()
            .chain(added)
            .chain(schema.indexes.iter().cloned());
        for statement in statements {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn watch(
        pool: &Pool<sqlx::Postgres>,
        tables: &Tables,
        location: &str,
    ) -> Result<Option<ChangeFeed>> {
        let channel = tables.jobs.clone();
        let mut listener = PgListener::connect_with(pool).await.map_err(|error| {
            Error::store(
                location,
                "cannot open a connection to listen on",
                Some(Box::new(error)),
            )
        })?;
        listener.listen(&channel).await.map_err(|error| {
            Error::store(
                location,
                format!("cannot LISTEN on {channel:?}"),
                Some(Box::new(error)),
            )
        })?;
        let (sender, feed) = ChangeFeed::channel();
        let location = location.to_owned();
        tokio::spawn(listen(listener, sender, location));
        Ok(Some(feed))
    }
}

/// The trigger that sends a notice on the jobs table's channel (its name)
/// with the new next run time (microseconds) when a job may run sooner than
/// before: added, resumed, or moved earlier (a run now, a change).
fn notify_trigger(tables: &Tables) -> Vec<String> {
    let jobs = &tables.jobs;
    vec![
        format!(
            "CREATE OR REPLACE FUNCTION {jobs}_notify() RETURNS trigger AS $$
             BEGIN
               IF NEW.next_run_time IS NOT NULL AND (TG_OP = 'INSERT'
                  OR OLD.next_run_time IS NULL OR NEW.next_run_time < OLD.next_run_time) THEN
                 PERFORM pg_notify('{jobs}', NEW.next_run_time::text);
               END IF;
               RETURN NULL;
             END $$ LANGUAGE plpgsql"
        ),
        format!("DROP TRIGGER IF EXISTS {jobs}_notify ON {jobs}"),
        format!(
            "CREATE TRIGGER {jobs}_notify AFTER INSERT OR UPDATE OF next_run_time ON {jobs}
             FOR EACH ROW EXECUTE FUNCTION {jobs}_notify()"
        ),
    ]
}

/// How often the listening task looks whether the scheduler still wants
/// its notices while none come.
const LISTENER_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Forwards the notices of `listener` to `sender` until the scheduler drops
/// its feed. A lost connection is opened again (sqlx's listener reconnects
/// on the next receive), with a notice that notices may have been lost.
async fn listen(mut listener: PgListener, sender: ChangeSender, location: String) {
    let mut backoff = std::time::Duration::from_millis(100);
    while !sender.is_closed() {
        let received = tokio::time::timeout(LISTENER_CHECK, listener.try_recv()).await;
        match received {
            Err(_) => {}
            Ok(Ok(Some(notice))) => {
                backoff = std::time::Duration::from_millis(100);
                let next = notice
                    .payload()
                    .parse::<i64>()
                    .ok()
                    .and_then(|micros| Timestamp::from_microsecond(micros).ok());
                sender.notify(next);
            }
            Ok(Ok(None)) => {
                tracing::warn!(store = %location, "the listening connection was lost; reconnecting");
                sender.notify(None);
            }
            Ok(Err(error)) => {
                tracing::warn!(
                    store = %location,
                    %error,
                    retry_in_ms = backoff.as_millis(),
                    "cannot listen for change notices; retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                sender.notify(None);
            }
        }
    }
}
