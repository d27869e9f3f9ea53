//! The register of known heat sources: register, list, retire.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use geo::CoordsIter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::crs::Crs;
use crate::domain::fire::{HeatShape, HeatSource, HeatSourceKind};
use crate::domain::geometry::{Boundary, GeometryJson};
use crate::error::{ApiError, FieldError, Problem};
use crate::fire_points::heat_sources::{self, NewHeatSource};
use crate::fire_points::store::HeatSourceRow;
use crate::grid::live::LiveIndex;
use crate::http::{Json, Page, PageParams};

/// Radius around a heat source when none is given, in metres.
const DEFAULT_RADIUS_M: f64 = 500.0;
const MAX_RADIUS_M: f64 = 5_000.0;
/// A site's outline is drawn by hand, not surveyed.
const MAX_OUTLINE_VERTICES: usize = 1_000;

fn check_radius(radius_m: Option<f64>, field: &str, errors: &mut Vec<FieldError>) -> f64 {
    let radius = radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !(0.0..=MAX_RADIUS_M).contains(&radius) {
        errors.push(FieldError::new(field, format!("must be between 0 and {MAX_RADIUS_M} metres")));
    }
    radius
}

fn check_name(name: &str, field: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(field, "must be 1–100 characters"));
    }
    name.to_owned()
}

/// A heat source to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "沈阳某热电厂", "kind": "power_plant", "lon": 123.38, "lat": 41.81, "crs": "gcj02", "radius_m": 800}))]
pub struct NewHeatSourceBody {
    /// Up to 100 characters.
    #[schema(max_length = 100)]
    pub name: String,
    pub kind: HeatSourceKind,
    /// Where it is (a chimney, the site's middle), in `crs`; it must lie in the caller's part of the grid.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// The coordinate system of `lon`, `lat` and `boundary`: `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    pub crs: Crs,
    /// The site's outline, if it is larger than a point: at most 1,000 positions, in the caller's part of the
    /// grid, with the position on it or within its radius.
    pub boundary: Option<GeometryJson>,
    /// Detections within this many metres of the outline (of the point without one) are screened (0–5000,
    /// default 500).
    #[schema(minimum = 0, maximum = 5000)]
    pub radius_m: Option<f64>,
    /// Up to 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A ground finding's place, to add to the register at the fire event's position.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterFinding {
    /// Up to 100 characters.
    #[schema(max_length = 100)]
    pub name: String,
    pub kind: HeatSourceKind,
    /// 0–5000 metres, default 500.
    #[schema(minimum = 0, maximum = 5000)]
    pub radius_m: Option<f64>,
}

impl RegisterFinding {
    /// The name, kind and radius, or `None` with what is wrong pushed to `errors`.
    pub fn parse(self, errors: &mut Vec<FieldError>) -> Option<(String, HeatSourceKind, f64)> {
        let before = errors.len();
        let name = check_name(&self.name, "register.name", errors);
        let radius = check_radius(self.radius_m, "register.radius_m", errors);
        (errors.len() == before).then_some((name, self.kind, radius))
    }
}

/// A registered heat source.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HeatSourceDto {
    pub id: String,
    pub name: String,
    pub kind: HeatSourceKind,
    /// WGS-84.
    pub lon: f64,
    pub lat: f64,
    /// The site's outline in WGS-84, if any.
    pub boundary: Option<GeometryJson>,
    pub radius_m: f64,
    pub note: Option<String>,
    /// The deepest cell its position lies in.
    pub cell_code: String,
    /// The fire event whose ground finding added it.
    pub fire_event_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl HeatSourceDto {
    fn of(row: HeatSourceRow) -> Result<Self, ApiError> {
        Ok(Self {
            kind: HeatSourceKind::parse(&row.kind)
                .ok_or_else(|| ApiError::internal(format!("stored kind {}", row.kind)))?,
            boundary: row.boundary.as_deref().map(serde_json::from_str).transpose().map_err(ApiError::internal)?,
            id: row.id,
            name: row.name,
            lon: row.lon,
            lat: row.lat,
            radius_m: row.radius_m,
            note: row.note,
            cell_code: row.cell_code,
            fire_event_id: row.fire_event_id,
            created_by: row.created_by,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// Register a heat source
///
/// A power plant, steelworks, refinery, kiln or other static heat source in the caller's part of the grid
/// (`fire:manage`): later satellite detections on its site or within its radius are kept but not
/// dispatched, with the reason `heat_source`.
#[utoipa::path(
    operation_id = "create_heat_source",
    tag = "fire points",
    request_body = NewHeatSourceBody,
    responses(
        (status = 201, description = "Registered", body = HeatSourceDto),
        (status = 403, description = "The caller may not keep the register (`fire:manage`), or the place is outside its part of the grid", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad body, an outline that is not a valid polygon, or a position outside the grid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/heat-sources")]
pub async fn create(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<Settings>,
    body: Json<NewHeatSourceBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let name = check_name(&b.name, "name", &mut errors);
    let radius_m = check_radius(b.radius_m, "radius_m", &mut errors);
    if !(-180.0..=180.0).contains(&b.lon) || !(-90.0..=90.0).contains(&b.lat) {
        errors.push(FieldError::new("lon", "is not a longitude −180…180 with a latitude −90…90"));
    }
    if b.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new("note", "must be at most 2000 characters"));
    }
    let crs = b.crs;
    let (lon, lat) = crs.to_wgs84(b.lon, b.lat);
    let boundary = b.boundary.map(|g| g.map_positions(|x, y| crs.to_wgs84(x, y)));
    let today = Utc::now().with_timezone(&settings.timezone).date_naive();
    let snapshot = live.current(&db, today).await?;
    let deepest = |lon: f64, lat: f64| snapshot.index.locate(lon, lat).last().map(|c| c.code.to_string());
    // The outline's corners must each lie in the grid (the service holds them to the caller's part of it),
    // and the position on the site or within its radius.
    let mut outline_cells = std::collections::BTreeSet::new();
    match boundary.as_ref().map(|g| Boundary::parse(g, MAX_OUTLINE_VERTICES)) {
        Some(Err(e)) => errors.push(FieldError::new("boundary", e.to_string())),
        Some(Ok(outline)) => {
            for c in outline.shape().coords_iter() {
                match deepest(c.x, c.y) {
                    Some(code) => drop(outline_cells.insert(code)),
                    None => {
                        errors.push(FieldError::new("boundary", "reaches outside the grid"));
                        break;
                    }
                }
            }
            let site = HeatSource { shape: HeatShape::Site(outline.into_shape()), radius_m };
            if !site.covers(lon, lat) {
                errors.push(FieldError::new("lon", "lies neither on the site nor within its radius"));
            }
        }
        None => {}
    }
    let Some(cell) = deepest(lon, lat).filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            errors.push(FieldError::new("lon", "lies outside the grid"));
        }
        return Err(ApiError::validation(errors));
    };
    let new = NewHeatSource {
        name,
        kind: b.kind,
        lon,
        lat,
        boundary,
        outline_cells: outline_cells.into_iter().collect(),
        radius_m,
        note: b.note,
    };
    let row = db.transaction(move |conn| heat_sources::create(conn, &caller, &cell, new)).await?;
    Ok(HttpResponse::Created().json(HeatSourceDto::of(row)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeatSourceQuery {
    /// The cell with this code and everything below it.
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210102")]
    cell: Option<String>,
    /// Only this kind.
    #[param(value_type = Option<HeatSourceKind>)]
    kind: Option<String>,
}

/// List heat sources
///
/// The heat sources in force in the caller's part of the grid, with cursor pages.
#[utoipa::path(
    operation_id = "list_heat_sources",
    tag = "fire points",
    params(HeatSourceQuery, PageParams),
    responses(
        (status = 200, description = "A page of heat sources", body = Page<HeatSourceDto>),
        (status = 422, description = "Unknown cell or kind", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/heat-sources")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    query: web::Query<HeatSourceQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let HeatSourceQuery { cell, kind } = query.into_inner();
    let kind = match kind.as_deref().map(HeatSourceKind::parse) {
        Some(None) => {
            let known: Vec<&str> = HeatSourceKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(ApiError::validation(vec![FieldError::new("kind", format!("one of {}", known.join(", ")))]));
        }
        parsed => parsed.flatten(),
    };
    let (limit, after) = (page.limit()?, page.after()?);
    let rows = db.run(move |conn| heat_sources::list(conn, &caller, cell.as_deref(), kind, after, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |h| h.id.clone());
    let items = page.items.into_iter().map(HeatSourceDto::of).collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor }.respond(&req))
}

/// Retire a heat source
///
/// Later detections there are dispatched again; detections it screened stay as they were.
#[utoipa::path(
    operation_id = "retire_heat_source",
    tag = "fire points",
    params(("id" = String, Path, description = "Heat source id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 204, description = "Retired"),
        (status = 403, description = "The caller may not keep the register (`fire:manage`), or it is outside its part of the grid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No heat source in force here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/api/v1/heat-sources/{id}")]
pub async fn retire(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db.transaction(move |conn| heat_sources::retire(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
