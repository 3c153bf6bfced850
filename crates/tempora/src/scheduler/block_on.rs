//! How the sync API waits for the engine: on the caller's thread, spinning
//! briefly before it parks.
//!
//! A call such as `add_job` on a persistent store is a short round trip to
//! another thread (SQLite's connection thread, a socket's reader) and back.
//! Parking the caller at once costs a sleep and a wake-up of the OS
//! scheduler per call, more than the work itself for a SQLite insert; so
//! the caller first spins for up to [`SPIN`], as adaptive mutexes do, and
//! only then parks until woken.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use jiff::SignedDuration;

use crate::clock::{Clock, SystemClock};

/// How long a waiting caller spins before it parks.
const SPIN: SignedDuration = SignedDuration::from_micros(100);

/// Wakes the waiting thread: a flag it spins on, and an unpark for when
/// it sleeps (cheap when it does not).
struct Signal {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Signal>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Signal>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Runs `future` to its end on this thread, inside `runtime`'s context (so
/// that it can spawn tasks and use timers). Must not be called from inside
/// async code.
pub(crate) fn block_on<F: Future>(runtime: &tokio::runtime::Handle, future: F) -> F::Output {
    let _context = runtime.enter();
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(false),
        thread: std::thread::current(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        wait(&signal);
    }
}

/// Returns once `signal` was woken: spinning first, then parked. The spin
/// is measured on the system's monotonic clock, whatever the scheduler's
/// clock: it is the caller's CPU time.
fn wait(signal: &Signal) {
    let spin_until = SystemClock.monotonic() + SPIN;
    while SystemClock.monotonic() < spin_until {
        if signal.woken.swap(false, Ordering::Acquire) {
            return;
        }
        std::hint::spin_loop();
    }
    while !signal.woken.swap(false, Ordering::Acquire) {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn runs_a_future_that_waits_on_another_thread() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (answer, answered) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            // Long enough that the caller parks after spinning.
            std::thread::sleep(Duration::from_millis(20));
            answer.send(42).unwrap();
        });
        assert_eq!(block_on(runtime.handle(), answered).unwrap(), 42);
    }

    #[test]
    fn spawned_tasks_and_timers_run_on_the_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let value = block_on(runtime.handle(), async {
            // tokio's timer itself, the thing this test checks works here.
            #[allow(clippy::disallowed_methods)]
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::spawn(async { 7 }).await.unwrap()
        });
        assert_eq!(value, 7);
    }
}
