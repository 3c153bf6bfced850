//! What runs on this node now: the table of runs in progress, each with
//! its cancellation scope (`RunScopes`, for `cancel_other`), and the instance counts that keep `max_instances`
//! (`RunCounts`), with their model tests.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use hashbrown::hash_table::Entry as Slot;
use tokio::sync::Notify;

use super::Engine;
use crate::sync::{lock, model};
use crate::task::RunScope;

impl Engine {
    /// Asks the oldest run of job `job_id` in progress on this node that
    /// was not asked yet to stop, saying why (`reason`, kept in its
    /// record); false when there is none.
    pub(super) fn cancel_oldest_run(&self, job_id: &str, reason: &str) -> bool {
        self.running.scopes.cancel_oldest(job_id, reason)
    }

    /// True while this node runs job `job_id` (a job under
    /// `overlap = "cancel_other"`: the runs of other jobs are not noted).
    pub(super) fn runs_here(&self, job_id: &str) -> bool {
        self.running.scopes.runs(job_id)
    }
}

/// The runs in progress on this node with their own scopes, so that one
/// job's runs can be cancelled alone: the runs of jobs under
/// `overlap = "cancel_other"`, which replaces a job's oldest run (no one
/// looks for the runs of other jobs, and noting them took a lock a run on
/// the loop and another on a worker). Kept by a key of their own, in
/// shards by key, so that noting a run in progress and its end hash no id
/// and take no memory of their own; cancelling a job's runs (rare) looks
/// through them all.
#[derive(Default)]
pub(super) struct RunScopes {
    per_key: [Mutex<KeyedScopes>; SHARDS],
    /// The key of the next run, unique for the engine's life.
    next_key: std::sync::atomic::AtomicU64,
}

/// One shard of [`RunScopes`]: the runs in progress by key, with their
/// job's id.
type KeyedScopes = HashMap<u64, (Arc<str>, Arc<RunScope>), foldhash::fast::RandomState>;

/// A run to note among the runs in progress: its key, its job's id and its
/// scope.
pub(super) type NotedRun = (u64, Arc<str>, Arc<RunScope>);

impl RunScopes {
    fn shard(&self, key: u64) -> &Mutex<KeyedScopes> {
        // The remainder is below SHARDS, so the cast is lossless.
        &self.per_key[(key % SHARDS as u64) as usize]
    }

    /// The key of a new run, unique for the engine's life.
    pub(super) fn next_key(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// Notes a run of `job` in progress; returns its key.
    #[cfg(test)]
    pub(super) fn insert(&self, job: &Arc<str>, scope: &Arc<RunScope>) -> u64 {
        let key = self.next_key();
        self.insert_all(&mut vec![(key, Arc::clone(job), Arc::clone(scope))]);
        key
    }

    /// Notes the runs of `runs` in progress, taking each shard's lock once
    /// for all of its runs (the workers take them when runs end: a lock
    /// taken once a batch, not once a run, moves between the threads less);
    /// leaves `runs` empty.
    pub(super) fn insert_all(&self, runs: &mut Vec<NotedRun>) {
        let shard_of = |key: u64| key % SHARDS as u64;
        runs.sort_unstable_by_key(|(key, _, _)| shard_of(*key));
        let mut runs = runs.drain(..).peekable();
        while let Some((key, job, scope)) = runs.next() {
            let mut shard = lock(self.shard(key));
            shard.insert(key, (job, scope));
            while let Some((key, job, scope)) =
                runs.next_if(|(next, _, _)| shard_of(*next) == shard_of(key))
            {
                shard.insert(key, (job, scope));
            }
        }
    }

    /// The run of `job` under `key` has ended: its scope, taken out.
    pub(super) fn remove(&self, job: &Arc<str>, key: u64) -> Option<Arc<RunScope>> {
        let mut runs = lock(self.shard(key));
        if runs.get(&key).is_none_or(|(run_job, _)| run_job != job) {
            return None;
        }
        runs.remove(&key).map(|(_, scope)| scope)
    }

    /// The runs of `job` in progress, oldest first.
    fn of_job(&self, job: &str) -> Vec<(u64, Arc<RunScope>)> {
        let mut runs = Vec::new();
        for shard in &self.per_key {
            runs.extend(
                lock(shard)
                    .iter()
                    .filter(|(_, (run_job, _))| **run_job == *job)
                    .map(|(key, (_, scope))| (*key, Arc::clone(scope))),
            );
        }
        runs.sort_by_key(|(key, _)| *key);
        runs
    }

    /// Cancels the oldest run of `job`, saying why, unless one of its runs
    /// was cancelled so already (and has not ended yet); false when none
    /// was cancelled.
    fn cancel_oldest(&self, job: &str, reason: &str) -> bool {
        let runs = self.of_job(job);
        if runs
            .iter()
            .any(|(_, scope)| scope.cancel_reason().is_some())
        {
            return false;
        }
        match runs.first() {
            Some((_, scope)) => {
                scope.cancel_because(reason);
                true
            }
            None => false,
        }
    }

    /// True while `job` has a run in progress.
    fn runs(&self, job: &str) -> bool {
        self.per_key
            .iter()
            .any(|shard| lock(shard).values().any(|(run_job, _)| **run_job == *job))
    }
}

/// Runs in progress, shared with the completion callbacks: per job (for
/// `max_instances`) and in all (for shutdown to wait on).
#[derive(Default)]
pub(super) struct RunCounts {
    /// Instances per job id, in shards by id, so that the loop starting
    /// runs and the workers finishing them seldom wait for each other.
    per_job: [model::Mutex<JobCounts>; SHARDS],
    /// Hashes a job's id, once a submission: the hash picks the shard and
    /// the slot, on the loop that counts an instance and again on the
    /// worker that frees it.
    hasher: foldhash::fast::FixedState,
    active: model::AtomicUsize,
    /// The runs in progress with their own scopes, to cancel one job's.
    pub(super) scopes: RunScopes,
    /// Signalled when the last submission in progress has ended and its
    /// events are delivered.
    ended: Notify,
}

/// How many shards [`RunCounts`] keeps its instance counts in.
const SHARDS: usize = 16;

/// One shard of [`RunCounts`]: instances per job id, each slot found by
/// the id's hash from [`RunCounts::hash`] (computed once, not once a
/// look-up).
type JobCounts = hashbrown::HashTable<(Arc<str>, u32)>;

impl RunCounts {
    /// The hash of `job`'s id that [`RunCounts::try_start`] and
    /// [`RunCounts::instance_finished`] are given.
    pub(super) fn hash(&self, job: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, job)
    }

    /// The shard that counts the instances of the job whose id hashes to
    /// `hash`. The table within takes the hash's low bits (its slot) and
    /// its top seven (its tag): the shard takes bits from between.
    fn shard(&self, hash: u64) -> &model::Mutex<JobCounts> {
        // The remainder is below SHARDS, so the cast is lossless.
        &self.per_job[((hash >> 40) % SHARDS as u64) as usize]
    }

    /// Counts one more instance of `job` (whose id hashes to `hash`)
    /// unless it already runs `max`.
    pub(super) fn try_start(&self, job: &Arc<str>, hash: u64, max: u32) -> bool {
        let mut per_job = model::lock(self.shard(hash));
        // One look-up (the entry), not one to read and one to insert.
        match per_job.entry(hash, |(id, _)| same_job(id, job), |(id, _)| self.hash(id)) {
            Slot::Occupied(found) if found.get().1 >= max => return false,
            Slot::Occupied(mut found) => found.get_mut().1 += 1,
            Slot::Vacant(_) if max == 0 => return false,
            Slot::Vacant(slot) => {
                slot.insert((Arc::clone(job), 1));
            }
        }
        self.active.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// How many instances of `job` run on this node (those staged to
    /// start included).
    pub(super) fn count(&self, job: &str) -> u32 {
        let hash = self.hash(job);
        model::lock(self.shard(hash))
            .find(hash, |(id, _)| **id == *job)
            .map_or(0, |(_, count)| *count)
    }

    /// The instance of `job` (whose id hashes to `hash`) has finished its
    /// work; a new one may start.
    pub(super) fn instance_finished(&self, job: &Arc<str>, hash: u64) {
        let mut per_job = model::lock(self.shard(hash));
        if let Ok(mut found) = per_job.find_entry(hash, |(id, _)| same_job(id, job)) {
            let count = &mut found.get_mut().1;
            *count = count.saturating_sub(1);
            if *count == 0 {
                found.remove();
            }
        }
    }

    /// A submission has ended and its events were delivered.
    pub(super) fn submission_ended(&self) {
        let before = self
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                active.checked_sub(1)
            });
        if before == Ok(1) {
            self.ended.notify_waiters();
        }
    }

    /// How many submissions are in progress.
    pub(super) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    pub(super) async fn wait_idle(&self) {
        loop {
            let ended = self.ended.notified();
            if self.active() == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// Whether `counted` is `job`'s id: the same allocation nearly always (the
/// id a run carries is the one its count was made with), compared by
/// content otherwise.
fn same_job(counted: &Arc<str>, job: &Arc<str>) -> bool {
    Arc::ptr_eq(counted, job) || **counted == **job
}

/// The runs of one job are cancelled alone, and a run that ended is no
/// longer cancelled.
#[cfg(test)]
mod scope_tests {
    use std::sync::Arc;

    use super::RunScopes;
    use crate::task::{RunScope, RunSignals};

    #[test]
    fn cancelling_a_jobs_oldest_run_touches_no_ended_run_and_no_other_job() {
        let signals = Arc::new(RunSignals::default());
        let scopes = RunScopes::default();
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let run = |job: &Arc<str>| {
            let scope = Arc::new(RunScope::child_of(&signals, None));
            (scopes.insert(job, &scope), scope)
        };
        let (_, a1) = run(&a);
        let (a2_key, a2) = run(&a);
        let (_, b1) = run(&b);
        scopes.remove(&a, a2_key);

        assert!(scopes.cancel_oldest("a", "replaced"));
        assert!(a1.is_cancelled());
        assert!(!a2.is_cancelled(), "a run that ended is not touched");
        assert!(!b1.is_cancelled(), "another job's run is not touched");
        assert!(!signals.cancellation.is_cancelled());
        assert!(!scopes.cancel_oldest("nothing", "replaced"));

        // A shutdown still reaches every run through the scheduler's token.
        signals.cancellation.cancel();
        assert!(b1.is_cancelled() && a2.is_cancelled());
    }

    /// A wait for a run's cancellation completes however the two meet: the
    /// run cancelled before the wait began, while it waits, or every run
    /// cancelled by a shutdown.
    #[test]
    fn a_wait_for_a_runs_cancellation_completes_before_or_after_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let signals = Arc::new(RunSignals::default());

        let before = RunScope::child_of(&signals, None);
        before.cancel();
        runtime.block_on(before.cancelled());

        let during = Arc::new(RunScope::child_of(&signals, None));
        let waiting = {
            let during = Arc::clone(&during);
            runtime.spawn(async move { during.cancelled().await })
        };
        // The wait has begun (and made its token) before the cancellation.
        runtime.block_on(tokio::task::yield_now());
        assert!(!waiting.is_finished());
        during.cancel();
        runtime.block_on(waiting).unwrap();

        let untouched = Arc::new(RunScope::child_of(&signals, None));
        let waiting = {
            let untouched = Arc::clone(&untouched);
            runtime.spawn(async move { untouched.cancelled().await })
        };
        runtime.block_on(tokio::task::yield_now());
        assert!(!waiting.is_finished() && !untouched.is_cancelled());
        signals.cancellation.cancel();
        runtime.block_on(waiting).unwrap();
        assert!(untouched.is_cancelled());
    }
}

/// Model tests: shuttle runs each many times, in different interleavings
/// of the threads at every lock; a wait that is never woken is reported
/// as a deadlock.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Three threads start and finish instances of one job with
    /// `max_instances = 2`: never more than two run at once, and none is
    /// counted once all have finished.
    #[test]
    fn never_more_instances_than_the_maximum() {
        shuttle::check_random(
            || {
                let counts = Arc::new(RunCounts::default());
                let job: Arc<str> = Arc::from("job");
                let hash = counts.hash(&job);
                let running = Arc::new(model::Mutex::new(0u32));
                let threads: Vec<_> = (0..3)
                    .map(|_| {
                        let (counts, running) = (Arc::clone(&counts), Arc::clone(&running));
                        let job = Arc::clone(&job);
                        shuttle::thread::spawn(move || {
                            for _ in 0..2 {
                                if !counts.try_start(&job, hash, 2) {
                                    continue;
                                }
                                let now = {
                                    let mut running = model::lock(&running);
                                    *running += 1;
                                    *running
                                };
                                assert!(now <= 2, "{now} instances run, the maximum is 2");
                                *model::lock(&running) -= 1;
                                counts.instance_finished(&job, hash);
                                counts.submission_ended();
                            }
                        })
                    })
                    .collect();
                for thread in threads {
                    thread.join().unwrap();
                }
                assert_eq!(counts.active(), 0);
                assert!(
                    counts
                        .per_job
                        .iter()
                        .all(|shard| model::lock(shard).is_empty())
                );
                assert!(counts.try_start(&job, hash, 2) && counts.try_start(&job, hash, 2));
                assert!(!counts.try_start(&job, hash, 2));
                assert_eq!(counts.count("job"), 2);
            },
            1_000,
        );
    }

    /// Waiting for idle returns once every submission has ended, not
    /// before, and is not left waiting after the last one ends.
    #[test]
    fn idle_is_reached_exactly_when_every_submission_has_ended() {
        shuttle::check_random(
            || {
                let counts = Arc::new(RunCounts::default());
                let ended = Arc::new(model::Mutex::new(0));
                let jobs: [Arc<str>; 3] = ["a", "b", "c"].map(Arc::from);
                for job in &jobs {
                    assert!(counts.try_start(job, counts.hash(job), 1));
                }
                let threads: Vec<_> = jobs
                    .iter()
                    .map(|job| {
                        let job = Arc::clone(job);
                        let (counts, ended) = (Arc::clone(&counts), Arc::clone(&ended));
                        shuttle::thread::spawn(move || {
                            counts.instance_finished(&job, counts.hash(&job));
                            *model::lock(&ended) += 1;
                            counts.submission_ended();
                        })
                    })
                    .collect();
                shuttle::future::block_on(counts.wait_idle());
                assert_eq!(*model::lock(&ended), jobs.len());
                assert_eq!(counts.active(), 0);
                for thread in threads {
                    thread.join().unwrap();
                }
            },
            1_000,
        );
    }
}
