//! The Shenyang demo grid, shipped in the binary: 2,292 cells over four levels with real names and
//! codes (levels 1–2 real boundaries, levels 3–4 synthetic; see the README).

use diesel::Connection;

use super::api::parse_geojson;
use super::service::{self, ImportSummary};
use crate::config::Settings;
use crate::db::{BoxError, Db};
use crate::domain::crs::Crs;

pub const DEMO_GRID: &str = include_str!("shenyang_grid_demo.geojson");

/// Loads the demo grid; running it again changes nothing.
pub fn seed_demo(db: &Db, settings: &Settings) -> Result<ImportSummary, BoxError> {
    let drafts = parse_geojson(DEMO_GRID.as_bytes(), Crs::Wgs84)?;
    let (tol, today) = (settings.grid_tolerances(), settings.today());
    let mut conn = db.get()?;
    Ok(conn.transaction(|conn| service::import(conn, drafts, tol, today, false))?)
}
