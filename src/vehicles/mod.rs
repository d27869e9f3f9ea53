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
use crate::domain::vehicle::LimitTable;

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
    pub fn from_settings(s: &Settings) -> Self {
        Self { tz: s.timezone, limits: LimitTable::default(), target_percent: s.vehicle_pass_target_percent }
    }
}
