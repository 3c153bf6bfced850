//! See the catalogue in `main.rs`: a job's stale check comes due by the
//! store's clock, not by the clock of the node that claims it.
//!
//! Two in-process schedulers share tables of their own on the shared
//! PostgreSQL server: node "ahead" on a clock 30 s ahead of the system's,
//! node "on-time" on the system clock. Job `quiet` never runs and expects
//! a success within 3 s; its `stale` notices go to a webhook receiver on
//! loopback. The ahead node sees the check due at once by its own clock,
//! claims it, and must put it off: what arrived at the receiver is
//! compared with the database's clock, read after each look.

use std::time::{Duration, Instant};

use tempora::clock::{Clock, SystemClock};
use tempora::history::{RunQuery, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::JobBuilder;
use tempora::notify::{NoticeKind, Notify, stale_check_id};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;
use tempora_testkit::notify::Receiver;
use tempora_testkit::unique_prefix;

use crate::liveness_by_store_clock::{SkewedClock, postgres};

/// How long the job may go without a success.
const WITHIN: SignedDuration = SignedDuration::from_secs(3);

/// The ahead node's lead over the database's clock: far more than
/// `WITHIN`, so that by its clock the check is due the moment it is armed.
const AHEAD: SignedDuration = SignedDuration::from_secs(30);

async fn node(id: &str, offset: SignedDuration, prefix: &str) -> AsyncScheduler {
    let tasks = Tasks::new();
    tasks.register("never", |_: JobContext, _: ()| Ok::<(), String>(()));
    let scheduler = SchedulerBuilder::new()
        .timezone("UTC")
        .clock(SkewedClock { offset })
        .tasks(tasks)
        .node_id(id)
        .store_poll_interval(SignedDuration::from_millis(200))
        .shutdown_timeout(SignedDuration::from_secs(1))
        .store("default", postgres(prefix).await)
        .asynchronous()
        .unwrap();
    scheduler.start().await.unwrap();
    scheduler
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_ahead_of_the_database_never_sends_stale_before_the_deadline() {
    let prefix = unique_prefix("faults_stale");
    let store = postgres(&prefix).await;
    let hook = Receiver::start().await;
    let ahead = node("ahead", AHEAD, &prefix).await;
    let on_time = node("on-time", SignedDuration::ZERO, &prefix).await;

    // Added through the node that is ahead: the quiet spell starts by the
    // database's clock all the same.
    let before = store.store_now(SystemClock.now()).await.unwrap();
    let never = SystemClock.now() + SignedDuration::from_hours(24 * 365);
    ahead
        .add_job(
            JobBuilder::new("never", DateTrigger::new(never))
                .id("quiet")
                .expect_success_within(WITHIN)
                .notify(Notify::new().webhook(&hook.url).on([NoticeKind::Stale])),
        )
        .await
        .unwrap();
    let after = store.store_now(SystemClock.now()).await.unwrap();
    let earliest = before + WITHIN;

    // Look until the notice arrives: whenever one has arrived, the
    // database's clock, read after the look, has passed the deadline.
    let patience = Instant::now() + Duration::from_secs(60);
    loop {
        let sent = hook.notices(NoticeKind::Stale).len();
        let store_now = store.store_now(SystemClock.now()).await.unwrap();
        if sent > 0 {
            assert!(
                store_now >= earliest,
                "stale was sent by {store_now} on the database's clock, before the \
                 deadline {earliest} (armed at {before} or later, {WITHIN:#} to wait)"
            );
            break;
        }
        assert!(Instant::now() < patience, "no stale notice within a minute");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Time for a doubled notice to show, had there been one.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let notices = hook.notices(NoticeKind::Stale);
    assert_eq!(notices.len(), 1, "one stale notice: {notices:#?}");
    let notice = &notices[0];
    assert_eq!(notice["job"], "quiet");
    let since: Timestamp = notice["no_success_since"]
        .as_str()
        .and_then(|time| time.parse().ok())
        .unwrap_or_else(|| panic!("no no_success_since: {notice}"));
    assert!(
        before <= since && since <= after,
        "the quiet spell starts by the database's clock: {since} is not within \
         [{before}, {after}]"
    );
    let check = stale_check_id("quiet", "webhook");
    let runs = on_time
        .list_runs(&RunQuery::new().job(check.as_str()))
        .await
        .unwrap();
    let statuses: Vec<(u32, RunStatus)> =
        runs.iter().map(|run| (run.attempt, run.status)).collect();
    assert_eq!(
        statuses,
        [(1, RunStatus::Success)],
        "one delivery: {runs:#?}"
    );

    ahead.shutdown(false).await.unwrap();
    on_time.shutdown(false).await.unwrap();
    store.drop_tables().await.unwrap();
    store.close().await;
}
