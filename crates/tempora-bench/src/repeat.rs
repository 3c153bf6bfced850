//! `repeat R <workload args…>`: runs a workload R times, each in a fresh
//! process of this same binary, and summarizes each (impl, workload) by the
//! median of its values.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::Error;
use crate::output::Line;

/// The median of `values`: the middle one, or the mean of the two middle
/// ones when there is an even number; `None` when there are none.
///
/// ```
/// use tempora_bench::repeat::median;
///
/// assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
/// assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
/// assert_eq!(median(&[]), None);
/// ```
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

/// Summarizes the lines of several runs: one line per (impl, workload), in
/// the order they first appear, whose value is the median of the runs'
/// non-null values, with the extra keys `runs` (how many lines were
/// collected) and `values` (each run's value, `null` where it had none).
///
/// The other keys come from the first run with a value (or the first run,
/// when none had one). When some runs had a value and others not, `nulls`
/// counts the latter and `null_error` repeats the first one's `error`.
///
/// ```
/// use tempora_bench::output::Line;
/// use tempora_bench::repeat::summarize;
///
/// let run = |value| vec![Line::new("x-1", "W1-A", "ns/op", 10).value(value)];
/// let summary = summarize(&[run(3.0), run(1.0), run(2.0)]);
/// assert_eq!(summary.len(), 1);
/// assert_eq!(summary[0].value, Some(2.0));
/// assert_eq!(summary[0].get("runs"), Some(&serde_json::json!(3)));
/// ```
pub fn summarize(runs: &[Vec<Line>]) -> Vec<Line> {
    let mut groups: Vec<Vec<&Line>> = Vec::new();
    for line in runs.iter().flatten() {
        let key = (&line.impl_name, &line.workload);
        match groups
            .iter_mut()
            .find(|group| (&group[0].impl_name, &group[0].workload) == key)
        {
            Some(group) => group.push(line),
            None => groups.push(vec![line]),
        }
    }
    groups.iter().map(|group| summarize_group(group)).collect()
}

fn summarize_group(group: &[&Line]) -> Line {
    let values: Vec<f64> = group.iter().filter_map(|line| line.value).collect();
    let representative = group
        .iter()
        .find(|line| line.value.is_some())
        .unwrap_or(&group[0]);
    let mut summary = (*representative).clone();
    summary.value = median(&values);
    summary.set("runs", group.len());
    summary.set(
        "values",
        group
            .iter()
            .map(|line| line.value.map_or(Value::Null, Value::from))
            .collect::<Vec<_>>(),
    );
    let nulls = group.len() - values.len();
    if nulls > 0 && !values.is_empty() {
        summary.set("nulls", nulls);
        if let Some(error) = group
            .iter()
            .find(|line| line.value.is_none())
            .and_then(|line| line.get("error"))
        {
            summary.set("null_error", error.clone());
        }
    }
    summary
}

/// The JSON lines of one run's stdout; lines not starting with `{` are
/// ignored, as the output protocol says.
///
/// # Errors
///
/// An error for a line that starts with `{` but is not a result line.
///
/// ```
/// let lines = tempora_bench::repeat::parse_lines(
///     "warming up\n{\"impl\":\"x-1\",\"workload\":\"W6\",\"value\":null,\"unit\":\"cpu_s\",\"n\":1}\n",
/// )?;
/// assert_eq!(lines.len(), 1);
/// # Ok::<(), tempora_bench::Error>(())
/// ```
pub fn parse_lines(stdout: &str) -> Result<Vec<Line>, Error> {
    stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(Line::parse)
        .collect()
}

/// Runs this binary (`std::env::current_exe`) `count` times with `args`,
/// one fresh process after the other, and summarizes their lines with
/// [`summarize`]. The children's stderr goes to this process's stderr.
///
/// # Errors
///
/// An error when `count` is 0, when a child cannot be started or fails, or
/// when its output is not in the output protocol.
pub fn repeat(count: usize, args: &[String]) -> Result<Vec<Line>, Error> {
    if count == 0 {
        return Err(Error::usage("repeat: R must be at least 1"));
    }
    let exe = std::env::current_exe()
        .map_err(|error| Error::run(format!("repeat: cannot find this executable: {error}")))?;
    let mut runs = Vec::with_capacity(count);
    for run in 1..=count {
        eprintln!("repeat: run {run}/{count}: {}", args.join(" "));
        let output = Command::new(&exe)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|error| {
                Error::run(format!("repeat: cannot start {}: {error}", exe.display()))
            })?;
        if !output.status.success() {
            return Err(Error::run(format!(
                "repeat: run {run} of `{}` failed: {}",
                args.join(" "),
                output.status
            )));
        }
        runs.push(parse_lines(&String::from_utf8_lossy(&output.stdout))?);
    }
    Ok(summarize(&runs))
}
