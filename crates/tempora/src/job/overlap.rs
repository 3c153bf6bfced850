//! Overlap policies: what happens to a fire time that comes while the job
//! already runs as many runs as it may (`max_instances`), with Temporal's
//! names.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What happens to a fire time that comes while the job already runs
/// `max_instances` runs, counted across every scheduler sharing its store
/// (Temporal's overlap policies).
///
/// `max_instances` stays the limit of concurrent runs (1 unless set), and
/// the policy says what happens at the limit:
///
/// | policy | runs at once | a fire time at the limit |
/// |---|---|---|
/// | unset | `max_instances` | skipped, as [`Overlap::Skip`] (APScheduler's behaviour) |
/// | [`Overlap::Skip`] | `max_instances` | skipped: recorded `missed`, event `JobMaxInstances` |
/// | [`Overlap::BufferOne`] | `max_instances` | kept to run once a run ends; at most one kept, later ones skipped |
/// | [`Overlap::BufferAll`] | `max_instances` | kept, every one, to run in order as runs end |
/// | [`Overlap::CancelOther`] | `max_instances` | the oldest run is cancelled, then this one starts |
/// | [`Overlap::AllowAll`] | no limit, or `max_instances` when set above 1 | skipped (only with a limit) |
///
/// With the default `max_instances = 1`, `skip`, `buffer_one`,
/// `buffer_all` and `cancel_other` are Temporal's policies exactly: one
/// run at a time.
///
/// In JSON and TOML it reads as its name: `"skip"`, `"buffer_one"`,
/// `"buffer_all"`, `"cancel_other"`, `"allow_all"`.
///
/// ```
/// use tempora::job::Overlap;
///
/// assert_eq!("buffer_one".parse::<Overlap>()?, Overlap::BufferOne);
/// assert_eq!(Overlap::CancelOther.to_string(), "cancel_other");
/// assert_eq!(Overlap::Skip.instance_limit(3), 3);
/// assert_eq!(Overlap::AllowAll.instance_limit(1), u32::MAX);
/// assert_eq!(Overlap::AllowAll.instance_limit(4), 4);
/// assert_eq!(
///     "queue".parse::<Overlap>().unwrap_err().to_string(),
///     "overlap: \"queue\" is not one of skip, buffer_one, buffer_all, cancel_other, allow_all"
/// );
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Overlap {
    /// The fire time does not run: it is recorded
    /// [`Missed`](crate::history::RunStatus::Missed) with a
    /// [`JobMaxInstances`](crate::event::EventKind::JobMaxInstances) event.
    Skip,
    /// The fire time runs once a run ends; while one is kept waiting,
    /// later fire times are skipped.
    BufferOne,
    /// Every fire time runs, one after the other, as runs end.
    BufferAll,
    /// The oldest run is cancelled (a command gets SIGTERM, then SIGKILL
    /// after its grace period; a task's cancellation token fires), and the
    /// fire time runs.
    CancelOther,
    /// Every fire time starts at once, however many runs are in progress
    /// (up to `max_instances` when it is set above 1).
    AllowAll,
}

impl Overlap {
    /// Every policy, in the order of the declaration.
    pub const ALL: [Overlap; 5] = [
        Overlap::Skip,
        Overlap::BufferOne,
        Overlap::BufferAll,
        Overlap::CancelOther,
        Overlap::AllowAll,
    ];

    /// Its name in a configuration file.
    ///
    /// ```
    /// assert_eq!(tempora::job::Overlap::BufferAll.as_str(), "buffer_all");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::BufferOne => "buffer_one",
            Overlap::BufferAll => "buffer_all",
            Overlap::CancelOther => "cancel_other",
            Overlap::AllowAll => "allow_all",
        }
    }

    /// How many runs of a job with this policy and `max_instances` may run
    /// at once: `max_instances`, except under [`Overlap::AllowAll`], where
    /// a `max_instances` of 1 (the default) means no limit (`u32::MAX`).
    pub fn instance_limit(self, max_instances: u32) -> u32 {
        match self {
            Overlap::AllowAll if max_instances <= 1 => u32::MAX,
            _ => max_instances,
        }
    }

    /// True when a fire time that finds the job at its limit is kept to
    /// run later rather than skipped.
    pub fn buffers(self) -> bool {
        matches!(self, Overlap::BufferOne | Overlap::BufferAll)
    }
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Overlap {
    type Error = Error;

    fn try_from(text: String) -> Result<Overlap> {
        text.parse()
    }
}

impl std::str::FromStr for Overlap {
    type Err = Error;

    fn from_str(text: &str) -> Result<Overlap> {
        Overlap::ALL
            .into_iter()
            .find(|policy| policy.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Overlap::ALL.iter().map(|p| p.as_str()).collect();
                Error::invalid(
                    "overlap",
                    format!("{text:?} is not one of {}", names.join(", ")),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_reads_back_its_name() {
        for policy in Overlap::ALL {
            assert_eq!(policy.as_str().parse::<Overlap>().unwrap(), policy);
            let json = serde_json::to_string(&policy).unwrap();
            assert_eq!(json, format!("\"{policy}\""));
            assert_eq!(serde_json::from_str::<Overlap>(&json).unwrap(), policy);
        }
        let error = serde_json::from_str::<Overlap>("\"buffer\"").unwrap_err();
        assert!(error.to_string().contains("overlap: \"buffer\""), "{error}");
    }

    #[test]
    fn the_limit_is_max_instances_except_allow_all_unset() {
        for policy in Overlap::ALL {
            assert_eq!(policy.instance_limit(3), 3, "{policy}");
        }
        for policy in [
            Overlap::Skip,
            Overlap::BufferOne,
            Overlap::BufferAll,
            Overlap::CancelOther,
        ] {
            assert_eq!(policy.instance_limit(1), 1, "{policy}");
        }
        assert_eq!(Overlap::AllowAll.instance_limit(1), u32::MAX);
    }
}
