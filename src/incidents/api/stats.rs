//! The rectification figures the bureau reports.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_time;
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::grid::CellCode;
use crate::domain::incident::{Breakdown, breakdown};
use crate::error::{ApiError, FieldError, Problem};
use crate::incidents::Policy;
use crate::incidents::service;
use crate::incidents::store::IncidentFilter;

/// The period and area of the figures.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Incidents reported at or after this: RFC 3339, or a local date or date and time in the city's zone
    /// (a local date means its midnight there).
    #[param(format = DateTime, example = "2026-01-01T00:00:00+08:00")]
    from: String,
    /// … and before this (same forms).
    #[param(format = DateTime, example = "2027-01-01T00:00:00+08:00")]
    to: String,
    /// A cell of any level: its whole subtree is counted (default: everything the caller sees).
    #[param(value_type = Option<CellCode>, example = "210102")]
    cell: Option<String>,
    /// A category, with its subtypes.
    category: Option<String>,
}

/// Incident figures for a period and a part of the grid.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00", "cell": "210102",
    "as_of": "2026-12-02T08:00:00Z", "by_category": {"dust": 250}, "by_status": {"closed": 420}, "by_source": {"patrol": 300},
    "reported": 470, "not_counted": 9, "assigned": 461, "rectified": 426, "due": 455, "rectified_on_time": 401, "closed": 420,
    "overdue": 29, "rectification_rate": 92.41, "on_time_rate": 88.13, "closure_rate": 91.11,
    "time_to_assign": {"count": 461, "mean_hours": 2.4, "p90_hours": 6.0},
    "time_to_rectify": {"count": 426, "mean_hours": 30.2, "p90_hours": 70.5},
    "time_to_close": {"count": 420, "mean_hours": 40.1, "p90_hours": 90.0}}))]
pub struct IncidentStats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The cell whose subtree was counted; null for everything the caller sees.
    pub cell: Option<String>,
    /// The moment the figures describe (deadlines passed by then count as overdue).
    pub as_of: DateTime<Utc>,
    #[serde(flatten)]
    pub breakdown: Breakdown,
}

/// Incident figures: counts and rectification rates
///
/// Over incidents reported in `[from, to)` in the cell's subtree (rolled up from every level below), as of
/// now. Rejected incidents and duplicates are counted in `reported` and `not_counted` but in no rate.
///
/// - **整改率** `rectification_rate` = rectified ÷ assigned. Every assigned incident is in the denominator
///   whatever its state, so overdue open incidents pull the rate down (461 assigned, 426 rectified → 92.41).
/// - **按期整改率** `on_time_rate` = rectified no later than the deadline ÷ due, where due = rectified, or
///   still waiting past the deadline. An approved extension moves the deadline.
/// - **办结率** `closure_rate` = closed (verified, 销号) ÷ assigned.
/// - A reopened incident is not rectified until it is rectified again.
/// - Rates are percentages with two decimals, rounded half up; null when the denominator is 0.
/// - Durations: mean and 90th percentile (nearest rank) in hours, from report to assignment, assignment to
///   rectification, and report to closure.
#[utoipa::path(
    operation_id = "incident_stats",
    tag = "incidents",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = IncidentStats),
        (status = 422, description = "A parameter is not valid, or the cell is unknown", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/incidents")]
pub async fn incidents(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut errors = Vec::new();
    let from = parse_time(&q.from, policy.tz, "from", &mut errors);
    let to = parse_time(&q.to, policy.tz, "to", &mut errors);
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::validation(errors)) };
    if to <= from {
        return Err(ApiError::validation(vec![FieldError::new("to", "must be after from")]));
    }
    let filter = IncidentFilter {
        category: q.category,
        reported_from: Some(from.naive_utc()),
        reported_to: Some(to.naive_utc()),
        ..Default::default()
    };
    let cell = q.cell.clone();
    let facts = db
        .run(move |conn| {
            let mut filter = filter;
            if let Some(code) = &cell {
                filter.within = Some(crate::grid::service::subtree_of(conn, &caller, code, "cell")?);
            }
            service::facts(conn, &caller, filter)
        })
        .await?;
    let as_of = Utc::now();
    let breakdown = breakdown(&facts, as_of);
    Ok(HttpResponse::Ok().json(IncidentStats { from, to, cell: q.cell, as_of, breakdown }))
}
