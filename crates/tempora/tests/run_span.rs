//! Each run is a `tracing` span, `tempora.run`, with its job, its id, its
//! scheduled time, its attempt and its node, and the task's body executes
//! inside it: what an OpenTelemetry layer turns into a trace per run.
//!
//! A layer records each span's fields and, for each event, the spans it
//! happened in; the tasks log one event each. On a [`ManualClock`]; the
//! tests wait for what a task sends, with a bounded patience.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use tempora::clock::ManualClock;
use tempora::executor::Executor;
use tempora::job::JobBuilder;
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// How long a test waits for something that happens on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

/// A span as the layer saw it: its name and fields.
#[derive(Debug, Clone, PartialEq)]
struct SeenSpan {
    name: String,
    fields: BTreeMap<String, String>,
}

/// An event as the layer saw it: its message and the spans around it,
/// innermost first.
#[derive(Debug, Clone)]
struct SeenEvent {
    message: String,
    spans: Vec<SeenSpan>,
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

/// Records every span's fields, and every event with its spans.
struct Recorder {
    events: Arc<Mutex<Vec<SeenEvent>>>,
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        let span = context.span(id).unwrap();
        span.extensions_mut().insert(SeenSpan {
            name: span.name().to_owned(),
            fields: fields.0,
        });
    }

    fn on_event(&self, event: &tracing::Event<'_>, context: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = context
            .event_scope(event)
            .map(|scope| {
                scope
                    .filter_map(|span| span.extensions().get::<SeenSpan>().cloned())
                    .collect()
            })
            .unwrap_or_default();
        self.events.lock().unwrap().push(SeenEvent {
            message: fields.0.remove("message").unwrap_or_default(),
            spans,
        });
    }
}

/// The events recorded in this process: the layer is installed once, as
/// the global subscriber, since runs happen on executor threads.
fn recorded() -> &'static Arc<Mutex<Vec<SeenEvent>>> {
    static EVENTS: OnceLock<Arc<Mutex<Vec<SeenEvent>>>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events = Arc::default();
        let layer = Recorder {
            events: Arc::clone(&events),
        };
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .unwrap();
        events
    })
}

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// A host-driven scheduler of node `node-a` on a manual clock at `t0`,
/// with an executor `async` of tokio tasks, whose tasks `sync_look` and
/// `async_look` log `inside <job id>` and send their run's id.
fn scheduler(clock: &ManualClock) -> (HostScheduler, Receiver<String>) {
    let (sink, ids) = mpsc::channel();
    let tasks = Tasks::new();
    let sync_sink = Mutex::new(sink.clone());
    tasks.register("sync_look", move |context: JobContext, _: ()| {
        tracing::info!("inside {}", context.job_id());
        sync_sink
            .lock()
            .unwrap()
            .send(context.run_id().to_owned())
            .map_err(|e| e.to_string())
    });
    let async_sink = Arc::new(Mutex::new(sink));
    tasks.register_async("async_look", move |context: JobContext, _: ()| {
        let sink = Arc::clone(&async_sink);
        async move {
            tokio::task::yield_now().await;
            tracing::info!("inside {}", context.job_id());
            sink.lock()
                .unwrap()
                .send(context.run_id().to_owned())
                .map_err(|e| e.to_string())
        }
    });
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .node_id("node-a")
        .tasks(tasks)
        .executor("async", Executor::async_tasks())
        .host_driven()
        .unwrap();
    (scheduler, ids)
}

/// The spans of the event `inside <job>`, once a run of `job` logged it.
fn spans_of(job: &str) -> Vec<SeenSpan> {
    let message = format!("inside {job}");
    let events = recorded().lock().unwrap();
    let event = events
        .iter()
        .find(|event| event.message == message)
        .unwrap_or_else(|| panic!("no event {message:?}: {events:#?}"));
    event.spans.clone()
}

fn expected(job: &str, run_id: &str, attempt: &str) -> SeenSpan {
    let fields = [
        ("job_id", job),
        ("run_id", run_id),
        ("scheduled_time", "2026-01-01T00:01:00Z"),
        ("attempt", attempt),
        ("node", "node-a"),
    ];
    SeenSpan {
        name: "tempora.run".to_owned(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

#[test]
fn sync_and_async_tasks_execute_inside_their_runs_span() {
    recorded();
    let clock = ManualClock::new(t0());
    let (scheduler, ids) = scheduler(&clock);
    let at = "2026-01-01T00:01:00Z".parse().unwrap();
    for (task, id, executor) in [
        ("sync_look", "sync-on-threads", "default"),
        ("async_look", "async-on-threads", "default"),
        ("sync_look", "sync-on-tokio", "async"),
        ("async_look", "async-on-tokio", "async"),
    ] {
        scheduler
            .add_job(
                JobBuilder::new(task, DateTrigger::new(at))
                    .id(id)
                    .executor(executor),
            )
            .unwrap();
    }
    scheduler.start().unwrap();
    clock.set(at);
    scheduler.run_pending(at);
    let mut run_ids: Vec<String> = (0..4)
        .map(|_| {
            ids.recv_timeout(PATIENCE)
                .expect("a run within the patience")
        })
        .collect();
    scheduler.shutdown(true).unwrap();

    for job in [
        "sync-on-threads",
        "async-on-threads",
        "sync-on-tokio",
        "async-on-tokio",
    ] {
        let spans = spans_of(job);
        let run = spans
            .iter()
            .find(|span| span.name == "tempora.run")
            .unwrap_or_else(|| panic!("{job}: not inside a run's span: {spans:?}"));
        let run_id = run.fields["run_id"].clone();
        assert_eq!(*run, expected(job, &run_id, "1"), "{job}");
        let position = run_ids.iter().position(|id| *id == run_id);
        assert!(
            position.is_some(),
            "{job}: the span's run id is the one its task sees"
        );
        run_ids.remove(position.unwrap());
    }
}
