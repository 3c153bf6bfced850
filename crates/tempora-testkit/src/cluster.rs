//! Retries across schedulers sharing a store: two schedulers (nodes
//! `node-a` and `node-b`) on one database, on the real clock, checked
//! from what actually ran (a count inside the task) and from the history.
//!
//! A backend's tests call each with a store of their own (a fresh prefix);
//! the schedulers get clones of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempora::clock::{Clock, SystemClock};
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, Retry};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;

/// How long a check waits for the schedulers before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// The fire times task `fail` was called for, in order.
type Calls = Arc<Mutex<Vec<Timestamp>>>;

/// Node `node` on `store`, with task `fail` (always the error `down`)
/// counting its calls in `calls`.
fn node<S: JobStore + Clone>(store: &S, node: &str, calls: &Calls) -> AsyncScheduler {
    let tasks = Tasks::new();
    let seen = Arc::clone(calls);
    tasks.register("fail", move |ctx: JobContext, _: ()| {
        if let (Ok(mut seen), Some(time)) = (seen.lock(), ctx.scheduled_run_time()) {
            seen.push(time);
        }
        Err::<(), _>("down")
    });
    match SchedulerBuilder::new()
        .timezone("UTC")
        .node_id(node)
        .tasks(tasks)
        .store_poll_interval(SignedDuration::from_millis(200))
        .store("default", store.clone())
        .asynchronous()
    {
        Ok(scheduler) => scheduler,
        Err(error) => panic!("scheduler {node}: {error}"),
    }
}

/// The history of job `id` once `done` holds of it.
async fn history_when<S: JobStore>(
    store: &S,
    id: &str,
    done: impl Fn(&[RunRecord]) -> bool,
) -> Vec<RunRecord> {
    let history = match store.history() {
        Some(history) => history,
        None => panic!("the store keeps no history"),
    };
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let runs = match history.list_runs(&RunQuery::new().job(id)).await {
            Ok(runs) => runs,
            Err(error) => panic!("list the runs of {id}: {error}"),
        };
        if done(&runs) {
            return runs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the history of {id} never got there: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The pending runs `store` holds.
async fn pending<S: JobStore>(store: &S) -> usize {
    match store.list_jobs().await {
        Ok(jobs) => jobs.iter().filter(|job| job.run_of().is_some()).count(),
        Err(error) => panic!("list the jobs: {error}"),
    }
}

fn start_error(error: tempora::Error) -> ! {
    panic!("start a scheduler: {error}")
}

/// A job that always fails, retried 3 times (4 attempts) 1 s apart, on two
/// schedulers sharing the store: each attempt runs exactly once — four
/// calls of the task, four records (attempts 4, 3, 2, 1) of one fire time
/// — and no pending run is left.
///
/// # Panics
///
/// When an attempt runs twice or never.
pub async fn retries_run_once_on_two_nodes<S: JobStore + Clone>(store: S) {
    let calls = Calls::default();
    let a = node(&store, "node-a", &calls);
    let b = node(&store, "node-b", &calls);
    for scheduler in [&a, &b] {
        scheduler.start().await.unwrap_or_else(|e| start_error(e));
    }
    let due = SystemClock.now() + SignedDuration::from_secs(1);
    let added = a
        .add_job(
            JobBuilder::new("fail", DateTrigger::new(due))
                .id("flaky")
                .retry(Retry::attempts(4).delay(SignedDuration::from_secs(1))),
        )
        .await;
    if let Err(error) = added {
        panic!("add the job: {error}");
    }
    let runs = history_when(&store, "flaky", |runs| {
        runs.len() >= 4 && runs.iter().all(|run| run.status.is_finished())
    })
    .await;
    // Time for a doubled attempt to show, had there been one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let runs_after = history_when(&store, "flaky", |_| true).await;
    assert_eq!(runs_after.len(), 4, "{runs_after:#?}");
    let attempts: Vec<(Timestamp, u32, RunStatus)> = runs
        .iter()
        .map(|run| (run.scheduled_time, run.attempt, run.status))
        .collect();
    let scheduled = runs[0].scheduled_time;
    assert_eq!(
        attempts,
        [4, 3, 2, 1].map(|attempt| (scheduled, attempt, RunStatus::Error)),
        "each attempt once, all of one fire time"
    );
    let called = calls.lock().map(|calls| calls.clone()).unwrap_or_default();
    assert_eq!(called, [scheduled; 4], "the task ran four times in all");
    assert_eq!(pending(&store).await, 0, "no retry is left");
    for scheduler in [a, b] {
        if let Err(error) = scheduler.shutdown(true).await {
            panic!("shut down: {error}");
        }
    }
}

/// A retry stored by `node-a`, which then stops before it is due, is run
/// by `node-b` started afterwards: attempt 2 is recorded by `node-b`.
///
/// # Panics
///
/// When the retry is lost or runs twice.
pub async fn a_pending_retry_outlives_its_node<S: JobStore + Clone>(store: S) {
    let calls = Calls::default();
    let a = node(&store, "node-a", &calls);
    a.start().await.unwrap_or_else(|e| start_error(e));
    let due = SystemClock.now() + SignedDuration::from_millis(500);
    let added = a
        .add_job(
            JobBuilder::new("fail", DateTrigger::new(due))
                .id("orphan")
                .retry(Retry::attempts(2).delay(SignedDuration::from_secs(3))),
        )
        .await;
    if let Err(error) = added {
        panic!("add the job: {error}");
    }
    history_when(&store, "orphan", |runs| {
        runs.len() == 1 && runs[0].status.is_finished()
    })
    .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while pending(&store).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no retry stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Err(error) = a.shutdown(true).await {
        panic!("shut down node-a: {error}");
    }
    let b = node(&store, "node-b", &calls);
    b.start().await.unwrap_or_else(|e| start_error(e));
    let runs = history_when(&store, "orphan", |runs| {
        runs.len() == 2 && runs.iter().all(|run| run.status.is_finished())
    })
    .await;
    let by: Vec<(u32, &str)> = runs
        .iter()
        .map(|run| (run.attempt, run.node.as_str()))
        .collect();
    assert_eq!(by, [(2, "node-b"), (1, "node-a")]);
    assert_eq!(runs[0].scheduled_time, runs[1].scheduled_time);
    assert_eq!(calls.lock().map(|calls| calls.len()).unwrap_or(0), 2);
    assert_eq!(pending(&store).await, 0);
    if let Err(error) = b.shutdown(true).await {
        panic!("shut down node-b: {error}");
    }
}
