//! HTTP surface of the grid: DTOs and handlers. Handlers parse, call the service, shape the answer.

mod bulk;
mod cells;
mod locate;
mod people;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::CellDraft;
use super::store::CellRow;

use crate::domain::crs::Crs;
use crate::domain::geometry::{Boundary, GeometryJson};
use crate::domain::grid::{CellCode, Level, Violation};
use crate::error::{ApiError, FieldError};

pub use bulk::parse_geojson;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1/grid")
            .service(cells::list)
            .service(cells::create)
            .service(cells::get)
            .service(cells::update)
            .service(cells::delete)
            .service(cells::retire)
            .service(cells::children)
            .service(cells::ancestors)
            .service(cells::subtree)
            .service(people::list)
            .service(people::create)
            .service(people::get)
            .service(people::update)
            .service(people::delete)
            .service(bulk::features)
            .service(bulk::import)
            .service(locate::locate),
    );
}

/// Coordinate system of coordinates in the request and response.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrsParam {
    /// `wgs84` (default), `gcj02` (Amap, Tencent, most phone SDKs) or `bd09` (Baidu). Input coordinates
    /// are converted to WGS-84 for storage; output is converted to this system.
    #[serde(default)]
    pub crs: Crs,
}

/// A grid cell with its boundary.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "code": "210102", "name": "和平区", "level": 2, "parent_code": "210100",
    "boundary": {"type": "Polygon", "coordinates": [[[123.35, 41.74], [123.45, 41.74], [123.45, 41.82], [123.35, 41.82], [123.35, 41.74]]]},
    "bbox": [123.35, 41.74, 123.45, 41.82], "properties": {}, "valid_from": "2026-01-01", "valid_to": null,
    "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
}))]
pub struct Cell {
    /// Permanent code of the cell, e.g. an administrative code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// 1 city, 2 district/county, 3 street/township, 4 community/village.
    pub level: i32,
    /// Code of the parent cell; null at level 1.
    pub parent_code: Option<String>,
    /// Boundary, in the requested coordinate system (WGS-84 by default).
    pub boundary: GeometryJson,
    /// Bounding box [min_lon, min_lat, max_lon, max_lat], WGS-84.
    pub bbox: [f64; 4],
    /// Free properties.
    #[schema(value_type = Object)]
    pub properties: Value,
    /// First day the cell applies.
    pub valid_from: NaiveDate,
    /// First day the cell no longer applies (retired); null while current.
    pub valid_to: Option<NaiveDate>,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A grid cell without its boundary, as lists return it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CellSummary {
    /// Permanent code of the cell.
    pub code: String,
    /// Display name.
    pub name: String,
    /// 1 city, 2 district/county, 3 street/township, 4 community/village.
    pub level: i32,
    /// Code of the parent cell; null at level 1.
    pub parent_code: Option<String>,
    /// Bounding box [min_lon, min_lat, max_lon, max_lat], WGS-84.
    pub bbox: [f64; 4],
    /// First day the cell applies.
    pub valid_from: NaiveDate,
    /// First day the cell no longer applies; null while current.
    pub valid_to: Option<NaiveDate>,
}

impl Cell {
    pub fn from_row(row: CellRow, crs: Crs) -> Result<Self, ApiError> {
        let boundary: GeometryJson = serde_json::from_str(&row.boundary).map_err(ApiError::internal)?;
        Ok(Self {
            boundary: boundary.map_positions(|x, y| crs.from_wgs84(x, y)),
            properties: serde_json::from_str(&row.properties).map_err(ApiError::internal)?,
            bbox: [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
            code: row.code,
            name: row.name,
            level: row.level,
            parent_code: row.parent_code,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

impl From<CellRow> for CellSummary {
    fn from(row: CellRow) -> Self {
        Self {
            bbox: [row.min_lon, row.min_lat, row.max_lon, row.max_lat],
            code: row.code,
            name: row.name,
            level: row.level,
            parent_code: row.parent_code,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
        }
    }
}

/// What a draft cell failed on: shape of the fields, or its geometry.
enum DraftError {
    Fields(Vec<FieldError>),
    Geometry(Violation),
}

/// Raw cell fields, as they arrive in a body or in a GeoJSON feature's properties.
struct RawCell {
    code: String,
    name: String,
    level: i64,
    parent_code: Option<String>,
    geometry: GeometryJson,
    properties: Map<String, Value>,
    valid_from: Option<NaiveDate>,
}

/// Parses every field, reporting all that are wrong at once; `prefix` locates them in the body.
fn parse_draft(raw: RawCell, crs: Crs, max_vertices: usize, prefix: &str) -> Result<CellDraft, DraftError> {
    let mut errors = Vec::new();
    let code = CellCode::parse(&raw.code).map_err(|m| errors.push(FieldError::new(format!("{prefix}code"), m))).ok();
    let name = parse_name(&raw.name).map_err(|m| errors.push(FieldError::new(format!("{prefix}name"), m))).ok();
    let level = Level::try_from(raw.level).map_err(|m| errors.push(FieldError::new(format!("{prefix}level"), m))).ok();
    let parent = raw
        .parent_code
        .as_deref()
        .map(CellCode::parse)
        .transpose()
        .map_err(|m| errors.push(FieldError::new(format!("{prefix}parent_code"), m)))
        .ok()
        .flatten();
    let (Some(code), Some(name), Some(level)) = (code, name, level) else { return Err(DraftError::Fields(errors)) };
    if !errors.is_empty() {
        return Err(DraftError::Fields(errors));
    }
    let geometry = raw.geometry.map_positions(|x, y| crs.to_wgs84(x, y));
    let boundary = Boundary::parse(&geometry, max_vertices)
        .map_err(|reason| DraftError::Geometry(Violation::InvalidGeometry { code: code.to_string(), reason }))?;
    Ok(CellDraft {
        code,
        name,
        level,
        parent,
        geometry,
        boundary,
        properties: raw.properties,
        valid_from: raw.valid_from,
    })
}

fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    match name.chars().count() {
        1..=100 => Ok(name.to_owned()),
        _ => Err("must be 1–100 characters".into()),
    }
}

fn parse_code(raw: &str) -> Result<CellCode, ApiError> {
    CellCode::parse(raw).map_err(|m| ApiError::InvalidParameter { detail: format!("cell code: {m}") })
}
