//! Optimistic concurrency: resources carry an `ETag` built from their version, and changes must send
//! it back in `If-Match`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// The strong entity tag of a resource version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// The client's `If-Match` header. Extraction never fails, so authentication and scope are checked
/// first; [`IfMatch::check`] enforces it once the resource is known.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// 428 without `If-Match`; 412 unless it is `*` or lists the current version's strong tag.
    pub fn check(&self, current: i64) -> Result<(), ApiError> {
        let raw = self.0.as_deref().ok_or(ApiError::PreconditionRequired)?;
        let wanted = format!("\"{current}\"");
        let matches = raw.split(',').map(str::trim).any(|tag| tag == "*" || tag == wanted);
        if matches { Ok(()) } else { Err(ApiError::PreconditionFailed) }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().unwrap_or_default().to_owned());
        ready(Ok(Self(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: Option<&str>, current: i64) -> Result<(), ApiError> {
        IfMatch(header.map(Into::into)).check(current)
    }

    #[test]
    fn strong_comparison_over_a_list() {
        assert!(check(Some("\"3\""), 3).is_ok());
        assert!(check(Some("*"), 3).is_ok());
        assert!(check(Some("\"7\", \"3\""), 3).is_ok());
        assert!(matches!(check(Some("\"2\""), 3), Err(ApiError::PreconditionFailed)));
        assert!(matches!(check(Some("W/\"3\""), 3), Err(ApiError::PreconditionFailed)), "weak tags never match");
        assert!(matches!(check(Some("3"), 3), Err(ApiError::PreconditionFailed)), "tags are quoted");
        assert!(matches!(check(None, 3), Err(ApiError::PreconditionRequired)));
    }
}
