//! The cases of the conformance suite: each takes a fresh
//! [`StoreUnderTest`] and panics when the store breaks the contract of
//! [`JobStore`].
//!
//! Times are fixed instants of 2026 passed as `now`, so the cases hold for
//! stores that measure leases on the caller's `now` and for stores that
//! measure them on the database's clock: a lease the suite wants expired is
//! short (1 s) *and* waited out; a lease it wants alive is long (10 min).
//! Running records' promises (`alive_until`) go the same way: a store on
//! the caller's clock measures them on the `now` given, a store on its own
//! clock ([`StoreUnderTest::measures_on`]) keeps them on that clock,
//! counted from when it writes them; a promise the suite wants broken is
//! short and, on a store's own clock, waited out.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tempora::calendar::Calendar;
use tempora::clock::SystemClock;
use tempora::history::{RunQuery, RunRecord, RunRetention, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{Job, JobBuilder, Overlap};
use tempora::store::{
    ChangeNotice, JobStore, LeaseClock, NodeRecord, Release, Settled, Settlement,
};
use tempora::task::{JobContext, JobTask};
use tempora::trigger::CronTrigger;

use crate::jobs::{T0, TASK, at, build, ids, job, job_at, paused, stored, with_next_run_time};
use crate::{Capabilities, StoreUnderTest};

/// A lease that outlives every case.
const LONG: SignedDuration = SignedDuration::from_secs(600);

/// A lease the suite waits out.
const SHORT: SignedDuration = SignedDuration::from_secs(1);

/// `result`'s value, or a panic naming `what` and the error with its
/// sources.
fn must<T>(result: tempora::Result<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => {
            let mut message = format!("{what}: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            panic!("{message}")
        }
    }
}

fn plus(time: Timestamp, seconds: i64) -> Timestamp {
    match time.checked_add(SignedDuration::from_secs(seconds)) {
        Ok(later) => later,
        Err(error) => panic!("{time} + {seconds}s: {error}"),
    }
}

async fn add(store: &dyn JobStore, job: Job) {
    let id = job.id().to_owned();
    must(store.add_job(job, false).await, &format!("add job {id:?}"));
}

async fn get(store: &dyn JobStore, id: &str) -> Option<Job> {
    must(store.get_job(id).await, &format!("get job {id:?}"))
}

async fn list(store: &dyn JobStore) -> Vec<Job> {
    must(store.list_jobs().await, "list the jobs")
}

async fn acquire(store: &dyn JobStore, now: &str, limit: usize, owner: &str) -> Vec<Job> {
    acquire_for(store, now, limit, owner, LONG).await
}

async fn acquire_for(
    store: &dyn JobStore,
    now: &str,
    limit: usize,
    owner: &str,
    lease: SignedDuration,
) -> Vec<Job> {
    must(
        store.acquire_due(at(now), limit, owner, lease).await,
        &format!("acquire due jobs at {now} for {owner:?}"),
    )
}

async fn release(store: &dyn JobStore, owner: &str, claimed: &Job, what: Release, now: &str) {
    must(
        store.release(owner, claimed, what, at(now)).await,
        &format!("release job {:?} for {owner:?}", claimed.id()),
    );
}

async fn next_run_time(store: &dyn JobStore) -> Option<Timestamp> {
    must(store.next_run_time().await, "read the next run time")
}

fn find<'a>(jobs: &'a [Job], id: &str) -> &'a Job {
    match jobs.iter().find(|job| job.id() == id) {
        Some(job) => job,
        None => panic!("job {id:?} is not among {:?}", ids(jobs)),
    }
}

/// A job is added, read back whole, and listed; a missing one reads `None`.
pub async fn add_get_and_list(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    assert!(list(store).await.is_empty(), "a fresh store holds no job");
    let a = build(
        JobBuilder::new(
            TASK,
            CronTrigger::crontab("30 9 * * mon-fri")
                .timezone("Europe/Berlin")
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .id("a")
        .name("the a job")
        .args(&serde_json::json!({"to": ["ops", "dev"], "n": 3, "ok": true, "none": null}))
        .executor("pool")
        .coalesce(false)
        .max_instances(4)
        .next_run_time(at("2026-01-01T00:05:00Z")),
    );
    add(store, a.clone()).await;
    let back = get(store, "a")
        .await
        .unwrap_or_else(|| panic!("job \"a\" was added"));
    assert_eq!(
        stored(&back),
        stored(&a),
        "a job reads back as it was added"
    );
    assert_eq!(back.next_run_time(), Some(at("2026-01-01T00:05:00Z")));
    assert!(get(store, "missing").await.is_none());
    assert!(get(store, "A").await.is_none(), "ids are case-sensitive");
    let listed = list(store).await;
    assert_eq!(ids(&listed), ["a"]);
    assert_eq!(stored(&listed[0]), stored(&a));
    under_test.finish().await;
}

/// An id is taken once; `replace_existing` replaces the job (and adds it
/// when absent).
pub async fn add_refuses_a_taken_id_unless_replacing(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", "2026-01-01T00:05:00Z")).await;
    let error = match store.add_job(job("a", "2026-01-01T00:07:00Z"), false).await {
        Ok(()) => panic!("adding a taken id must fail"),
        Err(error) => error,
    };
    assert!(error.is_conflict(), "a taken id is a conflict: {error}");
    assert_eq!(error.field(), Some("id"));
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at("2026-01-01T00:05:00Z")),
        "a refused add changes nothing"
    );
    must(
        store.add_job(job("a", "2026-01-01T00:07:00Z"), true).await,
        "replace a",
    );
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at("2026-01-01T00:07:00Z"))
    );
    must(store.add_job(job("b", T0), true).await, "replace-add b");
    assert_eq!(ids(&list(store).await), ["b", "a"]);
    under_test.finish().await;
}

/// `update_job` replaces the stored job whole; a missing one is not found.
pub async fn update_replaces_a_stored_job(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let error = match store.update_job(job("x", T0)).await {
        Ok(()) => panic!("updating a missing job must fail"),
        Err(error) => error,
    };
    assert!(error.is_not_found(), "{error}");
    assert!(
        get(store, "x").await.is_none(),
        "a failed update adds nothing"
    );
    add(store, job("x", T0)).await;
    add(store, job("y", "2026-01-01T00:30:00Z")).await;
    let changed = build(
        JobBuilder::new(
            "other_task",
            CronTrigger::crontab("0 * * * *")
                .timezone("UTC")
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .id("x")
        .name("renamed")
        .args(&serde_json::json!([1, 2, 3]))
        .next_run_time(at("2026-01-01T01:00:00Z")),
    );
    must(store.update_job(changed.clone()).await, "update x");
    let back = get(store, "x")
        .await
        .unwrap_or_else(|| panic!("x was updated, not removed"));
    assert_eq!(stored(&back), stored(&changed));
    assert_eq!(
        ids(&list(store).await),
        ["y", "x"],
        "the list follows the new next run time"
    );
    assert_eq!(next_run_time(store).await, Some(at("2026-01-01T00:30:00Z")));
    under_test.finish().await;
}

/// `remove_job` removes one job (a missing one is not found);
/// `remove_all_jobs` removes every job.
pub async fn remove_and_remove_all(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    match store.remove_job("x").await {
        Ok(()) => panic!("removing a missing job must fail"),
        Err(error) => assert!(error.is_not_found(), "{error}"),
    }
    add(store, job("a", T0)).await;
    add(store, job("b", "2026-01-01T00:01:00Z")).await;
    add(store, paused("c")).await;
    must(store.remove_job("b").await, "remove b");
    assert!(get(store, "b").await.is_none());
    assert_eq!(ids(&list(store).await), ["a", "c"]);
    match store.remove_job("b").await {
        Ok(()) => panic!("removing a removed job must fail"),
        Err(error) => assert!(error.is_not_found(), "{error}"),
    }
    must(store.remove_all_jobs().await, "remove all");
    assert!(list(store).await.is_empty());
    assert_eq!(next_run_time(store).await, None);
    assert!(
        acquire(store, "2027-01-01T00:00:00Z", 10, "n")
            .await
            .is_empty()
    );
    must(
        store.remove_all_jobs().await,
        "remove all from an empty store",
    );
    // The id is free again.
    add(store, job("a", T0)).await;
    under_test.finish().await;
}

/// Jobs list by next run time, ties by id, paused jobs last by id.
pub async fn list_orders_by_next_run_time_then_id_paused_last(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    for job in [
        job("m", "2026-01-01T00:10:00Z"),
        paused("p2"),
        job("z", "2026-01-01T00:05:00Z"),
        job("a", "2026-01-01T00:10:00Z"),
        paused("p1"),
        job("b", "2025-12-31T23:59:59.000001Z"),
        job("c", "2027-06-01T00:00:00Z"),
    ] {
        add(store, job).await;
    }
    assert_eq!(
        ids(&list(store).await),
        ["b", "z", "a", "m", "c", "p1", "p2"]
    );
    assert_eq!(
        find(&list(store).await, "b").next_run_time(),
        Some(at("2025-12-31T23:59:59.000001Z")),
        "next run times keep their microseconds"
    );
    under_test.finish().await;
}

/// A paused job is kept and listed, never acquired, and not the next run
/// time; resumed (updated with a next run time), it is due again.
pub async fn paused_jobs_are_kept_but_never_due(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, paused("p")).await;
    assert_eq!(
        next_run_time(store).await,
        None,
        "a paused job never wakes the scheduler"
    );
    assert!(
        acquire(store, "2030-01-01T00:00:00Z", 10, "n")
            .await
            .is_empty()
    );
    let kept = get(store, "p").await.unwrap_or_else(|| panic!("p is kept"));
    assert!(kept.is_paused());
    add(store, job("d", T0)).await;
    assert_eq!(next_run_time(store).await, Some(at(T0)));
    assert_eq!(
        ids(&acquire(store, "2030-01-01T00:00:00Z", 10, "n").await),
        ["d"]
    );
    // Resumed.
    must(
        store
            .update_job(with_next_run_time(&kept, Some(at("2026-01-01T00:30:00Z"))))
            .await,
        "resume p",
    );
    assert_eq!(
        next_run_time(store)
            .await
            .map(|t| t <= at("2026-01-01T00:30:00Z")),
        Some(true)
    );
    assert!(
        acquire(store, "2026-01-01T00:29:59Z", 10, "m")
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:30:00Z", 10, "m").await),
        ["p"]
    );
    under_test.finish().await;
}

/// The next run time is the earliest of the jobs not paused and not
/// claimed; a claimed job counts again only once released (or when its
/// lease would expire).
pub async fn next_run_time_is_the_earliest_unclaimed(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    assert_eq!(
        next_run_time(store).await,
        None,
        "an empty store has no next run time"
    );
    add(store, job("a", "2026-01-01T00:10:00Z")).await;
    add(store, job("b", "2026-01-01T00:05:00Z")).await;
    add(store, paused("p")).await;
    assert_eq!(next_run_time(store).await, Some(at("2026-01-01T00:05:00Z")));
    let claimed = acquire(store, "2026-01-01T00:05:00Z", 10, "n").await;
    assert_eq!(ids(&claimed), ["b"]);
    let next = next_run_time(store).await;
    assert!(
        next.is_some_and(|t| t > at("2026-01-01T00:05:00Z") && t <= at("2026-01-01T00:10:00Z")),
        "a claimed job is not the next run time while its lease lives: {next:?}"
    );
    release(
        store,
        "n",
        &claimed[0],
        Release::Reschedule(at("2026-01-01T00:20:00Z")),
        "2026-01-01T00:05:00Z",
    )
    .await;
    assert_eq!(next_run_time(store).await, Some(at("2026-01-01T00:10:00Z")));
    under_test.finish().await;
}

/// `acquire_due` claims the jobs due at `now` (next run time at or before
/// it), earliest first with ties by id, at most `limit`.
pub async fn acquire_due_claims_due_jobs_earliest_first_within_the_limit(
    under_test: StoreUnderTest,
) {
    let store = under_test.store.as_ref();
    for job in [
        job("d", "2026-01-01T00:10:00Z"),
        job("c", "2026-01-01T00:02:00Z"),
        job("a", "2026-01-01T00:01:00Z"),
        job("b", "2026-01-01T00:02:00Z"),
        paused("p"),
    ] {
        add(store, job).await;
    }
    assert!(
        acquire(store, "2026-01-01T00:05:00Z", 0, "n")
            .await
            .is_empty(),
        "limit 0 claims nothing"
    );
    assert!(
        acquire(store, "2026-01-01T00:00:59Z", 10, "n")
            .await
            .is_empty(),
        "nothing is due yet"
    );
    let first = acquire(store, "2026-01-01T00:05:00Z", 2, "n").await;
    assert_eq!(ids(&first), ["a", "b"]);
    assert_eq!(
        stored(&first[0]),
        stored(&job("a", "2026-01-01T00:01:00Z")),
        "a claimed job is the stored job"
    );
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:05:00Z", 10, "n").await),
        ["c"]
    );
    assert!(
        acquire(store, "2026-01-01T00:05:00Z", 10, "n")
            .await
            .is_empty()
    );
    // Due at exactly its next run time, not a microsecond before.
    assert!(
        acquire(store, "2026-01-01T00:09:59.999999Z", 10, "n")
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:10:00Z", 10, "n").await),
        ["d"]
    );
    // Claimed jobs are still listed, unchanged.
    assert_eq!(ids(&list(store).await), ["a", "b", "c", "d", "p"]);
    under_test.finish().await;
}

/// Under a live lease, a claimed job is not claimed again: neither by
/// another owner nor by its own.
pub async fn a_claimed_job_is_not_claimed_again_under_a_live_lease(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", "2026-01-01T00:01:00Z")).await;
    assert_eq!(ids(&acquire(store, T0, 10, "node-a").await), ["a"]);
    assert!(
        acquire(store, "2026-01-01T00:00:30Z", 10, "node-b")
            .await
            .is_empty()
    );
    assert!(
        acquire(store, "2026-01-01T00:00:30Z", 10, "node-a")
            .await
            .is_empty()
    );
    // b becomes due: only b is handed out.
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:01:00Z", 10, "node-b").await),
        ["b"]
    );
    assert!(
        acquire(store, "2026-01-01T00:02:00Z", 10, "node-c")
            .await
            .is_empty()
    );
    under_test.finish().await;
}

/// A lease that expired is taken over by another owner, and the first
/// owner's release no longer counts.
pub async fn an_expired_lease_is_taken_over(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let first = acquire_for(store, T0, 10, "dead", SHORT).await;
    assert_eq!(ids(&first), ["a"]);
    assert!(
        acquire(store, T0, 10, "heir").await.is_empty(),
        "the lease is live"
    );
    // Expired on the caller's clock (now + 2 s) and on a database's clock.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let taken = acquire(store, "2026-01-01T00:00:02Z", 10, "heir").await;
    assert_eq!(ids(&taken), ["a"], "an expired lease is taken over");
    assert!(
        acquire(store, "2026-01-01T00:00:03Z", 10, "dead")
            .await
            .is_empty()
    );
    // The dead owner's release comes too late: it changes nothing.
    release(
        store,
        "dead",
        &first[0],
        Release::Reschedule(at("2026-01-01T01:00:00Z")),
        "2026-01-01T00:00:03Z",
    )
    .await;
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at(T0))
    );
    assert!(
        acquire(store, "2026-01-01T00:00:04Z", 10, "third")
            .await
            .is_empty(),
        "the heir's lease holds"
    );
    release(
        store,
        "heir",
        &taken[0],
        Release::Reschedule(at("2026-01-01T02:00:00Z")),
        "2026-01-01T00:00:03Z",
    )
    .await;
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at("2026-01-01T02:00:00Z"))
    );
    // The dead owner's late removal removes nothing either.
    release(
        store,
        "dead",
        &first[0],
        Release::Remove,
        "2026-01-01T00:00:04Z",
    )
    .await;
    assert!(get(store, "a").await.is_some());
    under_test.finish().await;
}

/// A release with a new next run time frees the job until then; a release
/// with removal removes it.
pub async fn release_reschedules_or_removes(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    add(store, job("c", "2026-01-01T03:00:00Z")).await;
    let claimed = acquire(store, T0, 10, "n").await;
    assert_eq!(ids(&claimed), ["a", "b"]);
    release(
        store,
        "n",
        find(&claimed, "a"),
        Release::Reschedule(at("2026-01-01T01:00:00Z")),
        T0,
    )
    .await;
    release(store, "n", find(&claimed, "b"), Release::Remove, T0).await;
    assert!(get(store, "b").await.is_none(), "released with removal");
    let a = get(store, "a")
        .await
        .unwrap_or_else(|| panic!("a was rescheduled"));
    assert_eq!(a.next_run_time(), Some(at("2026-01-01T01:00:00Z")));
    let mut expected = stored(&job("a", T0));
    expected.next_run_time = Some(at("2026-01-01T01:00:00Z"));
    assert_eq!(
        stored(&a),
        expected,
        "a release changes only the next run time"
    );
    assert_eq!(ids(&list(store).await), ["a", "c"]);
    assert_eq!(next_run_time(store).await, Some(at("2026-01-01T01:00:00Z")));
    assert!(
        acquire(store, "2026-01-01T00:59:59Z", 10, "m")
            .await
            .is_empty()
    );
    // Released: free at once for any owner, without waiting for the lease.
    assert_eq!(
        ids(&acquire(store, "2026-01-01T01:00:00Z", 10, "m").await),
        ["a"]
    );
    under_test.finish().await;
}

/// A change made while a job is claimed (a new next run time, a pause)
/// does not free the claim, and wins over the release, which only drops
/// the claim (compare-and-set on the next run time).
pub async fn release_after_a_concurrent_change_keeps_the_change(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    add(store, job("c", T0)).await;
    let claimed = acquire(store, T0, 10, "n").await;
    assert_eq!(ids(&claimed), ["a", "b", "c"]);
    let moved = with_next_run_time(find(&claimed, "a"), Some(at("2026-01-01T00:05:00Z")));
    must(store.update_job(moved).await, "move a");
    must(
        store
            .update_job(with_next_run_time(find(&claimed, "b"), None))
            .await,
        "pause b",
    );
    let renamed = build(
        JobBuilder::new(TASK, find(&claimed, "c").trigger().clone())
            .id("c")
            .name("renamed")
            .next_run_time(at(T0)),
    );
    must(store.update_job(renamed).await, "rename c");
    // Changed, still claimed.
    assert!(
        acquire(store, "2026-01-01T00:05:00Z", 10, "m")
            .await
            .is_empty(),
        "a change does not free a claim"
    );
    release(
        store,
        "n",
        find(&claimed, "a"),
        Release::Reschedule(at("2026-01-01T01:00:00Z")),
        T0,
    )
    .await;
    release(
        store,
        "n",
        find(&claimed, "b"),
        Release::Reschedule(at("2026-01-01T01:00:00Z")),
        T0,
    )
    .await;
    release(store, "n", find(&claimed, "c"), Release::Remove, T0).await;
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at("2026-01-01T00:05:00Z")),
        "the new next run time wins"
    );
    assert!(
        get(store, "b").await.is_some_and(|job| job.is_paused()),
        "the pause wins"
    );
    // c's next run time did not change: the release applies to the changed job.
    assert!(get(store, "c").await.is_none(), "c was removed as released");
    // The claims are gone: a is free at once, though its lease would live.
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:05:00Z", 10, "m").await),
        ["a"]
    );
    under_test.finish().await;
}

/// Releasing a job removed meanwhile does nothing, not even to a new job
/// of the same id.
pub async fn release_of_a_removed_job_does_nothing(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let claimed = acquire(store, T0, 10, "n").await;
    assert_eq!(ids(&claimed), ["a"]);
    must(store.remove_job("a").await, "remove a");
    release(
        store,
        "n",
        &claimed[0],
        Release::Reschedule(at("2026-01-01T01:00:00Z")),
        T0,
    )
    .await;
    assert!(
        get(store, "a").await.is_none(),
        "a release does not bring a job back"
    );
    add(store, job("a", T0)).await;
    release(store, "n", &claimed[0], Release::Remove, T0).await;
    assert_eq!(
        get(store, "a").await.and_then(|job| job.next_run_time()),
        Some(at(T0)),
        "the new a is not the claimed one"
    );
    assert_eq!(
        ids(&acquire(store, T0, 10, "m").await),
        ["a"],
        "nor is it claimed"
    );
    under_test.finish().await;
}

/// Eight tasks (on their own store instances when the store can be
/// reopened) claiming from 1,000 due jobs at once never get the same job
/// twice, and together get them all.
pub async fn concurrent_claims_never_share_a_job(under_test: StoreUnderTest) {
    const JOBS: usize = 1000;
    const TASKS: usize = 8;
    let store = Arc::clone(&under_test.store);
    let mut adders = Vec::new();
    for part in 0..TASKS {
        let store = Arc::clone(&store);
        adders.push(tokio::spawn(async move {
            for index in (part..JOBS).step_by(TASKS) {
                let first = plus(at(T0), i64::try_from(index % 60).unwrap_or(0));
                let job = job(&format!("job-{index:04}"), &first.to_string());
                must(store.add_job(job, false).await, "add a job");
            }
        }));
    }
    for adder in adders {
        if let Err(error) = adder.await {
            panic!("adding jobs failed: {error}");
        }
    }
    let reopen = under_test
        .can_reopen()
        .ok()
        .and_then(|()| under_test.reopener("concurrent claims"));
    let mut claimers = Vec::new();
    for task in 0..TASKS {
        let store = match &reopen {
            Some(reopen) if task % 2 == 1 => reopen().await,
            _ => Arc::clone(&store),
        };
        claimers.push(tokio::spawn(async move {
            let owner = format!("owner-{task}");
            let mut mine = Vec::new();
            loop {
                let claimed = must(
                    store
                        .acquire_due(at("2026-01-01T01:00:00Z"), 25, &owner, LONG)
                        .await,
                    "acquire concurrently",
                );
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.iter().map(|job| job.id().to_owned()));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut seen = BTreeSet::new();
    for claimer in claimers {
        let mine = match claimer.await {
            Ok(mine) => mine,
            Err(error) => panic!("a claiming task failed: {error}"),
        };
        for id in mine {
            assert!(seen.insert(id.clone()), "{id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), JOBS, "every due job is claimed once");
    under_test.finish().await;
}

/// Unicode ids and names, ids with quotes and SQL wildcards, ids that
/// differ only in case or accents, and 1 MB of arguments round-trip.
pub async fn odd_and_big_payloads_round_trip(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let big = "é✓".repeat(1024 * 1024 / 5); // ~1 MB of UTF-8
    let kolkata = CronTrigger::crontab("0 9 * * mon-fri")
        .timezone("Asia/Kolkata")
        .build()
        .unwrap_or_else(|error| panic!("{error}"));
    let unicode = build(
        JobBuilder::new("rapport_quotidien_日本", kolkata)
            .id("rapport-été-日本")
            .name("Ünïcödé ✓ 🚀 \"quoted\" 'single'")
            .args(&serde_json::json!({ "text": big, "nested": {"ключ": ["значение", 1.5, -7, null]} }))
            .next_run_time(at(T0)),
    );
    let long = "long-".repeat(40);
    let odd_ids = [
        "emoji-🚀",
        "quote'\"`;--",
        "percent%_under*?",
        "spaces and\ttabs\nnewline",
        "back\\slash/",
        "Job",
        "job",
        "e",
        "é",
        "\u{301}e",
        &long,
    ];
    add(store, unicode.clone()).await;
    for id in odd_ids {
        add(store, job(id, "2026-01-01T00:01:00Z")).await;
    }
    let back = get(store, "rapport-été-日本")
        .await
        .unwrap_or_else(|| panic!("the Unicode job was added"));
    assert_eq!(
        stored(&back),
        stored(&unicode),
        "1 MB of arguments and Unicode round-trip"
    );
    for id in odd_ids {
        let back = get(store, id)
            .await
            .unwrap_or_else(|| panic!("job {id:?} was added"));
        assert_eq!(back.id(), id);
    }
    let listed = list(store).await;
    assert_eq!(
        listed.len(),
        odd_ids.len() + 1,
        "ids differing in case or accents are distinct jobs"
    );
    assert_eq!(stored(find(&listed, "rapport-été-日本")), stored(&unicode));
    let claimed = acquire(store, "2026-01-01T00:01:00Z", 100, "n").await;
    assert_eq!(claimed.len(), odd_ids.len() + 1);
    assert_eq!(stored(find(&claimed, "rapport-été-日本")), stored(&unicode));
    for id in odd_ids {
        must(store.remove_job(id).await, &format!("remove {id:?}"));
    }
    assert_eq!(ids(&list(store).await), ["rapport-été-日本"]);
    under_test.finish().await;
}

/// A store that does not keep closures refuses a closure job, naming the
/// way out; one that does keeps it.
pub async fn a_closure_job_is_refused_unless_the_store_keeps_closures(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let closure = build(
        JobBuilder::with_task(
            JobTask::closure(|_: JobContext| Ok::<(), String>(())),
            CronTrigger::crontab("* * * * *")
                .timezone("UTC")
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .id("inline"),
    );
    if store.locality().is_process() {
        add(store, closure).await;
        assert!(
            get(store, "inline")
                .await
                .is_some_and(|job| job.task().name().is_none())
        );
    } else {
        let error = match store.add_job(closure, false).await {
            Ok(()) => panic!("a {} store cannot keep a closure", store.backend()),
            Err(error) => error,
        };
        assert_eq!(error.field(), Some("task"), "{error}");
        assert!(
            error.to_string().contains("register the function by name"),
            "{error}"
        );
        assert!(get(store, "inline").await.is_none());
    }
    under_test.finish().await;
}

fn keys(records: &[RunRecord]) -> Vec<(String, Timestamp, String)> {
    records
        .iter()
        .map(|record| {
            (
                record.job_id.clone(),
                record.scheduled_time,
                record.node.clone(),
            )
        })
        .collect()
}

fn key(job: &str, scheduled: &str, node: &str) -> (String, Timestamp, String) {
    (job.to_owned(), at(scheduled), node.to_owned())
}

async fn runs(store: &dyn JobStore, query: RunQuery) -> Vec<RunRecord> {
    must(
        store.run_history().list_runs(&query).await,
        &format!("list runs {query:?}"),
    )
}

/// True when the store keeps running records' promises on its own clock.
fn on_store_clock(under_test: &StoreUnderTest) -> bool {
    under_test.clock() == LeaseClock::Database
}

/// Waits out a promise of 1 s where the store measures it on its own clock
/// (on the caller's, the `now` the case passes says it passed).
async fn wait_out_promise(under_test: &StoreUnderTest) {
    if on_store_clock(under_test) {
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

/// `listed` as the suite compares it with the records `written`: on a
/// store that keeps promises on its own clock, each running record's
/// `alive_until` must be its promise as written (`alive_until - started`)
/// counted from about now (the server runs beside the tests: within 30 s),
/// and is then set back to the instant written.
fn as_written(
    under_test: &StoreUnderTest,
    listed: Vec<RunRecord>,
    written: &[&RunRecord],
) -> Vec<RunRecord> {
    if !on_store_clock(under_test) {
        return listed;
    }
    let now = tempora::clock::Clock::now(&SystemClock);
    listed
        .into_iter()
        .map(|mut record| {
            let Some(kept) = record.alive_until else {
                return record;
            };
            let Some(source) = written.iter().find(|w| w.key() == record.key()) else {
                panic!("{:?} was not written by the case", record.key());
            };
            let (Some(promised), Some(started)) = (source.alive_until, source.started) else {
                return record;
            };
            let expected = now
                .checked_add(promised.duration_since(started))
                .unwrap_or_else(|e| panic!("{e}"));
            let off = kept.duration_since(expected).abs();
            assert!(
                off < SignedDuration::from_secs(30),
                "{:?}: alive_until {kept} is not its promise from the store's now (about {expected})",
                record.key()
            );
            record.alive_until = Some(promised);
            record
        })
        .collect()
}

/// The records `query` lists, as [`as_written`] compares them.
async fn runs_as_written(
    under_test: &StoreUnderTest,
    query: RunQuery,
    written: &[&RunRecord],
) -> Vec<RunRecord> {
    as_written(
        under_test,
        runs(under_test.store.as_ref(), query).await,
        written,
    )
}

async fn record(store: &dyn JobStore, record: &RunRecord) {
    must(
        store.run_history().record_run(record).await,
        &format!("record run {:?}", record.key()),
    );
}

fn finished(job: &str, scheduled: &str, node: &str, status: RunStatus) -> RunRecord {
    let scheduled = at(scheduled);
    RunRecord::running(
        job,
        scheduled,
        node,
        plus(scheduled, 1),
        plus(scheduled, 60),
    )
    .finish(
        status,
        plus(scheduled, 3),
        Some(SignedDuration::from_millis(2_000)),
        status.is_failure().then(|| format!("{status} in {job}")),
    )
}

/// A run is recorded running, then finished under the same key: one
/// record, read back field for field; another node's run of the same fire
/// time is another record.
pub async fn run_history_records_and_updates(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    assert!(
        runs(store, RunQuery::new()).await.is_empty(),
        "a fresh store has no history"
    );
    let scheduled = at(T0);
    let running = RunRecord::running(
        "rapport-été-日本",
        scheduled,
        "node-a",
        plus(scheduled, 1),
        plus(scheduled, 31),
    )
    .with_fire_times(3);
    record(store, &running).await;
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new(), &[&running]).await,
        std::slice::from_ref(&running)
    );
    let done = running.clone().finish(
        RunStatus::Error,
        at("2026-01-01T00:00:02.5Z"),
        Some(SignedDuration::from_micros(1_234_567)),
        Some("ligne 1: échec ✗\nline 2: 'quoted' \"twice\"".to_owned()),
    );
    record(store, &done).await;
    assert_eq!(
        runs(store, RunQuery::new()).await,
        std::slice::from_ref(&done),
        "the same key updates the record"
    );
    let other = RunRecord::running(
        "rapport-été-日本",
        scheduled,
        "node-b",
        plus(scheduled, 2),
        plus(scheduled, 32),
    );
    record(store, &other).await;
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new(), &[&other]).await,
        [done.clone(), other.clone()],
        "another node's run is another record"
    );
    let missed = RunRecord::missed(
        "b",
        at("2025-12-31T00:00:00Z"),
        "node-a",
        scheduled,
        24,
        "24 run(s) missed",
    )
    // The first of the fire times it stands for, read back as written.
    .with_first_scheduled_time(at("2025-12-30T01:00:00Z"));
    record(store, &missed).await;
    record(store, &missed).await;
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new(), &[&other]).await,
        [done, other, missed],
        "recording twice keeps one record"
    );
    under_test.finish().await;
}

/// The tail of a command's output: several KB of Unicode over many lines,
/// quotes, backslashes, tabs and a character outside the BMP, ending with
/// the marker `end`.
fn output_tail() -> String {
    let mut tail = String::new();
    let mut line = 0;
    while tail.len() < 6 * 1024 {
        line += 1;
        tail.push_str(&format!(
            "{line:04} Übertrag été 日本語 ✓ 🚀 'single' \"double\" back\\slash\ttab\r\n"
        ));
    }
    tail.push_str("stderr: échec ✗ end");
    tail
}

/// A `command` run's exit status and output tail round-trip: a record
/// with both, one killed by a signal (output, no status), an empty
/// output and extreme statuses; recording the key again replaces both
/// (also with `None`); another instance on the same database reads them.
pub async fn run_history_keeps_exit_status_and_output(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let tail = output_tail();
    assert!(tail.len() > 6 * 1024 && tail.chars().count() < tail.len());
    let command =
        |job: &str, scheduled: &str, status: RunStatus, exit: Option<i32>, output: Option<&str>| {
            let mut run = finished(job, scheduled, "node-é", status);
            run.exit_status = exit;
            run.output = output.map(str::to_owned);
            run
        };
    let running = RunRecord::running(
        "backup-日本",
        at(T0),
        "node-é",
        plus(at(T0), 1),
        plus(at(T0), 60),
    );
    record(store, &running).await;
    let failed = command("backup-日本", T0, RunStatus::Error, Some(3), Some(&tail));
    record(store, &failed).await;
    let killed = command(
        "backup-日本",
        "2025-12-31T23:00:00Z",
        RunStatus::Timeout,
        None,
        Some("killed after 30 s\nlast line"),
    );
    let empty = command(
        "quiet",
        "2025-12-31T22:00:00Z",
        RunStatus::Success,
        Some(0),
        Some(""),
    );
    let low = command(
        "quiet",
        "2025-12-31T21:00:00Z",
        RunStatus::Error,
        Some(i32::MIN),
        None,
    );
    let high = command(
        "quiet",
        "2025-12-31T20:00:00Z",
        RunStatus::Error,
        Some(i32::MAX),
        Some("x"),
    );
    for run in [&killed, &empty, &low, &high] {
        record(store, run).await;
    }
    let expected = [
        failed.clone(),
        killed.clone(),
        empty.clone(),
        low.clone(),
        high.clone(),
    ];
    let listed = runs(store, RunQuery::new()).await;
    assert_eq!(keys(&listed), keys(&expected));
    for (read, written) in listed.iter().zip(&expected) {
        assert_eq!(read.exit_status, written.exit_status, "{:?}", written.key());
        assert_eq!(
            read.output.as_deref().map(str::len),
            written.output.as_deref().map(str::len),
            "{:?}: the whole output, byte for byte",
            written.key()
        );
        assert_eq!(read, written, "{:?}", written.key());
    }
    assert_eq!(
        runs(
            store,
            RunQuery::new().job("backup-日本").failed_only().limit(1)
        )
        .await,
        std::slice::from_ref(&failed),
        "filters and limits return the fields too"
    );

    // The same key again replaces both fields, with None too.
    let retried = command(
        "quiet",
        "2025-12-31T20:00:00Z",
        RunStatus::Error,
        None,
        None,
    );
    record(store, &retried).await;
    let mut replaced = command("backup-日本", T0, RunStatus::Error, Some(1), Some("short"));
    replaced.error = Some("exit status 1".to_owned());
    record(store, &replaced).await;
    let after = [replaced, killed, empty, low, retried];
    assert_eq!(runs(store, RunQuery::new()).await, after);

    if under_test.can_reopen().is_ok() {
        let again = under_test.reopened().await;
        assert_eq!(
            runs(again.as_ref(), RunQuery::new()).await,
            after,
            "another instance reads the same fields"
        );
    }
    under_test.finish().await;
}

/// A job's exclusion calendars — every kind, with and without a zone of
/// their own — come back from the store as they went in, and the job read
/// back skips the fire times they exclude (another instance reads them
/// too); a job without calendars stores none.
pub async fn a_job_with_calendars_round_trips(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let calendar = |built: tempora::Result<Calendar>| {
        built.unwrap_or_else(|error| panic!("the test's calendar is refused: {error}"))
    };
    // Every day at 09:00 in New York; the calendars leave Mondays only,
    // except 2026-01-05 (a holiday).
    let daily = CronTrigger::crontab("0 9 * * *")
        .timezone("America/New_York")
        .build()
        .unwrap_or_else(|error| panic!("{error}"));
    let with_calendars = build(
        JobBuilder::new(TASK, daily)
            .id("calendars")
            .exclude_calendar(
                "holidays",
                calendar(Calendar::dates(["2026-01-05", "2026-12-25"]).build()),
            )
            .exclude_calendar("new-year", calendar(Calendar::yearly(["01-01"]).build()))
            .exclude_calendar(
                "weekends",
                calendar(
                    Calendar::weekdays(["sat", "sun"])
                        .timezone("America/New_York")
                        .build(),
                ),
            )
            .exclude_calendar(
                "mornings",
                calendar(Calendar::daily("08:30", "09:30").timezone("UTC").build()),
            )
            .exclude_calendar(
                "midweek",
                calendar(Calendar::cron("* 9 * * tue-fri").build()),
            ),
    );
    assert_eq!(
        with_calendars.next_run_time(),
        Some(at("2026-01-12T14:00:00Z")),
        "the first Monday 09:00 in New York that no calendar excludes"
    );
    add(store, with_calendars.clone()).await;
    add(store, job("plain", "2026-01-01T00:01:00Z")).await;
    let back = get(store, "calendars")
        .await
        .unwrap_or_else(|| panic!("the job with calendars was added"));
    assert_eq!(stored(&back), stored(&with_calendars));
    assert_eq!(back.exclusions(), with_calendars.exclusions());
    let monday = at("2026-01-12T14:00:00Z");
    assert_eq!(
        back.next_fire_time(Some(monday), monday),
        Some(at("2026-01-19T14:00:00Z")),
        "the job read back applies its calendars"
    );
    let plain = get(store, "plain")
        .await
        .unwrap_or_else(|| panic!("the plain job was added"));
    assert!(plain.exclusions().is_empty());
    assert!(stored(&plain).exclude.is_empty());
    let listed = list(store).await;
    assert_eq!(stored(find(&listed, "calendars")), stored(&with_calendars));
    if under_test.can_reopen().is_ok() {
        let again = under_test.reopened().await;
        let back = must(
            again.get_job("calendars").await,
            "get from another instance",
        )
        .unwrap_or_else(|| panic!("another instance finds the job"));
        assert_eq!(
            stored(&back),
            stored(&with_calendars),
            "another instance reads the same calendars"
        );
    }
    under_test.finish().await;
}

/// Runs list newest first (scheduled time descending, then job id, then
/// node), filtered by job, by failure, and limited.
pub async fn run_history_lists_with_filters_newest_first(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let all = [
        finished("a", "2026-01-01T00:00:00Z", "n1", RunStatus::Success),
        finished("a", "2026-01-01T01:00:00Z", "n1", RunStatus::Error),
        finished("b", "2026-01-01T01:00:00Z", "n1", RunStatus::Success),
        finished("a", "2026-01-01T02:00:00Z", "n2", RunStatus::Panic),
        finished("a", "2026-01-01T02:00:00Z", "n1", RunStatus::Timeout),
        RunRecord::missed(
            "b",
            at("2026-01-01T03:00:00Z"),
            "n1",
            at("2026-01-01T05:00:00Z"),
            2,
            "missed",
        ),
        finished("a", "2026-01-01T04:00:00Z", "n1", RunStatus::Interrupted),
        RunRecord::running(
            "c",
            at("2026-01-01T05:00:00Z"),
            "n1",
            at("2026-01-01T05:00:01Z"),
            at("2026-01-01T05:01:00Z"),
        ),
    ];
    for run in &all {
        record(store, run).await;
    }
    assert_eq!(
        keys(&runs(store, RunQuery::new()).await),
        [
            key("c", "2026-01-01T05:00:00Z", "n1"),
            key("a", "2026-01-01T04:00:00Z", "n1"),
            key("b", "2026-01-01T03:00:00Z", "n1"),
            key("a", "2026-01-01T02:00:00Z", "n1"),
            key("a", "2026-01-01T02:00:00Z", "n2"),
            key("a", "2026-01-01T01:00:00Z", "n1"),
            key("b", "2026-01-01T01:00:00Z", "n1"),
            key("a", "2026-01-01T00:00:00Z", "n1"),
        ]
    );
    assert_eq!(
        keys(&runs(store, RunQuery::new().job("b")).await),
        [
            key("b", "2026-01-01T03:00:00Z", "n1"),
            key("b", "2026-01-01T01:00:00Z", "n1")
        ]
    );
    assert_eq!(
        keys(&runs(store, RunQuery::new().failed_only()).await),
        [
            key("a", "2026-01-01T04:00:00Z", "n1"),
            key("b", "2026-01-01T03:00:00Z", "n1"),
            key("a", "2026-01-01T02:00:00Z", "n1"),
            key("a", "2026-01-01T02:00:00Z", "n2"),
            key("a", "2026-01-01T01:00:00Z", "n1"),
        ]
    );
    assert_eq!(
        keys(&runs(store, RunQuery::new().job("a").failed_only().limit(2)).await),
        [
            key("a", "2026-01-01T04:00:00Z", "n1"),
            key("a", "2026-01-01T02:00:00Z", "n1")
        ]
    );
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new().limit(1), &[&all[7]]).await,
        [all[7].clone()]
    );
    assert!(runs(store, RunQuery::new().limit(0)).await.is_empty());
    assert!(
        runs(store, RunQuery::new().job("A")).await.is_empty(),
        "job ids are case-sensitive"
    );
    assert!(runs(store, RunQuery::new().job("zzz")).await.is_empty());
    under_test.finish().await;
}

/// `renew_runs` extends a node's running records; `interrupt_runs` turns
/// the records of a restarting node, and those no longer vouched for,
/// into interrupted runs, and leaves the others.
pub async fn run_history_renews_and_interrupts_abandoned_runs(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let t = at(T0);
    // Promises made at T0 + 1 s; "alive"'s lasts 2 s.
    let mine = RunRecord::running("a", t, "restarting", plus(t, 1), plus(t, 60));
    let theirs = RunRecord::running("b", t, "other", plus(t, 1), plus(t, 60));
    let theirs_too = RunRecord::running("c", t, "other", plus(t, 1), plus(t, 600));
    let alive = RunRecord::running("d", t, "alive", plus(t, 1), plus(t, 3));
    let done = finished("e", T0, "restarting", RunStatus::Success);
    for run in [&mine, &theirs, &theirs_too, &alive, &done] {
        record(store, run).await;
    }
    let renewed = must(
        store
            .run_history()
            .renew_runs("other", plus(t, 1), plus(t, 301))
            .await,
        "renew runs",
    );
    assert_eq!(
        renewed, 2,
        "both running records of node \"other\" are renewed"
    );
    assert_eq!(
        must(
            store
                .run_history()
                .renew_runs("nobody", plus(t, 1), plus(t, 301))
                .await,
            "renew nothing"
        ),
        0
    );
    // The restarting node's own running record goes at once; the others
    // are vouched for.
    let interrupted = must(
        store
            .run_history()
            .interrupt_runs(plus(t, 2), Some("restarting"))
            .await,
        "interrupt",
    );
    assert_eq!(interrupted, [mine.clone().interrupted(plus(t, 2))]);
    // Later, "alive" was not renewed: its promise expired; "other"'s
    // holds until T0 + 301 s.
    if on_store_clock(&under_test) {
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    let mut interrupted = must(
        store.run_history().interrupt_runs(plus(t, 200), None).await,
        "interrupt expired",
    );
    interrupted.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    assert_eq!(interrupted, [alive.clone().interrupted(plus(t, 200))]);
    if on_store_clock(&under_test) {
        // On the store's clock, a renewal by a caller whose clock is a day
        // ahead promises what it says (1 s), no more; waited out.
        let ahead = plus(t, 86_400);
        assert_eq!(
            must(
                store
                    .run_history()
                    .renew_runs("other", ahead, plus(ahead, 1))
                    .await,
                "renew from ahead"
            ),
            2
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    // An alive_until equal to now has expired.
    let mut interrupted = must(
        store.run_history().interrupt_runs(plus(t, 301), None).await,
        "interrupt at expiry",
    );
    interrupted.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    assert_eq!(
        interrupted,
        [
            theirs.clone().interrupted(plus(t, 301)),
            theirs_too.clone().interrupted(plus(t, 301))
        ]
    );
    assert!(
        must(
            store
                .run_history()
                .interrupt_runs(plus(t, 9_999), Some("restarting"))
                .await,
            "again"
        )
        .is_empty()
    );
    let mut stored_runs = runs(store, RunQuery::new()).await;
    stored_runs.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    assert_eq!(
        stored_runs,
        [
            mine.interrupted(plus(t, 2)),
            theirs.interrupted(plus(t, 301)),
            theirs_too.interrupted(plus(t, 301)),
            alive.interrupted(plus(t, 200)),
            done,
        ]
    );
    assert_eq!(
        runs(store, RunQuery::new().failed_only()).await.len(),
        4,
        "interrupted runs are failures"
    );
    under_test.finish().await;
}

/// On a store that keeps promises on its own clock, the callers' clocks do
/// not matter: a caller whose clock is an hour ahead neither takes another
/// node's live run as interrupted nor leaves it out of `running_counts`,
/// and one whose clock is an hour behind takes a dead node's run over once
/// its promise passed on the store's clock. Skipped on the caller's clock,
/// where the caller's `now` is the measure by design.
pub async fn run_promises_are_kept_on_the_stores_clock(under_test: StoreUnderTest) {
    if !on_store_clock(&under_test) || under_test.store.history().is_none() {
        println!(
            "run promises on the store's clock: skipped: the store measures on the caller's clock"
        );
        return under_test.finish().await;
    }
    let store = under_test.store.as_ref();
    let t = at(T0);
    // Node "a" runs job "a" and promises 10 s; node "dead" promised 1 s.
    let live = RunRecord::running("a", t, "a", t, plus(t, 10));
    let dead = RunRecord::running("d", t, "dead", t, plus(t, 1));
    record(store, &live).await;
    record(store, &dead).await;
    let ahead = plus(t, 3600);
    let behind = plus(t, -3600);
    assert!(
        must(
            store.run_history().interrupt_runs(ahead, None).await,
            "sweep from ahead"
        )
        .is_empty(),
        "a caller an hour ahead takes no live run as interrupted"
    );
    let counts = must(
        store
            .run_history()
            .running_counts(&["a", "d"], "b", ahead)
            .await,
        "count from ahead",
    );
    assert_eq!(counts.get("a").copied(), Some(1), "{counts:?}");
    // Node "a" renews by its own clock; node "dead" does not.
    assert_eq!(
        must(
            store.run_history().renew_runs("a", t, plus(t, 10)).await,
            "renew"
        ),
        1
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let interrupted = must(
        store.run_history().interrupt_runs(behind, None).await,
        "sweep from behind",
    );
    assert_eq!(
        interrupted,
        [dead.clone().interrupted(behind)],
        "a caller an hour behind takes the dead node's run over"
    );
    let counts = must(
        store
            .run_history()
            .running_counts(&["a", "d"], "b", behind)
            .await,
        "count from behind",
    );
    assert_eq!(counts.get("a").copied(), Some(1), "{counts:?}");
    assert_eq!(counts.get("d").copied().unwrap_or(0), 0, "{counts:?}");
    under_test.finish().await;
}

/// A sweep racing a renewal of the same run: either the renewal comes
/// first and the run stays running, or the sweep does and the renewal
/// finds nothing to renew — never a renewed run taken as interrupted.
pub async fn a_renewal_racing_a_sweep_wins_or_finds_nothing(under_test: StoreUnderTest) {
    if under_test.store.history().is_none() {
        return under_test.finish().await;
    }
    let store = Arc::clone(&under_test.store);
    let t = at(T0);
    for round in 0..30 {
        let scheduled = plus(t, round);
        // A promise that has just passed, on either clock.
        let run = RunRecord::running("race", scheduled, "racer", scheduled, scheduled);
        record(store.as_ref(), &run).await;
        let now = plus(scheduled, 1);
        let renewer = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .run_history()
                    .renew_runs("racer", now, plus(now, 600))
                    .await
            })
        };
        let sweeper = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.run_history().interrupt_runs(now, None).await })
        };
        let renewed = must(
            renewer.await.unwrap_or_else(|e| panic!("{e}")),
            "renew in the race",
        );
        let swept = must(
            sweeper.await.unwrap_or_else(|e| panic!("{e}")),
            "sweep in the race",
        );
        let stored = runs(store.as_ref(), RunQuery::new().job("race"))
            .await
            .into_iter()
            .find(|r| r.scheduled_time == scheduled)
            .unwrap_or_else(|| panic!("round {round}: the record is gone"));
        let interrupted = swept.iter().any(|r| r.scheduled_time == scheduled);
        assert!(
            !(renewed == 1 && interrupted),
            "round {round}: the run was renewed and yet taken as interrupted"
        );
        assert_eq!(
            stored.status,
            if interrupted {
                RunStatus::Interrupted
            } else {
                RunStatus::Running
            },
            "round {round}: renewed {renewed}, swept {swept:?}"
        );
        // Done with this round's run.
        record(
            store.as_ref(),
            &run.finish(RunStatus::Success, now, None, None),
        )
        .await;
    }
    under_test.finish().await;
}

/// `prune_runs` keeps the newest finished records of each job and none
/// older than the age limit; running records are never pruned.
pub async fn run_history_prunes_by_count_and_age(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let old_running = RunRecord::running(
        "a",
        at("2025-01-01T00:00:00Z"),
        "n",
        at("2025-01-01T00:00:01Z"),
        at("2025-01-01T00:01:00Z"),
    );
    record(store, &old_running).await;
    for hour in 0..5 {
        record(
            store,
            &finished(
                "a",
                &format!("2026-01-01T0{hour}:00:00Z"),
                "n",
                RunStatus::Success,
            ),
        )
        .await;
    }
    record(
        store,
        &finished("b", "2026-01-01T00:00:00Z", "n", RunStatus::Error),
    )
    .await;
    record(
        store,
        &finished("b", "2026-01-01T01:00:00Z", "n", RunStatus::Success),
    )
    .await;
    let now = at("2026-01-01T05:00:00Z");
    assert_eq!(
        must(
            store
                .run_history()
                .prune_runs(&RunRetention::keep_all(), now)
                .await,
            "keep all"
        ),
        0
    );
    let removed = must(
        store
            .run_history()
            .prune_runs(&RunRetention::keep_all().per_job(3), now)
            .await,
        "prune by count",
    );
    assert_eq!(removed, 2, "a's two oldest finished records go");
    assert_eq!(
        keys(&runs(store, RunQuery::new().job("a")).await),
        [
            key("a", "2026-01-01T04:00:00Z", "n"),
            key("a", "2026-01-01T03:00:00Z", "n"),
            key("a", "2026-01-01T02:00:00Z", "n"),
            key("a", "2025-01-01T00:00:00Z", "n"),
        ]
    );
    let age = SignedDuration::from_mins(150); // cutoff 02:30
    let removed = must(
        store
            .run_history()
            .prune_runs(&RunRetention::keep_all().max_age(age), now)
            .await,
        "prune by age",
    );
    assert_eq!(removed, 3, "a at 02:00, b at 00:00 and 01:00 go");
    assert_eq!(
        keys(&runs(store, RunQuery::new()).await),
        [
            key("a", "2026-01-01T04:00:00Z", "n"),
            key("a", "2026-01-01T03:00:00Z", "n"),
            key("a", "2025-01-01T00:00:00Z", "n"),
        ],
        "a running record is never pruned"
    );
    // A record scheduled exactly at the cutoff is kept.
    let removed = must(
        store
            .run_history()
            .prune_runs(
                &RunRetention::keep_all().max_age(SignedDuration::from_hours(2)),
                now,
            )
            .await,
        "prune at the cutoff",
    );
    assert_eq!(removed, 0);
    let removed = must(
        store
            .run_history()
            .prune_runs(&RunRetention::keep_all().per_job(0), now)
            .await,
        "prune all finished",
    );
    assert_eq!(removed, 2);
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new(), &[&old_running]).await,
        [old_running]
    );
    under_test.finish().await;
}

/// A job whose stored form cannot be read is kept: skipped by the list and
/// by claims, an error to read, listed as unrestorable, never deleted by
/// the store; rewritten, it is back; removed, it is gone.
pub async fn an_unreadable_job_is_kept_skipped_and_listed(under_test: StoreUnderTest) {
    let Some(corrupt) = under_test.corrupter("an unreadable job") else {
        return under_test.finish().await;
    };
    let store = under_test.store.as_ref();
    add(store, job("good", T0)).await;
    add(store, job("bad", T0)).await;
    add(store, job("worse", "2026-01-01T00:00:30Z")).await;
    assert!(must(store.unrestorable_jobs().await, "list unrestorable jobs").is_empty());
    corrupt("bad".to_owned(), NEWER_JSON.to_owned()).await;
    corrupt("worse".to_owned(), NEWER_JSON.to_owned()).await;
    assert_eq!(
        ids(&list(store).await),
        ["good"],
        "unreadable jobs are skipped"
    );
    match store.get_job("bad").await {
        Ok(Some(_)) => panic!("an unreadable job cannot be read"),
        Ok(None) => panic!("an unreadable job is not missing: reading it is an error"),
        Err(error) => assert!(
            error.to_string().contains("bad"),
            "the error names the job: {error}"
        ),
    }
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:01:00Z", 10, "n").await),
        ["good"]
    );
    assert!(
        acquire(store, "2026-01-01T00:02:00Z", 10, "m")
            .await
            .is_empty(),
        "unreadable jobs are never handed out"
    );
    let unrestorable = must(store.unrestorable_jobs().await, "list unrestorable jobs");
    let listed: Vec<&str> = unrestorable.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(listed, ["bad", "worse"]);
    assert!(
        unrestorable.iter().all(|job| !job.reason.is_empty()),
        "{unrestorable:?}"
    );
    // Kept: the id is still taken.
    match store.add_job(job("bad", T0), false).await {
        Ok(()) => panic!("the unreadable job was dropped: its id was free"),
        Err(error) => assert!(error.is_conflict(), "{error}"),
    }
    // Rewritten, it is back and due.
    must(
        store
            .add_job(job("bad", "2026-01-01T00:03:00Z"), true)
            .await,
        "rewrite bad",
    );
    let unrestorable = must(store.unrestorable_jobs().await, "list unrestorable jobs");
    assert_eq!(
        unrestorable
            .iter()
            .map(|job| job.id.as_str())
            .collect::<Vec<_>>(),
        ["worse"]
    );
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:03:00Z", 10, "m").await),
        ["bad"]
    );
    // Removed by hand, it is gone.
    must(store.remove_job("worse").await, "remove worse");
    assert!(must(store.unrestorable_jobs().await, "list unrestorable jobs").is_empty());
    assert_eq!(ids(&list(store).await), ["good", "bad"]);
    under_test.finish().await;
}

/// A job whose JSON does not read at all, due before a good one, is kept
/// as written: a claim hands out the good one and skips it, it is listed
/// as unrestorable with the reason, it neither wakes the scheduler nor
/// blocks the jobs behind it, reading it is a store error naming it, a
/// second instance reports it alike, and writing it again through the
/// store clears the report and schedules it.
pub async fn a_job_that_cannot_be_read_is_kept_as_written_and_reported(under_test: StoreUnderTest) {
    let case = "a job that cannot be read";
    let (Some(corrupt), Some(read_stored)) = (
        under_test.corrupter(case),
        under_test.stored_form_reader(case),
    ) else {
        return under_test.finish().await;
    };
    let store = under_test.store.as_ref();
    let lease = SignedDuration::from_secs(30);
    add(store, job("good", T0)).await;
    add(
        store,
        job_at("bad", at(T0) - SignedDuration::from_micros(1)),
    )
    .await;
    let garbage = r#"{"version": 99, "not a job": true}"#;
    corrupt("bad".to_owned(), garbage.to_owned()).await;

    // Claiming skips it, and keeps it.
    let before = must(store.store_now(at(T0)).await, "read the store's now");
    let claimed = acquire_for(store, T0, 10, "x", lease).await;
    let after = must(store.store_now(at(T0)).await, "read the store's now");
    assert_eq!(ids(&claimed), ["good"]);
    let unrestorable = must(store.unrestorable_jobs().await, "list unrestorable jobs");
    assert_eq!(unrestorable.len(), 1, "{unrestorable:?}");
    assert_eq!(unrestorable[0].id, "bad");
    assert!(
        unrestorable[0].reason.contains("does not read"),
        "{}",
        unrestorable[0].reason
    );
    assert_eq!(
        read_stored("bad".to_owned()).await.as_deref(),
        Some(garbage),
        "kept as written"
    );
    // It does not wake the scheduler, nor block the jobs behind it: the
    // next run time is the good job's lease expiry, on the store's clock.
    assert!(
        acquire_for(store, T0, 10, "y", lease).await.is_empty(),
        "unreadable jobs are never handed out"
    );
    let next = next_run_time(store).await;
    assert!(
        next.is_some_and(|next| next >= before + lease && next <= after + lease),
        "{next:?}, not the lease's expiry (between {} and {})",
        before + lease,
        after + lease
    );
    if under_test.clock() == LeaseClock::Caller {
        assert_eq!(next, Some(at(T0) + lease));
    }
    // Listing skips it; asking for it says why.
    assert_eq!(ids(&list(store).await), ["good"]);
    match store.get_job("bad").await {
        Ok(found) => panic!("an unreadable job is an error to read, not {found:?}"),
        Err(error) => {
            assert!(error.is_store(), "{error}");
            assert!(
                error.to_string().contains("\"bad\" cannot be restored"),
                "{error}"
            );
        }
    }
    // A second store instance sees the same report.
    if let Some(reopen) = under_test.reopener("an unreadable job after a restart") {
        let again = reopen().await;
        assert_eq!(
            must(
                again.unrestorable_jobs().await,
                "list unrestorable jobs again"
            ),
            unrestorable
        );
    }

    // Writing it again clears the mark and schedules it.
    must(store.add_job(job("bad", T0), true).await, "rewrite bad");
    assert!(must(store.unrestorable_jobs().await, "list unrestorable jobs").is_empty());
    assert_eq!(ids(&acquire_for(store, T0, 10, "y", lease).await), ["bad"]);
    under_test.finish().await;
}

/// A second instance on the same database (a restarted process) sees every
/// job, claim and record the first wrote, and the first sees its changes.
pub async fn a_new_instance_sees_everything_after_a_restart(under_test: StoreUnderTest) {
    let Some(reopen) = under_test.reopener("restart") else {
        return under_test.finish().await;
    };
    let first = under_test.store.as_ref();
    add(first, job("a", T0)).await;
    add(first, job("b", "2026-01-01T00:05:00Z")).await;
    add(first, job("é-日本", "2026-01-01T02:00:00Z")).await;
    add(first, paused("p")).await;
    let claimed = acquire(first, T0, 10, "dead").await;
    assert_eq!(ids(&claimed), ["a"]);
    let runs_before = [
        finished("b", T0, "dead", RunStatus::Success),
        // A promise of 1 s, broken by 00:02 (and waited out on a store's
        // own clock).
        RunRecord::running(
            "a",
            at(T0),
            "dead",
            at("2026-01-01T00:00:01Z"),
            at("2026-01-01T00:00:02Z"),
        ),
    ];
    for run in &runs_before {
        record(first, run).await;
    }
    let jobs_before: Vec<_> = list(first).await.iter().map(stored).collect();

    let second = reopen().await;
    let second = second.as_ref();
    let jobs_after: Vec<_> = list(second).await.iter().map(stored).collect();
    assert_eq!(jobs_after, jobs_before, "every job, as it was");
    assert_eq!(
        runs(second, RunQuery::new()).await,
        runs(first, RunQuery::new()).await
    );
    assert!(
        acquire(second, "2026-01-01T00:00:30Z", 10, "new")
            .await
            .is_empty(),
        "the claim survives"
    );
    // The new process recovers the dead one's run.
    wait_out_promise(&under_test).await;
    let interrupted = must(
        second
            .run_history()
            .interrupt_runs(at("2026-01-01T00:02:00Z"), None)
            .await,
        "interrupt",
    );
    assert_eq!(
        interrupted,
        [runs_before[1]
            .clone()
            .interrupted(at("2026-01-01T00:02:00Z"))]
    );
    // a's claim lives on (until 00:10 on either clock): only b is due.
    assert_eq!(
        ids(&acquire(second, "2026-01-01T00:05:00Z", 10, "new").await),
        ["b"]
    );
    // And the first instance sees the second's changes.
    must(second.remove_job("p").await, "remove p");
    assert!(get(first, "p").await.is_none());
    assert_eq!(runs(first, RunQuery::new().failed_only()).await.len(), 1);
    assert!(
        acquire(first, "2026-01-01T00:05:00Z", 10, "other")
            .await
            .is_empty(),
        "b is claimed by the second"
    );
    under_test.finish().await;
}

async fn settle(
    store: &dyn JobStore,
    owner: &str,
    settlements: &[Settlement],
    now: &str,
) -> Vec<Settled> {
    must(
        store.settle(owner, settlements, at(now)).await,
        &format!("settle {} job(s) for {owner:?}", settlements.len()),
    )
}

fn previous_fire_time(job: Option<Job>) -> Option<Timestamp> {
    job.and_then(|job| job.previous_fire_time())
}

/// A won settlement takes the fire times (the job's previous fire time),
/// keeps its records and releases the job, in one step; several are
/// answered in order.
pub async fn settle_takes_fire_times_keeps_records_and_releases(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    add(store, job("c", T0)).await;
    let claimed = acquire(store, T0, 10, "node-a").await;
    assert_eq!(ids(&claimed), ["a", "b", "c"]);
    assert_eq!(
        claimed[0].previous_fire_time(),
        None,
        "no fire time taken yet"
    );
    let t = at(T0);
    let running = RunRecord::running("a", t, "node-a", plus(t, 1), plus(t, 60));
    let missed = RunRecord::missed("b", t, "node-a", plus(t, 1), 1, "missed by 1s");
    let settlements = [
        Settlement::new(
            find(&claimed, "a").clone(),
            Some(t),
            Release::Reschedule(plus(t, 60)),
        )
        .record(running.clone()),
        Settlement::new(find(&claimed, "b").clone(), Some(t), Release::Remove)
            .record(missed.clone()),
        // Nothing taken: only released.
        Settlement::new(
            find(&claimed, "c").clone(),
            None,
            Release::Reschedule(plus(t, 120)),
        ),
    ];
    assert_eq!(
        settle(store, "node-a", &settlements, "2026-01-01T00:00:01Z").await,
        [Settled::Won, Settled::Won, Settled::Won]
    );
    let a = get(store, "a").await;
    assert_eq!(previous_fire_time(a.clone()), Some(t));
    assert_eq!(a.and_then(|job| job.next_run_time()), Some(plus(t, 60)));
    assert!(get(store, "b").await.is_none(), "b is removed");
    let c = get(store, "c").await;
    assert_eq!(previous_fire_time(c.clone()), None);
    assert_eq!(c.and_then(|job| job.next_run_time()), Some(plus(t, 120)));
    // Released: due again at its new next run time, for anyone.
    let again = acquire(store, "2026-01-01T00:01:00Z", 10, "node-b").await;
    assert_eq!(ids(&again), ["a"]);
    assert_eq!(
        again[0].previous_fire_time(),
        Some(t),
        "acquire_due gives the previous fire time"
    );
    assert_eq!(
        previous_fire_time(list(store).await.into_iter().find(|job| job.id() == "a")),
        Some(t),
        "list_jobs gives it too"
    );
    if store.history().is_some() {
        let mut kept = runs_as_written(&under_test, RunQuery::new(), &[&running]).await;
        kept.sort_by(|x, y| x.job_id.cmp(&y.job_id));
        assert_eq!(kept, [running, missed], "the records of won settlements");
    }
    under_test.finish().await;
}

/// A node that stalled past its lease loses its settlement — whether or
/// not another node took the job over meanwhile — keeps no record and
/// starts nothing; the node that took over wins. A stale claim of the same
/// owner (a restarted process under the same node id) loses once the fire
/// time it saw was taken.
pub async fn a_stalled_owner_loses_its_settlement(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    add(store, job("c", T0)).await;
    let stalled = acquire_for(store, T0, 10, "stalled", SHORT).await;
    assert_eq!(ids(&stalled), ["a", "b", "c"]);
    // Expired on the caller's clock (now + 2 s) and on a database's clock.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let t = at(T0);
    let heir = acquire(store, "2026-01-01T00:00:02Z", 1, "heir").await;
    assert_eq!(ids(&heir), ["a"]);
    let heir_run = RunRecord::running("a", t, "heir", plus(t, 2), plus(t, 60));
    assert_eq!(
        settle(
            store,
            "heir",
            &[
                Settlement::new(heir[0].clone(), Some(t), Release::Reschedule(plus(t, 60)))
                    .record(heir_run.clone())
            ],
            "2026-01-01T00:00:02Z"
        )
        .await,
        [Settled::Won]
    );
    // The stalled node wakes up: a was taken over and settled, b's lease
    // expired with nobody taking it; both are lost.
    let stalled_settlements: Vec<Settlement> = stalled
        .iter()
        .take(2)
        .map(|claimed| {
            Settlement::new(claimed.clone(), Some(t), Release::Reschedule(plus(t, 60))).record(
                RunRecord::running(claimed.id(), t, "stalled", plus(t, 2), plus(t, 60)),
            )
        })
        .collect();
    assert_eq!(
        settle(
            store,
            "stalled",
            &stalled_settlements,
            "2026-01-01T00:00:02Z"
        )
        .await,
        [Settled::Lost, Settled::Lost]
    );
    let a = get(store, "a").await;
    assert_eq!(previous_fire_time(a.clone()), Some(t));
    assert_eq!(
        a.and_then(|job| job.next_run_time()),
        Some(plus(t, 60)),
        "the heir's release stands"
    );
    assert_eq!(
        previous_fire_time(get(store, "b").await),
        None,
        "nothing taken"
    );
    // b was left untouched and is free; so is c, whose lease expired.
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:00:03Z", 10, "third").await),
        ["b", "c"]
    );
    if store.history().is_some() {
        assert_eq!(
            runs_as_written(&under_test, RunQuery::new(), &[&heir_run]).await,
            [heir_run],
            "a lost settlement keeps no record"
        );
    }
    under_test.finish().await;
}

/// A claim that is stale although its owner holds the job again — a
/// process restarted under the same node id while the old one stalled —
/// loses once the fire time it saw was taken.
pub async fn a_stale_claim_of_the_same_owner_loses(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let t = at(T0);
    let stale = acquire_for(store, T0, 10, "node", SHORT).await;
    assert_eq!(ids(&stale), ["a"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fresh = acquire(store, "2026-01-01T00:00:02Z", 10, "node").await;
    assert_eq!(ids(&fresh), ["a"]);
    // The fresh claim takes the fire time and keeps the job due (a job
    // whose next run time is unchanged, as after a coalesced catch-up).
    assert_eq!(
        settle(
            store,
            "node",
            &[Settlement::new(
                fresh[0].clone(),
                Some(t),
                Release::Reschedule(t)
            )],
            "2026-01-01T00:00:02Z"
        )
        .await,
        [Settled::Won]
    );
    let again = acquire(store, "2026-01-01T00:00:02Z", 10, "node").await;
    assert_eq!(ids(&again), ["a"]);
    assert_eq!(
        settle(
            store,
            "node",
            &[Settlement::new(
                stale[0].clone(),
                Some(t),
                Release::Reschedule(t)
            )],
            "2026-01-01T00:00:02Z"
        )
        .await,
        [Settled::Lost],
        "the fire time the stale claim saw is taken"
    );
    assert_eq!(previous_fire_time(get(store, "a").await), Some(t));
    under_test.finish().await;
}

/// Many owners racing for the same due jobs, each settling what it
/// acquired: every job's fire time is won exactly once.
pub async fn racing_owners_win_each_fire_time_once(under_test: StoreUnderTest) {
    let store = Arc::clone(&under_test.store);
    let count = 40;
    for n in 0..count {
        add(store.as_ref(), job(&format!("job-{n:02}"), T0)).await;
    }
    let t = at(T0);
    let mut racers = Vec::new();
    for racer in 0..4 {
        let store = Arc::clone(&store);
        racers.push(tokio::spawn(async move {
            let owner = format!("racer-{racer}");
            let mut won = Vec::new();
            loop {
                let claimed = must(
                    store.acquire_due(t, 3, &owner, LONG).await,
                    "acquire in the race",
                );
                if claimed.is_empty() {
                    break won;
                }
                let settlements: Vec<Settlement> = claimed
                    .iter()
                    .map(|job| Settlement::new(job.clone(), Some(t), Release::Remove))
                    .collect();
                let outcomes = must(
                    store.settle(&owner, &settlements, t).await,
                    "settle in the race",
                );
                for (job, outcome) in claimed.iter().zip(outcomes) {
                    if outcome.is_won() {
                        won.push(job.id().to_owned());
                    }
                }
            }
        }));
    }
    let mut won = Vec::new();
    for racer in racers {
        match racer.await {
            Ok(ids) => won.extend(ids),
            Err(error) => panic!("a racer failed: {error}"),
        }
    }
    won.sort();
    let expected: Vec<String> = (0..count).map(|n| format!("job-{n:02}")).collect();
    assert_eq!(won, expected, "each job won once");
    assert!(list(store.as_ref()).await.is_empty());
    under_test.finish().await;
}

/// The previous fire time is the store's: an update keeps it, a restart
/// reads it back, a replacing add (a new job) clears it.
pub async fn previous_fire_time_survives_updates_and_restarts(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let t = at(T0);
    let claimed = acquire(store, T0, 10, "node").await;
    assert_eq!(
        settle(
            store,
            "node",
            &[Settlement::new(
                claimed[0].clone(),
                Some(t),
                Release::Reschedule(plus(t, 60))
            )],
            T0
        )
        .await,
        [Settled::Won]
    );
    // An update from the API carries no previous fire time of its own.
    let renamed = with_next_run_time(&job("a", T0), Some(plus(t, 120)));
    must(store.update_job(renamed).await, "update a");
    let a = get(store, "a").await;
    assert_eq!(previous_fire_time(a.clone()), Some(t), "an update keeps it");
    assert_eq!(a.and_then(|job| job.next_run_time()), Some(plus(t, 120)));
    if under_test.can_reopen().is_ok() {
        let second = under_test.reopened().await;
        assert_eq!(
            previous_fire_time(must(second.get_job("a").await, "get a after a restart")),
            Some(t),
            "a restart reads it back"
        );
    }
    must(store.add_job(job("a", T0), true).await, "replace a");
    assert_eq!(
        previous_fire_time(get(store, "a").await),
        None,
        "a replaced job starts afresh"
    );
    under_test.finish().await;
}

/// A won settlement's running record is in the store when `settle`
/// returns — taken with its fire time in one step — so another node sees
/// the run at once: in the history, and in `running_counts` (for
/// `max_instances`).
pub async fn a_won_settlement_is_counted_by_other_nodes_at_once(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        return under_test.finish().await;
    }
    let t = at(T0);
    for n in 0..5 {
        let id = format!("won-{n}");
        add(store, job(&id, T0)).await;
        let claimed = acquire(store, T0, 1, "node-a").await;
        assert_eq!(ids(&claimed), [id.as_str()]);
        let running = RunRecord::running(id.as_str(), t, "node-a", t, plus(t, 600));
        let settlement = Settlement::new(
            claimed[0].clone(),
            Some(t),
            Release::Reschedule(plus(t, 60)),
        )
        .record(running.clone());
        assert_eq!(
            settle(store, "node-a", &[settlement], T0).await,
            [Settled::Won]
        );
        let counts = must(
            store
                .run_history()
                .running_counts(&[id.as_str()], "node-b", t)
                .await,
            "count the runs of other nodes",
        );
        assert_eq!(counts.get(&id).copied(), Some(1), "{id}: {counts:?}");
        assert_eq!(
            keys(&runs(store, RunQuery::new().job(id.as_str())).await),
            keys(&[running]),
            "{id}: the record is listed"
        );
    }
    under_test.finish().await;
}

/// `running_counts` counts, per job, the runs in progress on other nodes
/// that are still vouched for.
pub async fn running_counts_count_live_runs_of_other_nodes(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        return under_test.finish().await;
    }
    let t = at(T0);
    for run in [
        RunRecord::running("a", t, "node-a", plus(t, 1), plus(t, 60)),
        RunRecord::running("a", plus(t, 10), "node-c", plus(t, 11), plus(t, 60)),
        RunRecord::running("a", plus(t, 20), "node-b", plus(t, 21), plus(t, 60)),
        finished("a", "2026-01-01T00:00:30Z", "node-a", RunStatus::Success),
        // Not vouched for any more: its node died (a promise of 1 s).
        RunRecord::running("b", t, "node-a", plus(t, 1), plus(t, 2)),
        RunRecord::running("c", t, "node-b", plus(t, 1), plus(t, 60)),
        RunRecord::running("d", t, "node-a", plus(t, 1), plus(t, 60)),
    ] {
        record(store, &run).await;
    }
    wait_out_promise(&under_test).await;
    let counts = must(
        store
            .run_history()
            .running_counts(&["a", "b", "c", "e"], "node-b", plus(t, 30))
            .await,
        "running counts",
    );
    let mut counts: Vec<(String, u32)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    counts.sort();
    assert_eq!(counts, [("a".to_owned(), 2)]);
    under_test.finish().await;
}

/// Node records: a heartbeat inserts or replaces (answering the record it
/// replaced), `list_nodes` lists them by id with the store's time, and a
/// node removes its own record only.
pub async fn node_records_heartbeat_list_and_remove(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    // Whole seconds: stores keep microseconds.
    let now = match Timestamp::from_second(tempora::clock::Clock::now(&SystemClock).as_second()) {
        Ok(now) => now,
        Err(error) => panic!("now: {error}"),
    };
    let first = NodeRecord::new("node-b", "host-1", 41, "instance-1", now);
    let previous = must(
        store.node_registry().heartbeat(&first).await,
        "first heartbeat",
    );
    assert_eq!(previous, None);
    let mut later = first.clone();
    later.running = 3;
    later.last_heartbeat = plus(now, 1);
    let previous = must(
        store.node_registry().heartbeat(&later).await,
        "second heartbeat",
    );
    let previous = match previous {
        Some(previous) => previous,
        None => panic!("the second heartbeat replaces the first"),
    };
    assert_eq!(
        (
            &previous.id,
            &previous.host,
            previous.pid,
            &previous.instance,
            previous.started,
            previous.running
        ),
        (
            &first.id,
            &first.host,
            first.pid,
            &first.instance,
            first.started,
            0
        )
    );
    let other = NodeRecord::new("node-a", "host-2", 42, "instance-2", now);
    must(
        store.node_registry().heartbeat(&other).await,
        "other heartbeat",
    );
    let (nodes, store_now) = must(
        store.node_registry().list_nodes(plus(now, 1)).await,
        "list nodes",
    );
    let listed: Vec<(&str, &str, u32, &str, u32)> = nodes
        .iter()
        .map(|node| {
            (
                node.id.as_str(),
                node.host.as_str(),
                node.pid,
                node.instance.as_str(),
                node.running,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("node-a", "host-2", 42, "instance-2", 0),
            ("node-b", "host-1", 41, "instance-1", 3)
        ]
    );
    for node in &nodes {
        assert!(
            node.is_live(store_now, SignedDuration::from_secs(10)),
            "{node:?} is live at the store's time {store_now}"
        );
        assert_eq!(node.started, now, "started is kept as given");
    }
    // Another instance's removal leaves the record; its own removes it.
    must(
        store
            .node_registry()
            .remove_node("node-b", "instance-9")
            .await,
        "remove another instance's",
    );
    must(
        store
            .node_registry()
            .remove_node("node-b", "instance-1")
            .await,
        "remove its own",
    );
    let (nodes, _) = must(
        store.node_registry().list_nodes(plus(now, 2)).await,
        "list nodes again",
    );
    assert_eq!(
        nodes
            .iter()
            .map(|node| node.id.as_str())
            .collect::<Vec<_>>(),
        ["node-a"]
    );
    if under_test.can_reopen().is_ok() {
        let second = under_test.reopened().await;
        let (nodes, _) = must(
            second.node_registry().list_nodes(plus(now, 2)).await,
            "list after a restart",
        );
        assert_eq!(nodes.len(), 1, "node records are stored");
    }
    under_test.finish().await;
}

/// Removing a job — by `remove_job`, `remove_all_jobs`, or a settlement
/// that removes an exhausted one — keeps its run history: what ran stays
/// readable (a one-off job's record says it fired) until pruned.
pub async fn removing_a_job_keeps_its_run_history(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        return under_test.finish().await;
    }
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    add(store, job("c", T0)).await;
    let t = at(T0);
    let kept = [
        finished("a", T0, "node-a", RunStatus::Success),
        finished("b", T0, "node-a", RunStatus::Error),
    ];
    for run in &kept {
        record(store, run).await;
    }
    must(store.remove_job("a").await, "remove job \"a\"");
    let claimed = acquire(store, T0, 10, "node-a").await;
    let once = RunRecord::running("c", t, "node-a", plus(t, 1), plus(t, 60));
    let settled = settle(
        store,
        "node-a",
        &[
            Settlement::new(find(&claimed, "c").clone(), Some(t), Release::Remove)
                .record(once.clone()),
        ],
        "2026-01-01T00:00:01Z",
    )
    .await;
    assert_eq!(settled, [Settled::Won]);
    must(store.remove_all_jobs().await, "remove all jobs");
    assert!(list(store).await.is_empty());
    let mut left = runs(store, RunQuery::new()).await;
    left.sort_by(|x, y| x.job_id.cmp(&y.job_id));
    let left = as_written(&under_test, left, &[&kept[0], &kept[1], &once]);
    assert_eq!(left, [kept[0].clone(), kept[1].clone(), once]);
    under_test.finish().await;
}

/// What a newer release might write where a job's stored form is: JSON
/// this release cannot read.
const NEWER_JSON: &str = r#"{"version": 99, "written by": "a newer release"}"#;

/// The stored form of `job` as JSON, after `edit`.
fn stored_json(job: &Job, edit: impl FnOnce(&mut tempora::job::StoredJob)) -> String {
    let mut stored = stored(job);
    edit(&mut stored);
    match serde_json::to_string(&stored) {
        Ok(json) => json,
        Err(error) => panic!("job {:?} as JSON: {error}", job.id()),
    }
}

/// `job` after `edit`, as an update through the API would leave it.
fn edited(job: &Job, edit: impl FnOnce(&mut tempora::job::StoredJob)) -> Job {
    let mut stored = stored(job);
    edit(&mut stored);
    Job::from_stored(stored, job.store())
}

/// A job's run time limit (`timeout`) is kept: it reads back from the
/// store as it was added, from a fresh instance too, survives an update
/// that changes it and one that removes it; a job stored without the
/// field (as earlier releases wrote it) reads as having no limit.
pub async fn a_jobs_timeout_round_trips_and_older_jobs_have_none(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let limited = edited(&job("limited", T0), |stored| {
        stored.timeout = Some(SignedDuration::from_millis(90_500));
    });
    add(store, limited.clone()).await;
    let older = job("older", T0);
    add(store, older.clone()).await;

    let back = get(store, "limited")
        .await
        .unwrap_or_else(|| panic!("job \"limited\" was added"));
    assert_eq!(back.timeout(), Some(SignedDuration::from_millis(90_500)));
    assert_eq!(stored(&back), stored(&limited));
    let older_back = get(store, "older")
        .await
        .unwrap_or_else(|| panic!("job \"older\" was added"));
    assert_eq!(older_back.timeout(), None, "no field, no limit");
    assert!(
        !stored_json(&older_back, |_| {}).contains("timeout"),
        "a job without a limit is stored without the field, as before"
    );
    if let Some(reopen) = under_test.reopener("a job's timeout after a restart") {
        let reopened = reopen().await;
        let again = must(reopened.get_job("limited").await, "read after reopening");
        assert_eq!(
            again.as_ref().and_then(Job::timeout),
            Some(SignedDuration::from_millis(90_500)),
            "kept across a restart"
        );
    }

    let changed = edited(&limited, |stored| {
        stored.timeout = Some(SignedDuration::from_secs(5));
    });
    must(store.update_job(changed).await, "change the timeout");
    let back = get(store, "limited").await;
    assert_eq!(
        back.as_ref().and_then(Job::timeout),
        Some(SignedDuration::from_secs(5))
    );
    let removed = edited(&limited, |stored| stored.timeout = None);
    must(store.update_job(removed).await, "remove the timeout");
    assert_eq!(
        get(store, "limited").await.as_ref().and_then(Job::timeout),
        None
    );
    under_test.finish().await;
}

/// A release after a change to other fields than the next run time (its
/// name, its arguments) applies on top of the change: the job keeps them,
/// runs next when released, and is free.
pub async fn a_release_applies_on_top_of_a_change_to_other_fields(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("renamed", T0)).await;
    let claimed = acquire(store, T0, 10, "x").await;
    assert_eq!(ids(&claimed), ["renamed"]);
    let changed = edited(&job("renamed", T0), |stored| {
        stored.name = "new name".to_owned();
        stored.args = serde_json::json!({"changed": true});
    });
    must(store.update_job(changed).await, "rename a claimed job");
    let next = plus(at(T0), 60);
    release(store, "x", &claimed[0], Release::Reschedule(next), T0).await;
    let renamed = get(store, "renamed").await;
    assert_eq!(renamed.as_ref().map(Job::name), Some("new name"));
    assert_eq!(
        renamed.as_ref().map(Job::args),
        Some(&serde_json::json!({"changed": true}))
    );
    assert_eq!(renamed.as_ref().and_then(Job::next_run_time), Some(next));
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:01:00Z", 10, "y").await),
        ["renamed"],
        "the lease was dropped"
    );
    under_test.finish().await;
}

/// Next run times are kept to the microsecond at least, rounded up: a job
/// is never claimed before its next run time, and reads back within a
/// microsecond after it.
pub async fn due_times_are_kept_to_the_microsecond_rounded_up(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let due = plus_nanos(at(T0), 1);
    let next_microsecond = plus_nanos(at(T0), 1000);
    add(store, job("now", T0)).await;
    add(store, job_at("future", due)).await;
    assert!(
        acquire(store, T0, 0, "x").await.is_empty(),
        "a limit of 0 claims none"
    );
    assert_eq!(ids(&acquire(store, T0, 10, "x").await), ["now"]);
    let within = |time: Option<Timestamp>| time.is_some_and(|t| t >= due && t <= next_microsecond);
    let next = next_run_time(store).await;
    assert!(within(next), "{next:?}");
    let claimed = acquire(store, "2026-01-01T00:00:00.000001Z", 10, "y").await;
    assert_eq!(ids(&claimed), ["future"]);
    assert!(
        within(claimed[0].next_run_time()),
        "{:?}",
        claimed[0].next_run_time()
    );
    under_test.finish().await;
}

fn plus_nanos(time: Timestamp, nanos: i64) -> Timestamp {
    match time.checked_add(SignedDuration::from_nanos(nanos)) {
        Ok(later) => later,
        Err(error) => panic!("{time} + {nanos}ns: {error}"),
    }
}

/// A lease of zero expires at once: each call claims the due jobs again,
/// once each.
pub async fn a_zero_lease_claims_each_job_once_per_call(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    add(store, job("b", T0)).await;
    let claimed = acquire_for(store, T0, 10, "x", SignedDuration::ZERO).await;
    assert_eq!(ids(&claimed), ["a", "b"], "each job once");
    // Expired at once: the next call may take them again.
    let again = acquire_for(store, T0, 10, "y", SignedDuration::ZERO).await;
    assert_eq!(ids(&again), ["a", "b"]);
    under_test.finish().await;
}

/// Next run times at the ends of the range of instants, and just before
/// the Unix epoch, keep their order: listed, as the next run time, and
/// claimed.
pub async fn extreme_times_are_ordered(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let first = "-009999-01-03T00:00:00Z";
    add(store, job("last", "9999-12-30T00:00:00Z")).await;
    add(store, job("before-epoch", "1969-12-31T23:59:59.999999999Z")).await;
    add(store, job("first", first)).await;
    assert_eq!(ids(&list(store).await), ["first", "before-epoch", "last"]);
    assert_eq!(next_run_time(store).await, Some(at(first)));
    assert_eq!(
        ids(&acquire(store, "1970-01-01T00:00:00Z", 10, "x").await),
        ["first", "before-epoch"]
    );
    under_test.finish().await;
}

/// A store beside this one on the same database, under another prefix,
/// sees none of its jobs: `remove_all_jobs` empties only its own.
pub async fn remove_all_jobs_empties_only_its_own_prefix(under_test: StoreUnderTest) {
    let Some(open) = under_test.neighbour_opener("prefix isolation") else {
        return under_test.finish().await;
    };
    let mine = under_test.store.as_ref();
    let theirs = open().await;
    let theirs = theirs.as_ref();
    add(mine, job("a", T0)).await;
    add(theirs, job("a", T0)).await;
    add(theirs, job("b", T0)).await;
    assert_eq!(ids(&list(mine).await), ["a"]);
    assert_eq!(ids(&acquire(mine, T0, 10, "x").await), ["a"]);
    must(mine.remove_all_jobs().await, "remove every job");
    assert!(list(mine).await.is_empty());
    assert_eq!(next_run_time(mine).await, None);
    assert_eq!(
        ids(&list(theirs).await),
        ["a", "b"],
        "the neighbour's jobs stay"
    );
    assert_eq!(
        ids(&acquire(theirs, T0, 10, "y").await),
        ["a", "b"],
        "and are not claimed"
    );
    must(theirs.remove_all_jobs().await, "empty the neighbour");
    under_test.finish().await;
}

/// A job whose stored form this release cannot read — not JSON, a newer
/// format version, or another job's id than the one it is kept under — is
/// kept, skipped and listed with the reason; mended by hand, it is listed
/// again and no longer unrestorable.
pub async fn a_job_fixed_by_hand_is_restored(under_test: StoreUnderTest) {
    let Some(corrupt) = under_test.corrupter("a job fixed by hand") else {
        return under_test.finish().await;
    };
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let mended = stored_json(&paused("a"), |_| {});
    let unreadable = [
        ("not json".to_owned(), "JSON"),
        (
            stored_json(&job("a", T0), |stored| {
                stored.version = tempora::job::StoredJob::VERSION + 1;
            }),
            "version",
        ),
        (stored_json(&job("b", T0), |_| {}), "\"b\""),
    ];
    for (json, says) in unreadable {
        corrupt("a".to_owned(), json.clone()).await;
        assert!(list(store).await.is_empty(), "{json} is skipped");
        let unrestorable = must(store.unrestorable_jobs().await, "list unrestorable jobs");
        assert_eq!(unrestorable.len(), 1, "{unrestorable:?}");
        assert_eq!(unrestorable[0].id, "a");
        assert!(
            unrestorable[0].reason.contains(says),
            "the reason for {json} names {says}: {unrestorable:?}"
        );
        corrupt("a".to_owned(), mended.clone()).await;
        assert_eq!(ids(&list(store).await), ["a"], "mended by hand");
        assert!(must(store.unrestorable_jobs().await, "list unrestorable jobs").is_empty());
    }
    under_test.finish().await;
}

/// Leases live on the store's clock ([`StoreUnderTest::measures_on`]): on
/// the database's, a caller whose clock runs a day ahead cannot take over a
/// live lease, and once the lease expired there it is taken over whatever
/// the caller's clock says; on the caller's, a day ahead is a day ahead.
pub async fn leases_are_measured_on_the_stores_clock(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let lease = SignedDuration::from_secs(3);
    assert_eq!(ids(&acquire_for(store, T0, 10, "x", lease).await), ["a"]);
    let ahead = "2026-01-02T00:00:00Z";
    match under_test.clock() {
        LeaseClock::Database => {
            assert!(
                acquire_for(store, ahead, 10, "y", lease).await.is_empty(),
                "a caller a day ahead cannot take over a lease live on the server"
            );
            tokio::time::sleep(Duration::from_millis(3500)).await;
            assert_eq!(
                ids(&acquire_for(store, T0, 10, "y", lease).await),
                ["a"],
                "expired on the server's clock"
            );
        }
        LeaseClock::Caller => {
            assert!(
                acquire_for(store, "2026-01-01T00:00:02Z", 10, "y", lease)
                    .await
                    .is_empty()
            );
            assert_eq!(
                ids(&acquire_for(store, ahead, 10, "y", lease).await),
                ["a"],
                "on the caller's clock a day ahead is a day ahead"
            );
        }
    }
    under_test.finish().await;
}

/// The store's time ([`JobStore::store_now`]) is its lease clock's: on
/// the database's, a caller a day ahead is told the server's time, which
/// runs beside the tests (within 60 s of this host's clock); on the
/// caller's, it is the caller's `now`.
pub async fn store_now_reads_the_stores_clock(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let host = tempora::clock::Clock::now(&SystemClock);
    let ahead = match Timestamp::from_second(host.as_second() + 86_400) {
        Ok(ahead) => ahead,
        Err(error) => panic!("a day from now: {error}"),
    };
    let store_now = must(store.store_now(ahead).await, "read the store's time");
    match under_test.clock() {
        LeaseClock::Database => {
            let off = store_now.duration_since(host).abs();
            assert!(
                off < SignedDuration::from_secs(60),
                "the server's time {store_now}, not the caller's {ahead} (host: {host})"
            );
        }
        LeaseClock::Caller => assert_eq!(store_now, ahead, "the caller's time"),
    }
    under_test.finish().await;
}

/// Two records of one key in one batch: the later is kept, as if each
/// were written in turn.
pub async fn record_runs_keeps_the_last_of_two_records_of_one_key(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        println!("record_runs: skipped: the store keeps no history");
        return under_test.finish().await;
    }
    let t = at(T0);
    let running = RunRecord::running("a", t, "n", t, plus(t, 60));
    let done = finished("a", T0, "n", RunStatus::Success);
    let other = finished("b", T0, "n", RunStatus::Error);
    must(
        store
            .run_history()
            .record_runs(&[running, other.clone(), done.clone()])
            .await,
        "record two records of one key in one batch",
    );
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new(), &[&done, &other]).await,
        [done, other]
    );
    under_test.finish().await;
}

/// A change made through another store object on the same database — a
/// job added, due sooner — reaches the change feed of a store that sends
/// notices ([`ChangeNotices::watch`](tempora::store::ChangeNotices::watch)).
pub async fn a_change_made_elsewhere_reaches_the_watch_feed(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let Some(changes) = store.changes() else {
        println!("watch: skipped: the store sends no change notices");
        return under_test.finish().await;
    };
    let mut feed = must(changes.watch().await, "watch the store");
    let Some(reopen) = under_test.reopener("watch") else {
        return under_test.finish().await;
    };
    let elsewhere = reopen().await;
    let due = "2026-01-01T00:05:00Z";
    add(elsewhere.as_ref(), job("a", due)).await;
    assert_eq!(
        next_notice(&mut feed, "the job added elsewhere").await,
        at(due)
    );
    // Stop listening before the cleanup closes the store's connections.
    drop(feed);
    drop(elsewhere);
    under_test.finish().await;
}

/// The next notice `feed` gives within 10 s that has a time: a notice
/// without one says notices may have been lost (the feed reconnected).
async fn next_notice(feed: &mut tempora::store::ChangeFeed, what: &str) -> Timestamp {
    let notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match feed.next().await {
                Some(ChangeNotice::Unknown) => continue,
                other => break other,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no notice of {what} within 10 s"));
    match notice {
        Some(ChangeNotice::RunsAt(time)) => time,
        other => panic!("{what}: {other:?}, not a notice with a time"),
    }
}

/// Of the changes made elsewhere to a job, a store that sends change
/// notices sends those that make the job due sooner — added, resumed,
/// moved earlier — and no other: moved later, paused.
pub async fn only_a_change_that_makes_a_job_due_sooner_is_noticed(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    let Some(changes) = store.changes() else {
        println!("notices of sooner changes: skipped: the store sends no change notices");
        return under_test.finish().await;
    };
    let mut feed = must(changes.watch().await, "watch the store");
    let Some(reopen) = under_test.reopener("notices of sooner changes") else {
        return under_test.finish().await;
    };
    let elsewhere = reopen().await;
    let writer = elsewhere.as_ref();
    let update = |job| async move { must(writer.update_job(job).await, "update a") };
    add(writer, job("a", "2026-01-01T00:10:00Z")).await;
    assert_eq!(
        next_notice(&mut feed, "the added job").await,
        at("2026-01-01T00:10:00Z")
    );
    // Later, then paused: neither makes it due sooner.
    update(job("a", "2026-01-01T00:20:00Z")).await;
    update(paused("a")).await;
    // Resumed: it had no next run time, so it is sooner.
    update(job("a", "2026-01-01T00:30:00Z")).await;
    assert_eq!(
        next_notice(&mut feed, "the resumed job").await,
        at("2026-01-01T00:30:00Z"),
        "neither the later time nor the pause was noticed"
    );
    update(job("a", "2026-01-01T00:40:00Z")).await;
    update(job("a", "2026-01-01T00:05:00Z")).await;
    // The first notice after the resume is the earlier change's.
    assert_eq!(
        next_notice(&mut feed, "the job moved earlier").await,
        at("2026-01-01T00:05:00Z"),
        "the later time was not noticed"
    );
    // Stop listening before the cleanup closes the store's connections.
    drop(feed);
    drop(elsewhere);
    under_test.finish().await;
}

/// A settlement won after a change made through the API while the job was
/// claimed keeps the change: a new next run time wins over the release,
/// another field stays under it; the fire time is taken either way and the
/// lease dropped.
pub async fn a_settlement_keeps_a_change_made_while_the_job_was_claimed(
    under_test: StoreUnderTest,
) {
    let store = under_test.store.as_ref();
    add(store, job("moved", T0)).await;
    add(store, job("renamed", T0)).await;
    let claimed = acquire(store, T0, 10, "x").await;
    assert_eq!(ids(&claimed), ["moved", "renamed"]);
    must(
        store.update_job(job("moved", "2026-01-01T00:30:00Z")).await,
        "move a claimed job",
    );
    must(
        store
            .update_job(edited(&job("renamed", T0), |stored| {
                stored.name = "new name".to_owned();
            }))
            .await,
        "rename a claimed job",
    );
    let t = at(T0);
    let settlements: Vec<Settlement> = claimed
        .iter()
        .map(|job| Settlement::new(job.clone(), Some(t), Release::Reschedule(plus(t, 60))))
        .collect();
    assert_eq!(
        settle(store, "x", &settlements, T0).await,
        [Settled::Won, Settled::Won]
    );
    let moved = get(store, "moved").await;
    assert_eq!(
        moved.as_ref().and_then(Job::next_run_time),
        Some(at("2026-01-01T00:30:00Z")),
        "the new next run time wins"
    );
    assert_eq!(previous_fire_time(moved), Some(t));
    let renamed = get(store, "renamed").await;
    assert_eq!(renamed.as_ref().map(Job::name), Some("new name"));
    assert_eq!(
        renamed.as_ref().and_then(Job::next_run_time),
        Some(plus(t, 60))
    );
    assert_eq!(previous_fire_time(renamed), Some(t));
    // Every lease was dropped: another owner takes both jobs when due.
    assert_eq!(
        ids(&acquire(store, "2026-01-01T00:30:00Z", 10, "y").await),
        ["renamed", "moved"]
    );
    under_test.finish().await;
}

/// A lost settlement changes nothing and drops its owner's lease: a stale
/// claim of an owner that holds the job again loses, and another owner
/// then takes the job at once.
pub async fn a_lost_settlement_drops_its_lease(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    let t = at(T0);
    let stale = acquire_for(store, T0, 10, "node", SHORT).await;
    assert_eq!(ids(&stale), ["a"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = "2026-01-01T00:00:02Z";
    let fresh = acquire(store, now, 10, "node").await;
    assert_eq!(ids(&fresh), ["a"]);
    let keep_due =
        |claimed: &Job| Settlement::new(claimed.clone(), Some(t), Release::Reschedule(t));
    assert_eq!(
        settle(store, "node", &[keep_due(&fresh[0])], now).await,
        [Settled::Won]
    );
    assert_eq!(ids(&acquire(store, now, 10, "node").await), ["a"]);
    assert!(
        acquire(store, now, 10, "other").await.is_empty(),
        "held by node"
    );
    let lost = Settlement::new(stale[0].clone(), Some(plus(t, 1)), Release::Remove);
    assert_eq!(settle(store, "node", &[lost], now).await, [Settled::Lost]);
    let a = get(store, "a").await;
    assert_eq!(
        a.as_ref().and_then(Job::next_run_time),
        Some(t),
        "nothing changed"
    );
    assert_eq!(previous_fire_time(a), Some(t));
    assert_eq!(
        ids(&acquire(store, now, 10, "other").await),
        ["a"],
        "the lost settlement dropped node's lease"
    );
    under_test.finish().await;
}

/// A claimed job counts towards the next run time at its lease's expiry
/// (when another owner may take it over if its owner died), by the store's
/// clock.
pub async fn next_run_time_counts_a_claimed_job_at_its_lease_expiry(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    add(store, job("a", T0)).await;
    assert_eq!(ids(&acquire(store, T0, 10, "x").await), ["a"]);
    let next = next_run_time(store).await;
    match under_test.clock() {
        LeaseClock::Caller => assert_eq!(next, Some(plus(at(T0), 600))),
        LeaseClock::Database => {
            // The lease expires 600 s after the server's now, which runs
            // beside the tests (within 60 s of this host's clock).
            let expected = plus(tempora::clock::Clock::now(&SystemClock), 600);
            assert!(
                next.is_some_and(|next| next > plus(expected, -60) && next < plus(expected, 60)),
                "{next:?}, not about {expected}"
            );
        }
    }
    under_test.finish().await;
}

/// A long history — 1,200 records of one job, more than one page of any
/// store's reads — lists newest first, whole or limited, and prunes to the
/// newest records of the job.
pub async fn a_long_history_lists_through_pages_and_prunes(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        println!("a long history: skipped: the store keeps no history");
        return under_test.finish().await;
    }
    let t = at(T0);
    for second in 0..1200 {
        let scheduled = plus(t, second);
        let run = RunRecord::running("a", scheduled, "n", scheduled, plus(scheduled, 60)).finish(
            RunStatus::Success,
            plus(scheduled, 1),
            Some(SignedDuration::from_secs(1)),
            None,
        );
        record(store, &run).await;
    }
    let newest = runs(store, RunQuery::new().job("a").limit(3)).await;
    let times: Vec<Timestamp> = newest.iter().map(|run| run.scheduled_time).collect();
    assert_eq!(times, [plus(t, 1199), plus(t, 1198), plus(t, 1197)]);
    assert_eq!(runs(store, RunQuery::new()).await.len(), 1200);
    let removed = must(
        store
            .run_history()
            .prune_runs(&RunRetention::keep_all().per_job(10), t)
            .await,
        "prune the history",
    );
    assert_eq!(removed, 1190);
    assert_eq!(runs(store, RunQuery::new()).await.len(), 10);
    under_test.finish().await;
}

/// A job's overlap policy is kept with it: every policy reads back and
/// changes with an update; a job stored without one (by an earlier
/// release) reads as unset.
pub async fn the_overlap_policy_round_trips(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    for policy in Overlap::ALL {
        let id = policy.as_str();
        let job = build(
            JobBuilder::new(
                TASK,
                CronTrigger::crontab("*/5 * * * *")
                    .timezone("UTC")
                    .build()
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .id(id)
            .overlap(policy)
            .next_run_time(at(T0)),
        );
        add(store, job.clone()).await;
        let back = get(store, id)
            .await
            .unwrap_or_else(|| panic!("job {id:?} was added"));
        assert_eq!(back.overlap(), Some(policy), "{id} reads back");
        assert_eq!(stored(&back), stored(&job));
    }
    let changed = edited(&job("buffer_one", T0), |stored| {
        stored.overlap = Some(Overlap::CancelOther);
    });
    must(store.update_job(changed).await, "update buffer_one");
    let back = get(store, "buffer_one").await.map(|job| job.overlap());
    assert_eq!(
        back,
        Some(Some(Overlap::CancelOther)),
        "an update changes it"
    );
    let listed = list(store).await;
    assert_eq!(listed.len(), Overlap::ALL.len());
    assert!(listed.iter().all(|job| job.overlap().is_some()));
    if let Some(write) = under_test.corrupter("a job stored without an overlap policy") {
        add(store, job("older", T0)).await;
        let older = stored_json(&job("older", T0), |_| {});
        assert!(!older.contains("overlap"), "unset is left out: {older}");
        write("older".to_owned(), older).await;
        let back = get(store, "older").await.map(|job| job.overlap());
        assert_eq!(back, Some(None), "an older job reads without a policy");
    }
    under_test.finish().await;
}

/// A job's retry policy, its `pause_after_failures` and the reason it was
/// paused round-trip; a pending run (a run job: its parent, fire time,
/// attempt and kind) round-trips, is refused a second time under its id,
/// and is claimed once like any due job.
pub async fn retry_options_and_pending_runs_round_trip(under_test: StoreUnderTest) {
    use tempora::job::{PendingRunKind, Retry, RunOf};
    let store = under_test.store.as_ref();
    let retrying = build(
        JobBuilder::new(TASK, crate::jobs::hourly())
            .id("retrying")
            .next_run_time(at(T0))
            .retry(
                Retry::attempts(4)
                    .delay(SignedDuration::from_secs(30))
                    .factor(2.5)
                    .max_delay(SignedDuration::from_secs(600))
                    .jitter(0.1)
                    .retry_on([1, 75]),
            )
            .pause_after_failures(3),
    );
    let paused = edited(&retrying, |stored| {
        stored.id = "paused-by-failures".to_owned();
        stored.next_run_time = None;
        stored.paused_reason = Some("paused after 3 failed run(s) in a row: ✗ \"exit 75\"".into());
    });
    add(store, retrying.clone()).await;
    add(store, paused.clone()).await;
    let scheduled = at(T0);
    let run = RunOf::new("retrying", scheduled, 2, PendingRunKind::Retry);
    let due = plus(scheduled, 30);
    let run_job = retrying.pending_run(run.clone(), due);
    add(store, run_job.clone()).await;
    let again = store
        .add_job(retrying.pending_run(run.clone(), due), false)
        .await;
    assert!(
        again.as_ref().is_err_and(tempora::Error::is_conflict),
        "the same pending run added twice is refused as existing: {again:?}"
    );
    for (id, written) in [
        ("retrying", &retrying),
        ("paused-by-failures", &paused),
        (run_job.id(), &run_job),
    ] {
        let back = get(store, id)
            .await
            .unwrap_or_else(|| panic!("job {id:?} was added"));
        assert_eq!(stored(&back), stored(written), "{id} reads back as written");
        assert_eq!(stored(find(&list(store).await, id)), stored(written));
    }
    let back = get(store, "paused-by-failures").await;
    assert_eq!(
        back.as_ref().and_then(Job::paused_reason),
        paused.paused_reason()
    );
    let back = get(store, run_job.id()).await;
    assert_eq!(back.as_ref().and_then(Job::run_of), Some(&run));
    // Due at `due`: claimed by one owner, not by the other.
    let claimed = acquire_for(store, &due.to_string(), 10, "node-a", LONG).await;
    assert_eq!(ids(&claimed), ["retrying", run_job.id()]);
    assert_eq!(claimed[1].run_of(), Some(&run));
    let other = acquire_for(store, &due.to_string(), 10, "node-b", LONG).await;
    assert!(
        ids(&other).is_empty(),
        "a claimed pending run is claimed once"
    );
    under_test.finish().await;
}

/// Attempts of one fire time on one node are records of their own:
/// listed newest attempt first, each replaced only by its own key,
/// interrupted and pruned one by one.
pub async fn attempts_of_one_fire_time_are_separate_records(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        println!("attempts: skipped: the store keeps no history");
        return under_test.finish().await;
    }
    let first = finished("flaky", T0, "node-a", RunStatus::Error);
    let second = finished("flaky", T0, "node-a", RunStatus::Timeout).with_attempt(2);
    let t = at(T0);
    let third =
        RunRecord::running("flaky", t, "node-a", plus(t, 100), plus(t, 101)).with_attempt(3);
    for run in [&first, &second, &third] {
        record(store, run).await;
    }
    assert_eq!(
        runs_as_written(&under_test, RunQuery::new().job("flaky"), &[&third]).await,
        [third.clone(), second.clone(), first.clone()],
        "three records, the latest attempt first"
    );
    let second_again = second.clone().finish(
        RunStatus::Panic,
        plus(t, 50),
        None,
        Some("panicked".to_owned()),
    );
    record(store, &second_again).await;
    let listed = runs_as_written(&under_test, RunQuery::new(), &[&third]).await;
    assert_eq!(
        listed,
        [third.clone(), second_again.clone(), first.clone()],
        "recording attempt 2 again replaces attempt 2 alone"
    );
    wait_out_promise(&under_test).await;
    let interrupted = must(
        store.run_history().interrupt_runs(plus(t, 200), None).await,
        "interrupt abandoned runs",
    );
    assert_eq!(interrupted.len(), 1);
    assert_eq!(
        interrupted[0].attempt, 3,
        "the running attempt is interrupted"
    );
    let listed = runs(store, RunQuery::new()).await;
    let statuses: Vec<(u32, RunStatus)> = listed.iter().map(|r| (r.attempt, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (3, RunStatus::Interrupted),
            (2, RunStatus::Panic),
            (1, RunStatus::Error)
        ]
    );
    let removed = must(
        store
            .run_history()
            .prune_runs(&RunRetention::keep_all().per_job(2), plus(t, 300))
            .await,
        "prune to two records per job",
    );
    assert_eq!(removed, 1);
    let kept: Vec<u32> = runs(store, RunQuery::new())
        .await
        .iter()
        .map(|r| r.attempt)
        .collect();
    assert_eq!(kept, [3, 2], "pruning keeps the latest attempts");
    under_test.finish().await;
}

/// `latest_runs` answers, for each job asked about, the record that
/// `list_runs` lists first for that job: the newest scheduled time, then
/// the latest attempt, then the first node; running or finished. Jobs
/// without records (and an empty question) get no answer, a job asked
/// twice one, a job not asked none; a question about more jobs than one
/// statement of any store holds (1,100 ids) is answered whole.
pub async fn latest_runs_answer_the_newest_record_of_each_job(under_test: StoreUnderTest) {
    let store = under_test.store.as_ref();
    if store.history().is_none() {
        println!("latest runs: skipped: the store keeps no history");
        return under_test.finish().await;
    }
    let history = store.run_history();
    let latest = |ids: Vec<String>| async move {
        let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
        must(
            store.run_history().latest_runs(&asked).await,
            &format!("the latest runs of {} jobs", asked.len()),
        )
    };
    assert!(
        latest(vec!["a".into()]).await.is_empty(),
        "a fresh store has no latest run"
    );
    assert!(latest(Vec::new()).await.is_empty(), "no job, no answer");
    let t = at(T0);
    let unicode = "rapport-été-日本";
    let running_c = RunRecord::running("c", plus(t, 30), "node-a", plus(t, 31), plus(t, 600));
    let written = [
        // a: the newest scheduled time wins, whatever the order written.
        finished("a", "2026-01-01T00:00:10Z", "node-b", RunStatus::Error),
        finished("a", "2026-01-01T00:00:00Z", "node-a", RunStatus::Success),
        RunRecord::running("a", plus(t, 5), "node-c", plus(t, 6), plus(t, 600)),
        // ab: its id starts with another's.
        finished("ab", "2026-01-01T00:00:01Z", "node-a", RunStatus::Success),
        // b: one fire time: the latest attempt, then the first node.
        finished("b", T0, "node-a", RunStatus::Error),
        finished("b", T0, "node-c", RunStatus::Timeout).with_attempt(2),
        finished("b", T0, "node-b", RunStatus::Success).with_attempt(2),
        // c: still running.
        running_c.clone(),
        finished("c", T0, "node-a", RunStatus::Success),
        finished(unicode, T0, "node-a", RunStatus::Panic),
        // d: not asked about.
        finished("d", "2026-01-01T01:00:00Z", "node-a", RunStatus::Success),
    ];
    must(history.record_runs(&written).await, "record the runs");
    let asked: Vec<String> = ["a", "ab", "b", "c", unicode, "never-ran", "a"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let answer = latest(asked.clone()).await;
    let mut answered: Vec<&str> = answer.keys().map(String::as_str).collect();
    answered.sort_unstable();
    assert_eq!(
        answered,
        ["a", "ab", "b", "c", unicode],
        "one answer per job with records, none for a job without"
    );
    let key = |id: &str| {
        let run = &answer[id];
        (
            run.scheduled_time,
            run.node.clone(),
            run.attempt,
            run.status,
        )
    };
    assert_eq!(
        key("a"),
        (plus(t, 10), "node-b".to_owned(), 1, RunStatus::Error)
    );
    assert_eq!(
        key("ab"),
        (plus(t, 1), "node-a".to_owned(), 1, RunStatus::Success)
    );
    assert_eq!(
        key("b"),
        (t, "node-b".to_owned(), 2, RunStatus::Success),
        "the latest attempt, then the first node"
    );
    assert_eq!(
        as_written(&under_test, vec![answer["c"].clone()], &[&running_c]),
        std::slice::from_ref(&running_c),
        "a running record is a job's latest run, read back whole"
    );
    assert_eq!(
        answer[unicode], written[9],
        "a finished record is read back whole"
    );
    for id in ["a", "ab", "b", "c", unicode] {
        let listed = runs(store, RunQuery::new().job(id).limit(1)).await;
        assert_eq!(
            listed.first().map(RunRecord::key),
            Some(answer[id].key()),
            "{id}: the record list_runs lists first"
        );
    }
    // More jobs than one statement holds: every 100th has a record.
    let many: Vec<String> = (0..1100).map(|index| format!("job-{index:04}")).collect();
    let some: Vec<RunRecord> = many
        .iter()
        .step_by(100)
        .map(|id| finished(id, T0, "node-a", RunStatus::Success))
        .collect();
    must(history.record_runs(&some).await, "record the runs");
    let answer = latest(many).await;
    let mut answered: Vec<String> = answer.keys().cloned().collect();
    answered.sort_unstable();
    let expected: Vec<String> = some.iter().map(|run| run.job_id.clone()).collect();
    assert_eq!(
        answered, expected,
        "every job of a long question is answered"
    );
    under_test.finish().await;
}
