//! HTTP plumbing shared by every capability: body and query extractors that fail with problems, the
//! fallback for unknown routes and wrong methods, and the guarantee that every error is problem+json.

pub mod csv_export;
pub mod cursor;
mod etag;
mod fallback;
pub mod form;
pub mod geojson;
mod json;
mod page;

pub use etag::{IfMatch, etag};
pub use fallback::{RouteTable, not_found_or_wrong_method, problems_everywhere};
pub use json::{BodyLimit, BulkJson, Json, parse_json};
pub use page::{Page, PageParams, next_href, next_link};

use actix_web::web;
use chrono::{DateTime, Utc};

use crate::error::{ApiError, FieldError};

/// Extractor settings that turn the framework's query and path errors into problems.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        // Not the framework's wording ("Query deserialize error: …"): the cause alone.
        let cause = match &err {
            actix_web::error::QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::InvalidParameter { detail: format!("query string: {cause}") }.into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::InvalidParameter { detail: format!("path: {err}") }.into()),
    );
}

/// Parses a time field: RFC 3339, or a local time in the city's zone.
pub fn parse_time(raw: &str, tz: chrono_tz::Tz, field: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    crate::domain::time::parse(raw, tz).map_err(|m| errors.push(FieldError::new(field, m))).ok()
}

/// Parses a pollutant name (`PM2.5` and `pm2_5` alike), pushing a problem naming `field` when it is none.
pub fn parse_pollutant(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<crate::domain::aqi::Pollutant> {
    let parsed = crate::domain::aqi::Pollutant::parse(raw);
    if parsed.is_none() {
        errors.push(FieldError::new(field, "one of so2, no2, co, o3, pm10, pm2_5"));
    }
    parsed
}

/// An image from the object store, for callers who may see it: cached privately, its digest as the ETag.
pub fn image(media_type: String, sha256: &str, bytes: actix_web::web::Bytes) -> actix_web::HttpResponse {
    use actix_web::http::header;
    actix_web::HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
        .insert_header((header::ETAG, format!("\"{sha256}\"")))
        .body(bytes)
}

/// How many records a write recorded.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Recorded {
    pub recorded: usize,
}

/// Trims and checks a free text of at most `max` characters (`""` with the problem pushed to `errors`).
pub fn required_text(raw: &str, max: usize, field: &str, errors: &mut Vec<FieldError>) -> String {
    crate::domain::incident::text(raw, max).unwrap_or_else(|m| {
        errors.push(FieldError::new(field, m));
        String::new()
    })
}

/// Trims and checks an optional free text; blank is none.
pub fn optional_text(raw: Option<&str>, max: usize, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw.filter(|t| !t.trim().is_empty())?;
    crate::domain::incident::text(raw, max).map_err(|m| errors.push(FieldError::new(field, m))).ok()
}

/// Deserialises `Option<Option<T>>` fields: absent keeps the value, `null` clears it.
pub fn double_option<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
