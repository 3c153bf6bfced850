//! Jobs and times for store tests.
//!
//! ```
//! use tempora_testkit::jobs::{at, ids, job, paused, T0};
//!
//! let a = job("a", "2026-01-01T00:05:00Z");
//! assert_eq!(a.next_run_time(), Some(at("2026-01-01T00:05:00Z")));
//! assert!(paused("b").is_paused());
//! assert_eq!(ids(&[a]), ["a"]);
//! assert_eq!(at(T0).to_string(), "2026-01-01T00:00:00Z");
//! ```

use tempora::jiff::Timestamp;
use tempora::job::{Job, JobBuilder, JobDefaults, StoredJob};
use tempora::trigger::IntervalTrigger;

/// The instant the suite's jobs start from.
pub const T0: &str = "2026-01-01T00:00:00Z";

/// The task every suite job calls.
pub const TASK: &str = "tick";

/// The instant `text` (RFC 3339) names.
///
/// # Panics
///
/// When `text` is not an RFC 3339 instant: a mistake in the test.
pub fn at(text: &str) -> Timestamp {
    match text.parse() {
        Ok(time) => time,
        Err(error) => panic!("{text:?} is not an instant: {error}"),
    }
}

/// A job `id` every hour from [`T0`], next due at `first`.
///
/// # Panics
///
/// When `first` is not an RFC 3339 instant.
pub fn job(id: &str, first: &str) -> Job {
    build(
        JobBuilder::new(TASK, hourly())
            .id(id)
            .next_run_time(at(first)),
    )
}

/// A job `id` every hour from [`T0`], next due at the instant `first`.
///
/// ```
/// use tempora_testkit::jobs::{T0, at, job_at};
///
/// let first = at(T0) + tempora::jiff::SignedDuration::from_nanos(1);
/// assert_eq!(job_at("a", first).next_run_time(), Some(first));
/// ```
pub fn job_at(id: &str, first: Timestamp) -> Job {
    build(JobBuilder::new(TASK, hourly()).id(id).next_run_time(first))
}

/// A paused job `id` every hour from [`T0`].
pub fn paused(id: &str) -> Job {
    build(JobBuilder::new(TASK, hourly()).id(id).paused())
}

/// The job built at [`T0`] with the default options.
///
/// # Panics
///
/// When the builder refuses the job: a mistake in the test.
pub fn build(builder: JobBuilder) -> Job {
    match builder.build_at(&JobDefaults::default(), at(T0)) {
        Ok(job) => job,
        Err(error) => panic!("the test's job is refused: {error}"),
    }
}

/// `job` with its next run time changed to `next` (`None`: paused), as a
/// scheduler's modify or pause would change it.
pub fn with_next_run_time(job: &Job, next: Option<Timestamp>) -> Job {
    let mut stored = stored(job);
    stored.next_run_time = next;
    Job::from_stored(stored, job.store())
}

/// The stored form of `job`, to compare jobs: everything but the store
/// name.
///
/// # Panics
///
/// When `job` holds a closure.
pub fn stored(job: &Job) -> StoredJob {
    match job.to_stored() {
        Ok(stored) => stored,
        Err(error) => panic!("job {:?} has no stored form: {error}", job.id()),
    }
}

/// The ids of `jobs`, in order.
pub fn ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(Job::id).collect()
}

pub(crate) fn hourly() -> IntervalTrigger {
    match IntervalTrigger::builder()
        .hours(1)
        .start_date(at(T0))
        .timezone("UTC")
        .build()
    {
        Ok(trigger) => trigger,
        Err(error) => panic!("the test's trigger is refused: {error}"),
    }
}
