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
//!
//! Runs in progress are kept to a limit that starts at one fewer than the
//! machine's processors (at least one), so that the scheduler's loop,
//! which hands the runs over, keeps a processor of its own: on a machine
//! of two processors, ten workers taking the runs of a large batch took
//! turns with the loop on both, and the loop, the one thread that cannot
//! be shared out, ran a fifth of the time less. Runs beyond the limit
//! wait, and one sleeping worker watches them: when they have waited for
//! [`PATIENCE`] without the queue running empty (the workers running do
//! not keep up: their runs are long, or wait on I/O), the limit rises by
//! one and the watcher takes a run. A worker that finds no run to take
//! lowers it again by one, down to where it started. Short runs are taken
//! as fast as they come by the few workers running; runs that wait get
//! every worker, one more each [`PATIENCE`].

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{Run, RunOutcome};
use crate::sync::{lock, wait, wait_for};

/// How long runs wait beyond the limit of runs in progress before the
/// limit rises: real time, not the scheduler's clock, as it measures
/// whether the running workers keep up.
const PATIENCE: std::time::Duration = std::time::Duration::from_millis(1);

pub(crate) struct ThreadPool {
    shared: Arc<Shared>,
    /// The worker threads, for shutdown to join.
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// What the workers and the submitters share.
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled to wake one sleeping worker (or all, at shutdown).
    wake: Condvar,
    /// Waited on by the watching worker alone (see [`Queue::watching`]),
    /// so that a wake-up meant for a sleeper never reaches it; signalled
    /// at shutdown.
    watch: Condvar,
    /// Where the limit of runs in progress starts.
    least: usize,
    /// The most workers the pool starts, and how far the limit rises.
    max_workers: usize,
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
    /// Runs in progress above which runs wait (see the module's docs).
    limit: usize,
    /// Times a worker took the last run waiting: a watching worker that
    /// finds it unchanged after [`PATIENCE`] knows that the runs waited
    /// all that time.
    emptied: u64,
    /// A worker (not counted in `sleeping`) watches the runs waiting
    /// beyond the limit of runs in progress.
    watching: bool,
    /// No more runs are taken; the workers leave once the queue is empty.
    shut_down: bool,
}

impl Queue {
    /// Whether to wake a sleeping worker for the runs waiting: there are
    /// some, a worker sleeps, and no worker is awake to look at them
    /// (neither running a run nor watching: on its way to the queue, or
    /// woken for it); and the woken worker will take a run (fewer than
    /// the limit run), or watch the runs waiting (none watches them).
    fn wants_wake(&self) -> bool {
        let looking = self
            .workers
            .saturating_sub(self.sleeping + self.running + usize::from(self.watching));
        !self.runs.is_empty()
            && self.sleeping > 0
            && looking == 0
            && (self.running < self.limit || !self.watching)
    }
}

impl ThreadPool {
    pub(crate) fn new(max_workers: usize) -> ThreadPool {
        let processors = std::thread::available_parallelism().map_or(1, usize::from);
        let least = processors.saturating_sub(1).clamp(1, max_workers.max(1));
        ThreadPool {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    limit: least,
                    ..Queue::default()
                }),
                wake: Condvar::new(),
                watch: Condvar::new(),
                least,
                max_workers,
            }),
            workers: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.shared.max_workers
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
        let wanted = (queue.runs.len() + queue.running).min(self.shared.max_workers);
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
        self.shared.watch.notify_all();
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
            if queue.running < queue.limit
                && let Some(run) = queue.runs.pop_front()
            {
                queue.running += 1;
                if queue.runs.is_empty() {
                    queue.emptied += 1;
                }
                // More runs wait: wake the next worker for them.
                let wake = queue.wants_wake();
                if wake {
                    queue.sleeping -= 1;
                    queue.waking += 1;
                }
                // Shut down, and the last run taken: the workers that
                // sleep (held back by the limit) leave.
                let drained = queue.shut_down && queue.runs.is_empty();
                drop(queue);
                if drained {
                    self.wake.notify_all();
                    self.watch.notify_all();
                } else if wake {
                    self.wake.notify_one();
                }
                run.run_here(runtime);
                queue = lock(&self.queue);
                queue.running -= 1;
                continue;
            }
            if queue.shut_down && queue.runs.is_empty() {
                queue.workers -= 1;
                return;
            }
            if !queue.runs.is_empty() && !queue.watching {
                // Runs wait beyond the limit of runs in progress: watch
                // them; if they wait all the while, one more may run.
                queue.watching = true;
                let emptied = queue.emptied;
                queue = wait_for(&self.watch, queue, PATIENCE);
                queue.watching = false;
                if queue.emptied == emptied && queue.limit < self.max_workers {
                    queue.limit += 1;
                }
                continue;
            }
            if queue.runs.is_empty() && queue.limit > self.least {
                // Nothing to run: the runs are taken as fast as they come.
                queue.limit -= 1;
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
