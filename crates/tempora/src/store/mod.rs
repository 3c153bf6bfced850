//! Job stores: where jobs live, and the atomic claim of due jobs.
//!
//! Every store implements [`JobStore`]. The scheduler never takes a job from
//! a store without a lease: [`JobStore::acquire_due`] claims the jobs due at
//! `now` for one owner until the lease expires, and [`JobStore::release`]
//! gives each back with its next run time. Two schedulers sharing a store
//! therefore never process the same fire time twice, and a scheduler that
//! dies loses its claims when their leases expire.
//!
//! [`MemoryStore`] is the default store; the persistent ones live in their
//! own crates and pass the same conformance suite.

mod memory;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::error::Result;
use crate::job::Job;

pub use self::memory::MemoryStore;

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

/// Where jobs live.
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
/// store.release("node-a", &claimed[0], Release::Reschedule(next)).await?;
/// assert_eq!(store.next_run_time().await?, Some(next));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// A short name of the backend for messages: `memory`, `sqlite`, ….
    fn backend(&self) -> &'static str;

    /// True when the store keeps jobs in this process only, so it can hold
    /// jobs whose task is a closure.
    fn keeps_closures(&self) -> bool {
        false
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
    async fn get_job(&self, id: &str) -> Result<Option<Job>>;

    /// Every job, by next run time, paused jobs last (by id).
    async fn list_jobs(&self) -> Result<Vec<Job>>;

    /// The earliest next run time of a job not paused and not claimed, if
    /// any: when the scheduler must wake next.
    async fn next_run_time(&self) -> Result<Option<Timestamp>>;

    /// Claims up to `limit` jobs due at `now` (next run time at or before
    /// it, not paused, not claimed under a live lease) for `owner` until
    /// `now + lease`, earliest first. Atomic: two owners never claim the
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
    /// what happens next, and drops `owner`'s lease on it. If the job was
    /// changed meanwhile (its next run time differs from the claimed one),
    /// the change wins and only the lease is dropped; if it was removed,
    /// nothing happens.
    async fn release(&self, owner: &str, claimed: &Claimed, release: Release) -> Result<()>;
}
