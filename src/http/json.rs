//! A JSON body extractor that answers in problems: 415 for the wrong content type, 413 past the size
//! limit, 400 for broken JSON, 422 naming the offending field for JSON of the wrong shape.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The largest body ordinary routes accept, the larger one bulk JSON bodies accept, and the largest file an
/// import streams to disk; set as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub json: usize,
    pub bulk: usize,
    pub upload: u64,
}

/// A parsed JSON request body, at most `BodyLimit::json` bytes.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// A parsed JSON request body for bulk imports, at most `BodyLimit::bulk` bytes.
#[derive(Debug)]
pub struct BulkJson<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(1024 * 1024, |l| l.json);
        let body = read_json(req, payload, limit, false);
        Box::pin(async move { body.await.map(Json) })
    }
}

impl<T: DeserializeOwned + Send + 'static> FromRequest for BulkJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(64 * 1024 * 1024, |l| l.bulk);
        let body = read_json(req, payload, limit, true);
        Box::pin(async move { body.await.map(BulkJson) })
    }
}

/// Reads and parses the body; `off_thread` parses on the blocking pool (bulk bodies of many megabytes
/// must not hold up an async worker).
fn read_json<T: DeserializeOwned + Send + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    off_thread: bool,
) -> impl Future<Output = Result<T, ApiError>> + 'static {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let declared_length =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if !content_type.as_deref().is_some_and(is_json) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "expected a JSON body (Content-Type: application/json), got {}",
                content_type.as_deref().unwrap_or("no Content-Type")
            )));
        }
        if declared_length.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedBody { detail: e.to_string() })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        if off_thread { actix_web::web::block(move || parse_json(&body)).await? } else { parse_json(&body) }
    }
}

/// `application/json`, or any `+json` type such as `application/geo+json`.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, reporting shape errors with the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() { shape_error(&path, &inner) } else { malformed(&inner) }
    })?;
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::MalformedBody { detail: format!("the body is not valid JSON: {e}") }
}

fn shape_error(path: &str, e: &serde_json::Error) -> ApiError {
    // serde_json appends " at line L column C"; the field path says more.
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
    // A missing field is reported on its parent; name the field itself.
    let field = match message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        Some(name) if path == "." => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None if path == "." => "body".to_owned(),
        None => path.to_owned(),
    };
    let message = if message.starts_with("missing field") {
        "is required"
    } else if message.contains("did not match any variant of untagged enum") {
        // serde names the Rust type; say what the client can act on.
        "does not match any of the accepted forms (see the request schema)"
    } else {
        message
    };
    ApiError::validation(vec![FieldError::new(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Cell {
        code: String,
        level: u8,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse_json::<Cell>(body.as_bytes()).unwrap_err() {
            ApiError::Validation { errors, .. } => (errors[0].field.clone(), errors[0].message.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_missing_and_mistyped_fields() {
        assert_eq!(field_of(r#"{"level": 1}"#), ("code".into(), "is required".into()));
        assert_eq!(field_of(r#"{"code": "x", "level": 900}"#).0, "level");
        assert_eq!(field_of(r#"{"code": "x", "level": 1, "inner": {}}"#).0, "inner.name");
    }

    #[test]
    fn no_rust_type_names_reach_the_client() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(untagged)]
        #[allow(dead_code)]
        enum Either {
            A { a: u8 },
            B { b: u8 },
        }
        match parse_json::<Either>(br#"{"c": 1}"#).unwrap_err() {
            ApiError::Validation { errors, .. } => assert!(!errors[0].message.contains("Either"), "{errors:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed_not_validation() {
        for body in [r#"{"code": "x""#, "not json", r#"{"code":"x","level":1} trailing"#] {
            assert!(matches!(parse_json::<Cell>(body.as_bytes()), Err(ApiError::MalformedBody { .. })), "{body}");
        }
    }

    #[test]
    fn accepts_json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/geo+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
