//! `GET /metrics` over real HTTP: a scheduler's metrics after a run, open
//! without a metrics token, and behind it when one is configured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use jiff::Timestamp;
use tempora::clock::ManualClock;
use tempora::event::EventMask;
use tempora::job::JobBuilder;
use tempora::metrics::{CONTENT_TYPE, SchedulerMetrics};
use tempora::scheduler::{HostScheduler, SchedulerBuilder};
use tempora::store::MemoryStore;
use tempora::task::{JobContext, Tasks};
use tempora::trigger::DateTrigger;
use tempora_api::{ApiBuilder, TokenHash, Tokens};

/// How long the test waits for a run on another thread.
const PATIENCE: Duration = Duration::from_secs(10);

/// A scheduler whose job `once` ran once, with its metrics.
fn ran_once() -> (
    HostScheduler,
    SchedulerMetrics,
    Arc<dyn tempora::store::JobStore>,
) {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let tasks = Tasks::new();
    tasks.register("ok", |_: JobContext, _: ()| Ok::<_, String>(()));
    let metrics = SchedulerMetrics::new();
    let store: Arc<dyn tempora::store::JobStore> =
        Arc::new(metrics.meter_store("default", MemoryStore::new()));
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .tasks(tasks)
        .store("default", Arc::clone(&store))
        .host_driven()
        .unwrap();
    metrics.attach(&scheduler.to_async());
    let (sink, ran) = mpsc::channel();
    let sink = std::sync::Mutex::new(sink);
    scheduler
        .listeners()
        .add(EventMask::JOB_EXECUTED, move |_| {
            let _ = sink.lock().unwrap().send(());
        });
    scheduler
        .add_job(JobBuilder::new("ok", DateTrigger::new(start)).id("once"))
        .unwrap();
    scheduler.start().unwrap();
    scheduler.run_pending(start);
    ran.recv_timeout(PATIENCE)
        .expect("the run within the patience");
    (scheduler, metrics, store)
}

/// Serves `router` on a free loopback port for the length of `test`.
fn with_server(router: axum::Router, test: impl AsyncFnOnce(SocketAddr)) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        test(address).await;
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    });
}

#[test]
fn metrics_are_served_without_a_token_when_none_is_configured() {
    let (scheduler, metrics, store) = ran_once();
    let router = ApiBuilder::new(store).metrics(metrics).build();
    with_server(router, async |address| {
        let response = reqwest::get(format!("http://{address}/metrics"))
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        assert_eq!(
            response.headers()[reqwest::header::CONTENT_TYPE],
            CONTENT_TYPE
        );
        let text = response.text().await.unwrap();
        assert!(
            text.contains("tempora_runs_total{job_id=\"once\",outcome=\"success\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE tempora_run_duration_seconds histogram\n"));
        assert!(text.ends_with("# EOF\n"));
    });
    scheduler.shutdown(true).unwrap();
}

#[test]
fn a_configured_metrics_token_is_required() {
    let (scheduler, metrics, store) = ran_once();
    let tokens = Tokens::new().with_metrics_token(TokenHash::of("scrape-me"));
    let router = ApiBuilder::new(store)
        .tokens(tokens)
        .metrics(metrics)
        .build();
    with_server(router, async |address| {
        let client = reqwest::Client::new();
        let url = format!("http://{address}/metrics");
        let anonymous = client.get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
        assert_eq!(
            anonymous.headers()[reqwest::header::WWW_AUTHENTICATE],
            "Bearer"
        );
        let wrong = client.get(&url).bearer_auth("guess").send().await.unwrap();
        assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);
        let scraper = client
            .get(&url)
            .bearer_auth("scrape-me")
            .send()
            .await
            .unwrap();
        assert_eq!(scraper.status(), reqwest::StatusCode::OK);
        assert!(scraper.text().await.unwrap().contains("tempora_runs_total"));
    });
    scheduler.shutdown(true).unwrap();
}
