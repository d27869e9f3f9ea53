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
use crate::controls::service::Tightening;
use crate::domain::calendar;
use crate::domain::fire::{MergeRule, Thresholds};
use crate::incidents::Policy;

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

    /// When the ground check of a fire event dispatched at `now` is due: within the configured window, or
    /// sooner when a special-control activation over its cell tightens its incident's deadline.
    pub fn verify_by(&self, now: DateTime<Utc>, control: Option<&Tightening>, incidents: &Policy) -> DateTime<Utc> {
        let normal = now + self.verify_within;
        match control {
            Some(c) => normal.min(calendar::deadline(now, c.deadline, &incidents.calendar, incidents.tz)),
            None => normal,
        }
    }
}
