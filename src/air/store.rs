//! Rows of air quality and the queries on them. Concentrations are kept in thousandths (exact decimals).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::db::AnyConnection;
use crate::db::schema::{air_forecasts, air_reading_corrections, air_readings, air_station_days, air_stations};
use crate::domain::scope::subtree_range;
use crate::with_inner;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = air_stations, treat_none_as_null = true)]
pub struct StationRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
    pub cell_code: String,
    pub cell_path: String,
    /// JSON list of pollutant names.
    pub pollutants: String,
    pub assessment: bool,
    pub active_from: NaiveDate,
    pub active_to: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub version: i64,
}

/// One station-hour: the six concentrations in thousandths.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = air_readings, treat_none_as_null = true)]
pub struct ReadingRow {
    pub station_code: String,
    pub hour_start: NaiveDateTime,
    pub so2: Option<i64>,
    pub no2: Option<i64>,
    pub co: Option<i64>,
    pub o3: Option<i64>,
    pub pm10: Option<i64>,
    pub pm2_5: Option<i64>,
    pub valid: bool,
    pub source: String,
    pub revision: i32,
    pub imported_at: NaiveDateTime,
}

impl ReadingRow {
    /// The values a correction compares: concentrations and validity.
    pub fn values(&self) -> [Option<i64>; 7] {
        [self.so2, self.no2, self.co, self.o3, self.pm10, self.pm2_5, Some(i64::from(self.valid))]
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = air_reading_corrections)]
pub struct CorrectionRow {
    pub id: String,
    pub station_code: String,
    pub hour_start: NaiveDateTime,
    pub previous: String,
    pub replaced_by: String,
    pub replaced_at: NaiveDateTime,
}

/// A station's statistics for one Beijing day, in thousandths.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = air_station_days, treat_none_as_null = true)]
pub struct StationDayRow {
    pub station_code: String,
    pub day: NaiveDate,
    pub so2_24h: Option<i64>,
    pub no2_24h: Option<i64>,
    pub co_24h: Option<i64>,
    pub pm10_24h: Option<i64>,
    pub pm2_5_24h: Option<i64>,
    pub o3_8h_max: Option<i64>,
    pub o3_1h_max: Option<i64>,
    pub hours: i32,
    /// The 24 hourly O3 values (`[Option<i64>; 24]` as JSON), for the areas' hourly means.
    pub o3_hours: Option<String>,
}

/// A concentration in thousandths.
pub fn to_milli(value: Decimal) -> Option<i64> {
    (value * Decimal::from(1000)).round().to_i64()
}

pub fn from_milli(value: i64) -> Decimal {
    Decimal::new(value, 3).normalize()
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = air_forecasts, treat_none_as_null = true)]
pub struct ForecastRow {
    pub cell_code: String,
    pub day: NaiveDate,
    pub aqi: i32,
    pub primary_pollutant: Option<String>,
    pub source: String,
    pub issued_at: NaiveDateTime,
    pub entered_by: String,
}

/// Records a forecast day unless a later-issued one is held; whether it was recorded.
pub fn upsert_forecast(conn: &mut AnyConnection, row: &ForecastRow) -> QueryResult<bool> {
    let held =
        air_forecasts::table.find((&row.cell_code, row.day)).select(ForecastRow::as_select()).first(conn).optional()?;
    if held.is_some_and(|h| h.issued_at > row.issued_at) {
        return Ok(false);
    }
    with_inner!(&mut *conn, |c| diesel::insert_into(air_forecasts::table)
        .values(row)
        .on_conflict((air_forecasts::cell_code, air_forecasts::day))
        .do_update()
        .set(row)
        .execute(c))
    .map(|_| true)
}

pub fn forecasts(
    conn: &mut AnyConnection,
    cell: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ForecastRow>> {
    air_forecasts::table
        .filter(air_forecasts::cell_code.eq(cell))
        .filter(air_forecasts::day.ge(from).and(air_forecasts::day.le(to)))
        .order(air_forecasts::day)
        .select(ForecastRow::as_select())
        .load(conn)
}

pub fn insert_station(conn: &mut AnyConnection, row: &StationRow) -> QueryResult<()> {
    diesel::insert_into(air_stations::table).values(row).execute(conn).map(drop)
}

/// Writes a changed station if it is still at `expected`.
pub fn update_station(conn: &mut AnyConnection, row: &StationRow, expected: i64) -> QueryResult<bool> {
    let target = air_stations::table.find(&row.code).filter(air_stations::version.eq(expected));
    Ok(diesel::update(target).set(row).execute(conn)? == 1)
}

pub fn find_station(conn: &mut AnyConnection, code: &str) -> QueryResult<Option<StationRow>> {
    air_stations::table.find(code).select(StationRow::as_select()).first(conn).optional()
}

/// The stations with these codes; on PostgreSQL locked until the transaction ends, so that imports touching
/// the same stations run one after the other (SQLite writes one at a time anyway).
pub fn lock_stations(conn: &mut AnyConnection, codes: &[String]) -> QueryResult<Vec<StationRow>> {
    let mut found = Vec::new();
    for chunk in codes.chunks(1000) {
        let q = air_stations::table.filter(air_stations::code.eq_any(chunk)).order(air_stations::code);
        found.extend(match conn {
            AnyConnection::Postgresql(c) => q.select(StationRow::as_select()).for_update().load(c)?,
            AnyConnection::Sqlite(c) => q.select(StationRow::as_select()).load(c)?,
        });
    }
    Ok(found)
}

/// Stations in the subtree of `within` (everywhere without it), by code after the cursor.
pub fn list_stations(
    conn: &mut AnyConnection,
    within: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<StationRow>> {
    let mut q = air_stations::table.select(StationRow::as_select()).into_boxed();
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        q = q.filter(air_stations::cell_path.ge(start).and(air_stations::cell_path.lt(end)));
    }
    if let Some(after) = after {
        q = q.filter(air_stations::code.gt(after.to_owned()));
    }
    q.order(air_stations::code).limit(limit).load(conn)
}

/// A station's readings from `from` up to `to`, by hour.
pub fn readings(
    conn: &mut AnyConnection,
    station: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<ReadingRow>> {
    air_readings::table
        .filter(air_readings::station_code.eq(station))
        .filter(air_readings::hour_start.ge(from).and(air_readings::hour_start.lt(to)))
        .order(air_readings::hour_start)
        .select(ReadingRow::as_select())
        .load(conn)
}

/// A station's latest valid hour.
pub fn latest_valid_reading(conn: &mut AnyConnection, station: &str) -> QueryResult<Option<ReadingRow>> {
    air_readings::table
        .filter(air_readings::station_code.eq(station))
        .filter(air_readings::valid.eq(true))
        .order(air_readings::hour_start.desc())
        .select(ReadingRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_readings(conn: &mut AnyConnection, rows: &[ReadingRow]) -> QueryResult<()> {
    match conn {
        // Multi-row inserts for PostgreSQL; SQLite writes row by row in the one transaction just as fast.
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(air_readings::table).values(chunk).execute(c)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(air_readings::table).values(row).execute(c)?;
            }
        }
    }
    Ok(())
}

pub fn update_reading(conn: &mut AnyConnection, row: &ReadingRow) -> QueryResult<()> {
    diesel::update(air_readings::table.find((&row.station_code, row.hour_start))).set(row).execute(conn).map(drop)
}

pub fn insert_correction(conn: &mut AnyConnection, row: &CorrectionRow) -> QueryResult<()> {
    diesel::insert_into(air_reading_corrections::table).values(row).execute(conn).map(drop)
}

/// Replaces a station's statistics for the days given.
pub fn replace_station_days(conn: &mut AnyConnection, station: &str, days: &[StationDayRow]) -> QueryResult<()> {
    let dates: Vec<NaiveDate> = days.iter().map(|d| d.day).collect();
    for chunk in dates.chunks(500) {
        let target = air_station_days::table
            .filter(air_station_days::station_code.eq(station))
            .filter(air_station_days::day.eq_any(chunk));
        diesel::delete(target).execute(conn)?;
    }
    for row in days {
        diesel::insert_into(air_station_days::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Daily statistics of the assessment stations in the subtree of `within` (every one without it), for the
/// days from `from` to `to`.
pub fn assessment_days(
    conn: &mut AnyConnection,
    within: Option<&str>,
    station: Option<&str>,
    (from, to): (NaiveDate, NaiveDate),
) -> QueryResult<Vec<StationDayRow>> {
    let mut q = air_station_days::table
        .inner_join(air_stations::table.on(air_stations::code.eq(air_station_days::station_code)))
        .filter(air_station_days::day.ge(from).and(air_station_days::day.le(to)))
        .select(StationDayRow::as_select())
        .into_boxed();
    match station {
        Some(code) => q = q.filter(air_stations::code.eq(code.to_owned())),
        None => q = q.filter(air_stations::assessment.eq(true)),
    }
    if let Some(path) = within {
        let (start, end) = subtree_range(path);
        q = q.filter(air_stations::cell_path.ge(start).and(air_stations::cell_path.lt(end)));
    }
    q.order((air_station_days::day, air_station_days::station_code)).load(conn)
}
