//! The API's routes: their paths, methods and the role each needs.

use axum::routing::{MethodRouter, get};

use crate::auth::Access;
use crate::health;
use crate::router::ApiState;

/// Every route of the API, with the access it needs.
pub(crate) fn api_routes() -> Vec<(String, MethodRouter<ApiState>, Access)> {
    vec![
        ("/healthz".to_owned(), get(health::healthz), Access::Public),
        ("/readyz".to_owned(), get(health::readyz), Access::Public),
    ]
}
