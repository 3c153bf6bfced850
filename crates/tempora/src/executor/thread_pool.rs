//! A pool of threads started as runs arrive, up to a maximum.

use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::Run;

pub(crate) struct ThreadPool {
    max_workers: usize,
    state: Mutex<PoolState>,
}

struct PoolState {
    sender: Option<Sender<Run>>,
    receiver: Receiver<Run>,
    workers: Vec<JoinHandle<()>>,
    /// Workers waiting for a run; a new worker starts only when none is.
    idle: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl ThreadPool {
    pub(crate) fn new(max_workers: usize) -> ThreadPool {
        let (sender, receiver) = crossbeam_channel::unbounded();
        ThreadPool {
            max_workers,
            state: Mutex::new(PoolState {
                sender: Some(sender),
                receiver,
                workers: Vec::new(),
                idle: std::sync::Arc::default(),
            }),
        }
    }

    pub(crate) fn max_workers(&self) -> usize {
        self.max_workers
    }

    pub(crate) fn submit(&self, run: Run, runtime: &tokio::runtime::Handle) {
        use std::sync::atomic::Ordering;

        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(sender) = state.sender.clone() else {
            run.finish(super::RunOutcome::Error(
                "the executor is shut down".to_owned(),
            ));
            return;
        };
        let queued = sender.len();
        if state.workers.len() < self.max_workers && state.idle.load(Ordering::Acquire) <= queued {
            let receiver = state.receiver.clone();
            let idle = std::sync::Arc::clone(&state.idle);
            let runtime = runtime.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tempora-worker-{}", state.workers.len()))
                .spawn(move || {
                    loop {
                        idle.fetch_add(1, Ordering::AcqRel);
                        let next = receiver.recv();
                        idle.fetch_sub(1, Ordering::AcqRel);
                        match next {
                            Ok(run) => run.run_here(&runtime),
                            Err(_) => break,
                        }
                    }
                });
            match spawned {
                Ok(worker) => state.workers.push(worker),
                Err(error) => {
                    tracing::error!(%error, "cannot start a worker thread");
                }
            }
        }
        drop(state);
        if let Err(rejected) = sender.send(run) {
            rejected.0.finish(super::RunOutcome::Error(
                "the executor is shut down".to_owned(),
            ));
        }
    }

    pub(crate) fn shutdown(&self, wait: bool) {
        let workers = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.sender = None;
            std::mem::take(&mut state.workers)
        };
        if wait {
            for worker in workers {
                // A worker thread catches every task's panic; a join error
                // cannot carry anything to report.
                let _ = worker.join();
            }
        }
    }
}
