//! Observed daily city AQI and the year's special-control figures.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::OutcomeSummary;
use crate::auth::Caller;
use crate::controls::outcome::{self, ObservedDay};
use crate::db::Db;
use crate::domain::aqi::Pollutant;
use crate::domain::incident::percent;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{BulkJson, Recorded, parse_pollutant};
use crate::incidents::Policy;

/// One observed day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-11-10", "aqi": 96, "primary_pollutant": "pm2_5"}))]
pub struct ObservedAqi {
    /// A Beijing-time day, not in the future.
    pub date: NaiveDate,
    /// The city's daily AQI (0–500).
    #[schema(minimum = 0, maximum = 500)]
    pub aqi: u16,
    /// `so2`, `no2`, `co`, `o3`, `pm10` or `pm2_5` (`PM2.5` is understood); null on a good day without one.
    #[schema(value_type = Option<Pollutant>)]
    pub primary_pollutant: Option<String>,
}

/// Observed days to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservedBatch {
    /// Each date once; a date already recorded is replaced.
    pub days: Vec<ObservedAqi>,
}

/// Record observed daily city AQI
///
/// The daily city AQI the outcome of special control is judged by (`controls:run`), in one transaction.
#[utoipa::path(
    operation_id = "record_observed_aqi",
    tag = "controls",
    request_body = ObservedBatch,
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 422, description = "A day in the future or twice, an AQI over 500, an unknown pollutant", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/api/v1/observed-aqi")]
pub async fn record_observed(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    body: BulkJson<ObservedBatch>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    let mut days = Vec::with_capacity(body.0.days.len());
    for (i, day) in body.0.days.into_iter().enumerate() {
        if day.aqi > 500 {
            errors.push(FieldError::new(format!("days[{i}].aqi"), "must be 0–500"));
        }
        let field = format!("days[{i}].primary_pollutant");
        let pollutant = day.primary_pollutant.as_deref().and_then(|raw| parse_pollutant(raw, &field, &mut errors));
        days.push(ObservedDay { date: day.date, aqi: day.aqi, primary_pollutant: pollutant });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let today = Utc::now().with_timezone(&policy.tz).date_naive();
    let recorded = db.transaction(move |conn| outcome::record_observed(conn, &caller, today, days)).await?;
    Ok(HttpResponse::Ok().json(Recorded { recorded }))
}

/// A range of Beijing days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayRange {
    /// First day.
    #[param(example = "2026-12-01")]
    from: NaiveDate,
    /// Last day (none before `from`: nothing).
    #[param(example = "2026-12-31")]
    to: NaiveDate,
}

/// Observed days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ObservedDays {
    pub items: Vec<ObservedAqi>,
}

/// Read observed daily city AQI
#[utoipa::path(
    operation_id = "list_observed_aqi",
    tag = "controls",
    params(DayRange),
    responses(
        (status = 200, description = "The recorded days of the range, by date", body = ObservedDays),
    ),
)]
#[get("/api/v1/observed-aqi")]
pub async fn observed(
    caller: Caller,
    db: web::Data<Db>,
    range: web::Query<DayRange>,
) -> Result<HttpResponse, ApiError> {
    let DayRange { from, to } = range.into_inner();
    let rows = db.run(move |conn| outcome::observed(conn, &caller, from, to)).await?;
    let items = rows
        .into_iter()
        .map(|r| ObservedAqi { date: r.day, aqi: r.aqi.clamp(0, 500) as u16, primary_pollutant: r.primary_pollutant })
        .collect();
    Ok(HttpResponse::Ok().json(ObservedDays { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (Beijing time).
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    year: i32,
}

/// One activation's figures within the year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivationFigures {
    pub id: String,
    pub title: String,
    pub level: String,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub outcome: OutcomeSummary,
}

/// The year's special-control figures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"year": 2026, "activations": 21, "by_level": {"orange": 6, "temporary": 9, "yellow": 6},
    "days_under_control": 63, "forecast_light_days": 70, "pulled_to_good_days": 59, "measures_planned": 420,
    "measures_done": 401, "measure_completion_percent": 95.48, "items": []}))]
pub struct ControlStats {
    pub year: i32,
    /// Activations that came into force in the year (in the caller's part of the grid).
    pub activations: usize,
    /// By the level each ended at.
    pub by_level: std::collections::BTreeMap<String, usize>,
    /// Distinct Beijing days any of them was in force.
    pub days_under_control: usize,
    /// Of those, days forecast as light pollution (AQI 101–150).
    pub forecast_light_days: usize,
    /// Of those, days observed good (AQI ≤ 100): 轻污拉良.
    pub pulled_to_good_days: usize,
    pub measures_planned: usize,
    pub measures_done: usize,
    pub measure_completion_percent: Option<f64>,
    /// Each activation, in order of its start.
    pub items: Vec<ActivationFigures>,
}

/// Special-control figures of a year
///
/// The year's activations, days under control and forecast light-pollution days pulled back to good
/// (轻污拉良), judged by the observed daily city AQI, with measure completion.
#[utoipa::path(
    operation_id = "control_stats",
    tag = "controls",
    params(YearQuery),
    responses(
        (status = 200, description = "The year's figures", body = ControlStats),
        (status = 400, description = "No year (`/problems/invalid-parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A year out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/controls")]
pub async fn year(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    let year = query.year;
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::validation(vec![FieldError::new("year", "must be 2000–2100")]));
    }
    let tz = policy.tz;
    let figures = db.run(move |conn| outcome::year(conn, &caller, year, tz)).await?;
    let mut by_level = std::collections::BTreeMap::new();
    let items: Vec<ActivationFigures> = figures
        .activations
        .into_iter()
        .map(|(view, outcome)| {
            *by_level.entry(view.row.level_code.clone()).or_insert(0) += 1;
            ActivationFigures {
                outcome: OutcomeSummary::of(&outcome),
                id: view.row.id,
                title: view.row.title,
                level: view.row.level_code,
                actual_start: view.row.actual_start.map(|t| t.and_utc()),
                actual_end: view.row.actual_end.map(|t| t.and_utc()),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ControlStats {
        year,
        activations: items.len(),
        by_level,
        days_under_control: figures.days_under_control,
        forecast_light_days: figures.forecast_light_days,
        pulled_to_good_days: figures.pulled_to_good_days,
        measures_planned: figures.measures_planned,
        measures_done: figures.measures_done,
        measure_completion_percent: percent(figures.measures_done as u64, figures.measures_planned as u64),
        items,
    }))
}
