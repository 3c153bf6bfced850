//! PostgreSQL: claims are one `UPDATE … WHERE id IN (SELECT … FOR UPDATE
//! SKIP LOCKED) RETURNING …` statement; leases are measured on the
//! server's clock (`clock_timestamp()`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgQueryResult};
use sqlx::{AssertSqlSafe, Pool};
use tempora::jiff::Timestamp;
use tempora::store::url::{hide_secrets, redact};
use tempora::store::{ChangeFeed, ChangeSender};
use tempora::{Error, Result};

use crate::LeaseClock;
use crate::dialect::{
    ClaimStyle, Dialect, DialectSql, MIGRATION_LOCK_TIMEOUT, ON_CONFLICT_REPLACE_JOB,
    ON_CONFLICT_REPLACE_NODE, ON_CONFLICT_REPLACE_RUN, SCHEMA_VERSION, Schema, Tables,
    later_run_columns, located_error, nodes_table, open_pool, previous_fire_time_column, private,
    read_version, runs_table, schema_table, standard_indexes, write_schema_version,
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

impl private::Sealed for Postgres {}

impl Dialect for Postgres {
    type Db = sqlx::Postgres;
    const BACKEND: &'static str = "postgres";
    const NUMBERED_PARAMETERS: bool = true;
    const CLAIM: ClaimStyle = ClaimStyle::UpdateReturning;
    const ONE_WRITER: bool = false;
    const LEASE_CLOCK: LeaseClock = LeaseClock::Database;
    const MAX_KEY: Option<usize> = None;
    const BEGIN_WRITE: Option<&'static str> = None;
    const SENDS_NOTICES: bool = true;

    fn sql(tables: &Tables) -> DialectSql {
        let Tables { jobs, runs, .. } = tables;
        DialectSql {
            schema: Schema {
                version_table: schema_table(tables, "BIGINT"),
                read_version: read_version(tables),
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
                    runs_table(tables, "TEXT COLLATE \"C\"", "BIGINT"),
                    nodes_table(tables, "TEXT COLLATE \"C\"", "TEXT", "BIGINT"),
                ],
                added_columns: [previous_fire_time_column(tables, "BIGINT")]
                    .into_iter()
                    .chain(later_run_columns(tables, "TEXT", "BIGINT"))
                    .collect(),
                // Version 2: the run history's key gains the attempt.
                upgrades: vec![format!(
                    "ALTER TABLE {runs} DROP CONSTRAINT IF EXISTS {runs}_pkey,
                     ADD PRIMARY KEY (job_id, scheduled_time, node, attempt)"
                )],
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
        let url = &without_sslpassword(url);
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
        // Each session bounds its statements, and its transactions left
        // idle (a client that vanished holding row locks), unless the
        // URL's `options` set the statement timeout.
        let statement_timeout = options.statement_timeout.as_millis();
        let url_sets_timeout = connect
            .get_options()
            .is_some_and(|set| set.contains("statement_timeout"));
        let mut settings = vec![format!(
            "SET idle_in_transaction_session_timeout = {}",
            statement_timeout.saturating_mul(2)
        )];
        if !url_sets_timeout {
            settings.push(format!("SET statement_timeout = {statement_timeout}"));
        }
        let pool = open_pool(connect, settings, options, &shown).await?;
        Ok((pool, shown))
    }

    async fn migrate(
        pool: &Pool<sqlx::Postgres>,
        tables: &Tables,
        schema: &Schema,
    ) -> std::result::Result<Option<i64>, sqlx::Error> {
        // DDL is transactional: a failure leaves the tables as they were.
        let mut transaction = pool.begin().await?;
        // Waits for another process's migration, or for a table's lock
        // (pg_dump holds ACCESS SHARE on every table), a bounded time; an
        // index on a long history may take longer than a statement may.
        sqlx::query(AssertSqlSafe(format!(
            "SET LOCAL lock_timeout = '{}ms'",
            MIGRATION_LOCK_TIMEOUT.as_millis()
        )))
        .execute(&mut *transaction)
        .await?;
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *transaction)
            .await?;
        // One process migrates at a time: concurrent CREATE … IF NOT
        // EXISTS of one table can fail in PostgreSQL.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("tempora:{}", tables.jobs))
            .execute(&mut *transaction)
            .await?;
        sqlx::query(AssertSqlSafe(schema.version_table.clone()))
            .execute(&mut *transaction)
            .await?;
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(schema.read_version.clone()))
            .fetch_optional(&mut *transaction)
            .await?;
        if found.is_some_and(|version| version >= SCHEMA_VERSION) {
            transaction.commit().await?;
            return Ok(found);
        }
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
            .chain(schema.upgrades.iter().cloned())
            .chain(schema.indexes.iter().cloned());
        for statement in statements {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *transaction)
                .await?;
        }
        write_schema_version::<Postgres>(&mut transaction, tables).await?;
        transaction.commit().await?;
        Ok(found)
    }

    async fn check_durability(pool: &Pool<sqlx::Postgres>, location: &str) {
        let settings: std::result::Result<(String, String), sqlx::Error> = sqlx::query_as(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit')",
        )
        .fetch_one(pool)
        .await;
        let (fsync, synchronous_commit) = match settings {
            Ok(settings) => settings,
            Err(error) => {
                tracing::debug!(store = %location, %error, "cannot read fsync and synchronous_commit; not checked");
                return;
            }
        };
        if fsync == "off" {
            tracing::warn!(
                store = %location,
                "the server runs with fsync = off: a crash of its machine can lose committed \
                 jobs, claims and run records, or corrupt the database; set fsync = on"
            );
        }
        if synchronous_commit == "off" {
            tracing::warn!(
                store = %location,
                "the server runs with synchronous_commit = off: a crash of the server can lose \
                 its last commits (a settled fire time may then run again); set \
                 synchronous_commit = on (or remote_apply with a synchronous standby)"
            );
        }
    }

    async fn session_statement_timeout(pool: &Pool<sqlx::Postgres>) -> Option<Duration> {
        // In milliseconds whatever unit set it; 0 for none.
        let millis: i64 = sqlx::query_scalar(
            "SELECT CAST(setting AS BIGINT) FROM pg_settings WHERE name = 'statement_timeout'",
        )
        .fetch_one(pool)
        .await
        .ok()?;
        Some(Duration::from_millis(u64::try_from(millis).unwrap_or(0)))
    }

    fn is_missing_table(error: &sqlx::Error) -> bool {
        // undefined_table
        matches!(error, sqlx::Error::Database(error) if error.code().as_deref() == Some("42P01"))
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn watch(
        pool: &Pool<sqlx::Postgres>,
        tables: &Tables,
        name: &str,
        location: &str,
    ) -> Result<Option<ChangeFeed>> {
        let channel = tables.jobs.clone();
        let mut listener = PgListener::connect_with(pool).await.map_err(|error| {
            located_error(
                name,
                location,
                "open a connection to listen on",
                Some(Box::new(error)),
            )
        })?;
        listener.listen(&channel).await.map_err(|error| {
            located_error(
                name,
                location,
                format_args!("LISTEN on {channel:?}"),
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

/// `url` without its `sslpassword` query parameter (the password of an
/// encrypted client key), which the driver does not support: it would
/// ignore it and log its value. It is dropped with a warning that names
/// the parameter only.
fn without_sslpassword(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (dropped, kept): (Vec<&str>, Vec<&str>) = query.split('&').partition(|param| {
        param
            .split_once('=')
            .is_some_and(|(key, _)| key.eq_ignore_ascii_case("sslpassword"))
    });
    if dropped.is_empty() {
        return url.to_owned();
    }
    tracing::warn!(
        "sslpassword: not supported by the PostgreSQL driver and ignored; give a client key (sslkey) that is not encrypted"
    );
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod url_tests {
    use super::without_sslpassword;

    #[test]
    fn the_client_key_password_is_not_given_to_the_driver() {
        assert_eq!(
            without_sslpassword("postgres://h/db?sslmode=require&sslpassword=s&application_name=x"),
            "postgres://h/db?sslmode=require&application_name=x"
        );
        assert_eq!(
            without_sslpassword("postgres://h/db?sslpassword=s"),
            "postgres://h/db"
        );
        assert_eq!(without_sslpassword("postgres://h/db"), "postgres://h/db");
    }
}
