//! `tempora history`: the runs the daemon recorded, newest first.
//!
//! One row per run: the job, the fire time it ran for (in the
//! configuration's zone), when it started, how long it took, how it ended
//! (`running`, `success`, `error`, `panic`, `timeout`, `missed`,
//! `interrupted`), the node that ran it, the program's exit status and the
//! last line of its output. `--json` prints every field, with the whole output tail kept.

use clap::Args;
use serde_json::Value;
use tempora::history::RunQuery;

use crate::Result;
use crate::jobs::StoreArgs;
use crate::output::{RUN_HEADER, run_json, run_rows, table};

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
    let runs = opened.block_on(opened.history()?.list_runs(&query))?;
    if args.store.json {
        let values: Vec<Value> = runs.iter().map(|run| run_json(&opened.zone, run)).collect();
        return Ok(format!("{}\n", Value::Array(values)));
    }
    if runs.is_empty() {
        return Ok("no runs recorded\n".to_owned());
    }
    Ok(table(RUN_HEADER, &run_rows(&opened.zone, &runs)))
}
