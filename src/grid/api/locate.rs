//! Point location: which cell of each level contains a point, and who is responsible there.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::people::Person;
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::access::Permission;
use crate::domain::crs::Crs;
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;

/// A point to locate.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// Longitude in `crs`.
    #[param(example = 123.4, minimum = -180, maximum = 180)]
    lon: f64,
    /// Latitude in `crs`.
    #[param(example = 41.79, minimum = -90, maximum = 90)]
    lat: f64,
    /// `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    crs: Crs,
}

/// A cell in a located chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChainCell {
    /// Cell code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// 1 city … 4 community/village.
    pub level: i32,
}

/// Where a point lies in the grid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "lon": 123.4, "lat": 41.79,
    "cells": [{"code": "210100", "name": "沈阳市", "level": 1}, {"code": "210102", "name": "和平区", "level": 2}],
    "people": []
}))]
pub struct Located {
    /// The point in WGS-84, after conversion from the request's `crs`.
    pub lon: f64,
    /// The point in WGS-84.
    pub lat: f64,
    /// From level 1 down to the deepest cell containing the point; empty outside the grid.
    pub cells: Vec<ChainCell>,
    /// People responsible today for the deepest cell.
    pub people: Vec<Person>,
}

/// Locate a point in the grid
///
/// Answers from the in-memory index; cells outside the caller's part of the grid are left out, and
/// people are listed only when the deepest cell is visible. A point on a border shared by cells belongs to the deepest level
/// that covers it and, at that level, to the cell with the smallest code; the chain is that cell and its
/// ancestors. A point outside every cell gets an empty chain.
#[utoipa::path(
    operation_id = "locate_point",
    tag = "grid",
    params(LocateQuery),
    responses(
        (status = 200, description = "The chain of cells and the responsible people", body = Located),
        (status = 422, description = "Coordinates out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/locate")]
pub async fn locate(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    live: web::Data<LiveIndex>,
    query: web::Query<LocateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::GridRead)?;
    let mut errors = Vec::new();
    if !(-180.0..=180.0).contains(&query.lon) {
        errors.push(FieldError::new("lon", "must be between -180 and 180"));
    }
    if !(-90.0..=90.0).contains(&query.lat) {
        errors.push(FieldError::new("lat", "must be between -90 and 90"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (lon, lat) = query.crs.to_wgs84(query.lon, query.lat);
    let today = settings.today();
    let snapshot = live.current(&db, today).await?;
    // Out-of-scope cells are left out: a caller sees its subtree and its home's ancestors.
    let chain = snapshot.index.locate(lon, lat);
    let mut path = String::new();
    let visible: Vec<_> = chain
        .iter()
        .take_while(|c| {
            path = format!("{path}{}/", c.code);
            caller.scope.sees_cell(&path)
        })
        .collect();
    let complete = visible.len() == chain.len();
    let cells: Vec<ChainCell> = visible
        .iter()
        .map(|c| ChainCell { code: c.code.to_string(), name: c.name.clone(), level: c.level.get().into() })
        .collect();
    let people = match cells.last().filter(|_| complete) {
        Some(deepest) => {
            let rows = live.people(&db, &deepest.code, today).await?;
            rows.into_iter().map(Person::from_row).collect::<Result<_, _>>()?
        }
        None => Vec::new(),
    };
    Ok(HttpResponse::Ok().json(Located { lon, lat, cells, people }))
}
