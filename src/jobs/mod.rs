//! Background jobs for work too large for one request (bulk imports), and the schedule of special control. Jobs are database rows, so any
//! instance can take one: a worker in every instance claims the oldest runnable job under a lease, works
//! through it in chunks that each commit with the job's checkpoint and a renewed lease, and a job whose
//! instance died (its lease ran out) is taken over and resumed from its last checkpoint. The uploaded file
//! waits in the object store, where every instance can read it.

pub mod api;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::Notify;

use crate::auth::Caller;
use crate::config::Settings;
use crate::db::{self, BoxError, Db};
use crate::domain::access::Role;
use crate::domain::control::Ladder;
use crate::error::ApiError;
use crate::grid::live::LiveIndex;
use crate::storage::Storage;
use crate::vehicles::VehiclePolicy;
use store::JobRow;

pub use api::routes;

/// A job the caller may see: its own, or any for an administrator; 404 otherwise.
pub fn get(conn: &mut db::AnyConnection, caller: &Caller, id: &str) -> Result<JobRow, ApiError> {
    let row = store::find(conn, id)?.filter(|job| job.created_by == caller.account_id || caller.role == Role::Admin);
    row.ok_or_else(|| ApiError::NotFound("no job here".into()))
}

/// Everything a job may need, and this instance's claim on it.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub storage: Storage,
    pub live: web::Data<LiveIndex>,
    pub vehicles: Arc<VehiclePolicy>,
    /// The special-control ladder, for the activations the schedule starts and lifts.
    pub ladder: Arc<Ladder>,
    /// This instance's name in leases.
    pub owner: String,
    /// How long a claim holds without progress before another instance may take the job over.
    pub lease: chrono::Duration,
    /// Rows per committed chunk.
    pub chunk_rows: usize,
    poll: Duration,
    wake: Arc<Notify>,
}

/// Rows per chunk: each commits on its own with the job's checkpoint. Fewer, larger commits write each
/// index page fewer times.
const CHUNK_ROWS: usize = 10_000;

impl Worker {
    pub fn new(
        db: Db,
        storage: Storage,
        live: web::Data<LiveIndex>,
        vehicles: Arc<VehiclePolicy>,
        ladder: Arc<Ladder>,
        settings: &Settings,
    ) -> Self {
        Self {
            db,
            storage,
            live,
            vehicles,
            ladder,
            owner: format!("instance-{}", db::new_id()),
            lease: chrono::Duration::seconds(i64::from(settings.job_lease_secs)),
            chunk_rows: CHUNK_ROWS,
            poll: Duration::from_millis(settings.job_poll_ms),
            wake: Arc::default(),
        }
    }

    /// A worker of its own on the database and object store `settings` name (the command line, tests).
    pub fn connect(settings: &Settings) -> Result<Self, BoxError> {
        let db = Db::connect(settings)?;
        let snapshot = crate::grid::live::Snapshot::load(&mut *db.get()?, settings.today())?;
        let live = web::Data::new(LiveIndex::new(snapshot, Duration::from_millis(settings.grid_refresh_interval_ms)));
        let storage = Storage::from_url(&settings.storage_url)?;
        let vehicles = Arc::new(VehiclePolicy::from_settings(settings)?);
        Ok(Self::new(db, storage, live, vehicles, Arc::new(crate::controls::load_ladder(settings)?), settings))
    }

    /// Starts the next job at once instead of at the next poll (after this instance queued one).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Takes and runs jobs until the instance stops. After a failure (the database away, migrations
    /// pending) it waits twice as long each time, up to a minute, instead of logging every poll.
    pub async fn run(self) {
        let mut wait = self.poll;
        loop {
            match self.step(None).await {
                Ok(true) => continue,
                Ok(false) => wait = self.poll,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "a background job step failed");
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
            }
            let _ = actix_web::rt::time::timeout(wait, self.wake.notified()).await;
        }
    }

    /// Takes the special-control steps that are due, or else claims one runnable job and works on it,
    /// stopping after `max_chunks` chunks if given (as a dying instance would: the lease stays until it runs
    /// out). False when there was nothing to do.
    pub async fn step(&self, max_chunks: Option<usize>) -> Result<bool, ApiError> {
        // A failing schedule (the database away) must not keep jobs from running.
        match crate::controls::service::apply_schedule(&self.db, self.ladder.clone()).await {
            Ok(0) => {}
            Ok(_) => return Ok(true),
            Err(e) => tracing::warn!(problem = %e, "the special-control schedule could not run"),
        }
        let (owner, lease) = (self.owner.clone(), self.lease);
        let Some(job) = self.db.transaction(move |conn| Ok(store::claim(conn, &owner, db::now(), lease)?)).await?
        else {
            return Ok(false);
        };
        tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, from_row = job.checkpoint, "job claimed");
        match job.kind.as_str() {
            crate::vehicles::JOB_KIND => crate::vehicles::job::run(self, job, max_chunks).await?,
            other => self.fail(&job, &ApiError::internal(format!("unknown job kind {other}"))).await?,
        }
        Ok(true)
    }

    /// Ends a job as failed with the problem a synchronous request would have answered.
    pub async fn fail(&self, job: &JobRow, problem: &ApiError) -> Result<(), ApiError> {
        let problem = serde_json::to_string(&problem.to_problem()).map_err(ApiError::internal)?;
        let (id, owner) = (job.id.clone(), self.owner.clone());
        self.db
            .transaction(move |conn| Ok(store::finish(conn, &id, &owner, store::FAILED, Some(problem), db::now())?))
            .await?;
        Ok(())
    }
}
