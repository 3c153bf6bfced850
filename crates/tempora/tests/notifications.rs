//! Notifications on one scheduler: a failed fire time POSTs a signed
//! notice to a webhook (a real HTTP server on loopback, started here,
//! recording what it receives), a 5xx answer or a refused connection is
//! retried with backoff and a 4xx is not, a missed fire time is told, a
//! job quiet past its `expect_success_within` is told stale once however
//! long it stays quiet and recovered at its next success, and a command
//! notifier gets the notice on its standard input. Each delivery is a run
//! of its notice job, recorded in the history.
//!
//! On a [`ManualClock`] and a memory store with history, driven by hand
//! (`run_pending`). Runs happen on executor threads and HTTP requests on
//! the server's, so the tests poll for what they expect with a bounded
//! deadline; nothing sleeps for scheduler time to pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tempora::clock::ManualClock;
use tempora::event::EventMask;
use tempora::history::{RunQuery, RunRecord, RunStatus};
use tempora::job::{Job, JobBuilder, JobChanges, MisfireGraceTime};
use tempora::notify::{NoticeKind, Notify, notice_id, stale_check_id, stale_marker_id};
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::{JobStore, MemoryStore};
use tempora::task::{COMMAND, CommandArgs, JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

const SECRET: &str = "s3cret";

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

fn hours(hours: i64) -> SignedDuration {
    SignedDuration::from_hours(hours)
}

// ---- a webhook receiver ------------------------------------------------------

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
}

/// An HTTP server on 127.0.0.1 recording each request and answering with
/// the statuses it is given, in turn (200 once they are used up).
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    url: String,
}

impl Receiver {
    /// A receiver on a free port.
    fn start() -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Receiver::on(listener)
    }

    /// A receiver on `listener`.
    fn on(listener: std::net::TcpListener) -> Receiver {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let receiver = Receiver {
            url,
            ..Receiver::default()
        };
        let state = receiver.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
                    let state = state.clone();
                    async move {
                        state
                            .received
                            .lock()
                            .unwrap()
                            .push(Received { headers, body });
                        let status = state.answers.lock().unwrap().pop_front().unwrap_or(200);
                        (StatusCode::from_u16(status).unwrap(), "answer")
                    }
                });
                axum::serve(listener, app).await.unwrap();
            });
        });
        receiver
    }

    /// Answers the next requests with `statuses`.
    fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    /// The requests once there are `count`.
    fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{count} request(s) expected; got {received:#?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// The signature a receiver expects, computed here from the secret, the
/// timestamp header and the raw body.
fn expected_signature(timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

// ---- a scheduler -------------------------------------------------------------

/// A scheduler on a manual clock at `t0` over a memory store with history,
/// with tasks `fail` (the error `boom`), and `maybe` (succeeds once
/// `succeed` is set).
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    store: Arc<MemoryStore>,
    succeed: Arc<AtomicBool>,
    /// How many runs of each job ended (told once its instance is free).
    ended: Arc<Mutex<HashMap<String, usize>>>,
}

/// Counts, per job, the runs that ended (executed, failed or missed).
fn count_ended(scheduler: &HostScheduler) -> Arc<Mutex<HashMap<String, usize>>> {
    let ended: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let counts = Arc::clone(&ended);
    scheduler.listeners().add(
        EventMask::JOB_EXECUTED | EventMask::JOB_ERROR | EventMask::JOB_MISSED,
        move |event| {
            if let Some(id) = &event.job_id {
                *counts.lock().unwrap().entry(id.clone()).or_default() += 1;
            }
        },
    );
    ended
}

fn env() -> Env {
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryStore::with_history());
    let tasks = Tasks::new();
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("boom"));
    let succeed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&succeed);
    tasks.register("maybe", move |_: JobContext, _: ()| {
        if flag.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("not yet")
        }
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .store("default", Arc::clone(&store))
        .host_driven()
        .unwrap();
    let ended = count_ended(&scheduler);
    scheduler.start().unwrap();
    Env {
        clock,
        scheduler,
        store,
        succeed,
        ended,
    }
}

impl Env {
    fn add(&self, job: JobBuilder) -> Job {
        self.scheduler.add_job(job).unwrap()
    }

    fn tick_at(&self, now: Timestamp) {
        self.clock.set(now);
        self.scheduler.run_pending(now);
    }

    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    /// The history of job `id` once it holds `count` finished records,
    /// newest first.
    fn finished_runs(&self, id: &str, count: usize) -> Vec<RunRecord> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let runs = self.scheduler.list_runs(&RunQuery::new().job(id)).unwrap();
            if runs.len() >= count && runs.iter().all(|run| run.status.is_finished()) {
                return runs;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} never had {count} finished runs; it has {runs:#?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Ticks at `now`, waits for the `count`th run of `id` to end, and
    /// ticks again: the notices the run left are added and, when due,
    /// delivered.
    fn run_at(&self, now: Timestamp, id: &str, count: usize) -> Vec<RunRecord> {
        self.tick_at(now);
        let runs = self.ended(id, count);
        self.tick_at(now);
        runs
    }

    /// The history of job `id` once its `count`th run ended, its instance
    /// free.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn ended(&self, id: &str, count: usize) -> Vec<RunRecord> {
        let deadline = Instant::now() + PATIENCE;
        while self.ended.lock().unwrap().get(id).copied().unwrap_or(0) < count {
            assert!(Instant::now() < deadline, "run {count} of {id} never ended");
            std::thread::sleep(Duration::from_millis(1));
        }
        self.finished_runs(id, count)
    }

    /// The ids of the jobs the store holds, with their next run times.
    fn jobs(&self) -> Vec<(String, Option<Timestamp>)> {
        let jobs = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(self.store.list_jobs())
            .unwrap();
        let mut jobs: Vec<(String, Option<Timestamp>)> = jobs
            .iter()
            .map(|job| (job.id().to_owned(), job.next_run_time()))
            .collect();
        jobs.sort();
        jobs
    }
}

fn attempts(runs: &[RunRecord]) -> Vec<(u32, RunStatus, Option<i32>)> {
    runs.iter()
        .map(|run| (run.attempt, run.status, run.exit_status))
        .collect()
}

// ---- failures ----------------------------------------------------------------

#[test]
fn a_failed_run_posts_one_signed_notice_with_its_outcome_recorded_as_a_delivery() {
    let env = env();
    let hook = Receiver::start();
    let program = CommandArgs::new("sh").args(["-c", "echo disk full; exit 3"]);
    env.add(
        JobBuilder::new(COMMAND, DateTrigger::new(t0()))
            .id("backup")
            .name("nightly backup")
            .args(&program)
            .notify(
                Notify::new()
                    .webhook(&hook.url)
                    .secret(SECRET)
                    .on([NoticeKind::Failure]),
            ),
    );
    env.run_at(t0(), "backup", 1);
    let received = hook.wait_for(1);
    let notice = received[0].json();
    let id = notice_id("backup", NoticeKind::Failure, t0(), 1, "webhook");
    assert_eq!(notice["id"], id.as_str());
    assert_eq!(notice["kind"], "failure");
    assert_eq!(notice["job"], "backup");
    assert_eq!(notice["job_name"], "nightly backup");
    assert_eq!(notice["scheduled_time"], "2026-01-01T00:00:00Z");
    assert_eq!(notice["outcome"], "error");
    assert_eq!(notice["exit_status"], 3);
    assert!(
        notice["output_tail"]
            .as_str()
            .unwrap()
            .contains("disk full"),
        "{notice}"
    );
    assert_eq!(notice["attempt"], 1);
    assert_eq!(notice["node"], "node-a");

    // The signature a receiver checks: over the timestamp and raw body.
    let request = &received[0];
    let timestamp = request.header("tempora-timestamp");
    assert!(timestamp.parse::<i64>().is_ok(), "{timestamp}");
    assert_eq!(
        request.header("tempora-signature"),
        expected_signature(timestamp, &request.body)
    );
    assert!(tempora::notify::verify_signature(
        SECRET,
        timestamp,
        &request.body,
        request.header("tempora-signature"),
        timestamp.parse().unwrap(),
        300,
    ));
    assert_eq!(request.header("tempora-notice-id"), id);
    assert_eq!(request.header("content-type"), "application/json");

    // The delivery is the notice job's run, in the history.
    let delivery = env.finished_runs(&id, 1);
    assert_eq!(attempts(&delivery), [(1, RunStatus::Success, None)]);
    assert!(
        delivery[0]
            .output
            .as_deref()
            .unwrap()
            .contains("HTTP 200 OK"),
        "{delivery:#?}"
    );
    // Sent once: more turns send nothing more.
    env.tick_at(t0() + hours(1));
    env.tick_at(t0() + hours(2));
    assert_eq!(hook.received().len(), 1);
    assert!(env.jobs().is_empty(), "{:?}", env.jobs());
}

#[test]
fn a_5xx_answer_is_retried_with_backoff_and_a_4xx_is_final() {
    let env = env();
    let hook = Receiver::start();
    hook.answer(&[500, 503, 200]);
    let notify = Notify::new().webhook(&hook.url).on([NoticeKind::Failure]);
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0()))
            .id("flaky-hook")
            .notify(notify.clone()),
    );
    env.run_at(t0(), "flaky-hook", 1);
    let id = notice_id("flaky-hook", NoticeKind::Failure, t0(), 1, "webhook");
    assert_eq!(hook.wait_for(1).len(), 1);
    env.ended(&id, 1);
    // The default backoff: 10 s, then 20 s.
    env.tick_at(t0() + secs(9));
    assert_eq!(hook.received().len(), 1, "not retried before its delay");
    env.run_at(t0() + secs(10), &id, 2);
    assert_eq!(hook.wait_for(2).len(), 2);
    env.run_at(t0() + secs(30), &id, 3);
    let received = hook.wait_for(3);
    let tries: Vec<&str> = received
        .iter()
        .map(|request| request.header("tempora-delivery-attempt"))
        .collect();
    assert_eq!(tries, ["1", "2", "3"]);
    assert!(
        received
            .iter()
            .all(|request| request.json()["id"] == id.as_str()),
        "one notice, delivered three times"
    );
    let runs = env.finished_runs(&id, 3);
    assert_eq!(
        attempts(&runs),
        [
            (3, RunStatus::Success, None),
            (2, RunStatus::Error, Some(75)),
            (1, RunStatus::Error, Some(75)),
        ]
    );
    assert!(
        runs[2].error.as_deref().unwrap().contains("HTTP 500"),
        "{runs:#?}"
    );

    // A 400 is the receiver's final word.
    hook.answer(&[400]);
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0() + hours(1)))
            .id("refused")
            .notify(notify),
    );
    env.run_at(t0() + hours(1), "refused", 1);
    let id = notice_id(
        "refused",
        NoticeKind::Failure,
        t0() + hours(1),
        1,
        "webhook",
    );
    assert_eq!(hook.wait_for(4).len(), 4);
    let runs = env.finished_runs(&id, 1);
    assert_eq!(attempts(&runs), [(1, RunStatus::Error, Some(65))]);
    assert!(runs[0].error.as_deref().unwrap().contains("HTTP 400"));
    for minutes in [1, 10, 60] {
        env.tick_at(t0() + hours(1) + SignedDuration::from_mins(minutes));
    }
    assert_eq!(hook.received().len(), 4, "a 4xx is not retried");
    assert_eq!(env.finished_runs(&id, 1).len(), 1);
}

#[test]
fn a_refused_connection_is_retried_until_the_receiver_answers() {
    let env = env();
    // A port nothing listens on (yet).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{address}/hook");
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0()))
            .id("unreachable")
            .notify(Notify::new().webhook(&url).on([NoticeKind::Failure])),
    );
    env.run_at(t0(), "unreachable", 1);
    let id = notice_id("unreachable", NoticeKind::Failure, t0(), 1, "webhook");
    let runs = env.ended(&id, 1);
    assert_eq!(attempts(&runs), [(1, RunStatus::Error, Some(75))]);
    assert!(
        runs[0].error.as_deref().unwrap().contains("cannot connect"),
        "{runs:#?}"
    );
    // The receiver comes up on that port; the retry reaches it.
    let hook = Receiver::on(std::net::TcpListener::bind(address).unwrap());
    env.run_at(t0() + secs(10), &id, 2);
    let received = hook.wait_for(1);
    assert_eq!(received[0].json()["job"], "unreachable");
    assert_eq!(received[0].header("tempora-delivery-attempt"), "2");
    assert_eq!(
        attempts(&env.finished_runs(&id, 2)),
        [
            (2, RunStatus::Success, None),
            (1, RunStatus::Error, Some(75))
        ]
    );
}

// ---- missed ------------------------------------------------------------------

#[test]
fn a_missed_fire_time_is_told() {
    let env = env();
    let hook = Receiver::start();
    let hourly = IntervalTrigger::builder()
        .hours(1)
        .start_date(t0())
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("fail", hourly)
            .id("late")
            .misfire_grace_time(MisfireGraceTime::Limit(secs(5)))
            .notify(Notify::new().webhook(&hook.url)),
    );
    let runs = env.run_at(t0() + SignedDuration::from_mins(30), "late", 1);
    assert_eq!(runs[0].status, RunStatus::Missed);
    let received = hook.wait_for(1);
    let notice = received[0].json();
    assert_eq!(notice["kind"], "missed");
    assert_eq!(notice["outcome"], "missed");
    assert_eq!(notice["scheduled_time"], "2026-01-01T00:00:00Z");
    env.tick_at(t0() + SignedDuration::from_mins(40));
    assert_eq!(hook.received().len(), 1);
}

#[test]
fn a_one_shot_job_whose_only_fire_time_is_missed_is_told() {
    let env = env();
    let hook = Receiver::start();
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0()))
            .id("once")
            .misfire_grace_time(MisfireGraceTime::Limit(secs(5)))
            .notify(Notify::new().webhook(&hook.url).on([NoticeKind::Missed])),
    );
    let runs = env.run_at(t0() + SignedDuration::from_mins(30), "once", 1);
    assert_eq!(runs[0].status, RunStatus::Missed);
    assert!(
        !env.jobs().iter().any(|(id, _)| id == "once"),
        "its trigger is done: the job is gone ({:?})",
        env.jobs()
    );
    // Told all the same, with the job's own settings.
    let received = hook.wait_for(1);
    let notice = received[0].json();
    assert_eq!(notice["kind"], "missed");
    assert_eq!(notice["job"], "once");
    assert_eq!(notice["scheduled_time"], "2026-01-01T00:00:00Z");
    let id = notice_id("once", NoticeKind::Missed, t0(), 1, "webhook");
    assert_eq!(notice["id"], id.as_str());
    assert_eq!(
        attempts(&env.finished_runs(&id, 1)),
        [(1, RunStatus::Success, None)]
    );
    env.tick_at(t0() + SignedDuration::from_mins(40));
    assert_eq!(hook.received().len(), 1, "told once");
}

// ---- stale and recovered ---------------------------------------------------------

#[test]
fn a_quiet_job_is_told_stale_once_and_recovered_at_its_next_success() {
    let env = env();
    let hook = Receiver::start();
    let hourly = IntervalTrigger::builder()
        .hours(1)
        .start_date(t0() + hours(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("maybe", hourly)
            .id("backup")
            .expect_success_within(hours(3))
            .notify(
                Notify::new()
                    .webhook(&hook.url)
                    .on([NoticeKind::Stale, NoticeKind::Recovered]),
            ),
    );
    let check = stale_check_id("backup", "webhook");
    assert!(
        env.jobs().contains(&(check.clone(), Some(t0() + hours(3)))),
        "the check is armed when the job is added: {:?}",
        env.jobs()
    );
    // Failing runs at 1h and 2h: quiet, not yet stale.
    env.run_at(t0() + hours(1), "backup", 1);
    env.run_at(t0() + hours(2), "backup", 2);
    assert!(hook.received().is_empty());
    // At 3h the check fires: one stale notice.
    env.run_at(t0() + hours(3), "backup", 3);
    let received = hook.wait_for(1);
    let stale = received[0].json();
    assert_eq!(stale["kind"], "stale");
    assert_eq!(stale["job"], "backup");
    assert_eq!(stale["no_success_since"], "2026-01-01T00:00:00Z");
    assert_eq!(stale["expect_success_within"], "3h");
    assert_eq!(stale["time"], "2026-01-01T03:00:00Z");
    // A day of failing runs later: still the one stale notice.
    for hour in 4..=30 {
        env.run_at(t0() + hours(hour), "backup", usize::try_from(hour).unwrap());
    }
    assert_eq!(hook.received().len(), 1, "one stale notice per quiet spell");
    env.finished_runs(&check, 1);

    // It succeeds: recovered, once, and the check is armed again.
    env.succeed.store(true, Ordering::SeqCst);
    env.run_at(t0() + hours(31), "backup", 31);
    let received = hook.wait_for(2);
    let recovered = received[1].json();
    assert_eq!(recovered["kind"], "recovered");
    assert_eq!(recovered["scheduled_time"], "2026-01-02T07:00:00Z");
    assert_eq!(recovered["outcome"], "success");
    assert_eq!(recovered["no_success_since"], "2026-01-01T00:00:00Z");
    env.run_at(t0() + hours(32), "backup", 32);
    assert_eq!(hook.received().len(), 2, "recovered once");
    assert!(
        env.jobs()
            .contains(&(check.clone(), Some(t0() + hours(32) + hours(3)))),
        "the check moves on at each success: {:?}",
        env.jobs()
    );
}

#[test]
fn changing_notify_or_expect_success_within_moves_the_stale_checks() {
    let env = env();
    let first = Receiver::start();
    let second = Receiver::start();
    let hourly = IntervalTrigger::builder()
        .hours(1)
        .start_date(t0() + hours(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("maybe", hourly)
            .id("backup")
            .expect_success_within(hours(3))
            .notify(Notify::new().webhook(&first.url).on([NoticeKind::Stale])),
    );
    env.run_at(t0() + hours(1), "backup", 1);

    // The webhook moves and a command joins it: the checks follow, still
    // due 3 h after the job was added.
    let moved = Notify::new()
        .webhook(&second.url)
        .command(["true"])
        .on([NoticeKind::Stale]);
    let job = env
        .scheduler
        .modify_job("backup", JobChanges::new().notify(Some(moved.clone())))
        .unwrap();
    assert_eq!(job.notify(), Some(&moved));
    let check = |channel| stale_check_id("backup", channel);
    assert_eq!(
        env.jobs(),
        [
            ("backup".to_owned(), Some(t0() + hours(2))),
            (check("command"), Some(t0() + hours(3))),
            (check("webhook"), Some(t0() + hours(3))),
        ]
    );
    // A longer expect_success_within: due 4 h after the job was added.
    let job = env
        .scheduler
        .modify_job(
            "backup",
            JobChanges::new().expect_success_within(Some(hours(4))),
        )
        .unwrap();
    assert_eq!(job.expect_success_within(), Some(hours(4)));
    assert_eq!(
        env.jobs(),
        [
            ("backup".to_owned(), Some(t0() + hours(2))),
            (check("command"), Some(t0() + hours(4))),
            (check("webhook"), Some(t0() + hours(4))),
        ]
    );
    let refused = env.scheduler.modify_job(
        "backup",
        JobChanges::new().notify(Some(Notify::new().webhook("ftp://example.com"))),
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        r#"notify.webhook: "ftp://example.com" is not an http or https URL"#
    );

    env.run_at(t0() + hours(2), "backup", 2);
    env.run_at(t0() + hours(3), "backup", 3);
    assert!(second.received().is_empty(), "not stale before 4 h");
    env.run_at(t0() + hours(4), "backup", 4);
    let received = second.wait_for(1);
    let stale = received[0].json();
    assert_eq!(stale["kind"], "stale");
    assert_eq!(stale["no_success_since"], "2026-01-01T00:00:00Z");
    assert_eq!(stale["expect_success_within"], "4h");
    env.finished_runs(&check("command"), 1);
    env.finished_runs(&check("webhook"), 1);
    assert!(first.received().is_empty(), "the old webhook hears nothing");
    env.tick_at(t0() + hours(4));
    let marks = [
        stale_marker_id("backup", "command"),
        stale_marker_id("backup", "webhook"),
    ];
    let ids: Vec<String> = env.jobs().into_iter().map(|(id, _)| id).collect();
    assert!(
        marks.iter().all(|mark| ids.contains(mark)),
        "stale: marked on both channels ({ids:?})"
    );

    // Cleared, with no scheduler default: no stale checks, no marks.
    let job = env
        .scheduler
        .modify_job("backup", JobChanges::new().notify(None))
        .unwrap();
    assert_eq!(job.notify(), None);
    let ids: Vec<String> = env.jobs().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["backup"]);
}

// ---- a command notifier ----------------------------------------------------------

#[test]
fn a_command_notifier_gets_the_notice_on_its_standard_input_and_environment() {
    let env = env();
    let dir = std::env::temp_dir().join(format!("tempora-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stdin = dir.join("stdin.json");
    let environment = dir.join("env.txt");
    let script = format!(
        "cat > '{}'; printf '%s %s %s' \"$TEMPORA_NOTICE_KIND\" \"$TEMPORA_NOTICE_JOB\" \"$TEMPORA_NOTICE_ATTEMPT\" > '{}'; echo told",
        stdin.display(),
        environment.display()
    );
    env.add(
        JobBuilder::new("fail", DateTrigger::new(t0()))
            .id("report")
            .notify(Notify::new().command(["sh", "-c", script.as_str()])),
    );
    env.run_at(t0(), "report", 1);
    let id = notice_id("report", NoticeKind::Failure, t0(), 1, "command");
    let delivery = env.finished_runs(&id, 1);
    assert_eq!(attempts(&delivery), [(1, RunStatus::Success, Some(0))]);
    assert!(delivery[0].output.as_deref().unwrap().contains("told"));
    let notice: Value = serde_json::from_slice(&std::fs::read(&stdin).unwrap()).unwrap();
    assert_eq!(notice["kind"], "failure");
    assert_eq!(notice["job"], "report");
    assert_eq!(notice["error"], "boom");
    assert_eq!(notice["id"], id.as_str());
    assert_eq!(
        std::fs::read_to_string(&environment).unwrap(),
        "failure report 1"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- settings ------------------------------------------------------------------

#[test]
fn scheduler_defaults_apply_to_jobs_without_their_own() {
    let hook = Receiver::start();
    let clock = ManualClock::new(t0());
    let store = Arc::new(MemoryStore::with_history());
    let tasks = Tasks::new();
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("boom"));
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks)
        .store("default", Arc::clone(&store))
        .notify(Notify::new().webhook(&hook.url).on([NoticeKind::Failure]))
        .host_driven()
        .unwrap();
    scheduler.start().unwrap();
    scheduler
        .add_job(JobBuilder::new("fail", DateTrigger::new(t0())).id("plain"))
        .unwrap();
    scheduler.run_pending(t0());
    let env = Env {
        ended: count_ended(&scheduler),
        clock,
        scheduler,
        store,
        succeed: Arc::default(),
    };
    env.finished_runs("plain", 1);
    env.tick_at(t0());
    let received = hook.wait_for(1);
    assert_eq!(received[0].json()["job"], "plain");
    assert_eq!(received[0].json()["kind"], "failure");
}

#[test]
fn stored_jobs_keep_their_notify_settings_and_older_ones_still_read() {
    let trigger = DateTrigger::new(t0());
    let job = JobBuilder::new("fail", trigger)
        .id("a")
        .expect_success_within(hours(26))
        .notify(
            Notify::new()
                .webhook("https://hooks.example.com/x")
                .secret("k"),
        )
        .build_at(&tempora::job::JobDefaults::default(), t0())
        .unwrap();
    let stored = job.to_stored().unwrap();
    let json = serde_json::to_value(&stored).unwrap();
    assert_eq!(json["expect_success_within"], "26h");
    assert_eq!(json["notify"]["webhook"], "https://hooks.example.com/x");
    let back: tempora::job::StoredJob = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, stored);
    let mut older = json;
    older.as_object_mut().unwrap().remove("notify");
    older
        .as_object_mut()
        .unwrap()
        .remove("expect_success_within");
    let older: tempora::job::StoredJob = serde_json::from_value(older).unwrap();
    assert_eq!(older.notify, None);
    assert_eq!(older.expect_success_within, None);
}

#[test]
fn removing_a_job_removes_its_stale_checks_and_marks() {
    let env = env();
    let hook = Receiver::start();
    let hourly = IntervalTrigger::builder()
        .hours(1)
        .start_date(t0() + hours(1))
        .timezone("UTC")
        .build()
        .unwrap();
    env.add(
        JobBuilder::new("maybe", hourly)
            .id("watched")
            .expect_success_within(hours(1))
            .notify(
                Notify::new()
                    .webhook(&hook.url)
                    .command(["true"])
                    .on([NoticeKind::Stale]),
            ),
    );
    assert_eq!(
        env.jobs(),
        [
            ("watched".to_owned(), Some(t0() + hours(1))),
            ("watched@stale:command".to_owned(), Some(t0() + hours(1))),
            ("watched@stale:webhook".to_owned(), Some(t0() + hours(1))),
        ],
        "one check per channel"
    );
    // Stale: both channels tell once and mark the job.
    env.run_at(t0() + hours(1), "watched", 1);
    hook.wait_for(1);
    env.finished_runs(&stale_check_id("watched", "command"), 1);
    env.finished_runs(&stale_check_id("watched", "webhook"), 1);
    env.run_at(t0() + hours(2), "watched", 2);
    let ids: Vec<String> = env.jobs().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "watched",
            "watched@stale:command:sent",
            "watched@stale:webhook:sent"
        ]
    );
    env.scheduler.remove_job("watched").unwrap();
    assert!(env.jobs().is_empty(), "{:?}", env.jobs());
}
