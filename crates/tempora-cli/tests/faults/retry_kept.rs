//! See the catalogue in `main.rs`.
//!
//! The store (a private PostgreSQL) stops while a job with retries runs,
//! and the run fails while the store is down: its retry cannot be stored
//! then. The daemon keeps it, stores it when the store answers, and the
//! retry runs once: the history has attempt 1 failed and attempt 2
//! successful, for the one fire time.

use std::time::Duration;

use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Setup, in_seconds, outage, outage_scheduler, signal, wait_exit};

#[test]
fn a_run_failing_while_the_store_is_down_is_still_retried() {
    let mut server = PrivatePostgres::start();
    let setup = Setup::new("retry-kept", "");
    let runs = setup.path("runs");
    // The first run fails after 6 s; the second succeeds at once.
    setup.write_config(&format!(
        r#"{scheduler}
[[job]]
id = "flaky"
shell = "echo run >> {runs}; if [ $(wc -l < {runs}) -eq 1 ]; then sleep 6; exit 3; fi"
date = "{at}"
misfire_grace_time = "1h"
retry = {{ attempts = 2, delay = "1s" }}
"#,
        scheduler = outage_scheduler(&server.url()),
        runs = runs.display(),
        at = in_seconds(4),
    ));
    let mut daemon = setup.start();
    setup.wait_until("the first run starts", || setup.lines("runs").len() == 1);
    std::thread::sleep(Duration::from_secs(1));

    // The store goes away mid-run; the run fails (at 6 s) while it is down,
    // and stays down for longer than a call waits for a connection (10 s).
    outage(&mut server, &mut daemon, Duration::from_secs(25));
    assert_eq!(
        setup.lines("runs").len(),
        1,
        "the retry ran while the store was down"
    );
    server.start_again();
    setup.wait_until("the retry runs", || setup.lines("runs").len() == 2);
    setup.wait_until("both outcomes are written", || {
        setup.count("flaky", "success") == 1 && setup.count("flaky", "error") == 1
    });
    let mut attempts: Vec<(u64, String)> = setup
        .runs("flaky")
        .iter()
        .map(|run| {
            (
                run["attempt"].as_u64().unwrap(),
                run["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    attempts.sort();
    assert_eq!(
        attempts,
        [(1, "error".to_owned()), (2, "success".to_owned())],
        "one failed attempt, then its retry"
    );
    assert_eq!(setup.lines("runs").len(), 2, "the job ran a third time");
    assert!(
        setup
            .log()
            .contains("cannot store the retry of a failed run yet"),
        "the log says the retry waited for the store:\n{}",
        setup.log()
    );

    signal(&daemon, "TERM");
    let status = wait_exit(&mut daemon);
    assert_eq!(status.code(), Some(0), "{}", setup.log());
}
