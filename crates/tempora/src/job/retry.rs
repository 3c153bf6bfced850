//! Retries: a failed run of a fire time run again after a delay that
//! grows, as further attempts of the same fire time.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::RunStatus;

/// How a job's failed runs are tried again: Celery's and Sidekiq's
/// retries, for a scheduler.
///
/// A run that fails — its task returns an error, panics, exits non-zero
/// (the `command` task) or times out — is run again after a delay, as the
/// next *attempt* of the same fire time, until one succeeds or
/// [`attempts`](Retry::attempts) runs were made. The delay before attempt
/// `n + 1` is `delay × factor^(n - 1)`, at most `max_delay`, then moved by
/// up to `jitter` of itself either way (a fraction: 0.1 for 10 %), so that
/// many jobs failing together do not retry together.
///
/// The pending retry is stored in the job's store as a run job (see
/// [`RunOf`](super::RunOf)): it survives a restart, and one scheduler
/// sharing the store runs it. It respects the job's `max_instances`, and
/// it never holds back the job's next regular fire time.
///
/// With [`retry_on`](Retry::retry_on) set, only runs that exit with one of
/// those statuses are retried; every other failure (another status, a
/// panic, a timeout, a program killed by a signal) is not.
///
/// In JSON and TOML it reads `{ attempts = 3, delay = "30s", factor = 2,
/// max_delay = "10m", jitter = "10%", retry_on = [1, 75] }`; only
/// `attempts` is required (`delay` defaults to 0, `factor` to 1).
///
/// ```
/// use tempora::job::Retry;
/// use tempora::jiff::SignedDuration;
///
/// let retry = Retry::attempts(4)
///     .delay(SignedDuration::from_secs(30))
///     .factor(2.0)
///     .max_delay(SignedDuration::from_secs(90));
/// // Before attempts 2, 3 and 4: 30 s, 60 s, then 120 s capped to 90 s.
/// assert_eq!(retry.delay_before(2, 0), SignedDuration::from_secs(30));
/// assert_eq!(retry.delay_before(3, 0), SignedDuration::from_secs(60));
/// assert_eq!(retry.delay_before(4, 0), SignedDuration::from_secs(90));
/// assert_eq!(
///     serde_json::to_string(&retry)?,
///     r#"{"attempts":4,"delay":"30s","factor":2.0,"max_delay":"1m 30s"}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RetryForm", into = "RetryForm")]
pub struct Retry {
    attempts: u32,
    delay: SignedDuration,
    factor: f64,
    max_delay: Option<SignedDuration>,
    jitter: f64,
    retry_on: Vec<i32>,
}

impl Retry {
    /// At most `attempts` runs of a fire time in all, the first included
    /// (so 3 is one run and up to two retries), at once unless a
    /// [`delay`](Retry::delay) is set. Checked when the job is built: at
    /// least 1.
    pub fn attempts(attempts: u32) -> Retry {
        Retry {
            attempts,
            delay: SignedDuration::ZERO,
            factor: 1.0,
            max_delay: None,
            jitter: 0.0,
            retry_on: Vec::new(),
        }
    }

    /// The delay before the first retry (attempt 2).
    pub fn delay(mut self, delay: SignedDuration) -> Retry {
        self.delay = delay;
        self
    }

    /// What each further delay is multiplied by (at least 1; 2 doubles it).
    pub fn factor(mut self, factor: f64) -> Retry {
        self.factor = factor;
        self
    }

    /// The longest delay, however many attempts were made.
    pub fn max_delay(mut self, max_delay: SignedDuration) -> Retry {
        self.max_delay = Some(max_delay);
        self
    }

    /// How far a delay may move either way, as a fraction of it (0 to 1;
    /// 0.1 for 10 %).
    pub fn jitter(mut self, fraction: f64) -> Retry {
        self.jitter = fraction;
        self
    }

    /// Only runs that exit with one of `statuses` are retried (for the
    /// `command` task); every other failure is not.
    pub fn retry_on(mut self, statuses: impl IntoIterator<Item = i32>) -> Retry {
        self.retry_on = statuses.into_iter().collect();
        self
    }

    /// The most runs of one fire time.
    pub fn max_attempts(&self) -> u32 {
        self.attempts
    }

    /// The delay before the first retry.
    pub fn first_delay(&self) -> SignedDuration {
        self.delay
    }

    /// The factor of each further delay.
    pub fn delay_factor(&self) -> f64 {
        self.factor
    }

    /// The longest delay, if bounded.
    pub fn longest_delay(&self) -> Option<SignedDuration> {
        self.max_delay
    }

    /// The jitter, a fraction of the delay.
    pub fn jitter_fraction(&self) -> f64 {
        self.jitter
    }

    /// The exit statuses retried; every failure when empty.
    pub fn retried_statuses(&self) -> &[i32] {
        &self.retry_on
    }

    /// Checks the settings: field `retry.attempts`, `retry.delay`,
    /// `retry.factor`, `retry.max_delay` or `retry.jitter` naming the value
    /// that is out of range.
    ///
    /// # Errors
    ///
    /// When a setting is out of range (see each setter).
    ///
    /// ```
    /// use tempora::job::Retry;
    ///
    /// let error = Retry::attempts(0).validate().unwrap_err();
    /// assert_eq!(error.to_string(), "retry.attempts: 0 is not allowed: at least 1");
    /// let error = Retry::attempts(3).jitter(1.5).validate().unwrap_err();
    /// assert_eq!(error.to_string(), "retry.jitter: 150% is out of range 0%-100%");
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.attempts == 0 {
            return Err(Error::invalid(
                "retry.attempts",
                "0 is not allowed: at least 1",
            ));
        }
        if self.delay.is_negative() {
            return Err(Error::invalid(
                "retry.delay",
                format!("{:#} is negative: give zero or more", self.delay),
            ));
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Err(Error::invalid(
                "retry.factor",
                format!("{} is not allowed: at least 1", self.factor),
            ));
        }
        if let Some(max) = self.max_delay
            && max.is_negative()
        {
            return Err(Error::invalid(
                "retry.max_delay",
                format!("{max:#} is negative: give zero or more"),
            ));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::invalid(
                "retry.jitter",
                format!("{} is out of range 0%-100%", Percent(self.jitter)),
            ));
        }
        Ok(())
    }

    /// The delay before attempt `attempt` (2 for the first retry), moved
    /// by its jitter as `seed` picks (the same seed, the same delay).
    pub fn delay_before(&self, attempt: u32, seed: u64) -> SignedDuration {
        let retries_before = attempt.saturating_sub(2);
        let mut seconds = self.delay.as_secs_f64()
            * self
                .factor
                .powi(i32::try_from(retries_before).unwrap_or(i32::MAX));
        if let Some(max) = self.max_delay {
            seconds = seconds.min(max.as_secs_f64());
        }
        if self.jitter > 0.0 {
            // A number in [-1, 1] from the seed.
            let unit =
                (crate::trigger::jitter::splitmix64(seed) >> 11) as f64 / (1u64 << 53) as f64 * 2.0
                    - 1.0;
            seconds += seconds * self.jitter * unit;
        }
        // Whole microseconds, as stores keep times.
        let micros = (seconds.max(0.0) * 1e6).min(i64::MAX as f64) as i64;
        SignedDuration::from_micros(micros)
    }

    /// True when a run that ended with `status` (and `exit_status`, for a
    /// program) as attempt `attempt` is tried again.
    pub fn retries(&self, attempt: u32, status: RunStatus, exit_status: Option<i32>) -> bool {
        if attempt >= self.attempts {
            return false;
        }
        if !matches!(
            status,
            RunStatus::Error | RunStatus::Panic | RunStatus::Timeout
        ) {
            return false;
        }
        self.retry_on.is_empty()
            || (status == RunStatus::Error
                && exit_status.is_some_and(|code| self.retry_on.contains(&code)))
    }

    /// When attempt `attempt` of the fire time `scheduled` of job `job_id`
    /// is due, after the previous attempt failed at `failed`.
    pub(crate) fn due(
        &self,
        job_id: &str,
        scheduled: Timestamp,
        attempt: u32,
        failed: Timestamp,
    ) -> Timestamp {
        use std::hash::BuildHasher;
        let seed = foldhash::fast::FixedState::with_seed(0x0072_6574_7279).hash_one((
            job_id,
            scheduled.as_microsecond(),
            attempt,
        ));
        let delay = self.delay_before(attempt, seed);
        failed.checked_add(delay).unwrap_or(Timestamp::MAX)
    }
}

/// A fraction shown as a percentage.
struct Percent(f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", (self.0 * 1e4).round() / 1e2)
    }
}

/// The JSON and TOML form of a [`Retry`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryForm {
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    retry_on: Vec<i32>,
}

/// A duration of field `field` as `"30s"` or `"PT30S"`.
fn parse_duration(field: &str, text: &str) -> Result<SignedDuration> {
    text.parse::<SignedDuration>().map_err(|error| {
        Error::invalid(
            field,
            format!("{text:?} is not a duration like \"30s\" or \"10m\": {error}"),
        )
    })
}

/// A jitter as `"10%"` or a fraction `"0.1"`.
fn parse_jitter(text: &str) -> Result<f64> {
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(percent) => (percent.trim(), 100.0),
        None => (text.trim(), 1.0),
    };
    number
        .parse::<f64>()
        .map(|value| value / scale)
        .map_err(|_| {
            Error::invalid(
                "retry.jitter",
                format!("{text:?} is not a percentage like \"10%\""),
            )
        })
}

impl TryFrom<RetryForm> for Retry {
    type Error = Error;

    fn try_from(form: RetryForm) -> Result<Retry> {
        let mut retry = Retry::attempts(form.attempts);
        if let Some(delay) = &form.delay {
            retry.delay = parse_duration("retry.delay", delay)?;
        }
        if let Some(factor) = form.factor {
            retry.factor = factor;
        }
        if let Some(max) = &form.max_delay {
            retry.max_delay = Some(parse_duration("retry.max_delay", max)?);
        }
        if let Some(jitter) = &form.jitter {
            retry.jitter = parse_jitter(jitter)?;
        }
        retry.retry_on = form.retry_on;
        retry.validate()?;
        Ok(retry)
    }
}

impl From<Retry> for RetryForm {
    fn from(retry: Retry) -> RetryForm {
        RetryForm {
            attempts: retry.attempts,
            delay: (!retry.delay.is_zero()).then(|| format!("{:#}", retry.delay)),
            factor: (retry.factor != 1.0).then_some(retry.factor),
            max_delay: retry.max_delay.map(|max| format!("{max:#}")),
            jitter: (retry.jitter != 0.0).then(|| Percent(retry.jitter).to_string()),
            retry_on: retry.retry_on,
        }
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} attempts, delay {:#}", self.attempts, self.delay)?;
        if self.factor != 1.0 {
            write!(f, " × {}", self.factor)?;
        }
        if let Some(max) = self.max_delay {
            write!(f, " up to {max:#}")?;
        }
        if self.jitter != 0.0 {
            write!(f, " ± {}", Percent(self.jitter))?;
        }
        if !self.retry_on.is_empty() {
            let statuses: Vec<String> = self.retry_on.iter().map(i32::to_string).collect();
            write!(f, ", on exit status {}", statuses.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delays grow by the factor up to the maximum, and the jitter
    /// moves each within its bounds, by the seed alone.
    #[test]
    fn delays_grow_to_the_maximum_and_jitter_stays_within_bounds() {
        let retry = Retry::attempts(10)
            .delay(SignedDuration::from_secs(10))
            .factor(2.0)
            .max_delay(SignedDuration::from_secs(60))
            .jitter(0.2);
        let bases = [10, 20, 40, 60, 60];
        let mut seen = std::collections::BTreeSet::new();
        for (attempt, base) in (2..).zip(bases) {
            let base = SignedDuration::from_secs(base);
            for seed in 0..1000u64 {
                let delay = retry.delay_before(attempt, seed);
                assert!(
                    delay >= base.mul_f64(0.8) && delay <= base.mul_f64(1.2),
                    "attempt {attempt}, seed {seed}: {delay:#} is not within 20% of {base:#}"
                );
                assert_eq!(delay, retry.delay_before(attempt, seed), "the same seed");
                seen.insert(delay);
            }
        }
        assert!(seen.len() > 1000, "the jitter spreads the delays");
        let plain = retry.clone().jitter(0.0);
        assert_eq!(plain.delay_before(5, 7), SignedDuration::from_secs(60));
        let due = plain.due("job", Timestamp::UNIX_EPOCH, 3, Timestamp::UNIX_EPOCH);
        assert_eq!(due, Timestamp::UNIX_EPOCH + SignedDuration::from_secs(20));
    }

    #[test]
    fn only_errors_panics_and_timeouts_are_retried_and_retry_on_limits_them() {
        let retry = Retry::attempts(3);
        assert!(retry.retries(1, RunStatus::Error, Some(1)));
        assert!(retry.retries(2, RunStatus::Panic, None));
        assert!(retry.retries(1, RunStatus::Timeout, None));
        assert!(
            !retry.retries(3, RunStatus::Error, None),
            "3 attempts in all"
        );
        for status in [
            RunStatus::Success,
            RunStatus::Missed,
            RunStatus::Interrupted,
        ] {
            assert!(!retry.retries(1, status, None), "{status}");
        }
        let limited = retry.retry_on([75]);
        assert!(limited.retries(1, RunStatus::Error, Some(75)));
        assert!(!limited.retries(1, RunStatus::Error, Some(1)));
        assert!(!limited.retries(1, RunStatus::Error, None));
        assert!(!limited.retries(1, RunStatus::Timeout, None));
        assert!(!limited.retries(1, RunStatus::Panic, None));
    }
}
