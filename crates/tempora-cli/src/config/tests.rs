//! The configuration file's checks, key by key.

use tempora::job::{OnInterrupted, Overlap};

use super::*;

fn refused(text: &str) -> String {
    DaemonConfig::parse(text, "t.toml").unwrap_err().to_string()
}

#[test]
fn every_trigger_form_is_read() {
    let config = DaemonConfig::parse(
        r#"
[scheduler]
timezone = "Europe/Berlin"
shutdown_timeout = "1m"

[[job]]
id = "a"
command = ["echo", "a"]
cron = "*/15 9-17 * * mon-fri"

[[job]]
id = "b"
shell = "echo b"
cron = { hour = 3, minute = "30" }
dst_gap = "skip"

[[job]]
id = "c"
command = ["true"]
interval = { minutes = 5 }
jitter = "10s"

[[job]]
id = "d"
command = ["true"]
calendar_interval = { months = 1, hour = 8 }
start_date = "2026-01-31"

[[job]]
id = "e"
command = ["true"]
date = "2030-01-01 12:00"
timezone = "UTC"
"#,
        "t.toml",
    )
    .unwrap();
    assert_eq!(config.shutdown_timeout, SignedDuration::from_secs(60));
    let shown: Vec<String> = config
        .jobs
        .iter()
        .map(|job| job.trigger.to_string())
        .collect();
    assert_eq!(
        shown[0],
        "cron['*/15 9-17 * * mon-fri', timezone='Europe/Berlin', dst_gap='shift', dst_fold='auto']"
    );
    assert!(shown[1].contains("hour='3', minute='30'"), "{}", shown[1]);
    assert!(shown[1].contains("dst_gap='skip'"), "{}", shown[1]);
    assert!(shown[2].starts_with("interval[every 5m"), "{}", shown[2]);
    assert!(
        shown[3].starts_with("calendar_interval[months=1"),
        "{}",
        shown[3]
    );
    assert_eq!(shown[4], "date[2030-01-01T12:00:00+00:00]");
    assert_eq!(config.jobs[1].command.program, "/bin/sh");
    assert_eq!(config.jobs[1].command.args, ["-c", "echo b"]);
}

#[test]
fn calendars_are_defined_once_and_excluded_by_name() {
    let config = DaemonConfig::parse(
        r#"
[scheduler]
timezone = "America/New_York"

[calendar.holidays]
dates = ["2026-12-25", "2027-01-01"]

[calendar.maintenance-window]
daily = "02:00-04:00"
timezone = "UTC"

[[job]]
id = "report"
shell = "make report"
cron = "0 9 * * *"
exclude = ["holidays", "maintenance-window"]

[[job]]
id = "plain"
shell = "true"
cron = "0 9 * * *"
"#,
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        config.calendars.keys().collect::<Vec<_>>(),
        ["holidays", "maintenance-window"]
    );
    let report = &config.jobs[0];
    assert_eq!(
        report.exclude.keys().collect::<Vec<_>>(),
        ["holidays", "maintenance-window"]
    );
    assert!(config.jobs[1].exclude.is_empty());
    // The job built from the file skips Christmas, in its own zone (the
    // holidays calendar has none of its own).
    let job = report
        .to_builder(ORIGIN_CONFIG)
        .build_at(
            &tempora::job::JobDefaults::default(),
            "2026-12-24T15:00:00Z".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(
        job.next_run_time().unwrap().to_string(),
        "2026-12-26T14:00:00Z"
    );
    assert_eq!(
        job.exclusions()["holidays"].zone().map(Zone::name),
        Some("America/New_York")
    );
    assert!(config.warnings.is_empty());
}

#[test]
fn calendar_mistakes_are_located_and_named() {
    for (text, expected) in [
        (
            "[calendar.holidays]\ndates = [\"2026-12-25\"]\n\n[[job]]\nid = \"r\"\nshell = \"true\"\ncron = \"@daily\"\nexclude = [\"holydays\"]\n",
            "t.toml:8:11: job \"r\": exclude: \"holydays\" is not a calendar of the configuration file \
             (defined: \"holidays\"); define it in a [calendar.holydays] table",
        ),
        (
            "[calendar.holidays]\ndates = [\"2026-13-25\"]\n",
            "t.toml:2:1: calendar \"holidays\": dates: \"2026-13-25\" is not a date like \"2026-12-25\"",
        ),
        (
            "[calendar.night]\ndaily = \"22:00-25:00\"\n",
            "t.toml:2:1: calendar \"night\": daily: \"25:00\" is not a time of day like \"02:00\" or \"02:00:30\"",
        ),
        (
            "[calendar.weekend]\nweekdays = [\"sat\", \"7\"]\n",
            "t.toml:2:1: calendar \"weekend\": weekdays: \"7\" is not a day name; write mon, tue, wed, thu, fri, sat or sun",
        ),
        (
            "[calendar.off]\ncron = \"0 25 * * *\"\ntimezone = \"UTC\"\n",
            "t.toml:2:1: calendar \"off\": cron: \"0 25 * * *\": hour: 25 is out of range 0-23",
        ),
        (
            "[calendar.off]\nweekdays = [\"sat\"]\ntimezone = \"Mars/Base\"\n",
            "t.toml:3:1: calendar \"off\": timezone: \"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30",
        ),
        (
            "[calendar.off]\nholidays = [\"2026-12-25\"]\n",
            "unknown field `holidays`",
        ),
    ] {
        let message = refused(text);
        assert!(
            message.contains(expected),
            "{message}\nexpected: {expected}"
        );
    }
}

#[test]
fn retry_and_pause_after_failures_are_read_and_checked() {
    let config = DaemonConfig::parse(
        r#"
[[job]]
id = "upload"
shell = "rsync -a /srv/exports/ backup:/exports/"
cron = "0 * * * *"
retry = { attempts = 4, delay = "1m", factor = 3, max_delay = "30m", jitter = "10%" }
retry_on = [10, 12, 30, 35]
pause_after_failures = 24
"#,
        "t.toml",
    )
    .unwrap();
    let job = &config.jobs[0];
    let retry = job.retry.as_ref().unwrap();
    assert_eq!(retry.max_attempts(), 4);
    assert_eq!(retry.first_delay(), SignedDuration::from_mins(1));
    assert_eq!(retry.delay_factor(), 3.0);
    assert_eq!(retry.longest_delay(), Some(SignedDuration::from_mins(30)));
    assert!((retry.jitter_fraction() - 0.1).abs() < 1e-9);
    assert_eq!(retry.retried_statuses(), [10, 12, 30, 35]);
    assert_eq!(job.pause_after_failures, Some(24));
    let built = job
        .to_builder(ORIGIN_CONFIG)
        .build_at(&Default::default(), "2026-01-01T00:00:00Z".parse().unwrap())
        .unwrap();
    assert_eq!(built.retry(), Some(retry));
    assert_eq!(built.pause_after_failures(), Some(24));
    let job = |keys: &str| {
        format!("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = {{ seconds = 1 }}\n{keys}\n")
    };
    for (keys, error) in [
        (
            "retry = { attempts = 0 }",
            "retry.attempts: 0 is not allowed: at least 1",
        ),
        (
            "retry = { attempts = 3, delay = \"soon\" }",
            "retry.delay: \"soon\" is not a duration",
        ),
        (
            "retry = { attempts = 3, factor = 0.5 }",
            "retry.factor: 0.5 is not allowed: at least 1",
        ),
        (
            "retry = { attempts = 3, jitter = \"150%\" }",
            "retry.jitter: 150% is out of range 0%-100%",
        ),
        (
            "retry = { attempts = 3, tries = 2 }",
            "unknown field `tries`",
        ),
        ("retry_on = [1]", "retry_on: needs retry"),
        (
            "pause_after_failures = 0",
            "pause_after_failures: 0 is not allowed: at least 1",
        ),
    ] {
        let refused = refused(&job(keys));
        assert!(refused.contains(error), "{keys}: {refused}");
        assert!(refused.starts_with("t.toml:5:"), "{keys}: {refused}");
    }
}

#[test]
fn a_numbered_day_of_week_in_the_table_form_is_warned_about() {
    let config = DaemonConfig::parse(
        r#"
[[job]]
id = "x"
shell = "true"
cron = { day_of_week = 1, hour = 3 }

[[job]]
id = "y"
shell = "true"
cron = { day_of_week = "0-4,6", hour = 3 }

[[job]]
id = "named"
shell = "true"
cron = { day_of_week = "tue", hour = 3 }

[[job]]
id = "crontab"
shell = "true"
cron = "0 3 * * 1"
"#,
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        config.warnings,
        [
            "job \"x\": cron.day_of_week = 1 means Tuesday in the table form \
             (APScheduler's numbering, 0 = Monday); write \"tue\"",
            "job \"y\": cron.day_of_week = \"0-4,6\" means Monday-Friday, Sunday in the \
             table form (APScheduler's numbering, 0 = Monday); write \"mon-fri,sun\"",
        ]
    );
}

#[test]
fn cluster_settings_are_read_and_checked() {
    let config = DaemonConfig::parse(
        r#"
[scheduler]
node_id = "web-1"
lease = "5s"

[scheduler.job_defaults]
on_interrupted = "retry"

[[job]]
id = "a"
command = ["true"]
interval = { seconds = 1 }
on_interrupted = "skip"
max_instances = 2
overlap = "buffer_one"
"#,
        "t.toml",
    )
    .unwrap();
    assert_eq!(config.scheduler.node_id.as_deref(), Some("web-1"));
    assert_eq!(config.lease(), SignedDuration::from_secs(5));
    assert_eq!(
        config
            .scheduler
            .job_defaults
            .map(|defaults| defaults.on_interrupted),
        Some(OnInterrupted::Retry)
    );
    assert_eq!(config.jobs[0].on_interrupted, Some(OnInterrupted::Skip));
    assert_eq!(config.jobs[0].overlap, Some(Overlap::BufferOne));
    assert_eq!(
        config.jobs[0]
            .to_builder("config")
            .build_at(&Default::default(), jiff::Timestamp::UNIX_EPOCH)
            .unwrap()
            .overlap(),
        Some(Overlap::BufferOne)
    );
    let defaulted = DaemonConfig::parse("", "t.toml").unwrap();
    assert_eq!(defaulted.lease(), tempora::scheduler::DEFAULT_LEASE);
    assert_eq!(
        refused("[scheduler]\nlease = \"0s\"\n"),
        "t.toml:2:9: lease: \"0s\" must be longer than zero"
    );
    assert_eq!(
        refused("[scheduler]\nlease = \"500ms\"\n"),
        "t.toml:2:9: lease: \"500ms\" is shorter than the minimum of 1s"
    );
    assert!(
        refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { seconds = 1 }\non_interrupted = \"again\"\n")
            .contains("on_interrupted"),
    );
    assert_eq!(
        refused(
            "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { seconds = 1 }\noverlap = \"queue\"\n"
        ),
        "t.toml:5:11: overlap: \"queue\" is not one of skip, buffer_one, buffer_all, cancel_other, allow_all"
    );
}

/// A `[scheduler]` table with keys of the library and of the daemon.
const LIBRARY_AND_DAEMON: &str = "[scheduler]\ntimezone = \"UTC\"\nstore = \"jobs.db\"\n\
    history_keep_per_job = 500\nhistory_max_age = \"unlimited\"\nstore_poll_interval = \"250ms\"\n\
    [scheduler.executors.default]\ntype = \"thread_pool\"\nmax_workers = 4\n";

#[test]
fn the_scheduler_table_takes_every_key_of_the_library() {
    let config = DaemonConfig::parse(LIBRARY_AND_DAEMON, "t.toml").unwrap();
    let retention = config.scheduler.history_retention();
    assert_eq!(retention.per_job, Some(500));
    assert_eq!(retention.max_age, None);
    assert_eq!(
        config.scheduler.store_poll_interval,
        Some(SignedDuration::from_millis(250))
    );
    assert_eq!(config.timezone(), Some("UTC"));
    assert_eq!(config.store.as_deref(), Some("jobs.db"));
    assert_eq!(config.scheduler.executors.len(), 1);
    let other = DaemonConfig::parse(
        "[scheduler]\nhistory_keep_per_job = 5\nstore_poll_interval = \"1s\"\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(
        config.scheduler_changes(&other),
        [
            "timezone",
            "store",
            "store_poll_interval",
            "history_keep_per_job",
            "history_max_age",
            "executors"
        ]
    );
}

#[test]
fn a_misspelt_or_refused_scheduler_key_is_named() {
    assert_eq!(
        refused("[scheduler]\ntimezone = \"UTC\"\nhistory_keep = 5\n"),
        "t.toml:3:1: unknown field `history_keep`, expected one of `executors`, \
         `history_keep_per_job`, `history_max_age`, `job_defaults`, `lease`, `log_format`, \
         `node_id`, `shutdown_timeout`, `store`, `store_poll_interval`, `store_prefix`, \
         `timezone`"
    );
    assert_eq!(
        refused("[scheduler]\ntimezone = \"UTC\"\nhistory_max_age = \"-1h\"\n"),
        "t.toml:3:1: history_max_age: -1h is negative"
    );
    assert_eq!(
        refused("[scheduler.executors.cpu]\ntype = \"thread_pool\"\nmax_workers = 0\n"),
        "t.toml:1:12: executors.cpu.max_workers: 0 is not allowed: at least 1"
    );
    assert!(refused("[scheduler]\nhistory_max_age = \"forever\"\n").contains("forever"));
    assert_eq!(
        refused("[scheduler]\nhistory_max_age = 5\n"),
        "t.toml:2:1: history_max_age: 5 is not a duration or \"unlimited\""
    );
    assert_eq!(
        refused("[scheduler]\nhistory_keep_per_job = \"all\"\n"),
        "t.toml:2:1: history_keep_per_job: \"all\" is not a number of records or \"unlimited\""
    );
    // A value of the library's keys is named and located at its key.
    let error = refused("[scheduler]\ntimezone = \"UTC\"\nstore_poll_interval = \"soon\"\n");
    assert!(
        error.starts_with("t.toml:3:1: store_poll_interval: "),
        "{error}"
    );
    let error = refused("[scheduler.job_defaults]\nmax_instance = 2\n");
    assert!(
        error.starts_with("t.toml:1:12: job_defaults: unknown field `max_instance`"),
        "{error}"
    );
    assert!(
        refused("[scheduler.stores.default]\ntype = \"memory\"\n")
            .contains("stores: the daemon keeps its jobs in the one store"),
    );
}

#[test]
fn notify_settings_are_read_per_job_and_as_the_default_and_checked() {
    let config = DaemonConfig::parse(
        "[notify]\nwebhook = \"https://hooks.example.com/all\"\non = [\"failure\"]\n\n\
         [[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n\
         expect_success_within = \"26h\"\n\
         notify = { on = [\"stale\", \"recovered\"], webhook = \"https://hooks.example.com/a\", \
         secret = \"k\", command = [\"notify-send\", \"tempora\"], timeout = \"5s\", \
         retry = { attempts = 3, delay = \"1m\" } }\n",
        "t.toml",
    )
    .unwrap();
    let default = config.notify.as_ref().unwrap();
    assert_eq!(default.webhook_url(), Some("https://hooks.example.com/all"));
    assert_eq!(default.kinds(), [tempora::notify::NoticeKind::Failure]);
    let job = &config.jobs[0];
    assert_eq!(
        job.expect_success_within,
        Some(SignedDuration::from_hours(26))
    );
    let notify = job.notify.as_ref().unwrap();
    assert_eq!(notify.webhook_url(), Some("https://hooks.example.com/a"));
    assert!(notify.is_signed());
    assert_eq!(notify.command_line().unwrap(), ["notify-send", "tempora"]);
    assert_eq!(notify.delivery_timeout(), SignedDuration::from_secs(5));
    assert_eq!(notify.delivery_retry().max_attempts(), 3);
    let built = job
        .to_builder(ORIGIN_CONFIG)
        .build_at(
            &tempora::job::JobDefaults::default(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(built.notify(), Some(notify));
    assert_eq!(
        built.expect_success_within(),
        Some(SignedDuration::from_hours(26))
    );
    let job =
        |line: &str| format!("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n{line}\n");
    for (line, message) in [
        (
            "notify = { on = [\"failures\"], webhook = \"https://h.example.com\" }",
            "notify.on: \"failures\" is not \"failure\", \"missed\", \"stale\" or \"recovered\"",
        ),
        (
            "notify = { webhook = \"ftp://h.example.com\" }",
            "notify.webhook: \"ftp://h.example.com\" is not an http or https URL",
        ),
        (
            "notify = { on = [\"failure\"] }",
            "notify: gives neither a webhook nor a command",
        ),
        (
            "notify = { webhook = \"https://h.example.com\", timeout = \"soon\" }",
            "notify.timeout: \"soon\" is not a duration",
        ),
        (
            "notify = { webhook = \"https://h.example.com\", hook = 1 }",
            "unknown field `hook`",
        ),
        (
            "expect_success_within = \"a day\"",
            "job \"a\": expect_success_within: \"a day\" is not a duration",
        ),
        (
            "expect_success_within = \"0s\"",
            "job \"a\": expect_success_within: \"0s\" must be longer than zero",
        ),
    ] {
        let error = refused(&job(line));
        assert!(error.contains(message), "{line}: {error}");
    }
    let error = refused("[notify]\nwebhook = \"localhost:8080\"\n");
    assert!(
        error.contains("notify.webhook: \"localhost:8080\" is not an http or https URL"),
        "{error}"
    );
}

#[test]
fn a_jobs_timeout_is_the_jobs_own_and_must_be_positive() {
    let config = DaemonConfig::parse(
        "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"1h 30m\"\n",
        "t.toml",
    )
    .unwrap();
    let job = &config.jobs[0];
    assert_eq!(job.timeout, Some(SignedDuration::from_mins(90)));
    assert_eq!(job.command.timeout, None, "the job's, not the command's");
    let built = job
        .to_builder(ORIGIN_CONFIG)
        .build_at(
            &tempora::job::JobDefaults::default(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(built.timeout(), Some(SignedDuration::from_mins(90)));
    assert_eq!(
        refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"0s\"\n"),
        "t.toml:5:11: job \"a\": timeout: \"0s\" must be longer than zero"
    );
}

#[test]
fn the_api_table_is_read_and_its_mistakes_named() {
    let hash = tempora_api::TokenHash::of("t").to_string();
    let config = DaemonConfig::parse(
        &format!(
            "[api]\nlisten = \"127.0.0.1:8080\"\n[[api.token]]\nname = \"ci\"\nrole = \"operate\"\nsha256 = \"{hash}\"\n"
        ),
        "t.toml",
    )
    .unwrap();
    let api = config.api.unwrap();
    assert_eq!(api.listen, "127.0.0.1:8080");
    assert_eq!(api.token[0].role, "operate");
    assert!(DaemonConfig::parse("", "t.toml").unwrap().api.is_none());
    assert_eq!(
        refused("[api]\nlisten = \"127.0.0.1:8080\"\nlisen = 1\n"),
        "t.toml:3:1: unknown field `lisen`, expected one of `listen`, `tls_cert`, `tls_key`, \
         `metrics_token_sha256`, `token`"
    );
    assert_eq!(
        refused("[api]\nlisten = \"0.0.0.0:8080\"\n"),
        "t.toml:2:1: api.listen: 0.0.0.0:8080 is not a loopback address and no [[api.token]] \
         is configured; add one (tempora api token) or listen on 127.0.0.1"
    );
    assert_eq!(
        refused("[api]\nlisten = \"localhost\"\n"),
        "t.toml:2:1: api.listen: \"localhost\" is not an address like \"127.0.0.1:8080\""
    );
    assert_eq!(
        refused(
            "[api]\nlisten = \"127.0.0.1:1\"\n[[api.token]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"00\"\n"
        ),
        "t.toml:5:1: api.token.role: \"root\" is not a role; expected read, operate or admin"
    );
    assert!(
        refused(
            "[api]\nlisten = \"127.0.0.1:1\"\n[[api.token]]\nname = \"a\"\nrole = \"read\"\nsha256 = \"00\"\n"
        )
        .starts_with("t.toml:6:1: api.token.sha256: \"00\" is not a SHA-256 in hex")
    );
    assert_eq!(
        refused("[api]\nlisten = \"127.0.0.1:1\"\ntls_cert = \"c.pem\"\n"),
        "t.toml:1:1: api.tls_key: missing; tls_cert needs the key of its certificate"
    );
    assert!(refused("[apii]\n").starts_with(
        "t.toml:1:2: unknown field `apii`, expected one of `scheduler`, `calendar`, `job`, `api`"
    ));
}

#[test]
fn mistakes_are_located_and_named() {
    assert_eq!(
        refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = { hour = 24 }\n"),
        "t.toml:4:10: job \"a\": hour: 24 is out of range 0-23"
    );
    assert_eq!(
        refused("[[job]]\nid = \"a\"\ncomand = [\"x\"]\n"),
        "t.toml:3:1: unknown field `comand`, expected one of `id`, `name`, `command`, \
         `shell`, `env`, `inherit_env`, `working_dir`, `user`, `group`, `umask`, `env_file`, `timeout`, `cron`, `interval`, `calendar_interval`, \
         `date`, `timezone`, `start_date`, `end_date`, `dst_gap`, `dst_fold`, `jitter`, \
         `misfire_grace_time`, `coalesce`, `max_instances`, `on_interrupted`, `exclude`, \
         `overlap`, `retry`, `retry_on`, `pause_after_failures`, `notify`, \
         `expect_success_within`, `paused`"
    );
    assert_eq!(
        refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\n"),
        "t.toml:1:1: job \"a\": trigger: missing; give one of cron, interval, calendar_interval or date"
    );
    assert_eq!(
        refused(
            "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ninterval = { hours = 1 }\ndst_fold = \"both\"\n"
        ),
        "t.toml:5:12: job \"a\": dst_fold: does not apply to interval triggers, which count elapsed time"
    );
    assert_eq!(
        refused("[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\ntimeout = \"soon\"\n"),
        "t.toml:5:11: job \"a\": timeout: \"soon\" is not a duration; write e.g. \"30s\", \"5m\", \"1h 30m\""
    );
    assert_eq!(
        refused(
            "[[job]]\nid = \"a\"\ncommand = [\"x\"]\ncron = \"@daily\"\n[[job]]\nid = \"a\"\nshell = \"y\"\ncron = \"@daily\"\n"
        ),
        "t.toml:6:6: id: job \"a\" is defined twice; ids must be unique"
    );
    assert_eq!(
        refused("[scheduler]\ntimezone = \"Mars/Base\"\n"),
        "t.toml:2:12: timezone: \"Mars/Base\" is not a known IANA time zone name, `UTC` or an offset like +05:30"
    );
}
