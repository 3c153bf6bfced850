//! The OpenAPI document, generated from the handlers and their types.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
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
        crate::metrics::scrape,
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

/// Adds the bearer scheme the `/v1` routes name, and the error answers
/// every `/v1` route may give: 400 (a query parameter or body refused),
/// 401 and 403 (the token), 404 (no such job, on the routes of one job),
/// 501 (the store keeps no history or nodes, or the server reads no job
/// tables) and 503 (the store failed).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let errors = [
            (
                "400",
                "A query parameter or a value of the body is refused; `field` names it",
            ),
            (
                "401",
                "No token, or one not known (WWW-Authenticate: Bearer)",
            ),
            ("403", "The token's role is too weak"),
            (
                "501",
                "The store keeps no run history or node records, or this server reads no job tables",
            ),
            ("503", "The store failed"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
                &mut item.put,
            ];
            for operation in operations.into_iter().flatten() {
                let one_job = path
                    .contains("{id}")
                    .then_some(("404", "No job of that id"));
                for (status, description) in errors.into_iter().chain(one_job) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                }
            }
        }
    }
}

/// An error answer: an [`ErrorBody`](crate::ErrorBody).
fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
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
