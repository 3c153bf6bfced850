//! The OpenAPI document, generated from the handlers and their types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API's OpenAPI document (served at `GET /v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tempora API",
        description = "The jobs, runs and nodes of a Tempora store. Every /v1 route needs \
                       Authorization: Bearer TOKEN; roles read ⊆ operate ⊆ admin."
    ),
    paths(
        crate::health::healthz,
        crate::health::readyz,
        crate::routes::openapi_json,
        crate::routes::list_jobs,
        crate::routes::add_job,
        crate::routes::show_job,
        crate::routes::modify_job,
        crate::routes::remove_job,
        crate::routes::job_runs,
        crate::routes::next_times,
        crate::routes::pause_job,
        crate::routes::resume_job,
        crate::routes::run_job,
        crate::routes::backfill_job,
        crate::routes::list_runs,
        crate::routes::list_nodes,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::health::HealthView,
        crate::views::JobView,
        crate::views::RunOfView,
        crate::views::RunView,
        crate::views::NodeView,
        crate::views::BackfillView,
        crate::views::RemovedView,
        crate::views::ChangedView,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Adds the bearer scheme the `/v1` routes name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of the API.
///
/// ```
/// let document = tempora_api::openapi();
/// assert!(document.paths.paths.contains_key("/v1/jobs/{id}/pause"));
/// assert!(document.components.unwrap().schemas.contains_key("JobView"));
/// ```
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
