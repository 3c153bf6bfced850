//! The loop's wake-up: what it sleeps until, and the wake-ups that cut
//! the sleep short (a job added or changed, a store's change notice, a
//! state change). A wake-up that comes while the loop works, or while it
//! decides how long to sleep, is kept, never lost.

use std::future::Future;

use jiff::Timestamp;
use tokio::sync::Notify;

use crate::sync::model::{Mutex, lock};

/// What the loop waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// It works, or has not run yet: every wake-up counts.
    Working,
    /// It sleeps until this instant, its next run time.
    Until(Timestamp),
    /// It sleeps with nothing scheduled, until woken.
    UntilWoken,
}

/// The loop's wake-up: its rest and the notification that ends it.
pub(super) struct Wakeup {
    rest: Mutex<Rest>,
    /// Keeps one wake-up (a permit) while the loop is not waiting.
    notify: Notify,
}

impl Wakeup {
    pub(super) fn new() -> Wakeup {
        Wakeup {
            rest: Mutex::new(Rest::Working),
            notify: Notify::new(),
        }
    }

    /// One turn of the loop: `work` (which reads the stores and returns
    /// the next run time), then a sleep until that time (`sleep_until`) or
    /// until woken.
    ///
    /// While the loop works every wake-up is kept as a permit, so that a
    /// change made after the stores were read ends the sleep that follows.
    pub(super) async fn turn<S>(
        &self,
        work: impl Future<Output = Option<Timestamp>>,
        sleep_until: impl FnOnce(Timestamp) -> S,
    ) where
        S: Future<Output = ()>,
    {
        *lock(&self.rest) = Rest::Working;
        let wake_at = work.await;
        *lock(&self.rest) = match wake_at {
            Some(deadline) => Rest::Until(deadline),
            None => Rest::UntilWoken,
        };
        let sleep = async {
            match wake_at {
                Some(deadline) => sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {}
            () = self.notify.notified() => {}
        }
    }

    /// Wakes the loop (or keeps the wake-up for its next sleep).
    pub(super) fn wake(&self) {
        self.notify.notify_one();
    }

    /// Wakes the loop when a job's next run time `next` comes before what
    /// the loop sleeps until; a job that runs later, or is paused, needs no
    /// wake-up (host-driven schedulers are asked by their host anyway).
    pub(super) fn wake_for(&self, next: Option<Timestamp>) {
        let Some(next) = next else {
            return;
        };
        let earlier = match *lock(&self.rest) {
            Rest::Until(deadline) => next < deadline,
            Rest::UntilWoken | Rest::Working => true,
        };
        if earlier {
            self.wake();
        }
    }
}

/// Model tests: shuttle runs each many times, in different interleavings
/// of the threads at every lock; a lost wake-up leaves the loop asleep
/// forever, which shuttle reports as a deadlock.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    /// The loop woke at 10 by its timer, with a job due at 100. A job due
    /// at 50 is added meanwhile. However the two interleave, the loop
    /// sleeps no later than 50: woken, or having read the new job.
    #[test]
    fn a_job_added_while_the_loop_decides_to_sleep_is_not_missed() {
        shuttle::check_random(
            || {
                let wakeup = Arc::new(Wakeup::new());
                *lock(&wakeup.rest) = Rest::Until(at(10));
                let store = Arc::new(Mutex::new(vec![at(100)]));
                let adder = {
                    let (wakeup, store) = (Arc::clone(&wakeup), Arc::clone(&store));
                    shuttle::thread::spawn(move || {
                        lock(&store).push(at(50));
                        wakeup.wake_for(Some(at(50)));
                    })
                };
                shuttle::future::block_on(async {
                    loop {
                        let seen = Mutex::new(None);
                        let work = async {
                            let next = lock(&store).iter().min().copied();
                            *lock(&seen) = next;
                            next
                        };
                        // Time passes up to 50, no further: a sleep past it
                        // ends only when woken.
                        let sleep_until = |deadline: Timestamp| async move {
                            if deadline > at(50) {
                                std::future::pending::<()>().await;
                            }
                        };
                        wakeup.turn(work, sleep_until).await;
                        if *lock(&seen) == Some(at(50)) {
                            break;
                        }
                    }
                });
                adder.join().unwrap();
            },
            1_000,
        );
    }

    /// A wake-up that comes before the loop sleeps is kept for that sleep.
    #[test]
    fn a_wake_up_before_the_sleep_ends_it() {
        shuttle::check_random(
            || {
                let wakeup = Arc::new(Wakeup::new());
                let waker = {
                    let wakeup = Arc::clone(&wakeup);
                    shuttle::thread::spawn(move || wakeup.wake())
                };
                shuttle::future::block_on(wakeup.turn(async { None }, |_| async {}));
                waker.join().unwrap();
            },
            1_000,
        );
    }
}
