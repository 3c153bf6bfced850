//! Notifications: telling a person or a system that a job failed, missed a
//! fire time, went quiet for too long (*stale*) or succeeded again after
//! that (*recovered*), by a webhook (an HTTP POST of JSON, signed with
//! HMAC-SHA256) or by a program run with the notice on its standard input.
//!
//! A job says where its notices go with [`JobBuilder::notify`](crate::job::JobBuilder::notify)
//! (a scheduler's default with
//! [`SchedulerBuilder::notify`](crate::scheduler::SchedulerBuilder::notify)),
//! and how long it may go without a success with
//! [`JobBuilder::expect_success_within`](crate::job::JobBuilder::expect_success_within).
//!
//! # Once across the cluster
//!
//! A notice is sent by a *notice job*: a one-shot job that the node which
//! settled the run (the only one that does) adds to the job's store under
//! an id made from the job, the kind of notice, the fire time, the attempt
//! and the channel ([`notice_id`]), so that adding it again adds nothing.
//! Exactly one scheduler sharing the store claims it, as it claims any fire
//! time, and delivers it as the run of the built-in [`NOTIFY`] task; its run
//! record in the store's history is the delivery record (its output says
//! the HTTP status, or the program's output). A delivery that fails for a
//! passing reason (an HTTP 5xx, 408 or 429 answer, a connection refused, a
//! time-out, a program exiting 75) is retried with backoff by the job's
//! retry machinery ([`Notify::retry`]); any other failure (another 4xx) is
//! final.
//!
//! # Stale and recovered
//!
//! A job with `expect_success_within` has a *stale check*: a one-shot
//! notice job due that long after the job was added, moved on at each
//! success, both instants read from the store's clock
//! ([`JobStore::store_now`]: the database server's, or the caller's for
//! the memory store and SQLite). One node claims the check, as it claims
//! any fire time; before sending, it asks the store's clock again, and a
//! check it claimed early (its own clock runs ahead) is put off by the
//! time left instead. So the check fires once across the nodes, never
//! before its deadline by the store's clock: it sends the `stale` notice
//! and marks the job stale (a paused marker job, [`stale_marker_id`]). The
//! next success removes the marker — one node wins the removal — and sends
//! `recovered`. However long the job stays quiet, one `stale` notice is
//! sent per quiet spell.
//!
//! ```
//! use tempora::notify::{NoticeKind, Notify};
//! use tempora::jiff::SignedDuration;
//!
//! let notify = Notify::new()
//!     .webhook("https://hooks.example.com/tempora")
//!     .secret("s3cret")
//!     .on([NoticeKind::Failure, NoticeKind::Stale, NoticeKind::Recovered])
//!     .timeout(SignedDuration::from_secs(5));
//! notify.validate()?;
//! assert!(notify.sends(NoticeKind::Failure));
//! assert!(!notify.sends(NoticeKind::Missed));
//!
//! // The TOML and JSON form, as the daemon's file has it.
//! let parsed: Notify = toml::from_str(
//!     r#"on = ["failure", "stale", "recovered"]
//!        webhook = "https://hooks.example.com/tempora"
//!        secret = "s3cret"
//!        timeout = "5s""#,
//! )?;
//! assert_eq!(parsed, notify);
//!
//! let error = toml::from_str::<Notify>(r#"on = ["failures"]
//! webhook = "https://hooks.example.com""#).unwrap_err();
//! assert!(error.to_string().contains(
//!     r#"notify.on: "failures" is not "failure", "missed", "stale" or "recovered""#
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod deliver;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::job::{Job, JobOptions, MisfireGraceTime, OnInterrupted, Retry};
use crate::store::JobStore;
use crate::task::JobTask;
use crate::trigger::DateTrigger;

pub use self::deliver::{
    ATTEMPT_HEADER, NOTICE_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, TRANSIENT_EXIT_STATUS,
    signature, verify_signature,
};
pub(crate) use self::deliver::{deliver, success_detail};

/// The name of the built-in task that delivers a notice (see the module's
/// page). Every scheduler knows it; a notice job names it.
pub const NOTIFY: &str = "tempora.notify";

/// The label that a notice job carries, naming the job it tells about.
pub const NOTICE_OF_LABEL: &str = "notice_of";

/// What a notice tells.
///
/// In JSON and TOML it reads `"failure"`, `"missed"`, `"stale"` or
/// `"recovered"`.
///
/// ```
/// use tempora::notify::NoticeKind;
///
/// assert_eq!("stale".parse::<NoticeKind>()?, NoticeKind::Stale);
/// assert_eq!(NoticeKind::Recovered.to_string(), "recovered");
/// assert_eq!(
///     "late".parse::<NoticeKind>().unwrap_err().to_string(),
///     r#"notify.on: "late" is not "failure", "missed", "stale" or "recovered""#
/// );
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum NoticeKind {
    /// A fire time failed for good: its run failed (error, panic, time-out)
    /// and its retries, if any, are exhausted.
    Failure,
    /// A fire time was missed: it came later than the job's misfire grace
    /// time allows.
    Missed,
    /// The job has not succeeded for its `expect_success_within`.
    Stale,
    /// The job succeeded again after a `stale` notice.
    Recovered,
}

impl NoticeKind {
    /// Every kind, in order.
    pub const ALL: [NoticeKind; 4] = [
        NoticeKind::Failure,
        NoticeKind::Missed,
        NoticeKind::Stale,
        NoticeKind::Recovered,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Failure => "failure",
            NoticeKind::Missed => "missed",
            NoticeKind::Stale => "stale",
            NoticeKind::Recovered => "recovered",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NoticeKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<NoticeKind> {
        NoticeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                Error::invalid(
                    "notify.on",
                    format!("{text:?} is not \"failure\", \"missed\", \"stale\" or \"recovered\""),
                )
            })
    }
}

impl TryFrom<String> for NoticeKind {
    type Error = Error;

    fn try_from(text: String) -> Result<NoticeKind> {
        text.parse()
    }
}

/// Where a job's notices go, and which: a webhook, a program, or both.
///
/// In TOML and JSON it reads `{ on = ["failure", "missed", "stale",
/// "recovered"], webhook = "https://…", secret = "…", command = ["prog",
/// "arg"], timeout = "10s", retry = { attempts = 5, delay = "10s", factor
/// = 2, max_delay = "5m" } }`. `on` defaults to every kind, `timeout` to
/// 10 s, `retry` to [`Notify::DEFAULT_ATTEMPTS`] attempts 10 s apart,
/// doubling up to 5 min; one of `webhook` and `command` is required.
///
/// * A **webhook** is sent an HTTP `POST` of the [`Notice`] as JSON. With a
///   `secret`, it carries the headers [`TIMESTAMP_HEADER`] (Unix seconds)
///   and [`SIGNATURE_HEADER`] (`sha256=` and the hex HMAC-SHA256, keyed by
///   the secret, of the timestamp, a `.` and the raw body; see
///   [`verify_signature`]).
/// * A **command** (a program and its arguments, run directly, not through
///   a shell) gets the notice as JSON on its standard input and in the
///   environment variable `TEMPORA_NOTICE`, and its main fields in
///   `TEMPORA_NOTICE_KIND`, `TEMPORA_NOTICE_JOB`,
///   `TEMPORA_NOTICE_SCHEDULED_TIME`, `TEMPORA_NOTICE_OUTCOME`,
///   `TEMPORA_NOTICE_EXIT_STATUS`, `TEMPORA_NOTICE_ATTEMPT` and
///   `TEMPORA_NOTICE_NODE`. Exiting 75 ([`TRANSIENT_EXIT_STATUS`], "try
///   again") has it retried; any other failure is final.
///
/// The secret is kept with the job in its store, as the rest of its
/// settings are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NotifyForm", into = "NotifyForm")]
pub struct Notify {
    on: Vec<NoticeKind>,
    webhook: Option<String>,
    secret: Option<String>,
    command: Option<Vec<String>>,
    timeout: SignedDuration,
    retry: Retry,
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl Notify {
    /// The most deliveries of one notice, by default (one and four retries).
    pub const DEFAULT_ATTEMPTS: u32 = 5;

    /// How long a delivery may take, by default: 10 s.
    pub const DEFAULT_TIMEOUT: SignedDuration = SignedDuration::from_secs(10);

    /// Every kind of notice, to no channel yet: give a
    /// [`webhook`](Notify::webhook) or a [`command`](Notify::command).
    pub fn new() -> Notify {
        Notify {
            on: NoticeKind::ALL.to_vec(),
            webhook: None,
            secret: None,
            command: None,
            timeout: Notify::DEFAULT_TIMEOUT,
            retry: Notify::default_retry(),
        }
    }

    /// The default retries of a delivery.
    fn default_retry() -> Retry {
        Retry::attempts(Notify::DEFAULT_ATTEMPTS)
            .delay(SignedDuration::from_secs(10))
            .factor(2.0)
            .max_delay(SignedDuration::from_mins(5))
    }

    /// Sends only these kinds of notice.
    pub fn on(mut self, kinds: impl IntoIterator<Item = NoticeKind>) -> Notify {
        let mut kinds: Vec<NoticeKind> = kinds.into_iter().collect();
        kinds.sort();
        kinds.dedup();
        self.on = kinds;
        self
    }

    /// POSTs the notices to `url` (`http` or `https`).
    pub fn webhook(mut self, url: impl Into<String>) -> Notify {
        self.webhook = Some(url.into());
        self
    }

    /// Signs webhook bodies with `secret` (see [`verify_signature`]).
    pub fn secret(mut self, secret: impl Into<String>) -> Notify {
        self.secret = Some(secret.into());
        self
    }

    /// Runs this program (the first item) with these arguments for each
    /// notice.
    pub fn command<I, S>(mut self, command: I) -> Notify
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.command = Some(command.into_iter().map(Into::into).collect());
        self
    }

    /// How long one delivery may take (an HTTP request, or the program).
    pub fn timeout(mut self, timeout: SignedDuration) -> Notify {
        self.timeout = timeout;
        self
    }

    /// How failed deliveries are retried; only failures that may pass are
    /// (see the module's page), whatever `retry_on` says.
    pub fn retry(mut self, retry: Retry) -> Notify {
        self.retry = retry;
        self
    }

    /// True when it sends notices of `kind`.
    pub fn sends(&self, kind: NoticeKind) -> bool {
        self.on.contains(&kind)
    }

    /// The kinds of notice sent.
    pub fn kinds(&self) -> &[NoticeKind] {
        &self.on
    }

    /// The webhook's URL, if any.
    pub fn webhook_url(&self) -> Option<&str> {
        self.webhook.as_deref()
    }

    /// The program and its arguments, if any.
    pub fn command_line(&self) -> Option<&[String]> {
        self.command.as_deref()
    }

    /// True when webhook bodies are signed.
    pub fn is_signed(&self) -> bool {
        self.secret.is_some()
    }

    /// How long one delivery may take.
    pub fn delivery_timeout(&self) -> SignedDuration {
        self.timeout
    }

    /// How failed deliveries are retried.
    pub fn delivery_retry(&self) -> &Retry {
        &self.retry
    }

    /// Checks the settings: field `notify.on` (empty), `notify.webhook`
    /// (not an `http` or `https` URL), `notify.command` (empty),
    /// `notify.secret` (empty), `notify.timeout` (not positive), `notify`
    /// (neither a webhook nor a command), or `retry.*` naming the value.
    ///
    /// # Errors
    ///
    /// When a setting is wrong, as above.
    ///
    /// ```
    /// use tempora::notify::Notify;
    ///
    /// let error = Notify::new().webhook("ftp://example.com").validate().unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     r#"notify.webhook: "ftp://example.com" is not an http or https URL"#
    /// );
    /// let error = Notify::new().validate().unwrap_err();
    /// assert_eq!(error.to_string(), "notify: gives neither a webhook nor a command");
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.on.is_empty() {
            return Err(Error::invalid(
                "notify.on",
                "[] is empty: give at least one of \"failure\", \"missed\", \"stale\", \"recovered\"",
            ));
        }
        if self.webhook.is_none() && self.command.is_none() {
            return Err(Error::invalid(
                "notify",
                "gives neither a webhook nor a command",
            ));
        }
        if let Some(url) = &self.webhook {
            check_url(url)?;
        }
        if let Some(command) = &self.command
            && command.first().is_none_or(String::is_empty)
        {
            return Err(Error::invalid(
                "notify.command",
                format!("{command:?} has no program: give [\"program\", \"arg\", ...]"),
            ));
        }
        if self.secret.as_deref() == Some("") {
            return Err(Error::invalid(
                "notify.secret",
                "\"\" is empty: give a secret, or none",
            ));
        }
        if !self.timeout.is_positive() {
            return Err(Error::invalid(
                "notify.timeout",
                format!("{:#} is not positive", self.timeout),
            ));
        }
        self.retry.validate()
    }

    /// The channels it sends to, each as a notice job delivers it.
    fn channels(&self) -> Vec<Channel> {
        let mut channels = Vec::new();
        if let Some(url) = &self.webhook {
            channels.push(Channel::Webhook {
                url: url.clone(),
                secret: self.secret.clone(),
                timeout: self.timeout,
            });
        }
        if let Some(command) = &self.command {
            channels.push(Channel::Command {
                command: command.clone(),
                timeout: self.timeout,
            });
        }
        channels
    }
}

/// Refuses a webhook URL that is not `http(s)://host…`.
fn check_url(url: &str) -> Result<()> {
    let bad = || {
        Error::invalid(
            "notify.webhook",
            format!("{url:?} is not an http or https URL"),
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    #[cfg(feature = "webhooks")]
    reqwest::Url::parse(url).map_err(|error| {
        Error::invalid(
            "notify.webhook",
            format!("{url:?} is not an http or https URL: {error}"),
        )
    })?;
    Ok(())
}

/// The TOML and JSON form of a [`Notify`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyForm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<Vec<NoticeKind>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    webhook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
}

impl TryFrom<NotifyForm> for Notify {
    type Error = Error;

    fn try_from(form: NotifyForm) -> Result<Notify> {
        let mut notify = Notify::new();
        if let Some(on) = form.on {
            notify = notify.on(on);
            if notify.on.is_empty() {
                notify.on.clear();
            }
        }
        notify.webhook = form.webhook;
        notify.secret = form.secret;
        notify.command = form.command;
        if let Some(timeout) = form.timeout {
            notify.timeout = timeout.parse().map_err(|error| {
                Error::invalid(
                    "notify.timeout",
                    format!("{timeout:?} is not a duration like \"10s\": {error}"),
                )
            })?;
        }
        if let Some(retry) = form.retry {
            notify.retry = retry;
        }
        notify.validate()?;
        Ok(notify)
    }
}

impl From<Notify> for NotifyForm {
    fn from(notify: Notify) -> NotifyForm {
        let default = Notify::new();
        NotifyForm {
            on: (notify.on != default.on).then_some(notify.on),
            webhook: notify.webhook,
            secret: notify.secret,
            command: notify.command,
            timeout: (notify.timeout != default.timeout).then(|| format!("{:#}", notify.timeout)),
            retry: (notify.retry != default.retry).then_some(notify.retry),
        }
    }
}

/// A duration of field `field` as `"26h"` or `"PT26H"`, more than zero.
///
/// # Errors
///
/// Field `field` when `text` is not a duration, or not positive.
///
/// ```
/// use tempora::notify::parse_positive_duration;
/// use tempora::jiff::SignedDuration;
///
/// let within = parse_positive_duration("expect_success_within", "26h")?;
/// assert_eq!(within, SignedDuration::from_hours(26));
/// let error = parse_positive_duration("expect_success_within", "soon").unwrap_err();
/// assert!(error.to_string().starts_with(r#"expect_success_within: "soon" is not a duration"#));
/// # Ok::<(), tempora::Error>(())
/// ```
pub fn parse_positive_duration(field: &str, text: &str) -> Result<SignedDuration> {
    let duration: SignedDuration = text.trim().parse().map_err(|error| {
        Error::invalid(
            field,
            format!("{text:?} is not a duration like \"26h\" or \"90m\": {error}"),
        )
    })?;
    if !duration.is_positive() {
        return Err(Error::invalid(field, format!("{text:?} is not positive")));
    }
    Ok(duration)
}

/// What a notice says: the body of a webhook's POST, and the standard input
/// of a command. Fields that do not apply to a kind are left out.
///
/// ```
/// use tempora::notify::{Notice, NoticeKind};
///
/// let notice = Notice::new(NoticeKind::Failure, "backup", "node-1", "2026-01-01T03:00:00Z".parse()?);
/// let json = serde_json::to_value(&notice)?;
/// assert_eq!(json["kind"], "failure");
/// assert_eq!(json["job"], "backup");
/// assert_eq!(json["node"], "node-1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Notice {
    /// The notice's id: the same for every delivery attempt of it (a
    /// receiver may drop repeats by it).
    pub id: String,
    /// What it tells.
    pub kind: NoticeKind,
    /// The job's id.
    pub job: String,
    /// The job's name.
    pub job_name: String,
    /// The fire time of the run it tells about (failure, missed,
    /// recovered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<Timestamp>,
    /// How that run ended, as its record says: `error`, `panic`,
    /// `timeout`, `missed` or `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The run's error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The program's exit status (the `command` task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    /// The end of the program's output (the `command` task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tail: Option<String>,
    /// The attempt of the fire time (1, then 2 and on for retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The node (scheduler) that ran the run, or found the job stale.
    pub node: String,
    /// Stale and recovered: since when the job has not succeeded (its
    /// last success, or when it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_success_since: Option<Timestamp>,
    /// Stale: the job's `expect_success_within`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub expect_success_within: Option<SignedDuration>,
    /// When the notice was made (stale: when the job became stale).
    pub time: Timestamp,
}

impl Notice {
    /// A notice of `kind` about job `job` (whose name it takes too), from
    /// node `node`, made at `time`; its id is set when it is sent.
    pub fn new(
        kind: NoticeKind,
        job: impl Into<String>,
        node: impl Into<String>,
        time: Timestamp,
    ) -> Notice {
        let job = job.into();
        Notice {
            id: String::new(),
            kind,
            job_name: job.clone(),
            job,
            scheduled_time: None,
            outcome: None,
            error: None,
            exit_status: None,
            output_tail: None,
            attempt: None,
            node: node.into(),
            no_success_since: None,
            expect_success_within: None,
            time,
        }
    }
}

/// The id of the notice of `kind` about `job`'s fire time `scheduled`
/// (attempt `attempt`), sent through channel `channel` (`webhook` or
/// `command`): the same for the same five, so that the notice is added,
/// and sent, once.
///
/// ```
/// use tempora::notify::{notice_id, NoticeKind};
///
/// let id = notice_id("backup", NoticeKind::Failure, "2026-01-01T03:00:00Z".parse()?, 3, "webhook");
/// assert_eq!(id, "backup@notice:failure:2026-01-01T03:00:00Z#3:webhook");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn notice_id(
    job: &str,
    kind: NoticeKind,
    scheduled: Timestamp,
    attempt: u32,
    channel: &str,
) -> String {
    format!("{job}@notice:{kind}:{scheduled}#{attempt}:{channel}")
}

/// The id of `job`'s stale check for channel `channel`.
///
/// ```
/// assert_eq!(tempora::notify::stale_check_id("backup", "webhook"), "backup@stale:webhook");
/// ```
pub fn stale_check_id(job: &str, channel: &str) -> String {
    format!("{job}@stale:{channel}")
}

/// The id of the marker kept while `job` is stale (its `stale` notice
/// through `channel` sent, no success since).
///
/// ```
/// assert_eq!(tempora::notify::stale_marker_id("backup", "webhook"), "backup@stale:webhook:sent");
/// ```
pub fn stale_marker_id(job: &str, channel: &str) -> String {
    format!("{job}@stale:{channel}:sent")
}

/// The stale checks of `job` (one per channel of its notify settings, or
/// of `default` when it has none), due its `expect_success_within` after
/// `since`, made by node `node`: add each to the job's store with
/// `add_job(check, false)`, taking an "exists" error as done. A scheduler
/// does so when it adds the job; call it when putting a job straight into
/// a store. None when the job has no `expect_success_within`, or its
/// notices include neither `stale` nor `recovered`.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::notify::{Notify, stale_checks};
/// use tempora::trigger::IntervalTrigger;
///
/// let now = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().hours(24).timezone("UTC").build()?;
/// let job = JobBuilder::new("backup", trigger)
///     .id("backup")
///     .expect_success_within(SignedDuration::from_hours(26))
///     .notify(Notify::new().webhook("https://hooks.example.com/t"))
///     .build_at(&JobDefaults::default(), now)?;
/// let checks = stale_checks(&job, None, "cli", now);
/// assert_eq!(checks.len(), 1);
/// assert_eq!(checks[0].id(), "backup@stale:webhook");
/// assert_eq!(checks[0].next_run_time(), Some("2026-01-02T02:00:00Z".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stale_checks(job: &Job, default: Option<&Notify>, node: &str, since: Timestamp) -> Vec<Job> {
    let Some(within) = job.expect_success_within() else {
        return Vec::new();
    };
    if job.task.name() == Some(NOTIFY) {
        return Vec::new();
    }
    let Some(notify) = job.notify().or(default) else {
        return Vec::new();
    };
    if !(notify.sends(NoticeKind::Stale) || notify.sends(NoticeKind::Recovered)) {
        return Vec::new();
    }
    let due = since.checked_add(within).unwrap_or(Timestamp::MAX);
    let mut notice = Notice::new(NoticeKind::Stale, job.id(), node, due);
    notice.job_name = job.name().to_owned();
    notice.no_success_since = Some(since);
    notice.expect_success_within = Some(within);
    notice_jobs(notify, &notice, due, job.store(), |channel| {
        stale_check_id(job.id(), channel)
    })
}

/// The channels a notice goes through, as ids name them.
pub(crate) const CHANNELS: [&str; 2] = ["webhook", "command"];

/// Moves the stale checks of `job` (as `store` now keeps it, its notify
/// settings or its `expect_success_within` just changed) onto its
/// settings, or onto `default` when it has none: what a scheduler's
/// `modify_job` does when the changes touch either; call it after
/// changing a job straight in a store. The quiet spell runs on: a new
/// check is due its `expect_success_within` after the start of the spell
/// the check it replaces counted from (its job's last success, or its
/// adding), or from now by the store's clock when the job had none; a
/// channel whose `stale` notice went out (the job is stale) gets none
/// until the job succeeds. When the job no longer has stale checks (no
/// `expect_success_within`, or notices sending neither `stale` nor
/// `recovered`), its checks and marks go. `node` is named in the
/// notices, as in [`stale_checks`].
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::notify::{Notify, rearm_stale_checks, stale_check_id, stale_checks};
/// use tempora::store::{JobStore, MemoryStore};
/// use tempora::trigger::IntervalTrigger;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryStore::new();
/// let added = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().hours(24).timezone("UTC").build()?;
/// let builder = JobBuilder::new("backup", trigger)
///     .id("backup")
///     .expect_success_within(SignedDuration::from_hours(26));
/// let job = builder.clone()
///     .notify(Notify::new().webhook("https://hooks.example.com/t"))
///     .build_at(&JobDefaults::default(), added)?;
/// store.add_job(job.clone(), false).await?;
/// for check in stale_checks(&job, None, "cli", added) {
///     store.add_job(check, false).await?;
/// }
///
/// // An hour later, the webhook gives way to a command.
/// let job = builder
///     .notify(Notify::new().command(["page-ops"]))
///     .build_at(&JobDefaults::default(), added)?;
/// store.update_job(job.clone()).await?;
/// rearm_stale_checks(&store, &job, None, "cli", "2026-01-01T01:00:00Z".parse()?).await?;
/// assert!(store.get_job(&stale_check_id("backup", "webhook")).await?.is_none());
/// let check = store.get_job(&stale_check_id("backup", "command")).await?.expect("armed");
/// // Still due 26 h after the job was added.
/// assert_eq!(check.next_run_time(), Some("2026-01-02T02:00:00Z".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A store error; the checks may then be partly moved.
pub async fn rearm_stale_checks(
    store: &dyn JobStore,
    job: &Job,
    default: Option<&Notify>,
    node: &str,
    now: Timestamp,
) -> Result<()> {
    let mut since: Option<Timestamp> = None;
    let mut stale = Vec::new();
    let mut old = Vec::new();
    for channel in CHANNELS {
        let check_id = stale_check_id(job.id(), channel);
        if let Some(check) = store.get_job(&check_id).await? {
            if let Some(checked) = delivery_of(&check).and_then(|d| d.notice.no_success_since) {
                since = Some(since.map_or(checked, |since| since.min(checked)));
            }
            old.push(check_id);
        }
        let marker_id = stale_marker_id(job.id(), channel);
        if store.get_job(&marker_id).await?.is_some() {
            stale.push((channel, marker_id));
        }
    }
    for id in &old {
        remove_quietly(store, id).await?;
    }
    if stale_checks(job, default, node, now).is_empty() {
        for (_, marker_id) in &stale {
            remove_quietly(store, marker_id).await?;
        }
        return Ok(());
    }
    let since = match since {
        Some(since) => since,
        // Stale on every channel it had: a success arms the checks.
        None if !stale.is_empty() => return Ok(()),
        None => store.store_now(now).await?,
    };
    for check in stale_checks(job, default, node, since) {
        let told = delivery_of(&check)
            .is_some_and(|d| stale.iter().any(|(channel, _)| *channel == d.to.name()));
        if !told {
            store.add_job(check, true).await?;
        }
    }
    Ok(())
}

/// Removes job `id` from `store`, if it is there.
async fn remove_quietly(store: &dyn JobStore, id: &str) -> Result<()> {
    match store.remove_job(id).await {
        Err(error) if !error.is_not_found() => Err(error),
        _ => Ok(()),
    }
}

/// How one notice job delivers: its channel and the notice. The arguments
/// of the [`NOTIFY`] task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Delivery {
    pub(crate) notice: Notice,
    pub(crate) to: Channel,
}

/// Where one notice goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Channel {
    /// A POST of the notice to `url`.
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
        timeout: SignedDuration,
    },
    /// A program run with the notice on its standard input.
    Command {
        command: Vec<String>,
        #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
        timeout: SignedDuration,
    },
}

impl Channel {
    /// `webhook` or `command`, as ids say.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Channel::Webhook { .. } => "webhook",
            Channel::Command { .. } => "command",
        }
    }
}

/// The notice jobs that send `notice` (its id left empty: each gets its
/// own) through each channel of `notify`, due at `due`, in store `store`;
/// `id_of` makes each job's id from its channel's name.
pub(crate) fn notice_jobs(
    notify: &Notify,
    notice: &Notice,
    due: Timestamp,
    store: &str,
    id_of: impl Fn(&str) -> String,
) -> Vec<Job> {
    notify
        .channels()
        .into_iter()
        .map(|channel| {
            let id = id_of(channel.name());
            let mut notice = notice.clone();
            notice.id.clone_from(&id);
            notice_job(
                id,
                &notify.retry,
                Delivery {
                    notice,
                    to: channel,
                },
                Some(due),
                store,
            )
        })
        .collect()
}

/// A notice job `id` delivering `delivery`, due at `due` (paused when
/// `None`: a marker), in store `store`, its failures that may pass retried
/// as `retry` says.
pub(crate) fn notice_job(
    id: String,
    retry: &Retry,
    delivery: Delivery,
    due: Option<Timestamp>,
    store: &str,
) -> Job {
    let mut labels = BTreeMap::new();
    labels.insert(NOTICE_OF_LABEL.to_owned(), delivery.notice.job.clone());
    labels.insert(
        "notice".to_owned(),
        delivery.notice.kind.as_str().to_owned(),
    );
    let name = format!("{} notice of {}", delivery.notice.kind, delivery.notice.job);
    let args = serde_json::to_value(&delivery).ok();
    let run_date = due.unwrap_or(delivery.notice.time);
    Job {
        id: Arc::from(id),
        name: Arc::from(name),
        task: JobTask::named(NOTIFY),
        args: args.map(Arc::new),
        trigger: DateTrigger::new(run_date).into(),
        options: Arc::new(JobOptions {
            executor: Arc::from(crate::job::DEFAULT),
            store: store.to_owned(),
            misfire_grace_time: MisfireGraceTime::Unlimited,
            coalesce: true,
            max_instances: 1,
            labels,
            on_interrupted: OnInterrupted::Retry,
            exclusions: Default::default(),
            timeout: None,
            overlap: None,
            retry: Some(retry.clone().retry_on([TRANSIENT_EXIT_STATUS])),
            pause_after_failures: None,
            notify: None,
            expect_success_within: None,
        }),
        next_run_time: due,
        previous_fire_time: None,
        run_of: None,
        paused_reason: None,
    }
}

/// The delivery a notice job makes, when `job` is one.
pub(crate) fn delivery_of(job: &Job) -> Option<Delivery> {
    if job.task.name() != Some(NOTIFY) {
        return None;
    }
    serde_json::from_value(job.args().clone()).ok()
}

/// True when `job` is a stale check of job `id`, or its stale mark: what
/// goes when that job is removed.
///
/// ```
/// use tempora::jiff::SignedDuration;
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::notify::{Notify, is_stale_watch_of, stale_checks};
/// use tempora::trigger::IntervalTrigger;
///
/// let now = "2026-01-01T00:00:00Z".parse()?;
/// let trigger = IntervalTrigger::builder().hours(24).timezone("UTC").build()?;
/// let job = JobBuilder::new("backup", trigger)
///     .id("backup")
///     .expect_success_within(SignedDuration::from_hours(26))
///     .notify(Notify::new().webhook("https://hooks.example.com/t"))
///     .build_at(&JobDefaults::default(), now)?;
/// let check = &stale_checks(&job, None, "cli", now)[0];
/// assert!(is_stale_watch_of(check, "backup"));
/// assert!(!is_stale_watch_of(check, "other"));
/// assert!(!is_stale_watch_of(&job, "backup"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn is_stale_watch_of(job: &Job, id: &str) -> bool {
    notice_of(job) == Some(id) && job.label("notice") == Some(NoticeKind::Stale.as_str())
}

/// The job a notice job tells about, when `job` is one.
///
/// ```
/// use tempora::job::{JobBuilder, JobDefaults};
/// use tempora::trigger::IntervalTrigger;
///
/// let trigger = IntervalTrigger::builder().hours(1).timezone("UTC").build()?;
/// let job = JobBuilder::new("report", trigger).build_at(&JobDefaults::default(), "2026-01-01T00:00:00Z".parse()?)?;
/// assert_eq!(tempora::notify::notice_of(&job), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn notice_of(job: &Job) -> Option<&str> {
    if job.task.name() != Some(NOTIFY) {
        return None;
    }
    job.label(NOTICE_OF_LABEL)
}
