//! PostgreSQL: claims are one `UPDATE … WHERE id IN (SELECT … FOR UPDATE
//! SKIP LOCKED) RETURNING …` statement; leases are measured on the
//! server's clock (`clock_timestamp()`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};
use sqlx::{AssertSqlSafe, Pool};
use tempora::{Error, Result};

use crate::dialect::{ClaimStyle, Dialect, DialectSql, Tables};
use crate::options::{LeaseClock, SqlOptions};
use crate::store::SqlStore;
use crate::url::redact;

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
    const LEASE_CLOCK: LeaseClock = LeaseClock::Database;
    const MAX_KEY: Option<usize> = None;

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs } = tables;
        DialectSql {
            schema: vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {jobs} (
                        id TEXT COLLATE \"C\" PRIMARY KEY,
                        next_run_time BIGINT,
                        job TEXT NOT NULL,
                        owner TEXT,
                        lease_expires BIGINT,
                        unrestorable TEXT
                    )"
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS {jobs}_next_run_time ON {jobs} (next_run_time, id)"
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS {jobs}_owner ON {jobs} (owner) WHERE owner IS NOT NULL"
                ),
                format!(
                    "CREATE INDEX IF NOT EXISTS {jobs}_unrestorable ON {jobs} (id)
                     WHERE unrestorable IS NOT NULL"
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
            greatest: "GREATEST",
            lock_due: "FOR UPDATE SKIP LOCKED",
            now: Some("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"),
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
                Error::invalid("url", format!("{shown:?} is not a PostgreSQL URL: {error}"))
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
        schema: &[String],
    ) -> std::result::Result<(), sqlx::Error> {
        // One process creates the tables at a time: concurrent CREATE …
        // IF NOT EXISTS of one table can fail in PostgreSQL.
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("tempora:{}", tables.jobs))
            .execute(&mut *transaction)
            .await?;
        for statement in schema {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}
