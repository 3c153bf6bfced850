//! The SQLite job store: one table, jobs as JSON, the next run time as an
//! indexed integer column, claims in `BEGIN IMMEDIATE` transactions.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use tempora::job::{Job, StoredJob};
use tempora::store::{Claimed, JobStore, Release};
use tempora::{Error, Result};

/// The owner written on a row whose job cannot be read, so that it is kept
/// and set aside instead of being claimed again and again.
const UNRESTORABLE: &str = "unrestorable";

/// How long a row that could not be read is set aside before it is tried
/// again (a newer release of the program may read it).
const SET_ASIDE: SignedDuration = SignedDuration::from_hours(1);

/// Jobs in a SQLite database file, the embedded default of the `tempora`
/// daemon.
///
/// The table `{prefix}jobs` holds one row per job: `id`, `next_run_time`
/// (UTC microseconds, indexed; `NULL` while paused), `job` (the
/// [`StoredJob`] JSON, readable with `sqlite3`), and the claim: `owner`,
/// `lease_expires`. The database runs in WAL mode with
/// `synchronous=NORMAL`: a job is durable when the call returns, and
/// survives the process being killed.
///
/// ```
/// use tempora::store::JobStore;
/// use tempora_sql::SqliteStore;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("tempora-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = SqliteStore::open(dir.join("jobs.db").to_str().unwrap(), "").await?;
/// assert_eq!(store.backend(), "sqlite");
/// assert!(store.list_jobs().await?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    name: String,
    table: String,
}

fn micros(time: Timestamp) -> i64 {
    time.as_microsecond()
}

fn from_micros(value: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(value).map_err(|error| {
        Error::store(
            "sqlite",
            format!("a stored time {value} is out of range"),
            Some(Box::new(error)),
        )
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `location` — a file path
    /// or a `sqlite://` URL — with its table named `{prefix}jobs`.
    ///
    /// # Errors
    ///
    /// Field `prefix` when it is not letters, digits and `_`; a store error
    /// naming the location when the database cannot be opened or its table
    /// created.
    pub async fn open(location: &str, prefix: &str) -> Result<SqliteStore> {
        if !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::invalid(
                "prefix",
                format!("{prefix:?} may hold only letters, digits and _"),
            ));
        }
        let url = if location.starts_with("sqlite:") {
            location.to_owned()
        } else {
            format!("sqlite://{location}")
        };
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|error| {
                Error::store(
                    location,
                    format!("{location:?} is not a SQLite file path or sqlite:// URL"),
                    Some(Box::new(error)),
                )
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|error| {
                Error::store(location, "cannot open the database", Some(Box::new(error)))
            })?;
        let store = SqliteStore {
            pool,
            name: location.to_owned(),
            table: format!("{prefix}jobs"),
        };
        store.migrate().await?;
        Ok(store)
    }

    fn failed(&self, what: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
        let what = what.to_owned();
        move |error| Error::store(&self.name, what, Some(Box::new(error)))
    }

    fn sql(&self, template: &str) -> AssertSqlSafe<String> {
        // The table name is checked to be letters, digits and `_`.
        AssertSqlSafe(template.replace("{table}", &self.table))
    }

    async fn migrate(&self) -> Result<()> {
        for statement in [
            "CREATE TABLE IF NOT EXISTS {table} (
                id TEXT PRIMARY KEY NOT NULL,
                next_run_time INTEGER,
                job TEXT NOT NULL,
                owner TEXT,
                lease_expires INTEGER
            )",
            "CREATE INDEX IF NOT EXISTS {table}_next_run_time ON {table} (next_run_time)",
        ] {
            sqlx::query(self.sql(statement))
                .execute(&self.pool)
                .await
                .map_err(self.failed("cannot create the jobs table"))?;
        }
        Ok(())
    }

    /// The job of a row, its next run time taken from the indexed column.
    fn restore(&self, id: &str, json: &str, next_run_time: Option<i64>) -> Result<Job> {
        let mut stored: StoredJob = serde_json::from_str(json).map_err(|error| {
            Error::store(
                &self.name,
                format!("job {id:?} cannot be read; it is kept and set aside"),
                Some(Box::new(error)),
            )
        })?;
        stored.next_run_time = next_run_time.map(from_micros).transpose()?;
        Ok(Job::from_stored(stored, "default"))
    }

    /// The ids of the rows whose job cannot be read: kept, never run, never
    /// deleted, until a program that can read them restores them.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn unrestorable_jobs(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(self.sql("SELECT id, job FROM {table} ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(self.failed("cannot list the jobs"))?;
        Ok(rows
            .iter()
            .filter(|row| serde_json::from_str::<StoredJob>(row.get::<&str, _>(1)).is_err())
            .map(|row| row.get::<String, _>(0))
            .collect())
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        let stored = job.to_stored()?;
        let json = serde_json::to_string(&stored).map_err(|error| {
            Error::store(&self.name, "cannot serialize a job", Some(Box::new(error)))
        })?;
        let next = job.next_run_time().map(micros);
        let statement = if replace_existing {
            "INSERT INTO {table} (id, next_run_time, job) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET next_run_time = excluded.next_run_time, job = excluded.job"
        } else {
            "INSERT INTO {table} (id, next_run_time, job) VALUES (?, ?, ?)"
        };
        let outcome = sqlx::query(self.sql(statement))
            .bind(job.id())
            .bind(next)
            .bind(json)
            .execute(&self.pool)
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(Error::job_exists(job.id()))
            }
            Err(error) => Err(self.failed("cannot add a job")(error)),
        }
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        let stored = job.to_stored()?;
        let json = serde_json::to_string(&stored).map_err(|error| {
            Error::store(&self.name, "cannot serialize a job", Some(Box::new(error)))
        })?;
        let done =
            sqlx::query(self.sql("UPDATE {table} SET next_run_time = ?, job = ? WHERE id = ?"))
                .bind(job.next_run_time().map(micros))
                .bind(json)
                .bind(job.id())
                .execute(&self.pool)
                .await
                .map_err(self.failed("cannot update a job"))?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("job", job.id()));
        }
        Ok(())
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        let done = sqlx::query(self.sql("DELETE FROM {table} WHERE id = ?"))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.failed("cannot remove a job"))?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("job", id));
        }
        Ok(())
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        sqlx::query(self.sql("DELETE FROM {table}"))
            .execute(&self.pool)
            .await
            .map_err(self.failed("cannot remove the jobs"))?;
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let row = sqlx::query(self.sql("SELECT job, next_run_time FROM {table} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.failed("cannot read a job"))?;
        row.map(|row| self.restore(id, row.get(0), row.get(1)))
            .transpose()
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        let rows = sqlx::query(self.sql(
            "SELECT id, job, next_run_time FROM {table}
             ORDER BY next_run_time IS NULL, next_run_time, id",
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(self.failed("cannot list the jobs"))?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: &str = row.get(0);
            match self.restore(id, row.get(1), row.get(2)) {
                Ok(job) => jobs.push(job),
                Err(error) => tracing::error!(job = %id, %error, "job skipped: it cannot be read"),
            }
        }
        Ok(jobs)
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        let earliest: Option<i64> = sqlx::query_scalar(self.sql(
            "SELECT MIN(CASE WHEN owner IS NULL THEN next_run_time
                             ELSE MAX(next_run_time, lease_expires) END)
             FROM {table} WHERE next_run_time IS NOT NULL",
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(self.failed("cannot read the next run time"))?;
        earliest.map(from_micros).transpose()
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>> {
        let expires = now.saturating_add(lease).unwrap_or(now);
        // Most wake-ups find nothing due: look before taking the write lock.
        let any_due: Option<i64> = sqlx::query_scalar(self.sql(
            "SELECT 1 FROM {table}
             WHERE next_run_time <= ? AND (owner IS NULL OR lease_expires <= ?) LIMIT 1",
        ))
        .bind(micros(now))
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(self.failed("cannot find due jobs"))?;
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        let mut transaction = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.failed("cannot begin a claim"))?;
        let rows = sqlx::query(self.sql(
            "SELECT id, job, next_run_time FROM {table}
             WHERE next_run_time <= ? AND (owner IS NULL OR lease_expires <= ?)
             ORDER BY next_run_time LIMIT ?",
        ))
        .bind(micros(now))
        .bind(micros(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *transaction)
        .await
        .map_err(self.failed("cannot find due jobs"))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: &str = row.get(0);
            let (owner, until) = match self.restore(id, row.get(1), row.get(2)) {
                Ok(job) => {
                    claimed.push(job);
                    (owner, expires)
                }
                Err(error) => {
                    tracing::error!(job = %id, %error, "job set aside: it cannot be read");
                    (UNRESTORABLE, now.saturating_add(SET_ASIDE).unwrap_or(now))
                }
            };
            sqlx::query(self.sql("UPDATE {table} SET owner = ?, lease_expires = ? WHERE id = ?"))
                .bind(owner)
                .bind(micros(until))
                .bind(id)
                .execute(&mut *transaction)
                .await
                .map_err(self.failed("cannot claim a job"))?;
        }
        transaction
            .commit()
            .await
            .map_err(self.failed("cannot commit a claim"))?;
        Ok(claimed)
    }

    async fn release(&self, owner: &str, claimed: &Claimed, release: Release) -> Result<()> {
        let expected = claimed.next_run_time().map(micros);
        let applied =
            match release {
                Release::Reschedule(next) => {
                    sqlx::query(self.sql(
                        "UPDATE {table} SET next_run_time = ?, owner = NULL, lease_expires = NULL
                 WHERE id = ? AND owner = ? AND next_run_time IS ?",
                    ))
                    .bind(micros(next))
                    .bind(claimed.id())
                    .bind(owner)
                    .bind(expected)
                    .execute(&self.pool)
                    .await
                }
                Release::Remove => {
                    sqlx::query(self.sql(
                        "DELETE FROM {table} WHERE id = ? AND owner = ? AND next_run_time IS ?",
                    ))
                    .bind(claimed.id())
                    .bind(owner)
                    .bind(expected)
                    .execute(&self.pool)
                    .await
                }
            }
            .map_err(self.failed("cannot release a job"))?;
        if applied.rows_affected() == 0 {
            // Changed meanwhile (the change wins) or no longer ours: only
            // drop the claim.
            sqlx::query(self.sql(
                "UPDATE {table} SET owner = NULL, lease_expires = NULL WHERE id = ? AND owner = ?",
            ))
            .bind(claimed.id())
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(self.failed("cannot release a job"))?;
        }
        Ok(())
    }
}
