//! Errors as the API answers them: a status and a JSON body
//! `{ "error": { "field": …, "value"/"reason": …, "message": … } }`, built
//! from [`tempora::Error`].
//!
//! | error | status |
//! |---|---|
//! | a value refused ([`Error::is_invalid_input`]) | 400, `field` and `reason` |
//! | no such job ([`Error::is_not_found`]) | 404, `field` = `id`, `value` = the id |
//! | the id is taken ([`Error::is_conflict`]) | 409, `field` = `id`, `value` = the id |
//! | no token, or an unknown one | 401 (`WWW-Authenticate: Bearer`) |
//! | a role too weak | 403 |
//! | the store keeps no history or nodes ([`Error::is_unsupported`]) | 501 |
//! | the store failed ([`Error::is_store`]) | 503 |

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tempora::Error;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong: the field, its value or what is wrong with it, and the
/// whole message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The field (or query parameter) refused; `null` when the error is
    /// not about one.
    #[schema(required = true)]
    pub field: Option<String>,
    /// The value refused (the id of a job not found or taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong with the field's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The whole message, lowercase, naming the field and the value.
    pub message: String,
}

/// An error answer: its status and body.
///
/// ```
/// use axum::http::StatusCode;
/// use tempora_api::ApiError;
///
/// let error = ApiError::from(tempora::Error::invalid("hour", "24 is out of range 0-23"));
/// assert_eq!(error.status(), StatusCode::BAD_REQUEST);
/// assert_eq!(error.body().error.field.as_deref(), Some("hour"));
/// assert_eq!(error.body().error.reason.as_deref(), Some("24 is out of range 0-23"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// An answer of `status` with `detail`.
    pub fn new(status: StatusCode, detail: ErrorDetail) -> ApiError {
        ApiError {
            status,
            body: ErrorBody { error: detail },
        }
    }

    /// 400 for `field`, whose value is refused for `reason`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
        Error::invalid(field, reason).into()
    }

    /// 404 for the job `id`.
    pub fn job_not_found(id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorDetail {
                field: Some("id".to_owned()),
                value: Some(id.to_owned()),
                reason: None,
                message: Error::not_found("job", id).to_string(),
            },
        )
    }

    /// 401: no token, or one not known, for `reason`.
    pub fn unauthorized(reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorDetail {
                field: Some("authorization".to_owned()),
                value: None,
                message: format!("authorization: {reason}"),
                reason: Some(reason),
            },
        )
    }

    /// 403: a known token whose role is too weak, for `reason`.
    pub fn forbidden(reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorDetail {
                field: Some("authorization".to_owned()),
                value: None,
                message: format!("authorization: {reason}"),
                reason: Some(reason),
            },
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        let message = error.to_string();
        let field = error.field().map(str::to_owned);
        let (status, value, reason) = if error.is_invalid_input() {
            (
                StatusCode::BAD_REQUEST,
                None,
                error.reason().map(str::to_owned),
            )
        } else if error.is_conflict() {
            // `id: job "x" already exists; …`: the id is the quoted value.
            let id = message
                .split('"')
                .nth(1)
                .map(str::to_owned)
                .filter(|_| field.is_some());
            (StatusCode::CONFLICT, id, None)
        } else if error.is_not_found() {
            (StatusCode::NOT_FOUND, None, None)
        } else if error.is_unsupported() {
            (StatusCode::NOT_IMPLEMENTED, None, None)
        } else if error.is_store() {
            (StatusCode::SERVICE_UNAVAILABLE, None, None)
        } else if error.is_state() {
            (StatusCode::CONFLICT, None, None)
        } else {
            (StatusCode::INTERNAL_SERVER_ERROR, None, None)
        };
        ApiError::new(
            status,
            ErrorDetail {
                field,
                value,
                reason,
                message,
            },
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
