//! The run lifecycle: a run from its instance taken (`prepare`, `stage`)
//! through its submission to the executor to its outcome recorded and told,
//! telling the notices of runs missed or refused (`announce`;
//! `scheduler::plan` builds them), and the retry of interrupted runs. The
//! instance counts and the table of runs in progress are in `running`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

use super::Engine;
use super::follow_up::{FollowUp, FollowUps};
use super::notices::Notices;
use super::running::{NotedRun, RunCounts};
use super::wakeup::Wakeup;
use crate::clock::Clock;
use crate::event::{Event, EventKind, Listeners};
use crate::executor::{Completion, Executor, Run, RunOutcome, RunReport, RunTarget, RunTimes};
use crate::history::RunStatus;
use crate::job::MisfireGraceTime;
use crate::job::{Job, OnInterrupted};
use crate::scheduler::plan::{Notice, Refusal, Severity, refused};
use crate::scheduler::recorder::{Recorder, SHUT_DOWN};
use crate::store::JobStore;
use crate::sync::lock;
use crate::task::{JobTask, RunScope};

impl Engine {
    /// Runs again, once, the interrupted runs this node found whose job
    /// says `on_interrupted = "retry"`.
    pub(super) async fn retry_interrupted(&self, now: Timestamp) {
        for (name, record) in self.recorder.take_interrupted() {
            let Ok(store) = self.store(&name) else {
                continue;
            };
            let job = match store.get_job(&record.job_id).await {
                Ok(Some(job)) => job,
                Ok(None) => continue,
                Err(error) => {
                    tracing::error!(
                        job = %record.job_id,
                        store = %name,
                        %error,
                        "cannot read the job of an interrupted run: it is not retried"
                    );
                    continue;
                }
            };
            if job.on_interrupted() != OnInterrupted::Retry || job.is_paused() {
                continue;
            }
            if self.recorder.knows_outcome(
                &name,
                &record.job_id,
                record.scheduled_time,
                record.attempt,
            ) {
                tracing::debug!(
                    job = %job.id,
                    scheduled = %record.scheduled_time,
                    "an interrupted record of a run this node ran to its end: not retried"
                );
                continue;
            }
            tracing::warn!(
                job = %job.id,
                scheduled = %record.scheduled_time,
                interrupted_on = %record.node,
                "retrying an interrupted run (on_interrupted = \"retry\")"
            );
            let runs = vec![RunTimes::One(record.scheduled_time)];
            if let Some(staged) = self
                .stage(&name, &store, &job, runs, record.attempt, now)
                .await
            {
                staged.go();
            }
        }
    }

    /// Logs and emits `notices` of job `job_id`.
    pub(super) fn announce(&self, job_id: &str, notices: Vec<Notice>) {
        for notice in notices {
            match notice.severity {
                Severity::Warn => tracing::warn!(job = %job_id, "{}", notice.line),
                Severity::Error => tracing::error!(job = %job_id, "{}", notice.line),
            }
            self.emit(*notice.event);
        }
    }

    /// Gets the runs of `job` ready to start at once, outside a claim (a
    /// run now, the retry of an interrupted run), as attempt `attempt`:
    /// takes an instance and records each run as running. When they
    /// cannot start, reports why — events, a log line, a history record —
    /// and returns `None`.
    pub(super) async fn stage(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        job: &Job,
        runs: Vec<RunTimes>,
        attempt: u32,
        now: Timestamp,
    ) -> Option<Staged> {
        let mut batch = self.batch(store_name, true);
        match self.prepare(&mut batch, job, &mut runs.clone(), 0, attempt) {
            Ok(staged) => {
                for run_times in &runs {
                    if let Some(record) = self.recorder.running(&job.id, run_times, attempt) {
                        self.recorder
                            .take_off(&staged.submission.target.runtime, store_name, store, record)
                            .await;
                    }
                }
                Some(staged)
            }
            Err(refusal) => {
                let (record, notice) = refused(self.recorder.node(), job, &runs, refusal, now);
                let record = record.with_attempt(attempt);
                self.announce(&job.id, vec![notice]);
                self.recorder
                    .write(store_name, store.as_ref(), &record)
                    .await;
                None
            }
        }
    }

    /// Readies the runs of `job` for its executor as one submission (one
    /// instance), unless the job already runs `max_instances` times — here
    /// and, `others`, on the other nodes sharing its store — or cannot run
    /// at all. Several runs (due times not coalesced) run one after the
    /// other, as APScheduler's executors do. Nothing is told yet: the
    /// refusal carries its notice, the staged runs their events.
    /// Staged runs are taken out of `runs`; refused ones are left. They
    /// run as attempt `attempt` of their fire times (1 but for retries).
    pub(super) fn prepare(
        &self,
        batch: &mut Batch,
        job: &Job,
        runs: &mut Vec<RunTimes>,
        others: u32,
        attempt: u32,
    ) -> std::result::Result<Staged, Refusal> {
        let store = &batch.store;
        let all_times = || -> Vec<Timestamp> { runs.iter().flatten().copied().collect() };
        let fail = |message: String| {
            let mut event = Event::new(EventKind::JobError)
                .with_job(&job.id, store)
                .with_run_times(all_times());
            event.error = Some(message.clone());
            event.attempt = attempt;
            Refusal::Failed {
                notice: Notice {
                    severity: Severity::Error,
                    line: format!("run not started: {message}"),
                    event: Box::new(event),
                },
                message: format!("run not started: {message}"),
            }
        };
        let target = match &batch.target {
            Some((task, executor, target))
                if *task == job.task && **executor == *job.executor() =>
            {
                Arc::clone(target)
            }
            _ => {
                let task = match self.tasks.resolve(&job.task) {
                    Ok(task) => task,
                    Err(error) => return Err(fail(error.to_string())),
                };
                let Some(executor) = self.executor(job.executor()) else {
                    return Err(fail(format!(
                        "executor: {:?} is not configured",
                        job.executor()
                    )));
                };
                let Some(runtime) = lock(&self.runtime).clone() else {
                    return Err(fail(
                        "the scheduler has no runtime: it was not started".to_owned(),
                    ));
                };
                let target = Arc::new(RunTarget {
                    store: Arc::clone(&batch.store),
                    executor_name: Arc::clone(&job.options.executor),
                    executor,
                    runtime,
                    task,
                    signals: Arc::clone(&self.signals),
                    node: Arc::from(self.node.as_str()),
                    clock: Arc::clone(&self.clock),
                });
                batch.target = Some((
                    job.task.clone(),
                    Arc::clone(&job.options.executor),
                    Arc::clone(&target),
                ));
                target
            }
        };
        if runs.is_empty() {
            return Err(fail("no run times".to_owned()));
        }
        let limit = job.instance_limit();
        let here = limit.saturating_sub(others);
        let job_hash = self.running.hash(&job.id);
        if !self.running.try_start(&job.id, job_hash, here) {
            let (message, line) = if others > 0 {
                (
                    format!(
                        "already running {limit} instance(s), the maximum, {others} of them on other nodes"
                    ),
                    "run skipped: the job is already running its maximum number of instances across the nodes",
                )
            } else {
                (
                    format!("already running {limit} instance(s), the maximum"),
                    "run skipped: the job is already running its maximum number of instances",
                )
            };
            let mut event = Event::runs_refused(&job.id, store, all_times(), message.clone());
            event.attempt = attempt;
            let notice = Notice {
                severity: Severity::Warn,
                line: format!("{line} (max_instances = {limit})"),
                event: Box::new(event),
            };
            let message = format!("run skipped: {message}");
            return Err(if others > 0 {
                Refusal::Elsewhere { message, notice }
            } else {
                Refusal::MaxInstances { message, notice }
            });
        }
        // Only `cancel_other` looks for a job's runs in progress (to
        // cancel the one a newer fire time replaces): the runs of other
        // jobs are not noted among them.
        let replaceable = job.overlap() == Some(crate::job::Overlap::CancelOther);
        if replaceable {
            self.note_replaceable(job, &batch.store);
        }
        let submitted = if self.listeners.wants(EventKind::JobSubmitted) {
            runs.iter()
                .map(|run_times| {
                    let mut event = Event::new(EventKind::JobSubmitted)
                        .with_job(&job.id, store)
                        .with_run_times(run_times.to_vec());
                    event.executor = Some(job.executor().to_owned());
                    event.attempt = attempt;
                    event
                })
                .collect()
        } else {
            Vec::new()
        };
        // Drained, not taken: the caller's vector keeps its memory for
        // the next job's runs.
        let mut runs = runs.drain(..);
        // OK because `runs` is not empty (checked above).
        let first = runs.next().unwrap_or(RunTimes::Many(Vec::new()));
        // Most submissions have one run: their queue takes no memory.
        let runs: std::collections::VecDeque<RunTimes> = runs.collect();
        let grace = job.misfire_grace_time();
        let submission = Arc::new(Submission {
            job_id: Arc::clone(&job.id),
            job_hash,
            job: (job.retry().is_some()
                || job.pause_after_failures().is_some()
                || self.notices.watches(job))
            .then(|| Box::new(job.clone())),
            attempt,
            target,
            env: Arc::clone(&batch.env),
            args: job.args().clone(),
            grace,
            timeout: job.timeout(),
            too_late: matches!(grace, MisfireGraceTime::Limit(_)).then(Arc::default),
            recorded: batch.recorded,
            replaceable,
            remaining: Mutex::new(runs),
            started: Mutex::new(None),
            current: Mutex::new(None),
        });
        Ok(Staged {
            submission,
            first,
            submitted,
            limit,
        })
    }
}

/// Runs ready to start: an instance taken.
pub(super) struct Staged {
    submission: Arc<Submission>,
    first: RunTimes,
    /// Their submitted events, told when they start.
    submitted: Vec<Event>,
    /// The job's `max_instances`, across every node.
    limit: u32,
}

impl Staged {
    /// Tells the runs submitted and hands the first to the executor.
    pub(super) fn go(self) {
        self.go_with(&mut Handover::default());
    }

    /// Tells the runs submitted and hands the first to the executor with
    /// the other runs of `handover`.
    pub(super) fn go_with(self, handover: &mut Handover) {
        let Staged {
            submission,
            first,
            submitted,
            ..
        } = self;
        for event in submitted {
            submission.env.listeners.emit(event);
        }
        let clock = &submission.env.clock;
        let at = *handover
            .at
            .get_or_insert_with(|| (clock.monotonic(), clock.now()));
        if submission.replaceable && handover.counts.is_none() {
            handover.counts = Some(Arc::clone(&submission.env.running));
        }
        // The submission goes into its run (which ends it), not copied.
        let (run, noted) = submission.run(first, at);
        handover.push(run, noted);
    }

    /// The job whose instance the runs take (a pending run's parent).
    pub(super) fn job_id(&self) -> &Arc<str> {
        &self.submission.job_id
    }

    /// How many runs of the job may be in progress at once, across every
    /// node.
    pub(super) fn limit(&self) -> u32 {
        self.limit
    }

    /// The runs will not start: frees the instance. Their running records,
    /// if the settlement wrote them, are the caller's to finish.
    pub(super) fn call_off(self) {
        let submission = self.submission;
        submission
            .env
            .running
            .instance_finished(&submission.job_id, submission.job_hash);
        submission.env.running.submission_ended();
    }
}

/// What the jobs of one batch share as their runs are prepared: their
/// store's name, whether it keeps their runs' records, and what was looked
/// up for the jobs before (most jobs of a batch share their task and
/// executor), so that each is looked up once a batch.
pub(super) struct Batch {
    pub(super) store: Arc<str>,
    /// The runs have running records (their store keeps history), to be
    /// finished when they end.
    pub(super) recorded: bool,
    /// What every submission of the batch reaches.
    env: Arc<RunEnv>,
    /// The latest target, by the task and executor name it is for.
    target: Option<(JobTask, Arc<str>, Arc<RunTarget>)>,
}

impl Engine {
    /// A new batch of store `store`'s jobs; `recorded`: the store keeps
    /// their runs' records.
    pub(super) fn batch(&self, store: &str, recorded: bool) -> Batch {
        Batch {
            store: Arc::from(store),
            recorded,
            env: Arc::new(RunEnv {
                listeners: self.listeners.clone(),
                running: Arc::clone(&self.running),
                clock: Arc::clone(&self.clock),
                recorder: Arc::clone(&self.recorder),
                follow_ups: Arc::clone(&self.follow_ups),
                wakeup: Arc::clone(&self.wakeup),
                notices: Arc::clone(&self.notices),
            }),
            target: None,
        }
    }
}

/// What the submissions of a batch reach, held once for them all.
struct RunEnv {
    listeners: Listeners,
    running: Arc<RunCounts>,
    /// The clock, for how late each run starts.
    clock: Arc<dyn Clock>,
    /// The run history.
    recorder: Arc<Recorder>,
    /// What finished runs leave to do (retries, pauses), and the loop's
    /// wake-up, to do it soon.
    follow_ups: Arc<FollowUps>,
    wakeup: Arc<Wakeup>,
    /// What finished runs leave to tell (see [`crate::notify`]).
    notices: Arc<Notices>,
}

/// How many runs a [`Handover`] holds at most before it hands them over:
/// the first runs of a large batch start while the rest are prepared, and
/// a worker that keeps up finds runs waiting instead of sleeping until the
/// whole batch is handed over (and being woken, on a small machine, onto
/// the loop's own processor).
const HANDOVER_CHUNK: usize = 64;

/// Runs handed to their executor together, so that its queue is taken
/// once for them all: the runs of one claimed batch, [`HANDOVER_CHUNK`] at
/// a time. What is still held is handed over when it is dropped.
#[derive(Default)]
pub(super) struct Handover {
    runs: Vec<Run>,
    /// The runs' scopes, noted among the runs in progress together (one
    /// lock a shard for them all) before the runs are handed over.
    noted: Vec<NotedRun>,
    /// Where they are noted.
    counts: Option<Arc<RunCounts>>,
    /// When the runs are handed over, read once for them all: on a
    /// monotonic clock, and by the scheduler's clock.
    at: Option<(SignedDuration, Timestamp)>,
    /// The executor of `runs`, and the runtime its async tasks run on.
    to: Option<(Arc<Executor>, tokio::runtime::Handle)>,
}

impl Handover {
    /// Holds `run` to hand over, and its scope to note among the runs in
    /// progress (`counts` set by the caller when there is one).
    fn push(&mut self, run: Run, noted: Option<NotedRun>) {
        let target = &run.target;
        let same = self
            .to
            .as_ref()
            .is_some_and(|(executor, _)| Arc::ptr_eq(executor, &target.executor));
        if !same {
            self.flush();
            self.to = Some((Arc::clone(&target.executor), target.runtime.clone()));
        }
        self.runs.push(run);
        if let Some(noted) = noted {
            self.noted.push(noted);
        }
        if self.runs.len() >= HANDOVER_CHUNK {
            self.flush();
        }
    }

    /// Hands over the runs held; the next runs are handed over at a new
    /// time.
    pub(super) fn flush(&mut self) {
        self.at = None;
        if let Some(counts) = &self.counts
            && !self.noted.is_empty()
        {
            counts.scopes.insert_all(&mut self.noted);
        }
        if let Some((executor, runtime)) = &self.to
            && !self.runs.is_empty()
        {
            executor.submit_batch(&mut self.runs, runtime);
        }
    }
}

impl Drop for Handover {
    fn drop(&mut self) {
        self.flush();
    }
}

/// One submission: the runs of one job that one instance executes, one
/// after the other.
struct Submission {
    job_id: Arc<str>,
    /// The hash of `job_id` that counts its instance (made once, by the
    /// loop, for the worker that frees it too).
    job_hash: u64,
    /// The job as it was when its runs were prepared, for what follows a
    /// failure: kept only when it has a retry or pause policy (most jobs
    /// have neither, and their runs carry no copy). Boxed, so that a
    /// submission without it is small to make.
    job: Option<Box<Job>>,
    /// Which attempt at their fire times the runs are.
    attempt: u32,
    /// Its store, executor and task, shared with its batch.
    target: Arc<RunTarget>,
    /// The listeners, run counts, clock and history, shared with its batch.
    env: Arc<RunEnv>,
    args: serde_json::Value,
    /// The job's misfire grace time, checked again when a queued run
    /// starts.
    grace: MisfireGraceTime,
    /// How long each run may take.
    timeout: Option<SignedDuration>,
    /// The current run waited in the queue past its grace time; `None`
    /// when the grace time is unlimited.
    too_late: Option<Arc<AtomicBool>>,
    /// Its runs have running records (their store keeps history), which
    /// their outcomes finish.
    recorded: bool,
    /// Its runs are noted among the runs in progress ([`RunScopes`]), for
    /// `cancel_other` to find: its job had that policy when they were
    /// prepared.
    replaceable: bool,
    remaining: Mutex<std::collections::VecDeque<RunTimes>>,
    /// When the current run was handed over: the clock's monotonic reading
    /// (for its duration) and its time (for its record).
    started: Mutex<Option<(SignedDuration, Timestamp)>>,
    /// The current run's key among the engine's running runs
    /// ([`RunScopes`]), taken out when it ends; `None` when its runs are
    /// not noted there.
    current: Mutex<Option<u64>>,
}

impl Submission {
    /// Hands the run for `run_times` to the executor.
    fn start(self: Arc<Submission>, run_times: RunTimes) {
        let clock = &self.env.clock;
        let at = (clock.monotonic(), clock.now());
        let running = Arc::clone(&self.env.running);
        let (run, noted) = self.run(run_times, at);
        if let Some(noted) = noted {
            running.scopes.insert_all(&mut vec![noted]);
        }
        let target = Arc::clone(&run.target);
        target.executor.submit(run, &target.runtime);
    }

    /// The run for `run_times`, noted as handed over `at` (on a monotonic
    /// clock, and by the scheduler's), and its scope, for the caller to
    /// note among the runs in progress ([`RunScopes::insert_all`]) before
    /// the run is handed over.
    fn run(
        self: Arc<Submission>,
        run_times: RunTimes,
        at: (SignedDuration, Timestamp),
    ) -> (Run, Option<NotedRun>) {
        let now = at.1;
        if let Some(scheduled) = run_times.last() {
            tracing::info!(
                job = %self.job_id,
                scheduled = %scheduled,
                late_ms = now.duration_since(*scheduled).as_millis(),
                runs_covered = run_times.len(),
                attempt = self.attempt,
                "run started"
            );
        }
        *lock(&self.started) = Some(at);
        // A run queued behind busy workers checks its grace time again
        // when it is taken from the queue.
        let start_by = match (self.grace, run_times.last(), &self.too_late) {
            (MisfireGraceTime::Limit(grace), Some(scheduled), Some(too_late)) => {
                too_late.store(false, Ordering::SeqCst);
                scheduled
                    .checked_add(grace)
                    .ok()
                    .map(|deadline| crate::executor::StartBy {
                        deadline,
                        clock: Arc::clone(&self.env.clock),
                        too_late: Arc::clone(too_late),
                    })
            }
            _ => None,
        };
        // A run noted among the runs in progress gets its scope here; any
        // other makes it on its worker.
        let (scope, noted) = if self.replaceable {
            let scope = Arc::new(RunScope::child_of(&self.target.signals, self.timeout));
            let key = self.env.running.scopes.next_key();
            *lock(&self.current) = Some(key);
            let noted = (key, Arc::clone(&self.job_id), Arc::clone(&scope));
            (std::sync::OnceLock::from(scope), Some(noted))
        } else {
            (std::sync::OnceLock::new(), None)
        };
        let run = Run {
            job_id: Arc::clone(&self.job_id),
            target: Arc::clone(&self.target),
            args: self.args.clone(),
            run_times,
            start_by,
            attempt: self.attempt,
            scope,
            timeout: self.timeout,
            done: self as Arc<dyn Completion>,
        };
        (run, noted)
    }

    /// Records the run for `run_times` (not started, or cut short)
    /// interrupted with `reason`.
    fn interrupted(&self, run_times: &[Timestamp], reason: &str) {
        let Some(scheduled) = run_times.last().filter(|_| self.recorded) else {
            return;
        };
        let now = self.env.clock.now();
        self.env.recorder.landed(
            &self.target.runtime,
            &self.target.store,
            &self.job_id,
            *scheduled,
            self.attempt,
            |record| record.finish(RunStatus::Interrupted, now, None, Some(reason.to_owned())),
        );
    }

    /// Records how the run of `report` ended, in the background;
    /// `cancelled`: why it was cancelled alone, if it was.
    fn record(
        &self,
        report: &RunReport,
        started: Option<(SignedDuration, Timestamp)>,
        cancelled: Option<&Arc<str>>,
    ) {
        let Some(scheduled) = report.run_times.last().filter(|_| self.recorded) else {
            return;
        };
        if let Some(message) = self.missed_in_queue(report) {
            let now = self.env.clock.now();
            self.env.recorder.landed(
                &self.target.runtime,
                &self.target.store,
                &self.job_id,
                *scheduled,
                self.attempt,
                |record| {
                    let mut record = record.finish(RunStatus::Missed, now, None, Some(message));
                    record.started = None;
                    record
                },
            );
            return;
        }
        let (status, error, detail) = self.outcome(report, cancelled);
        let now = self.env.clock.now();
        let duration = started.map(|(reading, _)| self.ran_for(reading));
        self.env.recorder.landed(
            &self.target.runtime,
            &self.target.store,
            &self.job_id,
            *scheduled,
            self.attempt,
            |mut record| {
                if let Some((_, at)) = started {
                    record.started = Some(at);
                }
                let mut record = record.finish(status, now, duration, error);
                record.exit_status = detail.exit_status;
                record.output = detail.output;
                record
            },
        );
    }

    /// How the run of `report` ended, as its record says: its status, its
    /// error text and what its program left (exit status, output);
    /// `cancelled`: why it was cancelled alone, if it was (then it was
    /// interrupted, and is not retried).
    fn outcome(
        &self,
        report: &RunReport,
        cancelled: Option<&Arc<str>>,
    ) -> (RunStatus, Option<String>, crate::task::RunDetail) {
        match &report.outcome {
            RunOutcome::Success(value) => (
                RunStatus::Success,
                None,
                self.target.task.success_detail(value),
            ),
            RunOutcome::Error(error)
                if self.target.signals.cancellation.is_cancelled()
                    || self.target.signals.stopping.is_cancelled() =>
            {
                (
                    RunStatus::Interrupted,
                    Some(format!("{SHUT_DOWN}: {}", error.message)),
                    error.detail.clone(),
                )
            }
            RunOutcome::Error(error) if cancelled.is_some() => (
                RunStatus::Interrupted,
                Some(format!(
                    "cancelled: {}: {}",
                    cancelled.map_or("", |reason| &**reason),
                    error.message
                )),
                error.detail.clone(),
            ),
            RunOutcome::Error(error) => (
                if error.timed_out {
                    RunStatus::Timeout
                } else {
                    RunStatus::Error
                },
                Some(error.message.clone()),
                error.detail.clone(),
            ),
            RunOutcome::Panic(message) => (
                RunStatus::Panic,
                Some(format!("panicked: {message}")),
                crate::task::RunDetail::default(),
            ),
        }
    }

    /// Leaves what follows the run of `report` to the loop: its retry
    /// when it failed and its job retries it, or, when its fire time
    /// failed for good or succeeded, the job's count of failures in a row
    /// (for `pause_after_failures`).
    fn follow_up(&self, report: &RunReport, cancelled: Option<&Arc<str>>) {
        let Some(job) = self.job.as_deref() else {
            return;
        };
        let Some(scheduled) = report.run_times.last().copied() else {
            return;
        };
        let (status, error, detail) = self.outcome(report, cancelled);
        let store = Arc::clone(&self.target.store);
        let retried = job
            .retry()
            .is_some_and(|retry| retry.retries(self.attempt, status, detail.exit_status));
        self.env.notices.run_ended(
            &store,
            job,
            scheduled,
            self.attempt,
            status,
            error.as_deref(),
            &detail,
            retried,
        );
        let follow_up = match status {
            RunStatus::Success => FollowUp::Succeeded {
                store,
                job: job.clone(),
            },
            RunStatus::Error | RunStatus::Panic | RunStatus::Timeout => {
                let now = self.env.clock.now();
                match job.retry() {
                    Some(retry) if retry.retries(self.attempt, status, detail.exit_status) => {
                        let attempt = self.attempt + 1;
                        FollowUp::Retry {
                            store,
                            job: job.clone(),
                            scheduled,
                            attempt,
                            due: retry.due(&job.id, scheduled, attempt, now),
                        }
                    }
                    _ => FollowUp::Failed {
                        store,
                        job: job.clone(),
                        scheduled,
                        attempt: self.attempt,
                        error: error.unwrap_or_default(),
                    },
                }
            }
            _ => return,
        };
        self.env.follow_ups.push(follow_up);
        self.env.wakeup.wake();
    }

    /// How long since the clock's monotonic reading `started`.
    fn ran_for(&self, started: SignedDuration) -> SignedDuration {
        (self.env.clock.monotonic() - started).max(SignedDuration::ZERO)
    }

    /// Why the run of `report` was not started, when it waited in the
    /// executor's queue past its misfire grace time.
    fn missed_in_queue(&self, report: &RunReport) -> Option<String> {
        if !self
            .too_late
            .as_ref()
            .is_some_and(|too_late| too_late.load(Ordering::SeqCst))
        {
            return None;
        }
        let late = report
            .run_times
            .last()
            .map(|scheduled| self.env.clock.now().duration_since(*scheduled))
            .unwrap_or_default();
        Some(format!(
            "1 run(s) missed: it waited for a free worker until {late:#} late, more than the \
             misfire grace time of {}",
            self.grace
        ))
    }

    fn finished(self: Arc<Submission>, report: RunReport) {
        let started = lock(&self.started).take();
        let scope = if self.replaceable {
            lock(&self.current)
                .take()
                .and_then(|key| self.env.running.scopes.remove(&self.job_id, key))
        } else {
            None
        };
        let cancelled = scope.as_ref().and_then(|scope| scope.cancel_reason());
        if let Some(message) = self.missed_in_queue(&report) {
            self.record(&report, started, None);
            tracing::warn!(job = %report.job_id, "run missed: {message}");
            let next = lock(&self.remaining).pop_front();
            if next.is_none() {
                self.env
                    .running
                    .instance_finished(&self.job_id, self.job_hash);
            }
            if let Some(job) = self.job.as_deref() {
                self.env.notices.missed_in_queue(
                    &self.target.store,
                    job,
                    &report.run_times,
                    &message,
                );
            }
            if self.env.listeners.wants(EventKind::JobMissed) {
                let mut event = Event::new(EventKind::JobMissed)
                    .with_job(&report.job_id, &report.target.store)
                    .with_run_times(report.run_times.into_vec());
                event.error = Some(message);
                event.status = Some(RunStatus::Missed);
                event.attempt = self.attempt;
                self.env.listeners.emit(event);
            }
            self.go_on(next);
            return;
        }
        // What follows (a retry, a failure counted) is left for the loop
        // before the outcome can be seen in the history.
        self.follow_up(&report, cancelled);
        // Recorded (in the background) before the instance is freed, so
        // that a waiting shutdown also waits for the record.
        self.record(&report, started, cancelled);
        // A sync run reported at its time limit still holds its thread:
        // the instance stays taken until the thread returns
        // (`returned_late`), so that `max_instances` copies at most ever
        // run, even when a task ignores its cancellation.
        let holds = report.still_running;
        let next = if holds {
            None
        } else {
            lock(&self.remaining).pop_front()
        };
        if next.is_none() && !holds {
            // Free the instance before telling listeners, so that a job
            // started from a listener (or the next tick) is not refused.
            self.env
                .running
                .instance_finished(&self.job_id, self.job_hash);
        }
        let kind = match &report.outcome {
            RunOutcome::Success(_) => EventKind::JobExecuted,
            RunOutcome::Error(_) | RunOutcome::Panic(_) => EventKind::JobError,
        };
        // Read off the clock only when a line is written.
        let duration_ms = || started.map_or(0, |(reading, _)| self.ran_for(reading).as_millis());
        let scheduled = Latest(&report.run_times);
        let attempt = self.attempt;
        match &report.outcome {
            RunOutcome::Success(_) => tracing::info!(
                job = %report.job_id,
                %scheduled,
                attempt,
                duration_ms = duration_ms(),
                outcome = "success",
                "run finished"
            ),
            RunOutcome::Error(error) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                attempt,
                duration_ms = duration_ms(),
                outcome = if error.timed_out { "timeout" } else { "error" },
                %error,
                "run finished"
            ),
            RunOutcome::Panic(message) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                attempt,
                duration_ms = duration_ms(),
                outcome = "panic",
                panic = %message,
                "run finished"
            ),
        }
        if self.env.listeners.wants(kind) {
            let status = self.outcome(&report, cancelled).0;
            let mut event = Event::new(kind)
                .with_job(&report.job_id, &report.target.store)
                .with_run_times(report.run_times.into_vec());
            event.executor = Some(report.target.executor_name.to_string());
            event.attempt = self.attempt;
            event.status = Some(status);
            if let Some((reading, at)) = started {
                event.started = Some(at);
                event.duration = Some(self.ran_for(reading));
            }
            match report.outcome {
                RunOutcome::Success(value) => event.return_value = Some(value),
                RunOutcome::Error(error) => event.error = Some(error.message),
                RunOutcome::Panic(message) => event.error = Some(format!("panicked: {message}")),
            }
            self.env.listeners.emit(event);
        }
        if !holds {
            self.go_on(next);
        }
    }

    /// The thread of a run recorded at its time limit has returned: what
    /// it returned is logged and discarded, and the instance is freed.
    fn returned_late(self: Arc<Submission>, report: RunReport) {
        let scheduled = Latest(&report.run_times);
        let returned = match &report.outcome {
            RunOutcome::Success(_) => "success".to_owned(),
            RunOutcome::Error(error) => format!("error: {error}"),
            RunOutcome::Panic(message) => format!("panic: {message}"),
        };
        tracing::warn!(
            job = %report.job_id,
            %scheduled,
            %returned,
            "a run recorded as timed out returned after its time limit: what it returned is discarded"
        );
        let next = lock(&self.remaining).pop_front();
        if next.is_none() {
            self.env
                .running
                .instance_finished(&self.job_id, self.job_hash);
        }
        self.go_on(next);
    }

    /// Starts the next of the submission's runs, or ends it.
    fn go_on(self: Arc<Submission>, next: Option<RunTimes>) {
        match next {
            Some(run_times) if !self.target.signals.cancellation.is_cancelled() => {
                self.start(run_times)
            }
            Some(run_times) => {
                let queued: Vec<RunTimes> = lock(&self.remaining).drain(..).collect();
                for run_times in std::iter::once(run_times).chain(queued) {
                    self.interrupted(&run_times, &format!("{SHUT_DOWN} before the run started"));
                }
                self.env
                    .running
                    .instance_finished(&self.job_id, self.job_hash);
                self.env.running.submission_ended();
            }
            None => self.env.running.submission_ended(),
        }
    }
}

impl Completion for Submission {
    fn complete(self: Arc<Submission>, report: RunReport) {
        self.finished(report);
    }

    fn returned_late(self: Arc<Submission>, report: RunReport) {
        Submission::returned_late(self, report);
    }
}

/// The latest fire time of a run, for its log lines (nothing when none),
/// written only when a line is.
struct Latest<'a>(&'a [Timestamp]);

impl std::fmt::Display for Latest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.last() {
            Some(time) => time.fmt(f),
            None => Ok(()),
        }
    }
}
