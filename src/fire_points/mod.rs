//! Satellite fire points: FIRMS and other satellite lists imported, screened, merged into fire events,
//! routed to the grid and dispatched as incidents with a ground-verification deadline.

pub mod api;
pub mod heat_sources;
pub mod read;
pub mod service;
pub mod store;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::Settings;
use crate::domain::fire::{MergeRule, Thresholds};

pub use api::routes;

/// The fire-point rules in force, from configuration.
#[derive(Debug, Clone)]
pub struct FirePolicy {
    pub tz: Tz,
    pub thresholds: Thresholds,
    pub merge: MergeRule,
    pub verify_within: Duration,
}

impl FirePolicy {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            tz: s.timezone,
            thresholds: Thresholds {
                min_percent: s.fire_min_confidence_percent,
                min_class: s.fire_min_confidence_class,
            },
            merge: MergeRule {
                distance_m: s.fire_merge_distance_m,
                window: Duration::hours(i64::from(s.fire_merge_window_hours)),
            },
            verify_within: Duration::hours(i64::from(s.fire_verify_hours)),
        }
    }

    /// How long the ground check of a fire event in this cell, detected at `at`, may take. The one place a
    /// shorter window during a special-control activation covering the cell plugs in.
    pub fn verification_window(&self, _cell_path: &str, _at: DateTime<Utc>) -> Duration {
        self.verify_within
    }
}
