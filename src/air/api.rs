//! HTTP surface of air quality: stations, reading imports, daily AQI and the year's figures.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, AreaDay, ImportSummary, NewStation, Place, YearFigures};
use super::store::StationRow;
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::aqi::{Category, Indicator, Pollutant, SubIndex};
use crate::domain::crs::Crs;
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::{Json, Page, PageParams, Recorded, etag, parse_pollutant, required_text};
use crate::import::Upload;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_station)
        .service(list_stations)
        .service(get_station)
        .service(update_station)
        .service(import)
        .service(submit)
        .service(hours)
        .service(record_forecast)
        .service(daily)
        .service(year);
}

/// What a station is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 国控: a national assessment station.
    National,
    /// 省控.
    Provincial,
    /// 区控 / 市控.
    District,
    /// 微站: a micro-station (sensors; not for assessment).
    Micro,
}

impl StationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::National => "national",
            Self::Provincial => "provincial",
            Self::District => "district",
            Self::Micro => "micro",
        }
    }
}

/// A station to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "1098A", "name": "太原街", "kind": "national", "lon": 123.4, "lat": 41.79, "crs": "wgs84",
    "active_from": "2013-01-01"}))]
pub struct NewStationBody {
    /// The station code of the national network (`1098A`) or the city's own: 1–40 letters, digits, `_`, `-`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,40}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub kind: StationKind,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[serde(default)]
    pub crs: Crs,
    /// What it measures; all six by default.
    #[schema(value_type = Option<Vec<Pollutant>>)]
    pub pollutants: Option<Vec<String>>,
    /// Whether it counts towards the values of its areas (default: national and provincial stations).
    pub assessment: Option<bool>,
    pub active_from: NaiveDate,
}

/// A monitoring station.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AirStation)]
pub struct Station {
    pub code: String,
    pub name: String,
    #[schema(value_type = StationKind)]
    pub kind: String,
    /// WGS-84.
    pub lon: f64,
    pub lat: f64,
    /// The deepest cell it lies in.
    pub cell_code: String,
    pub pollutants: Vec<String>,
    pub assessment: bool,
    pub active_from: NaiveDate,
    pub active_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// Version, also sent as the ETag.
    pub version: i64,
    /// The latest valid hour held and its real-time AQI (in lists).
    pub latest: Option<LatestAqi>,
}

/// A station's latest hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestAqi {
    /// The end of the hour, as published.
    pub time: DateTime<Utc>,
    pub aqi: Option<u32>,
    pub category: Option<Category>,
    pub primary: Vec<Indicator>,
}

impl LatestAqi {
    fn of(latest: service::Latest) -> Self {
        Self {
            time: latest.time,
            aqi: latest.report.aqi,
            category: latest.report.category(),
            primary: latest.report.primary,
        }
    }
}

impl Station {
    fn of(row: StationRow) -> Result<Self, ApiError> {
        Ok(Self {
            latest: None,
            pollutants: serde_json::from_str(&row.pollutants).map_err(ApiError::internal)?,
            code: row.code,
            name: row.name,
            kind: row.kind,
            lon: row.lon,
            lat: row.lat,
            cell_code: row.cell_code,
            assessment: row.assessment,
            active_from: row.active_from,
            active_to: row.active_to,
            created_at: row.created_at.and_utc(),
            version: row.version,
        })
    }
}

/// Register a monitoring station
///
/// In the caller's part of the grid (`air:manage`), routed to the deepest cell its position lies in.
#[utoipa::path(
    operation_id = "create_air_station",
    tag = "air quality",
    request_body = NewStationBody,
    responses(
        (status = 201, description = "Registered", body = Station),
        (status = 409, description = "A station with this code exists (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad fields, or a position outside the grid or the caller's part of it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/air-stations")]
pub async fn create_station(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<Settings>,
    body: Json<NewStationBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let code = b.code.trim().to_owned();
    if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        errors.push(FieldError::new("code", "must be 1–40 letters, digits, _ and -"));
    }
    let name = required_text(&b.name, 100, "name", &mut errors);
    let pollutants = match b.pollutants {
        None => Pollutant::ALL.to_vec(),
        Some(names) => names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| parse_pollutant(n, &format!("pollutants[{i}]"), &mut errors))
            .collect(),
    };
    if !(-180.0..=180.0).contains(&b.lon) || !(-90.0..=90.0).contains(&b.lat) {
        errors.push(FieldError::new("lon", "is not a longitude −180…180 with a latitude −90…90"));
    }
    let (lon, lat) = b.crs.to_wgs84(b.lon, b.lat);
    let today = Utc::now().with_timezone(&settings.timezone).date_naive();
    let snapshot = live.current(&db, today).await?;
    let cell = snapshot.index.locate(lon, lat).last().map(|c| c.code.to_string());
    let Some(cell) = cell.filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            errors.push(FieldError::new("lon", "lies outside the grid"));
        }
        return Err(ApiError::validation(errors));
    };
    let assessment = b.assessment.unwrap_or(matches!(b.kind, StationKind::National | StationKind::Provincial));
    let new = NewStation {
        code,
        name,
        kind: b.kind.as_str().into(),
        lon,
        lat,
        pollutants,
        assessment,
        active_from: b.active_from,
    };
    let row = db.transaction(move |conn| service::create_station(conn, &caller, &cell, new)).await?;
    Ok(HttpResponse::Created().json(Station::of(row)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StationQuery {
    /// Stations in this cell's subtree.
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210102")]
    cell: Option<String>,
    /// `geojson` for a GeoJSON FeatureCollection (also `Accept: application/geo+json`), `json` otherwise.
    #[param(pattern = "^(json|geojson)$")]
    f: Option<String>,
}

/// List monitoring stations
///
/// By code, each with its latest hour's real-time AQI; `f=geojson` answers a map layer.
#[utoipa::path(
    operation_id = "list_air_stations",
    tag = "air quality",
    params(StationQuery, PageParams),
    responses(
        (status = 200, description = "A page of stations, by code", content(
            (Page<Station> = "application/json"),
            (crate::http::geojson::FeatureCollection<Station> = "application/geo+json"),
        )),
        (status = 422, description = "Unknown cell", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/air-stations")]
pub async fn list_stations(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<StationQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let geojson = crate::http::geojson::wanted(&req, query.f.as_deref())?;
    let (limit, after) = (page.limit()?, page.after()?);
    let cell = query.into_inner().cell;
    let tz = settings.timezone;
    let rows = db
        .run(move |conn| service::list_stations(conn, &caller, cell.as_deref(), after.as_deref(), limit + 1, tz))
        .await?;
    let page = Page::from_rows(rows, limit, |(s, _)| s.code.clone());
    let items = page
        .items
        .into_iter()
        .map(|(row, latest)| Ok(Station { latest: latest.map(LatestAqi::of), ..Station::of(row)? }))
        .collect::<Result<_, ApiError>>()?;
    let page = Page { items, next_cursor: page.next_cursor };
    Ok(if geojson {
        crate::http::geojson::respond(&req, page, |s| s.code.clone(), |s| (s.lon, s.lat))
    } else {
        page.respond(&req)
    })
}

/// Get a monitoring station
#[utoipa::path(
    operation_id = "get_air_station",
    tag = "air quality",
    params(("code" = String, Path, description = "Station code", example = "1098A")),
    responses(
        (status = 200, description = "The station; `ETag` carries its version", body = Station),
        (status = 404, description = "No station here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/air-stations/{code}")]
pub async fn get_station(caller: Caller, db: web::Data<Db>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let row = db.run(move |conn| service::station(conn, &caller, &code)).await?;
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::ETAG, etag(row.version))).json(Station::of(row)?))
}

/// Changes to a station; fields left out stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assessment": false, "active_to": "2026-12-31"}))]
pub struct StationPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Whether it counts towards the values of its areas (every figure follows at once).
    pub assessment: Option<bool>,
    /// The first day it is out of service; `null` to put it back in service.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub active_to: Option<Option<NaiveDate>>,
}

/// Change a monitoring station
///
/// Its name, whether it counts for its areas, its end of service (`air:manage` in the caller's part of the
/// grid); requires `If-Match`.
#[utoipa::path(
    operation_id = "update_air_station",
    tag = "air quality",
    params(
        ("code" = String, Path, description = "Station code", example = "1098A"),
        ("If-Match" = String, Header, description = "The ETag from the last read", example = "\"1\""),
    ),
    request_body = StationPatch,
    responses(
        (status = 200, description = "Changed", body = Station),
        (status = 404, description = "No station here", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, or an end before the start", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/api/v1/air-stations/{code}")]
pub async fn update_station(
    caller: Caller,
    db: web::Data<Db>,
    code: web::Path<String>,
    if_match: crate::http::IfMatch,
    body: Json<StationPatch>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let name = b.name.map(|n| required_text(&n, 100, "name", &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let change = service::StationChange { name, assessment: b.assessment, active_to: b.active_to };
    let row = db.transaction(move |conn| service::update_station(conn, &caller, &code, change, if_match)).await?;
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::ETAG, etag(row.version))).json(Station::of(row)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Where the readings come from (2–32 of a–z, 0–9, `_`, `-`; default `station`).
    #[param(example = "cnemc")]
    source: Option<String>,
}

/// Import hourly readings
///
/// CSV by header (`station_code`, `time`, `so2`, `no2`, `co`, `o3`, `pm10`, `pm2_5`, `valid`, or the Chinese
/// columns station software exports: `站点编码`, `时间`, `二氧化硫`…, GBK detected) or NDJSON, in one
/// transaction (`air:submit`). `time` is the end of the hour measured, as the national platform publishes it
/// (`01:00` is 00:00–01:00), in Beijing time unless zoned. An hour held with the same values changes
/// nothing; with other values it is replaced and the old values recorded. Each station-day touched gets its
/// daily statistics computed again.
#[utoipa::path(
    operation_id = "import_air_readings",
    tag = "air quality",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file",
        example = "station_code,time,so2,no2,co,o3,pm10,pm2_5\n1098A,2025-01-01 01:00,12,35,0.9,40,68,45\n"),
    responses(
        (status = 200, description = "What the import did", body = ImportSummary),
        (status = 413, description = "The file is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a CSV or NDJSON upload", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a list of readings (`/problems/import-invalid-file`), or bad rows (`/problems/import-invalid-rows`, `rows[LINE].COLUMN`: unknown stations, negative or impossible values, hours in the future, one hour twice with different values); nothing is written", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/air-readings/import")]
pub async fn import(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    caller.require(crate::domain::access::Permission::AirSubmit)?;
    let source = query.into_inner().source.unwrap_or_else(|| "station".into());
    crate::import::check_source(&source)?;
    let tz = settings.timezone;
    let readings = web::block(move || super::read::readings(upload, Utc::now(), tz)).await??;
    let summary = db.transaction(move |conn| service::import(conn, &caller, &source, readings, tz)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// One station-hour.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"station_code": "1098A", "time": "2025-01-01T01:00:00+08:00", "so2": 12, "no2": 35, "co": 0.9,
    "o3": 40, "pm10": 68, "pm2_5": 45}))]
pub struct ReadingBody {
    pub station_code: String,
    /// The end of the hour measured (RFC 3339, or Beijing time).
    pub time: String,
    /// µg/m³; null or left out when not measured.
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub so2: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub no2: Option<serde_json::Number>,
    /// mg/m³.
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub co: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub o3: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub pm10: Option<serde_json::Number>,
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub pm2_5: Option<serde_json::Number>,
    /// False for an hour the station flagged invalid (default true).
    pub valid: Option<bool>,
}

/// Submit one hourly reading
///
/// As an import of one row (`air:submit`, for integrations that push as they measure): an hour held with the
/// same values changes nothing, with other values it is corrected.
#[utoipa::path(
    operation_id = "submit_air_reading",
    tag = "air quality",
    params(ImportQuery),
    request_body = ReadingBody,
    responses(
        (status = 200, description = "What it did", body = ImportSummary),
        (status = 422, description = "An unknown station, a bad value or time (`/problems/import-invalid-rows`, `rows[1].FIELD`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/air-readings")]
pub async fn submit(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<ImportQuery>,
    body: Json<ReadingBody>,
) -> Result<HttpResponse, ApiError> {
    let source = query.into_inner().source.unwrap_or_else(|| "station".into());
    crate::import::check_source(&source)?;
    let b = body.0;
    let number = |n: Option<serde_json::Number>| n.map(|n| n.to_string());
    let fields = std::collections::HashMap::from([
        ("station_code", Some(b.station_code)),
        ("time", Some(b.time)),
        ("so2", number(b.so2)),
        ("no2", number(b.no2)),
        ("co", number(b.co)),
        ("o3", number(b.o3)),
        ("pm10", number(b.pm10)),
        ("pm2_5", number(b.pm2_5)),
        ("valid", b.valid.map(|v| v.to_string())),
    ]);
    let tz = settings.timezone;
    let parsed = super::read::parse(|f| fields.get(f).and_then(|v| v.as_deref()), Utc::now(), tz);
    let (readings, errors) = match parsed {
        Ok((station, hour_start, values, valid)) => {
            (vec![super::read::Reading { row: 1, station, hour_start, values, valid }], Vec::new())
        }
        Err(bad) => (Vec::new(), bad.into_iter().map(|(f, m)| FieldError::in_row(1, &f, m)).collect()),
    };
    let summary = db.transaction(move |conn| service::import(conn, &caller, &source, (readings, errors), tz)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// One forecast day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastDayBody {
    pub date: NaiveDate,
    #[schema(minimum = 0, maximum = 500)]
    pub aqi: u16,
    #[schema(value_type = Option<Pollutant>)]
    pub primary_pollutant: Option<String>,
}

/// A daily AQI forecast for a city or district.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cell": "210100", "source": "沈阳市环境监测中心站", "issued_at": "2025-01-01T16:00:00+08:00",
    "days": [{"date": "2025-01-02", "aqi": 135, "primary_pollutant": "pm2_5"}]}))]
pub struct ForecastBody {
    /// The city or district cell.
    #[schema(value_type = crate::domain::grid::CellCode)]
    pub cell: String,
    #[schema(min_length = 1, max_length = 200)]
    pub source: String,
    /// When it was issued (RFC 3339 or Beijing time); a day keeps its latest-issued forecast.
    pub issued_at: String,
    pub days: Vec<ForecastDayBody>,
}

/// Record a daily AQI forecast
///
/// For a city or district (`air:submit`), so that each day's forecast stands beside what was observed
/// (`GET /api/v1/air-quality/daily?cell=`).
#[utoipa::path(
    operation_id = "record_air_forecast",
    tag = "air quality",
    request_body = ForecastBody,
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 422, description = "Unknown cell, AQI over 500, an unknown pollutant, a day twice", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/api/v1/air-forecasts")]
pub async fn record_forecast(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    body: Json<ForecastBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let source = required_text(&b.source, 200, "source", &mut errors);
    let issued_at = crate::http::parse_time(&b.issued_at, settings.timezone, "issued_at", &mut errors);
    let mut seen = std::collections::BTreeSet::new();
    let mut days = Vec::with_capacity(b.days.len());
    for (i, d) in b.days.into_iter().enumerate() {
        if d.aqi > 500 {
            errors.push(FieldError::new(format!("days[{i}].aqi"), "must be 0–500"));
        }
        if !seen.insert(d.date) {
            errors.push(FieldError::new(format!("days[{i}].date"), "appears twice"));
        }
        let field = format!("days[{i}].primary_pollutant");
        let pollutant = d.primary_pollutant.as_deref().and_then(|raw| parse_pollutant(raw, &field, &mut errors));
        days.push((d.date, d.aqi, pollutant));
    }
    let Some(issued_at) = issued_at.filter(|_| errors.is_empty()) else { return Err(ApiError::validation(errors)) };
    let issue = service::ForecastIssue { cell: b.cell, source, issued_at, days };
    let recorded = db.transaction(move |conn| service::record_forecast(conn, &caller, issue)).await?;
    Ok(HttpResponse::Ok().json(Recorded { recorded }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// The station's code.
    #[param(example = "1098A")]
    station: String,
    /// From this time (the end of the first hour): RFC 3339, or a local date or date and time in Beijing time.
    #[param(format = DateTime, example = "2025-01-01T01:00:00+08:00")]
    from: String,
    /// Up to this time.
    #[param(format = DateTime, example = "2025-01-02T00:00:00+08:00")]
    to: String,
}

/// One station-hour as held.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourReading {
    /// The end of the hour, as published.
    pub time: DateTime<Utc>,
    /// Concentrations as decimal strings (µg/m³; CO mg/m³); null where not measured.
    pub so2: Option<String>,
    pub no2: Option<String>,
    pub co: Option<String>,
    pub o3: Option<String>,
    pub pm10: Option<String>,
    pub pm2_5: Option<String>,
    pub valid: bool,
    pub source: String,
    /// 1, and one more for each correction.
    pub revision: i32,
}

impl HourReading {
    fn of(r: super::store::ReadingRow) -> Self {
        let v = |m: Option<i64>| m.map(|m| super::store::from_milli(m).to_string());
        Self {
            time: r.hour_start.and_utc() + chrono::Duration::hours(1),
            so2: v(r.so2),
            no2: v(r.no2),
            co: v(r.co),
            o3: v(r.o3),
            pm10: v(r.pm10),
            pm2_5: v(r.pm2_5),
            valid: r.valid,
            source: r.source,
            revision: r.revision,
        }
    }
}

/// A station's hourly readings
///
/// Oldest first, with cursor pages; each hour as held, with its revision.
#[utoipa::path(
    operation_id = "list_air_readings",
    tag = "air quality",
    params(HoursQuery, PageParams),
    responses(
        (status = 200, description = "A page of hours", body = Page<HourReading>),
        (status = 404, description = "No such station in the caller's sight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad times", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/air-readings")]
pub async fn hours(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<HoursQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let HoursQuery { station, from, to } = query.into_inner();
    let mut errors = Vec::new();
    let from = crate::http::parse_time(&from, settings.timezone, "from", &mut errors);
    let to = crate::http::parse_time(&to, settings.timezone, "to", &mut errors);
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::validation(errors)) };
    let (limit, after) = (page.limit()?, page.after()?.map(crate::http::cursor::parse_timed).transpose()?);
    // `from`/`to` name hour ends; rows are held by their starts.
    let range = (from - chrono::Duration::hours(1), to);
    let rows =
        db.run(move |conn| service::hours(conn, &caller, &station, range, after.map(|(t, _)| t), limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| crate::http::cursor::timed(r.hour_start, &r.station_code));
    Ok(page.map(HourReading::of).respond(&req))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// One station (else the area of `cell`).
    #[param(example = "1098A")]
    station: Option<String>,
    /// The assessment stations of this cell's subtree (default: the caller's part of the grid).
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210100")]
    cell: Option<String>,
    /// First Beijing day.
    #[param(example = "2025-01-01")]
    from: NaiveDate,
    /// Last Beijing day, at most 366 days after `from`.
    #[param(example = "2025-01-31")]
    to: NaiveDate,
}

/// One day's AQI of a station or area.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyAqi {
    pub date: NaiveDate,
    /// `HJ 633-2012` before 2026-03-01, `HJ 633-2026` from then.
    pub standard: String,
    /// Null (`NA`): indicators are missing and the others give 100 or less (HJ 633-2026 §5.3).
    pub aqi: Option<u32>,
    pub category: Option<Category>,
    pub colour: Option<String>,
    /// 首要污染物 (ties all listed); empty at AQI 50 or less.
    pub primary: Vec<Indicator>,
    pub missing: Vec<Indicator>,
    pub sub_indices: Vec<SubIndex>,
    /// Assessment stations (or the one station) with data that day.
    pub stations: usize,
    /// The area's forecast daily AQI for the day, if one was issued.
    pub forecast_aqi: Option<u16>,
    pub forecast_primary_pollutant: Option<String>,
}

impl DailyAqi {
    fn of(d: AreaDay) -> Self {
        let category = d.report.category();
        Self {
            date: d.date,
            standard: d.report.standard.as_str().into(),
            aqi: d.report.aqi,
            colour: category.map(|c| c.colour().into()),
            category,
            primary: d.report.primary,
            missing: d.report.missing,
            sub_indices: d.report.sub_indices,
            stations: d.stations,
            forecast_aqi: d.forecast.as_ref().and_then(|f| u16::try_from(f.aqi).ok()),
            forecast_primary_pollutant: d.forecast.and_then(|f| f.primary_pollutant),
        }
    }
}

/// The days.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AirDailySeries)]
pub struct DailySeries {
    pub items: Vec<DailyAqi>,
}

/// Daily AQI of a station or area
///
/// By the standard in force on each day, from the daily statistics of the station or the mean of the area's
/// assessment stations; days without data are left out.
#[utoipa::path(
    operation_id = "daily_air_quality",
    tag = "air quality",
    params(DailyQuery),
    responses(
        (status = 200, description = "The days, in order", body = DailySeries),
        (status = 404, description = "No such station in the caller's sight", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown cell, or a range over 366 days", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/air-quality/daily")]
pub async fn daily(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<DailyQuery>,
) -> Result<HttpResponse, ApiError> {
    let DailyQuery { station, cell, from, to } = query.into_inner();
    crate::domain::time::days(from, to, settings.timezone)
        .map_err(|m| ApiError::validation(vec![FieldError::new("to", m)]))?;
    let place = match station.filter(|s| !s.trim().is_empty()) {
        Some(code) => Place::Station(code),
        None => Place::Area(cell),
    };
    let days = db.run(move |conn| service::daily(conn, &caller, &place, (from, to))).await?;
    Ok(HttpResponse::Ok().json(DailySeries { items: days.into_iter().map(DailyAqi::of).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (Beijing time).
    #[param(minimum = 2000, maximum = 2100, example = 2025)]
    year: i32,
    /// The assessment stations of this cell's subtree (default: the caller's part of the grid).
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210100")]
    cell: Option<String>,
}

/// A year's air-quality figures, with the year before.
#[derive(Debug, Serialize, ToSchema)]
pub struct AirQualityStats {
    #[serde(flatten)]
    pub figures: YearFigures,
    pub previous_year: YearFigures,
}

/// Air-quality figures of a year
///
/// Good days (AQI ≤ 100) and their share of the valid days, days per category, annual means (valid by GB 3095
/// 表4), CO 95th and O3 90th percentiles, for the area's assessment stations, and the same for the year before.
#[utoipa::path(
    operation_id = "air_quality_stats",
    tag = "air quality",
    params(YearQuery),
    responses(
        (status = 200, description = "The figures", body = AirQualityStats),
        (status = 422, description = "A year out of range or an unknown cell", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/air-quality")]
pub async fn year(caller: Caller, db: web::Data<Db>, query: web::Query<YearQuery>) -> Result<HttpResponse, ApiError> {
    let YearQuery { year, cell } = query.into_inner();
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::validation(vec![FieldError::new("year", "must be 2000–2100")]));
    }
    let (figures, previous_year) =
        db.run(move |conn| service::year_figures(conn, &caller, cell.as_deref(), year)).await?;
    Ok(HttpResponse::Ok().json(AirQualityStats { figures, previous_year }))
}
