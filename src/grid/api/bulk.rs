//! GeoJSON in and out: the grid as an OGC-API-Features-style FeatureCollection, and the all-or-nothing
//! bulk import of one.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};

use super::cells::{CellQuery, cell_filter};
use super::{CrsParam, DraftError, RawCell, parse_draft};
use crate::auth::{Caller, CallerCache};
use crate::config::Settings;
use crate::db::Db;
use crate::domain::access::Permission;
use crate::domain::geometry::GeometryJson;
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::grid::service::{self, ImportFile, ImportSummary};
use crate::grid::store;

use crate::http::{BulkJson, cursor, next_href, parse_json};

const GEO_JSON: &str = "application/geo+json";
const FEATURES_MAX_LIMIT: i64 = 10_000;

/// Paging of features.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeaturePage {
    /// Features per page, 1–10000 (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<i64>,
    /// Opaque cursor from the `next` link of the previous page.
    cursor: Option<String>,
}

/// A FeatureCollection of grid cells.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "210102", "geometry": {"type": "Polygon", "coordinates": [[[123.35, 41.74], [123.45, 41.74], [123.45, 41.82], [123.35, 41.82], [123.35, 41.74]]]},
                  "properties": {"code": "210102", "name": "和平区", "level": 2, "parent_code": "210100", "valid_from": "2026-01-01", "valid_to": null}}],
    "numberReturned": 1, "links": []
}))]
pub struct CellFeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// One feature per cell; `properties` holds the cell's fields and its free properties.
    #[schema(value_type = Vec<Object>)]
    features: Vec<Value>,
    /// Features in this page.
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    /// `next` link when more features follow.
    #[schema(value_type = Vec<Object>)]
    links: Vec<Value>,
}

/// Export grid cells as GeoJSON
///
/// Cells with their boundaries as a FeatureCollection (`application/geo+json`), filtered like the cell
/// list and paged with a `next` link; coordinates in the requested `crs`.
#[utoipa::path(
    operation_id = "export_grid_features",
    tag = "grid",
    params(CellQuery, FeaturePage, CrsParam),
    responses(
        (status = 200, description = "A page of features", body = CellFeatureCollection, content_type = "application/geo+json"),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/features")]
pub async fn features(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<CellQuery>,
    page: web::Query<FeaturePage>,
    crs: web::Query<CrsParam>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let limit = page.limit.unwrap_or(1000);
    if !(1..=FEATURES_MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(vec![FieldError::new("limit", "must be between 1 and 10000")]));
    }
    let (mut filter, within) = cell_filter(query.into_inner(), crs.crs, settings.today())?;
    filter.after = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let seer = caller.clone();
    let in_tree_order = within.is_some();
    let mut rows = db.run(move |conn| service::list_cells(conn, &seer, filter, within, limit + 1)).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let mut links = Vec::new();
    if let Some(last) = rows.last().filter(|_| more) {
        links.push(
            json!({"rel": "next", "type": GEO_JSON, "href": next_href(&req, "cursor", &cursor::encode(&store::sort_key(last, in_tree_order)))}),
        );
    }
    let features = rows
        .into_iter()
        .map(|row| {
            let geometry: GeometryJson = serde_json::from_str(&row.boundary).map_err(ApiError::internal)?;
            let mut properties: Map<String, Value> =
                serde_json::from_str(&row.properties).map_err(ApiError::internal)?;
            properties.insert("code".into(), row.code.clone().into());
            properties.insert("name".into(), row.name.into());
            properties.insert("level".into(), row.level.into());
            properties.insert("parent_code".into(), row.parent_code.into());
            properties.insert("valid_from".into(), row.valid_from.to_string().into());
            properties.insert("valid_to".into(), row.valid_to.map(|d| d.to_string()).into());
            Ok(json!({
                "type": "Feature",
                "id": row.code,
                "geometry": geometry.map_positions(|x, y| crs.crs.from_wgs84(x, y)),
                "properties": properties,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let body = CellFeatureCollection { kind: "FeatureCollection", number_returned: features.len(), features, links };
    Ok(HttpResponse::Ok().content_type(GEO_JSON).json(body))
}

/// A GeoJSON FeatureCollection of cells to import.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "properties": {"code": "210102", "name": "和平区", "level": 2, "parent_code": "210100"},
                  "geometry": {"type": "Polygon", "coordinates": [[[123.35, 41.74], [123.45, 41.74], [123.45, 41.82], [123.35, 41.82], [123.35, 41.74]]]}}]
}))]
pub struct GridImport {
    /// Must be `FeatureCollection`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // checked by deserialisation
    kind: CollectionKind,
    /// The cells; each is checked separately so every bad one is reported.
    #[schema(value_type = Vec<GridFeature>)]
    features: Vec<Value>,
}

/// One cell to import.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GridFeature {
    /// Must be `Feature`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // checked by deserialisation
    kind: FeatureKind,
    /// `code`, `name`, `level` and `parent_code` (plus optional `valid_from`); everything else is kept
    /// as the cell's free properties.
    properties: FeatureProperties,
    /// Polygon or MultiPolygon boundary in the request's `crs`.
    geometry: GeometryJson,
}

#[derive(Debug, Deserialize, ToSchema)]
enum FeatureKind {
    Feature,
}

#[derive(Debug, Deserialize, ToSchema)]
enum CollectionKind {
    FeatureCollection,
}

/// Properties of an imported feature.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FeatureProperties {
    /// Permanent cell code (a string; numbers are accepted and converted).
    #[schema(value_type = String)]
    code: CodeValue,
    /// Display name.
    name: String,
    /// Level 1–4.
    level: i64,
    /// Parent code; null or absent at level 1.
    #[schema(value_type = Option<String>)]
    parent_code: Option<CodeValue>,
    /// First day of validity (default today, or unchanged for existing cells).
    valid_from: Option<NaiveDate>,
    /// Any other properties, kept with the cell.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    rest: Map<String, Value>,
}

/// Administrative codes often arrive as numbers.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CodeValue {
    Text(String),
    Number(u64),
}

impl CodeValue {
    fn into_string(self) -> String {
        match self {
            Self::Text(s) => s,
            Self::Number(n) => n.to_string(),
        }
    }
}

/// Import options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Check everything and report what would change, writing nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Import a grid from GeoJSON
///
/// Upserts cells by code from a FeatureCollection (`application/geo+json` or `application/json`).
/// Every feature is checked against every rule before anything is written; if any is bad, nothing is
/// written and the problem lists every bad feature as `features[i]`. Importing the same file again
/// changes nothing.
#[utoipa::path(
    operation_id = "import_grid",
    tag = "grid",
    params(ImportOptions, CrsParam),
    request_body(content = GridImport, content_type = "application/geo+json"),
    responses(
        (status = 200, description = "Imported (or checked, with `dry_run`)", body = ImportSummary),
        (status = 422, description = "Rejected: `grid-import-rejected` (rules) or `validation` (feature shape), each bad feature listed in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/import")]
pub async fn import(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    live: web::Data<LiveIndex>,
    callers: web::Data<CallerCache>,
    options: web::Query<ImportOptions>,
    crs: web::Query<CrsParam>,
    body: BulkJson<GridImport>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridWrite)?;
    let collection = body.0;
    let total = collection.features.len();
    // Scope before geometry: a caller importing outside its subtree is refused before any polygon is checked.
    let placements: Vec<(String, Option<String>)> = collection.features.iter().filter_map(placement).collect();
    let seer = caller.clone();
    db.run(move |conn| service::import_in_scope(conn, &seer, &placements)).await?;
    let max_vertices = settings.grid_max_vertices;
    // Dropped with the request when the client goes away: the check stops at the next feature.
    let cancelled = CancelOnDrop::default();
    let flag = cancelled.0.clone();
    let file = web::block(move || parse_features(collection.features, crs.crs, max_vertices, &flag)).await??;
    drop(cancelled);
    let (tol, today, dry_run) = (settings.grid_tolerances(), settings.today(), options.dry_run);
    let summary = db.transaction(move |conn| service::import(conn, &caller, file, tol, today, dry_run)).await?;
    if summary.created + summary.updated > 0 && !dry_run {
        live.invalidate();
        callers.invalidate();
    }
    tracing::info!(total, created = summary.created, updated = summary.updated, dry_run, "grid import");
    Ok(HttpResponse::Ok().json(summary))
}

/// Parses a FeatureCollection document into checked drafts (used by `airgrid seed`).
pub fn parse_geojson(
    bytes: &[u8],
    crs: crate::domain::crs::Crs,
    max_vertices: usize,
) -> Result<Vec<service::CellDraft>, ApiError> {
    let collection: GridImport = parse_json(bytes)?;
    let file = parse_features(collection.features, crs, max_vertices, &AtomicBool::new(false))?;
    if !file.rejected.is_empty() {
        return Err(ApiError::Rule {
            slug: "grid-import-rejected",
            title: "The grid import was rejected; nothing was written",
            detail: format!("{} problem(s) found; each is listed in `errors`", file.rejected.len()),
            errors: file.rejected,
        });
    }
    Ok(file.features.into_iter().map(|(_, d)| d).collect())
}

/// Sets its flag when dropped: the request it belongs to is over.
#[derive(Default)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A feature's code and parent code as given, when both can be read without parsing the feature.
fn placement(feature: &Value) -> Option<(String, Option<String>)> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let properties = &feature["properties"];
    Some((text(&properties["code"])?, text(&properties["parent_code"])))
}

/// Parses every feature separately, keeping the good ones and the errors of the bad ones; stops when
/// `cancelled` is set (the client is gone).
fn parse_features(
    items: Vec<Value>,
    crs: crate::domain::crs::Crs,
    max_vertices: usize,
    cancelled: &AtomicBool,
) -> Result<ImportFile, ApiError> {
    let mut file = ImportFile::default();
    for (i, item) in items.into_iter().enumerate() {
        if cancelled.load(Ordering::Relaxed) {
            return Err(ApiError::Unavailable("the client went away; the import was not checked".into()));
        }
        let prefix = format!("features[{i}]");
        let code = match &item["properties"]["code"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let feature = match parse_json::<GridFeature>(item.to_string().as_bytes()) {
            Ok(f) => f,
            Err(ApiError::Validation { errors, .. }) => {
                file.rejected
                    .extend(errors.into_iter().map(|e| FieldError { field: format!("{prefix}.{}", e.field), ..e }));
                file.rejected_codes.extend(code);
                continue;
            }
            Err(other) => return Err(other),
        };
        let p = feature.properties;
        let mut properties = p.rest;
        // Exported features carry `valid_to`; retiring is not done by import, and it is not a free property.
        properties.remove("valid_to");
        let raw = RawCell {
            code: p.code.into_string(),
            name: p.name,
            level: p.level,
            parent_code: p.parent_code.map(CodeValue::into_string),
            geometry: feature.geometry,
            properties,
            valid_from: p.valid_from,
        };
        match parse_draft(raw, crs, max_vertices, &format!("{prefix}.properties.")) {
            Ok(draft) => file.features.push((i, draft)),
            Err(DraftError::Fields(errors)) => {
                file.rejected.extend(errors);
                file.rejected_codes.extend(code);
            }
            Err(DraftError::Geometry(v)) => {
                file.rejected.push(FieldError {
                    kind: Some(format!("/problems/{}", v.slug())),
                    ..FieldError::new(format!("{prefix}.geometry"), v.to_string())
                });
                file.rejected_codes.extend(code);
            }
        }
    }
    Ok(file)
}
