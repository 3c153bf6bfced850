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
//! A store that keeps no history (its [`JobStore::history`] is `None`) is
//! skipped. A failing write is logged with the job and the store, and
//! never stops a run.
//!
//! A run's outcome is never dropped: an outcome that cannot be written (the
//! store is down) stays queued and is written again, with backoff, until
//! the store takes it. Until then the run stays this node's: its running
//! record is still renewed, the node's own sweep of a store holding such
//! outcomes waits until they are written, and an interrupted record whose
//! outcome this node knows is never retried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, OnceCell};

use crate::clock::{self, Clock};
use crate::error::Result;
use crate::history::{RunQuery, RunRecord, RunRetention};
use crate::store::{JobStore, RunHistory, UnrestorableJob};
use crate::sync::lock;

/// The key of a record: `(store, job id, scheduled time, attempt)`; the
/// node is always this one.
type Key = (String, String, Timestamp, u32);

/// What the recorder knows of one store (by its name in the scheduler).
#[derive(Default)]
struct StoreState {
    /// Done once the node's own leftovers are interrupted.
    started: Arc<OnceCell<()>>,
}

/// How the error of a run cut short by the scheduler's shutdown begins: the
/// next start of the same node retries such runs of jobs that say
/// `on_interrupted = "retry"`.
pub(crate) const SHUT_DOWN: &str = "interrupted: the scheduler shut down";

/// How many of a store's latest failed records the start looks through for
/// runs its node's shutdown cut short: a bound that does not grow with the
/// number of stored jobs, so a start with many jobs runs its first job as
/// soon as one with few.
const SHUTDOWN_LEFTOVERS_SCANNED: usize = 1_000;

/// The most records one background write takes.
const WRITE_BATCH: usize = 1000;

/// The records waiting to be written to one store.
struct Queue {
    store: Arc<dyn JobStore>,
    records: Vec<RunRecord>,
    /// A task is writing them.
    writing: bool,
}

/// The first wait before writing again outcomes a store refused.
const FIRST_WRITE_RETRY: SignedDuration = SignedDuration::from_millis(200);

/// The longest wait between two attempts to write held outcomes.
const LAST_WRITE_RETRY: SignedDuration = SignedDuration::from_secs(2);

/// How many runs whose outcome was written are remembered, so that an
/// interrupted record of one of them is never retried.
const REMEMBERED_OUTCOMES: usize = 10_000;

/// A run recorded as running and not finished yet, or finished with its
/// outcome not written yet.
struct InFlight {
    store: Arc<dyn JobStore>,
    record: RunRecord,
    /// The run ended; its outcome is queued (held until written).
    landed: bool,
}

#[derive(Default)]
struct Flights {
    runs: HashMap<Key, InFlight>,
    /// A renewing task is running.
    renewing: bool,
    /// Runs whose outcome was written lately, oldest first (bounded).
    written: std::collections::VecDeque<Key>,
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
    /// Wakes the writers waiting to try a refused batch again: a new
    /// outcome came, or a store answers again.
    retry_now: Notify,
    /// When expired records were last taken over and history pruned, per
    /// store name.
    last_sweep: Mutex<HashMap<String, Timestamp>>,
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
            retry_now: Notify::new(),
            last_sweep: Mutex::new(HashMap::new()),
            interrupted: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// A record of attempt `attempt` of a run of `job_id` for `run_times`
    /// (the latest is its key), started now.
    pub(crate) fn running(
        &self,
        job_id: &str,
        run_times: &[Timestamp],
        attempt: u32,
    ) -> Option<RunRecord> {
        let scheduled = *run_times.last()?;
        let now = self.clock.now();
        let alive_until = now.checked_add(self.lease).unwrap_or(Timestamp::MAX);
        let fire_times = u32::try_from(run_times.len()).unwrap_or(u32::MAX);
        Some(
            RunRecord::running(job_id, scheduled, &*self.node, now, alive_until)
                .with_fire_times(fire_times)
                .with_attempt(attempt),
        )
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

    /// A store was added under `name`: it starts afresh.
    pub(crate) fn forget_store(&self, name: &str) {
        lock(&self.stores).remove(name);
    }

    /// Marks the leftover running records of this node in `store`
    /// interrupted, once: before the first run this node records there.
    /// Nothing to do for a store that keeps no history.
    ///
    /// # Errors
    ///
    /// The store's failure; the next call tries again.
    pub(crate) async fn start_store(&self, name: &str, store: &dyn JobStore) -> Result<()> {
        let Some(history) = store.history() else {
            return Ok(());
        };
        let cell = Arc::clone(
            &lock(&self.stores)
                .entry(name.to_owned())
                .or_default()
                .started,
        );
        cell.get_or_try_init(|| async {
            let now = self.clock.now();
            match history.interrupt_runs(now, Some(&self.node)).await {
                Ok(records) if records.is_empty() => {
                    self.find_shutdown_leftovers(name, history).await;
                    Ok(())
                }
                Ok(records) => {
                    self.note_interrupted(name, &records);
                    self.find_shutdown_leftovers(name, history).await;
                    tracing::warn!(
                        store = name,
                        node = %self.node,
                        interrupted = records.len(),
                        "this node restarted: its {} unfinished run(s) are recorded as interrupted",
                        records.len()
                    );
                    Ok(())
                }
                Err(error) => Err(error),
            }
        })
        .await
        .map(drop)
    }

    /// Notes, for a retry, the runs that this node's last shutdown cut short
    /// in `store` (recorded interrupted then), found among the store's
    /// latest failed records; the retry keeps those of jobs that say
    /// `on_interrupted = "retry"`. A retry's record replaces the
    /// interrupted one (same job, fire time and node), so each is found
    /// once. A failure is logged: those runs are not retried.
    async fn find_shutdown_leftovers(&self, name: &str, history: &dyn RunHistory) {
        let query = RunQuery::new()
            .failed_only()
            .limit(SHUTDOWN_LEFTOVERS_SCANNED);
        let found: Vec<RunRecord> = match history.list_runs(&query).await {
            Ok(runs) => runs
                .into_iter()
                .filter(|run| {
                    run.node == self.node
                        && run.status == crate::history::RunStatus::Interrupted
                        && run
                            .error
                            .as_deref()
                            .is_some_and(|error| error.starts_with(SHUT_DOWN))
                })
                .collect(),
            Err(error) => {
                tracing::warn!(store = name, %error, "cannot look for runs cut short by the last shutdown");
                return;
            }
        };
        if !found.is_empty() {
            tracing::warn!(
                store = name,
                node = %self.node,
                runs = found.len(),
                "{} run(s) cut short by this node's last shutdown: those of jobs with on_interrupted = \"retry\" are retried",
                found.len()
            );
            self.note_interrupted(name, &found);
        }
    }

    /// Writes `record` to `store` now; a failure is logged.
    pub(crate) async fn write(&self, name: &str, store: &dyn JobStore, record: &RunRecord) {
        let Some(history) = store.history() else {
            return;
        };
        if let Err(error) = history.record_run(record).await {
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
    /// [`RunHistory::record_runs`] call.
    pub(crate) fn write_later(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        store: Arc<dyn JobStore>,
        record: RunRecord,
    ) {
        if store.history().is_none() {
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
        if !start {
            // A writer waiting to try again tries at once.
            self.retry_now.notify_waiters();
        }
        if start {
            let this = Arc::clone(self);
            let name = name.to_owned();
            runtime.spawn(async move { this.write_queued(&name).await });
        }
    }

    /// Writes store `name`'s queued records, a batch at a time, until none
    /// is left. A batch the store refuses goes back to the head of the
    /// queue and is written again after a wait that grows from 200 ms to
    /// 2 s: an outcome is never dropped.
    async fn write_queued(&self, name: &str) {
        let mut retry = FIRST_WRITE_RETRY;
        let mut failures = 0u32;
        loop {
            let Some((store, batch)) = self.take_batch(name, true) else {
                return;
            };
            let Some(history) = store.history() else {
                self.written_out(name, &batch);
                continue;
            };
            match history.record_runs(&batch).await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(
                            store = name,
                            runs = batch.len(),
                            attempts = failures + 1,
                            "the runs' outcomes are recorded in the history"
                        );
                    }
                    failures = 0;
                    retry = FIRST_WRITE_RETRY;
                    self.written_out(name, &batch);
                }
                Err(error) => {
                    if failures == 0 {
                        tracing::error!(
                            store = name,
                            runs = batch.len(),
                            %error,
                            "cannot record the runs' outcomes in the history; they are kept and written when the store answers"
                        );
                    } else {
                        tracing::debug!(store = name, runs = batch.len(), %error, "outcomes not written yet");
                    }
                    failures = failures.saturating_add(1);
                    let woken = self.retry_now.notified();
                    self.put_back(name, batch);
                    tokio::select! {
                        () = clock::sleep(&*self.clock, retry) => {}
                        () = woken => {}
                    }
                    retry = retry.saturating_mul(2).min(LAST_WRITE_RETRY);
                }
            }
        }
    }

    /// Takes the next batch of store `name`'s queued records; `None` (and,
    /// for the `writer`, the queue is no longer being written) when there
    /// are none.
    fn take_batch(&self, name: &str, writer: bool) -> Option<(Arc<dyn JobStore>, Vec<RunRecord>)> {
        let mut queued = lock(&self.queued);
        let queue = queued.get_mut(name)?;
        if queue.records.is_empty() {
            if writer {
                queue.writing = false;
            }
            return None;
        }
        let take = queue.records.len().min(WRITE_BATCH);
        let batch: Vec<RunRecord> = queue.records.drain(..take).collect();
        Some((Arc::clone(&queue.store), batch))
    }

    /// Puts `batch`, refused by store `name`, back at the head of its
    /// queue.
    fn put_back(&self, name: &str, batch: Vec<RunRecord>) {
        let mut queued = lock(&self.queued);
        if let Some(queue) = queued.get_mut(name) {
            queue.records.splice(0..0, batch);
        }
    }

    /// `batch` is written to store `name` (or never will be: the store
    /// keeps no history): its runs are no longer held.
    fn written_out(&self, name: &str, batch: &[RunRecord]) {
        {
            let mut flights = lock(&self.flights);
            for record in batch {
                let key = (
                    name.to_owned(),
                    record.job_id.clone(),
                    record.scheduled_time,
                    record.attempt,
                );
                if flights.runs.get(&key).is_some_and(|flight| flight.landed) {
                    flights.runs.remove(&key);
                    if flights.written.len() == REMEMBERED_OUTCOMES {
                        flights.written.pop_front();
                    }
                    flights.written.push_back(key);
                }
            }
        }
        *lock(&self.pending) -= batch.len();
        self.written.notify_waiters();
    }

    /// Writes store `name`'s queued outcomes now, so that its history
    /// holds them (before counting a job's failures in a row); a failure
    /// leaves them queued.
    pub(crate) async fn flush_store(&self, name: &str) {
        self.flush(name).await;
    }

    /// Writes store `name`'s queued outcomes now (before sweeping it);
    /// true when no outcome of this node is held for it any more.
    async fn flush(&self, name: &str) -> bool {
        while let Some((store, batch)) = self.take_batch(name, false) {
            let written = match store.history() {
                Some(history) => history.record_runs(&batch).await,
                None => Ok(()),
            };
            match written {
                Ok(()) => self.written_out(name, &batch),
                Err(_) => {
                    self.put_back(name, batch);
                    return false;
                }
            }
        }
        !lock(&self.flights)
            .runs
            .iter()
            .any(|((store, _, _, _), flight)| store == name && flight.landed)
    }

    /// A store answers again: the outcomes held are written at once.
    pub(crate) fn store_answers(&self) {
        self.retry_now.notify_waiters();
    }

    /// True when this node knows how attempt `attempt` of its run of
    /// `job_id` for `scheduled` in store `name` ended, or still runs it:
    /// such a run is never retried.
    pub(crate) fn knows_outcome(
        &self,
        name: &str,
        job_id: &str,
        scheduled: Timestamp,
        attempt: u32,
    ) -> bool {
        let key = (name.to_owned(), job_id.to_owned(), scheduled, attempt);
        let flights = lock(&self.flights);
        flights.runs.contains_key(&key) || flights.written.contains(&key)
    }

    /// The outcomes still held (not written), for the log at shutdown.
    fn held(&self) -> Vec<RunRecord> {
        lock(&self.queued)
            .values()
            .flat_map(|queue| queue.records.iter().cloned())
            .collect()
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

    /// Waits, at most `limit`, until every spawned write is done: at
    /// shutdown, while a store that is down holds outcomes. Those still
    /// held at the limit are logged, one error line each, with what the
    /// history would have said.
    pub(crate) async fn wait_written_for(&self, limit: SignedDuration) {
        if clock::timeout(&*self.clock, limit, self.wait_written())
            .await
            .is_some()
        {
            return;
        }
        for record in self.held() {
            tracing::error!(
                job = %record.job_id,
                scheduled = %record.scheduled_time,
                status = %record.status,
                exit_status = ?record.exit_status,
                started = ?record.started,
                finished = ?record.finished,
                error = ?record.error,
                "shutting down with a run's outcome not written: the store did not answer"
            );
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
        if store.history().is_none() {
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
            record.attempt,
        );
        let spawn = {
            let mut flights = lock(&self.flights);
            flights.runs.insert(
                key,
                InFlight {
                    store: Arc::clone(store),
                    record,
                    landed: false,
                },
            );
            !std::mem::replace(&mut flights.renewing, true)
        };
        if spawn {
            runtime.spawn(Arc::clone(self).renew(self.half_lease_from_now()));
        }
    }

    /// Attempt `attempt` of the run of `job_id` for `scheduled` in store
    /// `name` ended: writes
    /// `finish(running record)` in the background. Nothing happens when
    /// it was never recorded as running. The run stays in flight (renewed)
    /// until its outcome is written.
    pub(crate) fn landed(
        self: &Arc<Recorder>,
        runtime: &tokio::runtime::Handle,
        name: &str,
        job_id: &str,
        scheduled: Timestamp,
        attempt: u32,
        finish: impl FnOnce(RunRecord) -> RunRecord,
    ) {
        let key = (name.to_owned(), job_id.to_owned(), scheduled, attempt);
        let (store, record) = {
            let mut flights = lock(&self.flights);
            let Some(flight) = flights.runs.get_mut(&key) else {
                return;
            };
            if flight.store.history().is_none() {
                flights.runs.remove(&key);
                return;
            }
            if flight.landed {
                return;
            }
            flight.landed = true;
            (Arc::clone(&flight.store), flight.record.clone())
        };
        self.write_later(runtime, name, store, finish(record));
    }

    /// Records every run still in flight as interrupted by `reason`: at
    /// shutdown, for the runs that did not stop in time. Runs that ended
    /// (their outcome queued) keep their outcome.
    pub(crate) async fn interrupt_in_flight(&self, reason: &str) {
        let flights: Vec<(Key, InFlight)> = {
            let mut flights = lock(&self.flights);
            let keys: Vec<Key> = flights
                .runs
                .iter()
                .filter(|(_, flight)| !flight.landed)
                .map(|(key, _)| key.clone())
                .collect();
            keys.into_iter()
                .filter_map(|key| flights.runs.remove(&key).map(|flight| (key, flight)))
                .collect()
        };
        let now = self.clock.now();
        for ((name, _, _, _), flight) in flights {
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
        self.renew_stores().await.is_some()
    }

    /// Renews the records in flight (runs going on, and runs whose outcome
    /// is held), one call per store; `None` when there are none, else the
    /// names of the stores that failed.
    async fn renew_stores(&self) -> Option<Vec<String>> {
        let stores: HashMap<String, Arc<dyn JobStore>> = {
            let mut flights = lock(&self.flights);
            if flights.runs.is_empty() {
                flights.renewing = false;
                return None;
            }
            flights
                .runs
                .iter()
                .map(|((name, _, _, _), flight)| (name.clone(), Arc::clone(&flight.store)))
                .collect()
        };
        // The store keeps the promise on its own clock where it has one:
        // it gets the instant the promise counts from.
        let now = self.clock.now();
        let alive_until = now.checked_add(self.lease).unwrap_or(Timestamp::MAX);
        let mut failed = Vec::new();
        for (name, store) in stores {
            let Some(history) = store.history() else {
                continue;
            };
            match history.renew_runs(&self.node, now, alive_until).await {
                Ok(renewed) => {
                    tracing::trace!(store = %name, renewed, "runs in flight renewed");
                }
                Err(error) => {
                    tracing::warn!(
                        store = %name,
                        %error,
                        "cannot renew the runs in flight; renewing again when the store answers"
                    );
                    failed.push(name);
                }
            }
        }
        Some(failed)
    }

    /// Every lease (the first time at once): takes over the expired running
    /// records of nodes that died and prunes the history of each store.
    /// Failures are logged; they stop nothing.
    ///
    /// A store is swept only once this node's runs there are renewed and
    /// the outcomes it holds for it are written: its own sweep never takes
    /// one of its runs as interrupted. A store skipped for that is tried
    /// again at the next call.
    pub(crate) async fn sweep(&self, stores: &[(String, Arc<dyn JobStore>)], now: Timestamp) {
        let due: Vec<&(String, Arc<dyn JobStore>)> = {
            let last = lock(&self.last_sweep);
            stores
                .iter()
                .filter(|(name, _)| {
                    last.get(name)
                        .is_none_or(|last| now >= last.saturating_add(self.lease).unwrap_or(*last))
                })
                .collect()
        };
        if due.is_empty() {
            return;
        }
        // This node's own runs first: after a jump of the clock (a machine
        // that slept) they may look expired, yet they are alive.
        let not_renewed = if lock(&self.flights).runs.is_empty() {
            Vec::new()
        } else {
            self.renew_stores().await.unwrap_or_default()
        };
        for (name, store) in due {
            let Some(history) = store.history() else {
                continue;
            };
            if not_renewed.contains(name) || !self.flush(name).await {
                tracing::debug!(
                    store = %name,
                    "sweep put off: this node's runs there are not renewed or their outcomes not written yet"
                );
                continue;
            }
            lock(&self.last_sweep).insert(name.clone(), now);
            match history.interrupt_runs(now, None).await {
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
                Err(error) => {
                    tracing::warn!(store = %name, %error, "cannot take over the runs of stopped nodes");
                }
            }
            match history.prune_runs(&self.retention, now).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(store = %name, removed, "run history pruned"),
                Err(error) => tracing::warn!(store = %name, %error, "cannot prune the run history"),
            }
        }
    }
}

/// The runs `query` asks for across `stores`: merged newest first (by
/// scheduled time, then job id, then the latest attempt first, then node),
/// at most `query.limit`. Stores
/// that keep no history are skipped.
pub(crate) async fn list_runs(
    stores: &[(String, Arc<dyn JobStore>)],
    query: &RunQuery,
) -> Result<Vec<RunRecord>> {
    let mut runs = Vec::new();
    for (_, store) in stores {
        if let Some(history) = store.history() {
            runs.extend(history.list_runs(query).await?);
        }
    }
    runs.sort_by(|a, b| {
        b.scheduled_time
            .cmp(&a.scheduled_time)
            .then_with(|| a.job_id.cmp(&b.job_id))
            .then_with(|| b.attempt.cmp(&a.attempt))
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
        jobs.extend(store.unrestorable_jobs().await?);
    }
    Ok(jobs)
}
