//! The `tempora` command: its arguments and what each command does.
//!
//! `main` only parses the command line, reads the clock once and calls
//! [`run`]; everything here is a plain function of its arguments, tested
//! without spawning a process.
//!
//! ```
//! use clap::Parser;
//! use tempora_cli::{Cli, run};
//!
//! let cli = Cli::try_parse_from([
//!     "tempora", "next", "crontab", "0 9 * * mon-fri",
//!     "--timezone", "Europe/Berlin", "--now", "2026-03-27 10:00", "--count", "2",
//! ])?;
//! let now = "2026-01-01T00:00:00Z".parse()?; // ignored: --now is given
//! assert_eq!(run(&cli, now)?, "2026-03-30T09:00:00+02:00\n2026-03-31T09:00:00+02:00\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// `builder = builder.setter(value)` for each optional value that is given:
/// `set_given!(builder; start => start_date, end => end_date)`.
macro_rules! set_given {
    ($builder:ident; $($value:expr => $setter:ident),* $(,)?) => {
        $(
            if let Some(value) = $value {
                $builder = $builder.$setter(value);
            }
        )*
    };
}

pub mod api;
pub mod completions;
pub mod config;
pub mod daemon;
pub mod health;
pub mod history;
pub mod import;
pub mod jobs;
pub mod next;
pub mod nodes;
pub mod output;
pub mod run_as;
pub mod store;
pub mod systemd;
pub mod trigger_options;

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use tempora::Error;

use next::NextArgs;

/// What a command can fail with: a value refused by Tempora, or a located
/// mistake in a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A value was refused; the message names the field.
    #[error(transparent)]
    Invalid(#[from] Error),
    /// A configuration file has a mistake; the message names the place.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}

impl CliError {
    /// The exit status `main` ends with: 2 for bad input (a usage mistake,
    /// a refused value, a configuration file with a mistake), 1 for any
    /// other failure (a job not found, a store that cannot be reached).
    ///
    /// ```
    /// use tempora_cli::CliError;
    ///
    /// assert_eq!(CliError::from(tempora::Error::invalid("hour", "24 is out of range 0-23")).exit_code(), 2);
    /// assert_eq!(CliError::from(tempora::Error::not_found("job", "nightly")).exit_code(), 1);
    /// ```
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid(error) if !error.is_invalid_input() => 1,
            _ => 2,
        }
    }

    /// The field named by a refused value, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            CliError::Invalid(error) => error.field(),
            CliError::Config(_) => None,
        }
    }
}

/// What `tempora --version` prints after the name: the version and the
/// schema version of the SQL stores' tables it writes (an upgrade that
/// changes it migrates the tables when the daemon starts).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (store schema 2)");

/// The result of a command.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Tempora: a job scheduler, and a cron that keeps its jobs in a database.
///
/// `tempora run` runs the daemon on a configuration file; `tempora jobs`
/// and `tempora history` work on its store while it runs; `tempora next`
/// shows when a schedule fires. Bad input exits with status 2 and one line
/// on stderr; other failures (a job not found, a store that cannot be
/// reached) with status 1.
#[derive(Debug, Parser)]
#[command(name = "tempora", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the next fire times of a trigger, one per line (RFC 3339 with
    /// the offset of the trigger's zone).
    ///
    /// The trigger is a subcommand naming its kind (`next cron --hour 9`),
    /// or the trigger flags alone, the same `tempora jobs add` takes (`next
    /// --hour 9 --day-of-week mon-fri`, `next --cron "0 9 * * *"`, `next
    /// --interval 90m`, `next --months 1 --hour 9`, `next --run-date T`).
    ///
    /// The first line is the first fire time at or after --now (or the first
    /// after --previous, if given), each further line the next fire time
    /// after the one before: 2026-03-30T09:00:00+02:00.
    ///
    /// A time T is RFC 3339 with an offset (2026-03-08T02:30:00-05:00), or a
    /// local YYYY-MM-DD[ HH:MM[:SS[.ffffff]]] read on the trigger's wall
    /// clock: in a DST gap it moves forward by the length of the gap, in a
    /// fold it is the first occurrence.
    ///
    /// Fewer lines, or none, are printed when the trigger is exhausted (exit
    /// status 0). Bad input exits with status 2 and one line on stderr naming
    /// the field: `error: hour: 24 is out of range 0-23`.
    Next(Box<NextArgs>),
    /// Run the scheduler in the foreground on the store and the jobs of a
    /// configuration file.
    ///
    /// The store is the file's `store` (default: the SQLite file tempora.db
    /// beside the file). The file's jobs are synced into it: added, changed,
    /// and removed when they leave the file; jobs added with `tempora jobs
    /// add` are kept. SIGINT/SIGTERM shut it down gracefully (running jobs
    /// get `shutdown_timeout`, then are killed and recorded as
    /// interrupted); SIGHUP reloads the file. Changes made with `tempora
    /// jobs` are picked up within a second.
    Run(RunArgs),
    /// List and change the jobs of the daemon's store: list (the default),
    /// show, add, pause, resume, remove, run.
    ///
    /// Works while the daemon runs: it picks a change up within a second.
    /// The store is the one the configuration file names (--config,
    /// default ./tempora.toml) or --store URL.
    Jobs(jobs::JobsArgs),
    /// The runs the daemon recorded, newest first: scheduled time, start,
    /// duration, outcome, exit status, last line of output.
    History(history::HistoryArgs),
    /// The schedulers sharing the store (live ones; --all adds the
    /// stopped): id, host, pid, started, last heartbeat, runs in progress.
    ///
    /// A node writes its heartbeat every third of its lease and removes
    /// its record when it shuts down; one whose heartbeat is older than the
    /// lease (the file's `lease`, 10 s unless set) was killed or cut off,
    /// and the others have taken over its jobs and runs.
    Nodes(nodes::NodesArgs),
    /// Whether the store's jobs run, for a monitor or a probe: exit status
    /// 0 when healthy, 1 when a job is failing (its latest run failed or
    /// timed out) or stale (overdue by more than --grace: no scheduler
    /// runs it), 2 when the store cannot be reached within --timeout.
    ///
    /// The first line is OK, UNHEALTHY or UNREACHABLE with a summary; the
    /// failing and stale jobs follow, one a line. --json prints one object.
    Health(health::HealthArgs),
    /// The daemon's HTTP API: `tempora api token` prints a new token and
    /// the `[[api.token]]` lines that accept it.
    Api(api::ApiArgs),
    /// Check a configuration file: every key, trigger, duration and policy.
    /// A mistake is printed as FILE:LINE:COLUMN: what is wrong.
    Check(CheckArgs),
    /// Convert another scheduler's jobs into `[[job]]` tables: `import
    /// crontab [FILE|-]`.
    Import(import::ImportArgs),
    /// Print the completion script for a shell: bash, zsh or fish.
    Completions(completions::CompletionsArgs),
    /// Print a manual page (roff), or write one per command with --dir.
    Man(completions::ManArgs),
}

/// `tempora run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "tempora.toml", value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// The log's format, overriding the file's `log_format`: text or json.
    #[arg(long = "log-format", value_name = "FORMAT", value_parser = parse_log_format)]
    pub log_format: Option<config::LogFormat>,
}

fn parse_log_format(text: &str) -> std::result::Result<config::LogFormat, String> {
    match text {
        "text" => Ok(config::LogFormat::Text),
        "json" => Ok(config::LogFormat::Json),
        other => Err(format!(
            "{other:?} is not a log format; expected text or json"
        )),
    }
}

/// `tempora check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration file.
    #[arg(long, short, default_value = "tempora.toml", value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a command prints on stdout, and the status it exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What to print.
    pub stdout: String,
    /// The exit status: 0, or another a command gives a meaning
    /// (`tempora health`).
    pub status: u8,
}

/// Runs `cli` as [`run`] does, with the exit status of commands that tell
/// something by it (`tempora health`); the others exit 0.
///
/// # Errors
///
/// As [`run`].
pub fn execute(cli: &Cli, now: Timestamp) -> Result<Outcome> {
    match &cli.command {
        Command::Health(args) => health::run(args, now),
        _ => run(cli, now).map(|stdout| Outcome { stdout, status: 0 }),
    }
}

/// Runs `cli` with `now` as the current time (used when `--now` is not
/// given); returns what to print on stdout (see [`execute`] for the exit
/// status too).
///
/// # Errors
///
/// Any bad value, as an error naming the field and the value.
pub fn run(cli: &Cli, now: Timestamp) -> Result<String> {
    match &cli.command {
        Command::Next(args) => next::run(args, now),
        Command::Jobs(args) => jobs::run(args, now),
        Command::History(args) => history::run(args),
        Command::Nodes(args) => nodes::run(args, now),
        Command::Check(check) => run_check(check),
        Command::Import(args) => import::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Health(args) => health::run(args, now).map(|outcome| outcome.stdout),
        Command::Api(args) => api::run(args),
        Command::Run(args) => {
            daemon::run(args.config.clone(), args.log_format)?;
            Ok(String::new())
        }
    }
}

/// `tempora check`: reads and checks the file, summing it up. Its warnings
/// (allowed, but likely not meant) go to stderr, one `warning: ` line each,
/// or into the JSON summary; they do not fail the check.
fn run_check(args: &CheckArgs) -> Result<String> {
    let name = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config)
        .map_err(|error| Error::invalid("config", format!("cannot read {name:?}: {error}")))?;
    let config = config::DaemonConfig::parse(&text, &name)?;
    let ids: Vec<&str> = config.jobs.iter().map(|job| job.id.as_str()).collect();
    if args.json {
        let summary = serde_json::json!({
            "file": name,
            "ok": true,
            "jobs": ids,
            "warnings": config.warnings,
        });
        return Ok(format!("{summary}\n"));
    }
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(format!(
        "{name}: ok, {} job(s): {}\n",
        ids.len(),
        ids.join(", ")
    ))
}

/// A usage mistake clap found (an unknown option, a missing argument, a
/// value that is not a number) as the one line every other mistake is:
/// `error: unexpected argument '--hourz' found; tip: a similar argument
/// exists: '--hours'`. Clap's usage summary is left out: `--help` has it.
///
/// ```
/// use clap::Parser;
/// use tempora_cli::{Cli, usage_error_line};
///
/// let error = Cli::try_parse_from(["tempora", "next", "date"]).unwrap_err();
/// assert_eq!(
///     usage_error_line(&error),
///     "error: the following required arguments were not provided: --run-date <T>"
/// );
/// ```
pub fn usage_error_line(error: &clap::Error) -> String {
    // `Display` of clap's styled text drops the colours.
    let text = error.render().to_string();
    let mut line = String::new();
    for part in text.lines().map(str::trim) {
        if part.starts_with("Usage:") || part.starts_with("For more information") {
            break;
        }
        if part.is_empty() {
            continue;
        }
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    if !line.starts_with("error: ") {
        line.insert_str(0, "error: ");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage_error(args: &[&str]) -> String {
        let argv = ["tempora"].iter().chain(args);
        usage_error_line(&Cli::try_parse_from(argv).unwrap_err())
    }

    #[test]
    fn usage_mistakes_are_one_line_naming_the_option() {
        for (args, expected) in [
            (
                &["next", "interval", "--hourz", "1"][..],
                "error: unexpected argument '--hourz' found; \
                 tip: a similar argument exists: '--hours'",
            ),
            (
                &["next", "crontab"],
                "error: the following required arguments were not provided: <EXPR>",
            ),
            (
                &["next", "crontab", "@daily", "--count", "x"],
                "error: invalid value 'x' for '--count <N>': invalid digit found in string",
            ),
            (
                &["next", "sometimes"],
                "error: unrecognized subcommand 'sometimes'",
            ),
        ] {
            assert_eq!(usage_error(args), expected, "{args:?}");
        }
    }

    #[test]
    fn the_version_names_the_store_schema() {
        assert_eq!(
            VERSION,
            format!(
                "{} (store schema {})",
                env!("CARGO_PKG_VERSION"),
                tempora_sql::SCHEMA_VERSION
            )
        );
        let error = Cli::try_parse_from(["tempora", "--version"]).unwrap_err();
        assert_eq!(error.render().to_string(), format!("tempora {VERSION}\n"));
    }

    #[test]
    fn run_dispatches_to_the_command() {
        let cli =
            Cli::try_parse_from(["tempora", "next", "crontab", "@daily", "--timezone", "UTC"])
                .unwrap();
        let out = run(&cli, "2026-01-01T00:00:01Z".parse().unwrap()).unwrap();
        assert!(out.starts_with("2026-01-02T00:00:00+00:00\n"), "{out}");
        assert_eq!(out.lines().count(), 5);
    }
}
