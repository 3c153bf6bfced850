//! `tempora import crontab` round trips: a crontab is converted, the
//! tables are read back as the daemon reads its file, and each job fires
//! when cron fires the line it came from (fire times worked out by hand,
//! croniter style), as `tempora next` says too; a command's `%` input
//! reaches the program as cron gives it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use jiff::Timestamp;
use tempora_cli::config::DaemonConfig;
use tempora_cli::import::convert_crontab;
use tempora_cli::{Cli, run};

const CRONTAB: &str = "\
# m h dom mon dow command
SHELL=/bin/sh
PATH=/usr/local/bin:/usr/bin:/bin
*/20 * * * * /usr/local/bin/poll
# Vixie cron: both days restricted, either one matches
0 0 1,15 * 3 /usr/local/bin/report
@weekly /usr/local/bin/rotate
CRON_TZ=Europe/Berlin
5 4 * * sun /usr/local/bin/backup --full
@reboot /usr/local/bin/warm
MAILTO=ops@example.com
@daily /usr/local/bin/vacuum
";

/// The first fire times after `now`, as cron computes them for each line.
fn expected() -> Vec<(&'static str, &'static str, &'static str, Vec<&'static str>)> {
    vec![
        (
            "poll-4",
            "*/20 * * * *",
            "UTC",
            vec![
                "2026-01-01T00:20:00Z",
                "2026-01-01T00:40:00Z",
                "2026-01-01T01:00:00Z",
            ],
        ),
        (
            "report-6",
            "0 0 1,15 * 3",
            "UTC",
            vec![
                "2026-01-07T00:00:00Z",
                "2026-01-14T00:00:00Z",
                "2026-01-15T00:00:00Z",
                "2026-01-21T00:00:00Z",
                "2026-01-28T00:00:00Z",
                "2026-02-01T00:00:00Z",
                "2026-02-04T00:00:00Z",
            ],
        ),
        (
            "rotate-7",
            "@weekly",
            "UTC",
            vec![
                "2026-01-04T00:00:00Z",
                "2026-01-11T00:00:00Z",
                "2026-01-18T00:00:00Z",
            ],
        ),
        (
            "backup-9",
            "5 4 * * sun",
            "Europe/Berlin",
            // 04:05 in Berlin, winter (+01:00) then summer (+02:00).
            vec![
                "2026-03-22T03:05:00Z",
                "2026-03-29T02:05:00Z",
                "2026-04-05T02:05:00Z",
            ],
        ),
    ]
}

#[test]
fn imported_jobs_fire_when_cron_fires_their_lines() {
    let converted = convert_crontab(CRONTAB, "crontab", false);
    assert_eq!(
        converted.warnings,
        [
            "crontab:10: @reboot is not supported: Tempora has no trigger for the system's start; \
             run it from a systemd unit instead",
        ]
    );
    // Comments are kept, above the job they came before.
    assert!(
        converted
            .toml
            .starts_with("# m h dom mon dow command\n[[job]]\nid = \"poll-4\"\n")
    );
    assert!(converted.toml.contains(
        "# Vixie cron: both days restricted, either one matches\n[[job]]\nid = \"report-6\""
    ));
    let config = DaemonConfig::parse(
        &format!("[scheduler]\ntimezone = \"UTC\"\n\n{}", converted.toml),
        "imported.toml",
    )
    .unwrap_or_else(|error| panic!("{error}\n{}", converted.toml));
    let ids: Vec<&str> = config.jobs.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(
        ids,
        ["poll-4", "report-6", "rotate-7", "backup-9", "vacuum-12"]
    );

    for (id, expr, zone, times) in expected() {
        let now: Timestamp = if id == "backup-9" {
            "2026-03-16T00:00:00Z".parse().unwrap()
        } else {
            "2026-01-01T00:00:01Z".parse().unwrap()
        };
        let wanted: Vec<Timestamp> = times.iter().map(|time| time.parse().unwrap()).collect();
        let job = config.jobs.iter().find(|job| job.id == id).unwrap();
        let fired: Vec<Timestamp> = job
            .trigger
            .fire_times(None, now)
            .take(wanted.len())
            .collect();
        assert_eq!(fired, wanted, "job {id}");
        // Its environment and command came along.
        assert_eq!(
            job.command.env["PATH"], "/usr/local/bin:/usr/bin:/bin",
            "job {id}"
        );
        assert_eq!(job.command.program, "/bin/sh");

        // `tempora next` on the line's schedule agrees.
        let cli = Cli::try_parse_from([
            "tempora",
            "next",
            "--cron",
            expr,
            "--timezone",
            zone,
            "--now",
            &now.to_string(),
            "--count",
            &wanted.len().to_string(),
        ])
        .unwrap();
        let printed: Vec<Timestamp> = run(&cli, now)
            .unwrap()
            .lines()
            .map(|line| line.parse().unwrap())
            .collect();
        assert_eq!(printed, wanted, "tempora next --cron {expr:?}");
    }
    // MAILTO: the jobs below it mail their failures.
    assert!(
        converted.toml.contains(
            "id = \"vacuum-12\"\ncron = \"@daily\"\ntimezone = \"Europe/Berlin\"\n\
             shell = \"/usr/local/bin/vacuum\"\nenv = { PATH = \"/usr/local/bin:/usr/bin:/bin\" }\n\
             notify = { on = [\"failure\"], command = [\"mail\", \"-s\", \"tempora: vacuum-12 failed\", \"ops@example.com\"] }\n"
        ),
        "{}",
        converted.toml
    );
    let backup = config.jobs.iter().find(|job| job.id == "backup-9").unwrap();
    assert_eq!(backup.command.args, ["-c", "/usr/local/bin/backup --full"]);
}

#[test]
fn percent_input_reaches_the_program_as_cron_gives_it() {
    let converted = convert_crontab(
        "* * * * * cat; echo \"at 50\\%\"%line one%line \\% two\n",
        "crontab",
        false,
    );
    assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
    let config = DaemonConfig::parse(&converted.toml, "imported.toml").unwrap();
    let command = &config.jobs[0].command;
    let output = std::process::Command::new(&command.program)
        .args(&command.args)
        .output()
        .unwrap();
    assert!(output.status.success());
    // The input after the first `%`, each further `%` a newline, `\%` a
    // `%`, ending in a newline; the command's own `\%` is a `%`.
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "line one\nline % two\nat 50%\n"
    );
}

#[test]
fn the_system_crontab_gives_each_job_its_user() {
    let converted = convert_crontab(
        "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n\
         25 6 * * * backup /usr/local/bin/dump\n\
         oops\n\
         61 * * * * root true\n",
        "/etc/crontab",
        true,
    );
    assert_eq!(
        converted.warnings,
        [
            "/etc/crontab:3: not a crontab line: five time fields and a command expected",
            "/etc/crontab:4: the schedule is refused: minute: 61 is out of range 0-59",
        ]
    );
    let config = DaemonConfig::parse(&converted.toml, "imported.toml").unwrap();
    let users: Vec<Option<&str>> = config
        .jobs
        .iter()
        .map(|job| job.command.user.as_deref())
        .collect();
    assert_eq!(users, [Some("root"), Some("backup")]);
    assert_eq!(
        config.jobs[0].command.args,
        ["-c", "cd / && run-parts --report /etc/cron.hourly"]
    );
}
