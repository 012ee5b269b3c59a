//! Errors answered as RFC 9457 `application/problem+json` (and the `Problem` schema that the
//! services' OpenAPI documents give them), mapped to HTTP statuses here and
//! nowhere else. A 4xx answer says exactly what is wrong; a 5xx answer says only that an
//! internal error happened, with the request id, and the detail goes to the log (error
//! level, inside the request span: once per request) — except the few 503 states a client
//! is meant to read ([`ApiError::unavailable`]: a geocoder building its index).
use std::fmt;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ban_store::StoreError;
use serde::Serialize;

/// What a 5xx answer says, whatever went wrong (followed by the request id).
pub const INTERNAL_ERROR_MESSAGE: &str = "Erreur interne";

/// An error answered as `application/problem+json`, with a stable `code` that clients can
/// test, and a message for people. `message` and `statusCode` repeat `detail` and `status`
/// under the names the production API's clients read.
///
/// With a 5xx status the message is for the log only (the answer carries
/// [`INTERNAL_ERROR_MESSAGE`] and the request id), unless the error was made by
/// [`ApiError::unavailable`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// A 5xx whose message the client may read: a state, not a failure.
    expected: bool,
    /// Seconds after which the client may try again (`Retry-After`), for 429 and 503.
    retry_after: Option<u64>,
    /// The field of the request's body the error is about (`field` of the answer).
    field: Option<String>,
    /// Every field at fault when there are several (`errors` of the answer).
    errors: Vec<FieldProblem>,
}

/// One field at fault in a refused body, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// Its path in the body (`changesRequested.positions[0].point`).
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            expected: false,
            retry_after: None,
            field: None,
            errors: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn precondition(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, code, message)
    }

    /// A failure inside the service (500): `detail` goes to the log, never to the client.
    pub fn internal(code: &'static str, detail: impl fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, detail.to_string())
    }

    /// A 503 that the client reads as it is: the service cannot serve *yet* (an index being
    /// built), and `message` says so. Not for failures.
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        ApiError { expected: true, ..Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message) }
    }

    /// The same error, telling the client to try again after `seconds` (`Retry-After`).
    pub fn retry_after(self, seconds: u64) -> Self {
        ApiError { retry_after: Some(seconds.max(1)), ..self }
    }

    /// The same error, about `field` of the request's body (its path: `perimeters[0].code`).
    pub fn with_field(self, field: impl Into<String>) -> Self {
        ApiError { field: Some(field.into()), ..self }
    }

    /// The same error about several fields: each with its message (`errors` of the answer),
    /// the first one also as `field`.
    pub fn with_errors(self, errors: Vec<FieldProblem>) -> Self {
        let field = errors.first().map(|e| e.field.clone());
        ApiError { field, errors, ..self }
    }

    /// Whether the answer hides the message (a 5xx failure).
    fn is_internal(&self) -> bool {
        self.status.is_server_error() && !self.expected
    }
}

/// The media type of error answers.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The body of an error answer (RFC 9457), as the services' OpenAPI documents describe it
/// (schema `Problem`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "urn:ban-sync:problem:revision_not_found", "title": "Not Found", "status": 404,
    "detail": "Révision 0123456789abcdef01234567 introuvable.", "code": "revision_not_found",
    "message": "Révision 0123456789abcdef01234567 introuvable.", "statusCode": 404
}))]
pub struct Problem<'a> {
    /// `urn:ban-sync:problem:` followed by `code`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: &'a str,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong, for people; on a 5xx, only that an internal error happened, with the
    /// request id.
    pub detail: &'a str,
    /// A stable code that clients can test (`revision_not_found`, `invalid_parameter`…).
    pub code: &'a str,
    /// `detail` again, under the name the production API's clients read.
    pub message: &'a str,
    /// `status` again, under the name the production API's clients read.
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// 5xx only: the request id (`x-request-id`) under which the error is logged.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    /// On a refused body, the field at fault, as a path (`nom`, `perimeters[0].code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    /// When several fields are at fault: each, with what is wrong with it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub errors: &'a [FieldProblem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = crate::request::current_request_id();
        let message = if self.is_internal() {
            // Inside the request span, which carries the request id.
            tracing::error!(status = self.status.as_u16(), code = self.code, detail = %self.message, "request failed");
            match &request_id {
                Some(id) => format!("{INTERNAL_ERROR_MESSAGE} (requête {id})."),
                None => format!("{INTERNAL_ERROR_MESSAGE}."),
            }
        } else {
            if self.status.is_server_error() {
                tracing::warn!(code = self.code, message = %self.message, "request refused");
            }
            self.message
        };
        let problem = Problem {
            kind: format!("urn:ban-sync:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &message,
            code: self.code,
            message: &message,
            status_code: self.status.as_u16(),
            request_id: request_id.as_deref().filter(|_| self.status.is_server_error()),
            field: self.field.as_deref(),
            errors: &self.errors,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found("not_found", format!("{what} introuvable")),
            StoreError::Precondition(message) => ApiError::precondition("precondition_failed", message),
            StoreError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::Busy(e) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_busy",
                format!("base de données occupée : {e}"),
            ),
            StoreError::Database(e) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("base de données : {e}"),
            ),
        }
    }
}

/// Middleware: any error answer that is not yet `application/problem+json` (a rejection of
/// the framework: malformed query, wrong method…) becomes one, keeping its status and text
/// (the text of a 5xx goes to the log only).
pub async fn problem_for_errors(request: Request, next: Next) -> Response {
    as_problem(next.run(request).await).await
}

/// An error answer that is not problem+json yet (axum's rejections, a bare status) made one,
/// its text kept as the detail; other answers as they are.
pub async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let detail = match text.trim() {
        "" => status.canonical_reason().unwrap_or("Error").to_owned(),
        text => text.to_owned(),
    };
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        _ if status.is_server_error() => "internal_error",
        _ => "client_error",
    };
    ApiError::new(status, code, detail).into_response()
}

/// The answer for paths no service serves.
pub async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found("no_route", format!("Aucune route {method} {}.", uri.path()))
}
