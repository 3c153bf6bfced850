//! See the catalogue in `main.rs`.

use std::time::Duration;

use serde_json::Value;
use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Daemon, Setup, is_running, signal, wait_exit};

const BEFORE: &str = r#"
[scheduler]
timezone = "UTC"
shutdown_timeout = "1s"

[[job]]
id = "a"
shell = "echo $X >> a.txt"
working_dir = "{DIR}"
env = { X = "one" }
timeout = "10s"
max_instances = 2
interval = { seconds = 1 }

[[job]]
id = "b"
shell = "echo b >> b.txt"
working_dir = "{DIR}"
interval = { seconds = 1 }

[[job]]
id = "c"
shell = "echo c >> c.txt"
working_dir = "{DIR}"
interval = { seconds = 1 }
"#;

/// `a`: env changed, timeout and max_instances removed; `b` removed; `c`
/// paused; `d` added.
const AFTER: &str = r#"
[scheduler]
timezone = "UTC"
shutdown_timeout = "1s"

[[job]]
id = "a"
shell = "echo $X >> a.txt"
working_dir = "{DIR}"
env = { X = "two" }
interval = { seconds = 1 }

[[job]]
id = "c"
shell = "echo c >> c.txt"
working_dir = "{DIR}"
interval = { seconds = 1 }
paused = true

[[job]]
id = "d"
shell = "echo d >> d.txt"
working_dir = "{DIR}"
interval = { seconds = 1 }
"#;

fn job<'a>(jobs: &'a Value, id: &str) -> Option<&'a Value> {
    jobs.as_array().unwrap().iter().find(|job| job["id"] == id)
}

/// Every change of the file applies at one SIGHUP: env, a removed key, a
/// removed job, `paused`, a new job.
#[test]
fn a_reload_applies_every_change_of_the_file() {
    let setup = Setup::new("reload-all", BEFORE);
    let daemon = Daemon(setup.start());
    setup.wait_until("a, b and c run", || {
        ["a.txt", "b.txt", "c.txt"]
            .iter()
            .all(|file| !setup.lines(file).is_empty())
    });
    let jobs = setup.json(&["jobs"]);
    assert_eq!(job(&jobs, "a").unwrap()["max_instances"], 2, "{jobs}");
    assert_eq!(job(&jobs, "a").unwrap()["timeout"], "10s", "{jobs}");

    setup.write_config(AFTER);
    signal(&daemon, "HUP");
    setup.wait_until("the reload is applied", || {
        setup.log().contains("\"reload\":\"applied\"")
    });
    let log = setup.log();
    assert!(
        log.contains(
            "the configuration was reloaded: added d; changed a (env, timeout, max_instances), \
             c (paused); removed b"
        ),
        "{log}"
    );
    let jobs = setup.json(&["jobs"]);
    assert!(job(&jobs, "b").is_none(), "{jobs}");
    let a = job(&jobs, "a").unwrap();
    assert_eq!(a["max_instances"], 1, "{jobs}");
    assert!(a["timeout"].is_null(), "{jobs}");
    assert_eq!(job(&jobs, "c").unwrap()["paused"], true, "{jobs}");
    assert_eq!(job(&jobs, "d").unwrap()["paused"], false, "{jobs}");

    // And in what runs: a sees the new env, d runs, b and c stop.
    setup.wait_until("a runs with X=two, d runs", || {
        setup.lines("a.txt").contains(&"two".to_owned()) && !setup.lines("d.txt").is_empty()
    });
    let (b, c) = (setup.lines("b.txt").len(), setup.lines("c.txt").len());
    std::thread::sleep(Duration::from_secs(3));
    // A run already claimed when the reload landed may still finish.
    assert!(setup.lines("b.txt").len() <= b + 1);
    assert!(setup.lines("c.txt").len() <= c + 1);

    // A pause made at run time stays through a reload that changes the job
    // but not its `paused`.
    setup.ok(&["jobs", "pause", "d"]);
    setup.write_config(&AFTER.replace("echo d >>", "echo d2 >>"));
    signal(&daemon, "HUP");
    setup.wait_until("the second reload is applied", || {
        setup
            .log()
            .contains("the configuration was reloaded: changed d (command)")
    });
    assert_eq!(setup.json(&["jobs", "show", "d"])["paused"], true);
    drop(daemon);
}

/// A file with a mistake changes nothing, even its valid parts; and a
/// changed `[scheduler]` setting (it takes a restart) refuses the reload
/// as a whole.
#[test]
fn a_bad_file_changes_nothing_and_the_log_says_refused() {
    let setup = Setup::new("reload-none", BEFORE);
    let daemon = Daemon(setup.start());
    setup.wait_until("a runs", || !setup.lines("a.txt").is_empty());
    let before = setup.json(&["jobs"]);
    let shown = |jobs: &Value| -> Vec<(Value, Value, Value, Value)> {
        jobs.as_array()
            .unwrap()
            .iter()
            .map(|job| {
                (
                    job["id"].clone(),
                    job["args"].clone(),
                    job["max_instances"].clone(),
                    job["paused"].clone(),
                )
            })
            .collect()
    };

    // The changes of AFTER, plus one mistake.
    let broken = format!("{AFTER}\n[[job]]\nid = \"e\"\nshell = \"x\"\ncron = \"0 24 * * *\"\n");
    setup.write_config(&broken);
    signal(&daemon, "HUP");
    setup.wait_until("the reload is refused", || {
        setup.log().contains("\"reload\":\"refused\"")
    });
    assert!(setup.log().contains("hour: 24 is out of range 0-23"));
    std::thread::sleep(Duration::from_secs(1));
    // (The commands cannot read the broken file: they are given the store.)
    let store = setup.path("tempora.db").display().to_string();
    assert_eq!(shown(&setup.json_on(&store, &["jobs"])), shown(&before));

    // Valid jobs, but a new lease: refused as a whole, naming the key.
    let relet = AFTER.replace(
        "shutdown_timeout = \"1s\"",
        "shutdown_timeout = \"1s\"\nlease = \"5s\"",
    );
    setup.write_config(&relet);
    signal(&daemon, "HUP");
    setup.wait_until("the second reload is refused", || {
        setup
            .log()
            .contains("[scheduler] lease changed, which takes a restart")
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(shown(&setup.json(&["jobs"])), shown(&before));
    assert!(!setup.log().contains("\"reload\":\"applied\""));
    let a = setup.lines("a.txt");
    assert!(a.iter().all(|line| line == "one"), "{a:?}");
    drop(daemon);
}

/// A SIGHUP during start-up (the store is down, so start-up lasts) does
/// not kill the daemon: it is applied once the daemon runs.
#[test]
fn a_hangup_during_start_up_does_not_kill_the_daemon() {
    let mut server = PrivatePostgres::start();
    server.stop();
    let setup = Setup::new(
        "reload-start",
        &format!(
            "[scheduler]\nstore = \"{}\"\ntimezone = \"UTC\"\nshutdown_timeout = \"1s\"\n\n\
             [[job]]\nid = \"a\"\nshell = \"echo a >> a.txt\"\nworking_dir = \"{{DIR}}\"\n\
             interval = {{ seconds = 1 }}\n",
            server.url()
        ),
    );
    let mut daemon = Daemon(setup.start());
    std::thread::sleep(Duration::from_millis(300));
    signal(&daemon, "HUP");
    setup.wait_until("the daemon waits for the store", || {
        setup.log().contains("the store cannot be reached")
    });
    signal(&daemon, "HUP");
    std::thread::sleep(Duration::from_secs(1));
    assert!(is_running(&mut daemon), "{}", setup.log());
    server.start_again();
    setup.wait_until("a runs", || !setup.lines("a.txt").is_empty());
    setup.wait_until("the start-up SIGHUP is applied", || {
        setup
            .log()
            .contains("the configuration was reloaded: nothing changed")
    });
    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
}
