//! REST errors: Apache's `{"error_code": <status>, "message": "…"}` body for every failure.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::herder::HerderError;

/// An error response.
#[derive(Debug)]
pub struct RestError {
    status: StatusCode,
    message: String,
    /// Another worker that should handle the request instead (see `forward`).
    forward_to: Option<String>,
}

impl RestError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        RestError {
            status,
            message: message.into(),
            forward_to: None,
        }
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<HerderError> for RestError {
    fn from(error: HerderError) -> Self {
        let status = match &error {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) => StatusCode::CONFLICT,
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::Forbidden(_) => StatusCode::FORBIDDEN,
            HerderError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HerderError::Forward { url } => {
                let mut error = RestError::new(
                    StatusCode::CONFLICT,
                    "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
                );
                error.forward_to = url.clone();
                return error;
            }
        };
        RestError::new(status, error.to_string())
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error_code": self.status.as_u16(), "message": self.message});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(url) = self.forward_to {
            response.extensions_mut().insert(super::forward::ForwardTo(url));
        }
        response
    }
}

/// What every handler returns.
pub(super) type RestResult<T> = Result<T, RestError>;
