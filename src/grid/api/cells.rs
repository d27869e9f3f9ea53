//! Cells: list, read, create, change, retire, delete, and walk the hierarchy.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::{Cell, CellSummary, CrsParam, DraftError, RawCell, parse_code, parse_draft, parse_name};
use crate::auth::{Caller, CallerCache};
use crate::config::Settings;
use crate::db::Db;
use crate::domain::access::Permission;
use crate::domain::crs::{Crs, parse_bbox};
use crate::domain::geometry::{Boundary, GeometryJson};
use crate::domain::grid::{CellCode, Violation};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::grid::service::{self, CellChanges, rejected};
use crate::grid::store::{self, CellFilter, CellRow};
use crate::http::{IfMatch, Json, Page, PageParams, etag};

/// Filters for cell lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CellQuery {
    /// Only cells of this level (1–4).
    #[param(minimum = 1, maximum = 4)]
    level: Option<i64>,
    /// Only direct children of the cell with this code.
    #[param(value_type = Option<CellCode>)]
    parent: Option<String>,
    /// Only the cell with this code and everything below it.
    #[param(value_type = Option<CellCode>)]
    within: Option<String>,
    /// Only codes starting with this prefix, e.g. `210102`.
    code_prefix: Option<String>,
    /// Only names containing this text (case-insensitive).
    name: Option<String>,
    /// Only cells whose bounding box meets `min_lon,min_lat,max_lon,max_lat` (in `crs`, WGS-84 by default).
    #[param(pattern = "^-?[0-9]+(\\.[0-9]+)?(,-?[0-9]+(\\.[0-9]+)?){3}$", example = "123.35,41.74,123.45,41.82")]
    bbox: Option<String>,
    /// Only cells valid on this day (default: today in the city's time zone).
    as_of: Option<NaiveDate>,
}

/// Parses list filters into a store filter; `within` stays a code for the service to resolve in scope.
pub(super) fn cell_filter(q: CellQuery, crs: Crs, today: NaiveDate) -> Result<(CellFilter, Option<String>), ApiError> {
    let mut errors = Vec::new();
    if let Some(level) = q.level.filter(|l| !(1..=4).contains(l)) {
        errors.push(FieldError::new("level", format!("{level} is not between 1 and 4")));
    }
    let bbox = q.bbox.as_deref().map(|raw| parse_bbox(raw, crs)).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("bbox", m));
        None
    });
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let filter = CellFilter {
        level: q.level.map(|l| l as i32),
        parent: q.parent,
        code_prefix: q.code_prefix,
        name: q.name,
        bbox,
        as_of: Some(q.as_of.unwrap_or(today)),
        ..Default::default()
    };
    Ok((filter, q.within))
}

async fn list_page(
    db: &Db,
    caller: &Caller,
    (mut filter, within): (CellFilter, Option<String>),
    page: &PageParams,
) -> Result<Page<CellSummary>, ApiError> {
    let limit = page.limit()?;
    filter.after = page.after()?;
    let caller = caller.clone();
    let in_tree_order = within.is_some();
    let rows = db.run(move |conn| service::list_cells(conn, &caller, filter, within, limit + 1)).await?;
    Ok(Page::from_rows(rows, limit, |row| store::sort_key(row, in_tree_order)).map(CellSummary::from))
}

/// List grid cells
///
/// Cells valid today (or on `as_of`), ordered by code (with `within`: in tree order, each cell before
/// its children and siblings by code), without boundaries; filter by level, parent, subtree, code prefix,
/// name or bounding box. Use `/grid/features` for boundaries as GeoJSON.
#[utoipa::path(
    operation_id = "list_cells",
    tag = "grid",
    params(CellQuery, CrsParam, PageParams),
    responses(
        (status = 200, description = "One page of cells; a `Link: rel=\"next\"` header points to the next", body = inline(Page<CellSummary>)),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<CellQuery>,
    crs: web::Query<CrsParam>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let filter = cell_filter(query.into_inner(), crs.crs, settings.today())?;
    Ok(list_page(&db, &caller, filter, &page).await?.respond(&req))
}

/// A new cell.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "210102", "name": "和平区", "level": 2, "parent_code": "210100",
    "boundary": {"type": "Polygon", "coordinates": [[[123.35, 41.74], [123.45, 41.74], [123.45, 41.82], [123.35, 41.82], [123.35, 41.74]]]}
}))]
pub struct NewCell {
    /// Permanent, unique code: 1–64 letters, digits, `-`, `_` or `.`.
    #[schema(value_type = CellCode)]
    code: String,
    /// Display name, 1–100 characters.
    #[schema(pattern = "\\S", max_length = 100)]
    name: String,
    /// 1 city, 2 district/county, 3 street/township, 4 community/village; exactly one below the parent.
    #[schema(minimum = 1, maximum = 4)]
    level: i64,
    /// Code of the parent cell; omit only at level 1.
    #[schema(value_type = Option<CellCode>)]
    parent_code: Option<String>,
    /// Polygon or MultiPolygon, in the `crs` of the request (WGS-84 by default).
    boundary: GeometryJson,
    /// Free properties (a JSON object).
    #[serde(default)]
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
    /// First day the cell applies (default today).
    valid_from: Option<NaiveDate>,
}

/// Create a grid cell
///
/// The cell must be exactly one level below its parent, lie inside it and not overlap its siblings
/// (within the configured tolerances), and have a valid boundary.
#[utoipa::path(
    operation_id = "create_cell",
    tag = "grid",
    params(CrsParam),
    request_body = NewCell,
    responses(
        (status = 201, description = "Created; `Location` and `ETag` headers are set", body = Cell),
        (status = 422, description = "A grid rule is broken: `grid-wrong-level`, `grid-unknown-parent`, `grid-cycle`, `grid-duplicate-code`, `grid-invalid-geometry`, `grid-outside-parent`, `grid-sibling-overlap`, or `validation`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cells")]
pub async fn create(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    live: web::Data<LiveIndex>,
    callers: web::Data<CallerCache>,
    crs: web::Query<CrsParam>,
    body: Json<NewCell>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridWrite)?;
    let b = body.0;
    let raw = RawCell {
        code: b.code,
        name: b.name,
        level: b.level,
        parent_code: b.parent_code,
        geometry: b.boundary,
        properties: b.properties,
        valid_from: b.valid_from,
    };
    let draft = match parse_draft(raw, crs.crs, settings.grid_max_vertices, "") {
        Ok(draft) => draft,
        Err(DraftError::Fields(errors)) => return Err(ApiError::validation(errors)),
        Err(DraftError::Geometry(v)) => return Err(rejected(vec![v])),
    };
    let (tol, today) = (settings.grid_tolerances(), settings.today());
    let row = db.transaction(move |conn| service::create_cell(conn, &caller, draft, tol, today)).await?;
    live.invalidate();
    callers.invalidate();
    let location = format!("/api/v1/grid/cells/{}", row.code);
    cell_response(HttpResponse::Created().insert_header((header::LOCATION, location)), row, crs.crs)
}

fn cell_response(
    builder: &mut actix_web::HttpResponseBuilder,
    row: CellRow,
    crs: crate::domain::crs::Crs,
) -> Result<HttpResponse, ApiError> {
    let version = row.version;
    Ok(builder.insert_header((header::ETAG, etag(version))).json(Cell::from_row(row, crs)?))
}

/// Get a grid cell
///
/// The cell with its boundary, current or retired; the `ETag` header carries its version.
#[utoipa::path(
    operation_id = "get_cell",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102"), CrsParam),
    responses(
        (status = 200, description = "The cell", body = Cell),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}")]
pub async fn get(
    caller: Caller,
    db: web::Data<Db>,
    code: web::Path<String>,
    crs: web::Query<CrsParam>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let code = parse_code(&code)?;
    let row = db.run(move |conn| service::visible_cell(conn, &caller, &code)).await?;
    cell_response(&mut HttpResponse::Ok(), row, crs.crs)
}

/// Changes to a cell; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "和平区网格"}))]
pub struct CellPatch {
    /// New display name.
    #[schema(pattern = "\\S", max_length = 100)]
    name: Option<String>,
    /// New parent, at the same level as the old one (moves the whole subtree).
    #[schema(value_type = Option<CellCode>)]
    parent_code: Option<String>,
    /// New boundary, in the `crs` of the request.
    boundary: Option<GeometryJson>,
    /// Replaces the free properties.
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
    /// New first day of validity.
    valid_from: Option<NaiveDate>,
}

/// Change a grid cell
///
/// Requires `If-Match` with the cell's current ETag. The rules are checked again, including that the
/// cell's children still fit inside a changed boundary.
#[utoipa::path(
    operation_id = "update_cell",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the cell", example = "\"1\""),
        CrsParam,
    ),
    request_body = CellPatch,
    responses(
        (status = 200, description = "The changed cell, with its new ETag", body = Cell),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cell is retired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A grid rule is broken or a field is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/cells/{code}")]
pub async fn update(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    live: web::Data<LiveIndex>,
    callers: web::Data<CallerCache>,
    code: web::Path<String>,
    crs: web::Query<CrsParam>,
    if_match: IfMatch,
    body: Json<CellPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridWrite)?;
    let code = parse_code(&code)?;
    let patch = body.0;
    let mut errors = Vec::new();
    let name = patch
        .name
        .as_deref()
        .map(parse_name)
        .transpose()
        .map_err(|m| errors.push(FieldError::new("name", m)))
        .ok()
        .flatten();
    let parent = patch
        .parent_code
        .as_deref()
        .map(CellCode::parse)
        .transpose()
        .map_err(|m| errors.push(FieldError::new("parent_code", m)))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let geometry = match patch.boundary {
        Some(json) => {
            let json = json.map_positions(|x, y| crs.crs.to_wgs84(x, y));
            let boundary = Boundary::parse(&json, settings.grid_max_vertices)
                .map_err(|reason| rejected(vec![Violation::InvalidGeometry { code: code.to_string(), reason }]))?;
            Some((json, boundary))
        }
        None => None,
    };
    let changes = CellChanges { name, parent, geometry, properties: patch.properties, valid_from: patch.valid_from };
    let (tol, today) = (settings.grid_tolerances(), settings.today());
    let row =
        db.transaction(move |conn| service::update_cell(conn, &caller, &code, changes, if_match, tol, today)).await?;
    live.invalidate();
    callers.invalidate();
    cell_response(&mut HttpResponse::Ok(), row, crs.crs)
}

/// When a retirement takes effect.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// First day the cell and its subtree no longer apply (default today).
    #[schema(example = "2026-12-01")]
    on: Option<NaiveDate>,
}

/// Retire a grid cell and its subtree
///
/// Re-gridding retires cells instead of deleting them: the cell, every cell below it and their
/// responsible-person assignments end on the given day; history stays queryable with `as_of`.
#[utoipa::path(
    operation_id = "retire_cell",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102001"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the cell", example = "\"1\""),
    ),
    request_body = Retirement,
    responses(
        (status = 200, description = "The retired cell", body = Cell),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already retired", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/cells/{code}/retire")]
pub async fn retire(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    live: web::Data<LiveIndex>,
    callers: web::Data<CallerCache>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: Json<Retirement>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridWrite)?;
    let code = parse_code(&code)?;
    let day = body.0.on.unwrap_or_else(|| settings.today());
    let row = db.transaction(move |conn| service::retire_cell(conn, &caller, &code, day, if_match)).await?;
    live.invalidate();
    callers.invalidate();
    cell_response(&mut HttpResponse::Ok(), row, Default::default())
}

/// Delete a grid cell
///
/// Only for a cell created by mistake: one with children or responsible-person records answers
/// `grid-cell-in-use`; retire it instead.
#[utoipa::path(
    operation_id = "delete_cell",
    tag = "grid",
    params(
        ("code" = CellCode, Path, description = "Cell code", example = "210102001"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the cell", example = "\"1\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The cell is still referenced (`grid-cell-in-use`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/cells/{code}")]
pub async fn delete(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    callers: web::Data<CallerCache>,
    code: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridWrite)?;
    let code = parse_code(&code)?;
    db.transaction(move |conn| service::delete_cell(conn, &caller, &code, if_match)).await?;
    live.invalidate();
    callers.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Day for hierarchy walks.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// Cells valid on this day (default: today in the city's time zone).
    as_of: Option<NaiveDate>,
}

/// List a cell's children
///
/// The direct children valid today (or on `as_of`), ordered by code.
#[utoipa::path(
    operation_id = "list_cell_children",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102"), AsOf, PageParams),
    responses(
        (status = 200, description = "One page of children", body = inline(Page<CellSummary>)),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}/children")]
pub async fn children(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    code: web::Path<String>,
    as_of: web::Query<AsOf>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = CellFilter { parent: Some(code.clone()), ..Default::default() };
    related(&req, &caller, &db, &settings, &code, as_of.as_of, &page, filter, None).await
}

/// List a cell's subtree
///
/// The cell and every cell below it valid today (or on `as_of`), in tree order: each cell before its
/// children, siblings by code.
#[utoipa::path(
    operation_id = "list_cell_subtree",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102"), AsOf, PageParams),
    responses(
        (status = 200, description = "One page of the subtree", body = inline(Page<CellSummary>)),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}/subtree")]
pub async fn subtree(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    code: web::Path<String>,
    as_of: web::Query<AsOf>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    related(&req, &caller, &db, &settings, &code, as_of.as_of, &page, CellFilter::default(), Some(code.clone())).await
}

/// Lists cells related to a visible cell (its children or its subtree), as the caller may see them.
#[allow(clippy::too_many_arguments)]
async fn related(
    req: &HttpRequest,
    caller: &Caller,
    db: &Db,
    settings: &Settings,
    code: &str,
    as_of: Option<NaiveDate>,
    page: &PageParams,
    filter: CellFilter,
    within: Option<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let cell = parse_code(code)?;
    let seer = caller.clone();
    db.run(move |conn| service::visible_cell(conn, &seer, &cell)).await?;
    let filter = CellFilter { as_of: Some(as_of.unwrap_or_else(|| settings.today())), ..filter };
    Ok(list_page(db, caller, (filter, within), page).await?.respond(req))
}

/// List a cell's ancestors
///
/// The chain from level 1 down to the cell itself.
#[utoipa::path(
    operation_id = "list_cell_ancestors",
    tag = "grid",
    params(("code" = CellCode, Path, description = "Cell code", example = "210102001")),
    responses(
        (status = 200, description = "Ancestors, root first, ending with the cell", body = Vec<CellSummary>),
        (status = 404, description = "No cell has this code", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/cells/{code}/ancestors")]
pub async fn ancestors(caller: Caller, db: web::Data<Db>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let code = parse_code(&code)?;
    let rows = db.run(move |conn| service::ancestors(conn, &caller, &code)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(CellSummary::from).collect::<Vec<_>>()))
}
