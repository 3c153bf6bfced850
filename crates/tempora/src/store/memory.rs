//! The memory store: jobs in this process, indexed by next run time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// The jobs by id: each entry boxed and found by its own job's id, so that
/// a slot of the table is one pointer. A large store's table stays small
/// (it keeps spare room in proportion to its entries), and a look-up reads
/// fewer lines of memory: claiming and settling look up every job they
/// take. Hashed with a fast (not DoS-resistant) hash: the ids are the
/// program's own.
#[derive(Debug, Default)]
struct JobTable {
    entries: hashbrown::HashTable<Box<Entry>>,
    hasher: foldhash::fast::RandomState,
}

impl JobTable {
    fn hash(&self, id: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, id)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    fn get(&self, id: &str) -> Option<&Entry> {
        self.entries
            .find(self.hash(id), |entry| *entry.job.id == *id)
            .map(|entry| &**entry)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Entry> {
        let hash = self.hash(id);
        self.entries
            .find_mut(hash, |entry| *entry.job.id == *id)
            .map(|entry| &mut **entry)
    }

    /// The slot of job `id`, to change or take out in place.
    fn slot(&mut self, id: &str) -> Option<hashbrown::hash_table::OccupiedEntry<'_, Box<Entry>>> {
        let hash = self.hash(id);
        self.entries
            .find_entry(hash, |entry| *entry.job.id == *id)
            .ok()
    }

    /// Keeps `entry`, whose id the table does not hold.
    fn insert(&mut self, entry: Box<Entry>) {
        let hasher = self.hasher.clone();
        self.entries
            .insert_unique(self.hash(&entry.job.id), entry, |entry| {
                std::hash::BuildHasher::hash_one(&hasher, &*entry.job.id)
            });
    }

    fn remove(&mut self, id: &str) -> Option<Box<Entry>> {
        self.slot(id).map(|slot| slot.remove().0)
    }

    fn clear(&mut self) {
        self.entries.clear();
    }

    fn values(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|entry| &**entry)
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// The jobs by id.
    jobs: JobTable,
    /// (next run time, id) of every job that is not paused.
    due_index: BTreeSet<(Timestamp, Arc<str>)>,
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
        if let Some(next) = entry.job.next_run_time {
            self.due_index.insert((next, Arc::clone(&entry.job.id)));
        }
        self.jobs.insert(entry);
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
fn unindex(due_index: &mut BTreeSet<(Timestamp, Arc<str>)>, next: Timestamp, id: &Arc<str>) {
    let first = due_index
        .first()
        .is_some_and(|(at, first)| *at == next && Arc::ptr_eq(first, id));
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
            .filter_map(|(_, id)| inner.jobs.get(id).map(|entry| entry.job.clone()))
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
        for (next, id) in &inner.due_index {
            match inner.jobs.get(id).and_then(|entry| entry.lease.as_ref()) {
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
            .take_while(|(next, _)| *next <= now)
            .count();
        let mut claimed = Vec::with_capacity(due);
        // Made at the first job claimed: a claim that finds nothing due
        // takes no memory.
        let mut shared: Option<Arc<Lease>> = None;
        for (next, id) in due_index.iter() {
            if *next > now || claimed.len() >= limit {
                break;
            }
            let Some(entry) = jobs.get_mut(id) else {
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
            // The claimed job's id is the stored one's. The job is looked
            // up once: taken, released, rescheduled or removed in place.
            let Some(mut found) = jobs.slot(&claimed.id) else {
                outcomes.push(Settled::Lost);
                continue;
            };
            let entry = found.get_mut();
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
                    let (entry, _) = found.remove();
                    if let Some(next) = entry.job.next_run_time {
                        unindex(due_index, next, &entry.job.id);
                    }
                }
                Release::Reschedule(next) => {
                    let id = Arc::clone(&entry.job.id);
                    if let Some(before) = entry.job.next_run_time.replace(next) {
                        unindex(due_index, before, &id);
                    }
                    due_index.insert((next, id));
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
