//! HTTP surface of incidents: DTOs and handlers. Handlers parse, call the service, shape the answer.

mod categories;
mod photos;
mod queries;
mod reports;
mod sheets;
mod stats;
mod transitions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Policy;
use super::service::{self, ChainCell, Responsible, Seen};
use super::store::{PhotoRow, TimelineRow};
use crate::domain::calendar::Light;
use crate::domain::crs::Crs;
use crate::domain::incident::{PhotoStage, Severity, Source};
use crate::domain::photo::PhotoFlag;
use crate::domain::workflow::{Action, Status};
use crate::error::ApiError;
use crate::http::{optional_text, parse_time};

/// Registered as plain resources, not a `/api/v1` scope, which would hide the routes of the scopes after it.
/// Fixed paths (`batch`, `export.csv`) come before `{id}`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(categories::list)
        .service(categories::create)
        .service(categories::get)
        .service(categories::update)
        .service(reports::report)
        .service(reports::report_batch)
        .service(queries::list)
        .service(queries::export)
        .service(queries::get)
        .service(transitions::transition)
        .service(photos::upload)
        .service(photos::download)
        .service(sheets::issue)
        .service(sheets::list)
        .service(sheets::get)
        .service(sheets::respond)
        .service(stats::incidents);
}

/// A person on an incident.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonRef {
    /// Account id; null for the service itself.
    pub id: Option<String>,
    /// Name shown (the username at the time, or the account's display name for an assignee).
    pub name: String,
}

/// Where the incident is, in the requested `crs` (WGS-84 by default).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    /// Accuracy the reporting device gave, in metres.
    pub accuracy_m: Option<f64>,
}

/// A hotline or platform ticket the incident came from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExternalRef {
    /// The platform, e.g. `12345` or `12369`; 1–32 characters.
    #[schema(pattern = "\\S", max_length = 32)]
    pub system: String,
    /// Its ticket number (工单号), 1–64 characters.
    #[schema(pattern = "\\S", max_length = 64)]
    pub reference: String,
}

/// A pending request for more time.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtensionRequest {
    pub until: DateTime<Utc>,
    pub note: Option<String>,
}

/// An incident.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "category": "open_burning", "status": "assigned",
    "severity": "medium", "source": "patrol", "external": null, "description": "河边焚烧垃圾",
    "address": "浑河北岸", "location": {"lon": 123.4, "lat": 41.79, "accuracy_m": 8.0},
    "cell_code": "210102022022", "cell_chain": [{"code": "210100", "name": "沈阳市", "level": 1}],
    "responsible": [{"name": "王丽", "role": "grid_worker", "phone": null, "account_id": null}],
    "reporter": {"id": "019a0c5e-0000-7c3a-9b2d-3f4e5a6b7c8d", "name": "demo-worker"}, "assignee": null,
    "duplicate_of": null, "occurred_at": "2026-12-01T01:20:00Z", "reported_at": "2026-12-01T01:30:00Z",
    "status_changed_at": "2026-12-01T02:00:00Z", "assigned_at": "2026-12-01T02:00:00Z",
    "deadline_at": "2026-12-01T06:00:00Z", "deadline_note": "4 h for open_burning (medium)",
    "control": null, "extension_request": null, "rectified_at": null, "closed_at": null, "overdue": false, "light": "green",
    "available_actions": ["reassign", "start", "mark_duplicate", "request_extension"], "version": 2,
    "updated_at": "2026-12-01T02:00:00Z"
}))]
pub struct Incident {
    pub id: String,
    /// Category code (see `/incident-categories`).
    pub category: String,
    pub status: Status,
    pub severity: Severity,
    pub source: Source,
    pub external: Option<ExternalRef>,
    pub description: String,
    pub address: Option<String>,
    pub location: Location,
    /// The cell the incident belongs to now (routed, or assigned to); null while unrouted.
    pub cell_code: Option<String>,
    /// The cells routing found at report time, root first; empty when it was outside the grid.
    pub cell_chain: Vec<ChainCell>,
    /// Who was responsible for the deepest cell when the incident was reported.
    pub responsible: Vec<Responsible>,
    pub reporter: PersonRef,
    /// The person it is assigned to, if one was named (else the whole cell handles it).
    pub assignee: Option<PersonRef>,
    /// The original of a duplicate.
    pub duplicate_of: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// When it must be rectified by.
    pub deadline_at: Option<DateTime<Utc>>,
    /// How the deadline was set ("3 working days for dust (medium)", "set by hand", "extended on request…").
    pub deadline_note: Option<String>,
    /// The special control in force over the cell when the incident was reported, whose level sets its
    /// deadline (shorter than the category's) once it is assigned.
    pub control: Option<crate::controls::service::Tightening>,
    pub extension_request: Option<ExtensionRequest>,
    pub rectified_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Waiting for rectification past its deadline now, or rectified after it.
    pub overdue: bool,
    /// Red (overdue), yellow (less than the configured share of its time left) or green; null before assignment
    /// and for rejected or duplicate incidents.
    pub light: Option<Light>,
    /// What the caller may do next (`POST …/transitions`).
    pub available_actions: Vec<Action>,
    /// Version, also sent as the ETag.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    pub fn from_seen(seen: Seen, crs: Crs, policy: &Policy, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let Seen { row, available } = seen;
        let light = service::light(&row, policy, now);
        let routing = service::routing(&row)?;
        let extension = service::extension(&row)?;
        let (lon, lat) = crs.from_wgs84(row.lon, row.lat);
        Ok(Self {
            status: service::stored_status(&row)?,
            severity: Severity::parse(&row.severity).ok_or_else(|| ApiError::internal("stored severity"))?,
            source: Source::parse(&row.source).ok_or_else(|| ApiError::internal("stored source"))?,
            external: row
                .external_system
                .zip(row.external_ref)
                .map(|(system, reference)| ExternalRef { system, reference }),
            location: Location { lon, lat, accuracy_m: row.accuracy_m },
            cell_chain: routing.chain,
            responsible: routing.responsible,
            reporter: PersonRef { id: row.reporter_id, name: row.reporter_name },
            assignee: row.assignee_name.map(|name| PersonRef { id: row.assignee_id, name }),
            extension_request: extension.map(|e| ExtensionRequest { until: e.until, note: e.note }),
            control: routing.control,
            overdue: light.is_some_and(|(_, overdue)| overdue),
            light: light.map(|(light, _)| light),
            available_actions: available,
            id: row.id,
            category: row.category_code,
            description: row.description,
            address: row.address,
            cell_code: row.cell_code,
            duplicate_of: row.duplicate_of,
            occurred_at: row.occurred_at.and_utc(),
            reported_at: row.reported_at.and_utc(),
            status_changed_at: row.status_changed_at.and_utc(),
            assigned_at: row.assigned_at.map(|t| t.and_utc()),
            deadline_at: row.deadline_at.map(|t| t.and_utc()),
            deadline_note: row.deadline_note,
            rectified_at: row.rectified_at.map(|t| t.and_utc()),
            closed_at: row.closed_at.map(|t| t.and_utc()),
            version: row.version,
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// One step of an incident's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// `report`, an action of the closed loop, `photo_added`, `duplicate_linked` or `sheet_issued`.
    pub action: String,
    /// Status before; null for the report.
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    pub actor: PersonRef,
    pub note: Option<String>,
    /// The step's own facts (cell, assignee, deadline, original, photo…).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl TimelineEntry {
    fn from_row(row: TimelineRow) -> Result<Self, ApiError> {
        let status = |s: &str| Status::parse(s).ok_or_else(|| ApiError::internal(format!("timeline status {s}")));
        Ok(Self {
            from: row.from_status.as_deref().map(status).transpose()?,
            to: status(&row.to_status)?,
            data: serde_json::from_str(&row.data).map_err(ApiError::internal)?,
            action: row.action,
            actor: PersonRef { id: row.actor_id, name: row.actor_name },
            note: row.note,
            at: row.at.and_utc(),
        })
    }
}

/// A photo of an incident (its bytes at `href`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Photo {
    pub id: String,
    pub stage: PhotoStage,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/heic`, from the content.
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// When EXIF says it was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// Where EXIF says it was taken (WGS-84 lon, lat).
    pub position: Option<[f64; 2]>,
    /// Reasons for a second look: far from the incident, taken long before the report, taken after upload.
    pub flags: Vec<PhotoFlag>,
    pub uploaded_by: PersonRef,
    pub uploaded_at: DateTime<Utc>,
    /// Where to fetch the image.
    pub href: String,
}

impl Photo {
    fn from_row(row: PhotoRow) -> Result<Self, ApiError> {
        Ok(Self {
            href: format!("/api/v1/incidents/{}/photos/{}", row.incident_id, row.id),
            stage: PhotoStage::parse(&row.stage).ok_or_else(|| ApiError::internal("stored photo stage"))?,
            flags: serde_json::from_str(&row.flags).map_err(ApiError::internal)?,
            position: row.lon.zip(row.lat).map(|(lon, lat)| [lon, lat]),
            taken_at: row.taken_at.map(|t| t.and_utc()),
            uploaded_by: PersonRef { id: row.uploaded_by, name: row.uploader_name },
            uploaded_at: row.uploaded_at.and_utc(),
            id: row.id,
            media_type: row.media_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
        })
    }
}

/// 404 for a path id that cannot be an incident's (all ids are UUIDs).
fn parse_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::NotFound("no incident here".into()))
}
