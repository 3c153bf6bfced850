//! Where "now" comes from: the system clock, or a manual one in tests.
//!
//! The engine never reads the wall clock itself. It asks its [`Clock`] for
//! the time, to wait until an instant and to measure how long something
//! took, so a test that drives a [`ManualClock`] runs a year of schedules
//! in milliseconds, without sleeping. This file is the only one in the
//! library that reads the system's clocks or tokio's timer (`clippy.toml`
//! forbids them elsewhere).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::sync::lock;

/// A future returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of the current time, and of waiting for a later one.
///
/// Implement it to run a scheduler on a clock of your own (a simulation, a
/// game's time). Tempora ships [`SystemClock`] and [`ManualClock`].
///
/// # Example
///
/// ```
/// use tempora::clock::{Clock, ManualClock};
/// use tempora::jiff::{SignedDuration, Timestamp};
///
/// let start: Timestamp = "2026-01-01T00:00:00Z".parse()?;
/// let clock = ManualClock::new(start);
/// clock.advance(SignedDuration::from_secs(90));
/// assert_eq!(clock.now(), "2026-01-01T00:01:30Z".parse::<Timestamp>()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;

    /// A future that completes once [`Clock::now`] has reached `deadline`;
    /// at once if it already has. It may complete early, so callers check
    /// the time again.
    fn sleep_until(&self, deadline: Timestamp) -> Sleep;

    /// The time since a fixed origin of this clock, for measuring how long
    /// something took: the difference of two readings. [`SystemClock`]
    /// reads the system's monotonic clock, which never goes back; by
    /// default it is [`Clock::now`] since the Unix epoch (a
    /// [`ManualClock`]'s durations are the time it was moved by).
    ///
    /// ```
    /// use tempora::clock::{Clock, ManualClock};
    /// use tempora::jiff::SignedDuration;
    ///
    /// let clock = ManualClock::new("2026-01-01T00:00:00Z".parse()?);
    /// let start = clock.monotonic();
    /// clock.advance(SignedDuration::from_millis(1500));
    /// assert_eq!(clock.monotonic() - start, SignedDuration::from_millis(1500));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn monotonic(&self) -> SignedDuration {
        self.now().duration_since(Timestamp::UNIX_EPOCH)
    }
}

/// Completes once `clock` reads `deadline` or later: [`Clock::sleep_until`]
/// until it does, since that may complete early.
pub(crate) async fn sleep_until(clock: &dyn Clock, deadline: Timestamp) {
    while clock.now() < deadline {
        clock.sleep_until(deadline).await;
    }
}

/// Completes once `duration` has passed by `clock`.
pub(crate) async fn sleep(clock: &dyn Clock, duration: SignedDuration) {
    let deadline = clock
        .now()
        .saturating_add(duration)
        .unwrap_or(Timestamp::MAX);
    sleep_until(clock, deadline).await;
}

/// `future`'s output, or `None` when `limit` passes first by `clock`.
pub(crate) async fn timeout<F: Future>(
    clock: &dyn Clock,
    limit: SignedDuration,
    future: F,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        output = future => Some(output),
        () = sleep(clock, limit) => None,
    }
}

/// The operating system's wall clock, with tokio's timer for waiting.
///
/// Waiting uses the monotonic clock for the distance to the deadline, read
/// against the wall clock when the wait begins: a wall clock set forward or
/// back is noticed when the engine wakes next, which it does at least every
/// [`SystemClock::MAX_SLEEP`].
///
/// ```
/// use tempora::clock::{Clock, SystemClock};
///
/// let clock = SystemClock;
/// assert!(clock.now() > "2020-01-01T00:00:00Z".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The longest single wait, so that a changed wall clock is seen soon.
    pub const MAX_SLEEP: SignedDuration = SignedDuration::from_secs(60);

    /// How long before a deadline waiting switches from tokio's timer to a
    /// thread's sleep, for precision.
    pub const FINE_WAIT: SignedDuration = SignedDuration::from_millis(3);

    /// The last stretch before a deadline, waited by yielding the thread
    /// rather than sleeping.
    const SPIN: SignedDuration = SignedDuration::from_micros(250);
}

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place that reads the wall clock.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    /// The system's monotonic clock, since its first reading in this
    /// process.
    #[allow(clippy::disallowed_methods)] // The one place that reads the monotonic clock.
    fn monotonic(&self) -> SignedDuration {
        static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
        let origin = *ORIGIN.get_or_init(std::time::Instant::now);
        SignedDuration::try_from(std::time::Instant::now().duration_since(origin))
            .unwrap_or(SignedDuration::MAX)
    }

    /// Waits with tokio's timer until [`SystemClock::FINE_WAIT`] before the
    /// deadline, then with a thread's sleep for the rest: tokio's timer
    /// wakes up to a few milliseconds late, a thread's sleep a fraction of
    /// one.
    fn sleep_until(&self, deadline: Timestamp) -> Sleep {
        let clock = *self;
        Box::pin(async move {
            loop {
                let left = deadline.duration_since(clock.now());
                if left <= SignedDuration::ZERO {
                    return;
                }
                if left > SystemClock::FINE_WAIT {
                    let coarse = (left - SystemClock::FINE_WAIT).min(SystemClock::MAX_SLEEP);
                    let coarse = std::time::Duration::try_from(coarse).unwrap_or_default();
                    // The one place that waits on tokio's timer.
                    #[allow(clippy::disallowed_methods)]
                    tokio::time::sleep(coarse).await;
                    if left > SystemClock::MAX_SLEEP {
                        // Read the wall clock again: it may have been set.
                        return;
                    }
                    continue;
                }
                // A blocking pool thread waits, not the runtime's worker: it
                // sleeps to just before the deadline (a thread's sleep
                // overshoots by up to ~0.2 ms), then yields until it.
                let _ = tokio::task::spawn_blocking(move || {
                    let sleep = left - SystemClock::SPIN;
                    if let Ok(sleep) = std::time::Duration::try_from(sleep) {
                        std::thread::sleep(sleep);
                    }
                    while clock.now() < deadline {
                        std::thread::yield_now();
                    }
                })
                .await;
                return;
            }
        })
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// Clones share the same time. Advancing it wakes every scheduler waiting on
/// it, which then runs what became due.
///
/// ```
/// use tempora::clock::{Clock, ManualClock};
/// use tempora::jiff::Timestamp;
///
/// let clock = ManualClock::new("2026-03-08T06:00:00Z".parse()?);
/// let same = clock.clone();
/// clock.set("2026-03-08T08:00:00Z".parse()?);
/// assert_eq!(same.now(), "2026-03-08T08:00:00Z".parse::<Timestamp>()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    shared: Arc<ManualShared>,
}

#[derive(Debug)]
struct ManualShared {
    now: Mutex<Timestamp>,
    changed: watch::Sender<Timestamp>,
}

impl ManualClock {
    /// A clock that reads `start` until it is moved.
    pub fn new(start: Timestamp) -> ManualClock {
        let (changed, _) = watch::channel(start);
        ManualClock {
            shared: Arc::new(ManualShared {
                now: Mutex::new(start),
                changed,
            }),
        }
    }

    /// The time it reads now (the same as [`Clock::now`], without the trait
    /// in scope).
    pub fn now(&self) -> Timestamp {
        *lock(&self.shared.now)
    }

    /// Moves the clock to `instant` (backwards too, as a wall clock may be set
    /// back) and wakes the waiters.
    pub fn set(&self, instant: Timestamp) {
        *lock(&self.shared.now) = instant;
        self.shared.changed.send_replace(instant);
    }

    /// Moves the clock forward by `duration` and wakes the waiters.
    pub fn advance(&self, duration: SignedDuration) {
        let next = {
            let mut now = lock(&self.shared.now);
            *now = now.saturating_add(duration).unwrap_or(*now);
            *now
        };
        self.shared.changed.send_replace(next);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        ManualClock::now(self)
    }

    fn sleep_until(&self, deadline: Timestamp) -> Sleep {
        let mut changed = self.shared.changed.subscribe();
        Box::pin(async move {
            // The sender lives as long as any clone of the clock; when the
            // last one is dropped, nothing will ever move time again.
            let _ = changed.wait_for(|now| *now >= deadline).await;
        })
    }
}
