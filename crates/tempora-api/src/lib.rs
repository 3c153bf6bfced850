//! Tempora's HTTP API: an axum [`Router`](axum::Router) over any
//! [`JobStore`](tempora::store::JobStore), that a program mounts next to
//! its own routes, and that `tempora run` serves when its configuration
//! has an `[api]` table.
//!
//! ```
//! use std::sync::Arc;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use axum::routing::get;
//! use tempora::store::MemoryStore;
//! use tempora_api::{ApiBuilder, ApiToken, Role, TokenHash, Tokens};
//! use tower::ServiceExt;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let tokens = Tokens::new().with(ApiToken {
//!     name: "dashboard".into(),
//!     role: Role::Read,
//!     sha256: TokenHash::of("s3cret"),
//! });
//! let api = ApiBuilder::new(Arc::new(MemoryStore::new())).tokens(tokens).build();
//! // The program's own routes beside the API's.
//! let app = axum::Router::new().route("/", get(|| async { "my app" })).merge(api);
//!
//! let request = Request::get("/v1/jobs")
//!     .header("authorization", "Bearer s3cret")
//!     .body(Body::empty())?;
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let anonymous = app.oneshot(Request::get("/v1/jobs").body(Body::empty())?).await?;
//! assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The routes, their JSON and errors, the roles and TLS are described in
//! the manual's `docs/api.md`. In short:
//!
//! - [`ApiBuilder`] assembles the router: the API's routes, routes of the
//!   program's own ([`ApiBuilder::route`], each with its [`Access`]), and
//!   routers merged as they are ([`ApiBuilder::merge`]).
//! - [`Tokens`] holds the accepted tokens as SHA-256 hashes
//!   ([`TokenHash`]), each with a [`Role`]: `read` ⊆ `operate` ⊆ `admin`.
//! - [`views`] are the JSON shapes, shared with the `tempora` command's
//!   `--json` output; [`ApiError`] the error body.
//! - [`actions`] change the store the way `tempora jobs` does.
//! - [`ApiBuilder::metrics`] serves a scheduler's Prometheus metrics at
//!   `GET /metrics`.
//! - [`openapi()`] is the OpenAPI document, generated from the handlers.
//! - [`serve`] serves a router on an address, over TLS when given a
//!   certificate, until a shutdown future completes.

#![deny(missing_docs)]

pub mod actions;
mod auth;
mod error;
mod health;
mod metrics;
mod openapi;
mod router;
mod routes;
pub mod serve;
pub mod views;

pub use auth::{Access, ApiToken, Caller, Role, TokenHash, Tokens, new_token};
pub use error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
pub use health::HealthView;
pub use openapi::openapi;
pub use router::{ApiBuilder, ApiState, JobParser};
pub use routes::route_table;
