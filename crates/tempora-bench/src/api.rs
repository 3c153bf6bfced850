//! `API [N]`: the latency of the HTTP API (`tempora-api`) served on
//! loopback over a store of N jobs (the memory store, or SQLite with
//! `API-sqlite`), called by a real HTTP client one request at a time.
//!
//! Lines: `API-list-p50`/`-p99` for `GET /v1/jobs` (all N jobs, each with
//! its latest run looked up, as `tempora jobs` does), `API-run-p50`/`-p99`
//! for `POST /v1/jobs/{id}/run`, in `ms`; percentiles nearest-rank;
//! `samples` says how many requests each is of.

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use tempora::clock::{Clock, SystemClock};
use tempora::job::{JobBuilder, JobDefaults};
use tempora::store::{JobStore, MemoryStore};
use tempora::trigger::IntervalTrigger;
use tempora_api::serve::{ServeSettings, bind};
use tempora_api::{ApiBuilder, ApiToken, Role, TokenHash, Tokens};

use crate::output::Line;

/// The token the client sends.
const TOKEN: &str = "bench-token";

/// How many `GET /v1/jobs` and `POST …/run` requests are timed.
const LIST_SAMPLES: usize = 50;
const RUN_SAMPLES: usize = 1000;

/// The `p`-th percentile of `samples` (sorted), nearest-rank.
///
/// ```
/// assert_eq!(tempora_bench::api::percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
/// assert_eq!(tempora_bench::api::percentile(&[1.0, 2.0, 3.0, 4.0], 99.0), 4.0);
/// ```
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the workload, emitting its four lines (or one with an `error`).
pub fn measure(n: u64, sqlite: bool, emit: &mut dyn FnMut(Line)) {
    let workload = if sqlite { "API-sqlite" } else { "API" };
    emit_latencies(workload, n, run(n, sqlite), emit);
}

/// Emits a latency workload's results: a p50 and a p99 line (in ms) for
/// each of its requests, or one line with the `error`.
pub(crate) fn emit_latencies(
    workload: &str,
    n: u64,
    results: Result<Samples, String>,
    emit: &mut dyn FnMut(Line),
) {
    let impl_name = format!("tempora-{}", env!("CARGO_PKG_VERSION"));
    match results {
        Ok(results) => {
            for (what, mut samples) in results {
                samples.sort_by(f64::total_cmp);
                for (p, name) in [(50.0, "p50"), (99.0, "p99")] {
                    emit(
                        Line::new(&impl_name, format!("{workload}-{what}-{name}"), "ms", n)
                            .value(percentile(&samples, p))
                            .with("samples", samples.len()),
                    );
                }
            }
        }
        Err(error) => emit(Line::new(&impl_name, workload, "ms", n).with("error", error)),
    }
}

/// A fresh directory under the system's temporary one for workload
/// `workload`'s files (not created yet).
pub(crate) fn temp_dir(workload: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "tempora-bench-{workload}-{}",
        uuid::Uuid::new_v4().simple()
    ))
}

/// A SQLite store on a new file `jobs.db` in `dir`, which it creates.
pub(crate) async fn sqlite_in(dir: &std::path::Path) -> Result<Arc<dyn JobStore>, String> {
    std::fs::create_dir_all(dir).map_err(|error| error.to_string())?;
    let path = dir.join("jobs.db").to_string_lossy().into_owned();
    tempora_sql::connect(&path, &tempora_sql::SqlOptions::new())
        .await
        .map_err(|error| error.to_string())
}

/// Each request's name and its latencies in ms.
pub(crate) type Samples = Vec<(&'static str, Vec<f64>)>;

fn run(n: u64, sqlite: bool) -> Result<Samples, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        let dir = temp_dir("api");
        let store: Arc<dyn JobStore> = if sqlite {
            sqlite_in(&dir).await?
        } else {
            Arc::new(MemoryStore::with_history())
        };
        let now: Timestamp = SystemClock.now();
        let trigger = IntervalTrigger::builder()
            .hours(1)
            .build()
            .map_err(|error| error.to_string())?;
        for index in 0..n {
            let job = JobBuilder::new("command", trigger.clone())
                .id(format!("job-{index}"))
                .args(&serde_json::json!({ "program": "true", "args": [] }))
                .build_at(&JobDefaults::default(), now)
                .map_err(|error| error.to_string())?;
            store
                .add_job(job, false)
                .await
                .map_err(|error| error.to_string())?;
        }
        let tokens = Tokens::new().with(ApiToken {
            name: "bench".to_owned(),
            role: Role::Operate,
            sha256: TokenHash::of(TOKEN),
        });
        let router = ApiBuilder::new(Arc::clone(&store)).tokens(tokens).build();
        let settings = ServeSettings {
            listen: ([127, 0, 0, 1], 0).into(),
            tls: None,
        };
        let listener = bind(&settings).await.map_err(|error| error.to_string())?;
        let base = format!("http://{}", listener.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(listener.serve(router, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let timed = |request: reqwest::RequestBuilder| async move {
            let start = Instant::now();
            let response = request
                .bearer_auth(TOKEN)
                .send()
                .await
                .map_err(|error| error.to_string())?;
            let status = response.status();
            let body = response.bytes().await.map_err(|error| error.to_string())?;
            if !status.is_success() {
                return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            Ok::<(f64, usize), String>((start.elapsed().as_secs_f64() * 1000.0, body.len()))
        };
        // One request each first, not timed: connections and caches warm.
        timed(client.get(format!("{base}/v1/jobs"))).await?;
        let mut list = Vec::with_capacity(LIST_SAMPLES);
        for _ in 0..LIST_SAMPLES {
            let (ms, bytes) = timed(client.get(format!("{base}/v1/jobs"))).await?;
            if bytes < n as usize {
                return Err(format!("GET /v1/jobs answered {bytes} bytes for {n} jobs"));
            }
            list.push(ms);
        }
        let mut run = Vec::with_capacity(RUN_SAMPLES);
        for index in 0..RUN_SAMPLES {
            let id = format!("job-{}", index as u64 % n);
            let (ms, _) = timed(client.post(format!("{base}/v1/jobs/{id}/run"))).await?;
            run.push(ms);
        }
        let _ = stop.send(());
        let _ = served.await;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(vec![("list", list), ("run", run)])
    })
}
