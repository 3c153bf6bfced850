//! Tempora is a job scheduler: a program embeds it to run its own functions
//! later, once, at intervals or on a calendar, correct across time zones and
//! DST changes.
//!
//! ```
//! use tempora::job::JobBuilder;
//! use tempora::scheduler::BackgroundScheduler;
//! use tempora::task::JobContext;
//! use tempora::trigger::CronTrigger;
//!
//! let scheduler = BackgroundScheduler::new()?;
//! // Tasks are registered by name, so that jobs kept in a database come
//! // back after a restart; arguments are typed and stored as JSON.
//! scheduler.tasks().register("greet", |context: JobContext, name: String| {
//!     println!("hello {name}, from job {}", context.job_id());
//!     Ok::<(), String>(())
//! });
//! // Every 15 minutes from 09:00 to 17:45, Monday to Friday, Berlin time.
//! let trigger = CronTrigger::crontab("*/15 9-17 * * mon-fri").timezone("Europe/Berlin").build()?;
//! let job = scheduler.add_job(JobBuilder::new("greet", trigger).id("greeter").args("world"))?;
//! assert!(job.next_run_time().is_some());
//! scheduler.start()?;
//! // ... the program goes on; jobs run on a pool of threads ...
//! scheduler.shutdown(true)?;
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! A trigger alone answers "when does this fire next?", without a clock:
//!
//! ```
//! use tempora::trigger::CronTrigger;
//!
//! let trigger = CronTrigger::crontab("*/15 9-17 * * mon-fri").timezone("Europe/Berlin").build()?;
//! let zone = trigger.zone();
//! let now = zone.parse_time("2026-03-27 17:50")?; // a Friday
//! let next = trigger.next_fire_time(None, now).unwrap();
//! assert_eq!(zone.format(next), "2026-03-30T09:00:00+02:00"); // summer time began on Sunday
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! # Concepts
//!
//! * A **trigger** is a pure value: [`trigger::Trigger::next_fire_time`]
//!   takes the previous fire time and "now", and never reads a clock. That
//!   makes every schedule testable to the second across years of DST changes.
//! * A **zone** ([`trigger::Zone`]) is where a trigger's wall clock hangs:
//!   an IANA name, `UTC`, or a fixed offset.
//! * **DST policies** ([`trigger::DstGap`], [`trigger::DstFold`]) say what a
//!   wall-clock trigger does with a time that does not exist or happens twice.
//! * A **task** ([`task::Tasks`]) is a named function, sync or async, with
//!   typed arguments; a **job** ([`job::Job`]) is a task, its arguments, a
//!   trigger and options (misfire grace time, coalescing, max instances).
//! * A **store** ([`store::JobStore`]) keeps jobs and hands out due ones
//!   under a lease; [`store::MemoryStore`] is the default.
//! * An **executor** ([`executor::Executor`]) runs them: a thread pool (the
//!   default), tokio tasks, or worker processes.
//! * A **scheduler** ([`scheduler`]) conducts, in four kinds over one
//!   engine: blocking, background, async, and driven by a host loop. Time
//!   comes from a [`clock::Clock`], so tests drive a manual one.
//! * **Events** ([`event`]) tell listeners what happened: every run, miss,
//!   skip and change.
//! * **Errors** are one type, [`Error`], whose messages name the field and
//!   the value: `hour: 24 is out of range 0-23`.
//!
//! # Cookbook
//!
//! Every weekday at 09:30 in New York, from APScheduler-style fields:
//!
//! ```
//! use tempora::trigger::CronTrigger;
//!
//! let trigger = CronTrigger::builder()
//!     .day_of_week("mon-fri")
//!     .hour(9)
//!     .minute(30)
//!     .timezone("America/New_York")
//!     .build()?;
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! Every 90 minutes of elapsed time, from a fixed start:
//!
//! ```
//! use tempora::trigger::{IntervalTrigger, Zone};
//!
//! let start = Zone::utc().parse_time("2026-01-01 00:00")?;
//! let trigger = IntervalTrigger::builder().hours(1).minutes(30).start_date(start).timezone("UTC").build()?;
//! # Ok::<(), tempora::Error>(())
//! ```
//!
//! # Cargo features
//!
//! * `webhooks` (on by default): the HTTP client (reqwest, with rustls)
//!   that delivers [`notify`] webhooks. Without it a webhook delivery fails,
//!   saying so; command notifiers and signatures work either way.
//! * `metrics`: the module `tempora::metrics`, Prometheus metrics of a
//!   scheduler's runs, jobs, nodes and store calls, on `prometheus-client`.
//!
//! Every run executes inside a `tracing` span
//! ([`executor::RUN_SPAN`]), whatever the features, and
//! [`health::check_health`] says which of a store's jobs are failing or
//! stale.

#![deny(missing_docs)]

pub mod calendar;
pub mod clock;
pub mod config;
mod error;
pub mod event;
pub mod executor;
pub mod health;
pub mod history;
pub mod job;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod notify;
pub mod scheduler;
pub mod store;
mod sync;
pub mod task;
pub mod trigger;

pub use crate::error::{Error, Result};
pub use jiff;
