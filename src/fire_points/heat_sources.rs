//! The register of known static heat sources: kept by commanders (`fire:manage`) in their part of the grid,
//! or added by a ground finding that a fire point was an industrial or other heat source; each one in force
//! keeps later detections on its site or within its radius from dispatch.

use geo::{MultiPolygon, Point};

use super::store::{self, HeatSourceRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::fire::{HeatShape, HeatSource, HeatSourceKind};
use crate::domain::geometry::{Boundary, GeometryJson};
use crate::error::ApiError;
use crate::events::{self, Event, EventData, HeatSourceFacts};
use crate::grid;

/// A heat source to register, its position and outline in WGS-84.
#[derive(Debug, Clone)]
pub struct NewHeatSource {
    pub name: String,
    pub kind: HeatSourceKind,
    pub lon: f64,
    pub lat: f64,
    /// The site's outline, checked.
    pub boundary: Option<GeometryJson>,
    /// The cells the outline's corners lie in: each must be in the caller's part of the grid.
    pub outline_cells: Vec<String>,
    pub radius_m: f64,
    pub note: Option<String>,
}

/// Registers a heat source at `cell` (the deepest cell its position lies in), which must be in the caller's
/// part of the grid (else a problem naming `field`); `fire_event` names the fire event whose finding added it.
pub fn register(
    conn: &mut AnyConnection,
    caller: &Caller,
    (cell, field): (&str, &str),
    new: NewHeatSource,
    fire_event: Option<String>,
) -> Result<HeatSourceRow, ApiError> {
    let cell = grid::service::target_cell(conn, caller, cell, field)?;
    let boundary = new.boundary.map(|b| serde_json::to_string(&b)).transpose().map_err(ApiError::internal)?;
    let row = HeatSourceRow {
        id: db::new_id(),
        name: new.name,
        kind: new.kind.as_str().to_owned(),
        lon: new.lon,
        lat: new.lat,
        boundary,
        radius_m: new.radius_m,
        note: new.note,
        cell_code: cell.code,
        cell_path: cell.path,
        fire_event_id: fire_event,
        created_by: caller.username.clone(),
        created_at: db::now(),
        retired_at: None,
    };
    store::insert_heat_source(conn, &row)?;
    announce(conn, caller, &row, EventData::HeatSourceRegistered)?;
    Ok(row)
}

/// Registers a heat source by hand (`fire:manage`).
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: &str,
    new: NewHeatSource,
) -> Result<HeatSourceRow, ApiError> {
    caller.require(Permission::FireManage)?;
    for corner in &new.outline_cells {
        grid::service::target_cell(conn, caller, corner, "boundary")?;
    }
    register(conn, caller, (cell, "lon"), new, None)
}

/// Heat sources in force in the caller's part of the grid (or the subtree of `cell`), by id.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    kind: Option<HeatSourceKind>,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<HeatSourceRow>, ApiError> {
    caller.require(Permission::IncidentsRead)?;
    let within = grid::service::records_within(conn, caller, cell)?;
    Ok(store::list_heat_sources(conn, within.as_deref(), kind.map(HeatSourceKind::as_str), after.as_deref(), limit)?)
}

/// Retires a heat source in the caller's part of the grid: later detections there are dispatched again.
pub fn retire(conn: &mut AnyConnection, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Permission::FireManage)?;
    let row = store::find_heat_source(conn, id)?
        .filter(|h| h.retired_at.is_none() && caller.scope.sees_cell(&h.cell_path))
        .ok_or_else(|| ApiError::NotFound("no heat source here".into()))?;
    caller.may_change(&row.cell_path, "heat source")?;
    if !store::retire_heat_source(conn, id, db::now())? {
        return Err(ApiError::NotFound("no heat source here".into()));
    }
    announce(conn, caller, &row, EventData::HeatSourceRetired)
}

fn announce(
    conn: &mut AnyConnection,
    caller: &Caller,
    row: &HeatSourceRow,
    kind: fn(HeatSourceFacts) -> EventData,
) -> Result<(), ApiError> {
    let facts = HeatSourceFacts {
        id: row.id.clone(),
        name: row.name.clone(),
        kind: row.kind.clone(),
        cell_code: row.cell_code.clone(),
    };
    events::record_one(conn, caller, Event::new(row.id.clone(), Some(row.cell_path.clone()), kind(facts)))
}

/// The shapes that screen detections: every heat source in force, by id.
pub fn in_force(conn: &mut AnyConnection) -> Result<Vec<(String, HeatSource)>, ApiError> {
    store::active_heat_sources(conn)?
        .into_iter()
        .map(|h| {
            let shape = match &h.boundary {
                None => HeatShape::Point(Point::new(h.lon, h.lat)),
                Some(json) => {
                    let geometry: GeometryJson = serde_json::from_str(json).map_err(ApiError::internal)?;
                    let site: MultiPolygon<f64> =
                        Boundary::from_trusted(&geometry).map_err(ApiError::internal)?.into_shape();
                    HeatShape::Site(site)
                }
            };
            Ok((h.id, HeatSource { shape, radius_m: h.radius_m }))
        })
        .collect()
}
