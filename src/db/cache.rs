//! Caches that several instances keep fresh without talking to each other: every write to what a cache
//! holds bumps a row of `revisions` in its transaction, and before answering from the cache an instance
//! compares those revisions with the ones its entries were read under (at most once per interval), emptying
//! the cache when they moved. Writes on this instance invalidate at once, so its next read sees them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// When a cache last compared its revisions with the database's, and whether it must again.
///
/// A check covers the writes this instance made before it began: `invalidate` bumps a generation, and a
/// check records the generation it started at, so a check already running when this instance writes
/// cannot mark the cache fresh (its next read checks again and sees the write).
pub struct Freshness {
    interval: Duration,
    generation: AtomicU64,
    /// When the last check began, and the generation it covered.
    checked: Mutex<Option<(Instant, u64)>>,
}

impl Freshness {
    pub fn new(interval: Duration) -> Self {
        Self { interval, generation: AtomicU64::new(0), checked: Mutex::new(None) }
    }

    /// Marks the cache fresh as of now, but only for the writes before `began` (from [`Freshness::begin`]).
    pub fn fresh(&self, began: (Instant, u64)) {
        *self.checked.lock().expect("freshness lock") = Some(began);
    }

    /// What a check starting now covers; pass it to [`Freshness::fresh`] when the check is done.
    pub fn begin(&self) -> (Instant, u64) {
        (Instant::now(), self.generation.load(Ordering::SeqCst))
    }

    /// True when the interval has passed or this instance wrote since the last check.
    pub fn due(&self) -> bool {
        self.checked.lock().expect("freshness lock").is_none_or(|(at, generation)| {
            at.elapsed() >= self.interval || generation != self.generation.load(Ordering::SeqCst)
        })
    }

    /// True when this instance wrote since the last check: its next read must see the write.
    pub fn owed(&self) -> bool {
        self.checked
            .lock()
            .expect("freshness lock")
            .is_none_or(|(_, generation)| generation != self.generation.load(Ordering::SeqCst))
    }

    /// Forces a check on the next read (after this instance changed what the cache holds).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// Values by key, valid while the revisions of `topics` stay as they were when the values were read.
pub struct RevisionCache<K, V> {
    topics: &'static [&'static str],
    state: RwLock<State<K, V>>,
    freshness: Freshness,
}

struct State<K, V> {
    revisions: Vec<i64>,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash + Clone + Send + 'static, V: Clone + Send + 'static> RevisionCache<K, V> {
    pub fn new(topics: &'static [&'static str], interval: Duration) -> Self {
        Self {
            topics,
            state: RwLock::new(State { revisions: Vec::new(), entries: HashMap::new() }),
            freshness: Freshness::new(interval),
        }
    }

    /// The value of `key`, from the cache when it is fresh, else from `load` (whose `None` is not kept).
    pub async fn get<F>(&self, db: &Db, key: K, load: F) -> Result<Option<V>, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<Option<V>, ApiError> + Send + 'static,
    {
        if self.freshness.due() {
            let began = self.freshness.begin();
            let topics = self.topics;
            let now = db.run(move |conn| Ok(read_revisions(conn, topics)?)).await?;
            let mut state = self.state.write().expect("cache lock");
            if state.revisions != now {
                state.entries.clear();
                state.revisions = now;
            }
            self.freshness.fresh(began);
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
        self.freshness.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_running_when_this_instance_writes_does_not_hide_the_write() {
        let freshness = Freshness::new(Duration::from_secs(3600));
        assert!(freshness.due() && freshness.owed(), "never checked");
        let began = freshness.begin();
        freshness.invalidate(); // a write commits while the check reads the revisions
        freshness.fresh(began);
        assert!(freshness.due() && freshness.owed(), "the check began before the write");
        freshness.fresh(freshness.begin());
        assert!(!freshness.due() && !freshness.owed());
        freshness.invalidate();
        assert!(freshness.due() && freshness.owed());
    }

    #[test]
    fn the_interval_makes_a_check_due_without_owing_one() {
        let freshness = Freshness::new(Duration::ZERO);
        freshness.fresh(freshness.begin());
        assert!(freshness.due());
        assert!(!freshness.owed());
    }
}
