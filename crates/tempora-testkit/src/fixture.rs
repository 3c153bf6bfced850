//! What a backend's factory gives the suite.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tempora::store::{JobStore, LeaseClock};

/// A boxed future giving a store: what [`StoreUnderTest::reopen`] returns.
pub type StoreFuture = Pin<Box<dyn Future<Output = Arc<dyn JobStore>> + Send + 'static>>;

/// A boxed future giving the stored form of a job as written, or `None`
/// when nothing is kept under its id: what [`StoreUnderTest::stored_form`]
/// reads.
pub type StoredFuture = Pin<Box<dyn Future<Output = Option<String>> + Send + 'static>>;

/// A boxed future giving nothing: what [`StoreUnderTest::corrupt`] and
/// [`StoreUnderTest::cleanup`] return.
pub type UnitFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

type ReopenFn = Arc<dyn Fn() -> StoreFuture + Send + Sync>;
type CorruptFn = Arc<dyn Fn(String, String) -> UnitFuture + Send + Sync>;
type ReadStoredFn = Arc<dyn Fn(String) -> StoredFuture + Send + Sync>;
type CleanupFn = Box<dyn FnOnce() -> UnitFuture + Send>;

/// Either a way to do something, or why the backend cannot.
enum Capability<F> {
    /// Not said: the case that needs it fails, asking the factory to say.
    Unsaid,
    Supported(F),
    Unsupported(&'static str),
}

/// A fresh store for one case of the suite, and what the backend can do
/// beyond the [`JobStore`] trait.
///
/// ```
/// use tempora::store::MemoryStore;
/// use tempora_testkit::StoreUnderTest;
///
/// let under_test = StoreUnderTest::new(MemoryStore::new())
///     .no_reopen("the memory store keeps nothing across instances")
///     .no_corrupt("the memory store holds jobs, not a stored form");
/// assert_eq!(under_test.store.backend(), "memory");
/// assert!(under_test.can_reopen().is_err());
/// ```
pub struct StoreUnderTest {
    /// The store, fresh: no job, no history, seen by no other test.
    pub store: Arc<dyn JobStore>,
    reopen: Capability<ReopenFn>,
    neighbour: Capability<ReopenFn>,
    corrupt: Capability<CorruptFn>,
    stored_form: Capability<ReadStoredFn>,
    cleanup: Option<CleanupFn>,
    clock: LeaseClock,
}

impl fmt::Debug for StoreUnderTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreUnderTest")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl StoreUnderTest {
    /// The store under test. Say whether it can be reopened and corrupted
    /// with the other methods; a case needing what was not said fails.
    pub fn new(store: impl JobStore) -> StoreUnderTest {
        StoreUnderTest::from_arc(Arc::new(store))
    }

    /// As [`StoreUnderTest::new`], for a store already shared.
    pub fn from_arc(store: Arc<dyn JobStore>) -> StoreUnderTest {
        StoreUnderTest {
            store,
            reopen: Capability::Unsaid,
            neighbour: Capability::Unsaid,
            corrupt: Capability::Unsaid,
            stored_form: Capability::Unsaid,
            cleanup: None,
            clock: LeaseClock::Caller,
        }
    }

    /// How to open another instance of the store on the same database (as
    /// a restarted process would): a new connection pool, nothing shared
    /// in memory with the first.
    pub fn reopen<F, Fut, S>(mut self, reopen: F) -> StoreUnderTest
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = S> + Send + 'static,
        S: JobStore,
    {
        self.reopen = Capability::Supported(Arc::new(move || {
            let future = reopen();
            Box::pin(async move { Arc::new(future.await) as Arc<dyn JobStore> })
        }));
        self
    }

    /// The store cannot be reopened, for `reason` (printed when the
    /// restart case is skipped).
    pub fn no_reopen(mut self, reason: &'static str) -> StoreUnderTest {
        self.reopen = Capability::Unsupported(reason);
        self
    }

    /// How to open a store beside the one under test — on the same
    /// database, under another table, key or collection prefix — which
    /// must not see its jobs. The case that uses it empties it; the
    /// factory's cleanup drops what is left of it.
    ///
    /// ```
    /// use tempora::store::MemoryStore;
    /// use tempora_testkit::StoreUnderTest;
    ///
    /// let under_test = StoreUnderTest::new(MemoryStore::new())
    ///     .neighbour(|| async { MemoryStore::new() });
    /// # drop(under_test);
    /// ```
    pub fn neighbour<F, Fut, S>(mut self, open: F) -> StoreUnderTest
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = S> + Send + 'static,
        S: JobStore,
    {
        self.neighbour = Capability::Supported(Arc::new(move || {
            let future = open();
            Box::pin(async move { Arc::new(future.await) as Arc<dyn JobStore> })
        }));
        self
    }

    /// [`StoreUnderTest::reopen`] and [`StoreUnderTest::neighbour`] at
    /// once, for a store opened by `open` under a prefix: `prefix` (the
    /// store under test's own) reopens it, `neighbour` sets one beside it.
    ///
    /// ```
    /// use tempora::store::MemoryStore;
    /// use tempora_testkit::StoreUnderTest;
    ///
    /// let under_test = StoreUnderTest::new(MemoryStore::new())
    ///     .open_with(|_prefix| async { MemoryStore::new() }, "a_", "b_");
    /// assert!(under_test.can_reopen().is_ok());
    /// ```
    pub fn open_with<F, Fut, S>(self, open: F, prefix: &str, neighbour: &str) -> StoreUnderTest
    where
        F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = S> + Send + 'static,
        S: JobStore,
    {
        let (prefix, neighbour) = (prefix.to_owned(), neighbour.to_owned());
        let again = open.clone();
        self.reopen(move || again(prefix.clone()))
            .neighbour(move || open(neighbour.clone()))
    }

    /// The store has no prefix to set another store beside it, for `reason`.
    pub fn no_neighbour(mut self, reason: &'static str) -> StoreUnderTest {
        self.neighbour = Capability::Unsupported(reason);
        self
    }

    /// The clock the store measures leases and running records' promises
    /// on: [`LeaseClock::Caller`] unless said (the memory store, SQLite, a
    /// server store told so); [`LeaseClock::Database`] for a server store
    /// on its own clock, which keeps `alive_until` on that clock, so that
    /// the history cases expect promises counted from the server's now.
    ///
    /// ```
    /// use tempora::store::{LeaseClock, MemoryStore};
    /// use tempora_testkit::StoreUnderTest;
    ///
    /// let under_test = StoreUnderTest::new(MemoryStore::new());
    /// assert_eq!(under_test.clock(), LeaseClock::Caller);
    /// let under_test = under_test.measures_on(LeaseClock::Database);
    /// assert_eq!(under_test.clock(), LeaseClock::Database);
    /// ```
    pub fn measures_on(mut self, clock: LeaseClock) -> StoreUnderTest {
        self.clock = clock;
        self
    }

    /// The clock the store measures on (see
    /// [`StoreUnderTest::measures_on`]).
    pub fn clock(&self) -> LeaseClock {
        self.clock
    }

    /// How to overwrite the stored form (the JSON) of the stored job `id`
    /// with `json` (the function's two arguments), behind the store's back,
    /// as a newer release or a hand edit would: the suite writes what this
    /// release cannot read, then mends it by hand.
    pub fn corrupt<F, Fut>(mut self, corrupt: F) -> StoreUnderTest
    where
        F: Fn(String, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.corrupt = Capability::Supported(Arc::new(move |id, json| Box::pin(corrupt(id, json))));
        self
    }

    /// The store has no stored form to corrupt, for `reason`.
    pub fn no_corrupt(mut self, reason: &'static str) -> StoreUnderTest {
        self.corrupt = Capability::Unsupported(reason);
        self
    }

    /// How to read the stored form (the JSON) of the stored job `id` (the
    /// function's argument) as the database holds it, behind the store's
    /// back: the suite checks that a job it cannot read is kept as written.
    ///
    /// ```
    /// use tempora::store::MemoryStore;
    /// use tempora_testkit::StoreUnderTest;
    ///
    /// let under_test = StoreUnderTest::new(MemoryStore::new())
    ///     .stored_form(|_id| async { None });
    /// # drop(under_test);
    /// ```
    pub fn stored_form<F, Fut>(mut self, read: F) -> StoreUnderTest
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<String>> + Send + 'static,
    {
        self.stored_form = Capability::Supported(Arc::new(move |id| Box::pin(read(id))));
        self
    }

    /// The store has no stored form to read, for `reason`.
    pub fn no_stored_form(mut self, reason: &'static str) -> StoreUnderTest {
        self.stored_form = Capability::Unsupported(reason);
        self
    }

    /// What to do when a case passed: drop the test's tables or keys. A case
    /// that fails leaves them for a look.
    pub fn cleanup<F, Fut>(mut self, cleanup: F) -> StoreUnderTest
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.cleanup = Some(Box::new(move || Box::pin(cleanup())));
        self
    }

    /// `Ok` when the store can be reopened, else why not.
    ///
    /// # Errors
    ///
    /// The reason the factory gave, or a request to give one.
    pub fn can_reopen(&self) -> Result<(), String> {
        match &self.reopen {
            Capability::Supported(_) => Ok(()),
            Capability::Unsupported(reason) => Err((*reason).to_owned()),
            Capability::Unsaid => Err(unsaid("reopen", "no_reopen")),
        }
    }

    /// Opens another instance on the same database.
    ///
    /// # Panics
    ///
    /// When the factory said the store cannot be reopened, or said nothing.
    pub async fn reopened(&self) -> Arc<dyn JobStore> {
        match &self.reopen {
            Capability::Supported(reopen) => reopen().await,
            Capability::Unsupported(reason) => panic!("the store cannot be reopened: {reason}"),
            Capability::Unsaid => panic!("{}", unsaid("reopen", "no_reopen")),
        }
    }

    /// The way to reopen the store, or `None` (the skip printed) when the
    /// factory said it cannot be.
    ///
    /// # Panics
    ///
    /// When the factory said nothing.
    pub(crate) fn reopener(&self, case: &str) -> Option<ReopenFn> {
        needed(&self.reopen, case, "reopen", "no_reopen").cloned()
    }

    /// The way to open a store beside this one, or `None` (the skip
    /// printed) when the factory said there is none.
    ///
    /// # Panics
    ///
    /// When the factory said nothing.
    pub(crate) fn neighbour_opener(&self, case: &str) -> Option<ReopenFn> {
        needed(&self.neighbour, case, "neighbour", "no_neighbour").cloned()
    }

    /// The way to corrupt a stored job, or `None` (the skip printed) when
    /// the factory said the store has no stored form.
    ///
    /// # Panics
    ///
    /// When the factory said nothing.
    pub(crate) fn corrupter(&self, case: &str) -> Option<CorruptFn> {
        needed(&self.corrupt, case, "corrupt", "no_corrupt").cloned()
    }

    /// The way to read a stored job's stored form, or `None` (the skip
    /// printed) when the factory said the store has none.
    ///
    /// # Panics
    ///
    /// When the factory said nothing.
    pub(crate) fn stored_form_reader(&self, case: &str) -> Option<ReadStoredFn> {
        needed(&self.stored_form, case, "stored_form", "no_stored_form").cloned()
    }

    /// Runs the cleanup, if any: the end of a case that passed.
    pub async fn finish(mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup().await;
        }
    }
}

fn unsaid(method: &str, refusal: &str) -> String {
    format!(
        "the factory did not say whether the store supports this case: \
         call StoreUnderTest::{method}, or StoreUnderTest::{refusal} with the reason"
    )
}

fn needed<'a, F>(
    capability: &'a Capability<F>,
    case: &str,
    method: &str,
    refusal: &str,
) -> Option<&'a F> {
    match capability {
        Capability::Supported(f) => Some(f),
        Capability::Unsupported(reason) => {
            println!("{case}: skipped: {reason}");
            None
        }
        Capability::Unsaid => panic!("{case}: {}", unsaid(method, refusal)),
    }
}

/// The store `connecting` gave, or a panic saying that `server` must run
/// for the tests (and how to start it), with the error and its sources: a
/// server that cannot be reached fails a test, never skips it.
///
/// ```
/// let store = tempora_testkit::connected(Ok::<_, tempora::Error>(7), "the test server");
/// assert_eq!(store, 7);
/// ```
///
/// # Panics
///
/// When `connecting` failed.
pub fn connected<S>(connecting: tempora::Result<S>, server: &str) -> S {
    match connecting {
        Ok(store) => store,
        Err(error) => {
            let mut message = format!("{server} must be running for these tests: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            panic!("{message}")
        }
    }
}

/// A prefix of letters, digits and `_` that no other test uses: `prefix`
/// and a random suffix, ending in `_`. Give it to a store's table, key or
/// collection prefix so that tests run in parallel on one server.
///
/// ```
/// let a = tempora_testkit::unique_prefix("t");
/// let b = tempora_testkit::unique_prefix("t");
/// assert_ne!(a, b);
/// assert!(a.starts_with("t_") && a.ends_with('_'));
/// assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
/// ```
pub fn unique_prefix(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}_", &random[..12])
}
