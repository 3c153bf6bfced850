//! `tempora check`, end to end: the shipped example passes, and a mistake is
//! reported on one line with the file, line and column, and exit status 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn tempora(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(args)
        .output()
        .unwrap()
}

fn example() -> String {
    format!("{}/../../examples/tempora.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_shipped_example_is_valid() {
    let output = tempora(&["check", "--config", &example()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.ends_with(": ok, 4 job(s): heartbeat, disk-usage, monthly-report, invoices\n"),
        "{stdout}"
    );
    let output = tempora(&["check", "--config", &example(), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["jobs"].as_array().unwrap().len(), 4);
}

/// `tempora check` on a file holding `text`, which it must refuse with
/// status 2: the file's path, and what it printed on stderr.
fn refused(name: &str, text: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("tempora-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let output = tempora(&["check", "-c", &file]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
    (file, String::from_utf8(output.stderr).unwrap())
}

#[test]
fn a_mistake_is_located_on_one_line() {
    let (file, stderr) = refused(
        "cron",
        "[[job]]\nid = \"nightly\"\nshell = \"make\"\ncron = { day = \"last\", hour = 3, minute = 75 }\n",
    );
    assert_eq!(
        stderr,
        format!("error: {file}:4:34: job \"nightly\": minute: 75 is out of range 0-59\n")
    );
}

#[test]
fn a_bad_history_limit_names_the_key_the_value_and_what_it_takes() {
    let (file, stderr) = refused(
        "history",
        "[scheduler]\ntimezone = \"UTC\"\nhistory_max_age = 5\n",
    );
    assert_eq!(
        stderr,
        format!("error: {file}:3:1: history_max_age: 5 is not a duration or \"unlimited\"\n")
    );
}

#[test]
fn a_missing_file_is_named() {
    let output = tempora(&["check", "--config", "/nonexistent/tempora.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: config: cannot read \"/nonexistent/tempora.toml\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

/// `tempora check` on a file holding `text`: its exit status, stdout and
/// stderr.
fn checked(name: &str, text: &str) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir().join(format!("tempora-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tempora.toml");
    std::fs::write(&file, text).unwrap();
    let output = tempora(&["check", "-c", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_numbered_day_of_week_in_the_table_form_is_a_warning_naming_the_day() {
    let (status, stdout, stderr) = checked(
        "day-number",
        "[[job]]\nid = \"x\"\nshell = \"true\"\ncron = { day_of_week = 1, hour = 3 }\n",
    );
    assert_eq!(status, Some(0), "a warning does not fail the check");
    assert!(stdout.ends_with(": ok, 1 job(s): x\n"), "{stdout}");
    assert_eq!(
        stderr,
        "warning: job \"x\": cron.day_of_week = 1 means Tuesday in the table form \
         (APScheduler's numbering, 0 = Monday); write \"tue\"\n"
    );
}

#[test]
fn day_names_and_crontab_numbers_give_no_warning() {
    let (status, stdout, stderr) = checked(
        "day-names",
        "[[job]]\nid = \"named\"\nshell = \"true\"\ncron = { day_of_week = \"tue\", hour = 3 }\n\n\
         [[job]]\nid = \"crontab\"\nshell = \"true\"\ncron = \"0 3 * * 1\"\n",
    );
    assert_eq!(status, Some(0));
    assert!(
        stdout.ends_with(": ok, 2 job(s): named, crontab\n"),
        "{stdout}"
    );
    assert_eq!(stderr, "");
}

#[test]
fn json_lists_the_warnings() {
    let dir = std::env::temp_dir().join(format!("tempora-check-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tempora.toml");
    std::fs::write(
        &file,
        "[[job]]\nid = \"x\"\nshell = \"true\"\ncron = { day_of_week = \"5-6\" }\n",
    )
    .unwrap();
    let output = tempora(&["check", "-c", file.to_str().unwrap(), "--json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.status.success());
    assert!(output.stderr.is_empty());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        summary["warnings"],
        serde_json::json!([
            "job \"x\": cron.day_of_week = \"5-6\" means Saturday-Sunday in the table form \
             (APScheduler's numbering, 0 = Monday); write \"sat-sun\""
        ])
    );
}

#[test]
fn an_unknown_calendar_is_refused_naming_it() {
    let (file, stderr) = refused(
        "calendar",
        "[calendar.holidays]\ndates = [\"2026-12-25\"]\n\n\
         [[job]]\nid = \"r\"\nshell = \"true\"\ncron = \"@daily\"\nexclude = [\"maintenance\"]\n",
    );
    assert_eq!(
        stderr,
        format!(
            "error: {file}:8:11: job \"r\": exclude: \"maintenance\" is not a calendar of the \
             configuration file (defined: \"holidays\"); define it in a [calendar.maintenance] table\n"
        )
    );
}
