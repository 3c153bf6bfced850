//! A pool of threads started as runs arrive, up to a maximum.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::{Run, RunOutcome};
use crate::sync::lock;

pub(crate) struct ThreadPool {
    max_workers: usize,
    /// Runs submitted and not yet finished; a worker is started whenever
    /// there are more of them than workers, up to the maximum.
    in_flight: Arc<AtomicUsize>,
    state: Mutex<PoolState>,
}

struct PoolState {
    sender: Option<Sender<Run>>,
    receiver: Receiver<Run>,
    workers: Vec<JoinHandle<()>>,
}

impl ThreadPool {
    pub(crate) fn new(max_workers: usize) -> ThreadPool {
        let (sender, receiver) = crossbeam_channel::unbounded();
        ThreadPool {
            max_workers,
            in_flight: Arc::default(),
            state: Mutex::new(PoolState {
                sender: Some(sender),
                receiver,
                workers: Vec::new(),
            }),
        }
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// Queues `runs` under one lock, starting workers as they are needed.
    pub(crate) fn submit_all(
        &self,
        runs: impl IntoIterator<Item = Run>,
        runtime: &tokio::runtime::Handle,
    ) {
        let mut state = lock(&self.state);
        for run in runs {
            let Some(sender) = &state.sender else {
                run.finish(RunOutcome::error("the executor is shut down"));
                continue;
            };
            let in_flight = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
            // Sending on an unbounded channel never waits, so the lock is
            // held for no longer than the queueing.
            if let Err(rejected) = sender.send(run) {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                rejected
                    .0
                    .finish(RunOutcome::error("the executor is shut down"));
                continue;
            }
            if in_flight > state.workers.len() && state.workers.len() < self.max_workers {
                self.start_worker(&mut state, runtime);
            }
        }
    }

    fn start_worker(&self, state: &mut PoolState, runtime: &tokio::runtime::Handle) {
        let receiver = state.receiver.clone();
        let counter = Arc::clone(&self.in_flight);
        let runtime = runtime.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("tempora-worker-{}", state.workers.len()))
            .spawn(move || {
                while let Ok(run) = receiver.recv() {
                    run.run_here(&runtime);
                    counter.fetch_sub(1, Ordering::AcqRel);
                }
            });
        match spawned {
            Ok(worker) => state.workers.push(worker),
            Err(error) => tracing::error!(%error, "cannot start a worker thread"),
        }
    }

    pub(crate) fn shutdown(&self, wait: bool) {
        let workers = {
            let mut state = lock(&self.state);
            state.sender = None;
            std::mem::take(&mut state.workers)
        };
        if wait {
            for worker in workers {
                // A worker thread catches every task's panic; a join error
                // carries nothing to report.
                let _ = worker.join();
            }
        }
    }
}
