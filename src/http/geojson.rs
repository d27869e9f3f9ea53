//! Lists of located records as GeoJSON FeatureCollections (OGC API Features style), for command platforms
//! that put them on a map: `f=geojson` or `Accept: application/geo+json`, paged like the JSON lists.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Page, next_href, next_link};
use crate::error::{ApiError, FieldError};

/// A GeoJSON Feature: a record at a point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feature<T> {
    #[serde(rename = "type")]
    #[schema(example = "Feature")]
    kind: &'static str,
    id: String,
    /// A Point.
    #[schema(value_type = Object, example = json!({"type": "Point", "coordinates": [123.43, 41.80]}))]
    geometry: serde_json::Value,
    properties: T,
}

/// A page of records as a GeoJSON FeatureCollection.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureCollection<T> {
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    kind: &'static str,
    features: Vec<Feature<T>>,
    /// Features in this page.
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    /// `rel: next` when there are more.
    #[schema(value_type = Vec<Object>)]
    links: Vec<serde_json::Value>,
    #[serde(rename = "timeStamp")]
    time_stamp: DateTime<Utc>,
}

/// Whether the caller asked for GeoJSON: `f=geojson` (`f=json` for JSON), else its `Accept` header.
pub fn wanted(req: &HttpRequest, f: Option<&str>) -> Result<bool, ApiError> {
    match f {
        Some("geojson") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::validation(vec![FieldError::new("f", format!("{other} is not json or geojson"))])),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/geo+json"))),
    }
}

/// The page as a FeatureCollection, each record at `point` (lon, lat) named by `id`, with the next page
/// as a link and a `Link` header.
pub fn respond<T: Serialize>(
    req: &HttpRequest,
    page: Page<T>,
    id: impl Fn(&T) -> String,
    point: impl Fn(&T) -> (f64, f64),
) -> HttpResponse {
    let links = page
        .next_cursor
        .iter()
        .map(
            |c| serde_json::json!({"rel": "next", "type": "application/geo+json", "href": next_href(req, "cursor", c)}),
        )
        .collect();
    let features: Vec<Feature<T>> = page
        .items
        .into_iter()
        .map(|item| {
            let (lon, lat) = point(&item);
            Feature {
                kind: "Feature",
                id: id(&item),
                geometry: serde_json::json!({"type": "Point", "coordinates": [lon, lat]}),
                properties: item,
            }
        })
        .collect();
    let collection = FeatureCollection {
        kind: "FeatureCollection",
        number_returned: features.len(),
        features,
        links,
        time_stamp: Utc::now(),
    };
    let mut res = HttpResponse::Ok();
    if let Some(link) = page.next_cursor.as_deref().and_then(|c| next_link(req, "cursor", c)) {
        res.insert_header((header::LINK, link));
    }
    res.content_type("application/geo+json").json(collection)
}
