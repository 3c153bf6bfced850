//! See the catalogue in `main.rs`.

use std::time::{Duration, Instant};

use crate::support::{Daemon, Setup, is_running, wait_exit};

const CONFIG: &str = r#"
[scheduler]
timezone = "UTC"
shutdown_timeout = "1s"

[[job]]
id = "long"
shell = "echo start >> runs.txt; sleep 2.5; echo end >> runs.txt"
working_dir = "{DIR}"
interval = { seconds = 1 }
max_instances = 1
"#;

/// The most runs in progress at once, from the lines the command wrote.
fn most_at_once(lines: &[String]) -> usize {
    let (mut running, mut most) = (0usize, 0usize);
    for line in lines {
        if line == "start" {
            running += 1;
        } else {
            running = running.saturating_sub(1);
        }
        most = most.max(running);
    }
    most
}

/// Two daemons on one host and one store, neither with a `node_id`: the
/// second refuses to start (non-zero status, a message naming the id, the
/// first daemon's pid and `node_id`); the 2.5 s job under `max_instances =
/// 1` never runs twice at once and no run is marked interrupted. A daemon
/// killed and started again takes its id back at once.
#[test]
fn a_second_daemon_under_the_same_node_id_refuses_to_start() {
    let setup = Setup::new("node-identity", CONFIG);
    let mut first = Daemon(setup.start());
    setup.wait_until("the first daemon runs the job", || {
        setup.lines("runs.txt").iter().any(|line| line == "start")
    });

    let mut second = Daemon(setup.start());
    let status = wait_exit(&mut second);
    assert!(!status.success(), "{}", setup.log());
    let log = setup.log();
    let node = format!("tempora@{}", tempora::scheduler::host_name());
    assert!(
        log.contains(&format!(
            "another live daemon uses node id {node:?} (host {}, pid {})",
            tempora::scheduler::host_name(),
            first.id()
        )),
        "{log}"
    );
    assert!(log.contains("node_id"), "{log}");

    // Several runs' worth of time with the first daemon alone.
    std::thread::sleep(Duration::from_secs(6));
    assert!(is_running(&mut first));
    let lines = setup.lines("runs.txt");
    assert!(
        lines.iter().filter(|line| *line == "start").count() >= 2,
        "{lines:?}"
    );
    assert_eq!(most_at_once(&lines), 1, "{lines:?}");
    assert_eq!(setup.count("long", "interrupted"), 0);
    let nodes = setup.json(&["nodes"]);
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(nodes[0]["pid"], first.id(), "{nodes}");

    // Killed and started again: its own predecessor's id is taken at once.
    drop(first);
    let restarted = Instant::now();
    let again = Daemon(setup.start());
    setup.wait_until("the restarted daemon takes the id over", || {
        setup.log().contains("no longer runs: taking it over")
    });
    setup.wait_until("the run the kill cut short is recorded interrupted", || {
        setup.count("long", "interrupted") == 1
    });
    assert!(restarted.elapsed() < Duration::from_secs(5));
    drop(again);
}
