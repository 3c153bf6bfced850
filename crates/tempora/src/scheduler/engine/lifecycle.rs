//! The run lifecycle: a run from its instance taken (`prepare`, `stage`)
//! through its submission to the executor to its outcome recorded and told,
//! the instance counts (`RunCounts`), the notices of runs missed or refused,
//! and the retry of interrupted runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Engine, lock};
use crate::clock::Clock;
use crate::event::{Event, EventKind, Listeners};
use crate::executor::{Completion, Executor, Run, RunOutcome, RunReport};
use crate::history::{RunRecord, RunStatus};
use crate::job::{Job, OnInterrupted};
use crate::scheduler::decide::Decision;
use crate::scheduler::recorder::{Recorder, SHUT_DOWN};
use crate::store::JobStore;

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
            if job.on_interrupted != OnInterrupted::Retry || job.is_paused() {
                continue;
            }
            if self
                .recorder
                .knows_outcome(&name, &record.job_id, record.scheduled_time)
            {
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
            let runs = vec![vec![record.scheduled_time]];
            if let Some(staged) = self.stage(&name, &store, &job, runs, now).await {
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

    /// The misses of a decision: one missed record covering them all, and
    /// its event and log line.
    pub(super) fn missed(
        &self,
        store_name: &str,
        job: &Job,
        decision: &Decision,
        now: Timestamp,
    ) -> Option<(RunRecord, Notice)> {
        let latest = decision.missed.last()?;
        let late = now.duration_since(*latest);
        let message = format!(
            "{} run(s) missed: the latest was {late:#} late, more than the misfire grace time of {}",
            decision.missed_count, job.misfire_grace_time
        );
        let mut event = Event::new(EventKind::JobMissed)
            .with_job(&job.id, store_name)
            .with_run_times(decision.missed.clone());
        event.error = Some(message.clone());
        let notice = Notice {
            severity: Severity::Warn,
            line: format!("run missed: {message}"),
            event: Box::new(event),
        };
        let record = RunRecord::missed(
            &*job.id,
            *latest,
            self.recorder.node(),
            now,
            u32::try_from(decision.missed_count).unwrap_or(u32::MAX),
            message,
        );
        let record = match decision.first_missed {
            Some(first) if first < *latest => record.with_first_scheduled_time(first),
            _ => record,
        };
        Some((record, notice))
    }

    /// The record and notice of runs that cannot start.
    pub(super) fn refused(
        &self,
        job: &Job,
        runs: &[Vec<Timestamp>],
        refusal: Refusal,
        now: Timestamp,
    ) -> (RunRecord, Notice) {
        let latest = runs.iter().flatten().max().copied().unwrap_or(now);
        let fire_times =
            u32::try_from(runs.iter().map(Vec::len).sum::<usize>()).unwrap_or(u32::MAX);
        match refusal {
            Refusal::Failed { message, notice } => {
                let mut record =
                    RunRecord::running(&*job.id, latest, self.recorder.node(), now, now)
                        .with_fire_times(fire_times)
                        .finish(RunStatus::Error, now, None, Some(message));
                // It never started.
                record.started = None;
                (record, notice)
            }
            Refusal::MaxInstances { message, notice } | Refusal::Elsewhere { message, notice } => {
                let record = RunRecord::missed(
                    &*job.id,
                    latest,
                    self.recorder.node(),
                    now,
                    fire_times,
                    message,
                );
                (record, notice)
            }
        }
    }

    /// Gets the runs of `job` ready to start at once, outside a claim (a
    /// run now, the retry of an interrupted run): takes an instance and
    /// records each run as running. When they cannot start, reports why —
    /// events, a log line, a history record — and returns `None`.
    pub(super) async fn stage(
        &self,
        store_name: &str,
        store: &Arc<dyn JobStore>,
        job: &Job,
        runs: Vec<Vec<Timestamp>>,
        now: Timestamp,
    ) -> Option<Staged> {
        match self.prepare(store_name, job, runs.clone(), 0) {
            Ok(staged) => {
                for run_times in &runs {
                    if let Some(record) = self.recorder.running(&job.id, run_times) {
                        self.recorder
                            .take_off(&staged.submission.runtime, store_name, store, record)
                            .await;
                    }
                }
                Some(staged)
            }
            Err(refusal) => {
                let (record, notice) = self.refused(job, &runs, refusal, now);
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
    pub(super) fn prepare(
        &self,
        store: &str,
        job: &Job,
        runs: Vec<Vec<Timestamp>>,
        others: u32,
    ) -> std::result::Result<Staged, Refusal> {
        let all_times: Vec<Timestamp> = runs.iter().flatten().copied().collect();
        let fail = |message: String| {
            let mut event = Event::new(EventKind::JobError)
                .with_job(&job.id, store)
                .with_run_times(all_times.clone());
            event.error = Some(message.clone());
            Refusal::Failed {
                notice: Notice {
                    severity: Severity::Error,
                    line: format!("run not started: {message}"),
                    event: Box::new(event),
                },
                message: format!("run not started: {message}"),
            }
        };
        let task = match self.tasks.resolve(&job.task) {
            Ok(task) => task,
            Err(error) => return Err(fail(error.to_string())),
        };
        let Some(executor) = self.executor(&job.executor) else {
            return Err(fail(format!(
                "executor: {:?} is not configured",
                job.executor
            )));
        };
        let Some(runtime) = lock(&self.runtime).clone() else {
            return Err(fail(
                "the scheduler has no runtime: it was not started".to_owned(),
            ));
        };
        let mut runs = std::collections::VecDeque::from(runs);
        let Some(first) = runs.pop_front() else {
            return Err(fail("no run times".to_owned()));
        };
        let here = job.max_instances.saturating_sub(others);
        if !self.running.try_start(&job.id, here) {
            let (message, line) = if others > 0 {
                (
                    format!(
                        "already running {} instance(s), the maximum, {others} of them on other nodes",
                        job.max_instances
                    ),
                    "run skipped: the job is already running its maximum number of instances across the nodes",
                )
            } else {
                (
                    format!(
                        "already running {} instance(s), the maximum",
                        job.max_instances
                    ),
                    "run skipped: the job is already running its maximum number of instances",
                )
            };
            let mut event = Event::new(EventKind::JobMaxInstances)
                .with_job(&job.id, store)
                .with_run_times(all_times);
            event.error = Some(message.clone());
            let notice = Notice {
                severity: Severity::Warn,
                line: format!("{line} (max_instances = {})", job.max_instances),
                event: Box::new(event),
            };
            let message = format!("run skipped: {message}");
            return Err(if others > 0 {
                Refusal::Elsewhere { message, notice }
            } else {
                Refusal::MaxInstances { message, notice }
            });
        }
        let submitted = if self.listeners.wants(EventKind::JobSubmitted) {
            std::iter::once(&first)
                .chain(runs.iter())
                .map(|run_times| {
                    let mut event = Event::new(EventKind::JobSubmitted)
                        .with_job(&job.id, store)
                        .with_run_times(run_times.clone());
                    event.executor = Some(job.executor.clone());
                    event
                })
                .collect()
        } else {
            Vec::new()
        };
        let submission = Arc::new(Submission {
            job_id: job.id.clone(),
            store: store.to_owned(),
            executor_name: job.executor.clone(),
            executor,
            runtime,
            task,
            args: job.args.clone(),
            cancellation: self.cancellation.clone(),
            stopping: self.stopping.clone(),
            grace: job.misfire_grace_time,
            too_late: Arc::default(),
            listeners: self.listeners.clone(),
            running: Arc::clone(&self.running),
            remaining: Mutex::new(runs),
            started: Mutex::new(None),
            clock: Arc::clone(&self.clock),
            recorder: Arc::clone(&self.recorder),
        });
        Ok(Staged {
            submission,
            first,
            submitted,
        })
    }
}

/// How loud a notice is.
enum Severity {
    Warn,
    Error,
}

/// What to tell of a job once its decision stands: a log line and an
/// event.
pub(super) struct Notice {
    severity: Severity,
    line: String,
    event: Box<Event>,
}

/// Why runs could not start, for their history record.
pub(super) enum Refusal {
    /// No such task, executor or runtime: recorded as an error.
    Failed { message: String, notice: Notice },
    /// `max_instances` reached on this node: recorded as missed.
    MaxInstances { message: String, notice: Notice },
    /// `max_instances` reached counting the other nodes' runs: recorded as
    /// missed.
    Elsewhere { message: String, notice: Notice },
}

/// Runs ready to start: an instance taken.
pub(super) struct Staged {
    submission: Arc<Submission>,
    first: Vec<Timestamp>,
    /// Their submitted events, told when they start.
    submitted: Vec<Event>,
}

impl Staged {
    /// Tells the runs submitted and hands the first to the executor.
    pub(super) fn go(self) {
        for event in self.submitted {
            self.submission.listeners.emit(event);
        }
        self.submission.start(self.first);
    }

    /// The runs will not start and were never recorded: frees the
    /// instance.
    pub(super) fn call_off(self) {
        let submission = self.submission;
        submission.running.instance_finished(&submission.job_id);
        submission.running.submission_ended();
    }
}

/// One submission: the runs of one job that one instance executes, one
/// after the other.
struct Submission {
    job_id: String,
    store: String,
    executor_name: String,
    executor: Arc<Executor>,
    runtime: tokio::runtime::Handle,
    task: crate::task::TaskFn,
    args: serde_json::Value,
    cancellation: CancellationToken,
    stopping: CancellationToken,
    /// The job's misfire grace time, checked again when a queued run
    /// starts.
    grace: crate::job::MisfireGraceTime,
    /// The current run waited in the queue past its grace time.
    too_late: Arc<std::sync::atomic::AtomicBool>,
    listeners: Listeners,
    running: Arc<RunCounts>,
    remaining: Mutex<std::collections::VecDeque<Vec<Timestamp>>>,
    /// When the current run was handed over: on a monotonic clock for its
    /// duration, and by the scheduler's clock for its record.
    started: Mutex<Option<(std::time::Instant, Timestamp)>>,
    /// The clock, for how late each run starts.
    clock: Arc<dyn Clock>,
    /// The run history.
    recorder: Arc<Recorder>,
}

impl Submission {
    fn start(self: Arc<Submission>, run_times: Vec<Timestamp>) {
        let now = self.clock.now();
        if let Some(scheduled) = run_times.last() {
            let late = now.duration_since(*scheduled);
            tracing::info!(
                job = %self.job_id,
                scheduled = %scheduled,
                late_ms = late.as_millis(),
                runs_covered = run_times.len(),
                "run started"
            );
        }
        *lock(&self.started) = Some((std::time::Instant::now(), now));
        self.too_late
            .store(false, std::sync::atomic::Ordering::SeqCst);
        // A run queued behind busy workers checks its grace time again
        // when it is taken from the queue.
        let start_by = match (self.grace, run_times.last()) {
            (crate::job::MisfireGraceTime::Limit(grace), Some(scheduled)) => scheduled
                .checked_add(grace)
                .ok()
                .map(|deadline| crate::executor::StartBy {
                    deadline,
                    clock: Arc::clone(&self.clock),
                    too_late: Arc::clone(&self.too_late),
                }),
            _ => None,
        };
        let this = Arc::clone(&self);
        let done: Completion =
            Arc::new(move |report: RunReport| Arc::clone(&this).finished(report));
        self.executor.submit(
            Run {
                job_id: self.job_id.clone(),
                store: self.store.clone(),
                executor: self.executor_name.clone(),
                task: self.task.clone(),
                args: self.args.clone(),
                run_times,
                cancellation: self.cancellation.clone(),
                stopping: self.stopping.clone(),
                start_by,
                done,
            },
            &self.runtime,
        );
    }

    /// Records the run for `run_times` (not started, or cut short)
    /// interrupted with `reason`.
    fn interrupted(&self, run_times: &[Timestamp], reason: &str) {
        let Some(scheduled) = run_times.last() else {
            return;
        };
        let now = self.clock.now();
        self.recorder.landed(
            &self.runtime,
            &self.store,
            &self.job_id,
            *scheduled,
            |record| record.finish(RunStatus::Interrupted, now, None, Some(reason.to_owned())),
        );
    }

    /// Records how the run of `report` ended, in the background.
    fn record(&self, report: &RunReport, started: Option<(std::time::Instant, Timestamp)>) {
        let Some(scheduled) = report.run_times.last() else {
            return;
        };
        if let Some(message) = self.missed_in_queue(report) {
            let now = self.clock.now();
            self.recorder.landed(
                &self.runtime,
                &self.store,
                &self.job_id,
                *scheduled,
                |record| {
                    let mut record = record.finish(RunStatus::Missed, now, None, Some(message));
                    record.started = None;
                    record
                },
            );
            return;
        }
        let (status, error, detail) = match &report.outcome {
            RunOutcome::Success(value) => {
                (RunStatus::Success, None, self.task.success_detail(value))
            }
            RunOutcome::Error(error)
                if self.cancellation.is_cancelled() || self.stopping.is_cancelled() =>
            {
                (
                    RunStatus::Interrupted,
                    Some(format!("{SHUT_DOWN}: {}", error.message)),
                    error.detail.clone(),
                )
            }
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
        };
        let now = self.clock.now();
        let duration =
            started.and_then(|(instant, _)| SignedDuration::try_from(instant.elapsed()).ok());
        self.recorder.landed(
            &self.runtime,
            &self.store,
            &self.job_id,
            *scheduled,
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

    /// Why the run of `report` was not started, when it waited in the
    /// executor's queue past its misfire grace time.
    fn missed_in_queue(&self, report: &RunReport) -> Option<String> {
        if !self.too_late.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        let late = report
            .run_times
            .last()
            .map(|scheduled| self.clock.now().duration_since(*scheduled))
            .unwrap_or_default();
        Some(format!(
            "1 run(s) missed: it waited for a free worker until {late:#} late, more than the \
             misfire grace time of {}",
            self.grace
        ))
    }

    fn finished(self: Arc<Submission>, report: RunReport) {
        let started = lock(&self.started).take();
        if let Some(message) = self.missed_in_queue(&report) {
            self.record(&report, started);
            tracing::warn!(job = %report.job_id, "run missed: {message}");
            let next = lock(&self.remaining).pop_front();
            if next.is_none() {
                self.running.instance_finished(&self.job_id);
            }
            if self.listeners.wants(EventKind::JobMissed) {
                let mut event = Event::new(EventKind::JobMissed)
                    .with_job(&report.job_id, &report.store)
                    .with_run_times(report.run_times);
                event.error = Some(message);
                self.listeners.emit(event);
            }
            self.go_on(next);
            return;
        }
        // Recorded (in the background) before the instance is freed, so
        // that a waiting shutdown also waits for the record.
        self.record(&report, started);
        let next = lock(&self.remaining).pop_front();
        if next.is_none() {
            // Free the instance before telling listeners, so that a job
            // started from a listener (or the next tick) is not refused.
            self.running.instance_finished(&self.job_id);
        }
        let kind = match &report.outcome {
            RunOutcome::Success(_) => EventKind::JobExecuted,
            RunOutcome::Error(_) | RunOutcome::Panic(_) => EventKind::JobError,
        };
        let duration_ms = started.map_or(0, |(started, _)| started.elapsed().as_millis());
        let scheduled = report
            .run_times
            .last()
            .map(ToString::to_string)
            .unwrap_or_default();
        match &report.outcome {
            RunOutcome::Success(_) => tracing::info!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = "success",
                "run finished"
            ),
            RunOutcome::Error(error) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = if error.timed_out { "timeout" } else { "error" },
                %error,
                "run finished"
            ),
            RunOutcome::Panic(message) => tracing::error!(
                job = %report.job_id,
                %scheduled,
                duration_ms,
                outcome = "panic",
                panic = %message,
                "run finished"
            ),
        }
        if self.listeners.wants(kind) {
            let mut event = Event::new(kind)
                .with_job(&report.job_id, &report.store)
                .with_run_times(report.run_times);
            event.executor = Some(report.executor);
            match report.outcome {
                RunOutcome::Success(value) => event.return_value = Some(value),
                RunOutcome::Error(error) => event.error = Some(error.message),
                RunOutcome::Panic(message) => event.error = Some(format!("panicked: {message}")),
            }
            self.listeners.emit(event);
        }
        self.go_on(next);
    }

    /// Starts the next of the submission's runs, or ends it.
    fn go_on(self: Arc<Submission>, next: Option<Vec<Timestamp>>) {
        match next {
            Some(run_times) if !self.cancellation.is_cancelled() => self.start(run_times),
            Some(run_times) => {
                let queued: Vec<Vec<Timestamp>> = lock(&self.remaining).drain(..).collect();
                for run_times in std::iter::once(run_times).chain(queued) {
                    self.interrupted(&run_times, &format!("{SHUT_DOWN} before the run started"));
                }
                self.running.instance_finished(&self.job_id);
                self.running.submission_ended();
            }
            None => self.running.submission_ended(),
        }
    }
}

/// Runs in progress, shared with the completion callbacks: per job (for
/// `max_instances`) and in all (for shutdown to wait on).
#[derive(Default)]
pub(super) struct RunCounts {
    per_job: Mutex<HashMap<String, u32>>,
    active: Mutex<usize>,
    /// Signalled when a submission has ended and its events are delivered.
    ended: Notify,
}

impl RunCounts {
    /// Counts one more instance of `job` unless it already runs `max`.
    fn try_start(&self, job: &str, max: u32) -> bool {
        let mut per_job = lock(&self.per_job);
        let count = per_job.entry(job.to_owned()).or_insert(0);
        if *count >= max {
            return false;
        }
        *count += 1;
        *lock(&self.active) += 1;
        true
    }

    /// The instance of `job` has finished its work; a new one may start.
    fn instance_finished(&self, job: &str) {
        let mut per_job = lock(&self.per_job);
        if let Some(count) = per_job.get_mut(job) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                per_job.remove(job);
            }
        }
    }

    /// A submission has ended and its events were delivered.
    fn submission_ended(&self) {
        {
            let mut active = lock(&self.active);
            *active = active.saturating_sub(1);
        }
        self.ended.notify_waiters();
    }

    /// How many submissions are in progress.
    pub(super) fn active(&self) -> usize {
        *lock(&self.active)
    }

    pub(super) async fn wait_idle(&self) {
        loop {
            let ended = self.ended.notified();
            if *lock(&self.active) == 0 {
                return;
            }
            ended.await;
        }
    }
}
