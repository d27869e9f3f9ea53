//! Incidents and their closed loop: report (routed to the deepest grid cell, or queued as unrouted),
//! assign (交办), rectify (整改), verify and close (核查销号), with deadlines in hours or working days,
//! extensions, duplicates, photo evidence, supervision sheets and the rectification figures.

mod api;
pub mod batch;
pub mod categories;
pub mod photos;
pub mod service;
pub mod sheets;
pub mod store;

use std::sync::Arc;

use chrono_tz::Tz;

pub use api::routes;

use crate::config::Settings;
use crate::db::BoxError;
use crate::domain::calendar::WorkCalendar;
use crate::domain::control::Ladder;

/// What the incident (and special-control) rules take from the settings, built once at start-up.
#[derive(Debug, Clone)]
pub struct Policy {
    pub tz: Tz,
    pub calendar: WorkCalendar,
    pub warn_share: f64,
    pub photo_max_bytes: usize,
    pub photo_max_distance_m: f64,
    pub photo_max_age_hours: f64,
    pub batch_max_items: usize,
    /// The special-control ladder: its levels tighten the deadlines of new incidents under control.
    pub ladder: Arc<Ladder>,
}

impl Policy {
    /// The built-in calendar, with the configured file's years over it.
    pub fn from_settings(s: &Settings) -> Result<Self, BoxError> {
        let mut calendar = WorkCalendar::china();
        if let Some(path) = &s.work_calendar_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read work_calendar_file {}: {e}", path.display()))?;
            calendar = calendar.merged(WorkCalendar::from_json(&text)?);
        }
        Ok(Self {
            tz: s.timezone,
            calendar,
            warn_share: s.incident_warn_share,
            photo_max_bytes: s.incident_photo_max_bytes,
            photo_max_distance_m: s.incident_photo_max_distance_m,
            photo_max_age_hours: s.incident_photo_max_age_hours,
            batch_max_items: s.incident_batch_max_items,
            ladder: Arc::new(crate::controls::load_ladder(s)?),
        })
    }
}
