//! Job rows: enqueue, claim (one instance at a time), advance with a checkpoint, finish.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::jobs;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub params: String,
    pub object_key: String,
    pub created_by: String,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub attempts: i32,
    pub rows_total: Option<i64>,
    pub checkpoint: i64,
    pub summary: String,
    pub errors: Option<String>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

impl JobRow {
    /// A job waiting for an instance to take it.
    pub fn queued(id: String, kind: &str, params: String, object_key: String, by: &str, now: NaiveDateTime) -> Self {
        Self {
            id,
            kind: kind.to_owned(),
            status: QUEUED.into(),
            params,
            object_key,
            created_by: by.to_owned(),
            lease_owner: None,
            lease_until: None,
            attempts: 0,
            rows_total: None,
            checkpoint: 0,
            summary: "{}".into(),
            errors: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            updated_at: now,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, row: &JobRow) -> QueryResult<()> {
    diesel::insert_into(jobs::table).values(row).execute(conn).map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<JobRow>> {
    jobs::table.find(id).select(JobRow::as_select()).first(conn).optional()
}

/// Takes the oldest job that is queued, or running under a lease that ran out (its instance died), for
/// `owner` until `now + lease`. Call it in a transaction. On PostgreSQL the candidate row is locked and rows
/// other instances are claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has a single writer, which
/// the transaction holds.
pub fn claim(
    conn: &mut AnyConnection,
    owner: &str,
    now: NaiveDateTime,
    lease: Duration,
) -> QueryResult<Option<JobRow>> {
    let candidate = match conn {
        AnyConnection::Postgresql(pg) => jobs::table
            .filter(jobs::status.eq(QUEUED).or(jobs::status.eq(RUNNING).and(jobs::lease_until.lt(now))))
            .order(jobs::created_at.asc())
            .select(jobs::id)
            .for_update()
            .skip_locked()
            .first::<String>(pg)
            .optional()?,
        AnyConnection::Sqlite(lite) => jobs::table
            .filter(jobs::status.eq(QUEUED).or(jobs::status.eq(RUNNING).and(jobs::lease_until.lt(now))))
            .order(jobs::created_at.asc())
            .select(jobs::id)
            .first::<String>(lite)
            .optional()?,
    };
    let Some(id) = candidate else { return Ok(None) };
    diesel::update(jobs::table.find(&id))
        .set((
            jobs::status.eq(RUNNING),
            jobs::lease_owner.eq(owner),
            jobs::lease_until.eq(now + lease),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(jobs::table.find(&id).filter(jobs::started_at.is_null()))
        .set(jobs::started_at.eq(now))
        .execute(conn)?;
    find(conn, &id)
}

/// Records progress under the lease: the checkpoint (rows done), the running summary and a renewed lease.
/// False when `owner` no longer holds the job (its lease ran out and another instance took it over): the
/// caller must then roll back what it did.
pub fn advance(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    (checkpoint, rows_total): (i64, i64),
    summary: &str,
    lease_until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated =
        diesel::update(jobs::table.find(id).filter(jobs::lease_owner.eq(owner)).filter(jobs::status.eq(RUNNING)))
            .set((
                jobs::checkpoint.eq(checkpoint),
                jobs::rows_total.eq(rows_total),
                jobs::summary.eq(summary),
                jobs::lease_until.eq(lease_until),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
    Ok(updated == 1)
}

/// Ends a job `owner` holds: succeeded, or failed with its problem (JSON).
pub fn finish(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    status: &str,
    errors: Option<String>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated =
        diesel::update(jobs::table.find(id).filter(jobs::lease_owner.eq(owner)).filter(jobs::status.eq(RUNNING)))
            .set((
                jobs::status.eq(status),
                jobs::errors.eq(errors),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::finished_at.eq(now),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
    Ok(updated == 1)
}
