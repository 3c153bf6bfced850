//! `tempora next`, end to end: the real binary, its output, its exit status
//! and its one-line errors, and the examples README.md and the pages of
//! `docs/` print, read from those files. Every case passes `--now`, so none
//! depends on the clock (but the one that checks the clock's default).

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
    assert!(output.stderr.is_empty(), "{args:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Runs `tempora next ARGS`, expects the usage-error status 2, nothing on
/// stdout and exactly one line on stderr; returns that line.
fn refused(args: &[&str]) -> String {
    let mut argv = vec!["next"];
    argv.extend_from_slice(args);
    let output = tempora(&argv);
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    assert!(output.stdout.is_empty(), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.matches('\n').count(), 1, "{args:?}: {stderr:?}");
    assert!(stderr.ends_with('\n'), "{args:?}: {stderr:?}");
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
    // APScheduler's day of the week: 0 is Monday.
    assert_eq!(
        next(&[
            "cron",
            "--day-of-week",
            "0",
            "--hour",
            "7",
            "--timezone",
            "UTC",
            "--now",
            "2026-01-01",
            "--count",
            "1"
        ]),
        ["2026-01-05T07:00:00+00:00"]
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

/// docs/triggers.md: "`--hours 24` from 2026-03-07 09:00 fires at 10:00 on the 8th".
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
fn a_calendar_interval_keeps_its_wall_clock_time_across_dst() {
    // The end date's calendar date in the zone counts: the 10th, all of it.
    assert_eq!(
        next(&[
            "calendar-interval",
            "--days",
            "1",
            "--hour",
            "2",
            "--minute",
            "30",
            "--start-date",
            "2026-03-07",
            "--end-date",
            "2026-03-10T23:59:00-04:00",
            "--timezone",
            "America/New_York",
            "--dst-gap",
            "skip",
            "--now",
            "2026-03-01"
        ]),
        [
            "2026-03-07T02:30:00-05:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00"
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
    after.push("--json");
    assert_eq!(next(&after), ["[]"]);
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
fn count_defaults_to_five() {
    let args = [
        "crontab",
        "@hourly",
        "--timezone",
        "UTC",
        "--now",
        "2026-01-01",
    ];
    let lines = next(&args);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4], "2026-01-01T04:00:00+00:00");
    let mut one = args.to_vec();
    one.extend(["--count", "1"]);
    assert_eq!(next(&one), ["2026-01-01T00:00:00+00:00"]);
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
fn local_and_rfc_3339_times_are_the_same_instant() {
    let from = |now: &str| {
        next(&[
            "crontab",
            "*/15 * * * *",
            "--timezone",
            "Europe/Berlin",
            "--now",
            now,
            "--count",
            "2",
        ])
    };
    let expected = ["2026-03-29T03:30:00+02:00", "2026-03-29T03:45:00+02:00"];
    for now in [
        "2026-03-29 03:30",
        "2026-03-29T03:30",
        "2026-03-29 03:30:00.000000",
        "2026-03-29T03:30:00+02:00",
        "2026-03-29T01:30:00Z",
        // Clocks jump from 02:00 to 03:00 that night: 02:30 is read as 03:30.
        "2026-03-29 02:30",
    ] {
        assert_eq!(from(now), expected, "--now {now}");
    }
    // A fraction of a second past a fire time: that one is gone.
    assert_eq!(
        from("2026-03-29 03:30:00.000001"),
        ["2026-03-29T03:45:00+02:00", "2026-03-29T04:00:00+02:00"]
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
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let times: Vec<String> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        times,
        ["2026-01-01T00:00:00+05:30", "2026-01-02T00:00:00+05:30"]
    );
}

#[test]
fn without_now_the_answer_starts_from_the_clock() {
    // This test is about the clock: it reads it before the run.
    #[allow(clippy::disallowed_methods)]
    let before = jiff::Timestamp::now();
    let lines = next(&[
        "interval",
        "--seconds",
        "30",
        "--timezone",
        "UTC",
        "--count",
        "2",
    ]);
    let first: jiff::Timestamp = lines[0].parse().unwrap();
    assert!(first > before, "{first} is not after {before}");
    let second: jiff::Timestamp = lines[1].parse().unwrap();
    assert_eq!(
        second.duration_since(first),
        jiff::SignedDuration::from_secs(30)
    );
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
            &["crontab", "* * *", "--timezone", "UTC"],
            "error: crontab: \"* * *\" has 3 fields; expected 5 (minute hour day month \
             day_of_week), 6 (with a leading second) or 7 (and a trailing year)",
        ),
        (
            &["crontab", "@daily", "--timezone", "Mars/Base"],
            "error: timezone: \"Mars/Base\" is not a known IANA time zone name, `UTC` or an \
             offset like +05:30",
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
            "error: now: \"yesterday\" is neither RFC 3339 with an offset nor a local \
             YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]",
        ),
        (
            &[
                "crontab",
                "@daily",
                "--timezone",
                "UTC",
                "--previous",
                "2026-02-30",
            ],
            "error: previous: \"2026-02-30\" is neither RFC 3339 with an offset nor a local \
             YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]",
        ),
        (
            &[
                "date",
                "--run-date",
                "2026-07-06 25:00",
                "--timezone",
                "UTC",
            ],
            "error: run_date: \"2026-07-06 25:00\" is neither RFC 3339 with an offset nor a \
             local YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]",
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
            "error: dst_gap: \"skip\" does not apply: an interval counts elapsed time, \
             not the wall clock; DST policies are for cron, crontab and calendar-interval",
        ),
        (
            &["date", "--run-date", "2026-07-06", "--dst-fold", "both"],
            "error: dst_fold: \"both\" does not apply: a date fires at one instant; to pick \
             one side of a DST change, give --run-date an offset; DST policies are for cron, \
             crontab and calendar-interval",
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
        // Clap's usage mistakes come out as one line too.
        (
            &["interval", "--hourz", "1", "--timezone", "UTC"],
            "error: unexpected argument '--hourz' found; \
             tip: a similar argument exists: '--hours'",
        ),
        (
            &["date", "--timezone", "UTC"],
            "error: the following required arguments were not provided: --run-date <T>",
        ),
        (
            &["crontab", "@daily", "--count", "-1"],
            "error: invalid value '-1' for '--count <N>': invalid digit found in string",
        ),
        (&["sometimes"], "error: unrecognized subcommand 'sometimes'"),
    ] {
        assert_eq!(refused(args), expected, "{args:?}");
    }
}

/// A configuration file holding `text` in a directory of its own; removed
/// with the directory when dropped.
struct ConfigFile {
    dir: std::path::PathBuf,
    path: String,
}

impl ConfigFile {
    fn new(name: &str, text: &str) -> ConfigFile {
        let dir = std::env::temp_dir().join(format!("tempora-next-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tempora.toml");
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap().to_owned();
        ConfigFile { dir, path }
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn exclude_skips_the_times_of_the_configurations_calendars() {
    let config = ConfigFile::new(
        "exclude",
        "[calendar.holidays]\ndates = [\"2026-12-25\"]\n\n\
         [calendar.weekends]\nweekdays = [\"sat\", \"sun\"]\n",
    );
    let args = [
        "crontab",
        "0 9 * * *",
        "--timezone",
        "America/New_York",
        "--now",
        "2026-12-23 10:00",
        "--count",
        "3",
    ];
    // Without calendars: every day.
    assert_eq!(
        next(&args),
        [
            "2026-12-24T09:00:00-05:00",
            "2026-12-25T09:00:00-05:00",
            "2026-12-26T09:00:00-05:00"
        ]
    );
    // Christmas (a Friday) and the weekend after it are skipped.
    let mut excluded = args.to_vec();
    excluded.extend(["--exclude", "holidays", "--exclude", "weekends"]);
    excluded.extend(["--config", &config.path]);
    assert_eq!(
        next(&excluded),
        [
            "2026-12-24T09:00:00-05:00",
            "2026-12-28T09:00:00-05:00",
            "2026-12-29T09:00:00-05:00"
        ]
    );
    // The trigger's flags without a subcommand take --exclude too.
    assert_eq!(
        next(&[
            "--hour",
            "9",
            "--timezone",
            "America/New_York",
            "--now",
            "2026-12-24 10:00",
            "--count",
            "1",
            "--exclude",
            "holidays",
            "--config",
            &config.path,
        ]),
        ["2026-12-26T09:00:00-05:00"]
    );
    let mut unknown = args.to_vec();
    unknown.extend(["--exclude", "holydays", "--config", &config.path]);
    assert_eq!(
        refused(&unknown),
        "error: exclude: \"holydays\" is not a calendar of the configuration file \
         (defined: \"holidays\", \"weekends\"); define it in a [calendar.holydays] table"
    );
}

#[test]
fn help_is_printed_on_stdout_with_status_0() {
    for args in [
        &["next", "--help"][..],
        &["next", "cron", "-h"],
        &["--version"],
    ] {
        let output = tempora(args);
        assert!(output.status.success(), "{args:?}");
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
    let help = String::from_utf8(tempora(&["next", "interval", "--help"]).stdout).unwrap();
    // Options that are refused for an interval are not offered.
    assert!(!help.contains("--dst-gap"), "{help}");
    assert!(help.contains("--start-date <T>"), "{help}");
}

/// The words of a shell command line: split at spaces outside quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (Some(open), _) if c == open => quote = None,
            (None, ' ') => words.extend(word.take()),
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert!(quote.is_none(), "unbalanced quotes: {line}");
    words.extend(word);
    words
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap()
}

/// README.md and every page of `docs/`, one after the other.
fn manual() -> String {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs");
    let mut pages: Vec<_> = std::fs::read_dir(docs)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    pages.sort();
    let mut text = readme();
    for page in pages {
        text.push('\n');
        text.push_str(&std::fs::read_to_string(page).unwrap());
    }
    text
}

/// The section of README.md under `heading`, up to the next `## ` heading.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme.find(heading).expect(heading);
    let rest = &readme[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The fenced code blocks of `text`, each as its info string and its lines.
fn code_blocks(text: &str) -> Vec<(&str, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, Vec<&str>)> = None;
    for line in text.lines() {
        match (line.strip_prefix("```"), open.take()) {
            (Some(info), None) => open = Some((info, Vec::new())),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some((info, mut lines))) => {
                lines.push(line);
                open = Some((info, lines));
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Every `$ tempora next ...` in the shell blocks of README.md and of the
/// pages of `docs/` prints the lines shown under it, exactly (`# comments`
/// aside).
#[test]
fn the_readme_examples_print_what_it_shows() {
    let manual = manual();
    let mut examples = 0;
    for (_, lines) in code_blocks(&manual)
        .into_iter()
        .filter(|(info, _)| *info == "sh")
    {
        let mut lines = lines.into_iter().peekable();
        while let Some(line) = lines.next() {
            let Some(command) = line.strip_prefix("$ tempora ") else {
                continue;
            };
            let mut expected = Vec::new();
            while let Some(output) = lines.next_if(|line| !line.starts_with('$')) {
                let output = output.split('#').next().unwrap().trim_end();
                expected.push(output.to_owned());
            }
            let args = shell_words(command);
            assert!(
                args.iter().any(|arg| arg == "--now"),
                "README: `{command}` depends on the clock; give it --now"
            );
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = tempora(&args);
            assert!(output.status.success(), "README: `{command}`");
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert_eq!(
                stdout.lines().collect::<Vec<_>>(),
                expected,
                "README: `{command}`"
            );
            examples += 1;
        }
    }
    // The worked example of "Time zones and DST" alone has five.
    assert!(
        examples >= 5,
        "only {examples} examples found in README.md and docs/"
    );
}

/// "Two commands": the `tempora next` example, at the moment the text
/// describes, prints the lines shown in the block after it.
#[test]
fn the_readme_next_example_prints_what_it_shows() {
    let readme = readme();
    let section = section(&readme, "## Two commands");
    let blocks = code_blocks(section);
    let (index, command) = blocks
        .iter()
        .enumerate()
        .find_map(|(index, (_, lines))| {
            lines
                .iter()
                .find_map(|line| line.strip_prefix("cargo run -p tempora-cli -- next "))
                .map(|command| (index, command))
        })
        .expect("the cargo run ... next command");
    let shown = &blocks[index + 1].1;
    // The moment the text says the example was printed at.
    let prose = section.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        prose.contains("Wednesday 2026-11-25, at 08:00"),
        "{section}"
    );
    let mut args = vec!["next".to_owned()];
    args.extend(shell_words(command));
    args.extend(["--now".into(), "2026-11-25 08:00".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = tempora(&args);
    assert!(output.status.success(), "{args:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(&stdout.lines().collect::<Vec<_>>(), shown);
}

#[test]
fn describe_prints_the_schedule_in_words_before_the_fire_times() {
    let args = [
        "--cron",
        "*/15 9-17 * * mon-fri",
        "--timezone",
        "Europe/Berlin",
        "--now",
        "2026-11-27 17:50",
        "--count",
        "2",
    ];
    // Without --describe: the fire times only, one per line.
    assert_eq!(
        next(&args),
        ["2026-11-30T09:00:00+01:00", "2026-11-30T09:15:00+01:00"]
    );
    let mut described = args.to_vec();
    described.push("--describe");
    assert_eq!(
        next(&described),
        [
            "every 15 minutes from 09:00 to 17:45, Monday to Friday (Europe/Berlin)",
            "2026-11-30T09:00:00+01:00",
            "2026-11-30T09:15:00+01:00",
        ]
    );
    described.push("--json");
    let json: serde_json::Value = serde_json::from_str(&next(&described)[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "description": "every 15 minutes from 09:00 to 17:45, Monday to Friday",
            "zone": "Europe/Berlin",
            "fire_times": ["2026-11-30T09:00:00+01:00", "2026-11-30T09:15:00+01:00"],
        })
    );
}
