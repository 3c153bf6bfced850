//! The engine's run history: what it writes to each store's history, and
//! when.
//!
//! * Before the first run it records in a store, it marks the leftover
//!   `running` records of its own node interrupted (a node restarting under
//!   the same id) — once per store, retried while the store fails.
//! * It records each run as running before the job is released, and again
//!   when the run ends; the second write is spawned, so the executor's
//!   thread never waits for a database.
//! * While runs are in flight, it renews their promise every half lease,
//!   one call per store.
//! * Every lease (and at start) it takes over the expired records of nodes
//!   that died and prunes what the retention does not keep.
//!
//! A store that keeps no history answers [`Error::is_unsupported`]: it is
//! skipped from then on, after one debug line. A failing write is logged
//! with the job and the store, and never stops a run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, OnceCell};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::history::{RunQuery, RunRecord, RunRetention};
use crate::store::{JobStore, UnrestorableJob};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section here only updates plain collections with
    // calls that do not panic, so a poisoned lock is still sound.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key of a record: `(store, job id, scheduled time)`; the node is
/// always this one.
type Key = (String, String, Timestamp);

/// What the recorder knows of one store (by its name in the scheduler).
#[derive(Default)]
struct StoreState {
    /// Done once the node's own leftovers are interrupted.
    started: Arc<OnceCell<()>>,
    /// The store keeps no history.
    unsupported: bool,
}

/// The most records one background write takes.
const WRITE_BATCH: usize = 1000;

/// The records waiting to be written to one store.
struct Queue {
    store: Arc<dyn JobStore>,
    records: Vec<RunRecord>,
    /// A task is writing them.
    writing: bool,
}

/// A run recorded as running and not finished yet.
struct InFlight {
    store: Arc<dyn JobStore>,
    record: RunRecord,
}

#[derive(Default)]
struct Flights {
    runs: HashMap<Key, InFlight>,
    /// A renewing task is running.
    renewing: bool,
}

pub(crate) struct Recorder {
    node: String,
    clock: Arc<dyn Clock>,
    lease: SignedDuration,
    retention: RunRetention,
    stores: Mutex<HashMap<String, StoreState>>,
    flights: Mutex<Flights>,
    /// Spawned writes not done yet, and a signal when one is.
    pending: Mutex<usize>,
    written: Notify,
    /// The records waiting to be written, by store name, and whether a
    /// task is writing that store's.
    queued: Mutex<HashMap<String, Queue>>,
    /// When expired records were last taken over and history pruned.
    last_sweep: Mutex<Option<Timestamp>>,
    /// The records this node marked interrupted, by store name, not yet
    /// taken by [`Recorder::take_interrupted`].
    interrupted: Mutex<Vec<(String, RunRecord)>>,
}

impl Recorder {
    pub(crate) fn new(
        node: String,
        clock: Arc<dyn Clock>,
        lease: SignedDuration,
        retention: RunRetention,
    ) -> Arc<Recorder> {
        Arc::new(Recorder {
            node,
            clock,
            lease,
            retention,
            stores: Mutex::new(HashMap::new()),
            flights: Mutex::new(Flights::default()),
            pending: Mutex::new(0),
            written: Notify::new(),
            queued: Mutex::new(HashMap::new()),
            last_sweep: Mutex::new(None),
            interrupted: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// A record of a run of `job_id` for `run_times` (the latest is its
    /// key), started now.
    pub(crate) fn running(&self, job_id: &str, run_times: &[Timestamp]) -> Option<RunRecord> {
        let scheduled = *run_times.last()?;
        let now = self.clock.now();
        let alive_until = now.checked_add(self.lease).unwrap_or(Timestamp::MAX);
        let fire_times = u32::try_from(run_times.len()).unwrap_or(u32::MAX);
        Some(
            RunRecord::running(job_id, scheduled, &*self.node, now, alive_until)
                .with_fire_times(fire_times),
        )
    }

    /// True when `store` (named `name`) keeps this node's run records.
    pub(crate) fn keeps_history(&self, name: &str, store: &dyn JobStore) -> bool {
        store.keeps_history() && !self.is_unsupported(name)
    }

    /// The records this node marked interrupted since the last call, with
    /// their store's name: the runs a policy may retry.
    pub(crate) fn take_interrupted(&self) -> Vec<(String, RunRecord)> {
        std::mem::take(&mut *lock(&self.interrupted))
    }

    fn note_interrupted(&self, name: &str, records: &[RunRecord]) {
        lock(&self.interrupted).extend(
            records
                .iter()
                .map(|record| (name.to_owned(), record.clone())),
        );
    }

    fn is_unsupported(&self, store: &str) -> bool {
        lock(&self.stores).get(store).is_some_and(|s| s.unsupported)
    }

    /// Takes `error` from `store`: true (after one debug line) when it says
    /// the store keeps no history.
    fn unsupported(&self, store: &str, error: &Error) -> bool {
        if !error.is_unsupported() {
            return false;
        }
        let mut stores = lock(&self.stores);
        let state = stores.entry(store.to_owned()).or_default();
        if !state.unsupported {
            state.unsupported = true;
            tracing::debug!(store, %error, "run history is off for this store");
        }
        true
    }

    /// A store was added under `name`: it starts afresh.
    pub(crate) fn forget_store(&self, name: &str) {
        lock(&self.stores).remove(name);
    }

    /// Marks the leftover running records of this node in `store`
    /// interrupted, once: before the first run this node records there.
    ///
    /// # Errors
    ///
    /// The store's failure; the next call tries again.
    pub(crate) async fn start_store(&self, name: &str, store: &dyn JobStore) -> Result<()> {
        let cell = Arc::clone(
            &lock(&self.stores)
                .entry(name.to_owned())
                .or_default()
                .started,
        );
        cell.get_or_try_init(|| async {
            let now = self.clock.now();
            match store.interrupt_runs(now, Some(&self.node)).await {
                Ok(records) if records.is_empty() => Ok(()),
                Ok(records) => {
                    self.note_interrupted(name, &records);
                    tracing::warn!(
                        store = name,
                        node = %self.node,
                        interrupted = records.len(),
                        "this node restarted: its {} unfinished run(s) are recorded as interrupted",
                        records.len()
                    );
                    Ok(())
                }
                Err(error) if self.unsupported(name, &error) => Ok(()),
                Err(error) => Err(error),
            }
        })
        .await
        .map(drop)
    }

    /// Writes `record` to `store` now; a failure is logged.
    pub(crate) async fn write(&self, name: &str, store: &dyn JobStore, record: &RunRecord) {
        if self.is_unsupported(name) {
            return;
        }
        if let Err(error) = store.record_run(record).await
            && !self.unsupported(name, &error)
        {
            tracing::error!(
                job = %record.job_id,
                store = name,
                status = %record.status,
                %error,
                "cannot record the run in the history"
            );
        }
    }

    /// Writes `record` in the background on `runtime`, so that the caller
    /// (an executor's thread) does not wait. The records that come while a
    /// store's writes are in progress are written together, in one
    /// [`JobStore::record_runs`] call.
    pub(crate) fn write_later(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        store: Arc<dyn JobStore>,
        record: RunRecord,
    ) {
        if self.is_unsupported(name) {
            return;
        }
        *lock(&self.pending) += 1;
        let start = {
            let mut queued = lock(&self.queued);
            let queue = queued.entry(name.to_owned()).or_insert_with(|| Queue {
                store: Arc::clone(&store),
                records: Vec::new(),
                writing: false,
            });
            queue.records.push(record);
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            let this = Arc::clone(self);
            let name = name.to_owned();
            runtime.spawn(async move { this.write_queued(&name).await });
        }
    }

    /// Writes store `name`'s queued records, a batch at a time, until none
    /// is left.
    async fn write_queued(&self, name: &str) {
        loop {
            let (store, batch) = {
                let mut queued = lock(&self.queued);
                let Some(queue) = queued.get_mut(name) else {
                    return;
                };
                if queue.records.is_empty() {
                    queue.writing = false;
                    return;
                }
                let take = queue.records.len().min(WRITE_BATCH);
                let batch: Vec<RunRecord> = queue.records.drain(..take).collect();
                (Arc::clone(&queue.store), batch)
            };
            if let Err(error) = store.record_runs(&batch).await
                && !self.unsupported(name, &error)
            {
                tracing::error!(
                    store = name,
                    runs = batch.len(),
                    %error,
                    "cannot record the runs' outcomes in the history"
                );
            }
            *lock(&self.pending) -= batch.len();
            self.written.notify_waiters();
        }
    }

    /// Returns once every spawned write is done.
    pub(crate) async fn wait_written(&self) {
        loop {
            let written = self.written.notified();
            if *lock(&self.pending) == 0 {
                return;
            }
            written.await;
        }
    }

    /// Records `record` as running in `store`, and keeps it renewed until
    /// [`Recorder::landed`]. Nothing is written when the store keeps no
    /// history or its start (see [`Recorder::start_store`]) fails.
    pub(crate) async fn take_off(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        store: &Arc<dyn JobStore>,
        record: RunRecord,
    ) {
        if let Err(error) = self.start_store(name, store.as_ref()).await {
            tracing::error!(
                job = %record.job_id,
                store = name,
                %error,
                "cannot record the run in the history"
            );
            return;
        }
        if self.is_unsupported(name) {
            return;
        }
        self.write(name, store.as_ref(), &record).await;
        self.track(runtime, name, store, record);
    }

    /// Keeps `record`, written as running already (by a settlement),
    /// renewed until [`Recorder::landed`].
    pub(crate) fn track(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        store: &Arc<dyn JobStore>,
        record: RunRecord,
    ) {
        let key = (
            name.to_owned(),
            record.job_id.clone(),
            record.scheduled_time,
        );
        let spawn = {
            let mut flights = lock(&self.flights);
            flights.runs.insert(
                key,
                InFlight {
                    store: Arc::clone(store),
                    record,
                },
            );
            !std::mem::replace(&mut flights.renewing, true)
        };
        if spawn {
            runtime.spawn(Arc::clone(self).renew(self.half_lease_from_now()));
        }
    }

    /// The run of `job_id` for `scheduled` in store `name` ended: writes
    /// `finish(running record)` in the background. Nothing happens when
    /// it was never recorded as running.
    pub(crate) fn landed(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        job_id: &str,
        scheduled: Timestamp,
        finish: impl FnOnce(RunRecord) -> RunRecord,
    ) {
        let key = (name.to_owned(), job_id.to_owned(), scheduled);
        let Some(flight) = lock(&self.flights).runs.remove(&key) else {
            return;
        };
        self.write_later(runtime, name, flight.store, finish(flight.record));
    }

    /// Records every run still in flight as interrupted by `reason`: at
    /// shutdown, for the runs that did not stop in time.
    pub(crate) async fn interrupt_in_flight(&self, reason: &str) {
        let flights: Vec<(Key, InFlight)> = lock(&self.flights).runs.drain().collect();
        let now = self.clock.now();
        for ((name, _, _), flight) in flights {
            let record = flight.record.finish(
                crate::history::RunStatus::Interrupted,
                now,
                None,
                Some(reason.to_owned()),
            );
            self.write(&name, flight.store.as_ref(), &record).await;
        }
    }

    /// Renews the records in flight every half lease, while there are any.
    /// The first `deadline` counts from when the first run took off, not
    /// from when this task is first polled.
    async fn renew(self: Arc<Recorder>, mut deadline: Timestamp) {
        loop {
            self.clock.sleep_until(deadline).await;
            if !self.renew_in_flight().await {
                return;
            }
            deadline = self.half_lease_from_now();
        }
    }

    fn half_lease_from_now(&self) -> Timestamp {
        self.clock
            .now()
            .checked_add(self.lease / 2)
            .unwrap_or(Timestamp::MAX)
    }

    /// Renews the records in flight, one call per store; false (and the
    /// renewing task is to end) when there are none.
    async fn renew_in_flight(&self) -> bool {
        let stores: HashMap<String, Arc<dyn JobStore>> = {
            let mut flights = lock(&self.flights);
            if flights.runs.is_empty() {
                flights.renewing = false;
                return false;
            }
            flights
                .runs
                .iter()
                .map(|((name, _, _), flight)| (name.clone(), Arc::clone(&flight.store)))
                .collect()
        };
        // The store keeps the promise on its own clock where it has one:
        // it gets the instant the promise counts from.
        let now = self.clock.now();
        let alive_until = now.checked_add(self.lease).unwrap_or(Timestamp::MAX);
        for (name, store) in stores {
            if self.is_unsupported(&name) {
                continue;
            }
            match store.renew_runs(&self.node, now, alive_until).await {
                Ok(renewed) => {
                    tracing::trace!(store = %name, renewed, "runs in flight renewed");
                }
                Err(error) if self.unsupported(&name, &error) => {}
                Err(error) => tracing::warn!(
                    store = %name,
                    %error,
                    "cannot renew the runs in flight; they may be taken as interrupted"
                ),
            }
        }
        true
    }

    /// Every lease (the first time at once): takes over the expired running
    /// records of nodes that died and prunes the history of each store.
    /// Failures are logged; they stop nothing.
    pub(crate) async fn sweep(&self, stores: &[(String, Arc<dyn JobStore>)], now: Timestamp) {
        {
            let mut last = lock(&self.last_sweep);
            if last.is_some_and(|last| now < last.saturating_add(self.lease).unwrap_or(last)) {
                return;
            }
            *last = Some(now);
        }
        // This node's own runs first: after a jump of the clock (a machine
        // that slept) they may look expired, yet they are alive.
        if !lock(&self.flights).runs.is_empty() {
            self.renew_in_flight().await;
        }
        for (name, store) in stores {
            if self.is_unsupported(name) {
                continue;
            }
            match store.interrupt_runs(now, None).await {
                Ok(records) if records.is_empty() => {}
                Ok(records) => {
                    self.note_interrupted(name, &records);
                    let mut nodes: Vec<&str> = records.iter().map(|r| r.node.as_str()).collect();
                    nodes.sort_unstable();
                    nodes.dedup();
                    tracing::warn!(
                        store = %name,
                        interrupted = records.len(),
                        nodes = %nodes.join(", "),
                        "{} run(s) of stopped nodes are recorded as interrupted",
                        records.len()
                    );
                }
                Err(error) if self.unsupported(name, &error) => continue,
                Err(error) => {
                    tracing::warn!(store = %name, %error, "cannot take over the runs of stopped nodes");
                }
            }
            match store.prune_runs(&self.retention, now).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(store = %name, removed, "run history pruned"),
                Err(error) if self.unsupported(name, &error) => {}
                Err(error) => tracing::warn!(store = %name, %error, "cannot prune the run history"),
            }
        }
    }
}

/// The runs `query` asks for across `stores`: merged newest first (by
/// scheduled time, then job id, then node), at most `query.limit`. Stores
/// that keep no history are skipped.
pub(crate) async fn list_runs(
    stores: &[(String, Arc<dyn JobStore>)],
    query: &RunQuery,
) -> Result<Vec<RunRecord>> {
    let mut runs = Vec::new();
    for (_, store) in stores {
        match store.list_runs(query).await {
            Ok(found) => runs.extend(found),
            Err(error) if error.is_unsupported() => {}
            Err(error) => return Err(error),
        }
    }
    runs.sort_by(|a, b| {
        b.scheduled_time
            .cmp(&a.scheduled_time)
            .then_with(|| a.job_id.cmp(&b.job_id))
            .then_with(|| a.node.cmp(&b.node))
    });
    if let Some(limit) = query.limit {
        runs.truncate(limit);
    }
    Ok(runs)
}

/// The jobs that `stores` keep but cannot restore, store by store.
pub(crate) async fn unrestorable_jobs(
    stores: &[(String, Arc<dyn JobStore>)],
) -> Result<Vec<UnrestorableJob>> {
    let mut jobs = Vec::new();
    for (_, store) in stores {
        match store.unrestorable_jobs().await {
            Ok(found) => jobs.extend(found),
            Err(error) if error.is_unsupported() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(jobs)
}
