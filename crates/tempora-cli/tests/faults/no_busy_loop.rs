//! See the catalogue in `main.rs`.
//!
//! Another transaction holds a due job's row lock (`SELECT … FOR UPDATE`
//! in a `psql` session) for 20 s: the daemon's claims skip the row (`SKIP
//! LOCKED`) while the job stays due. The daemon must back off rather than
//! spin — measured as its CPU time (`/proc/<pid>/stat`) and the server's
//! transactions (`pg_stat_database`, on a private server so that nothing
//! else counts) — and run the job once the lock is released.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempora_testkit::servers::PrivatePostgres;

use crate::support::{Setup, TICK_JOB, kill, signal, wait_exit};

/// How long the row stays locked.
const HELD: Duration = Duration::from_secs(20);

/// The CPU time (user + system) `pid` has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

/// `psql` on the server at `url`, running `sql`.
fn psql(url: &str, sql: &str) -> Command {
    let mut command = Command::new("psql");
    command
        .args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .stdin(Stdio::null());
    command
}

/// The transactions the database has committed and rolled back so far.
fn transactions(url: &str) -> u64 {
    let output = psql(
        url,
        "SELECT pg_stat_clear_snapshot(); SELECT xact_commit + xact_rollback \
         FROM pg_stat_database WHERE datname = current_database()",
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .next_back()
        .unwrap()
}

#[test]
fn a_due_job_whose_row_is_locked_does_not_make_the_daemon_spin() {
    let server = PrivatePostgres::start();
    let url = server.url();
    let setup = Setup::new(
        "no-busy-loop",
        &format!("[scheduler]\nstore = \"{url}\"\nshutdown_timeout = \"5s\"\n{TICK_JOB}"),
    );
    let mut daemon = setup.start();
    setup.wait_until("the job fires", || setup.lines("ticks").len() >= 2);

    // Another transaction takes the job's row and keeps it.
    let mut holder = psql(
        &url,
        &format!(
            "BEGIN; SELECT id FROM tempora_jobs WHERE id = 'tick' FOR UPDATE; \
             SELECT pg_sleep({}); COMMIT;",
            HELD.as_secs()
        ),
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let locked = Instant::now();
    // Once the job is due and skipped, measure for most of the hold.
    std::thread::sleep(Duration::from_secs(2));
    let ran_before = setup.lines("ticks").len();
    let (cpu_before, xact_before, measured) =
        (cpu_ticks(daemon.id()), transactions(&url), Instant::now());
    std::thread::sleep(HELD - Duration::from_secs(4));
    let (cpu_after, xact_after) = (cpu_ticks(daemon.id()), transactions(&url));
    let seconds = measured.elapsed().as_secs_f64();
    let ran_during = setup.lines("ticks").len() - ran_before;

    let cpu = (cpu_after - cpu_before) as f64 / clock_ticks_per_second() / seconds;
    // The two statements of the second reading count too.
    let per_second = (xact_after - xact_before) as f64 / seconds;
    assert!(holder.wait().unwrap().success());
    let released = Instant::now();
    let ran_at_release = setup.lines("ticks").len();
    setup.wait_until("the job runs after the lock's release", || {
        setup.lines("ticks").len() > ran_at_release
    });
    let after_release = released.elapsed();
    eprintln!(
        "no_busy_loop: row locked {:.1} s; over {seconds:.1} s the daemon used {:.2} % of a core \
         and the server ran {per_second:.1} transactions/s; runs while locked: {ran_during}; \
         the job ran {:.2} s after the release",
        (released - locked).as_secs_f64(),
        cpu * 100.0,
        after_release.as_secs_f64()
    );
    assert_eq!(ran_during, 0, "the job ran while its row was locked");
    assert!(cpu < 0.10, "the daemon used {:.1} % of a core", cpu * 100.0);
    assert!(per_second < 100.0, "{per_second:.0} transactions a second");
    assert!(
        after_release < Duration::from_secs(2),
        "the job ran {after_release:?} after the lock's release"
    );

    signal(&daemon, "TERM");
    assert!(wait_exit(&mut daemon).success());
    kill(daemon);
}
