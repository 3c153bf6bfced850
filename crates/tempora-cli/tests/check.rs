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
