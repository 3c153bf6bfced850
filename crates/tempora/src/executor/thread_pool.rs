//! A pool of threads started as runs arrive, up to a maximum.
//!
//! The runs wait in one queue. A worker with nothing to do sleeps at once
//! (it does not spin), and sleeping workers are woken one at a time: a
//! submission wakes one unless a worker is already on its way to the
//! queue, and a worker that takes a run and leaves more behind wakes the
//! next. Runs that keep their workers busy soon have every worker awake;
//! runs that finish at once are taken by the few workers already awake,
//! instead of waking them all to find the queue empty (on a machine with
//! fewer cores than workers, that churn would take the processor from the
//! scheduler's loop).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{Run, RunOutcome};
use crate::sync::{lock, wait};

pub(crate) struct ThreadPool {
    max_workers: usize,
    shared: Arc<Shared>,
    /// The worker threads, for shutdown to join.
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// What the workers and the submitters share.
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled to wake one sleeping worker (or all, at shutdown).
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    runs: VecDeque<Run>,
    /// Workers started.
    workers: usize,
    /// Workers waiting for a wake-up.
    sleeping: usize,
    /// Workers woken and not yet back at the queue: while one is, nobody
    /// else is woken.
    waking: usize,
    /// Runs taken and not finished.
    running: usize,
    /// No more runs are taken; the workers leave once the queue is empty.
    shut_down: bool,
}

impl Queue {
    /// Whether to wake a sleeping worker for the runs waiting: there are
    /// some, a worker sleeps, and none is on its way.
    fn wants_wake(&self) -> bool {
        !self.runs.is_empty() && self.sleeping > 0 && self.waking == 0
    }
}

impl ThreadPool {
    pub(crate) fn new(max_workers: usize) -> ThreadPool {
        ThreadPool {
            max_workers,
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue::default()),
                wake: Condvar::new(),
            }),
            workers: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// Queues `runs` under one lock, starting a worker whenever there are
    /// more runs than workers (up to the maximum), and waking one.
    pub(crate) fn submit_all(
        &self,
        runs: impl IntoIterator<Item = Run>,
        runtime: &tokio::runtime::Handle,
    ) {
        let mut queue = lock(&self.shared.queue);
        if queue.shut_down {
            drop(queue);
            refuse(runs);
            return;
        }
        queue.runs.extend(runs);
        self.staff(queue, runtime);
    }

    /// Queues the runs of `runs` as [`ThreadPool::submit_all`] does,
    /// leaving `runs` empty with memory for as many again: when the queue
    /// is empty, `runs` becomes the queue as it is (the runs are not moved
    /// one by one while the workers wait for the lock), and the queue's
    /// spare memory comes back in its place.
    pub(crate) fn submit_batch(&self, runs: &mut Vec<Run>, runtime: &tokio::runtime::Handle) {
        let mut queue = lock(&self.shared.queue);
        if queue.shut_down {
            drop(queue);
            refuse(runs.drain(..));
            return;
        }
        let spare = if queue.runs.is_empty() {
            let batch = VecDeque::from(std::mem::take(runs));
            Some(std::mem::replace(&mut queue.runs, batch))
        } else {
            queue.runs.extend(runs.drain(..));
            None
        };
        self.staff(queue, runtime);
        if let Some(spare) = spare {
            // Empty: only its memory comes back.
            *runs = Vec::from(spare);
        }
    }

    /// With runs just queued (`queue` still locked): starts a worker
    /// whenever there are more runs than workers (up to the maximum), and
    /// wakes one.
    fn staff(&self, mut queue: MutexGuard<'_, Queue>, runtime: &tokio::runtime::Handle) {
        let wanted = (queue.runs.len() + queue.running).min(self.max_workers);
        let start = wanted.saturating_sub(queue.workers);
        queue.workers += start;
        let wake = queue.wants_wake();
        if wake {
            queue.sleeping -= 1;
            queue.waking += 1;
        }
        drop(queue);
        if wake {
            self.shared.wake.notify_one();
        }
        for _ in 0..start {
            self.start_worker(runtime);
        }
    }

    fn start_worker(&self, runtime: &tokio::runtime::Handle) {
        let shared = Arc::clone(&self.shared);
        let runtime = runtime.clone();
        let mut workers = lock(&self.workers);
        let spawned = std::thread::Builder::new()
            .name(format!("tempora-worker-{}", workers.len()))
            .spawn(move || shared.work(&runtime));
        match spawned {
            Ok(worker) => workers.push(worker),
            Err(error) => {
                lock(&self.shared.queue).workers -= 1;
                tracing::error!(%error, "cannot start a worker thread");
            }
        }
    }

    pub(crate) fn shutdown(&self, wait: bool) {
        lock(&self.shared.queue).shut_down = true;
        self.shared.wake.notify_all();
        let workers = std::mem::take(&mut *lock(&self.workers));
        if wait {
            for worker in workers {
                // A worker thread catches every task's panic; a join error
                // carries nothing to report.
                let _ = worker.join();
            }
        }
    }
}

/// Ends `runs` unstarted: the pool is shut down.
fn refuse(runs: impl IntoIterator<Item = Run>) {
    for run in runs {
        run.finish(RunOutcome::error("the executor is shut down"));
    }
}

impl Shared {
    /// A worker's life: take a run, run it, until shut down with nothing
    /// left to run.
    fn work(&self, runtime: &tokio::runtime::Handle) {
        let mut queue = lock(&self.queue);
        loop {
            if let Some(run) = queue.runs.pop_front() {
                queue.running += 1;
                // More runs wait: wake the next worker for them.
                let wake = queue.wants_wake();
                if wake {
                    queue.sleeping -= 1;
                    queue.waking += 1;
                }
                drop(queue);
                if wake {
                    self.wake.notify_one();
                }
                run.run_here(runtime);
                queue = lock(&self.queue);
                queue.running -= 1;
                continue;
            }
            if queue.shut_down {
                queue.workers -= 1;
                return;
            }
            queue.sleeping += 1;
            queue = wait(&self.wake, queue);
            // Woken on purpose (counted out of the sleepers by the waker),
            // or by chance, or for the shutdown: back at the queue either
            // way.
            if queue.waking > 0 {
                queue.waking -= 1;
            } else {
                queue.sleeping -= 1;
            }
        }
    }
}
