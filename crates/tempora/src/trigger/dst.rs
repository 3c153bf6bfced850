//! DST policies and the search that turns wall-clock matches into instants.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::trigger::zone::Zone;

/// What a trigger does with a wall-clock time that does not exist, because
/// the clocks jump forward over it (a DST gap).
///
/// ```
/// use tempora::trigger::DstGap;
///
/// assert_eq!("at-transition".parse::<DstGap>()?, DstGap::AtTransition);
/// assert_eq!(DstGap::default().to_string(), "shift");
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DstGap {
    /// Fire the same distance past the gap: 02:30 in a gap from 02:00 to
    /// 03:00 fires at 03:30 (APScheduler, RFC 5545 and jiff do this).
    #[default]
    Shift,
    /// Fire at the first instant after the gap: 02:30 fires at 03:00 (Vixie
    /// cron does this).
    AtTransition,
    /// Do not fire for a time that does not exist.
    Skip,
}

/// What a trigger does with a wall-clock time that happens twice, because
/// the clocks fall back over it (a DST fold).
///
/// ```
/// use tempora::trigger::DstFold;
///
/// assert_eq!("both".parse::<DstFold>()?, DstFold::Both);
/// assert_eq!(DstFold::default().to_string(), "auto");
/// # Ok::<(), tempora::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DstFold {
    /// Fire once, at the first occurrence, unless the expression fires every
    /// hour (its hour field matches all hours): then fire in both passes, so
    /// that an hourly job runs every hour of elapsed time (Vixie cron does
    /// this).
    #[default]
    Auto,
    /// Fire once, at the first occurrence.
    First,
    /// Fire once, at the second occurrence.
    Last,
    /// Fire at both occurrences (APScheduler 3 does this).
    Both,
}

impl DstFold {
    fn fires_in_first_pass(self) -> bool {
        !matches!(self, DstFold::Last)
    }

    fn fires_in_second_pass(self, every_hour: bool) -> bool {
        match self {
            DstFold::Auto => every_hour,
            DstFold::First => false,
            DstFold::Last | DstFold::Both => true,
        }
    }
}

impl fmt::Display for DstGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DstGap::Shift => "shift",
            DstGap::AtTransition => "at-transition",
            DstGap::Skip => "skip",
        })
    }
}

impl fmt::Display for DstFold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DstFold::Auto => "auto",
            DstFold::First => "first",
            DstFold::Last => "last",
            DstFold::Both => "both",
        })
    }
}

impl FromStr for DstGap {
    type Err = Error;

    fn from_str(text: &str) -> Result<DstGap, Error> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "shift" => Ok(DstGap::Shift),
            "at-transition" => Ok(DstGap::AtTransition),
            "skip" => Ok(DstGap::Skip),
            _ => Err(Error::invalid(
                "dst_gap",
                format!("{text:?} is not a policy; expected shift, at-transition or skip"),
            )),
        }
    }
}

impl FromStr for DstFold {
    type Err = Error;

    fn from_str(text: &str) -> Result<DstFold, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(DstFold::Auto),
            "first" => Ok(DstFold::First),
            "last" => Ok(DstFold::Last),
            "both" => Ok(DstFold::Both),
            _ => Err(Error::invalid(
                "dst_fold",
                format!("{text:?} is not a policy; expected auto, first, last or both"),
            )),
        }
    }
}

/// A set of wall-clock times, searched in local seconds (see `civil`).
pub(crate) trait LocalSchedule {
    /// The first matching local second at or after `local`, if any.
    fn next_local(&self, local: i64) -> Option<i64>;

    /// True when the schedule fires in every hour of the day, which makes
    /// [`DstFold::Auto`] fire in both passes of a fold.
    fn fires_every_hour(&self) -> bool;
}

/// The first instant (UTC second) at or after `threshold` at which
/// `schedule` fires on the wall clock of `zone`, with DST gaps and folds
/// resolved by the policies.
///
/// The zone's time line is a sequence of windows of constant offset. Each
/// window shows a range of wall-clock times; a wall-clock time seen by two
/// windows lies in a fold, one seen by none lies in a gap. The search walks
/// the windows from the one holding `threshold`, and in each takes the first
/// match that the policies accept.
pub(crate) fn first_instant_at_or_after(
    zone: &Zone,
    schedule: &impl LocalSchedule,
    gap: DstGap,
    fold: DstFold,
    threshold: i64,
) -> Option<i64> {
    let every_hour = schedule.fires_every_hour();
    let mut window = zone.window(threshold);
    let mut from_local = threshold.checked_add(window.offset)?;
    loop {
        let local_end = window.end.saturating_add(window.offset);
        let has_fold_before = window.previous_offset > window.offset;
        let second_pass_end = window.start.saturating_add(window.previous_offset);
        let has_fold_after = window.next_offset < window.offset;
        let first_pass_start = window.end.saturating_add(window.next_offset);

        let mut found = None;
        let mut exhausted = false;
        let mut low = from_local;
        loop {
            let Some(candidate) = schedule.next_local(low) else {
                exhausted = true;
                break;
            };
            if candidate >= local_end {
                break;
            }
            if has_fold_before && candidate < second_pass_end {
                if fold.fires_in_second_pass(every_hour) {
                    found = Some(candidate - window.offset);
                    break;
                }
                low = second_pass_end;
            } else if has_fold_after && candidate >= first_pass_start {
                if fold.fires_in_first_pass() {
                    found = Some(candidate - window.offset);
                    break;
                }
                low = local_end;
            } else {
                found = Some(candidate - window.offset);
                break;
            }
        }

        // Wall-clock times in the gap just before this window.
        if window.previous_offset < window.offset && window.start != i64::MIN {
            let gap_start = window.start + window.previous_offset;
            let gap_end = window.start + window.offset;
            let in_gap = |from: i64| schedule.next_local(from).filter(|&c| c < gap_end);
            let shifted = match gap {
                // A gap time `c` fires at `c` read with the offset before the gap.
                DstGap::Shift
                    if threshold < window.start + (window.offset - window.previous_offset) =>
                {
                    in_gap(gap_start.max(threshold.saturating_add(window.previous_offset)))
                        .map(|c| c - window.previous_offset)
                }
                DstGap::AtTransition if threshold <= window.start => {
                    in_gap(gap_start).map(|_| window.start)
                }
                _ => None,
            };
            found = match (found, shifted) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }

        if found.is_some() {
            return found;
        }
        if window.end == i64::MAX || (exhausted && !has_fold_after) {
            return None;
        }
        window = zone.window(window.end);
        from_local = window.start + window.offset;
    }
}
