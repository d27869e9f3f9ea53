//! Keeps this instance's point index in step with the database.
//!
//! Several instances may share one database, so the index is a cache: every grid write bumps the `grid`
//! row of `revisions` in its transaction, and before answering a locate an instance compares that
//! revision with its snapshot's (at most once per `grid_refresh_interval_ms`) and reloads when it moved
//! or when the day changed (validity dates). Writes on this instance invalidate at once.
//!
//! The people responsible for each cell today are cached the same way, under the `people` and `grid`
//! revisions, so a locate needs no query at all.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDate;

use super::index::{GridIndex, IndexedCell};
use super::service::stored_shape;
use super::store::{self, PersonRow};
use crate::db::cache::{Freshness, RevisionCache};
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
    freshness: Freshness,
    reloading: tokio::sync::Mutex<()>,
    people: RevisionCache<(String, NaiveDate), Vec<PersonRow>>,
}

impl LiveIndex {
    pub fn new(snapshot: Snapshot, interval: Duration) -> Self {
        let freshness = Freshness::new(interval);
        freshness.fresh(freshness.begin());
        Self {
            current: RwLock::new(Arc::new(snapshot)),
            freshness,
            reloading: tokio::sync::Mutex::new(()),
            people: RevisionCache::new(&[store::PEOPLE_TOPIC, store::GRID_TOPIC], interval),
        }
    }

    /// Who is responsible for `cell` on `day`, from the cache while nothing changed.
    pub async fn people(&self, db: &Db, cell: &str, day: NaiveDate) -> Result<Vec<PersonRow>, ApiError> {
        let code = cell.to_owned();
        let load = move |conn: &mut AnyConnection| Ok(Some(store::people_of(conn, &code, Some(day))?));
        Ok(self.people.get(db, (cell.to_owned(), day), load).await?.unwrap_or_default())
    }

    /// A snapshot no older than the refresh interval allows, that has every grid write this instance made.
    /// While one request checks or reloads, the others keep answering from the snapshot they have, unless
    /// this instance wrote since (then they wait for the reload, so they see the write).
    pub async fn current(&self, db: &Db, today: NaiveDate) -> Result<Arc<Snapshot>, ApiError> {
        if !self.due(today) {
            return Ok(self.snapshot());
        }
        let _one_at_a_time = match self.reloading.try_lock() {
            Ok(guard) => guard,
            Err(_) if !self.freshness.owed() && self.snapshot().day == today => return Ok(self.snapshot()),
            Err(_) => self.reloading.lock().await,
        };
        if !self.due(today) {
            return Ok(self.snapshot());
        }
        let began = self.freshness.begin();
        let known = self.snapshot();
        let revision = db.run(|conn| Ok(store::grid_revision(conn)?)).await?;
        if revision != known.revision || known.day != today {
            let fresh = db.run(move |conn| Snapshot::load(conn, today)).await?;
            tracing::info!(revision = fresh.revision, cells = fresh.index.len(), "grid index reloaded");
            *self.current.write().expect("index lock") = Arc::new(fresh);
        }
        self.freshness.fresh(began);
        Ok(self.snapshot())
    }

    /// Forces a check on the next use (after this instance changed the grid or its people).
    pub fn invalidate(&self) {
        self.freshness.invalidate();
        self.people.invalidate();
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("index lock").clone()
    }

    fn due(&self, today: NaiveDate) -> bool {
        self.freshness.due() || self.snapshot().day != today
    }
}
