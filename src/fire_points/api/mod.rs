//! Fire-point endpoints: import, lists and maps of fire points and events, a fire event with its
//! detections and its ground finding, the figures; and the register of heat sources.

mod heat_sources;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::FirePolicy;
use super::service::{self, FireStats, ImportSummary};
use super::store::{DetectionRow, EventRow, FireFilter};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::fire::{Confidence, Finding, Satellite};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::geojson::{self, FeatureCollection};
use crate::http::{Json, Page, PageParams, cursor};
use crate::import::Upload;
use crate::incidents::Policy;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(import)
        .service(heat_sources::create)
        .service(heat_sources::list)
        .service(heat_sources::retire)
        .service(list_detections)
        .service(list_events)
        .service(get_event)
        .service(verify)
        .service(stats);
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
        (status = 403, description = "The caller may not import (`fire:manage` and `incidents:report`)", body = Problem, content_type = "application/problem+json"),
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
    let from = source.clone();
    let rows = web::block(move || super::read::detections(upload, &from, Utc::now(), tz)).await??;
    let summary = service::import(&db, &live, caller, source, rows, policy, incident_policy.into_inner()).await?;
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
    /// Why it was kept from dispatch (`low_confidence`, `static_land_source`, `heat_source`); null
    /// when dispatched.
    pub screened: Option<String>,
    /// The fire event it belongs to (null when screened).
    pub event_id: Option<String>,
    /// The registered heat source that screened it.
    pub heat_source_id: Option<String>,
}

impl FireDetection {
    fn of(d: DetectionRow) -> Self {
        Self {
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
            screened: d.screened,
            event_id: d.event_id,
            heat_source_id: d.heat_source_id,
        }
    }
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
            detections: detections.into_iter().map(FireDetection::of).collect(),
        }
    }
}

/// Filters of fire-point and fire-event lists; every one narrows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FireQuery {
    /// Acquired (events: first detected) at or after this time: RFC 3339, or a local date or date and time
    /// in the city's zone.
    #[param(format = DateTime, example = "2020-09-01T00:00:00+08:00")]
    from: Option<String>,
    /// Before this time (same forms).
    #[param(format = DateTime, example = "2020-12-01T00:00:00+08:00")]
    to: Option<String>,
    /// The cell with this code and everything below it (a district, a street).
    #[param(value_type = Option<crate::domain::grid::CellCode>, example = "210102")]
    cell: Option<String>,
    /// A satellite (`terra`, `aqua`, `snpp`, `noaa20`, `noaa21`, or another source's); events with a
    /// detection by it.
    #[param(example = "noaa20")]
    satellite: Option<String>,
    /// Fire points only: this confidence, a percentage (`85`) or a class (`high`, `h`, `nominal`…).
    #[param(pattern = "^([0-9]{1,2}|100|l|n|h|low|nominal|high)$", example = "high")]
    confidence: Option<String>,
    /// Fire points only: those kept from dispatch (`true`) or dispatched (`false`).
    screened: Option<bool>,
    /// Fire events only: the ground finding, or `unverified`.
    #[param(
        pattern = "^(unverified|burning_confirmed|traces_of_burning|industrial_heat_source|other_heat_source|nothing_found)$",
        example = "burning_confirmed"
    )]
    finding: Option<String>,
    /// `json` (default) or `geojson` (an `application/geo+json` FeatureCollection; so does
    /// `Accept: application/geo+json`).
    #[param(pattern = "^(json|geojson)$")]
    f: Option<String>,
}

fn fire_filter(q: &FireQuery, tz: chrono_tz::Tz) -> Result<FireFilter, ApiError> {
    let mut errors = Vec::new();
    let mut time = |raw: &Option<String>, field: &str| {
        raw.as_deref().and_then(|t| crate::http::parse_time(t, tz, field, &mut errors))
    };
    let (from, to) = (time(&q.from, "from"), time(&q.to, "to"));
    let confidence = q.confidence.as_deref().and_then(|raw| match Confidence::parse(raw) {
        Some(c) => Some(c.as_text()),
        None => {
            errors.push(FieldError::new("confidence", "a percentage 0–100, or low, nominal or high (l/n/h)"));
            None
        }
    });
    let finding = match q.finding.as_deref() {
        None => None,
        Some("unverified") => Some(None),
        Some(raw) => match Finding::parse(raw) {
            Some(f) => Some(Some(f.as_str().to_owned())),
            None => {
                let known: Vec<&str> = Finding::ALL.iter().map(|f| f.as_str()).collect();
                errors.push(FieldError::new("finding", format!("one of unverified, {}", known.join(", "))));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(FireFilter {
        from: from.map(|t| t.naive_utc()),
        to: to.map(|t| t.naive_utc()),
        within: None,
        // As imports store it: `N20`, `1` and `noaa-20` are all `noaa20`.
        satellite: q.satellite.as_deref().and_then(Satellite::parse).map(|s| s.to_string()),
        confidence,
        screened: q.screened,
        finding,
    })
}

/// List fire points
///
/// Detections inside the caller's part of the grid, newest first, with cursor pages, dispatched or screened
/// out (with the reason). `f=geojson` (or `Accept: application/geo+json`) answers a GeoJSON
/// FeatureCollection for a map.
#[utoipa::path(
    operation_id = "list_fire_points",
    tag = "fire points",
    params(FireQuery, PageParams),
    responses(
        (status = 200, description = "One page of detections; a `Link: rel=\"next\"` header points to the next", content(
            (Page<FireDetection> = "application/json"),
            (FeatureCollection<FireDetection> = "application/geo+json"),
        )),
        (status = 422, description = "A filter is not valid, or the cell does not exist or lies outside the caller's part of the grid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/fire-points")]
pub async fn list_detections(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<FireQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let geojson = geojson::wanted(&req, query.f.as_deref())?;
    let filter = fire_filter(&query, settings.timezone)?;
    let (limit, after) = (page.limit()?, page.after()?.map(cursor::parse_timed).transpose()?);
    let cell = query.into_inner().cell;
    let rows =
        db.run(move |conn| service::list_detections(conn, &caller, filter, cell.as_deref(), after, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |d| cursor::timed(d.acquired_at, &d.id)).map(FireDetection::of);
    Ok(if geojson { geojson::respond(&req, page, |d| d.id.clone(), |d| (d.lon, d.lat)) } else { page.respond(&req) })
}

/// List fire events
///
/// Fire events in the caller's part of the grid, newest first detected first, each with its detections
/// and the state of its ground check, with cursor pages; `f=geojson` for a map.
#[utoipa::path(
    operation_id = "list_fire_events",
    tag = "fire points",
    params(FireQuery, PageParams),
    responses(
        (status = 200, description = "One page of fire events; a `Link: rel=\"next\"` header points to the next", content(
            (Page<FireEvent> = "application/json"),
            (FeatureCollection<FireEvent> = "application/geo+json"),
        )),
        (status = 422, description = "A filter is not valid, or the cell does not exist or lies outside the caller's part of the grid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/fire-events")]
pub async fn list_events(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    query: web::Query<FireQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let geojson = geojson::wanted(&req, query.f.as_deref())?;
    let filter = fire_filter(&query, settings.timezone)?;
    let (limit, after) = (page.limit()?, page.after()?.map(cursor::parse_timed).transpose()?);
    let cell = query.into_inner().cell;
    let rows =
        db.run(move |conn| service::list_events(conn, &caller, filter, cell.as_deref(), after, limit + 1)).await?;
    let page =
        Page::from_rows(rows, limit, |(e, _)| cursor::timed(e.first_at, &e.id)).map(|(e, d)| FireEvent::of(e, d));
    Ok(if geojson { geojson::respond(&req, page, |e| e.id.clone(), |e| (e.lon, e.lat)) } else { page.respond(&req) })
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
#[serde(deny_unknown_fields)]
#[schema(example = json!({"finding": "industrial_heat_source", "note": "热电厂烟囱",
    "register": {"name": "沈阳某热电厂", "kind": "power_plant", "radius_m": 500}}))]
pub struct VerificationBody {
    pub finding: Finding,
    /// What was seen, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// With an `industrial_heat_source` or `other_heat_source` finding, for callers who keep the register
    /// (`fire:manage`): add the place to the register of heat sources, so later detections there are not
    /// dispatched.
    pub register: Option<heat_sources::RegisterFinding>,
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
        (status = 422, description = "Bad body, or `register` with a finding that is no heat source", body = Problem, content_type = "application/problem+json"),
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
    let mut errors = Vec::new();
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new("note", "must be at most 2000 characters"));
    }
    let register = body.register.map(|r| r.parse(&mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (event, detections) = db
        .transaction(move |conn| {
            let event = service::verify(conn, &caller, &id, body.finding, body.note, register.flatten())?;
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
