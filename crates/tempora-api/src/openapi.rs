//! The OpenAPI document, generated from the handlers and their types.

use utoipa::OpenApi;

/// The API's OpenAPI document (served at `GET /v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    info(title = "Tempora API", description = "Jobs, runs and nodes of a Tempora store."),
    paths(crate::health::healthz, crate::health::readyz, crate::metrics::scrape),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::health::HealthView))
)]
struct ApiDoc;

/// The OpenAPI document of the API.
///
/// ```
/// let document = tempora_api::openapi();
/// assert!(document.paths.paths.contains_key("/healthz"));
/// ```
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
