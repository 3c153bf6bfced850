//! `DASH-sqlite [N]`: the dashboard's jobs page (`tempora-dashboard`)
//! served on loopback over a SQLite store of N cron jobs, each with three
//! finished runs in its history, fetched by a real HTTP client one
//! request at a time, signed in with a read token.
//!
//! Lines, in `ms`, p50 and p99 (nearest-rank), `samples` saying how many
//! requests each is of:
//!
//! * `DASH-sqlite-cold`: `GET /ui/` from a dashboard that has not listed
//!   the store yet (a fresh router and listener per sample, on the same
//!   store): the page as it is first opened.
//! * `DASH-sqlite-warm`: `GET /ui/?page=2` right after, within the two
//!   seconds one listing serves the pages.
//! * `DASH-sqlite-rows`: `GET /ui/rows` for the 50 jobs of a page: what
//!   an open jobs page asks every 3 seconds to stay live.
//! * `DASH-sqlite-v1-jobs`: `GET /v1/jobs`, all N jobs with their latest
//!   run, on the same store with its history.

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use tempora::clock::{Clock, SystemClock};
use tempora::history::{RunRecord, RunStatus};
use tempora::job::{JobBuilder, JobDefaults};
use tempora::store::JobStore;
use tempora::trigger::CronTrigger;
use tempora_api::serve::{ServeSettings, bind};
use tempora_api::{ApiBuilder, ApiToken, Role, TokenHash, Tokens};

use crate::api::{Samples, emit_latencies, sqlite_in, temp_dir};
use crate::output::Line;

/// The token the client signs in with.
const TOKEN: &str = "bench-dashboard-token";

/// How many requests of each kind are timed.
const COLD_SAMPLES: usize = 20;
const WARM_SAMPLES: usize = 50;
const ROWS_SAMPLES: usize = 200;
const LIST_SAMPLES: usize = 20;

/// Runs recorded per job.
const RUNS_PER_JOB: u64 = 3;

/// Runs the workload, emitting its lines (or one with an `error`).
pub fn measure(n: u64, emit: &mut dyn FnMut(Line)) {
    emit_latencies("DASH-sqlite", n, run(n), emit);
}

/// A dashboard (and the API) over `store`, served on a spare loopback
/// port: its base URL and what stops it.
async fn serve(
    store: &Arc<dyn JobStore>,
) -> Result<(String, tokio::sync::oneshot::Sender<()>), String> {
    let tokens = Tokens::new().with(ApiToken {
        name: "bench".to_owned(),
        role: Role::Read,
        sha256: TokenHash::of(TOKEN),
    });
    let router =
        tempora_dashboard::mount(ApiBuilder::new(Arc::clone(store)).tokens(tokens)).build();
    let settings = ServeSettings {
        listen: ([127, 0, 0, 1], 0).into(),
        tls: None,
    };
    let listener = bind(&settings).await.map_err(|error| error.to_string())?;
    let base = format!("http://{}", listener.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.serve(router, async move {
        let _ = stopped.await;
    }));
    Ok((base, stop))
}

/// Times one GET of `url`, signed in: milliseconds and the body.
async fn timed(client: &reqwest::Client, url: &str) -> Result<(f64, String), String> {
    let start = Instant::now();
    let response = client
        .get(url)
        .header("cookie", format!("tempora_token={TOKEN}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|error| error.to_string())?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status}: {body}"));
    }
    Ok((start.elapsed().as_secs_f64() * 1000.0, body))
}

/// The address a jobs page polls for its rows (`data-poll`, unescaped).
fn rows_path(page: &str) -> Option<String> {
    let start = page.find("data-poll=\"/ui/rows?")? + "data-poll=\"".len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].replace("&amp;", "&"))
}

fn run(n: u64) -> Result<Samples, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async move {
        let dir = temp_dir("dashboard");
        let store = sqlite_in(&dir).await?;
        let history = store
            .history()
            .ok_or_else(|| "the SQLite store keeps no history".to_owned())?;
        let now: Timestamp = SystemClock.now();
        let mut records = Vec::new();
        for index in 0..n {
            let trigger = CronTrigger::crontab(format!("{} {} * * *", index % 60, index / 60 % 24))
                .timezone("UTC")
                .build()
                .map_err(|error| error.to_string())?;
            let id = format!("job-{index:05}");
            let job = JobBuilder::new("command", trigger)
                .id(id.clone())
                .args(&serde_json::json!({ "program": "true", "args": [] }))
                .build_at(&JobDefaults::default(), now)
                .map_err(|error| error.to_string())?;
            store
                .add_job(job, false)
                .await
                .map_err(|error| error.to_string())?;
            for day in 1..=RUNS_PER_JOB {
                let scheduled = now - SignedDuration::from_hours(24 * day as i64);
                let started = scheduled + SignedDuration::from_millis(5);
                records.push(
                    RunRecord::running(&id, scheduled, "bench", started, started).finish(
                        RunStatus::Success,
                        started + SignedDuration::from_millis(40),
                        Some(SignedDuration::from_millis(40)),
                        None,
                    ),
                );
            }
        }
        for batch in records.chunks(1000) {
            history
                .record_runs(batch)
                .await
                .map_err(|error| error.to_string())?;
        }
        let client = reqwest::Client::new();
        let expected = format!("{n} jobs");
        let mut cold = Vec::with_capacity(COLD_SAMPLES);
        let mut warm = Vec::with_capacity(WARM_SAMPLES);
        let mut rows_at = None;
        for _ in 0..COLD_SAMPLES {
            let (base, stop) = serve(&store).await?;
            let (ms, page) = timed(&client, &format!("{base}/ui/")).await?;
            if !page.contains(&expected) {
                return Err(format!("GET /ui/ does not say {expected:?}"));
            }
            cold.push(ms);
            for _ in 0..WARM_SAMPLES / COLD_SAMPLES + 1 {
                if warm.len() < WARM_SAMPLES {
                    let (ms, page) = timed(&client, &format!("{base}/ui/?page=2")).await?;
                    warm.push(ms);
                    rows_at = rows_path(&page);
                }
            }
            let _ = stop.send(());
        }
        let (base, stop) = serve(&store).await?;
        let rows_at = rows_at.ok_or_else(|| "the jobs page polls no rows".to_owned())?;
        let mut rows = Vec::with_capacity(ROWS_SAMPLES);
        for _ in 0..ROWS_SAMPLES {
            let (ms, fragment) = timed(&client, &format!("{base}{rows_at}")).await?;
            if fragment.matches("<tr ").count() != 50 || !fragment.contains("success") {
                return Err(format!(
                    "GET {rows_at} does not give 50 rows with their last run"
                ));
            }
            rows.push(ms);
        }
        let mut list = Vec::with_capacity(LIST_SAMPLES);
        timed(&client, &format!("{base}/v1/jobs")).await?;
        for _ in 0..LIST_SAMPLES {
            let (ms, _) = timed(&client, &format!("{base}/v1/jobs")).await?;
            list.push(ms);
        }
        let _ = stop.send(());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(vec![
            ("cold", cold),
            ("warm", warm),
            ("rows", rows),
            ("v1-jobs", list),
        ])
    })
}
