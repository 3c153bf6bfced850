//! Tempora's web dashboard: the jobs of a store, their fire times on a
//! timeline, their history with output, the nodes, an expression
//! playground, and the actions an operator takes. It is an axum router
//! served by the same HTTP server as the API (`tempora-api`), under
//! [`PREFIX`], with the API's tokens and roles.
//!
//! The pages are rendered on the server from templates checked at compile
//! time (maud); the style sheet and the little script they use are
//! compiled into the binary: nothing is fetched at run time.
//!
//! ```
//! use std::sync::Arc;
//! use tempora::store::MemoryStore;
//! use tempora_api::{ApiBuilder, ApiToken, Role, TokenHash, Tokens};
//!
//! let tokens = Tokens::new().with(ApiToken {
//!     name: "ops".into(),
//!     role: Role::Operate,
//!     sha256: TokenHash::of("s3cret"),
//! });
//! let api = ApiBuilder::new(Arc::new(MemoryStore::new())).tokens(tokens);
//! // The API's routes under /v1, the dashboard's under /ui, `/` sends to it.
//! let router: axum::Router = tempora_dashboard::mount(api).build();
//! # let _ = router;
//! ```
//!
//! Signing in takes an API token; it is kept in an `HttpOnly`,
//! `SameSite=Strict` cookie (never in a URL). A `read` token sees
//! everything and changes nothing; `operate` may pause, resume, run now and
//! backfill; `admin` may also remove a job. Every form that changes
//! something carries a token derived from the session and is refused when
//! its `Origin` is another site's.

#![deny(missing_docs)]

mod pages;
mod playground;
mod session;
mod time;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use tempora::job::Job;
use tempora_api::{ApiBuilder, ApiState, Tokens};

/// Where the dashboard is served: `/ui/`, beside the API's `/v1`.
pub const PREFIX: &str = "/ui";

/// What the dashboard's handlers share: the API's state (store, zone,
/// clock) and its tokens.
#[derive(Clone, Debug)]
pub(crate) struct Dashboard {
    pub(crate) api: ApiState,
    pub(crate) tokens: Arc<Tokens>,
    /// The store's jobs as last listed, and when: pages read within
    /// [`JOBS_FRESH_FOR`] share one listing (a large store's list is the
    /// costly part of a page); an action clears it.
    pub(crate) jobs: Arc<Mutex<Option<Listing>>>,
}

/// The store's jobs, and when they were listed.
type Listing = (Instant, Arc<Vec<Job>>);

/// How long one listing of the store's jobs serves the pages.
const JOBS_FRESH_FOR: Duration = Duration::from_secs(2);

impl Dashboard {
    /// The store's jobs, listed at most [`JOBS_FRESH_FOR`] ago.
    pub(crate) async fn list_jobs(&self) -> tempora::Result<Arc<Vec<Job>>> {
        if let Ok(cached) = self.jobs.lock()
            && let Some((at, jobs)) = cached.as_ref()
            && at.elapsed() < JOBS_FRESH_FOR
        {
            return Ok(Arc::clone(jobs));
        }
        let jobs = Arc::new(self.api.store().list_jobs().await?);
        if let Ok(mut cached) = self.jobs.lock() {
            *cached = Some((Instant::now(), Arc::clone(&jobs)));
        }
        Ok(jobs)
    }

    /// Forgets the listing: the next page lists the store again.
    pub(crate) fn forget_jobs(&self) {
        if let Ok(mut cached) = self.jobs.lock() {
            *cached = None;
        }
    }
}

/// Adds the dashboard to an API being built: its pages under [`PREFIX`],
/// and `/` answered with a redirect to them. The dashboard reads the
/// builder's store, zone, clock and tokens, so call it after setting
/// those.
pub fn mount(builder: ApiBuilder) -> ApiBuilder {
    let dashboard = router(builder.state().clone(), builder.tokens_ref().clone());
    builder.merge(dashboard)
}

/// The dashboard's router over `state` (the API's), accepting `tokens`:
/// for a program that mounts it itself.
pub fn router(state: ApiState, tokens: Tokens) -> Router {
    let dashboard = Dashboard {
        api: state,
        tokens: Arc::new(tokens),
        jobs: Arc::new(Mutex::new(None)),
    };
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(pages::jobs))
        .route("/ui/login", get(session::login_page).post(session::login))
        .route("/ui/logout", post(session::logout))
        .route("/ui/jobs/{id}", get(pages::job))
        .route("/ui/rows", get(pages::rows_fragment))
        .route("/ui/jobs/{id}/history", get(pages::history_fragment))
        .route("/ui/jobs/{id}/chart", get(pages::chart_fragment))
        .route("/ui/jobs/{id}/{action}", post(pages::action))
        .route("/ui/timeline", get(pages::timeline))
        .route("/ui/nodes", get(pages::nodes))
        .route("/ui/nodes/fragment", get(pages::nodes_fragment))
        .route("/ui/playground", get(playground::page))
        .route("/ui/api/schedule", get(playground::schedule))
        .route("/ui/assets/dashboard.css", get(stylesheet))
        .route("/ui/assets/dashboard.js", get(script))
        .with_state(dashboard)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../assets/dashboard.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../assets/dashboard.js"),
    )
}
