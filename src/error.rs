//! The single error envelope: every failure leaves the service as an RFC 9457 `application/problem+json`
//! document with a stable `type`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "1 field is not valid",
    "errors": [{"field": "level", "message": "must be between 1 and 4"}]
}))]
pub struct Problem {
    /// Stable URI reference that identifies the kind of problem; clients branch on this.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// For validation problems: each offending field and what is wrong with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `features[3].properties.code`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// The problem type of this entry, where it differs by entry (bulk imports).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For file imports: the 1-based line of the file where the row starts (a CSV header is line 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub row: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), kind: None, row: None }
    }

    /// An error in one row of an imported file: `field` is `rows[LINE].COLUMN` (`rows[LINE]` for the row as
    /// a whole), like the paths of JSON bodies, and `row` the line alone.
    pub fn in_row(row: u64, column: &str, message: impl Into<String>) -> Self {
        let field = if column.is_empty() { format!("rows[{row}]") } else { format!("rows[{row}].{column}") };
        Self { row: Some(row), ..Self::new(field, message) }
    }
}

/// Every way a request can fail. Handlers and services return this; the variant decides status and type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    MalformedBody { detail: String },
    #[error("{detail}")]
    InvalidParameter { detail: String },
    #[error("{detail}")]
    Validation { detail: String, errors: Vec<FieldError> },
    /// A domain rule refused the request (422 with a rule-specific type).
    #[error("{detail}")]
    Rule { slug: &'static str, title: &'static str, detail: String, errors: Vec<FieldError> },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than the {limit} bytes allowed here")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The resource's state forbids the request (409 with a rule-specific type).
    #[error("{detail}")]
    InvalidState { slug: &'static str, title: &'static str, detail: String, errors: Vec<FieldError> },
    #[error("the resource has changed since it was read; fetch it again and retry with the new ETag")]
    PreconditionFailed,
    #[error("this request must carry an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("a request with this Idempotency-Key is still being processed; retry after Retry-After")]
    IdempotencyKeyInUse,
    #[error("this Idempotency-Key was already used for a different request; use a new key for a new request")]
    IdempotencyKeyReused,
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected. The cause, with its chain of sources, is logged, never sent.
    #[error("internal error: {0}")]
    Internal(crate::db::BoxError),
}

/// An error and its sources, outermost first: "a: b: c".
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ApiError {
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are not valid", many.len()),
        };
        Self::Validation { detail, errors }
    }

    pub fn internal(cause: impl Into<crate::db::BoxError>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable `type` slug and the `title` of this kind of problem.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::MalformedBody { .. } => ("malformed-body", "The request body could not be read"),
            Self::InvalidParameter { .. } => ("invalid-parameter", "A path or query parameter is not valid"),
            Self::Validation { .. } => ("validation", "The request is not valid"),
            Self::Rule { slug, title, .. } | Self::InvalidState { slug, title, .. } => (slug, title),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "Conflict with the current state"),
            Self::PreconditionFailed => ("precondition-failed", "Stale version"),
            Self::PreconditionRequired => ("precondition-required", "If-Match required"),
            Self::IdempotencyKeyInUse => ("idempotency-key-in-use", "Request with this key in progress"),
            Self::IdempotencyKeyReused => ("idempotency-key-reused", "Idempotency-Key reused for another request"),
            Self::Unavailable(_) => ("unavailable", "Service temporarily unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => {
                "An unexpected error occurred. Quote the X-Request-Id header when reporting it.".into()
            }
            // The cause names hosts, ports and users: logged, never sent.
            Self::Unavailable(_) => {
                "The service cannot reach its database, or it is busy; retry after Retry-After.".into()
            }
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation { errors, .. } | Self::Rule { errors, .. } | Self::InvalidState { errors, .. } => {
                errors.clone()
            }
            _ => Vec::new(),
        };
        Problem { kind: format!("/problems/{slug}"), title: title.into(), status: status.as_u16(), detail, errors }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedBody { .. } | Self::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } | Self::Rule { .. } | Self::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::InvalidState { .. } | Self::IdempotencyKeyInUse => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(cause = %chain(cause.as_ref()), "request failed"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "request refused: unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.to_problem());
        match self {
            Self::Unauthorized(_) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyRequests { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::IdempotencyKeyInUse => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
    }
    response.body(serde_json::to_string(problem).unwrap_or_default())
}

/// A problem for a response the framework produced without a body of ours (unknown route, wrong
/// method, a handler timeout…), keyed by status so the `type` stays stable.
pub fn problem_for_status(status: StatusCode) -> Problem {
    let (slug, title, detail) = match status.as_u16() {
        400 => ("bad-request", "Bad request", "The request could not be understood."),
        401 => ("unauthorized", "Authentication required", "Send a valid bearer token."),
        404 => ("not-found", "Not found", "No resource exists at this path."),
        405 => {
            ("method-not-allowed", "Method not allowed", "This path does not support the method; see the Allow header.")
        }
        406 => ("not-acceptable", "Not acceptable", "The requested media type cannot be produced."),
        408 => ("request-timeout", "Request timeout", "The request was not received in time."),
        413 => ("payload-too-large", "Request body too large", "The request body is larger than allowed here."),
        415 => {
            ("unsupported-media-type", "Unsupported media type", "The request body has an unsupported content type.")
        }
        503 => ("unavailable", "Service temporarily unavailable", "Try again shortly."),
        s if s >= 500 => (
            "internal",
            "Internal server error",
            "An unexpected error occurred. Quote the X-Request-Id header when reporting it.",
        ),
        _ => ("http-error", "Request failed", "The request failed."),
    };
    Problem {
        kind: format!("/problems/{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: Vec::new(),
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(format!("no database connection available: {e}"))
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("not found".into()),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::Unavailable("the database could not serialise concurrent writes; retry".into())
            }
            // Races the checks could not see (two creates of one name, a delete of what is being used).
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("a concurrent request created the same thing; fetch it and retry if needed".into())
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::Conflict(
                "the change refers to something that no longer exists, or removes something in use".into(),
            ),
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Self::Unavailable("the database is busy with other writes; retry".into())
            }
            other => Self::internal(other),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the store failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn internal_causes_keep_their_sources_for_the_log_only() {
        let error = ApiError::internal(Outer(std::io::Error::other("disk full at /var/lib/airgrid")));
        let ApiError::Internal(cause) = &error else { panic!("internal") };
        assert_eq!(chain(cause.as_ref()), "the store failed: disk full at /var/lib/airgrid");
        let body = serde_json::to_string(&error.to_problem()).unwrap();
        assert!(!body.contains("store") && !body.contains("disk"), "{body}");
    }
}
