//! Air-quality use cases: stations, imports of hourly readings (idempotent by station and hour; a corrected
//! hour replaces the old value and is recorded), each station's daily statistics kept up to date, and the
//! daily AQI and yearly figures of a station or an area (the mean of its assessment stations).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::read::Reading;
use super::store::{self, CorrectionRow, ReadingRow, StationDayRow, StationRow, from_milli, to_milli};
use crate::auth::Caller;
use crate::db::{self, AnyConnection};
use crate::domain::access::Permission;
use crate::domain::aqi::stats::{self, AmbientStandard, DayHours, MIN_DAYS_PER_YEAR};
use crate::domain::aqi::{AqiReport, Category, Daily, Hourly, Pollutant, Standard};
use crate::domain::time::day_start;
use crate::error::{ApiError, FieldError};
use crate::events::{self, AirImportFacts, AirStationFacts, Event, EventData};
use crate::grid;

/// A parsed new station, its position in WGS-84.
#[derive(Debug, Clone)]
pub struct NewStation {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
    pub pollutants: Vec<Pollutant>,
    pub assessment: bool,
    pub active_from: NaiveDate,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, ToSchema)]
#[schema(as = AirImportSummary)]
pub struct ImportSummary {
    pub rows: u64,
    /// Station-hours new to the service.
    pub created: u64,
    /// Station-hours held already with other values: replaced, the old values recorded.
    pub corrected: u64,
    /// Station-hours held already with the same values.
    pub unchanged: u64,
    /// Station-days whose statistics were computed again.
    pub days_recomputed: u64,
}

/// A station in the caller's sight.
pub fn station(conn: &mut AnyConnection, caller: &Caller, code: &str) -> Result<StationRow, ApiError> {
    caller.require(Permission::AirRead)?;
    store::find_station(conn, code)?
        .filter(|s| caller.scope.sees_cell(&s.cell_path))
        .ok_or_else(|| ApiError::NotFound("no station here".into()))
}

/// What may change of a station (`None` keeps a field).
#[derive(Debug, Clone, Default)]
pub struct StationChange {
    pub name: Option<String>,
    pub assessment: Option<bool>,
    pub active_to: Option<Option<NaiveDate>>,
}

/// Changes a station in the caller's part of the grid (`air:manage`): whether it counts for its areas takes
/// effect on every figure at once (they are computed when read).
pub fn update_station(
    conn: &mut AnyConnection,
    caller: &Caller,
    code: &str,
    change: StationChange,
    if_match: crate::http::IfMatch,
) -> Result<StationRow, ApiError> {
    caller.require(Permission::AirManage)?;
    let mut row = station(conn, caller, code)?;
    caller.may_change(&row.cell_path, "station")?;
    if_match.check(row.version)?;
    if let Some(name) = change.name {
        row.name = name;
    }
    if let Some(assessment) = change.assessment {
        row.assessment = assessment;
    }
    if let Some(active_to) = change.active_to {
        if active_to.is_some_and(|to| to <= row.active_from) {
            return Err(ApiError::validation(vec![FieldError::new("active_to", "must be after active_from")]));
        }
        row.active_to = active_to;
    }
    let expected = row.version;
    row.version += 1;
    if !store::update_station(conn, &row, expected)? {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(row)
}

/// A station's hours from `from` up to `to`, oldest first, after the cursor hour.
pub fn hours(
    conn: &mut AnyConnection,
    caller: &Caller,
    station: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    after: Option<chrono::NaiveDateTime>,
    limit: i64,
) -> Result<Vec<ReadingRow>, ApiError> {
    caller.require(Permission::AirRead)?;
    store::find_station(conn, station)?
        .filter(|s| caller.scope.sees_cell(&s.cell_path))
        .ok_or_else(|| ApiError::NotFound("no station here".into()))?;
    let from = after.map_or(from.naive_utc(), |a| a + Duration::microseconds(1)).max(from.naive_utc());
    let mut rows = store::readings(conn, station, from, to.naive_utc())?;
    rows.truncate(limit as usize);
    Ok(rows)
}

/// Registers a station at `cell` (the deepest cell its position lies in), in the caller's part of the grid.
pub fn create_station(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: &str,
    new: NewStation,
) -> Result<StationRow, ApiError> {
    caller.require(Permission::AirManage)?;
    let cell = grid::service::target_cell(conn, caller, cell, "lon")?;
    if store::find_station(conn, &new.code)?.is_some() {
        return Err(ApiError::Conflict(format!("station {} exists", new.code)));
    }
    let pollutants: Vec<&str> = new.pollutants.iter().map(|p| p.as_str()).collect();
    let row = StationRow {
        code: new.code,
        name: new.name,
        kind: new.kind,
        lon: new.lon,
        lat: new.lat,
        cell_code: cell.code,
        cell_path: cell.path,
        pollutants: serde_json::to_string(&pollutants).map_err(ApiError::internal)?,
        assessment: new.assessment,
        active_from: new.active_from,
        active_to: None,
        created_by: caller.username.clone(),
        created_at: db::now(),
        version: 1,
    };
    store::insert_station(conn, &row)?;
    let facts = AirStationFacts { code: row.code.clone(), name: row.name.clone(), cell_code: row.cell_code.clone() };
    events::record_one(
        conn,
        caller,
        Event::new(row.code.clone(), Some(row.cell_path.clone()), EventData::AirStationCreated(facts)),
    )?;
    Ok(row)
}

/// A station's latest hour and its real-time AQI (实时报), by the standard in force that day.
#[derive(Debug, Clone)]
pub struct Latest {
    /// The end of the hour, as published.
    pub time: DateTime<Utc>,
    pub report: AqiReport,
}

/// Stations in the caller's part of the grid (or the subtree of `cell`), each with its latest hour.
pub fn list_stations(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    after: Option<&str>,
    limit: i64,
    tz: Tz,
) -> Result<Vec<(StationRow, Option<Latest>)>, ApiError> {
    caller.require(Permission::AirRead)?;
    let within = grid::service::records_within(conn, caller, cell)?;
    store::list_stations(conn, within.as_deref(), after, limit)?
        .into_iter()
        .map(|s| {
            let latest = latest(conn, &s.code, tz)?;
            Ok((s, latest))
        })
        .collect()
}

/// The real-time AQI of a station's latest valid hour: its 1-h values, and (HJ 633-2012) the O3 8-h and the
/// 24-h moving means ending with it.
fn latest(conn: &mut AnyConnection, station: &str, tz: Tz) -> Result<Option<Latest>, ApiError> {
    let Some(newest) = store::latest_valid_reading(conn, station)? else { return Ok(None) };
    let since = newest.hour_start - Duration::hours(23);
    let rows = store::readings(conn, station, since, newest.hour_start + Duration::hours(1))?;
    let window: Vec<&ReadingRow> = rows.iter().filter(|r| r.valid).collect();
    let newest = &newest;
    let value = |pick: fn(&ReadingRow) -> Option<i64>| pick(newest).map(from_milli);
    let moving = |p: Pollutant, pick: fn(&ReadingRow) -> Option<i64>, hours: i64, min: usize| {
        let from = newest.hour_start - Duration::hours(hours - 1);
        stats::mean(p, window.iter().filter(|r| r.hour_start >= from).filter_map(|r| pick(r).map(from_milli)), min)
    };
    let hourly = Hourly {
        so2_1h: value(|r| r.so2),
        no2_1h: value(|r| r.no2),
        co_1h: value(|r| r.co),
        o3_1h: value(|r| r.o3),
        pm10_1h: value(|r| r.pm10),
        pm25_1h: value(|r| r.pm2_5),
        o3_8h: moving(Pollutant::O3, |r| r.o3, 8, stats::MIN_HOURS_PER_8H),
        so2_24h: moving(Pollutant::So2, |r| r.so2, 24, stats::MIN_HOURS_PER_DAY),
        pm10_24h: moving(Pollutant::Pm10, |r| r.pm10, 24, stats::MIN_HOURS_PER_DAY),
        pm25_24h: moving(Pollutant::Pm25, |r| r.pm2_5, 24, stats::MIN_HOURS_PER_DAY),
    };
    let start = newest.hour_start.and_utc();
    let report = hourly.report(Standard::in_force_on(local_day(start, tz)));
    Ok(Some(Latest { time: start + Duration::hours(1), report }))
}

/// Imports parsed readings in one transaction, or nothing when a row is bad (`errors`: those the reading
/// found): every station must exist and lie in the caller's part of the grid; hours already held with the
/// same values change nothing; changed hours are replaced and the old values recorded; then the statistics
/// of every station-day touched are computed again.
pub fn import(
    conn: &mut AnyConnection,
    caller: &Caller,
    source: &str,
    (readings, mut errors): (Vec<Reading>, Vec<FieldError>),
    tz: Tz,
) -> Result<ImportSummary, ApiError> {
    caller.require(Permission::AirSubmit)?;
    errors.extend(super::read::conflicting_duplicates(&readings));
    let codes: Vec<String> = readings.iter().map(|r| r.station.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let stations: HashMap<String, StationRow> =
        store::lock_stations(conn, &codes)?.into_iter().map(|s| (s.code.clone(), s)).collect();
    for r in &readings {
        match stations.get(&r.station) {
            None => errors.push(FieldError::in_row(r.row, "station_code", "no station has this code")),
            Some(s) if !caller.scope.covers(&s.cell_path) => {
                errors.push(FieldError::in_row(r.row, "station_code", "the station is outside your part of the grid"))
            }
            Some(s) if !active_on(s, local_day(r.hour_start, tz)) => {
                errors.push(FieldError::in_row(r.row, "time", "the station was not in service then"))
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(crate::import::invalid_rows(errors));
    }
    let mut summary = ImportSummary { rows: readings.len() as u64, ..Default::default() };
    let now = db::now();
    let mut by_station: BTreeMap<String, Vec<Reading>> = BTreeMap::new();
    for r in readings {
        by_station.entry(r.station.clone()).or_default().push(r);
    }
    for (station, mut rows) in by_station {
        rows.sort_by_key(|r| r.hour_start);
        rows.dedup_by_key(|r| r.hour_start);
        let (first, last) = (rows[0].hour_start.naive_utc(), rows[rows.len() - 1].hour_start.naive_utc());
        let held: HashMap<_, ReadingRow> = store::readings(conn, &station, first, last + Duration::hours(1))?
            .into_iter()
            .map(|r| (r.hour_start, r))
            .collect();
        let mut fresh = Vec::new();
        let mut days = BTreeSet::new();
        for r in rows {
            let milli = r.values.map(|v| v.and_then(to_milli));
            let mut row = ReadingRow {
                station_code: station.clone(),
                hour_start: r.hour_start.naive_utc(),
                so2: milli[0],
                no2: milli[1],
                co: milli[2],
                o3: milli[3],
                pm10: milli[4],
                pm2_5: milli[5],
                valid: r.valid,
                source: source.to_owned(),
                revision: 1,
                imported_at: now,
            };
            match held.get(&row.hour_start) {
                Some(old) if old.values() == row.values() => summary.unchanged += 1,
                Some(old) => {
                    row.revision = old.revision + 1;
                    let previous = serde_json::json!({
                        "so2": old.so2.map(from_milli), "no2": old.no2.map(from_milli), "co": old.co.map(from_milli),
                        "o3": old.o3.map(from_milli), "pm10": old.pm10.map(from_milli), "pm2_5": old.pm2_5.map(from_milli),
                        "valid": old.valid, "source": old.source, "revision": old.revision,
                    });
                    store::insert_correction(
                        conn,
                        &CorrectionRow {
                            id: db::new_id(),
                            station_code: station.clone(),
                            hour_start: row.hour_start,
                            previous: previous.to_string(),
                            replaced_by: caller.username.clone(),
                            replaced_at: now,
                        },
                    )?;
                    store::update_reading(conn, &row)?;
                    days.insert(local_day(r.hour_start, tz));
                    summary.corrected += 1;
                }
                None => {
                    days.insert(local_day(r.hour_start, tz));
                    fresh.push(row);
                    summary.created += 1;
                }
            }
        }
        store::insert_readings(conn, &fresh)?;
        summary.days_recomputed += recompute_days(conn, &station, &days, tz)? as u64;
    }
    if summary.created + summary.corrected > 0 {
        let facts = AirImportFacts {
            source: source.to_owned(),
            rows: summary.rows,
            created: summary.created,
            corrected: summary.corrected,
        };
        events::record_one(conn, caller, Event::new(source.to_owned(), None, EventData::AirReadingsImported(facts)))?;
    }
    Ok(summary)
}

/// Whether a station was in service on a day: from `active_from`, up to (not including) `active_to`.
fn active_on(station: &StationRow, day: NaiveDate) -> bool {
    station.active_from <= day && station.active_to.is_none_or(|to| day < to)
}

fn local_day(hour_start: DateTime<Utc>, tz: Tz) -> NaiveDate {
    hour_start.with_timezone(&tz).date_naive()
}

/// Computes a station's statistics again for the given Beijing days from its valid hourly readings.
fn recompute_days(
    conn: &mut AnyConnection,
    station: &str,
    days: &BTreeSet<NaiveDate>,
    tz: Tz,
) -> Result<usize, ApiError> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok(0) };
    let bound =
        |d: NaiveDate| day_start(d, tz).map(|t| t.naive_utc()).ok_or_else(|| ApiError::internal("day out of range"));
    let readings = store::readings(conn, station, bound(*first)?, bound(last.succ_opt().unwrap_or(*last))?)?;
    let mut by_day: BTreeMap<NaiveDate, Vec<&ReadingRow>> = BTreeMap::new();
    for r in readings.iter().filter(|r| r.valid) {
        by_day.entry(local_day(r.hour_start.and_utc(), tz)).or_default().push(r);
    }
    let rows: Vec<StationDayRow> = days
        .iter()
        .map(|&day| {
            let hours = by_day.get(&day).map(Vec::as_slice).unwrap_or_default();
            let start = bound(day)?;
            let column = |pick: fn(&ReadingRow) -> Option<i64>| {
                let mut values: DayHours = [None; 24];
                for r in hours {
                    let i = (r.hour_start - start).num_hours();
                    if let (Ok(i @ 0..24), Some(v)) = (usize::try_from(i), pick(r)) {
                        values[i] = Some(from_milli(v));
                    }
                }
                values
            };
            let daily = stats::daily_from_hours(&|p: Pollutant| match p {
                Pollutant::So2 => column(|r| r.so2),
                Pollutant::No2 => column(|r| r.no2),
                Pollutant::Co => column(|r| r.co),
                Pollutant::O3 => column(|r| r.o3),
                Pollutant::Pm10 => column(|r| r.pm10),
                Pollutant::Pm25 => column(|r| r.pm2_5),
            });
            let m = |v: Option<Decimal>| v.and_then(to_milli);
            let o3: Vec<Option<i64>> = column(|r| r.o3).iter().map(|v| v.and_then(to_milli)).collect();
            Ok(StationDayRow {
                station_code: station.to_owned(),
                day,
                so2_24h: m(daily.so2_24h),
                no2_24h: m(daily.no2_24h),
                co_24h: m(daily.co_24h),
                pm10_24h: m(daily.pm10_24h),
                pm2_5_24h: m(daily.pm25_24h),
                o3_8h_max: m(daily.o3_8h_max),
                o3_1h_max: m(daily.o3_1h_max),
                hours: hours.len() as i32,
                o3_hours: serde_json::to_string(&o3).ok(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    store::replace_station_days(conn, station, &rows)?;
    Ok(rows.len())
}

fn daily_of(row: &StationDayRow) -> Daily {
    let d = |v: Option<i64>| v.map(from_milli);
    Daily {
        so2_24h: d(row.so2_24h),
        no2_24h: d(row.no2_24h),
        co_24h: d(row.co_24h),
        pm10_24h: d(row.pm10_24h),
        pm25_24h: d(row.pm2_5_24h),
        o3_8h_max: d(row.o3_8h_max),
        o3_1h_max: d(row.o3_1h_max),
    }
}

/// A day of a station or an area: its statistics and the daily AQI by the standard in force that day.
#[derive(Debug, Clone)]
pub struct AreaDay {
    pub date: NaiveDate,
    pub daily: Daily,
    pub report: AqiReport,
    /// Stations that had data that day.
    pub stations: usize,
    /// The area's forecast for the day, if one was issued.
    pub forecast: Option<store::ForecastRow>,
}

/// Where a daily series comes from.
#[derive(Debug, Clone)]
pub enum Place {
    /// One station, by code.
    Station(String),
    /// The assessment stations in a cell's subtree (code), or in the caller's part of the grid.
    Area(Option<String>),
}

/// The daily AQI of a station or area on each day from `from` to `to` that has data.
pub fn daily(
    conn: &mut AnyConnection,
    caller: &Caller,
    place: &Place,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<AreaDay>, ApiError> {
    caller.require(Permission::AirRead)?;
    let rows = match place {
        Place::Station(code) => {
            let station = store::find_station(conn, code)?
                .filter(|s| caller.scope.sees_cell(&s.cell_path))
                .ok_or_else(|| ApiError::NotFound("no station here".into()))?;
            store::assessment_days(conn, None, Some(&station.code), (from, to))?
        }
        Place::Area(cell) => {
            let within = grid::service::records_within(conn, caller, cell.as_deref())?;
            store::assessment_days(conn, within.as_deref(), None, (from, to))?
        }
    };
    let mut days = area_days(&rows);
    // The area's own forecasts (a named cell, or the caller's home), to set beside what was observed.
    let forecast_cell = match place {
        Place::Area(Some(code)) => Some(code.clone()),
        Place::Area(None) => caller.home.as_ref().map(|h| h.code.clone()),
        Place::Station(_) => None,
    };
    if let Some(cell) = forecast_cell {
        let forecasts: BTreeMap<NaiveDate, store::ForecastRow> =
            store::forecasts(conn, &cell, from, to)?.into_iter().map(|f| (f.day, f)).collect();
        for day in &mut days {
            day.forecast = forecasts.get(&day.date).cloned();
        }
    }
    Ok(days)
}

/// Station days grouped into area days: each daily mean the mean over the stations that have it; the O3
/// 8-h and 1-h maxima those of the area's hourly series (each hour the mean over the stations that have it).
fn area_days(rows: &[StationDayRow]) -> Vec<AreaDay> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&StationDayRow>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.hours > 0) {
        by_day.entry(row.day).or_default().push(row);
    }
    by_day
        .into_iter()
        .map(|(date, stations)| {
            let dailies: Vec<Daily> = stations.iter().map(|r| daily_of(r)).collect();
            let mut daily = stats::area_daily(dailies.iter());
            let hourly: Vec<[Option<i64>; 24]> = stations
                .iter()
                .filter_map(|r| r.o3_hours.as_deref().and_then(|h| serde_json::from_str(h).ok()))
                .collect();
            if !hourly.is_empty() {
                let mut o3: DayHours = [None; 24];
                for (h, slot) in o3.iter_mut().enumerate() {
                    *slot = stats::mean(Pollutant::O3, hourly.iter().filter_map(|s| s[h].map(from_milli)), 1);
                }
                daily.o3_8h_max = stats::daily_max_8h(&o3);
                daily.o3_1h_max = stats::daily_max_1h(&o3);
            }
            let report = daily.report(Standard::in_force_on(date));
            AreaDay { date, daily, report, stations: stations.len(), forecast: None }
        })
        .collect()
}

/// The year's figures of an area.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AirYearFigures)]
pub struct YearFigures {
    pub year: i32,
    /// Days with a daily AQI.
    pub valid_days: usize,
    /// Days with AQI ≤ 100 (优良天).
    pub good_days: usize,
    /// Good of valid days, percent with two decimals.
    pub good_day_percent: Option<f64>,
    /// Days per category (`excellent`, `good`, `lightly_polluted`…).
    pub days_by_category: BTreeMap<String, usize>,
    /// Annual means (µg/m³) of SO2, NO2, PM10 and PM2.5, as decimal strings; null when the year's daily
    /// values do not make a valid annual statistic (GB 3095 表4: 324 days, 27 a month, 25 in February).
    pub annual_mean: BTreeMap<String, Option<String>>,
    /// 95th percentile of CO daily means (mg/m³).
    pub co_p95: Option<String>,
    /// 90th percentile of the O3 daily maximum 8-h means (µg/m³).
    pub o3_8h_p90: Option<String>,
    /// The ambient standard whose Grade II limits the year is judged by (in force at its end).
    pub ambient_standard: AmbientStandard,
    /// Each pollutant's figure against its limit.
    pub limits: Vec<LimitCheck>,
    /// Month by month, those with data.
    pub months: Vec<MonthFigures>,
}

/// A month's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthFigures {
    /// 1–12.
    pub month: u32,
    pub valid_days: usize,
    pub good_days: usize,
    pub good_day_percent: Option<f64>,
    /// The monthly PM2.5 mean (µg/m³): null with fewer than 27 daily values (25 in February).
    pub pm2_5_mean: Option<String>,
}

/// A year's figure for one pollutant against the ambient limit in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LimitCheck {
    pub pollutant: Pollutant,
    pub statistic: stats::Statistic,
    /// The year's figure, as a decimal string; null when not valid.
    pub value: Option<String>,
    pub limit: String,
    /// Whether the figure is within the limit; null without a figure.
    pub meets: Option<bool>,
}

/// The figures of `year` for the assessment stations of `cell` (the caller's part of the grid without
/// one), with the year before for comparison.
pub fn year_figures(
    conn: &mut AnyConnection,
    caller: &Caller,
    cell: Option<&str>,
    year: i32,
) -> Result<(YearFigures, YearFigures), ApiError> {
    caller.require(Permission::AirRead)?;
    let within = grid::service::records_within(conn, caller, cell)?;
    let bounds = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .zip(NaiveDate::from_ymd_opt(y, 12, 31))
            .ok_or_else(|| ApiError::validation(vec![FieldError::new("year", "is out of range")]))
    };
    let this = area_days(&store::assessment_days(conn, within.as_deref(), None, bounds(year)?)?);
    let before = area_days(&store::assessment_days(conn, within.as_deref(), None, bounds(year - 1)?)?);
    Ok((figures(year, &this), figures(year - 1, &before)))
}

fn figures(year: i32, days: &[AreaDay]) -> YearFigures {
    let categories: Vec<Category> = days.iter().filter_map(|d| d.report.category()).collect();
    let good_days = categories.iter().filter(|c| c.is_good_day()).count();
    let mut days_by_category = BTreeMap::new();
    for c in &categories {
        *days_by_category.entry(c.as_str().to_owned()).or_insert(0) += 1;
    }
    let annual = |p: Pollutant, pick: fn(&Daily) -> Option<Decimal>| {
        let present: Vec<(NaiveDate, Decimal)> =
            days.iter().filter_map(|d| pick(&d.daily).map(|v| (d.date, v))).collect();
        let dates: Vec<NaiveDate> = present.iter().map(|(d, _)| *d).collect();
        stats::annual_valid(&dates)
            .then(|| stats::mean(p, present.iter().map(|(_, v)| *v), MIN_DAYS_PER_YEAR))
            .flatten()
            .map(|v| v.normalize().to_string())
    };
    let annual_mean: BTreeMap<String, Option<String>> = [
        ("so2", annual(Pollutant::So2, |d| d.so2_24h)),
        ("no2", annual(Pollutant::No2, |d| d.no2_24h)),
        ("pm10", annual(Pollutant::Pm10, |d| d.pm10_24h)),
        ("pm2_5", annual(Pollutant::Pm25, |d| d.pm25_24h)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut co: Vec<Decimal> = days.iter().filter_map(|d| d.daily.co_24h).collect();
    let mut o3: Vec<Decimal> = days.iter().filter_map(|d| d.daily.o3_8h_max).collect();
    let round = |p: Pollutant, v: Decimal| p.round_for_report(v).normalize().to_string();
    // Percentiles are annual statistics too: valid on the same days as an annual mean.
    let valid_year = |pick: fn(&Daily) -> Option<Decimal>| {
        stats::annual_valid(&days.iter().filter(|d| pick(&d.daily).is_some()).map(|d| d.date).collect::<Vec<_>>())
    };
    let co_p95 = stats::percentile(&mut co, 95).filter(|_| valid_year(|d| d.co_24h)).map(|v| round(Pollutant::Co, v));
    let o3_8h_p90 =
        stats::percentile(&mut o3, 90).filter(|_| valid_year(|d| d.o3_8h_max)).map(|v| round(Pollutant::O3, v));
    let ambient =
        NaiveDate::from_ymd_opt(year, 12, 31).map_or(AmbientStandard::Gb3095_2012, AmbientStandard::in_force_on);
    let limits = [Pollutant::So2, Pollutant::No2, Pollutant::Pm10, Pollutant::Pm25, Pollutant::Co, Pollutant::O3]
        .into_iter()
        .map(|p| {
            let (statistic, limit) = ambient.annual_limit(p);
            let value: Option<String> = match p {
                Pollutant::Co => co_p95.clone(),
                Pollutant::O3 => o3_8h_p90.clone(),
                other => annual_mean.get(other.as_str()).cloned().flatten(),
            };
            let meets = value.as_deref().and_then(|v| v.parse::<Decimal>().ok()).map(|v| v <= limit);
            LimitCheck { pollutant: p, statistic, value, limit: limit.to_string(), meets }
        })
        .collect();
    let mut by_month: BTreeMap<u32, Vec<&AreaDay>> = BTreeMap::new();
    for day in days {
        by_month.entry(day.date.month()).or_default().push(day);
    }
    let months = by_month
        .into_iter()
        .map(|(month, days)| {
            let categories: Vec<Category> = days.iter().filter_map(|d| d.report.category()).collect();
            let good = categories.iter().filter(|c| c.is_good_day()).count();
            let min = if month == 2 { 25 } else { 27 };
            let pm25 = stats::mean(Pollutant::Pm25, days.iter().filter_map(|d| d.daily.pm25_24h), min);
            MonthFigures {
                month,
                valid_days: categories.len(),
                good_days: good,
                good_day_percent: crate::domain::incident::percent(good as u64, categories.len() as u64),
                pm2_5_mean: pm25.map(|v| v.normalize().to_string()),
            }
        })
        .collect();
    YearFigures {
        months,
        year,
        valid_days: categories.len(),
        good_days,
        good_day_percent: crate::domain::incident::percent(good_days as u64, categories.len() as u64),
        days_by_category,
        annual_mean,
        co_p95,
        o3_8h_p90,
        ambient_standard: ambient,
        limits,
    }
}

/// A forecast as issued.
#[derive(Debug, Clone)]
pub struct ForecastIssue {
    pub cell: String,
    pub source: String,
    pub issued_at: DateTime<Utc>,
    /// (day, AQI, primary pollutant).
    pub days: Vec<(NaiveDate, u16, Option<Pollutant>)>,
}

/// Records a daily forecast for a city or district the caller may see (`air:submit`); a day already
/// forecast by a later issue keeps that one. How many days were recorded.
pub fn record_forecast(conn: &mut AnyConnection, caller: &Caller, issue: ForecastIssue) -> Result<usize, ApiError> {
    caller.require(Permission::AirSubmit)?;
    let cell = grid::service::target_cell(conn, caller, &issue.cell, "cell")?;
    let mut recorded = 0;
    for (day, aqi, pollutant) in &issue.days {
        let row = store::ForecastRow {
            cell_code: cell.code.clone(),
            day: *day,
            aqi: i32::from(*aqi),
            primary_pollutant: pollutant.map(|p| p.as_str().to_owned()),
            source: issue.source.clone(),
            issued_at: issue.issued_at.naive_utc(),
            entered_by: caller.username.clone(),
        };
        recorded += usize::from(store::upsert_forecast(conn, &row)?);
    }
    Ok(recorded)
}

/// The forecast daily AQI from `from` to `to` for a set of control cells: each day from the first of them
/// with a forecast, else from the top-level cell above them.
pub fn forecast_aqi(
    conn: &mut AnyConnection,
    cells: &[crate::controls::store::ControlCellRow],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, u16>, ApiError> {
    let mut codes: Vec<String> = cells.iter().map(|c| c.cell_code.clone()).collect();
    // The top-level cell: the first segment of the paths.
    codes.extend(cells.iter().filter_map(|c| c.cell_path.split('/').next().map(str::to_owned)));
    let mut days = BTreeMap::new();
    for code in codes {
        for f in store::forecasts(conn, &code, from, to)? {
            if let Ok(aqi) = u16::try_from(f.aqi) {
                days.entry(f.day).or_insert(aqi);
            }
        }
    }
    Ok(days)
}

/// The city's daily AQI from `from` to `to`, by day: the assessment stations of every top-level cell.
pub fn city_daily_aqi(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, u16>, ApiError> {
    let rows = store::assessment_days(conn, None, None, (from, to))?;
    Ok(area_days(&rows)
        .into_iter()
        .filter_map(|d| d.report.aqi.and_then(|a| u16::try_from(a).ok()).map(|a| (d.date, a)))
        .collect())
}
