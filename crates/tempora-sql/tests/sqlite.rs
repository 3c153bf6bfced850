//! The SQLite store against a real database file per test: the store
//! contract (add, replace, get, list, update, remove, next run time, claims
//! with leases, release with compare-and-set), restart, odd payloads, rows
//! that cannot be read, concurrent claims, and a scheduler on top.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::{SignedDuration, Timestamp};
use tempora::job::{Job, JobBuilder, JobDefaults};
use tempora::store::{JobStore, Release};
use tempora::task::{JobContext, JobTask};
use tempora::trigger::{CronTrigger, IntervalTrigger};
use tempora_sql::SqliteStore;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh database file of this test's own.
fn database() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tempora-sqlite-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("jobs.db")
}

async fn open(path: &std::path::Path) -> SqliteStore {
    SqliteStore::open(path.to_str().unwrap(), "").await.unwrap()
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

const T0: &str = "2026-01-01T00:00:00Z";

/// A job every `minutes` from T0, first due at `first`.
fn job(id: &str, minutes: i64, first: &str) -> Job {
    let trigger = IntervalTrigger::builder()
        .minutes(minutes)
        .start_date(at(T0))
        .timezone("UTC")
        .build()
        .unwrap();
    JobBuilder::new("tick", trigger)
        .id(id)
        .next_run_time(at(first))
        .build_at(&JobDefaults::default(), at(T0))
        .unwrap()
}

fn ids(jobs: &[Job]) -> Vec<&str> {
    jobs.iter().map(Job::id).collect()
}

#[tokio::test]
async fn jobs_are_added_listed_by_next_run_time_and_paused_last() {
    let store = open(&database()).await;
    store
        .add_job(job("late", 5, "2026-01-01T00:10:00Z"), false)
        .await
        .unwrap();
    store
        .add_job(job("early", 5, "2026-01-01T00:05:00Z"), false)
        .await
        .unwrap();
    let paused = JobBuilder::new(
        "tick",
        IntervalTrigger::builder()
            .minutes(1)
            .timezone("UTC")
            .build()
            .unwrap(),
    )
    .id("paused")
    .paused()
    .build_at(&JobDefaults::default(), at(T0))
    .unwrap();
    store.add_job(paused, false).await.unwrap();
    assert_eq!(
        ids(&store.list_jobs().await.unwrap()),
        ["early", "late", "paused"]
    );
    assert_eq!(
        store.next_run_time().await.unwrap(),
        Some(at("2026-01-01T00:05:00Z"))
    );

    let fetched = store.get_job("late").await.unwrap().unwrap();
    assert_eq!(fetched.next_run_time(), Some(at("2026-01-01T00:10:00Z")));
    assert_eq!(fetched.trigger(), job("late", 5, T0).trigger());
    assert!(store.get_job("missing").await.unwrap().is_none());
}

#[tokio::test]
async fn an_id_is_taken_once_unless_replacing() {
    let store = open(&database()).await;
    store.add_job(job("a", 5, T0), false).await.unwrap();
    let error = store.add_job(job("a", 7, T0), false).await.unwrap_err();
    assert!(error.is_conflict(), "{error}");
    store
        .add_job(job("a", 7, "2026-01-01T00:07:00Z"), true)
        .await
        .unwrap();
    let replaced = store.get_job("a").await.unwrap().unwrap();
    assert_eq!(replaced.next_run_time(), Some(at("2026-01-01T00:07:00Z")));
}

#[tokio::test]
async fn update_and_remove_name_a_missing_job() {
    let store = open(&database()).await;
    assert!(
        store
            .update_job(job("x", 1, T0))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.remove_job("x").await.unwrap_err().is_not_found());
    store.add_job(job("x", 1, T0), false).await.unwrap();
    store
        .update_job(job("x", 1, "2026-01-01T01:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        store.next_run_time().await.unwrap(),
        Some(at("2026-01-01T01:00:00Z"))
    );
    store.remove_job("x").await.unwrap();
    store.add_job(job("y", 1, T0), false).await.unwrap();
    store.remove_all_jobs().await.unwrap();
    assert!(store.list_jobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn claims_hold_until_released_or_expired() {
    let store = open(&database()).await;
    for (id, first) in [
        ("a", "2026-01-01T00:01:00Z"),
        ("b", "2026-01-01T00:02:00Z"),
        ("c", "2026-01-01T00:30:00Z"),
    ] {
        store.add_job(job(id, 60, first), false).await.unwrap();
    }
    let now = at("2026-01-01T00:05:00Z");
    let lease = SignedDuration::from_secs(30);
    // Only what is due, earliest first, at most `limit`.
    let claimed = store.acquire_due(now, 1, "node-a", lease).await.unwrap();
    assert_eq!(ids(&claimed), ["a"]);
    let more = store.acquire_due(now, 10, "node-a", lease).await.unwrap();
    assert_eq!(ids(&more), ["b"]);
    // Another owner gets nothing while the leases live ...
    assert!(
        store
            .acquire_due(now, 10, "node-b", lease)
            .await
            .unwrap()
            .is_empty()
    );
    // ... and everything once they expired.
    let later = at("2026-01-01T00:05:31Z");
    let taken = store.acquire_due(later, 10, "node-b", lease).await.unwrap();
    assert_eq!(ids(&taken), ["a", "b"]);
    // The old owner's release no longer counts.
    store
        .release(
            "node-a",
            &claimed[0],
            Release::Reschedule(at("2026-01-01T01:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_job("a").await.unwrap().unwrap().next_run_time(),
        Some(at("2026-01-01T00:01:00Z"))
    );
    // The new owner's does: a new next run time, and removal.
    store
        .release(
            "node-b",
            &taken[0],
            Release::Reschedule(at("2026-01-01T01:01:00Z")),
        )
        .await
        .unwrap();
    store
        .release("node-b", &taken[1], Release::Remove)
        .await
        .unwrap();
    assert_eq!(ids(&store.list_jobs().await.unwrap()), ["c", "a"]);
    assert_eq!(
        store.next_run_time().await.unwrap(),
        Some(at("2026-01-01T00:30:00Z"))
    );
}

#[tokio::test]
async fn a_change_made_while_claimed_wins_over_the_release() {
    let store = open(&database()).await;
    store.add_job(job("a", 60, T0), false).await.unwrap();
    let lease = SignedDuration::from_secs(30);
    let claimed = store.acquire_due(at(T0), 10, "node", lease).await.unwrap();
    // Paused by an operator while the run was being handed out.
    let mut paused = store
        .get_job("a")
        .await
        .unwrap()
        .unwrap()
        .to_stored()
        .unwrap();
    paused.next_run_time = None;
    store
        .update_job(Job::from_stored(paused, "default"))
        .await
        .unwrap();
    store
        .release(
            "node",
            &claimed[0],
            Release::Reschedule(at("2026-01-01T01:00:00Z")),
        )
        .await
        .unwrap();
    assert!(store.get_job("a").await.unwrap().unwrap().is_paused());
    // And the claim is gone: the job can be resumed and claimed again.
    store.update_job(job("a", 60, T0)).await.unwrap();
    assert_eq!(
        store
            .acquire_due(at(T0), 10, "other", lease)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_new_store_on_the_same_file_sees_everything() {
    let path = database();
    {
        let store = open(&path).await;
        store
            .add_job(job("kept", 5, "2026-01-01T00:05:00Z"), false)
            .await
            .unwrap();
        let claimed = store
            .acquire_due(
                at("2026-01-01T00:05:00Z"),
                10,
                "dead-node",
                SignedDuration::from_secs(30),
            )
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        // The process dies holding the claim.
    }
    let store = open(&path).await;
    let restored = store.list_jobs().await.unwrap();
    assert_eq!(ids(&restored), ["kept"]);
    assert_eq!(restored[0].trigger(), job("kept", 5, T0).trigger());
    // The dead node's lease expires and the job is taken over.
    let taken = store
        .acquire_due(
            at("2026-01-01T00:06:00Z"),
            10,
            "new-node",
            SignedDuration::from_secs(30),
        )
        .await
        .unwrap();
    assert_eq!(ids(&taken), ["kept"]);
}

#[tokio::test]
async fn odd_and_big_payloads_round_trip() {
    let store = open(&database()).await;
    let big = "é".repeat(512 * 1024); // 1 MB of two-byte characters
    let trigger = CronTrigger::crontab("0 9 * * mon-fri")
        .timezone("Asia/Kolkata")
        .build()
        .unwrap();
    let unicode = JobBuilder::new("tick", trigger)
        .id("rapport-été-日本")
        .name("Ünïcödé ✓")
        .args(&serde_json::json!({ "text": big }))
        .build_at(&JobDefaults::default(), at(T0))
        .unwrap();
    store.add_job(unicode.clone(), false).await.unwrap();
    let back = store.get_job("rapport-été-日本").await.unwrap().unwrap();
    assert_eq!(back.name(), "Ünïcödé ✓");
    assert_eq!(back.args(), unicode.args());
    assert_eq!(back.trigger(), unicode.trigger());
}

#[tokio::test]
async fn a_closure_job_is_refused_with_a_way_out() {
    let store = open(&database()).await;
    let closure = JobBuilder::with_task(
        JobTask::closure(|_: JobContext| Ok::<(), String>(())),
        IntervalTrigger::builder()
            .minutes(1)
            .timezone("UTC")
            .build()
            .unwrap(),
    )
    .id("inline")
    .build_at(&JobDefaults::default(), at(T0))
    .unwrap();
    let error = store.add_job(closure, false).await.unwrap_err();
    assert_eq!(error.field(), Some("task"));
    assert!(
        error.to_string().contains("register the function by name"),
        "{error}"
    );
}

#[tokio::test]
async fn a_row_that_cannot_be_read_is_kept_set_aside_and_listed() {
    let path = database();
    let store = open(&path).await;
    store.add_job(job("good", 1, T0), false).await.unwrap();
    store.add_job(job("bad", 1, T0), false).await.unwrap();
    // Another program (or a newer release) wrote something this one cannot read.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET job = '{\"version\": 99}' WHERE id = 'bad'")
        .execute(&raw)
        .await
        .unwrap();
    assert_eq!(ids(&store.list_jobs().await.unwrap()), ["good"]);
    let lease = SignedDuration::from_secs(30);
    assert_eq!(
        ids(&store.acquire_due(at(T0), 10, "n", lease).await.unwrap()),
        ["good"]
    );
    // Set aside: not claimed again at once (the good one is, its lease
    // having expired), and never deleted.
    let again = store
        .acquire_due(at("2026-01-01T00:01:00Z"), 10, "m", lease)
        .await
        .unwrap();
    assert_eq!(ids(&again), ["good"]);
    assert_eq!(store.unrestorable_jobs().await.unwrap(), ["bad"]);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn concurrent_claims_never_share_a_job() {
    let path = database();
    let store = open(&path).await;
    for index in 0..200 {
        store
            .add_job(job(&format!("job-{index:03}"), 60, T0), false)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for owner in 0..8 {
        let store = open(&path).await;
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .acquire_due(
                        at(T0),
                        7,
                        &format!("owner-{owner}"),
                        SignedDuration::from_secs(60),
                    )
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.iter().map(|job| job.id().to_owned()));
            }
        }));
    }
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for task in tasks {
        for id in task.await.unwrap() {
            total += 1;
            assert!(seen.insert(id.clone()), "{id} claimed twice");
        }
    }
    assert_eq!(total, 200);
}

#[test]
fn a_scheduler_runs_its_jobs_from_sqlite() {
    use tempora::clock::ManualClock;
    use tempora::event::EventMask;
    use tempora::scheduler::SchedulerBuilder;
    use tempora::task::Tasks;

    let path = database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(open(&path));
    let tasks = Tasks::new();
    tasks.register("tick", |_: JobContext, _: ()| Ok::<(), String>(()));
    let clock = ManualClock::new(at(T0));
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks)
        .store("default", store)
        .host_driven()
        .unwrap();
    let (sink, executed) = std::sync::mpsc::channel();
    let sink = std::sync::Mutex::new(sink);
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |event| {
            let _ = sink.lock().unwrap().send(event.scheduled_run_time());
        });
    let trigger = IntervalTrigger::builder()
        .minutes(5)
        .start_date(at(T0))
        .timezone("UTC")
        .build()
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("tick", trigger).id("five"))
        .unwrap();
    scheduler.start().unwrap();
    clock.set(at("2026-01-01T00:05:00Z"));
    let wake = scheduler.run_pending(clock.now());
    assert_eq!(wake, Some(at("2026-01-01T00:10:00Z")));
    let ran = executed
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(ran, Some(at("2026-01-01T00:05:00Z")));
    scheduler.shutdown(true).unwrap();
    // The next run time is on disk.
    let reopened = runtime.block_on(open(&path));
    let job = runtime.block_on(reopened.get_job("five")).unwrap().unwrap();
    assert_eq!(job.next_run_time(), Some(at("2026-01-01T00:10:00Z")));
}
