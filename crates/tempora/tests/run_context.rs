//! What a run knows of itself through its [`JobContext`]: its job, its
//! logical time, its attempt, its node and an id of its own.
//!
//! On a [`ManualClock`] and the memory store. Runs happen on executor
//! threads, so the tests wait for what a task sends, with a bounded
//! patience; nothing sleeps for time to pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn every_minute() -> IntervalTrigger {
    IntervalTrigger::builder()
        .minutes(1)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap()
}

/// What a task saw of its context.
#[derive(Debug)]
struct Seen {
    job_id: String,
    scheduled_time: Timestamp,
    attempt: u32,
    node: String,
    run_id: String,
}

/// A host-driven scheduler of node `node-a` on a manual clock at `t0`
/// whose task `look` sends what it sees of its context.
fn scheduler(clock: &ManualClock) -> (HostScheduler, Receiver<Seen>) {
    let (sink, seen) = mpsc::channel();
    let sink = std::sync::Mutex::new(sink);
    let tasks = Tasks::new();
    tasks.register("look", move |context: JobContext, _: ()| {
        let seen = Seen {
            job_id: context.job_id().to_owned(),
            scheduled_time: context.scheduled_time(),
            attempt: context.attempt(),
            node: context.node().to_owned(),
            run_id: context.run_id().to_owned(),
        };
        sink.lock().unwrap().send(seen).map_err(|e| e.to_string())
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .host_driven()
        .unwrap();
    (scheduler, seen)
}

#[test]
fn each_run_sees_its_job_logical_time_first_attempt_node_and_an_id_of_its_own() {
    let clock = ManualClock::new(t0());
    let (scheduler, seen) = scheduler(&clock);
    scheduler
        // Two instances: the second tick may come before the first run has
        // freed its instance (the task reports before it returns).
        .add_job(
            JobBuilder::new("look", every_minute())
                .id("sync")
                .max_instances(2),
        )
        .unwrap();
    scheduler.start().unwrap();

    scheduler.run_pending(t0());
    let first = seen.recv_timeout(PATIENCE).unwrap();
    // Late by 20 seconds: the logical time is still the fire time.
    let next = t0() + SignedDuration::from_mins(1);
    clock.set(next + SignedDuration::from_secs(20));
    scheduler.run_pending(clock.now());
    let second = seen.recv_timeout(PATIENCE).unwrap();

    assert_eq!(first.job_id, "sync");
    assert_eq!(first.scheduled_time, t0());
    assert_eq!(second.scheduled_time, next);
    assert_eq!((first.attempt, second.attempt), (1, 1));
    assert_eq!(
        (first.node.as_str(), second.node.as_str()),
        ("node-a", "node-a")
    );
    for run_id in [&first.run_id, &second.run_id] {
        assert_eq!(run_id.len(), 32, "{run_id}");
        assert!(run_id.chars().all(|c| c.is_ascii_hexdigit()), "{run_id}");
    }
    assert_ne!(first.run_id, second.run_id);
}

#[test]
fn a_context_for_a_test_is_a_first_attempt_that_nothing_cancels() {
    let context = JobContext::new("sync", vec![t0()]);
    assert_eq!(context.scheduled_time(), t0());
    assert_eq!(context.attempt(), 1);
    assert_eq!(context.node(), "");
    assert!(!context.is_cancelled());
    assert!(!context.is_timed_out());
}
