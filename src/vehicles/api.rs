//! Vehicle-inspection endpoints: the bulk import, lists, one record with its history, and the figures.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::VehiclePolicy;
use super::emitters::{self, ActionKind, EnforcementAction, HighEmitter, NewAction};
use super::service::{self, InspectionImportSummary, InspectionStats};
use super::store::{InspectionFilter, InspectionRow, VersionRow};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::crs::Crs;
use crate::domain::grid::CellCode;
use crate::domain::vehicle::{Item, Outcome, Plate, TestMethod};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::csv_export::{CsvExport, ExportQuery};
use crate::http::cursor;
use crate::http::{Json, Page, PageParams};
use crate::import::Upload;
use crate::jobs::Worker;
use crate::jobs::api::Job;

pub fn routes(cfg: &mut ServiceConfig) {
    // Fixed paths (`import`, `export.csv`) before `{id}`.
    cfg.service(import)
        .service(export)
        .service(list)
        .service(get_one)
        .service(stats)
        .service(high_emitters)
        .service(record_action);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The system the records come from (a station network, a remote-sensing platform): 2–32 of a–z,
    /// 0–9, `_` and `-`. With each row's record id (流水号) it names a record, so a file sent again changes
    /// nothing.
    #[param(pattern = "^[a-z0-9_-]{2,32}$", example = "shenyang-stations")]
    source: String,
    /// Coordinates of `lon`/`lat` columns: `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    crs: Crs,
}

/// Import inspection results
///
/// CSV (mapped by header: the field names below, or the Chinese columns of station and remote-sensing
/// software such as `流水号`, `检测时间`, `号牌号码`, `号牌颜色`, `车辆识别代号`, `排放阶段`, `检测方法`,
/// `光吸收系数`, `林格曼黑度`, `检测结果`, `经度`, `纬度`; UTF-8 with or without BOM, or GBK) or NDJSON.
/// Fields: `record_id`, `inspected_at` (city time unless zoned), `plate`, `method` (required); `station`,
/// `plate_colour`, `vin`, `vehicle_category`, `fuel_type`, `stage`, `limit_class` (`a` by default),
/// `opacity_k`, `nox_ppm`, `ringelmann`, `opacity_pct`, `no_ppm`, `obd_fault_codes`, `obd_ready`, `result`
/// (the station's own), and either `cell` or `lon`/`lat` (routed to the grid). Every record is judged on
/// the server against the limit table (a value equal to its limit passes) and a disagreement with the
/// submitted result is flagged. Idempotent by (`source`, `record_id`): a row sent again is `unchanged`,
/// a corrected row replaces its record and the earlier version is kept. One transaction: any bad row
/// (each named by line and column) writes nothing. A VIN with a wrong check digit is flagged, not refused.
/// Large files are queued as a job that any instance runs: it checks the whole file first (a bad row fails
/// the job with the same report, writing nothing), then writes it in chunks that each commit with the job's
/// progress, so a job cut off by a crash resumes where it stopped.
#[utoipa::path(
    operation_id = "import_vehicle_inspections",
    tag = "vehicles",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The inspection file",
        example = "record_id,station,inspected_at,plate,plate_colour,vin,stage,method,opacity_k,result\nJC20260001,沈阳一站,2026-06-01 09:30:00,辽A12345,黄,LFV2A21K0A3043256,国五,自由加速,0.62,合格\n"),
    responses(
        (status = 200, description = "What the import did", body = InspectionImportSummary),
        (status = 202, description = "Queued as a background job (a file larger than `vehicle_import_sync_max_bytes`, 4 MiB by default, or `Prefer: respond-async`): `Location` names the job, whose `summary` at the end is this operation's 200 answer and whose `problem` is its 422", body = Job,
            headers(("Location" = String, description = "The job, `/api/v1/jobs/{id}`"))),
        (status = 403, description = "The caller may not import (`vehicles:submit` or `vehicles:import`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a CSV (`text/csv`, `text/tab-separated-values`) or NDJSON upload", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an inspection list (`/problems/import-invalid-file`), or bad rows (`/problems/import-invalid-rows`, `errors[].field` = `rows[LINE].COLUMN`: a bad plate or VIN, an unknown method or stage, impossible values, a time in the future, a cell that does not exist or lies outside the caller's part of the grid)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/vehicle-inspections/import")]
#[allow(clippy::too_many_arguments)]
pub async fn import(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    policy: web::Data<VehiclePolicy>,
    settings: web::Data<Settings>,
    worker: web::Data<Worker>,
    query: web::Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    let ImportQuery { source, crs } = query.into_inner();
    crate::import::check_source(&source)?;
    if upload.bytes > settings.vehicle_import_sync_max_bytes || prefers_async(&req) {
        let job = super::job::enqueue(&db, &worker.storage, &caller, source, crs, upload).await?;
        worker.wake();
        let location = format!("/api/v1/jobs/{}", job.id);
        return Ok(HttpResponse::Accepted().insert_header((header::LOCATION, location)).json(Job::from_row(job)?));
    }
    let tz = policy.tz;
    let rows = web::block(move || super::read::inspections(upload, crs, Utc::now(), tz)).await??;
    let summary = service::import(&db, &live, caller, source, rows, policy.into_inner()).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// `Prefer: respond-async` (RFC 7240): the client would rather follow a job than wait.
fn prefers_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
}

/// A position in WGS-84.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Position {
    pub lon: f64,
    pub lat: f64,
}

/// One inspection record, with the server's judgement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Inspection {
    pub id: String,
    pub source: String,
    /// The source's record id (流水号).
    pub record_id: String,
    pub station: Option<String>,
    pub inspected_at: DateTime<Utc>,
    #[schema(example = "辽A12345")]
    pub plate: String,
    pub plate_colour: Option<String>,
    pub vin: Option<String>,
    /// Whether the VIN's check digit is right (null without a VIN).
    pub vin_check_digit_ok: Option<bool>,
    pub vehicle_category: Option<String>,
    pub fuel_type: Option<String>,
    /// `china_3` … `china_6b`.
    pub stage: Option<String>,
    pub method: TestMethod,
    /// `a` or `b` (GB 3847-2018).
    pub limit_class: String,
    pub position: Option<Position>,
    pub cell_code: Option<String>,
    /// The measured values by quantity (`opacity_k`, `nox_ppm`, `ringelmann`, `opacity_pct`, `no_ppm`),
    /// with `obd_fault_codes` and `obd_ready` for OBD checks.
    #[schema(value_type = Object, example = json!({"opacity_k": 0.62}))]
    pub measurements: Value,
    /// Each judged item with the limit applied.
    pub items: Vec<Item>,
    /// The result the source sent.
    pub submitted_result: Option<Outcome>,
    /// The server's result.
    pub result: Outcome,
    /// The submitted result differs from the server's.
    pub disagrees: bool,
    /// 1 for a record as first imported, one more for each correction.
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl Inspection {
    fn from_row(row: InspectionRow) -> Result<Self, ApiError> {
        let outcome = |raw: &str| Outcome::parse(raw).ok_or_else(|| ApiError::internal(format!("stored result {raw}")));
        Ok(Self {
            method: TestMethod::parse(&row.method)
                .ok_or_else(|| ApiError::internal(format!("stored method {}", row.method)))?,
            submitted_result: row.submitted_result.as_deref().map(outcome).transpose()?,
            result: outcome(&row.result)?,
            measurements: serde_json::from_str(&row.measurements).map_err(ApiError::internal)?,
            items: serde_json::from_str(&row.items).map_err(ApiError::internal)?,
            position: row.lon.zip(row.lat).map(|(lon, lat)| Position { lon, lat }),
            id: row.id,
            source: row.source,
            record_id: row.record_id,
            station: row.station,
            inspected_at: row.inspected_at.and_utc(),
            plate: row.plate,
            plate_colour: row.plate_colour,
            vin: row.vin,
            vin_check_digit_ok: row.vin_check_ok,
            vehicle_category: row.vehicle_category,
            fuel_type: row.fuel_type,
            stage: row.stage,
            limit_class: row.limit_class,
            cell_code: row.cell_code,
            disagrees: row.disagrees,
            version: row.version,
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// An earlier version of a corrected record.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InspectionVersion {
    pub version: i32,
    pub replaced_at: DateTime<Utc>,
    /// The account whose import replaced it.
    pub replaced_by: String,
    pub record: Inspection,
}

/// A record with the versions it replaced, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InspectionDetail {
    #[serde(flatten)]
    pub inspection: Inspection,
    pub history: Vec<InspectionVersion>,
}

fn version_of(v: VersionRow) -> Result<InspectionVersion, ApiError> {
    let row: InspectionRow = serde_json::from_str(&v.record).map_err(ApiError::internal)?;
    Ok(InspectionVersion {
        version: v.version,
        replaced_at: v.replaced_at.and_utc(),
        replaced_by: v.replaced_by,
        record: Inspection::from_row(row)?,
    })
}

/// Get an inspection record
///
/// The record with the server's judgement and the versions corrections replaced.
#[utoipa::path(
    operation_id = "get_vehicle_inspection",
    tag = "vehicles",
    params(("id" = String, Path, description = "Inspection id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "The record", body = InspectionDetail),
        (status = 404, description = "No record here (or not in the caller's part of the grid)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/vehicle-inspections/{id}")]
pub async fn get_one(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (row, versions) = db.run(move |conn| service::get(conn, &caller, &id)).await?;
    let detail = InspectionDetail {
        inspection: Inspection::from_row(row)?,
        history: versions.into_iter().map(version_of).collect::<Result<_, _>>()?,
    };
    Ok(HttpResponse::Ok().json(detail))
}

/// Filters for inspection lists. Every filter narrows; lists are newest inspection first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A plate (a vehicle's history), e.g. `辽A12345`.
    plate: Option<String>,
    /// A VIN.
    vin: Option<String>,
    /// A station, as the records name it.
    station: Option<String>,
    /// A test method.
    #[param(value_type = Option<TestMethod>)]
    method: Option<String>,
    /// The server's result.
    #[param(value_type = Option<Outcome>)]
    result: Option<String>,
    /// Inspected at or after this time: RFC 3339, or a local date or date and time in the city's zone.
    #[param(format = DateTime, example = "2026-01-01T00:00:00+08:00")]
    from: Option<String>,
    /// Inspected before this time (same forms).
    #[param(format = DateTime, example = "2027-01-01T00:00:00+08:00")]
    to: Option<String>,
    /// The cell with this code and everything below it.
    #[param(value_type = Option<CellCode>, example = "210102")]
    cell: Option<String>,
}

fn list_filter(q: &ListQuery, tz: chrono_tz::Tz) -> Result<InspectionFilter, ApiError> {
    let mut errors = Vec::new();
    // Searches, not records: a plate or VIN written another way (spaces, lower case) finds the same vehicle,
    // and one that matches no record finds nothing.
    let search = |raw: &Option<String>| raw.as_deref().map(|t| t.split_whitespace().collect::<String>().to_uppercase());
    let method = q.method.as_deref().and_then(|m| {
        let known = TestMethod::parse(m);
        if known.is_none() {
            errors.push(FieldError::new("method", format!("one of {}", TestMethod::names())));
        }
        known
    });
    let result = q.result.as_deref().and_then(|r| {
        let known = Outcome::parse(r);
        if known.is_none() {
            errors.push(FieldError::new("result", format!("one of {}", Outcome::names())));
        }
        known
    });
    let mut time = |raw: &Option<String>, field: &str| {
        raw.as_deref().and_then(|t| crate::http::parse_time(t, tz, field, &mut errors))
    };
    let (from, to) = (time(&q.from, "from"), time(&q.to, "to"));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(InspectionFilter {
        plate: search(&q.plate),
        vin: search(&q.vin),
        station: q.station.clone(),
        method: method.map(|m| m.as_str().to_owned()),
        result: result.map(|r| r.as_str().to_owned()),
        from: from.map(|t| t.naive_utc()),
        to: to.map(|t| t.naive_utc()),
        within: None,
    })
}

/// List inspection records
///
/// Records in the caller's part of the grid (records without a cell only for callers who see the whole
/// grid), filtered, newest inspection first, with cursor pages.
#[utoipa::path(
    operation_id = "list_vehicle_inspections",
    tag = "vehicles",
    params(ListQuery, PageParams),
    responses(
        (status = 200, description = "A page of records", body = Page<Inspection>),
    ),
)]
#[get("/api/v1/vehicle-inspections")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<VehiclePolicy>,
    query: web::Query<ListQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = list_filter(&query, policy.tz)?;
    let limit = page.limit()?;
    let after = page.after()?.map(cursor::parse_timed).transpose()?;
    let cell = query.into_inner().cell;
    let rows = db.run(move |conn| service::list(conn, &caller, filter, cell.as_deref(), after, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| cursor::timed(r.inspected_at, &r.id));
    let items = page.items.into_iter().map(Inspection::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor }.respond(&req))
}

/// Export inspection records as CSV
///
/// The records a list with the same filters returns, newest inspection first, as CSV with a header row,
/// streamed page by page. The measured values are columns named as the import reads them; times are in the
/// city's zone with their offset.
#[utoipa::path(
    operation_id = "export_vehicle_inspections",
    tag = "vehicles",
    params(ListQuery, ExportQuery),
    responses(
        (status = 200, description = "CSV, one record per row", content_type = "text/csv", body = String,
            example = "id,source,record_id,station,inspected_at,plate,…\n019a0c5e-…,shenyang-stations,JC20260001,沈阳一站,2026-06-01T09:30:00+08:00,辽A12345,…\n"),
        (status = 422, description = "A filter is not valid, or the cell does not exist or lies outside the caller's part of the grid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/vehicle-inspections/export.csv")]
pub async fn export(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<VehiclePolicy>,
    query: web::Query<ListQuery>,
    options: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = list_filter(&query, policy.tz)?;
    let cell = query.into_inner().cell;
    let (db, tz) = (db.into_inner(), policy.tz);
    let export = CsvExport { filename: "vehicle-inspections.csv", columns: &EXPORT_COLUMNS, after: keyset };
    let read = move |after, limit| {
        let (db, caller, filter, cell) = (db.clone(), caller.clone(), filter.clone(), cell.clone());
        async move { db.run(move |conn| service::list(conn, &caller, filter, cell.as_deref(), after, limit)).await }
    };
    export.respond(&options, read, move |row| export_record(row, tz)).await
}

fn keyset(row: &InspectionRow) -> (NaiveDateTime, String) {
    (row.inspected_at, row.id.clone())
}

const EXPORT_COLUMNS: [&str; 29] = [
    "id",
    "source",
    "record_id",
    "station",
    "inspected_at",
    "plate",
    "plate_colour",
    "vin",
    "vin_check_digit_ok",
    "vehicle_category",
    "fuel_type",
    "stage",
    "method",
    "limit_class",
    "opacity_k",
    "nox_ppm",
    "ringelmann",
    "opacity_pct",
    "no_ppm",
    "obd_fault_codes",
    "obd_ready",
    "lon",
    "lat",
    "cell_code",
    "submitted_result",
    "result",
    "disagrees",
    "version",
    "updated_at",
];

fn export_record(r: &InspectionRow, tz: chrono_tz::Tz) -> [String; 29] {
    let local = |t: NaiveDateTime| t.and_utc().with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let shown = |v: Option<String>| v.unwrap_or_default();
    let measured: serde_json::Map<String, Value> = serde_json::from_str(&r.measurements).unwrap_or_default();
    let value = |key: &str| match measured.get(key) {
        Some(Value::Array(codes)) => codes.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(";"),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    [
        r.id.clone(),
        r.source.clone(),
        r.record_id.clone(),
        text(&r.station),
        local(r.inspected_at),
        r.plate.clone(),
        text(&r.plate_colour),
        text(&r.vin),
        shown(r.vin_check_ok.map(|ok| ok.to_string())),
        text(&r.vehicle_category),
        text(&r.fuel_type),
        text(&r.stage),
        r.method.clone(),
        r.limit_class.clone(),
        value("opacity_k"),
        value("nox_ppm"),
        value("ringelmann"),
        value("opacity_pct"),
        value("no_ppm"),
        value("obd_fault_codes"),
        value("obd_ready"),
        shown(r.lon.map(|v| v.to_string())),
        shown(r.lat.map(|v| v.to_string())),
        text(&r.cell_code),
        text(&r.submitted_result),
        r.result.clone(),
        r.disagrees.to_string(),
        r.version.to_string(),
        local(r.updated_at),
    ]
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First city-local day (inclusive).
    #[param(example = "2026-01-01")]
    from: NaiveDate,
    /// Last city-local day (inclusive), at most 366 days after `from`.
    #[param(example = "2026-12-31")]
    to: NaiveDate,
    /// A cell code: figures for its whole subtree (default: the caller's part of the grid).
    #[param(value_type = Option<CellCode>, example = "210100")]
    cell: Option<String>,
    /// Only this test method.
    #[param(value_type = Option<TestMethod>)]
    method: Option<String>,
    /// Only this station.
    station: Option<String>,
}

/// Vehicle-inspection figures
///
/// For a period of city-local days and a cell's subtree: tested (pass or fail), passed, failed and the pass
/// rate against the configured target (90% by default), aborted and invalid tests, the vehicles that failed
/// and how many of them passed a later test, and the same counts by method, emission stage and station.
#[utoipa::path(
    operation_id = "vehicle_inspection_stats",
    tag = "vehicles",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = InspectionStats),
        (status = 422, description = "Unknown cell, method or bad period", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/vehicle-inspections")]
pub async fn stats(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<VehiclePolicy>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let StatsQuery { from, to, cell, method, station } = query.into_inner();
    let mut errors = Vec::new();
    if let Err(m) = crate::domain::time::days(from, to, policy.tz) {
        errors.push(FieldError::new("to", m));
    }
    let method = method.as_deref().map(TestMethod::parse);
    if let Some(None) = method {
        errors.push(FieldError::new("method", format!("one of {}", TestMethod::names())));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let filter =
        InspectionFilter { method: method.flatten().map(|m| m.as_str().to_owned()), station, ..Default::default() };
    let policy = policy.into_inner();
    let figures =
        db.transaction(move |conn| service::stats(conn, &caller, cell.as_deref(), (from, to), filter, &policy)).await?;
    Ok(HttpResponse::Ok().json(figures))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmitterQuery {
    /// First city-local day (inclusive).
    #[param(example = "2026-01-01")]
    from: NaiveDate,
    /// Last city-local day (inclusive), at most 366 days after `from`.
    #[param(example = "2026-12-31")]
    to: NaiveDate,
    /// Failed tests in the period that make a vehicle a high emitter (default 2); two remote-sensing
    /// failures always do.
    #[param(minimum = 1, maximum = 100, example = 2)]
    min_failures: Option<u64>,
    /// A cell code: vehicles tested in its subtree (default: the caller's part of the grid).
    #[param(value_type = Option<CellCode>, example = "210100")]
    cell: Option<String>,
}

/// List high-emitting vehicles
///
/// Vehicles failing at least `min_failures` tests in the period, or two remote-sensing tests on the road, for
/// joint enforcement with the police; most failures first, each with the enforcement actions recorded.
#[utoipa::path(
    operation_id = "list_high_emitters",
    tag = "vehicles",
    params(EmitterQuery),
    responses(
        (status = 200, description = "The vehicles", body = Vec<HighEmitter>),
        (status = 422, description = "Unknown cell or bad period", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/high-emitting-vehicles")]
pub async fn high_emitters(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<VehiclePolicy>,
    query: web::Query<EmitterQuery>,
) -> Result<HttpResponse, ApiError> {
    let EmitterQuery { from, to, min_failures, cell } = query.into_inner();
    let mut errors = Vec::new();
    let period = crate::domain::time::days(from, to, policy.tz).map_err(|m| errors.push(FieldError::new("to", m)));
    let min_failures = min_failures.unwrap_or(2);
    if !(1..=100).contains(&min_failures) {
        errors.push(FieldError::new("min_failures", "must be between 1 and 100"));
    }
    let (Ok((begin, end)), true) = (period, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let filter = InspectionFilter { from: Some(begin.naive_utc()), to: Some(end.naive_utc()), ..Default::default() };
    let found =
        db.run(move |conn| emitters::high_emitters(conn, &caller, cell.as_deref(), filter, min_failures)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// An enforcement action to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "fine", "note": "交警支队联合执法，罚款200元", "acted_at": "2026-06-03 10:00:00"}))]
pub struct NewEnforcement {
    pub action: ActionKind,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// The inspection it answers.
    pub inspection_id: Option<String>,
    /// When it was done: RFC 3339, or city time (default now).
    #[schema(format = DateTime)]
    pub acted_at: Option<String>,
}

/// Record an enforcement action
///
/// A notice, a fine or a passed re-test for a vehicle with inspections in the caller's part of the grid
/// (`vehicles:enforce`); an event tells command platforms.
#[utoipa::path(
    operation_id = "record_enforcement_action",
    tag = "vehicles",
    params(("plate" = String, Path, description = "The plate", example = "辽A12345")),
    request_body = NewEnforcement,
    responses(
        (status = 201, description = "Recorded", body = EnforcementAction),
        (status = 404, description = "No inspections of this vehicle in the caller's part of the grid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/high-emitting-vehicles/{plate}/actions")]
pub async fn record_action(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<VehiclePolicy>,
    plate: web::Path<String>,
    body: Json<NewEnforcement>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut errors = Vec::new();
    let plate = Plate::parse(&plate).map_err(|m| errors.push(FieldError::new("plate", m))).ok();
    let note = b.note.filter(|n| !n.trim().is_empty()).map(|n| n.trim().to_owned());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new("note", "must be at most 500 characters"));
    }
    let acted_at = match b.acted_at.as_deref().map(|t| crate::domain::time::parse(t, policy.tz)) {
        None => Some(Utc::now()),
        Some(Ok(t)) if t <= Utc::now() => Some(t),
        Some(Ok(_)) => {
            errors.push(FieldError::new("acted_at", "is in the future"));
            None
        }
        Some(Err(m)) => {
            errors.push(FieldError::new("acted_at", m));
            None
        }
    };
    let (Some(plate), Some(acted_at), true) = (plate, acted_at, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let new = NewAction {
        plate: plate.as_str().to_owned(),
        action: b.action,
        note,
        inspection_id: b.inspection_id,
        acted_at,
    };
    let recorded = db.transaction(move |conn| emitters::record(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().json(recorded))
}
