//! Jitter: a pseudo-random offset added to each fire time.
//!
//! The offset of a fire time is a hash of the trigger's seed and the
//! unjittered fire time, so it is the same every time it is computed: a
//! trigger stays pure, a test that fixes the seed is deterministic, and a
//! scheduler restarted from a store sees the very fire time it stored.

use jiff::{SignedDuration, Timestamp};

/// How far the trigger looks back for the unjittered fire time that a
/// jittered `previous` came from, in fire times.
const RECOVERY_STEPS: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Jitter {
    /// The largest offset in either direction, in microseconds.
    max_micros: i64,
    seed: u64,
}

impl Jitter {
    pub(crate) fn new(max: SignedDuration, seed: u64) -> Option<Jitter> {
        let max_micros = i64::try_from(max.as_micros()).unwrap_or(i64::MAX);
        (max_micros > 0).then_some(Jitter { max_micros, seed })
    }

    pub(crate) fn max(&self) -> SignedDuration {
        SignedDuration::from_micros(self.max_micros)
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// `fire` moved by its offset in [-max, +max], at microsecond precision.
    pub(crate) fn apply(&self, fire: Timestamp) -> Timestamp {
        let span = (self.max_micros as u128) * 2 + 1;
        let hash = splitmix64(self.seed ^ (fire.as_nanosecond() as u64));
        let offset = (u128::from(hash) % span) as i64 - self.max_micros;
        fire.checked_add(SignedDuration::from_micros(offset))
            .unwrap_or(fire)
    }

    /// The jittered next fire time, given the trigger's unjittered `grid`
    /// (with the `next_fire_time` contract) and its `end` date. The result is
    /// never before `previous`, never before `now` when there is no
    /// `previous` (the unjittered time is used when the offset would put it
    /// there, as APScheduler does), and never after `end` (it is held at
    /// `end`).
    pub(crate) fn next(
        &self,
        previous: Option<Timestamp>,
        now: Timestamp,
        end: Option<Timestamp>,
        grid: impl Fn(Option<Timestamp>, Timestamp) -> Option<Timestamp>,
    ) -> Option<Timestamp> {
        let previous_grid = previous.map(|previous| self.recover(previous, &grid));
        let next = grid(previous_grid, now)?;
        let lower_bound = match previous {
            Some(previous) => previous.checked_add(SignedDuration::from_nanos(1)).ok()?,
            None => now,
        };
        let jittered = self.apply(next);
        let fire = if jittered >= lower_bound {
            jittered
        } else {
            next.max(lower_bound)
        };
        match end {
            Some(end) if fire > end => (end >= lower_bound).then_some(end),
            _ => Some(fire),
        }
    }

    /// The unjittered fire time whose jittered form is `previous`, or
    /// `previous` itself when no nearby fire time produced it.
    fn recover(
        &self,
        previous: Timestamp,
        grid: &impl Fn(Option<Timestamp>, Timestamp) -> Option<Timestamp>,
    ) -> Timestamp {
        let max = self.max();
        let Ok(low) = previous.checked_sub(max) else {
            return previous;
        };
        let high = previous.checked_add(max).unwrap_or(Timestamp::MAX);
        let mut candidate = grid(None, low);
        for _ in 0..RECOVERY_STEPS {
            match candidate {
                Some(fire) if fire <= high => {
                    if self.apply(fire) == previous || fire == previous {
                        return fire;
                    }
                    let after = fire.checked_add(SignedDuration::from_nanos(1)).ok();
                    candidate = after.and_then(|after| grid(Some(fire), after));
                }
                _ => break,
            }
        }
        previous
    }
}

/// Sebastiano Vigna's splitmix64 finalizer: a well-mixed 64-bit hash.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A seed for a trigger built without one: random per process and call.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x0074_656d_706f_7261);
    hasher.finish()
}
