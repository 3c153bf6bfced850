//! `tempora health`: whether the store's jobs run, for a monitor or a
//! probe, told by the exit status.
//!
//! | status | means |
//! |---|---|
//! | 0 | healthy: no job failing or stale |
//! | 1 | unhealthy: some job's latest run failed (error, panic, timeout, missed, interrupted), or a job is overdue by more than `--grace` (no scheduler runs it) |
//! | 2 | the store cannot be reached within `--timeout` (or bad input) |
//!
//! The first line says which (`OK`, `UNHEALTHY`, `UNREACHABLE`) and sums up,
//! the next ones list the failing and stale jobs; `--json` prints one
//! object instead (see [`tempora::health::HealthReport::to_json`], with
//! `status` `unreachable` and an `error` when the store cannot be reached).
//! The computation is [`tempora::health::check_health`].

use std::sync::mpsc;
use std::time::Duration;

use clap::Args;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tempora::health::{HealthOptions, HealthReport, check_health};

use crate::config::DaemonConfig;
use crate::jobs::StoreArgs;
use crate::output::local;
use crate::{CliError, Outcome, Result};

/// The exit status of a healthy store.
pub const HEALTHY: u8 = 0;
/// The exit status when a job is failing or stale.
pub const UNHEALTHY: u8 = 1;
/// The exit status when the store cannot be reached.
pub const UNREACHABLE: u8 = 2;

/// `tempora health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// How long past its due time a job may wait before it is stale: no
    /// scheduler takes it.
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub grace: String,
    /// How long to wait for the store before answering UNREACHABLE
    /// (status 2).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub timeout: String,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A duration option: `30s`, `5m`, `1h 30m`, longer than zero.
fn positive(field: &str, text: &str) -> Result<SignedDuration> {
    match text.parse::<SignedDuration>() {
        Ok(duration) if duration > SignedDuration::ZERO => Ok(duration),
        _ => Err(CliError::from(tempora::Error::invalid(
            field,
            format!("{text:?} is not a duration longer than zero like \"30s\" or \"5m\""),
        ))),
    }
}

/// What the store answered, from the thread that asked it.
enum Answer {
    Report(HealthReport, tempora::trigger::Zone),
    Unreachable(String),
}

/// Runs `tempora health` at `now`: what to print and the exit status
/// ([`HEALTHY`], [`UNHEALTHY`], [`UNREACHABLE`]).
///
/// # Errors
///
/// Bad input: an option that does not read, a configuration file that
/// cannot be read or has a mistake, a store URL of no supported kind.
pub fn run(args: &HealthArgs, now: Timestamp) -> Result<Outcome> {
    let grace = positive("grace", &args.grace)?;
    let timeout = positive("timeout", &args.timeout)?;
    let store = StoreArgs {
        config: args.store.config.clone(),
        store: args.store.store.clone(),
        store_prefix: args.store.store_prefix.clone(),
        json: args.store.json,
    };
    // The store is asked on a thread of its own, so that a database that
    // never answers (a dropped packet, a lock held) is given up on at the
    // timeout; the process ends right after.
    let (sink, answer) = mpsc::channel();
    std::thread::Builder::new()
        .name("tempora-health".to_owned())
        .spawn(move || {
            let _ = sink.send(ask(&store, grace, now));
        })
        .map_err(|error| tempora::Error::invalid("health", error.to_string()))?;
    let wait = Duration::try_from(timeout).unwrap_or(Duration::MAX);
    let answer = match answer.recv_timeout(wait) {
        Ok(answer) => answer?,
        Err(_) => Answer::Unreachable(format!("no answer from the store within {timeout:#}")),
    };
    Ok(match answer {
        Answer::Report(report, zone) => report_outcome(&report, &zone, args.store.json),
        Answer::Unreachable(error) => unreachable_outcome(&error, now, args.store.json),
    })
}

/// Opens the store and checks it; a store failure is an answer
/// (unreachable), a mistake in the input an error.
fn ask(store: &StoreArgs, grace: SignedDuration, now: Timestamp) -> Result<Answer> {
    let opened = match store.open() {
        Ok(opened) => opened,
        Err(CliError::Invalid(error)) if error.is_store() => {
            return Ok(Answer::Unreachable(error.to_string()));
        }
        Err(error) => return Err(error),
    };
    let lease = opened
        .config
        .as_ref()
        .map_or(tempora::scheduler::DEFAULT_LEASE, DaemonConfig::lease);
    let options = HealthOptions::default().grace(grace).lease(lease);
    match opened.block_on(check_health(opened.store.as_ref(), now, &options)) {
        Ok(report) => Ok(Answer::Report(report, opened.zone.clone())),
        Err(error) => Ok(Answer::Unreachable(error.to_string())),
    }
}

fn report_outcome(report: &HealthReport, zone: &tempora::trigger::Zone, json: bool) -> Outcome {
    let status = if report.is_healthy() {
        HEALTHY
    } else {
        UNHEALTHY
    };
    if json {
        return Outcome {
            stdout: format!("{}\n", report.to_json()),
            status,
        };
    }
    let nodes = match report.live_nodes {
        Some(1) => "; 1 live node".to_owned(),
        Some(count) => format!("; {count} live nodes"),
        None => String::new(),
    };
    let mut text = if report.is_healthy() {
        format!("OK: {} job(s), none failing or stale{nodes}\n", report.jobs)
    } else {
        format!(
            "UNHEALTHY: {} failing, {} stale of {} job(s){nodes}\n",
            report.failing.len(),
            report.stale.len(),
            report.jobs
        )
    };
    for job in &report.failing {
        let error = job
            .error
            .as_deref()
            .map(|error| format!(": {}", error.lines().next().unwrap_or_default()))
            .unwrap_or_default();
        text.push_str(&format!(
            "failing {}: its run of {} ended {}{error}\n",
            job.job_id,
            local(zone, job.scheduled_time),
            job.status
        ));
    }
    for job in &report.stale {
        text.push_str(&format!(
            "stale {}: due {}, {:#} ago; no scheduler runs it\n",
            job.job_id,
            local(zone, job.due),
            SignedDuration::from_secs(job.overdue.as_secs())
        ));
    }
    if !report.history {
        text.push_str("note: the store keeps no run history; failing runs cannot be seen\n");
    }
    Outcome {
        stdout: text,
        status,
    }
}

fn unreachable_outcome(error: &str, now: Timestamp, json: bool) -> Outcome {
    let stdout = if json {
        format!(
            "{}\n",
            json!({ "status": "unreachable", "checked_at": now, "error": error })
        )
    } else {
        format!("UNREACHABLE: {error}\n")
    };
    Outcome {
        stdout,
        status: UNREACHABLE,
    }
}
