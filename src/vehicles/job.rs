//! Large inspection files as background jobs: the upload goes to the object store and a job row; any
//! instance then checks the whole file (every bad row is reported and nothing is written, as for a small
//! file) and writes it in chunks, each committed with the job's checkpoint.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::JOB_KIND;
use std::io::{Seek, SeekFrom};

use actix_web::ResponseError;

use super::read::{self, Numbered};
use super::service::{self, InspectionImportSummary, Seen, route, write_rows};
use crate::auth::Caller;
use crate::db::{self, Db};
use crate::domain::crs::Crs;
use crate::error::ApiError;
use crate::grid::live::Snapshot;
use crate::import::{self, Format, Upload};
use crate::jobs::Worker;
use crate::jobs::store::{self as jobs, JobRow};
use crate::storage::Storage;

/// Rows held in memory at once while a chunk is written: a chunk's commit size does not set the memory.
const WRITE_BATCH: usize = 1_000;

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

/// Works on a claimed import from its checkpoint; stops after `max_chunks` chunks if given. The file is
/// read twice, a row at a time, never whole: once to check every row, then chunk by chunk to write.
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
    let (format, crs, tz, now) = (params.format, params.crs, worker.vehicles.tz, Utc::now());
    let open = move |file: &std::fs::File| -> Result<Records, ApiError> {
        let mut file = file.try_clone().map_err(ApiError::internal)?;
        file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
        read::records(Upload::from_file(file, format, encoding), crs, now, tz)
    };
    let snapshot = worker.live.current(&worker.db, now.with_timezone(&tz).date_naive()).await?;

    // Every row is checked before the first chunk is written, so a bad row anywhere writes nothing.
    let total = match (job.checkpoint, job.rows_total) {
        (done, Some(total)) if done > 0 => total,
        _ => {
            let (file, snapshot, who) =
                (file.try_clone().map_err(ApiError::internal)?, snapshot.clone(), caller.clone());
            let checked = worker.db.run(move |conn| check_all(conn, &who, open(&file)?, &snapshot)).await;
            match checked {
                Ok(total) => total,
                Err(refused) if refused.status_code().is_client_error() => return worker.fail(&job, &refused).await,
                Err(e) => return Err(e),
            }
        }
    };
    tracing::debug!(job = %job.id, rows = total, "inspection file checked");

    let mut rows = open(&file)?;
    for _ in rows.by_ref().take(job.checkpoint as usize) {}
    let mut summary: InspectionImportSummary = serde_json::from_str(&job.summary).unwrap_or_default();
    let (mut done, mut chunks, mut seen) = (job.checkpoint, 0, Seen::default());
    loop {
        if max_chunks.is_some_and(|max| chunks >= max) {
            return Ok(());
        }
        let (policy, who, source, snapshot) =
            (worker.vehicles.clone(), caller.clone(), params.source.clone(), snapshot.clone());
        let (id, owner, lease, size) = (job.id.clone(), worker.owner.clone(), worker.lease, worker.chunk_rows);
        let running = summary.clone();
        let step = worker
            .db
            .transaction(move |conn| {
                let (mut running, mut taken) = (running, 0);
                while taken < size {
                    let batch: Vec<Numbered> = rows
                        .by_ref()
                        .take(WRITE_BATCH.min(size - taken))
                        .collect::<Result<_, _>>()
                        .map_err(import::invalid_rows)?;
                    if batch.is_empty() {
                        break;
                    }
                    taken += batch.len();
                    let routed = route(&snapshot, batch);
                    running.add(&write_rows(conn, &who, &source, &routed, Vec::new(), &mut seen, &policy)?);
                }
                let end = done + taken as i64;
                let now = db::now();
                let json = serde_json::to_string(&running).map_err(ApiError::internal)?;
                if !jobs::advance(conn, &id, &owner, (end, total), &json, now + lease, now)? {
                    return Err(ApiError::Conflict("another instance took the job over".into()));
                }
                if end >= total {
                    service::record_imported(conn, &who, &source, &running)?;
                    jobs::finish(conn, &id, &owner, jobs::SUCCEEDED, None, now)?;
                }
                Ok((rows, seen, running, end))
            })
            .await?;
        (rows, seen, summary, done) = step;
        chunks += 1;
        if chunks == 1 && summary.created > 0 {
            worker.db.run(|conn| Ok(super::store::refresh_statistics(conn)?)).await?;
        }
        if done >= total {
            tracing::info!(job = %job.id, rows = total, "inspection import finished");
            return Ok(());
        }
    }
}

type Records = Box<dyn Iterator<Item = read::Item> + Send>;

/// Reads every row and checks it as the import will; the number of rows, or 422 naming every bad one.
fn check_all(
    conn: &mut db::AnyConnection,
    caller: &Caller,
    rows: Records,
    snapshot: &Snapshot,
) -> Result<i64, ApiError> {
    let (mut total, mut errors, mut seen) = (0, Vec::new(), Seen::default());
    for item in rows {
        total += 1;
        match item {
            Ok(n) => {
                let code = service::locate(snapshot, &n);
                if let Err(bad) = service::check(conn, caller, (&n, code.as_deref()), &mut seen)? {
                    errors.push(bad);
                }
            }
            Err(bad) => errors.extend(bad),
        }
    }
    if errors.is_empty() { Ok(total) } else { Err(import::invalid_rows(errors)) }
}
