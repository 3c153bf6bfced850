//! A MongoDB job store for [Tempora](tempora): jobs survive a restart of
//! the program, and several schedulers can share them without running a
//! fire time twice. It uses the official `mongodb` driver.
//!
//! ```no_run
//! use tempora::job::{JobBuilder, JobDefaults};
//! use tempora::jiff::Timestamp;
//! use tempora::store::JobStore;
//! use tempora::trigger::IntervalTrigger;
//! use tempora_mongodb::MongoStore;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = MongoStore::builder("mongodb://127.0.0.1:27017/myapp")
//!     .prefix("scheduler_")
//!     .connect()
//!     .await?;
//! let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
//! let trigger = IntervalTrigger::builder().minutes(5).start_date(start).timezone("UTC").build()?;
//! let job = JobBuilder::new("tick", trigger).id("tick").build_at(&JobDefaults::default(), start)?;
//! store.add_job(job, true).await?;
//! // A new store on the same database and prefix (another process, after a
//! // restart) sees the same jobs.
//! let again = MongoStore::builder("mongodb://127.0.0.1:27017/myapp").prefix("scheduler_").connect().await?;
//! assert!(again.get_job("tick").await?.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! # What is stored
//!
//! Three collections in the URL's database (`tempora` when the URL names
//! none), named with the store's prefix (`tempora_` unless given): the jobs
//! in `{prefix}jobs`, the run history in `{prefix}runs` and the node
//! records in `{prefix}nodes`.
//!
//! One document per job in `{prefix}jobs`:
//!
//! | field | type | holds |
//! |---|---|---|
//! | `_id` | string | the job's id |
//! | `job` | string | the job as JSON ([`StoredJob`](tempora::job::StoredJob), with its format version) |
//! | `next_run_time` | 64-bit integer or null | the next run time in microseconds since the Unix epoch (UTC), rounded up; null while paused |
//! | `lease_owner` | string or null | who claimed the job |
//! | `lease_expires` | 64-bit integer or null | until when, in microseconds |
//! | `lease_token` | string or null | which call of `acquire_due` made the claim |
//! | `unrestorable` | string or null | why the job's JSON cannot be read |
//! | `previous_fire_time` | 64-bit integer or null | the latest fire time taken ([`Job::previous_fire_time`]), in microseconds, rounded up; null (or absent, in a document written before it existed) until one is taken |
//!
//! The previous fire time is the store's, kept beside the job's JSON and
//! never inside it: [`JobStore::add_job`] (also when it replaces a job)
//! clears it, [`JobStore::update_job`] keeps it, and only
//! [`JobStore::settle`] sets it.
//!
//! The run history lives in `{prefix}runs`, one document per run, its
//! fields named as [`RunRecord`]'s, times in
//! microseconds.
//!
//! The node records ([`NodeRecord`](tempora::store::NodeRecord)) live in `{prefix}nodes`, one document
//! per node id: `_id` (the node id), `host`, `pid`, `instance`, `started`,
//! `last_heartbeat` and `running`. Their two times are in *nanoseconds*
//! since the Unix epoch, so that `started` reads back exactly as the
//! scheduler gave it; a node time outside the years 1677 to 2262 (a 64-bit
//! count of nanoseconds) is refused.
//!
//! The store creates the index `next_run_time_1__id_1` on
//! `{next_run_time: 1, _id: 1}` when it connects. An operator reads the
//! jobs with `mongosh`:
//!
//! ```text
//! db.tempora_jobs.find({}, {job: 0}).sort({next_run_time: 1})
//! ```
//!
//! # Claims and leases
//!
//! [`JobStore::acquire_due`] finds the earliest due jobs that are free,
//! then claims them with one `updateMany` whose filter repeats the lease
//! condition: each job is claimed only if still free when written (the
//! update of one document is atomic), so two schedulers never claim the
//! same job under live leases. The claims carry a token of the call, which
//! reads back exactly the jobs it won. [`JobStore::release`] is a
//! compare-and-set on the job's JSON: a change made to the job while it was
//! claimed (a pause, a new next run time) is never overwritten. Due jobs
//! are those whose next run time, rounded up to the microsecond, is at or
//! before the caller's `now`, rounded down: a job is never claimed early.
//!
//! By default a lease is measured on the database server's clock (the
//! `localTime` of its `hello` reply, read once per claim), not the
//! scheduler's; [`LeaseClock::Caller`] measures it on the `now` the
//! scheduler passes instead, for tests that drive a manual clock.
//!
//! # Settlements
//!
//! [`JobStore::settle`] reads the lease clock once per call, as
//! `acquire_due` does, then makes one conditional write per settlement:
//! an `updateOne` (a `deleteOne` for [`Release::Remove`]) whose filter
//! requires the job's `_id`, `lease_owner` = the owner, `lease_expires`
//! after the lease clock's now, `previous_fire_time` equal to the claimed
//! job's (null when it had none) and the job's JSON as claimed — the
//! compare-and-set of `release`. It sets `previous_fire_time` to the
//! settlement's `takes_through` and releases the job (new JSON and next run
//! time, lease fields null) in the same document update, so the fire
//! times are taken, and the lease checked, atomically.
//!
//! When that write matches nothing, the store reads the job under the same
//! claim filter (without the JSON). Gone, or no longer held by the owner
//! under a live lease with those fire times untaken: the settlement is
//! [`Settled::Lost`], and the owner's lease, if it still has one, is
//! dropped. Held, but changed meanwhile: if its next run time moved (a
//! pause, a reschedule) the settlement is still [`Settled::Won`] — a
//! second write, under the same claim filter, takes the fire times and
//! drops the lease but keeps the changed next run time — and if only other
//! fields changed, the first write is tried again on top of them. Every
//! write is conditional on the claim, so a claim lost between two steps
//! makes the later one write nothing.
//!
//! On a server that takes multi-document transactions — a replica set
//! (one member is enough) or a sharded cluster, which is how MongoDB is
//! run in production and what [`MongoStore::uses_transactions`] reports —
//! each settlement is one transaction: the writes above and, when it is
//! won, its run records (upserting replacements in `{prefix}runs`) are
//! committed together or not at all. A crash, a cancelled call or a failed
//! write anywhere in between leaves neither: no fire time is taken without
//! its running record, so a run that never started is never lost silently.
//! A transaction that meets a transient error (a write conflict with
//! another node's claim or settlement, labelled
//! `TransientTransactionError`) is tried again from its start, up to 8
//! times; a commit whose outcome is unknown is committed again.
//!
//! A standalone server refuses transactions. There (the store logs a
//! warning when it connects) the job is written first and the records of
//! the won settlements second, in one `update` command: a crash (or a
//! failed write) between the two takes a fire time without its running
//! record — the run is neither started nor recorded. At most once holds;
//! the run just leaves no trace. If a later settlement of the same call
//! fails, the records of those already won are still written before the
//! error is returned, so that their runs are found interrupted.
//!
//! # Runs in progress and nodes
//!
//! [`RunHistory::running_counts`] is one aggregation over `{prefix}runs`
//! (`$match` on the job ids, status `running`, another node and
//! `alive_until` after `now`, then `$group` by job). [`NodeRegistry::heartbeat`]
//! is one `findOneAndReplace` with upsert that returns the record it
//! replaced, its `last_heartbeat` set to now by the lease clock;
//! [`NodeRegistry::list_nodes`] lists the records by id with the lease clock's
//! now, and [`NodeRegistry::remove_node`] deletes a record only if its
//! `instance` matches.
//!
//! # Change notices
//!
//! The store offers no change feed (no
//! [`ChangeNotices`](tempora::store::ChangeNotices): [`JobStore::changes`]
//! answers `None`), so a scheduler re-reads it every
//! [`store_poll_interval`](tempora::scheduler::SchedulerBuilder::store_poll_interval)
//! to see jobs that other processes added or moved. MongoDB's change
//! streams could feed one; the server the tests run on, SecantusDB 0.7.0b3,
//! answers them too (insert, update and replace events, `$match`, resume
//! tokens, checked with pymongo), but the store does not use them yet.
//!
//! # Durability and time limits
//!
//! Writes use the write concern `w: majority, journal: true` unless the
//! URL sets `w` or `journal`: an acknowledged claim, settlement or run
//! record is on a majority's journal and survives a failover. A URL asking
//! for less (`w=1`, `journal=false`) is warned of at connect, since a write
//! acknowledged by one member can be rolled back and a fire time run
//! twice. Connecting creates only the indexes the collections lack.
//!
//! Finding a server waits at most 10 s
//! ([`MongoStoreBuilder::server_selection_timeout`]), opening a connection
//! 10 s (the URL's `serverSelectionTimeoutMS` and `connectTimeoutMS` win).
//! The driver has no socket timeout; a server gone silent mid-call is
//! noticed by its monitor, which fails the calls in flight (in about 30 s).
//!
//! # Jobs that cannot be read
//!
//! A job whose JSON does not parse is never deleted: it is skipped, logged
//! at error level and marked in its `unrestorable` field, which claims
//! skip. [`JobStore::unrestorable_jobs`] reads every job and lists the
//! marked ones. Writing the job again through the store clears the mark;
//! so does listing the jobs once the JSON reads again.

#![deny(missing_docs)]

mod history;
mod nodes;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{Acknowledgment, ClientOptions, IndexOptions, WriteConcern};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use tempora::history::RunRecord;
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::Job;
use tempora::store::backend::{
    RELEASE_ATTEMPTS, StoreOptions, duration_micros, encode_job, from_micros, located_error,
    log_mark_failure, log_unrestorable, micros_ceil, micros_floor, release_changing_error,
    rescheduled_json, restore_job, store_error, unrestorable_error,
};
use tempora::store::url::{hide_secrets, redact};
use tempora::store::{
    Claimed, JobStore, NodeRegistry, Release, RunHistory, Settled, Settlement, UnrestorableJob,
};
use tempora::{Error, Result};

/// The collection prefix used unless [`MongoStoreBuilder::prefix`] gives
/// another.
pub const DEFAULT_PREFIX: &str = "tempora_";

/// The database used when the URL names none.
pub const DEFAULT_DATABASE: &str = "tempora";

/// How long opening a connection to a server may take, unless the URL's
/// `connectTimeoutMS` says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a settlement's transaction is tried when the server
/// answers a transient error (a write conflict with another node).
const TRANSACTION_ATTEMPTS: usize = 8;

/// The label of the errors after which a whole transaction may be tried
/// again.
const TRANSIENT: &str = "TransientTransactionError";

/// The label of a commit whose outcome is unknown: the commit may be tried
/// again.
const COMMIT_UNKNOWN: &str = "UnknownTransactionCommitResult";

/// Runs a driver action (`update_one`, `find_one`, …) in the session of
/// `$session` (an `Option<&mut ClientSession>`) when it holds one.
macro_rules! run_in {
    ($session:expr, $action:expr) => {
        match $session.as_deref_mut() {
            Some(session) => $action.session(session).await,
            None => $action.await,
        }
    };
}

/// MongoDB's error code for a duplicate key.
const DUPLICATE_KEY: i32 = 11000;

/// Whose clock measures a lease (the choice every Tempora store offers, under
/// the same names): in a configuration file `"database"` or `"caller"`.
pub use tempora::store::LeaseClock;

/// Options of a [`MongoStore`], then [`MongoStoreBuilder::connect`].
///
/// ```
/// use std::time::Duration;
/// use tempora_mongodb::{LeaseClock, MongoStore};
///
/// let builder = MongoStore::builder("mongodb://127.0.0.1:27017/billing")
///     .prefix("billing_")
///     .name("default")
///     .lease_clock(LeaseClock::Database)
///     .server_selection_timeout(Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct MongoStoreBuilder {
    url: String,
    options: StoreOptions,
    server_selection_timeout: Duration,
}

tempora::store_options_methods!(
    MongoStoreBuilder,
    options,
    "The prefix of the store's collection names (default [`DEFAULT_PREFIX`]): \
     the jobs live in `{prefix}jobs`, the run history in `{prefix}runs` and the \
     node records in `{prefix}nodes`."
);

impl MongoStoreBuilder {
    /// How long to look for a server before failing a call (default 10 s;
    /// the driver's own default is 30 s). A `serverSelectionTimeoutMS` in
    /// the URL wins.
    pub fn server_selection_timeout(mut self, timeout: Duration) -> MongoStoreBuilder {
        self.server_selection_timeout = timeout;
        self
    }

    /// Connects, checks that the server answers, and creates the indexes
    /// the store needs where they are missing (on a store of this release,
    /// none: connecting then writes nothing, and a user with the `read`
    /// role may list jobs and history).
    ///
    /// # Errors
    ///
    /// Field `url` when the URL does not parse; a store error
    /// ([`Error::is_store`]) when no server answers or it refuses the
    /// login. Both name the URL, without its password.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it may leave the index created; nothing else is written.
    pub async fn connect(self) -> Result<MongoStore> {
        let shown = redact(&self.url);
        let mut options = ClientOptions::parse(self.url.as_str())
            .await
            .map_err(|error| {
                let detail = hide_secrets(&self.url, &error.to_string());
                Error::invalid(
                    "url",
                    format!(
                        "{shown:?} is not a MongoDB URL like mongodb://127.0.0.1:27017/tempora: {detail}"
                    ),
                )
            })?;
        if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(self.server_selection_timeout);
        }
        if options.app_name.is_none() {
            options.app_name = Some("tempora".to_owned());
        }
        if options.connect_timeout.is_none() {
            options.connect_timeout = Some(CONNECT_TIMEOUT);
        }
        let write_concern = options.write_concern.get_or_insert_with(|| {
            WriteConcern::builder()
                .w(Acknowledgment::Majority)
                .journal(true)
                .build()
        });
        let weak = match &write_concern.w {
            Some(Acknowledgment::Nodes(1)) | Some(Acknowledgment::Nodes(0)) => true,
            _ => write_concern.journal == Some(false),
        };
        if weak {
            tracing::warn!(
                store = %self.options.name,
                url = %shown,
                "the URL's write concern is weaker than w=majority with journal=true: a write \
                 acknowledged by one member can be rolled back when another becomes primary, \
                 losing a claim or a run record (a fire time may then run twice); remove `w` \
                 and `journal` from the URL to use the store's default"
            );
        }
        let database_name = options
            .default_database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let location = format!("mongodb at {shown}");
        let cannot_connect = |error: mongodb::error::Error| {
            located_error(
                &self.options.name,
                &location,
                "connect",
                Some(Box::new(error)),
            )
        };
        let client = Client::with_options(options).map_err(cannot_connect)?;
        let database = client.database(&database_name);
        let jobs: Collection<Document> =
            database.collection(&format!("{}jobs", self.options.prefix));
        let runs: Collection<Document> =
            database.collection(&format!("{}runs", self.options.prefix));
        let nodes: Collection<Document> =
            database.collection(&format!("{}nodes", self.options.prefix));
        let hello = database
            .run_command(doc! {"hello": 1})
            .await
            .map_err(cannot_connect)?;
        // Transactions need a replica set (one member is enough) or a
        // sharded cluster; a standalone server refuses them.
        let transactions =
            hello.get_str("setName").is_ok() || hello.get_str("msg") == Ok("isdbgrid");
        if !transactions {
            tracing::warn!(
                store = %self.options.name,
                url = %shown,
                "mongodb is a standalone server, without transactions: a settlement writes the job, \
                 then its run records; a crash between the two takes a fire time without a trace. \
                 Run it as a replica set (one member is enough) to make them one transaction"
            );
        }
        let store = MongoStore {
            inner: Arc::new(Inner {
                name: self.options.name,
                url: shown,
                prefix: self.options.prefix,
                lease_clock: self.options.lease_clock.unwrap_or_default(),
                database,
                jobs,
                runs,
                nodes,
                transactions,
            }),
        };
        let index = IndexModel::builder()
            .keys(doc! {"next_run_time": 1, "_id": 1})
            .options(
                IndexOptions::builder()
                    .name("next_run_time_1__id_1".to_owned())
                    .build(),
            )
            .build();
        store
            .create_missing_indexes(&store.inner.jobs, vec![index])
            .await?;
        store
            .create_missing_indexes(&store.inner.runs, history::indexes())
            .await?;
        Ok(store)
    }
}

/// Jobs kept in MongoDB. Cloning it is cheap: clones share one client and
/// its pool of connections.
///
/// See the [crate documentation](crate) for what is stored and how claims
/// work.
///
/// ```no_run
/// use tempora::store::JobStore;
/// use tempora_mongodb::MongoStore;
///
/// # async fn example() -> Result<(), tempora::Error> {
/// let store = MongoStore::connect("mongodb://127.0.0.1:27017/tempora").await?;
/// assert_eq!(store.backend(), "mongodb");
/// assert_eq!(store.collection(), "tempora_jobs");
/// for job in store.list_jobs().await? {
///     println!("{job}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MongoStore {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// The URL without its password.
    url: String,
    prefix: String,
    lease_clock: LeaseClock,
    database: Database,
    jobs: Collection<Document>,
    runs: Collection<Document>,
    nodes: Collection<Document>,
    /// The server takes multi-document transactions (a replica set or a
    /// sharded cluster): a settlement and its records are one transaction.
    transactions: bool,
}

impl fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoStore")
            .field("name", &self.inner.name)
            .field("url", &self.inner.url)
            .field("database", &self.inner.database.name())
            .field("collection", &self.inner.jobs.name())
            .field("lease_clock", &self.inner.lease_clock)
            .finish_non_exhaustive()
    }
}

impl MongoStore {
    /// Options for a store on the server at `url`, such as
    /// `mongodb://127.0.0.1:27017/tempora` or
    /// `mongodb://user:password@host/db?authSource=admin`.
    pub fn builder(url: impl Into<String>) -> MongoStoreBuilder {
        MongoStoreBuilder {
            url: url.into(),
            options: StoreOptions::new(DEFAULT_PREFIX),
            server_selection_timeout: Duration::from_secs(10),
        }
    }

    /// A store on the server at `url` with the default options.
    ///
    /// # Errors
    ///
    /// As [`MongoStoreBuilder::connect`].
    ///
    /// # Cancel safety
    ///
    /// As [`MongoStoreBuilder::connect`].
    pub async fn connect(url: impl Into<String>) -> Result<MongoStore> {
        MongoStore::builder(url).connect().await
    }

    /// True when the server takes multi-document transactions (a replica
    /// set, even of one member, or a sharded cluster): each settlement
    /// then takes its fire times and writes its run records in one
    /// transaction. False on a standalone server, where the records are
    /// written just after the job (see the crate documentation,
    /// Settlements).
    ///
    /// ```no_run
    /// use tempora_mongodb::MongoStore;
    ///
    /// # async fn example() -> Result<(), tempora::Error> {
    /// let store = MongoStore::connect("mongodb://127.0.0.1:27017/myapp?replicaSet=rs0").await?;
    /// assert!(store.uses_transactions());
    /// # Ok(())
    /// # }
    /// ```
    pub fn uses_transactions(&self) -> bool {
        self.inner.transactions
    }

    /// The prefix of the store's collections.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The name of the jobs collection.
    pub fn collection(&self) -> &str {
        self.inner.jobs.name()
    }

    /// The name of the database.
    pub fn database(&self) -> &str {
        self.inner.database.name()
    }

    /// The store's name in the scheduler.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The server's URL, without its password.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Every document `cursor` yields; a failure names `what`.
    pub(crate) async fn documents(
        &self,
        mut cursor: mongodb::Cursor<Document>,
        what: &str,
    ) -> Result<Vec<Document>> {
        let mut documents = Vec::new();
        while cursor
            .advance()
            .await
            .map_err(|error| self.failed_to(what, error))?
        {
            documents.push(
                cursor
                    .deserialize_current()
                    .map_err(|error| self.failed_to(what, error))?,
            );
        }
        Ok(documents)
    }

    /// Creates those of `indexes` (each named) that `collection` lacks.
    /// A store of this release finds them all: connecting then writes
    /// nothing and needs no more than the `read` role. Creating an index
    /// that exists is a no-op on the server, so two processes starting at
    /// once do not trip over each other.
    async fn create_missing_indexes(
        &self,
        collection: &Collection<Document>,
        indexes: Vec<IndexModel>,
    ) -> Result<()> {
        let what = format!("list the indexes of {}", collection.name());
        let existing = match collection.list_index_names().await {
            Ok(names) => names,
            // NamespaceNotFound: no collection yet, no index.
            Err(error) if matches!(&*error.kind, ErrorKind::Command(command) if command.code == 26) => {
                Vec::new()
            }
            Err(error) => return Err(self.failed_to(&what, error)),
        };
        let missing: Vec<IndexModel> = indexes
            .into_iter()
            .filter(|index| {
                index
                    .options
                    .as_ref()
                    .and_then(|options| options.name.as_ref())
                    .is_none_or(|name| !existing.contains(name))
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let what = format!("create the indexes of {}", collection.name());
        collection
            .create_indexes(missing)
            .await
            .map_err(|error| self.failed_to(&what, error))?;
        Ok(())
    }

    fn failed_to(&self, what: &str, error: mongodb::error::Error) -> Error {
        located_error(
            &self.inner.name,
            &format!("mongodb at {}", self.inner.url),
            what,
            Some(Box::new(error)),
        )
    }

    /// The job's JSON and its `next_run_time` field.
    fn encode(&self, job: &Job) -> Result<(String, Bson)> {
        let json = encode_job(&self.inner.name, job)?;
        Ok((json, score(job.next_run_time())))
    }

    /// Reads the job in `document`, with the previous fire time kept beside
    /// its JSON, or says why it cannot.
    fn decode(&self, document: &Document) -> std::result::Result<Job, String> {
        let json = match document.get("job") {
            Some(Bson::String(json)) => json,
            _ => return Err("its field job is not a string".to_owned()),
        };
        let job = restore_job(&self.inner.name, &id_of(document), json.as_bytes())?;
        let previous = match document.get("previous_fire_time") {
            None | Some(Bson::Null) => None,
            Some(Bson::Int64(micros)) => Some(from_micros(*micros)),
            Some(Bson::Int32(micros)) => Some(from_micros(i64::from(*micros))),
            Some(other) => {
                return Err(format!(
                    "its field previous_fire_time is {other}, not microseconds since the Unix \
                     epoch as a long (NumberLong in mongosh) or null"
                ));
            }
        };
        Ok(job.with_previous_fire_time(previous))
    }

    /// Logs and marks the job of `document`, whose JSON cannot be read, and
    /// drops the lease `owner` (if any) holds on it.
    async fn mark_unrestorable(&self, document: &Document, reason: &str, owner: Option<&str>) {
        let id = id_of(document);
        log_unrestorable(&self.inner.name, &id, reason);
        let mut filter =
            doc! {"_id": &id, "job": document.get("job").cloned().unwrap_or(Bson::Null)};
        let mut set = doc! {"unrestorable": reason};
        if let Some(owner) = owner {
            filter.insert("lease_owner", owner);
            set.insert("lease_owner", Bson::Null);
            set.insert("lease_expires", Bson::Null);
            set.insert("lease_token", Bson::Null);
        }
        if let Err(error) = self.inner.jobs.update_one(filter, doc! {"$set": set}).await {
            log_mark_failure(&self.inner.name, &id, &error);
        }
    }

    /// "now" on the lease clock: `now` itself where it is the caller's.
    async fn now_on_lease_clock(&self, now: Timestamp) -> Result<Timestamp> {
        match self.inner.lease_clock {
            LeaseClock::Caller => Ok(now),
            LeaseClock::Database => self.lease_now(now).await.map(from_micros),
        }
    }

    /// "now" on the lease clock, in microseconds.
    async fn lease_now(&self, now: Timestamp) -> Result<i64> {
        match self.inner.lease_clock {
            LeaseClock::Caller => Ok(micros_floor(now)),
            LeaseClock::Database => {
                let hello = self
                    .inner
                    .database
                    .run_command(doc! {"hello": 1})
                    .await
                    .map_err(|error| self.failed_to("read the server's time", error))?;
                match hello.get("localTime") {
                    Some(Bson::DateTime(time)) => Ok(time.timestamp_millis().saturating_mul(1000)),
                    _ => Err(store_error(
                        &self.inner.name,
                        format_args!(
                            "measure leases on the server's clock (mongodb at {}): its hello reply \
                             has no localTime; use LeaseClock::Caller",
                            self.inner.url
                        ),
                        None,
                    )),
                }
            }
        }
    }
}

#[async_trait]
impl JobStore for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        Some(self)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        Some(self)
    }

    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        self.now_on_lease_clock(now).await
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        let (json, next) = self.encode(&job)?;
        let id = job.id();
        let document = doc! {
            "_id": id,
            "job": json,
            "next_run_time": next,
            "lease_owner": Bson::Null,
            "lease_expires": Bson::Null,
            "lease_token": Bson::Null,
            "unrestorable": Bson::Null,
            // A new job (or a replacement) has taken no fire time yet.
            "previous_fire_time": Bson::Null,
        };
        let what = || format!("add job {id:?}");
        if replace_existing {
            self.inner
                .jobs
                .replace_one(doc! {"_id": id}, document)
                .upsert(true)
                .await
                .map_err(|error| self.failed_to(&what(), error))?;
            return Ok(());
        }
        match self.inner.jobs.insert_one(document).await {
            Ok(_) => Ok(()),
            Err(error) if is_duplicate_key(&error) => Err(Error::job_exists(id)),
            Err(error) => Err(self.failed_to(&what(), error)),
        }
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        let (json, next) = self.encode(&job)?;
        let id = job.id();
        // The fire times taken stay taken: `previous_fire_time` is the
        // store's to keep, and this update leaves it as it is.
        let updated = self
            .inner
            .jobs
            .update_one(
                doc! {"_id": id},
                doc! {"$set": {"job": json, "next_run_time": next, "unrestorable": Bson::Null}},
            )
            .await
            .map_err(|error| self.failed_to(&format!("update job {id:?}"), error))?;
        if updated.matched_count == 0 {
            return Err(Error::not_found("job", id));
        }
        Ok(())
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        let removed = self
            .inner
            .jobs
            .delete_one(doc! {"_id": id})
            .await
            .map_err(|error| self.failed_to(&format!("remove job {id:?}"), error))?;
        if removed.deleted_count == 0 {
            return Err(Error::not_found("job", id));
        }
        Ok(())
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        self.inner
            .jobs
            .delete_many(doc! {})
            .await
            .map_err(|error| self.failed_to("remove all jobs", error))?;
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        let document = self
            .inner
            .jobs
            .find_one(doc! {"_id": id})
            .await
            .map_err(|error| self.failed_to(&format!("get job {id:?}"), error))?;
        let Some(document) = document else {
            return Ok(None);
        };
        match self.decode(&document) {
            Ok(job) => {
                if is_marked(&document) {
                    self.unmark(&[id.to_owned()]).await?;
                }
                Ok(Some(job))
            }
            Err(reason) => {
                self.mark_unrestorable(&document, &reason, None).await;
                Err(unrestorable_error(&self.inner.name, id, &reason))
            }
        }
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        let what = "list jobs";
        let cursor = self
            .inner
            .jobs
            .find(doc! {})
            .projection(doc! {
                "_id": 1,
                "job": 1,
                "next_run_time": 1,
                "unrestorable": 1,
                "previous_fire_time": 1,
            })
            .await
            .map_err(|error| self.failed_to(what, error))?;
        let mut entries: Vec<(Option<i64>, String, Document)> = Vec::new();
        for document in self.documents(cursor, what).await? {
            let next = match document.get("next_run_time") {
                Some(Bson::Int64(next)) => Some(*next),
                _ => None,
            };
            entries.push((next, id_of(&document), document));
        }
        // By next run time, then id; paused jobs (no next run time) last.
        entries.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
        let mut jobs = Vec::with_capacity(entries.len());
        let mut healed = Vec::new();
        for (_, id, document) in &entries {
            match self.decode(document) {
                Ok(job) => {
                    if is_marked(document) {
                        healed.push(id.clone());
                    }
                    jobs.push(job);
                }
                Err(reason) => {
                    if !is_marked(document) {
                        self.mark_unrestorable(document, &reason, None).await;
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
        let what = "list the unrestorable jobs";
        let cursor = self
            .inner
            .jobs
            .find(doc! {"unrestorable": {"$ne": Bson::Null}})
            .projection(doc! {"_id": 1, "unrestorable": 1})
            .sort(doc! {"_id": 1})
            .await
            .map_err(|error| self.failed_to(what, error))?;
        let mut jobs = Vec::new();
        for document in self.documents(cursor, what).await? {
            jobs.push(UnrestorableJob {
                id: id_of(&document),
                reason: document
                    .get_str("unrestorable")
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        Ok(jobs)
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        let what = "read the next run time";
        // The earliest job that nobody holds.
        let free = self
            .inner
            .jobs
            .find_one(doc! {
                "next_run_time": {"$ne": Bson::Null},
                "unrestorable": Bson::Null,
                "lease_owner": Bson::Null,
            })
            .projection(doc! {"next_run_time": 1})
            .sort(doc! {"next_run_time": 1, "_id": 1})
            .await
            .map_err(|error| self.failed_to(what, error))?
            .and_then(|document| document.get_i64("next_run_time").ok());
        // Claimed jobs due before it come back when released, or when their
        // lease expires if their owner died.
        let mut filter = doc! {
            "next_run_time": {"$ne": Bson::Null},
            "unrestorable": Bson::Null,
            "lease_owner": {"$ne": Bson::Null},
        };
        if let Some(free) = free {
            filter.insert("next_run_time", doc! {"$lt": free});
        }
        let cursor = self
            .inner
            .jobs
            .find(filter)
            .projection(doc! {"next_run_time": 1, "lease_expires": 1})
            .await
            .map_err(|error| self.failed_to(what, error))?;
        let mut earliest = free;
        for document in self.documents(cursor, what).await? {
            let Ok(next) = document.get_i64("next_run_time") else {
                continue;
            };
            let candidate = document
                .get_i64("lease_expires")
                .map_or(next, |expires| expires.max(next));
            earliest = Some(earliest.map_or(candidate, |e| e.min(candidate)));
        }
        Ok(earliest.map(from_micros))
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
        let lease_now = self.lease_now(now).await?;
        let lease_micros = duration_micros(lease).clamp(i64::MIN / 2, i64::MAX / 2);
        // This call's claims carry a token of their own, so that it reads
        // back exactly the jobs it won, and never takes one twice (a lease
        // of zero would leave its own claims free).
        let token = uuid::Uuid::new_v4().simple().to_string();
        let filter = doc! {
            "next_run_time": {"$lte": micros_floor(now)},
            "unrestorable": Bson::Null,
            "lease_token": {"$ne": &token},
            "$or": [
                {"lease_owner": Bson::Null},
                {"lease_expires": {"$lte": lease_now}},
            ],
        };
        let update = doc! {"$set": {
            "lease_owner": owner,
            "lease_expires": lease_now.saturating_add(lease_micros),
            "lease_token": &token,
        }};
        let what = "acquire due jobs";
        let mut claimed: Vec<Job> = Vec::new();
        while claimed.len() < limit {
            // The earliest candidates, then one conditional update of them
            // all: each job is claimed only if still free when written, so
            // a job another owner took meanwhile is left to it.
            let wanted = i64::try_from(limit - claimed.len()).unwrap_or(i64::MAX);
            let cursor = self
                .inner
                .jobs
                .find(filter.clone())
                .projection(doc! {"_id": 1})
                .sort(doc! {"next_run_time": 1, "_id": 1})
                .limit(wanted)
                .await
                .map_err(|error| self.failed_to(what, error))?;
            let mut candidates: Vec<Bson> = Vec::new();
            for document in self.documents(cursor, what).await? {
                candidates.push(document.get("_id").cloned().unwrap_or(Bson::Null));
            }
            if candidates.is_empty() {
                break;
            }
            let mut claim = filter.clone();
            claim.insert("_id", doc! {"$in": &candidates});
            let won = self
                .inner
                .jobs
                .update_many(claim, update.clone())
                .await
                .map_err(|error| self.failed_to(what, error))?;
            if won.modified_count == 0 {
                continue;
            }
            let cursor = self
                .inner
                .jobs
                .find(doc! {"_id": {"$in": &candidates}, "lease_token": &token})
                .await
                .map_err(|error| self.failed_to(what, error))?;
            for document in self.documents(cursor, what).await? {
                match self.decode(&document) {
                    Ok(job) => claimed.push(job),
                    Err(reason) => {
                        self.mark_unrestorable(&document, &reason, Some(owner))
                            .await;
                    }
                }
            }
        }
        claimed.sort_by(|a, b| (a.next_run_time(), a.id()).cmp(&(b.next_run_time(), b.id())));
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
        // The lease is measured as `acquire_due` measures it: one reading
        // of the lease clock for the whole call.
        let lease_now = self.lease_now(now).await?;
        if self.inner.transactions {
            // Promises of running records count from the server's time.
            let server_now = match self.inner.lease_clock {
                LeaseClock::Database => Some(from_micros(lease_now)),
                LeaseClock::Caller => None,
            };
            let mut outcomes = Vec::with_capacity(settlements.len());
            for settlement in settlements {
                outcomes.push(
                    self.settle_in_transaction(owner, settlement, lease_now, server_now)
                        .await?,
                );
            }
            return Ok(outcomes);
        }
        let mut outcomes = Vec::with_capacity(settlements.len());
        let mut records: Vec<&RunRecord> = Vec::new();
        for settlement in settlements {
            match self.settle_one(owner, settlement, lease_now, None).await {
                Ok(outcome) => {
                    if outcome.is_won() {
                        records.extend(&settlement.records);
                    }
                    outcomes.push(outcome);
                }
                Err(error) => {
                    // The settlements won so far have taken their fire
                    // times: keep their records all the same, so that
                    // their runs (which the caller will not start) are
                    // found interrupted rather than lost silently.
                    if let Err(also) = self.record_runs_impl(&records).await {
                        tracing::error!(
                            store = %self.inner.name,
                            error = %also,
                            "cannot keep the run records of settlements already won"
                        );
                    }
                    return Err(error);
                }
            }
        }
        // After the job updates, in one batch: see the crate documentation
        // (Settlements) for the window this leaves.
        self.record_runs_impl(&records).await?;
        Ok(outcomes)
    }
}

/// What a settlement adds to a release: the claim it must still hold, and
/// the fire times it takes. The default adds nothing: a plain release.
#[derive(Default)]
struct Claim {
    /// Added to every filter that finds the job held: the lease is live
    /// and the fire times the claim saw are still untaken.
    filter: Document,
    /// Added to every write that keeps the job: the fire times taken.
    set: Document,
}

/// The fields of a job nobody holds.
fn lease_cleared() -> Document {
    doc! {
        "lease_owner": Bson::Null,
        "lease_expires": Bson::Null,
        "lease_token": Bson::Null,
    }
}

impl MongoStore {
    /// [`JobStore::release`] of `claimed`, made only while `owner` holds
    /// the job under `claim`: true when it released the job (or dropped
    /// the lease of a job whose next run time changed meanwhile), false
    /// when the job is gone or not held under `claim`, having written
    /// nothing.
    ///
    /// Every write is conditional on the claim, so a claim lost between
    /// two steps makes the later step write nothing.
    async fn release_under(
        &self,
        owner: &str,
        claimed: &Claimed,
        release: Release,
        claim: &Claim,
        mut session: Option<&mut ClientSession>,
    ) -> Result<bool> {
        let id = claimed.id();
        let what = format!("release job {id:?}");
        let mut held = doc! {"_id": id, "lease_owner": owner};
        held.extend(claim.filter.clone());
        // The JSON the job had when claimed, as this release writes it: the
        // usual case, where nothing changed meanwhile, takes one call.
        let (mut expected, _) = self.encode(claimed)?;
        for _ in 0..RELEASE_ATTEMPTS {
            let mut filter = held.clone();
            filter.insert("job", &expected);
            let done = match release {
                Release::Remove => {
                    run_in!(session, self.inner.jobs.delete_one(filter))
                        .map_err(|error| self.failed_to(&what, error))?
                        .deleted_count
                }
                Release::Reschedule(next) => {
                    let json = rescheduled_json(&self.inner.name, id, &expected, next)?;
                    let mut set = lease_cleared();
                    set.insert("job", json);
                    set.insert("next_run_time", score(Some(next)));
                    set.extend(claim.set.clone());
                    run_in!(
                        session,
                        self.inner.jobs.update_one(filter, doc! {"$set": set})
                    )
                    .map_err(|error| self.failed_to(&what, error))?
                    .matched_count
                }
            };
            if done > 0 {
                return Ok(true);
            }
            // Not released: the job is gone, it is not held under the
            // claim, or it changed meanwhile.
            let current = run_in!(session, self.inner.jobs.find_one(held.clone()))
                .map_err(|error| self.failed_to(&what, error))?;
            let Some(current) = current else {
                return Ok(false);
            };
            // A change that moved the next run time wins; any other change
            // gets this release on top of it.
            let still_due = self
                .decode(&current)
                .is_ok_and(|job| job.next_run_time() == claimed.next_run_time());
            if !still_due {
                let mut set = lease_cleared();
                set.extend(claim.set.clone());
                let dropped = run_in!(
                    session,
                    self.inner.jobs.update_one(held.clone(), doc! {"$set": set})
                )
                .map_err(|error| self.failed_to(&what, error))?;
                return Ok(dropped.matched_count > 0);
            }
            expected = current.get_str("job").unwrap_or_default().to_owned();
        }
        Err(release_changing_error(&self.inner.name, id))
    }

    /// One settlement of [`JobStore::settle`], its lease measured at
    /// `lease_now` (microseconds on the lease clock). The job's records are
    /// the caller's to write.
    async fn settle_one(
        &self,
        owner: &str,
        settlement: &Settlement,
        lease_now: i64,
        mut session: Option<&mut ClientSession>,
    ) -> Result<Settled> {
        let claimed = &settlement.claimed;
        let claim = Claim {
            // Null also matches a document written before the field
            // existed: no fire time taken.
            filter: doc! {
                "lease_expires": {"$gt": lease_now},
                "previous_fire_time": score(claimed.previous_fire_time()),
            },
            set: settlement
                .takes_through
                .map_or_else(Document::new, |through| {
                    doc! {"previous_fire_time": score(Some(through))}
                }),
        };
        if self
            .release_under(
                owner,
                claimed,
                settlement.release,
                &claim,
                session.as_deref_mut(),
            )
            .await?
        {
            return Ok(Settled::Won);
        }
        // Lost: leave the job to its new holder, dropping the lease `owner`
        // may still have on it (expired, or of a stale claim).
        let id = claimed.id();
        run_in!(
            session,
            self.inner.jobs.update_one(
                doc! {"_id": id, "lease_owner": owner},
                doc! {"$set": lease_cleared()},
            )
        )
        .map_err(|error| self.failed_to(&format!("drop the lease on job {id:?}"), error))?;
        Ok(Settled::Lost)
    }

    /// One settlement of [`JobStore::settle`] and its records in one
    /// transaction: the job's update and its running records are
    /// committed together or not at all. Tried again, whole, when the
    /// server answers a transient error (a write conflict with another
    /// node's settlement or claim).
    async fn settle_in_transaction(
        &self,
        owner: &str,
        settlement: &Settlement,
        lease_now: i64,
        server_now: Option<Timestamp>,
    ) -> Result<Settled> {
        let what = format!("settle job {:?}", settlement.claimed.id());
        let mut session = self
            .inner
            .database
            .client()
            .start_session()
            .await
            .map_err(|error| self.failed_to(&what, error))?;
        let mut attempt = 1;
        loop {
            session
                .start_transaction()
                .await
                .map_err(|error| self.failed_to(&what, error))?;
            let written = self
                .settle_and_record(owner, settlement, lease_now, server_now, &mut session)
                .await;
            let outcome = match written {
                Ok(outcome) => self.commit(&mut session, &what).await.map(|()| outcome),
                Err(error) => {
                    // Nothing of it is kept; a failed abort is the
                    // server's to clean up when the session ends.
                    let _ = session.abort_transaction().await;
                    Err(error)
                }
            };
            match outcome {
                Err(error) if attempt < TRANSACTION_ATTEMPTS && has_label(&error, TRANSIENT) => {
                    tracing::debug!(%error, attempt, "settlement tried again");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// The writes of [`MongoStore::settle_in_transaction`], in `session`'s
    /// transaction: the settlement, then, if won, its records.
    async fn settle_and_record(
        &self,
        owner: &str,
        settlement: &Settlement,
        lease_now: i64,
        server_now: Option<Timestamp>,
        session: &mut ClientSession,
    ) -> Result<Settled> {
        let outcome = self
            .settle_one(owner, settlement, lease_now, Some(&mut *session))
            .await?;
        if outcome.is_won() {
            for record in &settlement.records {
                self.record_run_in(record, server_now, &mut *session)
                    .await?;
            }
        }
        Ok(outcome)
    }

    /// Commits `session`'s transaction, trying the commit again while its
    /// outcome is unknown.
    async fn commit(&self, session: &mut ClientSession, what: &str) -> Result<()> {
        let mut attempt = 1;
        loop {
            match session.commit_transaction().await {
                Ok(()) => return Ok(()),
                Err(error)
                    if attempt < TRANSACTION_ATTEMPTS && error.contains_label(COMMIT_UNKNOWN) =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(self.failed_to(what, error)),
            }
        }
    }

    /// Clears the marks of `ids`, whose JSON reads again.
    async fn unmark(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.inner
            .jobs
            .update_many(
                doc! {"_id": {"$in": ids}},
                doc! {"$set": {"unrestorable": Bson::Null}},
            )
            .await
            .map_err(|error| self.failed_to("clear unrestorable marks", error))?;
        Ok(())
    }
}

/// True when `error` comes from the driver with `label`.
fn has_label(error: &Error, label: &str) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<mongodb::error::Error>())
        .is_some_and(|error| error.contains_label(label))
}

fn id_of(document: &Document) -> String {
    match document.get("_id") {
        Some(Bson::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn is_marked(document: &Document) -> bool {
    matches!(document.get("unrestorable"), Some(Bson::String(_)))
}

fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == DUPLICATE_KEY,
        ErrorKind::Command(command) => command.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// The `next_run_time` field of a next run time: microseconds since the
/// Unix epoch, rounded up so that a job is never claimed before it is due;
/// null for a paused job.
fn score(next: Option<Timestamp>) -> Bson {
    match next {
        Some(next) => Bson::Int64(micros_ceil(next)),
        None => Bson::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_up_and_now_rounds_down() {
        let at = |text: &str| -> Timestamp { text.parse().unwrap() };
        assert_eq!(score(None), Bson::Null);
        assert_eq!(score(Some(Timestamp::UNIX_EPOCH)), Bson::Int64(0));
        assert_eq!(
            score(Some(at("1970-01-01T00:00:00.0000001Z"))),
            Bson::Int64(1)
        );
        assert_eq!(
            score(Some(at("1969-12-31T23:59:59.9999999Z"))),
            Bson::Int64(0)
        );
        assert_eq!(micros_floor(at("1969-12-31T23:59:59.9999999Z")), -1);
        let t = at("2026-03-29T01:30:00.123456Z");
        assert_eq!(score(Some(t)), Bson::Int64(micros_floor(t)));
        assert_eq!(from_micros(micros_floor(t)), t);
    }
}
