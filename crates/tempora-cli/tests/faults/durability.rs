//! See the catalogue in `main.rs`.
//!
//! A Redis without an append-only file (`appendonly no`, the default of
//! many installs) keeps jobs in memory only: a restart of the server loses
//! every one of them. The store reads the setting when it connects and
//! warns, saying what to set; with `appendonly yes`, jobs survive the
//! server being killed and started again.

use tempora_testkit::servers::PrivateRedis;

use crate::support::{Setup, kill};

/// A daemon on `url` with one job every second.
fn config(url: &str) -> String {
    format!(
        "[scheduler]\nstore = \"{url}\"\ntimezone = \"UTC\"\n\n[[job]]\nid = \"tick\"\n\
         shell = \"true\"\ninterval = {{ seconds = 1 }}\n"
    )
}

/// The warning's fixed words.
const WARNING: &str = "redis runs without an append-only file (appendonly no)";

#[test]
fn redis_without_an_append_only_file_is_warned_of_at_connect() {
    let server = PrivateRedis::start();
    let setup = Setup::new("durability-no-aof", &config(&server.url()));
    let daemon = setup.start();
    setup.wait_until("the daemon warns of appendonly no", || {
        setup.log().contains(WARNING)
    });
    let log = setup.log();
    let line = log.lines().find(|line| line.contains(WARNING)).unwrap();
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["level"], "WARN", "{line}");
    let message = entry["fields"]["message"].as_str().unwrap();
    assert!(
        message.contains("`appendonly yes`") && message.contains("`appendfsync everysec`"),
        "{message}"
    );
    println!("{message}");
    kill(daemon);
}

#[test]
fn redis_with_an_append_only_file_keeps_jobs_across_a_server_restart() {
    let mut server = PrivateRedis::start_append_only();
    let setup = Setup::new("durability-aof", &config(&server.url()));
    let daemon = setup.start();
    setup.wait_until("tick is stored", || {
        setup.tempora(&["jobs"]).status.success() && setup.ok(&["jobs"]).contains("tick")
    });
    setup.ok(&[
        "jobs",
        "add",
        "nightly",
        "--cron",
        "0 3 * * *",
        "--",
        "echo",
        "nightly",
    ]);
    kill(daemon);
    assert!(!setup.log().contains(WARNING), "{}", setup.log());
    server.kill();
    server.start_again();
    let jobs = setup.ok(&["jobs"]);
    assert!(
        jobs.contains("tick") && jobs.contains("nightly"),
        "jobs after the restart:\n{jobs}"
    );
}

#[test]
fn postgres_with_fsync_off_is_warned_of_at_connect() {
    // The private server runs with fsync = off (fast tests): what a
    // careless production setting would look like.
    let server = tempora_testkit::servers::PrivatePostgres::start();
    let setup = Setup::new("durability-fsync-off", &config(&server.url()));
    let daemon = setup.start();
    setup.wait_until("the daemon warns of fsync = off", || {
        setup.log().contains("the server runs with fsync = off")
    });
    assert!(setup.log().contains("set fsync = on"), "{}", setup.log());
    kill(daemon);
}
