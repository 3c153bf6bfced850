//! The `tempora-bench` binary: exit codes, the lines each workload prints,
//! and `repeat` in fresh processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::{Map, Value};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempora-bench"))
        .args(args)
        .output()
        .unwrap()
}

/// The JSON objects of a successful run, each checked for the required keys.
fn lines(args: &[&str]) -> Vec<Map<String, Value>> {
    let output = bench(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .map(|line| {
            let object: Map<String, Value> = serde_json::from_str(line).unwrap();
            assert!(object["impl"].is_string(), "{line}");
            assert!(object["workload"].is_string(), "{line}");
            assert!(
                object["value"].is_number() || object["value"].is_null(),
                "{line}"
            );
            assert!(object["unit"].is_string(), "{line}");
            assert!(object["n"].is_u64(), "{line}");
            object
        })
        .collect()
}

#[test]
fn w4_measures_the_sqlite_store() {
    let lines = lines(&["W4-add", "50"]);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["workload"], "W4-add");
    assert_eq!(lines[0]["unit"], "jobs/s");
    assert!(lines[0]["value"].as_f64().unwrap() > 0.0, "{:?}", lines[0]);
    let restart = self::lines(&["W4-restart", "200"]);
    assert_eq!(restart[0]["workload"], "W4-restart");
    assert_eq!(restart[0]["unit"], "s");
    assert_eq!(restart[0]["n"], 200);
    assert!(
        restart[0]["value"].as_f64().unwrap() > 0.0,
        "{:?}",
        restart[0]
    );
    assert!(restart[0]["start_returned_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn w2_runs_every_job_through_the_scheduler() {
    let lines = lines(&["W2", "2000"]);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["workload"], "W2-2k");
    assert_eq!(line["unit"], "jobs/s");
    assert_eq!(line["n"], 2000);
    assert!(line["value"].as_f64().unwrap() > 0.0, "{line:?}");
    assert!(line["elapsed_s"].as_f64().unwrap() > 0.0);
    assert!(line["add_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn w1_prints_tempora_and_both_peers() {
    let lines = lines(&["W1", "B", "1000"]);
    let impls: Vec<&str> = lines
        .iter()
        .map(|line| line["impl"].as_str().unwrap())
        .collect();
    assert_eq!(
        impls,
        [
            concat!("tempora-", env!("CARGO_PKG_VERSION")),
            "cron-0.17.0",
            "croner-4.0.3"
        ]
    );
    for line in &lines {
        assert_eq!(line["workload"], "W1-B");
        assert_eq!(line["unit"], "ns/op");
        assert_eq!(line["n"], 1000);
        assert!(line["value"].as_f64().unwrap() > 0.0);
        assert_eq!(line["check"], lines[0]["check"]);
        assert_eq!(line["wraps"], 0);
    }
}

#[test]
fn w1_c_reports_what_the_cron_crate_cannot_express() {
    let lines = lines(&["W1", "C", "100"]);
    assert_eq!(lines[1]["impl"], "cron-0.17.0");
    assert_eq!(lines[1]["value"], Value::Null);
    assert!(lines[1]["error"].as_str().unwrap().contains("cannot parse"));
    assert!(lines[2]["value"].is_number());
}

#[test]
fn repeat_prints_the_median_of_fresh_runs() {
    let lines = lines(&["repeat", "3", "W1", "A", "1000"]);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["runs"], 3);
        let mut values: Vec<f64> = line["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value.as_f64().unwrap())
            .collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(line["value"].as_f64().unwrap(), values[1]);
        assert_eq!(line["check"], "2026-03-01T01:23:20+01:00");
    }
}

#[test]
fn a_wrong_command_line_exits_2_with_the_usage() {
    for args in [
        &[][..],
        &["W9"],
        &["W1", "D"],
        &["W1", "A", "0"],
        &["W1", "A", "ten"],
        &["W2"],
        &["repeat", "0", "W3"],
        &["repeat", "3"],
        &["repeat", "2", "repeat", "2", "W3"],
    ] {
        let output = bench(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn w4_runs_on_postgres_with_store_and_times_a_claim() {
    let url = std::env::var("TEMPORA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let add = lines(&["W4-add", "30", "--store", &url]);
    assert_eq!(add[0]["workload"], "W4-add");
    assert_eq!(add[0]["store"], "postgres");
    assert!(add[0]["value"].as_f64().unwrap() > 0.0, "{:?}", add[0]);
    let restart = lines(&["W4-restart", "50", "--store", &url]);
    assert_eq!(restart[0]["store"], "postgres");
    assert!(
        restart[0]["value"].as_f64().unwrap() > 0.0,
        "{:?}",
        restart[0]
    );
    for store in [Some(url.as_str()), None] {
        let mut args = vec!["W4-acquire", "40"];
        args.extend(store.map(|url| ["--store", url]).into_iter().flatten());
        let acquire = lines(&args);
        assert_eq!(acquire[0]["workload"], "W4-acquire");
        assert_eq!(acquire[0]["unit"], "ms");
        assert_eq!(acquire[0]["claimed"], 40, "{:?}", acquire[0]);
    }
    // --store is for W4 and W7 only, and takes a server's URL.
    assert_eq!(bench(&["W5", "--store", &url]).status.code(), Some(2));
    let refused = bench(&["W4-add", "--store", "oracle://scott:secret@127.0.0.1/orcl"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&refused.stderr).contains("secret"));
}

#[test]
fn w7_runs_every_due_job_once_across_the_nodes() {
    let url = std::env::var("TEMPORA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let cluster = lines(&["W7-cluster", "3", "600", "--store", &url]);
    assert_eq!(cluster[0]["workload"], "W7-cluster");
    assert_eq!(cluster[0]["unit"], "fires/s");
    assert_eq!(cluster[0]["nodes"], 3);
    assert_eq!(cluster[0]["runs"], 600, "{:?}", cluster[0]);
    assert!(
        cluster[0]["value"].as_f64().unwrap() > 0.0,
        "{:?}",
        cluster[0]
    );
    // On SQLite too (one file, one host).
    let sqlite = lines(&["W7-cluster", "2", "100"]);
    assert_eq!(sqlite[0]["store"], "sqlite");
    assert_eq!(sqlite[0]["runs"], 100, "{:?}", sqlite[0]);
}

/// Each server the persistent workloads run on, as `--store` takes it.
fn servers() -> [(&'static str, String); 4] {
    let url = |variable: &str, default: &str| {
        std::env::var(variable).unwrap_or_else(|_| default.to_owned())
    };
    [
        (
            "postgres",
            url(
                "TEMPORA_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
        ),
        (
            "mysql",
            url("TEMPORA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
        ),
        (
            "redis",
            url("TEMPORA_REDIS_URL", "redis://127.0.0.1:6379/0"),
        ),
        (
            "mongodb",
            url(
                "TEMPORA_MONGODB_URL",
                "mongodb://127.0.0.1:27017/tempora_test",
            ),
        ),
    ]
}

#[test]
fn the_persistent_workloads_run_on_every_server() {
    for (name, url) in servers() {
        // SecantusDB, the MongoDB server of the tests, can livelock on write
        // conflicts between several claimers: one node there.
        let nodes = if name == "mongodb" { "1" } else { "2" };
        for (args, workload, unit) in [
            (&["W4-add", "20"][..], "W4-add", "jobs/s"),
            (&["W4-restart", "30"], "W4-restart", "s"),
            (&["W4-acquire", "25"], "W4-acquire", "ms"),
            (&["W7-cluster", nodes, "40"], "W7-cluster", "fires/s"),
        ] {
            let mut args = args.to_vec();
            args.extend(["--store", url.as_str()]);
            let lines = lines(&args);
            assert_eq!(lines.len(), 1, "{name}: {lines:?}");
            let line = &lines[0];
            assert_eq!(line["workload"], workload, "{name}");
            assert_eq!(line["unit"], unit, "{name}");
            assert_eq!(line["store"], name, "{line:?}");
            assert!(line["value"].as_f64().unwrap() > 0.0, "{name}: {line:?}");
            match workload {
                "W4-acquire" => assert_eq!(line["claimed"], 25, "{name}: {line:?}"),
                "W7-cluster" => assert_eq!(line["runs"], 40, "{name}: {line:?}"),
                _ => {}
            }
        }
    }
}
