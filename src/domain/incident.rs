//! Incidents as values: categories, severities, sources, photo stages, supervision sheets, and the
//! rectification figures (整改率, 按期整改率, 办结率) computed from incident facts. The closed loop itself is
//! `workflow`; deadlines and the working-day calendar are `calendar`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::Span;
use super::workflow::Status;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// How serious an incident is; it picks the category's default deadline.
    Severity {
        /// 一般.
        Low = "low",
        /// 较重 (the default).
        Medium = "medium",
        /// 严重.
        High = "high",
    }
}

named_enum! {
    /// Who or what found the incident.
    Source {
        /// A grid worker on patrol (巡查).
        Patrol = "patrol",
        /// A citizen hotline ticket (12345, 12369).
        Hotline = "hotline",
        /// A camera or video analytics.
        Camera = "camera",
        /// A satellite fire point.
        Satellite = "satellite",
        /// An inspection or spot check (督查).
        Inspection = "inspection",
        /// Anything else.
        Other = "other",
    }
}

named_enum! {
    /// When a photo was taken relative to the work.
    PhotoStage {
        /// The problem as found (整改前).
        Before = "before",
        /// The problem dealt with (整改后): rectification evidence.
        After = "after",
        /// Anything else worth keeping.
        Other = "other",
    }
}

named_enum! {
    /// The two papers a commander sends down the grid.
    SheetKind {
        /// 提示单: a reminder to act.
        Prompt = "prompt",
        /// 督办单: formal supervision, with a deadline for a written response.
        Supervision = "supervision",
    }
}

/// A category's code: 1–64 lower-case letters, digits and `_`, with `.` separating a subtype
/// (`dust.construction_site`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = (1..=64).contains(&raw.len())
            && raw.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1–64 lower-case letters, digits or '_', with '.' before a subtype".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The category this one is a subtype of (`dust` for `dust.road`).
    pub fn parent(&self) -> Option<CategoryCode> {
        self.0.rsplit_once('.').map(|(parent, _)| Self(parent.to_owned()))
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Default time to rectify, per severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"low": {"amount": 5, "unit": "working_days"}, "medium": {"amount": 3, "unit": "working_days"},
    "high": {"amount": 1, "unit": "working_days"}}))]
pub struct Deadlines {
    pub low: Span,
    pub medium: Span,
    pub high: Span,
}

impl Deadlines {
    pub fn for_severity(&self, severity: Severity) -> Span {
        match severity {
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
        }
    }
}

/// Trims a required free text and checks its length in characters.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    match trimmed.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > max => Err(format!("must be at most {max} characters")),
        _ => Ok(trimmed.to_owned()),
    }
}

/// The facts of one incident that the figures are computed from.
#[derive(Debug, Clone)]
pub struct IncidentFacts {
    pub category: String,
    pub status: Status,
    pub source: Source,
    pub reported_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub rectified_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Rectification figures for a set of incidents, seen at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Incidents reported in the period (all statuses).
    pub reported: u64,
    /// Of those, rejected as not real problems or marked duplicates: left out of every rate.
    pub not_counted: u64,
    /// Real incidents assigned (交办) for rectification: the denominator of the rates.
    pub assigned: u64,
    /// Assigned incidents rectified now (status rectified or closed).
    pub rectified: u64,
    /// Assigned incidents that are due: past their deadline, or already rectified.
    pub due: u64,
    /// Rectified no later than their deadline (extensions granted move the deadline).
    pub rectified_on_time: u64,
    /// Closed after verification (销号).
    pub closed: u64,
    /// Open past their deadline now.
    pub overdue: u64,
    /// 整改率 = rectified ÷ assigned, in percent with two decimals; null with nothing assigned.
    pub rectification_rate: Option<f64>,
    /// 按期整改率 = rectified on time ÷ due; null with nothing due.
    pub on_time_rate: Option<f64>,
    /// 办结率 = closed ÷ assigned; null with nothing assigned.
    pub closure_rate: Option<f64>,
    /// Hours from report to assignment: mean and 90th percentile.
    pub time_to_assign: Durations,
    /// Hours from assignment to rectification.
    pub time_to_rectify: Durations,
    /// Hours from report to closure.
    pub time_to_close: Durations,
}

/// Mean and 90th percentile of a set of durations, in hours; null when there are none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Durations {
    pub count: u64,
    pub mean_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

/// Counts by category, status and source, and the figures, of `incidents` as of `now`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Breakdown {
    pub by_category: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
    pub by_source: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Computes the breakdown. Honest by construction: an assigned incident counts in the denominator of the
/// rectification rate whatever its state, so overdue open incidents pull the rate down; on-time needs
/// the rectification no later than the deadline.
pub fn breakdown(incidents: &[IncidentFacts], now: DateTime<Utc>) -> Breakdown {
    let mut b = Breakdown::default();
    let (mut assign, mut rectify, mut close) = (Vec::new(), Vec::new(), Vec::new());
    for i in incidents {
        *b.by_category.entry(i.category.clone()).or_default() += 1;
        *b.by_status.entry(i.status.as_str().to_owned()).or_default() += 1;
        *b.by_source.entry(i.source.as_str().to_owned()).or_default() += 1;
        let f = &mut b.figures;
        f.reported += 1;
        if matches!(i.status, Status::Rejected | Status::Duplicate) {
            f.not_counted += 1;
            continue;
        }
        let Some(assigned_at) = i.assigned_at else { continue };
        f.assigned += 1;
        assign.push(hours(i.reported_at, assigned_at));
        let rectified = matches!(i.status, Status::Rectified | Status::Closed);
        let rectified_at = i.rectified_at.filter(|_| rectified);
        if let Some(at) = rectified_at {
            f.rectified += 1;
            rectify.push(hours(assigned_at, at));
        }
        let past_deadline = i.deadline_at.is_some_and(|d| d < now);
        if rectified_at.is_some() || past_deadline {
            f.due += 1;
        }
        if let (Some(at), Some(deadline)) = (rectified_at, i.deadline_at)
            && at <= deadline
        {
            f.rectified_on_time += 1;
        }
        if rectified_at.is_none() && past_deadline {
            f.overdue += 1;
        }
        if let Some(at) = i.closed_at.filter(|_| i.status == Status::Closed) {
            f.closed += 1;
            close.push(hours(i.reported_at, at));
        }
    }
    let f = &mut b.figures;
    f.rectification_rate = percent(f.rectified, f.assigned);
    f.on_time_rate = percent(f.rectified_on_time, f.due);
    f.closure_rate = percent(f.closed, f.assigned);
    f.time_to_assign = durations(assign);
    f.time_to_rectify = durations(rectify);
    f.time_to_close = durations(close);
    b
}

/// `part ÷ whole` in percent, rounded half away from zero to two decimals (426 of 461 → 92.41).
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    // Integer arithmetic on hundredths of a percent, so the rounding is exact.
    (whole > 0).then(|| {
        let basis_points = (part as u128 * 20_000 + whole as u128) / (2 * whole as u128);
        basis_points as f64 / 100.0
    })
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

/// Mean and nearest-rank 90th percentile, rounded to two decimals.
fn durations(mut values: Vec<f64>) -> Durations {
    if values.is_empty() {
        return Durations::default();
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let rank = (n * 9).div_ceil(10).max(1);
    Durations {
        count: n as u64,
        mean_hours: Some(round(values.iter().sum::<f64>() / n as f64)),
        p90_hours: Some(round(values[rank - 1])),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(hour)
    }

    fn incident(status: Status, assigned: Option<i64>, deadline: Option<i64>, rectified: Option<i64>) -> IncidentFacts {
        IncidentFacts {
            category: "dust".into(),
            status,
            source: Source::Patrol,
            reported_at: at(0),
            assigned_at: assigned.map(at),
            deadline_at: deadline.map(at),
            rectified_at: rectified.map(at),
            closed_at: (status == Status::Closed).then(|| at(100)),
        }
    }

    #[test]
    fn the_published_figure_426_of_461_is_92_41_percent() {
        assert_eq!(percent(426, 461), Some(92.41));
        assert_eq!(percent(9068, 9188), Some(98.69));
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(2, 3), Some(66.67));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(5, 5), Some(100.0));
    }

    #[test]
    fn overdue_open_incidents_count_against_the_rates() {
        let now = at(48);
        let incidents = vec![
            incident(Status::Closed, Some(1), Some(24), Some(10)), // on time, closed
            incident(Status::Rectified, Some(1), Some(24), Some(30)), // late
            incident(Status::Rectifying, Some(1), Some(24), None), // overdue, open
            incident(Status::Assigned, Some(40), Some(72), None),  // not yet due
            incident(Status::Rectifying, Some(1), Some(24), Some(20)), // reopened: not rectified now
            incident(Status::Rejected, Some(1), Some(24), None),   // not a real problem
            incident(Status::Reported, None, None, None),          // not assigned yet
        ];
        let b = breakdown(&incidents, now);
        let f = &b.figures;
        assert_eq!((f.reported, f.not_counted, f.assigned), (7, 1, 5));
        assert_eq!((f.rectified, f.rectified_on_time, f.due, f.overdue, f.closed), (2, 1, 4, 2, 1));
        assert_eq!(f.rectification_rate, Some(40.0));
        assert_eq!(f.on_time_rate, Some(25.0));
        assert_eq!(f.closure_rate, Some(20.0));
        assert_eq!(b.by_status["rectifying"], 2);
        assert_eq!(f.time_to_rectify.count, 2);
        assert_eq!(f.time_to_rectify.mean_hours, Some(19.0));
        assert_eq!(f.time_to_rectify.p90_hours, Some(29.0));
    }

    #[test]
    fn names_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in PhotoStage::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn category_codes() {
        assert!(CategoryCode::parse("dust").is_ok());
        assert_eq!(CategoryCode::parse("dust.road").unwrap().parent().unwrap().as_str(), "dust");
        for bad in ["", "Dust", "dust.", ".dust", "dust..road", "扬尘", "a b"] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// A rate is a share: between 0 and 100, and exact for whole shares.
        #[test]
        fn percent_is_a_share(whole in 1u64..100_000, part_share in 0.0f64..=1.0) {
            let part = ((whole as f64) * part_share) as u64;
            let p = percent(part, whole).unwrap();
            prop_assert!((0.0..=100.0).contains(&p));
            prop_assert!((p - part as f64 * 100.0 / whole as f64).abs() <= 0.005 + 1e-9);
        }
    }
}
