//! The Prometheus metrics of a scheduler, scraped after known runs: three
//! successes and one late start of one job, a failure, a failure retried
//! into a success, a miss; read back from the exposition text with a small
//! parser, by name, labels and value.
//!
//! On a [`ManualClock`] and a metered memory store with history, driven by
//! hand (`run_pending`). Runs happen on executor threads, so the test waits
//! for their events, with a bounded patience; nothing sleeps for time to
//! pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tempora::clock::ManualClock;
use tempora::event::{EventKind, EventMask};
use tempora::job::{JobBuilder, MisfireGraceTime, Retry};
use tempora::metrics::SchedulerMetrics;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::MemoryStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::{DateTrigger, IntervalTrigger};

/// How long the test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn secs(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

fn minutes(count: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(count)
}

fn unix(time: Timestamp) -> f64 {
    time.duration_since(Timestamp::UNIX_EPOCH).as_secs_f64()
}

/// One sample of the exposition text: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples and the declared types (`# TYPE name type`) of an
/// exposition text.
#[derive(Debug, Default)]
struct Exposition {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

/// Parses the text format (OpenMetrics, as Prometheus reads it): comment
/// lines `# TYPE`, `# HELP`, `# UNIT`, `# EOF`, and samples with quoted,
/// escaped label values.
fn parse(text: &str) -> Exposition {
    let mut exposition = Exposition::default();
    assert!(text.ends_with("# EOF\n"), "the text ends with # EOF");
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            if words.next() == Some("TYPE") {
                let name = words.next().unwrap().to_owned();
                let kind = words.next().unwrap().to_owned();
                exposition.types.insert(name, kind);
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap();
                (name.to_owned(), parse_labels(body))
            }
        };
        exposition.samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    exposition
}

fn parse_labels(body: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = body.chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "a quoted value for {key}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().unwrap()),
                '"' => break,
                other => value.push(other),
            }
        }
        labels.insert(key, value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

impl Exposition {
    /// The value of the sample `name` with exactly `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|sample| sample.name == name && sample.labels == wanted)
            .map(|sample| sample.value)
    }

    /// The samples of `name`.
    fn series(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }
}

/// A host-driven scheduler on a manual clock at `t0`, its store metered
/// and its runs counted, with tasks `ok`, `fail` and `flaky` (fails its
/// first call), and a channel of its run events.
struct Env {
    clock: ManualClock,
    scheduler: HostScheduler,
    metrics: SchedulerMetrics,
    events: Receiver<EventKind>,
}

fn env() -> Env {
    let clock = ManualClock::new(t0());
    let tasks = Tasks::new();
    tasks.register("ok", |_: JobContext, _: ()| Ok::<_, String>(()));
    tasks.register("fail", |_: JobContext, _: ()| Err::<(), _>("boom"));
    let calls = Arc::new(AtomicUsize::new(0));
    tasks.register("flaky", move |_: JobContext, _: ()| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Err("not yet")
        } else {
            Ok(())
        }
    });
    let metrics = SchedulerMetrics::new();
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .store(
            "default",
            metrics.meter_store("default", MemoryStore::with_history()),
        )
        .host_driven()
        .unwrap();
    metrics.attach(&scheduler.to_async());
    let (sink, events) = mpsc::channel();
    let sink = Mutex::new(sink);
    scheduler.listeners().add(
        EventMask::JOB_EXECUTED | EventMask::JOB_ERROR | EventMask::JOB_MISSED,
        move |event| {
            let _ = sink.lock().unwrap().send(event.kind);
        },
    );
    scheduler.start().unwrap();
    Env {
        clock,
        scheduler,
        metrics,
        events,
    }
}

impl Env {
    fn tick_at(&self, now: Timestamp) {
        self.clock.set(now);
        self.scheduler.run_pending(now);
    }

    /// Waits for `count` run events; returns their kinds, sorted.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn wait_events(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut kinds: Vec<String> = (0..count)
            .map(|_| {
                let left = deadline.saturating_duration_since(Instant::now());
                self.events
                    .recv_timeout(left)
                    .expect("a run event within the patience")
                    .to_string()
            })
            .collect();
        kinds.sort();
        kinds
    }

    fn scrape(&self) -> Exposition {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let text = runtime.block_on(self.metrics.encode()).unwrap();
        parse(&text)
    }

    /// A scrape once no run is in progress: a run's instance is freed
    /// just after its events are told.
    #[allow(clippy::disallowed_methods)] // real time: a patience limit
    fn scrape_when_idle(&self) -> Exposition {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let scraped = self.scrape();
            if scraped.value("tempora_runs_in_progress", &[]) == Some(0.0) {
                return scraped;
            }
            assert!(Instant::now() < deadline, "runs still in progress");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

#[test]
fn a_scrape_after_known_runs_counts_them_by_job_and_outcome() {
    let env = env();
    let grace = |seconds| MisfireGraceTime::Limit(secs(seconds));
    let every_minute = IntervalTrigger::builder()
        .minutes(1)
        .start_date(minutes(1))
        .timezone("UTC")
        .build()
        .unwrap();
    let scheduler = &env.scheduler;
    scheduler
        .add_job(
            JobBuilder::new("ok", every_minute)
                .id("good")
                .misfire_grace_time(grace(60)),
        )
        .unwrap();
    scheduler
        .add_job(JobBuilder::new("fail", DateTrigger::new(minutes(1))).id("bad"))
        .unwrap();
    scheduler
        .add_job(
            JobBuilder::new("flaky", DateTrigger::new(minutes(1)))
                .id("flaky")
                .retry(Retry::attempts(2).delay(secs(10))),
        )
        .unwrap();
    scheduler
        .add_job(
            JobBuilder::new("ok", DateTrigger::new(minutes(2)))
                .id("late")
                .misfire_grace_time(grace(10)),
        )
        .unwrap();

    // 00:01: good succeeds, bad fails, flaky fails (its retry is kept).
    env.tick_at(minutes(1));
    assert_eq!(
        env.wait_events(3),
        ["job_error", "job_error", "job_executed"]
    );
    env.tick_at(minutes(1));
    // 00:01:10: flaky's retry succeeds.
    env.tick_at(minutes(1) + secs(10));
    assert_eq!(env.wait_events(1), ["job_executed"]);
    // 00:02:30: good starts 30 s late; late is missed (grace 10 s).
    env.tick_at(minutes(2) + secs(30));
    assert_eq!(env.wait_events(2), ["job_executed", "job_missed"]);
    // 00:03: good's third success.
    env.tick_at(minutes(3));
    assert_eq!(env.wait_events(1), ["job_executed"]);

    let scraped = env.scrape_when_idle();
    let runs = |job, outcome| {
        scraped.value(
            "tempora_runs_total",
            &[("job_id", job), ("outcome", outcome)],
        )
    };
    assert_eq!(runs("good", "success"), Some(3.0));
    assert_eq!(runs("bad", "error"), Some(1.0));
    assert_eq!(runs("flaky", "error"), Some(1.0));
    assert_eq!(runs("flaky", "success"), Some(1.0));
    assert_eq!(runs("late", "missed"), Some(1.0));
    assert_eq!(scraped.series("tempora_runs_total").len(), 5);

    let job = |id| [("job_id", id)];
    assert_eq!(
        scraped.value("tempora_missed_runs_total", &job("late")),
        Some(1.0)
    );
    assert_eq!(scraped.series("tempora_missed_runs_total").len(), 1);
    assert_eq!(
        scraped.value("tempora_retried_runs_total", &job("flaky")),
        Some(1.0)
    );
    assert_eq!(scraped.series("tempora_retried_runs_total").len(), 1);

    // Histograms: one observation per run that ran; good started on time
    // twice and 30 s late once.
    let count = |name: &str, id| scraped.value(&format!("{name}_count"), &job(id));
    assert_eq!(count("tempora_run_duration_seconds", "good"), Some(3.0));
    assert_eq!(count("tempora_run_duration_seconds", "flaky"), Some(2.0));
    assert_eq!(count("tempora_run_duration_seconds", "late"), None);
    assert_eq!(
        count("tempora_run_start_lateness_seconds", "good"),
        Some(3.0)
    );
    let lateness_bucket = |le| {
        scraped.value(
            "tempora_run_start_lateness_seconds_bucket",
            &[("job_id", "good"), ("le", le)],
        )
    };
    assert_eq!(lateness_bucket("1.0"), Some(2.0));
    assert_eq!(lateness_bucket("10.0"), Some(2.0));
    assert_eq!(lateness_bucket("30.0"), Some(3.0));
    assert_eq!(lateness_bucket("+Inf"), Some(3.0));
    assert_eq!(
        scraped.value("tempora_run_start_lateness_seconds_sum", &job("good")),
        Some(30.0)
    );
    // flaky's retry started 10 s after its fire time.
    assert_eq!(
        scraped.value("tempora_run_start_lateness_seconds_sum", &job("flaky")),
        Some(10.0)
    );

    // Gauges: the last success, the next run (the retry kept as a pending
    // run and the exhausted one-off jobs have none), the runs and nodes.
    assert_eq!(
        scraped.value("tempora_job_last_success_timestamp_seconds", &job("good")),
        Some(unix(minutes(3)))
    );
    assert_eq!(
        scraped.value("tempora_job_last_success_timestamp_seconds", &job("flaky")),
        Some(unix(minutes(1) + secs(10)))
    );
    assert_eq!(
        scraped.value("tempora_job_last_success_timestamp_seconds", &job("bad")),
        None
    );
    let next_runs = scraped.series("tempora_job_next_run_timestamp_seconds");
    assert_eq!(next_runs.len(), 1, "{next_runs:?}");
    assert_eq!(
        scraped.value("tempora_job_next_run_timestamp_seconds", &job("good")),
        Some(unix(minutes(4)))
    );
    assert_eq!(scraped.value("tempora_runs_in_progress", &[]), Some(0.0));
    assert_eq!(scraped.value("tempora_live_nodes", &[]), Some(1.0));

    // The store: every call timed, none failed.
    let acquired = scraped
        .value(
            "tempora_store_operation_duration_seconds_count",
            &[("store", "default"), ("operation", "acquire_due")],
        )
        .unwrap();
    assert!(acquired >= 5.0, "{acquired} claims");
    assert!(
        scraped
            .series("tempora_store_operation_duration_seconds_count")
            .iter()
            .any(|sample| sample.labels["operation"] == "record_runs"),
        "the history's writes are timed"
    );
    assert!(scraped.series("tempora_store_errors_total").is_empty());

    // Types (a family without series, such as the store's errors here, is
    // left out), and bounded labels: no run id, no time.
    for (name, kind) in [
        ("tempora_runs", "counter"),
        ("tempora_missed_runs", "counter"),
        ("tempora_retried_runs", "counter"),
        ("tempora_run_duration_seconds", "histogram"),
        ("tempora_run_start_lateness_seconds", "histogram"),
        ("tempora_job_last_success_timestamp_seconds", "gauge"),
        ("tempora_job_next_run_timestamp_seconds", "gauge"),
        ("tempora_runs_in_progress", "gauge"),
        ("tempora_live_nodes", "gauge"),
        ("tempora_store_operation_duration_seconds", "histogram"),
    ] {
        assert_eq!(
            scraped.types.get(name).map(String::as_str),
            Some(kind),
            "{name}"
        );
    }
    for sample in &scraped.samples {
        for (key, value) in &sample.labels {
            assert!(
                ["job_id", "outcome", "store", "operation", "le"].contains(&key.as_str()),
                "label {key} of {sample:?}"
            );
            let hex = value.len() >= 32 && value.chars().all(|c| c.is_ascii_hexdigit());
            assert!(!hex, "a run id as a label value: {sample:?}");
            assert!(
                value.parse::<Timestamp>().is_err(),
                "a time as a label value: {sample:?}"
            );
        }
    }
    env.scheduler.shutdown(true).unwrap();
}

#[test]
fn registered_into_a_programs_registry_the_metrics_are_the_same() {
    let env = env();
    env.scheduler
        .add_job(JobBuilder::new("ok", DateTrigger::new(minutes(1))).id("once"))
        .unwrap();
    env.tick_at(minutes(1));
    assert_eq!(env.wait_events(1), ["job_executed"]);

    let mut registry = tempora::metrics::prometheus_client::registry::Registry::default();
    env.metrics.register(&mut registry);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(env.metrics.refresh());
    let mut text = String::new();
    tempora::metrics::prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let own = parse(&text);
    let scraped = env.scrape();
    assert_eq!(
        own.value(
            "tempora_runs_total",
            &[("job_id", "once"), ("outcome", "success")]
        ),
        Some(1.0)
    );
    assert_eq!(own.types, scraped.types);
    env.scheduler.shutdown(true).unwrap();
}
