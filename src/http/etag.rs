//! Optimistic concurrency: resources carry an `ETag` built from their version, and changes must send
//! it back in `If-Match`.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

use crate::error::ApiError;

/// The strong entity tag of a resource version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// The version a client claims to have, from `If-Match`. Required: a change without it answers 428.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(Option<i64>);

impl IfMatch {
    /// Fails with 412 unless the client's version is the current one (`*` matches any).
    pub fn check(self, current: i64) -> Result<(), ApiError> {
        match self.0 {
            Some(v) if v != current => Err(ApiError::PreconditionFailed),
            _ => Ok(()),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Err(ApiError::PreconditionRequired));
        };
        let raw = value.to_str().unwrap_or_default().trim();
        if raw == "*" {
            return ready(Ok(Self(None)));
        }
        let parsed = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"').parse::<i64>();
        ready(parsed.map(|v| Self(Some(v))).map_err(|_| ApiError::PreconditionFailed))
    }
}
