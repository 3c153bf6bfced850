//! `tempora run`, end to end: the real daemon on a temporary configuration,
//! its JSON log read line by line. It runs on the real clock, so the tests
//! wait for log lines (with generous limits), never for fixed times.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::Value;

use support::{Setup, signal};

struct Daemon {
    child: Child,
    lines: Receiver<Value>,
}

fn start(config: &Path) -> Daemon {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["run", "--log-format", "json", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr: ChildStderr = child.stderr.take().unwrap();
    let (sink, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                let _ = sink.send(value);
            }
        }
    });
    Daemon { child, lines }
}

impl Daemon {
    /// The next log line whose message is `message` (and whose `job` field
    /// is `job`, when given).
    fn wait_for(&self, message: &str, job: Option<&str>) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {message:?} line within 20 s"));
            let fields = &line["fields"];
            if fields["message"] == message && job.is_none_or(|job| fields["job"] == job) {
                return line;
            }
        }
    }

    fn signal(&self, name: &str) {
        signal(&self.child, name);
    }
}

#[test]
fn jobs_run_reload_on_sighup_and_stop_on_sigterm() {
    let setup = Setup::new(
        "reload",
        "[scheduler]\ntimezone = \"UTC\"\n\n[[job]]\nid = \"first\"\ncommand = [\"echo\", \"hello from first\"]\ninterval = { seconds = 1 }\n",
    );
    let config = setup.config();
    let mut daemon = start(&config);
    // The program's output goes to the log, line by line, with the job id.
    let output = daemon.wait_for("hello from first", Some("first"));
    assert_eq!(output["fields"]["stream"], "stdout");
    let finished = daemon.wait_for("run finished", Some("first"));
    assert_eq!(finished["fields"]["outcome"], "success");
    assert_eq!(finished["level"], "INFO");

    // The file changes: `first` leaves it, `second` arrives.
    std::fs::write(
        &config,
        "[scheduler]\ntimezone = \"UTC\"\n\n[[job]]\nid = \"second\"\nshell = \"exit 3\"\ninterval = { seconds = 1 }\n",
    )
    .unwrap();
    daemon.signal("HUP");
    daemon.wait_for("job removed: it left the configuration", Some("first"));
    let failed = daemon.wait_for("run finished", Some("second"));
    assert_eq!(failed["fields"]["outcome"], "error");
    assert_eq!(failed["level"], "ERROR");
    assert!(
        failed["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("exited with status 3"),
        "{failed}"
    );

    // A file with a mistake is refused at reload; the jobs go on.
    std::fs::write(&config, "[[job]]\nid = 1\n").unwrap();
    daemon.signal("HUP");
    daemon.wait_for(
        "the configuration was not reloaded; the jobs stay as they were",
        None,
    );
    daemon.wait_for("run finished", Some("second"));

    daemon.signal("TERM");
    daemon.wait_for("tempora stopped", None);
    assert!(daemon.child.wait().unwrap().success());
}

#[test]
fn a_bad_file_is_refused_at_start_like_check_does() {
    let setup = Setup::new(
        "bad",
        "[[job]]\nid = \"x\"\nshell = \"true\"\ncron = \"99 * * * *\"\n",
    );
    let config = setup.config();
    let output = Command::new(env!("CARGO_BIN_EXE_tempora"))
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "error: {}:4:8: job \"x\": minute: 99 is out of range 0-59\n",
            config.display()
        )
    );
}
