//! `GET /metrics`: a scheduler's Prometheus metrics
//! ([`SchedulerMetrics`]), in the text format Prometheus scrapes. Open
//! unless a metrics token is configured
//! ([`Tokens::with_metrics_token`](crate::Tokens::with_metrics_token)).

use axum::Extension;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tempora::metrics::{CONTENT_TYPE, SchedulerMetrics};

use crate::auth::Access;
use crate::error::ApiError;
use crate::router::ApiBuilder;

impl ApiBuilder {
    /// Serves `metrics` at `GET /metrics`, behind the metrics token when
    /// one is configured ([`Access::Metrics`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use axum::body::Body;
    /// use axum::http::{Request, StatusCode};
    /// use tempora::metrics::SchedulerMetrics;
    /// use tempora::store::MemoryStore;
    /// use tempora_api::ApiBuilder;
    /// use tower::ServiceExt;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let metrics = SchedulerMetrics::new();
    /// let store = Arc::new(metrics.meter_store("default", MemoryStore::new()));
    /// let app = ApiBuilder::new(store).metrics(metrics).build();
    /// let response = app.oneshot(Request::get("/metrics").body(Body::empty())?).await?;
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metrics(self, metrics: SchedulerMetrics) -> ApiBuilder {
        self.route(
            "/metrics",
            get(scrape).layer(Extension(metrics)),
            Access::Metrics,
        )
    }
}

/// `GET /metrics`: the metrics, refreshed from the scheduler and its
/// stores at each scrape.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses(
        (status = 200, description = "The metrics, in the OpenMetrics text format",
            content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "A metrics token is configured and the request has none, or another",
            body = crate::error::ErrorBody),
    ))]
pub(crate) async fn scrape(Extension(metrics): Extension<SchedulerMetrics>) -> Response {
    match metrics.encode().await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            text,
        )
            .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
