//! The router's assembly: [`ApiBuilder`] collects the routes with the
//! access each needs, and [`ApiBuilder::build`] puts the auth layer in
//! front of each and hands out an axum [`Router`].
//!
//! A route added by another part of a program (`/metrics`, a dashboard) is
//! added the same way, with [`ApiBuilder::route`] and its [`Access`]; a
//! whole router of its own, without the auth layer, with
//! [`ApiBuilder::merge`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use jiff::Timestamp;
use serde_json::{Map, Value};
use tempora::clock::{Clock, SystemClock};
use tempora::job::Job;
use tempora::notify::Notify;
use tempora::store::JobStore;
use tempora::trigger::Zone;

use crate::auth::{Access, Guard, Tokens, authorize};

/// Builds a job from the JSON form of a configuration file's `[[job]]`
/// table: what `POST /v1/jobs` adds and `PATCH /v1/jobs/{id}` reads its
/// changes with. The program that serves the API supplies it (the
/// `tempora` daemon reads the table as its configuration file does), so
/// that the API knows no configuration format of its own.
///
/// A closure `Fn(&Map<String, Value>, Timestamp) -> tempora::Result<Job>`
/// is one.
///
/// ```
/// use std::sync::Arc;
/// use tempora::job::{Job, JobBuilder, JobDefaults};
/// use tempora::trigger::IntervalTrigger;
/// use tempora_api::JobParser;
///
/// // A parser that reads `id` and `seconds` only.
/// let parser: Arc<dyn JobParser> = Arc::new(|table: &serde_json::Map<String, serde_json::Value>, now| {
///     let id = table.get("id").and_then(|id| id.as_str()).unwrap_or_default();
///     let seconds = table.get("seconds").and_then(|s| s.as_i64()).unwrap_or(60);
///     let trigger = IntervalTrigger::builder().seconds(seconds).build()?;
///     JobBuilder::new("tick", trigger).id(id).build_at(&JobDefaults::default(), now)
/// });
/// let table = serde_json::json!({ "id": "t", "seconds": 5 });
/// let job = parser.parse_job(table.as_object().unwrap(), "2026-01-01T00:00:00Z".parse()?)?;
/// assert_eq!(job.id(), "t");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait JobParser: Send + Sync + 'static {
    /// The job `table` describes, built at `now` with the program's job
    /// defaults.
    ///
    /// # Errors
    ///
    /// A key or value refused, naming the key.
    fn parse_job(&self, table: &Map<String, Value>, now: Timestamp) -> tempora::Result<Job>;
}

impl<F> JobParser for F
where
    F: Fn(&Map<String, Value>, Timestamp) -> tempora::Result<Job> + Send + Sync + 'static,
{
    fn parse_job(&self, table: &Map<String, Value>, now: Timestamp) -> tempora::Result<Job> {
        self(table, now)
    }
}

/// What every handler shares: the store, the zone times are shown in, the
/// clock, and the job parser.
#[derive(Clone)]
pub struct ApiState {
    store: Arc<dyn JobStore>,
    zone: Zone,
    clock: Arc<dyn Clock>,
    parser: Option<Arc<dyn JobParser>>,
    ready_timeout: Duration,
    lease: jiff::SignedDuration,
    notify: Option<Arc<Notify>>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("store", &self.store.backend())
            .field("zone", &self.zone.name())
            .field("parser", &self.parser.is_some())
            .field("ready_timeout", &self.ready_timeout)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// The store.
    pub fn store(&self) -> &Arc<dyn JobStore> {
        &self.store
    }

    /// The zone times are shown in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The current instant, from the API's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The job parser, if the program gave one.
    pub fn parser(&self) -> Option<&Arc<dyn JobParser>> {
        self.parser.as_ref()
    }

    /// The lease nodes are judged live by.
    pub fn lease(&self) -> jiff::SignedDuration {
        self.lease
    }

    /// How long `/readyz` waits for the store.
    pub fn ready_timeout(&self) -> Duration {
        self.ready_timeout
    }

    /// Where the notices of jobs without notify settings of their own go,
    /// if the program said ([`ApiBuilder::notify`]).
    pub fn default_notify(&self) -> Option<&Notify> {
        self.notify.as_deref()
    }
}

/// Builds the API's [`Router`] over a store.
///
/// ```
/// use std::sync::Arc;
/// use axum::routing::get;
/// use tempora::store::MemoryStore;
/// use tempora_api::{Access, ApiBuilder, ApiToken, Role, TokenHash, Tokens};
///
/// let tokens = Tokens::new().with(ApiToken {
///     name: "ci".into(),
///     role: Role::Read,
///     sha256: TokenHash::of("secret"),
/// });
/// let router: axum::Router = ApiBuilder::new(Arc::new(MemoryStore::new()))
///     .tokens(tokens)
///     // A route of the program's own, behind the same tokens.
///     .route("/v1/hello", get(|| async { "hello" }), Access::Role(Role::Read))
///     .build();
/// # let _ = router;
/// ```
#[derive(Debug)]
pub struct ApiBuilder {
    state: ApiState,
    tokens: Tokens,
    routes: Vec<(String, MethodRouter<ApiState>, Access)>,
    merged: Vec<Router>,
}

impl ApiBuilder {
    /// The API over `store`: times shown in the system's zone, read from
    /// the system clock, no job parser (adding and modifying jobs answer
    /// 501), no tokens (every `/v1` route answers 401).
    pub fn new(store: Arc<dyn JobStore>) -> ApiBuilder {
        ApiBuilder {
            state: ApiState {
                store,
                zone: Zone::system(),
                clock: Arc::new(SystemClock),
                parser: None,
                ready_timeout: Duration::from_secs(2),
                lease: tempora::scheduler::DEFAULT_LEASE,
                notify: None,
            },
            tokens: Tokens::new(),
            routes: Vec::new(),
            merged: Vec::new(),
        }
    }

    /// Shows and reads times in `zone`.
    pub fn zone(mut self, zone: Zone) -> ApiBuilder {
        self.state.zone = zone;
        self
    }

    /// Reads "now" from `clock` (a `ManualClock` in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ApiBuilder {
        self.state.clock = clock;
        self
    }

    /// Reads the jobs `POST /v1/jobs` adds with `parser`.
    pub fn job_parser(mut self, parser: Arc<dyn JobParser>) -> ApiBuilder {
        self.state.parser = Some(parser);
        self
    }

    /// Accepts `tokens`.
    pub fn tokens(mut self, tokens: Tokens) -> ApiBuilder {
        self.tokens = tokens;
        self
    }

    /// How long `/readyz` waits for the store before answering 503
    /// (default 2 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> ApiBuilder {
        self.state.ready_timeout = timeout;
        self
    }

    /// Judges nodes live while their last heartbeat is younger than
    /// `lease` (default [`DEFAULT_LEASE`](tempora::scheduler::DEFAULT_LEASE)):
    /// the daemon's `lease`.
    pub fn lease(mut self, lease: jiff::SignedDuration) -> ApiBuilder {
        self.state.lease = lease;
        self
    }

    /// Where the notices of jobs without notify settings of their own go:
    /// the schedulers' default
    /// ([`SchedulerBuilder::notify`](tempora::scheduler::SchedulerBuilder::notify)),
    /// which the stale checks of jobs added or changed through the API are
    /// made from (see [`tempora::notify`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tempora::notify::Notify;
    /// use tempora::store::MemoryStore;
    /// use tempora_api::ApiBuilder;
    ///
    /// let builder = ApiBuilder::new(Arc::new(MemoryStore::new()))
    ///     .notify(Notify::new().webhook("https://hooks.example.com/tempora"));
    /// assert!(builder.state().default_notify().is_some());
    /// ```
    pub fn notify(mut self, default: Notify) -> ApiBuilder {
        self.state.notify = Some(Arc::new(default));
        self
    }

    /// The state handlers get, for a program that builds routes of its
    /// own over the same store.
    pub fn state(&self) -> &ApiState {
        &self.state
    }

    /// The tokens the routes are checked against.
    pub fn tokens_ref(&self) -> &Tokens {
        &self.tokens
    }

    /// Adds a route behind the auth layer: `access` says who may call it
    /// (`Access::Metrics` for `/metrics`). Routes of one path may be added
    /// once per method, each with its own access.
    pub fn route(
        mut self,
        path: &str,
        method_router: MethodRouter<ApiState>,
        access: Access,
    ) -> ApiBuilder {
        self.routes.push((path.to_owned(), method_router, access));
        self
    }

    /// Adds a router of the program's own as it is, without the auth
    /// layer.
    pub fn merge(mut self, router: Router) -> ApiBuilder {
        self.merged.push(router);
        self
    }

    /// The router: the API's routes, then the ones added, each behind the
    /// auth layer with its access.
    pub fn build(self) -> Router {
        let tokens = Arc::new(self.tokens);
        let mut router: Router<ApiState> = Router::new();
        let own = crate::routes::api_routes()
            .into_iter()
            .map(|(_, path, method_router, access)| (path.to_owned(), method_router, access));
        for (path, method_router, access) in own.chain(self.routes) {
            let guard = Guard {
                tokens: Arc::clone(&tokens),
                access,
            };
            router = router.route(
                &path,
                method_router.route_layer(from_fn_with_state(guard, authorize)),
            );
        }
        let mut router = router.with_state(self.state);
        for merged in self.merged {
            router = router.merge(merged);
        }
        router
    }
}
