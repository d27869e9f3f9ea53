//! Caches that several instances keep fresh without talking to each other: every write to what a cache
//! holds bumps a row of `revisions` in its transaction, and before answering from the cache an instance
//! compares those revisions with the ones its entries were read under (at most once per interval), emptying
//! the cache when they moved. Writes on this instance invalidate at once, so its next read sees them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::schema::revisions;
use super::{AnyConnection, Db};
use crate::error::ApiError;

/// Entries beyond this are not kept (the cache empties and fills again): a bound on memory, not an LRU.
const MAX_ENTRIES: usize = 100_000;

/// The revisions of `topics`, in their order.
pub fn read_revisions(conn: &mut AnyConnection, topics: &[&str]) -> QueryResult<Vec<i64>> {
    let rows: Vec<(String, i64)> = revisions::table
        .filter(revisions::topic.eq_any(topics))
        .select((revisions::topic, revisions::revision))
        .load(conn)?;
    Ok(topics.iter().map(|t| rows.iter().find(|(topic, _)| topic == t).map_or(0, |(_, r)| *r)).collect())
}

/// Tells every instance that what `topic` covers changed; call it inside the writing transaction.
pub fn bump_revision(conn: &mut AnyConnection, topic: &str) -> QueryResult<()> {
    diesel::update(revisions::table.filter(revisions::topic.eq(topic)))
        .set((revisions::revision.eq(revisions::revision + 1), revisions::updated_at.eq(super::now())))
        .execute(conn)
        .map(drop)
}

/// Values by key, valid while the revisions of `topics` stay as they were when the values were read.
pub struct RevisionCache<K, V> {
    topics: &'static [&'static str],
    interval: Duration,
    state: RwLock<State<K, V>>,
    checked_at: Mutex<Option<Instant>>,
}

struct State<K, V> {
    revisions: Vec<i64>,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash + Clone + Send + 'static, V: Clone + Send + 'static> RevisionCache<K, V> {
    pub fn new(topics: &'static [&'static str], interval: Duration) -> Self {
        Self {
            topics,
            interval,
            state: RwLock::new(State { revisions: Vec::new(), entries: HashMap::new() }),
            checked_at: Mutex::new(None),
        }
    }

    /// The value of `key`, from the cache when it is fresh, else from `load` (whose `None` is not kept).
    pub async fn get<F>(&self, db: &Db, key: K, load: F) -> Result<Option<V>, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<Option<V>, ApiError> + Send + 'static,
    {
        if self.due() {
            let topics = self.topics;
            let now = db.run(move |conn| Ok(read_revisions(conn, topics)?)).await?;
            let mut state = self.state.write().expect("cache lock");
            if state.revisions != now {
                state.entries.clear();
                state.revisions = now;
            }
            *self.checked_at.lock().expect("cache lock") = Some(Instant::now());
        }
        if let Some(value) = self.state.read().expect("cache lock").entries.get(&key) {
            return Ok(Some(value.clone()));
        }
        let topics = self.topics;
        // Revisions first: a write racing the load then shows as a newer revision, and the value is not kept.
        let (revisions, value) = db.run(move |conn| Ok((read_revisions(conn, topics)?, load(conn)?))).await?;
        if let Some(value) = &value {
            let mut state = self.state.write().expect("cache lock");
            if state.revisions == revisions {
                if state.entries.len() >= MAX_ENTRIES {
                    state.entries.clear();
                }
                state.entries.insert(key, value.clone());
            }
        }
        Ok(value)
    }

    /// Forces a revision check on the next read (after this instance changed what the cache holds).
    pub fn invalidate(&self) {
        *self.checked_at.lock().expect("cache lock") = None;
    }

    fn due(&self) -> bool {
        self.checked_at.lock().expect("cache lock").is_none_or(|at| at.elapsed() >= self.interval)
    }
}
