//! `/healthz` and `/readyz`: answered without a token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::router::ApiState;

/// The body of `/healthz` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HealthView {
    /// `ok`, or `unavailable`.
    pub status: String,
    /// Why not ready; `null` when ready.
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process answers", body = HealthView)))]
pub async fn healthz() -> Json<HealthView> {
    Json(HealthView {
        status: "ok".to_owned(),
        reason: None,
    })
}

/// `GET /readyz`: the store answers within the ready timeout.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The store answers", body = HealthView),
        (status = 503, description = "The store failed or did not answer in time", body = HealthView),
    ))]
pub async fn readyz(State(state): State<ApiState>) -> (StatusCode, Json<HealthView>) {
    let timeout = state.ready_timeout();
    let unavailable = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthView {
                status: "unavailable".to_owned(),
                reason: Some(reason),
            }),
        )
    };
    match tokio::time::timeout(timeout, state.store().next_run_time()).await {
        Ok(Ok(_)) => (
            StatusCode::OK,
            Json(HealthView {
                status: "ok".to_owned(),
                reason: None,
            }),
        ),
        Ok(Err(error)) => unavailable(error.to_string()),
        Err(_) => unavailable(format!(
            "store {:?}: no answer within {timeout:?}",
            state.store().backend()
        )),
    }
}
