//! Job stores: where jobs live, and the atomic claim of due jobs.
//!
//! Every store implements [`JobStore`]. The scheduler never takes a job from
//! a store without a lease: [`JobStore::acquire_due`] claims the jobs due at
//! `now` for one owner until the lease expires, and [`JobStore::settle`]
//! takes the fire times the scheduler decided — moving the job's previous
//! fire time past them — records its runs and gives each job back with its
//! next run time, in one atomic step that holds only while the lease is
//! alive by the store's clock. Any number of schedulers sharing a store
//! therefore never run the same fire time twice, even one that stalled past
//! its lease, and a scheduler that dies loses its claims when their leases
//! expire.
//!
//! What not every store offers is a capability trait of its own, reached
//! through an accessor that answers `None` where the store lacks it:
//!
//! - [`RunHistory`] ([`JobStore::history`]): the run history
//!   ([`crate::history`]), one [`RunRecord`] per run, recorded as running
//!   before it starts and again when it ends, so that a scheduler that
//!   dies leaves records that [`RunHistory::interrupt_runs`] turns into
//!   interrupted runs;
//! - [`NodeRegistry`] ([`JobStore::nodes`]): schedulers sharing a store
//!   announce themselves with [`NodeRegistry::heartbeat`] ([`NodeRecord`]);
//! - [`ChangeNotices`] ([`JobStore::changes`]): they learn of each other's
//!   changes through [`ChangeNotices::watch`] ([`ChangeFeed`]).
//!
//! [`JobStore::locality`] ([`Locality`]) says whether the store lives in
//! this process or is shared with others.
//!
//! [`MemoryStore`] is the default store; the persistent ones live in their
//! own crates and pass the same conformance suite (`tempora-testkit`).

pub mod backend;
mod feed;
mod lease_clock;
mod memory;
mod node;
pub mod url;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use std::collections::HashMap;

use crate::error::Result;
use crate::history::{RunQuery, RunRecord, RunRetention};
use crate::job::Job;

pub use self::feed::{ChangeFeed, ChangeNotice, ChangeSender};
pub use self::lease_clock::{LeaseClock, promise_on_store_clock};
pub use self::memory::MemoryStore;
pub use self::node::NodeRecord;

/// What happens to a job handed back by [`JobStore::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Keep it, to run next at this time.
    Reschedule(Timestamp),
    /// Remove it: its trigger is exhausted.
    Remove,
}

/// A job claimed by [`JobStore::acquire_due`]: the job as it was when
/// claimed. Its `next_run_time` is what the owner compares against when it
/// releases the job, so a change made meanwhile (a pause, a reschedule)
/// is kept rather than overwritten.
pub type Claimed = Job;

/// A job a store keeps but cannot restore: its stored form does not read
/// (written by hand, by a newer release, or damaged). It is never deleted
/// and never run; the store skips it and lists it here until a program that
/// can read it (or an operator) rewrites or removes it.
///
/// ```
/// use tempora::store::UnrestorableJob;
///
/// let job = UnrestorableJob { id: "nightly".into(), reason: "unknown field `colour`".into() };
/// assert_eq!(job.to_string(), "job \"nightly\" cannot be restored: unknown field `colour`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnrestorableJob {
    /// The job's id.
    pub id: String,
    /// Why it cannot be read.
    pub reason: String,
}

impl std::fmt::Display for UnrestorableJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {:?} cannot be restored: {}", self.id, self.reason)
    }
}

/// What a scheduler decided for one job it acquired, handed to
/// [`JobStore::settle`]: the fire times it takes, what it records of them,
/// and the job's next run time.
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::store::{Release, Settlement};
/// use tempora::trigger::IntervalTrigger;
/// use tempora::jiff::Timestamp;
///
/// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().minutes(5).start_date(now).timezone("UTC").build()?;
/// let job = JobBuilder::new("tick", trigger).build_at(&JobDefaults::default(), now)?;
/// let next: Timestamp = "2026-01-01T00:05:00Z".parse()?;
/// let settlement = Settlement::new(job, Some(now), Release::Reschedule(next));
/// assert_eq!(settlement.takes_through, Some(now));
/// assert!(settlement.records.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Settlement {
    /// The job as [`JobStore::acquire_due`] returned it.
    pub claimed: Claimed,
    /// The latest fire time the decision takes (runs, misses and skips
    /// alike): the job's new [`Job::previous_fire_time`]. `None` takes no
    /// fire time, and only releases the job.
    pub takes_through: Option<Timestamp>,
    /// The run records to keep if the settlement is won: the runs about to
    /// start (as running), the fire times missed, the runs that cannot
    /// start. Ignored by a store that keeps no history.
    pub records: Vec<RunRecord>,
    /// What happens to the job.
    pub release: Release,
}

impl Settlement {
    /// A settlement of `claimed` taking the fire times through
    /// `takes_through`, recording nothing yet.
    pub fn new(claimed: Claimed, takes_through: Option<Timestamp>, release: Release) -> Settlement {
        Settlement {
            claimed,
            takes_through,
            records: Vec::new(),
            release,
        }
    }

    /// Adds a record to keep if the settlement is won.
    pub fn record(mut self, record: RunRecord) -> Settlement {
        self.records.push(record);
        self
    }
}

/// The outcome of one [`Settlement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Settled {
    /// The fire times are this node's, and no other's, for good; its
    /// records are kept and the job is released. Start the runs.
    Won,
    /// Nothing was taken: the node no longer held the job (its lease had
    /// expired by the store's clock — the node stalled — and another node
    /// may have taken the job over), or the fire times had been taken
    /// since it was acquired. Start nothing; the node's lease, if it
    /// still had one, is dropped.
    Lost,
}

impl Settled {
    /// True for [`Settled::Won`].
    pub fn is_won(self) -> bool {
        self == Settled::Won
    }
}

/// Where a store keeps its jobs, and what that implies for the scheduler
/// ([`JobStore::locality`]).
///
/// ```
/// use tempora::store::{JobStore, Locality, MemoryStore};
///
/// assert_eq!(MemoryStore::new().locality(), Locality::Process);
/// assert!(Locality::Process.is_process());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locality {
    /// The jobs live in this process (the memory store). The store can
    /// hold jobs whose task is a closure; only the scheduler's own API
    /// changes it, so every change reaches the scheduler without looking
    /// again (no polling, no change notices); one scheduler uses it alone,
    /// so it needs no heartbeats and counts no runs of other nodes.
    Process,
    /// The jobs live in a database that other processes may change (the
    /// default). Jobs need a task registered by name; the scheduler
    /// re-reads the store at least every
    /// [`store_poll_interval`](crate::scheduler::SchedulerBuilder::store_poll_interval)
    /// (or listens to its [`ChangeNotices`]) so that a job added elsewhere
    /// runs on time, announces itself through the store's
    /// [`NodeRegistry`], and counts the runs of every node sharing the
    /// store for `max_instances`.
    Shared,
}

impl Locality {
    /// True for [`Locality::Process`].
    pub fn is_process(self) -> bool {
        self == Locality::Process
    }
}

/// Where jobs live: the contract every store keeps.
///
/// A new backend implements this trait, and the capability traits it
/// offers: [`RunHistory`] (the run records; without it the scheduler keeps
/// no history on the store), [`NodeRegistry`] (node records, for a
/// [`Locality::Shared`] store that schedulers share) and [`ChangeNotices`]
/// (a feed of changes, for a database that sends them). It hands them out
/// through [`JobStore::history`], [`JobStore::nodes`] and
/// [`JobStore::changes`], whose defaults answer `None`.
///
/// Implementations must be safe to call from many tasks at once. Methods are
/// async because persistent stores talk to a database; the memory store
/// answers at once.
///
/// # Example
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::store::{JobStore, MemoryStore, Release};
/// use tempora::trigger::IntervalTrigger;
/// use tempora::jiff::{SignedDuration, Timestamp};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryStore::new();
/// let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().minutes(5).start_date(start).timezone("UTC").build()?;
/// let job = JobBuilder::new("tick", trigger).id("tick").build_at(&JobDefaults::default(), start)?;
/// store.add_job(job, false).await?;
///
/// let lease = SignedDuration::from_secs(30);
/// let claimed = store.acquire_due(start, 10, "node-a", lease).await?;
/// assert_eq!(claimed.len(), 1);
/// // Claimed: another owner gets nothing until the lease expires.
/// assert!(store.acquire_due(start, 10, "node-b", lease).await?.is_empty());
///
/// let next: Timestamp = "2026-01-01T00:05:00Z".parse()?;
/// let released = store.release("node-a", &claimed[0], Release::Reschedule(next), start).await?;
/// assert!(released.is_won());
/// assert_eq!(store.next_run_time().await?, Some(next));
///
/// // The memory store keeps node records, but no history unless asked.
/// assert!(store.nodes().is_some());
/// assert!(store.history().is_none());
/// assert!(store.changes().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// A short name of the backend for messages: `memory`, `sqlite`, ….
    fn backend(&self) -> &'static str;

    /// Where the store keeps its jobs (see [`Locality`]); the default is
    /// [`Locality::Shared`].
    ///
    /// ```
    /// use tempora::store::{JobStore, Locality, MemoryStore};
    ///
    /// assert_eq!(MemoryStore::new().locality(), Locality::Process);
    /// ```
    fn locality(&self) -> Locality {
        Locality::Shared
    }

    /// The store's run history, if it keeps one; `None` (the default)
    /// when it keeps none, and the scheduler records no runs on it.
    ///
    /// ```
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// assert!(MemoryStore::new().history().is_none());
    /// assert!(MemoryStore::with_history().history().is_some());
    /// ```
    fn history(&self) -> Option<&dyn RunHistory> {
        None
    }

    /// The store's node records, if it keeps them; `None` (the default)
    /// when it keeps none, and schedulers sharing it cannot see each
    /// other.
    ///
    /// ```
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// assert!(MemoryStore::new().nodes().is_some());
    /// ```
    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        None
    }

    /// The store's change notices, if its database sends them; `None`
    /// (the default) otherwise, and the scheduler re-reads the store every
    /// [`store_poll_interval`](crate::scheduler::SchedulerBuilder::store_poll_interval)
    /// instead (a [`Locality::Process`] store needs neither).
    ///
    /// ```
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// assert!(MemoryStore::new().changes().is_none());
    /// ```
    fn changes(&self) -> Option<&dyn ChangeNotices> {
        None
    }

    /// The store's time now, by its [`LeaseClock`]: the database server's
    /// clock where leases are measured on it ([`LeaseClock::Database`]),
    /// else `now`, the caller's time. The default answers `now`: a store
    /// with no clock of its own (the memory store, SQLite) keeps the
    /// caller's.
    ///
    /// What a deadline that must hold whatever the nodes' clocks say is
    /// measured by: a job's stale check ([`crate::notify`]) is armed, and
    /// checked when it comes due, on this clock. A store that wraps
    /// another forwards it.
    ///
    /// ```
    /// use tempora::jiff::Timestamp;
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let now: Timestamp = "2026-01-01T00:00:00Z".parse()?;
    /// // The memory store has no clock but the caller's.
    /// assert_eq!(MemoryStore::new().store_now(now).await?, now);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A store error when the server cannot be asked.
    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        Ok(now)
    }

    /// Adds `job`; with `replace_existing`, replaces a job of the same id.
    ///
    /// # Errors
    ///
    /// A conflict ([`Error::is_conflict`](crate::Error::is_conflict)) when
    /// the id is taken and `replace_existing` is false.
    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()>;

    /// Replaces the stored job of the same id with `job`.
    ///
    /// # Errors
    ///
    /// Not found when no such job exists.
    async fn update_job(&self, job: Job) -> Result<()>;

    /// Removes the job `id`.
    ///
    /// # Errors
    ///
    /// Not found when no such job exists.
    async fn remove_job(&self, id: &str) -> Result<()>;

    /// Removes every job.
    async fn remove_all_jobs(&self) -> Result<()>;

    /// The job `id`, if stored.
    ///
    /// # Errors
    ///
    /// A store error naming the job when it is stored but cannot be read
    /// (see [`JobStore::unrestorable_jobs`]): it is not missing.
    async fn get_job(&self, id: &str) -> Result<Option<Job>>;

    /// Every job, by next run time (ties by id), paused jobs last (by id).
    /// Jobs that cannot be read are skipped (and logged), not removed.
    async fn list_jobs(&self) -> Result<Vec<Job>>;

    /// The earliest next run time of a job not paused and not claimed, if
    /// any: when the scheduler must wake next.
    async fn next_run_time(&self) -> Result<Option<Timestamp>>;

    /// Claims up to `limit` jobs due at `now` (next run time at or before
    /// it, not paused, not claimed under a live lease) for `owner` until
    /// `now + lease`, earliest first (ties by id). Atomic: two owners never claim the
    /// same job under live leases; a job whose lease expired can be claimed
    /// again.
    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>>;

    /// Hands back `claimed` (as [`JobStore::acquire_due`] returned it) with
    /// what happens next, taking no fire time: a [`JobStore::settle`] of
    /// one [`Settlement`] whose `takes_through` is `None`. It holds only
    /// while `owner` still holds the job under a live lease at `now` (by
    /// the store's [`LeaseClock`]), and drops that lease either way. If the
    /// job was changed meanwhile (its next run time differs from the
    /// claimed one), the change wins and only the lease is dropped; if it
    /// was removed, nothing happens.
    ///
    /// # Errors
    ///
    /// As [`JobStore::settle`].
    async fn release(
        &self,
        owner: &str,
        claimed: &Claimed,
        release: Release,
        now: Timestamp,
    ) -> Result<Settled> {
        let settlement = Settlement::new(claimed.clone(), None, release);
        let settled = self.settle(owner, &[settlement], now).await?;
        Ok(settled.first().copied().unwrap_or(Settled::Lost))
    }

    /// The jobs stored but not restorable (their stored form does not
    /// read), by id. They are kept, skipped by [`JobStore::list_jobs`] and
    /// [`JobStore::acquire_due`], and never deleted by the store. The
    /// default (a store that keeps jobs as values, like the memory store)
    /// has none.
    async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        Ok(Vec::new())
    }

    /// Settles the jobs `owner` acquired: for each [`Settlement`], in one
    /// atomic step of its own, and only if `owner` still holds the job
    /// under a live lease (by the store's [`LeaseClock`]) and its previous
    /// fire time is still the one it was acquired with:
    ///
    /// 1. takes the fire times through `takes_through` — sets the job's
    ///    previous fire time to it, so no node takes them again;
    /// 2. keeps the settlement's records (runs recorded as running before
    ///    they start, misses) where the store keeps a [`RunHistory`];
    /// 3. releases the job as [`JobStore::release`] does (its next run time
    ///    by compare-and-set, so a change made meanwhile wins).
    ///
    /// Each answer is [`Settled::Won`] (start the runs) or
    /// [`Settled::Lost`] (start nothing), in the order given. Because the
    /// lease is checked in the same step as the fire times are taken, by
    /// the store's clock, a node that stalled past its lease — a long
    /// pause, a frozen machine — and wakes up holding a job another node
    /// has since settled loses, instead of starting a duplicate; and two
    /// nodes can never both take one fire time, whatever their clocks. A
    /// lost settlement leaves the job to its new holder, dropping `owner`'s
    /// lease if it still had one.
    ///
    /// `now` is the caller's time, which measures the lease where the store
    /// uses [`LeaseClock::Caller`].
    ///
    /// # Errors
    ///
    /// A store error; then any of the settlements may or may not have been
    /// made (the runs they recorded as running are found interrupted, never
    /// lost silently).
    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> Result<Vec<Settled>>;
}

/// The run history a store keeps ([`crate::history`]), reached through
/// [`JobStore::history`]: one [`RunRecord`] per run, recorded as running
/// before it starts and again when it ends, so that a scheduler that dies
/// leaves records that [`RunHistory::interrupt_runs`] turns into
/// interrupted runs.
///
/// A backend that keeps run records implements it (every method; only
/// [`RunHistory::record_run`] is provided) and answers `Some(self)` from
/// [`JobStore::history`].
///
/// ```
/// use tempora::history::{RunQuery, RunRecord};
/// use tempora::jiff::Timestamp;
/// use tempora::store::{JobStore, MemoryStore};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryStore::with_history();
/// let history = store.history().expect("made with history");
/// let at: Timestamp = "2026-01-01T09:00:00Z".parse()?;
/// history.record_run(&RunRecord::running("report", at, "node-a", at, at)).await?;
/// assert_eq!(history.list_runs(&RunQuery::new()).await?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[async_trait]
pub trait RunHistory: Send + Sync {
    /// Records several runs: inserts each record, or replaces the record
    /// with the same key `(job_id, scheduled_time, node)` (the last of a
    /// key in `records` wins). A store may write them at once.
    ///
    /// Where the store measures leases on its own clock
    /// ([`LeaseClock::Database`]), it keeps a running record's promise on
    /// that clock: `alive_until` becomes the store's now plus
    /// `alive_until - started` (the promise as long as the node made it,
    /// counted from when the store writes the record). [`JobStore::settle`]
    /// keeps its running records the same way.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()>;

    /// Records one run, as [`RunHistory::record_runs`] does.
    ///
    /// # Errors
    ///
    /// As [`RunHistory::record_runs`].
    async fn record_run(&self, record: &RunRecord) -> Result<()> {
        self.record_runs(std::slice::from_ref(record)).await
    }

    /// The records `query` asks for, newest first: by scheduled time
    /// descending, then job id, then node.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>>;

    /// The latest record of each of `job_ids`: for each, the one that
    /// [`RunHistory::list_runs`] lists first for that job alone (the
    /// newest scheduled time, then the latest attempt, then the first
    /// node by name), running or finished. Jobs without records are left
    /// out of the answer; an id given twice is answered once.
    ///
    /// It answers for many jobs at once, where asking
    /// [`RunHistory::list_runs`] with a limit of 1 for each would take a
    /// round trip per job: a table of jobs with their last run (`tempora
    /// jobs`, the API's job list, the dashboard) asks it once for the jobs
    /// it shows. A store reads them in one query, or in a few for a long
    /// list of ids.
    ///
    /// ```
    /// use tempora::history::{RunRecord, RunStatus};
    /// use tempora::jiff::{SignedDuration, Timestamp};
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let store = MemoryStore::with_history();
    /// let history = store.history().expect("made with history");
    /// let nine: Timestamp = "2026-01-01T09:00:00Z".parse()?;
    /// let ten: Timestamp = "2026-01-01T10:00:00Z".parse()?;
    /// let second = SignedDuration::from_secs(1);
    /// for (job, at) in [("report", nine), ("report", ten), ("backup", nine)] {
    ///     let run = RunRecord::running(job, at, "node-a", at, at + second);
    ///     history.record_run(&run.finish(RunStatus::Success, at + second, Some(second), None)).await?;
    /// }
    ///
    /// let latest = history.latest_runs(&["report", "backup", "never-ran"]).await?;
    /// assert_eq!(latest.len(), 2);
    /// assert_eq!(latest["report"].scheduled_time, ten);
    /// assert_eq!(latest["backup"].scheduled_time, nine);
    /// assert!(!latest.contains_key("never-ran"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A store error.
    async fn latest_runs(&self, job_ids: &[&str]) -> Result<HashMap<String, RunRecord>>;

    /// Extends to `alive_until` the promise of every running record of
    /// `node` (see [`RunRecord::alive_until`]); returns how many records
    /// it extended. A scheduler calls it while runs are in flight, more
    /// often than their lease.
    ///
    /// `now` is the caller's time when it computed `alive_until`. Where the
    /// store measures leases on its own clock ([`LeaseClock::Database`]),
    /// it keeps the promise on that clock: its own now plus
    /// `alive_until - now`. So a node whose clock is off promises as long
    /// as one whose clock is right, and the records of every node compare
    /// on one clock (see [`RunHistory::interrupt_runs`]).
    ///
    /// # Errors
    ///
    /// A store error.
    async fn renew_runs(&self, node: &str, now: Timestamp, alive_until: Timestamp) -> Result<u64>;

    /// Marks as interrupted (with [`RunRecord::interrupted`] at `now`)
    /// every running record that [`RunRecord::is_abandoned`]: each whose
    /// `alive_until` has passed, and with `node`, every one of that node,
    /// which must not be running anything yet. Returns the records it
    /// changed, as now stored.
    ///
    /// Where the store measures leases on its own clock
    /// ([`LeaseClock::Database`]), a promise has passed when it is at or
    /// before the store's now, whatever `now` says: a node whose clock runs
    /// ahead never takes another node's live run as interrupted, and one
    /// whose clock lags takes dead nodes' runs over on time. Elsewhere it
    /// is at or before `now`. Each record is changed only if it is still
    /// abandoned when it is written: a renewal that lands between the
    /// store's read and its write wins.
    ///
    /// A scheduler calls it with its own node id when it starts (its id may
    /// be the one of a process that died), and without one now and then to
    /// pick up the runs of schedulers that died under other ids.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>>;

    /// Removes the finished records that `retention` does not keep at
    /// `now`: beyond the newest `per_job` of each job, or scheduled before
    /// `now - max_age`. Running records are never removed and do not count
    /// towards `per_job`. Returns how many it removed.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64>;

    /// How many runs of each of `job_ids` are in progress on nodes other
    /// than `except_node`: records still running and vouched for
    /// (`alive_until` after the store's now under
    /// [`LeaseClock::Database`], after `now` elsewhere: the complement of
    /// what [`RunHistory::interrupt_runs`] takes). A scheduler sharing the
    /// store ([`Locality::Shared`]) adds its own runs in progress to
    /// enforce `max_instances` across every node. Jobs without such runs
    /// may be left out of the answer.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, u32>>;
}

/// The node records a store keeps ([`NodeRecord`]), reached through
/// [`JobStore::nodes`]: schedulers sharing a store announce themselves
/// with heartbeats, see each other, and say when they leave.
///
/// A backend that schedulers share implements it and answers `Some(self)`
/// from [`JobStore::nodes`].
///
/// ```
/// use tempora::jiff::Timestamp;
/// use tempora::store::{JobStore, MemoryStore, NodeRecord};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryStore::new();
/// let nodes = store.nodes().expect("the memory store keeps node records");
/// let now: Timestamp = "2026-01-01T09:00:00Z".parse()?;
/// let record = NodeRecord::new("node-a", "web-1", 4242, "3f2a9c", now);
/// assert!(nodes.heartbeat(&record).await?.is_none());
/// assert_eq!(nodes.list_nodes(now).await?.0.len(), 1);
/// nodes.remove_node("node-a", "3f2a9c").await?;
/// assert!(nodes.list_nodes(now).await?.0.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[async_trait]
pub trait NodeRegistry: Send + Sync {
    /// Writes `node`'s record (inserting, or replacing the one of the same
    /// id) with its `last_heartbeat` set to now by the store's
    /// [`LeaseClock`] (`node.last_heartbeat` where it is the caller's), and
    /// returns the record it replaced, if any: a scheduler reads from it
    /// whether another live process uses its node id.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>>;

    /// Every node record, by id, with the store's time now (by its
    /// [`LeaseClock`], `now` where it is the caller's), to tell the live
    /// from the stopped ones.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)>;

    /// Removes the record of node `id` if it is the one of `instance`: a
    /// scheduler shutting down says it left.
    ///
    /// # Errors
    ///
    /// A store error.
    async fn remove_node(&self, id: &str, instance: &str) -> Result<()>;
}

/// The notices a database sends when a job may run sooner, reached
/// through [`JobStore::changes`]: with them, a scheduler re-reads a
/// shared store only every
/// [`store_recheck_interval`](crate::scheduler::SchedulerBuilder::store_recheck_interval),
/// in case a notice was lost, instead of every
/// [`store_poll_interval`](crate::scheduler::SchedulerBuilder::store_poll_interval).
///
/// A backend whose database sends notices (PostgreSQL, Redis) implements
/// it and answers `Some(self)` from [`JobStore::changes`]; the memory
/// store needs none ([`Locality::Process`]).
///
/// ```
/// use tempora::store::{JobStore, MemoryStore};
///
/// assert!(MemoryStore::new().changes().is_none());
/// ```
#[async_trait]
pub trait ChangeNotices: Send + Sync {
    /// A feed of the database's notices that a job may now run sooner
    /// (see [`ChangeFeed`]).
    ///
    /// # Errors
    ///
    /// A store error when the listening connection cannot be opened; the
    /// scheduler tries again later.
    async fn watch(&self) -> Result<ChangeFeed>;
}

/// A shared store is a store: a scheduler can take an `Arc<dyn JobStore>`
/// chosen at run time (from a URL in a config file, say), and two
/// schedulers can share one store value.
///
/// ```
/// use std::sync::Arc;
/// use tempora::scheduler::SchedulerBuilder;
/// use tempora::store::{JobStore, MemoryStore};
///
/// let store: Arc<dyn JobStore> = Arc::new(MemoryStore::new());
/// let scheduler = SchedulerBuilder::new().store("default", Arc::clone(&store)).host_driven()?;
/// assert_eq!(store.backend(), "memory");
/// # Ok::<(), tempora::Error>(())
/// ```
#[async_trait]
impl<S: JobStore + ?Sized> JobStore for std::sync::Arc<S> {
    fn backend(&self) -> &'static str {
        (**self).backend()
    }

    fn locality(&self) -> Locality {
        (**self).locality()
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        (**self).history()
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        (**self).nodes()
    }

    fn changes(&self) -> Option<&dyn ChangeNotices> {
        (**self).changes()
    }

    async fn store_now(&self, now: Timestamp) -> Result<Timestamp> {
        (**self).store_now(now).await
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        (**self).add_job(job, replace_existing).await
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        (**self).update_job(job).await
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        (**self).remove_job(id).await
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        (**self).remove_all_jobs().await
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        (**self).get_job(id).await
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        (**self).list_jobs().await
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        (**self).next_run_time().await
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>> {
        (**self).acquire_due(now, limit, owner, lease).await
    }

    async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        (**self).unrestorable_jobs().await
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> Result<Vec<Settled>> {
        (**self).settle(owner, settlements, now).await
    }
}
