//! What special control achieved: per activation and per year, the days under control, the forecast
//! light-pollution days among them that ended good (轻污拉良), and how much of the plans was done.
//!
//! The observed daily city AQI comes through [`daily_city_aqi`], the one place that knows where it is kept:
//! the air-quality module's daily AQI from the monitoring stations, else values entered through the API.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::service::{self, ActivationView, forecast_of, plan_of};
use super::store::{self, ActivationFilter, ObservedRow};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::aqi::Pollutant;
use crate::domain::control::{self, ControlDay};
use crate::domain::scope::ancestor_paths;
use crate::domain::time::day_start;
use crate::error::{ApiError, FieldError};

/// An observed daily city AQI to record.
#[derive(Debug, Clone)]
pub struct ObservedDay {
    pub date: NaiveDate,
    pub aqi: u16,
    pub primary_pollutant: Option<Pollutant>,
}

/// What one activation achieved.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub days: Vec<ControlDay>,
    pub forecast_light_days: usize,
    pub pulled_to_good_days: usize,
    /// Planned measures (over every cell) and those whose latest check-in says done.
    pub measures_planned: usize,
    pub measures_done: usize,
    /// What the latest check-in on each (cell, measure) said.
    pub checked: BTreeMap<(String, String), bool>,
}

/// The year's figures.
#[derive(Debug, Clone)]
pub struct YearFigures {
    pub activations: Vec<(ActivationView, Outcome)>,
    /// Distinct days any activation was in force.
    pub days_under_control: usize,
    pub forecast_light_days: usize,
    pub pulled_to_good_days: usize,
    pub measures_planned: usize,
    pub measures_done: usize,
}

/// The observed daily city AQI from `from` to `to`, by day: computed from the monitoring stations' readings
/// where they exist, else as entered through the API.
pub fn daily_city_aqi(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, u16>, ApiError> {
    let mut days: BTreeMap<NaiveDate, u16> = store::observed_between(conn, from, to)?
        .into_iter()
        .filter_map(|r| u16::try_from(r.aqi).ok().map(|aqi| (r.day, aqi)))
        .collect();
    days.extend(crate::air::service::city_daily_aqi(conn, from, to)?);
    Ok(days)
}

/// Records observed daily city AQI, replacing what was there for the same days.
pub fn record_observed(
    conn: &mut AnyConnection,
    caller: &Caller,
    today: NaiveDate,
    days: Vec<ObservedDay>,
) -> Result<usize, ApiError> {
    caller.require(Permission::ControlsRun)?;
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, day) in days.iter().enumerate() {
        if day.date > today {
            errors.push(FieldError::new(format!("days[{i}].date"), "must not be in the future"));
        }
        if !seen.insert(day.date) {
            errors.push(FieldError::new(format!("days[{i}].date"), "appears twice"));
        }
    }
    if days.is_empty() {
        errors.push(FieldError::new("days", "must hold at least one day"));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = db::now();
    for day in &days {
        let row = ObservedRow {
            day: day.date,
            aqi: i32::from(day.aqi),
            primary_pollutant: day.primary_pollutant.map(|p| p.as_str().to_owned()),
            entered_by: caller.username.clone(),
            updated_at: now,
        };
        store::upsert_observed(conn, &row)?;
    }
    Ok(days.len())
}

/// Observed days from `from` to `to`.
pub fn observed(
    conn: &mut AnyConnection,
    caller: &Caller,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ObservedRow>, ApiError> {
    caller.require(Permission::ControlsRead)?;
    Ok(store::observed_between(conn, from, to)?)
}

/// An activation the caller may see, with what it achieved so far.
pub fn detailed(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    tz: Tz,
) -> Result<(ActivationView, Option<Outcome>), ApiError> {
    let view = service::get(conn, caller, id)?;
    with_outcome(conn, view, tz)
}

/// An activation with what it achieved so far, as every single-activation answer shows it.
pub fn with_outcome(
    conn: &mut AnyConnection,
    view: ActivationView,
    tz: Tz,
) -> Result<(ActivationView, Option<Outcome>), ApiError> {
    let outcome = of_activation(conn, &view, tz, Utc::now())?;
    Ok((view, outcome))
}

/// What an activation achieved so far (`None` before it started).
pub fn of_activation(
    conn: &mut AnyConnection,
    view: &ActivationView,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, ApiError> {
    let Some(start) = view.row.actual_start else { return Ok(None) };
    let end = view.row.actual_end.map_or(now, |e| e.and_utc());
    let days = control::days_touched(start.and_utc(), end.max(start.and_utc()), tz);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else { return Ok(None) };
    let observed = daily_city_aqi(conn, first, last)?;
    // The forecast the activation was decided on; days it does not cover take the air-quality module's
    // forecast for the activation's cells, or for the city.
    let mut forecast = crate::air::service::forecast_aqi(conn, &view.cells, first, last)?;
    forecast.extend(forecast_of(&view.row)?.days.into_iter().map(|d| (d.date, d.aqi)));
    let days = control::control_days(&days, &forecast, &observed);
    let checked = store::latest_check_ins(conn, &view.row.id)?;
    let (mut planned, mut done) = (0, 0);
    for cell in &view.cells {
        for measure in plan_of(cell)? {
            planned += 1;
            done += usize::from(checked.get(&(cell.cell_code.clone(), measure.code)).copied().unwrap_or(false));
        }
    }
    Ok(Some(Outcome {
        forecast_light_days: days.iter().filter(|d| d.forecast_aqi.is_some_and(control::is_light_pollution)).count(),
        pulled_to_good_days: days.iter().filter(|d| d.pulled_to_good).count(),
        days,
        measures_planned: planned,
        measures_done: done,
        checked,
    }))
}

/// The year's activations that started in it (Beijing time), in the caller's part of the grid, with what
/// they achieved.
pub fn year(conn: &mut AnyConnection, caller: &Caller, year: i32, tz: Tz) -> Result<YearFigures, ApiError> {
    caller.require(Permission::ControlsRead)?;
    let bound = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| day_start(d, tz))
            .map(|t| t.naive_utc())
            .ok_or_else(|| ApiError::validation(vec![FieldError::new("year", "is out of range")]))
    };
    let filter = ActivationFilter {
        touching: caller.scope.home_path().map(|home| (home.to_owned(), ancestor_paths(home))),
        started_within: Some((bound(year)?, bound(year + 1)?)),
        ..Default::default()
    };
    let rows = store::list_activations(conn, &filter, None, i64::MAX)?;
    let now = Utc::now();
    let mut figures = YearFigures {
        activations: Vec::with_capacity(rows.len()),
        days_under_control: 0,
        forecast_light_days: 0,
        pulled_to_good_days: 0,
        measures_planned: 0,
        measures_done: 0,
    };
    let (mut days, mut light, mut pulled) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for row in rows.into_iter().rev() {
        let view = service::seen(conn, caller, row)?;
        let Some(outcome) = of_activation(conn, &view, tz, now)? else { continue };
        // An activation over New Year counts its days in the year they fall in.
        for day in outcome.days.iter().filter(|d| d.date.year() == year) {
            days.insert(day.date);
            if day.forecast_aqi.is_some_and(control::is_light_pollution) {
                light.insert(day.date);
            }
            if day.pulled_to_good {
                pulled.insert(day.date);
            }
        }
        figures.measures_planned += outcome.measures_planned;
        figures.measures_done += outcome.measures_done;
        figures.activations.push((view, outcome));
    }
    figures.days_under_control = days.len();
    figures.forecast_light_days = light.len();
    figures.pulled_to_good_days = pulled.len();
    Ok(figures)
}
