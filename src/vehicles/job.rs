//! Large inspection files as background jobs: the upload goes to the object store and a job row; any
//! instance then checks the whole file (every bad row is reported and nothing is written, as for a small
//! file) and writes it in chunks, each committed with the job's checkpoint.

use actix_web::web;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::JOB_KIND;
use super::read::{self, Numbered};
use super::service::{self, InspectionImportSummary, Write};
use crate::auth::Caller;
use crate::db::{self, Db};
use crate::domain::crs::Crs;
use crate::error::ApiError;
use crate::import::{Format, Upload};
use crate::jobs::Worker;
use crate::jobs::store::{self as jobs, JobRow};
use crate::storage::Storage;

/// What a queued inspection import needs besides its file.
#[derive(Debug, Serialize, Deserialize)]
struct Params {
    source: String,
    crs: Crs,
    format: Format,
    /// The `charset` the upload declared.
    encoding: Option<String>,
}

/// Keeps the upload in the object store and queues its import.
pub async fn enqueue(
    db: &Db,
    storage: &Storage,
    caller: &Caller,
    source: String,
    crs: Crs,
    upload: Upload,
) -> Result<JobRow, ApiError> {
    service::require_import(caller)?;
    let id = db::new_id();
    let key = format!("imports/{id}");
    let params = Params { source, crs, format: upload.format, encoding: upload.encoding.map(|e| e.name().to_owned()) };
    storage.put_file(&key, upload.file).await.map_err(ApiError::internal)?;
    let params = serde_json::to_string(&params).map_err(ApiError::internal)?;
    let row = JobRow::queued(id, JOB_KIND, params, key, &caller.account_id, db::now());
    let queued = row.clone();
    db.transaction(move |conn| Ok(jobs::insert(conn, &queued)?)).await?;
    Ok(row)
}

/// Works on a claimed import from its checkpoint; stops after `max_chunks` chunks if given.
pub async fn run(worker: &Worker, job: JobRow, max_chunks: Option<usize>) -> Result<(), ApiError> {
    let params: Params = serde_json::from_str(&job.params).map_err(ApiError::internal)?;
    let created_by = job.created_by.clone();
    let Some(caller) = worker.db.run(move |conn| Caller::of_account(conn, &created_by)).await? else {
        return worker
            .fail(&job, &ApiError::Forbidden("the account that queued the import is not active".into()))
            .await;
    };
    let file = worker.storage.get_file(&job.object_key).await.map_err(ApiError::internal)?;
    let encoding = params.encoding.as_deref().and_then(|e| encoding_rs::Encoding::for_label(e.as_bytes()));
    let upload = Upload::from_file(file, params.format, encoding);
    let (crs, tz) = (params.crs, worker.vehicles.tz);
    let parsed = web::block(move || read::inspections(upload, crs, Utc::now(), tz)).await?;
    let (rows, errors) = match parsed {
        Ok(parsed) => parsed,
        Err(refused) => return worker.fail(&job, &refused).await,
    };
    let rows = service::route(&worker.db, &worker.live, &worker.vehicles, rows).await?;
    let total = rows.len() as i64;
    let rows = std::sync::Arc::new(rows);

    // The whole file is checked before its first chunk, so a bad row anywhere writes nothing.
    if job.checkpoint == 0 {
        let (all, policy, who, source) = (rows.clone(), worker.vehicles.clone(), caller.clone(), params.source.clone());
        let checked = worker
            .db
            .run(move |conn| service::write_rows(conn, &who, &source, &all, errors, &policy, Write::CheckOnly))
            .await;
        if let Err(refused) = checked {
            return worker.fail(&job, &refused).await;
        }
    }

    let mut summary: InspectionImportSummary = serde_json::from_str(&job.summary).unwrap_or_default();
    let mut done = job.checkpoint;
    let mut chunks = 0;
    while done < total {
        if max_chunks.is_some_and(|max| chunks >= max) {
            return Ok(());
        }
        let end = (done + worker.chunk_rows as i64).min(total);
        let (all, policy, who, source) = (rows.clone(), worker.vehicles.clone(), caller.clone(), params.source.clone());
        let (id, owner, lease) = (job.id.clone(), worker.owner.clone(), worker.lease);
        let mut running = summary.clone();
        summary = worker
            .db
            .transaction(move |conn| {
                let chunk: &[(Numbered, Option<String>)] = &all[done as usize..end as usize];
                running.add(&service::write_rows(conn, &who, &source, chunk, Vec::new(), &policy, Write::Yes)?);
                let now = db::now();
                let json = serde_json::to_string(&running).map_err(ApiError::internal)?;
                if !jobs::advance(conn, &id, &owner, (end, total), &json, now + lease, now)? {
                    return Err(ApiError::Conflict("another instance took the job over".into()));
                }
                if end == total {
                    service::record_imported(conn, &who, &source, &running)?;
                    jobs::finish(conn, &id, &owner, jobs::SUCCEEDED, None, now)?;
                }
                Ok(running)
            })
            .await?;
        done = end;
        chunks += 1;
    }
    if total == 0 {
        let (id, owner) = (job.id.clone(), worker.owner.clone());
        worker
            .db
            .transaction(move |conn| Ok(jobs::finish(conn, &id, &owner, jobs::SUCCEEDED, None, db::now())?))
            .await?;
    }
    tracing::info!(job = %job.id, rows = total, "inspection import finished");
    Ok(())
}
