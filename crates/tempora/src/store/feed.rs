//! Change notices from a database: how a scheduler learns, without
//! polling, that another process added or changed a job.

use jiff::Timestamp;
use tokio::sync::mpsc;

/// How many notices wait for the scheduler before more are dropped: a
/// notice only wakes the scheduler, so a burst needs one, not all.
const BUFFERED: usize = 64;

/// The notices a store sends when a job may now run sooner than before
/// (added, resumed, rescheduled, run now), by any process: from PostgreSQL
/// `LISTEN`/`NOTIFY` or Redis pub/sub. Each notice carries the job's new
/// next run time when the database said it, so the scheduler wakes only
/// when that is before what it sleeps until.
///
/// A store makes one with [`ChangeFeed::channel`] and keeps the
/// [`ChangeSender`] in the task that listens to its database.
///
/// ```
/// use tempora::store::{ChangeFeed, ChangeNotice};
/// use tempora::jiff::Timestamp;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let (sender, mut feed) = ChangeFeed::channel();
/// let at: Timestamp = "2026-01-01T09:00:00Z".parse()?;
/// sender.notify(Some(at));
/// assert_eq!(feed.next().await, Some(ChangeNotice::RunsAt(at)));
/// sender.notify(None);
/// assert_eq!(feed.next().await, Some(ChangeNotice::Unknown));
/// drop(sender);
/// assert_eq!(feed.next().await, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ChangeFeed {
    notices: mpsc::Receiver<Option<Timestamp>>,
}

/// One notice of a [`ChangeFeed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeNotice {
    /// A job changed and now runs next at this time, as the database said.
    RunsAt(Timestamp),
    /// Something changed, and when it runs is not known: the database did
    /// not say, or notices may have been lost (after a reconnection).
    Unknown,
}

/// The store's end of a [`ChangeFeed`].
#[derive(Debug, Clone)]
pub struct ChangeSender {
    notices: mpsc::Sender<Option<Timestamp>>,
}

impl ChangeFeed {
    /// A feed and the sender that fills it.
    pub fn channel() -> (ChangeSender, ChangeFeed) {
        let (notices, receiver) = mpsc::channel(BUFFERED);
        (ChangeSender { notices }, ChangeFeed { notices: receiver })
    }

    /// The next notice; `None` once the store stopped listening for good.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a notice is either returned or stays in the feed.
    pub async fn next(&mut self) -> Option<ChangeNotice> {
        let notice = self.notices.recv().await?;
        Some(notice.map_or(ChangeNotice::Unknown, ChangeNotice::RunsAt))
    }
}

impl ChangeSender {
    /// Sends a notice, without waiting: the changed job's next run time when
    /// the database said it ([`ChangeNotice::RunsAt`]), `None` when it did
    /// not ([`ChangeNotice::Unknown`]). When the scheduler has notices it
    /// has not read yet, this one adds nothing and is dropped.
    pub fn notify(&self, next_run_time: Option<Timestamp>) {
        let _ = self.notices.try_send(next_run_time);
    }

    /// True once the scheduler dropped its feed: the listener may stop.
    pub fn is_closed(&self) -> bool {
        self.notices.is_closed()
    }
}
