//! `tempora jobs`: list, show, add, pause, resume, remove and run the jobs
//! of a store, while the daemon runs on it.
//!
//! The commands open the store themselves — the one the configuration file
//! names (`--config`, default `./tempora.toml`), or `--store URL` — and
//! change it directly; the daemon reads the store again at least every
//! second and follows. The configuration file also gives the zone times are
//! shown and read in, and the job defaults of `jobs add`.
//!
//! What each change does to the stored job:
//!
//! | command | stored job |
//! |---|---|
//! | `jobs pause ID` | no next run time: it does not run until resumed |
//! | `jobs pause ID --until T` | next run time = the first fire time at or after T, label `paused_until` = T: fire times before T are skipped, not run late |
//! | `jobs resume ID` | next run time = the first fire time from now; a job whose trigger has no more fire times is removed |
//! | `jobs run ID` | next run time = now: it runs within a second, then goes on by its trigger |
//! | `jobs remove ID` | removed (a job of the configuration file comes back when the daemon reloads the file) |
//! | `jobs add ID …` | added with the label `origin = cli`: the daemon's sync keeps it |

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tempora::Error;
use tempora::calendar::Calendar;
use tempora::history::{RunQuery, RunRecord};
use tempora::job::{Job, MisfireGraceTime, Overlap, Retry};
use tempora::notify::{NoticeKind, Notify};
use tempora::store::{JobStore, NodeRegistry, RunHistory};
use tempora::task::{CommandArgs, InheritEnv};
use tempora::trigger::Zone;

use tempora_api::actions::{self, Backfilled, Resumed};
use tempora_api::views::{BackfillView, JobView, RunView};

use crate::config::{DaemonConfig, JobConfig, ORIGIN, ORIGIN_CLI, paused_until};
use crate::output::{RUN_HEADER, local, relative, run_rows, short_trigger, table};
use crate::store::StoreUrl;
use crate::trigger_options::{TriggerFlags, parse_time, positive_duration};
use crate::{Result, daemon};

/// The configuration file used when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "tempora.toml";

/// Which store a command works on.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The daemon's configuration file: its store, zone and job defaults
    /// [default: tempora.toml].
    #[arg(long, short, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The store's URL, instead of the configuration file's: a SQLite file
    /// path, sqlite://, postgres://, mysql://, mariadb://, redis:// or
    /// mongodb://.
    #[arg(long, value_name = "URL", global = true)]
    pub store: Option<String>,
    /// The prefix of the store's tables, keys or collections (default: the
    /// configuration file's `store_prefix`, else `tempora_`).
    #[arg(long = "store-prefix", value_name = "PREFIX", global = true)]
    pub store_prefix: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// An open store and what the configuration file says about it.
pub struct Opened {
    /// Runs the store's calls.
    pub runtime: tokio::runtime::Runtime,
    /// The store.
    pub store: Arc<dyn JobStore>,
    /// The zone times are shown and read in.
    pub zone: Zone,
    /// The configuration file, when one was read.
    pub config: Option<DaemonConfig>,
    /// Print the values of the jobs' environment variables (else `***`).
    pub show_secrets: bool,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("store", &self.store.backend())
            .field("zone", &self.zone.name())
            .finish_non_exhaustive()
    }
}

impl Opened {
    /// The store's run history.
    ///
    /// # Errors
    ///
    /// An error naming the store when it keeps none.
    pub fn history(&self) -> tempora::Result<&dyn RunHistory> {
        self.store
            .history()
            .ok_or_else(|| Error::unsupported(self.store.backend(), "run history"))
    }

    /// The store's node records.
    ///
    /// # Errors
    ///
    /// An error naming the store when it keeps none.
    pub fn nodes(&self) -> tempora::Result<&dyn NodeRegistry> {
        self.store
            .nodes()
            .ok_or_else(|| Error::unsupported(self.store.backend(), "node records"))
    }

    /// Runs `future` on the store's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The job `id`.
    ///
    /// # Errors
    ///
    /// Not found (field `id`), a store failure.
    pub fn job(&self, id: &str) -> Result<Job> {
        self.block_on(self.store.get_job(id))?
            .ok_or_else(|| Error::not_found("job", id).into())
    }
}

impl StoreArgs {
    /// Opens the store: `--store`, or the configuration file's.
    ///
    /// # Errors
    ///
    /// A configuration file that cannot be read or has a mistake (when
    /// needed: without `--store`, or given with `--config`), a bad URL, a
    /// store that cannot be opened.
    pub fn open(&self) -> Result<Opened> {
        let path = self
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
        let config = if self.store.is_some() && self.config.is_none() && !path.exists() {
            None
        } else {
            Some(daemon::load(&path).map_err(|error| match error {
                crate::CliError::Invalid(inner) if self.config.is_none() => {
                    let reason = inner
                        .reason()
                        .map_or_else(|| inner.to_string(), str::to_owned);
                    crate::CliError::Invalid(Error::invalid(
                        "config",
                        format!("{reason}; give --config FILE or --store URL"),
                    ))
                }
                other => other,
            })?)
        };
        let url = match (&self.store, &config) {
            (Some(url), _) => StoreUrl::resolve(Some(url), std::path::Path::new("."))?,
            (None, Some(config)) => daemon::store_url(config, &path)?,
            (None, None) => StoreUrl::resolve(None, std::path::Path::new("."))?,
        };
        let prefix = self.store_prefix.clone().or_else(|| {
            config
                .as_ref()
                .and_then(|config| config.store_prefix.clone())
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::invalid("runtime", error.to_string()))?;
        let store = runtime.block_on(url.open(prefix.as_deref()))?;
        let zone = match config.as_ref().and_then(DaemonConfig::timezone) {
            Some(name) => Zone::new(name)?,
            None => Zone::system(),
        };
        Ok(Opened {
            runtime,
            store,
            zone,
            config,
            show_secrets: false,
        })
    }
}

/// `tempora jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// What to do; without one, list the jobs.
    #[command(subcommand)]
    pub command: Option<JobsCommand>,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Show the values of the jobs' environment variables; without it they
    /// print as `***`.
    #[arg(long = "show-secrets", global = true)]
    pub show_secrets: bool,
}

/// The `tempora jobs` commands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the jobs: id, trigger, next run (local time and how soon), last
    /// outcome, paused (the default).
    List,
    /// Show one job: its command, trigger, options and latest runs.
    Show {
        /// The job's id.
        id: String,
    },
    /// Add a job that runs a program or a shell line. Its trigger takes the
    /// flags of `tempora next`: --cron EXPR, cron fields (--hour 9 …),
    /// --interval DURATION (or --hours N …), a calendar interval (--months
    /// N …) or --run-date T. The daemon keeps it when it syncs its file.
    ///
    /// tempora jobs add backup --cron "0 3 * * *" -- pg_dump -f /backups/app.sql app
    ///
    /// tempora jobs add report --day-of-week mon-fri --hour 9 --shell "make report"
    ///
    /// tempora jobs add tick --interval 30s --shell "date >> /tmp/ticks"
    Add(Box<AddArgs>),
    /// Pause a job: it does not run until resumed, or with --until, until T.
    Pause {
        /// The job's id.
        id: String,
        /// Skip the fire times before T (RFC 3339 or local
        /// `YYYY-MM-DD[ HH:MM[:SS]]`), then run by the trigger again.
        #[arg(long, value_name = "T")]
        until: Option<String>,
    },
    /// Resume a paused job: it runs at its trigger's next fire time from now.
    Resume {
        /// The job's id.
        id: String,
    },
    /// Remove a job.
    Remove {
        /// The job's id.
        id: String,
    },
    /// Run a job now (within a second), then by its trigger as before.
    Run {
        /// The job's id.
        id: String,
    },
    /// Run each fire time of a job's trigger from --from through --to once
    /// (across every daemon sharing the store), recorded with its scheduled
    /// time, under the job's overlap policy; its schedule does not move.
    ///
    /// tempora jobs backfill report --from "2026-03-01" --to "2026-03-02 09:00" --dry-run
    Backfill {
        /// The job's id.
        id: String,
        /// The first instant of the range (RFC 3339 or local
        /// `YYYY-MM-DD[ HH:MM[:SS]]`).
        #[arg(long, value_name = "T")]
        from: String,
        /// The last instant of the range, not in the future.
        #[arg(long, value_name = "T")]
        to: String,
        /// List the fire times without running them.
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
}

/// `tempora jobs add`: the job, its command and its trigger.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["shell", "command"])))]
pub struct AddArgs {
    /// The job's id.
    pub id: String,
    /// A shell line for /bin/sh -c, instead of a program.
    #[arg(long, value_name = "LINE")]
    pub shell: Option<String>,
    /// The program and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub command: Vec<String>,
    /// Stop a run after this long ("10m"): its program's process group is
    /// killed and the run recorded as `timeout`.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// An environment variable for the program; repeat for more.
    #[arg(long, value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A variable of the daemon's environment the program sees besides the
    /// base ones (PATH, HOME, USER, LANG, TZ…); repeat for more.
    #[arg(long = "inherit-env", value_name = "NAME")]
    pub inherit_env: Vec<String>,
    /// The program sees all of the daemon's environment (its passwords
    /// too), not only the base variables.
    #[arg(long = "inherit-all-env", conflicts_with = "inherit_env")]
    pub inherit_all_env: bool,
    /// The directory the program runs in.
    #[arg(long = "working-dir", value_name = "DIR")]
    pub working_dir: Option<PathBuf>,
    /// A readable name.
    #[arg(long)]
    pub name: Option<String>,
    /// How late a run may start: "5m", or "unlimited".
    #[arg(long = "misfire-grace-time", value_name = "DURATION")]
    pub misfire_grace_time: Option<String>,
    /// Run every due fire time, not one run for several.
    #[arg(long = "no-coalesce")]
    pub no_coalesce: bool,
    /// How many runs may overlap.
    #[arg(long = "max-instances", value_name = "N")]
    pub max_instances: Option<u32>,
    /// What happens to a fire time while the job runs --max-instances runs:
    /// skip, buffer_one, buffer_all, cancel_other or allow_all.
    #[arg(long, value_name = "POLICY")]
    pub overlap: Option<String>,
    /// Run a failed run again, up to N runs of one fire time in all (the
    /// first included).
    #[arg(long = "retry-attempts", value_name = "N")]
    pub retry_attempts: Option<u32>,
    /// The delay before the first retry: "30s" (default 0).
    #[arg(
        long = "retry-delay",
        value_name = "DURATION",
        requires = "retry_attempts"
    )]
    pub retry_delay: Option<String>,
    /// What each further delay is multiplied by (default 1).
    #[arg(long = "retry-factor", value_name = "F", requires = "retry_attempts")]
    pub retry_factor: Option<f64>,
    /// The longest delay between attempts: "10m".
    #[arg(
        long = "retry-max-delay",
        value_name = "DURATION",
        requires = "retry_attempts"
    )]
    pub retry_max_delay: Option<String>,
    /// How far each delay may move either way: "10%".
    #[arg(
        long = "retry-jitter",
        value_name = "PERCENT",
        requires = "retry_attempts"
    )]
    pub retry_jitter: Option<String>,
    /// Retry only runs that exit with this status; repeat for more.
    #[arg(long = "retry-on", value_name = "STATUS", requires = "retry_attempts")]
    pub retry_on: Vec<i32>,
    /// Pause the job after N failed fire times in a row.
    #[arg(long = "pause-after-failures", value_name = "N")]
    pub pause_after_failures: Option<u32>,
    /// POST the job's notices (failure, missed, stale, recovered) as JSON
    /// to this http(s) URL.
    #[arg(long = "notify-webhook", value_name = "URL")]
    pub notify_webhook: Option<String>,
    /// Sign the webhook's notices with this secret (HMAC-SHA256).
    #[arg(
        long = "notify-secret",
        value_name = "SECRET",
        requires = "notify_webhook"
    )]
    pub notify_secret: Option<String>,
    /// Run this program for each notice, with the notice as JSON on its
    /// standard input; repeat for its arguments.
    #[arg(long = "notify-command", value_name = "ARG")]
    pub notify_command: Vec<String>,
    /// Send only these kinds of notice: failure, missed, stale, recovered
    /// (comma-separated or repeated; default: all).
    #[arg(long = "notify-on", value_name = "KIND", value_delimiter = ',')]
    pub notify_on: Vec<String>,
    /// Send one `stale` notice when the job has not succeeded for this
    /// long (e.g. "26h"), and `recovered` at its next success.
    #[arg(long = "expect-success-within", value_name = "DURATION")]
    pub expect_success_within: Option<String>,
    /// Add it paused.
    #[arg(long)]
    pub paused: bool,
    /// Replace a job of the same id instead of refusing.
    #[arg(long)]
    pub replace: bool,
    /// The trigger: the flags of `tempora next` (last: they have their own
    /// heading in `--help`).
    #[command(flatten)]
    pub trigger: TriggerFlags,
}

impl AddArgs {
    /// The job the options describe, its trigger in `default_zone` unless
    /// `--timezone` is given: what a `[[job]]` of the configuration file with
    /// the same keys would give. `--exclude` names calendars of
    /// `calendars` (the configuration file's).
    ///
    /// # Errors
    ///
    /// A value refused, naming its field; field `exclude` for a calendar
    /// not in `calendars`.
    pub fn to_job(
        &self,
        default_zone: &str,
        calendars: &BTreeMap<String, Calendar>,
    ) -> Result<JobConfig> {
        let zone = Zone::new(
            self.trigger
                .common
                .timezone
                .as_deref()
                .unwrap_or(default_zone),
        )?;
        let trigger = self.trigger.build(None, &zone)?;
        let mut command = match (&self.shell, self.command.split_first()) {
            (Some(line), _) => CommandArgs::new("/bin/sh").args(["-c", line]),
            (None, Some((program, args))) => CommandArgs::new(program).args(args),
            (None, None) => {
                return Err(Error::invalid(
                    "command",
                    "missing; give the program after `--`, or --shell LINE",
                )
                .into());
            }
        };
        for pair in &self.env {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(Error::invalid("env", format!("{pair:?} is not NAME=VALUE")).into());
            };
            command = command.env(name, value);
        }
        command = command.inherit_env(if self.inherit_all_env {
            InheritEnv::All
        } else {
            InheritEnv::Base(inherit_names(&self.inherit_env)?)
        });
        if let Some(dir) = &self.working_dir {
            command = command.working_dir(dir);
        }
        let timeout = match &self.timeout {
            Some(timeout) => Some(positive_duration("timeout", timeout)?),
            None => None,
        };
        let misfire_grace_time = match self.misfire_grace_time.as_deref() {
            None => None,
            Some("unlimited") => Some(MisfireGraceTime::Unlimited),
            Some(text) => {
                let limit: SignedDuration = text.parse().map_err(|_| {
                    Error::invalid(
                        "misfire_grace_time",
                        format!("{text:?} is not a duration like \"30s\" or \"unlimited\""),
                    )
                })?;
                if limit.is_negative() {
                    return Err(Error::invalid(
                        "misfire_grace_time",
                        format!("{text:?} is negative: give zero or more, or \"unlimited\""),
                    )
                    .into());
                }
                Some(MisfireGraceTime::Limit(limit))
            }
        };
        if self.max_instances == Some(0) {
            return Err(Error::invalid("max_instances", "0 is not allowed: at least 1").into());
        }
        let exclude = resolve_calendars(&self.trigger.common.exclude, calendars)?;
        let overlap = self
            .overlap
            .as_deref()
            .map(str::parse::<Overlap>)
            .transpose()?;
        if self.pause_after_failures == Some(0) {
            return Err(
                Error::invalid("pause_after_failures", "0 is not allowed: at least 1").into(),
            );
        }
        let retry = match self.retry_attempts {
            None => None,
            Some(attempts) => {
                // The form of `retry = { … }` in the configuration file, read
                // the same way.
                let form = json!({
                    "attempts": attempts,
                    "delay": self.retry_delay,
                    "factor": self.retry_factor,
                    "max_delay": self.retry_max_delay,
                    "jitter": self.retry_jitter,
                    "retry_on": self.retry_on,
                });
                let form: serde_json::Map<String, Value> = form
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                let retry: Retry =
                    serde_json::from_value(Value::Object(form)).map_err(|error| {
                        let text = error.to_string();
                        match text.split_once(": ") {
                            Some((field, reason)) if field.starts_with("retry.") => {
                                Error::invalid(field, reason)
                            }
                            _ => Error::invalid("retry", text),
                        }
                    })?;
                Some(retry)
            }
        };
        let notify = self.notify()?;
        let expect_success_within = self
            .expect_success_within
            .as_deref()
            .map(|text| tempora::notify::parse_positive_duration("expect_success_within", text))
            .transpose()?;
        Ok(JobConfig {
            id: self.id.clone(),
            name: self.name.clone(),
            command,
            trigger,
            misfire_grace_time,
            coalesce: self.no_coalesce.then_some(false),
            max_instances: self.max_instances,
            on_interrupted: None,
            exclude,
            timeout,
            overlap,
            retry,
            pause_after_failures: self.pause_after_failures,
            notify,
            expect_success_within,
            paused: self.paused,
        })
    }

    /// The notify settings the `--notify-*` flags give, if any.
    fn notify(&self) -> Result<Option<Notify>> {
        if self.notify_webhook.is_none() && self.notify_command.is_empty() {
            if let Some(kind) = self.notify_on.first() {
                return Err(Error::invalid(
                    "notify",
                    format!("--notify-on {kind} needs --notify-webhook or --notify-command"),
                )
                .into());
            }
            return Ok(None);
        }
        let mut notify = Notify::new();
        if let Some(url) = &self.notify_webhook {
            notify = notify.webhook(url);
        }
        if let Some(secret) = &self.notify_secret {
            notify = notify.secret(secret);
        }
        if !self.notify_command.is_empty() {
            notify = notify.command(self.notify_command.iter().cloned());
        }
        if !self.notify_on.is_empty() {
            let kinds = self
                .notify_on
                .iter()
                .map(|kind| kind.trim().parse::<NoticeKind>())
                .collect::<tempora::Result<Vec<_>>>()?;
            notify = notify.on(kinds);
        }
        notify.validate()?;
        Ok(Some(notify))
    }
}

/// The calendars `names` (`--exclude`) among `calendars`, the configuration
/// file's.
///
/// # Errors
///
/// Field `exclude` for a name the file does not define.
pub fn resolve_calendars(
    names: &[String],
    calendars: &BTreeMap<String, Calendar>,
) -> Result<BTreeMap<String, Calendar>> {
    let mut found = BTreeMap::new();
    for name in names {
        let Some(calendar) = calendars.get(name) else {
            let message = crate::config::unknown_calendar(name, calendars);
            let reason = message.strip_prefix("exclude: ").unwrap_or(&message);
            return Err(Error::invalid("exclude", reason).into());
        };
        found.insert(name.clone(), calendar.clone());
    }
    Ok(found)
}

/// The variable names of `--inherit-env`, each checked.
fn inherit_names(names: &[String]) -> Result<Vec<String>> {
    for name in names {
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(
                Error::invalid("inherit_env", format!("{name:?} is not a variable name")).into(),
            );
        }
    }
    Ok(names.to_vec())
}

/// Runs `tempora jobs` at `now`; returns what to print.
///
/// # Errors
///
/// A store that cannot be opened, a job not found, a value refused (named).
pub fn run(args: &JobsArgs, now: Timestamp) -> Result<String> {
    let mut opened = args.store.open()?;
    opened.show_secrets = args.show_secrets;
    let json = args.store.json;
    match args.command.as_ref().unwrap_or(&JobsCommand::List) {
        JobsCommand::List => list(&opened, now, json),
        JobsCommand::Show { id } => show(&opened, id, now, json),
        JobsCommand::Add(add) => {
            let default_zone = opened
                .config
                .as_ref()
                .and_then(|config| config.timezone().map(str::to_owned))
                .unwrap_or_else(|| opened.zone.name().to_owned());
            let calendars = opened
                .config
                .as_ref()
                .map(|config| config.calendars.clone())
                .unwrap_or_default();
            let config = add.to_job(&default_zone, &calendars)?;
            let defaults = opened
                .config
                .as_ref()
                .and_then(|config| config.scheduler.job_defaults)
                .unwrap_or_default();
            let job = config.to_builder(ORIGIN_CLI).build_at(&defaults, now)?;
            opened.block_on(opened.store.add_job(job.clone(), add.replace))?;
            // Its stale check, as a scheduler adding it would arm: due
            // its expect_success_within from now by the store's clock.
            let default_notify = opened
                .config
                .as_ref()
                .and_then(|config| config.notify.as_ref());
            let checks =
                if tempora::notify::stale_checks(&job, default_notify, "cli", now).is_empty() {
                    Vec::new()
                } else {
                    let since = opened.block_on(opened.store.store_now(now))?;
                    tempora::notify::stale_checks(&job, default_notify, "cli", since)
                };
            for check in checks {
                match opened.block_on(opened.store.add_job(check, false)) {
                    Err(error) if !error.is_conflict() => return Err(error.into()),
                    _ => {}
                }
            }
            outcome(&opened, &job, "added", now, json)
        }
        JobsCommand::Pause { id, until } => {
            let until_time = until
                .as_deref()
                .map(|text| parse_time(&opened.zone, "until", text))
                .transpose()?;
            let until = until.as_deref().zip(until_time);
            let job = opened.block_on(actions::pause(opened.store.as_ref(), id, until, now))?;
            outcome(&opened, &job, "paused", now, json)
        }
        JobsCommand::Resume { id } => {
            match opened.block_on(actions::resume(opened.store.as_ref(), id, now))? {
                Resumed::Job(job) => outcome(&opened, &job, "resumed", now, json),
                Resumed::Removed(removed) => Ok(if json {
                    format!("{}\n", serde_json::to_value(removed).unwrap_or(Value::Null))
                } else {
                    format!("removed {id}: its trigger has no more fire times\n")
                }),
            }
        }
        JobsCommand::Run { id } => {
            let job = opened.block_on(actions::run_now(opened.store.as_ref(), id, now))?;
            outcome(&opened, &job, "runs now", now, json)
        }
        JobsCommand::Backfill {
            id,
            from,
            to,
            dry_run,
        } => backfill(&opened, id, from, to, *dry_run, now, json),
        JobsCommand::Remove { id } => {
            let removed = opened.block_on(actions::remove(opened.store.as_ref(), id))?;
            let from_file = removed.origin.as_deref() == Some(crate::config::ORIGIN_CONFIG);
            if json {
                return Ok(format!(
                    "{}\n",
                    serde_json::to_value(removed).unwrap_or(Value::Null)
                ));
            }
            let mut text = format!("removed {id}\n");
            if from_file {
                text.push_str(&format!(
                    "note: {id} is a job of the configuration file; it comes back when the daemon \
                     reloads the file unless you remove it there\n"
                ));
            }
            Ok(text)
        }
    }
}

/// `tempora jobs backfill ID --from T --to T [--dry-run]`.
fn backfill(
    opened: &Opened,
    id: &str,
    from: &str,
    to: &str,
    dry_run: bool,
    now: Timestamp,
    json: bool,
) -> Result<String> {
    let from = parse_time(&opened.zone, "from", from)?;
    let to = parse_time(&opened.zone, "to", to)?;
    let Backfilled { times, queued } = opened.block_on(actions::backfill(
        opened.store.as_ref(),
        id,
        from,
        to,
        dry_run,
        now,
    ))?;
    let zone = &opened.zone;
    if json {
        let view = BackfillView {
            id: id.to_owned(),
            from: zone.format(from),
            to: zone.format(to),
            dry_run,
            fire_times: times.iter().map(|time| zone.format(*time)).collect(),
            queued,
        };
        return Ok(format!(
            "{}\n",
            serde_json::to_value(view).unwrap_or(Value::Null)
        ));
    }
    let range = format!("{id} from {} to {}", local(zone, from), local(zone, to));
    if !dry_run {
        let waiting = times.len() - queued;
        let already = if waiting > 0 {
            format!(" ({waiting} of them queued already)")
        } else {
            String::new()
        };
        return Ok(format!(
            "queued {} fire time(s) of {range}{already}\n",
            times.len()
        ));
    }
    let mut out = format!(
        "{} fire time(s) of {range} (dry run: nothing runs)\n",
        times.len()
    );
    for time in &times {
        out.push_str(&format!(
            "  {} ({})\n",
            local(zone, *time),
            relative(*time, now)
        ));
    }
    Ok(out)
}

/// What a change prints: one line, or the job as JSON.
fn outcome(opened: &Opened, job: &Job, what: &str, now: Timestamp, json: bool) -> Result<String> {
    if json {
        return Ok(format!("{}\n", job_json(opened, job, None, now)));
    }
    Ok(format!(
        "{what} {}: {}\n",
        job.id(),
        next_run_text(opened, job, now)
    ))
}

/// "next run 2026-03-30 09:00:00 CEST (in 3m 20s)", "paused", "paused
/// until …, next run …".
fn next_run_text(opened: &Opened, job: &Job, now: Timestamp) -> String {
    match (job.next_run_time(), paused_until(job, now)) {
        (None, _) => "paused".to_owned(),
        (Some(next), Some(until)) => format!(
            "paused until {}, next run {} ({})",
            local(&opened.zone, until),
            local(&opened.zone, next),
            relative(next, now)
        ),
        (Some(next), None) => format!(
            "next run {} ({})",
            local(&opened.zone, next),
            relative(next, now)
        ),
    }
}

/// The command a job runs, as a shell would show it.
fn command_line(job: &Job) -> Option<String> {
    let command: CommandArgs = serde_json::from_value(job.args().clone()).ok()?;
    if command.program == "/bin/sh" && command.args.len() == 2 && command.args[0] == "-c" {
        return Some(command.args[1].clone());
    }
    let words: Vec<String> = std::iter::once(&command.program)
        .chain(&command.args)
        .map(|word| {
            if !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect();
    Some(words.join(" "))
}

pub use tempora_api::views::HIDDEN;

/// A job's arguments as they are shown: the values of a command's `env`
/// as [`HIDDEN`] unless `--show-secrets`.
fn shown_args(opened: &Opened, args: &Value) -> Value {
    tempora_api::views::shown_args(args, opened.show_secrets)
}

/// A job as `--json` prints it: a [`JobView`].
fn job_view(opened: &Opened, job: &Job, last: Option<&RunRecord>, now: Timestamp) -> JobView {
    JobView::new(job, last, &opened.zone, now, opened.show_secrets)
}

/// A job as `--json` prints it.
fn job_json(opened: &Opened, job: &Job, last: Option<&RunRecord>, now: Timestamp) -> Value {
    serde_json::to_value(job_view(opened, job, last, now)).unwrap_or(Value::Null)
}

/// The latest run of each of `jobs` that has one (pending runs of other
/// jobs aside), read at once; none from a store without history.
fn latest_runs(opened: &Opened, jobs: &[Job]) -> Result<HashMap<String, RunRecord>> {
    let Some(history) = opened.store.history() else {
        return Ok(HashMap::new());
    };
    let ids: Vec<&str> = jobs
        .iter()
        .filter(|job| job.run_of().is_none())
        .map(Job::id)
        .collect();
    Ok(opened.block_on(history.latest_runs(&ids))?)
}

/// The trigger in words ([`tempora::trigger::Trigger::describe`]), with
/// its zone when it is not the one the table's times are shown in.
fn schedule_text(trigger: &tempora::trigger::Trigger, zone: &Zone) -> String {
    let description = trigger.describe();
    if trigger.zone().name() == zone.name() {
        description
    } else {
        format!("{description} ({})", trigger.zone().name())
    }
}

/// `tempora jobs`: the table, or a JSON array.
fn list(opened: &Opened, now: Timestamp, json: bool) -> Result<String> {
    let jobs = opened.block_on(opened.store.list_jobs())?;
    let mut latest = latest_runs(opened, &jobs)?;
    let mut rows = Vec::new();
    let mut values = Vec::new();
    let mut reasons = Vec::new();
    for job in &jobs {
        if let Some(run) = job.run_of() {
            // A pending run of another job: no history of its own.
            if json {
                values.push(job_json(opened, job, None, now));
                continue;
            }
            let next = match job.next_run_time() {
                Some(next) => format!("{} ({})", local(&opened.zone, next), relative(next, now)),
                None => "-".to_owned(),
            };
            rows.push([
                format!("{} ({})", run.job, run.kind),
                format!(
                    "attempt {} of {}",
                    run.attempt,
                    local(&opened.zone, run.scheduled_time)
                ),
                format!("a {} run", run.kind),
                next,
                "-".to_owned(),
                "-".to_owned(),
            ]);
            continue;
        }
        if let Some(reason) = job.paused_reason() {
            reasons.push(format!("{}: {reason}\n", job.id()));
        }
        let last = latest.remove(job.id());
        if json {
            values.push(job_json(opened, job, last.as_ref(), now));
            continue;
        }
        let next = match job.next_run_time() {
            Some(next) => format!("{} ({})", local(&opened.zone, next), relative(next, now)),
            None => "-".to_owned(),
        };
        let last = match &last {
            Some(run) => {
                let when = run.finished.or(run.started).unwrap_or(run.scheduled_time);
                let exit = run
                    .exit_status
                    .filter(|status| *status != 0)
                    .map(|status| format!(" (exit {status})"))
                    .unwrap_or_default();
                format!("{}{exit} {}", run.status, relative(when, now))
            }
            None => "-".to_owned(),
        };
        let paused = match (job.is_paused(), paused_until(job, now)) {
            (true, _) if job.paused_reason().is_some() => "yes (failures)".to_owned(),
            (true, _) => "yes".to_owned(),
            (false, Some(until)) => format!("until {}", local(&opened.zone, until)),
            (false, None) => "no".to_owned(),
        };
        rows.push([
            job.id().to_owned(),
            short_trigger(job.trigger(), &opened.zone),
            schedule_text(job.trigger(), &opened.zone),
            next,
            last,
            paused,
        ]);
    }
    if json {
        return Ok(format!("{}\n", Value::Array(values)));
    }
    if rows.is_empty() {
        return Ok("no jobs\n".to_owned());
    }
    let mut out = table(
        [
            "ID", "TRIGGER", "SCHEDULE", "NEXT RUN", "LAST RUN", "PAUSED",
        ],
        &rows,
    );
    for reason in reasons {
        out.push_str(&reason);
    }
    Ok(out)
}

/// `tempora jobs show ID`.
fn show(opened: &Opened, id: &str, now: Timestamp, json: bool) -> Result<String> {
    let job = opened.job(id)?;
    let runs = match opened.store.history() {
        Some(history) => opened.block_on(history.list_runs(&RunQuery::new().job(id).limit(5)))?,
        None => Vec::new(),
    };
    if json {
        let mut view = job_view(opened, &job, runs.first(), now);
        view.runs = Some(
            runs.iter()
                .map(|run| RunView::new(&opened.zone, run))
                .collect(),
        );
        return Ok(format!(
            "{}\n",
            serde_json::to_value(view).unwrap_or(Value::Null)
        ));
    }
    let command: Option<CommandArgs> = serde_json::from_value(job.args().clone()).ok();
    let mut lines: Vec<(&str, String)> = vec![
        ("id", job.id().to_owned()),
        ("name", job.name().to_owned()),
        (
            "origin",
            match job.label(ORIGIN) {
                Some("config") => "config (the configuration file)".to_owned(),
                Some("cli") => "cli (tempora jobs add)".to_owned(),
                Some(other) => other.to_owned(),
                None => "-".to_owned(),
            },
        ),
        ("trigger", job.trigger().to_string()),
        ("schedule", schedule_text(job.trigger(), &opened.zone)),
    ];
    for (name, calendar) in job.exclusions() {
        lines.push(("exclude", format!("{name}: {calendar}")));
    }
    lines.push(("next run", next_run_text(opened, &job, now)));
    match (&command, command_line(&job)) {
        (Some(_), Some(line)) => lines.push(("command", line)),
        _ => lines.push((
            "task",
            format!(
                "{} {}",
                job.task().name().unwrap_or("(closure)"),
                shown_args(opened, job.args())
            ),
        )),
    }
    if let Some(command) = &command {
        for (name, value) in &command.env {
            let value = if opened.show_secrets { value } else { HIDDEN };
            lines.push(("env", format!("{name}={value}")));
        }
        match &command.inherit_env {
            InheritEnv::All => lines.push(("inherit env", "all".to_owned())),
            InheritEnv::Base(names) if names.is_empty() => {}
            InheritEnv::Base(names) => lines.push(("inherit env", names.join(" "))),
        }
        if let Some(dir) = &command.working_dir {
            lines.push(("working dir", dir.display().to_string()));
        }
        // Jobs added by earlier releases kept it in the command.
        if let Some(timeout) = command.timeout.filter(|_| job.timeout().is_none()) {
            lines.push(("timeout", format!("{timeout:#}")));
        }
    }
    if let Some(timeout) = job.timeout() {
        lines.push(("timeout", format!("{timeout:#}")));
    }
    lines.push(("misfire grace", job.misfire_grace_time().to_string()));
    lines.push(("coalesce", job.coalesce().to_string()));
    lines.push(("max instances", job.max_instances().to_string()));
    if let Some(overlap) = job.overlap() {
        lines.push(("overlap", overlap.to_string()));
    }
    if let Some(retry) = job.retry() {
        lines.push(("retry", retry.to_string()));
    }
    if let Some(failures) = job.pause_after_failures() {
        lines.push(("pause after", format!("{failures} failed run(s) in a row")));
    }
    if let Some(notify) = job.notify() {
        let kinds: Vec<&str> = notify.kinds().iter().map(|kind| kind.as_str()).collect();
        let mut to = Vec::new();
        if let Some(url) = notify.webhook_url() {
            to.push(if notify.is_signed() {
                format!("{url} (signed)")
            } else {
                url.to_owned()
            });
        }
        if let Some(command) = notify.command_line() {
            to.push(command.join(" "));
        }
        lines.push((
            "notify",
            format!("{} to {}", kinds.join(", "), to.join(" and ")),
        ));
    }
    if let Some(within) = job.expect_success_within() {
        lines.push(("expect success", format!("within {within:#}")));
    }
    if let Some(reason) = job.paused_reason() {
        lines.push(("paused", reason.to_owned()));
    }
    if let Some(run) = job.run_of() {
        lines.push((
            "pending run",
            format!(
                "{} of job {}, attempt {} of {}",
                run.kind,
                run.job,
                run.attempt,
                local(&opened.zone, run.scheduled_time)
            ),
        ));
    }
    let mut out: String = lines
        .iter()
        .map(|(key, value)| format!("{:<16}{value}\n", format!("{key}:")))
        .collect();
    if !runs.is_empty() {
        out.push_str("latest runs:\n");
        let rows = run_rows(&opened.zone, &runs);
        for line in table(RUN_HEADER, &rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    Ok(out)
}
