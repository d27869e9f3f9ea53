//! Diesel-vehicle emission inspections: results from stations and remote sensing imported in bulk,
//! judged on the server against the limit table, idempotent by (source, record id) with the history of
//! corrected records, listed, and counted into the pass rate the city reports.

pub mod api;
pub mod emitters;
pub mod job;
pub mod read;
pub mod service;
pub mod store;

use crate::config::Settings;
use crate::db::BoxError;
use crate::domain::vehicle::{LimitEntry, LimitTable};

pub use api::routes;

/// The kind of a queued inspection import.
pub const JOB_KIND: &str = "vehicle_inspections";

/// The inspection rules in force, from configuration.
#[derive(Debug, Clone)]
pub struct VehiclePolicy {
    pub tz: chrono_tz::Tz,
    pub limits: LimitTable,
    /// The pass rate the city is held to, in percent (the national target is 90).
    pub target_percent: f64,
}

impl VehiclePolicy {
    /// The built-in limit table, with the configured file's entries over it.
    pub fn from_settings(s: &Settings) -> Result<Self, BoxError> {
        let mut limits = LimitTable::default();
        if let Some(path) = &s.vehicle_limits_file {
            let bad = |e: String| format!("vehicle_limits_file {}: {e}", path.display());
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            let entries: Vec<LimitEntry> = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            limits = limits.with_entries(&entries).map_err(bad)?;
        }
        Ok(Self { tz: s.timezone, limits, target_percent: s.vehicle_pass_target_percent })
    }
}
