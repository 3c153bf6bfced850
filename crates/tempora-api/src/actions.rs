//! What the API and `tempora jobs` do to a store's jobs, written once:
//! pause (until an instant), resume, run now, remove, backfill, and the
//! fire times ahead. Each is a function of the store, its arguments and
//! `now`.
//!
//! | action | stored job |
//! |---|---|
//! | [`pause`] | no next run time: it does not run until resumed |
//! | [`pause`] until T | next run time = the first fire time at or after T, label [`PAUSED_UNTIL`] = T |
//! | [`resume`] | next run time = the first fire time from now; a job with no more fire times is removed |
//! | [`run_now`] | next run time = now: it runs within a second, then goes on by its trigger |
//! | [`remove`] | removed, with its pending runs |
//! | [`backfill`] | each fire time of the range queued once as a pending run |

use jiff::Timestamp;
use tempora::Error;
use tempora::job::{Job, PendingRunKind, RunOf, StoredJob};
use tempora::store::JobStore;
use tempora::trigger::Zone;

use crate::views::{ORIGIN, PAUSED_UNTIL, RemovedView, paused_until};

/// The job `id`.
///
/// # Errors
///
/// Not found, a store failure.
///
/// # Cancel safety
///
/// One read and at most one write: dropped before the write, nothing
/// changes.
pub async fn get(store: &dyn JobStore, id: &str) -> tempora::Result<Job> {
    store
        .get_job(id)
        .await?
        .ok_or_else(|| Error::not_found("job", id))
}

/// Writes `job` back with `change` made to its stored form.
///
/// # Errors
///
/// A store failure; not found when the job went meanwhile.
///
/// # Cancel safety
///
/// One read and at most one write: dropped before the write, nothing
/// changes.
pub async fn update(
    store: &dyn JobStore,
    job: &Job,
    change: impl FnOnce(&mut StoredJob),
) -> tempora::Result<Job> {
    let mut stored = job.to_stored()?;
    change(&mut stored);
    let changed = Job::from_stored(stored, job.store());
    store.update_job(changed.clone()).await?;
    Ok(changed)
}

/// Reads a time `text` on `zone`'s wall clock (RFC 3339 with an offset, or
/// a local `YYYY-MM-DD[ HH:MM[:SS]]`); a mistake names `field`.
///
/// # Errors
///
/// Field `field` for a time that does not read.
pub fn parse_time(zone: &Zone, field: &str, text: &str) -> tempora::Result<Timestamp> {
    zone.parse_time(text).map_err(|error| match error.reason() {
        Some(reason) => Error::invalid(field, reason),
        None => error,
    })
}

/// Pauses job `id`: until resumed, or with `until` (the text given and
/// the instant it reads as), skipping the fire times before it.
///
/// # Errors
///
/// Not found; field `until` for an instant not in the future or after the
/// job's last fire time; a store failure.
///
/// # Cancel safety
///
/// One read and at most one write: dropped before the write, nothing
/// changes.
pub async fn pause(
    store: &dyn JobStore,
    id: &str,
    until: Option<(&str, Timestamp)>,
    now: Timestamp,
) -> tempora::Result<Job> {
    let job = get(store, id).await?;
    let Some((until, until_time)) = until else {
        return update(store, &job, |stored| {
            stored.next_run_time = None;
            stored.labels.remove(PAUSED_UNTIL);
        })
        .await;
    };
    if until_time <= now {
        return Err(Error::invalid(
            "until",
            format!("{until:?} is not in the future"),
        ));
    }
    let Some(next) = job.next_fire_time(None, until_time) else {
        return Err(Error::invalid(
            "until",
            format!(
                "job {id:?} has no fire time after {until:?}; pause it without --until, or remove it"
            ),
        ));
    };
    update(store, &job, |stored| {
        stored.next_run_time = Some(next);
        stored
            .labels
            .insert(PAUSED_UNTIL.to_owned(), until_time.to_string());
    })
    .await
}

/// What a resume did: the job runs again, or it had no more fire times
/// and was removed.
#[derive(Debug, Clone)]
pub enum Resumed {
    /// The job as resumed.
    Job(Job),
    /// The job had no more fire times: removed.
    Removed(RemovedView),
}

/// Resumes job `id` at its trigger's first fire time from `now`; a job
/// whose trigger has no more fire times is removed.
///
/// # Errors
///
/// Not found, a store failure.
///
/// # Cancel safety
///
/// One read and at most one write: dropped before the write, nothing
/// changes.
pub async fn resume(store: &dyn JobStore, id: &str, now: Timestamp) -> tempora::Result<Resumed> {
    let job = get(store, id).await?;
    let Some(next) = job.next_fire_time(None, now) else {
        store.remove_job(id).await?;
        return Ok(Resumed::Removed(RemovedView {
            id: id.to_owned(),
            removed: true,
            origin: job.label(ORIGIN).map(str::to_owned),
        }));
    };
    let job = update(store, &job, |stored| {
        stored.next_run_time = Some(next);
        stored.labels.remove(PAUSED_UNTIL);
        stored.paused_reason = None;
    })
    .await?;
    Ok(Resumed::Job(job))
}

/// Runs job `id` now (within a second), then by its trigger as before.
///
/// # Errors
///
/// Not found; field `id` for a paused job; a store failure.
///
/// # Cancel safety
///
/// One read and at most one write: dropped before the write, nothing
/// changes.
pub async fn run_now(store: &dyn JobStore, id: &str, now: Timestamp) -> tempora::Result<Job> {
    let job = get(store, id).await?;
    if job.is_paused() || paused_until(&job, now).is_some() {
        return Err(Error::invalid(
            "id",
            format!("job {id:?} is paused; resume it first: tempora jobs resume {id}"),
        ));
    }
    update(store, &job, |stored| stored.next_run_time = Some(now)).await
}

/// Removes job `id` and its pending runs (retries, buffered and backfill
/// runs), which go with it.
///
/// # Errors
///
/// Not found, a store failure.
///
/// # Cancel safety
///
/// Dropped after the job's removal, some of its pending runs may be left
/// in the store (listed with their `run_of`); remove them by their ids.
pub async fn remove(store: &dyn JobStore, id: &str) -> tempora::Result<RemovedView> {
    let job = get(store, id).await?;
    store.remove_job(id).await?;
    // Its pending runs go too, and its stale checks and marks.
    for pending in store.list_jobs().await? {
        if pending.run_of().is_some_and(|run| run.job == id)
            || tempora::notify::is_stale_watch_of(&pending, id)
        {
            match store.remove_job(pending.id()).await {
                Ok(()) => {}
                Err(error) if error.is_not_found() => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(RemovedView {
        id: id.to_owned(),
        removed: true,
        origin: job.label(ORIGIN).map(str::to_owned),
    })
}

/// What [`backfill`] found and queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfilled {
    /// The fire times of the range.
    pub times: Vec<Timestamp>,
    /// How many were queued now; the others were queued already.
    pub queued: usize,
}

/// Queues each fire time of job `id` from `from` through `to` as a
/// pending run (unless `dry_run`): the schedulers sharing the store run
/// each once, recorded with its scheduled time; the job's schedule does
/// not move.
///
/// # Errors
///
/// Not found; field `id` for a pending run or a paused job; field `from`
/// or `to` for a range the job refuses; a store failure.
///
/// # Cancel safety
///
/// Dropped midway, part of the range is queued; asking again queues the
/// rest (each fire time is queued once).
pub async fn backfill(
    store: &dyn JobStore,
    id: &str,
    from: Timestamp,
    to: Timestamp,
    dry_run: bool,
    now: Timestamp,
) -> tempora::Result<Backfilled> {
    let job = get(store, id).await?;
    if job.run_of().is_some() {
        return Err(Error::invalid(
            "id",
            format!("{id:?} is a pending run itself: give the id of its job"),
        ));
    }
    if job.is_paused() {
        return Err(Error::invalid(
            "id",
            format!(
                "job {id:?} is paused: resume it first (tempora jobs resume {id}), \
                 or its backfill runs are dropped"
            ),
        ));
    }
    let times = job.backfill_times(from, to, now)?;
    let mut queued = 0usize;
    if !dry_run {
        for time in &times {
            let run = RunOf::new(id, *time, 1, PendingRunKind::Backfill);
            match store.add_job(job.pending_run(run, now), false).await {
                Ok(()) => queued += 1,
                Err(error) if error.is_conflict() => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(Backfilled { times, queued })
}

/// The next `count` fire times of `job`: its next run time, then its
/// trigger's fire times after it (for a paused job, from `now`), none
/// that its calendars exclude.
pub fn next_fire_times(job: &Job, count: usize, now: Timestamp) -> Vec<Timestamp> {
    match job.next_run_time() {
        Some(next) => std::iter::once(next)
            .chain(fire_times_from(job, Some(next), next))
            .take(count)
            .collect(),
        None => fire_times_from(job, None, now).take(count).collect(),
    }
}

/// The fire times of `job` from `now` on, each after the one before, that
/// none of its calendars excludes: the first is
/// `job.next_fire_time(previous, now)`.
pub fn fire_times_from(
    job: &Job,
    previous: Option<Timestamp>,
    now: Timestamp,
) -> impl Iterator<Item = Timestamp> + '_ {
    let mut next = job.next_fire_time(previous, now);
    std::iter::from_fn(move || {
        let current = next?;
        next = job
            .next_fire_time(Some(current), current)
            .filter(|following| *following > current);
        Some(current)
    })
}
