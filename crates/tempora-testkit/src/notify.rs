//! Notices across nodes: three schedulers share one store, and each
//! notice is sent once — counted by a real webhook receiver on loopback
//! ([`Receiver`]) and in the history, where each delivery is the one run
//! of its notice job.
//!
//! A backend's tests call [`notices_are_sent_once_by_three_nodes`] with a
//! store of their own (a fresh prefix); the schedulers get clones of it.
//! It runs on the real clock: the retry and the stale check wait out a
//! second or two.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempora::clock::{Clock, SystemClock};
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::jiff::SignedDuration;
use tempora::job::{JobBuilder, Retry};
use tempora::notify::{NoticeKind, Notify, notice_id, stale_check_id};
use tempora::scheduler::{AsyncScheduler, SchedulerBuilder};
use tempora::store::JobStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;

/// How long the test waits for the schedulers, in real time; never
/// waited out when all is well.
const PATIENCE: Duration = Duration::from_secs(60);

/// One request a [`Receiver`] got: its headers and its body as JSON.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request's headers, by lowercase name.
    pub headers: Vec<(String, String)>,
    /// The body, parsed.
    pub body: serde_json::Value,
}

/// A webhook receiver: an HTTP server on 127.0.0.1 (axum) that records
/// each request and answers 200.
#[derive(Clone)]
pub struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    /// Where to POST: `http://127.0.0.1:PORT/hook`.
    pub url: String,
}

impl Receiver {
    /// A receiver on a free port, served on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// When no port can be bound.
    pub async fn start() -> Receiver {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("bind a port for the webhook receiver: {error}"),
        };
        let url = match listener.local_addr() {
            Ok(address) => format!("http://{address}/hook"),
            Err(error) => panic!("the receiver's address: {error}"),
        };
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = Arc::clone(&received);
        let app = axum::Router::new().fallback(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let record = Arc::clone(&record);
                async move {
                    let headers = headers
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.as_str().to_owned(),
                                value.to_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    let body = serde_json::from_slice(&body).unwrap_or_default();
                    if let Ok(mut received) = record.lock() {
                        received.push(Received { headers, body });
                    }
                    "ok"
                }
            },
        );
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                panic!("the webhook receiver stopped: {error}");
            }
        });
        Receiver { received, url }
    }

    /// The requests so far.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .map(|received| received.clone())
            .unwrap_or_default()
    }

    /// The bodies received of notices of `kind`.
    pub fn notices(&self, kind: NoticeKind) -> Vec<serde_json::Value> {
        self.received()
            .into_iter()
            .map(|request| request.body)
            .filter(|body| body["kind"] == kind.as_str())
            .collect()
    }

    /// Waits, in real time, until `done` holds of the requests.
    ///
    /// # Panics
    ///
    /// When it does not within a minute.
    pub async fn until(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "not within {PATIENCE:?}: {what}; received {:#?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Node `node` on `store`, with task `fail` (always the error `down`).
fn node<S: JobStore + Clone>(store: &S, node: &str) -> AsyncScheduler {
    let tasks = Tasks::new();
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("down"));
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

/// The history of job `id` in `store`.
async fn history<S: JobStore>(store: &S, id: &str) -> Vec<RunRecord> {
    let Some(history) = store.history() else {
        panic!("the store keeps no history");
    };
    match history.list_runs(&RunQuery::new().job(id)).await {
        Ok(runs) => runs,
        Err(error) => panic!("list the runs of {id}: {error}"),
    }
}

/// Three schedulers share `store`. Job `boom` fails twice (one retry) and
/// job `quiet` never succeeds within its `expect_success_within` of 2 s:
/// the webhook receives exactly one `failure` notice (of attempt 2) and
/// exactly one `stale` notice, still one each after more time passes, and
/// each delivery is one successful run of its notice job in the history.
///
/// # Panics
///
/// When a notice is sent twice or never, or the history disagrees.
pub async fn notices_are_sent_once_by_three_nodes<S: JobStore + Clone>(store: S) {
    let hook = Receiver::start().await;
    let nodes = [
        node(&store, "node-a"),
        node(&store, "node-b"),
        node(&store, "node-c"),
    ];
    for scheduler in &nodes {
        if let Err(error) = scheduler.start().await {
            panic!("start a scheduler: {error}");
        }
    }
    let due = SystemClock.now() + SignedDuration::from_secs(1);
    let failing = JobBuilder::new("fail", DateTrigger::new(due))
        .id("boom")
        .retry(Retry::attempts(2).delay(SignedDuration::from_millis(500)))
        .notify(Notify::new().webhook(&hook.url).on([NoticeKind::Failure]));
    let quiet = JobBuilder::new(
        "fail",
        DateTrigger::new(due + SignedDuration::from_hours(24 * 365)),
    )
    .id("quiet")
    .expect_success_within(SignedDuration::from_secs(2))
    .notify(
        Notify::new()
            .webhook(&hook.url)
            .on([NoticeKind::Stale, NoticeKind::Recovered]),
    );
    for job in [failing, quiet] {
        if let Err(error) = nodes[0].add_job(job).await {
            panic!("add a job: {error}");
        }
    }
    // Every node adds the stale check too (as daemons sharing a file do):
    // it is kept once.
    for scheduler in &nodes[1..] {
        let again = JobBuilder::new(
            "fail",
            DateTrigger::new(due + SignedDuration::from_hours(24 * 365)),
        )
        .id("quiet")
        .replace_existing(true)
        .expect_success_within(SignedDuration::from_secs(2))
        .notify(
            Notify::new()
                .webhook(&hook.url)
                .on([NoticeKind::Stale, NoticeKind::Recovered]),
        );
        if let Err(error) = scheduler.add_job(again).await {
            panic!("add the job again: {error}");
        }
    }
    hook.until("a failure and a stale notice", |hook| {
        !hook.notices(NoticeKind::Failure).is_empty() && !hook.notices(NoticeKind::Stale).is_empty()
    })
    .await;
    // Time for a doubled notice to show, had there been one.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let failures = hook.notices(NoticeKind::Failure);
    assert_eq!(failures.len(), 1, "one failure notice: {failures:#?}");
    let failure = &failures[0];
    assert_eq!(failure["job"], "boom");
    assert_eq!(failure["attempt"], 2, "told once its retries are spent");
    assert_eq!(failure["error"], "down");
    let stale = hook.notices(NoticeKind::Stale);
    assert_eq!(stale.len(), 1, "one stale notice: {stale:#?}");
    assert_eq!(stale[0]["job"], "quiet");
    assert_eq!(hook.received().len(), 2, "{:#?}", hook.received());

    // Each delivery is one run of its notice job, in the history.
    let Some(scheduled) = failure["scheduled_time"]
        .as_str()
        .and_then(|time| time.parse().ok())
    else {
        panic!("the failure notice has no scheduled time: {failure}");
    };
    let failure_id = notice_id("boom", NoticeKind::Failure, scheduled, 2, "webhook");
    assert_eq!(failure["id"], failure_id.as_str());
    for id in [failure_id, stale_check_id("quiet", "webhook")] {
        let runs = history(&store, &id).await;
        let statuses: Vec<(u32, RunStatus)> =
            runs.iter().map(|run| (run.attempt, run.status)).collect();
        assert_eq!(statuses, [(1, RunStatus::Success)], "delivery of {id}");
    }
    for scheduler in nodes {
        if let Err(error) = scheduler.shutdown(true).await {
            panic!("shut down: {error}");
        }
    }
}
