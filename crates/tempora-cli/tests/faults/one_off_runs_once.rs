//! See the catalogue in `main.rs`.

use std::time::Duration;

use crate::support::{Daemon, Setup, signal, wait_exit};

/// A `date` job of the file, a few seconds ahead, and a per-second job.
fn config(at: &str, with_tick: bool) -> String {
    let mut text = format!(
        "[scheduler]\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
         [[job]]\nid = \"once\"\nshell = \"echo ran >> once.txt\"\nworking_dir = \"{{DIR}}\"\n\
         date = \"{at}\"\n"
    );
    if with_tick {
        text.push_str(
            "\n[[job]]\nid = \"tick\"\nshell = \"echo tick >> tick.txt\"\n\
             working_dir = \"{DIR}\"\ninterval = { seconds = 1 }\n",
        );
    }
    text
}

/// A one-off job fires once, whatever reloads and restarts follow; its
/// history, and that of a job removed from the file, stays.
#[test]
fn a_fired_date_job_is_not_added_again_by_reload_or_restart() {
    let now = tempora::clock::Clock::now(&tempora::clock::SystemClock);
    let at = (now + jiff::SignedDuration::from_secs(3))
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let setup = Setup::new("one-off", &config(&at, true));
    let mut daemon = Daemon(setup.start());
    setup.wait_until("the date job runs", || {
        setup.lines("once.txt").len() == 1 && setup.count("once", "success") == 1
    });
    setup.wait_until("tick runs", || setup.count("tick", "success") >= 1);

    // SIGHUP with the job still in the file, and tick gone from it.
    setup.write_config(&config(&at, false));
    signal(&daemon, "HUP");
    setup.wait_until("the reload is applied", || {
        setup.log().contains("\"reload\":\"applied\"")
    });
    let log = setup.log();
    assert!(log.contains("removed tick"), "{log}");
    assert!(
        log.contains("not added again, already fired: once"),
        "{log}"
    );
    // The removed job's history stays.
    assert!(setup.count("tick", "success") >= 1);

    // Restart.
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    let daemon = Daemon(setup.start());
    setup.wait_until("the restarted daemon synced", || {
        setup.log().matches("configuration synced").count() == 2
    });
    // Long enough for a re-added date job, due in the past, to run.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(setup.lines("once.txt").len(), 1, "{}", setup.log());
    let jobs = setup.json(&["jobs"]);
    assert_eq!(jobs, serde_json::json!([]), "{jobs}");
    let runs = setup.runs("once");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "success");
    assert!(setup.count("tick", "success") >= 1);
    drop(daemon);
}
