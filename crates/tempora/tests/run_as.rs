//! A command job's `user`, `group`, `umask` and `env_file`, through a real
//! scheduler (host-driven, on a manual clock): run as root, as these
//! tests are on CI, the program runs as that user — its uid, primary and
//! supplementary groups, home and login name — with that umask, and sees
//! the variables of the env file as it is when the run starts. A
//! scheduler that is not root refuses a run as another user with an error
//! naming `user`. Linux only (the identity is taken per thread).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(target_os = "linux")]

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use tempora::clock::ManualClock;
use tempora::event::{Event, EventKind, EventMask};
use tempora::job::JobBuilder;
use tempora::scheduler::SchedulerBuilder;
use tempora::task::{COMMAND, CommandArgs, CommandOutput};
use tempora::trigger::DateTrigger;

/// Runs `args` once and returns its event.
fn run_once(args: &CommandArgs) -> Event {
    let clock = ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap());
    let scheduler = SchedulerBuilder::new()
        .clock(clock.clone())
        .timezone("UTC")
        .host_driven()
        .unwrap();
    let (sink, events) = mpsc::channel();
    scheduler.listeners().add(
        EventMask::JOB_EXECUTED | EventMask::JOB_ERROR,
        move |event| {
            let _ = sink.send(event.clone());
        },
    );
    scheduler
        .add_job(
            JobBuilder::new(COMMAND, DateTrigger::new(clock.now()))
                .id("as-user")
                .args(args),
        )
        .unwrap();
    scheduler.start().unwrap();
    scheduler.run_pending(clock.now());
    // Only so that a lost run fails instead of hanging.
    let event = events.recv_timeout(Duration::from_secs(30)).unwrap();
    scheduler.shutdown(true).unwrap();
    event
}

fn stdout(event: &Event) -> String {
    assert_eq!(event.kind, EventKind::JobExecuted, "{event:?}");
    let output: CommandOutput =
        serde_json::from_value(event.return_value.clone().unwrap()).unwrap();
    output.stdout_tail
}

fn is_root() -> bool {
    String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout)
        .unwrap()
        .trim()
        == "0"
}

fn id(args: &[&str], user: &str) -> String {
    let output = Command::new("id").args(args).arg(user).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

const REPORT: &str = "echo uid=$(id -u) gid=$(id -g) groups=$(id -G); umask; \
    echo home=$HOME user=$USER logname=$LOGNAME pwd=$(pwd); echo secret=$SECRET";

#[test]
fn a_job_runs_as_its_user_with_its_umask_and_env_file() {
    let dir = std::env::temp_dir().join(format!("tempora-run-as-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("job.env");
    std::fs::write(&env_file, "# the job's secrets\nSECRET='first'\n").unwrap();
    let args = CommandArgs::new("/bin/sh")
        .args(["-c", REPORT])
        .user("nobody")
        .umask(0o027)
        .env_file(&env_file);

    if !is_root() {
        let event = run_once(&args);
        assert_eq!(event.kind, EventKind::JobError);
        let error = event.error.unwrap();
        assert!(
            error.contains(
                "command \"/bin/sh\": user: \"nobody\" needs the scheduler to run as root"
            ),
            "{error}"
        );
        eprintln!("not root: only the refusal is checked");
        return;
    }

    let out = stdout(&run_once(&args));
    let home = String::from_utf8(
        Command::new("getent")
            .args(["passwd", "nobody"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .split(':')
    .nth(5)
    .unwrap()
    .to_owned();
    let pwd = if std::path::Path::new(&home).is_dir() {
        home.as_str()
    } else {
        "/"
    };
    assert_eq!(
        out,
        format!(
            "uid={} gid={} groups={}\n0027\nhome={home} user=nobody logname=nobody pwd={pwd}\nsecret=first\n",
            id(&["-u"], "nobody"),
            id(&["-g"], "nobody"),
            id(&["-G"], "nobody"),
        )
    );

    // The file is read when each run starts.
    std::fs::write(&env_file, "export SECRET=second\n").unwrap();
    assert!(stdout(&run_once(&args)).ends_with("secret=second\n"));

    // A group of its own, and supplementary groups from the group database.
    let args = CommandArgs::new("/bin/sh")
        .args(["-c", "echo $(id -u) $(id -g) $(id -G)"])
        .user("daemon")
        .group("nogroup");
    let nogroup = String::from_utf8(
        Command::new("getent")
            .args(["group", "nogroup"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let nogroup_id = nogroup.split(':').nth(2).unwrap().to_owned();
    let out = stdout(&run_once(&args));
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields[0], id(&["-u"], "daemon"));
    assert_eq!(fields[1], nogroup_id);
    // Its supplementary groups: the user's, and the group it runs in.
    let mut groups: Vec<&str> = fields[2..].to_vec();
    groups.sort_unstable();
    let user_groups = id(&["-G"], "daemon");
    let mut wanted: Vec<&str> = user_groups
        .split_whitespace()
        .chain([nogroup_id.as_str()])
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    assert_eq!(groups, wanted);

    // A file that cannot be read fails the run, naming env_file.
    let missing = CommandArgs::new("true").env_file(dir.join("missing.env"));
    let event = run_once(&missing);
    assert_eq!(event.kind, EventKind::JobError);
    assert!(event.error.unwrap().contains("env_file: "));
    // The scheduler kept its own identity and umask throughout.
    assert!(is_root());
    std::fs::remove_dir_all(&dir).unwrap();
}
