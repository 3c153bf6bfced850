//! The memory store: jobs in this process, indexed by next run time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};
use crate::history::{RunQuery, RunRecord, RunRetention};
use crate::job::Job;
use crate::store::{
    Claimed, JobStore, Locality, NodeRecord, NodeRegistry, Release, RunHistory, Settled, Settlement,
};

/// Jobs kept in memory: the default store. Nothing survives the process.
///
/// Jobs are indexed by next run time, so claiming due jobs reads only those
/// that are due, however many are stored. It can hold jobs whose task is a
/// closure.
///
/// It keeps no run history unless made with [`MemoryStore::with_history`]:
/// a history that ends with the process is rarely worth its cost (two
/// writes per run), and without it [`JobStore::history`] answers `None`,
/// which a scheduler takes as "history is off for this store". It keeps
/// node records ([`JobStore::nodes`]) and sends no change notices: it is
/// [`Locality::Process`], so every change reaches the scheduler anyway.
///
/// ```
/// use tempora::store::{JobStore, Locality, MemoryStore};
///
/// let store = MemoryStore::new();
/// assert_eq!(store.backend(), "memory");
/// assert_eq!(store.locality(), Locality::Process);
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    history: bool,
}

/// The jobs, each in a numbered slot of its own (a slot freed is used
/// again), found by id through a table of slot numbers hashed by the
/// job's id. The index of next run times holds each job's slot too, so
/// that claiming reads the due jobs where they lie, in the order they come
/// due, with no look-up by id: in a store of many jobs, a look-up is a
/// read at a random place in a large table, and claiming and settling did
/// two of them a job. A slot of the table is one number, so a large
/// store's table stays small (it keeps spare room in proportion to its
/// entries). Hashed with a fast (not DoS-resistant) hash: the ids are the
/// program's own.
#[derive(Debug, Default)]
struct JobTable {
    /// The entries by slot.
    entries: slab::Slab<Box<Entry>>,
    /// The slot of each job, by the hash of its id.
    slots: hashbrown::HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

impl JobTable {
    fn hash(&self, id: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, id)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The slot of job `id`.
    fn find(&self, id: &str) -> Option<usize> {
        let entries = &self.entries;
        self.slots
            .find(self.hash(id), |&slot| {
                entries.get(slot).is_some_and(|entry| *entry.job.id == *id)
            })
            .copied()
    }

    fn contains(&self, id: &str) -> bool {
        self.find(id).is_some()
    }

    fn get(&self, id: &str) -> Option<&Entry> {
        self.find(id).and_then(|slot| self.at(slot))
    }

    /// The entry in `slot`.
    fn at(&self, slot: usize) -> Option<&Entry> {
        self.entries.get(slot).map(|entry| &**entry)
    }

    fn at_mut(&mut self, slot: usize) -> Option<&mut Entry> {
        self.entries.get_mut(slot).map(|entry| &mut **entry)
    }

    /// Keeps `entry`, whose id the table does not hold; returns its slot.
    fn insert(&mut self, entry: Box<Entry>) -> usize {
        let hash = self.hash(&entry.job.id);
        let slot = self.entries.insert(entry);
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.slots.insert_unique(hash, slot, |&slot| {
            entries.get(slot).map_or(0, |entry| {
                std::hash::BuildHasher::hash_one(hasher, &*entry.job.id)
            })
        });
        slot
    }

    /// Takes out the entry in `slot`.
    fn remove_at(&mut self, slot: usize) -> Option<Box<Entry>> {
        let entry = self.entries.try_remove(slot)?;
        let hash = self.hash(&entry.job.id);
        if let Ok(found) = self.slots.find_entry(hash, |&found| found == slot) {
            found.remove();
        }
        Some(entry)
    }

    fn remove(&mut self, id: &str) -> Option<Box<Entry>> {
        let slot = self.find(id)?;
        self.remove_at(slot)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.slots.clear();
    }

    fn values(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(_, entry)| &**entry)
    }
}

/// (next run time, id) of every job that is not paused, in the order they
/// come due, with the job's slot in the [`JobTable`].
type DueIndex = BTreeMap<(Timestamp, Arc<str>), usize>;

#[derive(Debug, Default)]
struct Inner {
    /// The jobs.
    jobs: JobTable,
    /// The jobs that are not paused, by next run time.
    due_index: DueIndex,
    /// The run history by (job id, scheduled time, node, attempt).
    runs: BTreeMap<(String, Timestamp, String, u32), RunRecord>,
    /// The node records by id.
    nodes: BTreeMap<String, NodeRecord>,
}

#[derive(Debug)]
struct Entry {
    job: Job,
    /// Behind a pointer: only the jobs claimed at the moment have one, and
    /// an entry stays small. The jobs of one claim share it (one owner, one
    /// expiry), so that a claim takes memory once, not once a job.
    lease: Option<Arc<Lease>>,
}

#[derive(Debug)]
struct Lease {
    owner: Arc<str>,
    expires: Timestamp,
}

impl Inner {
    fn insert(&mut self, job: Job, lease: Option<Arc<Lease>>) {
        self.insert_entry(Box::new(Entry { job, lease }));
    }

    /// Keeps `entry`, whose id the store does not hold.
    fn insert_entry(&mut self, entry: Box<Entry>) {
        let due = entry
            .job
            .next_run_time
            .map(|next| (next, Arc::clone(&entry.job.id)));
        let slot = self.jobs.insert(entry);
        if let Some(due) = due {
            self.due_index.insert(due, slot);
        }
    }

    fn take(&mut self, id: &str) -> Option<Box<Entry>> {
        let entry = self.jobs.remove(id)?;
        if let Some(next) = entry.job.next_run_time {
            self.due_index.remove(&(next, Arc::clone(&entry.job.id)));
        }
        Some(entry)
    }
}

/// Takes job `id`, due at `next`, out of the index of next run times. A
/// claim takes the earliest due jobs and their settlements come in the
/// claim's order, so a settled job is nearly always the first entry: it
/// is then taken from the front, with no search (a search compares ids
/// whenever jobs share a run time, as jobs added together do).
fn unindex(due_index: &mut DueIndex, next: Timestamp, id: &Arc<str>) {
    let first = due_index
        .first_key_value()
        .is_some_and(|((at, first), _)| *at == next && Arc::ptr_eq(first, id));
    if first {
        due_index.pop_first();
    } else {
        due_index.remove(&(next, Arc::clone(id)));
    }
}

impl MemoryStore {
    /// An empty store, keeping no run history.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// An empty store that keeps the run history too (in memory, until
    /// pruned), for [`list_runs`](RunHistory::list_runs) within this
    /// process: its [`history`](JobStore::history) is then `Some`.
    ///
    /// ```
    /// use tempora::history::{RunQuery, RunRecord};
    /// use tempora::jiff::Timestamp;
    /// use tempora::store::{JobStore, MemoryStore};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let at: Timestamp = "2026-01-01T09:00:00Z".parse()?;
    /// let run = RunRecord::running("report", at, "node-a", at, at);
    ///
    /// let with = MemoryStore::with_history();
    /// let history = with.history().expect("made with history");
    /// history.record_run(&run).await?;
    /// assert_eq!(history.list_runs(&RunQuery::new()).await?.len(), 1);
    ///
    /// let without = MemoryStore::new();
    /// assert!(without.history().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_history() -> MemoryStore {
        MemoryStore {
            history: true,
            ..MemoryStore::default()
        }
    }

    /// How many jobs it holds.
    pub fn len(&self) -> usize {
        self.lock().jobs.len()
    }

    /// True when it holds no job.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        crate::sync::lock(&self.inner)
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn locality(&self) -> Locality {
        Locality::Process
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        self.history.then_some(self as &dyn RunHistory)
    }

    fn nodes(&self) -> Option<&dyn NodeRegistry> {
        Some(self)
    }

    async fn add_job(&self, job: Job, replace_existing: bool) -> Result<()> {
        // A new job (or a replacement) has taken no fire time yet.
        let job = job.with_previous_fire_time(None);
        let mut inner = self.lock();
        if inner.jobs.contains(&job.id) {
            if !replace_existing {
                return Err(Error::job_exists(&*job.id));
            }
            inner.take(&job.id);
        }
        inner.insert(job, None);
        Ok(())
    }

    async fn update_job(&self, job: Job) -> Result<()> {
        let mut inner = self.lock();
        let Some(old) = inner.take(&job.id) else {
            return Err(Error::not_found("job", &*job.id));
        };
        // The fire times taken stay taken: that is the store's to keep.
        let job = job.with_previous_fire_time(old.job.previous_fire_time);
        inner.insert(job, old.lease);
        Ok(())
    }

    async fn remove_job(&self, id: &str) -> Result<()> {
        self.lock()
            .take(id)
            .map(drop)
            .ok_or_else(|| Error::not_found("job", id))
    }

    async fn remove_all_jobs(&self) -> Result<()> {
        let mut inner = self.lock();
        inner.jobs.clear();
        inner.due_index.clear();
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        Ok(self.lock().jobs.get(id).map(|entry| entry.job.clone()))
    }

    async fn list_jobs(&self) -> Result<Vec<Job>> {
        let inner = self.lock();
        let mut jobs: Vec<Job> = inner
            .due_index
            .iter()
            .filter_map(|(_, &slot)| inner.jobs.at(slot).map(|entry| entry.job.clone()))
            .collect();
        let mut paused: Vec<Job> = inner
            .jobs
            .values()
            .filter(|entry| entry.job.next_run_time.is_none())
            .map(|entry| entry.job.clone())
            .collect();
        paused.sort_by(|a, b| a.id.cmp(&b.id));
        jobs.extend(paused);
        Ok(jobs)
    }

    async fn next_run_time(&self) -> Result<Option<Timestamp>> {
        let inner = self.lock();
        let mut earliest: Option<Timestamp> = None;
        for ((next, _), &slot) in &inner.due_index {
            match inner.jobs.at(slot).and_then(|entry| entry.lease.as_ref()) {
                // Claimed: it comes back when released, or when the lease
                // expires if its owner died.
                Some(lease) => {
                    let candidate = lease.expires.max(*next);
                    earliest = Some(earliest.map_or(candidate, |e| e.min(candidate)));
                }
                None => return Ok(Some(earliest.map_or(*next, |e| e.min(*next)))),
            }
        }
        Ok(earliest)
    }

    async fn acquire_due(
        &self,
        now: Timestamp,
        limit: usize,
        owner: &str,
        lease: SignedDuration,
    ) -> Result<Vec<Claimed>> {
        let expires = now.saturating_add(lease).unwrap_or(now);
        let mut inner = self.lock();
        let Inner {
            jobs, due_index, ..
        } = &mut *inner;
        // Room for as many as are due (some may be held), taken at once:
        // a vector grown job by job moves the jobs again and again.
        let due = due_index
            .iter()
            .take(limit)
            .take_while(|((next, _), _)| *next <= now)
            .count();
        let mut claimed = Vec::with_capacity(due);
        // Made at the first job claimed: a claim that finds nothing due
        // takes no memory.
        let mut shared: Option<Arc<Lease>> = None;
        // Each due job is read in its slot: no look-up by id.
        for ((next, _), &slot) in due_index.iter() {
            if *next > now || claimed.len() >= limit {
                break;
            }
            let Some(entry) = jobs.at_mut(slot) else {
                continue;
            };
            if entry.lease.as_ref().is_some_and(|held| held.expires > now) {
                continue;
            }
            let lease = shared.get_or_insert_with(|| {
                Arc::new(Lease {
                    owner: Arc::from(owner),
                    expires,
                })
            });
            entry.lease = Some(Arc::clone(lease));
            claimed.push(entry.job.clone());
        }
        Ok(claimed)
    }

    async fn settle(
        &self,
        owner: &str,
        settlements: &[Settlement],
        now: Timestamp,
    ) -> Result<Vec<Settled>> {
        let mut inner = self.lock();
        let Inner {
            jobs,
            due_index,
            runs,
            ..
        } = &mut *inner;
        let mut outcomes = Vec::with_capacity(settlements.len());
        for settlement in settlements {
            let claimed = &settlement.claimed;
            // The claimed job's id is the stored one's. The job is found
            // once: taken, released, rescheduled or removed in place. A
            // settled job is nearly always the first due (see `unindex`):
            // its slot is then read off the index, with no look-up by id.
            let first = due_index
                .first_key_value()
                .filter(|((_, id), _)| Arc::ptr_eq(id, &claimed.id))
                .map(|(_, &slot)| slot);
            let Some(slot) = first.or_else(|| jobs.find(&claimed.id)) else {
                outcomes.push(Settled::Lost);
                continue;
            };
            let Some(entry) = jobs.at_mut(slot) else {
                outcomes.push(Settled::Lost);
                continue;
            };
            let held = entry
                .lease
                .as_ref()
                .is_some_and(|lease| &*lease.owner == owner && lease.expires > now);
            if !held || entry.job.previous_fire_time != claimed.previous_fire_time {
                if entry
                    .lease
                    .as_ref()
                    .is_some_and(|lease| &*lease.owner == owner)
                {
                    entry.lease = None;
                }
                outcomes.push(Settled::Lost);
                continue;
            }
            if let Some(through) = settlement.takes_through {
                entry.job.previous_fire_time = Some(through);
            }
            if self.history {
                for record in &settlement.records {
                    let key = (
                        record.job_id.clone(),
                        record.scheduled_time,
                        record.node.clone(),
                        record.attempt,
                    );
                    runs.insert(key, record.clone());
                }
            }
            outcomes.push(Settled::Won);
            // Released as `JobStore::release` says: the lease goes; a job
            // changed meanwhile (another next run time) keeps its change.
            entry.lease = None;
            if entry.job.next_run_time != claimed.next_run_time {
                continue;
            }
            match settlement.release {
                Release::Remove => {
                    if let Some(next) = entry.job.next_run_time {
                        unindex(due_index, next, &entry.job.id);
                    }
                    jobs.remove_at(slot);
                }
                Release::Reschedule(next) => {
                    let id = Arc::clone(&entry.job.id);
                    if let Some(before) = entry.job.next_run_time.replace(next) {
                        unindex(due_index, before, &id);
                    }
                    due_index.insert((next, id), slot);
                }
            }
        }
        Ok(outcomes)
    }
}

#[async_trait]
impl NodeRegistry for MemoryStore {
    async fn heartbeat(&self, node: &NodeRecord) -> Result<Option<NodeRecord>> {
        Ok(self.lock().nodes.insert(node.id.clone(), node.clone()))
    }

    async fn list_nodes(&self, now: Timestamp) -> Result<(Vec<NodeRecord>, Timestamp)> {
        Ok((self.lock().nodes.values().cloned().collect(), now))
    }

    async fn remove_node(&self, id: &str, instance: &str) -> Result<()> {
        let mut inner = self.lock();
        if inner
            .nodes
            .get(id)
            .is_some_and(|node| node.instance == instance)
        {
            inner.nodes.remove(id);
        }
        Ok(())
    }
}

/// The history of a store made with [`MemoryStore::with_history`]; a
/// store made with [`MemoryStore::new`] does not hand it out.
#[async_trait]
impl RunHistory for MemoryStore {
    async fn record_runs(&self, records: &[RunRecord]) -> Result<()> {
        let mut inner = self.lock();
        for record in records {
            let key = (
                record.job_id.clone(),
                record.scheduled_time,
                record.node.clone(),
                record.attempt,
            );
            inner.runs.insert(key, record.clone());
        }
        Ok(())
    }

    async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        let inner = self.lock();
        let mut runs: Vec<&RunRecord> = match &query.job_id {
            Some(id) => inner
                .runs
                .range((id.clone(), Timestamp::MIN, String::new(), 0)..)
                .take_while(|((job, _, _, _), _)| job == id)
                .map(|(_, record)| record)
                .filter(|record| query.matches(record))
                .collect(),
            None => inner
                .runs
                .values()
                .filter(|record| query.matches(record))
                .collect(),
        };
        runs.sort_by(|a, b| {
            b.scheduled_time
                .cmp(&a.scheduled_time)
                .then_with(|| a.job_id.cmp(&b.job_id))
                .then_with(|| b.attempt.cmp(&a.attempt))
                .then_with(|| a.node.cmp(&b.node))
        });
        runs.truncate(query.limit.unwrap_or(usize::MAX));
        Ok(runs.into_iter().cloned().collect())
    }

    async fn latest_runs(&self, job_ids: &[&str]) -> Result<HashMap<String, RunRecord>> {
        let inner = self.lock();
        let mut latest = HashMap::new();
        for id in job_ids {
            // The newest scheduled time, then the latest attempt, then the
            // first node: the order of list_runs.
            let newest = inner
                .runs
                .range((id.to_string(), Timestamp::MIN, String::new(), 0)..)
                .take_while(|((job, _, _, _), _)| job == id)
                .map(|(_, record)| record)
                .min_by(|a, b| {
                    b.scheduled_time
                        .cmp(&a.scheduled_time)
                        .then_with(|| b.attempt.cmp(&a.attempt))
                        .then_with(|| a.node.cmp(&b.node))
                });
            if let Some(record) = newest {
                latest.insert((*id).to_owned(), record.clone());
            }
        }
        Ok(latest)
    }

    async fn renew_runs(&self, node: &str, now: Timestamp, alive_until: Timestamp) -> Result<u64> {
        let _ = now;
        let mut renewed = 0;
        for record in self.lock().runs.values_mut() {
            if record.node == node && !record.status.is_finished() {
                record.alive_until = Some(alive_until);
                renewed += 1;
            }
        }
        Ok(renewed)
    }

    async fn interrupt_runs(&self, now: Timestamp, node: Option<&str>) -> Result<Vec<RunRecord>> {
        let mut changed = Vec::new();
        for record in self.lock().runs.values_mut() {
            if record.is_abandoned(now, node) {
                *record = record.clone().interrupted(now);
                changed.push(record.clone());
            }
        }
        Ok(changed)
    }

    async fn prune_runs(&self, retention: &RunRetention, now: Timestamp) -> Result<u64> {
        let cutoff = retention.cutoff(now);
        let mut inner = self.lock();
        // Finished records per job, newest first.
        let mut by_job: HashMap<&str, Vec<&RunRecord>> = HashMap::new();
        for record in inner.runs.values() {
            if record.status.is_finished() {
                by_job.entry(&record.job_id).or_default().push(record);
            }
        }
        let mut doomed = Vec::new();
        for records in by_job.values_mut() {
            records.sort_by(|a, b| {
                b.scheduled_time
                    .cmp(&a.scheduled_time)
                    .then_with(|| b.attempt.cmp(&a.attempt))
                    .then_with(|| a.node.cmp(&b.node))
            });
            for (rank, record) in records.iter().enumerate() {
                let too_many = retention.per_job.is_some_and(|keep| rank >= keep);
                let too_old = cutoff.is_some_and(|cutoff| record.scheduled_time < cutoff);
                if too_many || too_old {
                    doomed.push((
                        record.job_id.clone(),
                        record.scheduled_time,
                        record.node.clone(),
                        record.attempt,
                    ));
                }
            }
        }
        for key in &doomed {
            inner.runs.remove(key);
        }
        Ok(u64::try_from(doomed.len()).unwrap_or(u64::MAX))
    }

    async fn running_counts(
        &self,
        job_ids: &[&str],
        except_node: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, u32>> {
        let mut counts = HashMap::new();
        let inner = self.lock();
        for id in job_ids {
            let running = inner
                .runs
                .range((id.to_string(), Timestamp::MIN, String::new(), 0)..)
                .take_while(|((job, _, _, _), _)| job == id)
                .filter(|(_, record)| {
                    !record.status.is_finished()
                        && record.node != except_node
                        && record.alive_until.is_some_and(|alive| alive > now)
                })
                .count();
            if running > 0 {
                counts.insert((*id).to_owned(), u32::try_from(running).unwrap_or(u32::MAX));
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::MemoryStore;
    use crate::job::{Job, JobBuilder, JobDefaults};
    use crate::store::{JobStore, Release, Settlement};
    use crate::trigger::DateTrigger;

    fn job(id: &str, at: Timestamp) -> Job {
        JobBuilder::new("task", DateTrigger::new(at))
            .id(id)
            .build_at(&JobDefaults::default(), at)
            .unwrap()
    }

    fn ids(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(Job::id).collect()
    }

    /// A slot freed is used again, and a job is found in its own slot
    /// however it is reached: by id, through the index of due jobs, and
    /// settled out of the claim's order (not the first due job, which is
    /// found through the index).
    #[test]
    fn a_slot_used_again_holds_the_job_found_by_id_by_the_index_and_when_settled() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let t0: Timestamp = "2026-01-01T09:00:00Z".parse().unwrap();
            let second = |seconds: i64| t0 + SignedDuration::from_secs(seconds);
            let store = MemoryStore::new();
            store.add_job(job("a", second(0)), false).await.unwrap();
            store.add_job(job("b", second(1)), false).await.unwrap();
            store.add_job(job("c", second(2)), false).await.unwrap();
            store.remove_job("a").await.unwrap();
            // Takes the slot "a" had.
            store.add_job(job("d", second(3)), false).await.unwrap();
            assert!(store.get_job("a").await.unwrap().is_none());
            assert_eq!(store.get_job("d").await.unwrap().unwrap().id(), "d");
            assert_eq!(ids(&store.list_jobs().await.unwrap()), ["b", "c", "d"]);
            assert_eq!(store.next_run_time().await.unwrap(), Some(second(1)));

            let now = second(10);
            let claimed = store
                .acquire_due(now, 10, "node", SignedDuration::from_mins(1))
                .await
                .unwrap();
            assert_eq!(ids(&claimed), ["b", "c", "d"]);
            let settle = |index: usize, release: Release| {
                let claimed = claimed[index].clone();
                let through = claimed.next_run_time();
                Settlement::new(claimed, through, release)
            };
            let settled = store
                .settle(
                    "node",
                    &[
                        settle(2, Release::Remove),
                        settle(0, Release::Reschedule(second(3600))),
                        settle(1, Release::Remove),
                    ],
                    now,
                )
                .await
                .unwrap();
            assert!(settled.into_iter().all(|settled| settled.is_won()));
            assert_eq!(store.len(), 1);
            let b = store.get_job("b").await.unwrap().unwrap();
            assert_eq!(b.next_run_time(), Some(second(3600)));
            assert_eq!(ids(&store.list_jobs().await.unwrap()), ["b"]);

            // The freed slots are used again by new jobs.
            store.add_job(job("e", second(5)), false).await.unwrap();
            store.add_job(job("f", second(6)), false).await.unwrap();
            assert_eq!(ids(&store.list_jobs().await.unwrap()), ["e", "f", "b"]);
            assert!(store.get_job("c").await.unwrap().is_none());
            assert!(store.get_job("d").await.unwrap().is_none());
            assert_eq!(store.get_job("e").await.unwrap().unwrap().id(), "e");
            store.remove_job("b").await.unwrap();
            assert_eq!(ids(&store.list_jobs().await.unwrap()), ["e", "f"]);
        });
    }
}
