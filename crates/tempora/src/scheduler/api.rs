//! The scheduler's API, written once: each method's signature, its
//! documentation and the engine call that does it. From this one list come
//! [`AsyncScheduler`]'s methods (the API) and [`SyncScheduler`]'s, each a
//! blocking wrapper over the async one, the way `reqwest::blocking` wraps
//! reqwest's client. What a method does lives in the engine
//! (`engine/api.rs` for the job API, `engine/registry.rs` for stores and
//! executors); adding a method is that, plus its entry here.
//!
//! Methods that start, stop or drive the loop differ between the kinds and
//! are written beside each kind in `scheduler/mod.rs`.

use std::sync::Arc;

use super::{AsyncScheduler, SchedulerState, SyncScheduler};
use crate::calendar::Calendar;
use crate::error::Result;
use crate::event::Listeners;
use crate::executor::Executor;
use crate::history::{RunQuery, RunRecord};
use crate::job::{Job, JobBuilder, JobChanges};
use crate::store::{JobStore, UnrestorableJob};
use crate::task::Tasks;
use crate::trigger::{Trigger, Zone};

/// Writes each method of the list on [`AsyncScheduler`] (the engine call,
/// awaited for the `async` ones) and on [`SyncScheduler`] (the async method,
/// waited for on the scheduler's runtime; the others called as they are).
macro_rules! scheduler_api {
    (
        async {
            $(
                $(#[$doc:meta])*
                fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty
                    => |$engine:ident| $body:expr;
            )*
        }
        immediate {
            $(
                $(#[$now_doc:meta])*
                fn $now_name:ident(&self $(, $now_arg:ident: $now_ty:ty)* $(,)?) -> $now_ret:ty
                    => |$now_engine:ident| $now_body:expr;
            )*
        }
    ) => {
        impl AsyncScheduler {
            $(
                $(#[$doc])*
                pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    let $engine = &self.engine;
                    $body.await
                }
            )*
            $(
                $(#[$now_doc])*
                pub fn $now_name(&self $(, $now_arg: $now_ty)*) -> $now_ret {
                    let $now_engine = &self.engine;
                    $now_body
                }
            )*
        }

        impl SyncScheduler {
            $(
                $(#[$doc])*
                pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.runtime.block_on(self.inner.$name($($arg),*))?
                }
            )*
            $(
                $(#[$now_doc])*
                pub fn $now_name(&self $(, $now_arg: $now_ty)*) -> $now_ret {
                    self.inner.$now_name($($now_arg),*)
                }
            )*
        }
    };
}

scheduler_api! {
    async {
        /// Adds a job; returns it as stored, with its id and next run time.
        ///
        /// # Errors
        ///
        /// An invalid option (named by its field), an id already taken
        /// (unless replacing), a task not registered or whose arguments do
        /// not fit, a closure for a persistent store, an unknown store or
        /// executor, a store failure.
        fn add_job(&self, job: JobBuilder) -> Result<Job> => |engine| engine.add_job(job);

        /// The job `id`, if any store has it.
        ///
        /// # Errors
        ///
        /// A store failure.
        fn get_job(&self, id: &str) -> Result<Option<Job>> => |engine| engine.get_job(id);

        /// The jobs of every store (or of `store`), each store's by next
        /// run time, paused last.
        ///
        /// # Errors
        ///
        /// An unknown store, a store failure.
        fn list_jobs(&self, store: Option<&str>) -> Result<Vec<Job>>
            => |engine| engine.list_jobs(store);

        /// The run history that `query` asks for, from every store: newest
        /// first (by scheduled time, then job id, then node), at most
        /// `query.limit` records. Stores that keep no history are skipped.
        /// See the examples of [`SyncScheduler`] and [`AsyncScheduler`].
        ///
        /// # Errors
        ///
        /// A store failure.
        fn list_runs(&self, query: &RunQuery) -> Result<Vec<RunRecord>>
            => |engine| engine.list_runs(query);

        /// The jobs that the stores keep but cannot restore (their stored
        /// form does not read): never run, never deleted, listed here until
        /// someone rewrites or removes them. The memory store has none.
        ///
        /// # Errors
        ///
        /// A store failure.
        fn unrestorable_jobs(&self) -> Result<Vec<UnrestorableJob>>
            => |engine| engine.unrestorable_jobs();

        /// Changes options of job `id`.
        ///
        /// # Errors
        ///
        /// Not found, an invalid option, a store failure.
        fn modify_job(&self, id: &str, changes: JobChanges) -> Result<Job>
            => |engine| engine.modify_job(id, changes);

        /// Gives job `id` a new trigger, next running at its first fire
        /// time from now. A trigger with nothing left removes the job.
        ///
        /// # Errors
        ///
        /// Not found, a store failure.
        fn reschedule_job(&self, id: &str, trigger: impl Into<Trigger>) -> Result<Job>
            => |engine| engine.reschedule_job(id, trigger.into());

        /// Pauses job `id`: it keeps its trigger but does not run until
        /// resumed.
        ///
        /// # Errors
        ///
        /// Not found, a store failure.
        fn pause_job(&self, id: &str) -> Result<Job> => |engine| engine.pause_job(id);

        /// Resumes job `id` from its trigger's next fire time after now;
        /// `None` when the trigger has nothing left (the job is then
        /// removed).
        ///
        /// # Errors
        ///
        /// Not found, a store failure.
        fn resume_job(&self, id: &str) -> Result<Option<Job>> => |engine| engine.resume_job(id);

        /// Removes job `id`.
        ///
        /// # Errors
        ///
        /// Not found, a store failure.
        fn remove_job(&self, id: &str) -> Result<()> => |engine| engine.remove_job(id);

        /// Removes every job (of `store`, or of all stores).
        ///
        /// # Errors
        ///
        /// An unknown store, a store failure.
        fn remove_all_jobs(&self, store: Option<&str>) -> Result<()>
            => |engine| engine.remove_all_jobs(store);

        /// Runs job `id` once more, now; its schedule is unchanged. The run
        /// counts against `max_instances`.
        ///
        /// # Errors
        ///
        /// Not found, the scheduler not started, a store failure.
        fn run_job_now(&self, id: &str) -> Result<()> => |engine| engine.run_job_now(id);

        /// A printable table of the jobs: id, name, trigger, next run in
        /// the scheduler's zone.
        ///
        /// # Errors
        ///
        /// A store failure.
        fn jobs_table(&self) -> Result<String> => |engine| engine.jobs_table();
    }
    immediate {
        /// What the scheduler is doing.
        fn state(&self) -> SchedulerState => |engine| engine.state();

        /// The zone jobs are shown in.
        fn timezone(&self) -> &Zone => |engine| &engine.timezone;

        /// The registry of named tasks.
        fn tasks(&self) -> &Tasks => |engine| &engine.tasks;

        /// The listeners: add callbacks or subscribe to events.
        fn listeners(&self) -> &Listeners => |engine| &engine.listeners;

        /// Adds a job store under `name`.
        ///
        /// # Errors
        ///
        /// Field `store` when the name is taken.
        fn add_store(&self, name: &str, store: impl JobStore) -> Result<()>
            => |engine| engine.add_store(name, Arc::new(store));

        /// Removes the job store `name` (its jobs stay in it).
        ///
        /// # Errors
        ///
        /// Not found.
        fn remove_store(&self, name: &str) -> Result<()> => |engine| engine.remove_store(name);

        /// Adds the calendar `name`, or replaces it, for jobs added from now
        /// on to exclude by name (see
        /// [`SchedulerBuilder::calendar`](crate::scheduler::SchedulerBuilder::calendar));
        /// jobs added before keep the definition they were added with.
        ///
        /// # Errors
        ///
        /// Field `calendar` when the name is empty.
        ///
        /// ```
        /// use tempora::calendar::Calendar;
        /// use tempora::job::JobBuilder;
        /// use tempora::scheduler::SchedulerBuilder;
        /// use tempora::task::{JobContext, Tasks};
        /// use tempora::trigger::CronTrigger;
        ///
        /// let tasks = Tasks::new();
        /// tasks.register("wake", |_: JobContext, _: ()| Ok::<_, String>(()));
        /// let scheduler = SchedulerBuilder::new().tasks(tasks).host_driven()?;
        /// scheduler.add_calendar("christmas", Calendar::yearly(["12-25"]).build()?)?;
        /// let trigger = CronTrigger::crontab("0 8 * * *").timezone("UTC").build()?;
        /// let job = scheduler.add_job(JobBuilder::new("wake", trigger).exclude(["christmas"]))?;
        /// assert!(job.exclusions().contains_key("christmas"));
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        fn add_calendar(&self, name: &str, calendar: Calendar) -> Result<()>
            => |engine| engine.add_calendar(name, calendar);

        /// Adds an executor under `name`.
        ///
        /// # Errors
        ///
        /// Field `executor` when the name is taken.
        fn add_executor(&self, name: &str, executor: Executor) -> Result<()>
            => |engine| engine.add_executor(name, executor);

        /// Removes the executor `name`, letting its runs finish.
        ///
        /// # Errors
        ///
        /// Not found.
        fn remove_executor(&self, name: &str) -> Result<()>
            => |engine| engine.remove_executor(name);

        /// Stops processing jobs until `resume`.
        ///
        /// # Errors
        ///
        /// The scheduler is not running.
        fn pause(&self) -> Result<()> => |engine| engine.pause();

        /// Resumes processing jobs.
        ///
        /// # Errors
        ///
        /// The scheduler is not paused or running.
        fn resume(&self) -> Result<()> => |engine| engine.resume();
    }
}
