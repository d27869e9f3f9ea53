//! Fire-point endpoints: import, a fire event with its detections, and its ground finding.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::FirePolicy;
use super::service::{self, FireStats, ImportSummary};
use super::store::{DetectionRow, EventRow};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::fire::Finding;
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::Json;
use crate::import::Upload;
use crate::incidents::Policy;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(import).service(get_event).service(verify).service(stats);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Where the list comes from: `firms` (NASA FIRMS, the default) or another source's slug (2–32 of
    /// a–z, 0–9, `_`, `-`); part of each detection's identity.
    #[param(example = "firms")]
    source: Option<String>,
}

/// Import satellite fire points
///
/// A NASA FIRMS CSV (MODIS or VIIRS, every header variant: `brightness`/`bright_t31` or
/// `bright_ti4`/`bright_ti5`, confidence 0–100 or `l/n/h` or `low/nominal/high`, padded or unpadded
/// `acq_time` in UTC, satellite `T/A/Terra/Aqua/N/N20/1/N21`, optional `instrument`, `type`), or another
/// source's CSV with the same column names or Chinese ones (`经度`, `纬度`, `监测时间` in city time unless
/// zoned, `卫星`, `置信度`). Each detection's identity is source, satellite, minute and position, so a
/// repeated or overlapping file changes nothing. Points outside the grid are counted and kept out;
/// FIRMS `type` 2 and detections below the configured confidence are kept but not dispatched; the rest
/// merge with repeat passes into fire events, each dispatched as a `satellite` incident (`straw_fire` on
/// farmland cells, else `open_burning`) with a ground-verification deadline. One transaction: a bad
/// file writes nothing.
#[utoipa::path(
    operation_id = "import_fire_points",
    tag = "fire points",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The CSV file",
        example = "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight\n41.758,122.957,304.2,1.1,1,2020-09-30,0255,T,31,6.0NRT,292.8,4.6,D\n"),
    responses(
        (status = 200, description = "What the import did", body = ImportSummary),
        (status = 403, description = "The caller may not import (`incidents:manage`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than allowed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a CSV (`text/csv`, `text/tab-separated-values`; `charset=` honoured, GBK detected) or NDJSON upload", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a fire-point list (`/problems/import-invalid-file`: an HTML error page, missing columns), or bad rows (`/problems/import-invalid-rows`, `errors[].field` = `rows[LINE].COLUMN`: bad numbers, times in the future)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/fire-points/import")]
pub async fn import(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<Settings>,
    incident_policy: web::Data<Policy>,
    query: web::Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    let source = query.into_inner().source.unwrap_or_else(|| "firms".into());
    crate::import::check_source(&source)?;
    let policy = FirePolicy::from_settings(&settings);
    let tz = policy.tz;
    let rows = web::block(move || super::read::detections(upload, &source, Utc::now(), tz)).await??;
    let summary = service::import(&db, &live, caller, rows, policy, incident_policy.into_inner()).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// One detection of a fire event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FireDetection {
    pub id: String,
    pub source: String,
    /// `terra`, `aqua`, `snpp`, `noaa20`, `noaa21`, or another source's satellite.
    pub satellite: String,
    pub instrument: Option<String>,
    /// UTC.
    pub acquired_at: DateTime<Utc>,
    pub lon: f64,
    pub lat: f64,
    /// As the source gives it: `0`–`100` or `low`/`nominal`/`high`.
    pub confidence: Option<String>,
    pub frp: Option<f64>,
    pub cell_code: String,
}

/// A fire event: repeat passes of one fire, the incident it became and its ground check.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FireEvent {
    pub id: String,
    pub incident_id: Option<String>,
    pub cell_code: String,
    pub lon: f64,
    pub lat: f64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// The ground check is due by then (24 h by default).
    pub verify_by: DateTime<Utc>,
    /// Unverified past `verify_by`, or verified after it.
    pub overdue: bool,
    pub finding: Option<Finding>,
    pub finding_note: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub detections: Vec<FireDetection>,
}

impl FireEvent {
    fn of(event: EventRow, detections: Vec<DetectionRow>) -> Self {
        Self {
            overdue: service::overdue(&event, Utc::now()),
            finding: event.finding.as_deref().and_then(Finding::parse),
            id: event.id,
            incident_id: event.incident_id,
            cell_code: event.cell_code,
            lon: event.lon,
            lat: event.lat,
            first_at: event.first_at.and_utc(),
            last_at: event.last_at.and_utc(),
            verify_by: event.verify_by.and_utc(),
            finding_note: event.finding_note,
            verified_at: event.verified_at.map(|t| t.and_utc()),
            detections: detections
                .into_iter()
                .map(|d| FireDetection {
                    id: d.id,
                    source: d.source,
                    satellite: d.satellite,
                    instrument: d.instrument,
                    acquired_at: d.acquired_at.and_utc(),
                    lon: d.lon,
                    lat: d.lat,
                    confidence: d.confidence,
                    frp: d.frp,
                    cell_code: d.cell_code,
                })
                .collect(),
        }
    }
}

/// Read a fire event
///
/// With all its detections, its incident and the state of its ground check. Outside the caller's subtree
/// it answers 404.
#[utoipa::path(
    operation_id = "get_fire_event",
    tag = "fire points",
    params(("id" = String, Path, description = "Fire event id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "The fire event", body = FireEvent),
        (status = 404, description = "No fire event here", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/fire-events/{id}")]
pub async fn get_event(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (event, detections) = db.transaction(move |conn| service::get(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(FireEvent::of(event, detections)))
}

/// The ground finding.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"finding": "burning_confirmed", "note": "玉米秸秆焚烧，已扑灭"}))]
pub struct VerificationBody {
    pub finding: Finding,
    /// What was seen, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Record the ground finding of a fire event
///
/// Once per event: burning confirmed, traces of burning, an industrial or other heat source, or nothing
/// found. Written on the event and on its incident's timeline, which then goes on through the closed loop.
#[utoipa::path(
    operation_id = "verify_fire_event",
    tag = "fire points",
    params(("id" = String, Path, description = "Fire event id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    request_body = VerificationBody,
    responses(
        (status = 200, description = "The fire event with its finding", body = FireEvent),
        (status = 404, description = "No fire event here", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The finding is recorded already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad body", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/fire-events/{id}/verification")]
pub async fn verify(
    caller: Caller,
    db: web::Data<Db>,
    id: web::Path<String>,
    body: Json<VerificationBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.0;
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::validation(vec![FieldError::new("note", "must be at most 2000 characters")]));
    }
    let (event, detections) = db
        .transaction(move |conn| {
            let event = service::verify(conn, &caller, &id, body.finding, body.note)?;
            let detections = super::store::detections_of(conn, &event.id)?;
            Ok((event, detections))
        })
        .await?;
    Ok(HttpResponse::Ok().json(FireEvent::of(event, detections)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First city-local day (inclusive).
    #[param(example = "2020-09-01")]
    from: chrono::NaiveDate,
    /// Last city-local day (inclusive).
    #[param(example = "2020-11-30")]
    to: chrono::NaiveDate,
    /// A cell code: figures for its whole subtree (default: the caller's part of the grid).
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210100")]
    cell: Option<String>,
}

/// Fire-point figures
///
/// For a period of city-local days (a day, a season) and a cell's subtree: detections and those screened out
/// by reason, fire events (the count the city is judged on) and per day, checks recorded within the deadline,
/// overdue ones, confirmed burnings and false alarms by finding.
#[utoipa::path(
    operation_id = "fire_point_stats",
    tag = "fire points",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = FireStats),
        (status = 422, description = "Unknown cell or bad period", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/stats/fire-points")]
pub async fn stats(
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let StatsQuery { from, to, cell } = query.into_inner();
    let tz = settings.timezone;
    let figures = db.transaction(move |conn| service::stats(conn, &caller, cell.as_deref(), from, to, tz)).await?;
    Ok(HttpResponse::Ok().json(figures))
}
