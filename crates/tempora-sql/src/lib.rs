//! SQL job stores for [Tempora](tempora), through sqlx: SQLite (the
//! embedded default), PostgreSQL, and MySQL or MariaDB. Jobs survive a
//! restart of the program, and several schedulers can share a server
//! database without running a fire time twice.
//!
//! ```
//! use tempora::job::{JobBuilder, JobDefaults};
//! use tempora::jiff::Timestamp;
//! use tempora::store::JobStore;
//! use tempora::trigger::IntervalTrigger;
//! use tempora_sql::SqlOptions;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! # let dir = std::env::temp_dir().join(format!("tempora-doc-lib-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("jobs.db");
//! # let path = path.to_string_lossy();
//! // A file path, sqlite://, postgres:// or mysql:// URL.
//! let store = tempora_sql::connect(&path, &SqlOptions::new()).await?;
//! let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
//! let trigger = IntervalTrigger::builder().minutes(5).start_date(start).timezone("UTC").build()?;
//! let job = JobBuilder::new("tick", trigger).id("tick").build_at(&JobDefaults::default(), start)?;
//! store.add_job(job, true).await?;
//!
//! // Another store on the same database (another process, after a
//! // restart) sees the same jobs.
//! let again = tempora_sql::connect(&path, &SqlOptions::new()).await?;
//! assert!(again.get_job("tick").await?.is_some());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Give the store to a scheduler with its `store` option, under the name
//! the jobs use (`"default"` unless they name another, and
//! [`SqlOptions::name`] says the same).
//!
//! # The databases
//!
//! | store | URL | claims | lease clock |
//! |---|---|---|---|
//! | [`SqliteStore`] | a file path, `sqlite://path`, `sqlite::memory:` | one `UPDATE … RETURNING` under SQLite's write lock | the caller's `now` (SQLite has no clock of its own) |
//! | [`PostgresStore`] | `postgres://user:password@host:5432/db` | one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …` | the server's `clock_timestamp()` |
//! | [`MySqlStore`] | `mysql://user:password@host:3306/db` (or `mariadb://`) | `SELECT … FOR UPDATE SKIP LOCKED`, then `UPDATE`, in one READ COMMITTED transaction | the server's `NOW(6)` |
//!
//! SQLite runs in WAL mode with `synchronous=NORMAL`: a change is durable
//! when its call returns and survives the process being killed (SIGKILL);
//! a power loss may lose the last changes, never the file's consistency.
//! Its store writes through one connection it holds (SQLite takes one
//! writer at a time anyway) and reads through a pool.
//!
//! Connecting to a server reads the settings that decide whether a commit
//! survives a crash — PostgreSQL's `fsync` and `synchronous_commit`,
//! MySQL's `innodb_flush_log_at_trx_commit` and `sync_binlog` — and logs a
//! warning, saying what to set, for each that gives durability up: a lost
//! commit can be a settled fire time, which then runs again. SQLite's
//! `synchronous` is set by the store on every connection.
//!
//! MySQL needs 8.0 or later, MariaDB 10.6 or later (for `SKIP LOCKED`).
//!
//! Leases are measured on the database server's clock where it has one
//! ([`LeaseClock::Database`]), so a scheduler whose host clock runs ahead
//! cannot take over a job another one still holds;
//! [`SqlOptions::lease_clock`] chooses the caller's `now` instead
//! ([`LeaseClock::Caller`]), for tests that drive a manual clock. Due
//! jobs are always those whose next run time is at or before the
//! scheduler's `now`.
//!
//! # What is stored
//!
//! Four tables, named after the prefix of [`SqlOptions::prefix`]
//! (`tempora_` unless given), created when the store connects:
//!
//! `{prefix}jobs`, one row per job:
//!
//! | column | holds |
//! |---|---|
//! | `id` | the job's id (primary key) |
//! | `next_run_time` | when it runs next, in microseconds since 1970-01-01 UTC, indexed; `NULL` while paused. It wins over the copy inside `job` |
//! | `job` | the job as JSON ([`StoredJob`](tempora::job::StoredJob)): format version, task name, arguments, trigger with its zone and DST policies, options |
//! | `owner` | the scheduler (node id) holding a claim on it, or `NULL` |
//! | `lease_expires` | until when the claim holds, in microseconds |
//! | `unrestorable` | why the `job` JSON cannot be read, once found; `NULL` otherwise |
//! | `previous_fire_time` | the latest fire time a scheduler took for it (ran, or recorded missed), in microseconds; `NULL` before the first. No scheduler takes a fire time at or before it ([`JobStore::settle`]) |
//!
//! `{prefix}runs`, the run history ([`tempora::history`]), one row per run,
//! keyed by (`job_id`, `scheduled_time`, `node`): `fire_times`, `status`
//! (`running`, `success`, `error`, `panic`, `timeout`, `missed`,
//! `interrupted`), `started`, `finished`, `duration` (microseconds),
//! `error`, `alive_until`, for a `command` run `exit_status` and
//! `output` (the tail of its output), and for a record of several missed
//! fire times `first_scheduled_time` (the first of them). While a run is
//! running, `alive_until` is by the lease clock: with the database's (the
//! default of PostgreSQL and MySQL) it is written as the database's now
//! plus the promise the node made, renewed the same way, and compared with
//! the database's now when dead nodes' runs are marked `interrupted` (a
//! conditional `UPDATE` that repeats the read's condition, so a renewal
//! committed meanwhile wins) and when runs in progress are counted.
//!
//! `{prefix}nodes`, one row per scheduler sharing the store
//! ([`NodeRecord`](tempora::store::NodeRecord)), what `tempora nodes`
//! lists: `id` (primary key), `host`, `pid`, `instance` (a token of the
//! process), `started`, `last_heartbeat` (microseconds, by the lease
//! clock) and `running` (runs in progress at the last heartbeat).
//!
//! `{prefix}schema` holds one row: the `version` of the tables' schema
//! ([`SCHEMA_VERSION`] for this release's).
//!
//! A fire time is settled in one transaction: the job's row is locked
//! (`SELECT … FOR UPDATE`; SQLite's `BEGIN IMMEDIATE`), the claim is
//! checked — still this node's, its lease alive by the database's clock,
//! `previous_fire_time` unchanged — and only then `previous_fire_time`
//! moves on, the run is recorded as running and the job is released, all
//! committed at once.
//!
//! Connecting reads the schema version. Tables of this release's version
//! are used as they are: connecting runs no DDL, writes nothing and takes
//! no lock beyond a read's, so a long reader (`pg_dump`) stalls nothing
//! and a read-only login can list jobs and history. Tables of an earlier
//! release (or of one that kept no version), or none, are created or
//! brought up to date once: a column added since is added where missing
//! (its value `NULL` in the rows already there), under a lock (PostgreSQL's
//! advisory lock, MySQL's `GET_LOCK`, SQLite's `BEGIN IMMEDIATE`) waited
//! for at most 10 s, as are the tables' own locks (PostgreSQL's
//! `lock_timeout`, MySQL's `lock_wait_timeout`), so processes starting at
//! once do not trip over each other and an upgrade never queues every
//! query behind it for long. Tables of a newer release are refused with a
//! store error naming the version found and this release's.
//!
//! An operator reads them with the database's own client:
//!
//! ```text
//! sqlite3 jobs.db "SELECT id, datetime(next_run_time / 1000000, 'unixepoch'), owner FROM tempora_jobs ORDER BY next_run_time"
//! psql -c "SELECT id, to_timestamp(next_run_time / 1e6), owner, job::jsonb -> 'trigger' FROM tempora_jobs ORDER BY next_run_time"
//! mysql -e "SELECT id, FROM_UNIXTIME(next_run_time / 1e6), owner FROM tempora_jobs ORDER BY next_run_time"
//! psql -c "SELECT job_id, to_timestamp(scheduled_time / 1e6), status, error FROM tempora_runs ORDER BY scheduled_time DESC LIMIT 20"
//! ```
//!
//! # Jobs that cannot be read
//!
//! A row whose JSON does not read (written by hand, by a newer release, or
//! damaged) is never deleted: it is skipped, logged at error level, marked
//! in its `unrestorable` column so that claims pass it by, and listed by
//! [`JobStore::unrestorable_jobs`].
//! Reading it with `get_job` is an error naming it. Writing the job again
//! (add with replace, update) clears the mark; so does a store connecting
//! (a newer release may read it) or listing the jobs once it reads again.
//!
//! # Errors
//!
//! Every failure is a [`tempora::Error`]: a URL or option that is refused
//! names the field (`url`, `prefix`, `id`) and the value; a database
//! failure is a store error ([`Error::is_store`](tempora::Error::is_store))
//! naming the URL without its password, with sqlx's error as its source.
//!
//! # Cargo features
//!
//! `sqlite`, `postgres` and `mysql` (all on by default) each bring one
//! database's driver; `tls` adds TLS (rustls) for the servers' connections
//! (`sslmode=require` in a PostgreSQL URL, `ssl-mode=REQUIRED` in a MySQL
//! one).

#![deny(missing_docs)]

pub mod dialect;
#[cfg(feature = "mysql")]
mod mysql;
mod options;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::sync::Arc;

use tempora::store::JobStore;
use tempora::{Error, Result};

pub use crate::dialect::SCHEMA_VERSION;
#[cfg(feature = "mysql")]
pub use crate::mysql::{MySql, MySqlStore};
pub use crate::options::SqlOptions;
#[cfg(feature = "postgres")]
pub use crate::postgres::{Postgres, PostgresStore};
#[cfg(feature = "sqlite")]
pub use crate::sqlite::{Sqlite, SqliteStore};
pub use crate::store::SqlStore;
/// Whose clock measures a lease (the choice every Tempora store offers).
pub use tempora::store::LeaseClock;

/// Connects to the database `url` names — a file path or `sqlite://` URL,
/// a `postgres://` URL, a `mysql://` or `mariadb://` URL — as
/// [`SqlStore::connect`] does, for a store chosen at run time (from a
/// config file, say). Give the result to a scheduler's `store` option.
///
/// # Errors
///
/// Field `url` when its scheme is none of these (or its database's cargo
/// feature is off); otherwise as [`SqlStore::connect`].
///
/// ```
/// use tempora_sql::SqlOptions;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let Err(error) = tempora_sql::connect("oracle://scott:tiger@db/orcl", &SqlOptions::new()).await else {
///     panic!("oracle:// is refused");
/// };
/// assert_eq!(error.field(), Some("url"));
/// assert_eq!(
///     error.to_string(),
///     "url: \"oracle://scott:***@db/orcl\" is not a SQLite file path or a sqlite://, postgres:// or mysql:// URL"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn connect(url: &str, options: &SqlOptions) -> Result<Arc<dyn JobStore>> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => {
            Ok(Arc::new(PostgresStore::connect(url, options).await?))
        }
        #[cfg(feature = "mysql")]
        Some("mysql" | "mariadb") => Ok(Arc::new(MySqlStore::connect(url, options).await?)),
        #[cfg(feature = "sqlite")]
        None | Some("sqlite") => Ok(Arc::new(SqliteStore::connect(url, options).await?)),
        _ => Err(Error::invalid(
            "url",
            format!(
                "{:?} is not a SQLite file path or a sqlite://, postgres:// or mysql:// URL",
                tempora::store::url::redact(url)
            ),
        )),
    }
}
