//! The job API: adding, changing, pausing, resuming, removing, listing and
//! running jobs now, and the checks a job passes before a store keeps it.

use std::fmt::Write as _;
use std::sync::Arc;

use super::{Engine, SchedulerState};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::executor::RunTimes;
use crate::history::{RunQuery, RunRecord};
use crate::job::{Job, JobBuilder, JobChanges};
use crate::scheduler::recorder;
use crate::store::{JobStore, UnrestorableJob};
use crate::sync::{lock, read};
use crate::trigger::Trigger;

impl Engine {
    pub(crate) async fn add_job(&self, builder: JobBuilder) -> Result<Job> {
        if self.state() == SchedulerState::ShutDown {
            return Err(Error::state("the scheduler was shut down"));
        }
        let replace_existing = builder.replace_existing;
        let from_trigger = builder.first_run == crate::job::FirstRun::FromTrigger;
        let builder = if builder.exclude.is_empty() {
            builder
        } else {
            builder.find_calendars(&self.calendars())?
        };
        let mut job = builder.build_at(&self.defaults, self.clock.now())?;
        job.trigger = self.share_trigger(job.trigger);
        job.options = self.shared_options.share(job.options);
        let store = self.store(job.store()).map_err(|_| {
            Error::invalid(
                "store",
                format!(
                    "{:?} is not configured; configured: {}",
                    job.store(),
                    self.store_names()
                ),
            )
        })?;
        self.check_job(&job, store.as_ref())?;
        store.add_job(job.clone(), replace_existing).await?;
        if let Err(error) = self
            .arm_stale_checks(store.as_ref(), &job, self.clock.now())
            .await
        {
            tracing::error!(job = %job.id, %error, "cannot arm the job's stale check");
        }
        if from_trigger && self.state() == SchedulerState::Stopped {
            lock(&self.added_before_start).push((job.store().to_owned(), job.id.to_string()));
        }
        tracing::info!(job = %job.id, trigger = %job.trigger, "job added");
        self.emit(Event::new(EventKind::JobAdded).with_job(&job.id, job.store()));
        self.wakeup.wake_for(job.next_run_time);
        Ok(job)
    }

    /// The most distinct triggers kept for sharing.
    const SHARED_TRIGGERS: usize = 4096;

    /// An equal trigger already in use, or `trigger` itself (remembered).
    fn share_trigger(&self, trigger: Trigger) -> Trigger {
        if !matches!(trigger, Trigger::Cron(_) | Trigger::CalendarInterval(_)) {
            return trigger;
        }
        let Ok(key) = serde_json::to_string(&trigger) else {
            return trigger;
        };
        let mut shared = lock(&self.shared_triggers);
        if let Some(existing) = shared.get(&key) {
            return existing.clone();
        }
        if shared.len() >= Engine::SHARED_TRIGGERS {
            shared.clear();
        }
        shared.insert(key, trigger.clone());
        trigger
    }

    /// Checks what a store would otherwise keep but could never run.
    fn check_job(&self, job: &Job, store: &dyn JobStore) -> Result<()> {
        if let Some(executor) = self.executor(job.executor())
            && job.task.name().is_none()
            && !executor.runs_closures()
        {
            return Err(Error::invalid(
                "task",
                format!(
                    "a closure cannot run in executor {:?}, a process pool: register the task \
                     by name with Tasks::register and add the job with JobBuilder::new(name, trigger)",
                    job.executor()
                ),
            ));
        }
        if self.executor(job.executor()).is_none() {
            let mut names: Vec<String> = read(&self.executors)
                .keys()
                .map(|name| format!("{name:?}"))
                .collect();
            names.sort();
            return Err(Error::invalid(
                "executor",
                format!(
                    "{:?} is not configured; configured: {}",
                    job.executor(),
                    names.join(", ")
                ),
            ));
        }
        match job.task.name() {
            Some(name) => self.tasks.check_args(name, job.args())?,
            None if !store.locality().is_process() => {
                job.to_stored()?;
            }
            None => {}
        }
        Ok(())
    }

    /// The job `id` and the name of its store.
    pub(super) async fn find(&self, id: &str) -> Result<(String, Arc<dyn JobStore>, Job)> {
        for (name, store) in self.stores() {
            if let Some(job) = store.get_job(id).await? {
                return Ok((name, store, job));
            }
        }
        Err(Error::not_found("job", id))
    }

    pub(crate) async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        match self.find(id).await {
            Ok((_, _, job)) => Ok(Some(job)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub(crate) async fn list_jobs(&self, store: Option<&str>) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for (name, each) in self.stores() {
            if store.is_none_or(|wanted| wanted == name) {
                jobs.extend(each.list_jobs().await?);
            }
        }
        if let Some(wanted) = store {
            self.store(wanted)?;
        }
        Ok(jobs)
    }

    pub(crate) async fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>> {
        recorder::list_runs(&self.stores(), query).await
    }

    pub(crate) async fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>> {
        recorder::unrestorable_jobs(&self.stores()).await
    }

    /// A job changed or removed through the API keeps what was asked for,
    /// rather than getting its first run time again at start.
    fn forget_added_before_start(&self, id: &str) {
        lock(&self.added_before_start).retain(|(_, pending)| pending != id);
    }

    async fn update(&self, store_name: &str, store: &dyn JobStore, job: Job) -> Result<Job> {
        self.forget_added_before_start(&job.id);
        store.update_job(job.clone()).await?;
        self.emit(Event::new(EventKind::JobModified).with_job(&job.id, store_name));
        self.wakeup.wake_for(job.next_run_time);
        Ok(job)
    }

    pub(crate) async fn modify_job(&self, id: &str, changes: JobChanges) -> Result<Job> {
        let changes = changes.find_calendars(&self.calendars())?;
        let (name, store, mut job) = self.find(id).await?;
        let rearm = changes.changes_stale_checks();
        changes.apply(&mut job)?;
        self.check_job(&job, store.as_ref())?;
        let job = self.update(&name, store.as_ref(), job).await?;
        if rearm
            && let Err(error) = self
                .rearm_stale_checks(store.as_ref(), &job, self.clock.now())
                .await
        {
            tracing::error!(job = %job.id, %error, "cannot move the job's stale checks");
        }
        Ok(job)
    }

    pub(crate) async fn reschedule_job(&self, id: &str, trigger: Trigger) -> Result<Job> {
        let (name, store, mut job) = self.find(id).await?;
        job.trigger = trigger;
        job.next_run_time = job.next_fire_time(None, self.clock.now());
        if job.next_run_time.is_none() {
            self.forget_added_before_start(id);
            store.remove_job(id).await?;
            self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
            return Ok(job);
        }
        self.update(&name, store.as_ref(), job).await
    }

    pub(crate) async fn pause_job(&self, id: &str) -> Result<Job> {
        let (name, store, mut job) = self.find(id).await?;
        job.next_run_time = None;
        self.update(&name, store.as_ref(), job).await
    }

    /// Resumes job `id` from the trigger's next fire time; a job whose
    /// trigger has nothing left is removed and `None` returned.
    pub(crate) async fn resume_job(&self, id: &str) -> Result<Option<Job>> {
        let (name, store, mut job) = self.find(id).await?;
        if job.next_run_time.is_some() {
            return Ok(Some(job));
        }
        job.next_run_time = job.next_fire_time(None, self.clock.now());
        job.paused_reason = None;
        if job.next_run_time.is_none() {
            store.remove_job(id).await?;
            self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
            return Ok(None);
        }
        self.update(&name, store.as_ref(), job).await.map(Some)
    }

    pub(crate) async fn remove_job(&self, id: &str) -> Result<()> {
        let (name, store, _) = self.find(id).await?;
        self.forget_added_before_start(id);
        store.remove_job(id).await?;
        // Its pending runs (retries, buffered and backfill runs) go too.
        for run_job in store.list_jobs().await? {
            // Its stale checks and marks too (not the notices on their way).
            if run_job.run_of().is_some_and(|run| run.job == id)
                || crate::notify::is_stale_watch_of(&run_job, id)
            {
                match store.remove_job(&run_job.id).await {
                    Ok(()) => {}
                    Err(error) if error.is_not_found() => {}
                    Err(error) => return Err(error),
                }
            }
        }
        tracing::info!(job = %id, "job removed");
        self.emit(Event::new(EventKind::JobRemoved).with_job(id, &name));
        Ok(())
    }

    pub(crate) async fn remove_all_jobs(&self, store: Option<&str>) -> Result<()> {
        if let Some(wanted) = store {
            self.store(wanted)?;
        }
        for (name, each) in self.stores() {
            if store.is_none_or(|wanted| wanted == name) {
                each.remove_all_jobs().await?;
            }
        }
        let mut event = Event::new(EventKind::AllJobsRemoved);
        event.store = store.map(str::to_owned);
        self.emit(event);
        Ok(())
    }

    /// One extra run of job `id` now; its schedule stays as it is.
    pub(crate) async fn run_job_now(&self, id: &str) -> Result<()> {
        if !matches!(
            self.state(),
            SchedulerState::Running | SchedulerState::Paused
        ) {
            return Err(Error::state("the scheduler is not running"));
        }
        let (name, store, job) = self.find(id).await?;
        let now = self.clock.now();
        if let Some(staged) = self
            .stage(&name, &store, &job, vec![RunTimes::One(now)], 1, now)
            .await
        {
            staged.go();
        }
        Ok(())
    }

    /// A printable table of the jobs: id, name, trigger, next run in the
    /// scheduler's zone.
    pub(crate) async fn jobs_table(&self) -> Result<String> {
        let mut rows = vec![[
            "id".to_owned(),
            "name".to_owned(),
            "trigger".to_owned(),
            "next run".to_owned(),
        ]];
        for (name, store) in self.stores() {
            for job in store.list_jobs().await? {
                let next = match job.next_run_time {
                    Some(next) => self.timezone.format(next),
                    None => "paused".to_owned(),
                };
                let _ = &name;
                rows.push([
                    job.id.to_string(),
                    job.name.to_string(),
                    job.trigger.to_string(),
                    next,
                ]);
            }
        }
        let mut widths = [0usize; 4];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut table = String::new();
        for row in &rows {
            let line = format!(
                "{:w0$}  {:w1$}  {:w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
            );
            let _ = writeln!(table, "{}", line.trim_end());
        }
        Ok(table)
    }
}
