//! Job endpoints: where a queued import stands.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::store::JobRow;
use crate::auth::Caller;
use crate::db::Db;
use crate::error::{ApiError, Problem};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_job);
}

/// A background job and how far it got.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d", "kind": "vehicle_inspections", "status": "running",
    "rows_total": 100000, "rows_done": 42000, "attempts": 1,
    "summary": {"rows": 42000, "created": 41990, "updated": 0, "unchanged": 10, "disagreements": 3, "results": {"pass": 41000, "fail": 990}},
    "problem": null, "created_at": "2026-12-03T09:00:00Z", "started_at": "2026-12-03T09:00:01Z", "finished_at": null}))]
pub struct Job {
    pub id: String,
    /// What the job does: `vehicle_inspections` (an inspection import).
    pub kind: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    #[schema(example = "running")]
    pub status: String,
    /// Data rows in the file, once it has been read.
    pub rows_total: Option<i64>,
    /// Rows written so far (each chunk commits on its own).
    pub rows_done: i64,
    /// How many times an instance took the job (more than 1 after a takeover).
    pub attempts: i32,
    /// What the job did so far; at the end, what the synchronous import would have answered.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// For a failed job: the problem a synchronous import would have answered, with every bad row.
    pub problem: Option<Problem>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    pub fn from_row(row: JobRow) -> Result<Self, ApiError> {
        Ok(Self {
            summary: serde_json::from_str(&row.summary).map_err(ApiError::internal)?,
            problem: row.errors.as_deref().map(serde_json::from_str).transpose().map_err(ApiError::internal)?,
            id: row.id,
            kind: row.kind,
            status: row.status,
            rows_total: row.rows_total,
            rows_done: row.checkpoint,
            attempts: row.attempts,
            created_at: row.created_at.and_utc(),
            started_at: row.started_at.map(|t| t.and_utc()),
            finished_at: row.finished_at.map(|t| t.and_utc()),
        })
    }
}

/// Get a background job
///
/// Where a queued import stands: its status, rows done of rows total, the running summary, and for a failed
/// job the problem with every bad row. Seen by the account that started it and by administrators.
#[utoipa::path(
    operation_id = "get_job",
    tag = "vehicles",
    params(("id" = String, Path, description = "Job id", example = "019a0c5e-8f1e-7c3a-9b2d-3f4e5a6b7c8d")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 404, description = "No job here (or not the caller's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/api/v1/jobs/{id}")]
pub async fn get_job(caller: Caller, db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = db.run(move |conn| super::get(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(Job::from_row(row)?))
}
