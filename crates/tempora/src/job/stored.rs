//! The stored form of a job: what a persistent store keeps, versioned.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::calendar::Exclusions;
use crate::notify::Notify;
use crate::trigger::Trigger;

use super::{MisfireGraceTime, OnInterrupted, Overlap, Retry, RunOf, check_timeout};

/// A job as persistent stores keep it: JSON with a format version.
///
/// ```
/// use tempora::job::StoredJob;
///
/// let json = r#"{"version":1,"id":"a","name":"a","task":"t","args":null,
///   "trigger":{"type":"date","run_date":"2026-01-01T00:00:00Z","timezone":"UTC"},
///   "executor":"default","misfire_grace_time":null,"coalesce":true,"max_instances":1,
///   "next_run_time":"2026-01-01T00:00:00Z"}"#;
/// let stored: StoredJob = serde_json::from_str(json)?;
/// assert_eq!(stored.task, "t");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredJob {
    /// The format version, [`StoredJob::VERSION`] when written by this release.
    pub version: u32,
    /// The job's id.
    pub id: String,
    /// The job's name.
    pub name: String,
    /// The registered task's name.
    pub task: String,
    /// The task's arguments.
    pub args: Value,
    /// The trigger with its zone and DST policies.
    pub trigger: Trigger,
    /// The executor's name.
    pub executor: String,
    /// How late a run may start (`null` for unlimited).
    pub misfire_grace_time: MisfireGraceTime,
    /// Whether due runs coalesce.
    pub coalesce: bool,
    /// Concurrent runs allowed.
    pub max_instances: u32,
    /// The next run time, `null` while paused.
    pub next_run_time: Option<Timestamp>,
    /// The job's labels ([`Job::labels`](super::Job::labels)); left out of the JSON when there
    /// are none, and empty when absent, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// What happens to an interrupted run; left out of the JSON when
    /// `skip` (the default), so older stored jobs still read.
    #[serde(default, skip_serializing_if = "OnInterrupted::is_skip")]
    pub on_interrupted: OnInterrupted,
    /// The calendars the job excludes ([`Job::exclusions`](super::Job::exclusions)), by name, with
    /// their rules and zones, so that a scheduler that does not know them
    /// by name applies them too; left out of the JSON when there are none,
    /// and empty when absent, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exclude: Exclusions,
    /// How long a run may take (an ISO 8601 duration such as `"PT30S"`);
    /// left out of the JSON when there is no limit, and no limit when
    /// absent, so older stored jobs still read. A limit of zero or less
    /// does not read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "positive_timeout"
    )]
    pub timeout: Option<SignedDuration>,
    /// The overlap policy ([`Job::overlap`](super::Job::overlap)); left out of the JSON when
    /// unset, so older stored jobs still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap: Option<Overlap>,
    /// How failed runs are retried ([`Job::retry`](super::Job::retry)); left out when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// After how many failed fire times in a row the job is paused
    /// ([`Job::pause_after_failures`](super::Job::pause_after_failures)); left out when never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_after_failures: Option<u32>,
    /// Where the job's notices go ([`Job::notify`](super::Job::notify)); left out when unset,
    /// so older stored jobs still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
    /// How long the job may go without a success
    /// ([`Job::expect_success_within`](super::Job::expect_success_within)), as `"26h"`; left out when unset.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub expect_success_within: Option<SignedDuration>,
    /// Why the scheduler paused the job ([`Job::paused_reason`](super::Job::paused_reason)); left out
    /// when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    /// The pending run of another job this run job stands for
    /// ([`Job::run_of`](super::Job::run_of)); left out for a job of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_of: Option<RunOf>,
}

/// A stored `timeout`, refused unless more than zero.
fn positive_timeout<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<SignedDuration>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let timeout: SignedDuration = text.parse().map_err(|error| {
        serde::de::Error::custom(format!(
            "timeout: {text:?} is not a duration like \"PT30S\" or \"30s\": {error}"
        ))
    })?;
    check_timeout(timeout).map_err(serde::de::Error::custom)?;
    Ok(Some(timeout))
}

impl StoredJob {
    /// The stored format written by this release.
    pub const VERSION: u32 = 1;
}
