//! See the catalogue in `main.rs`: a node whose clock is off by seconds
//! neither takes another node's live run as interrupted nor undercounts it
//! for `max_instances`, because running records' promises are kept and
//! compared on the database's clock; and a sweep whose write meets a
//! renewal committed after its read leaves the renewed run alone.
//!
//! Two in-process schedulers share tables of their own on the shared
//! PostgreSQL server, each on a clock of the test's (the system clock plus
//! an offset). The job runs 20 s under `max_instances = 1` and
//! `on_interrupted = "retry"`; its executions are counted inside the task,
//! per fire time, with how many run at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempora::clock::{Clock, Sleep, SystemClock};
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::{SignedDuration, Timestamp};
use tempora::job::{JobBuilder, OnInterrupted};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::IntervalTrigger;
use tempora_sql::{MySqlStore, PostgresStore, SqlOptions};
use tempora_testkit::Capabilities;
use tempora_testkit::unique_prefix;

fn postgres_url() -> String {
    std::env::var("TEMPORA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn mysql_url() -> String {
    std::env::var("TEMPORA_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

/// The system clock moved by `offset`: a node whose clock is off.
#[derive(Clone, Copy)]
pub(crate) struct SkewedClock {
    pub(crate) offset: SignedDuration,
}

impl Clock for SkewedClock {
    fn now(&self) -> Timestamp {
        SystemClock.now() + self.offset
    }

    fn sleep_until(&self, deadline: Timestamp) -> Sleep {
        SystemClock.sleep_until(deadline - self.offset)
    }
}

/// What the task saw: executions per fire time, and the most at once.
#[derive(Default)]
struct Seen {
    per_fire_time: Mutex<HashMap<Timestamp, u32>>,
    /// (node, fire time) of each execution, in start order.
    starts: Mutex<Vec<(String, Timestamp)>>,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    finished: AtomicUsize,
}

/// The task `long`: counts itself, then runs 20 s.
fn tasks(seen: &Arc<Seen>, node: &str) -> Tasks {
    let tasks = Tasks::new();
    let seen = Arc::clone(seen);
    let node = node.to_owned();
    tasks.register_async("long", move |context: JobContext, _: ()| {
        let seen = Arc::clone(&seen);
        let node = node.clone();
        async move {
            let fire_time = context.scheduled_run_time().unwrap();
            *seen
                .per_fire_time
                .lock()
                .unwrap()
                .entry(fire_time)
                .or_default() += 1;
            seen.starts.lock().unwrap().push((node, fire_time));
            let now = seen.running.fetch_add(1, Ordering::SeqCst) + 1;
            seen.most_at_once.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(20)).await;
            seen.running.fetch_sub(1, Ordering::SeqCst);
            seen.finished.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    });
    tasks
}

pub(crate) async fn postgres(prefix: &str) -> PostgresStore {
    PostgresStore::connect(&postgres_url(), &SqlOptions::new().prefix(prefix))
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL must run for this test: {error}"))
}

async fn node(id: &str, offset: i64, seen: &Arc<Seen>, prefix: &str) -> AsyncScheduler {
    let scheduler = SchedulerBuilder::new()
        .timezone("UTC")
        .clock(SkewedClock {
            offset: SignedDuration::from_secs(offset),
        })
        .tasks(tasks(seen, id))
        .node_id(id)
        .shutdown_timeout(SignedDuration::from_secs(1))
        .store("default", postgres(prefix).await)
        .asynchronous()
        .unwrap();
    scheduler.start().await.unwrap();
    scheduler
}

/// Node "a" (clock off by `runner` seconds) runs the 20 s job; node "b"
/// (off by `joiner`) starts while it runs. Every fire time runs once at
/// most, never two at once; the run of "a" ends a success, not
/// interrupted, and nothing is recorded interrupted.
async fn a_skewed_node_leaves_a_live_run_alone(runner: i64, joiner: i64) {
    let prefix = unique_prefix("faults_clock");
    let seen = Arc::new(Seen::default());
    let a = node("a", runner, &seen, &prefix).await;
    let start = SkewedClock {
        offset: SignedDuration::from_secs(runner),
    }
    .now()
        + SignedDuration::from_secs(1);
    let trigger = IntervalTrigger::builder()
        .seconds(3)
        .start_date(start)
        .timezone("UTC")
        .build()
        .unwrap();
    a.add_job(
        JobBuilder::new("long", trigger)
            .id("long")
            .max_instances(1)
            .coalesce(true)
            .on_interrupted(OnInterrupted::Retry),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while seen.starts.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the job never started on node a");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = seen.starts.lock().unwrap()[0].clone();
    assert_eq!(first.0, "a");
    let b = node("b", joiner, &seen, &prefix).await;
    // Until the first run ended, and two more seconds in which a second
    // one could have started.
    let deadline = Instant::now() + Duration::from_secs(40);
    while seen.finished.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the first run never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let history = a.list_runs(&RunQuery::new().job("long")).await.unwrap();
    b.shutdown(false).await.unwrap();
    a.shutdown(false).await.unwrap();

    let starts = seen.starts.lock().unwrap().clone();
    let twice: Vec<(Timestamp, u32)> = seen
        .per_fire_time
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(time, count)| (*time, *count))
        .collect();
    assert!(
        twice.is_empty(),
        "fire times run twice: {twice:?} ({starts:?})"
    );
    assert_eq!(
        seen.most_at_once.load(Ordering::SeqCst),
        1,
        "two runs at once under max_instances = 1: {starts:?}"
    );
    let interrupted: Vec<&RunRecord> = history
        .iter()
        .filter(|run| run.status == RunStatus::Interrupted)
        .collect();
    assert!(
        interrupted.is_empty(),
        "a live run was taken as interrupted: {interrupted:?}"
    );
    let first_record = history
        .iter()
        .find(|run| run.scheduled_time == first.1 && run.node == "a")
        .unwrap_or_else(|| panic!("no record of the first run: {history:?}"));
    assert_eq!(first_record.status, RunStatus::Success, "{first_record:?}");
    let store = postgres(&prefix).await;
    store.drop_tables().await.unwrap();
    store.close().await;
}

/// A node whose clock is 8 s ahead, started while another runs a 20 s
/// job under `max_instances = 1`: it neither interrupts that run nor runs
/// its fire time again, and never starts a second run beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_8s_ahead_never_interrupts_or_doubles_a_live_run() {
    a_skewed_node_leaves_a_live_run_alone(0, 8).await;
}

/// A node whose clock is 8 s behind runs the 20 s job; one with the right
/// clock starts meanwhile: the lagging node's promises are not taken as
/// broken, and its run is counted for `max_instances`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_8s_behind_keeps_its_live_run_counted() {
    a_skewed_node_leaves_a_live_run_alone(-8, 0).await;
}

/// A running record of node "n" whose promise has passed (on either
/// clock), for `sweep_meets_a_renewal`.
fn expired_run() -> RunRecord {
    // Whole seconds: stores keep microseconds.
    let now = Timestamp::from_second(SystemClock.now().as_second()).unwrap();
    RunRecord::running("race", now, "n", now, now)
}

/// The sweep/renewal race, made deterministic: another connection renews
/// the expired record in an open transaction (the row locked, the new
/// promise not yet committed); the sweep reads the record as expired and
/// its write waits on the lock; the renewal commits; the sweep's write
/// re-checks the promise and leaves the run alone. `renew_sql` renews the
/// record on the database's clock; `waiting_sql` counts the sweep's
/// statements waiting on a lock.
async fn sweep_meets_a_renewal<D: sqlx::Database>(
    store: Arc<dyn JobStore>,
    pool: sqlx::Pool<D>,
    renew_sql: String,
    waiting_sql: String,
) where
    for<'c> &'c mut D::Connection: sqlx::Executor<'c, Database = D>,
    for<'c> &'c sqlx::Pool<D>: sqlx::Executor<'c, Database = D>,
    for<'q> <D as sqlx::Database>::Arguments: sqlx::IntoArguments<D>,
    i64: sqlx::Type<D> + for<'r> sqlx::Decode<'r, D>,
    usize: sqlx::ColumnIndex<D::Row>,
{
    use sqlx::Row;

    // Without a renewal, the sweep takes the expired record.
    let run = expired_run();
    store.run_history().record_run(&run).await.unwrap();
    let swept = store
        .run_history()
        .interrupt_runs(SystemClock.now(), None)
        .await
        .unwrap();
    assert_eq!(swept.len(), 1, "an expired record is swept: {swept:?}");

    let run = RunRecord::running(
        "race",
        run.scheduled_time + SignedDuration::from_secs(1),
        "n",
        run.started.unwrap(),
        run.started.unwrap(),
    );
    store.run_history().record_run(&run).await.unwrap();
    let mut renewal = pool.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(renew_sql))
        .execute(&mut *renewal)
        .await
        .unwrap();
    let sweeper = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .run_history()
                .interrupt_runs(SystemClock.now(), None)
                .await
        })
    };
    // The sweep has read the record as expired and waits on its row.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = sqlx::query(sqlx::AssertSqlSafe(waiting_sql.clone()))
            .fetch_one(&pool)
            .await
            .unwrap();
        let waiting: i64 = row.try_get(0).unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sweep never waited on the locked record"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Well into its wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    renewal.commit().await.unwrap();
    let swept = sweeper.await.unwrap().unwrap();
    assert!(
        swept.is_empty(),
        "a run renewed between the sweep's read and its write was taken as interrupted: {swept:?}"
    );
    let stored = store
        .run_history()
        .list_runs(&RunQuery::new().job("race"))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.scheduled_time == run.scheduled_time)
        .unwrap();
    assert_eq!(stored.status, RunStatus::Running, "{stored:?}");
    assert!(
        stored.alive_until.unwrap() > SystemClock.now() + SignedDuration::from_secs(500),
        "the renewal stands: {stored:?}"
    );
}

/// PostgreSQL: a renewal committed between the sweep's read and its
/// write wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_sweep_leaves_a_run_renewed_under_its_feet() {
    let prefix = unique_prefix("faults_race");
    let store = postgres(&prefix).await;
    let runs = store.tables().1.to_owned();
    let pool = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
    let renew = format!(
        "UPDATE {runs} SET alive_until = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) + 600000000
         WHERE node = 'n' AND status = 'running'"
    );
    let waiting = format!(
        "SELECT COUNT(*) FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE {runs} SET status%'"
    );
    let shared: Arc<dyn JobStore> = Arc::new(store.clone());
    sweep_meets_a_renewal(shared, pool.clone(), renew, waiting).await;
    pool.close().await;
    store.drop_tables().await.unwrap();
    store.close().await;
}

/// MySQL/MariaDB: a renewal committed between the sweep's read and its
/// write wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_sweep_leaves_a_run_renewed_under_its_feet() {
    let prefix = unique_prefix("faults_race");
    let store = MySqlStore::connect(&mysql_url(), &SqlOptions::new().prefix(&prefix))
        .await
        .unwrap_or_else(|error| panic!("MariaDB must run for this test: {error}"));
    let runs = store.tables().1.to_owned();
    let pool = sqlx::MySqlPool::connect(&mysql_url()).await.unwrap();
    let renew = format!(
        "UPDATE {runs} SET alive_until = CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED) + 600000000
         WHERE node = 'n' AND status = 'running'"
    );
    let waiting = format!(
        "SELECT COUNT(*) FROM information_schema.processlist
         WHERE state = 'Updating' AND info LIKE 'UPDATE {runs} SET status%'"
    );
    let shared: Arc<dyn JobStore> = Arc::new(store.clone());
    sweep_meets_a_renewal(shared, pool.clone(), renew, waiting).await;
    pool.close().await;
    store.drop_tables().await.unwrap();
    store.close().await;
}
