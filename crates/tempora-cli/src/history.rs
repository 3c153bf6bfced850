//! `tempora history`: the runs the daemon recorded, newest first.
//!
//! One row per run: the job, the fire time it ran for (in the
//! configuration's zone), when it started, how long it took, how it ended
//! (`running`, `success`, `error`, `panic`, `timeout`, `missed`,
//! `interrupted`), the node that ran it, the program's exit status and the
//! last line of its output. `--json` prints every field, with the whole output tail kept.

use clap::Args;
use jiff::Timestamp;
use serde_json::{Value, json};
use tempora::history::{RunQuery, RunRecord};
use tempora::trigger::Zone;

use crate::Result;
use crate::jobs::{StoreArgs, local, table};

/// `tempora history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only the runs of this job.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Only failed runs: error, panic, timeout, missed, interrupted.
    #[arg(long)]
    pub failed: bool,
    /// At most N runs.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The columns of the history table.
pub const HEADER: [&str; 8] = [
    "JOB",
    "SCHEDULED",
    "STARTED",
    "DURATION",
    "OUTCOME",
    "NODE",
    "EXIT",
    "OUTPUT",
];

/// A run as `--json` prints it: times in RFC 3339 with `zone`'s offset,
/// the duration in seconds.
pub fn run_json(zone: &Zone, run: &RunRecord) -> Value {
    json!({
        "job_id": run.job_id,
        "scheduled_time": zone.format(run.scheduled_time),
        "node": run.node,
        "fire_times": run.fire_times,
        "status": run.status.as_str(),
        "started": run.started.map(|time| zone.format(time)),
        "finished": run.finished.map(|time| zone.format(time)),
        "duration_seconds": run.duration.map(|duration| duration.as_secs_f64()),
        "error": run.error,
        "exit_status": run.exit_status,
        "output": run.output,
    })
}

/// The table rows of `runs`.
pub fn rows(zone: &Zone, runs: &[RunRecord]) -> Vec<[String; 8]> {
    runs.iter()
        .map(|run| {
            let output = run
                .output
                .as_deref()
                .and_then(|text| text.lines().rev().find(|line| !line.trim().is_empty()))
                .or(run.error.as_deref())
                .unwrap_or("");
            [
                run.job_id.clone(),
                local(zone, run.scheduled_time),
                run.started
                    .map_or("-".to_owned(), |time| time_of_day(zone, time)),
                run.duration.map_or("-".to_owned(), |duration| {
                    format!("{:.3}s", duration.as_secs_f64())
                }),
                run.status.to_string(),
                run.node.clone(),
                run.exit_status
                    .map_or("-".to_owned(), |status| status.to_string()),
                shorten(output, 60),
            ]
        })
        .collect()
}

/// `instant`'s time of day on `zone`'s clock, with milliseconds.
fn time_of_day(zone: &Zone, instant: Timestamp) -> String {
    zone.time_zone()
        .to_datetime(instant)
        .strftime("%H:%M:%S%.3f")
        .to_string()
}

/// `text` cut to `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Runs `tempora history`; returns what to print.
///
/// # Errors
///
/// A store that cannot be opened or keeps no history.
pub fn run(args: &HistoryArgs) -> Result<String> {
    let opened = args.store.open()?;
    let mut query = RunQuery::new().limit(args.limit);
    if let Some(id) = &args.id {
        query = query.job(id);
    }
    if args.failed {
        query = query.failed_only();
    }
    let runs = opened.block_on(opened.store.list_runs(&query))?;
    if args.store.json {
        let values: Vec<Value> = runs.iter().map(|run| run_json(&opened.zone, run)).collect();
        return Ok(format!("{}\n", Value::Array(values)));
    }
    if runs.is_empty() {
        return Ok("no runs recorded\n".to_owned());
    }
    Ok(table(HEADER, &rows(&opened.zone, &runs)))
}
