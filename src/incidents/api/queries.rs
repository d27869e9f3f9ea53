//! Reading incidents: one with its timeline and photos, lists (JSON or GeoJSON), and a streamed CSV export.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Incident, Photo, TimelineEntry, parse_id};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::crs::{Crs, parse_bbox};
use crate::domain::grid::CellCode;
use crate::domain::incident::Source;
use crate::domain::workflow::Status;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::csv_export::{CsvExport, ExportQuery};
use crate::http::geojson::{self, FeatureCollection};
use crate::http::{Page, PageParams, etag};
use crate::incidents::Policy;
use crate::incidents::service::{self, Seen};
use crate::incidents::store::IncidentFilter;

/// Filters for incident lists and exports. Every filter narrows; lists are newest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// A category code; its subtypes are included (`dust` includes `dust.road`).
    #[param(example = "dust")]
    category: Option<String>,
    /// Statuses, comma-separated.
    #[param(value_type = Option<Vec<Status>>, style = Form, explode = false, example = json!(["assigned", "rectifying"]))]
    status: Option<String>,
    /// Sources, comma-separated.
    #[param(value_type = Option<Vec<Source>>, style = Form, explode = false, example = json!(["hotline"]))]
    source: Option<String>,
    /// The cell with this code and everything below it.
    #[param(value_type = Option<CellCode>, example = "210102")]
    cell: Option<String>,
    /// Only incidents waiting for rectification past their deadline (`true`), or the others (`false`).
    overdue: Option<bool>,
    /// Reported at or after this time: RFC 3339, or a local date or date and time in the city's zone
    /// (`2026-01-01`, `2026-01-01 08:00:00`).
    #[param(format = DateTime, example = "2026-01-01T00:00:00+08:00")]
    from: Option<String>,
    /// Reported before this time (same forms).
    #[param(format = DateTime, example = "2027-01-01T00:00:00+08:00")]
    to: Option<String>,
    /// Only incidents inside `min_lon,min_lat,max_lon,max_lat` (in `crs`).
    #[param(pattern = "^-?[0-9]+(\\.[0-9]+)?(,-?[0-9]+(\\.[0-9]+)?){3}$", example = "123.35,41.74,123.45,41.82")]
    bbox: Option<String>,
    /// Assigned to this account id, or `me`.
    assignee: Option<String>,
    /// Text in the description or address (case-insensitive).
    q: Option<String>,
    /// Coordinates of `bbox` and of the answer: `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    crs: Crs,
    /// `json` (default) or `geojson` (an `application/geo+json` FeatureCollection; so does `Accept: application/geo+json`).
    #[param(pattern = "^(json|geojson)$", example = "geojson")]
    f: Option<String>,
}

fn list_filter(q: &IncidentQuery, caller: &Caller, policy: &Policy) -> Result<IncidentFilter, ApiError> {
    let mut errors = Vec::new();
    let mut names = |raw: &Option<String>, field: &str, known: &dyn Fn(&str) -> bool| -> Vec<String> {
        let given: Vec<String> =
            raw.iter().flat_map(|r| r.split(',')).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        for name in given.iter().filter(|n| !known(n)) {
            errors.push(FieldError::new(field, format!("{name} is not known")));
        }
        given
    };
    let statuses = names(&q.status, "status", &|s| Status::parse(s).is_some());
    let sources = names(&q.source, "source", &|s| Source::parse(s).is_some());
    let mut time = |raw: &Option<String>, field: &str| {
        raw.as_deref().and_then(|t| super::parse_time(t, policy.tz, field, &mut errors))
    };
    let reported_from = time(&q.from, "from").map(|t| t.naive_utc());
    let reported_to = time(&q.to, "to").map(|t| t.naive_utc());
    let bbox = q
        .bbox
        .as_deref()
        .and_then(|raw| parse_bbox(raw, q.crs).map_err(|m| errors.push(FieldError::new("bbox", m))).ok());
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let assignee = match q.assignee.as_deref() {
        Some("me") => Some(caller.account_id.clone()),
        other => other.map(str::to_owned),
    };
    Ok(IncidentFilter {
        category: q.category.clone(),
        statuses,
        sources,
        overdue: q.overdue.map(|o| (o, crate::db::now())),
        reported_from,
        reported_to,
        bbox,
        assignee,
        text: q.q.clone().filter(|t| !t.trim().is_empty()),
        ..Default::default()
    })
}

/// List incidents
///
/// Incidents the caller may see (its subtree, its own reports, and for the command centre the unrouted
/// queue), newest first, with cursor pagination. `f=geojson` (or `Accept: application/geo+json`) answers a
/// GeoJSON FeatureCollection with a `next` link instead.
#[utoipa::path(
    operation_id = "list_incidents",
    tag = "incidents",
    params(IncidentQuery, PageParams),
    responses(
        (status = 200, description = "One page of incidents; a `Link: rel=\"next\"` header points to the next", content(
            (Page<Incident> = "application/json"),
            (FeatureCollection<Incident> = "application/geo+json"),
        )),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/incidents")]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    query: web::Query<IncidentQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let geojson = geojson::wanted(&req, query.f.as_deref())?;
    let mut filter = list_filter(&query, &caller, &policy)?;
    let limit = page.limit()?;
    filter.before = page.after()?;
    let (who, within) = (caller.clone(), query.cell.clone());
    let rows = db.run(move |conn| service::list(conn, &who, filter, within, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |seen| seen.row.id.clone());
    let now = Utc::now();
    let crs = query.crs;
    let page = Page {
        items: page
            .items
            .into_iter()
            .map(|s| Incident::from_seen(s, crs, &policy, now))
            .collect::<Result<Vec<_>, _>>()?,
        next_cursor: page.next_cursor,
    };
    if !geojson {
        return Ok(page.respond(&req));
    }
    Ok(geojson::respond(&req, page, |i| i.id.clone(), |i| (i.location.lon, i.location.lat)))
}

/// An incident with its history and evidence.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    /// Every step, oldest first.
    pub timeline: Vec<TimelineEntry>,
    pub photos: Vec<Photo>,
}

/// Coordinate system of the answer.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrsQuery {
    /// `wgs84` (default), `gcj02` or `bd09`.
    #[serde(default)]
    crs: Crs,
}

/// Get an incident
///
/// The incident with its timeline (who, when, from, to, note) and photos; `ETag` carries its version.
#[utoipa::path(
    operation_id = "get_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "Incident id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d"), CrsQuery),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 404, description = "No incident here (or not in the caller's part of the grid)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/incidents/{id}")]
pub async fn get(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    id: web::Path<String>,
    query: web::Query<CrsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let (seen, timeline, photos) = db.run(move |conn| service::get(conn, &caller, &id)).await?;
    let version = seen.row.version;
    let detail = IncidentDetail {
        incident: Incident::from_seen(seen, query.crs, &policy, Utc::now())?,
        timeline: timeline.into_iter().map(TimelineEntry::from_row).collect::<Result<_, _>>()?,
        photos: photos.into_iter().map(Photo::from_row).collect::<Result<_, _>>()?,
    };
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(detail))
}

/// Export incidents as CSV
///
/// The incidents a list with the same filters returns, as CSV with a header row, streamed page by page
/// (never built in memory). Times are in the city's time zone with their offset.
#[utoipa::path(
    operation_id = "export_incidents",
    tag = "incidents",
    params(IncidentQuery, ExportQuery),
    responses(
        (status = 200, description = "CSV, one incident per row", content_type = "text/csv", body = String),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/incidents/export.csv")]
pub async fn export(
    caller: Caller,
    db: web::Data<Db>,
    policy: web::Data<Policy>,
    query: web::Query<IncidentQuery>,
    options: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = list_filter(&query, &caller, &policy)?;
    let within = query.cell.clone();
    let (db, record_policy) = (db.into_inner(), policy.clone());
    let export = CsvExport { filename: "incidents.csv", columns: &COLUMNS, after: |s: &Seen| s.row.id.clone() };
    let read = move |before: Option<String>, limit| {
        let (db, caller, within) = (db.clone(), caller.clone(), within.clone());
        let filter = IncidentFilter { before, ..filter.clone() };
        async move { db.run(move |conn| service::list(conn, &caller, filter, within, limit)).await }
    };
    export.respond(&options, read, move |s| record(s, &record_policy)).await
}

const COLUMNS: [&str; 21] = [
    "id",
    "category",
    "status",
    "severity",
    "source",
    "external_system",
    "external_ref",
    "description",
    "address",
    "lon",
    "lat",
    "cell_code",
    "reporter",
    "assignee",
    "occurred_at",
    "reported_at",
    "assigned_at",
    "deadline_at",
    "rectified_at",
    "closed_at",
    "overdue",
];

fn record(seen: &Seen, policy: &Policy) -> [String; 21] {
    let r = &seen.row;
    let local = |t: Option<chrono::NaiveDateTime>| {
        t.map(|t| t.and_utc().with_timezone(&policy.tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .unwrap_or_default()
    };
    let overdue = service::light(r, policy, Utc::now()).is_some_and(|(_, o)| o);
    [
        r.id.clone(),
        r.category_code.clone(),
        r.status.clone(),
        r.severity.clone(),
        r.source.clone(),
        r.external_system.clone().unwrap_or_default(),
        r.external_ref.clone().unwrap_or_default(),
        r.description.clone(),
        r.address.clone().unwrap_or_default(),
        r.lon.to_string(),
        r.lat.to_string(),
        r.cell_code.clone().unwrap_or_default(),
        r.reporter_name.clone(),
        r.assignee_name.clone().unwrap_or_default(),
        local(Some(r.occurred_at)),
        local(Some(r.reported_at)),
        local(r.assigned_at),
        local(r.deadline_at),
        local(r.rectified_at),
        local(r.closed_at),
        overdue.to_string(),
    ]
}
