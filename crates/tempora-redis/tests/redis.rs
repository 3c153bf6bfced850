//! What is particular to the Redis store (the store contract itself is
//! proven by the conformance suite, in `conformance.rs`): its keys, its
//! microsecond scores, URLs and passwords, change notices per prefix, a
//! server that goes away and comes back. Against the real server on 127.0.0.1:6379 (override with
//! `TEMPORA_REDIS_URL`); each test owns a random key prefix, so the tests
//! run in parallel; a server that cannot be reached fails them, never
//! skips them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::{open, raw, url};
use tempora::jiff::SignedDuration;
use tempora::job::JobBuilder;
use tempora::store::{ChangeNotice, JobStore, Release};
use tempora::trigger::IntervalTrigger;
use tempora_redis::{LeaseClock, RedisStore};
use tempora_testkit::Capabilities;
use tempora_testkit::jobs::{T0, at, ids, job_at as job, paused};
use tempora_testkit::servers::PrivateRedis;
use tempora_testkit::urls::refused_without_password;

fn random_prefix() -> String {
    format!("tempora-test:{}:", uuid::Uuid::new_v4().simple())
}

/// A store on a fresh prefix, leases on the caller's clock.
async fn store() -> RedisStore {
    open(&random_prefix(), LeaseClock::Caller).await
}

const LEASE: SignedDuration = SignedDuration::from_secs(30);

/// The answer of the test server to `command` with `args`, asked on a
/// plain connection behind the store's back.
async fn ask<T: redis::FromRedisValue>(
    raw: &mut redis::aio::MultiplexedConnection,
    command: &str,
    args: &[&str],
) -> T {
    redis::cmd(command)
        .arg(args)
        .query_async(raw)
        .await
        .unwrap()
}

/// Field `field` of hash `key`.
async fn hget<T: redis::FromRedisValue>(
    raw: &mut redis::aio::MultiplexedConnection,
    key: &str,
    field: &str,
) -> T {
    ask(raw, "HGET", &[key, field]).await
}

#[tokio::test]
async fn keys_hold_what_the_documentation_says() {
    let store = store().await;
    let next = at("2026-01-01T00:00:00.123456Z");
    store.add_job(job("a", next), false).await.unwrap();
    store.add_job(paused("p"), false).await.unwrap();
    store.acquire_due(next, 10, "node-1", LEASE).await.unwrap();
    let mut raw = raw().await;
    let prefix = store.prefix();
    let json: String = hget(&mut raw, &format!("{prefix}jobs"), "a").await;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["next_run_time"], "2026-01-01T00:00:00.123456Z");
    let run_times = format!("{prefix}run_times");
    let scores: Vec<(String, i64)> =
        ask(&mut raw, "ZRANGE", &[&run_times, "0", "-1", "WITHSCORES"]).await;
    assert_eq!(scores, [("a".to_owned(), next.as_microsecond())]);
    let lease: String = hget(&mut raw, &format!("{prefix}leases"), "a").await;
    assert_eq!(lease, format!("node-1|{}", (next + LEASE).as_microsecond()));
    // Scores are microseconds rounded up: a job is never claimed early,
    // not even within its microsecond, and its JSON keeps the exact time.
    let due = at(T0) + SignedDuration::from_nanos(1);
    store.add_job(job("b", due), false).await.unwrap();
    let score: i64 = ask(&mut raw, "ZSCORE", &[&run_times, "b"]).await;
    assert_eq!(score, at(T0).as_microsecond() + 1);
    let early = store.acquire_due(at(T0) + SignedDuration::from_nanos(999), 10, "y", LEASE);
    assert_eq!(early.await.unwrap().len(), 0);
    assert_eq!(
        store.next_run_time().await.unwrap(),
        Some(at(T0) + SignedDuration::from_micros(1))
    );
    let b = store.get_job("b").await.unwrap().unwrap();
    assert_eq!(b.next_run_time(), Some(due));
    store.remove_all_jobs().await.unwrap();
    let keys = ["jobs", "run_times", "leases"].map(|name| format!("{prefix}{name}"));
    let exists: usize = ask(&mut raw, "EXISTS", &keys.each_ref().map(String::as_str)).await;
    assert_eq!(exists, 0, "remove_all_jobs leaves no key of its own");
}

#[tokio::test]
async fn a_bad_url_is_refused_without_its_password() {
    let error = refused_without_password(
        RedisStore::connect("redis://me:hunter2@[bad host/0").await,
        "redis://me:***@[bad host/0",
        "hunter2",
    );
    assert!(error.is_invalid_input(), "{error}");
    assert_eq!(error.field(), Some("url"));

    let error = RedisStore::connect("http://127.0.0.1/0").await.unwrap_err();
    assert!(error.is_invalid_input(), "{error}");
    // TLS is not built in: refused at once rather than failing later.
    let error = RedisStore::connect("rediss://127.0.0.1/0")
        .await
        .unwrap_err();
    assert!(error.is_invalid_input(), "{error}");
}

#[tokio::test]
async fn an_unreachable_server_or_a_refused_login_names_the_url_without_its_password() {
    // Nothing listens on port 1.
    let unreachable = RedisStore::builder("redis://:hunter2@127.0.0.1:1/0")
        .connection_timeout(Duration::from_millis(500))
        .connect()
        .await;
    let error = refused_without_password(unreachable, "redis://:***@127.0.0.1:1/0", "hunter2");
    assert!(error.is_store(), "{error}");

    // The test server has no password: a login with one is refused.
    let refused = url().replacen("redis://", "redis://someone:hunter2@", 1);
    let error = refused_without_password(
        RedisStore::connect(refused).await,
        "someone:***@",
        "hunter2",
    );
    assert!(error.is_store(), "{error}");
}

#[tokio::test]
async fn names_prefix_and_url_are_shown() {
    let prefix = random_prefix();
    let store = RedisStore::builder(url())
        .prefix(&prefix)
        .name("main")
        .connect()
        .await
        .unwrap();
    assert_eq!(store.backend(), "redis");
    assert!(!store.locality().is_process());
    assert_eq!(store.name(), "main");
    assert_eq!(store.prefix(), prefix);
    assert_eq!(store.url(), url());
    assert!(format!("{store:?}").contains(&prefix));
    let restored = {
        store.add_job(job("a", at(T0)), true).await.unwrap();
        store.get_job("a").await.unwrap().unwrap()
    };
    assert_eq!(restored.store(), "main");
    store.remove_all_jobs().await.unwrap();
}

/// A store on `server`, leases on the caller's clock, giving up on a
/// server that is down within seconds.
async fn short_timeouts(server: &PrivateRedis) -> RedisStore {
    RedisStore::builder(server.url())
        .lease_clock(LeaseClock::Caller)
        .response_timeout(Duration::from_secs(2))
        .connection_timeout(Duration::from_millis(500))
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_store_fails_clearly_while_the_server_is_down_and_recovers_when_it_returns() {
    let mut server = PrivateRedis::start_append_only();
    let store = short_timeouts(&server).await;
    store.add_job(job("a", at(T0)), false).await.unwrap();

    server.kill();
    let error = store.list_jobs().await.unwrap_err();
    assert!(error.is_store(), "{error}");
    assert!(error.to_string().contains(&server.url()), "{error}");
    let error = store.acquire_due(at(T0), 10, "x", LEASE).await.unwrap_err();
    assert!(error.is_store(), "{error}");

    server.start_again();
    // The same store reconnects by itself; nothing was lost.
    let mut listed = None;
    for _ in 0..50 {
        match store.list_jobs().await {
            Ok(jobs) => {
                listed = Some(jobs);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let listed = listed.expect("the store did not recover after the server returned");
    assert_eq!(ids(&listed), ["a"]);
    assert_eq!(
        ids(&store.acquire_due(at(T0), 10, "x", LEASE).await.unwrap()),
        ["a"]
    );
}

/// Keeps every log line of the test binary (`LEVEL field=value ...`), for
/// the test that reads what the scheduler said.
struct LogLines(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl tracing::Subscriber for LogLines {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
        }
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduler_keeps_running_while_the_server_is_down_and_its_job_runs_again_after() {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(LogLines(std::sync::Arc::clone(&lines))).unwrap();
    let said = |text: &str| -> Vec<String> {
        let lines = lines.lock().unwrap();
        lines
            .iter()
            .filter(|line| line.contains(text))
            .cloned()
            .collect()
    };

    use tempora::event::EventMask;
    use tempora::history::{RunQuery, RunStatus};
    use tempora::scheduler::SchedulerBuilder;
    use tempora::task::{JobContext, Tasks};

    /// How long the test waits for an outcome before it fails.
    const PATIENCE: Duration = Duration::from_secs(20);

    let mut server = PrivateRedis::start_append_only();
    let store = RedisStore::builder(server.url())
        .response_timeout(Duration::from_secs(1))
        .connection_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let tasks = Tasks::new();
    tasks.register("beat", |_: JobContext, (): ()| Ok::<_, String>("beat"));
    let scheduler = SchedulerBuilder::new()
        .tasks(tasks)
        .node_id("survivor")
        .store("default", store)
        .store_poll_interval(SignedDuration::from_millis(200))
        .asynchronous()
        .unwrap();
    let every_second = IntervalTrigger::builder()
        .seconds(1)
        .timezone("UTC")
        .build()
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("beat", every_second).id("beat"))
        .await
        .unwrap();
    let mut executed = scheduler.listeners().subscribe(EventMask::JOB_EXECUTED);
    scheduler.start().await.unwrap();
    async fn next(executed: &mut tempora::event::EventStream) -> tempora::event::Event {
        tokio::time::timeout(PATIENCE, executed.recv())
            .await
            .expect("the job did not run in time")
            .expect("the scheduler is gone")
    }
    let first = next(&mut executed).await;

    server.kill();
    // The loop meets the dead server: claims fail, it retries with backoff.
    let deadline = std::time::Instant::now() + PATIENCE;
    while scheduler.list_jobs(None).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never went away"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let it fail for a while (several retries), then bring the server back.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        scheduler.state(),
        tempora::scheduler::SchedulerState::Running
    );
    // Nothing can run while the server is down: what ran before is taken.
    let mut last_before = first.scheduled_run_time();
    while let Some(event) = executed.try_recv() {
        last_before = last_before.max(event.scheduled_run_time());
    }
    server.start_again();

    // The job runs again, for a fire time after the last one before.
    let after = next(&mut executed).await;
    assert!(
        after.scheduled_run_time() > last_before,
        "{after:?} ran before {last_before:?}"
    );
    let jobs = scheduler.list_jobs(None).await.unwrap();
    assert_eq!(ids(&jobs), ["beat"]);
    // The log named the store and the retry, and said once that it is back.
    let failed = said("store \"default\": cannot process due jobs, retrying in ");
    assert!(!failed.is_empty(), "{:#?}", lines.lock().unwrap());
    assert!(
        failed.iter().all(|line| line.starts_with("ERROR")),
        "{failed:#?}"
    );
    let deadline = std::time::Instant::now() + PATIENCE;
    while said("store \"default\" answers again").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "{:#?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The next beats do not say it again.
    next(&mut executed).await;
    let back = said("store \"default\" answers again");
    assert_eq!(back.len(), 1, "{back:#?}");
    assert!(back[0].starts_with("INFO"), "{back:#?}");
    let runs = scheduler
        .list_runs(&RunQuery::new().job("beat"))
        .await
        .unwrap();
    assert!(
        runs.iter().any(|run| run.status == RunStatus::Success),
        "{runs:#?}"
    );
    scheduler.shutdown(true).await.unwrap();
}

/// How long a test waits for a change notice before it fails.
const NOTICE_PATIENCE: Duration = Duration::from_secs(5);

/// `n` minutes after [`T0`].
fn minutes(n: i64) -> tempora::jiff::Timestamp {
    at(T0) + SignedDuration::from_mins(n)
}

async fn next_notice(feed: &mut tempora::store::ChangeFeed) -> ChangeNotice {
    tokio::time::timeout(NOTICE_PATIENCE, feed.next())
        .await
        .expect("no change notice arrived in time")
        .expect("the store stopped listening")
}

#[tokio::test]
async fn a_job_added_through_one_instance_is_noticed_by_another() {
    let prefix = random_prefix();
    let adder = open(&prefix, LeaseClock::Caller).await;
    let watcher = open(&prefix, LeaseClock::Caller).await;
    let mut feed = watcher
        .changes()
        .expect("the redis store sends change notices")
        .watch()
        .await
        .unwrap();
    let first = minutes(5);
    adder.add_job(job("a", first), false).await.unwrap();
    assert_eq!(next_notice(&mut feed).await, ChangeNotice::RunsAt(first));
    // A store on another prefix is not heard.
    let other = store().await;
    other.add_job(job("a", at(T0)), false).await.unwrap();
    adder.add_job(job("b", minutes(3)), false).await.unwrap();
    assert_eq!(
        next_notice(&mut feed).await,
        ChangeNotice::RunsAt(minutes(3))
    );
    adder.remove_all_jobs().await.unwrap();
    other.remove_all_jobs().await.unwrap();
}

#[tokio::test]
async fn the_feed_reconnects_after_the_server_returns_and_says_notices_may_be_lost() {
    let mut server = PrivateRedis::start_append_only();
    let store = short_timeouts(&server).await;
    let mut feed = store.changes().unwrap().watch().await.unwrap();
    server.kill();
    server.start_again();
    // Reconnected: a notice without a time, since some may have been lost.
    assert_eq!(next_notice(&mut feed).await, ChangeNotice::Unknown);
    let mut added = false;
    for _ in 0..50 {
        if store.add_job(job("a", at(T0)), true).await.is_ok() {
            added = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(added, "the store did not recover after the server returned");
    assert_eq!(next_notice(&mut feed).await, ChangeNotice::RunsAt(at(T0)));
}

#[tokio::test]
async fn previous_fire_times_and_node_records_are_kept_beside_the_jobs() {
    use tempora::store::{NodeRecord, Settlement};

    let store = store().await;
    store.add_job(job("a", at(T0)), false).await.unwrap();
    let claimed = store
        .acquire_due(at(T0), 10, "node-1", LEASE)
        .await
        .unwrap();
    let taken = at("2026-01-01T00:00:00.000000001Z");
    let outcome = store
        .settle(
            "node-1",
            &[Settlement::new(
                claimed[0].clone(),
                Some(taken),
                Release::Reschedule(at(T0) + SignedDuration::from_mins(1)),
            )],
            at(T0),
        )
        .await
        .unwrap();
    assert!(outcome[0].is_won());
    let mut raw = raw().await;
    let prefix = store.prefix();
    let previous: String = hget(&mut raw, &format!("{prefix}previous"), "a").await;
    // Exact to the nanosecond, and not in the job's JSON.
    assert_eq!(previous, "2026-01-01T00:00:00.000000001Z");
    let json: String = hget(&mut raw, &format!("{prefix}jobs"), "a").await;
    assert!(!json.contains("previous"), "{json}");
    assert_eq!(
        store
            .get_job("a")
            .await
            .unwrap()
            .unwrap()
            .previous_fire_time(),
        Some(taken)
    );

    let node = NodeRecord::new("node-1", "host", 7, "instance", at(T0));
    store.node_registry().heartbeat(&node).await.unwrap();
    let record: String = hget(&mut raw, &format!("{prefix}nodes"), "node-1").await;
    let value: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(value["instance"], "instance");
    assert_eq!(value["last_heartbeat"], at(T0).as_microsecond());

    // Removing the job removes its previous fire time.
    store.remove_job("a").await.unwrap();
    let exists: usize = ask(&mut raw, "EXISTS", &[&format!("{prefix}previous")]).await;
    assert_eq!(exists, 0);
    store
        .node_registry()
        .remove_node("node-1", "instance")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_run_once_on_two_schedulers() {
    tempora_testkit::cluster::retries_run_once_on_two_nodes(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn notices_are_sent_once_by_three_schedulers() {
    tempora_testkit::notify::notices_are_sent_once_by_three_nodes(store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_pending_when_its_node_stops_is_run_by_another() {
    tempora_testkit::cluster::a_pending_retry_outlives_its_node(store().await).await;
}
