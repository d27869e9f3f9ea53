//! Keeps this instance's point index in step with the database.
//!
//! Several instances may share one database, so the index is a cache: every grid write bumps the `grid`
//! row of `revisions` in its transaction, and before answering a locate an instance compares that
//! revision with its snapshot's (at most once per `grid_refresh_interval_ms`) and reloads when it moved
//! or when the day changed (validity dates). Writes on this instance invalidate at once.
//!
//! The people responsible for each cell today are cached the same way, under the `people` and `grid`
//! revisions, so a locate needs no query at all.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::index::{GridIndex, IndexedCell};
use super::service::stored_shape;
use super::store::{self, PersonRow};
use crate::db::cache::RevisionCache;
use crate::db::{AnyConnection, Db};
use crate::error::ApiError;

/// The index as of one grid revision and one day.
pub struct Snapshot {
    pub index: GridIndex,
    pub revision: i64,
    pub day: NaiveDate,
}

impl Snapshot {
    pub fn load(conn: &mut AnyConnection, day: NaiveDate) -> Result<Self, ApiError> {
        // Read the revision first: a write racing the load then shows as a newer revision next time.
        let revision = store::grid_revision(conn)?;
        let cells = store::active_cells(conn, day)?
            .iter()
            .map(|row| {
                let shape = stored_shape(row)?;
                Ok(IndexedCell {
                    code: shape.code,
                    name: row.name.clone(),
                    level: shape.level,
                    parent: shape.parent,
                    shape: shape.boundary.into_shape(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Self { index: GridIndex::new(cells), revision, day })
    }
}

pub struct LiveIndex {
    current: RwLock<Arc<Snapshot>>,
    checked_at: Mutex<Option<Instant>>,
    reloading: tokio::sync::Mutex<()>,
    interval: Duration,
    people: RevisionCache<(String, NaiveDate), Vec<PersonRow>>,
}

impl LiveIndex {
    pub fn new(snapshot: Snapshot, interval: Duration) -> Self {
        Self {
            current: RwLock::new(Arc::new(snapshot)),
            checked_at: Mutex::new(Some(Instant::now())),
            reloading: tokio::sync::Mutex::new(()),
            interval,
            people: RevisionCache::new(&[store::PEOPLE_TOPIC, store::GRID_TOPIC], interval),
        }
    }

    /// Who is responsible for `cell` on `day`, from the cache while nothing changed.
    pub async fn people(&self, db: &Db, cell: &str, day: NaiveDate) -> Result<Vec<PersonRow>, ApiError> {
        let code = cell.to_owned();
        let load = move |conn: &mut AnyConnection| Ok(Some(store::people_of(conn, &code, Some(day))?));
        Ok(self.people.get(db, (cell.to_owned(), day), load).await?.unwrap_or_default())
    }

    /// A snapshot no older than the refresh interval allows.
    pub async fn current(&self, db: &Db, today: NaiveDate) -> Result<Arc<Snapshot>, ApiError> {
        if !self.due(today) {
            return Ok(self.snapshot());
        }
        let _one_at_a_time = self.reloading.lock().await;
        if !self.due(today) {
            return Ok(self.snapshot());
        }
        let known = self.snapshot();
        let revision = db.run(|conn| Ok(store::grid_revision(conn)?)).await?;
        if revision != known.revision || known.day != today {
            let fresh = db.run(move |conn| Snapshot::load(conn, today)).await?;
            tracing::info!(revision = fresh.revision, cells = fresh.index.len(), "grid index reloaded");
            *self.current.write().expect("index lock") = Arc::new(fresh);
        }
        *self.checked_at.lock().expect("index lock") = Some(Instant::now());
        Ok(self.snapshot())
    }

    /// Forces a check on the next use (after this instance changed the grid or its people).
    pub fn invalidate(&self) {
        *self.checked_at.lock().expect("index lock") = None;
        self.people.invalidate();
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("index lock").clone()
    }

    fn due(&self, today: NaiveDate) -> bool {
        let stale = self.checked_at.lock().expect("index lock").is_none_or(|at| at.elapsed() >= self.interval);
        stale || self.snapshot().day != today
    }
}
