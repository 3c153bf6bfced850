//! Events: what happened in a scheduler, for listeners.
//!
//! Every event of APScheduler 3 has a [`EventKind`]. Listen with a callback
//! ([`Listeners::add`]) or as an async stream ([`Listeners::subscribe`]),
//! choosing kinds with an [`EventMask`].

use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::sync::{Arc, RwLock};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::history::RunStatus;
use crate::sync::{read, write};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// The scheduler started.
    SchedulerStarted,
    /// The scheduler shut down.
    SchedulerShutdown,
    /// Processing was paused.
    SchedulerPaused,
    /// Processing was resumed.
    SchedulerResumed,
    /// An executor was added.
    ExecutorAdded,
    /// An executor was removed.
    ExecutorRemoved,
    /// A job store was added.
    StoreAdded,
    /// A job store was removed.
    StoreRemoved,
    /// Every job of a store (or of all stores) was removed.
    AllJobsRemoved,
    /// A job was added.
    JobAdded,
    /// A job was removed (by the API, or because its trigger is exhausted).
    JobRemoved,
    /// A job was changed (options, trigger, paused, resumed).
    JobModified,
    /// A run was handed to an executor.
    JobSubmitted,
    /// A run was skipped because the job already runs `max_instances` times.
    JobMaxInstances,
    /// A run finished successfully.
    JobExecuted,
    /// A run failed: it returned an error or panicked.
    JobError,
    /// A run was missed: later than the job's misfire grace time.
    JobMissed,
    /// The scheduler paused a job: its last `pause_after_failures` fire
    /// times failed (see [`JobBuilder::pause_after_failures`](crate::job::JobBuilder::pause_after_failures));
    /// `error` holds the reason, naming the count and the last error.
    JobPaused,
    /// A fire time came while the job ran its limit of runs and was kept
    /// to run when a run ends (its overlap policy is `buffer_one`,
    /// `buffer_all` or `cancel_other`), or a backfill added it.
    JobBuffered,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 19] = [
        EventKind::SchedulerStarted,
        EventKind::SchedulerShutdown,
        EventKind::SchedulerPaused,
        EventKind::SchedulerResumed,
        EventKind::ExecutorAdded,
        EventKind::ExecutorRemoved,
        EventKind::StoreAdded,
        EventKind::StoreRemoved,
        EventKind::AllJobsRemoved,
        EventKind::JobAdded,
        EventKind::JobRemoved,
        EventKind::JobModified,
        EventKind::JobSubmitted,
        EventKind::JobMaxInstances,
        EventKind::JobExecuted,
        EventKind::JobError,
        EventKind::JobMissed,
        EventKind::JobPaused,
        EventKind::JobBuffered,
    ];

    /// The mask that selects only this kind.
    pub const fn mask(self) -> EventMask {
        EventMask(1 << self as u32)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            EventKind::SchedulerStarted => "scheduler_started",
            EventKind::SchedulerShutdown => "scheduler_shutdown",
            EventKind::SchedulerPaused => "scheduler_paused",
            EventKind::SchedulerResumed => "scheduler_resumed",
            EventKind::ExecutorAdded => "executor_added",
            EventKind::ExecutorRemoved => "executor_removed",
            EventKind::StoreAdded => "store_added",
            EventKind::StoreRemoved => "store_removed",
            EventKind::AllJobsRemoved => "all_jobs_removed",
            EventKind::JobAdded => "job_added",
            EventKind::JobRemoved => "job_removed",
            EventKind::JobModified => "job_modified",
            EventKind::JobSubmitted => "job_submitted",
            EventKind::JobMaxInstances => "job_max_instances",
            EventKind::JobExecuted => "job_executed",
            EventKind::JobError => "job_error",
            EventKind::JobMissed => "job_missed",
            EventKind::JobPaused => "job_paused",
            EventKind::JobBuffered => "job_buffered",
        };
        f.write_str(name)
    }
}

/// A set of [`EventKind`]s, combined with `|`, as APScheduler's masks.
///
/// ```
/// use tempora::event::{EventKind, EventMask};
///
/// let mask = EventMask::JOB_EXECUTED | EventMask::JOB_ERROR;
/// assert!(mask.contains(EventKind::JobError));
/// assert!(!mask.contains(EventKind::JobMissed));
/// assert!(EventMask::ALL.contains(EventKind::JobMissed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventMask(u32);

impl EventMask {
    /// No kind.
    pub const NONE: EventMask = EventMask(0);
    /// Every kind.
    pub const ALL: EventMask = EventMask((1 << EventKind::ALL.len()) - 1);
    /// [`EventKind::SchedulerStarted`].
    pub const SCHEDULER_STARTED: EventMask = EventKind::SchedulerStarted.mask();
    /// [`EventKind::SchedulerShutdown`].
    pub const SCHEDULER_SHUTDOWN: EventMask = EventKind::SchedulerShutdown.mask();
    /// [`EventKind::SchedulerPaused`].
    pub const SCHEDULER_PAUSED: EventMask = EventKind::SchedulerPaused.mask();
    /// [`EventKind::SchedulerResumed`].
    pub const SCHEDULER_RESUMED: EventMask = EventKind::SchedulerResumed.mask();
    /// [`EventKind::ExecutorAdded`].
    pub const EXECUTOR_ADDED: EventMask = EventKind::ExecutorAdded.mask();
    /// [`EventKind::ExecutorRemoved`].
    pub const EXECUTOR_REMOVED: EventMask = EventKind::ExecutorRemoved.mask();
    /// [`EventKind::StoreAdded`].
    pub const STORE_ADDED: EventMask = EventKind::StoreAdded.mask();
    /// [`EventKind::StoreRemoved`].
    pub const STORE_REMOVED: EventMask = EventKind::StoreRemoved.mask();
    /// [`EventKind::AllJobsRemoved`].
    pub const ALL_JOBS_REMOVED: EventMask = EventKind::AllJobsRemoved.mask();
    /// [`EventKind::JobAdded`].
    pub const JOB_ADDED: EventMask = EventKind::JobAdded.mask();
    /// [`EventKind::JobRemoved`].
    pub const JOB_REMOVED: EventMask = EventKind::JobRemoved.mask();
    /// [`EventKind::JobModified`].
    pub const JOB_MODIFIED: EventMask = EventKind::JobModified.mask();
    /// [`EventKind::JobSubmitted`].
    pub const JOB_SUBMITTED: EventMask = EventKind::JobSubmitted.mask();
    /// [`EventKind::JobMaxInstances`].
    pub const JOB_MAX_INSTANCES: EventMask = EventKind::JobMaxInstances.mask();
    /// [`EventKind::JobExecuted`].
    pub const JOB_EXECUTED: EventMask = EventKind::JobExecuted.mask();
    /// [`EventKind::JobError`].
    pub const JOB_ERROR: EventMask = EventKind::JobError.mask();
    /// [`EventKind::JobMissed`].
    pub const JOB_MISSED: EventMask = EventKind::JobMissed.mask();
    /// [`EventKind::JobPaused`].
    pub const JOB_PAUSED: EventMask = EventKind::JobPaused.mask();
    /// [`EventKind::JobBuffered`].
    pub const JOB_BUFFERED: EventMask = EventKind::JobBuffered.mask();

    /// True when `kind` is in the set.
    pub const fn contains(self, kind: EventKind) -> bool {
        self.0 & kind.mask().0 != 0
    }
}

impl BitOr for EventMask {
    type Output = EventMask;

    fn bitor(self, other: EventMask) -> EventMask {
        EventMask(self.0 | other.0)
    }
}

impl BitOrAssign for EventMask {
    fn bitor_assign(&mut self, other: EventMask) {
        self.0 |= other.0;
    }
}

impl From<EventKind> for EventMask {
    fn from(kind: EventKind) -> EventMask {
        kind.mask()
    }
}

/// One thing that happened, with what a listener needs to act on it.
///
/// ```
/// use tempora::event::{Event, EventKind};
///
/// let event = Event::new(EventKind::JobAdded).with_job("report", "default");
/// assert_eq!(event.kind, EventKind::JobAdded);
/// assert_eq!(event.job_id.as_deref(), Some("report"));
/// assert_eq!(event.to_string(), "job_added job=report store=default");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The job concerned, for job events.
    pub job_id: Option<String>,
    /// The store concerned (job events and store events).
    pub store: Option<String>,
    /// The executor concerned (executor events and runs).
    pub executor: Option<String>,
    /// The scheduled fire times of the run concerned, oldest first.
    pub scheduled_run_times: Vec<Timestamp>,
    /// What the run returned (JobExecuted).
    pub return_value: Option<Value>,
    /// The run's error, or why it was missed or skipped.
    pub error: Option<String>,
    /// Which attempt at its fire time the run concerned is: 1 for its
    /// first run, 2 and on for retries (see [`Retry`](crate::job::Retry)).
    pub attempt: u32,
    /// How the run concerned ended, as its history record says (success,
    /// error, panic, timeout, interrupted; missed for
    /// [`EventKind::JobMissed`]); `None` for other events, and for a run
    /// refused before it started.
    pub status: Option<RunStatus>,
    /// When the run concerned was handed to its executor, by the
    /// scheduler's clock (JobExecuted, JobError); its lateness is this
    /// minus [`Event::scheduled_run_time`].
    pub started: Option<Timestamp>,
    /// How long the run concerned ran (JobExecuted, JobError).
    pub duration: Option<SignedDuration>,
    /// How many fire times the event stands for: the length of
    /// `scheduled_run_times`, or more when that list was cut short (the
    /// misses of a long outage are told in one event).
    pub fire_times: usize,
}

impl Event {
    /// An event of `kind` with nothing else set.
    pub fn new(kind: EventKind) -> Event {
        Event {
            kind,
            job_id: None,
            store: None,
            executor: None,
            scheduled_run_times: Vec::new(),
            return_value: None,
            error: None,
            attempt: 1,
            status: None,
            started: None,
            duration: None,
            fire_times: 0,
        }
    }

    /// The same event about job `job_id` of store `store`.
    pub fn with_job(mut self, job_id: &str, store: &str) -> Event {
        self.job_id = Some(job_id.to_owned());
        self.store = Some(store.to_owned());
        self
    }

    /// A [`EventKind::JobMaxInstances`] event: the runs of job `job_id`
    /// (of store `store`) at `scheduled_run_times` did not start, for
    /// `reason` (a job at its limit, or a fire time kept or buffered
    /// already).
    pub(crate) fn runs_refused(
        job_id: &str,
        store: &str,
        scheduled_run_times: Vec<Timestamp>,
        reason: String,
    ) -> Event {
        let mut event = Event::new(EventKind::JobMaxInstances)
            .with_job(job_id, store)
            .with_run_times(scheduled_run_times);
        event.error = Some(reason);
        event
    }

    /// The same event about the run of `scheduled_run_times`.
    pub fn with_run_times(mut self, scheduled_run_times: Vec<Timestamp>) -> Event {
        self.fire_times = scheduled_run_times.len();
        self.scheduled_run_times = scheduled_run_times;
        self
    }

    /// The latest scheduled fire time of the run concerned.
    pub fn scheduled_run_time(&self) -> Option<Timestamp> {
        self.scheduled_run_times.last().copied()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(job_id) = &self.job_id {
            write!(f, " job={job_id}")?;
        }
        if let Some(store) = &self.store {
            write!(f, " store={store}")?;
        }
        if let Some(executor) = &self.executor {
            write!(f, " executor={executor}")?;
        }
        if let Some(time) = self.scheduled_run_time() {
            write!(f, " scheduled={time}")?;
        }
        if self.attempt > 1 {
            write!(f, " attempt={}", self.attempt)?;
        }
        if let Some(error) = &self.error {
            write!(f, " error={error:?}")?;
        }
        Ok(())
    }
}

type Callback = Arc<dyn Fn(&Event) + Send + Sync>;

/// A listener registration, to remove it again with [`Listeners::remove`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// The listeners of one scheduler: callbacks and async subscribers.
/// Clones share the same listeners.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tempora::event::{Event, EventKind, EventMask, Listeners};
///
/// let listeners = Listeners::new();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// listeners.add(EventMask::JOB_ADDED, move |event| sink.lock().unwrap().push(event.kind));
/// listeners.emit(Event::new(EventKind::JobAdded));
/// listeners.emit(Event::new(EventKind::JobRemoved)); // not in the mask
/// assert_eq!(*seen.lock().unwrap(), vec![EventKind::JobAdded]);
/// ```
#[derive(Clone)]
pub struct Listeners {
    shared: Arc<ListenersShared>,
}

struct ListenersShared {
    callbacks: RwLock<Vec<(ListenerId, EventMask, Callback)>>,
    /// The union of the callbacks' masks.
    callback_mask: std::sync::atomic::AtomicU32,
    /// The union of every subscription's mask (it never shrinks).
    stream_mask: std::sync::atomic::AtomicU32,
    next_id: std::sync::atomic::AtomicU64,
    stream: broadcast::Sender<Event>,
}

impl fmt::Debug for Listeners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = read(&self.shared.callbacks).len();
        f.debug_struct("Listeners")
            .field("callbacks", &count)
            .field("subscribers", &self.shared.stream.receiver_count())
            .finish()
    }
}

impl Default for Listeners {
    fn default() -> Listeners {
        Listeners::new()
    }
}

impl Listeners {
    /// How many events a slow subscriber may lag behind before it skips
    /// (and is told how many it skipped).
    pub const STREAM_CAPACITY: usize = 4096;

    /// No listeners.
    pub fn new() -> Listeners {
        let (stream, _) = broadcast::channel(Listeners::STREAM_CAPACITY);
        Listeners {
            shared: Arc::new(ListenersShared {
                callbacks: RwLock::new(Vec::new()),
                callback_mask: std::sync::atomic::AtomicU32::new(0),
                stream_mask: std::sync::atomic::AtomicU32::new(0),
                next_id: std::sync::atomic::AtomicU64::new(0),
                stream,
            }),
        }
    }

    /// Calls `callback` for every event in `mask`, on the thread that emits
    /// it: keep it short, or hand the work elsewhere. A panic in a callback
    /// is caught and logged.
    pub fn add(
        &self,
        mask: EventMask,
        callback: impl Fn(&Event) + Send + Sync + 'static,
    ) -> ListenerId {
        let id = ListenerId(
            self.shared
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        let mut callbacks = write(&self.shared.callbacks);
        callbacks.push((id, mask, Arc::new(callback)));
        self.update_callback_mask(&callbacks);
        id
    }

    fn update_callback_mask(&self, callbacks: &[(ListenerId, EventMask, Callback)]) {
        let union = callbacks
            .iter()
            .fold(0, |union, (_, mask, _)| union | mask.0);
        self.shared
            .callback_mask
            .store(union, std::sync::atomic::Ordering::Release);
    }

    /// True when some listener would receive an event of `kind`; emitters
    /// skip building events nobody listens to.
    ///
    /// ```
    /// use tempora::event::{EventKind, EventMask, Listeners};
    ///
    /// let listeners = Listeners::new();
    /// assert!(!listeners.wants(EventKind::JobExecuted));
    /// let _stream = listeners.subscribe(EventMask::JOB_EXECUTED);
    /// assert!(listeners.wants(EventKind::JobExecuted));
    /// assert!(!listeners.wants(EventKind::JobAdded));
    /// ```
    pub fn wants(&self, kind: EventKind) -> bool {
        use std::sync::atomic::Ordering;
        let bit = kind.mask().0;
        self.shared.callback_mask.load(Ordering::Acquire) & bit != 0
            || (self.shared.stream_mask.load(Ordering::Acquire) & bit != 0
                && self.shared.stream.receiver_count() > 0)
    }

    /// Removes a callback; true when it was registered.
    pub fn remove(&self, id: ListenerId) -> bool {
        let mut callbacks = write(&self.shared.callbacks);
        let before = callbacks.len();
        callbacks.retain(|(listener, _, _)| *listener != id);
        self.update_callback_mask(&callbacks);
        callbacks.len() != before
    }

    /// An async stream of the events in `mask`, from now on.
    pub fn subscribe(&self, mask: EventMask) -> EventStream {
        self.shared
            .stream_mask
            .fetch_or(mask.0, std::sync::atomic::Ordering::AcqRel);
        EventStream {
            receiver: self.shared.stream.subscribe(),
            mask,
        }
    }

    /// Delivers `event` to every listener whose mask contains its kind.
    pub fn emit(&self, event: Event) {
        let callbacks: Vec<Callback> = read(&self.shared.callbacks)
            .iter()
            .filter(|(_, mask, _)| mask.contains(event.kind))
            .map(|(_, _, callback)| Arc::clone(callback))
            .collect();
        for callback in callbacks {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(&event)));
            if outcome.is_err() {
                tracing::error!(event = %event, "an event listener panicked");
            }
        }
        if self.shared.stream.receiver_count() > 0 {
            // No subscriber left between the check and the send is harmless.
            let _ = self.shared.stream.send(event);
        }
    }
}

/// Events as an async stream, from [`Listeners::subscribe`].
///
/// ```
/// use tempora::event::{Event, EventKind, EventMask, Listeners};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let listeners = Listeners::new();
/// let mut events = listeners.subscribe(EventMask::JOB_MISSED);
/// listeners.emit(Event::new(EventKind::JobAdded));
/// listeners.emit(Event::new(EventKind::JobMissed));
/// assert_eq!(events.recv().await.map(|event| event.kind), Some(EventKind::JobMissed));
/// # });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EventStream {
    receiver: broadcast::Receiver<Event>,
    mask: EventMask,
}

impl EventStream {
    /// The next event in the mask; `None` once the scheduler is gone. A
    /// subscriber more than [`Listeners::STREAM_CAPACITY`] events behind
    /// skips the oldest, and a warning says how many.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is consumed only when returned.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            match self.receiver.recv().await {
                Ok(event) if self.mask.contains(event.kind) => return Some(event),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(
                        skipped,
                        "an event subscriber fell behind and skipped events"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The same events as a [`Stream`](tokio_stream::Stream), for stream
    /// combinators. Events skipped by a lagging subscriber are left out.
    ///
    /// ```
    /// use tempora::event::{Event, EventKind, EventMask, Listeners};
    /// use tokio_stream::StreamExt;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let listeners = Listeners::new();
    /// let mut stream = listeners.subscribe(EventMask::ALL).into_stream();
    /// listeners.emit(Event::new(EventKind::JobAdded));
    /// assert_eq!(stream.next().await.map(|event| event.kind), Some(EventKind::JobAdded));
    /// # });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_stream(self) -> impl tokio_stream::Stream<Item = Event> + Send + Unpin {
        use tokio_stream::StreamExt;
        let mask = self.mask;
        tokio_stream::wrappers::BroadcastStream::new(self.receiver)
            .filter_map(move |event| event.ok().filter(|event| mask.contains(event.kind)))
    }

    /// The next event in the mask without waiting, if one is ready.
    pub fn try_recv(&mut self) -> Option<Event> {
        loop {
            match self.receiver.try_recv() {
                Ok(event) if self.mask.contains(event.kind) => return Some(event),
                Ok(_) => {}
                Err(broadcast::error::TryRecvError::Lagged(skipped)) => {
                    tracing::warn!(
                        skipped,
                        "an event subscriber fell behind and skipped events"
                    );
                }
                Err(_) => return None,
            }
        }
    }
}
