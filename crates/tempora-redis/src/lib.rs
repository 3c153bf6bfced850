//! A Redis job store for [Tempora](tempora): jobs survive a restart of the
//! program, and several schedulers can share them without running a fire
//! time twice.
//!
//! ```no_run
//! use tempora::job::{JobBuilder, JobDefaults};
//! use tempora::jiff::Timestamp;
//! use tempora::store::JobStore;
//! use tempora::trigger::IntervalTrigger;
//! use tempora_redis::RedisStore;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::builder("redis://127.0.0.1:6379/0")
//!     .prefix("myapp:")
//!     .connect()
//!     .await?;
//! let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
//! let trigger = IntervalTrigger::builder().minutes(5).start_date(start).timezone("UTC").build()?;
//! let job = JobBuilder::new("tick", trigger).id("tick").build_at(&JobDefaults::default(), start)?;
//! store.add_job(job, true).await?;
//! // A new store on the same server and prefix (another process, after a
//! // restart) sees the same jobs.
//! let again = RedisStore::builder("redis://127.0.0.1:6379/0").prefix("myapp:").connect().await?;
//! assert!(again.get_job("tick").await?.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! Give the store to a scheduler with its `store` option, under the name
//! the jobs use (`"default"` unless they name another).
//!
//! # What is stored
//!
//! These keys, each starting with the store's prefix (`tempora:` unless
//! given), and one pub/sub channel:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{prefix}jobs` | hash | job id → the job as JSON ([`StoredJob`](tempora::job::StoredJob), with its format version) |
//! | `{prefix}run_times` | sorted set | job id, scored by its next run time in microseconds since the Unix epoch (UTC); paused jobs are not in it |
//! | `{prefix}leases` | hash | job id → `owner\|expiry`: who claimed the job and until when (microseconds) |
//! | `{prefix}unrestorable` | hash | job id → why its JSON cannot be read |
//! | `{prefix}previous` | hash | job id → its previous fire time ([`Job::previous_fire_time`]) in RFC 3339, exact to the nanosecond; jobs that have taken none are not in it |
//! | `{prefix}nodes` | hash | node id → the node's record ([`NodeRecord`](tempora::store::NodeRecord)) as JSON, `last_heartbeat` in microseconds |
//! | `{prefix}changes` | pub/sub channel | a job's new next run time (microseconds), each time one becomes earlier |
//!
//! The previous fire time is kept beside the job, not in its JSON: it is
//! the store's, and [`JobStore::update_job`] keeps it; adding (or
//! replacing) a job clears it, and removing the job removes it.
//!
//! An operator reads them with `redis-cli`:
//!
//! ```text
//! redis-cli HGET tempora:jobs my-job
//! redis-cli ZRANGE tempora:run_times 0 9 WITHSCORES
//! redis-cli HGETALL tempora:leases
//! redis-cli HGETALL tempora:previous
//! redis-cli HGETALL tempora:nodes
//! redis-cli SUBSCRIBE tempora:changes
//! ```
//!
//! # Claims and leases
//!
//! [`JobStore::acquire_due`] and the release of a job that
//! [`JobStore::settle`] makes are Lua scripts, so each runs atomically on
//! the server: two schedulers never claim the same job under live leases,
//! and a release never overwrites a change made to
//! the job meanwhile (a pause, a new next run time). Due jobs are those
//! whose next run time, rounded up to the microsecond, is at or before the
//! caller's `now`, rounded down: a job is never claimed early.
//!
//! By default a lease is measured on the Redis server's clock (its `TIME`
//! command), not the scheduler's: a scheduler whose host clock runs ahead
//! cannot take over a job another one still holds. [`LeaseClock::Caller`]
//! measures leases on the `now` the scheduler passes instead, for tests
//! that drive a manual clock.
//!
//! [`JobStore::settle`] is one script call per batch: for each settlement,
//! atomically, it checks that the owner still holds the job under a live
//! lease (by the same clock) and that the job's previous fire time is the
//! one the owner acquired it with, then sets the previous fire time,
//! writes the settlement's run records and releases the job as
//! [`JobStore::release`] does; otherwise it drops the owner's lease, if
//! any, and writes nothing. When the job was changed through the API while
//! claimed, the won settlement finishes its release with the release
//! script afterwards (the change wins if it moved the next run time).
//!
//! # Change notices
//!
//! The scripts that add, update or release a job `PUBLISH` on
//! `{prefix}changes` the job's next run time, in microseconds, when it
//! became earlier (or the job is new, or was paused). [`ChangeNotices::watch`]
//! subscribes on a connection of its own and feeds the notices to the
//! scheduler, which then re-reads the store only now and then; when that
//! connection drops it connects again (waiting 100 ms, doubling up to 5 s)
//! and sends a notice without a time, since some may have been lost.
//!
//! # Nodes
//!
//! [`NodeRegistry::heartbeat`] writes a scheduler's record in `{prefix}nodes`
//! with its heartbeat on the lease clock (the server's `TIME` by default);
//! [`NodeRegistry::list_nodes`] answers the records with the same clock's now;
//! [`NodeRegistry::remove_node`] removes a record only if it is the given
//! instance's.
//!
//! # Jobs that cannot be read
//!
//! A job whose JSON does not parse (written by hand, or by a newer release)
//! is never deleted: it is skipped, logged at error level, and marked in
//! `{prefix}unrestorable`, which claims skip.
//! [`JobStore::unrestorable_jobs`] reads every job and lists the marked
//! ones. Writing the job again through the store (add with replace,
//! update) or removing it clears the mark; so does listing the jobs once
//! the JSON reads again.
//!
//! # Run history
//!
//! Runs are kept under the same prefix: `{prefix}runs` (a hash of run
//! key → [`RunRecord`](tempora::history::RunRecord) JSON, the key being
//! `[job id, scheduled time, node]` as JSON), indexed by scheduled time in
//! `{prefix}runs_by_time` and `{prefix}runs_of:{job id}`, with the keys of
//! running records in `{prefix}runs_running` (which
//! [`RunHistory::running_counts`] reads) and the ids of the jobs that have
//! records in `{prefix}runs_jobs`. Removing every job keeps the history
//! (and the node records).
//!
//! # Durability
//!
//! Redis holds everything in memory: without an append-only file
//! (`appendonly no`) a restart of the server loses every job, lease and run
//! record written since its last snapshot. Run it with `appendonly yes` and
//! `appendfsync everysec` (or `always`). Connecting reads both with
//! `CONFIG GET` (where the login may) and logs a warning when the file is
//! off or left to the OS to flush (`appendfsync no`). Replication is
//! asynchronous: a failover to a replica that had not received the last
//! writes loses them, and a fire time whose settlement is lost runs again.
//!
//! # Redis Cluster
//!
//! The scripts touch several keys, which must live in one slot: put a hash
//! tag in the prefix (`{tempora}:`) to use a cluster. Change notices are
//! published from the scripts; a cluster forwards them to every node.

#![deny(missing_docs)]

mod history;
mod nodes;
mod scripts;
mod watch;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::Job;
use tempora::store::backend::{
    RELEASE_ATTEMPTS, StoreOptions, duration_micros, encode_job, from_micros, located_error,
    log_mark_failure, log_unrestorable, micros_ceil, micros_floor, release_changing_error,
    rescheduled_json, restore_job, store_error, unrestorable_error,
};
use tempora::store::url::{hide_secrets, redact};
use tempora::store::{
    ChangeNotices, Claimed, JobStore, NodeRegistry, Release, RunHistory, Settled, Settlement,
    UnrestorableJob,
};
use tempora::{Error, Result};

/// The key prefix used unless [`RedisStoreBuilder::prefix`] gives another.
pub const DEFAULT_PREFIX: &str = "tempora:";

/// Whose clock measures a lease (the choice every Tempora store offers, under
/// the same names): in a configuration file `"database"` or `"caller"`.
pub use tempora::store::LeaseClock;

/// Options of a [`RedisStore`], then [`RedisStoreBuilder::connect`].
///
/// ```
/// use std::time::Duration;
/// use tempora_redis::{LeaseClock, RedisStore};
///
/// let builder = RedisStore::builder("redis://127.0.0.1:6379/0")
///     .prefix("billing:")
///     .name("default")
///     .lease_clock(LeaseClock::Database)
///     .response_timeout(Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct RedisStoreBuilder {
    url: String,
    options: StoreOptions,
    response_timeout: Duration,
    connection_timeout: Duration,
}

tempora::store_options_methods!(
    RedisStoreBuilder,
    options,
    "The prefix of every key the store uses (default [`DEFAULT_PREFIX`]). \
     Stores with different prefixes on one server do not see each other's jobs."
);

impl RedisStoreBuilder {
    /// How long to wait for an answer before failing a call (default 10 s).
    pub fn response_timeout(mut self, timeout: Duration) -> RedisStoreBuilder {
        self.response_timeout = timeout;
        self
    }

    /// How long one attempt to connect may take (default 5 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> RedisStoreBuilder {
        self.connection_timeout = timeout;
        self
    }

    /// Connects to the server. The connection is kept and re-established
    /// after it breaks, so one store serves for the life of the program.
    ///
    /// # Errors
    ///
    /// Field `url` when the URL does not parse; a store error
    /// ([`Error::is_store`]) when the server cannot be reached or refuses
    /// the login. Both name the URL, without its password.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it drops the connection being made; nothing is written.
    pub async fn connect(self) -> Result<RedisStore> {
        let shown = redact(&self.url);
        let client = redis::Client::open(self.url.as_str()).map_err(|error| {
            Error::invalid(
                "url",
                format!(
                    "{shown:?} is not a redis URL like redis://127.0.0.1:6379/0: {}",
                    hide_secrets(&self.url, &error.to_string())
                ),
            )
        })?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.response_timeout))
            .set_connection_timeout(Some(self.connection_timeout))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|error| {
                located_error(
                    &self.options.name,
                    &format!("redis at {shown}"),
                    "connect",
                    Some(Box::new(error)),
                )
            })?;
        let StoreOptions {
            name,
            prefix,
            lease_clock,
            ..
        } = self.options;
        let keys = Keys::new(&prefix);
        let history_keys = history::HistoryKeys::new(&prefix);
        let store = RedisStore {
            inner: Arc::new(Inner {
                name,
                url: shown,
                prefix,
                lease_clock: lease_clock.unwrap_or_default(),
                history_keys,
                keys,
                connection,
                client,
                response_timeout: self.response_timeout,
                connection_timeout: self.connection_timeout,
                scripts: Scripts::new(),
                history_scripts: history::HistoryScripts::new(),
            }),
        };
        store.check_durability().await;
        Ok(store)
    }
}

/// Jobs kept in Redis. Cloning it is cheap: clones share one connection.
///
/// See the [crate documentation](crate) for what is stored and how claims
/// work.
///
/// ```no_run
/// use tempora::store::JobStore;
/// use tempora_redis::RedisStore;
///
/// # async fn example() -> Result<(), tempora::Error> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/0").await?;
/// assert_eq!(store.backend(), "redis");
/// assert_eq!(store.prefix(), "tempora:");
/// for job in store.list_jobs().await? {
///     println!("{job}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// The URL without its password.
    url: String,
    prefix: String,
    lease_clock: LeaseClock,
    keys: Keys,
    history_keys: history::HistoryKeys,
    connection: ConnectionManager,
    /// For the dedicated connections of [`ChangeNotices::watch`].
    client: redis::Client,
    response_timeout: Duration,
    connection_timeout: Duration,
    scripts: Scripts,
    history_scripts: history::HistoryScripts,
}

struct Keys {
    jobs: String,
    run_times: String,
    leases: String,
    unrestorable: String,
    previous: String,
    nodes: String,
    /// The pub/sub channel of change notices (not a key).
    changes: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        Keys {
            jobs: format!("{prefix}jobs"),
            run_times: format!("{prefix}run_times"),
            leases: format!("{prefix}leases"),
            unrestorable: format!("{prefix}unrestorable"),
            previous: format!("{prefix}previous"),
            nodes: format!("{prefix}nodes"),
            changes: format!("{prefix}changes"),
        }
    }
}

struct Scripts {
    add: Script,
    update: Script,
    remove: Script,
    next_run_time: Script,
    acquire: Script,
    release: Script,
    settle: Script,
    mark_unrestorable: Script,
    heartbeat: Script,
    remove_node: Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            settle: Script::new(scripts::SETTLE),
            heartbeat: Script::new(scripts::HEARTBEAT),
            remove_node: Script::new(scripts::REMOVE_NODE),
            add: Script::new(scripts::ADD),
            update: Script::new(scripts::UPDATE),
            remove: Script::new(scripts::REMOVE),
            next_run_time: Script::new(scripts::NEXT_RUN_TIME),
            acquire: Script::new(scripts::ACQUIRE),
            release: Script::new(scripts::RELEASE),
            mark_unrestorable: Script::new(scripts::MARK_UNRESTORABLE),
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("name", &self.inner.name)
            .field("url", &self.inner.url)
            .field("prefix", &self.inner.prefix)
            .field("lease_clock", &self.inner.lease_clock)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Options for a store on the server at `url`, such as
    /// `redis://127.0.0.1:6379/0` or `rediss://user:password@host/1`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            options: StoreOptions::new(DEFAULT_PREFIX),
            response_timeout: Duration::from_secs(10),
            connection_timeout: Duration::from_secs(5),
        }
    }

    /// A store on the server at `url` with the default options.
    ///
    /// # Errors
    ///
    /// As [`RedisStoreBuilder::connect`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling it drops the connection being made; nothing is written.
    pub async fn connect(url: impl Into<String>) -> Result<RedisStore> {
        RedisStore::builder(url).connect().await
    }

    /// The prefix of the store's keys.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The store's name in the scheduler.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The server's URL, without its password.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Reads the server's persistence settings (`CONFIG GET append*`),
    /// where the login may, and logs a warning when they lose what the
    /// store wrote on a restart of the server: no append-only file
    /// (`appendonly no`: every job, lease and run record written since
    /// the last snapshot is lost), or one the OS flushes when it likes
    /// (`appendfsync no`). A server that does not answer (`CONFIG`
    /// renamed, or denied by an ACL) is not checked: a debug line says so.
    async fn check_durability(&self) {
        let mut connection = self.connection();
        let settings: redis::RedisResult<HashMap<String, String>> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("append*")
            .query_async(&mut connection)
            .await;
        let settings = match settings {
            Ok(settings) => settings,
            Err(error) => {
                tracing::debug!(
                    store = %self.inner.name,
                    url = %self.inner.url,
                    %error,
                    "cannot read redis's persistence settings (CONFIG GET); not checked"
                );
                return;
            }
        };
        let setting = |name: &str| settings.get(name).map(String::as_str);
        if setting("appendonly") == Some("no") {
            tracing::warn!(
                store = %self.inner.name,
                url = %self.inner.url,
                "redis runs without an append-only file (appendonly no): a restart of the \
                 server loses every job, lease and run record written since its last \
                 snapshot, and a lost claim or record can run a fire time again; set \
                 `appendonly yes` and `appendfsync everysec` (or `always`)"
            );
        } else if setting("appendonly") == Some("yes") && setting("appendfsync") == Some("no") {
            tracing::warn!(
                store = %self.inner.name,
                url = %self.inner.url,
                "redis leaves its append-only file to the OS to flush (appendfsync no): a \
                 crash of the machine may lose many seconds of writes; set \
                 `appendfsync everysec` (or `always`)"
            );
        }
    }

    fn connection(&self) -> ConnectionManager {
        self.inner.connection.clone()
    }

    fn failed(&self, what: &str, error: RedisError) -> Error {
        located_error(
            &self.inner.name,
            &format!("redis at {}", self.inner.url),
            what,
            Some(Box::new(error)),
        )
    }

    fn script<'a>(&'a self, script: &'a Script) -> redis::ScriptInvocation<'a> {
        let keys = &self.inner.keys;
        let mut invocation = script.prepare_invoke();
        invocation
            .key(&keys.jobs)
            .key(&keys.run_times)
            .key(&keys.leases)
            .key(&keys.unrestorable)
            .key(&keys.previous);
        invocation
    }

    /// The lease clock's now for a script (`lease_now` in the scripts):
    /// `""` for the server's clock, else the caller's `now` in
    /// microseconds.
    fn lease_clock_now(&self, now: Timestamp) -> String {
        match self.inner.lease_clock {
            LeaseClock::Database => String::new(),
            LeaseClock::Caller => micros_floor(now).to_string(),
        }
    }

    /// The JSON of `job` and its score.
    fn encode(&self, job: &Job) -> Result<(String, String)> {
        let json = encode_job(&self.inner.name, job)?;
        Ok((json, score(job.next_run_time())))
    }

    /// Reads the stored JSON of job `id`, with its stored previous fire
    /// time (`None` or empty when it has none), or says why it cannot.
    fn decode_with_previous(
        &self,
        id: &[u8],
        json: &[u8],
        previous: Option<&[u8]>,
    ) -> std::result::Result<Job, String> {
        let job = self.decode(id, json)?;
        match previous.filter(|text| !text.is_empty()) {
            None => Ok(job),
            Some(text) => Ok(job.with_previous_fire_time(Some(parse_fire_time(text)?))),
        }
    }

    /// Reads the stored JSON of job `id`, without its previous fire time,
    /// or says why it cannot.
    fn decode(&self, id: &[u8], json: &[u8]) -> std::result::Result<Job, String> {
        restore_job(&self.inner.name, &String::from_utf8_lossy(id), json)
    }

    /// Logs and marks job `id`, whose JSON cannot be read, and drops the
    /// lease `owner` (if any) holds on it.
    async fn mark_unrestorable(&self, id: &[u8], json: &[u8], reason: &str, owner: &str) {
        let shown = String::from_utf8_lossy(id);
        log_unrestorable(&self.inner.name, &shown, reason);
        let marked = self
            .script(&self.inner.scripts.mark_unrestorable)
            .arg(id)
            .arg(json)
            .arg(reason)
            .arg(owner)
            .invoke_async::<i64>(&mut self.connection())
            .await;
        if let Err(error) = marked {
            log_mark_failure(&self.inner.name, &shown, &error);
        }
    }

    /// Clears the marks of `ids`, whose JSON reads again.
    async fn unmark(&self, ids: &[&[u8]]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        redis::cmd("HDEL")
            .arg(&self.inner.keys.unrestorable)
            .arg(ids)
            .query_async::<i64>(&mut self.connection())
            .await
            .map_err(|error| self.failed("clear unrestorable marks", error))?;
        Ok(())
    }

    /// Runs the release script once.
    async fn release_once(
        &self,
        owner: &str,
        id: &str,
        mode: &str,
        expected: &str,
        new_json: &str,
        new_score: &str,
    ) -> Result<(i64, Vec<u8>)> {
        self.script(&self.inner.scripts.release)
            .arg(id)
            .arg(owner)
            .arg(mode)
            .arg(expected)
            .arg(new_json)
            .arg(new_score)
            .arg(&self.inner.keys.changes)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("release job {id:?}"), error))
    }

    /// What the release script writes to hand back job `id`, whose stored
    /// JSON is `expected`: the mode, the new JSON and the new score.
    fn released_form(
        &self,
        id: &str,
        expected: &str,
        release: Release,
    ) -> Result<(&'static str, String, String)> {
        match release {
            Release::Remove => Ok(("remove", String::new(), String::new())),
            Release::Reschedule(next) => {
                let json = rescheduled_json(&self.inner.name, id, expected, next)?;
                Ok(("reschedule", json, score(Some(next))))
            }
        }
    }

    /// Releases `claimed` as [`JobStore::release`] does. `changed` is the
    /// stored JSON when a script already found that it differs from the
    /// claimed job's (status 2): the release then starts by deciding
    /// whether that change wins.
    async fn release_job(
        &self,
        owner: &str,
        claimed: &Claimed,
        release: Release,
        mut changed: Option<Vec<u8>>,
    ) -> Result<()> {
        let id = claimed.id();
        // The JSON the job had when claimed, as this release writes it: the
        // usual case, where nothing changed meanwhile, takes one call.
        let (mut expected, _) = self.encode(claimed)?;
        for _ in 0..RELEASE_ATTEMPTS {
            if let Some(current) = changed.take() {
                // The stored JSON differs from the claimed job's: a change
                // made meanwhile wins if it moved the next run time, else
                // this release applies on top of it.
                let still_due = self
                    .decode(id.as_bytes(), &current)
                    .is_ok_and(|job| job.next_run_time() == claimed.next_run_time());
                if !still_due {
                    self.release_once(owner, id, "drop", "", "", "").await?;
                    return Ok(());
                }
                expected = String::from_utf8_lossy(&current).into_owned();
            }
            let (mode, new_json, new_score) = self.released_form(id, &expected, release)?;
            let (status, current) = self
                .release_once(owner, id, mode, &expected, &new_json, &new_score)
                .await?;
            if status != 2 {
                return Ok(());
            }
            changed = Some(current);
        }
        Err(release_changing_error(&self.inner.name, id))
    }
}

#[async_trait]
impl JobStore for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        Some(self)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        Some(self)
    }

    fn changes(&self) -> Option<&dyn ChangeNotices> {
        Some(self)
    }

    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        match self.inner.lease_clock {
            LeaseClock::Caller => Ok(now),
            LeaseClock::Database => {
                let (seconds, micros): (i64, i64) = redis::cmd("TIME")
                    .query_async(&mut self.connection())
                    .await
                    .map_err(|error| self.failed("read the server's time", error))?;
                Ok(from_micros(
                    seconds.saturating_mul(1_000_000).saturating_add(micros),
                ))
            }
        }
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        let (json, score) = self.encode(&job)?;
        let added: i64 = self
            .script(&self.inner.scripts.add)
            .arg(job.id())
            .arg(&json)
            .arg(&score)
            .arg(if replace_existing { "1" } else { "0" })
            .arg(&self.inner.keys.changes)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("add job {:?}", job.id()), error))?;
        if added == 0 {
            return Err(Error::job_exists(job.id()));
        }
        Ok(())
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        let (json, score) = self.encode(&job)?;
        let updated: i64 = self
            .script(&self.inner.scripts.update)
            .arg(job.id())
            .arg(&json)
            .arg(&score)
            .arg(&self.inner.keys.changes)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("update job {:?}", job.id()), error))?;
        if updated == 0 {
            return Err(Error::not_found("job", job.id()));
        }
        Ok(())
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        let removed: i64 = self
            .script(&self.inner.scripts.remove)
            .arg(id)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("remove job {id:?}"), error))?;
        if removed == 0 {
            return Err(Error::not_found("job", id));
        }
        Ok(())
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        let keys = &self.inner.keys;
        redis::cmd("DEL")
            .arg(&keys.jobs)
            .arg(&keys.run_times)
            .arg(&keys.leases)
            .arg(&keys.unrestorable)
            .arg(&keys.previous)
            .query_async::<i64>(&mut self.connection())
            .await
            .map_err(|error| self.failed("remove all jobs", error))?;
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let (json, marked, previous): (Option<Vec<u8>>, bool, Option<Vec<u8>>) = redis::pipe()
            .atomic()
            .cmd("HGET")
            .arg(&self.inner.keys.jobs)
            .arg(id)
            .cmd("HEXISTS")
            .arg(&self.inner.keys.unrestorable)
            .arg(id)
            .cmd("HGET")
            .arg(&self.inner.keys.previous)
            .arg(id)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed(&format!("get job {id:?}"), error))?;
        let Some(json) = json else {
            return Ok(None);
        };
        match self.decode_with_previous(id.as_bytes(), &json, previous.as_deref()) {
            Ok(job) => {
                if marked {
                    self.unmark(&[id.as_bytes()]).await?;
                }
                Ok(Some(job))
            }
            Err(reason) => {
                self.mark_unrestorable(id.as_bytes(), &json, &reason, "")
                    .await;
                Err(unrestorable_error(&self.inner.name, id, &reason))
            }
        }
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        let keys = &self.inner.keys;
        let (order, mut all, marked, previous): (
            Vec<Vec<u8>>,
            HashMap<Vec<u8>, Vec<u8>>,
            HashMap<Vec<u8>, Vec<u8>>,
            HashMap<Vec<u8>, Vec<u8>>,
        ) = redis::pipe()
            .atomic()
            .cmd("ZRANGE")
            .arg(&keys.run_times)
            .arg(0)
            .arg(-1)
            .cmd("HGETALL")
            .arg(&keys.jobs)
            .cmd("HGETALL")
            .arg(&keys.unrestorable)
            .cmd("HGETALL")
            .arg(&keys.previous)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("list jobs", error))?;
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(all.len());
        for id in order {
            if let Some(json) = all.remove(&id) {
                entries.push((id, json));
            }
        }
        let mut rest: Vec<(Vec<u8>, Vec<u8>)> = all.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        entries.extend(rest);

        let mut jobs = Vec::with_capacity(entries.len());
        let mut healed: Vec<&[u8]> = Vec::new();
        for (id, json) in &entries {
            match self.decode_with_previous(id, json, previous.get(id).map(Vec::as_slice)) {
                Ok(job) => {
                    if marked.contains_key(id) {
                        healed.push(id);
                    }
                    jobs.push(job);
                }
                Err(reason) => {
                    if !marked.contains_key(id) {
                        self.mark_unrestorable(id, json, &reason, "").await;
                    }
                }
            }
        }
        self.unmark(&healed).await?;
        Ok(jobs)
    }

    async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        // Reading every job marks those that do not read, and clears the
        // marks of those that read again: the answer covers jobs nothing
        // has tried to read yet.
        self.list_jobs().await?;
        let entries: HashMap<Vec<u8>, Vec<u8>> = redis::cmd("HGETALL")
            .arg(&self.inner.keys.unrestorable)
            .query_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("list the unrestorable jobs", error))?;
        let mut jobs: Vec<UnrestorableJob> = entries
            .into_iter()
            .map(|(id, reason)| UnrestorableJob {
                id: String::from_utf8_lossy(&id).into_owned(),
                reason: String::from_utf8_lossy(&reason).into_owned(),
            })
            .collect();
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(jobs)
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        let micros: Option<i64> = self
            .script(&self.inner.scripts.next_run_time)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("read the next run time", error))?;
        Ok(micros.map(from_micros))
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
        let now_micros = micros_floor(now);
        let lease_now = self.lease_clock_now(now);
        let lease_micros = duration_micros(lease).clamp(i64::MIN / 2, i64::MAX / 2);
        let triples: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = self
            .script(&self.inner.scripts.acquire)
            .arg(now_micros)
            .arg(limit)
            .arg(owner)
            .arg(lease_micros)
            .arg(lease_now)
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| self.failed("acquire due jobs", error))?;
        let mut claimed = Vec::with_capacity(triples.len());
        for (id, json, previous) in triples {
            match self.decode_with_previous(&id, &json, Some(&previous)) {
                Ok(job) => claimed.push(job),
                Err(reason) => {
                    self.mark_unrestorable(&id, &json, &reason, owner).await;
                }
            }
        }
        Ok(claimed)
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
        let history = &self.inner.history_keys;
        let server_now = self
            .promise_clock_for(settlements.iter().flat_map(|s| &s.records))
            .await?;
        let mut invocation = self.script(&self.inner.scripts.settle);
        invocation
            .key(&history.runs)
            .key(&history.by_time)
            .key(&history.running)
            .key(&history.jobs)
            .arg(owner)
            .arg(self.lease_clock_now(now))
            .arg(&self.inner.keys.changes);
        for settlement in settlements {
            let claimed = &settlement.claimed;
            let (expected, _) = self.encode(claimed)?;
            let (mode, new_json, new_score) =
                self.released_form(claimed.id(), &expected, settlement.release)?;
            invocation
                .arg(claimed.id())
                .arg(fire_time_text(claimed.previous_fire_time()))
                .arg(fire_time_text(settlement.takes_through))
                .arg(mode)
                .arg(expected)
                .arg(new_json)
                .arg(new_score)
                .arg(settlement.records.len());
            for record in &settlement.records {
                self.record_args(&mut invocation, record, server_now)?;
            }
        }
        let outcomes: Vec<(i64, Vec<u8>)> = invocation
            .invoke_async(&mut self.connection())
            .await
            .map_err(|error| {
            self.failed(
                &format!("settle {} acquired job(s)", settlements.len()),
                error,
            )
        })?;
        if outcomes.len() != settlements.len() {
            return Err(store_error(
                &self.inner.name,
                format_args!(
                    "settle {} acquired job(s): the script answered {} outcome(s)",
                    settlements.len(),
                    outcomes.len()
                ),
                None,
            ));
        }
        let mut settled = Vec::with_capacity(settlements.len());
        for (settlement, (won, changed)) in settlements.iter().zip(outcomes) {
            if won != 1 {
                settled.push(Settled::Lost);
                continue;
            }
            if !changed.is_empty() {
                // Won, but the job was changed since it was acquired (an
                // update through the API): the fire times are taken and
                // the job is still held; release it as `release` does.
                self.release_job(
                    owner,
                    &settlement.claimed,
                    settlement.release,
                    Some(changed),
                )
                .await?;
            }
            settled.push(Settled::Won);
        }
        Ok(settled)
    }
}

/// The score of a next run time: microseconds since the Unix epoch,
/// rounded up so that a job is never claimed before it is due; `""` for a
/// paused job.
fn score(next: Option<Timestamp>) -> String {
    match next {
        Some(next) => micros_ceil(next).to_string(),
        None => String::new(),
    }
}

/// How a previous fire time is stored: RFC 3339, exact to the nanosecond;
/// `""` for none.
fn fire_time_text(time: Option<Timestamp>) -> String {
    time.map(|time| time.to_string()).unwrap_or_default()
}

/// Reads a stored previous fire time, which must be in the form
/// [`fire_time_text`] writes: the scripts compare it as text.
fn parse_fire_time(text: &[u8]) -> std::result::Result<Timestamp, String> {
    let shown = String::from_utf8_lossy(text);
    match shown.parse::<Timestamp>() {
        Ok(time) if time.to_string() == shown => Ok(time),
        Ok(time) => Err(format!(
            "its previous fire time {shown:?} is not written as the store writes it ({time})"
        )),
        Err(error) => Err(format!(
            "its previous fire time {shown:?} does not read: {error}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_up_and_now_rounds_down() {
        let at = |text: &str| -> Timestamp { text.parse().unwrap() };
        assert_eq!(score(None), "");
        assert_eq!(score(Some(Timestamp::UNIX_EPOCH)), "0");
        assert_eq!(score(Some(at("1970-01-01T00:00:00.000001Z"))), "1");
        assert_eq!(score(Some(at("1970-01-01T00:00:00.0000001Z"))), "1");
        assert_eq!(score(Some(at("1969-12-31T23:59:59.9999999Z"))), "0");
        assert_eq!(micros_floor(at("1970-01-01T00:00:00.0000019Z")), 1);
        assert_eq!(micros_floor(at("1969-12-31T23:59:59.9999999Z")), -1);
        let t = at("2026-03-29T01:30:00.123456Z");
        assert_eq!(score(Some(t)), micros_floor(t).to_string());
        assert_eq!(from_micros(micros_floor(t)), t);
        assert_eq!(from_micros(i64::MAX), Timestamp::MAX);
    }
}
