//! The daemon's `GET /metrics` over real HTTP: the real `tempora` binary
//! with an `[api]` table on SQLite, scraped after its job ran; open
//! without a metrics token, closed without the one configured; and on a
//! private PostgreSQL that stops, counting the store calls that fail. Jobs
//! fire on the real clock, so the test polls with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tempora_testkit::servers::PrivatePostgres;

use support::{DEADLINE, Daemon, Setup, signal, wait_exit};

/// A configuration with the API on `port` (with `api` lines added to its
/// table) and a job `tick` firing every second.
fn config(port: u16, api: &str) -> String {
    format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [api]\nlisten = \"127.0.0.1:{port}\"\n{api}\n\
         [[job]]\nid = \"tick\"\ncommand = [\"echo\", \"tick\"]\ninterval = {{ seconds = 1 }}\n"
    )
}

/// The value of the sample line `series` (name and labels as printed).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes `url` (with `token`) until the daemon's job has run twice.
async fn scrape_after_runs(url: &str, token: Option<&str>) -> String {
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        let mut request = client.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Ok(response) = request.send().await
            && response.status() == StatusCode::OK
        {
            let text = response.text().await.unwrap();
            let runs = sample(
                &text,
                "tempora_runs_total{job_id=\"tick\",outcome=\"success\"}",
            );
            if runs.is_some_and(|runs| runs >= 2.0) {
                return text;
            }
        }
        assert!(start.elapsed() < DEADLINE, "tick never ran twice");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_daemon_serves_its_runs_and_its_stores_gauges_at_metrics() {
    let port = tempora_testkit::servers::spare_port();
    let setup = Setup::new("open", &config(port, ""));
    let mut daemon = Daemon(setup.start());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let text = runtime().block_on(scrape_after_runs(&url, None));

    assert!(
        sample(&text, "tempora_run_duration_seconds_count{job_id=\"tick\"}")
            .is_some_and(|count| count >= 2.0),
        "{text}"
    );
    let next = sample(
        &text,
        "tempora_job_next_run_timestamp_seconds{job_id=\"tick\"}",
    );
    assert!(next.is_some_and(|next| next > 1.7e9), "{text}");
    assert_eq!(sample(&text, "tempora_live_nodes"), Some(1.0), "{text}");
    assert!(
        sample(
            &text,
            "tempora_store_operation_duration_seconds_count{store=\"default\",operation=\"settle\"}"
        )
        .is_some_and(|count| count >= 1.0),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
    signal(&daemon, "TERM");
    wait_exit(&mut daemon);
}

#[test]
fn a_metrics_token_closes_metrics_to_others() {
    let port = tempora_testkit::servers::spare_port();
    let hash = tempora_api::TokenHash::of("scrape-me").to_string();
    let setup = Setup::new(
        "token",
        &config(port, &format!("metrics_token_sha256 = \"{hash}\"\n")),
    );
    let _daemon = Daemon(setup.start());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let runtime = runtime();
    let text = runtime.block_on(scrape_after_runs(&url, Some("scrape-me")));
    assert!(text.contains("tempora_runs_total"));
    let anonymous = runtime.block_on(async { reqwest::get(&url).await.unwrap().status() });
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_stopped_store_counts_its_failed_calls_by_operation() {
    let mut server = PrivatePostgres::start();
    let port = tempora_testkit::servers::spare_port();
    let on_postgres = config(port, "").replacen(
        "[scheduler]\n",
        &format!("[scheduler]\nstore = \"{}\"\n", server.url()),
        1,
    );
    let setup = Setup::new("store-errors", &on_postgres);
    let mut daemon = Daemon(setup.start());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let runtime = runtime();
    let claims_failed = "tempora_store_errors_total{store=\"default\",operation=\"acquire_due\"}";
    let text = runtime.block_on(scrape_after_runs(&url, None));
    assert_eq!(sample(&text, claims_failed), None, "no failure yet: {text}");

    // The store goes away: the daemon's claims fail, and are counted
    // under the call that failed.
    server.stop();
    let start = Instant::now();
    let text = runtime.block_on(async {
        loop {
            if let Ok(response) = reqwest::get(&url).await
                && response.status() == StatusCode::OK
            {
                let text = response.text().await.unwrap();
                if sample(&text, claims_failed).is_some_and(|count| count >= 2.0) {
                    return text;
                }
            }
            assert!(start.elapsed() < DEADLINE, "no failed claim counted");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let claims = sample(
        &text,
        "tempora_store_operation_duration_seconds_count{store=\"default\",operation=\"acquire_due\"}",
    );
    let failed = sample(&text, claims_failed);
    assert!(
        claims
            .zip(failed)
            .is_some_and(|(claims, failed)| claims > failed),
        "the claims before the stop succeeded, the later ones failed: {text}"
    );

    server.start_again();
    signal(&daemon, "TERM");
    wait_exit(&mut daemon);
}
