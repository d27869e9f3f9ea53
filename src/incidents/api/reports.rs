//! Reporting: one incident, or an offline batch.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ExternalRef, Incident, optional_text, parse_time};
use crate::auth::Caller;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::crs::Crs;
use crate::domain::incident::{CategoryCode, Severity, Source, text};
use crate::error::{ApiError, FieldError, Problem};
use crate::grid::live::LiveIndex;
use crate::http::{BulkJson, Json, etag};
use crate::incidents::Policy;
use crate::incidents::batch::{self, Item, Outcome};
use crate::incidents::service::{self, PossibleDuplicate, ReportDraft};
use crate::incidents::store::IncidentRow;

/// A report of a pollution problem.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "category": "open_burning", "description": "河边有人焚烧垃圾", "lon": 123.4064, "lat": 41.7925, "crs": "gcj02",
    "accuracy_m": 8, "address": "浑河北岸", "occurred_at": "2026-12-01 09:20:00", "source": "patrol", "severity": "medium"
}))]
pub struct NewReport {
    /// Category code from `/incident-categories`.
    #[schema(max_length = 64)]
    category: String,
    /// What was seen, 1–2000 characters.
    #[schema(pattern = "\\S", max_length = 2000)]
    description: String,
    /// Longitude in `crs`.
    #[schema(minimum = -180, maximum = 180)]
    lon: f64,
    /// Latitude in `crs`.
    #[schema(minimum = -90, maximum = 90)]
    lat: f64,
    /// `wgs84` (default), `gcj02` (Amap, Tencent, most phone SDKs) or `bd09` (Baidu).
    #[serde(default)]
    crs: Crs,
    /// The device's accuracy in metres (0–100,000).
    #[schema(minimum = 0, maximum = 100000)]
    accuracy_m: Option<f64>,
    /// Address or landmark, up to 200 characters.
    #[schema(max_length = 200)]
    address: Option<String>,
    /// When it was seen: RFC 3339, or a local time (`2026-12-01 09:20:00`) meaning the city's time. Default: now.
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    /// Who found it (default `patrol`).
    source: Option<Source>,
    /// How serious (default `medium`); it picks the default deadline.
    severity: Option<Severity>,
    /// A hotline or platform ticket: unique per system, so a platform can send its tickets again safely.
    external: Option<ExternalRef>,
}

/// A report as written, with open incidents near it that may be the same problem.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportAnswer {
    #[serde(flatten)]
    pub incident: Incident,
    /// Open incidents of the same category within its duplicate radius and time window, nearest first.
    pub possible_duplicates: Vec<PossibleDuplicate>,
}

/// Parses a report, listing every bad field (prefixed with `prefix` inside a batch).
fn parse(body: NewReport, policy: &Policy, prefix: &str) -> Result<ReportDraft, ApiError> {
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let category =
        CategoryCode::parse(&body.category).map_err(|m| errors.push(FieldError::new(field("category"), m))).ok();
    let description =
        text(&body.description, 2000).map_err(|m| errors.push(FieldError::new(field("description"), m))).ok();
    if !(-180.0..=180.0).contains(&body.lon) {
        errors.push(FieldError::new(field("lon"), "must be between -180 and 180"));
    }
    if !(-90.0..=90.0).contains(&body.lat) {
        errors.push(FieldError::new(field("lat"), "must be between -90 and 90"));
    }
    if body.accuracy_m.is_some_and(|a| !(0.0..=100_000.0).contains(&a)) {
        errors.push(FieldError::new(field("accuracy_m"), "must be between 0 and 100000"));
    }
    let address = optional_text(body.address.as_deref(), 200, &field("address"), &mut errors);
    let occurred_at = match body.occurred_at.as_deref() {
        Some(raw) => parse_time(raw, policy.tz, &field("occurred_at"), &mut errors),
        None => Some(db::now().and_utc()),
    };
    let external = match body.external {
        Some(ExternalRef { system, reference }) => {
            let system = text(&system, 32).map_err(|m| errors.push(FieldError::new(field("external.system"), m))).ok();
            let reference =
                text(&reference, 64).map_err(|m| errors.push(FieldError::new(field("external.reference"), m))).ok();
            system.zip(reference)
        }
        None => None,
    };
    let (Some(category), Some(description), Some(occurred_at)) = (category, description, occurred_at) else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (lon, lat) = body.crs.to_wgs84(body.lon, body.lat);
    Ok(ReportDraft {
        category,
        description,
        lon,
        lat,
        accuracy_m: body.accuracy_m,
        address,
        occurred_at: occurred_at.naive_utc(),
        source: body.source.unwrap_or(crate::domain::incident::Source::Patrol),
        severity: body.severity.unwrap_or(Severity::Medium),
        external,
    })
}

fn answer(
    row: IncidentRow,
    duplicates: Vec<PossibleDuplicate>,
    caller: &Caller,
    policy: &Policy,
) -> Result<ReportAnswer, ApiError> {
    let incident = Incident::from_seen(service::seen(caller, row)?, Crs::Wgs84, policy, Utc::now())?;
    Ok(ReportAnswer { incident, possible_duplicates: duplicates })
}

/// Report an incident
///
/// Routes the point to the deepest grid cell and records the chain of cells and who was responsible there
/// at that moment. A point outside the grid is kept as `unrouted` for the command centre to route by hand.
/// The answer lists open incidents of the same category nearby (`possible_duplicates`). A ticket
/// (`external`) already recorded answers 409 naming the incident it became. Retry safely with
/// `Idempotency-Key`.
#[utoipa::path(
    operation_id = "report_incident",
    tag = "incidents",
    request_body = NewReport,
    responses(
        (status = 201, description = "Reported; `Location` and `ETag` are set", body = ReportAnswer),
        (status = 409, description = "The external ticket is already an incident (`/problems/conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid (`/problems/validation`) or the category is unknown (`/problems/incident-unknown-category`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/incidents")]
pub async fn report(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    policy: web::Data<Policy>,
    body: Json<NewReport>,
) -> Result<HttpResponse, ApiError> {
    let draft = parse(body.0, &policy, "")?;
    let policy = policy.into_inner();
    let (row, duplicates) = service::report_located(&db, &live, caller.clone(), draft, policy.clone()).await?;
    let location = format!("/api/v1/incidents/{}", row.id);
    let version = row.version;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)))
        .json(answer(row, duplicates, &caller, &policy)?))
}

/// Offline reports.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The reports, at most the configured number (200 by default).
    pub items: Vec<BatchItem>,
}

/// One offline report with its own idempotency key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "8b1f0c5e-offline-0001", "report": {"category": "dust.road", "description": "道路扬尘",
    "lon": 123.41, "lat": 41.80, "occurred_at": "2026-12-01 07:45:00"}}))]
pub struct BatchItem {
    /// 1–200 visible ASCII characters, unique per report (a UUID made on the phone): sending the item again
    /// answers as the first time without reporting twice.
    #[schema(pattern = "^[\\x21-\\x7E]+$", min_length = 1, max_length = 200)]
    pub key: String,
    /// The report, as for `POST /incidents`; the raw object is what the key is checked against.
    #[schema(value_type = NewReport)]
    pub report: serde_json::Value,
}

/// What happened to each item, in the order sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchAnswer {
    pub items: Vec<BatchResult>,
}

/// One item's result.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub key: String,
    /// The status a single report would have answered: 201, or the problem's status.
    pub status: u16,
    /// True when this answer is the stored one of an earlier send of the same key.
    pub replayed: bool,
    /// The report, on success.
    pub incident: Option<ReportAnswer>,
    /// Why the item was refused.
    pub problem: Option<Problem>,
}

/// Report incidents collected offline
///
/// Each item carries its own key and `occurred_at` and runs on its own: one bad item is answered with its
/// problem while the others are reported. Items are idempotent by key (per account, kept like
/// `Idempotency-Key`): a batch sent again after a dropped connection answers every item as before
/// (`replayed: true`) and reports nothing twice. The batch itself answers 200 whatever its items' outcomes.
#[utoipa::path(
    operation_id = "report_incident_batch",
    tag = "incidents",
    request_body = Batch,
    responses(
        (status = 200, description = "Every item's outcome, in order", body = BatchAnswer),
        (status = 422, description = "Too many items, or a key is not valid (`/problems/validation`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/api/v1/incidents/batch")]
pub async fn report_batch(
    caller: Caller,
    db: web::Data<Db>,
    live: web::Data<LiveIndex>,
    settings: web::Data<Settings>,
    policy: web::Data<Policy>,
    body: BulkJson<Batch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(crate::domain::access::Permission::IncidentsReport)?;
    let items = body.0.items;
    let mut errors = Vec::new();
    if items.len() > policy.batch_max_items {
        errors.push(FieldError::new("items", format!("at most {} items per batch", policy.batch_max_items)));
    }
    for (i, item) in items.iter().enumerate() {
        if !(1..=200).contains(&item.key.len()) || !item.key.bytes().all(|b| b.is_ascii_graphic()) {
            errors.push(FieldError::new(format!("items[{i}].key"), "must be 1–200 visible ASCII characters"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let policy: Arc<Policy> = policy.into_inner();
    let parsed: Vec<Item> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let prefix = format!("items[{i}].report.");
            let draft = serde_json::from_value::<NewReport>(item.report.clone())
                .map_err(|e| ApiError::validation(vec![FieldError::new(format!("items[{i}].report"), e.to_string())]))
                .and_then(|body| parse(body, &policy, &prefix));
            Item { key: item.key, raw: item.report, draft }
        })
        .collect();
    let keys: Vec<String> = parsed.iter().map(|i| i.key.clone()).collect();
    let shape = |outcome: Outcome| -> (u16, Vec<u8>) {
        let refused =
            |e: &ApiError| (e.to_problem().status, serde_json::to_vec(&batch::problem(e)).unwrap_or_default());
        match outcome {
            Outcome::Reported { row, duplicates } => match answer(*row, duplicates, &caller, &policy) {
                Ok(a) => (201, serde_json::to_vec(&a).unwrap_or_default()),
                Err(e) => refused(&e),
            },
            Outcome::Refused(e) => refused(&e),
        }
    };
    let answers = batch::run(&db, &live, &settings, &caller, policy.clone(), parsed, shape).await;
    let results = keys
        .into_iter()
        .zip(answers)
        .map(|(key, a)| {
            let (incident, problem) = if a.status == 201 {
                (serde_json::from_slice(&a.body).ok(), None)
            } else {
                (None, serde_json::from_slice(&a.body).ok())
            };
            BatchResult { key, status: a.status, replayed: a.replayed, incident, problem }
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchAnswer { items: results }))
}
