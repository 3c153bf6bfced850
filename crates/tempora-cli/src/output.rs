//! How the commands print what they found: tables, instants on the local
//! wall clock and relative to now, triggers in short, and runs as table rows
//! and as JSON. Every command that prints a job, a run or a node uses these,
//! so the same thing looks the same everywhere.

use jiff::Timestamp;
use serde_json::Value;
use tempora::history::RunRecord;
use tempora::trigger::{Trigger, Zone};
use tempora_api::views::RunView;

/// `instant` on `zone`'s wall clock: `2026-03-30 09:00:00 CEST`.
pub fn local(zone: &Zone, instant: Timestamp) -> String {
    let tz = zone.time_zone();
    let info = tz.to_offset_info(instant);
    format!(
        "{} {}",
        tz.to_datetime(instant).strftime("%Y-%m-%d %H:%M:%S"),
        info.abbreviation()
    )
}

/// How far `instant` is from `now`: `in 3m 20s`, `5s ago`, `now`.
///
/// ```
/// use tempora_cli::output::relative;
///
/// let now = "2026-01-01T00:00:00Z".parse()?;
/// assert_eq!(relative("2026-01-01T00:03:20Z".parse()?, now), "in 3m 20s");
/// assert_eq!(relative("2025-12-30T22:00:00Z".parse()?, now), "1d 2h ago");
/// assert_eq!(relative(now, now), "now");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn relative(instant: Timestamp, now: Timestamp) -> String {
    let seconds = instant.as_second() - now.as_second();
    let magnitude = seconds.unsigned_abs();
    if magnitude == 0 {
        return "now".to_owned();
    }
    let (days, hours, minutes, secs) = (
        magnitude / 86_400,
        magnitude % 86_400 / 3_600,
        magnitude % 3_600 / 60,
        magnitude % 60,
    );
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
        .into_iter()
        .skip_while(|(value, _)| *value == 0)
        .take(2)
        .filter(|(value, _)| *value != 0)
        .map(|(value, unit)| format!("{value}{unit}"))
        .collect();
    let span = parts.join(" ");
    if seconds > 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A trigger as a table shows it: its `Display` without the policies and
/// zone that are the defaults.
///
/// ```
/// use tempora::trigger::{CronTrigger, Zone};
/// use tempora_cli::output::short_trigger;
///
/// let trigger = CronTrigger::crontab("*/5 * * * *").timezone("UTC").build()?.into();
/// assert_eq!(short_trigger(&trigger, &Zone::new("UTC")?), "cron['*/5 * * * *']");
/// # Ok::<(), tempora::Error>(())
/// ```
pub fn short_trigger(trigger: &Trigger, zone: &Zone) -> String {
    trigger
        .to_string()
        .replace(&format!(", timezone='{}'", zone.name()), "")
        .replace(", dst_gap='shift'", "")
        .replace(", dst_fold='auto'", "")
}

/// Columns padded to their widest cell, two spaces apart.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// The columns of the run history's table.
pub const RUN_HEADER: [&str; 8] = [
    "JOB",
    "SCHEDULED",
    "STARTED",
    "DURATION",
    "OUTCOME",
    "NODE",
    "EXIT",
    "OUTPUT",
];

/// A run as `--json` prints it: a [`RunView`], times in RFC 3339 with
/// `zone`'s offset, the duration in seconds.
pub fn run_json(zone: &Zone, run: &RunRecord) -> Value {
    serde_json::to_value(RunView::new(zone, run)).unwrap_or(Value::Null)
}

/// The run history's table rows of `runs`.
pub fn run_rows(zone: &Zone, runs: &[RunRecord]) -> Vec<[String; 8]> {
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
                if run.attempt > 1 {
                    format!("{} (attempt {})", run.status, run.attempt)
                } else {
                    run.status.to_string()
                },
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
