//! `tempora next`, end to end: the real binary, its output, its exit status
//! and its one-line errors. Every case passes `--now`, so none depends on
//! the clock (but the one that checks the clock's default).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn tempora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `tempora next ARGS`, expects success, returns the stdout lines.
fn next(args: &[&str]) -> Vec<String> {
    let mut argv = vec!["next"];
    argv.extend_from_slice(args);
    let output = tempora(&argv);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Runs `tempora next ARGS`, expects the usage-error status 2, nothing on
/// stdout and one line on stderr; returns that line.
fn refused(args: &[&str]) -> String {
    let mut argv = vec!["next"];
    argv.extend_from_slice(args);
    let output = tempora(&argv);
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    assert!(output.stdout.is_empty(), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    stderr.trim_end().to_owned()
}

#[test]
fn cron_fields_use_apschedulers_grammar() {
    assert_eq!(
        next(&[
            "cron",
            "--day",
            "3rd fri",
            "--hour",
            "9",
            "--timezone",
            "Europe/Berlin",
            "--now",
            "2026-01-01",
            "--count",
            "3"
        ]),
        [
            "2026-01-16T09:00:00+01:00",
            "2026-02-20T09:00:00+01:00",
            "2026-03-20T09:00:00+01:00"
        ]
    );
    assert_eq!(
        next(&[
            "cron",
            "--year",
            "2027",
            "--month",
            "jun-aug",
            "--day",
            "last",
            "--week",
            "*",
            "--day-of-week",
            "*",
            "--minute",
            "30",
            "--second",
            "15",
            "--timezone",
            "UTC",
            "--now",
            "2026-01-01",
            "--count",
            "2"
        ]),
        ["2027-06-30T00:30:15+00:00", "2027-06-30T01:30:15+00:00"]
    );
}

#[test]
fn crontab_strings_use_cron_rules() {
    // The Vixie rule: the 1st of the month OR a Monday.
    assert_eq!(
        next(&[
            "crontab",
            "0 12 1 * mon",
            "--timezone",
            "UTC",
            "--now",
            "2026-06-01 12:00:01",
            "--count",
            "3"
        ]),
        [
            "2026-06-08T12:00:00+00:00",
            "2026-06-15T12:00:00+00:00",
            "2026-06-22T12:00:00+00:00"
        ]
    );
}

#[test]
fn an_interval_counts_elapsed_time_across_dst() {
    assert_eq!(
        next(&[
            "interval",
            "--hours",
            "24",
            "--start-date",
            "2026-03-07 09:00",
            "--timezone",
            "America/New_York",
            "--now",
            "2026-03-07",
            "--count",
            "2"
        ]),
        ["2026-03-07T09:00:00-05:00", "2026-03-08T10:00:00-04:00"]
    );
}

#[test]
fn a_calendar_interval_skips_days_a_month_lacks() {
    assert_eq!(
        next(&[
            "calendar-interval",
            "--months",
            "1",
            "--hour",
            "8",
            "--start-date",
            "2026-01-31",
            "--timezone",
            "UTC",
            "--now",
            "2026-01-01",
            "--count",
            "3"
        ]),
        [
            "2026-01-31T08:00:00+00:00",
            "2026-03-31T08:00:00+00:00",
            "2026-05-31T08:00:00+00:00"
        ]
    );
}

#[test]
fn a_date_fires_once_then_is_exhausted() {
    let args = [
        "date",
        "--run-date",
        "2026-07-06 16:30",
        "--timezone",
        "Europe/Helsinki",
        "--now",
        "2026-07-01",
    ];
    assert_eq!(next(&args), ["2026-07-06T16:30:00+03:00"]);
    // With that fire time as the previous one: nothing left, exit 0.
    let mut after = args.to_vec();
    after.extend(["--previous", "2026-07-06T16:30:00+03:00"]);
    assert!(next(&after).is_empty());
}

#[test]
fn an_end_date_shortens_the_list() {
    assert_eq!(
        next(&[
            "interval",
            "--minutes",
            "10",
            "--start-date",
            "2026-01-01T00:00:00Z",
            "--end-date",
            "2026-01-01T00:25:00Z",
            "--timezone",
            "UTC",
            "--now",
            "2026-01-01T00:00:00Z"
        ]),
        [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:10:00+00:00",
            "2026-01-01T00:20:00+00:00"
        ]
    );
}

#[test]
fn previous_gives_the_fire_times_after_it() {
    assert_eq!(
        next(&[
            "crontab",
            "0 * * * *",
            "--timezone",
            "UTC",
            "--now",
            "2026-01-01T05:30:00Z",
            "--previous",
            "2026-01-01T03:00:00Z",
            "--count",
            "2"
        ]),
        // The first after the previous one, though it is before now: a
        // scheduler uses that to see missed runs.
        ["2026-01-01T04:00:00+00:00", "2026-01-01T05:00:00+00:00"]
    );
}

#[test]
fn json_prints_an_array() {
    let output = tempora(&[
        "next",
        "crontab",
        "@daily",
        "--timezone",
        "+05:30",
        "--now",
        "2026-01-01T00:00:00+05:30",
        "--count",
        "2",
        "--json",
    ]);
    assert!(output.status.success());
    let times: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        times,
        ["2026-01-01T00:00:00+05:30", "2026-01-02T00:00:00+05:30"]
    );
}

/// The worked example of README.md, line for line.
#[test]
fn the_readme_dst_examples_hold() {
    let gap = |policy: &[&str]| {
        let mut args = vec![
            "crontab",
            "30 2 * * *",
            "--timezone",
            "America/New_York",
            "--now",
            "2026-03-07",
            "--count",
            "3",
        ];
        args.extend_from_slice(policy);
        next(&args)
    };
    assert_eq!(
        gap(&[]),
        [
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T02:30:00-04:00"
        ]
    );
    assert_eq!(
        gap(&["--dst-gap", "at-transition"]),
        [
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T02:30:00-04:00"
        ]
    );
    assert_eq!(
        gap(&["--dst-gap", "skip"]),
        [
            "2026-03-07T02:30:00-05:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00"
        ]
    );
    let fold = |count: &str, policy: &[&str]| {
        let mut args = vec![
            "crontab",
            "30 1 * * *",
            "--timezone",
            "America/New_York",
            "--now",
            "2026-11-01",
            "--count",
            count,
        ];
        args.extend_from_slice(policy);
        next(&args)
    };
    assert_eq!(
        fold("2", &[]),
        ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
    );
    assert_eq!(
        fold("3", &["--dst-fold", "both"]),
        [
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T01:30:00-05:00",
            "2026-11-02T01:30:00-05:00"
        ]
    );
}

#[test]
fn without_now_the_answer_starts_from_the_clock() {
    let before = tempora::jiff::Timestamp::from_second(
        std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .unwrap()
            .as_secs() as i64,
    )
    .unwrap();
    let lines = next(&[
        "interval",
        "--seconds",
        "30",
        "--timezone",
        "UTC",
        "--count",
        "1",
    ]);
    let first: tempora::jiff::Timestamp = lines[0].parse().unwrap();
    assert!(first > before, "{first} is not after {before}");
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_field() {
    for (args, expected) in [
        (
            &["cron", "--hour", "24", "--timezone", "UTC"][..],
            "error: hour: 24 is out of range 0-23",
        ),
        (
            &["crontab", "61 * * * *", "--timezone", "UTC"],
            "error: minute: 61 is out of range 0-59",
        ),
        (
            &[
                "interval",
                "--hours",
                "1",
                "--dst-gap",
                "skip",
                "--timezone",
                "UTC",
            ],
            "error: dst_gap: \"skip\" does not apply: interval triggers count elapsed time, \
             not the wall clock; DST policies are for cron, crontab and calendar-interval",
        ),
        (
            &["interval", "--timezone", "UTC"],
            "error: interval: weeks, days, hours, minutes and seconds are all zero; \
             the interval must be longer than zero",
        ),
        (
            &[
                "crontab",
                "@daily",
                "--dst-fold",
                "twice",
                "--timezone",
                "UTC",
            ],
            "error: dst_fold: \"twice\" is not a policy; expected auto, first, last or both",
        ),
    ] {
        assert_eq!(refused(args), expected, "{args:?}");
    }
    // Messages from deeper down: only their field is pinned here.
    for (args, field) in [
        (
            &["crontab", "@daily", "--timezone", "Mars/Base"][..],
            "timezone",
        ),
        (
            &[
                "crontab",
                "@daily",
                "--timezone",
                "UTC",
                "--now",
                "yesterday",
            ],
            "error: ",
        ),
        (
            &["date", "--run-date", "2026-13-01", "--timezone", "UTC"],
            "run_date",
        ),
    ] {
        let line = refused(args);
        assert!(line.starts_with("error: "), "{line}");
        assert!(line.contains(field), "{args:?}: {line}");
        assert_eq!(line.lines().count(), 1, "{line}");
    }
}

#[test]
fn a_usage_mistake_exits_2() {
    for args in [
        &["next", "cron", "--hours", "3"][..],
        &["next", "sometimes"],
        &["next", "date"],
    ] {
        let output = tempora(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}
