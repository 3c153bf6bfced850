//! See the catalogue in `main.rs`.

use std::time::{Duration, Instant};

use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Daemon, Setup, is_running, signal, wait_exit};

fn config(url: &str, dir: &str) -> String {
    format!(
        "[scheduler]\nstore = \"{url}\"\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [[job]]\nid = \"tick\"\nshell = \"echo tick >> tick.txt\"\nworking_dir = \"{dir}\"\n\
         interval = {{ seconds = 1 }}\n"
    )
}

/// The store is down when the daemon starts: it waits, one log line per
/// attempt (backoff capped at 5 s), never exits, and runs the per-second
/// job within seconds of the server's start. SIGTERM while it waits exits
/// cleanly.
#[test]
fn the_daemon_waits_for_a_store_that_is_down_at_start() {
    let mut server = PrivatePostgres::start();
    server.stop();
    let setup = Setup::new("store-down-at-start", "");
    setup.write_config(&config(&server.url(), &setup.dir.display().to_string()));

    // SIGTERM while waiting: a clean exit.
    let mut early = Daemon(setup.start());
    setup.wait_until("the first attempt is logged", || {
        setup
            .log()
            .contains("the store cannot be reached; waiting for it")
    });
    signal(&early, "TERM");
    let asked = Instant::now();
    assert!(wait_exit(&mut early).success(), "{}", setup.log());
    assert!(asked.elapsed() < Duration::from_secs(3));

    let mut daemon = Daemon(setup.start());
    setup.wait_until("three attempts are logged", || {
        setup
            .log()
            .matches("the store cannot be reached; waiting for it")
            .count()
            >= 4
    });
    assert!(is_running(&mut daemon), "{}", setup.log());
    assert!(setup.lines("tick.txt").is_empty());

    server.start_again();
    let back = Instant::now();
    setup.wait_until("tick runs", || !setup.lines("tick.txt").is_empty());
    let recovered = back.elapsed();
    eprintln!("bounded_calls: the job ran {recovered:?} after the server was started again");
    // The backoff is at most 5 s; the job runs at its next second.
    assert!(recovered < Duration::from_secs(10), "took {recovered:?}");
    assert!(setup.log().contains("the store is reachable"));
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}
